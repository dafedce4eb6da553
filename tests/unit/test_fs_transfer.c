/*
 * test_fs_transfer.c — state transfer of the file system (TOCS '02
 * §5.3.2) driven purely through struct bft_service v2 (bft/io.h), the way
 * the replica core fetches: walk the partition tree top-down from the
 * fetcher's side, descending only where children digests differ, fetch
 * differing leaves in BFT_MAX_DATA chunks (leaf_get), check each against
 * its parent's digest (leaf_digest), install it (leaf_put), transfer_end.
 *
 * Covered: two instances with different random histories end equal (root,
 * from-scratch digest, agreed time, reply cache) and then execute alike;
 * a kept snapshot stays readable and unchanged while batches go on, and is
 * gone once released; tampered or foreign leaf bytes are rejected without
 * changing the state; a leaf larger than one DATA chunk; a crash in the
 * middle of a transfer leaves the old state.
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

static const uint8_t zero[DL];

struct node {
	struct fx *f;
	struct bft_service s;
	struct randops g;
	uint64_t ts;
};

static struct node *node_new(uint64_t seed)
{
	struct node *n = calloc(1, sizeof(*n));
	ck_assert_ptr_nonnull(n);
	n->f = fx_new(NULL);
	bfs_fs_service(n->f->fs, &n->s);
	randops_init(&n->g, seed, &n->f->root);
	return n;
}

static void node_free(struct node *n)
{
	fx_free(n->f);
	free(n);
}

/* nb batches of random requests from n's own generator, through execute
 * (so the reply cache fills: clients 4..11). */
static void run_batches(struct node *n, unsigned nb)
{
	struct fx *f = n->f;
	for (unsigned b = 0; b < nb; b++) {
		f->seq++;
		f->time_us += 1 + randops_u64(&n->g) % 5000;
		ck_assert_int_eq(n->s.batch_begin(n->s.data, f->seq, f->time_us), BFT_OK);
		unsigned k = 1 + (unsigned)(randops_u64(&n->g) % 16);
		for (unsigned i = 0; i < k; i++) {
			f->op_len = randops_next(&n->g, f->op, sizeof(f->op));
			struct bft_exec_req rq = { .client = 4 + (uint32_t)(randops_u64(&n->g) % 8),
						   .timestamp = ++n->ts, .op = f->op,
						   .op_len = f->op_len };
			ck_assert_int_eq(n->s.execute(n->s.data, &rq, f->res, BFT_MAX_RESULT,
						      &f->res_len), BFT_OK);
			randops_learn(&n->g, f->res, f->res_len);
		}
		ck_assert_int_eq(n->s.batch_end(n->s.data, f->seq), BFT_OK);
	}
}

static void checkpoint(struct node *n, uint8_t d[DL])
{
	ck_assert_int_eq(n->s.checkpoint(n->s.data, n->f->seq, d), BFT_OK);
}

/* Transfer src's snapshot `snap` (root digest root) into dst. */
static void transfer(struct node *src, uint64_t snap, const uint8_t root[DL],
		     uint64_t src_time, struct node *dst, struct xstats *st)
{
	ck_assert_uint_eq(dst->s.tree_fanout, 16);
	ck_assert_uint_eq(dst->s.tree_depth, 5);
	uint64_t t = xfer_transfer(&src->s, snap, root, &dst->s, st);
	ck_assert_uint_eq(t, src_time);
	dst->f->seq = snap;
	dst->f->time_us = t;
}

static uint8_t *fetch_leaf(struct node *src, uint64_t snap, uint64_t idx, uint32_t chunk,
			   uint32_t *len, struct xstats *st)
{
	return xfer_fetch_leaf(&src->s, snap, idx, chunk, len, st);
}

