/*
 * client.c — the client library (bft/client.h): one pure client core per
 * logical client id ("lane") over one UDP socket, a bounded FIFO of
 * submissions waiting for an idle lane, and demultiplexing of REPLY
 * datagrams to lanes by their client field (OSDI '99 §4.1: each client has
 * one outstanding request; many lanes give a process many).
 *
 * Must never block the loop, never trust a datagram beyond routing it to a
 * lane (the core authenticates), and never call a callback of an abandoned
 * or cancelled request twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "client_internal.h"

#define CLIENT_DEFAULT_QUEUE 4096u

struct bft_client {
	struct bft_config *cfg;
	struct bft_loop *loop;
	bool own_loop;
	struct bft_log *log;
	bool own_log;
	struct bft_net *net;
	bool unrep;
	uint32_t first_id;
	struct lane *lanes;
	uint32_t n_lanes;
	uint64_t view;          /* highest view any lane learned */
	uint32_t *idle;           /* stack of idle lane indices */
	uint32_t n_idle;
	struct client_req *q_head, *q_tail;
	uint32_t n_queued, max_queued;
	struct bft_msg msg;       /* demultiplexing decode */
};

uint32_t bft_client_lanes(const struct bft_client *c)
{
	return c->n_lanes;
}

uint32_t bft_client_pending(const struct bft_client *c)
{
	return c->n_lanes - c->n_idle + c->n_queued;
}

uint64_t bft_client_view(const struct bft_client *c)
{
	return c->view;
}

/* ---- lanes ---- */

static int lane_start(struct lane *ln, struct client_req *req, const uint8_t *op)
{
	int err;

	ln->cur = req;
	err = ln->core ? bft_client_core_submit(ln->core, op, req->len, req->read_only)
		       : unrep_lane_submit(ln, op, req->len, req->read_only);
	if (err)
		ln->cur = NULL;
	return err;
}

/* Start queued submissions on idle lanes, oldest first. */
static void drain_queue(struct bft_client *c)
{
	while (c->q_head && c->n_idle) {
		struct client_req *req = c->q_head;
		struct lane *ln = &c->lanes[c->idle[--c->n_idle]];
		int err;

		c->q_head = req->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->n_queued--;
		err = lane_start(ln, req, req->op);
		free(req->op);
		req->op = NULL;
		if (err) {
			c->idle[c->n_idle++] = (uint32_t)(ln - c->lanes);
			if (req->cb)
				req->cb(req->arg, err, NULL, 0);
			free(req);
		}
	}
}

void lane_done(void *data, int status, const uint8_t *result, uint32_t len)
{
	struct lane *ln = data;
	struct bft_client *c = ln->c;
	struct client_req *req = ln->cur;

	ln->cur = NULL;
	c->idle[c->n_idle++] = (uint32_t)(ln - c->lanes);
	if (req && req->cb)
		req->cb(req->arg, status, status == BFT_OK ? result : NULL, len);
	free(req);
	drain_queue(c);
}

static void lane_timer(void *data, enum bft_timer which)
{
	struct lane *ln = data;

	if (ln->core)
		bft_client_core_on_timer(ln->core, which);
	else if (which == BFT_TIMER_CLIENT)
		unrep_lane_timer(ln);
}

/* One lane learned a new view (from f+1 replies): tell the others, so they
 * do not each pay a retransmission timeout to find the new primary. */
static void share_view(struct bft_client *c, uint64_t view)
{
	uint32_t i;

	if (view <= c->view)
		return;
	c->view = view;
	for (i = 0; i < c->n_lanes; i++)
		if (c->lanes[i].core)
			bft_client_core_set_view(c->lanes[i].core, view);
}

static void on_datagram(void *data, const uint8_t *buf, size_t len,
			const struct bft_addr *from)
{
	struct bft_client *c = data;
	uint32_t id;

	(void)from;
	if (bft_msg_decode(buf, len, c->unrep ? 1 : c->cfg->n, &c->msg) != BFT_OK)
		return;
	if (c->msg.hdr.type == BFT_MSG_NEW_KEY && !c->unrep) {
		/* A replica's fresh key holds for every lane of this group. */
		for (id = 0; id < c->n_lanes; id++)
			bft_client_core_recv(c->lanes[id].core, buf, len);
		return;
	}
	if (c->msg.hdr.type != BFT_MSG_REPLY)
		return;
	id = c->msg.u.reply.client;
	if (id < c->first_id || id - c->first_id >= c->n_lanes)
		return;
	if (c->lanes[id - c->first_id].core) {
		bft_client_core_recv(c->lanes[id - c->first_id].core, buf, len);
		share_view(c, bft_client_core_view(c->lanes[id - c->first_id].core));
	} else
		unrep_lane_recv(&c->lanes[id - c->first_id], buf, len);
}

