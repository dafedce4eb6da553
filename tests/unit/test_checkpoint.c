/*
 * test_checkpoint.c — checkpoints, stability and garbage collection of one
 * replica in isolation (Castro & Liskov, OSDI '99 §4.3).
 *
 * The unit-test configuration has K = 4 and L = 8. The backup under test
 * (replica 1) executes one request of client 4 per batch (fixture_seq_pp,
 * fixture_commit_seq), so the counter service's state after batch s is s
 * and its digest mock_state_digest(s).
 */
#include <check.h>

#include "mock_io.h"

static void deliver_ckpt(uint32_t from, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	mock_deliver(&fx.nd, fx.buf,
		     mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), from, seq, d));
}

START_TEST(checkpoint_multicast_after_k_batches)
{
	uint8_t d4[BFT_DIGEST_LEN];
	size_t i;

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 3; s++)
		fixture_commit_seq(s);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_CKPT), 0);
	mock_io_clear(&fx.nd.io);
	fixture_commit_seq(4);

	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_CKPT), 1);
	ck_assert_uint_eq(fx.nd.svc.calls[fx.nd.svc.n_calls - 1].kind, MOCK_CKPT);
	ck_assert_uint_eq(fx.nd.svc.calls[fx.nd.svc.n_calls - 1].seq, 4);
	mock_state_digest(4, d4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_dest_mask(&fx.nd.io, BFT_MSG_CHECKPOINT), 0xd);
	for (i = 0; fixture_next_sent(&i, BFT_MSG_CHECKPOINT); i++) {
		ck_assert_uint_eq(fx.msg.hdr.sender, 1);
		ck_assert_uint_eq(fx.msg.u.checkpoint.seq, 4);
		ck_assert_mem_eq(fx.msg.u.checkpoint.digest, d4, BFT_DIGEST_LEN);
		/* signed: verifies at any node, even a client */
		ck_assert(mock_verify(&fx.keys, fx.nd.io.sent[i].to, fx.nd.io.sent[i].buf,
				      fx.nd.io.sent[i].len));
		ck_assert(mock_verify(&fx.keys, MOCK_C1, fx.nd.io.sent[i].buf,
				      fx.nd.io.sent[i].len));
	}
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0); /* own alone is not 2f+1 */
}
END_TEST

START_TEST(stable_with_2f_plus_1_and_window_moves)
{
	uint8_t d4[BFT_DIGEST_LEN], d[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	mock_state_digest(4, d4);

	/* h + L = 8: seq 9 is not acceptable yet */
	mock_io_clear(&fx.nd.io);
	fixture_seq_pp(9, d);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	deliver_ckpt(2, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_STABLE, 4), 1);

	/* now h = 4: seqs 9..12 are acceptable, 13 is not */
	mock_io_clear(&fx.nd.io);
	fixture_seq_pp(9, d);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 3);
	fixture_seq_pp(12, d);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 6);
	fixture_seq_pp(13, d);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 6);
	/* and at or below h no longer */
	fixture_seq_pp(4, d);
	fixture_seq_pp(3, d);
	ck_assert_uint_eq(fx.nd.io.n_sent, 6);
}
END_TEST

START_TEST(log_below_is_garbage_collected)
{
	uint8_t d4[BFT_DIGEST_LEN], d8[BFT_DIGEST_LEN], sb[512];
	size_t i, npp = 0;

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	mock_state_digest(4, d4);
	deliver_ckpt(2, 4, d4);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);

	/* The batch below the first stable checkpoint is still retransmitted
	 * (kept for a lagging replica)... */
	mock_io_clear(&fx.nd.io);
	mock_deliver(&fx.nd, sb, mock_forge_status(&fx.keys, sb, sizeof(sb), 3, 0, 4, 0, 0, 0));
	ck_assert_uint_ge(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, 3), 1);
	fixture_decode_sent(BFT_MSG_PRE_PREPARE, 3, 0);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.seq, 1);

	for (uint64_t s = 5; s <= 8; s++)
		fixture_commit_seq(s);
	mock_state_digest(8, d8);
	deliver_ckpt(2, 8, d8);
	deliver_ckpt(3, 8, d8);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 8);

	/* ...but after the next one, seqs 1..4 are gone: only 5..8 are resent */
	mock_io_clear(&fx.nd.io);
	mock_deliver(&fx.nd, sb, mock_forge_status(&fx.keys, sb, sizeof(sb), 3, 0, 8, 0, 0, 0));
	for (i = 0; fixture_next_sent(&i, BFT_MSG_PRE_PREPARE); i++) {
		ck_assert_uint_eq(fx.msg.u.pre_prepare.seq, 5 + npp);
		npp++;
	}
	ck_assert_uint_eq(npp, 4);
}
END_TEST

