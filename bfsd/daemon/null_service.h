/*
 * null_service.h — the null/echo service of bfsd (`--service null`), a
 * struct bft_service (bft/io.h) that does no work so the protocol can be
 * measured alone (the paper's micro-benchmarks, OSDI '99 §6.3).
 *
 * Operation format (all of it optional):
 *   empty, or not starting with the magic: the result is `default_result`
 *   bytes of zeros (bfsd --null-result BYTES);
 *   u32le NULL_OP_MAGIC, u32le result_len, payload...: the result is
 *   result_len bytes (at most BFT_MAX_RESULT) repeating the payload (zeros
 *   if the payload is empty) — an echo of configurable size.
 *
 * Deterministic: the result depends only on the operation; the state is the
 * count of executed read-write requests and the last batch, whose digest
 * is the checkpoint. Never fails.
 */
#ifndef BFSD_NULL_SERVICE_H
#define BFSD_NULL_SERVICE_H

#include <stdint.h>

#include "bft/io.h"

#define NULL_OP_MAGIC 0x314c554eu /* "NUL1" little-endian */
#define NULL_OP_HDR 8u

struct null_service {
	struct bft_service vt;
	uint32_t default_result;
	uint64_t executed;   /* read-write requests executed */
	uint64_t executed_before; /* at batch_begin, restored by batch_abort */
	uint64_t last_seq;
	uint64_t last_time_us;
};

void null_service_init(struct null_service *s, uint32_t default_result);

#endif
