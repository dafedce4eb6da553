/*
 * fs_digest.c — checkpoint digests of the replicated state (PBFT OSDI '99
 * §4.3 checkpoints; §5 / TOCS '02 §6.3 partition tree), incremental.
 *
 * Objects are the records of the replicated sub-databases (the super
 * record, each inode, each directory entry, each data block, each client's
 * last reply). An object's digest is
 *     SHA-256(tag ‖ u32le(key length) ‖ key ‖ u32le(value length) ‖ value)
 * with tag the sub-database number. Objects fall into one of 2^20 buckets
 * by a keyed hash of tag ‖ key (SipHash-2-4, fs_bucket.c), and the buckets
 * are the leaves of a fixed-shape tree of fan-out 16 and depth 5:
 *     bucket digest   = SHA-256(object digests in objdigests key order)
 *     interior digest = SHA-256(16 child digests)
 * An empty bucket or subtree has the all-zero digest and is not stored.
 * The root (level 0) is the checkpoint digest.
 *
 * Where the digests live (doc/fs.md, "Checkpoint digest"), chosen so that
 * a checkpoint touches no structure whose size grows with the state — at
 * 10^6 objects every B-tree page not touched recently is a cache and TLB
 * miss, and those misses, not hashing, made the checkpoint grow with N:
 *   objdigests  bucket ‖ tag ‖ key → object digest ‖ u32 leaf record bytes;
 *               bucket → bucket digest ‖ u64 leaf bytes (it sorts just
 *               before the bucket's objects, so it shares their page).
 *               Both are brought up to date by the batch that changes
 *               them, before it commits (bfs_digest_objects), while its
 *               records and their pages are at hand — the first time a
 *               bucket changes in a checkpoint interval; later changes
 *               wait in pending, so a rewritten object is hashed at most
 *               twice per interval.
 *   pending     bucket ‖ tag ‖ key → "" for objects the checkpoint must
 *               rehash (changed again after their bucket's refresh).
 *   stale       level-4 index → "" for level-4 nodes whose buckets batches
 *               changed since the last checkpoint (so a crash loses
 *               nothing; a checkpoint notes its own in memory).
 *   level 4     not stored: a level-4 digest is the hash of 16 adjacent
 *               bucket digests. Every bucket digest (32 MiB for all 2^20)
 *               and level-4 digest (2 MiB) a refresh computes stays in
 *               memory; on a miss one range scan reads 16 bucket entries.
 *   partition   level ‖ index → digest of interior node (levels 0-3, 4,369
 *               nodes at most); a node's 16 children are adjacent keys.
 *   dirty       bucket ‖ tag ‖ key → "" for objects changed in the open
 *               transaction (a batch, a state transfer), so its end walks
 *               them bucket by bucket.
 *
 * A checkpoint rehashes the pending objects and their buckets, then the
 * stale level-4 nodes (from bucket digests kept in memory) and their paths
 * to the root in the bounded partition tree: O(k log N) for k changed
 * objects, and nothing it reads or writes grows with N, except the entries
 * of objects changed more than once in the interval (pages the interval's
 * batches touched). bfs_digest_full() recomputes the same root from every
 * record without the stored digests, to check the incremental path.
 *
 * Never iterates anything but LMDB cursors and sorted arrays.
 */
#include <stdlib.h>
#include <string.h>

#include "bft/crypto.h"

#include "bfs/bytes.h"
#include "fs_internal.h"

#define FANOUT_BITS BFS_TREE_FANOUT_BITS
#define FANOUT BFS_TREE_FANOUT
#define LEAF_LEVEL BFS_TREE_DEPTH
#define DLEN BFT_DIGEST_LEN
#define OBJKEY_MAX BFS_OBJKEY_MAX

static const uint8_t zero_digest[DLEN];

void bfs_object_digest(uint8_t tag, const void *key, size_t klen, const void *val,
		       size_t vlen, uint8_t out[DLEN])
{
	struct bft_sha256_ctx c;
	uint8_t len[4];
	bft_sha256_init(&c);
	bft_sha256_update(&c, &tag, 1);
	bfs_put_le32(len, (uint32_t)klen);
	bft_sha256_update(&c, len, 4);
	bft_sha256_update(&c, key, klen);
	bfs_put_le32(len, (uint32_t)vlen);
	bft_sha256_update(&c, len, 4);
	bft_sha256_update(&c, val, vlen);
	bft_sha256_final(&c, out);
}

