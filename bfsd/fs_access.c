/*
 * fs_access.c — ACCESS (RFC 1813 §3.3.4): which of the requested access
 * bits the credential holds on the object (fs_perm.c computes them).
 * Read-only; never changes state.
 */
#include "fs_internal.h"

BFS_PROC(access)
{
	ACCESS3args *a = argp;
	ACCESS3res *res = resp;
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, &a->object, &in);
	if (st == 0) {
		bfs_post_attr(r, &in, &res->ACCESS3res_u.resok.obj_attributes);
		res->ACCESS3res_u.resok.access = bfs_perm_access(r, &in, a->access);
	}
	return bfs_status(&res->status, st);
}
