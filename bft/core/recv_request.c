/*
 * recv_request.c — REQUEST from a client (Castro & Liskov, OSDI '99 §4.1,
 * §5.1.3 read-only requests, and large requests sent to every replica).
 *
 * A request with the client's last timestamp gets the cached reply again; an
 * older one is dropped; a read-only one is executed at once (execute.c); a
 * new read-write one is queued for a batch at the primary. Large requests
 * are held by every replica so pre-prepares can name them by digest. A
 * backup forwards a new request to the primary and starts its view-change
 * timer for it (§4.4, view_change.c).
 */
#include "replica_internal.h"

void recv_request(struct bft_replica *r)
{
	const struct bft_request *q = &r->in.u.request;
	uint32_t node = r->in.hdr.sender;
	struct client_rec *c = client_get(r, node);
	uint8_t digest[BFT_DIGEST_LEN];

	if (!c)
		return reject(r, "sender is not a configured client");
	if (q->timestamp == 0)
		return reject(r, "timestamp 0 is reserved");
	if (!verify_auth(r, &r->in)) {
		/* A body relayed after a NEW-KEY: good for a batch others
		 * vouch for, if its digest is the one the batch names. */
		if (r->n_awaiting) {
			bft_request_digest(node, q->timestamp, r->in.hdr.flags, q->op,
					   q->op_len, digest);
			body_arrived(r, node, r->in.raw, r->in.hdr.length, q->timestamp,
				     digest, true);
		}
		return reject(r, "bad authenticator");
	}
	if (r->in.hdr.flags & BFT_REQ_READ_ONLY)
		return execute_read_only(r, node, &r->in);
	if (q->timestamp < c->last_ts && !BUG(r, BFT_BUG_REEXECUTE))
		return; /* old: the client has moved on */
	if (q->timestamp == c->last_ts && !BUG(r, BFT_BUG_REEXECUTE)) {
		send_cached_reply(r, node, q->replier == BFT_REPLIER_ALL ||
				  q->replier == r->cfg.id);
		if (c->reply_tentative)
			commits_flush(r); /* the client waits for a final reply */
		if (c->reply_tentative && !is_primary(r))
			request_waiting(r, c, q->timestamp); /* until it commits */
		return;
	}
	bft_request_digest(node, q->timestamp, r->in.hdr.flags, q->op, q->op_len, digest);
	if (q->op_len > r->cfg.big_request)
		held_store(c, r->in.raw, r->in.hdr.length, q->timestamp, digest);
	body_arrived(r, node, r->in.raw, r->in.hdr.length, q->timestamp, digest, false);
	if (is_primary(r) && r->view_active) {
		primary_enqueue(r, node, r->in.raw, r->in.hdr.length, q->timestamp);
		return;
	}
	/* A backup keeps the newest request (it may become primary), passes
	 * it to the primary, and times it (§4.4: a primary that does not
	 * order it is replaced). A large request's first transmission went
	 * to every replica, the primary included: only a retransmission
	 * (replier ALL) is passed on. */
	if (q->timestamp > c->pending_ts &&
	    buf_store(&c->pending, &c->pending_cap, &c->pending_len, r->in.raw,
		      r->in.hdr.length))
		c->pending_ts = q->timestamp;
	if (r->view_active && (q->op_len <= r->cfg.big_request ||
			       q->replier == BFT_REPLIER_ALL))
		r->io->send(r->io->data, primary_of(r, r->view), r->in.raw, r->in.hdr.length);
	request_waiting(r, c, q->timestamp);
}
