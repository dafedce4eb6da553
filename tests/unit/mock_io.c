/*
 * mock_io.c — the recording io, the counter service, the test cluster's
 * keys and the message forgers of the unit tests (mock_io.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_io.h"

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	ck_assert_ptr_nonnull(q);
	return q;
}

#define GROW(arr, n, cap)                                                        \
	do {                                                                     \
		if ((n) == (cap)) {                                              \
			(cap) = (cap) ? 2 * (cap) : 16;                          \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));         \
		}                                                                \
	} while (0)

static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void st64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- recording io ---- */

static void io_send(void *data, uint32_t to, const uint8_t *buf, size_t len)
{
	struct mock_io *m = data;
	struct mock_sent *s;

	GROW(m->sent, m->n_sent, m->cap_sent);
	s = &m->sent[m->n_sent++];
	s->to = to;
	s->len = len;
	s->buf = xrealloc(NULL, len);
	memcpy(s->buf, buf, len);
}

static void io_set_timer(void *data, enum bft_timer which, uint64_t ms)
{
	struct mock_io *m = data;

	GROW(m->timers, m->n_timers, m->cap_timers);
	m->timers[m->n_timers].which = which;
	m->timers[m->n_timers].ms = ms;
	m->n_timers++;
}

static uint64_t io_now_us(void *data)
{
	struct mock_io *m = data;

	return m->now_us;
}

static void io_log(void *data, enum bft_log_level level, const char *line)
{
	struct mock_io *m = data;

	if (m->echo_logs)
		fprintf(stderr, "[%d] %s\n", (int)level, line);
	if (m->n_logs >= 100000)
		return;
	GROW(m->logs, m->n_logs, m->cap_logs);
	m->logs[m->n_logs] = strdup(line);
	ck_assert_ptr_nonnull(m->logs[m->n_logs]);
	m->n_logs++;
}

static void io_trace(void *data, const struct bft_trace *ev)
{
	struct mock_io *m = data;
	struct mock_trace *t;

	GROW(m->traces, m->n_traces, m->cap_traces);
	t = &m->traces[m->n_traces++];
	memset(t, 0, sizeof(*t));
	t->kind = ev->kind;
	t->node = ev->node;
	t->view = ev->view;
	t->seq = ev->seq;
	t->tentative = ev->tentative;
	if (ev->digest) {
		t->has_digest = true;
		memcpy(t->digest, ev->digest, BFT_DIGEST_LEN);
	}
}

void mock_io_init(struct mock_io *m, uint64_t now_us)
{
	memset(m, 0, sizeof(*m));
	m->now_us = now_us;
	m->io = (struct bft_io){ .version = BFT_IO_VERSION, .data = m, .send = io_send,
				 .set_timer = io_set_timer, .now_us = io_now_us,
				 .log = io_log, .trace = io_trace };
	m->echo_logs = getenv("MOCK_ECHO_LOGS") != NULL;
}

void mock_io_clear(struct mock_io *m)
{
	size_t i;

	for (i = 0; i < m->n_sent; i++)
		free(m->sent[i].buf);
	for (i = 0; i < m->n_logs; i++)
		free(m->logs[i]);
	m->n_sent = m->n_timers = m->n_logs = m->n_traces = 0;
}

void mock_io_free(struct mock_io *m)
{
	mock_io_clear(m);
	free(m->sent);
	free(m->timers);
	free(m->logs);
	free(m->traces);
	m->sent = NULL;
	m->timers = NULL;
	m->logs = NULL;
	m->traces = NULL;
	m->cap_sent = m->cap_timers = m->cap_logs = m->cap_traces = 0;
}

void mock_sent_decode(const struct mock_io *m, size_t i, struct bft_msg *out)
{
	ck_assert_uint_lt(i, m->n_sent);
	ck_assert_int_eq(bft_msg_decode(m->sent[i].buf, m->sent[i].len, MOCK_N, out), BFT_OK);
}

