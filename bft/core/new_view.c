/*
 * new_view.c — choosing and installing a new view (Castro & Liskov, OSDI '99
 * §4.4; the decision procedure of TOCS '02 §4.5.3, which needs no signed
 * prepared certificates).
 *
 * With 2f+1 or more valid VIEW-CHANGEs for view v in S, the new primary
 * picks the highest checkpoint some VIEW-CHANGE proves (2f+1 signatures) and,
 * for every sequence number n above it up to the highest one any P reports:
 *   A. batch d if some message in S has (n, d, v) in P such that
 *      A1: 2f+1 messages in S have no P entry for n, or one (n, d', v')
 *          with v' < v or (v' = v and d' = d); and
 *      A2: f+1 messages in S have (n, d, v'') in Q with v'' ≥ v;
 *   B. else a null request if 2f+1 messages in S have no P entry for n;
 *   otherwise S does not decide yet: wait for more VIEW-CHANGEs.
 * It multicasts a signed NEW-VIEW naming the VIEW-CHANGEs it used (by
 * digest) and the choices; every backup recomputes them from the same
 * VIEW-CHANGEs and rejects a NEW-VIEW that does not follow.
 *
 * Installing: adopt the checkpoint if it is ahead and we have reached it,
 * roll back a tentative batch that was not chosen, fix every chosen
 * sequence number's digest for the new view (content from any view's
 * pre-prepare with that digest, relayed if we lack it), then prepare and
 * commit them again in the new view.
 */
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

static const uint8_t zero[BFT_DIGEST_LEN];

/* vc's P entry for seq, if any (the decoder guarantees at most one). */
static bool p_entry(const struct bft_view_change *vc, uint64_t seq, struct bft_vc_entry *e)
{
	for (unsigned i = 0; i < vc->n_p; i++) {
		bft_vc_p(vc, i, e);
		if (e->seq == seq)
			return true;
	}
	return false;
}

static bool q_has(const struct bft_view_change *vc, uint64_t seq, const uint8_t *d,
		  uint64_t min_view)
{
	struct bft_vc_entry e;

	for (unsigned i = 0; i < vc->n_q; i++) {
		bft_vc_q(vc, i, &e);
		if (e.seq == seq && e.view >= min_view && !memcmp(e.digest, d, BFT_DIGEST_LEN))
			return true;
	}
	return false;
}

/* Conditions A1 and A2 for candidate c at its seq. */
static bool acceptable(uint32_t f, const struct bft_view_change *vcs, uint32_t count,
		       const struct bft_vc_entry *c)
{
	uint32_t k, a1 = 0, a2 = 0;
	struct bft_vc_entry e;

	for (k = 0; k < count; k++) {
		if (!p_entry(&vcs[k], c->seq, &e) || e.view < c->view ||
		    (e.view == c->view && !memcmp(e.digest, c->digest, BFT_DIGEST_LEN)))
			a1++;
		if (q_has(&vcs[k], c->seq, c->digest, c->view))
			a2++;
	}
	return a1 >= 2 * f + 1 && a2 >= f + 1;
}

/* Better of two acceptable candidates: higher view, then smaller digest
 * (a deterministic tie-break; correct executions never need it). */
static bool better(const struct bft_vc_entry *a, const struct bft_vc_entry *b)
{
	return a->view > b->view ||
	       (a->view == b->view && memcmp(a->digest, b->digest, BFT_DIGEST_LEN) < 0);
}

static int decide_seq(uint32_t f, const struct bft_view_change *vcs, uint32_t count,
		      uint64_t seq, uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_vc_entry best = { 0 }, e;
	bool found = false;
	uint32_t k, none = 0;

	for (k = 0; k < count; k++) {
		if (!p_entry(&vcs[k], seq, &e)) {
			none++;
			continue;
		}
		if (acceptable(f, vcs, count, &e) && (!found || better(&e, &best))) {
			best = e;
			found = true;
		}
	}
	if (found) {
		memcpy(out, best.digest, BFT_DIGEST_LEN);
		return BFT_OK;
	}
	if (none >= 2 * f + 1) {
		memset(out, 0, BFT_DIGEST_LEN);
		return BFT_OK;
	}
	return BFT_E_BUSY;
}

int nv_decide(uint32_t f, const struct bft_view_change *vcs, uint32_t count,
	      uint64_t *start, uint8_t start_digest[BFT_DIGEST_LEN],
	      struct bft_vc_entry *o, uint16_t *n_o)
{
	uint64_t top = 0, seq;
	struct bft_vc_entry e;
	uint32_t k;
	int err;

