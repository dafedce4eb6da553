/*
 * view_change.c — starting view changes: the timer, VIEW-CHANGE messages,
 * joining higher views (Castro & Liskov, OSDI '99 §4.4, §4.5.2; TOCS '02
 * §4.5 for the P and Q sets that replace signed prepared certificates).
 *
 * A backup waiting for a request (received, not executed and committed)
 * runs a timer for one such request; when it commits, the timer moves to
 * another waiting
 * request, so a primary that serves everyone but one client is still caught.
 * On expiry the replica stops accepting normal-case messages, moves to view
 * v+1 and multicasts a signed ⟨VIEW-CHANGE, v+1, n, C, P, Q⟩: n and C are its
 * stable checkpoint and the 2f+1 signatures proving it; P holds, per
 * sequence number above n, the latest view in which a batch prepared here;
 * Q the latest views in which distinct batches pre-prepared here. Once it
 * holds 2f+1 VIEW-CHANGEs for v+1 it waits a timeout for the NEW-VIEW, then
 * moves on to v+2 with the timeout doubled.
 * f+1 VIEW-CHANGEs for higher views make a replica join the lowest of them.
 *
 * VIEW-CHANGE and NEW-VIEW are signed (Ed25519) so they can be relayed and
 * serve as proof; they are rare, so the cost stays off the request path.
 */
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

void vc_slot_free(struct vc_slot *s)
{
	free(s->raw);
	memset(s, 0, sizeof(*s));
}

bool vc_slot_store(struct vc_slot *s, const uint8_t *raw, uint32_t len, uint64_t view)
{
	if (!buf_store(&s->raw, &s->cap, &s->len, raw, len))
		return false;
	s->view = view;
	bft_sha256(raw, len, s->digest);
	return true;
}

/* Remember that e's seq pre-prepared batch d in view (the Q set). */
void note_pre_prepared(struct log_entry *e, uint64_t view, const uint8_t *d)
{
	uint8_t i, oldest = 0;

	for (i = 0; i < e->n_q; i++) {
		if (memcmp(e->q[i].digest, d, BFT_DIGEST_LEN) == 0) {
			if (e->q[i].view < view)
				e->q[i].view = view;
			return;
		}
		if (e->q[i].view < e->q[oldest].view)
			oldest = i;
	}
	if (e->n_q < BFT_Q_PER_SEQ)
		oldest = e->n_q++;
	e->q[oldest].view = view;
	memcpy(e->q[oldest].digest, d, BFT_DIGEST_LEN);
}

static void arm_timer(struct bft_replica *r, uint32_t node, uint64_t ts)
{
	r->timed_client = node;
	r->timed_ts = ts;
	r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, r->vc_timeout_ms);
}

/* A peer is behind our stable checkpoint, whose snapshot nobody may hold
 * (after a crash of all replicas): it needs the next checkpoint, which an
 * idle primary pads to (batch.c). A backup times that like a request, so a
 * primary that cannot pad (restarted, muted, recovering) is replaced. With
 * `next` (a peer recovers) even from a checkpoint: it needs the one after. */
void checkpoint_wanted(struct bft_replica *r, bool next)
{
	if (r->view_active && !r->timed_client && !is_primary(r) &&
	    (next || r->last_exec % r->cfg.checkpoint_interval))
		arm_timer(r, BFT_CKPT_WANTED, 0);
}

void checkpoint_reached(struct bft_replica *r)
{
	r->lagging = 0;
	if (r->timed_client != BFT_CKPT_WANTED)
		return;
	r->timed_client = 0;
	r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, 0);
}

/* A backup got a request it has not executed: time it unless the timer is
 * already timing another one. */
void request_waiting(struct bft_replica *r, struct client_rec *c, uint64_t ts)
{
	uint32_t node = (uint32_t)(c - r->clients) + r->cfg.n;

	if (ts > c->waiting_ts)
		c->waiting_ts = ts;
	if (r->view_active && !r->timed_client && !is_primary(r))
		arm_timer(r, node, ts);
}

