/*
 * fs_readlink.c — READLINK (RFC 1813 §3.3.5): a symbolic link's target,
 * stored in its inode record. NFS3ERR_INVAL for other types. Read-only.
 */
#include <string.h>

#include "fs_internal.h"

BFS_PROC(readlink)
{
	READLINK3args *a = argp;
	READLINK3res *res = resp;
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, &a->symlink, &in);
	if (st != 0)
		return bfs_status(&res->status, st);
	post_op_attr attr;
	bfs_post_attr(r, &in, &attr);
	char *path = NULL;
	if (in.type != NF3LNK)
		st = NFS3ERR_INVAL;
	else if ((path = bfs_req_alloc(r, in.target_len + 1)) == NULL)
		st = NFS3ERR_SERVERFAULT;
	if (st != 0) {
		res->READLINK3res_u.resfail.symlink_attributes = attr;
		return bfs_status(&res->status, st);
	}
	memcpy(path, in.target, in.target_len + 1);
	res->READLINK3res_u.resok.symlink_attributes = attr;
	res->READLINK3res_u.resok.data = path;
	return bfs_status(&res->status, 0);
}
