/*
 * silly.c — open files whose last name goes away (the NFS client's "silly
 * rename"; RFC 1813 has no open state, so a REMOVE would end the file
 * while a process still reads or writes it, contrary to POSIX unlink(2)).
 *
 * While any file is open, unlink and rename first LOOKUP the name that
 * disappears; if it is an open file with no hidden name yet, it is renamed
 * to ".bfs-mount-FILEID-N" in the same directory instead of removed (or
 * replaced), and that name is removed when the last open of the file is
 * released. With no open file, unlink and rename cost one call as before.
 * A crash of bfs-mount leaves such names behind, as with NFS's ".nfsXXXX".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc.h"

struct fc_silly {
	uint32_t dir_len;
	uint8_t dir[NFS3_FHSIZE];
	char name[64];
};

/* An unlink or rename waiting for its LOOKUP. */
struct guard {
	fuse_ino_t parent, newparent;
	bool rename;
	struct fc_silly *silly;  /* the hidden name being given */
	char *name, *newname;    /* point into buf */
	char buf[];
};

static void reply_status(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	(void)res;
	fuse_reply_err(c->req, -err);
}

/* The operation itself, once the name is safe to drop. */
static void proceed(struct fc *fc, fuse_req_t req, const struct guard *g)
{
	struct fc_inode *from = fc_inode_get(&fc->itab, g->parent);
	struct fc_inode *to = g->rename ? fc_inode_get(&fc->itab, g->newparent) : from;

	if (!from || !to) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (g->rename) {
		RENAME3args a = { { fc_fh(from), g->name }, { fc_fh(to), g->newname } };

		fc_call(fc, req, NFSPROC3_RENAME, (xdrproc_t)xdr_RENAME3args, &a, reply_status,
			NULL, 0);
	} else {
		REMOVE3args a = { { fc_fh(from), g->name } };

		fc_call(fc, req, NFSPROC3_REMOVE, (xdrproc_t)xdr_REMOVE3args, &a, reply_status,
			NULL, 0);
	}
}

static void on_hidden(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct guard *g = c->ctx;
	struct fc_inode *in = fc_inode_get(&c->fc->itab, (fuse_ino_t)c->aux);
	struct fc_silly *s = g->silly;

	(void)res;
	if (err || !in) {
		free(s);
		fuse_reply_err(c->req, err ? -err : ESTALE);
	} else {
		free(in->silly);
		in->silly = s;
		if (g->rename)
			proceed(c->fc, c->req, g); /* the target name is free now */
		else
			fuse_reply_err(c->req, 0); /* unlinked, as far as anyone can see */
	}
	free(g);
}

/* Rename the open file `in`, known as g->newname (rename) or g->name
 * (unlink) in its directory, to a hidden name. */
static void hide(struct fc *fc, fuse_req_t req, struct guard *g, struct fc_inode *in)
{
	fuse_ino_t dino = g->rename ? g->newparent : g->parent;
	struct fc_inode *dir = fc_inode_get(&fc->itab, dino);
	struct fc_silly *s = calloc(1, sizeof(*s));
	static uint32_t counter;

	if (!dir || !s) {
		free(s);
		proceed(fc, req, g); /* cannot hide it: plain POSIX-less NFS behaviour */
		free(g);
		return;
	}
	s->dir_len = dir->fh_len;
	memcpy(s->dir, dir->fh, dir->fh_len);
	snprintf(s->name, sizeof(s->name), ".bfs-mount-%llx-%u",
		 (unsigned long long)in->fileid, ++counter);
	g->silly = s;
	RENAME3args a = { { fc_fh(dir), g->rename ? g->newname : g->name },
			  { fc_fh(dir), s->name } };
	fc_call(fc, req, NFSPROC3_RENAME, (xdrproc_t)xdr_RENAME3args, &a, on_hidden, g,
		fc_ino_of(&fc->itab, in->fileid));
}

static void on_lookup(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct guard *g = c->ctx;
	struct fc_inode *in = NULL;

	if (err && !(g->rename && err == -ENOENT)) { /* a missing rename target is fine */
		fuse_reply_err(c->req, -err);
		free(g);
		return;
	}
	if (!err) {
		LOOKUP3resok *ok = &res->lookup.LOOKUP3res_u.resok;

		in = ok->obj_attributes.attributes_follow
			     ? fc_inode_get(&c->fc->itab,
					    fc_ino_of(&c->fc->itab,
						      ok->obj_attributes.post_op_attr_u.attributes.fileid))
			     : NULL;
	}
	if (in && in->opens && !in->silly) {
		hide(c->fc, c->req, g, in);
		return;
	}
	proceed(c->fc, c->req, g);
	free(g);
}

static void guard(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		  const char *newname)
{
	struct fc *fc = fuse_req_userdata(req);
	size_t n = strlen(name) + 1, m = newname ? strlen(newname) + 1 : 0;
	struct guard *g = malloc(sizeof(*g) + n + m);
	struct fc_inode *dir;

	if (!g) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*g = (struct guard){ .parent = parent, .newparent = newparent, .rename = newname != NULL };
	g->name = memcpy(g->buf, name, n);
	g->newname = newname ? memcpy(g->buf + n, newname, m) : NULL;
	if (!fc->n_open) { /* nothing open: nothing to protect */
		proceed(fc, req, g);
		free(g);
		return;
	}
	if (!(dir = fc_inode_or_reply(req, g->rename ? newparent : parent))) {
		free(g);
		return;
	}
	LOOKUP3args a = { { fc_fh(dir), g->rename ? g->newname : g->name } };
	fc_call(fc, req, NFSPROC3_LOOKUP, (xdrproc_t)xdr_LOOKUP3args, &a, on_lookup, g, 0);
}

void fc_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	guard(req, parent, name, 0, NULL);
}

void fc_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		  const char *newname, unsigned int flags)
{
	if (flags) { /* RENAME_NOREPLACE / EXCHANGE cannot be atomic over NFSv3 */
		fuse_reply_err(req, EINVAL);
		return;
	}
	guard(req, parent, name, newparent, newname);
}

static void on_removed(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	(void)res;
	if (err)
		bft_logf(c->fc->log, BFT_LOG_WARN, "bfs-mount: cannot remove the hidden name of "
			 "a closed file: %s", strerror(-err));
}

void fc_silly_opened(struct fc *fc, struct fc_inode *in)
{
	in->opens++;
	fc->n_open++;
}

void fc_silly_released(struct fc *fc, fuse_req_t req, struct fc_inode *in)
{
	struct fc_silly *s;

	if (!in->opens)
		return;
	in->opens--;
	fc->n_open--;
	if (in->opens || !(s = in->silly))
		return;
	in->silly = NULL;
	REMOVE3args a = { { { { s->dir_len, (char *)s->dir } }, s->name } };
	/* with the releasing caller's credential; on_removed never answers req */
	fc_call(fc, req, NFSPROC3_REMOVE, (xdrproc_t)xdr_REMOVE3args, &a, on_removed, NULL, 0);
	free(s);
}
