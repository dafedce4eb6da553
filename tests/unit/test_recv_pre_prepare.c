/*
 * test_recv_pre_prepare.c — a backup's PRE-PREPARE handler in isolation
 * (Castro & Liskov, OSDI '99 §4.2; batching and the agreed time, §5.1 and
 * TOCS '02 §5.4; large requests named by digest).
 *
 * Accepted: the backup multicasts ⟨PREPARE, v, n, d, i⟩ with d the batch
 * digest (computed here independently). Rejected: nothing is sent.
 */
#include <check.h>
#include <string.h>

#include "mock_io.h"

/* fx.pp := (view, seq, now) with one inline request of client 4. */
static void one_request_pp(uint64_t view, uint64_t seq, const char *op)
{
	fixture_pp_one(view, seq, MOCK_EPOCH_US, MOCK_C0, seq, 0, op);
}

/* Exactly one PREPARE from this replica to each other replica, for
 * (view, seq, digest of fx.pp). */
static void assert_prepared_sent(uint64_t view, uint64_t seq)
{
	uint8_t d[BFT_DIGEST_LEN];

	mock_pp_digest(&fx.pp, d);
	fixture_assert_votes_sent(BFT_MSG_PREPARE, view, seq, d);
}

START_TEST(accepted_sends_prepare_with_batch_digest)
{
	fixture_open_replica(1, true);
	one_request_pp(0, 1, "op-A");
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);
	ck_assert_uint_eq(fx.nd.io.n_sent, 3); /* prepares only: not yet prepared */
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);

	/* the same pre-prepare again: nothing new */
	mock_io_clear(&fx.nd.io);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
}
END_TEST

START_TEST(accepted_two_clients_and_null_request)
{
	size_t l1, l2;

	fixture_open_replica(2, true);
	l1 = fixture_request(fx.rq[0], MOCK_C0, 3, 0, 0, "a");
	l2 = fixture_request(fx.rq[1], MOCK_C1, 9, 0, 0, "b");
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US - 5);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l1);
	mock_pp_add_inline(&fx.pp, fx.rq[1], l2);
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);

	/* the null request of §4.4 (count 0) is a valid batch too */
	mock_io_clear(&fx.nd.io);
	mock_pp_init(&fx.pp, 0, 2, MOCK_EPOCH_US);
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 2);
}
END_TEST

START_TEST(rejected_not_from_primary)
{
	size_t len;

	fixture_open_replica(1, true);
	one_request_pp(0, 1, "op-A");
	fixture_deliver_pp(2); /* authenticated by replica 2, which is not primary of view 0 */
	fixture_deliver_pp(3);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);

	/* made by replica 2, claiming to be the primary */
	len = mock_forge_pre_prepare(&fx.keys, fx.buf, sizeof(fx.buf), 2, &fx.pp);
	fx.buf[4] = 0;
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);
}
END_TEST

START_TEST(rejected_wrong_view)
{
	fixture_open_replica(2, true);
	one_request_pp(1, 1, "op-A");
	fixture_deliver_pp(1); /* the primary of view 1, but the backup is in view 0 */
	one_request_pp(4, 1, "op-A");
	fixture_deliver_pp(0); /* replica 0 is primary of view 4 too */
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 0);

	one_request_pp(0, 1, "op-A");
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);
}
END_TEST

START_TEST(rejected_outside_watermarks)
{
	fixture_open_replica(1, true);
	one_request_pp(0, 0, "op-A"); /* seq 0 = h */
	fixture_deliver_pp(0);
	one_request_pp(0, 9, "op-A"); /* h + L + 1 */
	fixture_deliver_pp(0);
	one_request_pp(0, 1000, "op-A");
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	one_request_pp(0, 8, "op-A"); /* h + L: the last acceptable */
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 8);
}
END_TEST

START_TEST(rejected_bad_authenticator)
{
	size_t len;

	fixture_open_replica(1, true);
	one_request_pp(0, 1, "op-A");
	len = mock_forge_pre_prepare(&fx.keys, fx.buf, sizeof(fx.buf), 0, &fx.pp);
	fx.buf[len - MOCK_N * BFT_MAC_LEN + 1 * BFT_MAC_LEN + 3] ^= 0x40; /* replica 1's entry */
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 1);

	/* nondet changed after authentication */
	len = mock_forge_pre_prepare(&fx.keys, fx.buf, sizeof(fx.buf), 0, &fx.pp);
	fx.buf[BFT_HDR_LEN + 16] ^= 0x01;
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	/* another replica's entry damaged: replica 1 only checks its own */
	len = mock_forge_pre_prepare(&fx.keys, fx.buf, sizeof(fx.buf), 0, &fx.pp);
	fx.buf[len - MOCK_N * BFT_MAC_LEN + 2 * BFT_MAC_LEN] ^= 0x40;
	mock_deliver(&fx.nd, fx.buf, len);
	assert_prepared_sent(0, 1);
}
END_TEST

