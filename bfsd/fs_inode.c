/*
 * fs_inode.c — inodes: lookup by number or file handle, allocation and
 * release, and their NFSv3 views (fattr3 RFC 1813 §2.3.8, wcc data §2.6,
 * file handles §2.3.3).
 *
 * A BFS file handle is BFS_FS_FH_LEN bytes: "BF", handle version 1, 0,
 * inode number (u64 LE), generation (u32 LE) — derived from replicated
 * state only, never from pointers or the host's inode numbers. A handle
 * whose inode is gone or carries another generation is NFS3ERR_STALE;
 * one that is not a BFS handle at all is NFS3ERR_BADHANDLE.
 *
 * Never reads a clock: times come from the request's batch time.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

#define FH_VERSION 1u

void bfs_fh_encode(uint64_t ino, uint32_t gen, uint8_t out[BFS_FS_FH_LEN])
{
	out[0] = 'B';
	out[1] = 'F';
	out[2] = FH_VERSION;
	out[3] = 0;
	bfs_put_le64(out + 4, ino);
	bfs_put_le32(out + 12, gen);
}

int bfs_fh_make(struct bfs_req *r, const struct bfs_inode *in, nfs_fh3 *fh)
{
	uint8_t *p = bfs_req_alloc(r, BFS_FS_FH_LEN);
	if (p == NULL)
		return NFS3ERR_SERVERFAULT;
	bfs_fh_encode(in->ino, in->gen, p);
	fh->data.data_len = BFS_FS_FH_LEN;
	fh->data.data_val = (char *)p;
	return 0;
}

int bfs_post_fh(struct bfs_req *r, const struct bfs_inode *in, post_op_fh3 *p)
{
	p->handle_follows = TRUE;
	return bfs_fh_make(r, in, &p->post_op_fh3_u.handle);
}

int bfs_inode_get(struct bfs_req *r, uint64_t ino, struct bfs_inode *in)
{
	uint8_t key[8];
	bfs_put_be64(key, ino);
	MDB_val v;
	bool found;
	int rc = bfs_store_get(r->fs, r->txn, BFS_DB_INODES, key, sizeof(key), &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (!found)
		return NFS3ERR_STALE;
	return bfs_inode_decode(ino, v.mv_data, v.mv_size, in);
}

int bfs_inode_put(struct bfs_req *r, const struct bfs_inode *in)
{
	uint8_t key[8];
	uint8_t val[BFS_INODE_FIXED_LEN + BFS_PATH_MAX];
	bfs_put_be64(key, in->ino);
	size_t n = bfs_inode_encode(in, val);
	return bfs_store_put(r->fs, r->txn, BFS_DB_INODES, key, sizeof(key), val, n);
}

int bfs_inode_from_fh(struct bfs_req *r, const nfs_fh3 *fh, struct bfs_inode *in)
{
	const uint8_t *p = (const uint8_t *)fh->data.data_val;
	if (fh->data.data_len != BFS_FS_FH_LEN || p[0] != 'B' || p[1] != 'F' ||
	    p[2] != FH_VERSION || p[3] != 0)
		return NFS3ERR_BADHANDLE;
	uint64_t ino = bfs_get_le64(p + 4);
	if (ino == 0)
		return NFS3ERR_BADHANDLE;
	int st = bfs_inode_get(r, ino, in);
	if (st == 0 && in->gen != bfs_get_le32(p + 12))
		return NFS3ERR_STALE;
	return st;
}

/* The directory named by fh, with its pre-operation attributes and the
 * failure-case wcc data (before = after) already filled in. */
int bfs_dir_open(struct bfs_req *r, const nfs_fh3 *fh, struct bfs_inode *dir,
		 pre_op_attr *pre, wcc_data *wcc)
{
	int st = bfs_inode_from_fh(r, fh, dir);
	if (st != 0)
		return st;
	bfs_pre_attr(dir, pre);
	bfs_wcc(r, pre, dir, wcc);
	return dir->type == NF3DIR ? 0 : NFS3ERR_NOTDIR;
}

