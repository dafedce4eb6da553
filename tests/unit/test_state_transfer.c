/*
 * test_state_transfer.c — state transfer at one replica in isolation
 * (Castro & Liskov, TOCS '02 §5.3.2; OSDI '99 §4.3 names it): serving
 * FETCH from the checkpoint snapshots (recv_fetch.c), and fetching a
 * checkpoint 2f+1 replicas certify — the walk of the partition tree,
 * verification of every node and leaf against the certified root, rotation
 * of repliers, retargeting, install (state_transfer.c, checkpoint.c).
 *
 * The replica under test is backup 1 of the unit-test cluster (n = 4, f = 1,
 * K = 4, L = 8) with the transfer-capable counter service (mock_tree.h:
 * fanout 4, depth 2). The test plays the other replicas: it certifies
 * checkpoints with their signed CHECKPOINTs and answers the replica's
 * FETCHes from a "remote" struct mock_state, correctly or not. Expected
 * digests come from mock_tree.c's own tree code, independent of the core's.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_io.h"
#include "mock_tree.h"

#define E MOCK_EPOCH_US

static struct mock_tree tree;
static uint8_t leafbuf[MOCK_LEAF_MAX];

static void st_setup(void)
{
	fixture_setup();
}

static void st_teardown(void)
{
	fixture_teardown();
	mock_tree_free(&tree);
}

/* Replica `id` with the tree service (tentative execution off). */
static void open_tree(uint32_t id, uint32_t log_window)
{
	struct bft_replica_config cfg;

	mock_replica_config(&cfg, id);
	cfg.tentative = false;
	if (log_window)
		cfg.log_window = log_window;
	fixture_open_ext(&cfg, mock_tree_attach, &tree);
}

/* The state after fixture_commit_seq(1..s): client 4 ran "inc" with ts
 * 1..s, batch s had time E + s. */
static void fixture_state(struct mock_state *st, uint64_t s)
{
	memset(st, 0, sizeof(*st));
	st->counter = s;
	st->time_us = E + s;
	st->last_ts[0] = s;
	st->reply_len[0] = mock_result(s, "inc", 3, st->reply[0]);
}

static void deliver_ckpt(uint32_t from, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	mock_deliver(&fx.nd, fx.buf,
		     mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), from, seq, d));
}

/* CHECKPOINT (seq, root of st) from every replica in mask. */
static void certify(uint64_t seq, const struct mock_state *st, uint32_t mask)
{
	uint8_t d[BFT_DIGEST_LEN];

	mock_tree_root(st, d);
	for (uint32_t j = 0; j < MOCK_N; j++)
		if (mask >> j & 1)
			deliver_ckpt(j, seq, d);
}

static void deliver_fetch(uint32_t from, uint32_t level, uint64_t index, uint64_t offset,
			  uint64_t seq, uint32_t replier)
{
	mock_deliver(&fx.nd, fx.buf,
		     mock_forge_fetch(&fx.keys, fx.buf, sizeof(fx.buf), from, level, index,
				      offset, seq, replier));
}

/* ================= (a) serving FETCH ================= */

/* Replica 1 at checkpoint 4 (taken, not stable), state of fixture_state(4)
 * plus a blob of MOCK_BLOB_MAX bytes (three DATA chunks) if blob. */
static void serve_setup(bool blob)
{
	open_tree(1, 0);
	if (blob) {
		tree.cur.blob_seed = 0x21;
		tree.cur.blob_len = MOCK_BLOB_MAX;
	}
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	mock_io_clear(&fx.nd.io);
}

START_TEST(serve_interior_node_with_snapshot_children)
{
	struct mock_state st4;
	uint8_t kids[MOCK_TREE_FANOUT][BFT_DIGEST_LEN], d[BFT_DIGEST_LEN];
	uint8_t root[BFT_DIGEST_LEN];

	serve_setup(false);
	fixture_state(&st4, 4);
	mock_tree_root(&st4, root);
	/* executing on does not change what checkpoint 4 serves */
	fixture_commit_seq(5);
	fixture_commit_seq(6);
	mock_io_clear(&fx.nd.io);

	deliver_fetch(2, 0, 0, 0, 4, 1);
	ck_assert_uint_eq(fx.nd.io.n_sent, 1);
	ck_assert_uint_eq(fx.nd.io.sent[0].to, 2);
	fixture_decode_sent(BFT_MSG_META_DATA, 2, 0);
	ck_assert(mock_verify(&fx.keys, 2, fx.nd.io.sent[0].buf, fx.nd.io.sent[0].len));
	ck_assert(!mock_verify(&fx.keys, 3, fx.nd.io.sent[0].buf, fx.nd.io.sent[0].len));
	ck_assert_uint_eq(fx.msg.hdr.sender, 1);
	ck_assert_uint_eq(fx.msg.u.meta_data.seq, 4);
	ck_assert_uint_eq(fx.msg.u.meta_data.level, 0);
	ck_assert_uint_eq(fx.msg.u.meta_data.index, 0);
	ck_assert_uint_eq(fx.msg.u.meta_data.count, MOCK_TREE_FANOUT);
	mock_tree_children(&st4, 0, 0, kids);
	for (unsigned i = 0; i < MOCK_TREE_FANOUT; i++) {
		uint64_t idx, lm;

		bft_meta_child(&fx.msg.u.meta_data, i, &idx, &lm, d);
		ck_assert_uint_eq(idx, i);
		ck_assert_mem_eq(d, kids[i], BFT_DIGEST_LEN);
	}
	/* the children hash to the digest the replica signed for checkpoint 4 */
	bft_sha256(kids, sizeof(kids), d);
	ck_assert_mem_eq(d, root, BFT_DIGEST_LEN);

	/* an inner node: (1, 0) has leaves 0..3 */
	mock_io_clear(&fx.nd.io);
	deliver_fetch(3, 1, 0, 0, 4, 1);
	fixture_decode_sent(BFT_MSG_META_DATA, 3, 0);
	ck_assert_uint_eq(fx.msg.u.meta_data.level, 1);
	mock_tree_children(&st4, 1, 0, kids);
	for (unsigned i = 0; i < MOCK_TREE_FANOUT; i++) {
		uint64_t idx, lm;

		bft_meta_child(&fx.msg.u.meta_data, i, &idx, &lm, d);
		ck_assert_uint_eq(idx, i);
		ck_assert_mem_eq(d, kids[i], BFT_DIGEST_LEN);
	}
}
END_TEST

