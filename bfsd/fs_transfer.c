/*
 * fs_transfer.c — the file system's side of PBFT state transfer (TOCS '02
 * §5.3.2; bft/io.h struct bft_service v2): the partition tree's children
 * at a snapshot or in the current state, a leaf's bytes (fs_leaf.c format)
 * at a snapshot, installing fetched leaves, and ending a transfer.
 *
 * All leaves put by one transfer go into ONE write transaction, committed
 * by transfer_end together with last_seq: a crash in the middle leaves the
 * old, consistent state (never a mix that claims to be a checkpoint). A
 * rejected leaf changes nothing; a storage failure aborts the transfer.
 * The current state's tree is refreshed lazily (tree_stale), so children
 * of the current state reflect every leaf put so far at O(changes) cost.
 *
 * Never trusts leaf bytes: they pass bfs_leaf_parse() before anything is
 * written. Never reads a clock.
 */
#include <stdlib.h>
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

_Static_assert(BFS_TREE_FANOUT == BFS_FS_TREE_FANOUT && BFS_TREE_DEPTH == BFS_FS_TREE_DEPTH,
	       "public and private tree shapes agree");

void bfs_fs_transfer_abort(struct bfs_fs *fs)
{
	if (fs->xtxn == NULL)
		return;
	mdb_txn_abort(fs->xtxn);
	fs->xtxn = NULL;
	fs->tree_stale = true;
	bfs_digest_forget(fs);
}

/* Refresh the tree inside the transfer transaction if leaves changed. */
static int refresh_transfer(struct bfs_fs *fs)
{
	if (!fs->tree_stale)
		return BFS_OK;
	uint8_t root[BFS_FS_DIGEST_LEN];
	int rc = bfs_digest_checkpoint(fs, fs->xtxn, root);
	if (rc != BFS_OK) {
		bfs_fs_transfer_abort(fs);
		return rc;
	}
	fs->tree_stale = false;
	return BFS_OK;
}

/* A transaction on snapshot snap (0: the current state, tree refreshed);
 * *own: the caller must abort it. */
static int state_txn(struct bfs_fs *fs, uint64_t snap, MDB_txn **txn, bool *own)
{
	*own = false;
	if (snap != 0) {
		*txn = bfs_snap_find(fs, snap);
		return *txn != NULL ? BFS_OK : BFS_E_NOENT;
	}
	if (fs->wtxn != NULL)
		return BFS_E_STATE;
	if (fs->xtxn != NULL) {
		*txn = fs->xtxn;
		return refresh_transfer(fs);
	}
	if (fs->tree_stale) {
		uint8_t root[BFS_FS_DIGEST_LEN];
		int rc = bfs_fs_checkpoint(fs, root);
		if (rc != BFS_OK)
			return rc;
	}
	int rc = mdb_txn_begin(fs->env, NULL, MDB_RDONLY, txn);
	if (rc != 0)
		return bfs_storage_error(fs, "transfer read txn", rc);
	*own = true;
	return BFS_OK;
}

int bfs_fs_children(struct bfs_fs *fs, uint64_t snap, uint32_t level, uint64_t index,
		    uint8_t (*digests)[BFS_FS_DIGEST_LEN])
{
	if (level >= BFS_TREE_DEPTH || index >> (BFS_TREE_FANOUT_BITS * level) != 0)
		return BFS_E_INVAL;
	MDB_txn *txn;
	bool own;
	int rc = state_txn(fs, snap, &txn, &own);
	if (rc == BFS_OK)
		rc = bfs_node_children(fs, txn, level, (uint32_t)index, snap == 0, digests);
	if (own)
		mdb_txn_abort(txn);
	return rc;
}

struct scan {
	struct bfs_fs *fs;
	MDB_txn *txn;
	bool (*fn)(void *ctx, const struct bfs_leaf_obj *o);
	void *ctx;
};

static int scan_one(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct scan *sc = ctx;
	const uint8_t *ok = k->mv_data;
	(void)v;
	if (k->mv_size == BFS_OBJDIG_BUCKET)
		return 0; /* the bucket's own entry (fs_digest.c) */
	if (k->mv_size < 6 || k->mv_size > BFS_OBJKEY_MAX || ok[4] >= BFS_DB_TRACKED)
		return BFS_E_CORRUPT;
	struct bfs_leaf_obj o = { .tag = ok[4], .key = ok + 5, .klen = k->mv_size - 5 };
	MDB_val rv;
	bool found;
	int st = bfs_store_get(sc->fs, sc->txn, (enum bfs_db)o.tag, o.key, o.klen, &rv, &found);
	if (st == BFS_OK && (!found || rv.mv_size > UINT32_MAX))
		st = BFS_E_CORRUPT; /* the tree is fresh: every entry has its record */
	if (st != BFS_OK)
		return st;
	o.val = rv.mv_data;
	o.vlen = (uint32_t)rv.mv_size;
	return sc->fn(sc->ctx, &o) ? 0 : 1;
}

/* Call fn on every object of bucket b in txn, in objdigests key order,
 * until it returns false. */
