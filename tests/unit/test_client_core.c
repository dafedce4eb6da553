/*
 * test_client_core.c — the pure PBFT client in isolation (Castro & Liskov,
 * OSDI '99 §4.1; §5.1.1 digest replies, §5.1.2 tentative replies, §5.1.3
 * read-only requests; large requests go to every replica).
 *
 * Client node 4 of the n = 4 test cluster; replies are forged with the
 * replicas' keyrings. The tests look at what the client sends (decoded), the
 * timers it arms and its completion callback.
 */
#include <check.h>
#include <string.h>

#include "mock_io.h"

#define FIRST_TS 1000u

/* The client's own io; fx supplies the keys and the scratch buffers. */
static struct mock_io io;
static struct bft_client_core *cl;
static struct bft_client_config ccfg;

static struct {
	int calls;
	int status;
	uint8_t result[256];
	uint32_t len;
} done;

static void on_done(void *data, int status, const uint8_t *result, uint32_t len)
{
	ck_assert_ptr_eq(data, &done);
	done.calls++;
	done.status = status;
	done.len = len;
	if (len && len <= sizeof(done.result))
		memcpy(done.result, result, len);
}

static void open_client(void)
{
	ck_assert_int_eq(bft_client_core_new(&ccfg, fx.keys.kr[MOCK_C0], &io.io, on_done, &done,
					     &cl), BFT_OK);
}

static void setup(void)
{
	fixture_setup();
	mock_io_init(&io, MOCK_EPOCH_US);
	memset(&done, 0, sizeof(done));
	bft_client_config_default(&ccfg, MOCK_F, MOCK_C0);
	ccfg.big_request = 64;
	ccfg.retrans_ms = 150;
	ccfg.retrans_max_ms = 1000;
	ccfg.first_timestamp = FIRST_TS;
	ccfg.log_level = BFT_LOG_DEBUG;
	cl = NULL;
	open_client();
}

static void teardown(void)
{
	bft_client_core_free(cl);
	mock_io_free(&io);
	fixture_teardown();
}

static void submit(const char *op, bool ro)
{
	ck_assert_int_eq(bft_client_core_submit(cl, (const uint8_t *)op, (uint32_t)strlen(op),
						ro), BFT_OK);
}

/* A full reply from replica `from` to client 4. */
static void full_reply(uint32_t from, uint16_t flags, uint64_t view, uint64_t ts,
		       const char *result)
{
	size_t l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), from, MOCK_C0, MOCK_C0, flags,
				    view, ts, result, (uint32_t)strlen(result));

	bft_client_core_recv(cl, fx.buf, l);
}

/* A digest reply (BFT_REP_DIGEST) for `result`. */
static void digest_reply(uint32_t from, uint16_t flags, uint64_t view, uint64_t ts,
			 const char *result)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	bft_sha256(result, strlen(result), d);
	l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), from, MOCK_C0, MOCK_C0,
			     flags | BFT_REP_DIGEST, view, ts, d, BFT_DIGEST_LEN);
	bft_client_core_recv(cl, fx.buf, l);
}

static void assert_done(const char *result)
{
	uint64_t ms = 1;

	ck_assert_int_eq(done.calls, 1);
	ck_assert_int_eq(done.status, BFT_OK);
	ck_assert_uint_eq(done.len, strlen(result));
	ck_assert_mem_eq(done.result, result, strlen(result));
	ck_assert(!bft_client_core_busy(cl));
	ck_assert(mock_last_timer(&io, BFT_TIMER_CLIENT, &ms));
	ck_assert_uint_eq(ms, 0); /* retransmission timer cancelled */
}

/* Sent datagram i is the REQUEST (ts, flags, replier, op) to `to`. */
static void assert_request(size_t i, uint32_t to, uint64_t ts, uint16_t flags,
			   uint32_t replier, const void *op, uint32_t op_len)
{
	ck_assert_uint_lt(i, io.n_sent);
	ck_assert_uint_eq(io.sent[i].to, to);
	mock_sent_decode(&io, i, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_REQUEST);
	ck_assert_uint_eq(fx.msg.hdr.sender, MOCK_C0);
	ck_assert_uint_eq(fx.msg.hdr.flags, flags);
	ck_assert_uint_eq(fx.msg.u.request.timestamp, ts);
	ck_assert_uint_eq(fx.msg.u.request.replier, replier);
	ck_assert_uint_eq(fx.msg.u.request.op_len, op_len);
	ck_assert_mem_eq(fx.msg.u.request.op, op, op_len);
	for (uint32_t j = 0; j < MOCK_N; j++) /* the authenticator serves every replica */
		ck_assert(mock_verify(&fx.keys, j, io.sent[i].buf, io.sent[i].len));
}

