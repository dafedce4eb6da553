/*
 * sim_check.c — the simulation's invariant checks (the safety and liveness
 * properties of Castro & Liskov, OSDI '99 §4.5).
 *
 *  1. Agreement: no two correct replicas commit (or execute) different
 *     batches at the same sequence number.
 *  2. State: all correct replicas that executed up to seq n have equal state
 *     digests at n; they executed the same requests with the same results.
 *  3. Linearizability: every result a client accepted is the result of its
 *     request in the one history the correct replicas executed; no request
 *     executes twice; a request that completed before another was submitted
 *     precedes it; a read-only result is the value of its key at some point
 *     between the read's submission and completion.
 *  4. Liveness (sim_cluster.c): with at most f faulty replicas, every request
 *     completes once the network heals.
 *
 * Agreement and state are checked at the event that can break them, i.e.
 * after every step; client results at the end of the run, because a result
 * accepted on 2f+1 tentative replies commits only later. The service reports
 * executions only once their batch committed (sim_service.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define POS(seq, idx) ((int64_t)(seq) * 128 + (int64_t)(idx))

struct seq_info {
	uint32_t owner;      /* first correct replica that executed it, +1 */
	size_t first;        /* its first history entry */
	uint32_t count;
};


bool node_correct(const struct sim *s, uint32_t node)
{
	/* A replica that crashes and restarts from a synced disk is not
	 * faulty: it must agree with the others in everything it does. One
	 * rebooted to recover is faulty until it says it has recovered. */
	return node < s->n && !s->nodes[node].recovering &&
	       (s->nodes[node].fault == FAULT_NONE ||
		s->nodes[node].fault == FAULT_CRASH_RESTART);
}

void violation(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->violated)
		return;
	s->violated = true;
	va_start(ap, fmt);
	vsnprintf(s->violation, sizeof(s->violation), fmt, ap);
	va_end(ap);
}

void check_seq_room(struct sim *s, uint64_t seq)
{
	size_t old = s->seq_cap, cap;

	if (seq < s->seq_cap)
		return;
	cap = s->seq_cap ? s->seq_cap : 1024;
	while (cap <= seq)
		cap *= 2;
#define GROW(p) do { void *q = realloc((p), cap * sizeof(*(p))); if (!q) abort(); \
		     (p) = q; memset((p) + old, 0, (cap - old) * sizeof(*(p))); } while (0)
	GROW(s->commit_digest); GROW(s->commit_known);
	GROW(s->exec_digest); GROW(s->exec_known);
	GROW(s->state_digest); GROW(s->state_known);
	GROW(s->eq_real); GROW(s->eq_fake);
	GROW(s->seq_info);
#undef GROW
	s->seq_cap = cap;
}

void check_init(struct sim *s)
{
	uint32_t i;

	s->seq_cap = 0;
	s->seq_info = NULL;
	check_seq_room(s, 1);
	s->by_client = calloc(s->n_clients, sizeof(*s->by_client));
	s->by_client_cap = calloc(s->n_clients, sizeof(*s->by_client_cap));
	if (!s->by_client || !s->by_client_cap)
		abort();
	for (i = 0; i < s->n_clients; i++)
		s->by_client[i] = NULL;
}

void check_free(struct sim *s)
{
	uint32_t i;

	for (i = 0; i < s->n_clients; i++)
		free(s->by_client[i]);
	free(s->by_client);
	free(s->by_client_cap);
	free(s->seq_info);
	free(s->commit_digest); free(s->commit_known);
	free(s->exec_digest); free(s->exec_known);
	free(s->state_digest); free(s->state_known);
	free(s->eq_real); free(s->eq_fake);
	free(s->hist);
	free(s->ops);
	s->seq_cap = 0;
}

/* Record digest d for seq in (digests, known) or compare with the first. */
static bool agree(struct sim *s, uint8_t (*digests)[BFT_DIGEST_LEN], bool *known,
		  uint64_t seq, const uint8_t *d)
{
	check_seq_room(s, seq);
	if (!known[seq]) {
		known[seq] = true;
		memcpy(digests[seq], d, BFT_DIGEST_LEN);
		return true;
	}
	return memcmp(digests[seq], d, BFT_DIGEST_LEN) == 0;
}

