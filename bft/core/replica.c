/*
 * replica.c — creating a replica, dispatching its events, logging.
 *
 * Castro & Liskov, OSDI '99 §4. The receive path follows DESIGN.md's order:
 * length and type (the decoder), then view and watermarks (each handler, first
 * thing), then the MAC or signature, then everything else. Nothing received
 * allocates more than the bounded slots created here.
 *
 * Never reads a clock, never touches the network directly: struct bft_io.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

void bft_replica_config_default(struct bft_replica_config *cfg, uint32_t f,
				uint32_t id, uint32_t n_clients)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->f = f;
	cfg->n = 3 * f + 1;
	cfg->id = id;
	cfg->n_clients = n_clients;
	cfg->checkpoint_interval = 128;
	cfg->log_window = 256;
	cfg->max_batch = BFT_MAX_BATCH;
	cfg->max_inflight = 2;
	cfg->big_request = 4096;
	cfg->status_ms = 100;
	cfg->max_skew_us = 60ull * 1000 * 1000;
	cfg->view_change_ms = 1000;
	cfg->tentative = true;
	cfg->digest_replies = true;
	cfg->commit_delay_ms = 1;
	cfg->log_level = BFT_LOG_INFO;
}

uint32_t primary_of(const struct bft_replica *r, uint64_t view)
{
	return (uint32_t)(view % r->cfg.n);
}

bool is_primary(const struct bft_replica *r)
{
	return primary_of(r, r->view) == r->cfg.id;
}

void rlog(const struct bft_replica *r, enum bft_log_level level, const char *fmt, ...)
{
	char line[512];
	int off;
	va_list ap;

	if (level > r->cfg.log_level || !r->io->log)
		return;
	off = snprintf(line, sizeof(line), "replica %u view %llu: ", r->cfg.id,
		       (unsigned long long)r->view);
	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	va_end(ap);
	r->io->log(r->io->data, level, line);
}

void rtrace(const struct bft_replica *r, enum bft_trace_kind kind, uint64_t seq,
	    const uint8_t *digest, bool tentative)
{
	struct bft_trace ev = {
		.kind = kind, .node = r->cfg.id, .view = r->view, .seq = seq,
		.digest = digest, .tentative = tentative,
	};

	if (r->io->trace)
		r->io->trace(r->io->data, &ev);
}

/* Drop the message being handled, saying why and naming the sender. */
void reject(struct bft_replica *r, const char *why)
{
	rlog(r, BFT_LOG_WARN, "dropped %s from node %u: %s",
	     bft_msg_type_name(r->in.hdr.type), r->in.hdr.sender, why);
	rtrace(r, BFT_TRACE_REJECTED, r->in.hdr.type, NULL, false);
}

static int config_check(const struct bft_replica_config *c)
{
	if (c->f < 1 || c->n != 3 * c->f + 1 || c->n > BFT_MAX_REPLICAS)
		return BFT_E_INVAL;
	if (c->id >= c->n || c->n_clients == 0 || c->n_clients > 1000000)
		return BFT_E_INVAL;
	if (c->checkpoint_interval == 0 || c->log_window < c->checkpoint_interval ||
	    c->log_window % c->checkpoint_interval != 0 ||
	    c->log_window > BFT_MAX_LOG_WINDOW / 2 /* P and Q fit a VIEW-CHANGE */)
		return BFT_E_INVAL;
	if (c->max_batch == 0 || c->max_batch > BFT_MAX_BATCH || c->max_inflight == 0 ||
	    c->max_inflight > c->log_window || c->status_ms == 0 || c->view_change_ms == 0)
		return BFT_E_INVAL;
	return BFT_OK;
}

/* A service either has no state transfer or all of it, with a tree shape
 * within the limits of bft/io.h. */
static bool service_tree_ok(const struct bft_service *svc)
{
	if (!svc->children)
		return true;
	return svc->leaf_get && svc->leaf_digest && svc->leaf_put && svc->transfer_end &&
	       svc->snapshot_release && svc->reply_get && svc->tree_fanout >= 2 &&
	       svc->tree_fanout <= BFT_MAX_FANOUT && svc->tree_depth >= 1 &&
	       svc->tree_depth <= BFT_MAX_TREE_DEPTH && svc->leaf_max <= BFT_MAX_LEAF;
}

