/*
 * test_recv_prepare_commit.c — PREPARE and COMMIT handling, execution and
 * replies of one replica in isolation (Castro & Liskov, OSDI '99 §4.2
 * prepared / committed-local and in-order execution; §5.1.1 digest replies;
 * §5.1.2 tentative execution; the agreed batch time of TOCS '02 §5.4).
 */
#include <check.h>
#include <string.h>

#include "mock_io.h"

/* The other backups' votes; the backup under test is 1 or 2. */
static uint64_t others(void)
{
	return 0xeull & ~(1ull << fx.nd.cfg.id);
}

/* Assert sent datagram i is a REPLY to client 4 with (ts, flags) whose
 * result is `want` (full) or its SHA-256 (with BFT_REP_DIGEST). */
static void assert_reply(long i, uint64_t ts, uint16_t flags, const uint8_t *want,
			 uint32_t wlen)
{
	uint8_t d[BFT_DIGEST_LEN];

	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(fx.nd.io.sent[i].to, MOCK_C0);
	mock_sent_decode(&fx.nd.io, (size_t)i, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(fx.msg.hdr.sender, fx.nd.cfg.id);
	ck_assert_uint_eq(fx.msg.hdr.flags, flags);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, ts);
	ck_assert_uint_eq(fx.msg.u.reply.client, MOCK_C0);
	ck_assert_uint_eq(fx.msg.u.reply.view, 0);
	if (flags & BFT_REP_DIGEST) {
		bft_sha256(want, wlen, d);
		ck_assert_uint_eq(fx.msg.u.reply.result_len, BFT_DIGEST_LEN);
		ck_assert_mem_eq(fx.msg.u.reply.result, d, BFT_DIGEST_LEN);
	} else {
		ck_assert_uint_eq(fx.msg.u.reply.result_len, wlen);
		ck_assert_mem_eq(fx.msg.u.reply.result, want, wlen);
	}
	ck_assert(mock_verify(&fx.keys, MOCK_C0, fx.nd.io.sent[i].buf, fx.nd.io.sent[i].len));
}

static void assert_commit_sent(uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, seq, d);
}

START_TEST(primary_prepared_by_two_backup_prepares)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	fixture_open_replica(0, false);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.rq[0], l);
	ck_assert_uint_eq(mock_sent_pp(&fx.nd.io, 1, 0, d), 1);
	mock_io_clear(&fx.nd.io);

	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0); /* 1 < 2f */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x2); /* a duplicate */
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	assert_commit_sent(1, d);
	ck_assert_uint_eq(fx.nd.io.n_sent, 3);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0); /* tentative off: not yet */
}
END_TEST

START_TEST(prepare_from_primary_rejected)
{
	uint8_t d[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 0, "op-A", d);
	mock_io_clear(&fx.nd.io);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x1);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PREPARE), 1);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x8);
	assert_commit_sent(1, d);
}
END_TEST

START_TEST(mismatched_prepares_do_not_count)
{
	uint8_t d[BFT_DIGEST_LEN], bad[BFT_DIGEST_LEN];
	size_t l;

	fixture_open_replica(0, false);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.rq[0], l);
	mock_sent_pp(&fx.nd.io, 1, 0, d);
	memcpy(bad, d, sizeof(bad));
	bad[31] ^= 0x80;
	mock_io_clear(&fx.nd.io);

	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, bad, 0x4);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x8);
	assert_commit_sent(1, d);

	/* commits: own + 1 + a mismatched one is not 2f+1 */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, bad, 0x4);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 0);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x8);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 1);
}
END_TEST

