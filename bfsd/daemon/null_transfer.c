/*
 * null_transfer.c — state transfer for the null/echo service (TOCS '02
 * §5.3.2; struct bft_service v2 in bft/io.h): its small state as a tree of
 * fan-out 16, depth 2 (null_service.h).
 *
 * Leaf format version 1, little-endian:
 *   leaf 0:  u16 1 ‖ u16 0 ‖ u64 executed ‖ u64 agreed time of the last batch
 *   leaf k:  empty, or u16 1 ‖ u16 0 ‖ u32 count ≥ 1 ‖ count × (u32 client ‖
 *            u64 timestamp ‖ u32 len ‖ result[len]), clients strictly
 *            increasing, each with client % 255 + 1 = k, len ≤ BFT_MAX_RESULT.
 * Leaf digest = SHA-256(leaf bytes), zero for an empty leaf; interior
 * nodes as the protocol defines them. The checkpoint digest is the root.
 *
 * A checkpoint serializes the whole state into a snapshot (the state is
 * bounded by the configured clients, so O(state) is small here). Leaves
 * from other replicas are parsed with every length bounded before use; a
 * rejected leaf changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "null_service.h"

#define DL BFT_DIGEST_LEN
#define LEAF_VERSION 1u
#define LEAF0_LEN 20u
#define REC_HDR 16u

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static uint32_t leaf_of(uint32_t client)
{
	return 1 + client % (NULL_LEAVES - 1);
}

/* ---- the reply table ---- */

static int find(const struct null_replies *r, uint32_t client, bool *found)
{
	uint32_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r->v[mid].client < client)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < r->n && r->v[lo].client == client;
	return (int)lo;
}

/* Give slot s a buffer of at least len bytes (its own if large enough);
 * on failure s is unchanged. */
static int fit(struct null_reply *s, uint32_t len)
{
	uint8_t *p;

	if (s->result && s->cap >= len)
		return BFT_OK;
	p = malloc(len ? len : 1);
	if (!p)
		return BFT_E_NOMEM;
	free(s->result);
	s->result = p;
	s->cap = len ? len : 1;
	return BFT_OK;
}

/* Set client's reply, reusing buffers: the slot's own, or a spare one that
 * null_replies_clear left beyond n (a request costs no malloc once the
 * table has its clients). On failure the table is unchanged. */
int null_replies_set(struct null_replies *r, uint32_t client, uint64_t timestamp,
		     const uint8_t *result, uint32_t len)
{
	bool found;
	uint32_t at = (uint32_t)find(r, client, &found);
	struct null_reply slot;

	if (found) {
		if (fit(&r->v[at], len))
			return BFT_E_NOMEM;
	} else {
		if (r->n == r->cap) {
			uint32_t cap = r->cap ? 2 * r->cap : 16;
			struct null_reply *v = realloc(r->v, cap * sizeof(*v));

			if (!v)
				return BFT_E_NOMEM;
			memset(v + r->cap, 0, (cap - r->cap) * sizeof(*v));
			r->v = v;
			r->cap = cap;
		}
		slot = r->v[r->n];
		if (fit(&slot, len))
			return BFT_E_NOMEM;
		memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof(*r->v));
		r->n++;
		r->v[at] = slot;
	}
	memcpy(r->v[at].result, result, len);
	r->v[at].client = client;
	r->v[at].timestamp = timestamp;
	r->v[at].len = len;
	return BFT_OK;
}

void null_replies_clear(struct null_replies *r)
{
	r->n = 0; /* the buffers stay, as spares for the next sets */
}

