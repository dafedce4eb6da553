/*
 * recv_pre_prepare.c — PRE-PREPARE (Castro & Liskov, OSDI '99 §4.2; batching
 * and non-deterministic choices §5.1 / TOCS '02 §5.4).
 *
 * A backup accepts ⟨PRE-PREPARE, v, n, d⟩ when it comes from the primary of
 * its view v, n is between the watermarks, the authenticator checks, it has
 * not accepted a different pre-prepare for (v, n), every inline request is
 * authenticated by its client, and the proposed time is within the
 * configured skew ahead of its own clock. Requests named only by digest, and
 * inline requests whose client authenticator fails here (a faulty replica
 * relaying a request can damage the entries of others while keeping the
 * primary's valid), must arrive from the client itself (body_arrived) before
 * the backup prepares: the batch digest does not cover authenticators, so
 * every replica agrees on the batch whichever copy it authenticated.
 */
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

/* All bodies present: prepare (backups) and re-evaluate. */
void pp_ready(struct bft_replica *r, struct log_entry *e)
{
	if (!is_primary(r) && !e->sent_prepare && !muted(r) && !rec_muted(r, e->seq)) {
		e->sent_prepare = true;
		e->prep_have |= 1ull << r->cfg.id;
		memcpy(e->prep_digest[r->cfg.id], e->digest, BFT_DIGEST_LEN);
		send_prepare_msg(r, BFT_MSG_PREPARE, e);
	}
	log_update_state(r, e);
}

static const char *check_batch(struct bft_replica *r, const struct bft_pre_prepare *pp,
			       bool fresh)
{
	uint64_t now = r->io->now_us(r->io->data);
	uint16_t i, j;

	/* Only the future is checked: a retransmitted pre-prepare is
	 * legitimately old, and time never runs backwards in the state because
	 * execution clamps it above the previous batch's (execute.c). */
	if (fresh && pp->nondet > now && pp->nondet - now > r->cfg.max_skew_us)
		return "proposed time too far ahead of local clock";
	if (pp->count > r->cfg.max_batch)
		return "batch larger than configured";
	for (i = 0; i < pp->count; i++) {
		const struct bft_pp_entry *x = &pp->entries[i];

		if (!client_get(r, x->client))
			return "batch names an unknown client";
		if (x->req_flags & BFT_REQ_READ_ONLY)
			return "read-only request in a batch";
		for (j = 0; j < i; j++)
			if (pp->entries[j].client == x->client)
				return "two requests of one client in a batch";
	}
	return NULL;
}

/* Whether an inline request carries a valid authenticator entry for us. */
static bool inline_authentic(struct bft_replica *r, const struct bft_pp_entry *x)
{
	uint32_t tlen = bft_msg_trailer_len(BFT_MSG_REQUEST, r->cfg.n);

	return bft_keyring_auth_verify(r->kr, x->client, x->raw, x->raw_len - tlen,
				       x->raw + x->raw_len - tlen) == BFT_OK;
}

/* An authenticated copy of request (client, ts, digest) that we hold: a
 * held large body, or the newest request the client sent us. */
static bool find_copy(struct bft_replica *r, const struct bft_pp_entry *x,
		      const uint8_t **raw, uint32_t *len)
{
	struct client_rec *c = client_get(r, x->client);
	const struct held_request *h = held_find(c, x->timestamp, x->digest);
	uint8_t d[BFT_DIGEST_LEN];

	if (h) {
		*raw = h->raw;
		*len = h->len;
		return true;
	}
	if (!c->pending || c->pending_ts != x->timestamp ||
	    bft_msg_decode(c->pending, c->pending_len, r->cfg.n, &r->body) != BFT_OK)
		return false;
	bft_request_digest(x->client, x->timestamp, r->body.hdr.flags, r->body.u.request.op,
			   r->body.u.request.op_len, d);
	if (memcmp(d, x->digest, BFT_DIGEST_LEN))
		return false;
	*raw = c->pending;
	*len = c->pending_len;
	return true;
}

/* Find a body for every entry that needs one (digest-only entries, and
 * inline ones that fail their authenticator here); count the missing. */
