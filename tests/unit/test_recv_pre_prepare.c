/*
 * test_recv_pre_prepare.c — a backup's PRE-PREPARE handler in isolation
 * (Castro & Liskov, OSDI '99 §4.2; batching and the agreed time, §5.1 and
 * TOCS '02 §5.4; large requests named by digest).
 *
 * Accepted: the backup multicasts ⟨PREPARE, v, n, d, i⟩ with d the batch
 * digest (computed here independently). Rejected: nothing is sent.
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
static uint8_t rq1[1024], rq2[1024];

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

static void open_replica(uint32_t id)
{
	struct bft_replica_config cfg;

	mock_replica_config(&cfg, id);
	mock_node_open(&nd, &keys, &cfg);
}

static size_t request(uint8_t *b, uint32_t client, uint64_t ts, uint16_t flags,
		      const char *op)
{
	return mock_forge_request(&keys, b, 1024, client, ts, 0, flags, op,
				  (uint32_t)strlen(op));
}

/* pp := (view, seq, now) with one inline request of client 4. */
static void one_request_pp(uint64_t view, uint64_t seq, const char *op)
{
	size_t l = request(rq1, MOCK_C0, seq, 0, op);

	mock_pp_init(&pp, view, seq, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l);
}

static void deliver_pp(uint32_t sender)
{
	mock_deliver(&nd, buf, mock_forge_pre_prepare(&keys, buf, sizeof(buf), sender, &pp));
}

/* Exactly one PREPARE from this replica to each other replica, for
 * (view, seq, digest of pp). */
static void assert_prepared_sent(uint64_t view, uint64_t seq)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t i;

	mock_pp_digest(&pp, d);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), MOCK_N - 1);
	ck_assert_uint_eq(mock_dest_mask(&nd.io, BFT_MSG_PREPARE),
			  0xfull & ~(1ull << nd.cfg.id));
	for (i = 0; i < nd.io.n_sent; i++) {
		mock_sent_decode(&nd.io, i, &msg);
		if (msg.hdr.type != BFT_MSG_PREPARE)
			continue;
		ck_assert_uint_eq(msg.hdr.sender, nd.cfg.id);
		ck_assert_uint_eq(msg.u.prepare.view, view);
		ck_assert_uint_eq(msg.u.prepare.seq, seq);
		ck_assert_mem_eq(msg.u.prepare.digest, d, BFT_DIGEST_LEN);
		ck_assert(mock_verify(&keys, nd.io.sent[i].to, nd.io.sent[i].buf,
				      nd.io.sent[i].len));
	}
}

START_TEST(accepted_sends_prepare_with_batch_digest)
{
	open_replica(1);
	one_request_pp(0, 1, "op-A");
	deliver_pp(0);
	assert_prepared_sent(0, 1);
	ck_assert_uint_eq(nd.io.n_sent, 3); /* prepares only: not yet prepared */
	ck_assert_uint_eq(nd.svc.n_calls, 0);

	/* the same pre-prepare again: nothing new */
	mock_io_clear(&nd.io);
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
}
END_TEST

START_TEST(accepted_two_clients_and_null_request)
{
	size_t l1, l2;

	open_replica(2);
	l1 = request(rq1, MOCK_C0, 3, 0, "a");
	l2 = request(rq2, MOCK_C1, 9, 0, "b");
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US - 5);
	mock_pp_add_inline(&pp, rq1, l1);
	mock_pp_add_inline(&pp, rq2, l2);
	deliver_pp(0);
	assert_prepared_sent(0, 1);

	/* the null request of §4.4 (count 0) is a valid batch too */
	mock_io_clear(&nd.io);
	mock_pp_init(&pp, 0, 2, MOCK_EPOCH_US);
	deliver_pp(0);
	assert_prepared_sent(0, 2);
}
END_TEST