static bool sent_matches(const struct mock_sent *s, uint8_t type, uint32_t to)
{
	if (to != MOCK_ANY && s->to != to)
		return false;
	return type == 0 || (s->len >= 2 && s->buf[1] == type);
}

size_t mock_count(const struct mock_io *m, uint8_t type, uint32_t to)
{
	size_t i, c = 0;

	for (i = 0; i < m->n_sent; i++)
		c += sent_matches(&m->sent[i], type, to);
	return c;
}

long mock_find(const struct mock_io *m, uint8_t type, uint32_t to, size_t nth)
{
	size_t i;

	for (i = 0; i < m->n_sent; i++)
		if (sent_matches(&m->sent[i], type, to) && nth-- == 0)
			return (long)i;
	return -1;
}

uint64_t mock_dest_mask(const struct mock_io *m, uint8_t type)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < m->n_sent; i++)
		if (sent_matches(&m->sent[i], type, MOCK_ANY) && m->sent[i].to < 64)
			mask |= 1ull << m->sent[i].to;
	return mask;
}

size_t mock_trace_count(const struct mock_io *m, enum bft_trace_kind kind, uint64_t seq)
{
	size_t i, c = 0;

	for (i = 0; i < m->n_traces; i++)
		if (m->traces[i].kind == kind && (seq == UINT64_MAX || m->traces[i].seq == seq))
			c++;
	return c;
}

bool mock_log_contains(const struct mock_io *m, const char *needle)
{
	size_t i;

	for (i = 0; i < m->n_logs; i++)
		if (strstr(m->logs[i], needle))
			return true;
	return false;
}

bool mock_last_timer(const struct mock_io *m, enum bft_timer which, uint64_t *ms)
{
	size_t i = m->n_timers;

	while (i-- > 0) {
		if (m->timers[i].which == which) {
			*ms = m->timers[i].ms;
			return true;
		}
	}
	return false;
}

/* ---- counter service ---- */

struct mock_call *mock_record(struct mock_service *s, enum mock_call_kind kind)
{
	struct mock_call *c;

	GROW(s->calls, s->n_calls, s->cap_calls);
	c = &s->calls[s->n_calls++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->sent_before = s->io ? s->io->n_sent : 0;
	return c;
}

static void record_req(struct mock_call *c, const struct bft_exec_req *req)
{
	c->client = req->client;
	c->timestamp = req->timestamp;
	c->read_only = req->read_only;
	c->op_len = req->op_len;
	if (req->op_len)
		memcpy(c->op, req->op, req->op_len < MOCK_OP_KEEP ? req->op_len : MOCK_OP_KEEP);
}

uint32_t mock_result(uint64_t counter, const void *op, uint32_t op_len, uint8_t *out)
{
	st64(out, counter);
	if (op_len)
		memcpy(out + 8, op, op_len);
	return 8 + op_len;
}

void mock_state_digest(uint64_t counter, uint8_t out[BFT_DIGEST_LEN])
{
	uint8_t b[18];

	memcpy(b, "mock-state", 10);
	st64(b + 10, counter);
	bft_sha256(b, sizeof(b), out);
}

static int svc_batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	struct mock_service *s = data;
	struct mock_call *c = mock_record(s, MOCK_BEGIN);

	c->seq = seq;
	c->time_us = time_us;
	c->counter = s->counter;
	if (s->in_batch)
		s->misuse = true;
	if (s->fail_on == MOCK_BEGIN)
		return -1;
	s->in_batch = true;
	s->cur_seq = seq;
	s->begin_counter = s->counter;
	return 0;
}

static int svc_execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		       uint32_t result_cap, uint32_t *result_len)
{
	struct mock_service *s = data;
	struct mock_call *c = mock_record(s, MOCK_EXEC);

	record_req(c, req);
	c->seq = s->cur_seq;
	if (!s->in_batch || req->read_only)
		s->misuse = true;
	if (s->fail_on == MOCK_EXEC)
		return -1;
	if (8 + (uint64_t)req->op_len > result_cap)
		return -1;
	s->counter++;
	c->counter = s->counter;
	*result_len = mock_result(s->counter, req->op, req->op_len, result);
	return 0;
}

