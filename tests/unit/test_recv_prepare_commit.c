/*
 * test_recv_prepare_commit.c — PREPARE and COMMIT handling, execution and
 * replies of one replica in isolation (Castro & Liskov, OSDI '99 §4.2
 * prepared / committed-local and in-order execution; §5.1.1 digest replies;
 * §5.1.2 tentative execution; the agreed batch time of TOCS '02 §5.4).
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
static uint8_t rq[4][1024];

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

static size_t request(uint8_t *b, uint32_t client, uint64_t ts, uint32_t replier,
		      const char *op)
{
	return mock_forge_request(&keys, b, 1024, client, ts, replier, 0, op,
				  (uint32_t)strlen(op));
}

/* Deliver to the backup under test a pre-prepare (view 0, seq, nondet) with
 * one request of `client`; its batch digest goes to d. */
static void backup_pp(uint64_t seq, uint64_t nondet, uint32_t client, uint64_t ts,
		      uint32_t replier, const char *op, uint8_t d[BFT_DIGEST_LEN])
{
	uint8_t *b = rq[seq % 4];
	size_t l = request(b, client, ts, replier, op);

	mock_pp_init(&pp, 0, seq, nondet);
	mock_pp_add_inline(&pp, b, l);
	mock_pp_digest(&pp, d);
	mock_deliver(&nd, buf, mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp));
}

/* The other backups' votes; the backup under test is 1 or 2. */
static uint64_t others(void)
{
	return 0xeull & ~(1ull << nd.cfg.id);
}

/* Assert sent datagram i is a REPLY to client 4 with (ts, flags) whose
 * result is `want` (full) or its SHA-256 (with BFT_REP_DIGEST). */
static void assert_reply(long i, uint64_t ts, uint16_t flags, const uint8_t *want,
			 uint32_t wlen)
{
	uint8_t d[BFT_DIGEST_LEN];

	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(nd.io.sent[i].to, MOCK_C0);
	mock_sent_decode(&nd.io, (size_t)i, &msg);
	ck_assert_uint_eq(msg.hdr.type, BFT_MSG_REPLY);
	ck_assert_uint_eq(msg.hdr.sender, nd.cfg.id);
	ck_assert_uint_eq(msg.hdr.flags, flags);
	ck_assert_uint_eq(msg.u.reply.timestamp, ts);
	ck_assert_uint_eq(msg.u.reply.client, MOCK_C0);
	ck_assert_uint_eq(msg.u.reply.view, 0);
	if (flags & BFT_REP_DIGEST) {
		bft_sha256(want, wlen, d);
		ck_assert_uint_eq(msg.u.reply.result_len, BFT_DIGEST_LEN);
		ck_assert_mem_eq(msg.u.reply.result, d, BFT_DIGEST_LEN);
	} else {
		ck_assert_uint_eq(msg.u.reply.result_len, wlen);
		ck_assert_mem_eq(msg.u.reply.result, want, wlen);
	}
	ck_assert(mock_verify(&keys, MOCK_C0, nd.io.sent[i].buf, nd.io.sent[i].len));
}

static void assert_commit_sent(uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	size_t i;

	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), MOCK_N - 1);
	ck_assert_uint_eq(mock_dest_mask(&nd.io, BFT_MSG_COMMIT), 0xfull & ~(1ull << nd.cfg.id));
	for (i = 0; i < nd.io.n_sent; i++) {
		mock_sent_decode(&nd.io, i, &msg);
		if (msg.hdr.type != BFT_MSG_COMMIT)
			continue;
		ck_assert_uint_eq(msg.hdr.sender, nd.cfg.id);
		ck_assert_uint_eq(msg.u.prepare.view, 0);
		ck_assert_uint_eq(msg.u.prepare.seq, seq);
		ck_assert_mem_eq(msg.u.prepare.digest, d, BFT_DIGEST_LEN);
		ck_assert(mock_verify(&keys, nd.io.sent[i].to, nd.io.sent[i].buf,
				      nd.io.sent[i].len));
	}
}

