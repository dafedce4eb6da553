/*
 * test_null_transfer.c — the null/echo service of bfsd supports state
 * transfer (bfsd/daemon/null_transfer.c; TOCS '02 §5.3.2): two instances
 * with different histories end with equal roots, counters, agreed time and
 * reply caches; a kept snapshot is unchanged by later batches and gone when
 * released; malformed leaves are rejected and change nothing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "null_service.h"
#include "svc_transfer.h"

#define DL BFT_DIGEST_LEN

static uint64_t seq_of[2];

/* nb batches of echo requests of varied sizes from clients 4..(4+nc). */
static void run(struct null_service *s, uint64_t *seq, unsigned nb, unsigned nc, uint8_t salt)
{
	static uint8_t op[64], res[BFT_MAX_RESULT];
	for (unsigned b = 0; b < nb; b++) {
		++*seq;
		ck_assert_int_eq(s->vt.batch_begin(s, *seq, 1000 * *seq + salt), BFT_OK);
		for (unsigned i = 0; i < 3; i++) {
			uint32_t want = (b * 37 + i * 1000 + salt) % 5000, len;
			op[0] = 'N'; op[1] = 'U'; op[2] = 'L'; op[3] = '1';
			op[4] = (uint8_t)want; op[5] = (uint8_t)(want >> 8); op[6] = 0; op[7] = 0;
			op[8] = (uint8_t)(b + salt);
			struct bft_exec_req rq = { .client = 4 + (b * 3 + i) % nc,
						   .timestamp = *seq * 10 + i, .op = op, .op_len = 9 };
			ck_assert_int_eq(s->vt.execute(s, &rq, res, sizeof(res), &len), BFT_OK);
			ck_assert_uint_eq(len, want);
		}
		ck_assert_int_eq(s->vt.batch_end(s, *seq), BFT_OK);
	}
}

START_TEST(null_transfer_equal)
{
	static struct null_service a, b;
	static uint8_t ra[BFT_MAX_RESULT], rb[BFT_MAX_RESULT];
	null_service_init(&a, 0);
	null_service_init(&b, 0);
	seq_of[0] = seq_of[1] = 0;
	run(&a, &seq_of[0], 300, 600, 1);
	run(&b, &seq_of[1], 100, 50, 2);
	uint8_t da[DL], db[DL], dnow[DL];
	ck_assert_int_eq(a.vt.checkpoint(&a, seq_of[0], da), BFT_OK);
	ck_assert_int_eq(b.vt.checkpoint(&b, seq_of[1], db), BFT_OK);
	ck_assert(memcmp(da, db, DL) != 0);
	uint64_t snap = seq_of[0];
	run(&a, &seq_of[0], 50, 600, 3); /* the snapshot must not move */
	ck_assert_int_eq(a.vt.checkpoint(&a, seq_of[0], dnow), BFT_OK);
	ck_assert(memcmp(da, dnow, DL) != 0);
	struct xstats st;
	uint64_t t = xfer_transfer(&a.vt, snap, da, &b.vt, &st);
	ck_assert_uint_eq(t, 1000 * snap + 1);
	ck_assert_uint_gt(st.leaves, 1);
	ck_assert_int_eq(b.vt.checkpoint(&b, snap, db), BFT_OK);
	ck_assert(memcmp(da, db, DL) == 0);
	/* the replies b now holds are those of a at snap: b catches up with
	 * the same later batches and then equals a's current state */
	uint64_t s2 = snap;
	run(&b, &s2, 50, 600, 3);
	ck_assert_int_eq(b.vt.checkpoint(&b, s2, db), BFT_OK);
	ck_assert(memcmp(dnow, db, DL) == 0);
	for (uint32_t c = 0; c < 700; c++) {
		uint64_t ta, tb;
		uint32_t la, lb;
		ck_assert_int_eq(a.vt.reply_get(&a, c, &ta, ra, sizeof(ra), &la), BFT_OK);
		ck_assert_int_eq(b.vt.reply_get(&b, c, &tb, rb, sizeof(rb), &lb), BFT_OK);
		ck_assert_uint_eq(ta, tb);
		ck_assert_uint_eq(la, lb);
		ck_assert(memcmp(ra, rb, la) == 0);
		ck_assert((ta != 0) == (c >= 4 && c < 604));
	}
	ck_assert_int_eq(a.vt.snapshot_release(&a, snap + 1), BFT_OK);
	uint8_t ch[16][DL];
	ck_assert_int_eq(a.vt.children(&a, snap, 0, 0, ch), BFT_E_NOENT);
	null_service_free(&a);
	null_service_free(&b);
}
END_TEST

START_TEST(null_bad_leaves_rejected)
{
	static struct null_service a;
	null_service_init(&a, 0);
	uint64_t seq = 0;
	run(&a, &seq, 20, 5, 1);
	uint8_t d[DL], before[DL], after[DL];
	ck_assert_int_eq(a.vt.checkpoint(&a, seq, before), BFT_OK);
	uint32_t len;
	uint64_t idx = 1 + 4 % 255;
	uint8_t *leaf = xfer_fetch_leaf(&a.vt, seq, idx, 100, &len, NULL);
	ck_assert_uint_gt(len, 8);
	ck_assert_int_eq(a.vt.leaf_digest(&a, idx, leaf, len, d), BFT_OK);
	for (uint32_t cut = 1; cut < len; cut++)
		ck_assert_int_eq(a.vt.leaf_put(&a, idx, leaf, cut), BFT_E_FIELD);
	ck_assert_int_eq(a.vt.leaf_put(&a, idx + 1, leaf, len), BFT_E_FIELD);
	ck_assert_int_eq(a.vt.leaf_put(&a, 0, NULL, 0), BFT_E_FIELD);
	ck_assert_int_eq(a.vt.leaf_digest(&a, NULL_LEAVES, leaf, len, d), BFT_E_INVAL);
	leaf[8 + 12] = 0xff; /* a result length beyond the leaf */
	leaf[8 + 13] = 0xff;
	ck_assert_int_eq(a.vt.leaf_put(&a, idx, leaf, len), BFT_E_FIELD);
	ck_assert_int_eq(a.vt.checkpoint(&a, seq, after), BFT_OK);
	ck_assert(memcmp(before, after, DL) == 0);
	free(leaf);
	null_service_free(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("null_transfer");
	TCase *tc = tcase_create("null_transfer");
	tcase_add_test(tc, null_transfer_equal);
	tcase_add_test(tc, null_bad_leaves_rejected);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
