/*
 * mock_tree.c — the transfer-capable variant of the counter service
 * (mock_tree.h; TOCS '02 §5.3.2). Never used unless a test attaches it.
 */
#include <stdlib.h>
#include <string.h>

#include "mock_tree.h"

static const uint8_t zero[BFT_DIGEST_LEN];

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint8_t blob_byte(uint8_t seed, uint32_t i)
{
	return i ? (uint8_t)(seed + i * 7u + (i >> 8)) : seed;
}

/* ---- the tree of a state ---- */

uint32_t mock_leaf_bytes(const struct mock_state *st, uint64_t index, uint8_t *buf)
{
	uint32_t i, c;

	switch (index) {
	case MOCK_LEAF_COUNTER:
	case MOCK_LEAF_TIME: {
		uint64_t v = index == MOCK_LEAF_COUNTER ? st->counter : st->time_us;

		if (!v)
			return 0;
		put64(buf, v);
		return 8;
	}
	case MOCK_LEAF_BLOB:
		if (!st->blob_seed)
			return 0;
		for (i = 0; i < st->blob_len; i++)
			buf[i] = blob_byte(st->blob_seed, i);
		return st->blob_len;
	default:
		if (index < MOCK_LEAF_CLIENT || index >= MOCK_LEAF_CLIENT + MOCK_N_CLIENTS)
			return 0;
		c = (uint32_t)(index - MOCK_LEAF_CLIENT);
		if (!st->last_ts[c])
			return 0;
		put64(buf, st->last_ts[c]);
		for (i = 0; i < 4; i++)
			buf[8 + i] = (uint8_t)(st->reply_len[c] >> (8 * i));
		memcpy(buf + 12, st->reply[c], st->reply_len[c]);
		return 12 + st->reply_len[c];
	}
}

static bool leaf_valid(uint64_t index, const uint8_t *b, uint32_t len)
{
	uint32_t i;

	if (index >= MOCK_TREE_LEAVES)
		return false;
	if (len == 0)
		return true;
	if (index == MOCK_LEAF_COUNTER || index == MOCK_LEAF_TIME)
		return len == 8 && get64(b) != 0;
	if (index == MOCK_LEAF_BLOB) {
		if (len > MOCK_BLOB_MAX || !b[0])
			return false;
		for (i = 1; i < len; i++)
			if (b[i] != blob_byte(b[0], i))
				return false;
		return true;
	}
	if (index >= MOCK_LEAF_CLIENT + MOCK_N_CLIENTS)
		return false;
	return len >= 12 && get64(b) != 0 && get32(b + 8) <= MOCK_REPLY_MAX &&
	       len == 12 + get32(b + 8);
}

bool mock_leaf_digest(uint64_t index, const uint8_t *bytes, uint32_t len,
		      uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t ib[8];

	if (!leaf_valid(index, bytes, len))
		return false;
	if (!len) {
		memset(out, 0, BFT_DIGEST_LEN);
		return true;
	}
	put64(ib, index);
	bft_sha256_init(&c);
	bft_sha256_update(&c, ib, sizeof(ib));
	bft_sha256_update(&c, bytes, len);
	bft_sha256_final(&c, out);
	return true;
}

void mock_tree_node(const struct mock_state *st, uint32_t level, uint64_t index,
		    uint8_t out[BFT_DIGEST_LEN])
{
	uint8_t kids[MOCK_TREE_FANOUT][BFT_DIGEST_LEN];
	uint32_t i;

	if (level == MOCK_TREE_DEPTH) {
		uint8_t *buf = malloc(MOCK_LEAF_MAX);
		uint32_t len;

		ck_assert_ptr_nonnull(buf);
		len = mock_leaf_bytes(st, index, buf);
		ck_assert(mock_leaf_digest(index, buf, len, out));
		free(buf);
		return;
	}
	mock_tree_children(st, level, index, kids);
	for (i = 0; i < MOCK_TREE_FANOUT && !memcmp(kids[i], zero, BFT_DIGEST_LEN); i++)
		;
	if (i == MOCK_TREE_FANOUT)
		memset(out, 0, BFT_DIGEST_LEN);
	else
		bft_sha256(kids, sizeof(kids), out);
}

void mock_tree_children(const struct mock_state *st, uint32_t level, uint64_t index,
			uint8_t (*digests)[BFT_DIGEST_LEN])
{
	for (uint32_t i = 0; i < MOCK_TREE_FANOUT; i++)
		mock_tree_node(st, level + 1, index * MOCK_TREE_FANOUT + i, digests[i]);
}

void mock_tree_root(const struct mock_state *st, uint8_t out[BFT_DIGEST_LEN])
{
	mock_tree_node(st, 0, 0, out);
}

