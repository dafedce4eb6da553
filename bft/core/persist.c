/*
 * persist.c — the replica's durable protocol records and restart (Castro &
 * Liskov, TOCS '02 §4.6 and §6.2 on recovery; doc/design.md "Restart").
 *
 * The service keeps the executed state; the core keeps, through
 * io->persist, just what a restarted replica needs to stay consistent with
 * what it said before it stopped:
 *
 *   PREPARED  written when a batch prepares here, before our COMMIT and
 *             before executing it: the pre-prepare, the request bodies it
 *             needed, view and digest. So every batch that committed (or
 *             that a client accepted on 2f+1 tentative replies) is in the
 *             records of 2f+1 replicas, and survives a crash of all of them:
 *             the VIEW-CHANGEs of the restarted replicas report it in P and
 *             Q, the next view re-proposes it.
 *   STABLE    written when a checkpoint becomes stable: its seq, digest and
 *             the 2f+1 signed CHECKPOINTs proving it (for VIEW-CHANGEs).
 *   VIEW      written when the replica moves to a view, before anything it
 *             sends in that view.
 *
 * One record per batch and per view, none per message. A restarted replica
 * does not know which PREPAREs (and, as primary, PRE-PREPAREs) it sent in
 * its last view, so it sends none in any view up to the last one it
 * recorded (muted()): voting there again could contradict a vote it
 * forgot. COMMITs stay safe: it can only commit what prepared here again,
 * and a batch it committed before has a PREPARED record that pins the
 * sequence number to the same digest. In the next view it votes normally;
 * with a live primary it keeps executing meanwhile (2f PREPAREs of the
 * others suffice), and a restarted primary of that view stays silent until
 * the others move on.
 *
 * Restart: bft_replica_restore() takes the records in the order written
 * (the stable checkpoint, the window above it, the view), then
 * bft_replica_start() asks the service where its state is (last_batch):
 * batches up to there are executed and committed, the ones above are
 * prepared and wait for commits; the reply cache is reloaded from the
 * state. A state behind its own stable checkpoint (lost) discards the
 * restored log: the replica fetches the state like a new one
 * (state_transfer.c).
 */
#include <stdlib.h>
#include <string.h>

#include "bft/le.h"
#include "replica_internal.h"

bool muted(const struct bft_replica *r)
{
	return r->view < r->mute_below && !BUG(r, BFT_BUG_FORGET_LOG);
}

static bool write_rec(struct bft_replica *r, uint8_t kind, uint64_t seq, const uint8_t *buf,
		      size_t len)
{
	int err;

	if (!r->io->persist)
		return true;
	err = r->io->persist(r->io->data, kind, seq, buf, len);
	if (err) {
		rlog(r, BFT_LOG_ERROR, "cannot persist protocol record (%d): replica halts", err);
		r->halted = true;
		return false;
	}
	return true;
}

/* PREPARED: view, digest, need_mask, pp_len, pp, then per needed body
 * (need_mask order) its length and bytes. */
#define PREP_HDR (8 + BFT_DIGEST_LEN + 8 + 4)

bool persist_prepared(struct bft_replica *r, const struct log_entry *e)
{
	size_t len = PREP_HDR + e->pp_len, off;
	uint8_t *buf;
	uint16_t i;
	bool ok;

	if (!r->io->persist || BUG(r, BFT_BUG_FORGET_LOG))
		return true;
	for (i = 0; i < e->n_entries; i++)
		if (e->need_mask >> i & 1)
			len += 4 + e->body_len[i];
	buf = malloc(len);
	if (!buf) {
		rlog(r, BFT_LOG_ERROR, "out of memory persisting batch %llu",
		     (unsigned long long)e->seq);
		r->halted = true;
		return false;
	}
	bft_put_le64(buf, e->view);
	memcpy(buf + 8, e->digest, BFT_DIGEST_LEN);
	bft_put_le64(buf + 8 + BFT_DIGEST_LEN, e->need_mask);
	bft_put_le32(buf + 16 + BFT_DIGEST_LEN, e->pp_len);
	off = PREP_HDR;
	if (e->pp_len)
		memcpy(buf + off, e->pp, e->pp_len);
	off += e->pp_len;
	for (i = 0; i < e->n_entries; i++) {
		if (!(e->need_mask >> i & 1))
			continue;
		bft_put_le32(buf + off, e->body_len[i]);
		memcpy(buf + off + 4, e->bodies[i], e->body_len[i]);
		off += 4 + e->body_len[i];
	}
	ok = write_rec(r, BFT_REC_PREPARED, e->seq, buf, len);
	free(buf);
	return ok;
}

