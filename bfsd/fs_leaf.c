/*
 * fs_leaf.c — the byte format of one leaf of the partition tree (one
 * bucket of objects, doc/fs.md "State transfer"), for the state-transfer
 * calls (TOCS '02 §5.3.2: a fetched partition is checked against its
 * digest in the parent before it is installed).
 *
 * Leaf format version 1, little-endian, no padding:
 *     u16 version (1) ‖ u16 reserved (0) ‖ u32 count (≥ 1)
 *     count × ( u8 tag ‖ u16 key length ‖ u32 value length ‖ key ‖ value )
 * records in objdigests key order (tag, then key in LMDB order); an empty
 * bucket is the empty byte string. The leaf's digest is the bucket digest
 * of fs_digest.c: SHA-256 of the records' object digests, zero if empty.
 *
 * The parser is the gate for bytes from other, possibly Byzantine,
 * replicas: it never reads outside bytes[0..len), never allocates, bounds
 * every length by its tag's record shape, and rejects records out of
 * order, duplicated, or hashing to another bucket. It validates shape,
 * not meaning: a leaf whose digest matches a certified parent is what the
 * correct replicas hold.
 */
#include <string.h>

#include "bft/crypto.h"

#include "bfs/bytes.h"
#include "fs_internal.h"

#define LEAF_VERSION 1u

/* LMDB's default order on (tag ‖ key): memcmp, then the shorter first. */
static int obj_cmp(const struct bfs_leaf_obj *a, const struct bfs_leaf_obj *b)
{
	if (a->tag != b->tag)
		return a->tag < b->tag ? -1 : 1;
	size_t m = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, m);
	if (c != 0)
		return c;
	return (a->klen > b->klen) - (a->klen < b->klen);
}

int bfs_leaf_obj_cmp(const struct bfs_leaf_obj *a, const struct bfs_leaf_obj *b)
{
	return obj_cmp(a, b);
}

static bool meta_key(const uint8_t *k, size_t n, size_t *vlen)
{
	if (n == 5 && memcmp(k, "super", 5) == 0) {
		*vlen = BFS_SUPER_LEN;
		return true;
	}
	if (n == 5 && memcmp(k, "clock", 5) == 0) {
		*vlen = 8;
		return true;
	}
	return false;
}

/* The record shapes of doc/fs.md's LMDB layout, per sub-database. */
static bool shape_ok(const struct bfs_leaf_obj *o)
{
	size_t want;
	switch (o->tag) {
	case BFS_DB_META:
		return meta_key(o->key, o->klen, &want) && o->vlen == want;
	case BFS_DB_INODES:
		return o->klen == 8 && o->vlen >= BFS_INODE_FIXED_LEN &&
		       o->vlen <= BFS_INODE_FIXED_LEN + BFS_PATH_MAX;
	case BFS_DB_DIRENTS: {
		uint64_t child, cookie;
		return o->klen > 8 && o->klen <= 8 + BFS_NAME_MAX &&
		       bfs_dirent_val_decode(o->val, o->vlen, &child, &cookie) == BFS_OK;
	}
	case BFS_DB_BLOCKS:
		return o->klen == 16 && o->vlen <= BFS_BLOCK_SIZE;
	case BFS_DB_REPLIES:
		return o->klen == 4 && o->vlen >= BFS_REPLY_HDR &&
		       o->vlen <= BFS_REPLY_HDR + BFS_REPLY_MAX;
	default:
		return false;
	}
}