static int lane_init(struct bft_client *c, struct lane *ln, uint32_t id,
		     const struct bft_keypair *kp, const struct bft_pubkey *pubs,
		     uint64_t first_ts)
{
	struct bft_client_config cc;
	int err;

	ln->c = c;
	ln->id = id;
	bft_netio_init(&ln->nio, c->net, lane_timer, ln);
	err = bft_keyring_new(id, c->unrep ? 1 : c->cfg->n, bft_config_n_nodes(c->cfg),
			      kp, pubs, &ln->kr);
	if (err)
		return err;
	if (c->unrep)
		return unrep_lane_new(ln, first_ts, c->cfg->client_retrans_ms,
				      c->cfg->client_retrans_max_ms);
	bft_config_client(c->cfg, id, &cc);
	cc.first_timestamp = first_ts;
	cc.log_level = bft_log_level(c->log);
	return bft_client_core_new(&cc, ln->kr, &ln->nio.io, lane_done, ln, &ln->core);
}

/* ---- open / close ---- */

static int open_transport(struct bft_client *c, const struct bft_client_opts *o,
			  const struct bft_cfg_node *g)
{
	struct bft_net_config nc = { .bind = g->addr, .n_nodes = bft_config_n_nodes(c->cfg),
				     .log = c->log, .name = "client" };
	struct bft_addr *addrs;
	int err;

	if (o->loop) {
		c->loop = o->loop;
	} else {
		if ((err = bft_loop_new(&c->loop)) != BFT_OK)
			return err;
		c->own_loop = true;
	}
	if ((err = bft_config_addrs(c->cfg, &addrs)) != BFT_OK)
		return err;
	if (c->unrep)
		addrs[0] = c->cfg->unreplicated;
	nc.peers = addrs;
	err = bft_net_new(c->loop, &nc, on_datagram, c, &c->net);
	free(addrs);
	return err;
}

static int open_lanes(struct bft_client *c, const struct bft_client_opts *o,
		      const struct bft_cfg_node *g, const struct bft_keypair *kp)
{
	uint64_t first_ts = bft_net_realtime_us();
	struct bft_pubkey *pubs;
	uint32_t i;
	int err;

	c->first_id = g->first_id;
	c->n_lanes = o->max_lanes && o->max_lanes < g->count ? o->max_lanes : g->count;
	c->lanes = calloc(c->n_lanes, sizeof(*c->lanes));
	c->idle = calloc(c->n_lanes, sizeof(*c->idle));
	if (!c->lanes || !c->idle)
		return BFT_E_NOMEM;
	if ((err = bft_config_pubkeys(c->cfg, &pubs)) != BFT_OK)
		return err;
	for (i = 0; i < c->n_lanes && !err; i++)
		err = lane_init(c, &c->lanes[i], g->first_id + i, kp, pubs, first_ts);
	free(pubs);
	for (i = c->n_lanes; i > 0; i--)
		c->idle[c->n_idle++] = i - 1;
	return err;
}

static void report(bft_diag_fn diag, void *data, const char *msg)
{
	if (diag)
		diag(data, msg);
}

int bft_client_open(const struct bft_client_opts *o, bft_diag_fn diag, void *diag_data,
		    struct bft_client **out)
{
	struct bft_client *c = calloc(1, sizeof(*c));
	const struct bft_cfg_node *g;
	struct bft_keypair kp;
	int err;

	*out = NULL;
	if (!c)
		return BFT_E_NOMEM;
	c->unrep = o->unreplicated;
	c->max_queued = o->max_queued ? o->max_queued : CLIENT_DEFAULT_QUEUE;
	c->log = o->log;
	if (!c->log && (err = bft_log_open(NULL, BFT_LOG_WARN, &c->log)) != BFT_OK)
		goto fail;
	c->own_log = !o->log;
	if ((err = bft_config_load(o->config, diag, diag_data, &c->cfg)) != BFT_OK)
		goto fail;
	err = BFT_E_PEER;
	if (!(g = bft_config_group_of(c->cfg, o->client_id))) {
		report(diag, diag_data, "client id is not in any [clients] section");
		goto fail;
	}
	if (c->unrep && !c->cfg->has_unreplicated) {
		report(diag, diag_data, "unreplicated mode needs `unreplicated = host:port` "
		       "in [cluster]");
		goto fail;
	}
	if ((err = bft_config_own_key(c->cfg, g->first_id, o->key, diag, diag_data,
				      &kp)) != BFT_OK)
		goto fail;
	err = open_transport(c, o, g);
	if (!err)
		err = open_lanes(c, o, g, &kp);
	bft_wipe(&kp, sizeof(kp));
	if (err)
		goto fail;
	*out = c;
	return BFT_OK;
fail:
	bft_client_close(c);
	return err;
}

