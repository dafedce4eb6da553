/*
 * test_view_change.c — VIEW-CHANGE and NEW-VIEW handling at a backup
 * (bft/core/recv_view_change.c, recv_new_view.c, new_view.c; OSDI '99
 * §4.4, TOCS '02 §4.5).
 *
 * Replica 1 of n = 4 receives signed VIEW-CHANGEs and NEW-VIEWs forged with
 * the fixture's keys. It must join a view f+1 others ask for, reject
 * forged or insufficient checkpoint proofs and bad signatures, install a
 * NEW-VIEW whose choices follow from the VIEW-CHANGEs it names, and treat a
 * primary whose NEW-VIEW does not follow as faulty (move on to the next
 * view); messages for old views change nothing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "bft/replica.h"
#include "mock_io.h"

static uint8_t vc_raw[MOCK_N][4096];
static size_t vc_len[MOCK_N];

static void tag_digest(uint8_t tag, uint8_t d[BFT_DIGEST_LEN])
{
	memset(d, tag, BFT_DIGEST_LEN);
}

/* The signature replica `who` puts on CHECKPOINT(seq, d), made with the
 * key of `signer` (== who for a genuine one). */
static void checkpoint_sig(uint32_t who, uint32_t signer, uint64_t seq, const uint8_t *d,
			   uint8_t sig[BFT_SIG_LEN])
{
	struct bft_checkpoint c = { .seq = seq };
	uint8_t b[256], *tr;
	int len;

	memcpy(c.digest, d, BFT_DIGEST_LEN);
	len = bft_encode_checkpoint(b, sizeof(b), who, &c, &tr);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_keyring_sign(fx.keys.kr[signer], b, (size_t)(tr - b), sig), BFT_OK);
}

/* VIEW-CHANGE(view) from `from`, signed by `signer`, with a stable
 * checkpoint `stable` (digest tag 0x5c) proven by n_cp signatures, the
 * first of them made with `cp_forger`'s key, and P/Q entries. Kept in
 * vc_raw[from] for NEW-VIEW digests; returns its length. */
static size_t forge_vc(uint32_t from, uint32_t signer, uint64_t view, uint64_t stable,
		       uint16_t n_cp, uint32_t cp_forger, const struct bft_vc_entry *p,
		       uint16_t n_p)
{
	struct bft_view_change vc = { .new_view = view, .stable_seq = stable, .n_cp = n_cp,
				      .n_p = n_p, .n_q = n_p };
	uint32_t cp_rep[MOCK_N];
	uint8_t cp_sig[MOCK_N][BFT_SIG_LEN];
	uint8_t *tr;
	int len;
	uint16_t i;

	tag_digest(stable ? 0x5c : 0, vc.stable_digest);
	for (i = 0; i < n_cp; i++) {
		cp_rep[i] = i;
		checkpoint_sig(i, i == 0 ? cp_forger : i, stable, vc.stable_digest, cp_sig[i]);
	}
	len = bft_encode_view_change(vc_raw[from], sizeof(vc_raw[from]), from, &vc, cp_rep,
				     (const uint8_t (*)[BFT_SIG_LEN])cp_sig, p, p, &tr);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_keyring_sign(fx.keys.kr[signer], vc_raw[from],
					  (size_t)(tr - vc_raw[from]), tr), BFT_OK);
	vc_len[from] = (size_t)len;
	return vc_len[from];
}

static void deliver_vc(uint32_t from, uint64_t view)
{
	forge_vc(from, from, view, 0, 0, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[from], vc_len[from]);
}

/* NEW-VIEW(view) from `from` naming the VIEW-CHANGEs in vc_raw of `who`,
 * starting at checkpoint 0, choosing o[0..n_o). */