/* STABLE: digest, bitmap of signers, their signatures in replica order. */
bool persist_stable(struct bft_replica *r, const struct ckpt_slot *s)
{
	uint8_t buf[BFT_DIGEST_LEN + 8 + BFT_MAX_REPLICAS * BFT_SIG_LEN];
	size_t len = BFT_DIGEST_LEN + 8;
	uint64_t have = 0;
	uint32_t j;

	for (j = 0; s && j < r->cfg.n; j++) {
		if (!(s->have >> j & 1) || memcmp(s->digest[j], r->h_digest, BFT_DIGEST_LEN))
			continue;
		have |= 1ull << j;
		memcpy(buf + len, s->sig[j], BFT_SIG_LEN);
		len += BFT_SIG_LEN;
	}
	memcpy(buf, r->h_digest, BFT_DIGEST_LEN);
	bft_put_le64(buf + BFT_DIGEST_LEN, have);
	return write_rec(r, BFT_REC_STABLE, r->h, buf, len);
}

/* VIEW: one byte, 1 if the view was installed (NEW-VIEW accepted), 0 if
 * the replica only started changing to it; when installed (and not view
 * 0), the NEW-VIEW and the VIEW-CHANGEs it used, each as u32 length and
 * bytes (the NEW-VIEW, then one per replica, length 0 for none): after a
 * restart the replica can still show peers how the view began, and a
 * restarted primary never signs a second NEW-VIEW for a view. */
bool persist_view(struct bft_replica *r, bool installed)
{
	size_t len = 1, off;
	uint8_t *buf;
	uint32_t j;
	bool ok;

	installed = installed && r->nv.raw && r->nv.view == r->view;
	if (installed) {
		len += 4 + r->nv.len;
		for (j = 0; j < r->cfg.n; j++)
			len += 4 + (r->nv_set[j].raw ? r->nv_set[j].len : 0);
	}
	buf = malloc(len);
	if (!buf) {
		r->halted = true;
		return false;
	}
	buf[0] = installed || (r->view == 0);
	off = 1;
	if (installed) {
		bft_put_le32(buf + off, r->nv.len);
		memcpy(buf + off + 4, r->nv.raw, r->nv.len);
		off += 4 + r->nv.len;
		for (j = 0; j < r->cfg.n; j++) {
			uint32_t n = r->nv_set[j].raw ? r->nv_set[j].len : 0;

			bft_put_le32(buf + off, n);
			if (n)
				memcpy(buf + off + 4, r->nv_set[j].raw, n);
			off += 4 + n;
		}
	}
	ok = write_rec(r, BFT_REC_VIEW, r->view, buf, len);
	free(buf);
	return ok;
}

/* The NEW-VIEW and its VIEW-CHANGEs from an installed VIEW record. */
static int restore_new_view(struct bft_replica *r, uint64_t view, const uint8_t *p,
			    size_t left)
{
	uint32_t n, j;

	if (left < 4 || (n = bft_get_le32(p)) > left - 4 || n > BFT_MAX_MSG ||
	    bft_msg_decode(p + 4, n, r->cfg.n, &r->aux) != BFT_OK ||
	    r->aux.hdr.type != BFT_MSG_NEW_VIEW || r->aux.u.new_view.view != view)
		return BFT_E_FIELD;
	r->view_start = r->aux.u.new_view.start_seq;
	if (!vc_slot_store(&r->nv, p + 4, n, view))
		return BFT_E_NOMEM;
	p += 4 + n;
	left -= 4 + n;
	for (j = 0; j < r->cfg.n; j++) {
		if (left < 4 || (n = bft_get_le32(p)) > left - 4 || n > BFT_MAX_MSG)
			return BFT_E_FIELD;
		vc_slot_free(&r->nv_set[j]);
		if (n && !vc_slot_store(&r->nv_set[j], p + 4, n, view))
			return BFT_E_NOMEM;
		p += 4 + n;
		left -= 4 + n;
	}
	return left ? BFT_E_FIELD : BFT_OK;
}