/* The designated replier of the request with timestamp ts, when no replica
 * was quiet on the previous request. */
static uint32_t replier_of(uint64_t ts)
{
	return (uint32_t)((MOCK_C0 + ts) % MOCK_N);
}

/* The same, skipping the replicas in `quiet` (those that had not replied
 * when the previous request completed), in rotation order. */
static uint32_t replier_skipping(uint64_t ts, uint64_t quiet)
{
	for (uint32_t k = 0; k < MOCK_N; k++) {
		uint32_t j = (replier_of(ts) + k) % MOCK_N;

		if (!(quiet >> j & 1))
			return j;
	}
	return replier_of(ts);
}

START_TEST(submit_sends_request_to_primary_only)
{
	uint64_t ms = 0;
	uint64_t ts = FIRST_TS + 1;

	submit("op-A", false);
	ck_assert_uint_eq(io.n_sent, 1);
	assert_request(0, 0, ts, 0, replier_of(ts), "op-A", 4);
	ck_assert(mock_last_timer(&io, BFT_TIMER_CLIENT, &ms));
	ck_assert_uint_eq(ms, 150);
	ck_assert(bft_client_core_busy(cl));
	ck_assert_uint_eq(bft_client_core_timestamp(cl), ts);
	ck_assert(!bft_client_core_last_read_only(cl));
	ck_assert_int_eq(done.calls, 0);
}
END_TEST

START_TEST(submit_big_goes_to_all_read_only_to_a_quorum)
{
	uint8_t op[100];
	uint64_t ts = FIRST_TS + 1;

	memset(op, 'b', sizeof(op));
	ck_assert_int_eq(bft_client_core_submit(cl, op, sizeof(op), false), BFT_OK);
	ck_assert_uint_eq(io.n_sent, MOCK_N);
	for (uint32_t j = 0; j < MOCK_N; j++)
		assert_request(j, j, ts, 0, replier_of(ts), op, sizeof(op));
	full_reply(0, 0, 0, ts, "r");
	full_reply(1, 0, 0, ts, "r");
	ck_assert_int_eq(done.calls, 1);

	/* Read-only: 2f+1 replicas, the replicas that answered (0, 1) before
	 * the quiet ones (2 and 3), the first quiet one in rotation order. */
	mock_io_clear(&io);
	submit("get", true);
	ts++;
	ck_assert_uint_eq(io.n_sent, 2 * MOCK_F + 1);
	for (uint32_t j = 0; j < 2 * MOCK_F + 1; j++)
		assert_request(j, j, ts, BFT_REQ_READ_ONLY, replier_skipping(ts, 0xc), "get", 3);
	ck_assert(bft_client_core_last_read_only(cl));
}
END_TEST

/* A read-only request sent to 2f+1 replicas falls back to read-write as
 * soon as one of them disagrees: 2f+1 matching replies are then impossible. */
START_TEST(read_only_quorum_disagreement_reissues_read_write)
{
	uint64_t ts = FIRST_TS + 1;
	uint32_t r = replier_of(ts);

	submit("get", true);
	ck_assert_uint_eq(io.n_sent, 2 * MOCK_F + 1);
	mock_io_clear(&io);
	full_reply(r, BFT_REP_READ_ONLY, 0, ts, "A");
	ck_assert_uint_eq(io.n_sent, 0);
	digest_reply((r + 1) % MOCK_N, BFT_REP_READ_ONLY, 0, ts, "B");
	/* one replica asked is left: at most 2 can match */
	ck_assert_int_eq(done.calls, 0);
	ck_assert_uint_eq(io.n_sent, 1);
	assert_request(0, 0, ts + 1, 0, replier_of(ts + 1), "get", 3);
	ck_assert(!bft_client_core_last_read_only(cl));
}
END_TEST

/* A replica that stays silent (crashed) is not designated replier again,
 * so requests do not wait for a retransmission to get a full result. */