static void cancel(struct client_req *req)
{
	if (req->cb)
		req->cb(req->arg, -ECANCELED, NULL, 0);
	free(req->op);
	free(req);
}

void bft_client_close(struct bft_client *c)
{
	uint32_t i;

	if (!c)
		return;
	while (c->q_head) {
		struct client_req *req = c->q_head;

		c->q_head = req->next;
		cancel(req);
	}
	for (i = 0; c->lanes && i < c->n_lanes; i++) {
		struct lane *ln = &c->lanes[i];

		if (ln->cur)
			cancel(ln->cur);
		bft_netio_fini(&ln->nio);
		bft_client_core_free(ln->core);
		unrep_lane_free(ln);
		bft_keyring_free(ln->kr);
	}
	free(c->lanes);
	free(c->idle);
	bft_net_free(c->net);
	if (c->own_loop)
		bft_loop_free(c->loop);
	if (c->own_log)
		bft_log_free(c->log);
	bft_config_free(c->cfg);
	free(c);
}

/* ---- submitting ---- */

static int submit(struct bft_client *c, const uint8_t *op, uint32_t len, bool ro,
		  bft_client_cb cb, void *arg, struct client_req **handle)
{
	struct client_req *req;
	int err;

	if (len > BFT_MAX_OP)
		return BFT_E_LONG;
	if ((c->q_head || !c->n_idle) && c->n_queued >= c->max_queued)
		return BFT_E_BUSY;
	req = calloc(1, sizeof(*req));
	if (!req)
		return BFT_E_NOMEM;
	req->cb = cb;
	req->arg = arg;
	req->read_only = ro;
	req->len = len;
	*handle = req;
	if (!c->q_head && c->n_idle) {
		struct lane *ln = &c->lanes[c->idle[--c->n_idle]];

		if ((err = lane_start(ln, req, op)) != BFT_OK) {
			c->idle[c->n_idle++] = (uint32_t)(ln - c->lanes);
			free(req);
		}
		return err;
	}
	req->op = malloc(len ? len : 1);
	if (!req->op) {
		free(req);
		return BFT_E_NOMEM;
	}
	memcpy(req->op, op, len);
	if (c->q_tail)
		c->q_tail->next = req;
	else
		c->q_head = req;
	c->q_tail = req;
	c->n_queued++;
	return BFT_OK;
}

int bft_client_submit(struct bft_client *c, const uint8_t *op, uint32_t len,
		      bool read_only, bft_client_cb cb, void *arg)
{
	struct client_req *handle;

	return submit(c, op, len, read_only, cb, arg, &handle);
}

struct waiter {
	bool done;
	int status;
	uint8_t *buf;
	uint32_t cap, *len;
};

static void call_done(void *arg, int status, const uint8_t *result, uint32_t len)
{
	struct waiter *w = arg;

	w->done = true;
	w->status = status;
	if (status != BFT_OK)
		return;
	*w->len = len;
	if (len > w->cap)
		w->status = BFT_E_SPACE;
	else if (len)
		memcpy(w->buf, result, len);
}

int bft_client_call(struct bft_client *c, const uint8_t *op, uint32_t len,
		    bool read_only, uint8_t *result, uint32_t cap, uint32_t *result_len,
		    uint64_t timeout_ms)
{
	struct waiter w = { .buf = result, .cap = cap, .len = result_len };
	struct client_req *req;
	uint64_t deadline = bft_loop_now_ms() + timeout_ms;
	int err;

	if (!c->own_loop)
		return BFT_E_INVAL;
	if ((err = submit(c, op, len, read_only, call_done, &w, &req)) != BFT_OK)
		return err;
	while (!w.done) {
		uint64_t now = bft_loop_now_ms();

		if (now >= deadline) {
			req->cb = NULL; /* still pending: its result will be ignored */
			return -ETIMEDOUT;
		}
		if ((err = bft_loop_run_once(c->loop, deadline - now > 1000 ? 1000 :
					     (int)(deadline - now))) != BFT_OK) {
			if (!w.done)
				req->cb = NULL;
			return err;
		}
	}
	return w.status;
}

int bft_client_poll(struct bft_client *c, int timeout_ms)
{
	if (!c->own_loop)
		return BFT_E_INVAL;
	return bft_loop_run_once(c->loop, timeout_ms);
}
