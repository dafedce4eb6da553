/*
 * execute.c — executing committed (or, tentatively, prepared) batches in
 * sequence order, sending replies, and read-only requests.
 *
 * Castro & Liskov, OSDI '99 §4.2 (execution in order of sequence number,
 * replies, the last-reply cache), §5.1.2 (tentative execution: a prepared
 * batch runs once all lower ones have committed; the reply is marked
 * tentative and the client needs 2f+1 of them; a view change that does not
 * choose the batch rolls it back), §5.1.3 (read-only requests run at once
 * against the current state, but their replies wait until no tentative batch
 * is outstanding), and the agreed batch time (TOCS '02 §5.4, non-deterministic
 * choices).
 *
 * Durability: a committed batch's replies leave only after the service's
 * batch_end. A tentative batch stays open in the service (batch_end when it
 * commits, batch_abort if a view change drops it), so at most one batch is
 * open. A failing service call halts the replica: it then behaves as
 * crashed and never answers differently from the others.
 */
#include <string.h>

#include "replica_internal.h"

static void halt(struct bft_replica *r, const char *what, int err)
{
	rlog(r, BFT_LOG_ERROR, "service %s failed (%d): replica halts", what, err);
	r->halted = true;
}

/* The REQUEST message of batch entry i of the pre-prepare in r->aux. */
static const struct bft_msg *entry_request(struct bft_replica *r,
					   const struct log_entry *e, uint16_t i)
{
	const struct bft_pp_entry *x = &r->aux.u.pre_prepare.entries[i];
	const uint8_t *raw = e->bodies[i] ? e->bodies[i] : x->raw;
	uint32_t len = e->bodies[i] ? e->body_len[i] : x->raw_len;

	return bft_msg_decode(raw, len, r->cfg.n, &r->body) ? NULL : &r->body;
}

/* Keep the reply cache's previous content while a batch is tentative. */
static void save_prev_reply(struct client_rec *c)
{
	uint8_t *buf = c->prev_reply;
	uint32_t cap = c->prev_cap;

	c->prev_reply = c->reply;
	c->prev_cap = c->reply_cap;
	c->prev_len = c->reply_len;
	c->reply = buf;
	c->reply_cap = cap;
	c->reply_len = 0;
	c->prev_ts = c->last_ts;
	c->prev_seq = c->reply_seq;
	c->prev_replier = c->replier;
	c->prev_tentative = c->reply_tentative;
}

static void restore_prev_reply(struct client_rec *c)
{
	uint8_t *buf = c->reply;
	uint32_t cap = c->reply_cap;

	c->reply = c->prev_reply;
	c->reply_cap = c->prev_cap;
	c->reply_len = c->prev_len;
	c->prev_reply = buf;
	c->prev_cap = cap;
	c->prev_len = 0;
	c->last_ts = c->prev_ts;
	c->reply_seq = c->prev_seq;
	c->replier = c->prev_replier;
	c->reply_tentative = c->prev_tentative;
}

static bool run_request(struct bft_replica *r, const struct log_entry *e, uint16_t i,
			bool tentative)
{
	const struct bft_msg *m = entry_request(r, e, i);
	struct bft_exec_req req;
	struct client_rec *c;
	uint32_t len = 0;
	int err;

	if (!m)
		return true;
	c = client_get(r, m->hdr.sender);
	if (!c || (m->u.request.timestamp <= c->last_ts && !BUG(r, BFT_BUG_REEXECUTE)))
		return true; /* stale request: executes as a no-op everywhere */
	req = (struct bft_exec_req){ .client = m->hdr.sender,
				     .timestamp = m->u.request.timestamp,
				     .op = m->u.request.op, .op_len = m->u.request.op_len };
	err = r->svc->execute(r->svc->data, &req, r->result, BFT_MAX_RESULT, &len);
	if (err || len > BFT_MAX_RESULT) {
		halt(r, "execute", err);
		return false;
	}
	if (tentative) {
		save_prev_reply(c);
		if (r->n_open_clients < BFT_MAX_BATCH) /* a batch has at most that */
			r->open_clients[r->n_open_clients++] = (uint32_t)(c - r->clients);
	}
	if (!buf_store(&c->reply, &c->reply_cap, &c->reply_len, r->result, len)) {
		halt(r, "reply cache", BFT_E_NOMEM);
		return false;
	}
	c->last_ts = req.timestamp;
	c->reply_seq = e->seq;
	c->reply_tentative = tentative;
	c->replier = m->u.request.replier;
	if (!tentative)
		request_executed(r, c);
	return true;
}