START_TEST(quiet_replica_not_designated)
{
	uint64_t ts = FIRST_TS + 1;
	uint32_t dead;

	uint64_t replied = 0;

	submit("a", false);
	dead = replier_of(ts + 1);
	for (uint32_t j = 0; j < MOCK_N && !done.calls; j++)
		if (j != dead) {
			full_reply(j, 0, 0, ts, "r");
			replied |= 1ull << j;
		}
	ck_assert_int_eq(done.calls, 1);
	mock_io_clear(&io);
	submit("b", false);
	mock_sent_decode(&io, 0, &fx.msg);
	ck_assert_uint_ne(fx.msg.u.request.replier, dead);
	ck_assert(replied >> fx.msg.u.request.replier & 1);
	ck_assert_uint_eq(fx.msg.u.request.replier, replier_skipping(ts + 1, 0xfull & ~replied));
}
END_TEST

/* A replica whose reply disagreed with the accepted result (faulty) is
 * treated like a silent one: not designated replier, and left out of the
 * next read-only request's 2f+1, which it would otherwise make fall back
 * to read-write every time. */
START_TEST(disagreeing_replica_left_out_of_next_read)
{
	uint64_t ts = FIRST_TS + 1;
	uint32_t bad = replier_of(ts + 1), j, n = 0;

	submit("a", false);
	full_reply(bad, BFT_REP_TENTATIVE, 0, ts, "wrong");
	for (j = 0; j < MOCK_N; j++) /* the 2f+1 others: accepted at the last */
		if (j != bad)
			full_reply(j, BFT_REP_TENTATIVE, 0, ts, "r");
	assert_done("r");
	mock_io_clear(&io);
	submit("get", true);
	ck_assert_uint_eq(io.n_sent, 2 * MOCK_F + 1);
	for (size_t i = 0; i < io.n_sent; i++) {
		ck_assert_uint_ne(io.sent[i].to, bad);
		mock_sent_decode(&io, i, &fx.msg);
		ck_assert_uint_ne(fx.msg.u.request.replier, bad);
		n++;
	}
	ck_assert_uint_eq(n, 2 * MOCK_F + 1);
}
END_TEST

START_TEST(busy_and_too_long)
{
	static uint8_t big[BFT_MAX_OP + 1];

	ck_assert_int_eq(bft_client_core_submit(cl, big, BFT_MAX_OP + 1, false), BFT_E_LONG);
	ck_assert_uint_eq(io.n_sent, 0);
	ck_assert(!bft_client_core_busy(cl));
	submit("op-A", false);
	ck_assert_int_eq(bft_client_core_submit(cl, (const uint8_t *)"op-B", 4, false),
			 BFT_E_BUSY);
	ck_assert_int_eq(bft_client_core_submit(cl, (const uint8_t *)"op-B", 4, true),
			 BFT_E_BUSY);
	ck_assert_uint_eq(io.n_sent, 1);
	ck_assert_uint_eq(bft_client_core_timestamp(cl), FIRST_TS + 1);
}
END_TEST

START_TEST(f_plus_1_final_replies_complete)
{
	uint64_t ts = FIRST_TS + 1;

	submit("op", false);
	full_reply(replier_of(ts), 0, 0, ts, "result-X");
	ck_assert_int_eq(done.calls, 0); /* one reply is not enough */
	ck_assert(bft_client_core_busy(cl));
	digest_reply((replier_of(ts) + 1) % MOCK_N, 0, 0, ts, "result-X");
	assert_done("result-X");

	/* late replies do not complete it again */
	full_reply((replier_of(ts) + 2) % MOCK_N, 0, 0, ts, "result-X");
	ck_assert_int_eq(done.calls, 1);
}
END_TEST

START_TEST(mismatched_final_replies_do_not_complete)
{
	uint64_t ts = FIRST_TS + 1;

	submit("op", false);
	full_reply(0, 0, 0, ts, "X");
	full_reply(1, 0, 0, ts, "Y");
	digest_reply(2, 0, 0, ts, "Z");
	ck_assert_int_eq(done.calls, 0);
	full_reply(3, 0, 0, ts, "Y");
	assert_done("Y");
}
END_TEST

START_TEST(tentative_needs_2f_plus_1)
{
	uint64_t ts = FIRST_TS + 1;

	submit("op", false);
	full_reply(1, BFT_REP_TENTATIVE, 0, ts, "T");
	digest_reply(2, BFT_REP_TENTATIVE, 0, ts, "T");
	ck_assert_int_eq(done.calls, 0); /* f+1 tentative is not enough */
	digest_reply(3, BFT_REP_TENTATIVE, 0, ts, "T");
	assert_done("T");
}
END_TEST

