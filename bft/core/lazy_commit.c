/*
 * lazy_commit.c — COMMITs (Castro & Liskov, OSDI '99 §4.2) sent with the
 * replica's next multicast instead of at once: piggybacked on the next
 * PREPARE or PRE-PREPARE, which tentative execution (§5.1.2) allows because
 * it takes commits off the client's path.
 *
 * With tentative execution a client accepts 2f+1 tentative replies, so a
 * COMMIT matters only for what happens after the reply: the next batch's
 * execution (it waits for this one to commit), non-tentative completion,
 * read-only requests deferred behind tentative state, checkpoints and view
 * changes. Sending each COMMIT as soon as the batch prepares costs n-1
 * datagrams per batch on their own; queued here, they leave in the same
 * transport bundle as the next PREPARE or PRE-PREPARE (the next batch needs
 * them at that moment anyway), or when the commit timer (cfg.commit_delay_ms)
 * fires, or at once when someone waits for them: a read-only request
 * deferred behind tentative state, a client retransmitting for a final
 * reply, a STATUS tick.
 *
 * Safety is untouched: a queued COMMIT is exactly the message the replica
 * decided to send when the batch prepared (its view, sequence number and
 * digest are copied then), delivered later — as the network may always do.
 * A view change that resets the log entry does not change what is queued,
 * and the queue is flushed before the replica leaves a view.
 *
 * Never holds more than LAZY_COMMITS_MAX COMMITs: a full queue is flushed.
 */
#include <string.h>

#include "replica_internal.h"

static void send_commit(struct bft_replica *r, const struct lazy_commit *c)
{
	multicast_vote(r, BFT_MSG_COMMIT, c->view, c->seq, c->digest);
}

void commit_send(struct bft_replica *r, const struct log_entry *e)
{
	struct lazy_commit *c;

	if (r->n_lazy == LAZY_COMMITS_MAX)
		commits_flush(r);
	c = &r->lazy[r->n_lazy];
	c->view = e->view;
	c->seq = e->seq;
	memcpy(c->digest, e->digest, BFT_DIGEST_LEN);
	if (r->cfg.commit_delay_ms == 0) {
		send_commit(r, c);
		return;
	}
	if (r->n_lazy++ == 0)
		r->io->set_timer(r->io->data, BFT_TIMER_COMMIT, r->cfg.commit_delay_ms);
}

/* Commits of a view the replica has left are not sent: it never starts
 * voting in such a view (the view changes flush the queue first, so none
 * is left behind in the normal course). */
void commits_flush(struct bft_replica *r)
{
	uint32_t i, n = r->n_lazy;

	if (n == 0)
		return;
	r->n_lazy = 0;
	r->io->set_timer(r->io->data, BFT_TIMER_COMMIT, 0);
	for (i = 0; i < n; i++)
		if (r->lazy[i].view == r->view)
			send_commit(r, &r->lazy[i]);
}
