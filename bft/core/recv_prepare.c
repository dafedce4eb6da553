/*
 * recv_prepare.c — PREPARE (Castro & Liskov, OSDI '99 §4.2).
 *
 * A backup accepts ⟨PREPARE, v, n, d, i⟩ if it is authenticated, v is its
 * view, n is between the watermarks, and i is a backup (the primary never
 * prepares: its pre-prepare stands for it). Matching prepares from 2f
 * backups make the request prepared (log.c).
 */
#include "replica_internal.h"

void recv_prepare(struct bft_replica *r)
{
	const struct bft_prepare *p = &r->in.u.prepare;
	uint32_t from = r->in.hdr.sender;

	if (from >= r->cfg.n || from == r->cfg.id)
		return reject(r, "sender is not another replica");
	if (p->view != r->view || !r->view_active)
		return; /* other views: the view-change protocol's business */
	if (!in_window(r, p->seq))
		return;
	if (from == primary_of(r, p->view))
		return reject(r, "the primary does not send PREPARE");
	if (!verify_auth(r, &r->in))
		return reject(r, "bad authenticator");
	log_vote(r, false);
}