START_TEST(primary_prepared_by_two_backup_prepares)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	open_replica(0, false);
	l = request(rq[0], MOCK_C0, 1, 0, "op-A");
	mock_deliver(&nd, rq[0], l);
	ck_assert_uint_eq(mock_sent_pp(&nd.io, 1, 0, d), 1);
	mock_io_clear(&nd.io);

	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	ck_assert_uint_eq(nd.io.n_sent, 0); /* 1 < 2f */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x2); /* a duplicate */
	ck_assert_uint_eq(nd.io.n_sent, 0);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	assert_commit_sent(1, d);
	ck_assert_uint_eq(nd.io.n_sent, 3);
	ck_assert_uint_eq(nd.svc.n_calls, 0); /* tentative off: not yet */
}
END_TEST

START_TEST(prepare_from_primary_rejected)
{
	uint8_t d[BFT_DIGEST_LEN];

	open_replica(1, false);
	backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 0, "op-A", d);
	mock_io_clear(&nd.io);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x1);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PREPARE), 1);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x8);
	assert_commit_sent(1, d);
}
END_TEST

START_TEST(mismatched_prepares_do_not_count)
{
	uint8_t d[BFT_DIGEST_LEN], bad[BFT_DIGEST_LEN];
	size_t l;

	open_replica(0, false);
	l = request(rq[0], MOCK_C0, 1, 0, "op-A");
	mock_deliver(&nd, rq[0], l);
	mock_sent_pp(&nd.io, 1, 0, d);
	memcpy(bad, d, sizeof(bad));
	bad[31] ^= 0x80;
	mock_io_clear(&nd.io);

	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, bad, 0x4);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x8);
	assert_commit_sent(1, d);

	/* commits: own + 1 + a mismatched one is not 2f+1 */
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x2);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, bad, 0x4);
	ck_assert_uint_eq(nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_COMMITTED, 1), 0);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x8);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_COMMITTED, 1), 1);
}
END_TEST

START_TEST(votes_dropped_wrong_view_window_auth_sender)
{
	uint8_t d[BFT_DIGEST_LEN], vb[512];
	size_t l;

	open_replica(0, false);
	l = request(rq[0], MOCK_C0, 1, 0, "op-A");
	mock_deliver(&nd, rq[0], l);
	mock_sent_pp(&nd.io, 1, 0, d);
	mock_io_clear(&nd.io);

	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 1, 1, d, 0x4);  /* view 1 */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 9, d, 0x4);  /* above h + L */
	l = mock_forge_vote(&keys, vb, sizeof(vb), BFT_MSG_PREPARE, 2, 0, 1, d);
	vb[l - MOCK_N * BFT_MAC_LEN] ^= 1; /* replica 0's entry */
	mock_deliver(&nd, vb, l);
	l = mock_forge_vote(&keys, vb, sizeof(vb), BFT_MSG_PREPARE, MOCK_C1, 0, 1, d);
	mock_deliver(&nd, vb, l); /* a client */
	l = mock_forge_vote(&keys, vb, sizeof(vb), BFT_MSG_PREPARE, 3, 0, 1, d);
	vb[4] = 2; /* replica 3's vote claiming to be 2's */
	mock_deliver(&nd, vb, l);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	assert_commit_sent(1, d);

	/* the same for COMMITs: own + 1 good, then bad ones */
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x2);
	l = mock_forge_vote(&keys, vb, sizeof(vb), BFT_MSG_COMMIT, 2, 0, 1, d);
	vb[l - MOCK_N * BFT_MAC_LEN] ^= 1; /* replica 0's entry */
	mock_deliver(&nd, vb, l);
	l = mock_forge_vote(&keys, vb, sizeof(vb), BFT_MSG_COMMIT, 3, 0, 1, d);
	vb[4] = 2; /* replica 3's commit claiming to be 2's */
	mock_deliver(&nd, vb, l);
	l = mock_forge_vote(&keys, vb, sizeof(vb), BFT_MSG_COMMIT, MOCK_C1, 0, 1, d);
	mock_deliver(&nd, vb, l); /* a client */
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x1); /* itself */
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 1, 1, d, 0x4); /* view 1 */
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 9, d, 0x4); /* above h + L */
	ck_assert_uint_eq(nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_COMMITTED, 1), 0);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x4);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
}
END_TEST