static int svc_batch_end(void *data, uint64_t seq)
{
	struct mock_service *s = data;
	struct mock_call *c = mock_record(s, MOCK_END);

	c->seq = seq;
	c->counter = s->counter;
	if (!s->in_batch || seq != s->cur_seq)
		s->misuse = true;
	s->in_batch = false;
	if (s->fail_on == MOCK_END)
		return -1;
	return 0;
}

static int svc_batch_abort(void *data, uint64_t seq)
{
	struct mock_service *s = data;
	struct mock_call *c = mock_record(s, MOCK_ABORT);

	c->seq = seq;
	if (!s->in_batch || seq != s->cur_seq)
		s->misuse = true;
	s->in_batch = false;
	s->counter = s->begin_counter;
	c->counter = s->counter;
	if (s->fail_on == MOCK_ABORT)
		return -1;
	return 0;
}

static int svc_execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
			  uint32_t result_cap, uint32_t *result_len)
{
	struct mock_service *s = data;
	struct mock_call *c = mock_record(s, MOCK_EXEC_RO);

	record_req(c, req);
	c->counter = s->counter;
	if (s->in_batch || !req->read_only)
		s->misuse = true;
	if (s->fail_on == MOCK_EXEC_RO)
		return -1;
	if (8 + (uint64_t)req->op_len > result_cap)
		return -1;
	*result_len = mock_result(s->counter, req->op, req->op_len, result);
	return 0;
}

static int svc_checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	struct mock_service *s = data;
	struct mock_call *c = mock_record(s, MOCK_CKPT);

	c->seq = seq;
	c->counter = s->counter;
	if (s->in_batch)
		s->misuse = true;
	if (s->fail_on == MOCK_CKPT)
		return -1;
	mock_state_digest(s->counter, digest);
	memcpy(c->digest, digest, BFT_DIGEST_LEN);
	return 0;
}

void mock_service_init(struct mock_service *s)
{
	memset(s, 0, sizeof(*s));
	s->svc = (struct bft_service){
		.version = BFT_SERVICE_VERSION, .data = s, .batch_begin = svc_batch_begin,
		.execute = svc_execute, .batch_end = svc_batch_end,
		.batch_abort = svc_batch_abort, .execute_ro = svc_execute_ro, .checkpoint = svc_checkpoint,
	};
}

void mock_service_free(struct mock_service *s)
{
	free(s->calls);
	s->calls = NULL;
	s->n_calls = s->cap_calls = 0;
}

size_t mock_calls_of(const struct mock_service *s, enum mock_call_kind kind)
{
	size_t i, c = 0;

	for (i = 0; i < s->n_calls; i++)
		c += s->calls[i].kind == kind;
	return c;
}

/* ---- keys ---- */

void mock_keys_init(struct mock_keys *k)
{
	uint8_t seed[2 * BFT_KEY_LEN];
	uint32_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < MOCK_N_NODES; i++) {
		memset(seed, 0, sizeof(seed));
		seed[0] = (uint8_t)i;
		seed[1] = 0x7e;
		seed[2] = 0x57;
		seed[BFT_KEY_LEN] = (uint8_t)i;
		seed[BFT_KEY_LEN + 1] = 0xc4;
		ck_assert_int_eq(bft_keypair_from_seed(&k->kp[i], seed), BFT_OK);
		bft_keypair_public(&k->kp[i], &k->pub[i]);
	}
	for (i = 0; i < MOCK_N_NODES; i++)
		ck_assert_int_eq(bft_keyring_new(i, MOCK_N, MOCK_N_NODES, &k->kp[i], k->pub,
						 &k->kr[i]), BFT_OK);
}

