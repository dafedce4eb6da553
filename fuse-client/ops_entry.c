/*
 * ops_entry.c — bfs-mount's FUSE operations on names and attributes, each
 * one NFSv3 call (RFC 1813 §3.3): lookup (LOOKUP), forget, getattr
 * (GETATTR), setattr (SETATTR, §3.3.2: server time for UTIME_NOW), readlink
 * (READLINK), mknod (CREATE or MKNOD), mkdir (MKDIR), rmdir (RMDIR),
 * symlink (SYMLINK), link (LINK), create
 * (CREATE, GUARDED for O_EXCL), access (ACCESS) and statfs (FSSTAT);
 * unlink and rename are in silly.c.
 *
 * Every request is answered from its call's completion (fc_call), never
 * by waiting. Names come from the kernel (at most NAME_MAX bytes); the
 * server validates them again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "fc.h"

#define FSSTAT_BSIZE 4096u

static struct fc *fc_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void reply_status(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	(void)res;
	fuse_reply_err(c->req, -err);
}

/* ---- lookup, forget, getattr ---- */

static void on_lookup(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	LOOKUP3resok *ok;

	if (err == -ENOENT && c->fc->entry_timeout > 0) {
		struct fuse_entry_param e = { .entry_timeout = c->fc->entry_timeout };

		fuse_reply_entry(c->req, &e); /* a negative entry, cached */
		return;
	}
	if (err) {
		fuse_reply_err(c->req, -err);
		return;
	}
	ok = &res->lookup.LOOKUP3res_u.resok;
	if (ok->obj_attributes.attributes_follow) {
		fc_reply_entry(c->fc, c->req, &ok->object,
			       &ok->obj_attributes.post_op_attr_u.attributes, NULL);
		return;
	}
	post_op_fh3 fh = { TRUE, { ok->object } };
	fc_reply_new_entry(c, &fh, &ok->obj_attributes, NULL, NULL, NULL);
}

void fc_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fc_inode *dir = fc_inode_or_reply(req, parent);

	if (!dir)
		return;
	LOOKUP3args a = { { fc_fh(dir), (char *)name } };
	fc_call(fc_of(req), req, NFSPROC3_LOOKUP, (xdrproc_t)xdr_LOOKUP3args, &a, on_lookup,
		NULL, 0);
}

void fc_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fc_inode_forget(&fc_of(req)->itab, ino, nlookup);
	fuse_reply_none(req);
}

void fc_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fc *fc = fc_of(req);

	for (size_t i = 0; i < count; i++)
		fc_inode_forget(&fc->itab, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

void fc_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);

	(void)fi;
	if (in)
		fc_reply_attr(fc_of(req), req, NULL, in);
}

/* ---- setattr ---- */

static void set_time(time_how *how, nfstime3 *t, bool now, bool given,
		     const struct timespec *ts)
{
	if (now) {
		*how = SET_TO_SERVER_TIME;
	} else if (given) {
		*how = SET_TO_CLIENT_TIME;
		t->seconds = (uint32)ts->tv_sec;
		t->nseconds = (uint32)ts->tv_nsec;
	}
}

static void on_setattr(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct fc_inode *in;

	if (err) {
		fuse_reply_err(c->req, -err);
		return;
	}
	in = fc_inode_get(&c->fc->itab, (fuse_ino_t)c->aux);
	if (!in && !res->setattr.SETATTR3res_u.resok.obj_wcc.after.attributes_follow) {
		fuse_reply_err(c->req, ESTALE);
		return;
	}
	fc_reply_attr(c->fc, c->req, &res->setattr.SETATTR3res_u.resok.obj_wcc.after, in);
}

void fc_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		   struct fuse_file_info *fi)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);
	SETATTR3args a;
	sattr3 *s = &a.new_attributes;

	(void)fi;
	if (!in)
		return;
	memset(&a, 0, sizeof(a));
	a.object = fc_fh(in);
	if (to_set & FUSE_SET_ATTR_MODE) {
		s->mode.set_it = TRUE;
		s->mode.set_mode3_u.mode = attr->st_mode & 07777;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		s->uid.set_it = TRUE;
		s->uid.set_uid3_u.uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		s->gid.set_it = TRUE;
		s->gid.set_gid3_u.gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		s->size.set_it = TRUE;
		s->size.set_size3_u.size = (uint64)attr->st_size;
	}
	set_time(&s->atime.set_it, &s->atime.set_atime_u.atime,
		 to_set & FUSE_SET_ATTR_ATIME_NOW, to_set & FUSE_SET_ATTR_ATIME, &attr->st_atim);
	set_time(&s->mtime.set_it, &s->mtime.set_mtime_u.mtime,
		 to_set & FUSE_SET_ATTR_MTIME_NOW, to_set & FUSE_SET_ATTR_MTIME, &attr->st_mtim);
	fc_call(fc_of(req), req, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a, on_setattr,
		NULL, ino);
}

