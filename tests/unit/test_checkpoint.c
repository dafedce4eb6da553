/*
 * test_checkpoint.c — checkpoints, stability and garbage collection of one
 * replica in isolation (Castro & Liskov, OSDI '99 §4.3).
 *
 * The unit-test configuration has K = 4 and L = 8. The backup under test
 * (replica 1) executes one request of client 4 per batch, so the counter
 * service's state after batch s is s and its digest mock_state_digest(s).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mock_io.h"

static struct mock_keys keys;
static struct mock_node nd;
static struct bft_msg msg;
static struct bft_pre_prepare pp;
static uint8_t buf[BFT_MAX_MSG];
static uint8_t rq[16][512];

static void setup(void)
{
	mock_keys_init(&keys);
}

static void teardown(void)
{
	if (nd.r)
		mock_node_close(&nd);
	mock_keys_free(&keys);
}

static void open_replica(uint32_t id, bool tentative)
{
	struct bft_replica_config cfg;

	mock_replica_config(&cfg, id);
	cfg.tentative = tentative;
	mock_node_open(&nd, &keys, &cfg);
}

/* Pre-prepare for seq (client 4, timestamp seq) from the primary. */
static void deliver_pp(uint64_t seq, uint8_t d[BFT_DIGEST_LEN])
{
	uint8_t *b = rq[seq % 16];
	size_t l = mock_forge_request(&keys, b, 512, MOCK_C0, seq, 0, 0, "inc", 3);

	mock_pp_init(&pp, 0, seq, MOCK_EPOCH_US + seq);
	mock_pp_add_inline(&pp, b, l);
	mock_pp_digest(&pp, d);
	mock_deliver(&nd, buf, mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp));
}

/* Backup 1: pre-prepare, a prepare from 2, commits from 2 and 3. */
static void commit_seq(uint64_t seq)
{
	uint8_t d[BFT_DIGEST_LEN];

	deliver_pp(seq, d);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, seq, d, 0x4);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, seq, d, 0xc);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), seq);
}

static void deliver_ckpt(uint32_t from, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	mock_deliver(&nd, buf, mock_forge_checkpoint(&keys, buf, sizeof(buf), from, seq, d));
}

START_TEST(checkpoint_multicast_after_k_batches)
{
	uint8_t d4[BFT_DIGEST_LEN];
	size_t i;

	open_replica(1, false);
	for (uint64_t s = 1; s <= 3; s++)
		commit_seq(s);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_CKPT), 0);
	mock_io_clear(&nd.io);
	commit_seq(4);

	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_CKPT), 1);
	ck_assert_uint_eq(nd.svc.calls[nd.svc.n_calls - 1].kind, MOCK_CKPT);
	ck_assert_uint_eq(nd.svc.calls[nd.svc.n_calls - 1].seq, 4);
	mock_state_digest(4, d4);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_dest_mask(&nd.io, BFT_MSG_CHECKPOINT), 0xd);
	for (i = 0; i < nd.io.n_sent; i++) {
		mock_sent_decode(&nd.io, i, &msg);
		if (msg.hdr.type != BFT_MSG_CHECKPOINT)
			continue;
		ck_assert_uint_eq(msg.hdr.sender, 1);
		ck_assert_uint_eq(msg.u.checkpoint.seq, 4);
		ck_assert_mem_eq(msg.u.checkpoint.digest, d4, BFT_DIGEST_LEN);
		/* signed: verifies at any node, even a client */
		ck_assert(mock_verify(&keys, nd.io.sent[i].to, nd.io.sent[i].buf,
				      nd.io.sent[i].len));
		ck_assert(mock_verify(&keys, MOCK_C1, nd.io.sent[i].buf, nd.io.sent[i].len));
	}
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0); /* own alone is not 2f+1 */
}
END_TEST

START_TEST(stable_with_2f_plus_1_and_window_moves)
{
	uint8_t d4[BFT_DIGEST_LEN], d[BFT_DIGEST_LEN];

	open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		commit_seq(s);
	mock_state_digest(4, d4);

	/* h + L = 8: seq 9 is not acceptable yet */
	mock_io_clear(&nd.io);
	deliver_pp(9, d);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	deliver_ckpt(2, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_STABLE, 4), 1);

	/* now h = 4: seqs 9..12 are acceptable, 13 is not */
	mock_io_clear(&nd.io);
	deliver_pp(9, d);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 3);
	deliver_pp(12, d);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 6);
	deliver_pp(13, d);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 6);
	/* and at or below h no longer */
	deliver_pp(4, d);
	deliver_pp(3, d);
	ck_assert_uint_eq(nd.io.n_sent, 6);
}
END_TEST