static void send_batch_replies(struct bft_replica *r, const struct log_entry *e)
{
	const struct bft_pre_prepare *pp = &r->aux.u.pre_prepare;
	uint16_t i;

	for (i = 0; i < pp->count; i++) {
		uint32_t node = pp->entries[i].client;
		struct client_rec *c = client_get(r, node);

		if (!c || c->reply_seq != e->seq || c->last_ts != pp->entries[i].timestamp)
			continue;
		send_reply(r, node, c->last_ts, c->reply_tentative ? BFT_REP_TENTATIVE : 0,
			   c->reply, c->reply_len,
			   !r->cfg.digest_replies || c->replier == BFT_REPLIER_ALL ||
			   c->replier == r->cfg.id);
	}
}

/* End batch seq in the service and, at a checkpoint, take its digest. */
static bool end_batch(struct bft_replica *r, uint64_t seq)
{
	uint8_t d[BFT_DIGEST_LEN];
	int err = r->svc->batch_end(r->svc->data, seq);

	if (err) {
		halt(r, "batch_end", err);
		return false;
	}
	if (seq % r->cfg.checkpoint_interval == 0) {
		err = r->svc->checkpoint(r->svc->data, seq, d);
		if (err) {
			halt(r, "checkpoint", err);
			return false;
		}
		checkpoint_taken(r, seq, d);
	}
	return true;
}

static bool execute_entry(struct bft_replica *r, struct log_entry *e, bool tentative)
{
	uint64_t t = e->nondet > r->last_time_us ? e->nondet : r->last_time_us + 1;
	uint16_t i, count = 0;
	int err;

	if (e->pp) {
		if (bft_msg_decode(e->pp, e->pp_len, r->cfg.n, &r->aux) != BFT_OK) {
			halt(r, "decode of own log", BFT_E_FIELD);
			return false;
		}
		count = r->aux.u.pre_prepare.count;
	} else {
		r->aux.u.pre_prepare.count = 0; /* null request (§4.4) */
	}
	if (BUG(r, BFT_BUG_LOCAL_TIME))
		t = r->io->now_us(r->io->data);
	r->n_open_clients = 0;
	err = r->svc->batch_begin(r->svc->data, e->seq, t);
	if (err) {
		halt(r, "batch_begin", err);
		return false;
	}
	for (i = 0; i < count; i++)
		if (!run_request(r, e, i, tentative))
			return false;
	if (tentative) {
		r->open_batch = e->seq;
		r->open_prev_time = r->last_time_us;
	} else if (!end_batch(r, e->seq)) {
		return false;
	}
	e->executed = true;
	r->last_exec = e->seq;
	r->last_time_us = t;
	rtrace(r, BFT_TRACE_EXECUTED, e->seq, e->digest, tentative);
	send_batch_replies(r, e);
	return true;
}

/* Batch e committed after (or at) its execution: its replies become final.
 * Only the open batch has tentative replies, and open_clients lists them. */
static bool promote(struct bft_replica *r, struct log_entry *e)
{
	uint32_t i;

	if (r->open_batch == e->seq) {
		r->open_batch = 0;
		if (!end_batch(r, e->seq))
			return false;
	}
	r->last_cexec = e->seq;
	for (i = 0; i < r->n_open_clients; i++) {
		struct client_rec *c = &r->clients[r->open_clients[i]];

		if (c->reply_seq == e->seq && c->reply_tentative) {
			c->reply_tentative = false;
			request_executed(r, c);
		}
	}
	r->n_open_clients = 0;
	if (e->seq % r->cfg.checkpoint_interval == 0)
		checkpoint_committed(r, e->seq);
	return true;
}

