/*
 * call.c — one NFSv3 call (RFC 1813 §3) from bfs-mount: encode the
 * arguments, submit them to the backend with the FUSE caller's AUTH_SYS
 * credential, decode the result, map its status to an errno and hand it to
 * the operation's completion.
 *
 * NFS3ERR_JUKEBOX (§2.6: "the server initiated the request, but was not
 * able to complete it in a timely fashion"; nfsproxy's answer to a full
 * BFT queue) and a full backend queue are retried after FC_RETRY_MS, at
 * most FC_RETRY_MAX times. Never blocks; never trusts a result: decoding
 * is bounded by the rpcgen codec.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fc.h"

int fc_nfs_errno(nfsstat3 st)
{
	switch (st) {
	case NFS3_OK: return 0;
	case NFS3ERR_PERM: return -EPERM;
	case NFS3ERR_NOENT: return -ENOENT;
	case NFS3ERR_IO: return -EIO;
	case NFS3ERR_NXIO: return -ENXIO;
	case NFS3ERR_ACCES: return -EACCES;
	case NFS3ERR_EXIST: return -EEXIST;
	case NFS3ERR_XDEV: return -EXDEV;
	case NFS3ERR_NODEV: return -ENODEV;
	case NFS3ERR_NOTDIR: return -ENOTDIR;
	case NFS3ERR_ISDIR: return -EISDIR;
	case NFS3ERR_INVAL: return -EINVAL;
	case NFS3ERR_FBIG: return -EFBIG;
	case NFS3ERR_NOSPC: return -ENOSPC;
	case NFS3ERR_ROFS: return -EROFS;
	case NFS3ERR_MLINK: return -EMLINK;
	case NFS3ERR_NAMETOOLONG: return -ENAMETOOLONG;
	case NFS3ERR_NOTEMPTY: return -ENOTEMPTY;
	case NFS3ERR_DQUOT: return -EDQUOT;
	case NFS3ERR_STALE: return -ESTALE;
	case NFS3ERR_REMOTE: return -EREMOTE;
	case NFS3ERR_BADHANDLE: return -ESTALE;
	case NFS3ERR_NOT_SYNC: return -EIO;
	case NFS3ERR_BAD_COOKIE: return -EINVAL;
	case NFS3ERR_NOTSUPP: return -EOPNOTSUPP;
	case NFS3ERR_TOOSMALL: return -EINVAL;
	case NFS3ERR_SERVERFAULT: return -EIO;
	case NFS3ERR_BADTYPE: return -EINVAL;
	case NFS3ERR_JUKEBOX: return -EAGAIN;
	default: return -EIO;
	}
}

static void finish(struct fc_call *c, int err, bool decoded)
{
	struct fc *fc = c->fc;

	c->done(c, err, decoded ? &c->res : NULL);
	if (decoded)
		xdr_free(bfs_nfs3_res_xdr(c->proc), (char *)&c->res);
	bft_loop_timer_cancel(fc->loop, &c->retry);
	free(c->args);
	free(c);
	if (!--fc->in_flight && fc->stopping)
		bft_loop_stop(fc->loop);
}

static void submit(struct fc_call *c);

static void retry_later(struct fc_call *c, int err)
{
	if (++c->retries > FC_RETRY_MAX) {
		finish(c, err, false);
		return;
	}
	bft_loop_timer_arm(c->fc->loop, &c->retry, FC_RETRY_MS);
}

static void on_result(void *arg, int err, const uint8_t *res, uint32_t len)
{
	struct fc_call *c = arg;
	nfsstat3 st;
	bool_t ok;
	XDR x;

	if (err) {
		finish(c, err, false);
		return;
	}
	memset(&c->res, 0, sizeof(c->res));
	xdrmem_create(&x, (char *)res, len, XDR_DECODE);
	ok = bfs_nfs3_res_xdr(c->proc)(&x, &c->res);
	xdr_destroy(&x);
	if (!ok) {
		xdr_free(bfs_nfs3_res_xdr(c->proc), (char *)&c->res);
		bft_logf(c->fc->log, BFT_LOG_WARN, "bfs-mount: undecodable %s result (%u bytes)",
			 bfs_op_proc_name(c->proc), len);
		finish(c, -EIO, false);
		return;
	}
	st = c->res.status;
	if (st == NFS3ERR_JUKEBOX) {
		xdr_free(bfs_nfs3_res_xdr(c->proc), (char *)&c->res);
		retry_later(c, -EAGAIN);
		return;
	}
	finish(c, fc_nfs_errno(st), true);
}

static void submit(struct fc_call *c)
{
	struct fc_backend *be = c->fc->be;
	int err = be->ops->submit(be, c->proc, &c->cred, c->args, c->args_len, on_result, c);

	if (err == -EAGAIN)
		retry_later(c, err);
	else if (err)
		finish(c, err, false);
}

static void on_retry(void *data)
{
	submit(data);
}

static void set_cred(struct fc_call *c)
{
	const struct fuse_ctx *ctx = c->req ? fuse_req_ctx(c->req) : NULL;
	gid_t groups[BFS_OP_MAX_GROUPS];
	int n;

	if (!ctx)
		return; /* root */
	c->cred.uid = ctx->uid;
	c->cred.gid = ctx->gid;
	if (ctx->uid == 0)
		return; /* root may do anything: its groups do not matter */
	n = fuse_req_getgroups(c->req, BFS_OP_MAX_GROUPS, groups);
	if (n > (int)BFS_OP_MAX_GROUPS)
		n = BFS_OP_MAX_GROUPS; /* AUTH_SYS carries 16 */
	for (int i = 0; i < n; i++)
		c->cred.groups[i] = groups[i];
	c->cred.ngroups = n > 0 ? (uint32_t)n : 0;
}

void fc_call(struct fc *fc, fuse_req_t req, uint32_t proc, xdrproc_t xdr_args,
	     const void *args, fc_done_fn done, void *ctx, uint64_t aux)
{
	struct fc_call *c = calloc(1, sizeof(*c));
	bool_t ok;
	XDR x;

	if (!c) {
		struct fc_call tmp = { .fc = fc, .req = req, .proc = proc, .ctx = ctx, .aux = aux };

		done(&tmp, -ENOMEM, NULL);
		return;
	}
	*c = (struct fc_call){ .fc = fc, .req = req, .proc = proc, .done = done, .ctx = ctx,
			       .aux = aux };
	bft_loop_timer_init(&c->retry, on_retry, c);
	fc->in_flight++;
	xdrmem_create(&x, (char *)fc->scratch, sizeof(fc->scratch), XDR_ENCODE);
	ok = xdr_args(&x, (void *)args);
	c->args_len = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok || !bfs_nfs3_res_xdr(proc)) {
		finish(c, -EINVAL, false);
		return;
	}
	if (!(c->args = malloc(c->args_len ? c->args_len : 1))) {
		finish(c, -ENOMEM, false);
		return;
	}
	memcpy(c->args, fc->scratch, c->args_len);
	set_cred(c);
	submit(c);
}

int fc_loop_wait(struct bft_loop *loop, const bool *done, uint64_t timeout_ms)
{
	uint64_t end = bft_loop_now_ms() + timeout_ms, now;

	while (!*done) {
		if ((now = bft_loop_now_ms()) >= end)
			return -ETIMEDOUT;
		bft_loop_run_once(loop, (int)(end - now));
	}
	return 0;
}