	*n_o = 0;
	if (count < 2 * f + 1)
		return BFT_E_BUSY;
	*start = 0;
	memset(start_digest, 0, BFT_DIGEST_LEN);
	for (k = 0; k < count; k++) {
		if (vcs[k].stable_seq > *start) {
			*start = vcs[k].stable_seq;
			memcpy(start_digest, vcs[k].stable_digest, BFT_DIGEST_LEN);
		}
	}
	top = *start;
	for (k = 0; k < count; k++)
		for (unsigned i = 0; i < vcs[k].n_p; i++) {
			bft_vc_p(&vcs[k], i, &e);
			if (e.seq > top)
				top = e.seq;
		}
	if (top - *start > BFT_MAX_NV_ENTRIES)
		return BFT_E_LONG;
	for (k = 0; k < top - *start; k++) { /* by count: top may be 2^64 - 1 */
		seq = *start + 1 + k;
		o[*n_o].seq = seq;
		o[*n_o].view = 0;
		err = decide_seq(f, vcs, count, seq, o[*n_o].digest);
		if (err)
			return err;
		(*n_o)++;
	}
	return BFT_OK;
}

/* Decode the VIEW-CHANGEs slots[0..count) into r->vc_dec. */
static uint32_t decode_set(struct bft_replica *r, struct vc_slot *const *slots,
			   uint32_t count)
{
	uint32_t k, got = 0;

	for (k = 0; k < count; k++) {
		const struct vc_slot *s = slots[k];

		if (bft_msg_decode(s->raw, s->len, r->cfg.n, &r->aux) == BFT_OK &&
		    r->aux.hdr.type == BFT_MSG_VIEW_CHANGE)
			r->vc_dec[got++] = r->aux.u.view_change;
	}
	return got;
}

/* Keep copies of the VIEW-CHANGEs a NEW-VIEW used, for retransmission. */
static void keep_set(struct bft_replica *r, struct vc_slot *const *slots,
		     const uint32_t *who, uint32_t count)
{
	uint32_t j, k;

	for (j = 0; j < r->cfg.n; j++)
		vc_slot_free(&r->nv_set[j]);
	for (k = 0; k < count; k++)
		vc_slot_store(&r->nv_set[who[k]], slots[k]->raw, slots[k]->len, slots[k]->view);
}

void try_new_view(struct bft_replica *r)
{
	struct vc_slot *slots[BFT_MAX_REPLICAS];
	uint32_t who[BFT_MAX_REPLICAS], count = 0, j;
	uint8_t (*dig)[BFT_DIGEST_LEN] = calloc(BFT_MAX_REPLICAS, BFT_DIGEST_LEN);
	struct bft_vc_entry *o = calloc(BFT_MAX_NV_ENTRIES, sizeof(*o));
	struct bft_new_view nv = { .view = r->view };
	uint8_t *trailer;
	int len;

	if (!dig || !o || r->view_active || primary_of(r, r->view) != r->cfg.id)
		goto out;
	for (j = 0; j < r->cfg.n; j++)
		if (r->vcs[j].raw && r->vcs[j].view == r->view) {
			memcpy(dig[count], r->vcs[j].digest, BFT_DIGEST_LEN);
			slots[count] = &r->vcs[j];
			who[count++] = j;
		}
	if (count < r->quorum || decode_set(r, slots, count) != count)
		goto out;
	if (nv_decide(r->cfg.f, r->vc_dec, count, &nv.start_seq, nv.start_digest, o,
		      &nv.n_o) != BFT_OK)
		goto out;
	nv.n_v = (uint16_t)count;
	len = bft_encode_new_view(r->out, BFT_MAX_MSG, r->cfg.id, &nv, who,
				  (const uint8_t (*)[BFT_DIGEST_LEN])dig, o, &trailer);
	if (len < 0 || bft_keyring_sign(r->kr, r->out, (size_t)(trailer - r->out),
					trailer) != BFT_OK) {
		rlog(r, BFT_LOG_ERROR, "cannot build NEW-VIEW: %s", bft_strerror(len));
		goto out;
	}
	vc_slot_store(&r->nv, r->out, (uint32_t)len, r->view);
	keep_set(r, slots, who, count);
	/* Recorded before it leaves: a restarted primary must never sign a
	 * second, different NEW-VIEW for this view (persist.c). */
	if (!persist_view(r, true))
		goto out;
	for (j = 0; j < r->cfg.n; j++)
		if (j != r->cfg.id)
			r->io->send(r->io->data, j, r->out, (size_t)len);
	install_view(r, nv.start_seq, nv.start_digest, o, nv.n_o);
out:
	free(dig);
	free(o);
}