START_TEST(one_final_one_tentative_not_enough)
{
	uint64_t ts = FIRST_TS + 1;

	submit("op", false);
	full_reply(1, BFT_REP_TENTATIVE, 0, ts, "T");
	digest_reply(2, 0, 0, ts, "T");
	ck_assert_int_eq(done.calls, 0);
	/* the tentative replica's final reply replaces its tentative one */
	digest_reply(1, 0, 0, ts, "T");
	ck_assert_int_eq(done.calls, 0); /* no full result held any more */
	full_reply(1, 0, 0, ts, "T");
	assert_done("T");
}
END_TEST

START_TEST(digest_replies_need_a_full_result)
{
	uint64_t ts = FIRST_TS + 1;

	submit("op", false);
	digest_reply(0, 0, 0, ts, "R");
	digest_reply(2, 0, 0, ts, "R");
	digest_reply(3, 0, 0, ts, "R");
	ck_assert_int_eq(done.calls, 0); /* 3 matching digests, no result */
	full_reply(1, 0, 0, ts, "not-R");
	ck_assert_int_eq(done.calls, 0); /* a result that matches none */
	full_reply(1, 0, 0, ts, "R");
	assert_done("R");
}
END_TEST

START_TEST(bad_replies_ignored)
{
	uint64_t ts = FIRST_TS + 1;
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	bft_sha256("R", 1, d);
	submit("op", false);
	full_reply(1, 0, 0, ts, "R");

	/* bad MAC */
	l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), 2, MOCK_C0, MOCK_C0, BFT_REP_DIGEST,
			     0, ts, d, BFT_DIGEST_LEN);
	fx.buf[l - 1] ^= 0x01;
	bft_client_core_recv(cl, fx.buf, l);
	/* MACed by replica 3, claiming to be replica 2 */
	l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), 3, MOCK_C0, MOCK_C0, BFT_REP_DIGEST,
			     0, ts, d, BFT_DIGEST_LEN);
	fx.buf[4] = 2;
	bft_client_core_recv(cl, fx.buf, l);
	/* wrong timestamps */
	digest_reply(2, 0, 0, ts - 1, "R");
	digest_reply(2, 0, 0, ts + 1, "R");
	/* the other client's reply (client field 5) */
	l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), 2, MOCK_C0, MOCK_C1, BFT_REP_DIGEST,
			     0, ts, d, BFT_DIGEST_LEN);
	bft_client_core_recv(cl, fx.buf, l);
	/* MACed for client 5 */
	l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), 2, MOCK_C1, MOCK_C0, BFT_REP_DIGEST,
			     0, ts, d, BFT_DIGEST_LEN);
	bft_client_core_recv(cl, fx.buf, l);
	/* a read-only reply to a read-write request */
	digest_reply(2, BFT_REP_READ_ONLY, 0, ts, "R");
	/* not a REPLY: a REQUEST of the other client */
	l = mock_forge_request(&fx.keys, fx.buf, sizeof(fx.buf), MOCK_C1, ts, 0, 0, "R", 1);
	bft_client_core_recv(cl, fx.buf, l);
	/* truncated and garbage */
	l = mock_forge_reply(&fx.keys, fx.buf, sizeof(fx.buf), 2, MOCK_C0, MOCK_C0, BFT_REP_DIGEST,
			     0, ts, d, BFT_DIGEST_LEN);
	for (size_t i = 0; i < l; i++)
		bft_client_core_recv(cl, fx.buf, i);
	memset(fx.buf, 0xa5, 300);
	bft_client_core_recv(cl, fx.buf, 300);
	ck_assert_int_eq(done.calls, 0);
	ck_assert(bft_client_core_busy(cl));
	ck_assert_uint_eq(io.n_sent, 1); /* nothing provoked a send */

	digest_reply(2, 0, 0, ts, "R");
	assert_done("R");
}
END_TEST