bool mock_state_put(struct mock_state *st, uint64_t index, const uint8_t *bytes,
		    uint32_t len)
{
	uint64_t v;
	uint32_t c;

	if (!leaf_valid(index, bytes, len))
		return false;
	v = len >= 8 ? get64(bytes) : 0;
	if (index == MOCK_LEAF_COUNTER) {
		st->counter = v;
	} else if (index == MOCK_LEAF_TIME) {
		st->time_us = v;
	} else if (index == MOCK_LEAF_BLOB) {
		st->blob_seed = len ? bytes[0] : 0;
		st->blob_len = len;
	} else if (index >= MOCK_LEAF_CLIENT && index < MOCK_LEAF_CLIENT + MOCK_N_CLIENTS) {
		c = (uint32_t)(index - MOCK_LEAF_CLIENT);
		st->last_ts[c] = v;
		st->reply_len[c] = len ? len - 12 : 0;
		memset(st->reply[c], 0, MOCK_REPLY_MAX);
		if (len)
			memcpy(st->reply[c], bytes + 12, len - 12);
	}
	return true;
}

/* ---- snapshots ---- */

const struct mock_state *mock_tree_snapshot(const struct mock_tree *t, uint64_t seq)
{
	for (uint32_t i = 0; seq && i < MOCK_SNAPS; i++)
		if (t->snaps[i].seq == seq)
			return &t->snaps[i].st;
	return NULL;
}

static void snapshot(struct mock_tree *t, uint64_t seq)
{
	struct mock_tree_snap *low = &t->snaps[0];

	for (uint32_t i = 0; i < MOCK_SNAPS; i++) {
		if (t->snaps[i].seq == seq) {
			low = &t->snaps[i];
			break;
		}
		if (t->snaps[i].seq < low->seq)
			low = &t->snaps[i];
	}
	low->seq = seq;
	low->st = t->cur;
}

static const struct mock_state *state_at(const struct mock_tree *t, uint64_t snap)
{
	return snap ? mock_tree_snapshot(t, snap) : &t->cur;
}

/* ---- the wrapped service calls ---- */

static int tr_batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	struct mock_tree *t = data;
	int err;

	if (t->transferring)
		t->svc->misuse = true;
	err = t->inner.batch_begin(t->svc, seq, time_us);
	if (err)
		return err;
	t->saved = t->cur;
	t->cur.time_us = time_us;
	return 0;
}

static int tr_execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		      uint32_t result_cap, uint32_t *result_len)
{
	struct mock_tree *t = data;
	int err = t->inner.execute(t->svc, req, result, result_cap, result_len);
	uint32_t c = req->client - MOCK_N;

	if (err)
		return err;
	t->cur.counter = t->svc->counter;
	if (req->client < MOCK_N || c >= MOCK_N_CLIENTS)
		return 0;
	if (*result_len > MOCK_REPLY_MAX)
		return BFT_E_SERVICE; /* documented limit of this mock */
	t->cur.last_ts[c] = req->timestamp;
	t->cur.reply_len[c] = *result_len;
	memset(t->cur.reply[c], 0, MOCK_REPLY_MAX);
	memcpy(t->cur.reply[c], result, *result_len);
	return 0;
}

static int tr_batch_end(void *data, uint64_t seq)
{
	struct mock_tree *t = data;

	return t->inner.batch_end(t->svc, seq);
}

static int tr_batch_abort(void *data, uint64_t seq)
{
	struct mock_tree *t = data;
	int err = t->inner.batch_abort(t->svc, seq);

	t->cur = t->saved;
	t->svc->counter = t->cur.counter;
	return err;
}

static int tr_execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
			 uint32_t result_cap, uint32_t *result_len)
{
	struct mock_tree *t = data;

	return t->inner.execute_ro(t->svc, req, result, result_cap, result_len);
}

static int tr_checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	struct mock_tree *t = data;
	int err;

	if (t->transferring)
		t->svc->misuse = true;
	err = t->inner.checkpoint(t->svc, seq, digest);
	if (err)
		return err;
	mock_tree_root(&t->cur, digest);
	memcpy(t->svc->calls[t->svc->n_calls - 1].digest, digest, BFT_DIGEST_LEN);
	snapshot(t, seq);
	return 0;
}

static int tr_children(void *data, uint64_t snap, uint32_t level, uint64_t index,
		       uint8_t (*digests)[BFT_DIGEST_LEN])
{
	struct mock_tree *t = data;
	const struct mock_state *st = state_at(t, snap);
	uint64_t width = 1;

	for (uint32_t l = 0; l < level && l < MOCK_TREE_DEPTH; l++)
		width *= MOCK_TREE_FANOUT;
	if (!st)
		return BFT_E_NOENT;
	if (level >= MOCK_TREE_DEPTH || index >= width)
		return BFT_E_INVAL;
	mock_tree_children(st, level, index, digests);
	return 0;
}