/* A relay (a faulty backup forwarding to the primary) can damage a client
 * authenticator's entries for others while the primary's still checks. The
 * backup must neither reject the correct primary's batch (that would make
 * correct primaries look faulty) nor execute an unauthenticated request: it
 * waits for the client's own copy, then prepares the same batch digest. */
START_TEST(inline_request_bad_client_auth_waits_for_client_copy)
{
	uint8_t copy[1024];
	size_t l;

	fixture_open_replica(1, true);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "op-A");
	memcpy(copy, fx.rq[0], l);
	fx.rq[0][l - MOCK_N * BFT_MAC_LEN + 1 * BFT_MAC_LEN] ^= 0x01; /* replica 1's entry */
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 0);

	/* the client retransmits to every replica: now it can prepare */
	mock_deliver(&fx.nd, copy, l);
	assert_prepared_sent(0, 1);
}
END_TEST

/* A request forged with another client's keys never gets a body: no
 * PREPARE, however long the backup waits. */
START_TEST(inline_request_forged_client_never_prepared)
{
	size_t l;

	fixture_open_replica(1, true);
	l = mock_forge_request(&fx.keys, fx.rq[0], sizeof(fx.rq[0]), MOCK_C1, 1, 0, 0, "op-A", 4);
	fx.rq[0][4] = (uint8_t)MOCK_C0;
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l);
	fixture_deliver_pp(0);
	mock_deliver(&fx.nd, fx.rq[0], l); /* the forged copy does not authenticate either */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 0);
}
END_TEST

START_TEST(rejected_time_too_far_ahead)
{
	uint64_t skew;

	fixture_open_replica(1, true);
	skew = fx.nd.cfg.max_skew_us;
	ck_assert_uint_gt(skew, 0);
	one_request_pp(0, 1, "op-A");
	fx.pp.nondet = MOCK_EPOCH_US + skew + 1;
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 1);

	fx.pp.nondet = MOCK_EPOCH_US + skew; /* exactly the allowed skew */
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);

	/* the past is fine (a retransmitted pre-prepare is old) */
	mock_io_clear(&fx.nd.io);
	one_request_pp(0, 2, "op-B");
	fx.pp.nondet = MOCK_EPOCH_US - 3600ull * 1000000;
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 2);
}
END_TEST

START_TEST(rejected_conflicting_pre_prepare_first_stays)
{
	uint8_t da[BFT_DIGEST_LEN], db[BFT_DIGEST_LEN];

	fixture_open_replica(1, true);
	one_request_pp(0, 1, "op-A");
	mock_pp_digest(&fx.pp, da);
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);
	mock_io_clear(&fx.nd.io);

	one_request_pp(0, 1, "op-B"); /* same (v, n), other batch */
	mock_pp_digest(&fx.pp, db);
	ck_assert_mem_ne(da, db, BFT_DIGEST_LEN);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 1);

	/* prepares for the second batch do not prepare it */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, db, 0xc);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	/* one matching prepare for the first (own + 1 = 2f) does */
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, da, 0x4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	fixture_decode_sent(BFT_MSG_COMMIT, 0, 0);
	ck_assert_mem_eq(fx.msg.u.prepare.digest, da, BFT_DIGEST_LEN);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(fx.nd.svc.calls[1].op_len, 4);
	ck_assert_mem_eq(fx.nd.svc.calls[1].op, "op-A", 4);
}
END_TEST

START_TEST(rejected_read_only_in_batch)
{
	size_t l;
	uint8_t op[100];

	fixture_open_replica(1, true);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, BFT_REQ_READ_ONLY, "get");
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	memset(op, 'r', sizeof(op));
	mock_pp_init(&fx.pp, 0, 2, MOCK_EPOCH_US);
	mock_pp_add_digest(&fx.pp, MOCK_C0, 2, BFT_REQ_READ_ONLY, op, sizeof(op));
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);
	ck_assert(mock_log_contains(&fx.nd.io, "read-only"));
}
END_TEST

START_TEST(rejected_two_requests_of_one_client)
{
	size_t l1, l2;
	uint8_t op[100];

	fixture_open_replica(1, true);
	l1 = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "a");
	l2 = fixture_request(fx.rq[1], MOCK_C0, 2, 0, 0, "b");
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l1);
	mock_pp_add_inline(&fx.pp, fx.rq[1], l2);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	memset(op, 'z', sizeof(op));
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l1);
	mock_pp_add_digest(&fx.pp, MOCK_C0, 2, 0, op, sizeof(op));
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);
	ck_assert(mock_log_contains(&fx.nd.io, "two requests of one client"));
}
END_TEST

