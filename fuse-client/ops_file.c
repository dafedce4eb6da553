/*
 * ops_file.c — bfs-mount's FUSE operations on open files: open (ACCESS for
 * callers other than root, as NFS clients check at open time), release,
 * read (READ, RFC 1813 §3.3.6), write (WRITE, §3.3.7), flush and fsync
 * (COMMIT, §3.3.21, when UNSTABLE writes are outstanding).
 *
 * A read or write larger than the server's rtmax/wtmax (FSINFO, §3.3.19)
 * is split into pieces sent at once; the reply covers the contiguous prefix
 * that succeeded, as a short read or write. UNSTABLE writes record the
 * server's write verifier; a COMMIT answering another verifier means the
 * server lost them (§3.3.7): EIO, since the data is no longer here to
 * resend. O_SYNC / O_DSYNC files write FILE_SYNC / DATA_SYNC.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fc.h"

/* A read or write split into pieces. */
struct xfer {
	fuse_req_t req;
	fuse_ino_t ino;
	uint64_t off;
	size_t size;
	uint32_t piece;          /* rtmax or wtmax */
	uint32_t pending, n;
	int err;                 /* first failure */
	char *buf;               /* read: the assembled data */
	int64_t *got;            /* per piece: bytes, or -1 on failure */
};

static struct fc *fc_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct xfer *xfer_new(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			     uint32_t piece, bool read)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	*x = (struct xfer){ .req = req, .ino = ino, .off = (uint64_t)off, .size = size,
			    .piece = piece };
	x->n = (uint32_t)((size + piece - 1) / piece);
	x->got = calloc(x->n ? x->n : 1, sizeof(*x->got));
	if (read && size)
		x->buf = malloc(size);
	if (!x->got || (read && size && !x->buf)) {
		free(x->got);
		free(x->buf);
		free(x);
		return NULL;
	}
	return x;
}

static void xfer_free(struct xfer *x)
{
	free(x->got);
	free(x->buf);
	free(x);
}

static size_t piece_len(const struct xfer *x, uint32_t i)
{
	size_t start = (size_t)i * x->piece;

	return x->size - start < x->piece ? x->size - start : x->piece;
}

/* Bytes of the contiguous prefix that succeeded; -1 if none did and a
 * piece failed. */
static int64_t xfer_prefix(const struct xfer *x)
{
	int64_t total = 0;

	for (uint32_t i = 0; i < x->n; i++) {
		if (x->got[i] < 0)
			return total ? total : -1;
		total += x->got[i];
		if ((size_t)x->got[i] < piece_len(x, i))
			break;
	}
	return total;
}

/* Record piece i's outcome (got bytes, or err); true once no piece is
 * outstanding. */
static bool xfer_piece(struct xfer *x, uint32_t i, int err, size_t got)
{
	size_t max = piece_len(x, i);

	if (err && !x->err)
		x->err = err;
	x->got[i] = err ? -1 : (int64_t)(got < max ? got : max); /* never more than asked */
	return --x->pending == 0;
}

/* ---- open, release ---- */

struct open_req {
	struct fuse_file_info fi;
	fuse_ino_t ino;
};

static void reply_open(struct fc *fc, fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fc_inode *in = fc_inode_get(&fc->itab, ino);

	if (!in)
		fuse_reply_err(req, ESTALE);
	else if (fuse_reply_open(req, fi) == 0)
		fc_silly_opened(fc, in);
}

static void on_open_access(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct open_req *o = c->ctx;
	uint32_t want = (uint32_t)c->aux;

	if (!err && (res->access.ACCESS3res_u.resok.access & want) != want)
		err = -EACCES;
	if (err)
		fuse_reply_err(c->req, -err);
	else
		reply_open(c->fc, c->req, o->ino, &o->fi);
	free(o);
}

void fc_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);
	int acc = fi->flags & O_ACCMODE, mask;
	struct open_req *o;

	if (!in)
		return;
	fi->fh = 0;
	if (fuse_req_ctx(req)->uid == 0) { /* root reads and writes anything */
		reply_open(fc_of(req), req, ino, fi);
		return;
	}
	mask = acc == O_RDONLY ? R_OK : acc == O_WRONLY ? W_OK : R_OK | W_OK;
	if (!(o = malloc(sizeof(*o)))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	o->fi = *fi;
	o->ino = ino;
	fc_access_check(req, in, mask, on_open_access, o);
}

void fc_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fc *fc = fc_of(req);
	struct fc_inode *in = fc_inode_get(&fc->itab, ino);

	(void)fi;
	if (in)
		fc_silly_released(fc, req, in);
	fuse_reply_err(req, 0);
}