START_TEST(timer_retransmits_to_all_with_backoff)
{
	uint64_t ts = FIRST_TS + 1, ms = 0;
	const uint64_t want[] = { 300, 600, 1000, 1000 };

	submit("op", false);
	for (size_t k = 0; k < 4; k++) {
		mock_io_clear(&io);
		bft_client_core_on_timer(cl, BFT_TIMER_CLIENT);
		ck_assert_uint_eq(io.n_sent, MOCK_N);
		for (uint32_t j = 0; j < MOCK_N; j++)
			assert_request(j, j, ts, 0, BFT_REPLIER_ALL, "op", 2);
		ck_assert(mock_last_timer(&io, BFT_TIMER_CLIENT, &ms));
		ck_assert_uint_eq(ms, want[k]);
	}
	ck_assert_uint_eq(bft_client_core_timestamp(cl), ts);

	/* another timer kind does nothing */
	mock_io_clear(&io);
	bft_client_core_on_timer(cl, BFT_TIMER_STATUS);
	ck_assert_uint_eq(io.n_sent, 0);

	/* full replies from non-designated replicas now count */
	full_reply(replier_of(ts) ^ 1, 0, 0, ts, "R");
	full_reply(replier_of(ts) ^ 2, 0, 0, ts, "R");
	assert_done("R");

	/* after completion the timer does nothing; the next request starts over */
	mock_io_clear(&io);
	bft_client_core_on_timer(cl, BFT_TIMER_CLIENT);
	ck_assert_uint_eq(io.n_sent, 0);
	submit("op2", false);
	ck_assert_uint_eq(io.n_sent, 1);
	assert_request(0, 0, ts + 1, 0,
		       replier_skipping(ts + 1, 0xfull & ~(1ull << (replier_of(ts) ^ 1) |
							  1ull << (replier_of(ts) ^ 2))),
		       "op2", 3);
	ck_assert(mock_last_timer(&io, BFT_TIMER_CLIENT, &ms));
	ck_assert_uint_eq(ms, 150);
}
END_TEST

START_TEST(read_only_needs_2f_plus_1)
{
	uint64_t ts = FIRST_TS + 1;

	submit("get", true);
	full_reply(replier_of(ts), BFT_REP_READ_ONLY, 0, ts, "V");
	digest_reply((replier_of(ts) + 1) % MOCK_N, BFT_REP_READ_ONLY, 0, ts, "V");
	ck_assert_int_eq(done.calls, 0);
	/* a read-write reply to a read-only request is ignored */
	digest_reply((replier_of(ts) + 2) % MOCK_N, 0, 0, ts, "V");
	ck_assert_int_eq(done.calls, 0);
	digest_reply((replier_of(ts) + 2) % MOCK_N, BFT_REP_READ_ONLY, 0, ts, "V");
	assert_done("V");
	ck_assert(bft_client_core_last_read_only(cl));
}
END_TEST

START_TEST(read_only_disagreement_falls_back_to_read_write)
{
	uint64_t ts = FIRST_TS + 1, ms = 0;

	submit("get", true);
	mock_io_clear(&io);
	full_reply(0, BFT_REP_READ_ONLY, 0, ts, "A");
	digest_reply(1, BFT_REP_READ_ONLY, 0, ts, "B");
	ck_assert_uint_eq(io.n_sent, 0); /* 2f+1 can still match (A or B + 1 more) */
	digest_reply(2, BFT_REP_READ_ONLY, 0, ts, "C");
	/* now no digest can reach 2f+1: re-issued read-write */
	ck_assert_int_eq(done.calls, 0);
	ck_assert_uint_eq(io.n_sent, 1);
	assert_request(0, 0, ts + 1, 0, replier_of(ts + 1), "get", 3);
	ck_assert_uint_eq(bft_client_core_timestamp(cl), ts + 1);
	ck_assert(!bft_client_core_last_read_only(cl));
	ck_assert(mock_last_timer(&io, BFT_TIMER_CLIENT, &ms));
	ck_assert_uint_eq(ms, 150);

	/* read-only replies of the old request are ignored now */
	full_reply(3, BFT_REP_READ_ONLY, 0, ts, "A");
	full_reply(1, BFT_REP_READ_ONLY, 0, ts + 1, "A");
	ck_assert_int_eq(done.calls, 0);
	full_reply(replier_of(ts + 1), 0, 0, ts + 1, "W");
	digest_reply((replier_of(ts + 1) + 1) % MOCK_N, 0, 0, ts + 1, "W");
	assert_done("W");
}
END_TEST

