/*
 * backend_nfs.c — bfs-mount as a plain NFSv3 client over TCP (RFC 1813),
 * so the same client mounts nfsproxy or any other NFS server (DESIGN.md:
 * the "NFS-std" baseline):
 *
 *   nfs://HOST[:PORT]/EXPORT[?nfsport=N&mountport=M]      (nfs_url.h)
 *
 * Start-up: ports not given come from rpcbind (RFC 1833 §3.2, PMAP v2
 * GETPORT on port 111); MOUNT v3 MNT (RFC 1813 appendix I) gives the
 * export's root handle. Then every NFS call goes over one TCP connection
 * (rpc_tcp.c), many outstanding, replies matched by xid. A broken
 * connection fails the calls it carried (EIO) and the next call opens a
 * new one: calls are never resent, since non-idempotent procedures must
 * not run twice.
 *
 * Start-up waits on the loop (bounded, FC_START_MS), before the FUSE
 * session exists; afterwards nothing here blocks.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#include <rpc/pmap_prot.h>

#include "mount_prot.h"
#include "nfs_url.h"
#include "rpc_tcp.h"

#define NFS_PROGRAM 100003u
#define RPCBIND_PORT 111u

struct nfs_backend {
	struct fc_backend base;
	struct bft_loop *loop;
	struct bft_log *log;
	struct bft_addr nfs;
	struct fc_rpc *rpc;
};

static void set_port(struct bft_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
}

/* ---- calls made while starting ---- */

struct sync {
	bool done;
	int err;
	xdrproc_t xdr_res;
	void *res;
};

static void on_sync(void *arg, int err, const uint8_t *res, uint32_t len)
{
	struct sync *s = arg;
	XDR x;

	s->done = true;
	if ((s->err = err))
		return;
	xdrmem_create(&x, (char *)res, len, XDR_DECODE);
	if (!s->xdr_res(&x, s->res))
		s->err = -EBADMSG;
	xdr_destroy(&x);
}

/* One call on a connection of its own; *res decoded (the caller frees it
 * with xdr_free). 0 or -errno. */
static int sync_call(struct nfs_backend *nb, const struct bft_addr *a, uint32_t prog,
		     uint32_t vers, uint32_t proc, xdrproc_t xdr_args, void *args,
		     xdrproc_t xdr_res, void *res)
{
	struct sync s = { .xdr_res = xdr_res, .res = res };
	struct bfs_cred root = { 0 };
	struct fc_rpc *r;
	uint8_t buf[2048];
	int err;
	XDR x;

	xdrmem_create(&x, (char *)buf, sizeof(buf), XDR_ENCODE);
	if (!xdr_args(&x, args))
		return -EINVAL;
	if ((err = fc_rpc_open(nb->loop, nb->log, a, prog, vers, &r)))
		return err;
	err = fc_rpc_call(r, proc, &root, buf, xdr_getpos(&x), on_sync, &s);
	if (!err)
		err = fc_loop_wait(nb->loop, &s.done, FC_START_MS);
	fc_rpc_close(r); /* a call still pending ends here (-ECANCELED) */
	return err ? err : s.err;
}

static int getport(struct nfs_backend *nb, const struct bft_addr *host, uint32_t prog,
		   uint32_t vers, uint16_t *port)
{
	struct bft_addr a = *host;
	struct pmap m = { prog, vers, IPPROTO_TCP, 0 };
	u_int p = 0;
	int err;

	set_port(&a, RPCBIND_PORT);
	err = sync_call(nb, &a, PMAPPROG, PMAPVERS, PMAPPROC_GETPORT, (xdrproc_t)xdr_pmap, &m,
			(xdrproc_t)xdr_u_int, &p);
	if (!err && (p == 0 || p > 65535))
		err = -EPROTONOSUPPORT; /* not registered */
	if (err) {
		bft_logf(nb->log, BFT_LOG_ERROR, "bfs-mount: rpcbind cannot tell the port of "
			 "program %u v%u over TCP (%s); give ?nfsport=N&mountport=M", prog, vers,
			 strerror(-err));
		return err;
	}
	*port = (uint16_t)p;
	return 0;
}