static void deliver_nv(uint32_t from, uint64_t view, const uint32_t *who, uint16_t n_v,
		       const struct bft_vc_entry *o, uint16_t n_o)
{
	struct bft_new_view nv = { .view = view, .n_v = n_v, .n_o = n_o };
	uint8_t dig[MOCK_N][BFT_DIGEST_LEN], *tr;
	int len;
	uint16_t i;

	for (i = 0; i < n_v; i++)
		bft_sha256(vc_raw[who[i]], vc_len[who[i]], dig[i]);
	len = bft_encode_new_view(fx.buf, sizeof(fx.buf), from, &nv, who,
				  (const uint8_t (*)[BFT_DIGEST_LEN])dig, o, &tr);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_keyring_sign(fx.keys.kr[from], fx.buf, (size_t)(tr - fx.buf), tr),
			 BFT_OK);
	mock_deliver(&fx.nd, fx.buf, (size_t)len);
}

/* VIEW-CHANGEs replica 1 sent for `view` (one per other replica). */
static size_t vcs_sent_for(uint64_t view)
{
	size_t i, count = 0;

	for (i = 0; fixture_next_sent(&i, BFT_MSG_VIEW_CHANGE); i++)
		count += fx.msg.u.view_change.new_view == view;
	return count;
}

static size_t rejected(uint8_t type)
{
	return mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, type);
}

/* Replica 1 in view 2 (primary 2) after VIEW-CHANGEs of 0, 2 and 3. */
static void join_view_2(void)
{
	fixture_open_replica(1, true);
	deliver_vc(0, 2);
	deliver_vc(2, 2);
	deliver_vc(3, 2);
	ck_assert_uint_eq(vcs_sent_for(2), MOCK_N - 1);
}

START_TEST(joins_when_f_plus_1_ask)
{
	fixture_open_replica(1, true);
	deliver_vc(2, 1);
	ck_assert_uint_eq(vcs_sent_for(1), 0); /* one replica may be faulty */
	deliver_vc(3, 1);
	ck_assert_uint_eq(vcs_sent_for(1), MOCK_N - 1);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 1);
}
END_TEST

/* A checkpoint proof needs 2f+1 signatures by distinct replicas. */
START_TEST(insufficient_checkpoint_proof_rejected)
{
	fixture_open_replica(1, true);
	forge_vc(2, 2, 1, 4, 2, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[2], vc_len[2]);
	forge_vc(3, 3, 1, 4, 2, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[3], vc_len[3]);
	ck_assert_uint_eq(rejected(BFT_MSG_VIEW_CHANGE), 2);
	ck_assert_uint_eq(vcs_sent_for(1), 0);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 0);
}
END_TEST

/* A proof signature made with another replica's key is a forgery. */
START_TEST(forged_checkpoint_signature_rejected)
{
	fixture_open_replica(1, true);
	forge_vc(2, 2, 1, 4, 3, 3 /* replica 0's entry signed by 3 */, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[2], vc_len[2]);
	forge_vc(3, 3, 1, 4, 3, 2, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[3], vc_len[3]);
	ck_assert_uint_eq(rejected(BFT_MSG_VIEW_CHANGE), 2);
	ck_assert_uint_eq(vcs_sent_for(1), 0);

	/* the same, genuinely signed, is accepted */
	forge_vc(2, 2, 1, 4, 3, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[2], vc_len[2]);
	forge_vc(3, 3, 1, 4, 3, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[3], vc_len[3]);
	ck_assert_uint_eq(vcs_sent_for(1), MOCK_N - 1);
}
END_TEST

START_TEST(view_change_signed_by_another_rejected)
{
	fixture_open_replica(1, true);
	forge_vc(2, 0, 1, 0, 0, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[2], vc_len[2]);
	forge_vc(3, 3, 1, 0, 0, 0, NULL, 0);
	mock_deliver(&fx.nd, vc_raw[3], vc_len[3]);
	ck_assert_uint_eq(rejected(BFT_MSG_VIEW_CHANGE), 1);
	ck_assert_uint_eq(vcs_sent_for(1), 0);
}
END_TEST

/* P entries must lie above the checkpoint, within the window, in an
 * earlier view. */