static void exec_both(struct node *a, struct node *b, unsigned nb)
{
	for (unsigned bt = 0; bt < nb; bt++) {
		a->f->seq++;
		b->f->seq++;
		a->f->time_us += 1 + randops_u64(&a->g) % 5000;
		ck_assert_uint_eq(b->f->seq, a->f->seq);
		ck_assert_int_eq(a->s.batch_begin(a->s.data, a->f->seq, a->f->time_us), BFT_OK);
		ck_assert_int_eq(b->s.batch_begin(b->s.data, a->f->seq, a->f->time_us), BFT_OK);
		for (unsigned i = 0; i < 8; i++) {
			struct fx *f = a->f;
			f->op_len = randops_next(&a->g, f->op, sizeof(f->op));
			struct bft_exec_req rq = { .client = 4 + i, .timestamp = ++a->ts,
						   .op = f->op, .op_len = f->op_len };
			ck_assert_int_eq(a->s.execute(a->s.data, &rq, f->res, BFT_MAX_RESULT,
						      &f->res_len), BFT_OK);
			ck_assert_int_eq(b->s.execute(b->s.data, &rq, b->f->res, BFT_MAX_RESULT,
						      &b->f->res_len), BFT_OK);
			ck_assert_msg(f->res_len == b->f->res_len &&
				      memcmp(f->res, b->f->res, f->res_len) == 0,
				      "batch %u op %u: results differ after transfer", bt, i);
			randops_learn(&a->g, f->res, f->res_len);
		}
		ck_assert_int_eq(a->s.batch_end(a->s.data, a->f->seq), BFT_OK);
		ck_assert_int_eq(b->s.batch_end(b->s.data, a->f->seq), BFT_OK);
	}
	b->f->time_us = a->f->time_us;
}

static void same_replies(struct node *a, struct node *b)
{
	static uint8_t ra[BFT_MAX_RESULT], rb[BFT_MAX_RESULT];
	unsigned seen = 0;
	for (uint32_t c = 0; c < 16; c++) {
		uint64_t ta = 1, tb = 2;
		uint32_t la = 0, lb = 0;
		ck_assert_int_eq(a->s.reply_get(a->s.data, c, &ta, ra, sizeof(ra), &la), BFT_OK);
		ck_assert_int_eq(b->s.reply_get(b->s.data, c, &tb, rb, sizeof(rb), &lb), BFT_OK);
		ck_assert_uint_eq(ta, tb);
		ck_assert_uint_eq(la, lb);
		ck_assert(memcmp(ra, rb, la) == 0);
		seen += ta != 0;
	}
	ck_assert_uint_eq(seen, 8); /* clients 4..11 have replies, the others none */
}

START_TEST(transfer_makes_states_equal)
{
	struct node *a = node_new(1), *b = node_new(2);
	run_batches(a, 300);
	run_batches(b, 200);
	uint8_t da[DL], db[DL], full[DL];
	checkpoint(a, da);
	checkpoint(b, db);
	ck_assert(memcmp(da, db, DL) != 0);
	uint64_t snap = a->f->seq;
	struct xstats st;
	transfer(a, snap, da, a->f->time_us, b, &st);
	printf("transfer: %u nodes, %u leaves, %u chunks, %llu bytes\n", st.nodes, st.leaves,
	       st.chunks, (unsigned long long)st.bytes);
	ck_assert_uint_gt(st.leaves, 0);
	fx_digest_full(b->f, full);
	ck_assert(memcmp(full, da, DL) == 0);
	ck_assert_uint_eq(bfs_fs_last_seq(b->f->fs), snap);
	same_replies(a, b);
	/* a second walk finds nothing to fetch */
	transfer(a, snap, da, a->f->time_us, b, &st);
	ck_assert_uint_eq(st.leaves, 0);
	/* and from now on both execute alike */
	exec_both(a, b, 200);
	checkpoint(a, da);
	checkpoint(b, db);
	ck_assert(memcmp(da, db, DL) == 0);
	fx_digest_full(b->f, full);
	ck_assert(memcmp(full, db, DL) == 0);
	node_free(a);
	node_free(b);
}
END_TEST

START_TEST(transfer_into_fresh_and_survives_reopen)
{
	struct node *a = node_new(7), *b = node_new(8);
	run_batches(a, 100);
	uint8_t da[DL], full[DL];
	checkpoint(a, da);
	struct xstats st;
	transfer(a, a->f->seq, da, a->f->time_us, b, &st);
	fx_close_fs(b->f);
	fx_reopen(b->f, NULL);
	bfs_fs_service(b->f->fs, &b->s);
	ck_assert_uint_eq(bfs_fs_last_seq(b->f->fs), a->f->seq);
	fx_digest(b->f, full);
	ck_assert(memcmp(full, da, DL) == 0);
	exec_both(a, b, 50);
	node_free(a);
	node_free(b);
}
END_TEST

