/*
 * svc_transfer.h — a state-transfer fetcher for tests, driven purely
 * through struct bft_service v2 (bft/io.h) the way the replica core
 * fetches (TOCS '02 §5.3.2): walk the tree top-down from the fetcher's
 * side, descend only where children digests differ, check every node
 * against its parent, fetch differing leaves in chunks, check each with
 * leaf_digest, leaf_put it, transfer_end. Aborts the test (ck_assert) on
 * any mismatch. Used by test_fs_transfer.c and test_null_transfer.c.
 */
#ifndef BFS_TEST_SVC_TRANSFER_H
#define BFS_TEST_SVC_TRANSFER_H

#include <stdint.h>

#include "bft/io.h"

struct xstats {
	unsigned nodes, leaves, chunks;
	uint64_t bytes;
};

/* Leaf idx of src's snapshot snap fetched in chunks of `chunk` bytes
 * (≤ BFT_MAX_DATA); malloc'd, *len bytes. st may be NULL. */
uint8_t *xfer_fetch_leaf(const struct bft_service *src, uint64_t snap, uint64_t idx,
			 uint32_t chunk, uint32_t *len, struct xstats *st);

/* Make dst's state src's snapshot snap whose root digest is root; checks
 * transfer_end's digest and returns its time. */
uint64_t xfer_transfer(const struct bft_service *src, uint64_t snap,
		       const uint8_t root[BFT_DIGEST_LEN], const struct bft_service *dst,
		       struct xstats *st);

#endif