void mock_keys_free(struct mock_keys *k)
{
	uint32_t i;

	for (i = 0; i < MOCK_N_NODES; i++) {
		bft_keyring_free(k->kr[i]);
		k->kr[i] = NULL;
	}
}

/* ---- independent digests ---- */

void mock_req_digest(uint32_t client, uint64_t ts, uint16_t flags, const void *op,
		     uint32_t op_len, uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t pre[14];

	st32(pre, client);
	st64(pre + 4, ts);
	st16(pre + 12, flags);
	bft_sha256_init(&c);
	bft_sha256_update(&c, pre, sizeof(pre));
	if (op_len)
		bft_sha256_update(&c, op, op_len);
	bft_sha256_final(&c, out);
}

void mock_pp_digest(const struct bft_pre_prepare *pp, uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t pre[10];
	uint16_t i;

	st64(pre, pp->nondet);
	st16(pre + 8, pp->count);
	bft_sha256_init(&c);
	bft_sha256_update(&c, pre, sizeof(pre));
	for (i = 0; i < pp->count; i++)
		bft_sha256_update(&c, pp->entries[i].digest, BFT_DIGEST_LEN);
	bft_sha256_final(&c, out);
}

void mock_pp_digest_of_msg(const struct bft_msg *m, uint8_t out[BFT_DIGEST_LEN])
{
	static struct bft_pre_prepare pp;
	uint16_t i;

	ck_assert_uint_eq(m->hdr.type, BFT_MSG_PRE_PREPARE);
	mock_pp_init(&pp, m->u.pre_prepare.view, m->u.pre_prepare.seq,
		     m->u.pre_prepare.nondet);
	pp.count = m->u.pre_prepare.count;
	for (i = 0; i < pp.count; i++) {
		const struct bft_pp_entry *x = &m->u.pre_prepare.entries[i];

		if (x->kind == BFT_PP_INLINE)
			mock_req_digest(x->req_hdr.sender, x->req.timestamp, x->req_hdr.flags,
					x->req.op, x->req.op_len, pp.entries[i].digest);
		else
			memcpy(pp.entries[i].digest, x->digest, BFT_DIGEST_LEN);
	}
	mock_pp_digest(&pp, out);
}

uint64_t mock_sent_pp(const struct mock_io *m, uint32_t to, size_t nth,
		      uint8_t digest[BFT_DIGEST_LEN])
{
	static struct bft_msg msg;
	long i = mock_find(m, BFT_MSG_PRE_PREPARE, to, nth);

	ck_assert_int_ge(i, 0);
	mock_sent_decode(m, (size_t)i, &msg);
	mock_pp_digest_of_msg(&msg, digest);
	return msg.u.pre_prepare.seq;
}

/* ---- forging ---- */

/* Fill the trailer (buf[0..signed) authenticated by `from`) for `type`. */
static void seal(struct mock_keys *k, uint32_t from, uint32_t to, uint8_t type,
		 uint8_t *buf, uint8_t *trailer)
{
	size_t signed_len = (size_t)(trailer - buf);

	switch (bft_msg_trailer(type)) {
	case BFT_TRAILER_AUTH:
		ck_assert_int_eq(bft_keyring_auth(k->kr[from], buf, signed_len, trailer), BFT_OK);
		break;
	case BFT_TRAILER_MAC:
		ck_assert_int_eq(bft_keyring_mac(k->kr[from], to, buf, signed_len, trailer),
				 BFT_OK);
		break;
	case BFT_TRAILER_SIG:
		ck_assert_int_eq(bft_keyring_sign(k->kr[from], buf, signed_len, trailer), BFT_OK);
		break;
	}
}

size_t mock_forge_request(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t client,
			  uint64_t ts, uint32_t replier, uint16_t flags, const void *op,
			  uint32_t op_len)
{
	struct bft_request q = { .timestamp = ts, .replier = replier, .op_len = op_len,
				 .op = op };
	uint8_t *trailer;
	int len;

	ck_assert_uint_lt(client, MOCK_N_NODES);
	len = bft_encode_request(buf, cap, MOCK_N, client, flags, &q, &trailer);
	ck_assert_int_gt(len, 0);
	seal(k, client, 0, BFT_MSG_REQUEST, buf, trailer);
	return (size_t)len;
}

