/*
 * recv_checkpoint.c — CHECKPOINT (Castro & Liskov, OSDI '99 §4.3).
 *
 * Accepts a signed ⟨CHECKPOINT, n, d, j⟩ for a checkpoint sequence number
 * between the watermarks, keeps the last one per replica and slot, and
 * checks whether the checkpoint became stable (checkpoint.c). One beyond
 * the high watermark goes to the far slots: 2f+1 of them certify a state
 * this replica must fetch (state_transfer.c). Peers relay a replica's own
 * earlier signatures back to it, which a restarted replica needs when
 * only 2f+1 replicas, itself included, signed the others' checkpoint. A
 * checkpoint whose window would not fit in 64 bits is rejected: no correct
 * replica reaches it.
 */
#include <string.h>

#include "replica_internal.h"

void recv_checkpoint(struct bft_replica *r)
{
	const struct bft_checkpoint *c = &r->in.u.checkpoint;
	uint32_t from = r->in.hdr.sender;
	struct ckpt_slot *s;

	if (from >= r->cfg.n)
		return reject(r, "sender is not a replica");
	/* Our own signature relayed back: what we signed before a restart
	 * still counts for a certificate, but never over what we know now. */
	if (from == r->cfg.id && c->seq <= r->last_cexec)
		return;
	if (c->seq % r->cfg.checkpoint_interval)
		return reject(r, "not a checkpoint sequence number");
	if (c->seq > UINT64_MAX - 2 * (uint64_t)r->cfg.log_window)
		return reject(r, "sequence number too close to 2^64"); /* as VIEW-CHANGE */
	if (c->seq <= r->h || (c->seq > r->h + r->cfg.log_window && c->seq <= r->cert.seq))
		return;
	if (!verify_sig(r, &r->in))
		return reject(r, "bad signature");
	if (c->seq > r->h + r->cfg.log_window)
		return checkpoint_far(r, from, c, r->in.trailer);
	s = ckpt_get(r, c->seq, true);
	s->have |= 1ull << from;
	memcpy(s->digest[from], c->digest, BFT_DIGEST_LEN);
	memcpy(s->sig[from], r->in.trailer, BFT_SIG_LEN);
	checkpoint_check_stable(r, s);
}