START_TEST(serve_leaf_in_chunks)
{
	struct mock_state st4;
	uint32_t total, got = 0, chunks = 0;
	uint8_t *whole = malloc(MOCK_LEAF_MAX), d[BFT_DIGEST_LEN], want[BFT_DIGEST_LEN];

	ck_assert_ptr_nonnull(whole);
	serve_setup(true);
	fixture_state(&st4, 4);
	st4.blob_seed = 0x21;
	st4.blob_len = MOCK_BLOB_MAX;
	total = mock_leaf_bytes(&st4, MOCK_LEAF_BLOB, leafbuf);
	ck_assert_uint_gt(total, 2 * BFT_MAX_DATA);
	fixture_commit_seq(5); /* the snapshot is served, not the current state */

	while (got < total) {
		mock_io_clear(&fx.nd.io);
		deliver_fetch(3, MOCK_TREE_DEPTH, MOCK_LEAF_BLOB, got, 4, 1);
		ck_assert_uint_eq(fx.nd.io.n_sent, 1);
		fixture_decode_sent(BFT_MSG_DATA, 3, 0);
		ck_assert(mock_verify(&fx.keys, 3, fx.nd.io.sent[0].buf, fx.nd.io.sent[0].len));
		ck_assert_uint_eq(fx.msg.u.data.seq, 4);
		ck_assert_uint_eq(fx.msg.u.data.index, MOCK_LEAF_BLOB);
		ck_assert_uint_eq(fx.msg.u.data.offset, got);
		ck_assert_uint_eq(fx.msg.u.data.total, total);
		ck_assert_uint_gt(fx.msg.u.data.len, 0);
		ck_assert_uint_le(fx.msg.u.data.len, BFT_MAX_DATA);
		ck_assert_mem_eq(fx.msg.u.data.data, leafbuf + got, fx.msg.u.data.len);
		memcpy(whole + got, fx.msg.u.data.data, fx.msg.u.data.len);
		got += fx.msg.u.data.len;
		chunks++;
	}
	ck_assert_uint_eq(chunks, 3);
	ck_assert(mock_leaf_digest(MOCK_LEAF_BLOB, whole, total, d));
	mock_tree_node(&st4, MOCK_TREE_DEPTH, MOCK_LEAF_BLOB, want);
	ck_assert_mem_eq(d, want, BFT_DIGEST_LEN);

	/* a small leaf: one chunk; an empty leaf: total 0 */
	mock_io_clear(&fx.nd.io);
	deliver_fetch(2, MOCK_TREE_DEPTH, MOCK_LEAF_COUNTER, 0, 4, 1);
	fixture_decode_sent(BFT_MSG_DATA, 2, 0);
	ck_assert_uint_eq(fx.msg.u.data.total, 8);
	ck_assert_uint_eq(fx.msg.u.data.len, 8);
	ck_assert_uint_eq(fx.msg.u.data.data[0], 4);
	mock_io_clear(&fx.nd.io);
	deliver_fetch(2, MOCK_TREE_DEPTH, 9, 0, 4, 1);
	fixture_decode_sent(BFT_MSG_DATA, 2, 0);
	ck_assert_uint_eq(fx.msg.u.data.total, 0);
	ck_assert_uint_eq(fx.msg.u.data.len, 0);
	free(whole);
}
END_TEST

/* A FETCH that must get no answer; `rejected`: and is logged as rejected. */
static void no_answer(size_t len, bool rejected)
{
	mock_io_clear(&fx.nd.io);
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_FETCH),
			  rejected ? 1 : 0);
}

static size_t forge_fetch(uint32_t from, uint32_t level, uint64_t index, uint64_t offset,
			  uint64_t seq, uint32_t replier)
{
	return mock_forge_fetch(&fx.keys, fx.buf, sizeof(fx.buf), from, level, index, offset,
				seq, replier);
}

