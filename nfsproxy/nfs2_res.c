/*
 * nfs2_res.c — NFSv3 results (RFC 1813) mapped back to NFSv2 results
 * (RFC 1094 §2.2, §2.3): status codes, fattr with 32-bit sizes and file
 * ids (values that do not fit are NFSERR_FBIG, never truncated), handles,
 * READDIR entries with 4-byte cookies, STATFS from FSSTAT.
 *
 * The v3 result is decoded with the rpcgen codec (bounded by nfs3_prot.x)
 * and freed before returning; a v3 success without the attributes v2 needs
 * is NFSERR_IO (the replicas always send them).
 */
#include <stdlib.h>
#include <string.h>

#include "bfs/bytes.h"
#include "bfs/nfs3_res.h"
#include "nfs2_map.h"

#define V2_BLOCK 8192u /* the fs block size (doc/fs.md), v2 blocksize/bsize */

/* RFC 1094 §2.3.1 has a subset of RFC 1813's codes (same numbers). */
static uint32_t status2(nfsstat3 s)
{
	switch (s) {
	case NFS3_OK: case NFS3ERR_PERM: case NFS3ERR_NOENT: case NFS3ERR_IO:
	case NFS3ERR_NXIO: case NFS3ERR_ACCES: case NFS3ERR_EXIST: case NFS3ERR_NODEV:
	case NFS3ERR_NOTDIR: case NFS3ERR_ISDIR: case NFS3ERR_FBIG: case NFS3ERR_NOSPC:
	case NFS3ERR_ROFS: case NFS3ERR_NAMETOOLONG: case NFS3ERR_NOTEMPTY:
	case NFS3ERR_DQUOT: case NFS3ERR_STALE:
		return (uint32_t)s;
	case NFS3ERR_BADHANDLE:
		return NFSERR_STALE;
	default:
		return NFSERR_IO;
	}
}

static ftype type2(ftype3 t)
{
	switch (t) {
	case NF3REG: return NFREG;
	case NF3DIR: return NFDIR;
	case NF3BLK: return NFBLK;
	case NF3CHR: return NFCHR;
	case NF3LNK: return NFLNK;
	default: return NFNON;
	}
}

static uint32_t type_bits(ftype3 t)
{
	switch (t) {
	case NF3REG: return 0100000;
	case NF3DIR: return 0040000;
	case NF3BLK: return 0060000;
	case NF3CHR: return 0020000;
	case NF3LNK: return 0120000;
	case NF3SOCK: return 0140000;
	case NF3FIFO: return 0010000;
	default: return 0;
	}
}

/* NFS_OK, NFSERR_IO (no attributes) or NFSERR_FBIG (does not fit). */
static uint32_t fattr2(const post_op_attr *p, fattr *o)
{
	const fattr3 *a = &p->post_op_attr_u.attributes;

	if (!p->attributes_follow)
		return NFSERR_IO;
	if (a->size > UINT32_MAX || a->fileid > UINT32_MAX)
		return NFSERR_FBIG;
	memset(o, 0, sizeof(*o));
	o->type = type2(a->type);
	o->mode = type_bits(a->type) | (a->mode & 07777);
	o->nlink = a->nlink;
	o->uid = a->uid;
	o->gid = a->gid;
	o->size = (u_int)a->size;
	o->blocksize = V2_BLOCK;
	o->rdev = (a->rdev.specdata1 & 0xfffu) << 8 | (a->rdev.specdata2 & 0xffu);
	o->blocks = (u_int)((a->used + V2_BLOCK - 1) / V2_BLOCK);
	o->fsid = (u_int)a->fsid;
	o->fileid = (u_int)a->fileid;
	o->atime = (nfstime){ a->atime.seconds, a->atime.nseconds / 1000u };
	o->mtime = (nfstime){ a->mtime.seconds, a->mtime.nseconds / 1000u };
	o->ctime = (nfstime){ a->ctime.seconds, a->ctime.nseconds / 1000u };
	return NFS_OK;
}

static void reply_status(struct nfsp_call *c, uint32_t st)
{
	uint8_t w[4];

	bfs_put_be32(w, st);
	nfsp_reply(c, w, 4);
}

static void reply_attrstat(struct nfsp_call *c, nfsstat3 st, const post_op_attr *p)
{
	attrstat r = { .status = NFS_OK };
	uint32_t s2 = st == NFS3_OK ? fattr2(p, &r.attrstat_u.attributes) : status2(st);

	if (s2 != NFS_OK)
		reply_status(c, s2);
	else
		nfsp_reply_xdr(c, (xdrproc_t)xdr_attrstat, &r);
}

