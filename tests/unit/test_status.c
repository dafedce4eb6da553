/*
 * test_status.c — STATUS and the retransmission it drives (Castro & Liskov,
 * OSDI '99 §5.2; TOCS '02 §5.2), the STATUS timer, and malformed input to
 * the replica (any bytes are acceptable input: dropped, never a crash,
 * never a reply).
 */
#include <check.h>
#include <string.h>

#include "mock_io.h"

static uint8_t sb[1024]; /* STATUS scratch */

static void deliver_status(uint32_t from, uint64_t view, uint64_t stable, uint64_t last_exec)
{
	mock_deliver(&fx.nd, sb, mock_forge_status(&fx.keys, sb, sizeof(sb), from, view, stable,
						last_exec, last_exec, 0));
}

/* Sent datagram i is `type` from replica `sender` for seq to node `to`, with
 * an authenticator/MAC/signature that verifies there. */
static void assert_sent(size_t i, uint8_t type, uint32_t sender, uint64_t seq, uint32_t to)
{
	ck_assert_uint_lt(i, fx.nd.io.n_sent);
	ck_assert_uint_eq(fx.nd.io.sent[i].to, to);
	mock_sent_decode(&fx.nd.io, i, &fx.msg);
	ck_assert_uint_eq(fx.msg.hdr.type, type);
	ck_assert_uint_eq(fx.msg.hdr.sender, sender);
	switch (type) {
	case BFT_MSG_PRE_PREPARE:
		ck_assert_uint_eq(fx.msg.u.pre_prepare.seq, seq);
		break;
	case BFT_MSG_PREPARE:
	case BFT_MSG_COMMIT:
		ck_assert_uint_eq(fx.msg.u.prepare.seq, seq);
		break;
	case BFT_MSG_CHECKPOINT:
		ck_assert_uint_eq(fx.msg.u.checkpoint.seq, seq);
		break;
	}
	ck_assert(mock_verify(&fx.keys, to, fx.nd.io.sent[i].buf, fx.nd.io.sent[i].len));
}

START_TEST(status_timer_multicasts_status)
{
	uint64_t ms;
	size_t i;

	fixture_open_replica(1, true);
	bft_replica_start(fx.nd.r);
	ck_assert(mock_last_timer(&fx.nd.io, BFT_TIMER_STATUS, &ms));
	ck_assert_uint_eq(ms, fx.nd.cfg.status_ms);
	fixture_commit_seq(1);
	fixture_commit_seq(2);
	{
		uint8_t d[BFT_DIGEST_LEN];

		fixture_seq_pp(3, d); /* seq 3 prepared and executed tentatively */
		mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 3, d, 0x4);
		ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 3);
	}
	mock_io_clear(&fx.nd.io);
	bft_replica_on_timer(fx.nd.r, BFT_TIMER_STATUS);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_STATUS, MOCK_ANY), 3);
	ck_assert_uint_eq(mock_dest_mask(&fx.nd.io, BFT_MSG_STATUS), 0xd);
	for (i = 0; fixture_next_sent(&i, BFT_MSG_STATUS); i++) {
		ck_assert_uint_eq(fx.msg.hdr.sender, 1);
		ck_assert_uint_eq(fx.msg.u.status.view, 0);
		ck_assert_uint_eq(fx.msg.u.status.stable, 0);
		ck_assert_uint_eq(fx.msg.u.status.last_exec, 2);     /* committed */
		ck_assert_uint_eq(fx.msg.u.status.last_prepared, 3); /* incl. tentative */
		ck_assert(mock_verify(&fx.keys, fx.nd.io.sent[i].to, fx.nd.io.sent[i].buf,
				      fx.nd.io.sent[i].len));
	}
	ck_assert(mock_last_timer(&fx.nd.io, BFT_TIMER_STATUS, &ms));
	ck_assert_uint_eq(ms, fx.nd.cfg.status_ms); /* re-armed */
}
END_TEST