START_TEST(serve_rejects_bad_fetch)
{
	size_t len;

	serve_setup(false);
	no_answer(forge_fetch(2, 0, 0, 0, 4, 3), false);          /* not our turn */
	no_answer(forge_fetch(2, 3, 0, 0, 4, 1), true);           /* level > depth */
	no_answer(forge_fetch(2, 1, 4, 0, 4, 1), true);           /* index >= 4^1 */
	no_answer(forge_fetch(2, 2, 16, 0, 4, 1), true);          /* index >= 4^2 */
	no_answer(forge_fetch(2, 0, 0, 1, 4, 1), true);           /* offset in a node */
	no_answer(forge_fetch(2, 2, 0, MOCK_LEAF_MAX + 1ull, 4, 1), true);
	no_answer(forge_fetch(2, 2, 0, 9, 4, 1), false);          /* past the leaf's end */
	no_answer(forge_fetch(2, 0, 0, 0, 3, 1), true);           /* not a checkpoint */
	no_answer(forge_fetch(2, 0, 0, 0, 0, 1), true);
	no_answer(forge_fetch(2, 0, 0, 0, 8, 1), false);          /* no snapshot yet */
	no_answer(forge_fetch(MOCK_C0, 0, 0, 0, 4, 1), true);     /* a client */
	no_answer(forge_fetch(1, 0, 0, 0, 4, 1), true);           /* itself */
	len = forge_fetch(2, 0, 0, 0, 4, 1);
	fx.buf[len - (MOCK_N - 1) * BFT_MAC_LEN] ^= 1; /* replica 1's MAC entry */
	no_answer(len, true);
	len = forge_fetch(2, 0, 0, 0, 4, 1);
	fx.buf[BFT_HDR_LEN] ^= 1; /* level 0 -> 1 (in range) after authentication */
	no_answer(len, true);
	len = forge_fetch(2, 0, 0, 0, 4, 1);
	fx.buf[len - MOCK_N * BFT_MAC_LEN] ^= 1; /* replica 0's entry: not ours */
	mock_io_clear(&fx.nd.io);
	mock_deliver(&fx.nd, fx.buf, len);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_META_DATA, 2), 1);

	/* the same FETCH, intact, is answered */
	mock_io_clear(&fx.nd.io);
	deliver_fetch(2, 0, 0, 0, 4, 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_META_DATA, 2), 1);
}
END_TEST

START_TEST(serve_drops_released_snapshot)
{
	struct mock_state st8;

	serve_setup(false);
	for (uint64_t s = 5; s <= 8; s++)
		fixture_commit_seq(s);
	fixture_state(&st8, 8);
	certify(8, &st8, 0xc);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 8);

	mock_io_clear(&fx.nd.io);
	deliver_fetch(2, 0, 0, 0, 4, 1); /* released when 8 became stable */
	ck_assert_uint_eq(fx.nd.io.n_sent, 0);
	deliver_fetch(2, 0, 0, 0, 8, 1);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_META_DATA, 2), 1);
}
END_TEST

/* ================= (b)-(g) fetching ================= */

/* The local history of the fetching tests: seq 1 = client 4 ts 1, seq 2 =
 * client 5 ts 1, both "inc" (counter 2, client 5's reply mock_result(2)). */
static void commit_pp(uint64_t seq, uint32_t client, uint64_t ts)
{
	uint8_t d[BFT_DIGEST_LEN];

	fixture_backup_pp(seq, E + seq, client, ts, 0, "inc", d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, seq, d, 0x4);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, seq, d, 0xc);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), seq);
}

static void fetch_setup(uint32_t log_window)
{
	open_tree(1, log_window);
	commit_pp(1, MOCK_C0, 1);
	commit_pp(2, MOCK_C1, 1);
	mock_io_clear(&fx.nd.io);
	fx.nd.svc.n_calls = 0;
}

/* What the others hold at checkpoint seq: client 4 went on to ts seq - 1
 * (its reply names counter seq), client 5 as here, a blob if blob_seed. */
static void remote_state(struct mock_state *st, uint64_t seq, uint8_t blob_seed)
{
	memset(st, 0, sizeof(*st));
	st->counter = seq;
	st->time_us = E + seq;
	st->last_ts[0] = seq - 1;
	st->reply_len[0] = mock_result(seq, "inc", 3, st->reply[0]);
	st->last_ts[1] = 1;
	st->reply_len[1] = mock_result(2, "inc", 3, st->reply[1]);
	if (blob_seed) {
		st->blob_seed = blob_seed;
		st->blob_len = MOCK_BLOB_MAX;
	}
}

/* A FETCH the replica sent. */
struct fetch {
	uint32_t to, level;
	uint64_t index, offset, seq;
};

/* The FETCH at sent index i (asserting it is one, authenticated for its
 * destination, naming it as replier). */
static struct fetch sent_fetch(size_t i)
{
	const struct mock_sent *s = &fx.nd.io.sent[i];
	struct bft_msg m;
	struct fetch f;

	mock_sent_decode(&fx.nd.io, i, &m);
	ck_assert_uint_eq(m.hdr.type, BFT_MSG_FETCH);
	ck_assert_uint_eq(m.hdr.sender, 1);
	ck_assert_uint_eq(m.u.fetch.replier, s->to);
	ck_assert_uint_ne(s->to, 1);
	ck_assert_uint_lt(s->to, MOCK_N);
	ck_assert(mock_verify(&fx.keys, s->to, s->buf, s->len));
	f = (struct fetch){ .to = s->to, .level = m.u.fetch.level, .index = m.u.fetch.index,
			    .offset = m.u.fetch.offset, .seq = m.u.fetch.want_seq };
	return f;
}

static size_t answered_bytes; /* META-DATA + DATA bytes answer() delivered */