START_TEST(rejected_not_from_primary)
{
	size_t len;

	open_replica(1);
	one_request_pp(0, 1, "op-A");
	deliver_pp(2); /* authenticated by replica 2, which is not primary of view 0 */
	deliver_pp(3);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);

	/* made by replica 2, claiming to be the primary */
	len = mock_forge_pre_prepare(&keys, buf, sizeof(buf), 2, &pp);
	buf[4] = 0;
	mock_deliver(&nd, buf, len);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	deliver_pp(0);
	assert_prepared_sent(0, 1);
}
END_TEST

START_TEST(rejected_wrong_view)
{
	open_replica(2);
	one_request_pp(1, 1, "op-A");
	deliver_pp(1); /* the primary of view 1, but the backup is in view 0 */
	one_request_pp(4, 1, "op-A");
	deliver_pp(0); /* replica 0 is primary of view 4 too */
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(bft_replica_view(nd.r), 0);

	one_request_pp(0, 1, "op-A");
	deliver_pp(0);
	assert_prepared_sent(0, 1);
}
END_TEST

START_TEST(rejected_outside_watermarks)
{
	open_replica(1);
	one_request_pp(0, 0, "op-A"); /* seq 0 = h */
	deliver_pp(0);
	one_request_pp(0, 9, "op-A"); /* h + L + 1 */
	deliver_pp(0);
	one_request_pp(0, 1000, "op-A");
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	one_request_pp(0, 8, "op-A"); /* h + L: the last acceptable */
	deliver_pp(0);
	assert_prepared_sent(0, 8);
}
END_TEST

START_TEST(rejected_bad_authenticator)
{
	size_t len;

	open_replica(1);
	one_request_pp(0, 1, "op-A");
	len = mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp);
	buf[len - MOCK_N * BFT_MAC_LEN + 1 * BFT_MAC_LEN + 3] ^= 0x40; /* replica 1's entry */
	mock_deliver(&nd, buf, len);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 1);

	/* nondet changed after authentication */
	len = mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp);
	buf[BFT_HDR_LEN + 16] ^= 0x01;
	mock_deliver(&nd, buf, len);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	/* another replica's entry damaged: replica 1 only checks its own */
	len = mock_forge_pre_prepare(&keys, buf, sizeof(buf), 0, &pp);
	buf[len - MOCK_N * BFT_MAC_LEN + 2 * BFT_MAC_LEN] ^= 0x40;
	mock_deliver(&nd, buf, len);
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

	open_replica(1);
	l = request(rq1, MOCK_C0, 1, 0, "op-A");
	memcpy(copy, rq1, l);
	rq1[l - MOCK_N * BFT_MAC_LEN + 1 * BFT_MAC_LEN] ^= 0x01; /* replica 1's entry */
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l);
	deliver_pp(0);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 0);

	/* the client retransmits to every replica: now it can prepare */
	mock_deliver(&nd, copy, l);
	assert_prepared_sent(0, 1);
}
END_TEST

/* A request forged with another client's keys never gets a body: no
 * PREPARE, however long the backup waits. */
START_TEST(inline_request_forged_client_never_prepared)
{
	size_t l;

	open_replica(1);
	l = mock_forge_request(&keys, rq1, sizeof(rq1), MOCK_C1, 1, 0, 0, "op-A", 4);
	rq1[4] = (uint8_t)MOCK_C0;
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l);
	deliver_pp(0);
	mock_deliver(&nd, rq1, l); /* the forged copy does not authenticate either */
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 0);
}
END_TEST

START_TEST(rejected_time_too_far_ahead)
{
	uint64_t skew;

	open_replica(1);
	skew = nd.cfg.max_skew_us;
	ck_assert_uint_gt(skew, 0);
	one_request_pp(0, 1, "op-A");
	pp.nondet = MOCK_EPOCH_US + skew + 1;
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 1);

	pp.nondet = MOCK_EPOCH_US + skew; /* exactly the allowed skew */
	deliver_pp(0);
	assert_prepared_sent(0, 1);

	/* the past is fine (a retransmitted pre-prepare is old) */
	mock_io_clear(&nd.io);
	one_request_pp(0, 2, "op-B");
	pp.nondet = MOCK_EPOCH_US - 3600ull * 1000000;
	deliver_pp(0);
	assert_prepared_sent(0, 2);
}
END_TEST

