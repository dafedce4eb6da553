/*
 * recovery_write.h — the writes of `bfs-bench recovery` (recovery_write.c).
 */
#ifndef BFS_BENCH_RECOVERY_WRITE_H
#define BFS_BENCH_RECOVERY_WRITE_H

#include <stdint.h>

#include "bft/client.h"

/* CREATE name in the root directory and write bytes into it, lanes WRITEs
 * in flight on c (private loop). Seconds taken, or < 0 (with a sentence on
 * stderr) if a request failed. */
double recovery_write_file(struct bft_client *c, uint32_t lanes, const char *name,
			   uint64_t bytes);

#endif