START_TEST(status_from_lagging_replica_gets_log)
{
	size_t i;

	fixture_open_replica(1, false);
	fixture_commit_seq(1);
	fixture_commit_seq(2);
	mock_io_clear(&fx.nd.io);

	deliver_status(3, 0, 0, 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 6);
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(fx.nd.io.sent[i].to, 3);
	assert_sent(0, BFT_MSG_PRE_PREPARE, 0, 1, 3);
	ck_assert_uint_eq(fx.nd.io.sent[0].len, fx.pp_len[1]);
	ck_assert_mem_eq(fx.nd.io.sent[0].buf, fx.pp_raw[1], fx.pp_len[1]); /* relayed verbatim */
	assert_sent(1, BFT_MSG_PREPARE, 1, 1, 3);
	assert_sent(2, BFT_MSG_COMMIT, 1, 1, 3);
	assert_sent(3, BFT_MSG_PRE_PREPARE, 0, 2, 3);
	ck_assert_mem_eq(fx.nd.io.sent[3].buf, fx.pp_raw[2], fx.pp_len[2]);
	assert_sent(4, BFT_MSG_PREPARE, 1, 2, 3);
	assert_sent(5, BFT_MSG_COMMIT, 1, 2, 3);

	/* a replica that has executed 1 gets only seq 2 */
	mock_io_clear(&fx.nd.io);
	deliver_status(2, 0, 0, 1);
	ck_assert_uint_eq(fx.nd.io.n_sent, 3);
	assert_sent(0, BFT_MSG_PRE_PREPARE, 0, 2, 2);
	assert_sent(1, BFT_MSG_PREPARE, 1, 2, 2);
	assert_sent(2, BFT_MSG_COMMIT, 1, 2, 2);

	/* one that is up to date gets nothing */
	mock_io_clear(&fx.nd.io);
	deliver_status(0, 0, 0, 2);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
}
END_TEST

START_TEST(status_at_primary_resends_pre_prepare_and_commit)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	fixture_open_replica(0, false);
	l = mock_forge_request(&fx.keys, fx.rq[0], 512, MOCK_C0, 1, 0, 0, "op", 2);
	mock_deliver(&fx.nd, fx.rq[0], l);
	mock_sent_pp(&fx.nd.io, 1, 0, d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x6); /* prepared, not committed */
	mock_io_clear(&fx.nd.io);
	deliver_status(3, 0, 0, 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 2); /* the primary has no PREPARE */
	assert_sent(0, BFT_MSG_PRE_PREPARE, 0, 1, 3);
	assert_sent(1, BFT_MSG_COMMIT, 0, 1, 3);
}
END_TEST

START_TEST(status_resends_big_request_body)
{
	uint8_t op[100], d[BFT_DIGEST_LEN];
	size_t l;

	memset(op, 'B', sizeof(op));
	fixture_open_replica(1, false);
	l = mock_forge_request(&fx.keys, fx.rq[0], 512, MOCK_C0, 1, 0, 0, op, sizeof(op));
	mock_deliver(&fx.nd, fx.rq[0], l);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_digest(&fx.pp, MOCK_C0, 1, 0, op, sizeof(op));
	mock_pp_digest(&fx.pp, d);
	fixture_deliver_pp(0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 3);
	mock_io_clear(&fx.nd.io);

	deliver_status(2, 0, 0, 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 3);
	assert_sent(0, BFT_MSG_PRE_PREPARE, 0, 1, 2);
	ck_assert_uint_eq(fx.nd.io.sent[1].to, 2);
	ck_assert_uint_eq(fx.nd.io.sent[1].len, l);
	ck_assert_mem_eq(fx.nd.io.sent[1].buf, fx.rq[0], l); /* the client's own REQUEST */
	assert_sent(2, BFT_MSG_PREPARE, 1, 1, 2);
}
END_TEST

START_TEST(status_resends_checkpoints_when_peer_stable_lower)
{
	uint8_t d4[BFT_DIGEST_LEN];
	size_t i;
	uint64_t senders = 0;

	fixture_open_replica(1, false);
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	mock_state_digest(4, d4);
	mock_deliver(&fx.nd, fx.buf, mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 2, 4,
							   d4));
	mock_deliver(&fx.nd, fx.buf, mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 3, 4,
							   d4));
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);

	mock_io_clear(&fx.nd.io);
	deliver_status(3, 0, 0, 4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, 3), 3);
	ck_assert_uint_eq(fx.nd.io.n_sent, 3);
	for (i = 0; i < fx.nd.io.n_sent; i++) {
		mock_sent_decode(&fx.nd.io, i, &fx.msg);
		ck_assert_uint_eq(fx.msg.hdr.type, BFT_MSG_CHECKPOINT);
		ck_assert_uint_eq(fx.msg.u.checkpoint.seq, 4);
		ck_assert_mem_eq(fx.msg.u.checkpoint.digest, d4, BFT_DIGEST_LEN);
		ck_assert(mock_verify(&fx.keys, 3, fx.nd.io.sent[i].buf, fx.nd.io.sent[i].len));
		senders |= 1ull << fx.msg.hdr.sender;
	}
	/* its own, replica 2's, and 3's own signature: after a restart the
	 * peer no longer knows it and may need it for 2f+1 */
	ck_assert_uint_eq(senders, 0xe);

	mock_io_clear(&fx.nd.io);
	deliver_status(3, 0, 4, 4);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
}
END_TEST