void null_replies_free(struct null_replies *r)
{
	uint32_t i;

	for (i = 0; i < r->cap; i++)
		free(r->v[i].result);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- leaves ---- */

/* Leaf i of the current state, malloc'd into *out (NULL when empty). */
static int leaf_bytes(const struct null_service *s, uint32_t i, uint8_t **out, uint32_t *len)
{
	uint64_t size = 8;
	uint32_t count = 0, k;
	uint8_t *p;

	*out = NULL;
	*len = 0;
	if (i == 0) {
		p = malloc(LEAF0_LEN);
		if (!p)
			return BFT_E_NOMEM;
		put_le16(p, LEAF_VERSION);
		put_le16(p + 2, 0);
		put_le64(p + 4, s->executed);
		put_le64(p + 12, s->last_time_us);
		*out = p;
		*len = LEAF0_LEN;
		return BFT_OK;
	}
	for (k = 0; k < s->replies.n; k++)
		if (leaf_of(s->replies.v[k].client) == i) {
			count++;
			size += REC_HDR + s->replies.v[k].len;
		}
	if (!count)
		return BFT_OK;
	if (size > NULL_LEAF_MAX || !(p = malloc(size)))
		return size > NULL_LEAF_MAX ? BFT_E_SPACE : BFT_E_NOMEM;
	put_le16(p, LEAF_VERSION);
	put_le16(p + 2, 0);
	put_le32(p + 4, count);
	size = 8;
	for (k = 0; k < s->replies.n; k++) {
		const struct null_reply *r = &s->replies.v[k];

		if (leaf_of(r->client) != i)
			continue;
		put_le32(p + size, r->client);
		put_le64(p + size + 4, r->timestamp);
		put_le32(p + size + 12, r->len);
		memcpy(p + size + REC_HDR, r->result, r->len);
		size += REC_HDR + r->len;
	}
	*out = p;
	*len = (uint32_t)size;
	return BFT_OK;
}

/* Validate bytes b[0..len) as leaf index. */
static int parse(uint64_t index, const uint8_t *b, uint32_t len)
{
	uint32_t count, i, pos = 8;
	int64_t prev = -1;

	if (index >= NULL_LEAVES)
		return BFT_E_INVAL;
	if (len == 0)
		return index == 0 ? BFT_E_FIELD : BFT_OK;
	if (len < 8 || get_le(b, 2) != LEAF_VERSION || get_le(b + 2, 2) != 0)
		return BFT_E_FIELD;
	if (index == 0)
		return len == LEAF0_LEN ? BFT_OK : BFT_E_FIELD;
	count = (uint32_t)get_le(b + 4, 4);
	if (count == 0 || count > (len - 8) / REC_HDR)
		return BFT_E_FIELD;
	for (i = 0; i < count; i++) {
		uint32_t client, rlen;

		if (len - pos < REC_HDR)
			return BFT_E_FIELD;
		client = (uint32_t)get_le(b + pos, 4);
		rlen = (uint32_t)get_le(b + pos + 12, 4);
		if (rlen > BFT_MAX_RESULT || rlen > len - pos - REC_HDR ||
		    leaf_of(client) != index || (int64_t)client <= prev)
			return BFT_E_FIELD;
		prev = client;
		pos += REC_HDR + rlen;
	}
	return pos == len ? BFT_OK : BFT_E_FIELD;
}

static void leaf_hash(const uint8_t *b, uint32_t len, uint8_t out[DL])
{
	if (len == 0)
		memset(out, 0, DL);
	else
		bft_sha256(b, len, out);
}

/* ---- snapshots ---- */

static void snap_free(struct null_snap *sn)
{
	unsigned i;

	if (!sn)
		return;
	for (i = 0; i < NULL_LEAVES; i++)
		free(sn->leaf[i]);
	free(sn);
}

/* The current state, serialized. */
static int snap_make(const struct null_service *s, uint64_t seq, struct null_snap **out)
{
	struct null_snap *sn = calloc(1, sizeof(*sn));
	unsigned i;
	int err = sn ? BFT_OK : BFT_E_NOMEM;

	for (i = 0; !err && i < NULL_LEAVES; i++) {
		err = leaf_bytes(s, i, &sn->leaf[i], &sn->len[i]);
		if (!err)
			leaf_hash(sn->leaf[i], sn->len[i], sn->digest[i]);
	}
	if (err) {
		snap_free(sn);
		return err;
	}
	for (i = 0; i < NULL_FANOUT; i++)
		bft_tree_node_digest((const uint8_t (*)[DL])sn->digest[i * NULL_FANOUT], NULL_FANOUT,
				     sn->mid[i]);
	bft_tree_node_digest((const uint8_t (*)[DL])sn->mid, NULL_FANOUT, sn->root);
	sn->seq = seq;
	*out = sn;
	return BFT_OK;
}

static void snap_drop(struct null_service *s, unsigned i)
{
	snap_free(s->snaps[i]);
	memmove(&s->snaps[i], &s->snaps[i + 1], (s->nsnaps - i - 1) * sizeof(s->snaps[0]));
	s->nsnaps--;
}

static int snap_keep(struct null_service *s, uint64_t seq, uint8_t digest[DL])
{
	struct null_snap *sn;
	unsigned i;
	int err = snap_make(s, seq, &sn);

	if (err)
		return err;
	memcpy(digest, sn->root, DL);
	if (seq == 0) {
		snap_free(sn);
		return BFT_OK;
	}
	for (i = 0; i < s->nsnaps; i++)
		if (s->snaps[i]->seq == seq) {
			snap_drop(s, i);
			break;
		}
	if (s->nsnaps == NULL_SNAP_MAX)
		snap_drop(s, 0);
	s->snaps[s->nsnaps++] = sn;
	return BFT_OK;
}

/* Snapshot snap, or (snap 0) a temporary one of the current state. */
static int snap_get(struct null_service *s, uint64_t snap, struct null_snap **sn, bool *tmp)
{
	unsigned i;

	*tmp = snap == 0;
	if (snap == 0)
		return snap_make(s, 0, sn);
	for (i = 0; i < s->nsnaps; i++)
		if (s->snaps[i]->seq == snap) {
			*sn = s->snaps[i];
			return BFT_OK;
		}
	return BFT_E_NOENT;
}

/* ---- the service calls ---- */

static int checkpoint(void *data, uint64_t seq, uint8_t digest[DL])
{
	return snap_keep(data, seq, digest);
}

static int children(void *data, uint64_t snap, uint32_t level, uint64_t index,
		    uint8_t (*digests)[DL])
{
	struct null_snap *sn;
	bool tmp;
	int err;

	if (level >= NULL_DEPTH || index >= (level ? NULL_FANOUT : 1u))
		return BFT_E_INVAL;
	if ((err = snap_get(data, snap, &sn, &tmp)))
		return err;
	memcpy(digests, level ? sn->digest[index * NULL_FANOUT] : sn->mid[0],
	       NULL_FANOUT * DL);
	if (tmp)
		snap_free(sn);
	return BFT_OK;
}

static int leaf_get(void *data, uint64_t snap, uint64_t index, uint32_t offset,
		    uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total)
{
	struct null_snap *sn;
	bool tmp;
	int err;

	*len = *total = 0;
	if (index >= NULL_LEAVES)
		return BFT_E_INVAL;
	if ((err = snap_get(data, snap, &sn, &tmp)))
		return err;
	*total = sn->len[index];
	if (offset < *total) {
		*len = *total - offset < cap ? *total - offset : cap;
		memcpy(buf, sn->leaf[index] + offset, *len);
	}
	if (tmp)
		snap_free(sn);
	return BFT_OK;
}

static int leaf_digest(void *data, uint64_t index, const uint8_t *bytes, uint32_t len,
		       uint8_t digest[DL])
{
	int err = parse(index, bytes, len);

	(void)data;
	if (!err)
		leaf_hash(bytes, len, digest);
	return err;
}

static int leaf_put(void *data, uint64_t index, const uint8_t *b, uint32_t len)
{
	struct null_service *s = data;
	uint32_t i, keep = 0, pos = 8;
	int err = parse(index, b, len);

	if (err)
		return err;
	if (index == 0) {
		s->executed = get_le(b + 4, 8);
		s->last_time_us = get_le(b + 12, 8);
		return BFT_OK;
	}
	for (i = 0; i < s->replies.n; i++) {
		if (leaf_of(s->replies.v[i].client) == index)
			free(s->replies.v[i].result);
		else
			s->replies.v[keep++] = s->replies.v[i];
	}
	/* Every buffer of [keep, n) was freed or moved below keep. */
	memset(s->replies.v + keep, 0, (s->replies.n - keep) * sizeof(*s->replies.v));
	s->replies.n = keep;
	while (!err && pos < len) {
		uint32_t rlen = (uint32_t)get_le(b + pos + 12, 4);

		err = null_replies_set(&s->replies, (uint32_t)get_le(b + pos, 4),
				       get_le(b + pos + 4, 8), b + pos + REC_HDR, rlen);
		pos += REC_HDR + rlen;
	}
	return err;
}

static int transfer_end(void *data, uint64_t seq, uint8_t digest[DL], uint64_t *time_us)
{
	struct null_service *s = data;

	s->last_seq = seq;
	*time_us = s->last_time_us;
	return snap_keep(s, seq, digest);
}

static int snapshot_release(void *data, uint64_t seq)
{
	struct null_service *s = data;

	while (s->nsnaps && s->snaps[0]->seq < seq)
		snap_drop(s, 0);
	return BFT_OK;
}

static int reply_get(void *data, uint32_t client, uint64_t *timestamp, uint8_t *result,
		     uint32_t cap, uint32_t *len)
{
	struct null_service *s = data;
	bool found;
	int at = find(&s->replies, client, &found);

	*timestamp = 0;
	*len = 0;
	if (!found)
		return BFT_OK;
	if (s->replies.v[at].len > cap)
		return BFT_E_SPACE;
	*timestamp = s->replies.v[at].timestamp;
	*len = s->replies.v[at].len;
	memcpy(result, s->replies.v[at].result, *len);
	return BFT_OK;
}

void null_transfer_init(struct null_service *s)
{
	s->vt.checkpoint = checkpoint;
	s->vt.tree_fanout = NULL_FANOUT;
	s->vt.tree_depth = NULL_DEPTH;
	s->vt.leaf_max = NULL_LEAF_MAX;
	s->vt.children = children;
	s->vt.leaf_get = leaf_get;
	s->vt.leaf_digest = leaf_digest;
	s->vt.leaf_put = leaf_put;
	s->vt.transfer_end = transfer_end;
	s->vt.snapshot_release = snapshot_release;
	s->vt.reply_get = reply_get;
}

void null_service_free(struct null_service *s)
{
	null_replies_free(&s->replies);
	null_replies_free(&s->pending);
	while (s->nsnaps)
		snap_drop(s, 0);
}
