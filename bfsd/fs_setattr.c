/*
 * fs_setattr.c — SETATTR (RFC 1813 §3.3.2): change attributes, with the
 * optional ctime guard (NFS3ERR_NOT_SYNC when the object's ctime differs).
 * Rules of each attribute: fs_sattr.c. Weak cache consistency data in both
 * outcomes. Checks everything before the first write.
 */
#include "fs_internal.h"

static int setattr(struct bfs_req *r, SETATTR3args *a, struct bfs_inode *in,
		   wcc_data *wcc)
{
	int st = bfs_inode_from_fh(r, &a->object, in);
	if (st != 0)
		return st;
	pre_op_attr pre;
	bfs_pre_attr(in, &pre);
	bfs_wcc(r, &pre, in, wcc);
	if (a->guard.check && (a->guard.sattrguard3_u.obj_ctime.seconds != in->ctime.sec ||
			       a->guard.sattrguard3_u.obj_ctime.nseconds != in->ctime.nsec))
		return NFS3ERR_NOT_SYNC;
	if ((st = bfs_sattr_check(r, in, &a->new_attributes, false)) != 0)
		return st;
	if ((st = bfs_sattr_apply(r, in, &a->new_attributes)) != 0 ||
	    (st = bfs_inode_put(r, in)) != 0)
		return st;
	bfs_wcc(r, &pre, in, wcc);
	return 0;
}

BFS_PROC(setattr)
{
	SETATTR3res *res = resp;
	struct bfs_inode in;
	wcc_data wcc = { { FALSE }, { FALSE } };
	int st = setattr(r, argp, &in, &wcc);
	if (st == 0)
		res->SETATTR3res_u.resok.obj_wcc = wcc;
	else
		res->SETATTR3res_u.resfail.obj_wcc = wcc;
	return bfs_status(&res->status, st);
}