START_TEST(status_rejected_bad_auth_sender_view)
{
	size_t len;

	fixture_open_replica(1, false);
	fixture_commit_seq(1);
	mock_io_clear(&fx.nd.io);

	len = mock_forge_status(&fx.keys, sb, sizeof(sb), 3, 0, 0, 0, 0, 0);
	sb[len - MOCK_N * BFT_MAC_LEN + BFT_MAC_LEN] ^= 0x10; /* replica 1's entry */
	mock_deliver(&fx.nd, sb, len);
	len = mock_forge_status(&fx.keys, sb, sizeof(sb), 3, 0, 0, 0, 0, 0);
	sb[BFT_HDR_LEN + 16] ^= 0x01; /* last_exec changed after authentication */
	mock_deliver(&fx.nd, sb, len);
	len = mock_forge_status(&fx.keys, sb, sizeof(sb), 2, 0, 0, 0, 0, 0);
	sb[4] = 3; /* made by 2, claiming 3 */
	mock_deliver(&fx.nd, sb, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_STATUS), 3);

	deliver_status(MOCK_C0, 0, 0, 0); /* a client */
	deliver_status(1, 0, 0, 0);       /* itself */
	deliver_status(3, 1, 0, 0);       /* another view */
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);

	deliver_status(3, 0, 0, 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 3);
}
END_TEST

/* ---- malformed datagrams ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void st32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Everything here must be dropped without effects by replica `id`. */
static void feed_malformed(uint32_t id)
{
	static uint8_t good[2048], bad[2048];
	uint8_t d[BFT_DIGEST_LEN];
	size_t glen, l, i;
	uint8_t t;

	fixture_open_replica(id, true);
	l = mock_forge_request(&fx.keys, fx.rq[0], 512, MOCK_C0, 1, 0, 0, "op", 2);
	mock_pp_init(&fx.pp, 0, 1, MOCK_EPOCH_US);
	mock_pp_add_inline(&fx.pp, fx.rq[0], l);
	glen = mock_forge_pre_prepare(&fx.keys, good, sizeof(good), 0, &fx.pp);

	/* every truncation of a pre-prepare and of a request */
	for (i = 0; i < glen; i++)
		mock_deliver(&fx.nd, good, i);
	for (i = 0; i < l; i++)
		mock_deliver(&fx.nd, fx.rq[0], i);
	mock_deliver(&fx.nd, NULL, 0);

	/* wrong version, unknown types, wrong length field */
	memcpy(bad, good, glen);
	bad[0] = BFT_WIRE_VERSION + 1;
	mock_deliver(&fx.nd, bad, glen);
	bad[0] = 0;
	mock_deliver(&fx.nd, bad, glen);
	memcpy(bad, good, glen);
	for (t = 0; t < 3; t++) {
		bad[1] = (uint8_t[]){ 0, BFT_MSG_TYPE_MAX + 1, 0xff }[t];
		mock_deliver(&fx.nd, bad, glen);
	}
	memcpy(bad, good, glen);
	st32(bad + 8, (uint32_t)glen + 1);
	mock_deliver(&fx.nd, bad, glen);
	st32(bad + 8, (uint32_t)glen - 1);
	mock_deliver(&fx.nd, bad, glen);
	memcpy(bad, good, glen);
	bad[2] = 0x01; /* flags on a pre-prepare */
	mock_deliver(&fx.nd, bad, glen);
	memcpy(bad, good, glen + 1);
	bad[glen] = 0;
	mock_deliver(&fx.nd, bad, glen + 1); /* trailing byte */

	/* garbage: random bytes, and random bodies behind plausible headers */
	for (i = 0; i < 3000; i++) {
		size_t n = (size_t)(rnd() % sizeof(bad));

		for (size_t k = 0; k < n; k++)
			bad[k] = (uint8_t)rnd();
		if (i % 2 && n >= BFT_HDR_LEN) {
			bad[0] = BFT_WIRE_VERSION;
			bad[1] = (uint8_t)(1 + rnd() % BFT_MSG_TYPE_MAX);
			bad[2] = bad[3] = 0;
			st32(bad + 4, (uint32_t)(rnd() % MOCK_N_NODES));
			st32(bad + 8, (uint32_t)n);
		}
		mock_deliver(&fx.nd, bad, n);
	}
	/* single-byte corruptions of the pre-prepare's body */
	for (i = BFT_HDR_LEN; i < glen - MOCK_N * BFT_MAC_LEN; i++) {
		memcpy(bad, good, glen);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		mock_deliver(&fx.nd, bad, glen);
	}

	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 0);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 0);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);

	/* still healthy: the intact message is accepted */
	mock_deliver(&fx.nd, good, glen);
	if (id != 0) {
		ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), 3);
		mock_pp_digest(&fx.pp, d);
		mock_sent_decode(&fx.nd.io, 0, &fx.msg);
		ck_assert_mem_eq(fx.msg.u.prepare.digest, d, BFT_DIGEST_LEN);
	}
}