/* A held NEW-VIEW is checked once we hold every VIEW-CHANGE it names. */
void retry_pending_new_view(struct bft_replica *r)
{
	struct vc_slot *slots[BFT_MAX_REPLICAS];
	uint32_t who[BFT_MAX_REPLICAS], j, k;
	struct bft_vc_entry *o = NULL, *mine = NULL;
	uint8_t d[BFT_DIGEST_LEN], start_digest[BFT_DIGEST_LEN];
	struct bft_new_view nv;
	uint64_t start = 0, seen = 0;
	uint16_t n_o = 0;

	if (!r->pending_nv.raw ||
	    bft_msg_decode(r->pending_nv.raw, r->pending_nv.len, r->cfg.n, &r->aux) != BFT_OK)
		return;
	nv = r->aux.u.new_view;
	if (nv.view < r->view || (nv.view == r->view && r->view_active)) {
		vc_slot_free(&r->pending_nv);
		return;
	}
	for (k = 0; k < nv.n_v; k++) {
		bft_nv_v(&nv, k, &j, d);
		if (j >= r->cfg.n || (seen >> j & 1))
			goto bad;
		slots[k] = &r->vcs[j];
		if (slots[k]->view != nv.view || memcmp(slots[k]->digest, d, BFT_DIGEST_LEN))
			slots[k] = &r->nv_cand[j];
		if (slots[k]->view != nv.view || memcmp(slots[k]->digest, d, BFT_DIGEST_LEN))
			return; /* not (yet) held: STATUS retransmission brings it */
		seen |= 1ull << j;
		who[k] = j;
	}
	o = calloc(BFT_MAX_NV_ENTRIES, sizeof(*o));
	mine = calloc(BFT_MAX_NV_ENTRIES, sizeof(*mine));
	if (!o || !mine)
		goto out;
	for (k = 0; k < nv.n_o; k++)
		bft_nv_o(&nv, k, &o[k]);
	if (nv.n_v < r->quorum || decode_set(r, slots, nv.n_v) != nv.n_v ||
	    nv_decide(r->cfg.f, r->vc_dec, nv.n_v, &start, start_digest, mine, &n_o) ||
	    start != nv.start_seq || memcmp(start_digest, nv.start_digest, BFT_DIGEST_LEN) ||
	    n_o != nv.n_o) {
		rlog(r, BFT_LOG_WARN, "NEW-VIEW %llu does not follow from its VIEW-CHANGEs",
		     (unsigned long long)nv.view);
		goto bad;
	}
	for (k = 0; k < n_o; k++)
		if (mine[k].seq != o[k].seq || memcmp(mine[k].digest, o[k].digest, BFT_DIGEST_LEN)) {
			rlog(r, BFT_LOG_WARN, "NEW-VIEW %llu chose another batch at %llu",
			     (unsigned long long)nv.view, (unsigned long long)o[k].seq);
			goto bad;
		}
	commits_flush(r); /* votes of the view being left leave while in it */
	r->view = nv.view;
	vc_slot_store(&r->nv, r->pending_nv.raw, r->pending_nv.len, nv.view);
	vc_slot_free(&r->pending_nv);
	keep_set(r, slots, who, nv.n_v);
	install_view(r, start, start_digest, mine, n_o);
	goto out;
bad:
	vc_slot_free(&r->pending_nv);
	start_view_change(r, nv.view + 1);
out:
	free(o);
	free(mine);
}

/* Adopt the NEW-VIEW's checkpoint when it is ahead of ours (§4.4). */
/* The proof of checkpoint start: the signed CHECKPOINTs of a VIEW-CHANGE of
 * the NEW-VIEW's set that has it, added to slot s. */
static void add_proof(struct bft_replica *r, struct ckpt_slot *s, uint64_t start,
		      const uint8_t *d)
{
	uint32_t j, k;

	for (j = 0; j < r->cfg.n; j++) {
		const struct bft_view_change *vc;

		if (!r->nv_set[j].raw ||
		    bft_msg_decode(r->nv_set[j].raw, r->nv_set[j].len, r->cfg.n, &r->aux) ||
		    r->aux.u.view_change.stable_seq != start ||
		    memcmp(r->aux.u.view_change.stable_digest, d, BFT_DIGEST_LEN))
			continue; /* its proof is of another state */
		vc = &r->aux.u.view_change;
		for (k = 0; k < vc->n_cp; k++) {
			uint32_t who;
			const uint8_t *sig;

			bft_vc_cp(vc, k, &who, &sig);
			s->have |= 1ull << who;
			memcpy(s->digest[who], d, BFT_DIGEST_LEN);
			memcpy(s->sig[who], sig, BFT_SIG_LEN);
		}
		return;
	}
}