START_TEST(bad_signature_rejected)
{
	uint8_t d4[BFT_DIGEST_LEN];
	size_t len;

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	mock_state_digest(4, d4);
	len = mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 2, 4, d4);
	fx.buf[len - 1] ^= 0x01;
	mock_deliver(&fx.nd, fx.buf, len);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 1);

	/* signed by 3, claiming to be 2 */
	len = mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 3, 4, d4);
	fx.buf[4] = 2;
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);

	/* its own relayed back for a seq it executed, or from a client: not
	 * counted (only the client's is an error) */
	deliver_ckpt(1, 4, d4);
	deliver_ckpt(MOCK_C0, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 3);

	deliver_ckpt(2, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
}
END_TEST

START_TEST(non_checkpoint_seq_rejected)
{
	uint8_t d[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 6; s++)
		fixture_commit_seq(s);
	mock_state_digest(6, d);
	mock_io_clear(&fx.nd.io);
	deliver_ckpt(2, 6, d);
	deliver_ckpt(3, 6, d);
	deliver_ckpt(0, 6, d);
	deliver_ckpt(2, 5, d);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	/* seq 0 and beyond the window are dropped too */
	deliver_ckpt(2, 0, d);
	deliver_ckpt(2, 12, d);
	deliver_ckpt(3, 12, d);
	deliver_ckpt(0, 12, d);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
}
END_TEST

START_TEST(wrong_digests_do_not_make_stable)
{
	uint8_t d4[BFT_DIGEST_LEN], other[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	mock_state_digest(4, d4);
	mock_state_digest(99, other);
	deliver_ckpt(2, 4, other);
	deliver_ckpt(3, 4, other);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_STABLE, UINT64_MAX), 0);

	/* 2f+1 others agree on another digest: reported, still not stable */
	deliver_ckpt(0, 4, other);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_BEHIND, 4), 1);
	ck_assert(mock_log_contains(&fx.nd.io, "differs"));

	/* replicas correcting themselves: the latest message of each counts */
	deliver_ckpt(0, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
}
END_TEST

START_TEST(others_first_then_own_makes_stable)
{
	uint8_t d4[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	mock_state_digest(4, d4);
	deliver_ckpt(2, 4, d4);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	for (uint64_t s = 1; s <= 3; s++)
		fixture_commit_seq(s);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
	fixture_commit_seq(4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
}
END_TEST

START_TEST(tentative_checkpoint_sent_only_when_committed)
{
	uint8_t d[BFT_DIGEST_LEN], d4[BFT_DIGEST_LEN];

	fixture_open_replica(1, true);
	for (uint64_t s = 1; s <= 3; s++)
		fixture_commit_seq(s);
	mock_io_clear(&fx.nd.io);
	fixture_seq_pp(4, d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 4, d, 0x4);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 4); /* tentatively */
	/* the batch is still open: no state digest, no CHECKPOINT */
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_CKPT), 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 0);

	mock_state_digest(4, d4);
	deliver_ckpt(2, 4, d4);
	deliver_ckpt(3, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0); /* own not sent yet */

	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 4, d, 0xc);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_CKPT), 1);
	ck_assert_uint_eq(fx.nd.svc.calls[fx.nd.svc.n_calls - 2].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[fx.nd.svc.n_calls - 1].kind, MOCK_CKPT);
	ck_assert_uint_eq(fx.nd.svc.calls[fx.nd.svc.n_calls - 1].seq, 4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	fixture_decode_sent(BFT_MSG_CHECKPOINT, 0, 0);
	ck_assert_mem_eq(fx.msg.u.checkpoint.digest, d4, BFT_DIGEST_LEN);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
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
	fixture_open(&cfg);
	for (uint64_t t = 1; t <= 9; t++) {
		len = mock_forge_request(&fx.keys, rb, sizeof(rb), MOCK_C0 + (uint32_t)(t % 2), t,
					 0, 0, "x", 1);
		mock_deliver(&fx.nd, rb, len);
		if (t <= 8) {
			ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, 1), t);
			seq = mock_sent_pp(&fx.nd.io, 1, t - 1, d);
			ck_assert_uint_eq(seq, t);
			mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, seq, d, 0x6);
			mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, seq, d, 0x6);
		}
	}
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 8);
	/* seq 9 is above h + L = 8: held back */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, 1), 8);
	mock_state_digest(4, d4);
	deliver_ckpt(1, 4, d4);
	deliver_ckpt(2, 4, d4);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, 1), 9);
	ck_assert_uint_eq(mock_sent_pp(&fx.nd.io, 1, 8, d), 9);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		checkpoint_multicast_after_k_batches,
		stable_with_2f_plus_1_and_window_moves,
		log_below_is_garbage_collected, bad_signature_rejected,
		non_checkpoint_seq_rejected, wrong_digests_do_not_make_stable,
		others_first_then_own_makes_stable,
		tentative_checkpoint_sent_only_when_committed,
		primary_resumes_batching_after_stable, NULL,
	};
	const struct fixture_tcase tc = {
		"checkpoint", fixture_setup, fixture_teardown, 30, tests,
	};

	return fixture_run("replica_checkpoint", &tc, 1);
}