void request_executed(struct bft_replica *r, struct client_rec *c)
{
	uint32_t i, node = (uint32_t)(c - r->clients) + r->cfg.n;

	if (c->reply_tentative)
		return; /* a tentative execution may still be undone */
	if (c->waiting_ts <= c->last_ts)
		c->waiting_ts = 0;
	if (r->view_active)
		r->vc_timeout_ms = r->cfg.view_change_ms; /* the view works */
	if (r->timed_client != node || c->last_ts < r->timed_ts)
		return;
	r->timed_client = 0;
	r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, 0);
	if (!r->view_active || is_primary(r))
		return;
	for (i = 0; i < r->cfg.n_clients; i++) {
		struct client_rec *w = &r->clients[i];

		if (w->waiting_ts > w->last_ts || (w->waiting_ts && w->reply_tentative)) {
			arm_timer(r, i + r->cfg.n, w->waiting_ts);
			return;
		}
	}
}

/* Append P and Q for every sequence number above h. */
static uint16_t collect_pq(struct bft_replica *r, struct bft_vc_entry *p,
			   struct bft_vc_entry *q, uint16_t *n_q)
{
	uint16_t n_p = 0;
	uint64_t seq;
	uint8_t i;

	*n_q = 0;
	for (seq = r->h + 1; seq <= r->h + r->cfg.log_window; seq++) {
		struct log_entry *e = log_find(r, seq);

		if (!e)
			continue;
		if (e->p_valid) {
			p[n_p] = (struct bft_vc_entry){ .seq = seq, .view = e->p_view };
			memcpy(p[n_p++].digest, e->p_digest, BFT_DIGEST_LEN);
		}
		for (i = 0; i < e->n_q; i++) {
			q[*n_q] = (struct bft_vc_entry){ .seq = seq, .view = e->q[i].view };
			memcpy(q[(*n_q)++].digest, e->q[i].digest, BFT_DIGEST_LEN);
		}
	}
	return n_p;
}

/* Build, sign, store and multicast our VIEW-CHANGE for r->view. */
static void send_view_change(struct bft_replica *r)
{
	uint32_t cp_rep[BFT_MAX_REPLICAS];
	uint8_t (*cp_sig)[BFT_SIG_LEN] = calloc(BFT_MAX_REPLICAS, BFT_SIG_LEN);
	struct bft_vc_entry *p = calloc(2 * BFT_MAX_VC_ENTRIES, sizeof(*p));
	struct bft_view_change vc = { .new_view = r->view, .stable_seq = r->h };
	struct ckpt_slot *s = ckpt_get(r, r->h, false);
	uint8_t *trailer;
	uint32_t j;
	int len;

	if (!cp_sig || !p)
		goto out;
	memcpy(vc.stable_digest, r->h_digest, BFT_DIGEST_LEN);
	for (j = 0; s && r->h && j < r->cfg.n && vc.n_cp < r->quorum; j++) {
		if ((s->have >> j & 1) && !memcmp(s->digest[j], r->h_digest, BFT_DIGEST_LEN)) {
			cp_rep[vc.n_cp] = j;
			memcpy(cp_sig[vc.n_cp++], s->sig[j], BFT_SIG_LEN);
		}
	}
	vc.n_p = collect_pq(r, p, p + BFT_MAX_VC_ENTRIES, &vc.n_q);
	len = bft_encode_view_change(r->out, BFT_MAX_MSG, r->cfg.id, &vc, cp_rep,
				     (const uint8_t (*)[BFT_SIG_LEN])cp_sig, p,
				     p + BFT_MAX_VC_ENTRIES, &trailer);
	if (len < 0 || bft_keyring_sign(r->kr, r->out, (size_t)(trailer - r->out),
					trailer) != BFT_OK) {
		rlog(r, BFT_LOG_ERROR, "cannot build VIEW-CHANGE: %s", bft_strerror(len));
		goto out;
	}
	vc_slot_store(&r->vcs[r->cfg.id], r->out, (uint32_t)len, r->view);
	for (j = 0; j < r->cfg.n; j++)
		if (j != r->cfg.id)
			r->io->send(r->io->data, j, r->out, (size_t)len);
out:
	free(cp_sig);
	free(p);
}

void start_view_change(struct bft_replica *r, uint64_t view)
{
	if (view <= r->view)
		return;
	rlog(r, BFT_LOG_INFO, "changing to view %llu (timeout %llu ms)",
	     (unsigned long long)view, (unsigned long long)r->vc_timeout_ms);
	commits_flush(r); /* votes of the view being left leave while in it */
	r->view = view;
	r->view_active = false;
	if (!persist_view(r, false))
		return;
	r->timed_client = 0;
	r->fifo_len = 0;
	for (uint32_t i = 0; i < r->cfg.n_clients; i++)
		r->clients[i].queued = false;
	r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, 0);
	send_view_change(r);
	arm_new_view_timer(r);
	if (primary_of(r, view) == r->cfg.id)
		try_new_view(r);
	retry_pending_new_view(r);
}