/* Answer f correctly from st, as replica `as`. */
static void answer(const struct fetch *f, const struct mock_state *st, uint32_t as)
{
	uint8_t kids[MOCK_TREE_FANOUT][BFT_DIGEST_LEN];
	uint64_t idx[MOCK_TREE_FANOUT];
	uint32_t total, len;
	size_t n;

	if (f->level < MOCK_TREE_DEPTH) {
		mock_tree_children(st, f->level, f->index, kids);
		for (uint32_t i = 0; i < MOCK_TREE_FANOUT; i++)
			idx[i] = f->index * MOCK_TREE_FANOUT + i;
		n = mock_forge_meta_data(&fx.keys, fx.buf, sizeof(fx.buf), as, 1, f->seq,
					 f->level, f->index, MOCK_TREE_FANOUT, idx,
					 (const uint8_t (*)[BFT_DIGEST_LEN])kids);
		answered_bytes += n;
		mock_deliver(&fx.nd, fx.buf, n);
		return;
	}
	total = mock_leaf_bytes(st, f->index, leafbuf);
	ck_assert_uint_le(f->offset, total);
	len = total - (uint32_t)f->offset;
	if (len > BFT_MAX_DATA)
		len = BFT_MAX_DATA;
	n = mock_forge_data(&fx.keys, fx.buf, sizeof(fx.buf), as, 1, f->seq, f->index,
			    (uint32_t)f->offset, total, leafbuf + f->offset, len);
	answered_bytes += n;
	mock_deliver(&fx.nd, fx.buf, n);
}

/* Answer every FETCH sent from *pos on, and those the answers cause,
 * correctly from st as the replica each went to; the FETCHes seen are
 * appended to seen (if not NULL). */
static size_t serve(size_t *pos, const struct mock_state *st, struct fetch *seen, size_t cap)
{
	size_t n = 0;

	for (; *pos < fx.nd.io.n_sent; (*pos)++) {
		struct fetch f;

		if (fx.nd.io.sent[*pos].len < 2 || fx.nd.io.sent[*pos].buf[1] != BFT_MSG_FETCH)
			continue;
		f = sent_fetch(*pos);
		if (seen && n < cap)
			seen[n] = f;
		n++;
		answer(&f, st, f.to);
	}
	return n;
}

/* The service's LEAF_PUT calls must be exactly the leaves in `mask` (bit
 * i: leaf i), each with st's digest for it, followed by one XFER_END
 * (seq) returning st's root. */
static void assert_puts(const struct mock_state *st, uint32_t mask, uint64_t seq)
{
	uint32_t put = 0;
	size_t ends = 0;
	uint8_t d[BFT_DIGEST_LEN];

	for (size_t i = 0; i < fx.nd.svc.n_calls; i++) {
		const struct mock_call *c = &fx.nd.svc.calls[i];

		if (c->kind == MOCK_LEAF_PUT) {
			ck_assert_uint_eq(ends, 0);
			ck_assert(c->valid_leaf);
			ck_assert_uint_lt(c->leaf, MOCK_TREE_LEAVES);
			mock_tree_node(st, MOCK_TREE_DEPTH, c->leaf, d);
			ck_assert_mem_eq(c->digest, d, BFT_DIGEST_LEN);
			put |= 1u << c->leaf;
		} else if (c->kind == MOCK_XFER_END) {
			ck_assert_uint_eq(c->seq, seq);
			mock_tree_root(st, d);
			ck_assert_mem_eq(c->digest, d, BFT_DIGEST_LEN);
			ends++;
		}
	}
	ck_assert_uint_eq(put, mask);
	ck_assert_uint_eq(ends, 1);
}

/* Leaves where the local state after fetch_setup differs from
 * remote_state(seq, blob): counter, time, client 4 (and the blob). */
#define DIFF_LEAVES (1u << MOCK_LEAF_COUNTER | 1u << MOCK_LEAF_TIME | 1u << MOCK_LEAF_CLIENT)
#define BLOB_LEAF (1u << MOCK_LEAF_BLOB)

/* Start the standard transfer: 2f+1 CHECKPOINTs for 12 (beyond h + L = 8,
 * more than K above the last executed 2) of remote_state(12, blob). The
 * replica sends exactly one FETCH, for the root; returned. */
static struct fetch start_far(struct mock_state *st, uint8_t blob)
{
	remote_state(st, 12, blob);
	mock_io_clear(&fx.nd.io);
	certify(12, st, 0xd);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 1);
	return sent_fetch((size_t)mock_find(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY, 0));
}