static bool attach_bodies(struct bft_replica *r, struct log_entry *e,
			  const struct bft_pre_prepare *pp)
{
	uint16_t i;

	e->n_entries = pp->count;
	e->bodies = calloc(pp->count ? pp->count : 1, sizeof(*e->bodies));
	e->body_len = calloc(pp->count ? pp->count : 1, sizeof(*e->body_len));
	if (!e->bodies || !e->body_len)
		return false;
	for (i = 0; i < pp->count; i++) {
		const struct bft_pp_entry *x = &pp->entries[i];
		const uint8_t *raw;
		uint32_t len;

		if (x->kind == BFT_PP_INLINE && inline_authentic(r, x))
			continue;
		e->need_mask |= 1ull << i;
		if (find_copy(r, x, &raw, &len) && (e->bodies[i] = malloc(len))) {
			memcpy(e->bodies[i], raw, len);
			e->body_len[i] = len;
		} else {
			e->n_missing++;
		}
	}
	return true;
}

/* Store an accepted pre-prepare (raw bytes in m) in e. */
bool log_accept_pp(struct bft_replica *r, struct log_entry *e, const struct bft_msg *m)
{
	const struct bft_pre_prepare *pp = &m->u.pre_prepare;
	uint16_t i;

	/* Drop content retained from an earlier view (new_view.c). */
	for (i = 0; e->bodies && i < e->n_entries; i++)
		free(e->bodies[i]);
	free(e->bodies);
	free(e->body_len);
	free(e->pp);
	e->bodies = NULL;
	e->body_len = NULL;
	if (e->n_missing)
		r->n_awaiting--;
	e->n_missing = 0;
	e->need_mask = 0;
	e->vouched = false;
	e->pp = malloc(m->hdr.length);
	if (!e->pp || !attach_bodies(r, e, pp)) {
		e->n_missing = 0; /* not counted in n_awaiting yet */
		log_clear(r, e);
		return false;
	}
	if (e->n_missing)
		r->n_awaiting++;
	memcpy(e->pp, m->raw, m->hdr.length);
	e->pp_len = m->hdr.length;
	e->view = pp->view;
	e->nondet = pp->nondet;
	e->has_pp = true;
	bft_batch_digest(pp, e->digest);
	return true;
}

/* A pre-prepare of an earlier view, relayed, may carry the content of a
 * batch the current NEW-VIEW chose by digest (§4.4): the digest alone
 * certifies it, whoever relays it. */
static void chosen_content(struct bft_replica *r)
{
	const struct bft_pre_prepare *pp = &r->in.u.pre_prepare;
	struct log_entry *e = log_find(r, pp->seq);
	uint8_t d[BFT_DIGEST_LEN];
	uint64_t view = r->view;
	const char *why;

	if (!r->view_active || !e || !e->chosen || e->has_pp || e->view != r->view)
		return;
	bft_batch_digest(pp, d);
	if (memcmp(d, e->digest, BFT_DIGEST_LEN))
		return;
	why = check_batch(r, pp, false);
	if (why)
		return reject(r, why);
	if (!log_accept_pp(r, e, &r->in))
		return;
	e->view = view;
	note_pre_prepared(e, view, e->digest);
	/* Its requests' authenticators may predate a NEW-KEY: the NEW-VIEW's
	 * choice vouches for them. */
	if (e->n_missing)
		vouch(r, e);
	rlog(r, BFT_LOG_DEBUG, "content of chosen batch %llu arrived (%u bodies missing)",
	     (unsigned long long)e->seq, e->n_missing);
	if (e->n_missing == 0)
		pp_ready(r, e);
}

