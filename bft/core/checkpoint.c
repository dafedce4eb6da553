/*
 * checkpoint.c — checkpoints, stability and garbage collection (Castro &
 * Liskov, OSDI '99 §4.3).
 *
 * Every K sequence numbers a replica takes the digest of its state and, once
 * that batch has committed, multicasts a signed ⟨CHECKPOINT, n, d, i⟩. 2f+1
 * matching CHECKPOINTs (its own among them) make the checkpoint stable: the
 * low watermark h moves to n and the log at or below n is discarded. The
 * signed messages are kept as the checkpoint's proof for view changes.
 *
 * A replica whose own digest disagrees with 2f+1 others, or that has not
 * reached a checkpoint 2f+1 others certify (also one beyond its window:
 * the `far` slots), hands the certificate to state transfer
 * (state_transfer.c), which fetches the state when the log cannot catch
 * the replica up.
 */
#include <string.h>

#include "replica_internal.h"

struct ckpt_slot *ckpt_get(struct bft_replica *r, uint64_t seq, bool create)
{
	struct ckpt_slot *s;

	if (seq % r->cfg.checkpoint_interval || seq < r->h ||
	    seq > r->h + r->cfg.log_window)
		return NULL;
	s = &r->ckpt[(seq / r->cfg.checkpoint_interval) % r->n_ckpt];
	if (s->seq == seq)
		return s;
	if (!create)
		return NULL;
	s->seq = seq;
	s->have = 0;
	s->own_valid = s->own_sent = false;
	return s;
}

/* Encode and send replica j's CHECKPOINT for slot s to `to` (or to every
 * replica if to == BFT_REPLIER_ALL). The signed bytes are a pure function of
 * (j, seq, digest), so a stored signature re-creates the message exactly. */
static void send_one(struct bft_replica *r, uint32_t to, struct ckpt_slot *s, uint32_t j)
{
	struct bft_checkpoint c = { .seq = s->seq };
	uint8_t *trailer;
	uint32_t k;
	int len;

	memcpy(c.digest, s->digest[j], BFT_DIGEST_LEN);
	len = bft_encode_checkpoint(r->out, BFT_MAX_MSG, j, &c, &trailer);
	if (len < 0)
		return;
	memcpy(trailer, s->sig[j], BFT_SIG_LEN);
	for (k = 0; k < r->cfg.n; k++)
		if (k != r->cfg.id && (to == BFT_REPLIER_ALL || to == k))
			r->io->send(r->io->data, k, r->out, (size_t)len);
}

void send_checkpoint_msgs(struct bft_replica *r, uint32_t to, struct ckpt_slot *s)
{
	uint32_t j;

	/* The peer's own signature too: after a restart it no longer knows
	 * what it signed, and may need it for 2f+1 (recv_checkpoint.c). */
	for (j = 0; j < r->cfg.n; j++)
		if (s->have >> j & 1)
			send_one(r, to, s, j);
}

void checkpoint_taken(struct bft_replica *r, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	struct ckpt_slot *s = ckpt_get(r, seq, true);

	if (!s)
		return;
	memcpy(s->own, d, BFT_DIGEST_LEN);
	s->own_valid = true;
	checkpoint_reached(r);
}

void checkpoint_committed(struct bft_replica *r, uint64_t seq)
{
	struct ckpt_slot *s = ckpt_get(r, seq, false);
	uint32_t me = r->cfg.id;
	struct bft_checkpoint c = { .seq = seq };
	uint8_t *trailer;
	int len;

	if (!s || !s->own_valid || s->own_sent)
		return;
	memcpy(c.digest, s->own, BFT_DIGEST_LEN);
	len = bft_encode_checkpoint(r->out, BFT_MAX_MSG, me, &c, &trailer);
	if (len < 0 || bft_keyring_sign(r->kr, r->out, (size_t)(trailer - r->out),
					trailer) != BFT_OK) {
		rlog(r, BFT_LOG_ERROR, "cannot sign checkpoint %llu", (unsigned long long)seq);
		return;
	}
	s->own_sent = true;
	s->have |= 1ull << me;
	memcpy(s->digest[me], s->own, BFT_DIGEST_LEN);
	memcpy(s->sig[me], trailer, BFT_SIG_LEN);
	send_one(r, BFT_REPLIER_ALL, s, me);
	checkpoint_check_stable(r, s);
}

void ckpt_copy_matching(const struct bft_replica *r, struct ckpt_slot *dst,
			const struct ckpt_slot *s, const uint8_t *d)
{
	uint32_t j;

	dst->seq = s->seq;
	dst->have = 0;
	for (j = 0; j < r->cfg.n; j++) {
		if (!(s->have >> j & 1) || memcmp(s->digest[j], d, BFT_DIGEST_LEN))
			continue;
		dst->have |= 1ull << j;
		memcpy(dst->digest[j], d, BFT_DIGEST_LEN);
		memcpy(dst->sig[j], s->sig[j], BFT_SIG_LEN);
	}
}