START_TEST(fetch_far_checkpoint_and_resume)
{
	struct mock_state st;
	struct fetch f, seen[64];
	uint8_t root[BFT_DIGEST_LEN], b[FIXTURE_REQ_CAP];
	size_t pos = 0, n, i;
	bool leaf3 = false, n12 = false, n13 = false;

	fetch_setup(0);
	f = start_far(&st, 0x33);
	ck_assert_uint_eq(f.level, 0);
	ck_assert_uint_eq(f.index, 0);
	ck_assert_uint_eq(f.offset, 0);
	ck_assert_uint_eq(f.seq, 12);
	ck_assert(f.to == 0 || f.to == 2 || f.to == 3);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 2); /* not yet */

	answered_bytes = 0;
	n = serve(&pos, &st, seen, 64);
	/* the log counts every answer's bytes: what a recovery benchmark reads */
	snprintf((char *)b, sizeof(b), " %zu bytes received,", answered_bytes);
	ck_assert_msg(mock_log_contains(&fx.nd.io, (char *)b), "no '%s' in the log", b);
	/* the walk skipped what is equal here: leaf 3 (client 5), and the
	 * empty subtrees (1, 2) and (1, 3) */
	for (i = 0; i < n && i < 64; i++) {
		leaf3 |= seen[i].level == 2 && seen[i].index == MOCK_LEAF_CLIENT + 1;
		n12 |= seen[i].level == 1 && seen[i].index == 2;
		n13 |= seen[i].level == 1 && seen[i].index == 3;
		ck_assert_uint_eq(seen[i].seq, 12);
	}
	ck_assert(!leaf3 && !n12 && !n13);
	/* root, (1,0), (1,1), leaves 0,1,2 and three chunks of the blob */
	ck_assert_uint_eq(n, 3 + 3 + 3);
	assert_puts(&st, DIFF_LEAVES | BLOB_LEAF, 12);

	mock_tree_root(&st, root);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 12);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 12);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_TRANSFERRED, 12), 1);
	mock_tree_root(&tree.cur, b);
	ck_assert_mem_eq(b, root, BFT_DIGEST_LEN);
	ck_assert_uint_eq(tree.svc->counter, 12);

	/* its own signed CHECKPOINT for 12, to every other replica */
	ck_assert_uint_eq(mock_dest_mask(&fx.nd.io, BFT_MSG_CHECKPOINT), 0xd);
	for (i = 0; fixture_next_sent(&i, BFT_MSG_CHECKPOINT); i++) {
		ck_assert_uint_eq(fx.msg.hdr.sender, 1);
		ck_assert_uint_eq(fx.msg.u.checkpoint.seq, 12);
		ck_assert_mem_eq(fx.msg.u.checkpoint.digest, root, BFT_DIGEST_LEN);
		ck_assert(mock_verify(&fx.keys, MOCK_C1, fx.nd.io.sent[i].buf,
				      fx.nd.io.sent[i].len));
	}

	/* the reply cache came with the state: client 4's retransmission of
	 * ts 11 gets the transferred result, without executing it */
	mock_io_clear(&fx.nd.io);
	fx.nd.svc.n_calls = 0;
	mock_deliver(&fx.nd, b, fixture_request(b, MOCK_C0, 11, BFT_REPLIER_ALL, 0, "inc"));
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_EXEC), 0);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_REPLY, MOCK_C0), 1);
	fixture_decode_sent(BFT_MSG_REPLY, MOCK_C0, 0);
	ck_assert_uint_eq(fx.msg.u.reply.timestamp, 11);
	ck_assert_uint_eq(fx.msg.hdr.flags & BFT_REP_TENTATIVE, 0);
	ck_assert_uint_eq(fx.msg.u.reply.result_len, st.reply_len[0]);
	ck_assert_mem_eq(fx.msg.u.reply.result, st.reply[0], st.reply_len[0]);

	/* execution resumes above the checkpoint, on the transferred state */
	fixture_commit_seq(13);
	ck_assert_uint_eq(fx.nd.svc.calls[0].kind, MOCK_BEGIN);
	ck_assert_uint_eq(fx.nd.svc.calls[0].seq, 13);
	ck_assert_uint_gt(fx.nd.svc.calls[0].time_us, st.time_us);
	ck_assert_uint_eq(fx.nd.svc.calls[1].kind, MOCK_EXEC);
	ck_assert_uint_eq(fx.nd.svc.calls[1].counter, 13);
}
END_TEST

START_TEST(fetch_in_window_then_execute_log_above)
{
	struct mock_state st;
	uint8_t d[BFT_DIGEST_LEN];
	size_t pos = 0, ends = 0, i;
	uint64_t begun[2] = { 0, 0 };
	unsigned nb = 0;

	fetch_setup(16);
	/* batches 9 and 10 commit while 3..8 never arrive */
	for (uint64_t s = 9; s <= 10; s++) {
		fixture_seq_pp(s, d);
		mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, s, d, 0x4);
		mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, s, d, 0xc);
	}
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 2);
	remote_state(&st, 8, 0);
	st.last_ts[0] = 8; /* client 4's ts 9 and 10 follow */
	mock_io_clear(&fx.nd.io);
	certify(8, &st, 0x1 | 0x4 | 0x8);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 1);
	serve(&pos, &st, NULL, 0);

	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 8);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 10);
	for (i = 0; i < fx.nd.svc.n_calls; i++) {
		const struct mock_call *c = &fx.nd.svc.calls[i];

		if (c->kind == MOCK_XFER_END)
			ends++;
		if (c->kind == MOCK_BEGIN) {
			ck_assert_uint_eq(ends, 1); /* only after the transfer */
			ck_assert_uint_lt(nb, 2);
			begun[nb++] = c->seq;
		}
		if (c->kind == MOCK_EXEC)
			ck_assert_uint_eq(c->counter, 8 + nb);
	}
	ck_assert_uint_eq(nb, 2);
	ck_assert_uint_eq(begun[0], 9);
	ck_assert_uint_eq(begun[1], 10);
}
END_TEST

/* After a bad answer from f->to: no leaf was put, and the FETCHes sent
 * since index `from` (at least one, for node (level, index)) all go to one
 * other replica; returns it. */
static uint32_t assert_moved_on(size_t from, const struct fetch *f, uint32_t level,
				uint64_t index)
{
	uint32_t to = MOCK_ANY;
	bool again = false;

	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_LEAF_PUT), 0);
	for (size_t i = from; i < fx.nd.io.n_sent; i++) {
		struct fetch g;

		if (fx.nd.io.sent[i].buf[1] != BFT_MSG_FETCH)
			continue;
		g = sent_fetch(i);
		ck_assert_uint_ne(g.to, f->to);
		ck_assert(to == MOCK_ANY || to == g.to);
		to = g.to;
		again |= g.level == level && g.index == index;
	}
	ck_assert(again);
	return to;
}