void recv_pre_prepare(struct bft_replica *r)
{
	const struct bft_pre_prepare *pp = &r->in.u.pre_prepare;
	struct log_entry *e;
	uint8_t d[BFT_DIGEST_LEN];
	const char *why;

	if (pp->view < r->view)
		return chosen_content(r);
	if (r->in.hdr.sender != primary_of(r, pp->view))
		return reject(r, "sender is not the primary of that view");
	if (pp->view != r->view || is_primary(r) || !r->view_active)
		return;
	if (!in_window(r, pp->seq))
		return;
	if (!verify_auth(r, &r->in))
		return reject(r, "bad authenticator");
	e = log_get(r, pp->seq);
	if (e->has_pp || e->chosen) {
		bft_batch_digest(pp, d);
		if (memcmp(d, e->digest, BFT_DIGEST_LEN) != 0)
			reject(r, "conflicts with the accepted pre-prepare");
		return;
	}
	why = check_batch(r, pp, true);
	if (why)
		return reject(r, why);
	if (e->view != pp->view) {
		e->view = pp->view;
		e->prep_have = e->commit_have = 0;
	}
	if (!log_accept_pp(r, e, &r->in)) {
		rlog(r, BFT_LOG_ERROR, "out of memory storing pre-prepare %llu",
		     (unsigned long long)pp->seq);
		return;
	}
	note_pre_prepared(e, e->view, e->digest);
	if (e->n_missing == 0)
		pp_ready(r, e);
	else
		rlog(r, BFT_LOG_DEBUG, "pre-prepare %llu waits for %u request bodies",
		     (unsigned long long)pp->seq, e->n_missing);
}

/* An authenticated request arrived from its client: complete any accepted
 * pre-prepare that was waiting for its body. In the normal case none
 * waits (n_awaiting is 0) and nothing is scanned. */
/* Prepare only in the view the entry belongs to, and not while changing
 * views (PBFT §4.4): an entry of a view we left gets its body attached and
 * is prepared when a NEW-VIEW chooses it (install_view -> pp_ready). */
static void bodies_complete(struct bft_replica *r, struct log_entry *e)
{
	if (e->n_missing == 0 && e->view == r->view && r->view_active)
		pp_ready(r, e);
}

void vouch(struct bft_replica *r, struct log_entry *e)
{
	const struct bft_pre_prepare *pp = &r->aux.u.pre_prepare;
	uint16_t i;

	e->vouched = true;
	if (!e->n_missing || !e->pp ||
	    bft_msg_decode(e->pp, e->pp_len, r->cfg.n, &r->aux) != BFT_OK)
		return;
	for (i = 0; i < pp->count && i < e->n_entries; i++) {
		const struct bft_pp_entry *x = &pp->entries[i];

		if (!(e->need_mask >> i & 1) || e->bodies[i] || x->kind != BFT_PP_INLINE ||
		    !(e->bodies[i] = malloc(x->raw_len)))
			continue;
		memcpy(e->bodies[i], x->raw, x->raw_len);
		e->body_len[i] = x->raw_len;
		if (--e->n_missing == 0)
			r->n_awaiting--;
	}
	rlog(r, BFT_LOG_DEBUG, "batch %llu vouched for (%u bodies still missing)",
	     (unsigned long long)e->seq, e->n_missing);
	bodies_complete(r, e);
}

void body_arrived(struct bft_replica *r, uint32_t client, const uint8_t *raw,
		  uint32_t len, uint64_t ts, const uint8_t digest[BFT_DIGEST_LEN],
		  bool vouched_only)
{
	uint32_t k;
	uint16_t i;

	for (k = 0; k < r->log_slots && r->n_awaiting; k++) {
		struct log_entry *e = &r->log[k];
		const struct bft_pre_prepare *pp = &r->aux.u.pre_prepare;

		if (!e->seq || !e->has_pp || !e->n_missing || (vouched_only && !e->vouched))
			continue;
		if (bft_msg_decode(e->pp, e->pp_len, r->cfg.n, &r->aux) != BFT_OK)
			continue;
		for (i = 0; i < pp->count; i++) {
			const struct bft_pp_entry *x = &pp->entries[i];

			if (!(e->need_mask >> i & 1) || e->bodies[i] || x->client != client ||
			    x->timestamp != ts || memcmp(x->digest, digest, BFT_DIGEST_LEN))
				continue;
			e->bodies[i] = malloc(len);
			if (!e->bodies[i])
				continue;
			memcpy(e->bodies[i], raw, len);
			e->body_len[i] = len;
			if (--e->n_missing == 0)
				r->n_awaiting--;
		}
		bodies_complete(r, e);
	}
}
