/*
 * fs_readdir.c — READDIR (RFC 1813 §3.3.16) and READDIRPLUS (§3.3.17).
 *
 * Entries come in cookie order from the "dircookies" index (fs_dir.c):
 * "." is cookie 1, ".." cookie 2, stored entries BFS_COOKIE_FIRST and up,
 * each keeping its cookie for life, so a listing resumed from any cookie
 * continues exactly after it even when entries were added or removed in
 * between. A non-zero verifier other than the directory's, or a cookie the
 * directory never issued, is NFS3ERR_BAD_COOKIE. Replies hold as many
 * entries as the client's count (capped at BFS_XFER_MAX) allows, measured
 * in XDR bytes as §3.3.16 defines; NFS3ERR_TOOSMALL if not even one fits.
 * Read permission on the directory. Never changes state.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

#define RESOK_OVERHEAD 108u /* status, post_op_attr, verifier, list end, eof */
#define PLUS_EXTRA (4u + 84u + 4u + 4u + BFS_FS_FH_LEN) /* attrs + handle */

struct listing {
	bool plus;
	uint32_t maxcount;    /* bytes of the whole result */
	uint32_t dircount;    /* READDIRPLUS: bytes of fileid, name, cookie */
	uint32_t used, dirused;
	uint32_t n;           /* entries emitted */
	void **tail;          /* where the next entry's pointer goes */
	bool full;
};

static uint32_t xdr_len(size_t n)
{
	return (uint32_t)((n + 3u) & ~(size_t)3u);
}

static int emit(struct bfs_req *r, struct listing *l, uint64_t cookie, uint64_t ino,
		const char *name, size_t len)
{
	uint32_t dirsize = 8u + 4u + xdr_len(len) + 8u;
	uint32_t size = 4u + dirsize + (l->plus ? PLUS_EXTRA : 0u);
	if (l->used + size > l->maxcount || (l->plus && l->dirused + dirsize > l->dircount)) {
		l->full = true;
		return 0;
	}
	char *nm = bfs_req_alloc(r, len + 1);
	void *e = bfs_req_alloc(r, l->plus ? sizeof(entryplus3) : sizeof(entry3));
	if (nm == NULL || e == NULL)
		return NFS3ERR_SERVERFAULT;
	memcpy(nm, name, len);
	nm[len] = '\0';
	if (l->plus) {
		entryplus3 *ep = e;
		memset(ep, 0, sizeof(*ep));
		ep->fileid = ino;
		ep->name = nm;
		ep->cookie = cookie;
		struct bfs_inode in;
		int st = bfs_inode_get(r, ino, &in);
		if (st != 0)
			return st == NFS3ERR_STALE ? BFS_E_CORRUPT : st;
		bfs_post_attr(r, &in, &ep->name_attributes);
		if ((st = bfs_post_fh(r, &in, &ep->name_handle)) != 0)
			return st;
		*l->tail = ep;
		l->tail = (void **)&ep->nextentry;
	} else {
		entry3 *e3 = e;
		memset(e3, 0, sizeof(*e3));
		e3->fileid = ino;
		e3->name = nm;
		e3->cookie = cookie;
		*l->tail = e3;
		l->tail = (void **)&e3->nextentry;
	}
	l->used += size;
	l->dirused += dirsize;
	l->n++;
	return 0;
}

/* Stored entries with cookies >= from, in cookie order; *eof when the
 * directory is exhausted. */
static int walk_entries(struct bfs_req *r, const struct bfs_inode *dir, uint64_t from,
			struct listing *l, bool *eof)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(r->txn, r->fs->dbi[BFS_DB_COOKIES], &cur);
	if (rc != 0)
		return bfs_storage_error(r->fs, "readdir cursor", rc);
	uint8_t key[16];
	bfs_key_ino_u64(key, dir->ino, from);
	MDB_val k = { sizeof(key), key }, v;
	int st = 0;
	*eof = false;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); ;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != 16 ||
				      bfs_get_be64(k.mv_data) != dir->ino))) {
			*eof = true;
			break;
		}
		if (rc != 0) {
			st = bfs_storage_error(r->fs, "readdir next", rc);
			break;
		}
		if (v.mv_size <= 8 || v.mv_size > 8 + BFS_NAME_MAX) {
			st = BFS_E_CORRUPT;
			break;
		}
		const uint8_t *p = v.mv_data;
		st = emit(r, l, bfs_get_be64((uint8_t *)k.mv_data + 8), bfs_get_le64(p),
			  (const char *)p + 8, v.mv_size - 8);
		if (st != 0 || l->full)
			break;
	}
	mdb_cursor_close(cur);
	return st;
}