void check_trace(struct sim *s, const struct bft_trace *ev)
{
	if (ev->kind == BFT_TRACE_TRANSFERRED && ev->node < s->n &&
	    s->nodes[ev->node].svc.corrupted_at)
		s->nodes[ev->node].repaired = true;
	if (ev->kind == BFT_TRACE_RECOVERED && ev->node < s->n)
		sim_recovered(s, ev->node);
	if (!node_correct(s, ev->node))
		return;
	if (ev->kind == BFT_TRACE_TRANSFERRED)
		s->transfers++;
	if (ev->kind == BFT_TRACE_NEW_VIEW && ev->seq > s->max_view)
		s->max_view = ev->seq;
	if (ev->kind == BFT_TRACE_COMMITTED && ev->view > 0 && !s->recovered_at)
		s->recovered_at = s->now;
	if (!ev->digest)
		return;
	if (ev->seq > s->max_seq)
		s->max_seq = ev->seq;
	if (ev->kind == BFT_TRACE_COMMITTED &&
	    !agree(s, s->commit_digest, s->commit_known, ev->seq, ev->digest))
		violation(s, "agreement: correct replica %u committed a different batch "
			  "at seq %llu in view %llu (%02x%02x%02x%02x, first %02x%02x%02x%02x)",
			  ev->node, (unsigned long long)ev->seq, (unsigned long long)ev->view,
			  ev->digest[0], ev->digest[1], ev->digest[2], ev->digest[3],
			  s->commit_digest[ev->seq][0], s->commit_digest[ev->seq][1],
			  s->commit_digest[ev->seq][2], s->commit_digest[ev->seq][3]);
	if (ev->kind == BFT_TRACE_EXECUTED && !ev->tentative &&
	    !agree(s, s->exec_digest, s->exec_known, ev->seq, ev->digest))
		violation(s, "agreement: correct replica %u executed a different batch "
			  "at seq %llu", ev->node, (unsigned long long)ev->seq);
}

void check_state(struct sim *s, uint32_t node, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	if (node_correct(s, node) &&
	    !agree(s, s->state_digest, s->state_known, seq, d))
		violation(s, "state: correct replica %u has a different state digest "
			  "after seq %llu", node, (unsigned long long)seq);
}

static size_t *client_slot(struct sim *s, uint32_t client, uint64_t ts)
{
	uint32_t c = client - s->n;
	size_t cap = s->by_client_cap[c];

	if (ts >= cap) {
		size_t ncap = cap ? cap : 64;
		size_t *p;

		while (ncap <= ts)
			ncap *= 2;
		p = realloc(s->by_client[c], ncap * sizeof(*p));
		if (!p)
			abort();
		memset(p + cap, 0, (ncap - cap) * sizeof(*p));
		s->by_client[c] = p;
		s->by_client_cap[c] = ncap;
	}
	return &s->by_client[c][ts];
}

static void hist_append(struct sim *s, const struct sim_hist *h)
{
	size_t *slot = client_slot(s, h->client, h->ts);

	if (*slot) {
		const struct sim_hist *o = &s->hist[*slot - 1];

		violation(s, "linearizability: request (client %u, ts %llu) executed twice, "
			  "at seq %llu and seq %llu", h->client, (unsigned long long)h->ts,
			  (unsigned long long)o->seq, (unsigned long long)h->seq);
		return;
	}
	if (s->hist_len == s->hist_cap) {
		s->hist_cap = s->hist_cap ? s->hist_cap * 2 : 256;
		s->hist = realloc(s->hist, s->hist_cap * sizeof(*s->hist));
		if (!s->hist)
			abort();
	}
	s->hist[s->hist_len++] = *h;
	*slot = s->hist_len;
}

void check_executed(struct sim *s, uint32_t node, const struct sim_hist *h)
{
	struct seq_info *si;

	if (!node_correct(s, node))
		return;
	check_seq_room(s, h->seq);
	si = &s->seq_info[h->seq];
	if (!si->owner) {
		si->owner = node + 1;
		si->first = s->hist_len;
	}
	if (si->owner == node + 1 && h->idx == si->count) {
		si->count++;
		hist_append(s, h);
		return;
	}
	if (h->idx >= si->count) {
		violation(s, "state: correct replica %u executed %u+ requests at seq %llu, "
			  "replica %u only %u", node, h->idx + 1, (unsigned long long)h->seq,
			  si->owner - 1, si->count);
		return;
	}
	{
		const struct sim_hist *o = &s->hist[si->first + h->idx];

		if (o->client != h->client || o->ts != h->ts || o->result_len != h->result_len ||
		    memcmp(o->result, h->result, h->result_len))
			violation(s, "state: correct replicas %u and %u executed different "
				  "requests or results at seq %llu index %u", node,
				  si->owner - 1, (unsigned long long)h->seq, h->idx);
	}
}

