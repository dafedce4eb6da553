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
 * a changed object touches as few B-tree pages as possible — at 10^6
 * objects every page not touched recently is a cache miss, and those
 * misses, not hashing, were the checkpoint's cost:
 *   objdigests  bucket ‖ tag ‖ key → object digest ‖ u32 leaf record bytes;
 *               bucket → bucket digest ‖ u64 leaf bytes (it sorts just
 *               before the bucket's objects, so it shares their page);
 *               bucket ‖ 0xff → digest of the level-4 node whose first
 *               leaf is bucket (bucket ≡ 0 mod 16), after that bucket's
 *               objects: its children were just read from that page;
 *   partition   level ‖ index → digest of interior node (level < 4); its
 *               16 children are adjacent keys, read by one range scan.
 *               (A level-3 node's children are 256 buckets apart: the
 *               refresh keeps level-4 digests in memory.)
 *   dirty       bucket ‖ tag ‖ key → "" for objects changed since the last
 *               refresh, so a refresh walks them bucket by bucket.
 *
 * A refresh (each checkpoint, and lazily during a state transfer) rehashes
 * each dirty object, each bucket holding one, and their paths to the root:
 * O(k log N) for k changed objects (plus the size of their buckets,
 * N / 2^20 on average). bfs_digest_full() recomputes the same root from
 * every record without the stored digests, to check the incremental path.
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

/* Rehash bucket b from its object entries (cur: an objdigests cursor) and
 * store (or, empty, delete) its own entry. */
struct bucket_sum {
	struct bft_sha256_ctx c;
	uint64_t bytes, n;
};

static int add_object(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct bucket_sum *sum = ctx;
	if (k->mv_size == BFS_OBJDIG_BUCKET || k->mv_size == BFS_OBJDIG_NODE)
		return 0; /* the bucket's own entry, a level-4 node */
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
		return bfs_store_del(fs, txn, BFS_DB_OBJDIG, key, sizeof(key));
	bfs_put_le64(val + DLEN, sum.bytes);
	return bfs_store_put(fs, txn, BFS_DB_OBJDIG, key, sizeof(key), val, sizeof(val));
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

/* Where node (level < 5, index) is stored: level 4 in objdigests right
 * after the objects of its first bucket (u32be(first bucket) ‖ 0xff: the
 * page its children were just read from), the others in partition. */
static enum bfs_db node_db(uint32_t level)
{
	return level == LEAF_LEVEL - 1 ? BFS_DB_OBJDIG : BFS_DB_PARTITION;
}

static size_t node_key(uint8_t out[5], uint32_t level, uint32_t index)
{
	if (level == LEAF_LEVEL - 1) {
		bfs_put_be32(out, index << FANOUT_BITS);
		out[4] = BFS_OBJDIG_NODE_MARK;
		return 5;
	}
	out[0] = (uint8_t)level;
	bfs_put_be32(out + 1, index);
	return 5;
}

/* Store (or, zero, delete) the digest of node (level, index). */
static int node_put(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		    const uint8_t d[DLEN])
{
	uint8_t k[5];
	size_t klen = node_key(k, level, index);
	if (memcmp(d, zero_digest, DLEN) == 0)
		return bfs_store_del(fs, txn, node_db(level), k, klen);
	return bfs_store_put(fs, txn, node_db(level), k, klen, d, DLEN);
}

static int node_get(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		    uint8_t d[DLEN])
{
	uint8_t k[5];
	size_t klen = node_key(k, level, index);
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, node_db(level), k, klen, &v, &found);
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

/* ---- the level-4 cache ----
 * The 16 children of a level-3 node are level-4 nodes 256 buckets apart,
 * on pages a refresh does not otherwise touch; so the refresh keeps every
 * level-4 digest it has read or written in memory (2 MiB at most). The
 * cache follows the refreshing transaction: bfs_digest_forget() empties it
 * whenever such a transaction does not commit. Snapshots never use it. */

static bool l4_cached(const struct bfs_fs *fs, uint32_t i)
{
	return fs->l4 != NULL && (fs->l4_valid[i / 64] >> (i % 64) & 1u);
}

static void l4_store(struct bfs_fs *fs, uint32_t i, const uint8_t d[DLEN])
{
	if (fs->l4 == NULL) {
		fs->l4 = malloc(sizeof(*fs->l4) * BFS_L4_NODES);
		fs->l4_valid = calloc(BFS_L4_NODES / 64, sizeof(*fs->l4_valid));
		if (fs->l4 == NULL || fs->l4_valid == NULL) {
			bfs_digest_forget(fs); /* no cache: still correct, slower */
			return;
		}
	}
	memcpy(fs->l4[i], d, DLEN);
	fs->l4_valid[i / 64] |= 1ull << (i % 64);
}

void bfs_digest_forget(struct bfs_fs *fs)
{
	free(fs->l4);
	free(fs->l4_valid);
	fs->l4 = NULL;
	fs->l4_valid = NULL;
}

/* The 16 level-4 children of level-3 node index, from the cache or by one
 * lookup each (filling the cache if use_cache). */
static int l4_children(struct bfs_fs *fs, MDB_txn *txn, uint32_t index, bool use_cache,
		       uint8_t out[][DLEN])
{
	for (uint32_t j = 0; j < FANOUT; j++) {
		uint32_t c = (index << FANOUT_BITS) | j;
		if (use_cache && l4_cached(fs, c)) {
			memcpy(out[j], fs->l4[c], DLEN);
			continue;
		}
		int rc = node_get(fs, txn, LEAF_LEVEL - 1, c, out[j]);
		if (rc != BFS_OK)
			return rc;
		if (use_cache)
			l4_store(fs, c, out[j]);
	}
	return BFS_OK;
}

/* The children of (level, index); cur is a cursor on the db holding them
 * (objdigests for levels 3 and 4). */
static int children(struct bfs_fs *fs, MDB_txn *txn, MDB_cursor *cur, uint32_t level,
		    uint32_t index, bool use_cache, uint8_t out[][DLEN])
{
	memset(out, 0, FANOUT * DLEN);
	if (level == LEAF_LEVEL - 1)
		return bucket_children(fs, cur, index, out);
	if (level == LEAF_LEVEL - 2)
		return l4_children(fs, txn, index, use_cache, out);
	return node_children(fs, cur, level, index, out);
}

static enum bfs_db children_db(uint32_t level)
{
	return node_db(level + 1 < LEAF_LEVEL ? level + 1 : level);
}

int bfs_node_children(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		      uint8_t out[][DLEN])
{
	MDB_cursor *cur;
	int rc = cursor_open(fs, txn, children_db(level), &cur);
	if (rc != BFS_OK)
		return rc;
	rc = children(fs, txn, cur, level, index, false, out);
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

/* ---- incremental path ---- */

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

/* Walk the dirty set (bucket order), refresh its objects, then each bucket
 * that held one; buckets receives them, sorted. Clears the dirty set. */
static int refresh_dirty(struct bfs_fs *fs, MDB_txn *txn, struct nodeset *buckets)
{
	MDB_cursor *dcur, *ocur;
	int st = cursor_open(fs, txn, BFS_DB_DIRTY, &dcur);
	if (st != BFS_OK)
		return st;
	if ((st = cursor_open(fs, txn, BFS_DB_OBJDIG, &ocur)) != BFS_OK) {
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
		memcpy(ok, k.mv_data, k.mv_size);
		uint32_t b = bfs_get_be32(ok);
		if (buckets->n > 0 && buckets->v[buckets->n - 1].index != b)
			st = bucket_refresh(fs, txn, ocur, buckets->v[buckets->n - 1].index);
		if (st == BFS_OK)
			st = nodeset_add(buckets, b);
		if (st == BFS_OK)
			st = refresh_object(fs, txn, ok, k.mv_size);
	}
	if (st == BFS_OK && rc != MDB_NOTFOUND)
		st = bfs_storage_error(fs, "dirty scan", rc);
	if (st == BFS_OK && buckets->n > 0)
		st = bucket_refresh(fs, txn, ocur, buckets->v[buckets->n - 1].index);
	mdb_cursor_close(ocur);
	mdb_cursor_close(dcur);
	if (st == BFS_OK && (rc = mdb_drop(txn, fs->dbi[BFS_DB_DIRTY], 0)) != 0)
		st = bfs_storage_error(fs, "dirty clear", rc);
	return st;
}

/* set holds the changed nodes of level + 1: replace it by their parents,
 * recomputed and stored (absent when zero). */
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
		rc = children(fs, txn, cur, level, nd->index, true, child);
		if (rc != BFS_OK)
			break;
		bft_tree_node_digest((const uint8_t (*)[DLEN])child, FANOUT, nd->d);
		rc = node_put(fs, txn, level, nd->index, nd->d);
		if (rc == BFS_OK && level == LEAF_LEVEL - 1)
			l4_store(fs, nd->index, nd->d);
	}
	mdb_cursor_close(cur);
	return rc;
}

int bfs_digest_checkpoint(struct bfs_fs *fs, MDB_txn *txn, uint8_t root[DLEN])
{
	struct nodeset set = { 0 };
	int rc = refresh_dirty(fs, txn, &set);
	for (uint32_t level = LEAF_LEVEL; rc == BFS_OK && set.n > 0 && level-- > 0;)
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
