/*
 * recovery.c — the recovering replica of proactive recovery (Castro &
 * Liskov, TOCS '02 §4.3.2; OSDI '99 §4.6), and the QUERY-STABLE /
 * REPLY-STABLE exchange every replica answers.
 *
 * A replica is started recovering (cfg.recovering) after a reboot from
 * clean code: its runtime threw the protocol log away and rebuilt the
 * service's digests from the data, since a compromised replica may have
 * written either. It counts as faulty until recovered, so at most f
 * recover at once (bfsctl enforces it). Here:
 *
 *   1. Fresh keys, with BFT_NK_RECOVERY (new_key.c): no grace for the old.
 *   2. The high-water mark H: QUERY-STABLE to all, until 2f+1 other
 *      replicas answer REPLY-STABLE with the highest checkpoint they have
 *      executed to. Before the reboot this replica could only have voted
 *      for sequence numbers up to its stable checkpoint then plus L, and
 *      that checkpoint was certified by 2f+1 replicas, at least f+1 of them
 *      correct, of which one is among any 2f+1 that answer: so
 *      H = (highest answered checkpoint) + L bounds every vote it may have
 *      sent and forgotten. (A faulty replica answering too high only
 *      delays the end of recovery.)
 *   3. Until H is known, and then for every seq <= H, it sends no
 *      PRE-PREPARE, PREPARE or COMMIT: it cannot contradict forgotten
 *      votes. It executes, checkpoints, and fetches state as usual.
 *   4. It is recovered once a checkpoint at or above H is stable with its
 *      own state matching the certificate: its own digest (computed from
 *      rebuilt digests) among the 2f+1, or the state installed by a state
 *      transfer of that checkpoint. A corrupt state shows as a mismatch at
 *      the first checkpoint and is repaired by fetching what differs
 *      (state_transfer.c). From then on every vote it sends is for
 *      seq > H, above anything it may have forgotten.
 */
#include <string.h>

#include "replica_internal.h"

bool rec_muted(const struct bft_replica *r, uint64_t seq)
{
	return r->recovering && (!r->rec_h_known || seq <= r->rec_h);
}

static void send_query(struct bft_replica *r)
{
	struct bft_query_stable q = { .nonce = r->rec_nonce };
	uint8_t *trailer;
	int len;

	len = bft_encode_query_stable(r->out, BFT_MAX_MSG, r->cfg.n, r->cfg.id, &q, &trailer);
	send_to_replicas(r, r->out, len, trailer);
}

void recovery_start(struct bft_replica *r)
{
	if (!r->cfg.recovering)
		return;
	r->recovering = true;
	r->rec_start_us = r->io->now_us(r->io->data);
	r->rec_nonce = r->rec_start_us ^ ((uint64_t)r->cfg.id << 56);
	rlog(r, BFT_LOG_INFO, "recovering: state at batch %llu, asking for the high-water mark",
	     (unsigned long long)r->last_exec);
	send_query(r);
	if (BUG(r, BFT_BUG_RECOVER_EARLY)) {
		r->recovering = false;
		rtrace(r, BFT_TRACE_RECOVERED, r->last_exec, NULL, false);
	}
}

void recovery_tick(struct bft_replica *r)
{
	if (r->recovering && !r->rec_h_known)
		send_query(r);
}

void recv_query_stable(struct bft_replica *r)
{
	struct bft_reply_stable rs = { .nonce = r->in.u.query_stable.nonce };
	uint32_t from = r->in.hdr.sender;
	uint64_t k = r->cfg.checkpoint_interval;
	uint8_t *trailer;
	int len;

	if (from >= r->cfg.n || from == r->cfg.id)
		return reject(r, "QUERY-STABLE from a non-replica");
	if (!verify_auth(r, &r->in))
		return reject(r, "QUERY-STABLE: bad authenticator");
	rs.last_checkpoint = r->last_cexec / k * k;
	if (rs.last_checkpoint < r->h)
		rs.last_checkpoint = r->h;
	rs.last_prepared = r->last_exec;
	for (uint64_t s = r->h + 1; s <= r->h + r->cfg.log_window; s++) {
		struct log_entry *e = log_find(r, s);

		if (e && e->prepared && s > rs.last_prepared)
			rs.last_prepared = s;
	}
	len = bft_encode_reply_stable(r->out, BFT_MAX_MSG, r->cfg.id, &rs, &trailer);
	if (len < 0 || bft_keyring_mac(r->kr, from, r->out, (size_t)(trailer - r->out),
				       trailer) != BFT_OK)
		return;
	r->io->send(r->io->data, from, r->out, (size_t)len);
}

/* H is known: vote on what arrived for sequence numbers above it. */
static void unmute_above(struct bft_replica *r)
{
	for (uint64_t s = r->h + 1; s <= r->h + r->cfg.log_window; s++) {
		struct log_entry *e = log_find(r, s);

		if (e && s > r->rec_h && e->has_pp && !e->n_missing)
			pp_ready(r, e);
	}
	primary_try_batch(r);
}

void recv_reply_stable(struct bft_replica *r)
{
	const struct bft_reply_stable *rs = &r->in.u.reply_stable;
	uint32_t from = r->in.hdr.sender;

	if (from >= r->cfg.n || from == r->cfg.id)
		return reject(r, "REPLY-STABLE from a non-replica");
	if (!r->recovering || r->rec_h_known || rs->nonce != r->rec_nonce ||
	    (r->rec_replied >> from & 1))
		return; /* not asked, or already counted */
	if (!verify_mac(r, &r->in))
		return reject(r, "REPLY-STABLE: bad MAC");
	r->rec_replied |= 1ull << from;
	if (rs->last_checkpoint > r->rec_max_ckpt)
		r->rec_max_ckpt = rs->last_checkpoint;
	if ((uint32_t)__builtin_popcountll(r->rec_replied) < r->quorum)
		return;
	r->rec_h = r->rec_max_ckpt > UINT64_MAX - r->cfg.log_window
			   ? UINT64_MAX : r->rec_max_ckpt + r->cfg.log_window;
	r->rec_h_known = true;
	rlog(r, BFT_LOG_INFO, "recovering: high-water mark %llu; silent up to it, recovered "
	     "at the first stable checkpoint above it", (unsigned long long)r->rec_h);
	unmute_above(r);
}

void recovery_verified(struct bft_replica *r, uint64_t seq)
{
	if (!r->recovering || !r->rec_h_known || seq < r->rec_h)
		return;
	r->recovering = false;
	rlog(r, BFT_LOG_INFO, "recovered: state verified at stable checkpoint %llu, %llu ms "
	     "after recovery began", (unsigned long long)seq,
	     (unsigned long long)((r->io->now_us(r->io->data) - r->rec_start_us) / 1000));
	rtrace(r, BFT_TRACE_RECOVERED, seq, r->h_digest, false);
}
