/*
 * clients.c — per-client records: last reply cache, held request bodies.
 *
 * Castro & Liskov, OSDI '99 §4.1: a replica keeps the last reply it sent to
 * each client; a request with the same timestamp gets that reply again and an
 * older one is ignored ("exactly once"). §5.1.1: digest replies — only the
 * designated replier sends the full result. Large requests (§5.1 of the TOCS
 * paper) are held here until the pre-prepare naming them is executed.
 *
 * Never holds more than a fixed number of buffers per configured client.
 */
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

struct client_rec *client_get(struct bft_replica *r, uint32_t node)
{
	if (node < r->cfg.n || node - r->cfg.n >= r->cfg.n_clients)
		return NULL;
	return &r->clients[node - r->cfg.n];
}

/* Copy n bytes into a growable owned buffer. False on allocation failure. */
bool buf_store(uint8_t **buf, uint32_t *cap, uint32_t *len, const uint8_t *src, uint32_t n)
{
	if (n > *cap || !*buf) {
		uint8_t *p = realloc(*buf, n ? n : 1);

		if (!p)
			return false;
		*buf = p;
		*cap = n;
	}
	if (n)
		memcpy(*buf, src, n);
	*len = n;
	return true;
}

void held_store(struct client_rec *c, const uint8_t *raw, uint32_t len, uint64_t ts,
		const uint8_t digest[BFT_DIGEST_LEN])
{
	struct held_request *slot;
	uint8_t *copy;

	if (held_find(c, ts, digest))
		return;
	/* Replace the older of the two slots. */
	slot = c->big[0].timestamp <= c->big[1].timestamp ? &c->big[0] : &c->big[1];
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, raw, len);
	free(slot->raw);
	slot->raw = copy;
	slot->len = len;
	slot->timestamp = ts;
	memcpy(slot->digest, digest, BFT_DIGEST_LEN);
}

const struct held_request *held_find(const struct client_rec *c, uint64_t ts,
				     const uint8_t digest[BFT_DIGEST_LEN])
{
	int i;

	for (i = 0; i < 2; i++)
		if (c->big[i].raw && c->big[i].timestamp == ts &&
		    memcmp(c->big[i].digest, digest, BFT_DIGEST_LEN) == 0)
			return &c->big[i];
	return NULL;
}

void send_reply(struct bft_replica *r, uint32_t node, uint64_t ts, uint16_t flags,
		const uint8_t *result, uint32_t len, bool full)
{
	struct bft_reply rep = { .view = r->view, .timestamp = ts, .client = node };
	uint8_t digest[BFT_DIGEST_LEN];
	uint8_t *trailer;
	int n;

	if (full) {
		rep.result = result;
		rep.result_len = len;
	} else {
		bft_sha256(result, len, digest);
		rep.result = digest;
		rep.result_len = BFT_DIGEST_LEN;
		flags |= BFT_REP_DIGEST;
	}
	n = bft_encode_reply(r->out, BFT_MAX_MSG, r->cfg.id, flags, &rep, &trailer);
	if (n < 0 || bft_keyring_mac(r->kr, node, r->out, (size_t)(trailer - r->out),
				     trailer) != BFT_OK) {
		rlog(r, BFT_LOG_ERROR, "cannot build reply to client %u", node);
		return;
	}
	r->io->send(r->io->data, node, r->out, (size_t)n);
}

/* Resend the cached reply for the client's last executed request. */
void send_cached_reply(struct bft_replica *r, uint32_t node, bool full)
{
	struct client_rec *c = client_get(r, node);

	if (!c || c->last_ts == 0)
		return;
	send_reply(r, node, c->last_ts, c->reply_tentative ? BFT_REP_TENTATIVE : 0,
		   c->reply, c->reply_len, full || !r->cfg.digest_replies);
}