void mock_pp_init(struct bft_pre_prepare *pp, uint64_t view, uint64_t seq, uint64_t nondet)
{
	memset(pp, 0, sizeof(*pp));
	pp->view = view;
	pp->seq = seq;
	pp->nondet = nondet;
}

void mock_pp_add_inline(struct bft_pre_prepare *pp, const uint8_t *req, size_t len)
{
	struct bft_pp_entry *x;
	struct bft_msg m;

	ck_assert_uint_lt(pp->count, BFT_MAX_BATCH);
	ck_assert_int_eq(bft_msg_decode(req, len, MOCK_N, &m), BFT_OK);
	ck_assert_uint_eq(m.hdr.type, BFT_MSG_REQUEST);
	x = &pp->entries[pp->count++];
	memset(x, 0, sizeof(*x));
	x->kind = BFT_PP_INLINE;
	x->raw = req;
	x->raw_len = (uint32_t)len;
	x->client = m.hdr.sender;
	x->timestamp = m.u.request.timestamp;
	x->req_flags = m.hdr.flags;
	mock_req_digest(m.hdr.sender, m.u.request.timestamp, m.hdr.flags, m.u.request.op,
			m.u.request.op_len, x->digest);
}

void mock_pp_add_digest(struct bft_pre_prepare *pp, uint32_t client, uint64_t ts,
			uint16_t flags, const void *op, uint32_t op_len)
{
	struct bft_pp_entry *x;

	ck_assert_uint_lt(pp->count, BFT_MAX_BATCH);
	x = &pp->entries[pp->count++];
	memset(x, 0, sizeof(*x));
	x->kind = BFT_PP_DIGEST;
	x->client = client;
	x->timestamp = ts;
	x->req_flags = flags;
	mock_req_digest(client, ts, flags, op, op_len, x->digest);
}

size_t mock_forge_pre_prepare(struct mock_keys *k, uint8_t *buf, size_t cap,
			      uint32_t sender, const struct bft_pre_prepare *pp)
{
	uint8_t *trailer;
	int len = bft_encode_pre_prepare(buf, cap, MOCK_N, sender, pp, &trailer);

	ck_assert_int_gt(len, 0);
	seal(k, sender, 0, BFT_MSG_PRE_PREPARE, buf, trailer);
	return (size_t)len;
}

size_t mock_forge_vote(struct mock_keys *k, uint8_t *buf, size_t cap, uint8_t type,
		       uint32_t from, uint64_t view, uint64_t seq,
		       const uint8_t digest[BFT_DIGEST_LEN])
{
	struct bft_prepare p = { .view = view, .seq = seq };
	uint8_t *trailer;
	int len;

	memcpy(p.digest, digest, BFT_DIGEST_LEN);
	len = bft_encode_prepare(buf, cap, MOCK_N, type, from, &p, &trailer);
	ck_assert_int_gt(len, 0);
	seal(k, from, 0, type, buf, trailer);
	return (size_t)len;
}

size_t mock_forge_checkpoint(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			     uint64_t seq, const uint8_t digest[BFT_DIGEST_LEN])
{
	struct bft_checkpoint c = { .seq = seq };
	uint8_t *trailer;
	int len;

	memcpy(c.digest, digest, BFT_DIGEST_LEN);
	len = bft_encode_checkpoint(buf, cap, from, &c, &trailer);
	ck_assert_int_gt(len, 0);
	seal(k, from, 0, BFT_MSG_CHECKPOINT, buf, trailer);
	return (size_t)len;
}

