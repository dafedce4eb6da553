/*
 * attr.c — NFSv3 attributes (RFC 1813 §2.5: fattr3, post_op_attr,
 * post_op_fh3) turned into FUSE answers: struct stat, entries (a new
 * kernel reference in the inode table) and attribute replies with the
 * configured timeouts.
 *
 * When a server leaves optional attributes or handles out (post_op_*
 * with *_follows false, which RFC 1813 allows), one more call (GETATTR or
 * LOOKUP) fetches them; the request is answered from that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fc.h"

static mode_t type_bits(ftype3 t)
{
	switch (t) {
	case NF3REG: return S_IFREG;
	case NF3DIR: return S_IFDIR;
	case NF3BLK: return S_IFBLK;
	case NF3CHR: return S_IFCHR;
	case NF3LNK: return S_IFLNK;
	case NF3SOCK: return S_IFSOCK;
	case NF3FIFO: return S_IFIFO;
	default: return 0;
	}
}

void fc_stat_from_fattr(const fattr3 *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)a->fileid;
	st->st_mode = type_bits(a->type) | (a->mode & 07777);
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)((a->used + 511) / 512);
	st->st_blksize = 65536;
	st->st_rdev = makedev(a->rdev.specdata1, a->rdev.specdata2);
	st->st_atim.tv_sec = a->atime.seconds;
	st->st_atim.tv_nsec = a->atime.nseconds;
	st->st_mtim.tv_sec = a->mtime.seconds;
	st->st_mtim.tv_nsec = a->mtime.nseconds;
	st->st_ctim.tv_sec = a->ctime.seconds;
	st->st_ctim.tv_nsec = a->ctime.nseconds;
}

nfs_fh3 fc_fh(const struct fc_inode *in)
{
	return (nfs_fh3){ { in->fh_len, (char *)in->fh } };
}

struct fc_inode *fc_inode_or_reply(fuse_req_t req, fuse_ino_t ino)
{
	struct fc *fc = fuse_req_userdata(req);
	struct fc_inode *in = fc_inode_get(&fc->itab, ino);

	if (!in)
		fuse_reply_err(req, ESTALE);
	return in;
}

void fc_reply_entry(struct fc *fc, fuse_req_t req, const nfs_fh3 *fh, const fattr3 *attr,
		    struct fuse_file_info *create_fi)
{
	struct fuse_entry_param e = { .attr_timeout = fc->attr_timeout,
				      .entry_timeout = fc->entry_timeout };
	struct fc_inode *in = fc_inode_ref(&fc->itab, attr->fileid, fh);
	int rc;

	if (!in) {
		fuse_reply_err(req, EIO);
		return;
	}
	e.ino = fc_ino_of(&fc->itab, attr->fileid);
	fc_stat_from_fattr(attr, &e.attr);
	rc = create_fi ? fuse_reply_create(req, &e, create_fi) : fuse_reply_entry(req, &e);
	if (rc) /* the kernel did not take the reference (interrupted) */
		fc_inode_forget(&fc->itab, e.ino, 1);
	else if (create_fi)
		fc_silly_opened(fc, in);
}

/* ---- fetching what a result left out ---- */

struct refetch {
	struct fuse_file_info fi;
	bool create;
	uint32_t fh_len;
	uint8_t fh[NFS3_FHSIZE];
};

static void on_refetch_attr(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct refetch *r = c->ctx;
	nfs_fh3 fh = { { r->fh_len, (char *)r->fh } };

	if (err)
		fuse_reply_err(c->req, -err);
	else
		fc_reply_entry(c->fc, c->req, &fh, &res->getattr.GETATTR3res_u.resok.obj_attributes,
			       r->create ? &r->fi : NULL);
	free(r);
}

static void on_refetch_lookup(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct refetch *r = c->ctx;
	LOOKUP3resok *ok = err ? NULL : &res->lookup.LOOKUP3res_u.resok;

	if (!err && !ok->obj_attributes.attributes_follow)
		err = -EIO;
	if (err)
		fuse_reply_err(c->req, -err);
	else
		fc_reply_entry(c->fc, c->req, &ok->object,
			       &ok->obj_attributes.post_op_attr_u.attributes,
			       r->create ? &r->fi : NULL);
	free(r);
}

void fc_reply_new_entry(struct fc_call *c, const post_op_fh3 *fh, const post_op_attr *attr,
			const struct fc_inode *dir, const char *name,
			struct fuse_file_info *create_fi)
{
	struct refetch *r;

	if (fh->handle_follows && attr->attributes_follow) {
		fc_reply_entry(c->fc, c->req, &fh->post_op_fh3_u.handle,
			       &attr->post_op_attr_u.attributes, create_fi);
		return;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		fuse_reply_err(c->req, ENOMEM);
		return;
	}
	if (create_fi) {
		r->fi = *create_fi;
		r->create = true;
	}
	if (fh->handle_follows && fh->post_op_fh3_u.handle.data.data_len <= NFS3_FHSIZE) {
		GETATTR3args a = { fh->post_op_fh3_u.handle };

		r->fh_len = a.object.data.data_len;
		memcpy(r->fh, a.object.data.data_val, r->fh_len);
		fc_call(c->fc, c->req, NFSPROC3_GETATTR, (xdrproc_t)xdr_GETATTR3args, &a,
			on_refetch_attr, r, 0);
	} else if (!dir) {
		free(r);
		fuse_reply_err(c->req, ESTALE);
	} else {
		LOOKUP3args a = { { fc_fh(dir), (char *)name } };

		fc_call(c->fc, c->req, NFSPROC3_LOOKUP, (xdrproc_t)xdr_LOOKUP3args, &a,
			on_refetch_lookup, r, 0);
	}
}

static void on_getattr(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct stat st;

	if (err) {
		fuse_reply_err(c->req, -err);
		return;
	}
	fc_stat_from_fattr(&res->getattr.GETATTR3res_u.resok.obj_attributes, &st);
	fuse_reply_attr(c->req, &st, c->fc->attr_timeout);
}

void fc_reply_attr(struct fc *fc, fuse_req_t req, const post_op_attr *attr,
		   const struct fc_inode *in)
{
	struct stat st;

	if (attr && attr->attributes_follow) {
		fc_stat_from_fattr(&attr->post_op_attr_u.attributes, &st);
		fuse_reply_attr(req, &st, fc->attr_timeout);
		return;
	}
	GETATTR3args a = { fc_fh(in) };

	fc_call(fc, req, NFSPROC3_GETATTR, (xdrproc_t)xdr_GETATTR3args, &a, on_getattr, NULL, 0);
}