/* objdigests key of an object: u32be(bucket) ‖ tag ‖ key */
size_t bfs_objdig_key(const struct bfs_fs *fs, uint8_t *out, uint8_t tag,
		      const uint8_t *key, size_t klen)
{
	bfs_put_be32(out, bfs_bucket_of(fs, tag, key, klen));
	out[4] = tag;
	memcpy(out + 5, key, klen);
	return 5 + klen;
}

static int cursor_open(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db, MDB_cursor **cur)
{
	int rc = mdb_cursor_open(txn, fs->dbi[db], cur);
	return rc == 0 ? BFS_OK : bfs_storage_error(fs, "cursor open", rc);
}

/* ---- bucket entries ---- */

int bfs_bucket_entry(struct bfs_fs *fs, MDB_txn *txn, uint32_t b, uint8_t d[DLEN],
		     uint64_t *bytes)
{
	uint8_t k[4];
	MDB_val v;
	bool found;
	bfs_put_be32(k, b);
	int rc = bfs_store_get(fs, txn, BFS_DB_OBJDIG, k, sizeof(k), &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (found && v.mv_size != BFS_BUCKET_VAL_LEN)
		return BFS_E_CORRUPT;
	if (d != NULL)
		memcpy(d, found ? v.mv_data : zero_digest, DLEN);
	*bytes = found ? bfs_get_le64((const uint8_t *)v.mv_data + DLEN) : 0;
	return BFS_OK;
}

/* ---- interior nodes ---- */

/* Children of a level-4 node: the entries of buckets 16 index .. +15, one
 * range scan of objdigests stepping over the objects between them; past a
 * few objects in one bucket it seeks to the next bucket instead, so a
 * large bucket costs one lookup, not a walk. */
#define SKIP_BEFORE_SEEK 4
static int bucket_children(struct bfs_fs *fs, MDB_cursor *cur, uint32_t index,
			   uint8_t out[][DLEN])
{
	uint32_t base = index << FANOUT_BITS;
	uint8_t at[4];
	bfs_put_be32(at, base);
	MDB_val k = { sizeof(at), at }, v;
	unsigned skipped = 0;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (k.mv_size < 4)
			return BFS_E_CORRUPT;
		uint32_t b = bfs_get_be32(k.mv_data);
		if (b - base >= FANOUT)
			break;
		if (k.mv_size == BFS_OBJDIG_BUCKET) {
			if (v.mv_size != BFS_BUCKET_VAL_LEN)
				return BFS_E_CORRUPT;
			memcpy(out[b - base], v.mv_data, DLEN);
			skipped = 0;
		} else if (++skipped > SKIP_BEFORE_SEEK && b - base + 1 < FANOUT) {
			bfs_put_be32(at, b + 1);
			k = (MDB_val){ sizeof(at), at };
			skipped = 0;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			continue;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return bfs_storage_error(fs, "children scan", rc);
	return BFS_OK;
}

/* Nodes of levels 0-3 live in partition under level ‖ u32be(index). */
static size_t node_key(uint8_t out[5], uint32_t level, uint32_t index)
{
	out[0] = (uint8_t)level;
	bfs_put_be32(out + 1, index);
	return 5;
}

/* Store (or, zero, delete) the digest of node (level < 4, index). */
static int node_put(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		    const uint8_t d[DLEN])
{
	uint8_t k[5];
	size_t klen = node_key(k, level, index);
	if (memcmp(d, zero_digest, DLEN) == 0)
		return bfs_store_del(fs, txn, BFS_DB_PARTITION, k, klen);
	return bfs_store_put(fs, txn, BFS_DB_PARTITION, k, klen, d, DLEN);
}

static int node_get(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		    uint8_t d[DLEN])
{
	uint8_t k[5];
	size_t klen = node_key(k, level, index);
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, BFS_DB_PARTITION, k, klen, &v, &found);
	if (rc == BFS_OK && found && v.mv_size != DLEN)
		rc = BFS_E_CORRUPT;
	if (rc == BFS_OK)
		memcpy(d, found ? v.mv_data : zero_digest, DLEN);
	return rc;
}

/* Children of a node of level < 3: siblings are adjacent keys (level ‖
 * u32be index), so one range scan reads all 16 instead of 16 B-tree
 * descents (the lookups were half of a checkpoint's instructions). */
static int node_children(struct bfs_fs *fs, MDB_cursor *cur, uint32_t level, uint32_t index,
			 uint8_t out[][DLEN])
{
	uint32_t base = index << FANOUT_BITS;
	uint8_t first[5];
	node_key(first, level + 1, base);
	MDB_val k = { sizeof(first), first }, v;
	int rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kb = k.mv_data;
		if (k.mv_size != sizeof(first) || v.mv_size != DLEN)
			return BFS_E_CORRUPT;
		uint32_t child = bfs_get_be32(kb + 1);
		if (kb[0] != level + 1 || child - base >= FANOUT)
			break; /* past the last sibling */
		memcpy(out[child - base], v.mv_data, DLEN);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return bfs_storage_error(fs, "children scan", rc);
	return BFS_OK;
}

/* ---- digests kept in memory ----
 * Neither level 4 nor the buckets should cost a checkpoint a B-tree page:
 * a changed level-4 node is hashed from 16 bucket digests, a changed
 * level-3 node from 16 level-4 digests 256 buckets apart. So every bucket
 * digest a refresh computes or reads (32 MiB for all 2^20) and every
 * level-4 digest (2 MiB) is kept in memory. A valid entry is the digest in
 * the state of the refreshing transaction (a batch's end, a checkpoint, a
 * transfer): bfs_digest_objects() drops the level-4 entries it makes
 * stale, and bfs_digest_forget() empties both caches whenever such a
 * transaction does not commit. Older snapshots never use them. */

static const uint8_t *dcache_get(const struct bfs_dcache *c, uint32_t i)
{
	if (c->d == NULL || !(c->valid[i / 64] >> (i % 64) & 1u))
		return NULL;
	return c->d[i];
}

static void dcache_free(struct bfs_dcache *c)
{
	free(c->d);
	free(c->valid);
	c->d = NULL;
	c->valid = NULL;
}

static void dcache_drop(struct bfs_dcache *c, uint32_t i)
{
	if (c->d != NULL)
		c->valid[i / 64] &= ~(1ull << (i % 64));
}

/* Store entry i of a cache of n entries (allocated now if need be; without
 * memory there is no cache: still correct, slower). */
static void dcache_put(struct bfs_dcache *c, uint32_t n, uint32_t i, const uint8_t d[DLEN])
{
	if (c->d == NULL) {
		c->d = malloc(sizeof(*c->d) * n);
		c->valid = calloc(n / 64, sizeof(*c->valid));
		if (c->d == NULL || c->valid == NULL) {
			dcache_free(c);
			return;
		}
	}
	memcpy(c->d[i], d, DLEN);
	c->valid[i / 64] |= 1ull << (i % 64);
}

void bfs_digest_forget(struct bfs_fs *fs)
{
	dcache_free(&fs->l4);
	dcache_free(&fs->buckets);
	free(fs->refreshed);
	fs->refreshed = NULL;
	fs->refreshed_any = false;
}

/* The digest of level-4 node index: from its 16 bucket digests, kept in
 * memory if use_cache, else read from their entries (cur: an objdigests
 * cursor) and, if use_cache, kept. Level-4 digests are never stored. */
static int l4_digest(struct bfs_fs *fs, MDB_cursor *cur, uint32_t index, bool use_cache,
		     uint8_t d[DLEN])
{
	uint8_t child[FANOUT][DLEN];
	uint32_t base = index << FANOUT_BITS, j = 0;
	const uint8_t *c;
	for (; use_cache && j < FANOUT && (c = dcache_get(&fs->buckets, base + j)) != NULL; j++)
		memcpy(child[j], c, DLEN);
	if (j < FANOUT) {
		memset(child, 0, sizeof(child));
		int rc = bucket_children(fs, cur, index, child);
		if (rc != BFS_OK)
			return rc;
		for (j = 0; use_cache && j < FANOUT; j++)
			dcache_put(&fs->buckets, BFS_BUCKETS, base + j, child[j]);
	}
	bft_tree_node_digest((const uint8_t (*)[DLEN])child, FANOUT, d);
	return BFS_OK;
}

/* The 16 level-4 children of level-3 node index (see l4_digest), kept
 * in memory if use_cache. */
static int l4_children(struct bfs_fs *fs, MDB_cursor *cur, uint32_t index, bool use_cache,
		       uint8_t out[][DLEN])
{
	for (uint32_t j = 0; j < FANOUT; j++) {
		uint32_t i = (index << FANOUT_BITS) | j;
		const uint8_t *c = use_cache ? dcache_get(&fs->l4, i) : NULL;
		if (c != NULL) {
			memcpy(out[j], c, DLEN);
			continue;
		}
		int rc = l4_digest(fs, cur, i, use_cache, out[j]);
		if (rc != BFS_OK)
			return rc;
		if (use_cache)
			dcache_put(&fs->l4, BFS_L4_NODES, i, out[j]);
	}
	return BFS_OK;
}

/* The children of (level, index); cur is a cursor on the db holding them
 * (objdigests for levels 3 and 4: level-4 digests come from buckets). */
static int children(struct bfs_fs *fs, MDB_cursor *cur, uint32_t level, uint32_t index,
		    bool use_cache, uint8_t out[][DLEN])
{
	memset(out, 0, FANOUT * DLEN);
	if (level == LEAF_LEVEL - 1)
		return bucket_children(fs, cur, index, out);
	if (level == LEAF_LEVEL - 2)
		return l4_children(fs, cur, index, use_cache, out);
	return node_children(fs, cur, level, index, out);
}

static enum bfs_db children_db(uint32_t level)
{
	return level + 2 >= LEAF_LEVEL ? BFS_DB_OBJDIG : BFS_DB_PARTITION;
}

int bfs_node_children(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		      bool use_cache, uint8_t out[][DLEN])
{
	MDB_cursor *cur;
	int rc = cursor_open(fs, txn, children_db(level), &cur);
	if (rc != BFS_OK)
		return rc;
	rc = children(fs, cur, level, index, use_cache, out);
	mdb_cursor_close(cur);
	return rc;
}

/* ---- sets of (node index, digest) ---- */

struct nodeset {
	struct bfs_node_dig {
		uint32_t index;
		uint8_t d[DLEN];
	} *v;
	size_t n, cap;
};

static int nodeset_add(struct nodeset *s, uint32_t index)
{
	if (s->n > 0 && s->v[s->n - 1].index == index)
		return BFS_OK; /* indexes arrive sorted: duplicates are adjacent */
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct bfs_node_dig *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return BFS_E_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++].index = index;
	return BFS_OK;
}