static void reply_diropres(struct nfsp_call *c, nfsstat3 st, const nfs_fh3 *fh,
			   const post_op_attr *p)
{
	diropres r = { .status = NFS_OK };
	uint32_t s2 = status2(st);

	if (s2 == NFS_OK && (!fh || !nfsp_fh3to2(fh->data.data_val, fh->data.data_len,
						  r.diropres_u.diropres.file.data)))
		s2 = NFSERR_IO;
	if (s2 == NFS_OK)
		s2 = fattr2(p, &r.diropres_u.diropres.attributes);
	if (s2 != NFS_OK)
		reply_status(c, s2);
	else
		nfsp_reply_xdr(c, (xdrproc_t)xdr_diropres, &r);
}

static const nfs_fh3 *post_fh(const post_op_fh3 *p)
{
	return p->handle_follows ? &p->post_op_fh3_u.handle : NULL;
}

static void reply_read(struct nfsp_call *c, READ3res *r3)
{
	readres r = { .status = NFS_OK };
	READ3resok *ok = &r3->READ3res_u.resok;
	uint32_t s2 = status2(r3->status);

	if (s2 == NFS_OK && ok->data.data_len > NFS_MAXDATA)
		s2 = NFSERR_IO;
	if (s2 == NFS_OK)
		s2 = fattr2(&ok->file_attributes, &r.readres_u.reply.attributes);
	if (s2 != NFS_OK) {
		reply_status(c, s2);
		return;
	}
	r.readres_u.reply.data.data_len = ok->data.data_len;
	r.readres_u.reply.data.data_val = ok->data.data_val;
	nfsp_reply_xdr(c, (xdrproc_t)xdr_readres, &r);
}

static void reply_readlink(struct nfsp_call *c, READLINK3res *r3)
{
	readlinkres r = { .status = NFS_OK };

	if (r3->status != NFS3_OK) {
		reply_status(c, status2(r3->status));
		return;
	}
	r.readlinkres_u.data = r3->READLINK3res_u.resok.data;
	nfsp_reply_xdr(c, (xdrproc_t)xdr_readlinkres, &r);
}

static void reply_readdir(struct nfsp_call *c, READDIR3res *r3)
{
	readdirres r = { .status = NFS_OK };
	entry *v2 = NULL;
	entry3 *e;
	size_t n = 0, i = 0;

	if (r3->status != NFS3_OK) {
		reply_status(c, status2(r3->status));
		return;
	}
	for (e = r3->READDIR3res_u.resok.reply.entries; e; e = e->nextentry)
		n++;
	if (n && !(v2 = calloc(n, sizeof(*v2)))) {
		reply_status(c, NFSERR_IO);
		return;
	}
	for (e = r3->READDIR3res_u.resok.reply.entries; e; e = e->nextentry, i++) {
		if (e->fileid > UINT32_MAX || e->cookie > UINT32_MAX) {
			free(v2);
			reply_status(c, NFSERR_FBIG);
			return;
		}
		v2[i].fileid = (u_int)e->fileid;
		v2[i].name = e->name;
		bfs_put_be32((uint8_t *)v2[i].cookie, (uint32_t)e->cookie);
		v2[i].nextentry = i + 1 < n ? &v2[i + 1] : NULL;
	}
	r.readdirres_u.reply.entries = v2;
	r.readdirres_u.reply.eof = r3->READDIR3res_u.resok.reply.eof;
	nfsp_reply_xdr(c, (xdrproc_t)xdr_readdirres, &r);
	free(v2);
}

static u_int blocks32(uint64_t bytes)
{
	uint64_t b = bytes / V2_BLOCK;

	return b > UINT32_MAX ? UINT32_MAX : (u_int)b;
}

static void reply_statfs(struct nfsp_call *c, FSSTAT3res *r3)
{
	statfsres r = { .status = NFS_OK };
	FSSTAT3resok *ok = &r3->FSSTAT3res_u.resok;

	if (r3->status != NFS3_OK) {
		reply_status(c, status2(r3->status));
		return;
	}
	r.statfsres_u.reply = (statfsokres){ .tsize = NFS_MAXDATA, .bsize = V2_BLOCK,
					     .blocks = blocks32(ok->tbytes),
					     .bfree = blocks32(ok->fbytes),
					     .bavail = blocks32(ok->abytes) };
	nfsp_reply_xdr(c, (xdrproc_t)xdr_statfsres, &r);
}