START_TEST(votes_dropped_wrong_view_window_auth_sender)
{
	uint8_t d[BFT_DIGEST_LEN], vb[512];
	size_t l;

	fixture_open_replica(0, false);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.rq[0], l);
	mock_sent_pp(&fx.nd.io, 1, 0, d);
	mock_io_clear(&fx.nd.io);

	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 1, 1, d, 0x4);  /* view 1 */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 9, d, 0x4);  /* above h + L */
	l = mock_forge_vote(&fx.keys, vb, sizeof(vb), BFT_MSG_PREPARE, 2, 0, 1, d);
	vb[l - MOCK_N * BFT_MAC_LEN] ^= 1; /* replica 0's entry */
	mock_deliver(&fx.nd, vb, l);
	l = mock_forge_vote(&fx.keys, vb, sizeof(vb), BFT_MSG_PREPARE, MOCK_C1, 0, 1, d);
	mock_deliver(&fx.nd, vb, l); /* a client */
	l = mock_forge_vote(&fx.keys, vb, sizeof(vb), BFT_MSG_PREPARE, 3, 0, 1, d);
	vb[4] = 2; /* replica 3's vote claiming to be 2's */
	mock_deliver(&fx.nd, vb, l);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	assert_commit_sent(1, d);

	/* the same for COMMITs: own + 1 good, then bad ones */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x2);
	l = mock_forge_vote(&fx.keys, vb, sizeof(vb), BFT_MSG_COMMIT, 2, 0, 1, d);
	vb[l - MOCK_N * BFT_MAC_LEN] ^= 1; /* replica 0's entry */
	mock_deliver(&fx.nd, vb, l);
	l = mock_forge_vote(&fx.keys, vb, sizeof(vb), BFT_MSG_COMMIT, 3, 0, 1, d);
	vb[4] = 2; /* replica 3's commit claiming to be 2's */
	mock_deliver(&fx.nd, vb, l);
	l = mock_forge_vote(&fx.keys, vb, sizeof(vb), BFT_MSG_COMMIT, MOCK_C1, 0, 1, d);
	mock_deliver(&fx.nd, vb, l); /* a client */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x1); /* itself */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 1, 1, d, 0x4); /* view 1 */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 9, d, 0x4); /* above h + L */
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 0);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x4);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
}
END_TEST

START_TEST(commits_execute_with_agreed_time)
{
	uint8_t d[BFT_DIGEST_LEN], want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	fixture_open_replica(1, false);
	fx.nd.io.now_us = MOCK_EPOCH_US - 10000000; /* this backup's clock is 10 s behind */
	fixture_backup_pp(1, MOCK_EPOCH_US + 77, MOCK_C0, 1, 1, "op-A", d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x4);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0); /* own + 1 < 2f+1 */
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 0);
	mock_io_clear(&fx.nd.io);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x1); /* the primary commits too */

	ck_assert_uint_eq(fx.nd.svc.n_calls, 3);
	ck_assert_uint_eq(fx.nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[0].seq, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[0].time_us, MOCK_EPOCH_US + 77);
	ck_assert_uint_eq(fx.nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[1].seq, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[1].client, MOCK_C0);
	ck_assert_uint_eq(fx.nd.svc.calls[1].timestamp, 1);
	ck_assert(!fx.nd.svc.calls[1].read_only);
	ck_assert_uint_eq(fx.nd.svc.calls[1].op_len, 4);
	ck_assert_mem_eq(fx.nd.svc.calls[1].op, "op-A", 4);
	ck_assert_uint_eq(fx.nd.svc.calls[2].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[2].seq, 1);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 1);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_EXECUTED, 1), 1);

	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	assert_reply(0, 1, 0, want, wlen);
	/* durable before reply: the reply left after batch_end returned */
	ck_assert_uint_eq(fx.nd.svc.calls[2].sent_before, 0);

	/* more commits change nothing */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x8);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 3);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
}
END_TEST

START_TEST(commits_before_prepared_wait)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	fixture_open_replica(0, false);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.rq[0], l);
	mock_sent_pp(&fx.nd.io, 1, 0, d);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0xe);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0); /* committed needs prepared */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x6);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
}
END_TEST

