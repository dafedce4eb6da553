/*
 * batch.c — the primary's request queue and batching (Castro & Liskov,
 * OSDI '99 §5.1.4 / TOCS '02 §5.1: request batching with a sliding window of
 * outstanding batches; large requests go by digest).
 *
 * The primary keeps at most one waiting request per client (the newest) in
 * a FIFO, and starts a new batch whenever fewer than max_inflight of its
 * batches are unexecuted and the high watermark allows. The batch time it
 * proposes is its clock, forced to grow strictly.
 *
 * Never assigns a sequence number outside the watermarks.
 */
#include <string.h>

#include "replica_internal.h"

void primary_enqueue(struct bft_replica *r, uint32_t node, const uint8_t *raw,
		     uint32_t len, uint64_t ts)
{
	struct client_rec *c = client_get(r, node);

	if (!BUG(r, BFT_BUG_REEXECUTE) && (ts <= c->last_ts || ts <= c->assigned_ts))
		return; /* executed, or already in a batch */
	if (c->queued && c->pending_ts >= ts)
		return;
	if (!buf_store(&c->pending, &c->pending_cap, &c->pending_len, raw, len))
		return;
	c->pending_ts = ts;
	if (!c->queued) {
		r->fifo[(r->fifo_head + r->fifo_len) % r->cfg.n_clients] = node - r->cfg.n;
		r->fifo_len++;
		c->queued = true;
	}
	primary_try_batch(r);
}

/* Fill one batch entry from client c's pending request; false if it does not
 * fit in the bytes left. */
static bool add_entry(struct bft_replica *r, struct bft_pre_prepare *pp,
		      struct client_rec *c, uint32_t node, size_t *room)
{
	struct bft_pp_entry *x = &pp->entries[pp->count];
	struct bft_msg *q = &r->body;
	size_t need;

	if (bft_msg_decode(c->pending, c->pending_len, r->cfg.n, q) != BFT_OK)
		return true; /* cannot happen: it decoded on arrival; skip it */
	memset(x, 0, sizeof(*x));
	x->client = node;
	x->timestamp = q->u.request.timestamp;
	x->req_flags = q->hdr.flags;
	if (q->u.request.op_len > r->cfg.big_request) {
		x->kind = BFT_PP_DIGEST;
		bft_request_digest(node, x->timestamp, x->req_flags, q->u.request.op,
				   q->u.request.op_len, x->digest);
		need = 1 + 4 + 8 + 1 + BFT_DIGEST_LEN;
	} else {
		x->kind = BFT_PP_INLINE;
		x->raw = c->pending;
		x->raw_len = c->pending_len;
		need = 1 + 4 + c->pending_len;
	}
	if (need > *room)
		return false;
	*room -= need;
	pp->count++;
	return true;
}

/* Build, store and multicast one pre-prepare; false if nothing to send
 * (an empty batch only if `empty`). */
static bool send_one_batch(struct bft_replica *r, bool empty)
{
	struct bft_pre_prepare *pp = &r->aux.u.pre_prepare;
	size_t room = BFT_MAX_MSG - BFT_HDR_LEN - 26 -
		      bft_msg_trailer_len(BFT_MSG_PRE_PREPARE, r->cfg.n);
	uint64_t now = r->io->now_us(r->io->data);
	struct log_entry *e;
	uint8_t *trailer;
	int len;

	commits_flush(r); /* they share the bundles with the pre-prepare */
	memset(pp, 0, offsetof(struct bft_pre_prepare, entries));
	pp->view = r->view;
	pp->seq = r->next_seq + 1;
	pp->nondet = now > r->last_proposed_us ? now : r->last_proposed_us + 1;
	while (r->fifo_len && pp->count < r->cfg.max_batch) {
		uint32_t idx = r->fifo[r->fifo_head];
		struct client_rec *c = &r->clients[idx];

		if (c->pending_ts > c->last_ts || BUG(r, BFT_BUG_REEXECUTE)) {
			if (!add_entry(r, pp, c, idx + r->cfg.n, &room))
				break;
			c->assigned_ts = c->pending_ts;
		}
		c->queued = false;
		r->fifo_head = (r->fifo_head + 1) % r->cfg.n_clients;
		r->fifo_len--;
	}
	if (pp->count == 0 && !empty)
		return false;
	len = bft_encode_pre_prepare(r->out, BFT_MAX_MSG, r->cfg.n, r->cfg.id, pp, &trailer);
	if (len < 0) {
		rlog(r, BFT_LOG_ERROR, "cannot encode pre-prepare: %s", bft_strerror(len));
		return false;
	}
	send_to_replicas(r, r->out, len, trailer);
	if (bft_msg_decode(r->out, (size_t)len, r->cfg.n, &r->aux) != BFT_OK)
		return false;
	e = log_get(r, pp->seq);
	if (!log_accept_pp(r, e, &r->aux))
		return false;
	note_pre_prepared(e, e->view, e->digest);
	r->next_seq = e->seq;
	r->last_proposed_us = e->nondet;
	if (e->n_missing)
		rlog(r, BFT_LOG_ERROR, "own batch %llu lacks a request body",
		     (unsigned long long)e->seq);
	log_update_state(r, e);
	return true;
}

void primary_try_batch(struct bft_replica *r)
{
	if (!is_primary(r) || r->halted || !r->view_active || muted(r) ||
	    rec_muted(r, r->next_seq + 1))
		return;
	if (r->next_seq < r->h)
		r->next_seq = r->h;
	while (r->fifo_len && r->next_seq - r->last_exec < r->cfg.max_inflight &&
	       in_window(r, r->next_seq + 1)) {
		if (!send_one_batch(r, false))
			break;
	}
	if (!r->fifo_len && peer_recovering(r))
		primary_pad(r);
}

bool peer_recovering(const struct bft_replica *r)
{
	uint64_t now = r->io->now_us(r->io->data);

	for (uint32_t j = 0; j < r->cfg.n; j++)
		if (r->rec_peer_until[j] > now)
			return true;
	return false;
}

/* An idle primary whose peer is behind the stable checkpoint fills the
 * interval to the next checkpoint with empty batches. The peer needs a
 * checkpoint someone can still serve: after a crash of all replicas
 * nobody holds the snapshot of the current stable one (persist.c), and
 * without new requests no later checkpoint would come. */
void primary_pad(struct bft_replica *r)
{
	uint64_t k = r->cfg.checkpoint_interval;
	uint64_t to = (r->next_seq + k - 1) / k * k;

	if (!is_primary(r) || r->halted || !r->view_active || muted(r) || r->fifo_len ||
	    rec_muted(r, r->next_seq + 1))
		return;
	if (to == r->next_seq && peer_recovering(r))
		to += k; /* a recovering peer needs the next one */
	while (r->next_seq < to &&
	       r->next_seq - r->last_exec < r->cfg.max_inflight &&
	       in_window(r, r->next_seq + 1)) {
		if (!send_one_batch(r, true))
			break;
	}
}