static int alloc_slots(struct bft_replica *r)
{
	uint32_t n = r->cfg.n, i;

	r->log_slots = r->cfg.log_window + r->cfg.checkpoint_interval;
	r->log = calloc(r->log_slots, sizeof(*r->log));
	r->n_ckpt = r->cfg.log_window / r->cfg.checkpoint_interval + 1;
	r->ckpt = calloc(r->n_ckpt, sizeof(*r->ckpt));
	r->far = calloc(r->n_ckpt, sizeof(*r->far));
	r->clients = calloc(r->cfg.n_clients, sizeof(*r->clients));
	r->fifo = calloc(r->cfg.n_clients, sizeof(*r->fifo));
	r->nk_sent_us = calloc((size_t)n + r->cfg.n_clients, sizeof(*r->nk_sent_us));
	r->out = malloc(BFT_MAX_MSG);
	r->result = malloc(BFT_MAX_RESULT);
	r->vcs = calloc(n, sizeof(*r->vcs));
	r->nv_set = calloc(n, sizeof(*r->nv_set));
	r->nv_cand = calloc(n, sizeof(*r->nv_cand));
	r->vc_dec = calloc(n, sizeof(*r->vc_dec));
	if (!r->log || !r->ckpt || !r->far || !r->clients || !r->fifo || !r->out || !r->result ||
	    !r->nk_sent_us ||
	    !r->vcs || !r->nv_set || !r->nv_cand || !r->vc_dec)
		return BFT_E_NOMEM;
	for (i = 0; i < r->log_slots; i++) {
		r->log[i].prep_digest = calloc(n, BFT_DIGEST_LEN);
		r->log[i].commit_digest = calloc(n, BFT_DIGEST_LEN);
		if (!r->log[i].prep_digest || !r->log[i].commit_digest)
			return BFT_E_NOMEM;
	}
	for (i = 0; i < r->n_ckpt; i++) {
		r->ckpt[i].digest = calloc(n, BFT_DIGEST_LEN);
		r->ckpt[i].sig = calloc(n, BFT_SIG_LEN);
		r->far[i].digest = calloc(n, BFT_DIGEST_LEN);
		r->far[i].sig = calloc(n, BFT_SIG_LEN);
		if (!r->ckpt[i].digest || !r->ckpt[i].sig || !r->far[i].digest ||
		    !r->far[i].sig)
			return BFT_E_NOMEM;
	}
	r->cert.digest = calloc(n, BFT_DIGEST_LEN);
	r->cert.sig = calloc(n, BFT_SIG_LEN);
	if (!r->cert.digest || !r->cert.sig)
		return BFT_E_NOMEM;
	return st_alloc(r);
}

int bft_replica_new(const struct bft_replica_config *cfg, struct bft_keyring *kr,
		    const struct bft_io *io, const struct bft_service *svc,
		    struct bft_replica **out)
{
	struct bft_replica *r;
	int err;

	*out = NULL;
	if (!cfg || !kr || !io || !svc || io->version != BFT_IO_VERSION ||
	    svc->version != BFT_SERVICE_VERSION || !io->send || !io->set_timer ||
	    !io->now_us || !svc->batch_begin || !svc->execute || !svc->batch_end ||
	    !svc->batch_abort || !svc->execute_ro || !svc->checkpoint)
		return BFT_E_INVAL;
	err = config_check(cfg);
	if (err)
		return err;
	if (!service_tree_ok(svc))
		return BFT_E_INVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return BFT_E_NOMEM;
	r->cfg = *cfg;
	r->kr = kr;
	r->io = io;
	r->svc = svc;
	r->quorum = 2 * cfg->f + 1;
	r->view_active = true;
	r->vc_timeout_ms = cfg->view_change_ms;
	err = alloc_slots(r);
	if (err) {
		bft_replica_free(r);
		return err;
	}
	*out = r;
	return BFT_OK;
}

static void client_rec_free(struct client_rec *c)
{
	free(c->reply);
	free(c->prev_reply);
	free(c->pending);
	free(c->ro);
	free(c->big[0].raw);
	free(c->big[1].raw);
}

void bft_replica_free(struct bft_replica *r)
{
	uint32_t i;

	if (!r)
		return;
	if (r->log) {
		for (i = 0; i < r->log_slots; i++) {
			log_clear(r, &r->log[i]);
			free(r->log[i].prep_digest);
			free(r->log[i].commit_digest);
		}
	}
	for (i = 0; r->ckpt && i < r->n_ckpt; i++) {
		free(r->ckpt[i].digest);
		free(r->ckpt[i].sig);
	}
	for (i = 0; r->far && i < r->n_ckpt; i++) {
		free(r->far[i].digest);
		free(r->far[i].sig);
	}
	free(r->cert.digest);
	free(r->cert.sig);
	st_free(r);
	restored_free(r);
	if (r->clients)
		for (i = 0; i < r->cfg.n_clients; i++)
			client_rec_free(&r->clients[i]);
	for (i = 0; r->vcs && i < r->cfg.n; i++)
		vc_slot_free(&r->vcs[i]);
	for (i = 0; r->nv_set && i < r->cfg.n; i++)
		vc_slot_free(&r->nv_set[i]);
	for (i = 0; r->nv_cand && i < r->cfg.n; i++)
		vc_slot_free(&r->nv_cand[i]);
	vc_slot_free(&r->nv);
	vc_slot_free(&r->pending_nv);
	free(r->vcs);
	free(r->nv_set);
	free(r->nv_cand);
	free(r->vc_dec);
	free(r->log);
	free(r->ckpt);
	free(r->far);
	free(r->clients);
	free(r->nk_sent_us);
	free(r->fifo);
	free(r->out);
	free(r->result);
	free(r);
}

