/*
 * client_unrep.c — the client side of the unreplicated baseline (NO-REP in
 * the paper's tables): one request at a time per lane to the single server,
 * with the same messages and authentication as the replicated protocol
 * (REQUEST with an authenticator for one replica, REPLY with a MAC) and
 * the same retransmission with exponential backoff. The first authentic
 * full reply for the outstanding timestamp is accepted.
 *
 * Must never accept a reply that is not MAC-authenticated by node 0 or
 * names another client or timestamp.
 */
#include <stdlib.h>

#include "bft/error.h"
#include "client_internal.h"

int unrep_lane_new(struct lane *ln, uint64_t first_ts, uint64_t retrans_ms,
		   uint64_t retrans_max_ms)
{
	struct unrep_lane *u = calloc(1, sizeof(*u));

	if (!u)
		return BFT_E_NOMEM;
	u->out = malloc(BFT_MAX_MSG);
	if (!u->out) {
		free(u);
		return BFT_E_NOMEM;
	}
	u->ts = first_ts;
	u->retrans_ms = retrans_ms;
	u->retrans_max_ms = retrans_max_ms;
	ln->u = u;
	return BFT_OK;
}

void unrep_lane_free(struct lane *ln)
{
	if (!ln->u)
		return;
	free(ln->u->out);
	free(ln->u);
	ln->u = NULL;
}

static void transmit(struct lane *ln)
{
	const struct bft_io *io = &ln->nio.io;

	io->send(io->data, 0, ln->u->out, ln->u->out_len);
	io->set_timer(io->data, BFT_TIMER_CLIENT, ln->u->timeout_ms);
}

int unrep_lane_submit(struct lane *ln, const uint8_t *op, uint32_t len, bool read_only)
{
	struct unrep_lane *u = ln->u;
	struct bft_request q = { .timestamp = u->ts + 1, .replier = 0, .op = op,
				 .op_len = len };
	uint8_t *trailer;
	int n, err;

	if (u->busy)
		return BFT_E_BUSY;
	n = bft_encode_request(u->out, BFT_MAX_MSG, 1, ln->id,
			       read_only ? BFT_REQ_READ_ONLY : 0, &q, &trailer);
	if (n < 0)
		return n;
	err = bft_keyring_auth(ln->kr, u->out, (size_t)(trailer - u->out), trailer);
	if (err)
		return err;
	u->ts++;
	u->out_len = (size_t)n;
	u->busy = true;
	u->timeout_ms = u->retrans_ms;
	transmit(ln);
	return BFT_OK;
}

void unrep_lane_recv(struct lane *ln, const uint8_t *buf, size_t len)
{
	struct unrep_lane *u = ln->u;
	const struct bft_reply *rep = &u->in.u.reply;

	if (!u->busy || bft_msg_decode(buf, len, 1, &u->in) != BFT_OK ||
	    u->in.hdr.type != BFT_MSG_REPLY || u->in.hdr.sender != 0 ||
	    rep->client != ln->id || rep->timestamp != u->ts ||
	    (u->in.hdr.flags & BFT_REP_DIGEST))
		return;
	if (bft_keyring_mac_verify(ln->kr, 0, u->in.raw, u->in.signed_len,
				   u->in.trailer) != BFT_OK)
		return;
	u->busy = false;
	ln->nio.io.set_timer(ln->nio.io.data, BFT_TIMER_CLIENT, 0);
	lane_done(ln, BFT_OK, rep->result, rep->result_len);
}

void unrep_lane_timer(struct lane *ln)
{
	struct unrep_lane *u = ln->u;

	if (!u->busy)
		return;
	u->timeout_ms = 2 * u->timeout_ms > u->retrans_max_ms ? u->retrans_max_ms
							      : 2 * u->timeout_ms;
	transmit(ln);
}
