/*
 * test_recv_request.c — the replica's REQUEST handler in isolation
 * (Castro & Liskov, OSDI '99 §4.1, §5.1.3 read-only requests, §5.1.4
 * batching; large requests travel by digest).
 *
 * One replica of the n = 4 test cluster is driven through
 * bft_replica_recv with forged, correctly authenticated messages; the tests
 * look only at the datagrams it sends (decoded) and the service calls.
 */
#include <check.h>
#include <string.h>

#include "mock_io.h"

/* At the primary (replica 0): commit the nth pre-prepare it sent with
 * PREPAREs and COMMITs from replicas 1 and 2. */
static uint64_t commit_nth_pp(size_t nth)
{
	uint8_t d[BFT_DIGEST_LEN];
	uint64_t seq = mock_sent_pp(&fx.nd.io, 1, nth, d);

	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, seq, d, 0x6);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, seq, d, 0x6);
	return seq;
}

START_TEST(primary_batches_request_into_pre_prepare)
{
	size_t len;
	size_t i;

	fixture_open_replica(0, true);
	fx.nd.io.now_us = MOCK_EPOCH_US + 1234;
	len = fixture_request(fx.buf, MOCK_C0, 1, 1, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);

	ck_assert_uint_eq(fx.nd.io.n_sent, 3);
	ck_assert_uint_eq(mock_dest_mask(&fx.nd.io, BFT_MSG_PRE_PREPARE), 0xe);
	for (i = 0; i < 3; i++) {
		mock_sent_decode(&fx.nd.io, i, &fx.msg);
		ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_PRE_PREPARE);
		ck_assert_uint_eq(fx.msg.hdr.sender, 0);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.view, 0);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.seq, 1);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.nondet, MOCK_EPOCH_US + 1234);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.count, 1);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].kind, BFT_PP_INLINE);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].client, MOCK_C0);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].timestamp, 1);
		ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].raw_len, len);
		ck_assert_mem_eq(fx.msg.u.pre_prepare.entries[0].raw, fx.buf, len);
		/* authenticated for the replica it went to */
		ck_assert(mock_verify(&fx.keys, fx.nd.io.sent[i].to, fx.nd.io.sent[i].buf,
				      fx.nd.io.sent[i].len));
	}
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
}
END_TEST

START_TEST(primary_batches_several_clients_within_inflight)
{
	uint8_t b2[512], b3[512];
	size_t l1, l2, l3;

	fixture_open_replica(0, false);
	l1 = fixture_request(fx.buf, MOCK_C0, 1, 0, 0, "first");
	l2 = fixture_request(b2, MOCK_C1, 7, 0, 0, "second");
	l3 = fixture_request(b3, MOCK_C0, 2, 0, 0, "third");
	mock_deliver(&fx.nd, fx.buf, l1);
	mock_deliver(&fx.nd, b2, l2);
	mock_deliver(&fx.nd, b3, l3);

	/* max_inflight = 2: seq 1 (client 4), seq 2 (client 5), no seq 3 yet */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, 1), 2);
	fixture_decode_sent(BFT_MSG_PRE_PREPARE, 1, 1);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.seq, 2);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].client, MOCK_C1);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].timestamp, 7);

	/* Executing seq 1 frees a slot: client 4's newer request goes in seq 3. */
	ck_assert_uint_eq(commit_nth_pp(0), 1);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, 1), 3);
	fixture_decode_sent(BFT_MSG_PRE_PREPARE, 1, 2);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.seq, 3);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.count, 1);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].client, MOCK_C0);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].timestamp, 2);
	/* clock stood still: +1 per batch */
	ck_assert_uint_eq(fx.msg.u.pre_prepare.nondet, MOCK_EPOCH_US + 2);
}
END_TEST

START_TEST(backup_forwards_request_sends_no_pre_prepare)
{
	uint64_t ms = 0;
	size_t len;

	fixture_open_replica(1, true);
	len = fixture_request(fx.buf, MOCK_C0, 1, 1, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 0);
	/* §4.4: passed on, verbatim, to the primary only, and timed */
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	ck_assert_uint_eq(fx.nd.io.sent[0].to, 0);
	ck_assert_uint_eq(fx.nd.io.sent[0].len, len);
	ck_assert_mem_eq(fx.nd.io.sent[0].buf, fx.buf, len);
	ck_assert(mock_last_timer(&fx.nd.io, BFT_TIMER_VIEW_CHANGE, &ms));
	ck_assert_uint_eq(ms, fx.nd.cfg.view_change_ms);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, UINT64_MAX), 0);
}
END_TEST