/* ---- read ---- */

static void on_read(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct xfer *x = c->ctx;
	uint32_t i = (uint32_t)c->aux;
	const READ3resok *ok = err ? NULL : &res->read.READ3res_u.resok;
	int64_t total;

	if (ok && ok->data.data_len)
		memcpy(x->buf + (size_t)i * x->piece, ok->data.data_val,
		       ok->data.data_len < piece_len(x, i) ? ok->data.data_len : piece_len(x, i));
	if (!xfer_piece(x, i, err, ok ? ok->data.data_len : 0))
		return;
	total = xfer_prefix(x);
	if (total < 0)
		fuse_reply_err(x->req, -x->err);
	else
		fuse_reply_buf(x->req, x->buf, (size_t)total);
	xfer_free(x);
}

void fc_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct fc *fc = fc_of(req);
	struct fc_inode *in = fc_inode_or_reply(req, ino);
	struct xfer *x;

	(void)fi;
	if (!in)
		return;
	if (!size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (!(x = xfer_new(req, ino, size, off, fc->rtmax, true))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	uint32_t n = x->pending = x->n; /* x may be gone after the last call */

	for (uint32_t i = 0; i < n; i++) {
		READ3args a = { fc_fh(in), x->off + (uint64_t)i * x->piece,
				(count3)piece_len(x, i) };

		fc_call(fc, req, NFSPROC3_READ, (xdrproc_t)xdr_READ3args, &a, on_read, x, i);
	}
}

/* ---- write ---- */

static void on_write(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct xfer *x = c->ctx;
	uint32_t i = (uint32_t)c->aux;
	struct fc *fc = c->fc;
	const WRITE3resok *ok = err ? NULL : &res->write.WRITE3res_u.resok;
	int64_t total;

	if (ok && ok->committed != FILE_SYNC) {
		struct fc_inode *in = fc_inode_get(&fc->itab, x->ino);

		if (in)
			in->unstable = true;
		memcpy(fc->wverf, ok->verf, sizeof(fc->wverf));
		fc->have_wverf = true;
	}
	if (!xfer_piece(x, i, err, ok ? ok->count : 0))
		return;
	total = xfer_prefix(x);
	if (total < 0)
		fuse_reply_err(x->req, -x->err);
	else
		fuse_reply_write(x->req, (size_t)total);
	xfer_free(x);
}

void fc_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	struct fc *fc = fc_of(req);
	struct fc_inode *in = fc_inode_or_reply(req, ino);
	stable_how how = (fi->flags & O_SYNC) == O_SYNC ? FILE_SYNC
			 : (fi->flags & O_DSYNC) ? DATA_SYNC : UNSTABLE;
	struct xfer *x;

	if (!in)
		return;
	if (!size) {
		fuse_reply_write(req, 0);
		return;
	}
	if (!(x = xfer_new(req, ino, size, off, fc->wtmax, false))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	uint32_t pieces = x->pending = x->n; /* x may be gone after the last call */

	for (uint32_t i = 0; i < pieces; i++) { /* the data is encoded (copied) here */
		size_t n = piece_len(x, i);
		WRITE3args a = { fc_fh(in), x->off + (uint64_t)i * x->piece, (count3)n, how,
				 { (u_int)n, (char *)buf + (size_t)i * x->piece } };

		fc_call(fc, req, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a, on_write, x, i);
	}
}

/* ---- flush, fsync ---- */

static void on_commit(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct fc *fc = c->fc;
	struct fc_inode *in;

	if (!err && fc->have_wverf &&
	    memcmp(res->commit.COMMIT3res_u.resok.verf, fc->wverf, sizeof(fc->wverf))) {
		bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: the server's write verifier "
			 "changed (it restarted): unstable writes may be lost");
		err = -EIO;
	}
	if (!err && (in = fc_inode_get(&fc->itab, (fuse_ino_t)c->aux)))
		in->unstable = false;
	fuse_reply_err(c->req, -err);
}

static void commit(fuse_req_t req, fuse_ino_t ino)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);

	if (!in)
		return;
	if (!in->unstable) {
		fuse_reply_err(req, 0);
		return;
	}
	COMMIT3args a = { fc_fh(in), 0, 0 };
	fc_call(fc_of(req), req, NFSPROC3_COMMIT, (xdrproc_t)xdr_COMMIT3args, &a, on_commit,
		NULL, ino);
}

void fc_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	commit(req, ino);
}

void fc_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	(void)fi;
	commit(req, ino);
}
