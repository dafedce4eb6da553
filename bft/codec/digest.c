/*
 * digest.c — the request digest and the batch digest of the PBFT messages.
 *
 * Castro & Liskov, OSDI '99 §4.2: PRE-PREPARE, PREPARE and COMMIT carry d,
 * the digest of what is ordered; with batching (§5.1) d covers the batch and
 * the primary's non-deterministic choice (§4.6). Layouts (little-endian):
 *
 *   request digest = SHA-256(u32 client || u64 timestamp || u16 flags || op)
 *   batch digest   = SHA-256(u64 nondet || u16 count || count × request digest)
 *
 * The request digest deliberately leaves out the replier field and the
 * authenticator, so a retransmission naming a different replier, and a
 * DIGEST batch entry, name the same operation.
 *
 * Never: allocate, read an entry at or beyond BFT_MAX_BATCH (a larger count
 * is a caller error and is clamped), or read op when op_len is 0.
 */
#include "codec_internal.h"

void bft_request_digest(uint32_t client, uint64_t timestamp, uint16_t flags,
			const uint8_t *op, uint32_t op_len,
			uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t pre[14];

	bft_st32(pre, client);
	bft_st64(pre + 4, timestamp);
	bft_st16(pre + 12, flags);
	bft_sha256_init(&c);
	bft_sha256_update(&c, pre, sizeof(pre));
	if (op && op_len)
		bft_sha256_update(&c, op, op_len);
	bft_sha256_final(&c, out);
}

void bft_batch_digest(const struct bft_pre_prepare *pp, uint8_t out[BFT_DIGEST_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t pre[10];
	uint16_t count = pp->count > BFT_MAX_BATCH ? (uint16_t)BFT_MAX_BATCH : pp->count;
	unsigned i;

	bft_st64(pre, pp->nondet);
	bft_st16(pre + 8, count);
	bft_sha256_init(&c);
	bft_sha256_update(&c, pre, sizeof(pre));
	for (i = 0; i < count; i++)
		bft_sha256_update(&c, pp->entries[i].digest, BFT_DIGEST_LEN);
	bft_sha256_final(&c, out);
}