/* ---- restart ---- */

static int restore_stable(struct bft_replica *r, uint64_t seq, const uint8_t *buf,
			  size_t len)
{
	uint64_t have;
	struct ckpt_slot *s;
	size_t off = BFT_DIGEST_LEN + 8;
	uint32_t j;

	if (len < off || seq % r->cfg.checkpoint_interval || seq < r->h)
		return BFT_E_FIELD;
	have = bft_get_le64(buf + BFT_DIGEST_LEN);
	if (have >> r->cfg.n ||
	    len != off + (size_t)__builtin_popcountll(have) * BFT_SIG_LEN)
		return BFT_E_FIELD;
	window_jump(r, seq);
	memcpy(r->h_digest, buf, BFT_DIGEST_LEN);
	s = ckpt_get(r, seq, true);
	for (j = 0; j < r->cfg.n; j++) {
		if (!(have >> j & 1))
			continue;
		s->have |= 1ull << j;
		memcpy(s->digest[j], buf, BFT_DIGEST_LEN);
		memcpy(s->sig[j], buf + off, BFT_SIG_LEN);
		off += BFT_SIG_LEN;
	}
	memcpy(s->own, buf, BFT_DIGEST_LEN);
	s->own_valid = s->own_sent = true;
	return BFT_OK;
}

/* Rebuild the bodies e's batch needed from the record. */
static int restore_bodies(struct bft_replica *r, struct log_entry *e, const uint8_t *p,
			  size_t left)
{
	uint16_t i, count;

	if (bft_msg_decode(e->pp, e->pp_len, r->cfg.n, &r->aux) != BFT_OK ||
	    r->aux.hdr.type != BFT_MSG_PRE_PREPARE || r->aux.u.pre_prepare.seq != e->seq)
		return BFT_E_FIELD;
	count = r->aux.u.pre_prepare.count;
	if (count < 64 && e->need_mask >> count)
		return BFT_E_FIELD;
	e->n_entries = count;
	e->bodies = calloc(count ? count : 1, sizeof(*e->bodies));
	e->body_len = calloc(count ? count : 1, sizeof(*e->body_len));
	if (!e->bodies || !e->body_len)
		return BFT_E_NOMEM;
	for (i = 0; i < count; i++) {
		uint32_t n;

		if (!(e->need_mask >> i & 1))
			continue;
		if (left < 4 || (n = bft_get_le32(p)) > left - 4 || n > BFT_MAX_MSG)
			return BFT_E_FIELD;
		e->bodies[i] = malloc(n ? n : 1);
		if (!e->bodies[i])
			return BFT_E_NOMEM;
		memcpy(e->bodies[i], p + 4, n);
		e->body_len[i] = n;
		p += 4 + n;
		left -= 4 + n;
	}
	e->nondet = r->aux.u.pre_prepare.nondet;
	return left ? BFT_E_FIELD : BFT_OK;
}

