/*
 * fs_write.c — WRITE (RFC 1813 §3.3.7) and COMMIT (§3.3.21).
 *
 * A batch is committed to LMDB before any reply leaves the replica, so
 * every WRITE is answered FILE_SYNC whatever stability was asked, and
 * COMMIT has nothing left to do. The write verifier is derived from the
 * replicated fsid: it never changes, because no acknowledged write is ever
 * lost by a correct replica (in async durability only if more than f
 * replicas lose power, see doc/fs.md).
 *
 * WRITE checks type, permission (owner override), FBIG and the space limit
 * before its first change. A write by anyone but root clears the set-uid
 * bit and the set-gid bit of group-executable files, as POSIX requires.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

static void write_verf(const struct bfs_req *r, writeverf3 verf)
{
	bfs_put_le64((uint8_t *)verf, r->sb->fsid);
}

static int check_write(struct bfs_req *r, const WRITE3args *a, const struct bfs_inode *in)
{
	int st;
	if ((st = bfs_require_regular(in)) != 0)
		return st;
	if (a->count != a->data.data_len)
		return NFS3ERR_INVAL;
	if ((st = bfs_perm_io(r, in, BFS_MAY_WRITE)) != 0)
		return st;
	if (a->offset > r->sb->max_file_size ||
	    a->count > r->sb->max_file_size - a->offset)
		return NFS3ERR_FBIG;
	uint64_t missing;
	if ((st = bfs_data_write_check(r, in, a->offset, a->count, &missing)) != 0)
		return st;
	if (r->sb->used_blocks + missing > r->sb->max_bytes / BFS_BLOCK_SIZE)
		return NFS3ERR_NOSPC;
	return 0;
}

static int write_file(struct bfs_req *r, WRITE3args *a, wcc_data *wcc)
{
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, &a->file, &in);
	if (st != 0)
		return st;
	pre_op_attr pre;
	bfs_pre_attr(&in, &pre);
	bfs_wcc(r, &pre, &in, wcc);
	if ((st = check_write(r, a, &in)) != 0)
		return st;
	if (a->count > 0) {
		st = bfs_data_write(r, &in, a->offset, (const uint8_t *)a->data.data_val,
				    a->count);
		if (st != 0)
			return st;
		if (r->cred.uid != 0)
			in.mode &= ~(04000u | ((in.mode & 0010u) ? 02000u : 0u));
		bfs_touch(r, &in, true);
		if ((st = bfs_inode_put(r, &in)) != 0)
			return st;
	}
	bfs_wcc(r, &pre, &in, wcc);
	return 0;
}

BFS_PROC(write)
{
	WRITE3args *a = argp;
	WRITE3res *res = resp;
	wcc_data wcc = { { FALSE }, { FALSE } };
	int st = write_file(r, a, &wcc);
	if (st != 0) {
		res->WRITE3res_u.resfail.file_wcc = wcc;
		return bfs_status(&res->status, st);
	}
	WRITE3resok *ok = &res->WRITE3res_u.resok;
	ok->file_wcc = wcc;
	ok->count = a->count;
	ok->committed = FILE_SYNC;
	write_verf(r, ok->verf);
	return bfs_status(&res->status, 0);
}

BFS_PROC(commit)
{
	COMMIT3args *a = argp;
	COMMIT3res *res = resp;
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, &a->file, &in);
	if (st != 0)
		return bfs_status(&res->status, st);
	pre_op_attr pre;
	bfs_pre_attr(&in, &pre);
	wcc_data wcc;
	bfs_wcc(r, &pre, &in, &wcc);
	st = bfs_require_regular(&in);
	if (st != 0) {
		res->COMMIT3res_u.resfail.file_wcc = wcc;
		return bfs_status(&res->status, st);
	}
	res->COMMIT3res_u.resok.file_wcc = wcc;
	write_verf(r, res->COMMIT3res_u.resok.verf);
	return bfs_status(&res->status, 0);
}
