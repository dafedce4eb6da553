/*
 * ops_dir.c — bfs-mount's directory listing: opendir, readdir and
 * readdirplus over NFSv3 READDIRPLUS (RFC 1813 §3.3.17), releasedir.
 *
 * The FUSE offset of an entry is its NFS cookie (the position after it),
 * so a listing resumes from any offset the kernel hands back. Each open
 * directory keeps the cookie verifier of its last reply and that reply
 * itself: one READDIRPLUS (up to 32 KiB, a few hundred entries) answers
 * several kernel requests (a page each). readdirplus gives the kernel a
 * reference to every entry but "." and ".." (libfuse fuse_lowlevel.h), so
 * the inode table takes one for exactly those.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fc.h"

#define DIR_MAXCOUNT 32768u
#define DIR_DIRCOUNT 16384u

struct fc_dir {
	cookieverf3 verf;
	bool have;
	uint64_t from;                 /* the cookie `page` was read from */
	READDIRPLUS3res page;
};

struct dir_req {
	struct fc_dir *d;
	size_t size;
	uint64_t off;
	bool plus;
};

static bool is_dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* Add e at buf[pos..size); 0 if it does not fit. */
static size_t add_entry(struct fc *fc, fuse_req_t req, const entryplus3 *e, bool plus,
			char *buf, size_t pos, size_t size)
{
	struct fuse_entry_param p = { .attr_timeout = fc->attr_timeout,
				      .entry_timeout = fc->entry_timeout };
	bool attrs = e->name_attributes.attributes_follow;
	size_t need, n;

	if (attrs)
		fc_stat_from_fattr(&e->name_attributes.post_op_attr_u.attributes, &p.attr);
	p.attr.st_ino = (ino_t)e->fileid;
	if (!plus) {
		n = fuse_add_direntry(req, buf + pos, size - pos, e->name, &p.attr,
				      (off_t)e->cookie);
		return n <= size - pos ? n : 0;
	}
	need = fuse_add_direntry_plus(req, NULL, 0, e->name, NULL, 0);
	if (need > size - pos)
		return 0;
	if (is_dot(e->name)) {
		p.ino = fc_ino_of(&fc->itab, e->fileid); /* no reference taken */
	} else if (attrs && e->name_handle.handle_follows &&
		   fc_inode_ref(&fc->itab, e->fileid, &e->name_handle.post_op_fh3_u.handle)) {
		p.ino = fc_ino_of(&fc->itab, e->fileid);
	} else {
		p.ino = 0; /* name only: the kernel looks it up itself */
		p.attr_timeout = p.entry_timeout = 0;
	}
	return fuse_add_direntry_plus(req, buf + pos, size - pos, e->name, &p, (off_t)e->cookie);
}

/* Answer from the directory's cached reply if it covers off; a listing
 * from the start (opendir, rewinddir) always reads afresh unless `fresh`. */
static bool serve(struct fc *fc, fuse_req_t req, struct fc_dir *d, size_t size, uint64_t off,
		  bool plus, bool fresh)
{
	const READDIRPLUS3resok *ok = &d->page.READDIRPLUS3res_u.resok;
	const entryplus3 *e = ok->reply.entries;
	size_t pos = 0, n;
	char *buf;

	if (!d->have || (off == 0 && !fresh))
		return false;
	if (off != d->from) {
		while (e && e->cookie != off)
			e = e->nextentry;
		if (!e)
			return false;
		e = e->nextentry;
	}
	if (!e && !ok->reply.eof && off != d->from)
		return false; /* the end of this reply, not of the directory */
	if (!(buf = malloc(size ? size : 1))) {
		fuse_reply_err(req, ENOMEM);
		return true;
	}
	for (; e; e = e->nextentry) {
		if (!(n = add_entry(fc, req, e, plus, buf, pos, size)))
			break;
		pos += n;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
	return true;
}

static void on_readdir(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct dir_req *r = c->ctx;
	struct fc_dir *d = r->d;

	if (err) {
		fuse_reply_err(c->req, -err);
		free(r);
		return;
	}
	if (d->have)
		xdr_free((xdrproc_t)xdr_READDIRPLUS3res, (char *)&d->page);
	d->page = res->readdirplus; /* take the decoded reply over */
	memset(&res->readdirplus, 0, sizeof(res->readdirplus));
	d->have = true;
	d->from = r->off;
	memcpy(d->verf, d->page.READDIRPLUS3res_u.resok.cookieverf, sizeof(d->verf));
	serve(c->fc, c->req, d, r->size, r->off, r->plus, true);
	free(r);
}

static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi, bool plus)
{
	struct fc *fc = fuse_req_userdata(req);
	struct fc_dir *d = (struct fc_dir *)(uintptr_t)fi->fh;
	struct fc_inode *in;
	struct dir_req *r;
	READDIRPLUS3args a;

	if (serve(fc, req, d, size, (uint64_t)off, plus, false) || !(in = fc_inode_or_reply(req, ino)))
		return;
	if (!(r = malloc(sizeof(*r)))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*r = (struct dir_req){ .d = d, .size = size, .off = (uint64_t)off, .plus = plus };
	memset(&a, 0, sizeof(a));
	a.dir = fc_fh(in);
	a.cookie = (uint64_t)off;
	if (off) /* RFC 1813 §3.3.16: the verifier of the reply the cookie came from */
		memcpy(a.cookieverf, d->verf, sizeof(a.cookieverf));
	a.dircount = DIR_DIRCOUNT;
	a.maxcount = DIR_MAXCOUNT;
	fc_call(fc, req, NFSPROC3_READDIRPLUS, (xdrproc_t)xdr_READDIRPLUS3args, &a, on_readdir,
		r, 0);
}

void fc_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fc_dir *d;

	if (!fc_inode_or_reply(req, ino))
		return;
	if (!(d = calloc(1, sizeof(*d)))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi))
		free(d);
}

void fc_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	readdir(req, ino, size, off, fi, false);
}

void fc_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir(req, ino, size, off, fi, true);
}

void fc_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fc_dir *d = (struct fc_dir *)(uintptr_t)fi->fh;

	(void)ino;
	if (d->have)
		xdr_free((xdrproc_t)xdr_READDIRPLUS3res, (char *)&d->page);
	free(d);
	fuse_reply_err(req, 0);
}