static int scan_bucket(struct bfs_fs *fs, MDB_txn *txn, uint32_t b,
		       bool (*fn)(void *ctx, const struct bfs_leaf_obj *o), void *ctx)
{
	struct scan sc = { fs, txn, fn, ctx };
	return bfs_store_scan_bucket(fs, txn, NULL, BFS_DB_OBJDIG, b, scan_one, &sc);
}

struct leaf_size {
	uint32_t count;
	uint64_t bytes;
};

static bool add_size(void *ctx, const struct bfs_leaf_obj *o)
{
	struct leaf_size *s = ctx;
	s->count++;
	s->bytes += BFS_LEAF_REC_HDR + o->klen + o->vlen;
	return true;
}

static bool add_window(void *ctx, const struct bfs_leaf_obj *o)
{
	struct bfs_leaf_win *w = ctx;
	bfs_leaf_win_record(w, o);
	return w->pos < w->offset + w->cap; /* stop past the window */
}

int bfs_fs_leaf_get(struct bfs_fs *fs, uint64_t snap, uint64_t index, uint32_t offset,
		    uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total)
{
	*len = 0;
	*total = 0;
	if (index >= BFS_BUCKETS)
		return BFS_E_INVAL;
	MDB_txn *txn;
	bool own;
	int rc = state_txn(fs, snap, &txn, &own);
	if (rc != BFS_OK)
		return rc;
	struct leaf_size sz = { 0, BFS_LEAF_HDR };
	rc = scan_bucket(fs, txn, (uint32_t)index, add_size, &sz);
	if (rc == BFS_OK && sz.bytes > BFS_FS_LEAF_MAX)
		rc = BFS_E_SPACE; /* doc/fs.md "leaf_max": a bucket beyond the bound */
	if (rc == BFS_OK && sz.count > 0) {
		*total = (uint32_t)sz.bytes;
		struct bfs_leaf_win w = { .buf = buf, .offset = offset, .cap = cap };
		bfs_leaf_win_header(&w, sz.count);
		if (offset < sz.bytes && cap > 0)
			rc = scan_bucket(fs, txn, (uint32_t)index, add_window, &w);
		*len = w.len;
	}
	if (own)
		mdb_txn_abort(txn);
	return rc;
}

/* ---- installing a leaf ---- */

struct objs {
	struct bfs_leaf_obj *v;
	size_t n;
};

static int collect(void *ctx, const struct bfs_leaf_obj *o)
{
	struct objs *s = ctx;
	s->v[s->n++] = *o;
	return BFS_OK;
}

/* The existing objects of a bucket, keys copied (the scan's pointers die
 * with the first write). */
struct oldobj {
	uint8_t tag;
	uint16_t klen;
	uint8_t key[BFS_KEY_MAX];
};

struct olds {
	struct oldobj *v;
	size_t n, cap;
	bool nomem;
};

static bool add_old(void *ctx, const struct bfs_leaf_obj *o)
{
	struct olds *s = ctx;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct oldobj *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL) {
			s->nomem = true;
			return false;
		}
		s->v = v;
		s->cap = cap;
	}
	struct oldobj *d = &s->v[s->n++];
	d->tag = o->tag;
	d->klen = (uint16_t)o->klen;
	memcpy(d->key, o->key, o->klen);
	return true;
}

static int cmp_obj(const void *a, const void *b)
{
	return bfs_leaf_obj_cmp(a, b);
}

/* The dircookies index entry of dirent (key, value): dir ‖ cookie → child ‖
 * name. Removing deletes it only while it still names this dirent: leaves
 * arrive in any order, and another leaf may already have given the cookie
 * to the entry the transferred state has there. */
int bfs_cookie_index(struct bfs_fs *fs, MDB_txn *txn, const uint8_t *key, size_t klen,
		     const uint8_t *val, size_t vlen, bool add)
{
	uint64_t child, cookie;
	int rc = bfs_dirent_val_decode(val, vlen, &child, &cookie);
	if (rc != BFS_OK)
		return rc;
	uint8_t ck[16], cv[8 + BFS_NAME_MAX];
	size_t cvlen = 8 + (klen - 8);
	bfs_key_ino_u64(ck, bfs_get_be64(key), cookie);
	bfs_put_le64(cv, child);
	memcpy(cv + 8, key + 8, klen - 8);
	if (add)
		return bfs_store_put(fs, txn, BFS_DB_COOKIES, ck, sizeof(ck), cv, cvlen);
	MDB_val v;
	bool found;
	rc = bfs_store_get(fs, txn, BFS_DB_COOKIES, ck, sizeof(ck), &v, &found);
	if (rc != BFS_OK || !found || v.mv_size != cvlen || memcmp(v.mv_data, cv, cvlen) != 0)
		return rc;
	return bfs_store_del(fs, txn, BFS_DB_COOKIES, ck, sizeof(ck));
}