START_TEST(log_below_is_garbage_collected)
{
	uint8_t d4[BFT_DIGEST_LEN], d8[BFT_DIGEST_LEN], sb[512];
	size_t i, npp = 0;

	open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		commit_seq(s);
	mock_state_digest(4, d4);
	deliver_ckpt(2, 4, d4);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);

	/* The batch below the first stable checkpoint is still retransmitted
	 * (kept for a lagging replica)... */
	mock_io_clear(&nd.io);
	mock_deliver(&nd, sb, mock_forge_status(&keys, sb, sizeof(sb), 3, 0, 4, 0, 0, 0));
	ck_assert_uint_ge(mock_count(&nd.io, BFT_MSG_PRE_PREPARE, 3), 1);
	mock_sent_decode(&nd.io, (size_t)mock_find(&nd.io, BFT_MSG_PRE_PREPARE, 3, 0), &msg);
	ck_assert_uint_eq(msg.u.pre_prepare.seq, 1);

	for (uint64_t s = 5; s <= 8; s++)
		commit_seq(s);
	mock_state_digest(8, d8);
	deliver_ckpt(2, 8, d8);
	deliver_ckpt(3, 8, d8);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 8);

	/* ...but after the next one, seqs 1..4 are gone: only 5..8 are resent */
	mock_io_clear(&nd.io);
	mock_deliver(&nd, sb, mock_forge_status(&keys, sb, sizeof(sb), 3, 0, 8, 0, 0, 0));
	for (i = 0; i < nd.io.n_sent; i++) {
		mock_sent_decode(&nd.io, i, &msg);
		if (msg.hdr.type != BFT_MSG_PRE_PREPARE)
			continue;
		ck_assert_uint_eq(msg.u.pre_prepare.seq, 5 + npp);
		npp++;
	}
	ck_assert_uint_eq(npp, 4);
}
END_TEST

START_TEST(bad_signature_rejected)
{
	uint8_t d4[BFT_DIGEST_LEN];
	size_t len;

	open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		commit_seq(s);
	mock_state_digest(4, d4);
	len = mock_forge_checkpoint(&keys, buf, sizeof(buf), 2, 4, d4);
	buf[len - 1] ^= 0x01;
	mock_deliver(&nd, buf, len);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 1);

	/* signed by 3, claiming to be 2 */
	len = mock_forge_checkpoint(&keys, buf, sizeof(buf), 3, 4, d4);
	buf[4] = 2;
	mock_deliver(&nd, buf, len);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);

	/* from itself, or from a client: not counted */
	deliver_ckpt(1, 4, d4);
	deliver_ckpt(MOCK_C0, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 4);

	deliver_ckpt(2, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);
}
END_TEST

START_TEST(non_checkpoint_seq_rejected)
{
	uint8_t d[BFT_DIGEST_LEN];

	open_replica(1, false);
	for (uint64_t s = 1; s <= 6; s++)
		commit_seq(s);
	mock_state_digest(6, d);
	mock_io_clear(&nd.io);
	deliver_ckpt(2, 6, d);
	deliver_ckpt(3, 6, d);
	deliver_ckpt(0, 6, d);
	deliver_ckpt(2, 5, d);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	/* seq 0 and beyond the window are dropped too */
	deliver_ckpt(2, 0, d);
	deliver_ckpt(2, 12, d);
	deliver_ckpt(3, 12, d);
	deliver_ckpt(0, 12, d);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
}
END_TEST

START_TEST(wrong_digests_do_not_make_stable)
{
	uint8_t d4[BFT_DIGEST_LEN], other[BFT_DIGEST_LEN];

	open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		commit_seq(s);
	mock_state_digest(4, d4);
	mock_state_digest(99, other);
	deliver_ckpt(2, 4, other);
	deliver_ckpt(3, 4, other);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_STABLE, UINT64_MAX), 0);

	/* 2f+1 others agree on another digest: reported, still not stable */
	deliver_ckpt(0, 4, other);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_BEHIND, 4), 1);
	ck_assert(mock_log_contains(&nd.io, "differs"));

	/* replicas correcting themselves: the latest message of each counts */
	deliver_ckpt(0, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);
}
END_TEST