START_TEST(read_only_timeout_falls_back_to_read_write)
{
	uint64_t ts = FIRST_TS + 1, ms = 0;

	submit("get", true);
	full_reply(0, BFT_REP_READ_ONLY, 0, ts, "A");
	mock_io_clear(&io);
	bft_client_core_on_timer(cl, BFT_TIMER_CLIENT);
	ck_assert_uint_eq(io.n_sent, 1);
	assert_request(0, 0, ts + 1, 0, replier_of(ts + 1), "get", 3);
	ck_assert(!bft_client_core_last_read_only(cl));
	ck_assert(mock_last_timer(&io, BFT_TIMER_CLIENT, &ms));
	ck_assert_uint_eq(ms, 150);
	ck_assert(bft_client_core_busy(cl));
}
END_TEST

START_TEST(view_learned_only_from_f_plus_1)
{
	uint64_t ts = FIRST_TS + 1;

	submit("a", false);
	full_reply(1, 0, 5, ts, "R"); /* one replica claims view 5 */
	digest_reply(2, 0, 0, ts, "R");
	assert_done("R");
	ck_assert_uint_eq(bft_client_core_view(cl), 0);
	mock_io_clear(&io);
	submit("b", false);
	ts++;
	ck_assert_uint_eq(io.n_sent, 1);
	ck_assert_uint_eq(io.sent[0].to, 0);

	full_reply(1, 0, 5, ts, "S");
	digest_reply(2, 0, 5, ts, "S"); /* f+1 claim view 5 */
	ck_assert_int_eq(done.calls, 2);
	ck_assert_uint_eq(bft_client_core_view(cl), 5);
	mock_io_clear(&io);
	submit("c", false);
	ck_assert_uint_eq(io.n_sent, 1);
	ck_assert_uint_eq(io.sent[0].to, 5 % MOCK_N);

	/* f+1 claiming an older view do not move it back */
	ts++;
	full_reply(0, 0, 2, ts, "U");
	digest_reply(3, 0, 2, ts, "U");
	ck_assert_int_eq(done.calls, 3);
	ck_assert_uint_eq(bft_client_core_view(cl), 5);
}
END_TEST

START_TEST(config_validation)
{
	struct bft_client_config c;
	struct bft_client_core *x = (struct bft_client_core *)&c;

	bft_client_config_default(&c, MOCK_F, 2); /* a replica id */
	ck_assert_int_eq(bft_client_core_new(&c, fx.keys.kr[MOCK_C0], &io.io, on_done, &done, &x),
			 BFT_E_INVAL);
	ck_assert_ptr_null(x);
	bft_client_config_default(&c, MOCK_F, MOCK_C0);
	c.retrans_max_ms = c.retrans_ms - 1;
	ck_assert_int_eq(bft_client_core_new(&c, fx.keys.kr[MOCK_C0], &io.io, on_done, &done, &x),
			 BFT_E_INVAL);
	bft_client_config_default(&c, MOCK_F, MOCK_C0);
	ck_assert_int_eq(bft_client_core_new(&c, fx.keys.kr[MOCK_C0], &io.io, NULL, &done, &x),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_client_core_new(&c, fx.keys.kr[MOCK_C0], &io.io, on_done, &done, &x),
			 BFT_OK);
	ck_assert_uint_eq(bft_client_core_timestamp(x), 0);
	ck_assert_uint_eq(bft_client_core_view(x), 0);
	ck_assert(!bft_client_core_busy(x));
	bft_client_core_free(x);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		submit_sends_request_to_primary_only,
		submit_big_goes_to_all_read_only_to_a_quorum,
		read_only_quorum_disagreement_reissues_read_write, quiet_replica_not_designated,
		disagreeing_replica_left_out_of_next_read,
		busy_and_too_long,
		f_plus_1_final_replies_complete,
		mismatched_final_replies_do_not_complete,
		tentative_needs_2f_plus_1, one_final_one_tentative_not_enough,
		digest_replies_need_a_full_result, bad_replies_ignored,
		timer_retransmits_to_all_with_backoff,
		read_only_needs_2f_plus_1,
		read_only_disagreement_falls_back_to_read_write,
		read_only_timeout_falls_back_to_read_write,
		view_learned_only_from_f_plus_1, config_validation, NULL,
	};
	const struct fixture_tcase tc = { "client", setup, teardown, 30, tests };

	return fixture_run("client_core", &tc, 1);
}