static const struct sim_hist *hist_find(struct sim *s, uint32_t client, uint64_t ts)
{
	size_t *slot = client_slot(s, client, ts);

	return *slot ? &s->hist[*slot - 1] : NULL;
}

/* Completions are judged at the end of the run (check_end): a result
 * accepted on 2f+1 tentative replies is committed only later. */
void check_completed(struct sim *s, struct sim_op *op)
{
	(void)op;
	s->completed++;
}

/* Position of the latest read-write op completed before `at`, or -1. */
static int64_t floor_before(struct sim *s, uint64_t at)
{
	int64_t floor = -1;

	for (size_t i = 0; i < s->ops_len; i++) {
		const struct sim_op *o = &s->ops[i];
		const struct sim_hist *h;

		if (!o->done || o->read_only || o->done_at >= at)
			continue;
		h = hist_find(s, o->client, o->ts);
		if (h && POS(h->seq, h->idx) > floor)
			floor = POS(h->seq, h->idx);
	}
	return floor;
}

static void check_write(struct sim *s, const struct sim_op *op)
{
	const struct sim_hist *h = hist_find(s, op->client, op->ts);

	if (!h) {
		/* Accepted on 2f+1 tentative replies, never committed: a
		 * liveness failure unless this run does not judge liveness. */
		if (!s->opts->safety_only)
			violation(s, "linearizability: client %u accepted a result for ts %llu "
				  "that no correct replica executed", op->client,
				  (unsigned long long)op->ts);
		return;
	}
	if (h->result_len != op->result_len || memcmp(h->result, op->result, h->result_len)) {
		violation(s, "linearizability: client %u accepted a wrong result for ts %llu "
			  "(seq %llu)", op->client, (unsigned long long)op->ts,
			  (unsigned long long)h->seq);
		return;
	}
	if (POS(h->seq, h->idx) <= floor_before(s, op->submit_at))
		violation(s, "linearizability: client %u ts %llu ordered at seq %llu before "
			  "a request that completed before it was submitted",
			  op->client, (unsigned long long)op->ts, (unsigned long long)h->seq);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A read-only GET returning v: v must be the key's value at some position
 * p with floor ≤ p < (first position of a request submitted after it). */
static void check_read(struct sim *s, const struct sim_op *ro)
{
	uint64_t v = get64(ro->result);
	int64_t hi = INT64_MAX, p_v = -2, p_next = INT64_MAX, lo;
	size_t i;

	for (i = 0; i < s->ops_len; i++) {
		const struct sim_op *o = &s->ops[i];
		const struct sim_hist *h;

		if (o->read_only || o->submit_at <= ro->done_at)
			continue;
		h = hist_find(s, o->client, o->ts);
		if (h && POS(h->seq, h->idx) < hi)
			hi = POS(h->seq, h->idx);
	}
	if (v == 0)
		p_v = -1;
	for (i = 0; i < s->hist_len; i++) {
		const struct sim_hist *h = &s->hist[i];

		if (h->key != ro->key || h->is_get)
			continue;
		if (p_v != -2 && p_next == INT64_MAX) {
			p_next = POS(h->seq, h->idx);
			break;
		}
		if (h->value_after == v)
			p_v = POS(h->seq, h->idx);
	}
	if (p_v == -2) {
		violation(s, "linearizability: client %u read %llu from key %u, a value it "
			  "never had", ro->client, (unsigned long long)v, ro->key);
		return;
	}
	lo = floor_before(s, ro->submit_at);
	if ((p_v > lo ? p_v : lo) >= (p_next < hi ? p_next : hi))
		violation(s, "linearizability: client %u read a stale or future value %llu "
			  "of key %u (ts %llu)", ro->client, (unsigned long long)v, ro->key,
			  (unsigned long long)ro->ts);
}

void check_end(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->ops_len && !s->violated; i++) {
		if (!s->ops[i].done)
			continue;
		if (s->ops[i].read_only)
			check_read(s, &s->ops[i]);
		else
			check_write(s, &s->ops[i]);
	}
}