START_TEST(snapshot_unchanged_while_batches_run)
{
	struct node *a = node_new(3), *b = node_new(4);
	run_batches(a, 150);
	uint8_t ds[DL], dnow[DL], s0[16][DL], s1[16][DL];
	checkpoint(a, ds);
	uint64_t snap = a->f->seq, time_s = a->f->time_us;
	ck_assert_int_eq(a->s.children(a->s.data, snap, 0, 0, s0), BFT_OK);
	for (unsigned i = 0; i < 5; i++) {
		run_batches(a, 40);
		checkpoint(a, dnow); /* keeps more snapshots */
	}
	ck_assert(memcmp(ds, dnow, DL) != 0);
	ck_assert_int_eq(a->s.children(a->s.data, snap, 0, 0, s1), BFT_OK);
	ck_assert(memcmp(s0, s1, sizeof(s0)) == 0);
	ck_assert_int_eq(a->s.children(a->s.data, 0, 0, 0, s1), BFT_OK);
	ck_assert(memcmp(s0, s1, sizeof(s0)) != 0);
	/* the whole snapshot, fetched now, is the state of checkpoint snap */
	struct xstats st;
	transfer(a, snap, ds, time_s, b, &st);
	uint8_t full[DL];
	fx_digest_full(b->f, full);
	ck_assert(memcmp(full, ds, DL) == 0);
	/* released: gone */
	ck_assert_int_eq(a->s.snapshot_release(a->s.data, snap + 1), BFT_OK);
	ck_assert_int_eq(a->s.children(a->s.data, snap, 0, 0, s1), BFT_E_NOENT);
	uint32_t n, t;
	ck_assert_int_eq(a->s.leaf_get(a->s.data, snap, 0, 0, full, sizeof(full), &n, &t),
			 BFT_E_NOENT);
	ck_assert_int_eq(a->s.children(a->s.data, a->f->seq, 0, 0, s1), BFT_OK);
	node_free(a);
	node_free(b);
}
END_TEST

/* A non-empty leaf of n's snapshot snap (the first in tree order). */
static uint64_t first_leaf(struct node *n, uint64_t snap, uint32_t level, uint64_t index)
{
	uint8_t c[16][DL];
	ck_assert_int_eq(n->s.children(n->s.data, snap, level, index, c), BFT_OK);
	for (uint64_t j = 0; j < 16; j++) {
		if (memcmp(c[j], zero, DL) == 0)
			continue;
		if (level + 1 == 5)
			return index * 16 + j;
		return first_leaf(n, snap, level + 1, index * 16 + j);
	}
	ck_abort_msg("empty subtree with a non-zero digest");
	return 0;
}

static bool rejected_or_other(struct node *n, uint64_t idx, const uint8_t *bytes,
			      uint32_t len, const uint8_t good[DL])
{
	uint8_t d[DL];
	int rc = n->s.leaf_digest(n->s.data, idx, bytes, len, d);
	if (rc != BFT_OK) {
		ck_assert_int_eq(rc, BFT_E_FIELD);
		return true;
	}
	return memcmp(d, good, DL) != 0;
}

