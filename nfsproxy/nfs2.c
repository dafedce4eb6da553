/*
 * nfs2.c — NFS version 2 (RFC 1094) through nfsproxy: each v2 call is
 * mapped onto the NFSv3 operation (RFC 1813) the replicas execute, and the
 * v3 result is mapped back (nfs2_res.c). NULL, ROOT and WRITECACHE (both
 * obsolete, §2.2.4, §2.2.8) are answered here.
 *
 * 32-bit limits are checked, never wrapped: a WRITE past 4 GiB is
 * NFSERR_FBIG; sizes and file ids that do not fit v2's 32 bits are
 * NFSERR_FBIG (nfs2_res.c). A v2 handle is the v3 handle prefixed with its
 * length, zero-padded to 32 bytes (a v2 handle with a bad length is
 * NFSERR_STALE). v2 sattr fields of -1 are left unchanged; a time with
 * useconds = 1000000 means "set to the server's time" (the convention of
 * Linux and Solaris v2 clients).
 */
#include <string.h>

#include "nfs2_prot.h"
#include "nfs3_prot.h"
#include "nfsp.h"
#include "nfs2_map.h"

#define NOT_SET 0xffffffffu

union v2args {
	nfs_fh fh;
	sattrargs sattr;
	diropargs dirop;
	readargs read;
	writeargs write;
	createargs create;
	renameargs rename;
	linkargs link;
	symlinkargs symlink;
	readdirargs readdir;
};

bool nfsp_fh2to3(const nfs_fh *in, nfs_fh3 *out)
{
	uint8_t n = (uint8_t)in->data[0];

	if (n == 0 || n >= NFS_FHSIZE)
		return false;
	out->data.data_len = n;
	out->data.data_val = (char *)in->data + 1;
	return true;
}

bool nfsp_fh3to2(const char *fh3, uint32_t len, char out[NFS_FHSIZE])
{
	if (len == 0 || len >= NFS_FHSIZE)
		return false;
	memset(out, 0, NFS_FHSIZE);
	out[0] = (char)len;
	memcpy(out + 1, fh3, len);
	return true;
}

static void time2to3(const nfstime *t, time_how *how, nfstime3 *out)
{
	if (t->seconds == NOT_SET) {
		*how = DONT_CHANGE;
	} else if (t->useconds >= 1000000u) {
		*how = SET_TO_SERVER_TIME;
	} else {
		*how = SET_TO_CLIENT_TIME;
		out->seconds = t->seconds;
		out->nseconds = t->useconds * 1000u;
	}
}

static void sattr2to3(const sattr *in, sattr3 *o)
{
	memset(o, 0, sizeof(*o));
	if (in->mode != NOT_SET) {
		o->mode.set_it = TRUE;
		o->mode.set_mode3_u.mode = in->mode & 07777;
	}
	if (in->uid != NOT_SET) {
		o->uid.set_it = TRUE;
		o->uid.set_uid3_u.uid = in->uid;
	}
	if (in->gid != NOT_SET) {
		o->gid.set_it = TRUE;
		o->gid.set_gid3_u.gid = in->gid;
	}
	if (in->size != NOT_SET) {
		o->size.set_it = TRUE;
		o->size.set_size3_u.size = in->size;
	}
	time2to3(&in->atime, &o->atime.set_it, &o->atime.set_atime_u.atime);
	time2to3(&in->mtime, &o->mtime.set_it, &o->mtime.set_mtime_u.mtime);
}

static bool dirop2to3(const diropargs *in, diropargs3 *o)
{
	o->name = in->name;
	return nfsp_fh2to3(&in->dir, &o->dir);
}

