/*
 * recv_view_change.c — VIEW-CHANGE (Castro & Liskov, OSDI '99 §4.4; P and Q
 * sets of TOCS '02 §4.5).
 *
 * Accepts a signed ⟨VIEW-CHANGE, v, n, C, P, Q⟩ for a view at least ours
 * and newer than the sender's last one, after checking its checkpoint proof
 * (2f+1 distinct valid CHECKPOINT signatures, unless n = 0) and that P and Q
 * only name sequence numbers in (n, n + L] and views below v, with at most
 * one P entry per sequence number. Then: join higher views (f+1 rule), and
 * at the new primary try to decide the NEW-VIEW.
 */
#include <string.h>

#include "replica_internal.h"

static bool entries_ok(const struct bft_replica *r, const struct bft_view_change *vc,
		       bool p)
{
	unsigned count = p ? vc->n_p : vc->n_q, i, k;
	struct bft_vc_entry e, x;

	for (i = 0; i < count; i++) {
		(p ? bft_vc_p : bft_vc_q)(vc, i, &e);
		if (e.seq <= vc->stable_seq || e.seq > vc->stable_seq + r->cfg.log_window ||
		    e.view >= vc->new_view)
			return false;
		for (k = 0; p && k < i; k++) {
			bft_vc_p(vc, k, &x);
			if (x.seq == e.seq)
				return false;
		}
	}
	return true;
}

bool verify_view_change(struct bft_replica *r, const struct bft_msg *m)
{
	const struct bft_view_change *vc = &m->u.view_change;
	struct bft_checkpoint c = { .seq = vc->stable_seq };
	uint64_t seen = 0;
	uint8_t *trailer;
	unsigned i;
	int len;

	/* No correct replica reaches a checkpoint whose window would not fit in
	 * 64 bits (found by the replica fuzzer: the decision loops wrapped). */
	if (vc->stable_seq > UINT64_MAX - 2 * (uint64_t)r->cfg.log_window)
		return false;
	if (vc->stable_seq % r->cfg.checkpoint_interval || !entries_ok(r, vc, true) ||
	    !entries_ok(r, vc, false))
		return false;
	if (vc->stable_seq == 0)
		return true;
	if (vc->n_cp < r->quorum)
		return false;
	memcpy(c.digest, vc->stable_digest, BFT_DIGEST_LEN);
	for (i = 0; i < vc->n_cp; i++) {
		uint32_t who;
		const uint8_t *sig;

		bft_vc_cp(vc, i, &who, &sig);
		if (who >= r->cfg.n || (seen >> who & 1))
			return false;
		seen |= 1ull << who;
		len = bft_encode_checkpoint(r->out, BFT_MAX_MSG, who, &c, &trailer);
		if (len < 0 || bft_keyring_verify(r->kr, who, r->out, (size_t)(trailer - r->out),
						  sig) != BFT_OK)
			return false;
	}
	return true;
}

void recv_view_change(struct bft_replica *r)
{
	const struct bft_view_change *vc = &r->in.u.view_change;
	uint32_t from = r->in.hdr.sender;
	struct vc_slot *s;

	if (from >= r->cfg.n)
		return reject(r, "sender is not a replica");
	s = &r->vcs[from];
	if (from == r->cfg.id) {
		/* Our own, relayed back: a restart that lost the log (or a
		 * recovery) lost it, and a held NEW-VIEW names it. */
		if (!r->pending_nv.raw || r->pending_nv.view != vc->new_view)
			return;
		s = &r->nv_cand[from];
	} else if (s->raw && s->view >= vc->new_view) {
		/* Older than what we hold: only useful to a held NEW-VIEW. */
		if (!r->pending_nv.raw || r->pending_nv.view != vc->new_view)
			return;
		s = &r->nv_cand[from];
	}
	if (vc->new_view < r->view && s == &r->vcs[from])
		return;
	if (!verify_sig(r, &r->in))
		return reject(r, "bad signature");
	if (!verify_view_change(r, &r->in))
		return reject(r, "invalid checkpoint proof or P/Q sets");
	if (!vc_slot_store(s, r->in.raw, r->in.hdr.length, vc->new_view))
		return;
	check_join(r);
	arm_new_view_timer(r);
	if (!r->view_active && primary_of(r, r->view) == r->cfg.id)
		try_new_view(r);
	retry_pending_new_view(r);
}