START_TEST(commits_execute_with_agreed_time)
{
	uint8_t d[BFT_DIGEST_LEN], want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	open_replica(1, false);
	nd.io.now_us = MOCK_EPOCH_US - 10000000; /* this backup's clock is 10 s behind */
	backup_pp(1, MOCK_EPOCH_US + 77, MOCK_C0, 1, 1, "op-A", d);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x4);
	ck_assert_uint_eq(nd.svc.n_calls, 0); /* own + 1 < 2f+1 */
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 0);
	mock_io_clear(&nd.io);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x1); /* the primary commits too */

	ck_assert_uint_eq(nd.svc.n_calls, 3);
	ck_assert_uint_eq(nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[0].seq, 1);
	ck_assert_uint_eq(nd.svc.calls[0].time_us, MOCK_EPOCH_US + 77);
	ck_assert_uint_eq(nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_uint_eq(nd.svc.calls[1].seq, 1);
	ck_assert_uint_eq(nd.svc.calls[1].client, MOCK_C0);
	ck_assert_uint_eq(nd.svc.calls[1].timestamp, 1);
	ck_assert(!nd.svc.calls[1].read_only);
	ck_assert_uint_eq(nd.svc.calls[1].op_len, 4);
	ck_assert_mem_eq(nd.svc.calls[1].op, "op-A", 4);
	ck_assert_uint_eq(nd.svc.calls[2].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[2].seq, 1);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 1);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_COMMITTED, 1), 1);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_EXECUTED, 1), 1);

	ck_assert_uint_eq(nd.io.n_sent, 1);
	assert_reply(0, 1, 0, want, wlen);
	/* durable before reply: the reply left after batch_end returned */
	ck_assert_uint_eq(nd.svc.calls[2].sent_before, 0);

	/* more commits change nothing */
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x8);
	ck_assert_uint_eq(nd.svc.n_calls, 3);
	ck_assert_uint_eq(nd.io.n_sent, 1);
}
END_TEST

START_TEST(commits_before_prepared_wait)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	open_replica(0, false);
	l = request(rq[0], MOCK_C0, 1, 0, "op-A");
	mock_deliver(&nd, rq[0], l);
	mock_sent_pp(&nd.io, 1, 0, d);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0xe);
	ck_assert_uint_eq(nd.svc.n_calls, 0); /* committed needs prepared */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x6);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 1);
}
END_TEST

START_TEST(null_and_multi_request_batches)
{
	uint8_t d[BFT_DIGEST_LEN], r1[64], r2[64];
	uint32_t l1, l2;
	size_t la, lb;

	open_replica(2, false);
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US); /* the null request */
	mock_pp_digest(&pp, d);
	mock_deliver(&nd, buf, mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp));
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0x2);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0x3);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 1);
	ck_assert_uint_eq(nd.svc.n_calls, 2);
	ck_assert_uint_eq(nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[1].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[1].seq, 1);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);

	/* two clients in one batch: executed in batch order, both answered */
	la = request(rq[0], MOCK_C1, 4, 2, "first");
	lb = request(rq[1], MOCK_C0, 2, 2, "second");
	mock_pp_init(&pp, 0, 2, MOCK_EPOCH_US + 5);
	mock_pp_add_inline(&pp, rq[0], la);
	mock_pp_add_inline(&pp, rq[1], lb);
	mock_pp_digest(&pp, d);
	mock_deliver(&nd, buf, mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp));
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 2, d, 0x2);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 2, d, 0x3);
	ck_assert_uint_eq(nd.svc.n_calls, 6);
	ck_assert_uint_eq(nd.svc.calls[2].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[2].time_us, MOCK_EPOCH_US + 5);
	ck_assert_uint_eq(nd.svc.calls[3].kind, MOCK_EXEC);
	ck_assert_uint_eq(nd.svc.calls[3].client, MOCK_C1);
	ck_assert_uint_eq(nd.svc.calls[3].timestamp, 4);
	ck_assert_uint_eq(nd.svc.calls[4].kind, MOCK_EXEC);
	ck_assert_uint_eq(nd.svc.calls[4].client, MOCK_C0);
	ck_assert_uint_eq(nd.svc.calls[4].timestamp, 2);
	ck_assert_uint_eq(nd.svc.calls[5].kind, MOCK_END);
	l1 = mock_result(1, "first", 5, r1);
	l2 = mock_result(2, "second", 6, r2);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
	mock_sent_decode(&nd.io, (size_t)mock_find(&nd.io, BFT_MSG_REPLY, MOCK_C1, 0), &msg);
	ck_assert_uint_eq(msg.hdr.flags, 0);
	ck_assert_uint_eq(msg.u.reply.timestamp, 4);
	ck_assert_uint_eq(msg.u.reply.client, MOCK_C1);
	ck_assert_uint_eq(msg.u.reply.result_len, l1);
	ck_assert_mem_eq(msg.u.reply.result, r1, l1);
	assert_reply(mock_find(&nd.io, BFT_MSG_REPLY, MOCK_C0, 0), 2, 0, r2, l2);
}
END_TEST

