/*
 * fs_digest.c — checkpoint digests of the replicated state (PBFT OSDI '99
 * §4.3 checkpoints; §5 / TOCS '02 §6.3 partition tree), incremental.
 *
 * Objects are the records of the replicated sub-databases (the super
 * record, each inode, each directory entry, each data block, each client's
 * last reply). An object's digest is
 *     SHA-256(tag ‖ u32le(key length) ‖ key ‖ u32le(value length) ‖ value)
 * with tag the sub-database number. Objects fall into one of 2^20 buckets
 * by a fixed unseeded hash of tag ‖ key (FNV-1a 64, folded), and the
 * buckets are the leaves of a fixed-shape tree of fan-out 16 and depth 5:
 *     bucket digest   = SHA-256(object digests in objdigests key order)
 *     interior digest = SHA-256(16 child digests)
 * An empty bucket or subtree has the all-zero digest and is not stored.
 * The root (level 0) is the checkpoint digest.
 *
 * Writes mark objects dirty (fs_store.c); a checkpoint rehashes each dirty
 * object, each bucket holding one, and their paths to the root: O(k log N)
 * hashing for k changed objects (plus the size of their buckets, N / 2^20
 * on average). bfs_digest_full() recomputes the same root from every
 * record without the stored tree, to check the incremental path.
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
#define BUCKET_BITS (FANOUT_BITS * LEAF_LEVEL) /* 2^20 buckets */
#define DLEN BFT_DIGEST_LEN
#define OBJKEY_MAX BFS_OBJKEY_MAX

static const uint8_t zero_digest[DLEN];

uint32_t bfs_bucket_of(uint8_t tag, const uint8_t *key, size_t klen)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = (h ^ tag) * 0x100000001b3ull;
	for (size_t i = 0; i < klen; i++)
		h = (h ^ key[i]) * 0x100000001b3ull;
	h ^= h >> 32;
	return (uint32_t)(h & ((1u << BUCKET_BITS) - 1u));
}

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

/* objdigests key: u32be(bucket) ‖ tag ‖ key */
size_t bfs_objdig_key(uint8_t *out, uint8_t tag, const uint8_t *key, size_t klen)
{
	bfs_put_be32(out, bfs_bucket_of(tag, key, klen));
	out[4] = tag;
	memcpy(out + 5, key, klen);
	return 5 + klen;
}

static void node_key(uint8_t out[5], uint32_t level, uint32_t index)
{
	out[0] = (uint8_t)level;
	bfs_put_be32(out + 1, index);
}

/* Store a tree node; the zero digest is represented by absence. */
static int node_put(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		    const uint8_t d[DLEN])
{
	uint8_t k[5];
	node_key(k, level, index);
	if (memcmp(d, zero_digest, DLEN) == 0)
		return bfs_store_del(fs, txn, BFS_DB_PARTITION, k, sizeof(k));
	return bfs_store_put(fs, txn, BFS_DB_PARTITION, k, sizeof(k), d, DLEN);
}

int bfs_node_get(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		 uint8_t d[DLEN])
{
	uint8_t k[5];
	MDB_val v;
	bool found;
	node_key(k, level, index);
	int rc = bfs_store_get(fs, txn, BFS_DB_PARTITION, k, sizeof(k), &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (found && v.mv_size != DLEN)
		return BFS_E_CORRUPT;
	memcpy(d, found ? v.mv_data : zero_digest, DLEN);
	return BFS_OK;
}

/* ---- sorted sets of node indexes ---- */

struct idxset {
	uint32_t *v;
	size_t n, cap;
};

static int idxset_add(struct idxset *s, uint32_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return BFS_E_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return BFS_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void idxset_sort_unique(struct idxset *s)
{
	if (s->n == 0)
		return;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	size_t m = 1;
	for (size_t i = 1; i < s->n; i++)
		if (s->v[i] != s->v[m - 1])
			s->v[m++] = s->v[i];
	s->n = m;
}

/* ---- incremental path ---- */

/* Refresh one dirty object's entry in objdigests; add its bucket to set. */
static int refresh_object(struct bfs_fs *fs, MDB_txn *txn, const uint8_t *dk, size_t dlen,
			  struct idxset *buckets)
{
	if (dlen < 1 || dlen > 1 + BFS_KEY_MAX || dk[0] >= BFS_DB_TRACKED)
		return BFS_E_CORRUPT;
	uint8_t tag = dk[0], ok[OBJKEY_MAX], d[DLEN];
	size_t oklen = bfs_objdig_key(ok, tag, dk + 1, dlen - 1);
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, (enum bfs_db)tag, dk + 1, dlen - 1, &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (found) {
		bfs_object_digest(tag, dk + 1, dlen - 1, v.mv_data, v.mv_size, d);
		rc = bfs_store_put(fs, txn, BFS_DB_OBJDIG, ok, oklen, d, DLEN);
	} else {
		rc = bfs_store_del(fs, txn, BFS_DB_OBJDIG, ok, oklen);
	}
	return rc != BFS_OK ? rc : idxset_add(buckets, bfs_get_be32(ok));
}

static int refresh_dirty(struct bfs_fs *fs, MDB_txn *txn, struct idxset *buckets)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, fs->dbi[BFS_DB_DIRTY], &cur);
	if (rc != 0)
		return bfs_storage_error(fs, "dirty cursor", rc);
	MDB_val k, v;
	int st = BFS_OK;
	uint8_t dk[1 + BFS_KEY_MAX];
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st == BFS_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > sizeof(dk)) {
			st = BFS_E_CORRUPT;
			break;
		}
		memcpy(dk, k.mv_data, k.mv_size);
		st = refresh_object(fs, txn, dk, k.mv_size, buckets);
	}
	mdb_cursor_close(cur);
	if (st == BFS_OK && rc != MDB_NOTFOUND)
		st = bfs_storage_error(fs, "dirty scan", rc);
	if (st == BFS_OK && (rc = mdb_drop(txn, fs->dbi[BFS_DB_DIRTY], 0)) != 0)
		st = bfs_storage_error(fs, "dirty clear", rc);
	return st;
}