static int restore_prepared(struct bft_replica *r, uint64_t seq, const uint8_t *buf,
			    size_t len)
{
	uint64_t view;
	uint32_t pp_len;
	struct log_entry *e;
	int err;

	if (len < PREP_HDR)
		return BFT_E_FIELD;
	view = bft_get_le64(buf);
	pp_len = bft_get_le32(buf + 16 + BFT_DIGEST_LEN);
	if (pp_len > len - PREP_HDR || pp_len > BFT_MAX_MSG)
		return BFT_E_FIELD;
	if (!in_window(r, seq))
		return BFT_OK; /* below the stable checkpoint: obsolete */
	e = log_get(r, seq);
	if (e->has_pp && e->view > view)
		return BFT_OK;
	log_clear(r, e);
	e->seq = seq;
	e->view = view;
	memcpy(e->digest, buf + 8, BFT_DIGEST_LEN);
	e->need_mask = bft_get_le64(buf + 8 + BFT_DIGEST_LEN);
	if (pp_len) {
		e->pp = malloc(pp_len);
		if (!e->pp)
			return BFT_E_NOMEM;
		memcpy(e->pp, buf + PREP_HDR, pp_len);
		e->pp_len = pp_len;
		err = restore_bodies(r, e, buf + PREP_HDR + pp_len, len - PREP_HDR - pp_len);
		if (err) {
			log_clear(r, e);
			return err;
		}
	} else if (len != PREP_HDR || e->need_mask) {
		log_clear(r, e);
		return BFT_E_FIELD; /* a null request has nothing else */
	}
	e->has_pp = true;
	e->prepared = e->p_valid = true;
	e->p_view = view;
	memcpy(e->p_digest, e->digest, BFT_DIGEST_LEN);
	note_pre_prepared(e, view, e->digest);
	/* It sent these votes (or, as primary, the pre-prepare) for exactly
	 * this batch; sending them again is consistent. */
	if (primary_of(r, view) != r->cfg.id) {
		e->sent_prepare = true;
		e->prep_have |= 1ull << r->cfg.id;
		memcpy(e->prep_digest[r->cfg.id], e->digest, BFT_DIGEST_LEN);
	}
	e->sent_commit = true;
	e->commit_have |= 1ull << r->cfg.id;
	memcpy(e->commit_digest[r->cfg.id], e->digest, BFT_DIGEST_LEN);
	return BFT_OK;
}

void restored_free(struct bft_replica *r)
{
	for (uint32_t i = 0; i < r->n_recs; i++)
		free(r->recs[i].buf);
	free(r->recs);
	r->recs = NULL;
	r->n_recs = r->recs_cap = 0;
}

/* Records are kept until start: the stable checkpoint decides which of
 * the others still count, whatever order compaction left them in. */
int bft_replica_restore(struct bft_replica *r, uint8_t kind, uint64_t seq,
			const uint8_t *buf, size_t len)
{
	struct restored_rec *x;

	if (r->n_recs == 0)
		r->view_active = false; /* until a record says otherwise */
	if (r->started || (len && !buf) || len > BFT_MAX_MSG * (BFT_MAX_BATCH + 1))
		return BFT_E_INVAL;
	if (kind < BFT_REC_PREPARED || kind > BFT_REC_VIEW)
		return BFT_E_TYPE;
	if (r->n_recs == r->recs_cap) {
		uint32_t cap = r->recs_cap ? 2 * r->recs_cap : 64;
		struct restored_rec *n = realloc(r->recs, cap * sizeof(*n));

		if (!n)
			return BFT_E_NOMEM;
		r->recs = n;
		r->recs_cap = cap;
	}
	x = &r->recs[r->n_recs];
	x->buf = malloc(len ? len : 1);
	if (!x->buf)
		return BFT_E_NOMEM;
	if (len)
		memcpy(x->buf, buf, len);
	x->kind = kind;
	x->seq = seq;
	x->len = len;
	r->n_recs++;
	return BFT_OK;
}

/* Apply one kept record (restart_resume, stable checkpoint first). */
static int apply_rec(struct bft_replica *r, uint8_t kind, uint64_t seq, const uint8_t *buf,
		     size_t len)
{
	int err;

	switch (kind) {
	case BFT_REC_STABLE:
		err = restore_stable(r, seq, buf, len);
		break;
	case BFT_REC_PREPARED:
		err = restore_prepared(r, seq, buf, len);
		if (!err && r->log[seq % r->log_slots].seq == seq &&
		    r->log[seq % r->log_slots].view >= r->view) {
			r->view = r->log[seq % r->log_slots].view;
			r->view_active = true; /* it prepared in that view */
		}
		break;
	case BFT_REC_VIEW:
		err = len < 1 || buf[0] > 1 ? BFT_E_FIELD : BFT_OK;
		if (!err && seq >= r->view && len > 1)
			err = restore_new_view(r, seq, buf + 1, len - 1);
		if (!err && seq > r->view) {
			r->view = seq;
			r->view_active = buf[0];
		} else if (!err && seq == r->view && buf[0]) {
			r->view_active = true;
		}
		break;
	default:
		err = BFT_E_TYPE;
		break;
	}
	if (err)
		rlog(r, BFT_LOG_ERROR, "restore: bad %u record for seq %llu: %s", kind,
		     (unsigned long long)seq, bft_strerror(err));
	else
		r->restored = true;
	return err;
}