/* Give the prepared inode in its number, generation and times. Callers
 * check the inode limit before their first write; this check is a second
 * line of defence. Inode numbers are never reused; the generation is the
 * creating batch's sequence number (odd, so never 0). */
int bfs_inode_room(struct bfs_req *r, uint32_t target_len)
{
	if (r->sb->used_inodes >= r->sb->max_files)
		return NFS3ERR_NOSPC;
	uint8_t key[8];
	bfs_put_be64(key, r->sb->next_ino);
	return bfs_bucket_room(r, BFS_DB_INODES, key, sizeof(key),
			       BFS_LEAF_REC_HDR + sizeof(key) + BFS_INODE_FIXED_LEN + target_len);
}

int bfs_inode_alloc(struct bfs_req *r, struct bfs_inode *in)
{
	if (r->sb->used_inodes >= r->sb->max_files)
		return NFS3ERR_NOSPC;
	in->ino = r->sb->next_ino++;
	in->gen = (uint32_t)r->fs->batch_seq | 1u;
	in->atime = in->mtime = in->ctime = r->now;
	r->sb->used_inodes++;
	return 0;
}

static int inode_destroy(struct bfs_req *r, struct bfs_inode *in)
{
	int rc = bfs_data_truncate(r, in, 0);
	if (rc != 0)
		return rc;
	uint8_t key[8];
	bfs_put_be64(key, in->ino);
	r->sb->used_inodes--;
	return bfs_store_del(r->fs, r->txn, BFS_DB_INODES, key, sizeof(key));
}

/* Drop one link (a directory: its only link); the inode goes away with its
 * last link. */
int bfs_inode_unlink(struct bfs_req *r, struct bfs_inode *in)
{
	if (in->type == NF3DIR || in->nlink <= 1)
		return inode_destroy(r, in);
	in->nlink--;
	bfs_touch(r, in, false);
	return bfs_inode_put(r, in);
}

void bfs_touch(struct bfs_req *r, struct bfs_inode *in, bool mtime)
{
	in->ctime = r->now;
	if (mtime)
		in->mtime = r->now;
}

static nfstime3 nfstime(struct bfs_time t)
{
	return (nfstime3){ t.sec, t.nsec };
}

void bfs_fattr(const struct bfs_req *r, const struct bfs_inode *in, fattr3 *a)
{
	a->type = (ftype3)in->type;
	a->mode = in->mode & 07777;
	a->nlink = in->nlink;
	a->uid = in->uid;
	a->gid = in->gid;
	a->size = in->type == NF3DIR ? bfs_dir_size(in) : in->size;
	a->used = in->nblocks * BFS_BLOCK_SIZE;
	a->rdev.specdata1 = in->rdev1;
	a->rdev.specdata2 = in->rdev2;
	a->fsid = r->sb->fsid;
	a->fileid = in->ino;
	a->atime = nfstime(in->atime);
	a->mtime = nfstime(in->mtime);
	a->ctime = nfstime(in->ctime);
}

void bfs_post_attr(const struct bfs_req *r, const struct bfs_inode *in, post_op_attr *p)
{
	p->attributes_follow = TRUE;
	bfs_fattr(r, in, &p->post_op_attr_u.attributes);
}

void bfs_pre_attr(const struct bfs_inode *in, pre_op_attr *p)
{
	p->attributes_follow = TRUE;
	wcc_attr *w = &p->pre_op_attr_u.attributes;
	w->size = in->type == NF3DIR ? bfs_dir_size(in) : in->size;
	w->mtime = nfstime(in->mtime);
	w->ctime = nfstime(in->ctime);
}

void bfs_wcc(const struct bfs_req *r, const pre_op_attr *pre,
	     const struct bfs_inode *after, wcc_data *w)
{
	w->before = *pre;
	if (after != NULL)
		bfs_post_attr(r, after, &w->after);
}

/* READ, WRITE and COMMIT act on regular files only (RFC 1813 §3.3.6-7). */
int bfs_require_regular(const struct bfs_inode *in)
{
	if (in->type == NF3DIR)
		return NFS3ERR_ISDIR;
	return in->type == NF3REG ? 0 : NFS3ERR_INVAL;
}
