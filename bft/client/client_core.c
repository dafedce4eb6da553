/*
 * client_core.c — the pure PBFT client (Castro & Liskov, OSDI '99 §4.1 and
 * §5.1: digest replies, tentative execution, read-only requests; large
 * requests go to every replica).
 *
 * One outstanding request. It goes to the primary of the view the client
 * believes in (large requests: to every replica; read-only requests: to
 * 2f+1 replicas, the designated replier first, skipping replicas that were
 * quiet on the last request or disagreed with its result — the 2f+1
 * matching replies §5.1.3 needs, and n-2f-1 fewer replicas woken); when no result is accepted within the
 * retransmission timeout it goes to every replica asking all of them for the
 * full result, with exponential backoff (a read-only request is reissued
 * read-write instead).
 * Each replica holds one reply slot, overwritten by its later replies, so a
 * faulty replica influences only its own vote.
 *
 * Never reads a clock, never draws entropy: the designated replier rotates
 * with the timestamp.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/client_core.h"
#include "bft/error.h"
#include "bft/messages.h"

#ifdef BFT_TEST_HOOKS
#define CBUG(c, b) (((c)->cfg.test_bugs & (b)) != 0)
#else
#define CBUG(c, b) 0
#endif

struct reply_slot {
	bool have;
	bool tentative;
	bool read_only;
	bool full;
	uint64_t view;
	uint8_t digest[BFT_DIGEST_LEN]; /* of the full result */
	uint8_t *result;                /* full result, owned (BFT_MAX_RESULT) */
	uint32_t len;
};

struct bft_client_core {
	struct bft_client_config cfg;
	struct bft_keyring *kr;
	const struct bft_io *io;
	bft_client_done_fn done;
	void *done_data;

	uint64_t view;
	uint64_t ts;              /* timestamp of the outstanding/last request */
	bool busy;
	bool read_only;           /* the outstanding request is read-only */
	uint8_t *op;              /* its operation, owned (BFT_MAX_OP) */
	uint32_t op_len;
	uint32_t attempts;
	uint64_t timeout_ms;
	uint64_t quiet;           /* replicas that had not replied when the last
				     request completed, or had replied with
				     another result: not designated replier,
				     asked last for a read-only request */
	uint64_t asked;           /* replicas the outstanding request went to */
	struct reply_slot slots[BFT_MAX_REPLICAS];
	struct bft_msg in;
	uint8_t *out;             /* BFT_MAX_MSG */
};

static void clog_(const struct bft_client_core *c, enum bft_log_level level,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void clog_(const struct bft_client_core *c, enum bft_log_level level,
		  const char *fmt, ...)
{
	char line[384];
	int off;
	va_list ap;

	if (level > c->cfg.log_level || !c->io->log)
		return;
	off = snprintf(line, sizeof(line), "client %u: ", c->cfg.id);
	va_start(ap, fmt);
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	va_end(ap);
	c->io->log(c->io->data, level, line);
}

void bft_client_config_default(struct bft_client_config *cfg, uint32_t f, uint32_t id)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->f = f;
	cfg->n = 3 * f + 1;
	cfg->id = id;
	cfg->big_request = 4096;
	cfg->retrans_ms = 150;
	cfg->retrans_max_ms = 5000;
	cfg->log_level = BFT_LOG_INFO;
}

int bft_client_core_new(const struct bft_client_config *cfg, struct bft_keyring *kr,
			const struct bft_io *io, bft_client_done_fn done, void *done_data,
			struct bft_client_core **out)
{
	struct bft_client_core *c;

	*out = NULL;
	if (!cfg || !kr || !io || !done || io->version != BFT_IO_VERSION || !io->send ||
	    !io->set_timer || cfg->f < 1 || cfg->n != 3 * cfg->f + 1 ||
	    cfg->n > BFT_MAX_REPLICAS || cfg->id < cfg->n || cfg->retrans_ms == 0 ||
	    cfg->retrans_max_ms < cfg->retrans_ms)
		return BFT_E_INVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return BFT_E_NOMEM;
	c->cfg = *cfg;
	c->kr = kr;
	c->io = io;
	c->done = done;
	c->done_data = done_data;
	c->ts = cfg->first_timestamp;
	c->op = malloc(BFT_MAX_OP);
	c->out = malloc(BFT_MAX_MSG);
	if (!c->op || !c->out) {
		bft_client_core_free(c);
		return BFT_E_NOMEM;
	}
	*out = c;
	return BFT_OK;
}

void bft_client_core_free(struct bft_client_core *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < BFT_MAX_REPLICAS; i++)
		free(c->slots[i].result);
	free(c->op);
	free(c->out);
	free(c);
}

bool bft_client_core_busy(const struct bft_client_core *c) { return c->busy; }
uint64_t bft_client_core_view(const struct bft_client_core *c) { return c->view; }

void bft_client_core_set_view(struct bft_client_core *c, uint64_t view)
{
	if (view > c->view)
		c->view = view;
}
uint64_t bft_client_core_timestamp(const struct bft_client_core *c) { return c->ts; }
bool bft_client_core_last_read_only(const struct bft_client_core *c) { return c->read_only; }

