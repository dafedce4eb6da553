/*
 * null_service.c — the null/echo service (null_service.h), for measuring
 * the replication protocol alone (OSDI '99 §6.3 micro-benchmarks).
 *
 * Must stay deterministic (results depend on the operation only; state on
 * the executed sequence) and never read past an operation or write past
 * the result buffer. Fails only when out of memory (recording a reply).
 */
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "null_service.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int run(struct null_service *s, const struct bft_exec_req *req, uint8_t *result,
	       uint32_t cap, uint32_t *len)
{
	uint32_t want = s->default_result, i;
	const uint8_t *payload = NULL;
	uint32_t plen = 0;

	if (req->op_len >= NULL_OP_HDR && le32(req->op) == NULL_OP_MAGIC) {
		want = le32(req->op + 4);
		payload = req->op + NULL_OP_HDR;
		plen = req->op_len - NULL_OP_HDR;
	}
	if (want > cap)
		want = cap;
	if (!plen)
		memset(result, 0, want);
	for (i = 0; plen && i < want; i++)
		result[i] = payload[i % plen];
	*len = want;
	return BFT_OK;
}

static int batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	struct null_service *s = data;

	s->last_seq = seq;
	s->open_time_us = time_us;
	s->executed_before = s->executed;
	null_replies_clear(&s->pending);
	return BFT_OK;
}

static int execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		   uint32_t cap, uint32_t *len)
{
	struct null_service *s = data;
	int err = run(s, req, result, cap, len);

	s->executed++;
	return err ? err : null_replies_set(&s->pending, req->client, req->timestamp,
					     result, *len);
}

/* The batch's replies become the clients' last replies. */
static int batch_end(void *data, uint64_t seq)
{
	struct null_service *s = data;
	uint32_t i;
	int err = BFT_OK;

	(void)seq;
	for (i = 0; i < s->pending.n && !err; i++) {
		struct null_reply *p = &s->pending.v[i];

		err = null_replies_set(&s->replies, p->client, p->timestamp, p->result, p->len);
	}
	null_replies_clear(&s->pending);
	s->last_time_us = s->open_time_us;
	return err;
}

static int batch_abort(void *data, uint64_t seq)
{
	struct null_service *s = data;

	(void)seq;
	s->executed = s->executed_before;
	null_replies_clear(&s->pending);
	return BFT_OK;
}

static int execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
		      uint32_t cap, uint32_t *len)
{
	return run(data, req, result, cap, len);
}

void null_service_init(struct null_service *s, uint32_t default_result)
{
	memset(s, 0, sizeof(*s));
	s->default_result = default_result > BFT_MAX_RESULT ? BFT_MAX_RESULT : default_result;
	s->vt = (struct bft_service){
		.version = BFT_SERVICE_VERSION, .data = s, .batch_begin = batch_begin,
		.execute = execute, .batch_end = batch_end,
		.batch_abort = batch_abort, .execute_ro = execute_ro,
	};
	null_transfer_init(s);
}