/* How many replicas sent digest d for slot s. */
static uint32_t matching(const struct bft_replica *r, const struct ckpt_slot *s,
			 const uint8_t *d)
{
	uint32_t j, c = 0;

	for (j = 0; j < r->cfg.n; j++)
		if ((s->have >> j & 1) && memcmp(s->digest[j], d, BFT_DIGEST_LEN) == 0)
			c++;
	return c;
}

static void make_stable(struct bft_replica *r, struct ckpt_slot *s)
{
	uint32_t i;
	uint64_t k = r->cfg.checkpoint_interval;

	r->h_keep = r->h > s->seq - k ? r->h : s->seq - k;
	r->h = s->seq;
	memcpy(r->h_digest, s->own, BFT_DIGEST_LEN);
	log_truncate(r, r->h_keep);
	for (i = 0; i < r->n_ckpt; i++)
		if (r->ckpt[i].seq < r->h)
			r->ckpt[i].seq = 0;
	if (r->svc->snapshot_release)
		r->svc->snapshot_release(r->svc->data, r->h);
	persist_stable(r, s);
	rlog(r, BFT_LOG_DEBUG, "checkpoint %llu stable", (unsigned long long)r->h);
	rtrace(r, BFT_TRACE_STABLE, r->h, r->h_digest, false);
}

/* 2f+1 replicas certify checkpoint src->seq (digest d), which this replica
 * executed past without a digest of its own: a restart lost it (persist.c).
 * Trust the certificate and make it stable, so the window moves on. */
void window_jump(struct bft_replica *r, uint64_t seq)
{
	log_truncate(r, seq);
	for (uint32_t i = 0; i < r->n_ckpt; i++)
		if (r->ckpt[i].seq < seq)
			r->ckpt[i].seq = 0;
	r->h = r->h_keep = seq;
}

void stable_without_own(struct bft_replica *r, struct ckpt_slot *src, const uint8_t *d)
{
	uint64_t seq = src->seq;
	struct ckpt_slot *s;

	if (seq > r->h + r->cfg.log_window)
		window_jump(r, seq);
	s = ckpt_get(r, seq, true);
	if (!s)
		return;
	if (s != src)
		ckpt_copy_matching(r, s, src, d);
	memcpy(s->own, d, BFT_DIGEST_LEN);
	s->own_valid = true;
	rlog(r, BFT_LOG_INFO, "checkpoint %llu certified by 2f+1 replicas; state executed "
	     "past it since a restart", (unsigned long long)seq);
	make_stable(r, s);
	primary_try_batch(r);
}

/* A CHECKPOINT beyond h + L (already verified): kept in the far slots, the
 * lowest replaced by a higher one, so a lagging replica hears of the
 * checkpoints the others hold (they resend theirs on our STATUS). */
void checkpoint_far(struct bft_replica *r, uint32_t from, const struct bft_checkpoint *c,
		    const uint8_t *sig)
{
	struct ckpt_slot *s = NULL, *low = NULL;
	uint32_t i;

	for (i = 0; i < r->n_ckpt && !s; i++) {
		if (r->far[i].seq == c->seq)
			s = &r->far[i];
		else if (!low || r->far[i].seq < low->seq)
			low = &r->far[i];
	}
	if (!s) {
		if (low->seq > c->seq)
			return;
		s = low;
		s->seq = c->seq;
		s->have = 0;
	}
	s->have |= 1ull << from;
	memcpy(s->digest[from], c->digest, BFT_DIGEST_LEN);
	memcpy(s->sig[from], sig, BFT_SIG_LEN);
	if (matching(r, s, c->digest) < r->quorum)
		return;
	if (s->seq <= r->last_cexec && !r->st.active)
		stable_without_own(r, s, c->digest);
	else
		st_certified(r, s, c->digest);
}

void checkpoint_check_stable(struct bft_replica *r, struct ckpt_slot *s)
{
	uint32_t j;

	if (s->seq <= r->h)
		return;
	if (s->own_sent && matching(r, s, s->own) >= r->quorum) {
		make_stable(r, s);
		recovery_verified(r, s->seq);
		primary_try_batch(r);
		return;
	}
	for (j = 0; j < r->cfg.n; j++) {
		if (!(s->have >> j & 1) || matching(r, s, s->digest[j]) < r->quorum)
			continue;
		if (s->own_valid && memcmp(s->own, s->digest[j], BFT_DIGEST_LEN) != 0) {
			rlog(r, BFT_LOG_ERROR, "state digest at checkpoint %llu differs from "
			     "2f+1 replicas: local state is corrupt",
			     (unsigned long long)s->seq);
			st_certified(r, s, s->digest[j]);
			st_corrupt(r);
		} else if (r->last_cexec < s->seq) {
			st_certified(r, s, s->digest[j]);
		} else if (!s->own_valid && !r->st.active) {
			stable_without_own(r, s, s->digest[j]);
		}
		return;
	}
}