START_TEST(rejected_conflicting_pre_prepare_first_stays)
{
	uint8_t da[BFT_DIGEST_LEN], db[BFT_DIGEST_LEN];

	open_replica(1);
	one_request_pp(0, 1, "op-A");
	mock_pp_digest(&pp, da);
	deliver_pp(0);
	assert_prepared_sent(0, 1);
	mock_io_clear(&nd.io);

	one_request_pp(0, 1, "op-B"); /* same (v, n), other batch */
	mock_pp_digest(&pp, db);
	ck_assert_mem_ne(da, db, BFT_DIGEST_LEN);
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 1);

	/* prepares for the second batch do not prepare it */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, db, 0xc);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	/* one matching prepare for the first (own + 1 = 2f) does */
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, da, 0x4);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	mock_sent_decode(&nd.io, (size_t)mock_find(&nd.io, BFT_MSG_COMMIT, 0, 0), &msg);
	ck_assert_mem_eq(msg.u.prepare.digest, da, BFT_DIGEST_LEN);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(nd.svc.calls[1].op_len, 4);
	ck_assert_mem_eq(nd.svc.calls[1].op, "op-A", 4);
}
END_TEST

START_TEST(rejected_read_only_in_batch)
{
	size_t l;
	uint8_t op[100];

	open_replica(1);
	l = request(rq1, MOCK_C0, 1, BFT_REQ_READ_ONLY, "get");
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l);
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	memset(op, 'r', sizeof(op));
	mock_pp_init(&pp, 0, 2, MOCK_EPOCH_US);
	mock_pp_add_digest(&pp, MOCK_C0, 2, BFT_REQ_READ_ONLY, op, sizeof(op));
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);
	ck_assert(mock_log_contains(&nd.io, "read-only"));
}
END_TEST

START_TEST(rejected_two_requests_of_one_client)
{
	size_t l1, l2;
	uint8_t op[100];

	open_replica(1);
	l1 = request(rq1, MOCK_C0, 1, 0, "a");
	l2 = request(rq2, MOCK_C0, 2, 0, "b");
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l1);
	mock_pp_add_inline(&pp, rq2, l2);
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);

	memset(op, 'z', sizeof(op));
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l1);
	mock_pp_add_digest(&pp, MOCK_C0, 2, 0, op, sizeof(op));
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);
	ck_assert(mock_log_contains(&nd.io, "two requests of one client"));
}
END_TEST

START_TEST(rejected_unknown_client_and_oversized_batch)
{
	struct bft_replica_config cfg;
	size_t l1, l2;
	uint8_t op[100];

	memset(op, 'u', sizeof(op));
	open_replica(1);
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&pp, 9, 1, 0, op, sizeof(op)); /* no such node */
	deliver_pp(0);
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&pp, 2, 1, 0, op, sizeof(op)); /* a replica */
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&nd.io, BFT_TRACE_REJECTED, BFT_MSG_PRE_PREPARE), 2);
	mock_node_close(&nd);

	mock_replica_config(&cfg, 1);
	cfg.max_batch = 1;
	mock_node_open(&nd, &keys, &cfg);
	l1 = request(rq1, MOCK_C0, 1, 0, "a");
	l2 = request(rq2, MOCK_C1, 1, 0, "b");
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&pp, rq1, l1);
	mock_pp_add_inline(&pp, rq2, l2);
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert(mock_log_contains(&nd.io, "batch larger than configured"));
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
	open_replica(1);
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&pp, MOCK_C0, 1, 0, op, sizeof(op));
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0); /* accepted but waiting */

	/* prepares from others do not prepare it while the body is missing */
	{
		uint8_t d[BFT_DIGEST_LEN];

		mock_pp_digest(&pp, d);
		mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0xc);
		ck_assert_uint_eq(nd.io.n_sent, 0);
	}

	/* a body that does not match the digest does not help */
	l = mock_forge_request(&keys, rq1, sizeof(rq1), MOCK_C0, 1, 0, 0, other, sizeof(other));
	mock_deliver(&nd, rq1, l);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	mock_io_clear(&nd.io);

	l = mock_forge_request(&keys, rq1, sizeof(rq1), MOCK_C0, 1, 0, 0, op, sizeof(op));
	mock_deliver(&nd, rq1, l);
	assert_prepared_sent(0, 1);
	/* with the two prepares already held it is prepared at once */
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_calls_of(&nd.svc, MOCK_EXEC), 1);
	ck_assert_uint_eq(nd.svc.calls[1].op_len, sizeof(op));
	ck_assert_mem_eq(nd.svc.calls[1].op, op, sizeof(op));
}
END_TEST