START_TEST(malformed_at_backup)
{
	feed_malformed(1);
}
END_TEST

START_TEST(malformed_at_primary)
{
	feed_malformed(0);
	mock_io_clear(&fx.nd.io);
	mock_deliver(&fx.nd, fx.rq[0], mock_forge_request(&fx.keys, fx.rq[0], 512, MOCK_C0, 1, 0, 0,
						    "op", 2));
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PRE_PREPARE, MOCK_ANY), 3);
}
END_TEST

START_TEST(unhandled_types_leave_state_alone)
{
	struct bft_view_change_ack a = { .view = 1, .vc_sender = 2 };
	struct bft_query_stable q = { .nonce = 7 };
	uint8_t *trailer;
	int len;

	fixture_open_replica(1, true);
	len = bft_encode_vc_ack(fx.buf, sizeof(fx.buf), MOCK_N, 2, &a, &trailer);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_keyring_auth(fx.keys.kr[2], fx.buf, (size_t)(trailer - fx.buf),
					  trailer), BFT_OK);
	mock_deliver(&fx.nd, fx.buf, (size_t)len);
	len = bft_encode_query_stable(fx.buf, sizeof(fx.buf), MOCK_N, 2, &q, &trailer);
	ck_assert_int_gt(len, 0);
	mock_deliver(&fx.nd, fx.buf, (size_t)len);
	ck_assert_uint_eq(fx.nd.svc.n_calls, 0);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 0);
}
END_TEST

START_TEST(config_validation)
{
	struct bft_replica_config cfg;
	struct mock_io io;
	struct mock_service svc;
	struct bft_replica *r = (struct bft_replica *)&cfg;

	mock_io_init(&io, MOCK_EPOCH_US);
	mock_service_init(&svc);
	mock_replica_config(&cfg, 1);
	cfg.n = 5; /* not 3f+1 */
	ck_assert_int_eq(bft_replica_new(&cfg, fx.keys.kr[1], &io.io, &svc.svc, &r), BFT_E_INVAL);
	ck_assert_ptr_null(r);
	mock_replica_config(&cfg, 1);
	cfg.log_window = 6; /* not a multiple of K = 4 */
	ck_assert_int_eq(bft_replica_new(&cfg, fx.keys.kr[1], &io.io, &svc.svc, &r), BFT_E_INVAL);
	mock_replica_config(&cfg, 4); /* id >= n */
	ck_assert_int_eq(bft_replica_new(&cfg, fx.keys.kr[1], &io.io, &svc.svc, &r), BFT_E_INVAL);
	mock_replica_config(&cfg, 1);
	io.io.now_us = NULL;
	ck_assert_int_eq(bft_replica_new(&cfg, fx.keys.kr[1], &io.io, &svc.svc, &r), BFT_E_INVAL);
	mock_io_init(&io, MOCK_EPOCH_US);
	svc.svc.version = BFT_SERVICE_VERSION + 1;
	ck_assert_int_eq(bft_replica_new(&cfg, fx.keys.kr[1], &io.io, &svc.svc, &r), BFT_E_INVAL);
	mock_service_init(&svc);
	ck_assert_int_eq(bft_replica_new(&cfg, fx.keys.kr[1], &io.io, &svc.svc, &r), BFT_OK);
	ck_assert_uint_eq(bft_replica_id(r), 1);
	ck_assert_uint_eq(bft_replica_view(r), 0);
	bft_replica_free(r);
	ck_assert_uint_eq(io.n_sent, 0);
	mock_io_free(&io);
	mock_service_free(&svc);
}
END_TEST

int main(void)
{
	const TTest *tc_tests[] = {
		status_timer_multicasts_status,
		status_from_lagging_replica_gets_log,
		status_at_primary_resends_pre_prepare_and_commit,
		status_resends_big_request_body,
		status_resends_checkpoints_when_peer_stable_lower,
		status_rejected_bad_auth_sender_view, NULL,
	};
	const TTest *mf_tests[] = {
		malformed_at_backup, malformed_at_primary,
		unhandled_types_leave_state_alone, config_validation, NULL,
	};
	const struct fixture_tcase tc[] = {
		{ "status", fixture_setup, fixture_teardown, 30, tc_tests },
		{ "malformed", fixture_setup, fixture_teardown, 60, mf_tests },
	};

	return fixture_run("replica_status", tc, 2);
}