/* ---- incremental path: objects and buckets (every batch) ---- */

/* Refresh one dirty object's entry in objdigests (ok: its objdigests key). */
static int refresh_object(struct bfs_fs *fs, MDB_txn *txn, const uint8_t *ok, size_t oklen)
{
	if (oklen < 6 || oklen > OBJKEY_MAX || ok[4] >= BFS_DB_TRACKED)
		return BFS_E_CORRUPT;
	uint8_t tag = ok[4], val[BFS_OBJ_VAL_LEN];
	const uint8_t *key = ok + 5;
	size_t klen = oklen - 5;
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, (enum bfs_db)tag, key, klen, &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (!found)
		return bfs_store_del(fs, txn, BFS_DB_OBJDIG, ok, oklen);
	bfs_object_digest(tag, key, klen, v.mv_data, v.mv_size, val);
	bfs_put_le32(val + DLEN, (uint32_t)(BFS_LEAF_REC_HDR + klen + v.mv_size));
	return bfs_store_put(fs, txn, BFS_DB_OBJDIG, ok, oklen, val, sizeof(val));
}

/* Rehash bucket b from its object entries (cur: an objdigests cursor) and
 * store (or, empty, delete) its own entry. */
struct bucket_sum {
	struct bft_sha256_ctx c;
	uint64_t bytes, n;
};