START_TEST(rejected_unknown_client_and_oversized_batch)
{
	struct bft_replica_config cfg;
	size_t l1, l2;
	uint8_t op[100];

	memset(op, 'u', sizeof(op));
	fixture_open_replica(1, true);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&fx.pp, 9, 1, 0, op, sizeof(op)); /* no such node */
	fixture_deliver_pp(0);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&fx.pp, 2, 1, 0, op, sizeof(op)); /* a replica */
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);
	mock_node_close(&fx.nd);

	mock_replica_config(&cfg, 1);
	cfg.max_batch = 1;
	fixture_open(&cfg);
	l1 = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "a");
	l2 = fixture_request(fx.rq[1], MOCK_C1, 1, 0, 0, "b");
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l1);
	mock_pp_add_inline(&fx.pp, fx.rq[1], l2);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert(mock_log_contains(&fx.nd.io, "batch larger than configured"));
}
END_TEST

START_TEST(digest_entry_waits_for_the_body)
{
	uint8_t op[100], other[100];
	size_t l;

	for (size_t i = 0; i < sizeof(op); i++)
		op[i] = (uint8_t)(3 * i);
	memcpy(other, op, sizeof(op));
	other[50] ^= 1;
	fixture_open_replica(1, true);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&fx.pp, MOCK_C0, 1, 0, op, sizeof(op));
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0); /* accepted but waiting */

	/* prepares from others do not prepare it while the body is missing */
	{
		uint8_t d[BFT_DIGEST_LEN];

		mock_pp_digest(&fx.pp, d);
		mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0xc);
		ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	}

	/* a body that does not match the digest does not help */
	l = mock_forge_request(&fx.keys, fx.rq[0], sizeof(fx.rq[0]), MOCK_C0, 1, 0, 0, other,
			       sizeof(other));
	mock_deliver(&fx.nd, fx.rq[0], l);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	mock_io_clear(&fx.nd.io);

	l = mock_forge_request(&fx.keys, fx.rq[0], sizeof(fx.rq[0]), MOCK_C0, 1, 0, 0, op,
			       sizeof(op));
	mock_deliver(&fx.nd, fx.rq[0], l);
	assert_prepared_sent(0, 1);
	/* with the two prepares already held it is prepared at once */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(fx.nd.svc.calls[1].op_len, sizeof(op));
	ck_assert_mem_eq(fx.nd.svc.calls[1].op, op, sizeof(op));
}
END_TEST

START_TEST(body_before_digest_entry)
{
	uint8_t op[100];
	size_t l;

	memset(op, 'q', sizeof(op));
	fixture_open_replica(2, true);
	l = mock_forge_request(&fx.keys, fx.rq[0], sizeof(fx.rq[0]), MOCK_C0, 7, 0, 0, op,
			       sizeof(op));
	mock_deliver(&fx.nd, fx.rq[0], l);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	mock_io_clear(&fx.nd.io);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&fx.pp, MOCK_C0, 7, 0, op, sizeof(op));
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);
}
END_TEST

START_TEST(prepares_before_pre_prepare)
{
	uint8_t d[BFT_DIGEST_LEN];

	fixture_open_replica(1, true);
	one_request_pp(0, 1, "op-A");
	mock_pp_digest(&fx.pp, d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0xc);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	fixture_deliver_pp(0);
	assert_prepared_sent(0, 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
}
END_TEST

START_TEST(primary_ignores_pre_prepare)
{
	fixture_open_replica(0, true);
	one_request_pp(0, 1, "op-A");
	fixture_deliver_pp(0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		accepted_sends_prepare_with_batch_digest,
		accepted_two_clients_and_null_request,
		rejected_not_from_primary, rejected_wrong_view,
		rejected_outside_watermarks, rejected_bad_authenticator,
		inline_request_bad_client_auth_waits_for_client_copy,
		inline_request_forged_client_never_prepared,
		rejected_time_too_far_ahead,
		rejected_conflicting_pre_prepare_first_stays,
		rejected_read_only_in_batch,
		rejected_two_requests_of_one_client,
		rejected_unknown_client_and_oversized_batch,
		digest_entry_waits_for_the_body, body_before_digest_entry,
		prepares_before_pre_prepare, primary_ignores_pre_prepare, NULL,
	};
	const struct fixture_tcase tc = {
		"pre_prepare", fixture_setup, fixture_teardown, 30, tests,
	};

	return fixture_run("replica_pre_prepare", &tc, 1);
}
