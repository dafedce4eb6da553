/*
 * fs_randops.h — a seeded generator of random NFSv3 requests in the BFS
 * operation format, for the determinism and digest tests: every procedure
 * that changes state plus the read-only ones, several credentials, a small
 * name pool (so names collide), sparse offsets, and a share of corrupted
 * requests. It learns file handles from results, so it follows whatever
 * state the instance under test builds. Fully determined by its seed.
 */
#ifndef BFS_TEST_FS_RANDOPS_H
#define BFS_TEST_FS_RANDOPS_H

#include <stdint.h>

#include "fs_fixture.h"

#define RANDOPS_MAX_FH 256u

struct randops {
	uint64_t state;
	uint32_t last_proc;
	unsigned nfh, ndir;
	struct tfh fh[RANDOPS_MAX_FH];   /* any object */
	struct tfh dir[RANDOPS_MAX_FH];  /* directories (MKDIR results, root) */
};

void randops_init(struct randops *g, uint64_t seed, const struct tfh *root);
uint64_t randops_u64(struct randops *g);
/* Encode the next request into buf[cap]; returns its length. */
uint32_t randops_next(struct randops *g, uint8_t *buf, uint32_t cap);
/* Remember the handle a CREATE/MKDIR/SYMLINK/MKNOD/LOOKUP result carries. */
void randops_learn(struct randops *g, const uint8_t *res, uint32_t len);

#endif
