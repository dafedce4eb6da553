/*
 * fs_bucket.c — which leaf of the partition tree an object belongs to, and
 * how full a leaf may get (doc/fs.md, "Buckets").
 *
 * bucket(tag, key) = low 20 bits of SipHash-2-4(cluster bucket key, tag ‖
 * key) (Aumasson & Bernstein, "SipHash: a fast short-input PRF",
 * INDOCRYPT 2012). The 128-bit key is a cluster secret every replica reads
 * from the same file (the [fs] section names it); clients never see it, so
 * they cannot choose block numbers or names that all land in one bucket.
 * Every replica computes the same bucket: the key is configuration, never
 * a random draw.
 *
 * A faulty replica could still leak the key, so the key is not what keeps
 * a leaf transferable: every procedure that may add bytes to a bucket
 * first checks (bfs_bucket_room) that the bucket's serialized leaf stays
 * under the format-time limit bucket_max, else the procedure fails with
 * NFS3ERR_NOSPC and changes nothing. The size is exact: the size recorded
 * when the bucket's digest was last refreshed, corrected by the objects
 * changed since (the dirty and pending sets hold them bucket by bucket,
 * each object in one of them at most). Both are functions of the
 * replicated state, so every correct replica gives the same answer.
 *
 * Never reads a clock or draws randomness.
 */
#include <string.h>

#include "bft/crypto.h"

#include "bfs/bytes.h"
#include "fs_internal.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                            \
	do {                                                                \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);   \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);   \
	} while (0)

static void compress(struct bfs_sip *s, uint64_t m)
{
	uint64_t v0 = s->v[0], v1 = s->v[1], v2 = s->v[2], v3 = s->v[3];
	v3 ^= m;
	SIPROUND;
	SIPROUND;
	v0 ^= m;
	s->v[0] = v0, s->v[1] = v1, s->v[2] = v2, s->v[3] = v3;
}

void bfs_sip_init(struct bfs_sip *s, const uint8_t key[BFS_BUCKET_KEY_LEN])
{
	uint64_t k0 = bfs_get_le64(key), k1 = bfs_get_le64(key + 8);
	s->v[0] = 0x736f6d6570736575ull ^ k0;
	s->v[1] = 0x646f72616e646f6dull ^ k1;
	s->v[2] = 0x6c7967656e657261ull ^ k0;
	s->v[3] = 0x7465646279746573ull ^ k1;
	s->len = 0;
}

void bfs_sip_update(struct bfs_sip *s, const void *data, size_t n)
{
	const uint8_t *p = data;
	unsigned have = (unsigned)(s->len % 8);
	s->len += n;
	while (n > 0) {
		if (have == 0 && n >= 8) {
			compress(s, bfs_get_le64(p));
			p += 8;
			n -= 8;
			continue;
		}
		unsigned take = 8 - have < n ? 8 - have : (unsigned)n;
		memcpy(s->buf + have, p, take);
		have += take;
		p += take;
		n -= take;
		if (have == 8) {
			compress(s, bfs_get_le64(s->buf));
			have = 0;
		}
	}
}