START_TEST(p_entries_out_of_range_rejected)
{
	struct bft_vc_entry bad[3] = {
		{ .seq = 0, .view = 0 }, { .seq = 100, .view = 0 }, { .seq = 1, .view = 1 },
	};

	fixture_open_replica(1, true);
	for (int i = 0; i < 3; i++) {
		forge_vc(2, 2, 1, 0, 0, 0, &bad[i], 1);
		mock_deliver(&fx.nd, vc_raw[2], vc_len[2]);
	}
	ck_assert_uint_eq(rejected(BFT_MSG_VIEW_CHANGE), 3);
}
END_TEST

START_TEST(new_view_that_follows_is_installed)
{
	const uint32_t who[3] = { 0, 2, 3 };

	join_view_2();
	deliver_nv(2, 2, who, 3, NULL, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_NEW_VIEW, 2), 1);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 2);
	ck_assert_uint_eq(vcs_sent_for(3), 0);

	/* normal operation in view 2: the primary's pre-prepare is prepared */
	mock_io_clear(&fx.nd.io);
	fixture_pp_one(2, 1, MOCK_EPOCH_US, MOCK_C0, 1, 0, "op");
	fixture_deliver_pp(2);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_PREPARE, MOCK_ANY), MOCK_N - 1);
}
END_TEST

/* O must be recomputed from V: a primary that adds a batch nobody
 * prepared is faulty, and the replica moves on to view 3. */
START_TEST(new_view_whose_o_does_not_follow_rejected)
{
	const uint32_t who[3] = { 0, 2, 3 };
	struct bft_vc_entry o = { .seq = 1 };

	join_view_2();
	tag_digest(0xab, o.digest);
	deliver_nv(2, 2, who, 3, &o, 1);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_NEW_VIEW, 2), 0);
	ck_assert_uint_eq(vcs_sent_for(3), MOCK_N - 1);
}
END_TEST

/* Fewer than 2f+1 VIEW-CHANGEs cannot justify a NEW-VIEW. */
START_TEST(new_view_with_too_few_view_changes_rejected)
{
	const uint32_t who[2] = { 0, 2 };

	join_view_2();
	deliver_nv(2, 2, who, 2, NULL, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_NEW_VIEW, 2), 0);
	ck_assert_uint_eq(vcs_sent_for(3), MOCK_N - 1);
}
END_TEST

START_TEST(new_view_from_wrong_primary_rejected)
{
	const uint32_t who[3] = { 0, 2, 3 };

	join_view_2();
	deliver_nv(3, 2, who, 3, NULL, 0);
	ck_assert_uint_eq(rejected(BFT_MSG_NEW_VIEW), 1);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_NEW_VIEW, 2), 0);
}
END_TEST

/* Once in view 2, VIEW-CHANGEs and NEW-VIEWs of view 1 change nothing. */
START_TEST(old_views_ignored)
{
	const uint32_t who[3] = { 0, 2, 3 };
	const uint32_t old[3] = { 0, 1, 3 };

	join_view_2();
	deliver_nv(2, 2, who, 3, NULL, 0);
	mock_io_clear(&fx.nd.io);
	deliver_vc(0, 1);
	deliver_vc(3, 1);
	deliver_nv(1, 1, old, 3, NULL, 0);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(bft_replica_view(fx.nd.r), 2);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_NEW_VIEW, 1), 0);
}
END_TEST

int main(void)
{
	const TTest *validation[] = {
		joins_when_f_plus_1_ask, insufficient_checkpoint_proof_rejected,
		forged_checkpoint_signature_rejected, view_change_signed_by_another_rejected,
		p_entries_out_of_range_rejected, NULL,
	};
	const TTest *new_view[] = {
		new_view_that_follows_is_installed, new_view_whose_o_does_not_follow_rejected,
		new_view_with_too_few_view_changes_rejected, new_view_from_wrong_primary_rejected,
		old_views_ignored, NULL,
	};
	const struct fixture_tcase tc[] = {
		{ "view_change", fixture_setup, fixture_teardown, 30, validation },
		{ "new_view", fixture_setup, fixture_teardown, 30, new_view },
	};

	return fixture_run("replica_view_change", tc, 2);
}