/* The designated replier (§5.1.1) rotates with the timestamp, skipping
 * replicas that were quiet on the last request, so a crashed replica does
 * not cost every n-th request a retransmission timeout. */
static uint32_t pick_replier(const struct bft_client_core *c)
{
	uint32_t first = (uint32_t)((c->cfg.id + c->ts) % c->cfg.n), k;

	for (k = 0; k < c->cfg.n; k++) {
		uint32_t j = (first + k) % c->cfg.n;

		if (!(c->quiet >> j & 1))
			return j;
	}
	return first;
}

/* A read-only request's first recipients: 2f+1 replicas from the
 * designated replier on, preferring those that were not quiet. */
static uint64_t ro_quorum(const struct bft_client_core *c, uint32_t replier)
{
	uint32_t want = 2 * c->cfg.f + 1, got = 0, pass, k;
	uint64_t set = 0;

	for (pass = 0; pass < 2 && got < want; pass++)
		for (k = 0; k < c->cfg.n && got < want; k++) {
			uint32_t j = (replier + k) % c->cfg.n;

			if ((set >> j & 1) || (pass == 0 && (c->quiet >> j & 1)))
				continue;
			set |= 1ull << j;
			got++;
		}
	return set;
}

/* Encode the outstanding request (replier: one replica or all) and send it
 * to the primary only, to a read-only quorum, or to every replica. */
static void transmit(struct bft_client_core *c, bool to_all)
{
	struct bft_request q = {
		.timestamp = c->ts, .op = c->op, .op_len = c->op_len,
		.replier = to_all && c->attempts > 0 ? BFT_REPLIER_ALL : pick_replier(c),
	};
	uint8_t *trailer;
	uint32_t j;
	int len;

	len = bft_encode_request(c->out, BFT_MAX_MSG, c->cfg.n, c->cfg.id,
				 c->read_only ? BFT_REQ_READ_ONLY : 0, &q, &trailer);
	if (len < 0 || bft_keyring_auth(c->kr, c->out, (size_t)(trailer - c->out),
					trailer) != BFT_OK) {
		clog_(c, BFT_LOG_ERROR, "cannot encode request: %s", bft_strerror(len));
		return;
	}
	if (!to_all)
		c->asked = 1ull << (c->view % c->cfg.n);
	else if (c->read_only && c->attempts == 0 && !CBUG(c, BFT_CLIENT_BUG_ONE_REPLY))
		c->asked = ro_quorum(c, q.replier);
	else
		c->asked = c->cfg.n == 64 ? ~0ull : (1ull << c->cfg.n) - 1;
	for (j = 0; j < c->cfg.n; j++)
		if (c->asked >> j & 1)
			c->io->send(c->io->data, j, c->out, (size_t)len);
	c->io->set_timer(c->io->data, BFT_TIMER_CLIENT, c->timeout_ms);
}

static void start(struct bft_client_core *c, bool read_only)
{
	uint32_t i;

	c->ts++;
	c->read_only = read_only;
	c->attempts = 0;
	c->asked = 0;
	c->timeout_ms = c->cfg.retrans_ms;
	for (i = 0; i < c->cfg.n; i++) {
		c->slots[i].have = false;
		c->slots[i].full = false;
	}
	transmit(c, read_only || c->op_len > c->cfg.big_request);
}

int bft_client_core_submit(struct bft_client_core *c, const uint8_t *op, uint32_t len,
			   bool read_only)
{
	if (c->busy)
		return BFT_E_BUSY;
	if (len > BFT_MAX_OP)
		return BFT_E_LONG;
	if (len)
		memcpy(c->op, op, len);
	c->op_len = len;
	c->busy = true;
	start(c, read_only);
	return BFT_OK;
}

/* The view that at least f+1 replies claim (a faulty replica alone cannot
 * move the client to a view of its choosing). */
static void learn_view(struct bft_client_core *c)
{
	uint64_t best = c->view;
	uint32_t i, j;

	for (i = 0; i < c->cfg.n; i++) {
		uint32_t at_least = 0;

		if (!c->slots[i].have || c->slots[i].view <= best)
			continue;
		for (j = 0; j < c->cfg.n; j++)
			if (c->slots[j].have && c->slots[j].view >= c->slots[i].view)
				at_least++;
		if (at_least >= c->cfg.f + 1)
			best = c->slots[i].view;
	}
	c->view = best;
}

static void finish(struct bft_client_core *c, int status, const uint8_t *result,
		   uint32_t len)
{
	c->busy = false;
	c->io->set_timer(c->io->data, BFT_TIMER_CLIENT, 0);
	c->done(c->done_data, status, result, len);
}