/* ---- readlink ---- */

static void on_readlink(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	if (err)
		fuse_reply_err(c->req, -err);
	else
		fuse_reply_readlink(c->req, res->readlink.READLINK3res_u.resok.data);
}

void fc_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);

	if (!in)
		return;
	READLINK3args a = { fc_fh(in) };
	fc_call(fc_of(req), req, NFSPROC3_READLINK, (xdrproc_t)xdr_READLINK3args, &a,
		on_readlink, NULL, 0);
}

/* ---- creating names: the parent and name are kept for a LOOKUP in case
 * the server's result leaves the new object's handle or attributes out ---- */

struct newname {
	fuse_ino_t parent;
	struct fuse_file_info fi;
	bool create;
	char name[];
};

static struct newname *newname(fuse_req_t req, fuse_ino_t parent, const char *name,
			       const struct fuse_file_info *fi)
{
	size_t n = strlen(name);
	struct newname *nn = malloc(sizeof(*nn) + n + 1);

	if (!nn) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	nn->parent = parent;
	nn->create = fi != NULL;
	if (fi)
		nn->fi = *fi;
	memcpy(nn->name, name, n + 1);
	return nn;
}

/* CREATE, MKDIR, SYMLINK and MKNOD results share one resok layout:
 * obj, obj_attributes, dir_wcc (RFC 1813 §3.3.8-3.3.11). */
static void on_new(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct newname *nn = c->ctx;
	const CREATE3resok *ok = err ? NULL : &res->create.CREATE3res_u.resok;
	struct fc_inode *dir;

	if (err) {
		fuse_reply_err(c->req, -err);
	} else if (!(dir = fc_inode_get(&c->fc->itab, nn->parent)) &&
		   !(ok->obj.handle_follows && ok->obj_attributes.attributes_follow)) {
		fuse_reply_err(c->req, ESTALE);
	} else {
		fc_reply_new_entry(c, &ok->obj, &ok->obj_attributes, dir, nn->name,
				   nn->create ? &nn->fi : NULL);
	}
	free(nn);
}

static void mode_attr(sattr3 *s, mode_t mode)
{
	memset(s, 0, sizeof(*s));
	s->mode.set_it = TRUE;
	s->mode.set_mode3_u.mode = mode & 07777;
}

static void create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   bool exclusive, struct fuse_file_info *fi)
{
	struct fc_inode *dir = fc_inode_or_reply(req, parent);
	struct newname *nn;
	CREATE3args a;

	if (!dir || !(nn = newname(req, parent, name, fi)))
		return;
	memset(&a, 0, sizeof(a));
	a.where.dir = fc_fh(dir);
	a.where.name = (char *)name;
	a.how.mode = exclusive ? GUARDED : UNCHECKED;
	mode_attr(&a.how.createhow3_u.obj_attributes, mode);
	fc_call(fc_of(req), req, NFSPROC3_CREATE, (xdrproc_t)xdr_CREATE3args, &a, on_new, nn, 0);
}

void fc_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		  struct fuse_file_info *fi)
{
	create(req, parent, name, mode, fi->flags & O_EXCL, fi);
}

void fc_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		 dev_t rdev)
{
	struct fc_inode *dir;
	struct newname *nn;
	MKNOD3args a;

	if (S_ISREG(mode)) {
		create(req, parent, name, mode, true, NULL);
		return;
	}
	if (!(dir = fc_inode_or_reply(req, parent)) || !(nn = newname(req, parent, name, NULL)))
		return;
	memset(&a, 0, sizeof(a));
	a.where.dir = fc_fh(dir);
	a.where.name = (char *)name;
	switch (mode & S_IFMT) {
	case S_IFCHR:
	case S_IFBLK:
		a.what.type = S_ISCHR(mode) ? NF3CHR : NF3BLK;
		mode_attr(&a.what.mknoddata3_u.device.dev_attributes, mode);
		a.what.mknoddata3_u.device.spec.specdata1 = major(rdev);
		a.what.mknoddata3_u.device.spec.specdata2 = minor(rdev);
		break;
	case S_IFIFO:
	case S_IFSOCK:
		a.what.type = S_ISFIFO(mode) ? NF3FIFO : NF3SOCK;
		mode_attr(&a.what.mknoddata3_u.pipe_attributes, mode);
		break;
	default:
		free(nn);
		fuse_reply_err(req, EINVAL);
		return;
	}
	fc_call(fc_of(req), req, NFSPROC3_MKNOD, (xdrproc_t)xdr_MKNOD3args, &a, on_new, nn, 0);
}

void fc_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fc_inode *dir = fc_inode_or_reply(req, parent);
	struct newname *nn;
	MKDIR3args a;

	if (!dir || !(nn = newname(req, parent, name, NULL)))
		return;
	a.where.dir = fc_fh(dir);
	a.where.name = (char *)name;
	mode_attr(&a.attributes, mode);
	fc_call(fc_of(req), req, NFSPROC3_MKDIR, (xdrproc_t)xdr_MKDIR3args, &a, on_new, nn, 0);
}