static int add_object(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct bucket_sum *sum = ctx;
	if (k->mv_size == BFS_OBJDIG_BUCKET)
		return 0; /* the bucket's own entry */
	if (k->mv_size < 6 || v->mv_size != BFS_OBJ_VAL_LEN)
		return BFS_E_CORRUPT;
	bft_sha256_update(&sum->c, v->mv_data, DLEN);
	sum->bytes += bfs_get_le32((const uint8_t *)v->mv_data + DLEN);
	sum->n++;
	return 0;
}

static int bucket_refresh(struct bfs_fs *fs, MDB_txn *txn, MDB_cursor *cur, uint32_t b)
{
	struct bucket_sum sum = { .bytes = BFS_LEAF_HDR };
	bft_sha256_init(&sum.c);
	int rc = bfs_store_scan_bucket(fs, txn, cur, BFS_DB_OBJDIG, b, add_object, &sum);
	if (rc != BFS_OK)
		return rc;
	uint8_t key[4], val[BFS_BUCKET_VAL_LEN];
	bfs_put_be32(key, b);
	bft_sha256_final(&sum.c, val);
	if (sum.n == 0)
		memset(val, 0, DLEN);
	dcache_put(&fs->buckets, BFS_BUCKETS, b, val);
	if (sum.n == 0)
		return bfs_store_del(fs, txn, BFS_DB_OBJDIG, key, sizeof(key));
	bfs_put_le64(val + DLEN, sum.bytes);
	return bfs_store_put(fs, txn, BFS_DB_OBJDIG, key, sizeof(key), val, sizeof(val));
}

