/*
 * recv_commit.c — COMMIT (Castro & Liskov, OSDI '99 §4.2).
 *
 * A replica accepts ⟨COMMIT, v, n, D(m), i⟩ if it is authenticated, v is its
 * view and n is between the watermarks. A prepared request with 2f+1
 * matching commits (its own included) is committed-local and may execute
 * once every lower sequence number has (log.c, execute.c).
 */
#include "replica_internal.h"

void recv_commit(struct bft_replica *r)
{
	const struct bft_prepare *p = &r->in.u.prepare;
	uint32_t from = r->in.hdr.sender;

	if (from >= r->cfg.n || from == r->cfg.id)
		return reject(r, "sender is not another replica");
	if (p->view != r->view || !r->view_active)
		return;
	if (!in_window(r, p->seq))
		return;
	if (!verify_auth(r, &r->in))
		return reject(r, "bad authenticator");
	log_vote(r, true);
}