void resume_view_change(struct bft_replica *r)
{
	send_view_change(r);
	arm_new_view_timer(r);
	if (primary_of(r, r->view) == r->cfg.id)
		try_new_view(r);
}

/* §4.5.2: wait for the NEW-VIEW only once 2f+1 replicas want this view,
 * so a replica that timed out alone does not race through views. Each view
 * that fails doubles the timeout. */
void arm_new_view_timer(struct bft_replica *r)
{
	uint32_t j, count = 0;

	if (r->view_active || r->vc_armed_view == r->view)
		return;
	for (j = 0; j < r->cfg.n; j++)
		count += r->vcs[j].raw && r->vcs[j].view == r->view;
	if (count < r->quorum)
		return;
	r->vc_armed_view = r->view;
	r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, r->vc_timeout_ms);
	if (r->vc_timeout_ms < UINT64_MAX / 2)
		r->vc_timeout_ms *= 2;
}

void view_change_timer(struct bft_replica *r)
{
	if (r->view_active && !r->timed_client)
		return;
	if ((r->view_active && r->st.active) || r->recovering) {
		/* Our requests wait for our own state, not for the primary
		 * (state_transfer.c): suspect it again once we have it. A
		 * recovering replica counts as faulty and moves to a later
		 * view only with f+1 others (check_join), never alone: it
		 * would wait there for a NEW-VIEW nobody else asks for. */
		r->io->set_timer(r->io->data, BFT_TIMER_VIEW_CHANGE, r->vc_timeout_ms);
		return;
	}
	if (r->view_active && r->timed_client == BFT_CKPT_WANTED)
		rlog(r, BFT_LOG_WARN, "no checkpoint for a replica behind the stable one "
		     "(executed %llu, stable %llu)", (unsigned long long)r->last_exec,
		     (unsigned long long)r->h);
	else if (r->view_active)
		rlog(r, BFT_LOG_WARN, "request %llu of client %u timed out (executed %llu, "
		     "committed %llu, stable %llu)", (unsigned long long)r->timed_ts,
		     r->timed_client, (unsigned long long)r->last_exec,
		     (unsigned long long)r->last_cexec, (unsigned long long)r->h);
	else
		rlog(r, BFT_LOG_WARN, "no NEW-VIEW in time");
	start_view_change(r, r->view + 1);
}

/* §4.5.2: f+1 replicas asking for views above ours are not all faulty. */
void check_join(struct bft_replica *r)
{
	uint64_t lowest = UINT64_MAX;
	uint32_t j, count = 0;

	for (j = 0; j < r->cfg.n; j++) {
		const struct vc_slot *s = &r->vcs[j];

		if (j == r->cfg.id || !s->raw || s->view <= r->view)
			continue;
		count++;
		if (s->view < lowest)
			lowest = s->view;
	}
	if (count >= r->cfg.f + 1)
		start_view_change(r, lowest);
}

/* Retransmission (§5.2) of view-change state to a replica in an older view
 * or changing to ours: our VIEW-CHANGE, and the NEW-VIEW with the
 * VIEW-CHANGEs it used. */
void send_view_state(struct bft_replica *r, uint32_t to, bool changing)
{
	uint32_t j;

	if (!r->view_active || changing) {
		for (j = 0; j < r->cfg.n; j++)
			if (r->vcs[j].raw && r->vcs[j].view == r->view && j != to)
				r->io->send(r->io->data, to, r->vcs[j].raw, r->vcs[j].len);
	}
	/* The NEW-VIEW first, so the peer holds it when its VIEW-CHANGEs
	 * come, its own among them (a restart may have lost that one). */
	if (r->view_active && r->nv.raw && r->nv.view == r->view) {
		r->io->send(r->io->data, to, r->nv.raw, r->nv.len);
		for (j = 0; j < r->cfg.n; j++)
			if (r->nv_set[j].raw)
				r->io->send(r->io->data, to, r->nv_set[j].raw, r->nv_set[j].len);
	}
}
