/*
 * test_nv_decide.c — the NEW-VIEW decision procedure (bft/core/new_view.c,
 * nv_decide; TOCS '02 §4.5.3) as a pure function of a set of VIEW-CHANGEs.
 *
 * Each test builds VIEW-CHANGE messages with the real encoder (signatures
 * are irrelevant here: nv_decide sees already verified messages), decodes
 * them, and checks which checkpoint and which batch per sequence number the
 * procedure chooses — or that it waits for more VIEW-CHANGEs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "../../bft/core/replica_internal.h"

#define F 1
#define MAXVC 4

static uint8_t bufs[MAXVC][4096];
static struct bft_view_change vcs[MAXVC];
static uint32_t n_vcs;
static struct bft_vc_entry o[BFT_MAX_NV_ENTRIES];
static uint16_t n_o;
static uint64_t start;
static uint8_t start_digest[BFT_DIGEST_LEN];

static void digest_of(uint8_t tag, uint8_t d[BFT_DIGEST_LEN])
{
	memset(d, tag, BFT_DIGEST_LEN);
}

static struct bft_vc_entry ent(uint64_t seq, uint64_t view, uint8_t tag)
{
	struct bft_vc_entry e = { .seq = seq, .view = view };

	digest_of(tag, e.digest);
	return e;
}

/* Add a VIEW-CHANGE for view 5 from replica `from` with the given stable
 * checkpoint (tag 0: none) and P and Q sets. */
static void add_vc(uint32_t from, uint64_t stable, uint8_t stable_tag,
		   const struct bft_vc_entry *p, uint16_t n_p,
		   const struct bft_vc_entry *q, uint16_t n_q)
{
	struct bft_view_change vc = { .new_view = 5, .stable_seq = stable,
				      .n_p = n_p, .n_q = n_q };
	uint32_t cp_rep[3] = { 0, 1, 2 };
	uint8_t cp_sig[3][BFT_SIG_LEN] = { { 0 } };
	struct bft_msg m;
	uint8_t *trailer;
	int len;

	digest_of(stable_tag, vc.stable_digest);
	vc.n_cp = stable ? 3 : 0;
	len = bft_encode_view_change(bufs[n_vcs], sizeof(bufs[n_vcs]), from, &vc, cp_rep,
				     (const uint8_t (*)[BFT_SIG_LEN])cp_sig, p, q, &trailer);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_msg_decode(bufs[n_vcs], (size_t)len, 4, &m), BFT_OK);
	vcs[n_vcs++] = m.u.view_change;
}

static int decide(void)
{
	return nv_decide(F, vcs, n_vcs, &start, start_digest, o, &n_o);
}

static void reset(void)
{
	n_vcs = 0;
	n_o = 0;
}

START_TEST(fewer_than_2f1_waits)
{
	reset();
	add_vc(0, 0, 0, NULL, 0, NULL, 0);
	add_vc(1, 0, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_E_BUSY);
}
END_TEST

START_TEST(nothing_prepared_starts_empty)
{
	reset();
	add_vc(0, 0, 0, NULL, 0, NULL, 0);
	add_vc(1, 0, 0, NULL, 0, NULL, 0);
	add_vc(2, 0, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_OK);
	ck_assert_uint_eq(start, 0);
	ck_assert_uint_eq(n_o, 0);
}
END_TEST

/* A batch prepared at one replica and pre-prepared at f+1 is chosen. */
START_TEST(prepared_batch_with_q_support_is_chosen)
{
	struct bft_vc_entry p = ent(1, 0, 0xd1), q = ent(1, 0, 0xd1);
	uint8_t d[BFT_DIGEST_LEN];

	reset();
	add_vc(0, 0, 0, &p, 1, &q, 1);
	add_vc(1, 0, 0, NULL, 0, &q, 1);
	add_vc(2, 0, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_OK);
	ck_assert_uint_eq(n_o, 1);
	ck_assert_uint_eq(o[0].seq, 1);
	digest_of(0xd1, d);
	ck_assert_mem_eq(o[0].digest, d, BFT_DIGEST_LEN);
}
END_TEST

/* A2: a faulty replica claiming a prepared batch nobody else pre-prepared
 * cannot make it chosen; with 2f+1 VIEW-CHANGEs lacking a P entry the seq
 * becomes a null request, before that the procedure waits. */