/* Fill the v3 arguments of v2 procedure proc; 0 or the v2 error to reply. */
static uint32_t to_v3(uint32_t proc, union v2args *a, union nfsp_v3args *b)
{
	bool ok = true;

	memset(b, 0, sizeof(*b));
	switch (proc) {
	case NFSPROC_GETATTR:
	case NFSPROC_STATFS: /* GETATTR3args and FSSTAT3args: one handle */
	case NFSPROC_READLINK:
		ok = nfsp_fh2to3(&a->fh, &b->getattr.object);
		break;
	case NFSPROC_SETATTR:
		sattr2to3(&a->sattr.attributes, &b->setattr.new_attributes);
		ok = nfsp_fh2to3(&a->sattr.file, &b->setattr.object);
		break;
	case NFSPROC_LOOKUP:
	case NFSPROC_REMOVE:
	case NFSPROC_RMDIR: /* LOOKUP3args, REMOVE3args, RMDIR3args: a diropargs3 */
		ok = dirop2to3(&a->dirop, &b->lookup.what);
		break;
	case NFSPROC_READ:
		b->read.offset = a->read.offset;
		b->read.count = a->read.count < NFS_MAXDATA ? a->read.count : NFS_MAXDATA;
		ok = nfsp_fh2to3(&a->read.file, &b->read.file);
		break;
	case NFSPROC_WRITE:
		if ((uint64_t)a->write.offset + a->write.data.data_len > UINT32_MAX)
			return NFSERR_FBIG;
		b->write.offset = a->write.offset;
		b->write.count = a->write.data.data_len;
		b->write.stable = FILE_SYNC;
		b->write.data.data_len = a->write.data.data_len;
		b->write.data.data_val = a->write.data.data_val;
		ok = nfsp_fh2to3(&a->write.file, &b->write.file);
		break;
	case NFSPROC_CREATE:
		b->create.how.mode = UNCHECKED;
		sattr2to3(&a->create.attributes, &b->create.how.createhow3_u.obj_attributes);
		ok = dirop2to3(&a->create.where, &b->create.where);
		break;
	case NFSPROC_MKDIR:
		sattr2to3(&a->create.attributes, &b->mkdir.attributes);
		b->mkdir.attributes.size.set_it = FALSE;
		ok = dirop2to3(&a->create.where, &b->mkdir.where);
		break;
	case NFSPROC_SYMLINK:
		sattr2to3(&a->symlink.attributes, &b->symlink.symlink.symlink_attributes);
		b->symlink.symlink.symlink_data = a->symlink.to;
		ok = dirop2to3(&a->symlink.from, &b->symlink.where);
		break;
	case NFSPROC_LINK:
		ok = nfsp_fh2to3(&a->link.from, &b->link.file) &&
		     dirop2to3(&a->link.to, &b->link.link);
		break;
	case NFSPROC_RENAME:
		ok = dirop2to3(&a->rename.from, &b->rename.from) &&
		     dirop2to3(&a->rename.to, &b->rename.to);
		break;
	case NFSPROC_READDIR: {
		const uint8_t *k = (const uint8_t *)a->readdir.cookie;

		b->readdir.cookie = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
				    (uint32_t)k[2] << 8 | k[3];
		b->readdir.count = a->readdir.count < NFS_MAXDATA ? a->readdir.count
								  : NFS_MAXDATA;
		ok = nfsp_fh2to3(&a->readdir.dir, &b->readdir.dir);
		break;
	}
	default:
		break;
	}
	return ok ? NFS_OK : NFSERR_STALE;
}