START_TEST(others_first_then_own_makes_stable)
{
	uint8_t d4[BFT_DIGEST_LEN];

	open_replica(1, false);
	mock_state_digest(4, d4);
	deliver_ckpt(2, 4, d4);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	for (uint64_t s = 1; s <= 3; s++)
		commit_seq(s);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0);
	commit_seq(4);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);
}
END_TEST

START_TEST(tentative_checkpoint_sent_only_when_committed)
{
	uint8_t d[BFT_DIGEST_LEN], d4[BFT_DIGEST_LEN];

	open_replica(1, true);
	for (uint64_t s = 1; s <= 3; s++)
		commit_seq(s);
	mock_io_clear(&nd.io);
	deliver_pp(4, d);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 4, d, 0x4);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 4); /* tentatively */
	/* the batch is still open: no state digest, no CHECKPOINT */
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_CKPT), 0);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 0);

	mock_state_digest(4, d4);
	deliver_ckpt(2, 4, d4);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 0); /* own not sent yet */

	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 4, d, 0xc);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_CKPT), 1);
	ck_assert_uint_eq(nd.svc.calls[nd.svc.n_calls - 2].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[nd.svc.n_calls - 1].kind, MOCK_CKPT);
	ck_assert_uint_eq(nd.svc.calls[nd.svc.n_calls - 1].seq, 4);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	mock_sent_decode(&nd.io, (size_t)mock_find(&nd.io, BFT_MSG_CHECKPOINT, 0, 0), &msg);
	ck_assert_mem_eq(msg.u.checkpoint.digest, d4, BFT_DIGEST_LEN);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);
}
END_TEST

START_TEST(primary_resumes_batching_after_stable)
{
	struct bft_replica_config cfg;
	uint8_t d[BFT_DIGEST_LEN], d4[BFT_DIGEST_LEN], rb[512];
	uint64_t seq;
	size_t len;

	/* primary, 8 batches in flight allowed: it fills the window (1..8) */
	mock_replica_config(&cfg, 0);
	cfg.max_inflight = 8;
	cfg.tentative = false;
	mock_node_open(&nd, &keys, &cfg);
	for (uint64_t t = 1; t <= 9; t++) {
		len = mock_forge_request(&keys, rb, sizeof(rb), MOCK_C0 + (uint32_t)(t % 2), t,
					 0, 0, "x", 1);
		mock_deliver(&nd, rb, len);
		if (t <= 8) {
			ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PRE_PREPARE, 1), t);
			seq = mock_sent_pp(&nd.io, 1, t - 1, d);
			ck_assert_uint_eq(seq, t);
			mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, seq, d, 0x6);
			mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, seq, d, 0x6);
		}
	}
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 8);
	/* seq 9 is above h + L = 8: held back */
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PRE_PREPARE, 1), 8);
	mock_state_digest(4, d4);
	deliver_ckpt(1, 4, d4);
	deliver_ckpt(2, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(nd.r), 4);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PRE_PREPARE, 1), 9);
	ck_assert_uint_eq(mock_sent_pp(&nd.io, 1, 8, d), 9);
}
END_TEST

static Suite *checkpoint_suite(void)
{
	Suite *s = suite_create("replica_checkpoint");
	TCase *tc = tcase_create("checkpoint");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, checkpoint_multicast_after_k_batches);
	tcase_add_test(tc, stable_with_2f_plus_1_and_window_moves);
	tcase_add_test(tc, log_below_is_garbage_collected);
	tcase_add_test(tc, bad_signature_rejected);
	tcase_add_test(tc, non_checkpoint_seq_rejected);
	tcase_add_test(tc, wrong_digests_do_not_make_stable);
	tcase_add_test(tc, others_first_then_own_makes_stable);
	tcase_add_test(tc, tentative_checkpoint_sent_only_when_committed);
	tcase_add_test(tc, primary_resumes_batching_after_stable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(checkpoint_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
