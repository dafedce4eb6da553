/*
 * recovery_state.h — the file system states a recovery run compares
 * (recovery_state.c): a consistent copy of a frozen replica's LMDB
 * environment, and the leaves (partitions, TOCS '02 §5.3.2) in which two
 * states differ, measured with the file system's own tree (bfs/fs.h).
 */
#ifndef BFS_BENCH_RECOVERY_STATE_H
#define BFS_BENCH_RECOVERY_STATE_H

#include <stdint.h>

#include "bft/config.h"

/* Copy the LMDB environment in directory from (a replica that may be
 * frozen mid-transaction: the copy holds its last committed state) into
 * the existing directory to, compacted. 0, or -1 with a sentence. */
int recovery_copy_state(const char *from, const char *to);

struct recovery_leaves {
	uint64_t leaves; /* non-empty leaves counted */
	uint64_t bytes;  /* their serialized size in the target state */
};

/* Open the states in directories target and base (base NULL: count every
 * leaf of target) with cfg's file system settings; *diff receives the
 * leaves of target whose digest differs from base's. A leaf empty in
 * target counts nothing. 0, or -1 with a sentence. */
int recovery_compare(const struct bft_config *cfg, const char *target, const char *base,
		     struct recovery_leaves *diff);

#endif