size_t mock_forge_fetch(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			uint32_t level, uint64_t index, uint64_t offset, uint64_t want_seq,
			uint32_t replier)
{
	struct bft_fetch f = { .level = level, .index = index, .offset = offset,
			       .want_seq = want_seq, .replier = replier };
	uint8_t *trailer;
	int len = bft_encode_fetch(buf, cap, MOCK_N, from, &f, &trailer);

	ck_assert_int_gt(len, 0);
	seal(k, from, 0, BFT_MSG_FETCH, buf, trailer);
	return (size_t)len;
}

size_t mock_forge_meta_data(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			    uint32_t to, uint64_t seq, uint32_t level, uint64_t index,
			    uint16_t count, const uint64_t *idx,
			    const uint8_t (*digests)[BFT_DIGEST_LEN])
{
	struct bft_meta_data md = { .seq = seq, .level = level, .index = index,
				    .count = count };
	uint64_t lm[BFT_MAX_META_ENTRIES] = { 0 };
	uint8_t *trailer;
	int len;

	ck_assert_uint_le(count, BFT_MAX_META_ENTRIES);
	len = bft_encode_meta_data(buf, cap, from, &md, idx, lm, digests, &trailer);
	ck_assert_int_gt(len, 0);
	seal(k, from, to, BFT_MSG_META_DATA, buf, trailer);
	return (size_t)len;
}

size_t mock_forge_data(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
		       uint32_t to, uint64_t seq, uint64_t index, uint32_t offset,
		       uint32_t total, const uint8_t *data, uint32_t len)
{
	struct bft_data d = { .seq = seq, .index = index, .offset = offset, .total = total,
			      .len = len, .data = data };
	uint8_t *trailer;
	int n = bft_encode_data(buf, cap, from, &d, &trailer);

	ck_assert_int_gt(n, 0);
	seal(k, from, to, BFT_MSG_DATA, buf, trailer);
	return (size_t)n;
}

size_t mock_forge_status(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			 uint64_t view, uint64_t stable, uint64_t last_exec,
			 uint64_t last_prepared, uint32_t flags)
{
	struct bft_status s = { .view = view, .stable = stable, .last_exec = last_exec,
				.last_prepared = last_prepared, .flags = flags };
	uint8_t *trailer;
	int len = bft_encode_status(buf, cap, MOCK_N, from, &s, &trailer);

	ck_assert_int_gt(len, 0);
	seal(k, from, 0, BFT_MSG_STATUS, buf, trailer);
	return (size_t)len;
}

size_t mock_forge_reply(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			uint32_t to, uint32_t client, uint16_t flags, uint64_t view,
			uint64_t ts, const void *result, uint32_t len)
{
	struct bft_reply r = { .view = view, .timestamp = ts, .client = client,
			       .result_len = len, .result = result };
	uint8_t *trailer;
	int n = bft_encode_reply(buf, cap, from, flags, &r, &trailer);

	ck_assert_int_gt(n, 0);
	seal(k, from, to, BFT_MSG_REPLY, buf, trailer);
	return (size_t)n;
}

bool mock_verify(struct mock_keys *k, uint32_t at, const uint8_t *buf, size_t len)
{
	struct bft_msg m;

	if (bft_msg_decode(buf, len, MOCK_N, &m) != BFT_OK || at >= MOCK_N_NODES)
		return false;
	switch (bft_msg_trailer(m.hdr.type)) {
	case BFT_TRAILER_AUTH:
		return bft_keyring_auth_verify(k->kr[at], m.hdr.sender, m.raw, m.signed_len,
					       m.trailer) == BFT_OK;
	case BFT_TRAILER_MAC:
		return bft_keyring_mac_verify(k->kr[at], m.hdr.sender, m.raw, m.signed_len,
					      m.trailer) == BFT_OK;
	case BFT_TRAILER_SIG:
		return bft_keyring_verify(k->kr[at], m.hdr.sender, m.raw, m.signed_len,
					  m.trailer) == BFT_OK;
	}
	return false;
}

/* ---- one replica under test ---- */