static int apply_recs(struct bft_replica *r)
{
	const struct restored_rec *top = NULL;
	uint32_t i;
	int err = BFT_OK;

	for (i = 0; i < r->n_recs; i++)
		if (r->recs[i].kind == BFT_REC_STABLE && (!top || r->recs[i].seq >= top->seq))
			top = &r->recs[i];
	if (top)
		err = apply_rec(r, top->kind, top->seq, top->buf, top->len);
	for (i = 0; i < r->n_recs && !err; i++)
		if (r->recs[i].kind != BFT_REC_STABLE)
			err = apply_rec(r, r->recs[i].kind, r->recs[i].seq, r->recs[i].buf,
					r->recs[i].len);
	restored_free(r);
	return err;
}

/* Forget the restored window (the state does not reach it). */
static void drop_log(struct bft_replica *r)
{
	uint32_t i;

	for (i = 0; i < r->log_slots; i++)
		log_clear(r, &r->log[i]);
	for (i = 0; i < r->n_ckpt; i++)
		r->ckpt[i].seq = 0;
	r->h = r->h_keep = 0;
	memset(r->h_digest, 0, BFT_DIGEST_LEN);
}

/* Where the service's state is: resume from there (bft_replica_start). */
int restart_resume(struct bft_replica *r)
{
	uint64_t seq = 0, t = 0, s;
	uint8_t d[BFT_DIGEST_LEN];
	uint32_t i;
	int err = apply_recs(r);

	if (err)
		return err;
	if (r->svc->last_batch) {
		err = r->svc->last_batch(r->svc->data, &seq, &t);
		if (err)
			return err;
	}
	if (seq && !r->svc->reply_get)
		return BFT_E_INVAL;
	if (!seq && !r->restored)
		return BFT_OK; /* a fresh replica */
	r->mute_below = r->restored ? r->view + 1 : 0;
	r->view_start = 0;
	if (seq < r->h) {
		rlog(r, BFT_LOG_WARN, "state is at batch %llu, behind its stable checkpoint "
		     "%llu: fetching it", (unsigned long long)seq, (unsigned long long)r->h);
		drop_log(r);
		seq = 0;
		t = 0;
	}
	for (i = 0; i < r->log_slots; i++) {
		struct log_entry *e = &r->log[i];

		if (e->seq && e->seq <= seq)
			e->executed = e->committed = true;
	}
	r->last_exec = r->last_cexec = seq;
	r->last_time_us = t;
	for (s = r->h + 1; s <= r->h + r->cfg.log_window; s++)
		if (log_find(r, s) && s > r->next_seq)
			r->next_seq = s;
	if (r->next_seq < seq)
		r->next_seq = seq;
	if (seq && !reload_clients(r, seq))
		return BFT_E_SERVICE;
	/* A state exactly at a checkpoint serves it again (the snapshots
	 * died with the process): after a crash of all replicas, those
	 * behind may have no other source. */
	if (seq && seq >= r->h && seq % r->cfg.checkpoint_interval == 0 &&
	    seq <= r->h + r->cfg.log_window) {
		err = r->svc->checkpoint(r->svc->data, seq, d);
		if (err)
			return err;
		if (seq > r->h)
			checkpoint_taken(r, seq, d);
		else if (memcmp(d, r->h_digest, BFT_DIGEST_LEN))
			rlog(r, BFT_LOG_ERROR, "state digest at checkpoint %llu differs from "
			     "its certificate", (unsigned long long)seq);
	}
	/* View 0 needs no NEW-VIEW; for a later one the records say whether it
	 * was installed or the replica was changing to it (then it says so
	 * again: bft_replica_start). */
	if (r->view == 0)
		r->view_active = true;
	rlog(r, BFT_LOG_INFO, "restarted: state at batch %llu, stable checkpoint %llu, "
	     "view %llu (silent in it: votes it sent before may be forgotten)",
	     (unsigned long long)seq, (unsigned long long)r->h, (unsigned long long)r->view);
	return BFT_OK;
}
