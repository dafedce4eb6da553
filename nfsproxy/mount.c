/*
 * mount.c — the MOUNT protocol, version 1 (RFC 1094 appendix A) and
 * version 3 (RFC 1813 appendix I): MNT, DUMP, UMNT, UMNTALL, EXPORT.
 *
 * MNT accepts an exported path or a directory below one; the handle is
 * found by LOOKUPs from the file system root through the cluster, with the
 * caller's credential. A path under no export is MNT3ERR_NOENT; a path
 * whose exports do not list the caller's address is MNT3ERR_ACCES. The
 * mount list (DUMP) is advisory, in memory, bounded to MAX_MOUNTS entries,
 * as RFC 1813 I.5.3 allows ("the server may not keep an accurate list").
 *
 * Never trusts a path: MNTPATHLEN-bounded by the codec, then normalised
 * (nfsp_path_normalize: no "..", no control characters).
 */
#include <stdlib.h>
#include <string.h>

#include "bfs/fh.h"
#include "bft/error.h"
#include "mount_prot.h"
#include "nfs2_map.h"

#define MAX_MOUNTS 1024u
#define AUTH_NONE_FLAVOR 0
#define AUTH_SYS_FLAVOR 1


struct nfsp_mount_walk {
	char path[NFSP_PATH_MAX + 1];
	size_t pos;
	char fh[NFS3_FHSIZE];
	uint32_t fh_len;
	char name[256];
};

void nfsp_mount_free_walk(struct nfsp_call *c)
{
	free(c->walk);
	c->walk = NULL;
}

static void mnt_error(struct nfsp_call *c, mountstat3 st)
{
	if (c->vers == 3) {
		mountres3 r = { .fhs_status = st };

		nfsp_reply_xdr(c, (xdrproc_t)xdr_mountres3, &r);
	} else { /* v1 statuses are errno values: the same numbers, minus v3's own */
		fhstatus r = { .fhs_status = st > MNT3ERR_NAMETOOLONG ? MNT3ERR_IO : st };

		nfsp_reply_xdr(c, (xdrproc_t)xdr_fhstatus, &r);
	}
}

static void remember(struct nfsp *s, const char *host, const char *dir)
{
	uint32_t i;

	for (i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].host, host) && !strcmp(s->mounts[i].dir, dir))
			return;
	if (s->n_mounts == MAX_MOUNTS) {
		nfsp_warn(s, "nfsproxy: the mount list is full (%u); %s:%s not listed",
			  MAX_MOUNTS, host, dir);
		return;
	}
	if (!s->mounts && !(s->mounts = calloc(MAX_MOUNTS, sizeof(*s->mounts))))
		return;
	snprintf(s->mounts[s->n_mounts].host, sizeof(s->mounts[0].host), "%s", host);
	snprintf(s->mounts[s->n_mounts].dir, sizeof(s->mounts[0].dir), "%s", dir);
	s->n_mounts++;
}

/* Remove host's entries (dir NULL: all of them). */
static void forget(struct nfsp *s, const char *host, const char *dir)
{
	uint32_t i = 0;

	while (i < s->n_mounts) {
		if (!strcmp(s->mounts[i].host, host) && (!dir || !strcmp(s->mounts[i].dir, dir)))
			s->mounts[i] = s->mounts[--s->n_mounts];
		else
			i++;
	}
}

static void mnt_ok(struct nfsp_call *c)
{
	struct nfsp_mount_walk *w = c->walk;
	char host[64];

	nfsp_peer_host(&c->peer, host, sizeof(host));
	remember(c->srv, host, w->path);
	bft_logf(c->srv->log, BFT_LOG_INFO, "nfsproxy: %s mounted %s (MOUNT v%u)", host,
		 w->path, c->vers);
	if (c->vers == 3) {
		int flavors[2] = { AUTH_SYS_FLAVOR, AUTH_NONE_FLAVOR };
		mountres3 r = { .fhs_status = MNT3_OK };

		r.mountres3_u.mountinfo.fhandle.fhandle3_len = w->fh_len;
		r.mountres3_u.mountinfo.fhandle.fhandle3_val = w->fh;
		r.mountres3_u.mountinfo.auth_flavors.auth_flavors_len = 2;
		r.mountres3_u.mountinfo.auth_flavors.auth_flavors_val = flavors;
		nfsp_reply_xdr(c, (xdrproc_t)xdr_mountres3, &r);
	} else {
		fhstatus r = { .fhs_status = 0 };

		if (!nfsp_fh3to2(w->fh, w->fh_len, r.fhstatus_u.fhs_fhandle))
			r.fhs_status = MNT3ERR_IO;
		nfsp_reply_xdr(c, (xdrproc_t)xdr_fhstatus, &r);
	}
}