START_TEST(unsupported_claim_is_not_chosen)
{
	struct bft_vc_entry p = ent(1, 0, 0xee), q = ent(1, 0, 0xee);
	uint8_t zero[BFT_DIGEST_LEN] = { 0 };

	reset();
	add_vc(3, 0, 0, &p, 1, &q, 1); /* the liar */
	add_vc(1, 0, 0, NULL, 0, NULL, 0);
	add_vc(2, 0, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_E_BUSY);
	add_vc(0, 0, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_OK);
	ck_assert_uint_eq(n_o, 1);
	ck_assert_mem_eq(o[0].digest, zero, BFT_DIGEST_LEN);
}
END_TEST

/* A1: a batch prepared in a later view wins over an earlier one. */
START_TEST(later_view_wins)
{
	struct bft_vc_entry p_old = ent(1, 0, 0xd1), q_old = ent(1, 0, 0xd1);
	struct bft_vc_entry p_new = ent(1, 2, 0xd2), q_new = ent(1, 2, 0xd2);
	struct bft_vc_entry q_both[2] = { q_old, q_new };
	uint8_t d[BFT_DIGEST_LEN];

	reset();
	add_vc(0, 0, 0, &p_old, 1, &q_old, 1);
	add_vc(1, 0, 0, &p_new, 1, q_both, 2);
	add_vc(2, 0, 0, NULL, 0, &q_new, 1);
	ck_assert_int_eq(decide(), BFT_OK);
	ck_assert_uint_eq(n_o, 1);
	digest_of(0xd2, d);
	ck_assert_mem_eq(o[0].digest, d, BFT_DIGEST_LEN);
}
END_TEST

/* A1: a batch prepared in view 0 is contradicted by a replica reporting
 * another batch prepared in view 2 (even one without Q support): with only
 * these three VIEW-CHANGEs neither may be chosen, so the primary waits. */
START_TEST(contradicted_claim_waits)
{
	struct bft_vc_entry p_old = ent(1, 0, 0xd1), q_old = ent(1, 0, 0xd1);
	struct bft_vc_entry p_new = ent(1, 2, 0xd2);

	reset();
	add_vc(0, 0, 0, &p_old, 1, &q_old, 1);
	add_vc(1, 0, 0, &p_new, 1, &q_old, 1);
	add_vc(2, 0, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_E_BUSY);
}
END_TEST

/* The highest proven checkpoint is the start; gaps below the highest P
 * entry become null requests. */
START_TEST(checkpoint_and_gaps)
{
	struct bft_vc_entry p[2] = { ent(17, 1, 0xa1), ent(19, 1, 0xa3) };
	uint8_t d[BFT_DIGEST_LEN], zero[BFT_DIGEST_LEN] = { 0 };

	reset();
	add_vc(0, 16, 0x16, p, 2, p, 2);
	add_vc(1, 8, 0x08, p, 2, p, 2);
	add_vc(2, 16, 0x16, NULL, 0, NULL, 0);
	ck_assert_int_eq(decide(), BFT_OK);
	ck_assert_uint_eq(start, 16);
	digest_of(0x16, d);
	ck_assert_mem_eq(start_digest, d, BFT_DIGEST_LEN);
	ck_assert_uint_eq(n_o, 3);
	ck_assert_uint_eq(o[0].seq, 17);
	ck_assert_uint_eq(o[1].seq, 18);
	ck_assert_mem_eq(o[1].digest, zero, BFT_DIGEST_LEN);
	digest_of(0xa3, d);
	ck_assert_mem_eq(o[2].digest, d, BFT_DIGEST_LEN);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nv_decide");
	TCase *tc = tcase_create("decision");

	tcase_add_test(tc, fewer_than_2f1_waits);
	tcase_add_test(tc, nothing_prepared_starts_empty);
	tcase_add_test(tc, prepared_batch_with_q_support_is_chosen);
	tcase_add_test(tc, unsupported_claim_is_not_chosen);
	tcase_add_test(tc, later_view_wins);
	tcase_add_test(tc, contradicted_claim_waits);
	tcase_add_test(tc, checkpoint_and_gaps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