void fc_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct fc_inode *dir = fc_inode_or_reply(req, parent);
	struct newname *nn;
	SYMLINK3args a;

	if (!dir || !(nn = newname(req, parent, name, NULL)))
		return;
	a.where.dir = fc_fh(dir);
	a.where.name = (char *)name;
	mode_attr(&a.symlink.symlink_attributes, 0777);
	a.symlink.symlink_data = (char *)link;
	fc_call(fc_of(req), req, NFSPROC3_SYMLINK, (xdrproc_t)xdr_SYMLINK3args, &a, on_new, nn,
		0);
}

/* ---- removing (unlink and rename: silly.c) ---- */

void fc_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fc_inode *dir = fc_inode_or_reply(req, parent);

	if (!dir)
		return;
	RMDIR3args a = { { fc_fh(dir), (char *)name } };
	fc_call(fc_of(req), req, NFSPROC3_RMDIR, (xdrproc_t)xdr_RMDIR3args, &a, reply_status,
		NULL, 0);
}

static void on_link(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct fc_inode *in;

	if (err) {
		fuse_reply_err(c->req, -err);
		return;
	}
	if (!(in = fc_inode_get(&c->fc->itab, (fuse_ino_t)c->aux))) {
		fuse_reply_err(c->req, ESTALE);
		return;
	}
	post_op_fh3 fh = { TRUE, { fc_fh(in) } };
	fc_reply_new_entry(c, &fh, &res->link.LINK3res_u.resok.file_attributes, NULL, NULL,
			   NULL);
}

void fc_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fc_inode *in, *dir;

	if (!(in = fc_inode_or_reply(req, ino)) || !(dir = fc_inode_or_reply(req, newparent)))
		return;
	LINK3args a = { fc_fh(in), { fc_fh(dir), (char *)newname } };
	fc_call(fc_of(req), req, NFSPROC3_LINK, (xdrproc_t)xdr_LINK3args, &a, on_link, NULL, ino);
}

/* ---- access, statfs ---- */

static void on_access(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	uint32_t want = (uint32_t)c->aux, got;

	if (err) {
		fuse_reply_err(c->req, -err);
		return;
	}
	got = res->access.ACCESS3res_u.resok.access;
	/* X_OK asked for EXECUTE and LOOKUP: either one answers it */
	if ((want & (ACCESS3_EXECUTE | ACCESS3_LOOKUP)) && (got & (ACCESS3_EXECUTE | ACCESS3_LOOKUP)))
		got |= ACCESS3_EXECUTE | ACCESS3_LOOKUP;
	fuse_reply_err(c->req, (got & want) == want ? 0 : EACCES);
}

/* ACCESS3 bits (RFC 1813 §3.3.4) for an access(2) mask or open flags. */
static uint32_t access_bits(int mask)
{
	uint32_t bits = 0;

	if (mask & R_OK)
		bits |= ACCESS3_READ;
	if (mask & W_OK)
		bits |= ACCESS3_MODIFY;
	if (mask & X_OK)
		bits |= ACCESS3_EXECUTE | ACCESS3_LOOKUP;
	return bits;
}

void fc_access_check(fuse_req_t req, const struct fc_inode *in, int mask, fc_done_fn done,
		     void *ctx)
{
	uint32_t bits = access_bits(mask);
	ACCESS3args a = { fc_fh(in), bits ? bits : ACCESS3_READ };

	fc_call(fc_of(req), req, NFSPROC3_ACCESS, (xdrproc_t)xdr_ACCESS3args, &a,
		done ? done : on_access, ctx, bits);
}

void fc_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);

	if (in)
		fc_access_check(req, in, mask, NULL, NULL);
}

static void on_statfs(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	const FSSTAT3resok *ok = &res->fsstat.FSSTAT3res_u.resok;
	struct statvfs sv;

	if (err) {
		fuse_reply_err(c->req, -err);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = FSSTAT_BSIZE;
	sv.f_blocks = ok->tbytes / FSSTAT_BSIZE;
	sv.f_bfree = ok->fbytes / FSSTAT_BSIZE;
	sv.f_bavail = ok->abytes / FSSTAT_BSIZE;
	sv.f_files = ok->tfiles;
	sv.f_ffree = ok->ffiles;
	sv.f_favail = ok->afiles;
	sv.f_namemax = 255;
	fuse_reply_statfs(c->req, &sv);
}

void fc_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fc_inode *in = fc_inode_or_reply(req, ino);

	if (!in)
		return;
	FSSTAT3args a = { fc_fh(in) };
	fc_call(fc_of(req), req, NFSPROC3_FSSTAT, (xdrproc_t)xdr_FSSTAT3args, &a, on_statfs,
		NULL, 0);
}