static int check_cookie(const struct bfs_inode *dir, uint64_t cookie, const char *verf)
{
	if (cookie == 0)
		return 0;
	cookieverf3 mine, zero = { 0 };
	bfs_dir_verf(dir, mine);
	if (memcmp(verf, zero, sizeof(zero)) != 0 && memcmp(verf, mine, sizeof(mine)) != 0)
		return NFS3ERR_BAD_COOKIE;
	if (cookie >= BFS_COOKIE_FIRST && cookie >= dir->next_cookie)
		return NFS3ERR_BAD_COOKIE;
	return 0;
}

static int list(struct bfs_req *r, const nfs_fh3 *fh, uint64_t cookie, const char *verf,
		struct listing *l, post_op_attr *attr, char *verf_out, bool *eof)
{
	struct bfs_inode dir;
	int st = bfs_inode_from_fh(r, fh, &dir);
	if (st != 0)
		return st;
	bfs_post_attr(r, &dir, attr);
	if (dir.type != NF3DIR)
		return NFS3ERR_NOTDIR;
	if ((st = bfs_perm_check(r, &dir, BFS_MAY_READ)) != 0 ||
	    (st = check_cookie(&dir, cookie, verf)) != 0)
		return st;
	bfs_dir_verf(&dir, verf_out);
	if (l->maxcount > BFS_XFER_MAX)
		l->maxcount = BFS_XFER_MAX;
	l->used = RESOK_OVERHEAD;
	if (cookie < 1 && (st = emit(r, l, 1, dir.ino, ".", 1)) != 0)
		return st;
	if (cookie < 2 && !l->full && (st = emit(r, l, 2, dir.parent, "..", 2)) != 0)
		return st;
	*eof = false;
	if (!l->full) {
		uint64_t from = cookie + 1 > BFS_COOKIE_FIRST ? cookie + 1 : BFS_COOKIE_FIRST;
		if ((st = walk_entries(r, &dir, from, l, eof)) != 0)
			return st;
	}
	return l->n == 0 && !*eof ? NFS3ERR_TOOSMALL : 0;
}

BFS_PROC(readdir)
{
	READDIR3args *a = argp;
	READDIR3res *res = resp;
	READDIR3resok *ok = &res->READDIR3res_u.resok;
	post_op_attr attr = { .attributes_follow = FALSE };
	struct listing l = { .maxcount = a->count, .tail = (void **)&ok->reply.entries };
	bool eof = false;
	int st = list(r, &a->dir, a->cookie, a->cookieverf, &l, &attr, ok->cookieverf, &eof);
	if (st == 0) {
		ok->dir_attributes = attr;
		ok->reply.eof = eof;
	} else {
		memset(ok, 0, sizeof(*ok));
		res->READDIR3res_u.resfail.dir_attributes = attr;
	}
	return bfs_status(&res->status, st);
}

BFS_PROC(readdirplus)
{
	READDIRPLUS3args *a = argp;
	READDIRPLUS3res *res = resp;
	READDIRPLUS3resok *ok = &res->READDIRPLUS3res_u.resok;
	post_op_attr attr = { .attributes_follow = FALSE };
	struct listing l = { .plus = true, .maxcount = a->maxcount, .dircount = a->dircount,
			     .tail = (void **)&ok->reply.entries };
	bool eof = false;
	int st = list(r, &a->dir, a->cookie, a->cookieverf, &l, &attr, ok->cookieverf, &eof);
	if (st == 0) {
		ok->dir_attributes = attr;
		ok->reply.eof = eof;
	} else {
		memset(ok, 0, sizeof(*ok));
		res->READDIRPLUS3res_u.resfail.dir_attributes = attr;
	}
	return bfs_status(&res->status, st);
}