void mock_replica_config(struct bft_replica_config *cfg, uint32_t id)
{
	bft_replica_config_default(cfg, MOCK_F, id, MOCK_N_CLIENTS);
	cfg->checkpoint_interval = 4;
	cfg->log_window = 8;
	cfg->big_request = 64;
	cfg->log_level = BFT_LOG_DEBUG;
	/* COMMITs leave as soon as decided, so a test sees each vote where it
	 * was made; test_lazy_commit.c covers holding them back. */
	cfg->commit_delay_ms = 0;
}

void mock_node_open(struct mock_node *nd, struct mock_keys *k,
		    const struct bft_replica_config *cfg)
{
	mock_node_open_ext(nd, k, cfg, NULL, NULL);
}

void mock_node_open_ext(struct mock_node *nd, struct mock_keys *k,
			const struct bft_replica_config *cfg,
			void (*attach)(struct mock_service *s, void *arg), void *arg)
{
	memset(nd, 0, sizeof(*nd));
	nd->cfg = *cfg;
	nd->keys = k;
	mock_io_init(&nd->io, MOCK_EPOCH_US);
	mock_service_init(&nd->svc);
	nd->svc.io = &nd->io;
	if (attach)
		attach(&nd->svc, arg);
	ck_assert_int_eq(bft_replica_new(&nd->cfg, k->kr[cfg->id], &nd->io.io, &nd->svc.svc,
					 &nd->r), BFT_OK);
	ck_assert_ptr_nonnull(nd->r);
}

void mock_node_close(struct mock_node *nd)
{
	bft_replica_free(nd->r);
	nd->r = NULL;
	mock_io_free(&nd->io);
	mock_service_free(&nd->svc);
}

void mock_deliver(struct mock_node *nd, const uint8_t *buf, size_t len)
{
	bft_replica_recv(nd->r, buf, len);
	ck_assert_msg(!nd->svc.misuse, "the replica called the service out of order");
}

void mock_feed_votes(struct mock_node *nd, uint8_t type, uint64_t view, uint64_t seq,
		     const uint8_t digest[BFT_DIGEST_LEN], uint64_t from_mask)
{
	uint8_t buf[512];
	uint32_t j;

	for (j = 0; j < MOCK_N; j++) {
		if (!(from_mask >> j & 1))
			continue;
		mock_deliver(nd, buf, mock_forge_vote(nd->keys, buf, sizeof(buf), type, j,
						      view, seq, digest));
	}
}

/* ---- the shared fixture of the handler tests ---- */

struct mock_fixture fx;

void fixture_setup(void)
{
	memset(&fx, 0, sizeof(fx));
	mock_keys_init(&fx.keys);
}

void fixture_teardown(void)
{
	if (fx.nd.r)
		mock_node_close(&fx.nd);
	mock_keys_free(&fx.keys);
}

void fixture_open(const struct bft_replica_config *cfg)
{
	fixture_open_ext(cfg, NULL, NULL);
}

void fixture_open_ext(const struct bft_replica_config *cfg,
		      void (*attach)(struct mock_service *s, void *arg), void *arg)
{
	if (fx.nd.r)
		mock_node_close(&fx.nd);
	mock_node_open_ext(&fx.nd, &fx.keys, cfg, attach, arg);
}

void fixture_open_replica(uint32_t id, bool tentative)
{
	struct bft_replica_config cfg;

	mock_replica_config(&cfg, id);
	cfg.tentative = tentative;
	fixture_open(&cfg);
}

size_t fixture_request(uint8_t *b, uint32_t client, uint64_t ts, uint32_t replier,
		       uint16_t flags, const char *op)
{
	return mock_forge_request(&fx.keys, b, FIXTURE_REQ_CAP, client, ts, replier, flags, op,
				  (uint32_t)strlen(op));
}

void fixture_pp_one(uint64_t view, uint64_t seq, uint64_t nondet, uint32_t client,
		    uint64_t ts, uint32_t replier, const char *op)
{
	uint8_t *b = fx.rq[seq % FIXTURE_SLOTS];
	size_t l = fixture_request(b, client, ts, replier, 0, op);

	mock_pp_init(&fx.pp, view, seq, nondet);
	mock_pp_add_inline(&fx.pp, b, l);
}