void rollback_tentative(struct bft_replica *r)
{
	struct log_entry *e = log_find(r, r->open_batch);
	uint64_t seq = r->open_batch;
	uint32_t i;
	int err;

	if (!seq || r->halted)
		return; /* a halted replica makes no more service calls */
	err = r->svc->batch_abort(r->svc->data, seq);
	if (err)
		return halt(r, "batch_abort", err);
	for (i = 0; i < r->n_open_clients; i++) {
		struct client_rec *c = &r->clients[r->open_clients[i]];

		if (c->reply_seq != seq || !c->reply_tentative)
			continue;
		restore_prev_reply(c);
	}
	r->n_open_clients = 0;
	if (e)
		e->executed = false;
	r->open_batch = 0;
	r->last_exec = r->last_cexec;
	r->last_time_us = r->open_prev_time;
	rlog(r, BFT_LOG_INFO, "rolled back tentative batch %llu", (unsigned long long)seq);
}

static void run_deferred_read_only(struct bft_replica *r)
{
	uint32_t i;

	for (i = 0; i < r->cfg.n_clients && r->n_deferred_ro; i++) {
		struct client_rec *c = &r->clients[i];
		struct bft_msg *m = &r->body;
		uint32_t len = c->ro_len;

		if (!len)
			continue;
		r->n_deferred_ro--;
		c->ro_len = 0;
		if (bft_msg_decode(c->ro, len, r->cfg.n, m) == BFT_OK)
			execute_read_only(r, i + r->cfg.n, m);
	}
}

static bool execute_step(struct bft_replica *r)
{
	struct log_entry *e;

	if (r->st.active)
		return false; /* the state is being replaced (state_transfer.c) */
	if (r->last_exec > r->last_cexec) {
		e = log_find(r, r->last_cexec + 1);
		return e && e->committed && promote(r, e);
	}
	e = log_find(r, r->last_exec + 1);
	if (!e || !e->has_pp || e->n_missing || !e->prepared || e->view != r->view)
		return false;
	if (e->committed)
		return execute_entry(r, e, false) && promote(r, e);
	if (r->cfg.tentative && r->view_active)
		return execute_entry(r, e, true);
	return false;
}

void try_execute(struct bft_replica *r)
{
	if (r->executing || r->halted)
		return;
	r->executing = true;
	while (!r->halted && execute_step(r))
		;
	r->executing = false;
	if (r->last_exec == r->last_cexec && r->n_deferred_ro)
		run_deferred_read_only(r);
	primary_try_batch(r);
}

void execute_read_only(struct bft_replica *r, uint32_t node, const struct bft_msg *m)
{
	struct client_rec *c = client_get(r, node);
	struct bft_exec_req req = {
		.client = node, .timestamp = m->u.request.timestamp, .read_only = true,
		.op = m->u.request.op, .op_len = m->u.request.op_len,
	};
	uint32_t len = 0;
	int err;

	if (r->halted || r->st.active)
		return; /* no state to read from during a transfer */
	if (r->last_exec > r->last_cexec) {
		/* Tentative state may still roll back: answer once it commits,
		 * which needs the COMMITs held back. */
		commits_flush(r);
		if (!c->ro_len)
			r->n_deferred_ro++;
		if (!buf_store(&c->ro, &c->ro_cap, &c->ro_len, m->raw, m->hdr.length)) {
			r->n_deferred_ro--;
			c->ro_len = 0;
		}
		return;
	}
	err = r->svc->execute_ro(r->svc->data, &req, r->result, BFT_MAX_RESULT, &len);
	if (err || len > BFT_MAX_RESULT) {
		halt(r, "execute_ro", err);
		return;
	}
	send_reply(r, node, req.timestamp, BFT_REP_READ_ONLY, r->result, len,
		   !r->cfg.digest_replies || m->u.request.replier == BFT_REPLIER_ALL ||
		   m->u.request.replier == r->cfg.id);
}