/* Adopt the NEW-VIEW's checkpoint when it is ahead of ours (§4.4); fetch
 * it (state_transfer.c) when it is ahead of our state or differs from it. */
static void adopt_checkpoint(struct bft_replica *r, uint64_t start, const uint8_t *d)
{
	struct ckpt_slot *s;
	uint32_t i;

	if (start <= r->h)
		return;
	s = ckpt_get(r, start, false);
	if (r->last_cexec < start || !s || !s->own_valid ||
	    memcmp(s->own, d, BFT_DIGEST_LEN)) {
		bool lost = r->last_cexec >= start && (!s || !s->own_valid);
		/* Borrow a far slot to carry the proof to state transfer. */
		struct ckpt_slot *t = &r->far[0];

		for (i = 1; i < r->n_ckpt; i++)
			if (r->far[i].seq < t->seq)
				t = &r->far[i];
		t->seq = start;
		t->have = 0;
		add_proof(r, t, start, d);
		if (lost && !r->st.active) /* a restart lost our digest of it */
			return stable_without_own(r, t, d);
		rlog(r, BFT_LOG_WARN, "new view starts at checkpoint %llu, %s",
		     (unsigned long long)start,
		     r->last_cexec < start ? "beyond our state" : "which differs from ours");
		st_certified(r, t, d);
		if (r->last_cexec >= start)
			st_corrupt(r);
		return;
	}
	add_proof(r, s, start, d);
	s->own_sent = true;
	checkpoint_check_stable(r, s);
}

static void choose(struct bft_replica *r, struct log_entry *e, uint64_t v, const uint8_t *d);

void reapply_new_view(struct bft_replica *r)
{
	struct bft_new_view nv;
	struct bft_vc_entry o;
	uint16_t k;

	if (!r->view_active || !r->nv.raw || r->nv.view != r->view ||
	    bft_msg_decode(r->nv.raw, r->nv.len, r->cfg.n, &r->aux) != BFT_OK)
		return;
	nv = r->aux.u.new_view; /* its arrays point into r->nv.raw */
	for (k = 0; k < nv.n_o; k++) {
		struct log_entry *e;

		bft_nv_o(&nv, k, &o);
		if (o.seq <= r->h || !in_window(r, o.seq))
			continue;
		e = log_find(r, o.seq);
		if (e && e->chosen && e->view == r->view)
			continue;
		e = e ? e : log_get(r, o.seq);
		if (!e)
			continue;
		choose(r, e, r->view, o.digest);
		if (e->has_pp && !e->n_missing)
			pp_ready(r, e);
	}
}

/* Fix e for view v with digest d; keep its content if it is that batch. */
static void choose(struct bft_replica *r, struct log_entry *e, uint64_t v, const uint8_t *d)
{
	bool null = !memcmp(d, zero, BFT_DIGEST_LEN);
	bool keep = (e->has_pp || e->pp) && !memcmp(e->digest, d, BFT_DIGEST_LEN);

	if (e->executed && e->seq <= r->last_cexec && !keep)
		rlog(r, BFT_LOG_ERROR, "new view %llu replaces executed batch %llu",
		     (unsigned long long)v, (unsigned long long)e->seq);
	if (!keep || null) {
		bool p_valid = e->p_valid, executed = e->executed;
		uint64_t p_view = e->p_view, seq = e->seq;
		uint8_t p_digest[BFT_DIGEST_LEN], n_q = e->n_q;
		__typeof__(e->q) q;

		memcpy(p_digest, e->p_digest, BFT_DIGEST_LEN);
		memcpy(q, e->q, sizeof(q));
		log_clear(r, e);
		e->seq = seq;
		e->executed = executed;
		e->p_valid = p_valid;
		e->p_view = p_view;
		memcpy(e->p_digest, p_digest, BFT_DIGEST_LEN);
		e->n_q = n_q;
		memcpy(e->q, q, sizeof(q));
		e->has_pp = null;
	} else {
		e->has_pp = true; /* retained content of an earlier view */
	}
	memcpy(e->digest, d, BFT_DIGEST_LEN);
	e->view = v;
	e->chosen = true;
	e->prep_have = e->commit_have = 0;
	e->sent_prepare = e->sent_commit = e->prepared = e->committed = false;
	if (e->has_pp)
		note_pre_prepared(e, v, d);
}