static void walk_next(struct nfsp_call *c);

static mountstat3 mount_status(nfsstat3 st)
{
	switch (st) {
	case NFS3ERR_NOENT: return MNT3ERR_NOENT;
	case NFS3ERR_ACCES: return MNT3ERR_ACCES;
	case NFS3ERR_PERM: return MNT3ERR_PERM;
	case NFS3ERR_NOTDIR: return MNT3ERR_NOTDIR;
	case NFS3ERR_NAMETOOLONG: return MNT3ERR_NAMETOOLONG;
	default: return MNT3ERR_IO;
	}
}

static void walk_result(struct nfsp_call *c, int status, uint32_t accept,
			const uint8_t *res, uint32_t len)
{
	struct nfsp_mount_walk *w = c->walk;
	LOOKUP3res r;
	mountstat3 st = MNT3_OK;
	XDR x;

	(void)status;
	(void)accept;
	memset(&r, 0, sizeof(r));
	xdrmem_create(&x, (char *)res, len, XDR_DECODE);
	if (!xdr_LOOKUP3res(&x, &r)) {
		st = MNT3ERR_SERVERFAULT;
	} else if (r.status != NFS3_OK) {
		st = mount_status(r.status);
	} else {
		LOOKUP3resok *ok = &r.LOOKUP3res_u.resok;

		if (ok->obj_attributes.attributes_follow &&
		    ok->obj_attributes.post_op_attr_u.attributes.type != NF3DIR)
			st = MNT3ERR_NOTDIR;
		else if (!ok->object.data.data_len || ok->object.data.data_len > NFS3_FHSIZE)
			st = MNT3ERR_SERVERFAULT;
		else {
			w->fh_len = ok->object.data.data_len;
			memcpy(w->fh, ok->object.data.data_val, w->fh_len);
		}
	}
	xdr_destroy(&x);
	xdr_free((xdrproc_t)xdr_LOOKUP3res, (char *)&r);
	if (st != MNT3_OK)
		mnt_error(c, st);
	else
		walk_next(c);
}

static void walk_next(struct nfsp_call *c)
{
	struct nfsp_mount_walk *w = c->walk;
	const char *p = w->path + w->pos;
	size_t len;
	bool busy;

	while (*p == '/')
		p++;
	len = strcspn(p, "/");
	if (!len) {
		mnt_ok(c);
		return;
	}
	memcpy(w->name, p, len); /* normalised: len <= 255 */
	w->name[len] = '\0';
	w->pos = (size_t)(p + len - w->path);
	LOOKUP3args a = { { { { w->fh_len, w->fh } }, w->name } };
	if (!nfsp_relay(c, NFSPROC3_LOOKUP, (xdrproc_t)xdr_LOOKUP3args, &a, NULL, 0,
			walk_result, &busy))
		mnt_error(c, MNT3ERR_SERVERFAULT);
}

/* MNT3_OK if some export covering path lists the caller, else why not. */
static mountstat3 authorise(struct nfsp_call *c, const char *path)
{
	const struct nfsp_conf *conf = &c->srv->conf;
	bool covered = false;
	uint32_t i;

	for (i = 0; i < conf->n_exports; i++) {
		const char *e = conf->exports[i].path;
		size_t n = strlen(e);

		if (strcmp(e, "/") && (strncmp(path, e, n) || (path[n] && path[n] != '/')))
			continue;
		covered = true;
		if (nfsp_export_allows(&conf->exports[i], (const struct sockaddr *)&c->peer))
			return MNT3_OK;
	}
	return covered ? MNT3ERR_ACCES : MNT3ERR_NOENT;
}

static bool decode_path(struct nfsp_call *c, char *out, size_t cap, bool *garbage)
{
	dirpath p = NULL;
	XDR x;
	bool ok;

	xdrmem_create(&x, (char *)c->args, c->args_len, XDR_DECODE);
	*garbage = !xdr_dirpath(&x, &p) || xdr_getpos(&x) != c->args_len;
	xdr_destroy(&x);
	/* libnfs asks for "" when a URL names a file in the root: that is "/" */
	ok = !*garbage && nfsp_path_normalize(*p ? p : "/", out, cap) == BFT_OK;
	xdr_free((xdrproc_t)xdr_dirpath, (char *)&p);
	return ok;
}