/* Delete one record (and its index entry) unless the new leaf has it. */
static int drop_old(struct bfs_fs *fs, MDB_txn *txn, const struct oldobj *d,
		    const struct objs *nw)
{
	struct bfs_leaf_obj key = { .tag = d->tag, .key = d->key, .klen = d->klen };
	if (nw->n && bsearch(&key, nw->v, nw->n, sizeof(*nw->v), cmp_obj) != NULL)
		return BFS_OK; /* (an empty new leaf may have no array at all) */
	if (d->tag == BFS_DB_DIRENTS) {
		MDB_val v;
		bool found;
		int rc = bfs_store_get(fs, txn, BFS_DB_DIRENTS, d->key, d->klen, &v, &found);
		if (rc == BFS_OK && found)
			rc = bfs_cookie_index(fs, txn, d->key, d->klen, v.mv_data, v.mv_size, false);
		if (rc != BFS_OK)
			return rc;
	}
	return bfs_store_del(fs, txn, (enum bfs_db)d->tag, d->key, d->klen);
}

/* Write one record of the new leaf unless it is already there. */
static int put_new(struct bfs_fs *fs, MDB_txn *txn, const struct bfs_leaf_obj *o)
{
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, (enum bfs_db)o->tag, o->key, o->klen, &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (found && v.mv_size == o->vlen && memcmp(v.mv_data, o->val, o->vlen) == 0)
		return BFS_OK;
	if (found && o->tag == BFS_DB_DIRENTS &&
	    (rc = bfs_cookie_index(fs, txn, o->key, o->klen, v.mv_data, v.mv_size, false)) != BFS_OK)
		return rc;
	rc = bfs_store_put(fs, txn, (enum bfs_db)o->tag, o->key, o->klen, o->val, o->vlen);
	if (rc == BFS_OK && o->tag == BFS_DB_DIRENTS)
		rc = bfs_cookie_index(fs, txn, o->key, o->klen, o->val, o->vlen, true);
	return rc;
}

static int install(struct bfs_fs *fs, uint32_t index, const struct objs *nw)
{
	struct olds old = { 0 };
	int rc = refresh_transfer(fs);
	if (rc != BFS_OK)
		return rc;
	rc = scan_bucket(fs, fs->xtxn, index, add_old, &old);
	if (rc == BFS_OK && old.nomem)
		rc = BFS_E_NOMEM;
	for (size_t i = 0; rc == BFS_OK && i < old.n; i++)
		rc = drop_old(fs, fs->xtxn, &old.v[i], nw);
	for (size_t i = 0; rc == BFS_OK && i < nw->n; i++)
		rc = put_new(fs, fs->xtxn, &nw->v[i]);
	free(old.v);
	fs->tree_stale = true;
	if (rc != BFS_OK)
		bfs_fs_transfer_abort(fs);
	return rc;
}

int bfs_fs_leaf_put(struct bfs_fs *fs, uint64_t index, const uint8_t *bytes, uint32_t len)
{
	if (fs->wtxn != NULL)
		return BFS_E_STATE;
	int rc = bfs_leaf_parse(fs, index, bytes, len, NULL, NULL);
	if (rc != BFS_OK)
		return rc;
	struct objs nw = { 0 };
	if (len > 0) {
		nw.v = malloc(bfs_get_le32(bytes + 4) * sizeof(*nw.v));
		if (nw.v == NULL)
			return BFS_E_NOMEM;
		rc = bfs_leaf_parse(fs, index, bytes, len, collect, &nw);
	}
	if (rc == BFS_OK && fs->xtxn == NULL) {
		int mrc = mdb_txn_begin(fs->env, NULL, 0, &fs->xtxn);
		if (mrc != 0) {
			fs->xtxn = NULL;
			rc = bfs_storage_error(fs, "transfer txn", mrc);
		}
	}
	if (rc == BFS_OK)
		rc = install(fs, (uint32_t)index, &nw);
	free(nw.v);
	return rc;
}

int bfs_fs_transfer_end(struct bfs_fs *fs, uint64_t seq, uint8_t digest[BFS_FS_DIGEST_LEN],
			uint64_t *time_us)
{
	if (fs->wtxn != NULL || seq == 0)
		return BFS_E_STATE;
	if (fs->xtxn == NULL) {
		int mrc = mdb_txn_begin(fs->env, NULL, 0, &fs->xtxn);
		if (mrc != 0) {
			fs->xtxn = NULL;
			return bfs_storage_error(fs, "transfer txn", mrc);
		}
	}
	struct bfs_super sb;
	int rc = bfs_digest_checkpoint(fs, fs->xtxn, digest);
	if (rc == BFS_OK)
		rc = bfs_clock_get(fs, fs->xtxn, time_us);
	if (rc == BFS_OK)
		rc = bfs_super_load(fs, fs->xtxn, &sb);
	if (rc == BFS_OK)
		rc = bfs_last_seq_put(fs, fs->xtxn, seq);
	if (rc != BFS_OK) {
		bfs_fs_transfer_abort(fs);
		return rc;
	}
	int mrc = mdb_txn_commit(fs->xtxn);
	fs->xtxn = NULL;
	fs->tree_stale = true;
	if (mrc != 0) {
		bfs_digest_forget(fs);
		return bfs_storage_error(fs, "transfer commit", mrc);
	}
	fs->super = sb;
	fs->last_seq = seq;
	fs->tree_stale = false;
	return bfs_fs_snapshot_keep(fs, seq);
}