/* A large request's first transmission reaches every replica (the client
 * multicasts it): a backup times it but does not pass it on; a
 * retransmission (replier ALL) it does pass on. */
START_TEST(backup_passes_on_large_request_only_when_retransmitted)
{
	char op[128];
	uint64_t ms = 0;
	size_t len;

	memset(op, 'x', sizeof(op) - 1);
	op[sizeof(op) - 1] = 0; /* 127 bytes > big_request (64) */
	fixture_open_replica(1, true);
	len = fixture_request(fx.buf, MOCK_C0, 1, 1, 0, op);
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert(mock_last_timer(&fx.nd.io, BFT_TIMER_VIEW_CHANGE, &ms)); /* timed */
	ck_assert_uint_eq(ms, fx.nd.cfg.view_change_ms);
	len = fixture_request(fx.buf, MOCK_C0, 2, BFT_REPLIER_ALL, 0, op);
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	ck_assert_uint_eq(fx.nd.io.sent[0].to, 0);
	ck_assert_mem_eq(fx.nd.io.sent[0].buf, fx.buf, len);
}
END_TEST

START_TEST(bad_authenticator_dropped)
{
	uint8_t bad[512];
	size_t len;

	fixture_open_replica(0, true);
	len = fixture_request(fx.buf, MOCK_C0, 1, 1, 0, "op-A");

	/* replica 0's MAC entry (the first of the authenticator) flipped */
	memcpy(bad, fx.buf, len);
	bad[len - MOCK_N * BFT_MAC_LEN] ^= 0x01;
	mock_deliver(&fx.nd, bad, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	/* one op byte changed after authentication */
	memcpy(bad, fx.buf, len);
	bad[BFT_HDR_LEN + 16] ^= 0x20;
	mock_deliver(&fx.nd, bad, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_REQUEST), 2);

	/* authenticated by the other client, claiming client 4 */
	len = mock_forge_request(&fx.keys, bad, sizeof(bad), MOCK_C1, 1, 1, 0, "op-A", 4);
	bad[4] = (uint8_t)MOCK_C0;
	mock_deliver(&fx.nd, bad, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);

	/* the intact request is accepted, so the drops were the corruption */
	mock_deliver(&fx.nd, fx.buf, fixture_request(fx.buf, MOCK_C0, 1, 1, 0, "op-A"));
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 3);
}
END_TEST

START_TEST(unknown_client_dropped)
{
	struct bft_replica_config cfg;
	size_t len;

	mock_replica_config(&cfg, 0);
	cfg.n_clients = 1; /* only node 4 is a client */
	fixture_open(&cfg);

	len = fixture_request(fx.buf, MOCK_C1, 1, 0, 0, "op-A"); /* valid keys, unknown id */
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	len = fixture_request(fx.buf, MOCK_C1, 1, 0, BFT_REQ_READ_ONLY, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	len = fixture_request(fx.buf, 2, 1, 0, 0, "op-A"); /* a replica posing as a client */
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_REQUEST), 3);

	len = fixture_request(fx.buf, MOCK_C0, 1, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 3);
}
END_TEST

START_TEST(timestamp_zero_dropped)
{
	size_t len;

	fixture_open_replica(0, true);
	len = fixture_request(fx.buf, MOCK_C0, 0, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	len = fixture_request(fx.buf, MOCK_C0, 0, 0, BFT_REQ_READ_ONLY, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_REQUEST), 2);
}
END_TEST

