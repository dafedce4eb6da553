/*
 * test_fs_bucket.c — which leaf of the partition tree an object lands in,
 * and how full a leaf may get (bfsd/fs_bucket.c; doc/fs.md "Buckets").
 *
 * Covered: SipHash-2-4 against the published reference vectors; the
 * cluster's bucket key decides where objects land and is part of the
 * format (reopening with another key is BFS_E_CONFIG); a client that knows
 * the key (a faulty replica may leak it) and aims data blocks or names at
 * one bucket gets NFS3ERR_NOSPC before that leaf passes bucket_max, the
 * refused request changes nothing, other buckets stay writable, and the
 * full leaf still moves by state transfer; the leaf size the checks use is
 * the leaf's real size inside a batch, between checkpoints and after them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/io.h"
#include "bft/messages.h"

#include "bfs/bytes.h"
#include "bfs/error.h"
#include "bfs/fs_service.h"
#include "fs_internal.h"
#include "fs_randops.h"
#include "svc_transfer.h"

#define DL BFT_DIGEST_LEN

static const uint8_t key_a[16] = "bucket key A....";
static const uint8_t key_b[16] = "bucket key B....";

static void use_key_a(struct bfs_fs_config *c)
{
	memcpy(c->bucket_key, key_a, sizeof(key_a));
}

static void use_key_b(struct bfs_fs_config *c)
{
	memcpy(c->bucket_key, key_b, sizeof(key_b));
}

static void small_buckets(struct bfs_fs_config *c)
{
	use_key_a(c);
	c->bucket_max = 32 * 1024; /* 3 full data blocks */
}

static void tiny_buckets(struct bfs_fs_config *c)
{
	use_key_a(c);
	c->bucket_max = BFS_BUCKET_MAX_MIN;
}

START_TEST(siphash_reference_vectors)
{
	/* Aumasson & Bernstein's vectors: key 00..0f, message 00..len-1 */
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ull },  { 1, 0x74f839c593dc67fdull },
		{ 7, 0xab0200f58b01d137ull },  { 8, 0x93f5f5799a932462ull },
		{ 15, 0xa129ca6149be45e5ull },
	};
	uint8_t key[16], msg[16];
	for (unsigned i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(bfs_siphash24(key, msg, v[i].len) == v[i].want, "length %zu",
			      v[i].len);
}
END_TEST

START_TEST(key_decides_placement_and_is_part_of_the_format)
{
	struct fx *a = fx_new(use_key_a), *b = fx_new(use_key_b);
	unsigned same = 0;
	uint8_t key[16];
	for (uint64_t bno = 0; bno < 256; bno++) {
		bfs_key_ino_u64(key, 2, bno);
		same += bfs_bucket_of(a->fs, BFS_DB_BLOCKS, key, 16) ==
			bfs_bucket_of(b->fs, BFS_DB_BLOCKS, key, 16);
	}
	ck_assert_uint_le(same, 2); /* each agrees with probability 2^-20 */
	/* the same history under two keys: other trees, each consistent */
	struct tfh ha, hb;
	ck_assert_int_eq(fx_create(a, &a->root, "f", 0644, &ha), NFS3_OK);
	ck_assert_int_eq(fx_create(b, &b->root, "f", 0644, &hb), NFS3_OK);
	ck_assert_int_eq(fx_write(a, &ha, 0, "same", 4), NFS3_OK);
	ck_assert_int_eq(fx_write(b, &hb, 0, "same", 4), NFS3_OK);
	uint8_t da[DL], db[DL], full[DL];
	fx_digest(a, da);
	fx_digest(b, db);
	ck_assert(memcmp(da, db, DL) != 0);
	fx_digest_full(b, full);
	ck_assert(memcmp(db, full, DL) == 0);
	/* b's state cannot be reopened with a's key */
	fx_close_fs(b);
	ck_assert_int_eq(fx_try_reopen(b, use_key_a), BFS_E_CONFIG);
	fx_reopen(b, use_key_b);
	fx_free(a);
	fx_free(b);
}
END_TEST

/* The first n > 0 block numbers (from *next) of inode ino whose block
 * lands in bucket target. */
static void aimed_blocks(struct fx *f, uint64_t ino, uint32_t target, uint64_t *next,
			 uint64_t *out, unsigned n)
{
	uint8_t key[16];
	for (unsigned found = 0; found < n; (*next)++) { /* no ck_assert inside */
		if (*next >> 32)
			ck_abort_msg("no block found");
		bfs_key_ino_u64(key, ino, *next);
		if (bfs_bucket_of(f->fs, BFS_DB_BLOCKS, key, 16) == target)
			out[found++] = *next;
	}
}

static uint32_t leaf_total(struct bft_service *s, uint64_t snap, uint32_t idx)
{
	uint32_t n, total;
	uint8_t buf[16];
	ck_assert_int_eq(s->leaf_get(s->data, snap, idx, 0, buf, sizeof(buf), &n, &total),
			 BFT_OK);
	return total;
}

