/*
 * fs_getattr.c — GETATTR (RFC 1813 §3.3.1): the attributes of an object.
 * Read-only; never changes state.
 */
#include "fs_internal.h"

BFS_PROC(getattr)
{
	GETATTR3args *a = argp;
	GETATTR3res *res = resp;
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, &a->object, &in);
	if (st == 0)
		bfs_fattr(r, &in, &res->GETATTR3res_u.resok.obj_attributes);
	return bfs_status(&res->status, st);
}
