/*
 * log.c — the replica's message log and the prepared / committed predicates.
 *
 * Castro & Liskov, OSDI '99 §4.2: prepared(m, v, n, i) holds when the log
 * has the pre-prepare and 2f matching prepares from different backups;
 * committed-local(m, v, n, i) when it is prepared and has 2f+1 matching
 * commits (its own included). §4.3: only sequence numbers between the low
 * watermark h and h + L are accepted. The interval below h (at most K
 * sequence numbers) stays for retransmission only: a replica that is a few
 * batches behind when the others garbage-collect — typically the primary,
 * which the others do not wait for — still gets the commits it lacks.
 *
 * Never grows: the log is a ring of L + K preallocated slots.
 */
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

bool in_window(const struct bft_replica *r, uint64_t seq)
{
	return seq > r->h && seq <= r->h + r->cfg.log_window;
}

struct log_entry *log_get(struct bft_replica *r, uint64_t seq)
{
	struct log_entry *e;

	if (!in_window(r, seq))
		return NULL;
	e = &r->log[seq % r->log_slots];
	if (e->seq != seq) {
		log_clear(r, e);
		e->seq = seq;
		e->view = r->view;
	}
	return e;
}

struct log_entry *log_find(struct bft_replica *r, uint64_t seq)
{
	struct log_entry *e;

	if (seq <= r->h_keep || seq > r->h + r->cfg.log_window)
		return NULL;
	e = &r->log[seq % r->log_slots];
	return e->seq == seq ? e : NULL;
}

void log_clear(struct bft_replica *r, struct log_entry *e)
{
	uint8_t (*pd)[BFT_DIGEST_LEN] = e->prep_digest;
	uint8_t (*cd)[BFT_DIGEST_LEN] = e->commit_digest;
	uint16_t i;

	if (e->n_missing)
		r->n_awaiting--;
	free(e->pp);
	if (e->bodies)
		for (i = 0; i < e->n_entries; i++)
			free(e->bodies[i]);
	free(e->bodies);
	free(e->body_len);
	memset(e, 0, sizeof(*e));
	e->prep_digest = pd;
	e->commit_digest = cd;
}

/* Garbage-collect every entry at or below upto (§4.3). */
void log_truncate(struct bft_replica *r, uint64_t upto)
{
	uint32_t i;

	for (i = 0; i < r->log_slots; i++)
		if (r->log[i].seq != 0 && r->log[i].seq <= upto)
			log_clear(r, &r->log[i]);
}

static uint32_t count_votes(const struct bft_replica *r, uint64_t have,
			    uint8_t (*digests)[BFT_DIGEST_LEN], const uint8_t *d,
			    uint32_t skip)
{
	uint32_t j, c = 0;

	for (j = 0; j < r->cfg.n; j++)
		if (j != skip && (have >> j & 1) &&
		    memcmp(digests[j], d, BFT_DIGEST_LEN) == 0)
			c++;
	return c;
}

static bool prepared(const struct bft_replica *r, const struct log_entry *e)
{
	uint32_t need = 2 * r->cfg.f;

	if (!e->has_pp || e->n_missing)
		return false;
	if (BUG(r, BFT_BUG_WEAK_QUORUMS))
		need = 0;
	return count_votes(r, e->prep_have, e->prep_digest, e->digest,
			   primary_of(r, e->view)) >= need;
}

static bool committed(const struct bft_replica *r, const struct log_entry *e)
{
	uint32_t need = r->quorum;

	if (BUG(r, BFT_BUG_WEAK_QUORUMS))
		need = r->cfg.f + 1;
	return e->prepared &&
	       count_votes(r, e->commit_have, e->commit_digest, e->digest,
			   BFT_MAX_REPLICAS) >= need;
}

/* Re-evaluate e after a message changed it: send COMMIT when it becomes
 * prepared, execute when it (or its tentative predecessor) can run. */
void log_update_state(struct bft_replica *r, struct log_entry *e)
{
	if (!e->prepared && prepared(r, e)) {
		if (!persist_prepared(r, e))
			return; /* halted: no COMMIT without the record */
		e->prepared = true;
		e->p_valid = true;
		rlog(r, BFT_LOG_DEBUG, "seq %llu prepared", (unsigned long long)e->seq);
		e->p_view = e->view;
		memcpy(e->p_digest, e->digest, BFT_DIGEST_LEN);
	}
	/* A recovering replica votes only above its high-water mark. */
	if (e->prepared && !e->sent_commit && !rec_muted(r, e->seq)) {
		e->sent_commit = true;
		e->commit_have |= 1ull << r->cfg.id;
		memcpy(e->commit_digest[r->cfg.id], e->digest, BFT_DIGEST_LEN);
		commit_send(r, e);
	}
	if (e->prepared && !e->committed && committed(r, e)) {
		e->committed = true;
		rlog(r, BFT_LOG_DEBUG, "seq %llu committed", (unsigned long long)e->seq);
		rtrace(r, BFT_TRACE_COMMITTED, e->seq, e->digest, false);
	}
	if (e->prepared)
		try_execute(r);
}

void log_vote(struct bft_replica *r, bool commit)
{
	const struct bft_prepare *p = &r->in.u.prepare;
	uint32_t from = r->in.hdr.sender;
	struct log_entry *e = log_get(r, p->seq);

	if (!e)
		return;
	if (e->view != p->view) {
		if (e->has_pp)
			return; /* votes for another view's pre-prepare */
		e->view = p->view;
		e->prep_have = e->commit_have = 0;
	}
	if (commit) {
		e->commit_have |= 1ull << from;
		memcpy(e->commit_digest[from], p->digest, BFT_DIGEST_LEN);
	} else {
		e->prep_have |= 1ull << from;
		memcpy(e->prep_digest[from], p->digest, BFT_DIGEST_LEN);
	}
	/* f+1 others voted for this batch: one of them is correct and checked
	 * its requests' authenticators, which may no longer verify here (a
	 * NEW-KEY came in between). */
	if (e->n_missing && e->has_pp && !e->vouched &&
	    count_votes(r, (commit ? e->commit_have : e->prep_have) & ~(1ull << r->cfg.id),
			commit ? e->commit_digest : e->prep_digest, e->digest,
			BFT_MAX_REPLICAS) > r->cfg.f)
		vouch(r, e);
	log_update_state(r, e);
}