START_TEST(null_and_multi_request_batches)
{
	uint8_t d[BFT_DIGEST_LEN], r1[64], r2[64];
	uint32_t l1, l2;
	size_t la, lb;

	fixture_open_replica(2, false);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US); /* the null request */
	mock_pp_digest(&fx.pp, d);
	fixture_deliver_pp(0);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x3);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 2);
	ck_assert_uint_eq(fx.nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[1].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[1].seq, 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);

	/* two clients in one batch: executed in batch order, both answered */
	la = fixture_request(fx.rq[0], MOCK_C1, 4, 2, 0, "first");
	lb = fixture_request(fx.rq[1], MOCK_C0, 2, 2, 0, "second");
	mock_pp_init(&fx.pp, 0, 2, MOCK_EPOCH_US + 5);
	mock_pp_add_inline(&fx.pp, fx.rq[0], la);
	mock_pp_add_inline(&fx.pp, fx.rq[1], lb);
	mock_pp_digest(&fx.pp, d);
	fixture_deliver_pp(0);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 2, d, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 2, d, 0x3);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 6);
	ck_assert_uint_eq(fx.nd.svc.calls[2].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[2].time_us, MOCK_EPOCH_US + 5);
	ck_assert_uint_eq(fx.nd.svc.calls[3].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[3].client, MOCK_C1);
	ck_assert_uint_eq(fx.nd.svc.calls[3].timestamp, 4);
	ck_assert_uint_eq(fx.nd.svc.calls[4].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[4].client, MOCK_C0);
	ck_assert_uint_eq(fx.nd.svc.calls[4].timestamp, 2);
	ck_assert_uint_eq(fx.nd.svc.calls[5].kind, MOCK_END);
	l1 = mock_result(1, "first", 5, r1);
	l2 = mock_result(2, "second", 6, r2);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
	fixture_decode_sent(BFT_MSG_REPLY, MOCK_C1, 0);
	ck_assert_uint_eq(fx.msg.hdr.flags, 0);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, 4);
	ck_assert_uint_eq(fx.msg.u.reply.client, MOCK_C1);
	ck_assert_uint_eq(fx.msg.u.reply.result_len, l1);
	ck_assert_mem_eq(fx.msg.u.reply.result, r1, l1);
	assert_reply(mock_find(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0, 0), 2, 0, r2, l2);
}
END_TEST

START_TEST(execution_strictly_in_sequence_order)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	fixture_backup_pp(1, MOCK_EPOCH_US + 10, MOCK_C0, 1, 0, "one", d1);
	fixture_backup_pp(2, MOCK_EPOCH_US + 20, MOCK_C1, 1, 0, "two", d2);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 2, d2, 0xc);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 2, d2, 0xd);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 2), 1);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);

	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d1, 0xc);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d1, 0xd);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 6);
	ck_assert_uint_eq(fx.nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[0].seq, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[0].time_us, MOCK_EPOCH_US + 10);
	ck_assert_uint_eq(fx.nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_mem_eq(fx.nd.svc.calls[1].op, "one", 3);
	ck_assert_uint_eq(fx.nd.svc.calls[2].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[2].seq, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[3].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[3].seq, 2);
	ck_assert_uint_eq(fx.nd.svc.calls[3].time_us, MOCK_EPOCH_US + 20);
	ck_assert_uint_eq(fx.nd.svc.calls[4].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[4].client, MOCK_C1);
	ck_assert_mem_eq(fx.nd.svc.calls[4].op, "two", 3);
	ck_assert_uint_eq(fx.nd.svc.calls[5].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[5].seq, 2);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 2);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0), 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
}
END_TEST

START_TEST(batch_time_strictly_increasing)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];

	fixture_open_replica(2, false);
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 0, "one", d1);
	fixture_backup_pp(2, MOCK_EPOCH_US - 500, MOCK_C1, 1, 0, "two", d2); /* goes back */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d1, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d1, 0x3);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 2, d2, 0x2);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 2, d2, 0x3);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_BEGIN), 2);
	ck_assert_uint_eq(fx.nd.svc.calls[0].time_us, MOCK_EPOCH_US);
	ck_assert_uint_eq(fx.nd.svc.calls[3].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[3].time_us, MOCK_EPOCH_US + 1);
}
END_TEST

START_TEST(tentative_execution_when_prepared)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN], want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	fixture_open_replica(1, true);
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d1);
	fixture_backup_pp(2, MOCK_EPOCH_US + 1, MOCK_C1, 1, 1, "op-B", d2);
	mock_io_clear(&fx.nd.io);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d1, 0x4); /* prepared */
	/* executed, the batch left open in the service until it commits */
	ck_assert_uint_eq(fx.nd.svc.n_calls, 2);
	ck_assert_uint_eq(fx.nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[0].seq, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_ANY), 1);
	assert_reply(mock_find(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0, 0), 1, BFT_REP_TENTATIVE, want,
		     wlen);

	/* seq 2 prepared: it waits until seq 1 has committed */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 2, d2, 0x4);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 2);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d1, 0x5);
	/* seq 1 ended (not re-executed), then seq 2 runs tentatively */
	ck_assert_uint_eq(fx.nd.svc.n_calls, 5);
	ck_assert_uint_eq(fx.nd.svc.calls[2].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[2].seq, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[3].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[3].seq, 2);
	ck_assert_uint_eq(fx.nd.svc.calls[4].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[4].client, MOCK_C1);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 2);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 2);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
	fixture_decode_sent(BFT_MSG_REPLY, MOCK_C1, 0);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_TENTATIVE);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0), 1);

	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 2, d2, 0x5);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 6);
	ck_assert_uint_eq(fx.nd.svc.calls[5].kind, MOCK_END);
	ck_assert_uint_eq(fx.nd.svc.calls[5].seq, 2);
	ck_assert(!fx.nd.svc.in_batch);
}
END_TEST