uint64_t bfs_sip_final(const struct bfs_sip *in)
{
	struct bfs_sip s = *in;
	uint64_t b = s.len << 56;
	for (unsigned i = 0; i < s.len % 8; i++)
		b |= (uint64_t)s.buf[i] << (8 * i);
	compress(&s, b);
	uint64_t v0 = s.v[0], v1 = s.v[1], v2 = s.v[2] ^ 0xff, v3 = s.v[3];
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t bfs_siphash24(const uint8_t key[BFS_BUCKET_KEY_LEN], const void *p, size_t len)
{
	struct bfs_sip s;
	bfs_sip_init(&s, key);
	bfs_sip_update(&s, p, len);
	return bfs_sip_final(&s);
}

uint32_t bfs_bucket_of(const struct bfs_fs *fs, uint8_t tag, const uint8_t *key, size_t klen)
{
	struct bfs_sip s;
	bfs_sip_init(&s, fs->bucket_key);
	bfs_sip_update(&s, &tag, 1);
	bfs_sip_update(&s, key, klen);
	return (uint32_t)(bfs_sip_final(&s) & (BFS_BUCKETS - 1u));
}

uint64_t bfs_bucket_key_id(const uint8_t key[BFS_BUCKET_KEY_LEN])
{
	static const char label[] = "bfs bucket key id";
	uint8_t in[sizeof(label) - 1 + BFS_BUCKET_KEY_LEN], d[BFT_DIGEST_LEN];
	memcpy(in, label, sizeof(label) - 1);
	memcpy(in + sizeof(label) - 1, key, BFS_BUCKET_KEY_LEN);
	bft_sha256(in, sizeof(in), d);
	return bfs_get_le64(d);
}

/* ---- the size of a bucket's leaf, now ---- */

/* Leaf record bytes of object (tag, key) in txn: 0 if absent. */
static int current_size(struct bfs_fs *fs, MDB_txn *txn, const uint8_t *ok, size_t oklen,
			uint64_t *size)
{
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, (enum bfs_db)ok[4], ok + 5, oklen - 5, &v, &found);
	*size = found ? BFS_LEAF_REC_HDR + (oklen - 5) + v.mv_size : 0;
	return rc;
}

/* Leaf record bytes recorded for the object when it was last refreshed: 0 if none. */
static int recorded_size(struct bfs_fs *fs, MDB_txn *txn, const uint8_t *ok, size_t oklen,
			 uint64_t *size)
{
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, BFS_DB_OBJDIG, ok, oklen, &v, &found);
	if (rc == BFS_OK && found && v.mv_size != BFS_OBJ_VAL_LEN)
		return BFS_E_CORRUPT;
	*size = found ? bfs_get_le32((const uint8_t *)v.mv_data + BFT_DIGEST_LEN) : 0;
	return rc;
}

struct adjust {
	struct bfs_fs *fs;
	MDB_txn *txn;
	uint64_t records; /* bytes of the bucket's records */
};

/* One dirty object of the bucket: replace its recorded size by its size now. */
static int adjust_one(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct adjust *a = ctx;
	uint8_t ok[BFS_OBJKEY_MAX];
	size_t oklen = k->mv_size;
	uint64_t now, then;
	int st;
	(void)v;
	if (oklen < 6 || oklen > sizeof(ok) || ((const uint8_t *)k->mv_data)[4] >= BFS_DB_TRACKED)
		return BFS_E_CORRUPT;
	memcpy(ok, k->mv_data, oklen);
	if ((st = current_size(a->fs, a->txn, ok, oklen, &now)) != BFS_OK ||
	    (st = recorded_size(a->fs, a->txn, ok, oklen, &then)) != BFS_OK)
		return st;
	if (then > a->records + now)
		return BFS_E_CORRUPT;
	a->records = a->records + now - then;
	return 0;
}

int bfs_bucket_bytes(struct bfs_fs *fs, MDB_txn *txn, uint32_t b, uint64_t *bytes)
{
	uint64_t total;
	int rc = bfs_bucket_entry(fs, txn, b, NULL, &total);
	if (rc != BFS_OK)
		return rc;
	struct adjust a = { fs, txn, total > BFS_LEAF_HDR ? total - BFS_LEAF_HDR : 0 };
	rc = bfs_store_scan_bucket(fs, txn, NULL, BFS_DB_DIRTY, b, adjust_one, &a);
	if (rc == BFS_OK)
		rc = bfs_store_scan_bucket(fs, txn, NULL, BFS_DB_PENDING, b, adjust_one, &a);
	*bytes = a.records > 0 ? BFS_LEAF_HDR + a.records : 0;
	return rc;
}

int bfs_bucket_room(struct bfs_req *r, uint8_t tag, const uint8_t *key, size_t klen,
		    uint64_t add)
{
	uint64_t bytes;
	int rc = bfs_bucket_bytes(r->fs, r->txn, bfs_bucket_of(r->fs, tag, key, klen), &bytes);
	if (rc != BFS_OK)
		return rc;
	if (bytes < BFS_LEAF_HDR)
		bytes = BFS_LEAF_HDR;
	return bytes + add > r->sb->bucket_max ? NFS3ERR_NOSPC : 0;
}