static int tr_leaf_get(void *data, uint64_t snap, uint64_t index, uint32_t offset,
		       uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total)
{
	struct mock_tree *t = data;
	const struct mock_state *st = state_at(t, snap);
	uint32_t n;

	if (!st)
		return BFT_E_NOENT;
	if (index >= MOCK_TREE_LEAVES)
		return BFT_E_INVAL;
	n = mock_leaf_bytes(st, index, t->scratch);
	if (offset > n)
		return BFT_E_INVAL;
	*total = n;
	*len = n - offset < cap ? n - offset : cap;
	memcpy(buf, t->scratch + offset, *len);
	return 0;
}

static int tr_leaf_digest(void *data, uint64_t index, const uint8_t *bytes, uint32_t len,
			  uint8_t digest[BFT_DIGEST_LEN])
{
	(void)data;
	return mock_leaf_digest(index, bytes, len, digest) ? 0 : BFT_E_FIELD;
}

static int tr_leaf_put(void *data, uint64_t index, const uint8_t *bytes, uint32_t len)
{
	struct mock_tree *t = data;
	struct mock_call *c = mock_record(t->svc, MOCK_LEAF_PUT);

	c->leaf = index;
	c->leaf_len = len;
	c->valid_leaf = mock_leaf_digest(index, bytes, len, c->digest);
	if (t->svc->in_batch)
		t->svc->misuse = true;
	if (t->svc->fail_on == MOCK_LEAF_PUT)
		return -1;
	if (!mock_state_put(&t->cur, index, bytes, len))
		return BFT_E_FIELD;
	t->svc->counter = t->cur.counter;
	t->transferring = true;
	return 0;
}

static int tr_transfer_end(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN],
			   uint64_t *time_us)
{
	struct mock_tree *t = data;
	struct mock_call *c = mock_record(t->svc, MOCK_XFER_END);

	c->seq = seq;
	c->counter = t->cur.counter;
	if (t->svc->in_batch)
		t->svc->misuse = true;
	if (t->svc->fail_on == MOCK_XFER_END)
		return -1;
	mock_tree_root(&t->cur, digest);
	memcpy(c->digest, digest, BFT_DIGEST_LEN);
	*time_us = t->cur.time_us;
	c->time_us = t->cur.time_us;
	snapshot(t, seq);
	t->transferring = false;
	return 0;
}

static int tr_snapshot_release(void *data, uint64_t seq)
{
	struct mock_tree *t = data;

	for (uint32_t i = 0; i < MOCK_SNAPS; i++)
		if (t->snaps[i].seq < seq)
			t->snaps[i].seq = 0;
	if (seq > t->released)
		t->released = seq;
	return 0;
}

static int tr_reply_get(void *data, uint32_t client, uint64_t *timestamp, uint8_t *result,
			uint32_t cap, uint32_t *len)
{
	struct mock_tree *t = data;
	uint32_t c = client - MOCK_N;

	*timestamp = 0;
	*len = 0;
	if (client < MOCK_N || c >= MOCK_N_CLIENTS)
		return BFT_E_INVAL;
	if (cap < t->cur.reply_len[c])
		return BFT_E_SPACE;
	*timestamp = t->cur.last_ts[c];
	*len = t->cur.reply_len[c];
	memcpy(result, t->cur.reply[c], *len);
	return 0;
}

void mock_tree_attach(struct mock_service *s, void *tree)
{
	struct mock_tree *t = tree;

	memset(t, 0, sizeof(*t));
	t->svc = s;
	t->inner = s->svc;
	t->cur.counter = s->counter;
	t->scratch = malloc(MOCK_LEAF_MAX);
	ck_assert_ptr_nonnull(t->scratch);
	s->svc = (struct bft_service){
		.version = BFT_SERVICE_VERSION, .data = t,
		.batch_begin = tr_batch_begin, .execute = tr_execute,
		.batch_end = tr_batch_end, .batch_abort = tr_batch_abort,
		.execute_ro = tr_execute_ro, .checkpoint = tr_checkpoint,
		.tree_fanout = MOCK_TREE_FANOUT, .tree_depth = MOCK_TREE_DEPTH,
		.leaf_max = MOCK_LEAF_MAX,
		.children = tr_children, .leaf_get = tr_leaf_get,
		.leaf_digest = tr_leaf_digest, .leaf_put = tr_leaf_put,
		.transfer_end = tr_transfer_end, .snapshot_release = tr_snapshot_release,
		.reply_get = tr_reply_get,
	};
}

void mock_tree_free(struct mock_tree *t)
{
	free(t->scratch);
	t->scratch = NULL;
}
