/*
 * codec_wire.c — the message writer (struct bft_writer): little-endian
 * fields appended to a caller-provided buffer, with sticky overflow.
 *
 * Castro & Liskov, OSDI '99 §4 (every message the protocol sends is built
 * with this writer); wire format in bft/include/bft/messages.h: header of
 * BFT_HDR_LEN bytes at the start of the buffer, integers little-endian, no
 * padding. The little-endian readers used by the decoder are the inline
 * helpers of codec_internal.h.
 *
 * Never: write past buf + cap, allocate, or write anything after the first
 * error (it is sticky: every later call is a no-op and bft_w_error() keeps
 * reporting it — BFT_E_SPACE for an overflow, BFT_E_INVAL for a NULL source
 * or a seal without a header).
 */
#include <string.h>

#include "codec_internal.h"

void bft_w_init(struct bft_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = BFT_OK;
}

/* n more bytes at the end, or NULL (and the sticky error) if they do not fit. */
static uint8_t *w_take(struct bft_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (w->len > w->cap || n > w->cap - w->len) {
		w->err = BFT_E_SPACE;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void bft_w_hdr(struct bft_writer *w, uint8_t type, uint16_t flags, uint32_t sender)
{
	uint8_t *p = w_take(w, BFT_HDR_LEN);

	if (!p)
		return;
	p[0] = BFT_WIRE_VERSION;
	p[1] = type;
	bft_st16(p + 2, flags);
	bft_st32(p + 4, sender);
	bft_st32(p + 8, 0); /* patched by bft_w_seal() */
}

void bft_w_u8(struct bft_writer *w, uint8_t v)
{
	uint8_t *p = w_take(w, 1);

	if (p)
		p[0] = v;
}

void bft_w_u16(struct bft_writer *w, uint16_t v)
{
	uint8_t *p = w_take(w, 2);

	if (p)
		bft_st16(p, v);
}

void bft_w_u32(struct bft_writer *w, uint32_t v)
{
	uint8_t *p = w_take(w, 4);

	if (p)
		bft_st32(p, v);
}

void bft_w_u64(struct bft_writer *w, uint64_t v)
{
	uint8_t *p = w_take(w, 8);

	if (p)
		bft_st64(p, v);
}

/* A NULL source with a non-zero length is a caller error (BFT_E_INVAL, sticky). */
void bft_w_bytes(struct bft_writer *w, const void *src, size_t len)
{
	uint8_t *p;

	if (!src && len) {
		if (!w->err)
			w->err = BFT_E_INVAL;
		return;
	}
	p = w_take(w, len);
	if (p && len)
		memcpy(p, src, len);
}

/* The reserved bytes are zeroed so an unfilled trailer is deterministic. */
uint8_t *bft_w_reserve(struct bft_writer *w, size_t len)
{
	uint8_t *p = w_take(w, len);

	if (p && len)
		memset(p, 0, len);
	return p;
}

/*
 * Patches the header's length field. Returns 0 (and changes nothing) after
 * an overflow; a buffer without a whole header, or longer than a u32 can
 * say, is a caller error (BFT_E_INVAL, sticky like an overflow).
 */
size_t bft_w_seal(struct bft_writer *w)
{
	if (w->err)
		return 0;
	if (w->len < BFT_HDR_LEN || w->len > UINT32_MAX) {
		w->err = BFT_E_INVAL;
		return 0;
	}
	bft_st32(w->buf + 8, (uint32_t)w->len);
	return w->len;
}

int bft_w_error(const struct bft_writer *w)
{
	return w->err;
}
