/*
 * sim_transfer.c — the toy service's side of state transfer (TOCS '02
 * §5.3.2; the tree's shape and digest rules are bft/io.h's).
 *
 * Leaves (TOY_FANOUT^TOY_DEPTH = 256, indexed left to right):
 *   0 .. SIM_KEYS-1        counter i:   u64 value            (empty when 0)
 *   SIM_KEYS               batch time:  u64 time_us          (empty when 0)
 *   SIM_KEYS+1+c           client c:    u64 last timestamp, u8 result
 *                                       length, result       (empty when
 *                                       the client has no reply yet)
 *   the rest               always empty
 * Leaf digest: SHA-256(u64 index ‖ bytes); an empty leaf's is zero. Bytes
 * are canonical (no encoding of a default value), so one state has one
 * tree. Snapshots: a copy of the state per checkpoint (TOY_SNAPS of them).
 *
 * bad-state-transfer: a faulty replica serves a corrupted child digest or
 * leaf byte from its snapshots; the fetcher must notice and go elsewhere.
 */
#include <string.h>

#include "sim.h"

#define N_LEAVES 256u /* TOY_FANOUT ^ TOY_DEPTH */
#define N_NODES (1u + 4u + 16u + 64u + 256u)

/* Serialize leaf `index` of st into buf (TOY_LEAF_MAX bytes); its length. */
static uint32_t leaf_bytes(const struct toy_state *st, uint32_t n_clients, uint64_t index,
			   uint8_t *buf)
{
	uint64_t c;

	if (index < SIM_KEYS) {
		if (!st->values[index])
			return 0;
		sim_put64(buf, st->values[index]);
		return 8;
	}
	if (index == SIM_KEYS) {
		if (!st->time_us)
			return 0;
		sim_put64(buf, st->time_us);
		return 8;
	}
	c = index - SIM_KEYS - 1;
	if (c >= n_clients || !st->last_ts[c])
		return 0;
	sim_put64(buf, st->last_ts[c]);
	buf[8] = st->reply_len[c];
	memcpy(buf + 9, st->reply[c], st->reply_len[c]);
	return 9u + st->reply_len[c];
}

/* Whether bytes are the canonical encoding of some value of leaf index. */
static bool leaf_valid(uint32_t n_clients, uint64_t index, const uint8_t *b, uint32_t len)
{
	if (index >= N_LEAVES)
		return false;
	if (len == 0)
		return true;
	if (index <= SIM_KEYS)
		return len == 8 && sim_get64(b) != 0;
	if (index - SIM_KEYS - 1 >= n_clients)
		return false;
	return len >= 9 && b[8] <= TOY_RESULT && len == 9u + b[8] && sim_get64(b) != 0;
}

static void leaf_hash(uint64_t index, const uint8_t *b, uint32_t len,
		      uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t ib[8];

	if (!len) {
		memset(out, 0, BFT_DIGEST_LEN);
		return;
	}
	sim_put64(ib, index);
	bft_sha256_init(&c);
	bft_sha256_update(&c, ib, 8);
	bft_sha256_update(&c, b, len);
	bft_sha256_final(&c, out);
}

/* Every node's digest, level by level: node (l, i) at offset (4^l-1)/3 + i. */
static uint32_t node_at(uint32_t level, uint64_t index)
{
	return (uint32_t)(((1u << (2 * level)) - 1) / 3 + index);
}

static void build_tree(const struct toy_state *st, uint32_t n_clients,
		       uint8_t (*tree)[BFT_DIGEST_LEN])
{
	uint8_t buf[TOY_LEAF_MAX];
	uint32_t level, i;

	for (i = 0; i < N_LEAVES; i++)
		leaf_hash(i, buf, leaf_bytes(st, n_clients, i, buf), tree[node_at(TOY_DEPTH, i)]);
	for (level = TOY_DEPTH; level-- > 0;)
		for (i = 0; i < (1u << (2 * level)); i++)
			bft_tree_node_digest((const uint8_t (*)[BFT_DIGEST_LEN])
					     tree[node_at(level + 1, (uint64_t)i * 4)],
					     TOY_FANOUT, tree[node_at(level, i)]);
}

void toy_tree_root(const struct toy_state *st, uint32_t n_clients, uint8_t out[BFT_DIGEST_LEN])
{
	uint8_t tree[N_NODES][BFT_DIGEST_LEN];

	build_tree(st, n_clients, tree);
	memcpy(out, tree[0], BFT_DIGEST_LEN);
}

void toy_snapshot(struct toy_service *t, uint64_t seq)
{
	uint32_t i, low = 0;

	for (i = 0; i < TOY_SNAPS; i++) {
		if (t->snaps[i].seq == seq)
			low = i;
		else if (t->snaps[low].seq != seq && t->snaps[i].seq < t->snaps[low].seq)
			low = i;
	}
	t->snaps[low].seq = seq;
	t->snaps[low].st = t->cur;
}

static const struct toy_state *state_at(const struct toy_service *t, uint64_t snap)
{
	uint32_t i;

	if (!snap)
		return &t->cur;
	for (i = 0; i < TOY_SNAPS; i++)
		if (t->snaps[i].seq == snap)
			return &t->snaps[i].st;
	return NULL;
}