START_TEST(execution_strictly_in_sequence_order)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];

	open_replica(1, false);
	backup_pp(1, MOCK_EPOCH_US + 10, MOCK_C0, 1, 0, "one", d1);
	backup_pp(2, MOCK_EPOCH_US + 20, MOCK_C1, 1, 0, "two", d2);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 2, d2, 0xc);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 2, d2, 0xd);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_COMMITTED, 2), 1);
	ck_assert_uint_eq(nd.svc.n_calls, 0);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 0);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);

	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d1, 0xc);
	ck_assert_uint_eq(nd.svc.n_calls, 0);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d1, 0xd);
	ck_assert_uint_eq(nd.svc.n_calls, 6);
	ck_assert_uint_eq(nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[0].seq, 1);
	ck_assert_uint_eq(nd.svc.calls[0].time_us, MOCK_EPOCH_US + 10);
	ck_assert_uint_eq(nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_mem_eq(nd.svc.calls[1].op, "one", 3);
	ck_assert_uint_eq(nd.svc.calls[2].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[2].seq, 1);
	ck_assert_uint_eq(nd.svc.calls[3].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[3].seq, 2);
	ck_assert_uint_eq(nd.svc.calls[3].time_us, MOCK_EPOCH_US + 20);
	ck_assert_uint_eq(nd.svc.calls[4].kind, MOCK_EXEC);
	ck_assert_uint_eq(nd.svc.calls[4].client, MOCK_C1);
	ck_assert_mem_eq(nd.svc.calls[4].op, "two", 3);
	ck_assert_uint_eq(nd.svc.calls[5].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[5].seq, 2);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 2);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_C0), 1);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
}
END_TEST

START_TEST(batch_time_strictly_increasing)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];

	open_replica(2, false);
	backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 0, "one", d1);
	backup_pp(2, MOCK_EPOCH_US - 500, MOCK_C1, 1, 0, "two", d2); /* goes back */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d1, 0x2);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d1, 0x3);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 2, d2, 0x2);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 2, d2, 0x3);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_BEGIN), 2);
	ck_assert_uint_eq(nd.svc.calls[0].time_us, MOCK_EPOCH_US);
	ck_assert_uint_eq(nd.svc.calls[3].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[3].time_us, MOCK_EPOCH_US + 1);
}
END_TEST

START_TEST(tentative_execution_when_prepared)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN], want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	open_replica(1, true);
	backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d1);
	backup_pp(2, MOCK_EPOCH_US + 1, MOCK_C1, 1, 1, "op-B", d2);
	mock_io_clear(&nd.io);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d1, 0x4); /* prepared */
	/* executed, the batch left open in the service until it commits */
	ck_assert_uint_eq(nd.svc.n_calls, 2);
	ck_assert_uint_eq(nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[0].seq, 1);
	ck_assert_uint_eq(nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 1);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_COMMITTED, 1), 0);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_ANY), 1);
	assert_reply(mock_find(&nd.io, BFT_MSG_REPLY, MOCK_C0, 0), 1, BFT_REP_TENTATIVE, want,
		     wlen);

	/* seq 2 prepared: it waits until seq 1 has committed */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 2, d2, 0x4);
	ck_assert_uint_eq(nd.svc.n_calls, 2);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d1, 0x5);
	/* seq 1 ended (not re-executed), then seq 2 runs tentatively */
	ck_assert_uint_eq(nd.svc.n_calls, 5);
	ck_assert_uint_eq(nd.svc.calls[2].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[2].seq, 1);
	ck_assert_uint_eq(nd.svc.calls[3].kind, MOCK_BEGIN);
	ck_assert_uint_eq(nd.svc.calls[3].seq, 2);
	ck_assert_uint_eq(nd.svc.calls[4].kind, MOCK_EXEC);
	ck_assert_uint_eq(nd.svc.calls[4].client, MOCK_C1);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 2);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 2);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
	mock_sent_decode(&nd.io, (size_t)mock_find(&nd.io, BFT_MSG_REPLY, MOCK_C1, 0), &msg);
	ck_assert_uint_eq(msg.hdr.flags, BFT_REP_TENTATIVE);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_C0), 1);

	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 2, d2, 0x5);
	ck_assert_uint_eq(nd.svc.n_calls, 6);
	ck_assert_uint_eq(nd.svc.calls[5].kind, MOCK_END);
	ck_assert_uint_eq(nd.svc.calls[5].seq, 2);
	ck_assert(!nd.svc.in_batch);
}
END_TEST