/* RFC 1094 §2.2: argument decoder and v3 procedure of each v2 procedure. */
static const struct {
	xdrproc_t xdr_args;
	uint32_t proc3;
	xdrproc_t xdr_args3;
} procs[] = {
	[NFSPROC_GETATTR] = { (xdrproc_t)xdr_nfs_fh, NFSPROC3_GETATTR,
			      (xdrproc_t)xdr_GETATTR3args },
	[NFSPROC_SETATTR] = { (xdrproc_t)xdr_sattrargs, NFSPROC3_SETATTR,
			      (xdrproc_t)xdr_SETATTR3args },
	[NFSPROC_LOOKUP] = { (xdrproc_t)xdr_diropargs, NFSPROC3_LOOKUP,
			     (xdrproc_t)xdr_LOOKUP3args },
	[NFSPROC_READLINK] = { (xdrproc_t)xdr_nfs_fh, NFSPROC3_READLINK,
			       (xdrproc_t)xdr_READLINK3args },
	[NFSPROC_READ] = { (xdrproc_t)xdr_readargs, NFSPROC3_READ, (xdrproc_t)xdr_READ3args },
	[NFSPROC_WRITE] = { (xdrproc_t)xdr_writeargs, NFSPROC3_WRITE,
			    (xdrproc_t)xdr_WRITE3args },
	[NFSPROC_CREATE] = { (xdrproc_t)xdr_createargs, NFSPROC3_CREATE,
			     (xdrproc_t)xdr_CREATE3args },
	[NFSPROC_REMOVE] = { (xdrproc_t)xdr_diropargs, NFSPROC3_REMOVE,
			     (xdrproc_t)xdr_REMOVE3args },
	[NFSPROC_RENAME] = { (xdrproc_t)xdr_renameargs, NFSPROC3_RENAME,
			     (xdrproc_t)xdr_RENAME3args },
	[NFSPROC_LINK] = { (xdrproc_t)xdr_linkargs, NFSPROC3_LINK, (xdrproc_t)xdr_LINK3args },
	[NFSPROC_SYMLINK] = { (xdrproc_t)xdr_symlinkargs, NFSPROC3_SYMLINK,
			      (xdrproc_t)xdr_SYMLINK3args },
	[NFSPROC_MKDIR] = { (xdrproc_t)xdr_createargs, NFSPROC3_MKDIR,
			    (xdrproc_t)xdr_MKDIR3args },
	[NFSPROC_RMDIR] = { (xdrproc_t)xdr_diropargs, NFSPROC3_RMDIR,
			    (xdrproc_t)xdr_RMDIR3args },
	[NFSPROC_READDIR] = { (xdrproc_t)xdr_readdirargs, NFSPROC3_READDIR,
			      (xdrproc_t)xdr_READDIR3args },
	[NFSPROC_STATFS] = { (xdrproc_t)xdr_nfs_fh, NFSPROC3_FSSTAT,
			     (xdrproc_t)xdr_FSSTAT3args },
};

static void reply_status(struct nfsp_call *c, uint32_t st)
{
	uint8_t w[4] = { (uint8_t)(st >> 24), (uint8_t)(st >> 16), (uint8_t)(st >> 8),
			 (uint8_t)st };

	nfsp_reply(c, w, 4);
}

void nfsp_nfs2_call(struct nfsp_call *c)
{
	union v2args a;
	union nfsp_v3args b;
	uint32_t st;
	bool busy, sent;
	XDR x;

	if (c->proc == NFSPROC_NULL || c->proc == NFSPROC_ROOT ||
	    c->proc == NFSPROC_WRITECACHE) {
		nfsp_reply(c, NULL, 0);
		return;
	}
	if (c->proc >= sizeof(procs) / sizeof(procs[0]) || !procs[c->proc].xdr_args) {
		nfsp_reply_accept(c, RPC_ACC_PROC_UNAVAIL);
		return;
	}
	if (c->exp->read_only && !bfs_op_proc_read_only(procs[c->proc].proc3,
							BFS_ATIME_RELAXED)) {
		reply_status(c, NFSERR_ROFS);
		return;
	}
	memset(&a, 0, sizeof(a));
	xdrmem_create(&x, (char *)c->args, c->args_len, XDR_DECODE);
	if (!procs[c->proc].xdr_args(&x, &a) || xdr_getpos(&x) != c->args_len) {
		xdr_destroy(&x);
		xdr_free(procs[c->proc].xdr_args, (char *)&a);
		nfsp_reply_accept(c, RPC_ACC_GARBAGE_ARGS);
		return;
	}
	xdr_destroy(&x);
	st = to_v3(c->proc, &a, &b);
	sent = st == NFS_OK && nfsp_relay(c, procs[c->proc].proc3, procs[c->proc].xdr_args3,
					  &b, NULL, 0, nfsp_nfs2_result, &busy);
	xdr_free(procs[c->proc].xdr_args, (char *)&a);
	if (st != NFS_OK)
		reply_status(c, st);
	else if (!sent && busy)
		nfsp_call_free(c); /* v2 has no "try later": the client retransmits */
	else if (!sent)
		reply_status(c, NFSERR_IO);
}