START_TEST(tampered_leaf_rejected)
{
	struct node *a = node_new(5), *b = node_new(6);
	run_batches(a, 60);
	uint8_t da[DL], db[DL], dafter[DL], good[DL];
	checkpoint(a, da);
	checkpoint(b, db);
	uint64_t snap = a->f->seq, idx = first_leaf(a, snap, 0, 0);
	uint32_t len;
	uint8_t *leaf = fetch_leaf(a, snap, idx, BFT_MAX_DATA, &len, NULL);
	ck_assert_int_eq(a->s.leaf_digest(a->s.data, idx, leaf, len, good), BFT_OK);
	ck_assert(memcmp(good, zero, DL) != 0);
	uint8_t *t = malloc(len + 16);
	ck_assert_ptr_nonnull(t);
	/* every single-bit flip: rejected or another digest */
	for (uint32_t i = 0; i < len; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			memcpy(t, leaf, len);
			t[i] ^= (uint8_t)(1u << bit);
			ck_assert_msg(rejected_or_other(b, idx, t, len, good), "flip %u.%u", i, bit);
		}
	/* every proper prefix, trailing bytes */
	for (uint32_t cut = 1; cut < len; cut++)
		ck_assert_int_eq(b->s.leaf_digest(b->s.data, idx, leaf, cut, dafter), BFT_E_FIELD);
	memcpy(t, leaf, len);
	memset(t + len, 0, 16);
	ck_assert_int_eq(b->s.leaf_digest(b->s.data, idx, t, len + 1, dafter), BFT_E_FIELD);
	/* the same bytes claimed for another leaf */
	ck_assert_int_eq(b->s.leaf_digest(b->s.data, idx ^ 1, leaf, len, dafter), BFT_E_FIELD);
	ck_assert_int_eq(b->s.leaf_digest(b->s.data, 1u << 20, leaf, len, dafter), BFT_E_INVAL);
	/* a count of zero is no canonical leaf; header only */
	memcpy(t, leaf, 8);
	bfs_put_le32(t + 4, 0);
	ck_assert_int_eq(b->s.leaf_digest(b->s.data, idx, t, 8, dafter), BFT_E_FIELD);
	/* a record repeated (not strictly ordered) */
	uint32_t rec = len - 8;
	uint8_t *dup = malloc(8 + 2 * (size_t)rec);
	memcpy(dup, leaf, len);
	if (bfs_get_le32(leaf + 4) == 1) {
		memcpy(dup + len, leaf + 8, rec);
		bfs_put_le32(dup + 4, 2);
		ck_assert_int_eq(b->s.leaf_digest(b->s.data, idx, dup, len + rec, dafter),
				 BFT_E_FIELD);
	}
	free(dup);
	/* rejected puts change nothing */
	memcpy(t, leaf, len);
	t[len / 2] ^= 0x40;
	for (uint32_t cut = 1; cut < len; cut += 1 + cut / 4)
		ck_assert_int_eq(b->s.leaf_put(b->s.data, idx, leaf, cut), BFT_E_FIELD);
	ck_assert_int_eq(b->s.leaf_put(b->s.data, idx ^ 1, leaf, len), BFT_E_FIELD);
	fx_digest_full(b->f, dafter);
	ck_assert(memcmp(db, dafter, DL) == 0);
	/* random damage never crashes and is never taken for the good leaf */
	for (unsigned i = 0; i < 20000; i++) {
		memcpy(t, leaf, len);
		uint64_t r = randops_u64(&a->g);
		for (unsigned k = 0; k < 1 + r % 4; k++)
			t[randops_u64(&a->g) % len] = (uint8_t)randops_u64(&a->g);
		uint32_t l = (r >> 8) % 3 ? len : (uint32_t)(randops_u64(&a->g) % (len + 16));
		bool same = l == len && memcmp(t, leaf, len) == 0;
		ck_assert(same || rejected_or_other(b, idx, t, l, good));
	}
	free(t);
	free(leaf);
	node_free(a);
	node_free(b);
}
END_TEST