START_TEST(no_tentative_execution_when_off)
{
	uint8_t d[BFT_DIGEST_LEN], want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	fixture_open_replica(1, false);
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0xc);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0xc);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 3);
	assert_reply(mock_find(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0, 0), 1, 0, want, wlen);
}
END_TEST

/* Run one request (replier) through replica id to commit; return the index
 * of its reply. */
static long reply_of(uint32_t id, uint32_t replier, bool digest_replies)
{
	struct bft_replica_config cfg;
	uint8_t d[BFT_DIGEST_LEN];

	mock_replica_config(&cfg, id);
	cfg.digest_replies = digest_replies;
	cfg.tentative = false;
	fixture_open(&cfg); /* closes the previous one */
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, replier, "op-A", d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, others());
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, others());
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_ANY), 1);
	return mock_find(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0, 0);
}

START_TEST(digest_replies_designated_replier_full)
{
	uint8_t want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	assert_reply(reply_of(1, 1, true), 1, 0, want, wlen);
	assert_reply(reply_of(2, 1, true), 1, BFT_REP_DIGEST, want, wlen);
	assert_reply(reply_of(2, 2, true), 1, 0, want, wlen);
	assert_reply(reply_of(1, 2, true), 1, BFT_REP_DIGEST, want, wlen);
	/* replier 0 (the primary, not under test): both backups send digests */
	assert_reply(reply_of(1, 0, true), 1, BFT_REP_DIGEST, want, wlen);
}
END_TEST

START_TEST(replier_all_makes_everyone_send_full)
{
	uint8_t want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	assert_reply(reply_of(1, BFT_REPLIER_ALL, true), 1, 0, want, wlen);
	assert_reply(reply_of(2, BFT_REPLIER_ALL, true), 1, 0, want, wlen);
	/* digest replies off: always full */
	assert_reply(reply_of(2, 1, false), 1, 0, want, wlen);
}
END_TEST

START_TEST(failing_service_halts_replica)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];

	fixture_open_replica(1, false);
	fx.nd.svc.fail_on = MOCK_EXEC;
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d1);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d1, 0x4);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d1, 0x5);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_END), 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 0);
	ck_assert(mock_log_contains(&fx.nd.io, "halts"));

	/* halted: later batches never execute, STATUS is not sent */
	fx.nd.svc.fail_on = 0;
	fx.nd.svc.in_batch = false;
	fixture_backup_pp(2, MOCK_EPOCH_US + 1, MOCK_C1, 1, 1, "op-B", d2);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 2, d2, 0x4);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 2, d2, 0x5);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	mock_io_clear(&fx.nd.io);
	bft_replica_on_timer(fx.nd.r, BFT_TIMER_STATUS);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_STATUS, MOCK_ANY), 0);
}
END_TEST

int main(void)
{
	const TTest *tc_tests[] = {
		primary_prepared_by_two_backup_prepares,
		prepare_from_primary_rejected, mismatched_prepares_do_not_count,
		votes_dropped_wrong_view_window_auth_sender,
		commits_execute_with_agreed_time, commits_before_prepared_wait,
		null_and_multi_request_batches,
		execution_strictly_in_sequence_order,
		batch_time_strictly_increasing,
		tentative_execution_when_prepared,
		no_tentative_execution_when_off, failing_service_halts_replica,
		NULL,
	};
	const TTest *rp_tests[] = {
		digest_replies_designated_replier_full,
		replier_all_makes_everyone_send_full, NULL,
	};
	const struct fixture_tcase tc[] = {
		{ "prepare_commit", fixture_setup, fixture_teardown, 30, tc_tests },
		{ "replies", fixture_setup, fixture_teardown, 30, rp_tests },
	};

	return fixture_run("replica_prepare_commit", tc, 2);
}