START_TEST(duplicate_gets_cached_reply)
{
	uint8_t want[64], d[BFT_DIGEST_LEN];
	uint32_t wlen = mock_result(1, "op-A", 4, want);
	size_t len;

	fixture_open_replica(0, true);
	len = fixture_request(fx.buf, MOCK_C0, 5, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(commit_nth_pp(0), 1);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	mock_io_clear(&fx.nd.io);

	/* the same request again: the cached, now committed, full reply */
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	ck_assert_uint_eq(fx.nd.io.sent[0].to, MOCK_C0);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(fx.msg.hdr.sender, 0);
	ck_assert_uint_eq(fx.msg.hdr.flags, 0);
	ck_assert_uint_eq(fx.msg.u.reply.view, 0);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, 5);
	ck_assert_uint_eq(fx.msg.u.reply.client, MOCK_C0);
	ck_assert_uint_eq(fx.msg.u.reply.result_len, wlen);
	ck_assert_mem_eq(fx.msg.u.reply.result, want, wlen);
	ck_assert(mock_verify(&fx.keys, MOCK_C0, fx.nd.io.sent[0].buf, fx.nd.io.sent[0].len));
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1); /* not re-executed */

	/* naming another replier: this replica sends the digest only */
	mock_io_clear(&fx.nd.io);
	len = fixture_request(fx.buf, MOCK_C0, 5, 2, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_DIGEST);
	ck_assert_uint_eq(fx.msg.u.reply.result_len, BFT_DIGEST_LEN);
	bft_sha256(want, wlen, d);
	ck_assert_mem_eq(fx.msg.u.reply.result, d, BFT_DIGEST_LEN);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 0);
}
END_TEST

START_TEST(duplicate_while_tentative_is_marked_tentative)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t len;

	fixture_open_replica(0, true);
	len = fixture_request(fx.buf, MOCK_C0, 3, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.buf, len);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, mock_sent_pp(&fx.nd.io, 1, 0, d), d, 0x6);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	mock_io_clear(&fx.nd.io);
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_TENTATIVE);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, 3);
}
END_TEST

START_TEST(older_timestamp_ignored)
{
	size_t len;

	fixture_open_replica(0, true);
	len = fixture_request(fx.buf, MOCK_C0, 9, 0, 0, "new");
	mock_deliver(&fx.nd, fx.buf, len);
	commit_nth_pp(0);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	mock_io_clear(&fx.nd.io);
	fx.nd.svc.n_calls = 0;

	len = fixture_request(fx.buf, MOCK_C0, 8, 0, 0, "old");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);

	/* and a newer one still goes through */
	len = fixture_request(fx.buf, MOCK_C0, 10, 0, 0, "newer");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 3);
}
END_TEST

START_TEST(older_timestamp_ignored_at_backup)
{
	uint8_t d[BFT_DIGEST_LEN], rb[512];
	size_t len;

	fixture_open_replica(1, false);
	len = fixture_request(rb, MOCK_C0, 9, 0, 0, "new");
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, rb, len);
	mock_pp_digest(&fx.pp, d);
	fixture_deliver_pp(0);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0xc);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	mock_io_clear(&fx.nd.io);
	fx.nd.svc.n_calls = 0;

	/* neither answered, nor forwarded to the primary, nor timed */
	len = fixture_request(fx.buf, MOCK_C0, 8, 0, 0, "old");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.io.n_timers, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);

	/* the executed one again: the cached reply (digest: replier is 0) */
	mock_deliver(&fx.nd, rb, mock_forge_request(&fx.keys, rb, sizeof(rb), MOCK_C0, 9, 0, 0,
						  "new", 3));
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_DIGEST);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, 9);
}
END_TEST

START_TEST(big_request_goes_by_digest)
{
	uint8_t op[100], d[BFT_DIGEST_LEN];
	size_t len;

	for (size_t i = 0; i < sizeof(op); i++)
		op[i] = (uint8_t)(i * 7 + 1);
	fixture_open_replica(0, true);
	len = mock_forge_request(&fx.keys, fx.buf, sizeof(fx.buf), MOCK_C0, 4, 0, 0, op,
				 sizeof(op));
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 3);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.count, 1);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].kind, BFT_PP_DIGEST);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].client, MOCK_C0);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].timestamp, 4);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].req_flags, 0);
	mock_req_digest(MOCK_C0, 4, 0, op, sizeof(op), d);
	ck_assert_mem_eq(fx.msg.u.pre_prepare.entries[0].digest, d, BFT_DIGEST_LEN);
	ck_assert_uint_lt(fx.nd.io.sent[0].len, len); /* the body is not inside */

	/* the primary executes the held body once committed */
	commit_nth_pp(0);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(fx.nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[1].op_len, sizeof(op));
	ck_assert_mem_eq(fx.nd.svc.calls[1].op, op, sizeof(op));
}
END_TEST