/* Bucket b is refreshed: rehash it and note its level-4 node (once:
 * buckets arrive sorted, so a node's buckets are adjacent) in l4s, or, if
 * NULL (a batch, which commits without a checkpoint), in stale. */
static int bucket_done(struct bfs_fs *fs, MDB_txn *txn, MDB_cursor *ocur, uint32_t b,
		       uint32_t *last_l4, struct nodeset *l4s)
{
	int rc = bucket_refresh(fs, txn, ocur, b);
	uint32_t l4 = b >> FANOUT_BITS;
	if (rc != BFS_OK || l4 == *last_l4)
		return rc;
	*last_l4 = l4;
	dcache_drop(&fs->l4, l4);
	if (l4s != NULL)
		return nodeset_add(l4s, l4);
	uint8_t k[4];
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };
	bfs_put_be32(k, l4);
	rc = mdb_put(txn, fs->dbi[BFS_DB_STALE], &key, &v, MDB_NOOVERWRITE);
	return rc == 0 || rc == MDB_KEYEXIST ? BFS_OK : bfs_storage_error(fs, "mark stale", rc);
}

/* ---- which buckets a batch already refreshed since the last checkpoint ----
 * A hint, not state: a batch refreshes a bucket's changed objects the first
 * time it changes in a checkpoint interval, and leaves later changes to the
 * checkpoint (the pending set), so an object rewritten by many batches is
 * hashed twice per interval at most, not once per batch. Losing the hint
 * (a restart, no memory) only means more refreshing. */

static bool refreshed_get(const struct bfs_fs *fs, uint32_t b)
{
	return fs->refreshed != NULL && (fs->refreshed[b / 64] >> (b % 64) & 1u);
}

static void refreshed_set(struct bfs_fs *fs, uint32_t b)
{
	if (fs->refreshed == NULL)
		fs->refreshed = calloc(BFS_BUCKETS / 64, sizeof(*fs->refreshed));
	if (fs->refreshed != NULL) {
		fs->refreshed[b / 64] |= 1ull << (b % 64);
		fs->refreshed_any = true;
	}
}

/* A new interval: forget the hint (128 KiB, so only if a batch set it:
 * during a state transfer every leaf put refreshes the tree). */
static void refreshed_clear(struct bfs_fs *fs)
{
	if (fs->refreshed_any)
		memset(fs->refreshed, 0, BFS_BUCKETS / 8);
	fs->refreshed_any = false;
}

