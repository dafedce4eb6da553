/*
 * svc_transfer.c — see svc_transfer.h.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "svc_transfer.h"

#define DL BFT_DIGEST_LEN
#define FAN_MAX BFT_MAX_FANOUT

static const uint8_t zero[DL];

static void interior(const uint8_t (*ch)[DL], uint32_t fanout, uint8_t out[DL])
{
	for (uint32_t i = 0; i < fanout; i++)
		if (memcmp(ch[i], zero, DL) != 0) {
			bft_sha256(ch, (size_t)fanout * DL, out);
			return;
		}
	memset(out, 0, DL);
}

uint8_t *xfer_fetch_leaf(const struct bft_service *src, uint64_t snap, uint64_t idx,
			 uint32_t chunk, uint32_t *len, struct xstats *st)
{
	static uint8_t tmp[BFT_MAX_DATA];
	uint8_t *buf = NULL;
	uint32_t off = 0, total = 0;
	ck_assert_uint_le(chunk, BFT_MAX_DATA);
	do {
		uint32_t n, t;
		ck_assert_int_eq(src->leaf_get(src->data, snap, idx, off, tmp, chunk, &n, &t),
				 BFT_OK);
		if (off == 0) {
			total = t;
			ck_assert_uint_le(total, src->leaf_max);
			buf = malloc(total + 1);
			ck_assert_ptr_nonnull(buf);
		}
		ck_assert_uint_eq(t, total);
		ck_assert_uint_le(n, chunk);
		ck_assert_uint_le(off + n, total);
		ck_assert(n > 0 || total == 0);
		memcpy(buf + off, tmp, n);
		off += n;
		if (st != NULL)
			st->chunks++;
	} while (off < total);
	*len = total;
	return buf;
}

static void walk(const struct bft_service *src, uint64_t snap, const struct bft_service *dst,
		 uint32_t level, uint64_t index, const uint8_t want[DL], struct xstats *st)
{
	uint8_t a[FAN_MAX][DL], b[FAN_MAX][DL], d[DL];
	uint32_t fan = dst->tree_fanout;
	ck_assert_int_eq(src->children(src->data, snap, level, index, a), BFT_OK);
	interior((const uint8_t (*)[DL])a, fan, d);
	ck_assert_msg(memcmp(d, want, DL) == 0, "node %u/%llu does not match its parent",
		      level, (unsigned long long)index);
	ck_assert_int_eq(dst->children(dst->data, 0, level, index, b), BFT_OK);
	st->nodes++;
	for (uint64_t j = 0; j < fan; j++) {
		if (memcmp(a[j], b[j], DL) == 0)
			continue;
		uint64_t child = index * fan + j;
		if (level + 1 < dst->tree_depth) {
			walk(src, snap, dst, level + 1, child, a[j], st);
			continue;
		}
		uint32_t len;
		uint8_t *leaf = xfer_fetch_leaf(src, snap, child, BFT_MAX_DATA, &len, st);
		ck_assert_int_eq(dst->leaf_digest(dst->data, child, leaf, len, d), BFT_OK);
		ck_assert_msg(memcmp(d, a[j], DL) == 0, "leaf %llu digest", (unsigned long long)child);
		ck_assert_int_eq(dst->leaf_put(dst->data, child, leaf, len), BFT_OK);
		st->leaves++;
		st->bytes += len;
		free(leaf);
	}
}

uint64_t xfer_transfer(const struct bft_service *src, uint64_t snap,
		       const uint8_t root[DL], const struct bft_service *dst, struct xstats *st)
{
	memset(st, 0, sizeof(*st));
	ck_assert_uint_eq(dst->tree_fanout, src->tree_fanout);
	ck_assert_uint_eq(dst->tree_depth, src->tree_depth);
	ck_assert_uint_le(dst->tree_fanout, FAN_MAX);
	walk(src, snap, dst, 0, 0, root, st);
	uint8_t d[DL];
	uint64_t t = 0;
	ck_assert_int_eq(dst->transfer_end(dst->data, snap, d, &t), BFT_OK);
	ck_assert(memcmp(d, root, DL) == 0);
	return t;
}
