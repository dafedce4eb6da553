/*
 * codec_internal.h — private helpers shared by the PBFT message codec
 * (the .c files of bft/codec): little-endian loads/stores, a bounds-checked reader over
 * a byte range, the common frame (header) check and the REQUEST parser that
 * both the decoder and the PRE-PREPARE encoder use.
 *
 * Castro & Liskov, OSDI '99 §4 (the messages); the wire format itself is
 * documented once, in bft/include/bft/messages.h.
 *
 * Never: read outside [p, p + left) of a reader, allocate, or recurse.
 */
#ifndef BFT_CODEC_INTERNAL_H
#define BFT_CODEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"

/* Wire sizes of the fixed-shape pieces. */
#define BFT_PP_FIXED_LEN 26u    /* view, seq, nondet, count */
#define BFT_PP_INLINE_HDR 5u    /* kind, len */
#define BFT_PP_DIGEST_LEN 46u   /* kind, client, timestamp, flags, digest */
#define BFT_VC_CP_LEN (4u + BFT_SIG_LEN)
#define BFT_VC_ENTRY_LEN (16u + BFT_DIGEST_LEN)
#define BFT_NV_V_LEN (4u + BFT_DIGEST_LEN)
#define BFT_NV_O_LEN (8u + BFT_DIGEST_LEN)
#define BFT_META_CHILD_LEN (16u + BFT_DIGEST_LEN)

static inline uint16_t bft_ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t bft_ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t bft_ld64(const uint8_t *p)
{
	return (uint64_t)bft_ld32(p) | (uint64_t)bft_ld32(p + 4) << 32;
}

static inline void bft_st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void bft_st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void bft_st64(uint8_t *p, uint64_t v)
{
	bft_st32(p, (uint32_t)v);
	bft_st32(p + 4, (uint32_t)(v >> 32));
}

/*
 * A reader over [p, p + left). The first read that does not fit sets err to
 * BFT_E_SHORT; from then on every read returns zero / NULL and consumes
 * nothing, so a decoder can read a whole fixed-shape body and check err once.
 */
struct bft_rd {
	const uint8_t *p;
	size_t left;
	int err;
};

static inline void bft_rd_init(struct bft_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->err = BFT_OK;
}

/* n bytes at the cursor (consumed), or NULL if they are not all there. */
static inline const uint8_t *bft_rd_take(struct bft_rd *r, size_t n)
{
	const uint8_t *q;

	if (r->err)
		return NULL;
	if (n > r->left) {
		r->err = BFT_E_SHORT;
		return NULL;
	}
	q = r->p;
	r->p += n;
	r->left -= n;
	return q;
}

static inline uint8_t bft_rd_u8(struct bft_rd *r)
{
	const uint8_t *q = bft_rd_take(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t bft_rd_u16(struct bft_rd *r)
{
	const uint8_t *q = bft_rd_take(r, 2);
	return q ? bft_ld16(q) : 0;
}

static inline uint32_t bft_rd_u32(struct bft_rd *r)
{
	const uint8_t *q = bft_rd_take(r, 4);
	return q ? bft_ld32(q) : 0;
}

static inline uint64_t bft_rd_u64(struct bft_rd *r)
{
	const uint8_t *q = bft_rd_take(r, 8);
	return q ? bft_ld64(q) : 0;
}

static inline void bft_rd_copy(struct bft_rd *r, void *dst, size_t n)
{
	const uint8_t *q = bft_rd_take(r, n);

	if (q)
		memcpy(dst, q, n);
	else
		memset(dst, 0, n);
}

/*
 * Checks every header-level rule of one message in buf[0..len) for n
 * replicas (n already validated by the caller): length ≥ header, ≤
 * BFT_MAX_MSG, version, type (must equal want_type if want_type ≥ 0, else
 * BFT_E_FIELD), header length == len, room for the trailer, header flags
 * allowed for the type. Fills *hdr and *trailer_len.
 */
int bft_codec_frame(const uint8_t *buf, size_t len, uint32_t n, int want_type,
		    struct bft_hdr *hdr, uint32_t *trailer_len);

/*
 * Parses a whole REQUEST message buf[0..len) (frame and body, body consumed
 * exactly) without computing its digest. Used for top-level requests, for
 * the INLINE entries of a PRE-PREPARE (a non-REQUEST there is BFT_E_FIELD)
 * and by the PRE-PREPARE encoder to refuse entries the decoder would reject.
 */
int bft_codec_parse_request(const uint8_t *buf, size_t len, uint32_t n,
			    struct bft_hdr *hdr, struct bft_request *req);

#endif