START_TEST(leaf_get_any_offset_and_big_leaf)
{
	struct node *a = node_new(9);
	struct tfh h;
	ck_assert_int_eq(fx_create(a->f, &a->f->root, "big", 0644, &h), NFS3_OK);
	uint64_t ino = bfs_get_le64(h.b + 4);
	uint8_t key[16], block[8192];
	bfs_key_ino_u64(key, ino, 0);
	uint32_t target = bfs_bucket_of(a->f->fs, BFS_DB_BLOCKS, key, 16);
	unsigned found = 0;
	for (uint64_t bno = 0; found < 24 && bno < (1ull << 26); bno++) {
		bfs_key_ino_u64(key, ino, bno);
		if (bfs_bucket_of(a->f->fs, BFS_DB_BLOCKS, key, 16) != target)
			continue;
		memset(block, (int)(bno & 0xff), sizeof(block));
		ck_assert_int_eq(fx_write(a->f, &h, bno * 8192, block, 8192), NFS3_OK);
		found++;
	}
	ck_assert_uint_eq(found, 24);
	uint8_t d[DL], good[DL];
	checkpoint(a, d);
	uint64_t snap = a->f->seq;
	uint32_t len, len2;
	uint8_t *whole = fetch_leaf(a, snap, target, BFT_MAX_DATA, &len, NULL);
	ck_assert_uint_gt(len, 24 * 8192);
	ck_assert_int_eq(a->s.leaf_digest(a->s.data, target, whole, len, good), BFT_OK);
	/* odd chunk sizes reassemble the same bytes */
	static const uint32_t chunks[] = { 7, 1000, 8199, BFT_MAX_DATA - 1 };
	for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		uint8_t *p = fetch_leaf(a, snap, target, chunks[i], &len2, NULL);
		ck_assert_uint_eq(len2, len);
		ck_assert(memcmp(p, whole, len) == 0);
		free(p);
	}
	uint32_t n = 9, t = 0;
	uint8_t buf[16];
	ck_assert_int_eq(a->s.leaf_get(a->s.data, snap, target, len, buf, 16, &n, &t), BFT_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(t, len);
	ck_assert_int_eq(a->s.leaf_get(a->s.data, snap, target, UINT32_MAX, buf, 16, &n, &t),
			 BFT_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(a->s.leaf_get(a->s.data, snap, 1u << 20, 0, buf, 16, &n, &t),
			 BFT_E_INVAL);
	/* an empty leaf */
	uint8_t c[16][DL];
	ck_assert_int_eq(a->s.children(a->s.data, snap, 4, target >> 4, c), BFT_OK);
	for (uint64_t j = 0; j < 16; j++)
		if (memcmp(c[j], zero, DL) == 0) {
			ck_assert_int_eq(a->s.leaf_get(a->s.data, snap, (target & ~15ull) | j, 0,
						       buf, 16, &n, &t), BFT_OK);
			ck_assert_uint_eq(t, 0);
			ck_assert_uint_eq(n, 0);
			break;
		}
	ck_assert_int_eq(a->s.children(a->s.data, snap, 5, 0, c), BFT_E_INVAL);
	ck_assert_int_eq(a->s.children(a->s.data, snap, 1, 16, c), BFT_E_INVAL);
	/* moving the big leaf into another instance */
	struct node *b = node_new(10);
	struct xstats st;
	transfer(a, snap, d, a->f->time_us, b, &st);
	ck_assert_uint_gt(st.chunks, st.leaves);
	free(whole);
	node_free(a);
	node_free(b);
}
END_TEST

START_TEST(crash_mid_transfer_keeps_old_state)
{
	struct node *a = node_new(11), *b = node_new(12);
	run_batches(a, 80);
	run_batches(b, 80);
	uint8_t da[DL], db[DL], d[DL];
	checkpoint(a, da);
	checkpoint(b, db);
	uint64_t snap = a->f->seq, idx = first_leaf(a, snap, 0, 0);
	uint32_t len;
	uint8_t *leaf = fetch_leaf(a, snap, idx, BFT_MAX_DATA, &len, NULL);
	ck_assert_int_eq(b->s.leaf_put(b->s.data, idx, leaf, len), BFT_OK);
	ck_assert_int_eq(b->s.leaf_put(b->s.data, idx ^ 3, NULL, 0), BFT_OK);
	/* no batch while a transfer is open */
	ck_assert_int_eq(b->s.batch_begin(b->s.data, b->f->seq + 1, b->f->time_us + 1),
			 BFT_E_SERVICE);
	uint8_t c[16][DL];
	ck_assert_int_eq(b->s.children(b->s.data, 0, 0, 0, c), BFT_OK);
	fx_close_fs(b->f); /* the crash */
	fx_reopen(b->f, NULL);
	fx_digest_full(b->f, d);
	ck_assert(memcmp(d, db, DL) == 0);
	ck_assert_uint_eq(bfs_fs_last_seq(b->f->fs), b->f->seq);
	free(leaf);
	node_free(a);
	node_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_transfer");
	TCase *tc = tcase_create("transfer");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, transfer_makes_states_equal);
	tcase_add_test(tc, transfer_into_fresh_and_survives_reopen);
	tcase_add_test(tc, snapshot_unchanged_while_batches_run);
	tcase_add_test(tc, tampered_leaf_rejected);
	tcase_add_test(tc, leaf_get_any_offset_and_big_leaf);
	tcase_add_test(tc, crash_mid_transfer_keeps_old_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