START_TEST(body_before_digest_entry)
{
	uint8_t op[100];
	size_t l;

	memset(op, 'q', sizeof(op));
	open_replica(2);
	l = mock_forge_request(&keys, rq1, sizeof(rq1), MOCK_C0, 7, 0, 0, op, sizeof(op));
	mock_deliver(&nd, rq1, l);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_PREPARE, MOCK_ANY), 0);
	mock_io_clear(&nd.io);
	mock_pp_init(&pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&pp, MOCK_C0, 7, 0, op, sizeof(op));
	deliver_pp(0);
	assert_prepared_sent(0, 1);
}
END_TEST

START_TEST(prepares_before_pre_prepare)
{
	uint8_t d[BFT_DIGEST_LEN];

	open_replica(1);
	one_request_pp(0, 1, "op-A");
	mock_pp_digest(&pp, d);
	mock_feed_votes(&nd, BFT_MSG_PREPARE, 0, 1, d, 0xc);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	deliver_pp(0);
	assert_prepared_sent(0, 1);
	ck_assert_uint_eq(mock_count(&nd.io, BFT_MSG_COMMIT, MOCK_ANY), 3);
}
END_TEST

START_TEST(primary_ignores_pre_prepare)
{
	open_replica(0);
	one_request_pp(0, 1, "op-A");
	deliver_pp(0);
	ck_assert_uint_eq(nd.io.n_sent, 0);
	ck_assert_uint_eq(nd.svc.n_calls, 0);
}
END_TEST

static Suite *pre_prepare_suite(void)
{
	Suite *s = suite_create("replica_pre_prepare");
	TCase *tc = tcase_create("pre_prepare");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, accepted_sends_prepare_with_batch_digest);
	tcase_add_test(tc, accepted_two_clients_and_null_request);
	tcase_add_test(tc, rejected_not_from_primary);
	tcase_add_test(tc, rejected_wrong_view);
	tcase_add_test(tc, rejected_outside_watermarks);
	tcase_add_test(tc, rejected_bad_authenticator);
	tcase_add_test(tc, inline_request_bad_client_auth_waits_for_client_copy);
	tcase_add_test(tc, inline_request_forged_client_never_prepared);
	tcase_add_test(tc, rejected_time_too_far_ahead);
	tcase_add_test(tc, rejected_conflicting_pre_prepare_first_stays);
	tcase_add_test(tc, rejected_read_only_in_batch);
	tcase_add_test(tc, rejected_two_requests_of_one_client);
	tcase_add_test(tc, rejected_unknown_client_and_oversized_batch);
	tcase_add_test(tc, digest_entry_waits_for_the_body);
	tcase_add_test(tc, body_before_digest_entry);
	tcase_add_test(tc, prepares_before_pre_prepare);
	tcase_add_test(tc, primary_ignores_pre_prepare);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pre_prepare_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