int bft_replica_start(struct bft_replica *r)
{
	int err;

	if (r->started)
		return BFT_E_INVAL;
	r->started = true;
	err = restart_resume(r);
	if (err) {
		rlog(r, BFT_LOG_ERROR, "cannot resume from the saved state: %s",
		     bft_strerror(err));
		r->halted = true;
		return err;
	}
	r->io->set_timer(r->io->data, BFT_TIMER_STATUS, r->cfg.status_ms);
	rlog(r, BFT_LOG_INFO, "started: n=%u f=%u K=%u L=%u", r->cfg.n, r->cfg.f,
	     r->cfg.checkpoint_interval, r->cfg.log_window);
	new_key_start(r);
	recovery_start(r);
	if (r->last_cexec && r->last_cexec % r->cfg.checkpoint_interval == 0)
		checkpoint_committed(r, r->last_cexec);
	/* A restarted primary of an installed view stays silent in it
	 * (persist.c); the backups' timers replace it when work waits. */
	if (r->restored && !r->view_active)
		resume_view_change(r);
	return BFT_OK;
}

void bft_replica_recv(struct bft_replica *r, const uint8_t *buf, size_t len)
{
	int err = bft_msg_decode(buf, len, r->cfg.n, &r->in);

	if (r->halted)
		return;
	if (err) {
		rlog(r, BFT_LOG_WARN, "dropped malformed datagram (%zu bytes, claims node %u): %s",
		     len, len >= 8 ? (unsigned)(buf[4] | buf[5] << 8 | buf[6] << 16 |
						(uint32_t)buf[7] << 24) : 0u,
		     bft_strerror(err));
		rtrace(r, BFT_TRACE_REJECTED, 0, NULL, false);
		return;
	}
	switch (r->in.hdr.type) {
	case BFT_MSG_REQUEST: recv_request(r); break;
	case BFT_MSG_PRE_PREPARE: recv_pre_prepare(r); break;
	case BFT_MSG_PREPARE: recv_prepare(r); break;
	case BFT_MSG_COMMIT: recv_commit(r); break;
	case BFT_MSG_CHECKPOINT: recv_checkpoint(r); break;
	case BFT_MSG_STATUS: recv_status(r); break;
	case BFT_MSG_VIEW_CHANGE: recv_view_change(r); break;
	case BFT_MSG_NEW_VIEW: recv_new_view(r); break;
	case BFT_MSG_FETCH: recv_fetch(r); break;
	case BFT_MSG_META_DATA: recv_meta_data(r); break;
	case BFT_MSG_DATA: recv_data(r); break;
	case BFT_MSG_NEW_KEY: recv_new_key(r); break;
	case BFT_MSG_QUERY_STABLE: recv_query_stable(r); break;
	case BFT_MSG_REPLY_STABLE: recv_reply_stable(r); break;
	default:
		rlog(r, BFT_LOG_DEBUG, "ignored %s from node %u",
		     bft_msg_type_name(r->in.hdr.type), r->in.hdr.sender);
		break;
	}
}

void bft_replica_on_timer(struct bft_replica *r, enum bft_timer which)
{
	if (r->halted)
		return;
	switch (which) {
	case BFT_TIMER_STATUS:
		commits_flush(r);
		send_status(r);
		st_tick(r);
		new_key_tick(r);
		recovery_tick(r);
		r->io->set_timer(r->io->data, BFT_TIMER_STATUS, r->cfg.status_ms);
		break;
	case BFT_TIMER_VIEW_CHANGE:
		view_change_timer(r);
		break;
	case BFT_TIMER_COMMIT:
		commits_flush(r);
		break;
	case BFT_TIMER_KEY:
		new_key_timer(r);
		break;
	default:
		break;
	}
}

uint64_t bft_replica_view(const struct bft_replica *r) { return r->view; }
uint64_t bft_replica_last_executed(const struct bft_replica *r) { return r->last_exec; }
uint64_t bft_replica_stable(const struct bft_replica *r) { return r->h; }
uint32_t bft_replica_id(const struct bft_replica *r) { return r->cfg.id; }
void bft_replica_stable_digest(const struct bft_replica *r, uint8_t out[BFT_DIGEST_LEN])
{
	memcpy(out, r->h_digest, BFT_DIGEST_LEN);
}
bool bft_replica_recovering(const struct bft_replica *r) { return r->recovering; }
uint64_t bft_replica_key_epoch(const struct bft_replica *r) { return r->key_epoch; }