/* Deliver a META-DATA for the root answering f, broken by `how`. */
static void bad_root_meta(const struct fetch *f, const struct mock_state *st, int how)
{
	uint8_t kids[MOCK_TREE_FANOUT][BFT_DIGEST_LEN];
	uint64_t idx[MOCK_TREE_FANOUT] = { 0, 1, 2, 3 };
	uint16_t count = MOCK_TREE_FANOUT;

	mock_tree_children(st, 0, 0, kids);
	switch (how) {
	case 0: kids[2][5] ^= 1; break;    /* does not hash to the root */
	case 1: idx[1] = 7; break;          /* misnumbered */
	case 2: count = 3; break;           /* wrong count */
	default: idx[0] = 1; idx[1] = 0;    /* swapped numbers... */
		memcpy(kids[3], kids[0], BFT_DIGEST_LEN); break; /* ...and a digest */
	}
	mock_deliver(&fx.nd, fx.buf,
		     mock_forge_meta_data(&fx.keys, fx.buf, sizeof(fx.buf), f->to, 1, 12, 0, 0,
					  count, idx, (const uint8_t (*)[BFT_DIGEST_LEN])kids));
}

START_TEST(bad_meta_data_rotates_replier)
{
	for (int how = 0; how < 4; how++) {
		struct mock_state st;
		struct fetch f;
		size_t pos;

		fetch_setup(0);
		f = start_far(&st, 0);
		pos = fx.nd.io.n_sent;
		bad_root_meta(&f, &st, how);
		ck_assert_msg(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_META_DATA),
			      "broken META-DATA %d not rejected", how);
		assert_moved_on(pos, &f, 0, 0);
		/* the next replier serves the truth: the transfer completes */
		serve(&pos, &st, NULL, 0);
		assert_puts(&st, DIFF_LEAVES, 12);
		ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 12);
		mock_node_close(&fx.nd);
		mock_tree_free(&tree);
	}
}
END_TEST

/* Serve correctly until the replica asks for leaf `leaf`; answer that with
 * other bytes (valid leaf bytes of another value, or invalid ones). */
static void bad_leaf(int how)
{
	struct mock_state st, liar;
	struct fetch f;
	size_t pos = 0, mark;
	uint32_t other;

	fetch_setup(0);
	f = start_far(&st, 0);
	liar = st;
	liar.counter = 99;
	for (;;) {
		ck_assert_uint_lt(pos, fx.nd.io.n_sent);
		if (fx.nd.io.sent[pos].buf[1] != BFT_MSG_FETCH) {
			pos++;
			continue;
		}
		f = sent_fetch(pos++);
		if (f.level == MOCK_TREE_DEPTH && f.index == MOCK_LEAF_COUNTER)
			break;
		answer(&f, &st, f.to);
	}
	/* the others may have been put already: count from here */
	fx.nd.svc.n_calls = 0;
	mark = fx.nd.io.n_sent;
	if (how == 0) {
		answer(&f, &liar, f.to); /* a valid leaf, the wrong value */
	} else {
		uint8_t junk[8] = { 12, 0, 0, 0, 0, 0, 0, 0 };

		/* the right value's first 7 bytes: no valid leaf */
		mock_deliver(&fx.nd, fx.buf,
			     mock_forge_data(&fx.keys, fx.buf, sizeof(fx.buf), f.to, 1, 12,
					     f.index, 0, 7, junk, 7));
	}
	other = assert_moved_on(mark, &f, MOCK_TREE_DEPTH, MOCK_LEAF_COUNTER);
	ck_assert_uint_ne(other, f.to);
	pos = mark;
	serve(&pos, &st, NULL, 0);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 12);
	ck_assert_uint_eq(tree.cur.counter, 12);
}

START_TEST(bad_leaf_value_rotates_replier)
{
	bad_leaf(0);
}
END_TEST

START_TEST(invalid_leaf_bytes_rotate_replier)
{
	bad_leaf(1);
}
END_TEST

START_TEST(answer_from_unasked_replica_ignored)
{
	struct mock_state st, liar;
	struct fetch f, g;
	uint32_t stranger;
	size_t before, pos;

	fetch_setup(0);
	f = start_far(&st, 0);
	stranger = f.to == 2 ? 3 : 2;
	liar = st;
	liar.counter = 77;
	g = f;
	g.to = stranger;
	/* a correct or a false answer from someone not asked: no effect */
	before = fx.nd.io.n_sent;
	answer(&g, &st, stranger);
	answer(&g, &liar, stranger);
	ck_assert_uint_eq(fx.nd.io.n_sent, before);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_LEAF_PUT), 0);
	/* an answer for another checkpoint from the replier: ignored too */
	g = f;
	g.seq = 16;
	answer(&g, &st, f.to);
	ck_assert_uint_eq(fx.nd.io.n_sent, before);

	/* the replier asked is still trusted: its answer moves the walk on */
	pos = (size_t)mock_find(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY, 0);
	serve(&pos, &st, NULL, 0);
	for (size_t i = before; i < fx.nd.io.n_sent; i++)
		if (fx.nd.io.sent[i].buf[1] == BFT_MSG_FETCH)
			ck_assert_uint_eq(fx.nd.io.sent[i].to, f.to);
	assert_puts(&st, DIFF_LEAVES, 12);
}
END_TEST

