/*
 * fs_exec.c — executes one request of the BFS operation format (bfs/op.h):
 * header check, root squash, XDR decoding of the NFSv3 arguments (RFC 1813
 * §3.3.x), the procedure handler, XDR encoding of the result.
 *
 * Untrusted input: a malformed header, undecodable or trailing argument
 * bytes give accept status GARBAGE_ARGS and change nothing; a procedure
 * that modifies state sent for read-only execution gets SYSTEM_ERR.
 * Handlers take their result memory from a per-request arena of constant
 * size, so nothing here depends on the allocator. Never reads a clock.
 */
#include <string.h>

#include "bfs/nfs3_res.h"
#include "bfs/op_xdr.h"
#include "fs_internal.h"

union proc_args {
	GETATTR3args getattr;
	SETATTR3args setattr;
	LOOKUP3args lookup;
	ACCESS3args access;
	READLINK3args readlink;
	READ3args read;
	WRITE3args write;
	CREATE3args create;
	MKDIR3args mkdir;
	SYMLINK3args symlink;
	MKNOD3args mknod;
	REMOVE3args remove;
	RMDIR3args rmdir;
	RENAME3args rename;
	LINK3args link;
	READDIR3args readdir;
	READDIRPLUS3args readdirplus;
	FSSTAT3args fsstat;
	FSINFO3args fsinfo;
	PATHCONF3args pathconf;
	COMMIT3args commit;
};

struct proc {
	xdrproc_t xdr_args;
	xdrproc_t xdr_res;
	int (*run)(struct bfs_req *r, void *args, void *res);
};

#define P(name, type) \
	{ (xdrproc_t)xdr_##type##3args, (xdrproc_t)xdr_##type##3res, bfs_proc_##name }

static const struct proc procs[BFS_OP_MAX_PROC + 1] = {
	{ (xdrproc_t)bfs_xdr_void, (xdrproc_t)bfs_xdr_void, bfs_proc_null },
	P(getattr, GETATTR),	 P(setattr, SETATTR),	P(lookup, LOOKUP),
	P(access, ACCESS),	 P(readlink, READLINK), P(read, READ),
	P(write, WRITE),	 P(create, CREATE),	P(mkdir, MKDIR),
	P(symlink, SYMLINK),	 P(mknod, MKNOD),	P(remove, REMOVE),
	P(rmdir, RMDIR),	 P(rename, RENAME),	P(link, LINK),
	P(readdir, READDIR),	 P(readdirplus, READDIRPLUS),
	P(fsstat, FSSTAT),	 P(fsinfo, FSINFO),	P(pathconf, PATHCONF),
	P(commit, COMMIT),
};

void *bfs_req_alloc(struct bfs_req *r, size_t n)
{
	n = (n + 7u) & ~(size_t)7u;
	if (n > BFS_ARENA_SIZE - r->arena_used)
		return NULL;
	void *p = r->fs->arena + r->arena_used;
	r->arena_used += n;
	return p;
}

int bfs_status(nfsstat3 *status, int st)
{
	if (st < 0)
		return st;
	*status = (nfsstat3)st;
	return 0;
}

static int accept_only(uint32_t accept, uint8_t *result, uint32_t cap, uint32_t *len)
{
	int rc = bfs_result_put_accept(result, cap, accept);
	if (rc == BFS_OK)
		*len = BFS_RESULT_HDR;
	return rc;
}

static bool decode_args(const struct proc *p, const uint8_t *buf, uint32_t len,
			union proc_args *args)
{
	XDR x;
	xdrmem_create(&x, (char *)buf, len, XDR_DECODE);
	bool ok = p->xdr_args(&x, args) && xdr_getpos(&x) == len;
	xdr_destroy(&x);
	return ok;
}

static int encode_res(const struct proc *p, union bfs_nfs3_res *res, uint8_t *result,
		      uint32_t cap, uint32_t *len)
{
	XDR x;
	xdrmem_create(&x, (char *)result + BFS_RESULT_HDR, cap - BFS_RESULT_HDR, XDR_ENCODE);
	bool ok = p->xdr_res(&x, res);
	uint32_t n = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok)
		return accept_only(BFS_ACCEPT_SYSTEM_ERR, result, cap, len);
	*len = BFS_RESULT_HDR + n;
	return bfs_result_put_accept(result, cap, BFS_ACCEPT_SUCCESS);
}

static void squash(const struct bfs_super *sb, struct bfs_cred *c)
{
	if (!sb->root_squash)
		return;
	if (c->uid == 0)
		c->uid = sb->anon_uid;
	if (c->gid == 0)
		c->gid = sb->anon_gid;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == 0)
			c->groups[i] = sb->anon_gid;
}

int bfs_exec(struct bfs_fs *fs, MDB_txn *txn, bool writable, const uint8_t *op,
	     uint32_t op_len, uint8_t *result, uint32_t cap, uint32_t *result_len)
{
	if (cap < BFS_RESULT_HDR)
		return BFS_E_SPACE;
	struct bfs_op_hdr h;
	size_t hl;
	if (bfs_op_hdr_decode(op, op_len, &h, &hl) != BFS_OK)
		return accept_only(BFS_ACCEPT_GARBAGE_ARGS, result, cap, result_len);
	struct bfs_req r = {
		.fs = fs,
		.txn = txn,
		.sb = writable ? &fs->wsuper : &fs->super,
		.writable = writable,
		.cred = h.cred,
		.now = fs->batch_time,
	};
	r.set_atime = writable && r.sb->atime_mode == BFS_ATIME_STRICT;
	if (!writable && !bfs_op_proc_read_only(h.proc, BFS_ATIME_RELAXED))
		return accept_only(BFS_ACCEPT_SYSTEM_ERR, result, cap, result_len);
	squash(r.sb, &r.cred);

	const struct proc *p = &procs[h.proc];
	union proc_args args;
	union bfs_nfs3_res res;
	memset(&args, 0, sizeof(args));
	memset(&res, 0, sizeof(res));
	if (!decode_args(p, op + hl, (uint32_t)(op_len - hl), &args)) {
		xdr_free(p->xdr_args, (char *)&args);
		return accept_only(BFS_ACCEPT_GARBAGE_ARGS, result, cap, result_len);
	}
	int rc = p->run(&r, &args, &res);
	xdr_free(p->xdr_args, (char *)&args);
	if (rc < 0)
		return rc;
	return encode_res(p, &res, result, cap, result_len);
}