/* A fresh file system and its service (the calls the replica core uses). */
static struct fx *fx_service(void (*tweak)(struct bfs_fs_config *c), struct bft_service *s)
{
	struct fx *f = fx_new(tweak);
	bfs_fs_service(f->fs, s);
	return f;
}

START_TEST(blocks_aimed_at_one_bucket_get_nospc)
{
	struct bft_service s;
	struct fx *f = fx_service(small_buckets, &s);
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "aim", 0644, &h), NFS3_OK);
	uint64_t ino = bfs_get_le64(h.b + 4), next = 0, bno[8];
	uint8_t key[16], block[8192];
	bfs_key_ino_u64(key, ino, 0);
	uint32_t target = bfs_bucket_of(f->fs, BFS_DB_BLOCKS, key, 16);
	aimed_blocks(f, ino, target, &next, bno, 8);
	unsigned ok = 0;
	nfsstat3 st = NFS3_OK;
	for (unsigned i = 0; i < 8 && st == NFS3_OK; i++) {
		memset(block, 'a' + (int)i, sizeof(block));
		st = fx_write(f, &h, bno[i] * 8192, block, sizeof(block));
		ok += st == NFS3_OK;
	}
	ck_assert_int_eq(st, NFS3ERR_NOSPC);
	ck_assert_uint_ge(ok, 2);
	/* the refused write stored nothing */
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.size, bno[ok - 1] * 8192 + 8192);
	uint32_t n;
	bool eof;
	ck_assert_int_eq(fx_read(f, &h, bno[ok] * 8192, 8192, block, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, 0);
	/* the leaf is under the limit, with no room for one more full block */
	uint32_t total = leaf_total(&s, 0, target);
	ck_assert_uint_le(total, 32 * 1024);
	ck_assert_uint_gt(total + BFS_LEAF_REC_HDR + 16 + 8192, 32 * 1024);
	/* a short new block fits; growing it to a full one does not */
	ck_assert_uint_le(total + BFS_LEAF_REC_HDR + 16 + 1, 32 * 1024);
	ck_assert_int_eq(fx_write(f, &h, bno[ok] * 8192, "x", 1), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, bno[ok] * 8192, block, 8192), NFS3ERR_NOSPC);
	ck_assert_int_eq(fx_read(f, &h, bno[ok] * 8192, 8192, block, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_le(leaf_total(&s, 0, target), 32 * 1024);
	/* other buckets still take data */
	ck_assert_int_eq(fx_write(f, &h, (bno[ok] + 1) * 8192, block, 8192), NFS3_OK);
	/* the full leaf moves to a replica on an empty disk */
	uint8_t d[DL];
	fx_digest(f, d);
	ck_assert_int_eq(s.checkpoint(s.data, f->seq, d), BFT_OK);
	struct bft_service gs;
	struct fx *g = fx_service(small_buckets, &gs);
	struct xstats xs;
	xfer_transfer(&s, f->seq, d, &gs, &xs);
	ck_assert_uint_gt(xs.leaves, 0);
	uint8_t full[DL];
	fx_digest_full(g, full);
	ck_assert(memcmp(full, d, DL) == 0);
	fx_free(g);
	fx_free(f);
}
END_TEST

#define PREFIX 240u
/* The next name (a PREFIX-byte prefix and 8 hex digits from *i) whose
 * entry in the root lands in *target (the first name's bucket if it is
 * UINT32_MAX). Hashes the common prefix once: ~2^20 tries per name. */
static void aimed_name(struct fx *f, uint32_t *target, uint64_t *i, char name[PREFIX + 9])
{
	struct bfs_sip pre, s;
	uint8_t tag = BFS_DB_DIRENTS, key[8];
	memset(name, 'n', PREFIX);
	bfs_put_be64(key, BFS_ROOT_INO);
	bfs_sip_init(&pre, f->fs->bucket_key);
	bfs_sip_update(&pre, &tag, 1);
	bfs_sip_update(&pre, key, 8);
	bfs_sip_update(&pre, name, PREFIX);
	for (;; (*i)++) { /* no ck_assert in here: each one costs a write() */
		if (*i >> 32)
			ck_abort_msg("no name found");
		static const char hex[] = "0123456789abcdef";
		for (unsigned d = 0; d < 8; d++)
			name[PREFIX + d] = hex[(*i >> (28 - 4 * d)) & 15];
		name[PREFIX + 8] = '\0';
		s = pre;
		bfs_sip_update(&s, name + PREFIX, 8);
		uint32_t b = (uint32_t)(bfs_sip_final(&s) & (BFS_BUCKETS - 1u));
		if (*target == UINT32_MAX)
			*target = b;
		if (b == *target)
			break;
	}
	(*i)++;
	uint8_t k[8 + BFS_NAME_MAX];
	size_t klen = bfs_key_ino_name(k, BFS_ROOT_INO, name, PREFIX + 8);
	ck_assert_uint_eq(bfs_bucket_of(f->fs, BFS_DB_DIRENTS, k, klen), *target);
}

START_TEST(names_aimed_at_one_bucket_get_nospc)
{
	struct fx *f = fx_new(tiny_buckets);
	struct tfh file;
	ck_assert_int_eq(fx_create(f, &f->root, "file", 0644, &file), NFS3_OK);
	char name[PREFIX + 9];
	uint32_t target = UINT32_MAX;
	unsigned created = 0;
	nfsstat3 st = NFS3_OK;
	uint64_t i = 0;
	while (st == NFS3_OK && created < 64) { /* 4 KiB: about 15 such entries */
		aimed_name(f, &target, &i, name);
		st = fx_create(f, &f->root, name, 0644, NULL);
		created += st == NFS3_OK;
	}
	ck_assert_int_eq(st, NFS3ERR_NOSPC);
	ck_assert_uint_ge(created, 2);
	ck_assert_int_eq(fx_lookup(f, &f->root, name, NULL), NFS3ERR_NOENT);
	ck_assert_int_eq(fx_link(f, &file, &f->root, name), NFS3ERR_NOSPC);
	ck_assert_int_eq(fx_rename(f, &f->root, "file", &f->root, name), NFS3ERR_NOSPC);
	ck_assert_int_eq(fx_lookup(f, &f->root, "file", NULL), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &f->root, "short", 0644, NULL), NFS3_OK);
	fx_free(f);
}
END_TEST