/* A walk over a set of changed objects (dirty or pending), bucket by bucket:
 * refresh each object, then its bucket; or, if may_defer and a batch has
 * refreshed the bucket since the last checkpoint, move the bucket's objects
 * to pending instead. */
struct walk {
	struct bfs_fs *fs;
	MDB_txn *txn;
	MDB_cursor *ocur;   /* on objdigests */
	struct nodeset *l4s; /* receives the changed level-4 nodes, or NULL:
				mark them in stale */
	bool may_defer;
	bool deferring;     /* the current bucket's objects go to pending */
	uint32_t bucket;    /* the current bucket; UINT32_MAX before the first */
	uint32_t last_l4;   /* the level-4 node noted last */
};

static int walk_bucket_end(struct walk *w)
{
	if (w->bucket == UINT32_MAX || w->deferring)
		return BFS_OK;
	if (w->may_defer)
		refreshed_set(w->fs, w->bucket);
	return bucket_done(w->fs, w->txn, w->ocur, w->bucket, &w->last_l4, w->l4s);
}

static int walk_object(struct walk *w, const uint8_t *ok, size_t oklen)
{
	uint32_t b = bfs_get_be32(ok);
	if (b != w->bucket) {
		int st = walk_bucket_end(w);
		if (st != BFS_OK)
			return st;
		w->bucket = b;
		w->deferring = w->may_defer && refreshed_get(w->fs, b);
	}
	if (!w->deferring)
		return refresh_object(w->fs, w->txn, ok, oklen);
	MDB_val k = { oklen, (void *)ok }, v = { 0, NULL };
	int rc = mdb_put(w->txn, w->fs->dbi[BFS_DB_PENDING], &k, &v, 0);
	return rc == 0 ? BFS_OK : bfs_storage_error(w->fs, "mark pending", rc);
}

/* Walk the changed objects listed in db (dirty or pending, bucket order;
 * see struct walk) and clear db. */
static int refresh_changed(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db, bool may_defer,
			   struct nodeset *l4s)
{
	struct walk w = { fs, txn, NULL, l4s, may_defer, false, UINT32_MAX, UINT32_MAX };
	MDB_cursor *dcur;
	int st = cursor_open(fs, txn, db, &dcur);
	if (st != BFS_OK)
		return st;
	if ((st = cursor_open(fs, txn, BFS_DB_OBJDIG, &w.ocur)) != BFS_OK) {
		mdb_cursor_close(dcur);
		return st;
	}
	MDB_val k, v;
	uint8_t ok[OBJKEY_MAX];
	int rc;
	for (rc = mdb_cursor_get(dcur, &k, &v, MDB_FIRST); rc == 0 && st == BFS_OK;
	     rc = mdb_cursor_get(dcur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 6 || k.mv_size > sizeof(ok)) {
			st = BFS_E_CORRUPT;
			break;
		}
		memcpy(ok, k.mv_data, k.mv_size); /* the walk writes: keep the key */
		st = walk_object(&w, ok, k.mv_size);
	}
	if (st == BFS_OK && rc != MDB_NOTFOUND)
		st = bfs_storage_error(fs, "changed scan", rc);
	if (st == BFS_OK)
		st = walk_bucket_end(&w);
	mdb_cursor_close(w.ocur);
	mdb_cursor_close(dcur);
	if (st == BFS_OK && w.bucket != UINT32_MAX && (rc = mdb_drop(txn, fs->dbi[db], 0)) != 0)
		st = bfs_storage_error(fs, "changed clear", rc);
	return st;
}

int bfs_digest_objects(struct bfs_fs *fs, MDB_txn *txn)
{
	int rc = refresh_changed(fs, txn, BFS_DB_DIRTY, true, NULL);
	if (rc != BFS_OK)
		bfs_digest_forget(fs);
	return rc;
}

/* ---- incremental path: the tree above the buckets (each checkpoint) ---- */