size_t fixture_deliver_pp(uint32_t sender)
{
	size_t slot = fx.pp.seq % FIXTURE_SLOTS;

	fx.pp_len[slot] = mock_forge_pre_prepare(&fx.keys, fx.pp_raw[slot], FIXTURE_PP_CAP,
						 sender, &fx.pp);
	mock_deliver(&fx.nd, fx.pp_raw[slot], fx.pp_len[slot]);
	return fx.pp_len[slot];
}

void fixture_backup_pp(uint64_t seq, uint64_t nondet, uint32_t client, uint64_t ts,
		       uint32_t replier, const char *op, uint8_t d[BFT_DIGEST_LEN])
{
	fixture_pp_one(0, seq, nondet, client, ts, replier, op);
	mock_pp_digest(&fx.pp, d);
	fixture_deliver_pp(0);
}

void fixture_seq_pp(uint64_t seq, uint8_t d[BFT_DIGEST_LEN])
{
	fixture_backup_pp(seq, MOCK_EPOCH_US + seq, MOCK_C0, seq, 0, "inc", d);
}

void fixture_commit_seq(uint64_t seq)
{
	uint8_t d[BFT_DIGEST_LEN];

	fixture_seq_pp(seq, d);
	mock_feed_votes(&fx.nd, BFT_MSG_PREPARE, 0, seq, d, 0x4);
	mock_feed_votes(&fx.nd, BFT_MSG_COMMIT, 0, seq, d, 0xc);
	ck_assert_uint_eq(bft_replica_last_executed(fx.nd.r), seq);
}

void fixture_decode_sent(uint8_t type, uint32_t to, size_t nth)
{
	mock_sent_decode(&fx.nd.io, (size_t)mock_find(&fx.nd.io, type, to, nth), &fx.msg);
}

bool fixture_next_sent(size_t *i, uint8_t type)
{
	for (; *i < fx.nd.io.n_sent; (*i)++) {
		mock_sent_decode(&fx.nd.io, *i, &fx.msg);
		if (fx.msg.hdr.type == type)
			return true;
	}
	return false;
}

void fixture_assert_votes_sent(uint8_t type, uint64_t view, uint64_t seq,
			       const uint8_t d[BFT_DIGEST_LEN])
{
	const struct mock_io *io = &fx.nd.io;
	uint32_t id = fx.nd.cfg.id;
	size_t i;

	ck_assert_uint_eq(mock_count(io, type, MOCK_ANY), MOCK_N - 1);
	ck_assert_uint_eq(mock_dest_mask(io, type), 0xfull & ~(1ull << id));
	for (i = 0; fixture_next_sent(&i, type); i++) {
		ck_assert_uint_eq(fx.msg.hdr.sender, id);
		ck_assert_uint_eq(fx.msg.u.prepare.view, view);
		ck_assert_uint_eq(fx.msg.u.prepare.seq, seq);
		ck_assert_mem_eq(fx.msg.u.prepare.digest, d, BFT_DIGEST_LEN);
		ck_assert(mock_verify(&fx.keys, io->sent[i].to, io->sent[i].buf,
				      io->sent[i].len));
	}
}

/* ---- running a Check suite ---- */

int fixture_run(const char *name, const struct fixture_tcase *tc, size_t n)
{
	Suite *s = suite_create(name);
	SRunner *sr;
	int failed;

	for (size_t i = 0; i < n; i++) {
		TCase *t = tcase_create(tc[i].name);

		if (tc[i].setup || tc[i].teardown)
			tcase_add_checked_fixture(t, tc[i].setup, tc[i].teardown);
		tcase_set_timeout(t, tc[i].timeout);
		for (const TTest **x = tc[i].tests; *x; x++)
			tcase_add_test(t, *x);
		suite_add_tcase(s, t);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