/* Check for an accepted result; returns true when the request finished. */
static bool check_quorum(struct bft_client_core *c)
{
	uint32_t i, j, all, final, replies = 0, best = 0, waiting = 0;

	for (i = 0; i < c->cfg.n; i++) {
		const struct reply_slot *s = &c->slots[i];

		if (!s->have)
			continue;
		replies++;
		all = final = 0;
		for (j = 0; j < c->cfg.n; j++) {
			const struct reply_slot *t = &c->slots[j];

			if (t->have && !memcmp(t->digest, s->digest, BFT_DIGEST_LEN)) {
				all++;
				final += !t->tentative && !t->read_only;
			}
		}
		best = all > best ? all : best;
		if (!s->full)
			continue;
		if (CBUG(c, BFT_CLIENT_BUG_ONE_REPLY) ||
		    (c->read_only ? all >= 2 * c->cfg.f + 1
				  : final >= c->cfg.f + 1 || all >= 2 * c->cfg.f + 1)) {
			learn_view(c);
			c->quiet = 0;
			for (j = 0; j < c->cfg.n; j++)
				if (!c->slots[j].have ||
				    memcmp(c->slots[j].digest, s->digest, BFT_DIGEST_LEN))
					c->quiet |= 1ull << j;
			finish(c, BFT_OK, s->result, s->len);
			return true;
		}
	}
	/* Read-only: 2f+1 matching can no longer happen from the replicas asked
	 * — order it instead. */
	for (i = 0; i < c->cfg.n; i++)
		waiting += (c->asked >> i & 1) && !c->slots[i].have;
	if (c->read_only && best + waiting < 2 * c->cfg.f + 1) {
		clog_(c, BFT_LOG_DEBUG, "read-only replies disagree; retrying read-write");
		start(c, false);
	}
	return false;
}

/* A replica's fresh key (TOCS '02 §4.3.1; bft/core/new_key.c): signed by
 * it, with an epoch above the one we know, else ignored. Clients keep
 * their configured keys, so there is nothing to answer. */
static void recv_new_key(struct bft_client_core *c)
{
	const struct bft_new_key *k = &c->in.u.new_key;
	uint32_t from = c->in.hdr.sender;

	if (from >= c->cfg.n || k->epoch <= bft_keyring_peer_epoch(c->kr, from))
		return;
	if (bft_keyring_verify(c->kr, from, c->in.raw, c->in.signed_len,
			       c->in.trailer) != BFT_OK) {
		clog_(c, BFT_LOG_WARN, "dropped NEW-KEY from replica %u: bad signature", from);
		return;
	}
	if (bft_keyring_peer_refresh(c->kr, from, k->epoch, k->dh_pub, false) != BFT_OK)
		clog_(c, BFT_LOG_WARN, "dropped NEW-KEY from replica %u: unusable key", from);
	else
		clog_(c, BFT_LOG_DEBUG, "replica %u has a new key (epoch %llu)", from,
		      (unsigned long long)k->epoch);
}

void bft_client_core_recv(struct bft_client_core *c, const uint8_t *buf, size_t len)
{
	const struct bft_reply *rep = &c->in.u.reply;
	struct reply_slot *s;
	uint32_t from;

	if (bft_msg_decode(buf, len, c->cfg.n, &c->in) != BFT_OK)
		return;
	if (c->in.hdr.type == BFT_MSG_NEW_KEY)
		return recv_new_key(c);
	if (c->in.hdr.type != BFT_MSG_REPLY)
		return;
	from = c->in.hdr.sender;
	if (!c->busy || from >= c->cfg.n || rep->client != c->cfg.id || rep->timestamp != c->ts)
		return;
	if (bft_keyring_mac_verify(c->kr, from, c->in.raw, c->in.signed_len,
				   c->in.trailer) != BFT_OK) {
		clog_(c, BFT_LOG_WARN, "dropped REPLY from replica %u: bad MAC", from);
		return;
	}
	if (!!(c->in.hdr.flags & BFT_REP_READ_ONLY) != c->read_only)
		return;
	s = &c->slots[from];
	if (!s->result && !(s->result = malloc(BFT_MAX_RESULT)))
		return;
	s->have = true;
	s->tentative = c->in.hdr.flags & BFT_REP_TENTATIVE;
	s->read_only = c->in.hdr.flags & BFT_REP_READ_ONLY;
	s->view = rep->view;
	if (c->in.hdr.flags & BFT_REP_DIGEST) {
		memcpy(s->digest, rep->result, BFT_DIGEST_LEN);
		s->full = false;
	} else {
		memcpy(s->result, rep->result, rep->result_len);
		s->len = rep->result_len;
		bft_sha256(rep->result, rep->result_len, s->digest);
		s->full = true;
	}
	check_quorum(c);
}

void bft_client_core_on_timer(struct bft_client_core *c, enum bft_timer which)
{
	if (which != BFT_TIMER_CLIENT || !c->busy)
		return;
	if (c->read_only) {
		clog_(c, BFT_LOG_DEBUG, "read-only request %llu timed out; retrying read-write",
		      (unsigned long long)c->ts);
		start(c, false);
		return;
	}
	c->attempts++;
	c->timeout_ms = c->timeout_ms * 2 > c->cfg.retrans_max_ms ? c->cfg.retrans_max_ms
								   : c->timeout_ms * 2;
	transmit(c, true);
}