START_TEST(small_request_at_limit_goes_inline)
{
	uint8_t op[64];
	size_t len;

	memset(op, 'x', sizeof(op));
	fixture_open_replica(0, true);
	len = mock_forge_request(&fx.keys, fx.buf, sizeof(fx.buf), MOCK_C0, 4, 0, 0, op,
				 sizeof(op));
	mock_deliver(&fx.nd, fx.buf, len);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.u.pre_prepare.entries[0].kind, BFT_PP_INLINE);
}
END_TEST

START_TEST(read_only_executed_at_once)
{
	uint8_t want[64], d[BFT_DIGEST_LEN];
	uint32_t wlen = mock_result(0, "get-x", 5, want);
	size_t len;

	fixture_open_replica(1, true);
	len = fixture_request(fx.buf, MOCK_C0, 6, 1, BFT_REQ_READ_ONLY, "get-x");
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 1);
	ck_assert_uint_eq(fx.nd.svc.calls[0].kind, MOCK_EXEC_RO);
	ck_assert(fx.nd.svc.calls[0].read_only);
	ck_assert_uint_eq(fx.nd.svc.calls[0].client, MOCK_C0);
	ck_assert_uint_eq(fx.nd.svc.calls[0].timestamp, 6);
	ck_assert_uint_eq(fx.nd.svc.calls[0].op_len, 5);
	ck_assert_mem_eq(fx.nd.svc.calls[0].op, "get-x", 5);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	ck_assert_uint_eq(fx.nd.io.sent[0].to, MOCK_C0);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_READ_ONLY);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, 6);
	ck_assert_uint_eq(fx.msg.u.reply.result_len, wlen);
	ck_assert_mem_eq(fx.msg.u.reply.result, want, wlen);
	ck_assert(mock_verify(&fx.keys, MOCK_C0, fx.nd.io.sent[0].buf, fx.nd.io.sent[0].len));
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 0);
	mock_node_close(&fx.nd);

	/* at the primary: no pre-prepare; replier 1 -> a digest reply */
	fixture_open_replica(0, true);
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	mock_sent_decode(&fx.nd.io, 0, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_READ_ONLY | BFT_REP_DIGEST);
	bft_sha256(want, wlen, d);
	ck_assert_mem_eq(fx.msg.u.reply.result, d, BFT_DIGEST_LEN);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC_RO), 1);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_BEGIN), 0);
}
END_TEST

START_TEST(read_only_waits_for_tentative_state_to_commit)
{
	uint8_t d[BFT_DIGEST_LEN], rq[512], want[64];
	uint32_t wlen = mock_result(1, "get", 3, want);
	size_t len, rlen;
	uint64_t seq;

	fixture_open_replica(0, true);
	len = fixture_request(fx.buf, MOCK_C0, 1, 0, 0, "put");
	mock_deliver(&fx.nd, fx.buf, len);
	seq = mock_sent_pp(&fx.nd.io, 1, 0, d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, seq, d, 0x6); /* tentative */
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	mock_io_clear(&fx.nd.io);

	rlen = fixture_request(rq, MOCK_C1, 1, 0, BFT_REQ_READ_ONLY, "get");
	mock_deliver(&fx.nd, rq, rlen);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC_RO), 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 0);

	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, seq, d, 0x6);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC_RO), 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
	fixture_decode_sent(BFT_MSG_REPLY, MOCK_C1, 0);
	ck_assert_uint_eq(fx.msg.hdr.flags, BFT_REP_READ_ONLY);
	ck_assert_uint_eq(fx.msg.u.reply.result_len, wlen);
	ck_assert_mem_eq(fx.msg.u.reply.result, want, wlen); /* sees the committed write */
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		primary_batches_request_into_pre_prepare,
		primary_batches_several_clients_within_inflight,
		backup_forwards_request_sends_no_pre_prepare,
		backup_passes_on_large_request_only_when_retransmitted,
		bad_authenticator_dropped, unknown_client_dropped,
		timestamp_zero_dropped, duplicate_gets_cached_reply,
		duplicate_while_tentative_is_marked_tentative,
		older_timestamp_ignored, older_timestamp_ignored_at_backup,
		big_request_goes_by_digest, small_request_at_limit_goes_inline,
		read_only_executed_at_once,
		read_only_waits_for_tentative_state_to_commit, NULL,
	};
	const struct fixture_tcase tc = { "request", fixture_setup, fixture_teardown, 30, tests };

	return fixture_run("replica_request", &tc, 1);
}