/* Fire the STATUS timer once. */
static void tick(void)
{
	bft_replica_on_timer(fx.nd.r, BFT_TIMER_STATUS);
}

START_TEST(silence_resends_to_another_replier)
{
	struct mock_state st;
	struct fetch f, g;
	uint64_t used = 0;
	size_t mark = 0, inflight, resent, pos, t, count;

	fetch_setup(0);
	f = start_far(&st, 0x33);
	used |= 1ull << f.to;
	/* the root's answer puts two subtrees in flight, both at f.to */
	mock_io_clear(&fx.nd.io);
	answer(&f, &st, f.to);
	inflight = mock_count(&fx.nd.io, BFT_MSG_FETCH, f.to);
	ck_assert_uint_eq(inflight, 2);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), inflight);

	/* three silent periods in a row: each time every FETCH in flight goes
	 * to a replica not tried yet (at most two ticks per period) */
	for (int round = 0; round < 2; round++) {
		mark = fx.nd.io.n_sent;
		count = mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY);
		for (t = 0; t < 2 && mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY) == count; t++)
			tick();
		resent = 0;
		for (size_t i = mark; i < fx.nd.io.n_sent; i++) {
			if (fx.nd.io.sent[i].buf[1] != BFT_MSG_FETCH)
				continue;
			g = sent_fetch(i);
			ck_assert_uint_eq(g.level, 1);
			ck_assert(!(used >> g.to & 1));
			resent++;
			f.to = g.to;
		}
		ck_assert_uint_eq(resent, inflight);
		used |= 1ull << f.to;
	}
	ck_assert_uint_eq(used, 0xd);
	/* the last one answers: done */
	pos = mark;
	serve(&pos, &st, NULL, 0);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 12);
}
END_TEST

START_TEST(higher_certificate_retargets)
{
	struct mock_state st12, st16;
	struct fetch f, seen[64];
	uint8_t r16[BFT_DIGEST_LEN];
	size_t pos, n, mark, before;

	fetch_setup(0);
	f = start_far(&st12, 0);
	mock_io_clear(&fx.nd.io);
	answer(&f, &st12, f.to); /* the walk of 12 is under way */
	ck_assert_uint_gt(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 0);

	remote_state(&st16, 16, 0x44);
	mark = fx.nd.io.n_sent;
	before = mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY);
	certify(16, &st16, 0xd);
	/* the walk restarts at the root of 16 */
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), before + 1);
	f = sent_fetch((size_t)mock_find(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY, before));
	ck_assert_uint_eq(f.seq, 16);
	ck_assert_uint_eq(f.level, 0);
	/* late answers for 12 change nothing */
	for (size_t i = 0; i < mark; i++) {
		struct fetch old;

		if (fx.nd.io.sent[i].buf[1] != BFT_MSG_FETCH)
			continue;
		old = sent_fetch(i);
		answer(&old, &st12, old.to);
	}
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_LEAF_PUT), 0);

	pos = mark;
	n = serve(&pos, &st16, seen, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		ck_assert_uint_eq(seen[i].seq, 16);
	assert_puts(&st16, DIFF_LEAVES | BLOB_LEAF, 16);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 16);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 16);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_TRANSFERRED, 12), 0);
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_TRANSFERRED, 16), 1);
	mock_tree_root(&st16, r16);
	mock_tree_root(&tree.cur, fx.buf);
	ck_assert_mem_eq(fx.buf, r16, BFT_DIGEST_LEN);
}
END_TEST

/* No FETCH and no transfer, even after STATUS periods. */
static void assert_no_transfer(void)
{
	for (int t = 0; t < 5; t++)
		tick();
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 0);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_LEAF_PUT), 0);
	ck_assert_uint_eq(mock_calls_of(&fx.nd.svc, MOCK_XFER_END), 0);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 0);
}

/* A replica's own earlier signature, relayed back by a peer (a restarted
 * replica no longer knows what it signed), completes a certificate. */
START_TEST(own_relayed_signature_counts)
{
	struct mock_state st;
	uint8_t d[BFT_DIGEST_LEN];

	fetch_setup(0);
	remote_state(&st, 12, 0);
	mock_tree_root(&st, d);
	deliver_ckpt(0, 12, d);
	deliver_ckpt(2, 12, d);
	assert_no_transfer();
	deliver_ckpt(1, 12, d);
	ck_assert_uint_gt(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 0);
}
END_TEST

START_TEST(uncertified_far_checkpoint_ignored)
{
	struct mock_state st, other;
	uint8_t d[BFT_DIGEST_LEN], o[BFT_DIGEST_LEN];
	size_t len;

	fetch_setup(0);
	remote_state(&st, 12, 0);
	mock_tree_root(&st, d);
	other = st;
	other.counter = 13;
	mock_tree_root(&other, o);

	/* f+1 matching */
	deliver_ckpt(0, 12, d);
	deliver_ckpt(2, 12, d);
	assert_no_transfer();
	/* a third with a bad signature */
	len = mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 3, 12, d);
	fx.buf[len - 1] ^= 1;
	mock_deliver(&fx.nd, fx.buf, len);
	assert_no_transfer();
	/* signed by 3, claiming to be 3's... from 0 again */
	len = mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 3, 12, d);
	fx.buf[4] = 0;
	mock_deliver(&fx.nd, fx.buf, len);
	/* a third that disagrees */
	deliver_ckpt(3, 12, o);
	assert_no_transfer();
	/* duplicates of the same two, and a client */
	deliver_ckpt(0, 12, d);
	deliver_ckpt(2, 12, d);
	deliver_ckpt(MOCK_C0, 12, d);
	assert_no_transfer();
	/* another far checkpoint pair does not add up with these */
	deliver_ckpt(3, 16, d);
	assert_no_transfer();

	/* the third matching signature: now it fetches */
	deliver_ckpt(3, 12, d);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 1);
}
END_TEST