static void mnt(struct nfsp_call *c)
{
	struct nfsp_mount_walk *w = calloc(1, sizeof(*w));
	char host[64];
	bool garbage;
	mountstat3 st;

	if (!w) {
		mnt_error(c, MNT3ERR_SERVERFAULT);
		return;
	}
	c->walk = w;
	if (!decode_path(c, w->path, sizeof(w->path), &garbage)) {
		if (garbage)
			nfsp_reply_accept(c, RPC_ACC_GARBAGE_ARGS);
		else
			mnt_error(c, MNT3ERR_INVAL);
		return;
	}
	if ((st = authorise(c, w->path)) != MNT3_OK) {
		nfsp_peer_host(&c->peer, host, sizeof(host));
		nfsp_warn(c->srv, "nfsproxy: refused MOUNT of %s by %s: %s", w->path, host,
			  st == MNT3ERR_ACCES ? "not an allowed client" : "not exported");
		mnt_error(c, st);
		return;
	}
	w->fh_len = BFS_FH_LEN;
	bfs_root_fh((uint8_t *)w->fh);
	walk_next(c);
}

static void umnt(struct nfsp_call *c, bool all)
{
	char path[NFSP_PATH_MAX + 1], host[64];
	bool garbage = false;

	nfsp_peer_host(&c->peer, host, sizeof(host));
	if (all)
		forget(c->srv, host, NULL);
	else if (decode_path(c, path, sizeof(path), &garbage))
		forget(c->srv, host, path);
	if (garbage)
		nfsp_reply_accept(c, RPC_ACC_GARBAGE_ARGS);
	else
		nfsp_reply(c, NULL, 0);
}

static void dump(struct nfsp_call *c)
{
	struct nfsp *s = c->srv;
	mountbody *b = s->n_mounts ? calloc(s->n_mounts, sizeof(*b)) : NULL;
	mountlist list = b;
	uint32_t i;

	if (s->n_mounts && !b) {
		nfsp_reply_accept(c, RPC_ACC_SYSTEM_ERR);
		return;
	}
	for (i = 0; i < s->n_mounts; i++) {
		b[i].ml_hostname = s->mounts[i].host;
		b[i].ml_directory = s->mounts[i].dir;
		b[i].ml_next = i + 1 < s->n_mounts ? &b[i + 1] : NULL;
	}
	nfsp_reply_xdr(c, (xdrproc_t)xdr_mountlist, &list);
	free(b);
}

static void export_list(struct nfsp_call *c)
{
	const struct nfsp_conf *conf = &c->srv->conf;
	exportnode ex[NFSP_MAX_EXPORTS];
	groupnode gr[NFSP_MAX_EXPORTS * NFSP_MAX_NETS];
	char names[NFSP_MAX_EXPORTS][256];
	exports list = conf->n_exports ? ex : NULL;
	uint32_t i, g = 0;

	for (i = 0; i < conf->n_exports; i++) {
		char *save = NULL, *tok;
		groups *tail = &ex[i].ex_groups;

		snprintf(names[i], sizeof(names[i]), "%s", conf->exports[i].clients);
		ex[i].ex_dir = (char *)conf->exports[i].path;
		ex[i].ex_next = i + 1 < conf->n_exports ? &ex[i + 1] : NULL;
		for (tok = strtok_r(names[i], ",", &save); tok && g < sizeof(gr) / sizeof(gr[0]);
		     tok = strtok_r(NULL, ",", &save)) {
			gr[g].gr_name = tok;
			*tail = &gr[g];
			tail = &gr[g++].gr_next;
		}
		*tail = NULL;
	}
	nfsp_reply_xdr(c, (xdrproc_t)xdr_exports, &list);
}

void nfsp_mount_call(struct nfsp_call *c)
{
	switch (c->proc) {
	case MOUNTPROC_NULL:
		nfsp_reply(c, NULL, 0);
		break;
	case MOUNTPROC_MNT:
		mnt(c);
		break;
	case MOUNTPROC_DUMP:
		dump(c);
		break;
	case MOUNTPROC_UMNT:
		umnt(c, false);
		break;
	case MOUNTPROC_UMNTALL:
		umnt(c, true);
		break;
	case MOUNTPROC_EXPORT:
		export_list(c);
		break;
	default:
		nfsp_reply_accept(c, RPC_ACC_PROC_UNAVAIL);
		break;
	}
}