/* Add the stale level-4 nodes to set and clear the stale set. */
static int take_stale(struct bfs_fs *fs, MDB_txn *txn, struct nodeset *set)
{
	MDB_cursor *cur;
	int st = cursor_open(fs, txn, BFS_DB_STALE, &cur);
	if (st != BFS_OK)
		return st;
	MDB_val k, v;
	bool any = false;
	int rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == BFS_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint32_t i = k.mv_size == 4 ? bfs_get_be32(k.mv_data) : BFS_L4_NODES;
		st = i < BFS_L4_NODES ? nodeset_add(set, i) : BFS_E_CORRUPT;
		any = true;
	}
	if (st == BFS_OK && rc != MDB_NOTFOUND)
		st = bfs_storage_error(fs, "stale scan", rc);
	mdb_cursor_close(cur);
	if (st == BFS_OK && any && (rc = mdb_drop(txn, fs->dbi[BFS_DB_STALE], 0)) != 0)
		st = bfs_storage_error(fs, "stale clear", rc);
	return st;
}

static int cmp_node(const void *a, const void *b)
{
	uint32_t x = ((const struct bfs_node_dig *)a)->index;
	uint32_t y = ((const struct bfs_node_dig *)b)->index;
	return (x > y) - (x < y);
}

/* set holds changed level-4 nodes (from several sorted runs): sort it,
 * drop duplicates, and compute each digest (kept in memory). */
static int refresh_l4(struct bfs_fs *fs, MDB_txn *txn, struct nodeset *set)
{
	size_t m = 0;
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(*set->v), cmp_node);
	for (size_t i = 0; i < set->n; i++)
		if (m == 0 || set->v[m - 1].index != set->v[i].index)
			set->v[m++].index = set->v[i].index;
	set->n = m;
	MDB_cursor *cur;
	int rc = cursor_open(fs, txn, BFS_DB_OBJDIG, &cur);
	if (rc != BFS_OK)
		return rc;
	for (size_t i = 0; rc == BFS_OK && i < set->n; i++) {
		struct bfs_node_dig *nd = &set->v[i];
		if ((rc = l4_digest(fs, cur, nd->index, true, nd->d)) == BFS_OK)
			dcache_put(&fs->l4, BFS_L4_NODES, nd->index, nd->d);
	}
	mdb_cursor_close(cur);
	return rc;
}

/* set holds the changed nodes of level + 1: replace it by their parents,
 * recomputed and stored in partition (absent when zero). */
static int refresh_level(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, struct nodeset *set)
{
	size_t m = 0;
	for (size_t i = 0; i < set->n; i++) {
		uint32_t p = set->v[i].index >> FANOUT_BITS;
		if (m == 0 || set->v[m - 1].index != p)
			set->v[m++].index = p;
	}
	set->n = m;
	MDB_cursor *cur;
	int rc = cursor_open(fs, txn, children_db(level), &cur);
	if (rc != BFS_OK)
		return rc;
	for (size_t i = 0; rc == BFS_OK && i < set->n; i++) {
		uint8_t child[FANOUT][DLEN];
		struct bfs_node_dig *nd = &set->v[i];
		rc = children(fs, cur, level, nd->index, true, child);
		if (rc != BFS_OK)
			break;
		bft_tree_node_digest((const uint8_t (*)[DLEN])child, FANOUT, nd->d);
		rc = node_put(fs, txn, level, nd->index, nd->d);
	}
	mdb_cursor_close(cur);
	return rc;
}

int bfs_digest_checkpoint(struct bfs_fs *fs, MDB_txn *txn, uint8_t root[DLEN])
{
	struct nodeset set = { 0 }; /* the changed level-4 nodes */
	int rc = refresh_changed(fs, txn, BFS_DB_PENDING, false, &set);
	if (rc == BFS_OK) /* a transfer's leaves */
		rc = refresh_changed(fs, txn, BFS_DB_DIRTY, false, &set);
	if (rc == BFS_OK)
		refreshed_clear(fs);
	if (rc == BFS_OK)
		rc = take_stale(fs, txn, &set);
	if (rc == BFS_OK)
		rc = refresh_l4(fs, txn, &set);
	for (uint32_t level = LEAF_LEVEL - 1; rc == BFS_OK && set.n > 0 && level-- > 0;)
		rc = refresh_level(fs, txn, level, &set);
	free(set.v);
	if (rc == BFS_OK)
		rc = node_get(fs, txn, 0, 0, root); /* the root: the one level-0 node */
	if (rc != BFS_OK)
		bfs_digest_forget(fs);
	return rc;
}