static bool lies(const struct toy_service *t, uint64_t snap)
{
	return snap && t->sim->nodes[t->node].fault == FAULT_BAD_ST;
}

static int toy_children(void *data, uint64_t snap, uint32_t level, uint64_t index,
			uint8_t (*digests)[BFT_DIGEST_LEN])
{
	struct toy_service *t = data;
	const struct toy_state *st = state_at(t, snap);
	uint8_t tree[N_NODES][BFT_DIGEST_LEN];

	if (!st)
		return BFT_E_NOENT;
	if (level >= TOY_DEPTH || index >= (1u << (2 * level)))
		return BFT_E_INVAL;
	build_tree(st, t->sim->n_clients, tree);
	memcpy(digests, tree[node_at(level + 1, index * 4)], TOY_FANOUT * BFT_DIGEST_LEN);
	if (lies(t, snap))
		digests[sim_between(t->sim, 0, TOY_FANOUT - 1)][0] ^= 1;
	return 0;
}

static int toy_leaf_get(void *data, uint64_t snap, uint64_t index, uint32_t offset,
			uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total)
{
	struct toy_service *t = data;
	const struct toy_state *st = state_at(t, snap);
	uint8_t b[TOY_LEAF_MAX];
	uint32_t n;

	if (!st)
		return BFT_E_NOENT;
	if (index >= N_LEAVES)
		return BFT_E_INVAL;
	n = leaf_bytes(st, t->sim->n_clients, index, b);
	if (lies(t, snap) && n)
		b[sim_between(t->sim, 0, n - 1)] ^= 0x40;
	if (offset > n)
		return BFT_E_INVAL;
	*total = n;
	*len = n - offset < cap ? n - offset : cap;
	memcpy(buf, b + offset, *len);
	return 0;
}

static int toy_leaf_digest(void *data, uint64_t index, const uint8_t *bytes, uint32_t len,
			   uint8_t digest[BFT_DIGEST_LEN])
{
	struct toy_service *t = data;

	if (!leaf_valid(t->sim->n_clients, index, bytes, len))
		return BFT_E_FIELD;
	leaf_hash(index, bytes, len, digest);
	return 0;
}

static int toy_leaf_put(void *data, uint64_t index, const uint8_t *bytes, uint32_t len)
{
	struct toy_service *t = data;
	uint64_t v = len ? sim_get64(bytes) : 0, c;

	if (!leaf_valid(t->sim->n_clients, index, bytes, len))
		return BFT_E_FIELD;
	if (index < SIM_KEYS) {
		t->cur.values[index] = v;
	} else if (index == SIM_KEYS) {
		t->cur.time_us = v;
	} else {
		c = index - SIM_KEYS - 1;
		t->cur.last_ts[c] = v;
		t->cur.reply_len[c] = len ? bytes[8] : 0;
		memset(t->cur.reply[c], 0, TOY_RESULT);
		if (len)
			memcpy(t->cur.reply[c], bytes + 9, bytes[8]);
	}
	return 0;
}

static int toy_transfer_end(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN],
			    uint64_t *time_us)
{
	struct toy_service *t = data;

	toy_digest(t, digest);
	*time_us = t->cur.time_us;
	toy_snapshot(t, seq);
	t->saved = t->cur;
	t->ended = seq;
	t->durable = t->cur;
	sim_disk_sync(&t->sim->nodes[t->node]);
	check_state(t->sim, t->node, seq, digest);
	return 0;
}

static int toy_snapshot_release(void *data, uint64_t seq)
{
	struct toy_service *t = data;
	uint32_t i;

	for (i = 0; i < TOY_SNAPS; i++)
		if (t->snaps[i].seq < seq)
			t->snaps[i].seq = 0;
	return 0;
}

static int toy_reply_get(void *data, uint32_t client, uint64_t *timestamp, uint8_t *result,
			 uint32_t cap, uint32_t *len)
{
	struct toy_service *t = data;
	uint32_t c = client - t->sim->n;

	*timestamp = 0;
	*len = 0;
	if (client < t->sim->n || c >= t->sim->n_clients)
		return BFT_E_INVAL;
	if (cap < t->cur.reply_len[c])
		return BFT_E_SPACE;
	*timestamp = t->cur.last_ts[c];
	*len = t->cur.reply_len[c];
	memcpy(result, t->cur.reply[c], *len);
	return 0;
}

void toy_transfer_init(struct toy_service *t)
{
	t->vt.tree_fanout = TOY_FANOUT;
	t->vt.tree_depth = TOY_DEPTH;
	t->vt.leaf_max = TOY_LEAF_MAX;
	t->vt.children = toy_children;
	t->vt.leaf_get = toy_leaf_get;
	t->vt.leaf_digest = toy_leaf_digest;
	t->vt.leaf_put = toy_leaf_put;
	t->vt.transfer_end = toy_transfer_end;
	t->vt.snapshot_release = toy_snapshot_release;
	t->vt.reply_get = toy_reply_get;
}