/* A seq the NEW-VIEW leaves free: the new primary may assign it anew. Its
 * old content stays (not accepted in this view) because a later view may
 * still choose that batch, and peers may need it relayed. */
static void unchoose(struct bft_replica *r, struct log_entry *e)
{
	e->view = r->view;
	e->has_pp = e->chosen = false;
	e->prep_have = e->commit_have = 0;
	e->sent_prepare = e->sent_commit = e->prepared = e->committed = false;
}

/* The new primary's queue: requests it knows of and the new view has not
 * already ordered. */
static void requeue(struct bft_replica *r, uint64_t top)
{
	uint32_t i;

	r->next_seq = top > r->h ? top : r->h;
	r->fifo_len = 0;
	for (i = 0; i < r->cfg.n_clients; i++) {
		struct client_rec *c = &r->clients[i];

		c->queued = false;
		c->assigned_ts = c->last_ts;
	}
	for (uint64_t seq = r->h + 1; seq <= top && seq <= r->h + r->cfg.log_window; seq++) {
		struct log_entry *e = log_find(r, seq);

		if (!e || !e->pp || bft_msg_decode(e->pp, e->pp_len, r->cfg.n, &r->aux))
			continue;
		for (uint16_t k = 0; k < r->aux.u.pre_prepare.count; k++) {
			struct client_rec *c = client_get(r, r->aux.u.pre_prepare.entries[k].client);
			uint64_t ts = r->aux.u.pre_prepare.entries[k].timestamp;

			if (c && ts > c->assigned_ts)
				c->assigned_ts = ts;
		}
	}
	for (i = 0; i < r->cfg.n_clients; i++) {
		struct client_rec *c = &r->clients[i];

		if (c->pending && c->pending_ts > c->assigned_ts) {
			r->fifo[(r->fifo_head + r->fifo_len) % r->cfg.n_clients] = i;
			r->fifo_len++;
			c->queued = true;
		}
	}
}

void install_view(struct bft_replica *r, uint64_t start, const uint8_t *start_digest,
		  const struct bft_vc_entry *o, uint16_t n_o)
{
	uint64_t top = n_o ? o[n_o - 1].seq : start, seq;
	uint32_t i, k;

	if (!persist_view(r, true))
		return;
	r->view_active = true;
	r->view_start = start;
	r->timed_client = 0;
	r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, 0);
	adopt_checkpoint(r, start, start_digest);
	if (r->open_batch) {
		struct log_entry *e = log_find(r, r->open_batch);
		uint64_t idx = r->open_batch - start - 1;

		if (!e || r->open_batch <= start || idx >= n_o ||
		    memcmp(o[idx].digest, e->digest, BFT_DIGEST_LEN))
			rollback_tentative(r);
	}
	for (seq = r->h + 1; seq <= r->h + r->cfg.log_window; seq++) {
		struct log_entry *e = log_find(r, seq);

		if (seq > start && seq - start - 1 < n_o) {
			if (!e)
				e = log_get(r, seq);
			choose(r, e, r->view, o[seq - start - 1].digest);
		} else if (e && seq > top) {
			unchoose(r, e);
		}
	}
	rlog(r, BFT_LOG_INFO, "entered view %llu: checkpoint %llu, %u batches re-proposed",
	     (unsigned long long)r->view, (unsigned long long)start, n_o);
	rtrace(r, BFT_TRACE_NEW_VIEW, r->view, NULL, false);
	if (is_primary(r))
		requeue(r, top);
	for (k = 0; k < n_o; k++) { /* only what this view chose (not <= h) */
		struct log_entry *e = log_find(r, o[k].seq);

		if (e && e->chosen && e->view == r->view && e->has_pp && !e->n_missing)
			pp_ready(r, e);
	}
	for (i = 0; i < r->cfg.n_clients && !is_primary(r); i++)
		if (r->clients[i].waiting_ts > r->clients[i].last_ts ||
		    (r->clients[i].waiting_ts && r->clients[i].reply_tentative)) {
			request_waiting(r, &r->clients[i], r->clients[i].waiting_ts);
			break;
		}
	try_execute(r);
}
