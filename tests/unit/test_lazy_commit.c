/*
 * test_lazy_commit.c — COMMITs held back and sent with the next PREPARE or
 * PRE-PREPARE (bft/core/lazy_commit.c; Castro & Liskov, OSDI '99 §4.2 and
 * §5.1.2 tentative execution, which takes commits off the client's path).
 *
 * What must hold: a prepared batch's COMMIT is not lost (it leaves with the
 * next vote, or when the commit timer fires, or at once when a read-only
 * request or a retransmission waits for the batch to commit), it leaves
 * before the message it rides with, and it is the COMMIT that was decided
 * (view, sequence number, digest).
 */
#include <check.h>
#include <string.h>

#include "mock_io.h"

#define DELAY_MS 5u

static void open_lazy(uint32_t id)
{
	struct bft_replica_config cfg;

	mock_replica_config(&cfg, id);
	cfg.tentative = true;
	cfg.commit_delay_ms = DELAY_MS;
	fixture_open(&cfg);
}

/* The commit timer's last setting; -1 if never set. */
static long commit_timer(void)
{
	uint64_t ms;

	return mock_last_timer(&fx.nd.io, BFT_TIMER_COMMIT, &ms) ? (long)ms : -1;
}

/* Every COMMIT sent to replica `to` precedes every datagram of `type`. */
static void assert_commit_first(uint32_t to, uint8_t type)
{
	long c = mock_find(&fx.nd.io, BFT_MSG_COMMIT, to, 0);
	long o = mock_find(&fx.nd.io, type, to, 0);

	ck_assert_int_ge(c, 0);
	ck_assert_int_ge(o, 0);
	ck_assert_int_lt(c, o);
}

/* Backup 1 with seq 1 prepared and executed tentatively. */
static void backup_tentative(uint8_t d[BFT_DIGEST_LEN])
{
	open_lazy(1);
	fixture_backup_pp(1, MOCK_EPOCH_US, MOCK_C0, 1, 1, "op-A", d);
	mock_io_clear(&fx.nd.io);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d, 0x4);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0), 1);
}

START_TEST(backup_commit_rides_with_next_prepare)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];

	backup_tentative(d1);
	/* prepared and replied, but the COMMIT waits (timer armed) */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 0);
	ck_assert_int_eq(commit_timer(), DELAY_MS);

	mock_io_clear(&fx.nd.io);
	fixture_backup_pp(2, MOCK_EPOCH_US + 1, MOCK_C1, 1, 1, "op-B", d2);
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, 1, d1);
	fixture_assert_votes_sent(BFT_MSG_PREPARE, 0, 2, d2);
	assert_commit_first(0, BFT_MSG_PREPARE);
	assert_commit_first(2, BFT_MSG_PREPARE);
	assert_commit_first(3, BFT_MSG_PREPARE);
	ck_assert_int_eq(commit_timer(), 0); /* nothing held: cancelled */

	/* with the others' commits seq 1 commits and seq 2 runs */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d1, 0x5);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 2, d2, 0x4);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 1);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 2);
}
END_TEST

START_TEST(commit_timer_sends_held_commits_once)
{
	uint8_t d[BFT_DIGEST_LEN];

	backup_tentative(d);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 0);
	bft_replica_on_timer(fx.nd.r, BFT_TIMER_COMMIT);
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, 1, d);
	mock_io_clear(&fx.nd.io);
	bft_replica_on_timer(fx.nd.r, BFT_TIMER_COMMIT);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	/* the others' commits complete it: the reply cache becomes final */
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0x5);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_COMMITTED, 1), 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 0);
}
END_TEST

START_TEST(status_tick_sends_held_commits)
{
	uint8_t d[BFT_DIGEST_LEN];

	backup_tentative(d);
	bft_replica_on_timer(fx.nd.r, BFT_TIMER_STATUS);
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, 1, d);
}
END_TEST

START_TEST(primary_commit_rides_with_next_pre_prepare)
{
	uint8_t d1[BFT_DIGEST_LEN], d2[BFT_DIGEST_LEN];
	size_t l;

	open_lazy(0);
	l = fixture_request(fx.rq[0], MOCK_C0, 1, 0, 0, "op-A");
	mock_deliver(&fx.nd, fx.rq[0], l);
	ck_assert_uint_eq(mock_sent_pp(&fx.nd.io, 1, 0, d1), 1);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, 1, d1, 0x6);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_COMMIT, MOCK_ANY), 0);

	mock_io_clear(&fx.nd.io);
	l = fixture_request(fx.rq[1], MOCK_C1, 1, 0, 0, "op-B");
	mock_deliver(&fx.nd, fx.rq[1], l);
	ck_assert_uint_eq(mock_sent_pp(&fx.nd.io, 1, 0, d2), 2);
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, 1, d1);
	assert_commit_first(1, BFT_MSG_PRE_PREPARE);
	assert_commit_first(2, BFT_MSG_PRE_PREPARE);
	assert_commit_first(3, BFT_MSG_PRE_PREPARE);
}
END_TEST

START_TEST(deferred_read_only_sends_held_commits)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	backup_tentative(d);
	mock_io_clear(&fx.nd.io);
	l = fixture_request(fx.rq[1], MOCK_C1, 1, 1, BFT_REQ_READ_ONLY, "get");
	mock_deliver(&fx.nd, fx.rq[1], l);
	/* tentative state: the read waits for the commit, which leaves now */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 0);
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, 1, d);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, 1, d, 0xc);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C1), 1);
}
END_TEST

START_TEST(retransmission_of_tentative_request_sends_held_commits)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t l;

	backup_tentative(d);
	mock_io_clear(&fx.nd.io);
	/* the client retransmits (replier all): it wants a final reply */
	l = fixture_request(fx.rq[1], MOCK_C0, 1, BFT_REPLIER_ALL, 0, "op-A");
	mock_deliver(&fx.nd, fx.rq[1], l);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0), 1);
	fixture_assert_votes_sent(BFT_MSG_COMMIT, 0, 1, d);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
		backup_commit_rides_with_next_prepare, commit_timer_sends_held_commits_once,
		status_tick_sends_held_commits, primary_commit_rides_with_next_pre_prepare,
		deferred_read_only_sends_held_commits,
		retransmission_of_tentative_request_sends_held_commits, NULL,
	};
	const struct fixture_tcase tc[] = {
		{ "lazy_commit", fixture_setup, fixture_teardown, 30, tests },
	};

	return fixture_run("replica_lazy_commit", tc, 1);
}
