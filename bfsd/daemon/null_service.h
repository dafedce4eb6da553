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
 * Deterministic: the result depends only on the operation. The state is
 * the count of executed read-write requests, the agreed time of the last
 * batch and each client's last reply (OSDI '99 §4.1), so the service
 * supports state transfer (null_transfer.c): a tree of fan-out 16 and
 * depth 2 whose leaf 0 holds the counters and leaves 1..255 the replies of
 * the clients c with c % 255 + 1 = leaf. Memory: the replies (at most
 * BFT_MAX_RESULT per configured client) plus one serialized copy per kept
 * snapshot (at most NULL_SNAP_MAX).
 */
#ifndef BFSD_NULL_SERVICE_H
#define BFSD_NULL_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "bft/io.h"

#define NULL_OP_MAGIC 0x314c554eu /* "NUL1" little-endian */
#define NULL_OP_HDR 8u

#define NULL_FANOUT 16u
#define NULL_DEPTH 2u
#define NULL_LEAVES (NULL_FANOUT * NULL_FANOUT)
#define NULL_SNAP_MAX 4u
/* A leaf holds at most ceil(65536 / 255) = 258 clients' replies. */
#define NULL_LEAF_MAX (16u << 20)

/* One client's last reply; result is owned (malloc, cap bytes). */
struct null_reply {
	uint32_t client;
	uint64_t timestamp;
	uint32_t len, cap;
	uint8_t *result;
};

struct null_replies {
	struct null_reply *v; /* [0, n) sorted by client; [n, cap) only hold
				 spare buffers (result may be NULL) */
	uint32_t n, cap;
};

/* The state as of a checkpoint: every leaf serialized (owned). */
struct null_snap {
	uint64_t seq;
	uint8_t *leaf[NULL_LEAVES];
	uint32_t len[NULL_LEAVES];
	uint8_t digest[NULL_LEAVES][BFT_DIGEST_LEN];
	uint8_t mid[NULL_FANOUT][BFT_DIGEST_LEN];
	uint8_t root[BFT_DIGEST_LEN];
};

struct null_service {
	struct bft_service vt;
	uint32_t default_result;
	uint64_t executed;   /* read-write requests executed */
	uint64_t executed_before; /* at batch_begin, restored by batch_abort */
	uint64_t last_seq;
	uint64_t last_time_us;    /* agreed time of the last ended batch */
	uint64_t open_time_us;    /* of the open batch */
	struct null_replies replies;  /* committed */
	struct null_replies pending;  /* the open batch's, applied by batch_end */
	struct null_snap *snaps[NULL_SNAP_MAX]; /* oldest first */
	unsigned nsnaps;
};

void null_service_init(struct null_service *s, uint32_t default_result);
/* Release the replies and snapshots. */
void null_service_free(struct null_service *s);

/* ---- null_transfer.c (the tree calls of struct bft_service v2) ---- */
void null_transfer_init(struct null_service *s);
int null_replies_set(struct null_replies *r, uint32_t client, uint64_t timestamp,
		     const uint8_t *result, uint32_t len);
/* Empty the table, keeping the buffers for later sets. */
void null_replies_clear(struct null_replies *r);
/* Release everything. */
void null_replies_free(struct null_replies *r);

#endif