START_TEST(no_tentative_execution_when_off)
{
	uint8_t d[BFT_DIGEST_LEN], want[64];
	uint32_t wlen = mock_result(1, "op-A", 4, want);

	open_replica(1, false);
	backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0xc);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	ck_assert_uint_eq(nd.svc.n_calls, 0);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, 0xc);
	ck_assert_uint_eq(nd.svc.n_calls, 3);
	assert_reply(mock_find(&nd.io, BFT_MSG_REPLY, MOCK_C0, 0), 1, 0, want, wlen);
}
END_TEST

/* Run one request (replier) through replica id to commit; return the index
 * of its reply. */
static long reply_of(uint32_t id, uint32_t replier, bool digest_replies)
{
	struct bft_replica_config cfg;
	uint8_t d[BFT_DIGEST_LEN];

	if (nd.r)
		mock_node_close(&nd);
	mock_replica_config(&cfg, id);
	cfg.digest_replies = digest_replies;
	cfg.tentative = false;
	mock_node_open(&nd, &keys, &cfg);
	backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, replier, "op-A", d);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, others());
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d, others());
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_ANY), 1);
	return mock_find(&nd.io, BFT_MSG_REPLY, MOCK_C0, 0);
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

	open_replica(1, false);
	nd.svc.fail_on = MOCK_EXEC;
	backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d1);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d1, 0x4);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 1, d1, 0x5);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_END), 0);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_REPLY, MOCK_ANY), 0);
	ck_assert_uint_eq(bft_replica_last_executed(nd.r), 0);
	ck_assert(mock_log_contains(&nd.io, "halts"));

	/* halted: later batches never execute, STATUS is not sent */
	nd.svc.fail_on = 0;
	nd.svc.in_batch = false;
	backup_pp(2, MOCK_EPOCH_US + 1, MOCK_C1, 1, 1, "op-B", d2);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 2, d2, 0x4);
	mock_feed_votes(&nd, BFT_MSG_COMMIT, 0, 2, d2, 0x5);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
	mock_io_clear(&nd.io);
	bft_replica_on_timer(nd.r, BFT_TIMER_STATUS);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_STATUS, MOCK_ANY), 0);
}
END_TEST

static Suite *prepare_commit_suite(void)
{
	Suite *s = suite_create("replica_prepare_commit");
	TCase *tc = tcase_create("prepare_commit");
	TCase *rp = tcase_create("replies");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, primary_prepared_by_two_backup_prepares);
	tcase_add_test(tc, prepare_from_primary_rejected);
	tcase_add_test(tc, mismatched_prepares_do_not_count);
	tcase_add_test(tc, votes_dropped_wrong_view_window_auth_sender);
	tcase_add_test(tc, commits_execute_with_agreed_time);
	tcase_add_test(tc, commits_before_prepared_wait);
	tcase_add_test(tc, null_and_multi_request_batches);
	tcase_add_test(tc, execution_strictly_in_sequence_order);
	tcase_add_test(tc, batch_time_strictly_increasing);
	tcase_add_test(tc, tentative_execution_when_prepared);
	tcase_add_test(tc, no_tentative_execution_when_off);
	tcase_add_test(tc, failing_service_halts_replica);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(rp, setup, teardown);
	tcase_set_timeout(rp, 30);
	tcase_add_test(rp, digest_replies_designated_replier_full);
	tcase_add_test(rp, replier_all_makes_everyone_send_full);
	suite_add_tcase(s, rp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(prepare_commit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