/* ---- from-scratch path ---- */

struct objrec {
	uint8_t key[OBJKEY_MAX]; /* the objdigests key */
	size_t klen;
	uint8_t d[DLEN];
};

struct objlist {
	struct objrec *v;
	size_t n, cap;
};

/* LMDB's default key order: memcmp, then the shorter key first. */
static int cmp_objrec(const void *a, const void *b)
{
	const struct objrec *x = a, *y = b;
	size_t m = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, m);
	if (c != 0)
		return c;
	return (x->klen > y->klen) - (x->klen < y->klen);
}

static int collect_db(struct bfs_fs *fs, MDB_txn *txn, uint8_t tag, struct objlist *l)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, fs->dbi[tag], &cur);
	if (rc != 0)
		return bfs_storage_error(fs, "full cursor", rc);
	MDB_val k, v;
	int st = BFS_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > BFS_KEY_MAX) {
			st = BFS_E_CORRUPT;
			break;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 1024;
			struct objrec *nv = realloc(l->v, cap * sizeof(*nv));
			if (nv == NULL) {
				st = BFS_E_NOMEM;
				break;
			}
			l->v = nv;
			l->cap = cap;
		}
		struct objrec *o = &l->v[l->n++];
		o->klen = bfs_objdig_key(fs, o->key, tag, k.mv_data, k.mv_size);
		bfs_object_digest(tag, k.mv_data, k.mv_size, v.mv_data, v.mv_size, o->d);
	}
	mdb_cursor_close(cur);
	if (st == BFS_OK && rc != MDB_NOTFOUND)
		st = bfs_storage_error(fs, "full scan", rc);
	return st;
}

/* Level L nodes from the sorted, non-empty level L+1 nodes in[n]; returns
 * the count written to out (which may alias in). */
static size_t fold_level(const struct bfs_node_dig *in, size_t n, struct bfs_node_dig *out)
{
	size_t m = 0;
	for (size_t i = 0; i < n;) {
		uint32_t parent = in[i].index >> FANOUT_BITS;
		uint8_t child[FANOUT][DLEN];
		memset(child, 0, sizeof(child));
		for (; i < n && (in[i].index >> FANOUT_BITS) == parent; i++)
			memcpy(child[in[i].index & (FANOUT - 1)], in[i].d, DLEN);
		struct bfs_node_dig nd = { .index = parent };
		bft_tree_node_digest((const uint8_t (*)[DLEN])child, FANOUT, nd.d);
		out[m++] = nd;
	}
	return m;
}

int bfs_digest_full(struct bfs_fs *fs, MDB_txn *txn, uint8_t root[DLEN])
{
	struct objlist l = { 0 };
	int rc = BFS_OK;
	for (uint8_t tag = 0; rc == BFS_OK && tag < BFS_DB_TRACKED; tag++)
		rc = collect_db(fs, txn, tag, &l);
	struct bfs_node_dig *nodes = rc == BFS_OK ? malloc((l.n + 1) * sizeof(*nodes)) : NULL;
	if (rc == BFS_OK && nodes == NULL)
		rc = BFS_E_NOMEM;
	if (rc != BFS_OK) {
		free(l.v);
		return rc;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_objrec);
	size_t n = 0;
	for (size_t i = 0; i < l.n;) {
		uint32_t b = bfs_get_be32(l.v[i].key);
		struct bft_sha256_ctx c;
		bft_sha256_init(&c);
		for (; i < l.n && bfs_get_be32(l.v[i].key) == b; i++)
			bft_sha256_update(&c, l.v[i].d, DLEN);
		nodes[n].index = b;
		bft_sha256_final(&c, nodes[n++].d);
	}
	for (uint32_t level = LEAF_LEVEL; level-- > 0;)
		n = fold_level(nodes, n, nodes);
	memcpy(root, n == 1 ? nodes[0].d : zero_digest, DLEN);
	free(nodes);
	free(l.v);
	return BFS_OK;
}
