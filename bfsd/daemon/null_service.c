/*
 * null_service.c — the null/echo service (null_service.h), for measuring
 * the replication protocol alone (OSDI '99 §6.3 micro-benchmarks).
 *
 * Must stay deterministic (results depend on the operation only; state on
 * the executed sequence) and never read past an operation or write past
 * the result buffer.
 */
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
	s->last_time_us = time_us;
	s->executed_before = s->executed;
	return BFT_OK;
}

static int execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		   uint32_t cap, uint32_t *len)
{
	struct null_service *s = data;

	s->executed++;
	return run(s, req, result, cap, len);
}

static int batch_end(void *data, uint64_t seq)
{
	(void)data;
	(void)seq;
	return BFT_OK;
}

static int batch_abort(void *data, uint64_t seq)
{
	struct null_service *s = data;

	(void)seq;
	s->executed = s->executed_before;
	return BFT_OK;
}

static int execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
		      uint32_t cap, uint32_t *len)
{
	return run(data, req, result, cap, len);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* SHA-256("bfs-null-v1" || u64le seq || u64le executed). */
static int checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	struct null_service *s = data;
	uint8_t buf[11 + 16];

	memcpy(buf, "bfs-null-v1", 11);
	put_le64(buf + 11, seq);
	put_le64(buf + 19, s->executed);
	bft_sha256(buf, sizeof(buf), digest);
	return BFT_OK;
}

void null_service_init(struct null_service *s, uint32_t default_result)
{
	memset(s, 0, sizeof(*s));
	s->default_result = default_result > BFT_MAX_RESULT ? BFT_MAX_RESULT : default_result;
	s->vt = (struct bft_service){
		.version = BFT_SERVICE_VERSION, .data = s, .batch_begin = batch_begin,
		.execute = execute, .batch_end = batch_end,
		.batch_abort = batch_abort, .execute_ro = execute_ro,
		.checkpoint = checkpoint,
	};
}