static int bucket_digest(struct bfs_fs *fs, MDB_txn *txn, uint32_t b, uint8_t out[DLEN])
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, fs->dbi[BFS_DB_OBJDIG], &cur);
	if (rc != 0)
		return bfs_storage_error(fs, "bucket cursor", rc);
	uint8_t prefix[4];
	bfs_put_be32(prefix, b);
	MDB_val k = { 4, prefix }, v;
	struct bft_sha256_ctx c;
	bft_sha256_init(&c);
	size_t n = 0;
	bool corrupt = false;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= 4 && memcmp(k.mv_data, prefix, 4) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (v.mv_size != DLEN) {
			corrupt = true;
			break;
		}
		bft_sha256_update(&c, v.mv_data, DLEN);
		n++;
	}
	mdb_cursor_close(cur);
	if (corrupt)
		return BFS_E_CORRUPT;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return bfs_storage_error(fs, "bucket scan", rc);
	bft_sha256_final(&c, out);
	if (n == 0)
		memset(out, 0, DLEN);
	return BFS_OK;
}

/* Recompute the parents of the nodes in set (level+1) at level; set
 * becomes the parents' set. */
static int refresh_level(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, struct idxset *set)
{
	for (size_t i = 0; i < set->n; i++)
		set->v[i] >>= FANOUT_BITS;
	idxset_sort_unique(set);
	for (size_t i = 0; i < set->n; i++) {
		uint8_t child[FANOUT][DLEN], d[DLEN];
		for (uint32_t j = 0; j < FANOUT; j++) {
			int rc = bfs_node_get(fs, txn, level + 1, (set->v[i] << FANOUT_BITS) | j,
					  child[j]);
			if (rc != BFS_OK)
				return rc;
		}
		bft_tree_node_digest((const uint8_t (*)[DLEN])child, FANOUT, d);
		int rc = node_put(fs, txn, level, set->v[i], d);
		if (rc != BFS_OK)
			return rc;
	}
	return BFS_OK;
}

int bfs_digest_checkpoint(struct bfs_fs *fs, MDB_txn *txn, uint8_t root[DLEN])
{
	struct idxset set = { 0 };
	int rc = refresh_dirty(fs, txn, &set);
	idxset_sort_unique(&set);
	for (size_t i = 0; rc == BFS_OK && i < set.n; i++) {
		uint8_t d[DLEN];
		rc = bucket_digest(fs, txn, set.v[i], d);
		if (rc == BFS_OK)
			rc = node_put(fs, txn, LEAF_LEVEL, set.v[i], d);
	}
	for (uint32_t level = LEAF_LEVEL; rc == BFS_OK && level-- > 0;)
		rc = refresh_level(fs, txn, level, &set);
	free(set.v);
	return rc == BFS_OK ? bfs_node_get(fs, txn, 0, 0, root) : rc;
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
		o->klen = bfs_objdig_key(o->key, tag, k.mv_data, k.mv_size);
		bfs_object_digest(tag, k.mv_data, k.mv_size, v.mv_data, v.mv_size, o->d);
	}
	mdb_cursor_close(cur);
	if (st == BFS_OK && rc != MDB_NOTFOUND)
		st = bfs_storage_error(fs, "full scan", rc);
	return st;
}

struct node {
	uint32_t index;
	uint8_t d[DLEN];
};

/* Level L nodes from the sorted, non-empty level L+1 nodes in[n]; returns
 * the count written to out (which may alias in). */
static size_t fold_level(const struct node *in, size_t n, struct node *out)
{
	size_t m = 0;
	for (size_t i = 0; i < n;) {
		uint32_t parent = in[i].index >> FANOUT_BITS;
		uint8_t child[FANOUT][DLEN];
		memset(child, 0, sizeof(child));
		for (; i < n && (in[i].index >> FANOUT_BITS) == parent; i++)
			memcpy(child[in[i].index & (FANOUT - 1)], in[i].d, DLEN);
		struct node nd = { .index = parent };
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
	struct node *nodes = rc == BFS_OK ? malloc((l.n + 1) * sizeof(*nodes)) : NULL;
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
