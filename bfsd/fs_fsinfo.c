/*
 * fs_fsinfo.c — NULL (RFC 1813 §3.3.0), FSSTAT (§3.3.18), FSINFO (§3.3.19)
 * and PATHCONF (§3.3.20). Space figures come from the replicated limits and
 * counters of the super record, never from the local disk, so every replica
 * answers alike. Read-only; never changes state.
 */
#include "fs_internal.h"

BFS_PROC(null)
{
	(void)r;
	(void)argp;
	(void)resp;
	return 0;
}

/* The object's attributes, for the post_op_attr every result carries. */
static int object_attr(struct bfs_req *r, const nfs_fh3 *fh, post_op_attr *attr)
{
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, fh, &in);
	if (st == 0)
		bfs_post_attr(r, &in, attr);
	return st;
}

BFS_PROC(fsstat)
{
	FSSTAT3args *a = argp;
	FSSTAT3res *res = resp;
	FSSTAT3resok *ok = &res->FSSTAT3res_u.resok;
	int st = object_attr(r, &a->fsroot, &ok->obj_attributes);
	if (st == 0) {
		const struct bfs_super *sb = r->sb;
		uint64_t used = sb->used_blocks * BFS_BLOCK_SIZE;
		ok->tbytes = sb->max_bytes;
		ok->fbytes = ok->abytes = used < sb->max_bytes ? sb->max_bytes - used : 0;
		ok->tfiles = sb->max_files;
		ok->ffiles = ok->afiles = sb->max_files - sb->used_inodes;
		ok->invarsec = 0;
	}
	return bfs_status(&res->status, st);
}

BFS_PROC(fsinfo)
{
	FSINFO3args *a = argp;
	FSINFO3res *res = resp;
	FSINFO3resok *ok = &res->FSINFO3res_u.resok;
	int st = object_attr(r, &a->fsroot, &ok->obj_attributes);
	if (st == 0) {
		ok->rtmax = ok->rtpref = BFS_XFER_MAX;
		ok->wtmax = ok->wtpref = BFS_XFER_MAX;
		ok->rtmult = ok->wtmult = BFS_BLOCK_SIZE;
		ok->dtpref = BFS_DTPREF;
		ok->maxfilesize = r->sb->max_file_size;
		ok->time_delta.seconds = 0;
		ok->time_delta.nseconds = 1000; /* batch times have µs resolution */
		ok->properties = FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME;
	}
	return bfs_status(&res->status, st);
}

BFS_PROC(pathconf)
{
	PATHCONF3args *a = argp;
	PATHCONF3res *res = resp;
	PATHCONF3resok *ok = &res->PATHCONF3res_u.resok;
	int st = object_attr(r, &a->object, &ok->obj_attributes);
	if (st == 0) {
		ok->linkmax = BFS_LINK_MAX;
		ok->name_max = BFS_NAME_MAX;
		ok->no_trunc = TRUE;
		ok->chown_restricted = TRUE;
		ok->case_insensitive = FALSE;
		ok->case_preserving = TRUE;
	}
	return bfs_status(&res->status, st);
}