/* MOUNT v3 MNT of the export: the root handle. */
static int mount_export(struct nfs_backend *nb, const struct bft_addr *a, const char *export)
{
	mountres3 res;
	dirpath path = (char *)export;
	int err;

	memset(&res, 0, sizeof(res));
	err = sync_call(nb, a, MOUNT_PROGRAM, 3, MOUNTPROC3_MNT, (xdrproc_t)xdr_dirpath, &path,
			(xdrproc_t)xdr_mountres3, &res);
	if (!err && res.fhs_status != MNT3_OK) {
		bft_logf(nb->log, BFT_LOG_ERROR, "bfs-mount: the server refused to mount %s "
			 "(MOUNT status %d)", export, res.fhs_status);
		err = res.fhs_status == MNT3ERR_ACCES || res.fhs_status == MNT3ERR_PERM ? -EACCES
										: -ENOENT;
	} else if (!err) {
		fhandle3 *fh = &res.mountres3_u.mountinfo.fhandle;

		if (!fh->fhandle3_len || fh->fhandle3_len > NFS3_FHSIZE) {
			err = -EBADMSG;
		} else {
			memcpy(nb->base.root_fh, fh->fhandle3_val, fh->fhandle3_len);
			nb->base.root_fh_len = fh->fhandle3_len;
		}
	} else {
		bft_logf(nb->log, BFT_LOG_ERROR, "bfs-mount: MOUNT of %s failed: %s", export,
			 strerror(-err));
	}
	xdr_free((xdrproc_t)xdr_mountres3, (char *)&res);
	return err;
}

static int resolve(struct nfs_backend *nb, const char *host, struct bft_addr *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &ai);

	if (rc || !ai || ai->ai_addrlen > sizeof(out->ss)) {
		bft_logf(nb->log, BFT_LOG_ERROR, "bfs-mount: cannot resolve %s: %s", host,
			 rc ? gai_strerror(rc) : "no address");
		if (ai)
			freeaddrinfo(ai);
		return -EHOSTUNREACH;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, ai->ai_addr, ai->ai_addrlen);
	out->len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* ---- the backend ---- */

static int nfs_submit(struct fc_backend *b, uint32_t proc, const struct bfs_cred *cred,
		      const uint8_t *args, uint32_t len, fc_backend_cb cb, void *arg)
{
	struct nfs_backend *nb = (struct nfs_backend *)b;
	int err;

	if (!nb->rpc || fc_rpc_dead(nb->rpc)) {
		fc_rpc_close(nb->rpc);
		nb->rpc = NULL;
		if ((err = fc_rpc_open(nb->loop, nb->log, &nb->nfs, NFS_PROGRAM, 3, &nb->rpc)))
			return err;
	}
	return fc_rpc_call(nb->rpc, proc, cred, args, len, cb, arg);
}

static void nfs_close(struct fc_backend *b)
{
	struct nfs_backend *nb = (struct nfs_backend *)b;

	fc_rpc_close(nb->rpc);
	free(nb);
}

static const struct fc_backend_ops nfs_ops = { nfs_submit, nfs_close };

int fc_nfs_open(const char *url, struct bft_loop *loop, struct bft_log *log,
		struct fc_backend **out)
{
	struct nfs_backend *nb = calloc(1, sizeof(*nb));
	struct fc_nfs_url u;
	struct bft_addr mnt;
	char why[128];
	int err;

	if (!nb)
		return -ENOMEM;
	*nb = (struct nfs_backend){ .base.ops = &nfs_ops, .loop = loop, .log = log };
	if ((err = fc_nfs_url_parse(url, &u, why, sizeof(why)))) {
		bft_logf(log, BFT_LOG_ERROR, "bfs-mount: bad source %s: %s (expected "
			 "nfs://HOST[:PORT]/EXPORT[?nfsport=N&mountport=M])", url, why);
		goto fail;
	}
	if ((err = resolve(nb, u.host, &nb->nfs)) ||
	    (!u.nfs_port && (err = getport(nb, &nb->nfs, NFS_PROGRAM, 3, &u.nfs_port))) ||
	    (!u.mount_port && (err = getport(nb, &nb->nfs, MOUNT_PROGRAM, 3, &u.mount_port))))
		goto fail;
	mnt = nb->nfs;
	set_port(&mnt, u.mount_port);
	set_port(&nb->nfs, u.nfs_port);
	if ((err = mount_export(nb, &mnt, u.export)))
		goto fail;
	bft_logf(log, BFT_LOG_INFO, "bfs-mount: mounted %s:%s (NFS port %u, MOUNT port %u)",
		 u.host, u.export, u.nfs_port, u.mount_port);
	*out = &nb->base;
	return 0;
fail:
	free(nb);
	return err;
}
