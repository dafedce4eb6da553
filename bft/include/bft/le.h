/*
 * bft/le.h — little-endian integers in byte buffers, for the formats that
 * are not wire messages (the codec has its own cursor): persisted protocol
 * records (bft/core/persist.c) and bfsd's protocol log file.
 */
#ifndef BFT_LE_H
#define BFT_LE_H

#include <stdint.h>

static inline void bft_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void bft_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t bft_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t bft_get_le64(const uint8_t *p)
{
	return (uint64_t)bft_get_le32(p) | (uint64_t)bft_get_le32(p + 4) << 32;
}

#endif