START_TEST(uncertified_window_checkpoint_ignored)
{
	struct mock_state st;
	uint8_t d[BFT_DIGEST_LEN];
	size_t len;

	fetch_setup(0);
	remote_state(&st, 8, 0);
	mock_tree_root(&st, d);
	deliver_ckpt(0, 8, d);
	deliver_ckpt(2, 8, d);
	len = mock_forge_checkpoint(&fx.keys, fx.buf, sizeof(fx.buf), 3, 8, d);
	fx.buf[len - 3] ^= 1;
	mock_deliver(&fx.nd, fx.buf, len);
	assert_no_transfer();
	deliver_ckpt(3, 8, d);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 1);
}
END_TEST

/* Regression (fuzz_replica, regress-far-checkpoint-wraps): a certificate
 * for a checkpoint just below 2^64, whose window wraps, made install()
 * dereference a NULL checkpoint slot. No correct replica reaches it. */
START_TEST(checkpoint_near_2_64_ignored)
{
	static const uint8_t zero[BFT_DIGEST_LEN];

	fetch_setup(0);
	for (uint32_t j = 0; j < MOCK_N; j++)
		if (j != 1)
			deliver_ckpt(j, UINT64_MAX - 3, zero); /* a multiple of K = 4 */
	assert_no_transfer();
	ck_assert_uint_eq(mock_trace_count(&fx.nd.io, BFT_TRACE_REJECTED, BFT_MSG_CHECKPOINT), 3);
}
END_TEST

START_TEST(corrupt_state_repaired)
{
	struct mock_state good;
	uint8_t own[BFT_DIGEST_LEN], want[BFT_DIGEST_LEN], now[BFT_DIGEST_LEN];
	size_t pos, i;

	open_tree(1, 0);
	/* this replica's state is corrupt: a blob none of the others has */
	tree.cur.blob_seed = 0x55;
	tree.cur.blob_len = 100;
	for (uint64_t s = 1; s <= 4; s++)
		fixture_commit_seq(s);
	fixture_decode_sent(BFT_MSG_CHECKPOINT, 0, 0);
	memcpy(own, fx.msg.u.checkpoint.digest, BFT_DIGEST_LEN);
	fixture_state(&good, 4);
	mock_tree_root(&good, want);
	ck_assert_mem_ne(own, want, BFT_DIGEST_LEN);
	mock_io_clear(&fx.nd.io);
	fx.nd.svc.n_calls = 0;

	certify(4, &good, 0x1 | 0x4);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 0);
	certify(4, &good, 0x8);
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_FETCH, MOCK_ANY), 1);
	pos = 0;
	serve(&pos, &good, NULL, 0);
	/* only the blob differed: it is emptied */
	assert_puts(&good, BLOB_LEAF, 4);
	for (i = 0; i < fx.nd.svc.n_calls; i++)
		if (fx.nd.svc.calls[i].kind == MOCK_LEAF_PUT)
			ck_assert_uint_eq(fx.nd.svc.calls[i].leaf_len, 0);
	mock_tree_root(&tree.cur, now);
	ck_assert_mem_eq(now, want, BFT_DIGEST_LEN);
	ck_assert_uint_eq(bft_replica_stable(fx.nd.r), 4);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), 4);
	/* and it now signs the certified digest */
	for (i = 0; fixture_next_sent(&i, BFT_MSG_CHECKPOINT); i++) {
		ck_assert_uint_eq(fx.msg.hdr.sender, 1);
		ck_assert_mem_eq(fx.msg.u.checkpoint.digest, want, BFT_DIGEST_LEN);
	}
	ck_assert_uint_eq(mock_count(&fx.nd.io, BFT_MSG_CHECKPOINT, MOCK_ANY), 3);
	/* it goes on executing from 5 */
	fixture_commit_seq(5);
}
END_TEST

int main(void)
{
	const TTest *serve_tests[] = {
		serve_interior_node_with_snapshot_children, serve_leaf_in_chunks,
		serve_rejects_bad_fetch, serve_drops_released_snapshot, NULL,
	};
	const TTest *fetch_tests[] = {
		fetch_far_checkpoint_and_resume, fetch_in_window_then_execute_log_above,
		bad_meta_data_rotates_replier, bad_leaf_value_rotates_replier,
		invalid_leaf_bytes_rotate_replier, answer_from_unasked_replica_ignored,
		silence_resends_to_another_replier, higher_certificate_retargets,
		uncertified_far_checkpoint_ignored, own_relayed_signature_counts,
		uncertified_window_checkpoint_ignored,
		checkpoint_near_2_64_ignored, corrupt_state_repaired, NULL,
	};
	const struct fixture_tcase tc[] = {
		{ "serve", st_setup, st_teardown, 60, serve_tests },
		{ "fetch", st_setup, st_teardown, 60, fetch_tests },
	};

	return fixture_run("replica_state_transfer", tc, 2);
}
