/*
 * unrep_server.c — `bfsd --unreplicated`: the same service behind the same
 * transport and authentication as a replica, with no replication protocol
 * (the NO-REP baseline of OSDI '99 §6). Listens at the [cluster]
 * `unreplicated` address with replica 0's key; clients authenticate
 * REQUESTs with a one-entry authenticator (n = 1) and accept the first
 * MAC-authenticated REPLY (bft/client.h, unreplicated mode).
 *
 * Like a replica it executes each client's requests at most once: a
 * retransmission with the last timestamp gets the cached reply, an older
 * one is ignored. Read-write requests run as one-request batches with
 * strictly increasing times; read-only ones through execute_ro.
 *
 * Must never execute or allocate for a request that fails authentication.
 */
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "daemon.h"

struct last_reply {
	uint64_t ts;
	uint32_t len;
	uint8_t *msg; /* the encoded REPLY, len bytes */
};

struct unrep_server {
	struct bfsd *d;
	struct bft_net *net;
	struct bft_keyring *kr;
	struct last_reply *last; /* per client id - n */
	uint64_t seq, time_us;
	struct bft_msg in;
	uint8_t *result, *out;
};

static int reply(struct unrep_server *u, uint32_t client, uint64_t ts, bool ro,
		 const uint8_t *result, uint32_t len)
{
	struct bft_reply r = { .timestamp = ts, .client = client, .result = result,
			       .result_len = len };
	uint8_t *trailer;
	int n = bft_encode_reply(u->out, BFT_MAX_MSG, 0, ro ? BFT_REP_READ_ONLY : 0, &r,
				 &trailer);
	int err;

	if (n < 0)
		return n;
	if ((err = bft_keyring_mac(u->kr, client, u->out, (size_t)(trailer - u->out),
				   trailer)))
		return err;
	bft_net_send(u->net, client, u->out, (size_t)n);
	return n;
}

/* Execute a read-write request once and cache its reply. */
static int execute_rw(struct unrep_server *u, const struct bft_exec_req *req,
		      struct last_reply *last)
{
	const struct bft_service *svc = u->d->svc;
	uint64_t now = bft_net_realtime_us();
	uint32_t len = 0;
	uint8_t *copy;
	int n, err;

	u->time_us = now > u->time_us ? now : u->time_us + 1;
	if ((err = svc->batch_begin(svc->data, ++u->seq, u->time_us)) ||
	    (err = svc->execute(svc->data, req, u->result, BFT_MAX_RESULT, &len)) ||
	    (err = svc->batch_end(svc->data, u->seq)))
		return err;
	if ((n = reply(u, req->client, req->timestamp, false, u->result, len)) < 0)
		return n;
	copy = realloc(last->msg, (size_t)n);
	if (!copy)
		return BFT_E_NOMEM;
	memcpy(copy, u->out, (size_t)n);
	last->msg = copy;
	last->len = (uint32_t)n;
	last->ts = req->timestamp;
	return BFT_OK;
}

static void handle_request(struct unrep_server *u)
{
	const struct bft_request *q = &u->in.u.request;
	uint32_t from = u->in.hdr.sender, n = u->d->cfg->n;
	struct bft_exec_req req = { .client = from, .timestamp = q->timestamp,
				    .read_only = u->in.hdr.flags & BFT_REQ_READ_ONLY,
				    .op = q->op, .op_len = q->op_len };
	struct last_reply *last;
	uint32_t len = 0;
	int err = BFT_OK, n_out;

	if (from < n || from >= bft_config_n_nodes(u->d->cfg) ||
	    bft_keyring_auth_verify(u->kr, from, u->in.raw, u->in.signed_len,
				    u->in.trailer) != BFT_OK) {
		bft_logf(u->d->log, BFT_LOG_WARN, "unreplicated: dropped REQUEST from node "
			 "%u: not an authenticated client", from);
		return;
	}
	last = &u->last[from - n];
	if (req.read_only) {
		err = u->d->svc->execute_ro(u->d->svc->data, &req, u->result, BFT_MAX_RESULT,
					   &len);
		if (!err && (n_out = reply(u, from, req.timestamp, true, u->result,
					      len)) < 0)
			err = n_out;
	} else if (req.timestamp == last->ts && last->msg) {
		bft_net_send(u->net, from, last->msg, last->len);
	} else if (req.timestamp > last->ts) {
		err = execute_rw(u, &req, last);
	}
	if (err) {
		bft_logf(u->d->log, BFT_LOG_ERROR, "unreplicated: service failed (%s); stopping",
			 bft_net_strerror(err));
		bft_loop_stop(u->d->loop);
	}
}

static void on_datagram(void *data, const uint8_t *buf, size_t len,
			const struct bft_addr *from)
{
	struct unrep_server *u = data;

	(void)from;
	if (bft_msg_decode(buf, len, 1, &u->in) != BFT_OK ||
	    u->in.hdr.type != BFT_MSG_REQUEST)
		return;
	handle_request(u);
}

int unrep_server_start(struct bfsd *d)
{
	struct bft_net_config nc = { .bind = d->cfg->unreplicated,
				     .n_nodes = bft_config_n_nodes(d->cfg), .log = d->log,
				     .name = "unreplicated" };
	struct unrep_server *u = calloc(1, sizeof(*u));
	struct bft_pubkey *pubs = NULL;
	struct bft_addr *addrs = NULL;
	int err = BFT_E_NOMEM;

	if (!u)
		return err;
	d->unrep = u;
	u->d = d;
	u->last = calloc(d->cfg->n_clients, sizeof(*u->last));
	u->result = malloc(BFT_MAX_RESULT);
	u->out = malloc(BFT_MAX_MSG);
	if (!u->last || !u->result || !u->out)
		goto out;
	if ((err = bft_config_pubkeys(d->cfg, &pubs)) ||
	    (err = bft_config_addrs(d->cfg, &addrs)))
		goto out;
	nc.peers = addrs;
	if ((err = bft_keyring_new(0, 1, bft_config_n_nodes(d->cfg), &d->kp, pubs, &u->kr)) ||
	    (err = bft_net_new(d->loop, &nc, on_datagram, u, &u->net)))
		goto out;
	bft_logf(d->log, BFT_LOG_INFO, "unreplicated server running (no replication, "
		 "%u client ids)", d->cfg->n_clients);
out:
	free(pubs);
	free(addrs);
	return err;
}

void unrep_server_stop(struct bfsd *d)
{
	struct unrep_server *u = d->unrep;
	uint32_t i;

	if (!u)
		return;
	bft_net_free(u->net);
	bft_keyring_free(u->kr);
	for (i = 0; u->last && i < d->cfg->n_clients; i++)
		free(u->last[i].msg);
	free(u->last);
	free(u->result);
	free(u->out);
	free(u);
	d->unrep = NULL;
}