static void map(struct nfsp_call *c, union bfs_nfs3_res *r)
{
	switch (c->proc) {
	case NFSPROC_GETATTR:
		reply_attrstat(c, r->getattr.status, &(post_op_attr){
			TRUE, { r->getattr.GETATTR3res_u.resok.obj_attributes } });
		break;
	case NFSPROC_SETATTR:
		reply_attrstat(c, r->setattr.status, &r->setattr.SETATTR3res_u.resok.obj_wcc.after);
		break;
	case NFSPROC_WRITE:
		reply_attrstat(c, r->write.status, &r->write.WRITE3res_u.resok.file_wcc.after);
		break;
	case NFSPROC_LOOKUP:
		reply_diropres(c, r->lookup.status, &r->lookup.LOOKUP3res_u.resok.object,
			       &r->lookup.LOOKUP3res_u.resok.obj_attributes);
		break;
	case NFSPROC_CREATE:
		reply_diropres(c, r->create.status, post_fh(&r->create.CREATE3res_u.resok.obj),
			       &r->create.CREATE3res_u.resok.obj_attributes);
		break;
	case NFSPROC_MKDIR:
		reply_diropres(c, r->mkdir.status, post_fh(&r->mkdir.MKDIR3res_u.resok.obj),
			       &r->mkdir.MKDIR3res_u.resok.obj_attributes);
		break;
	case NFSPROC_READLINK:
		reply_readlink(c, &r->readlink);
		break;
	case NFSPROC_READ:
		reply_read(c, &r->read);
		break;
	case NFSPROC_READDIR:
		reply_readdir(c, &r->readdir);
		break;
	case NFSPROC_STATFS:
		reply_statfs(c, &r->fsstat);
		break;
	default: /* REMOVE RENAME LINK SYMLINK RMDIR: the status is the result;
		  * every v3 result starts with it */
		reply_status(c, status2(r->getattr.status));
		break;
	}
}

static xdrproc_t res_codec(uint32_t proc2)
{
	switch (proc2) {
	case NFSPROC_GETATTR: return (xdrproc_t)xdr_GETATTR3res;
	case NFSPROC_SETATTR: return (xdrproc_t)xdr_SETATTR3res;
	case NFSPROC_LOOKUP: return (xdrproc_t)xdr_LOOKUP3res;
	case NFSPROC_READLINK: return (xdrproc_t)xdr_READLINK3res;
	case NFSPROC_READ: return (xdrproc_t)xdr_READ3res;
	case NFSPROC_WRITE: return (xdrproc_t)xdr_WRITE3res;
	case NFSPROC_CREATE: return (xdrproc_t)xdr_CREATE3res;
	case NFSPROC_REMOVE: return (xdrproc_t)xdr_REMOVE3res;
	case NFSPROC_RENAME: return (xdrproc_t)xdr_RENAME3res;
	case NFSPROC_LINK: return (xdrproc_t)xdr_LINK3res;
	case NFSPROC_SYMLINK: return (xdrproc_t)xdr_SYMLINK3res;
	case NFSPROC_MKDIR: return (xdrproc_t)xdr_MKDIR3res;
	case NFSPROC_RMDIR: return (xdrproc_t)xdr_RMDIR3res;
	case NFSPROC_READDIR: return (xdrproc_t)xdr_READDIR3res;
	case NFSPROC_STATFS: return (xdrproc_t)xdr_FSSTAT3res;
	default: return NULL;
	}
}

void nfsp_nfs2_result(struct nfsp_call *c, int status, uint32_t accept,
		      const uint8_t *res, uint32_t len)
{
	xdrproc_t codec = res_codec(c->proc);
	union bfs_nfs3_res r;
	bool_t ok;
	XDR x;

	(void)status;
	(void)accept;
	memset(&r, 0, sizeof(r));
	xdrmem_create(&x, (char *)res, len, XDR_DECODE);
	ok = codec && codec(&x, &r);
	xdr_destroy(&x);
	if (!ok) {
		bft_logf(c->srv->log, BFT_LOG_ERROR, "nfsproxy: cannot decode the cluster's "
			 "NFSv3 result for v2 procedure %u", c->proc);
		reply_status(c, NFSERR_IO);
	} else {
		map(c, &r);
	}
	if (codec)
		xdr_free(codec, (char *)&r);
}