/* Buckets marked dirty in f now (sorted), at most cap. */
static unsigned dirty_buckets(struct fx *f, MDB_txn *txn, uint32_t *out, unsigned cap)
{
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned n = 0;
	ck_assert_int_eq(mdb_cursor_open(txn, f->fs->dbi[BFS_DB_DIRTY], &cur), 0);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < cap;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint32_t b = bfs_get_be32(k.mv_data);
		if (n == 0 || out[n - 1] != b)
			out[n++] = b;
	}
	mdb_cursor_close(cur);
	return n;
}

/* bfs_bucket_bytes of buckets b[0..n) in txn. */
static void bucket_sizes(struct fx *f, MDB_txn *txn, const uint32_t *b, unsigned n,
			 uint64_t *out)
{
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(bfs_bucket_bytes(f->fs, txn, b[i], &out[i]), BFS_OK);
}

START_TEST(bucket_size_is_exact_between_checkpoints)
{
	struct bft_service s;
	struct fx *f = fx_service(use_key_a, &s);
	struct randops g;
	randops_init(&g, 7, &f->root);
	static uint32_t b[4096];
	static uint64_t want[4096], got[4096];
	MDB_txn *txn;
	for (unsigned round = 0; round < 6; round++) {
		unsigned n = 0;
		for (unsigned batch = 0; batch < 10; batch++) {
			f->seq++;
			f->time_us += 1000;
			ck_assert_int_eq(bfs_fs_batch_begin(f->fs, f->seq, f->time_us), BFS_OK);
			for (unsigned i = 0; i < 20; i++) {
				f->op_len = randops_next(&g, f->op, sizeof(f->op));
				ck_assert_int_eq(bfs_fs_execute(f->fs, f->op, f->op_len, f->res,
								sizeof(f->res), &f->res_len),
						 BFS_OK);
				randops_learn(&g, f->res, f->res_len);
			}
			/* inside a batch: the sizes at the last batch's end
			 * corrected by this batch's dirty objects ... */
			unsigned m = dirty_buckets(f, f->fs->wtxn, b, 4096);
			bucket_sizes(f, f->fs->wtxn, b, m, want);
			ck_assert_int_eq(bfs_fs_batch_end(f->fs, f->seq), BFS_OK);
			/* ... equal the sizes once it committed */
			ck_assert_int_eq(mdb_txn_begin(f->fs->env, NULL, MDB_RDONLY, &txn), 0);
			bucket_sizes(f, txn, b, m, got);
			mdb_txn_abort(txn);
			for (unsigned i = 0; i < m; i++)
				ck_assert_uint_eq(got[i], want[i]);
			if (m > 0)
				n = m;
		}
		ck_assert_uint_gt(n, 0); /* some batch of the round changed something */
		/* between checkpoints, the sizes are the leaves' sizes once the
		 * tree is refreshed */
		ck_assert_int_eq(mdb_txn_begin(f->fs->env, NULL, MDB_RDONLY, &txn), 0);
		bucket_sizes(f, txn, b, n, want);
		mdb_txn_abort(txn);
		for (unsigned i = 0; i < n; i++)
			ck_assert_uint_eq(leaf_total(&s, 0, b[i]), want[i]);
	}
	fx_free(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_bucket");
	TCase *tc = tcase_create("bucket");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, siphash_reference_vectors);
	tcase_add_test(tc, key_decides_placement_and_is_part_of_the_format);
	tcase_add_test(tc, blocks_aimed_at_one_bucket_get_nospc);
	tcase_add_test(tc, names_aimed_at_one_bucket_get_nospc);
	tcase_add_test(tc, bucket_size_is_exact_between_checkpoints);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