int bfs_leaf_parse(const struct bfs_fs *fs, uint64_t index, const uint8_t *bytes, uint32_t len,
		   int (*fn)(void *ctx, const struct bfs_leaf_obj *o), void *ctx)
{
	if (index >= BFS_BUCKETS)
		return BFS_E_INVAL;
	if (len == 0)
		return BFS_OK;
	if (len > BFS_FS_LEAF_MAX)
		return BFS_E_FIELD;
	if (len < BFS_LEAF_HDR)
		return BFS_E_SHORT;
	if (bfs_get_le16(bytes) != LEAF_VERSION)
		return BFS_E_VERSION;
	uint32_t count = bfs_get_le32(bytes + 4);
	if (bfs_get_le16(bytes + 2) != 0 || count == 0 ||
	    count > (len - BFS_LEAF_HDR) / BFS_LEAF_REC_HDR)
		return BFS_E_FIELD;
	size_t pos = BFS_LEAF_HDR;
	struct bfs_leaf_obj prev = { 0 };
	for (uint32_t i = 0; i < count; i++) {
		if (len - pos < BFS_LEAF_REC_HDR)
			return BFS_E_SHORT;
		struct bfs_leaf_obj o = {
			.tag = bytes[pos],
			.klen = bfs_get_le16(bytes + pos + 1),
			.vlen = bfs_get_le32(bytes + pos + 3),
		};
		pos += BFS_LEAF_REC_HDR;
		if (o.klen > len - pos || o.vlen > len - pos - o.klen)
			return BFS_E_SHORT;
		o.key = bytes + pos;
		o.val = bytes + pos + o.klen;
		pos += o.klen + o.vlen;
		if (!shape_ok(&o) || bfs_bucket_of(fs, o.tag, o.key, o.klen) != index ||
		    (i > 0 && obj_cmp(&prev, &o) >= 0))
			return BFS_E_FIELD;
		if (fn != NULL) {
			int rc = fn(ctx, &o);
			if (rc != BFS_OK)
				return rc;
		}
		prev = o;
	}
	return pos == len ? BFS_OK : BFS_E_FIELD;
}

static int hash_obj(void *ctx, const struct bfs_leaf_obj *o)
{
	uint8_t d[BFS_FS_DIGEST_LEN];
	bfs_object_digest(o->tag, o->key, o->klen, o->val, o->vlen, d);
	bft_sha256_update(ctx, d, sizeof(d));
	return BFS_OK;
}

int bfs_fs_leaf_digest(const struct bfs_fs *fs, uint64_t index, const uint8_t *bytes,
		       uint32_t len, uint8_t digest[BFS_FS_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	bft_sha256_init(&c);
	int rc = bfs_leaf_parse(fs, index, bytes, len, hash_obj, &c);
	if (rc != BFS_OK)
		return rc;
	bft_sha256_final(&c, digest);
	if (len == 0)
		memset(digest, 0, BFS_FS_DIGEST_LEN);
	return BFS_OK;
}

/* ---- encoding a window [offset, offset + cap) of a leaf ---- */

void bfs_leaf_win_put(struct bfs_leaf_win *w, const void *p, size_t n)
{
	uint64_t start = w->pos, end = w->pos + n;
	w->pos = end;
	uint64_t lo = start > w->offset ? start : w->offset;
	uint64_t hi = end < w->offset + w->cap ? end : w->offset + w->cap;
	if (lo >= hi)
		return;
	memcpy(w->buf + (lo - w->offset), (const uint8_t *)p + (lo - start), hi - lo);
	if (hi - w->offset > w->len)
		w->len = (uint32_t)(hi - w->offset);
}

void bfs_leaf_win_header(struct bfs_leaf_win *w, uint32_t count)
{
	uint8_t h[BFS_LEAF_HDR];
	bfs_put_le16(h, LEAF_VERSION);
	bfs_put_le16(h + 2, 0);
	bfs_put_le32(h + 4, count);
	bfs_leaf_win_put(w, h, sizeof(h));
}

void bfs_leaf_win_record(struct bfs_leaf_win *w, const struct bfs_leaf_obj *o)
{
	uint64_t size = BFS_LEAF_REC_HDR + o->klen + o->vlen;
	if (w->pos + size <= w->offset || w->pos >= w->offset + w->cap) {
		w->pos += size; /* outside the window: only the length matters */
		return;
	}
	uint8_t h[BFS_LEAF_REC_HDR];
	h[0] = o->tag;
	bfs_put_le16(h + 1, (uint16_t)o->klen);
	bfs_put_le32(h + 3, o->vlen);
	bfs_leaf_win_put(w, h, sizeof(h));
	bfs_leaf_win_put(w, o->key, o->klen);
	bfs_leaf_win_put(w, o->val, o->vlen);
}
