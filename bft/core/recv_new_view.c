/*
 * recv_new_view.c — NEW-VIEW (Castro & Liskov, OSDI '99 §4.4).
 *
 * Accepts a signed NEW-VIEW from the primary of its view when that view is
 * ours (and not yet installed) or higher. It is held until every
 * VIEW-CHANGE it names is held too (STATUS retransmission fetches them), then
 * verified by recomputing its choices (new_view.c) and installed.
 */
#include "replica_internal.h"

void recv_new_view(struct bft_replica *r)
{
	const struct bft_new_view *nv = &r->in.u.new_view;

	if (r->in.hdr.sender != primary_of(r, nv->view))
		return reject(r, "sender is not the primary of that view");
	if (nv->view < r->view || (nv->view == r->view && r->view_active))
		return;
	if (!verify_sig(r, &r->in))
		return reject(r, "bad signature");
	if (!vc_slot_store(&r->pending_nv, r->in.raw, r->in.hdr.length, nv->view))
		return;
	retry_pending_new_view(r);
}
