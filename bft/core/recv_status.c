/*
 * recv_status.c — STATUS and the retransmission it drives (Castro & Liskov,
 * OSDI '99 §5.2; TOCS '02 §5.2 "STATUS messages").
 *
 * Every status period a replica multicasts ⟨STATUS, v, h, le⟩ (le: last
 * batch executed and committed in this view, committed_prefix()). A replica receiving it sends the peer what
 * the peer lacks and it has: for sequence numbers above le, the primary's
 * pre-prepare (relayed verbatim: its authenticator has an entry for every
 * replica), the large request bodies it names, and its own prepare and
 * commit (from the log window and the interval kept below it, log.c); and,
 * in any view, its checkpoint messages when the peer's h is lower. At most
 * one checkpoint interval of log is resent per STATUS (bounded work).
 * A peer in an older view, or changing to ours, gets the view-change state
 * instead: the VIEW-CHANGEs we hold and the NEW-VIEW (view_change.c).
 */
#include <string.h>

#include "bft/le.h"
#include "replica_internal.h"

/* The last seq executed here and committed in the current view, with every
 * lower one: batches a NEW-VIEW re-proposed count only once they commit
 * again in the new view, so peers resend what is needed for that even when
 * this replica executed them in an earlier view. */
static uint64_t committed_prefix(struct bft_replica *r)
{
	uint64_t seq = r->h > r->view_start ? r->h : r->view_start;
	struct log_entry *e;

	while (seq < r->last_cexec && (e = log_find(r, seq + 1)) && e->committed &&
	       e->view == r->view)
		seq++;
	return seq < r->last_cexec ? seq : r->last_cexec;
}

void send_status(struct bft_replica *r)
{
	struct bft_status s = {
		.view = r->view, .stable = r->h, .last_exec = committed_prefix(r),
		.last_prepared = r->last_exec,
		.flags = (r->view_active ? 0 : BFT_STATUS_VIEW_CHANGING) |
			 (r->recovering ? BFT_STATUS_RECOVERING : 0),
	};
	uint8_t *trailer;
	int len;

	if (r->halted)
		return;
	len = bft_encode_status(r->out, BFT_MAX_MSG, r->cfg.n, r->cfg.id, &s, &trailer);
	send_to_replicas(r, r->out, len, trailer);
}

/* A pre-prepare we made ourselves goes out with an authenticator under the
 * current keys (a NEW-KEY may have come since); others' are relayed as
 * they are (what they certify by digest still counts, new_view.c). */
static void resend_pp(struct bft_replica *r, uint32_t to, struct log_entry *e)
{
	uint32_t tlen = bft_msg_trailer_len(BFT_MSG_PRE_PREPARE, r->cfg.n);
	uint32_t sender = e->pp_len >= 8 ? bft_get_le32(e->pp + 4) : UINT32_MAX;

	if (sender != r->cfg.id || e->pp_len < tlen || e->pp_len > BFT_MAX_MSG) {
		r->io->send(r->io->data, to, e->pp, e->pp_len);
		return;
	}
	memcpy(r->out, e->pp, e->pp_len);
	if (bft_keyring_auth(r->kr, r->out, e->pp_len - tlen, r->out + e->pp_len - tlen) ==
	    BFT_OK)
		r->io->send(r->io->data, to, r->out, e->pp_len);
}

static void resend_entry(struct bft_replica *r, uint32_t to, struct log_entry *e)
{
	uint16_t i;

	if (e->pp) /* null requests have no pre-prepare: the NEW-VIEW is theirs */
		resend_pp(r, to, e);
	for (i = 0; i < e->n_entries; i++)
		if (e->bodies[i])
			r->io->send(r->io->data, to, e->bodies[i], e->body_len[i]);
	if (e->sent_prepare)
		send_prepare_to(r, to, BFT_MSG_PREPARE, e);
	if (e->sent_commit)
		send_prepare_to(r, to, BFT_MSG_COMMIT, e);
}

void recv_status(struct bft_replica *r)
{
	const struct bft_status *s = &r->in.u.status;
	uint32_t from = r->in.hdr.sender;
	uint64_t seq, first, last;
	bool changing;
	uint32_t i;

	if (from >= r->cfg.n || from == r->cfg.id)
		return reject(r, "sender is not another replica");
	if (!verify_auth(r, &r->in))
		return reject(r, "bad authenticator");
	if (BUG(r, BFT_BUG_NO_STATUS))
		return;
	/* Checkpoints do not depend on views: a peer in another view (an
	 * equivocation victim that moved on alone) needs them too, to fetch
	 * the state it missed (state_transfer.c). */
	for (i = 0; i < r->n_ckpt; i++) {
		struct ckpt_slot *c = &r->ckpt[i];

		if (c->seq && c->seq > s->stable && c->seq >= r->h && c->own_sent)
			send_checkpoint_msgs(r, from, c);
	}
	changing = s->flags & BFT_STATUS_VIEW_CHANGING;
	if (s->view < r->view || (s->view == r->view && changing))
		send_view_state(r, from, changing);
	if (s->view != r->view || changing || !r->view_active)
		return;
	/* A recovering peer needs checkpoints up to its high-water mark, even
	 * when no client asks for anything (recovery.c). */
	if (s->flags & BFT_STATUS_RECOVERING) {
		r->rec_peer_until[from] = r->io->now_us(r->io->data) +
					  3 * r->cfg.status_ms * 1000;
		if (r->last_exec == r->next_seq)
			primary_pad(r);
		if (!is_primary(r))
			checkpoint_wanted(r, true);
	}
	/* A peer that has not even executed up to our stable checkpoint needs
	 * its state, and maybe a checkpoint someone can still serve. */
	if (s->last_exec < r->h)
		r->lagging |= 1ull << from;
	else if ((r->lagging &= ~(1ull << from)) == 0 && !peer_recovering(r))
		checkpoint_reached(r); /* it caught up: nothing to wait for */
	if (s->last_exec < r->h && r->last_exec == r->next_seq)
		primary_pad(r);
	if (s->last_exec < r->h && !is_primary(r))
		checkpoint_wanted(r, false);
	if (s->last_exec >= r->h + r->cfg.log_window)
		return; /* ahead of us (or lying): nothing to resend */
	first = (s->last_exec > r->h_keep ? s->last_exec : r->h_keep) + 1;
	last = first + r->cfg.checkpoint_interval - 1;
	for (seq = first; seq <= last && seq <= r->h + r->cfg.log_window; seq++) {
		struct log_entry *e = log_find(r, seq);

		if (e && (e->has_pp || e->pp))
			resend_entry(r, from, e);
	}
}
