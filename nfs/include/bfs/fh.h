/*
 * bfs/fh.h — the one file handle every BFS client knows without asking:
 * the root directory's (doc/fs.md "Handles": 'B' 'F' 1 0, inode 1 as u64
 * LE, generation 1 as u32 LE). nfsproxy's MOUNT starts its walk from it and
 * bfs-mount's bft: backend mounts it. Never allocates, never fails.
 */
#ifndef BFS_FH_H
#define BFS_FH_H

#include <stdint.h>

#define BFS_FH_LEN 16u /* bytes of every BFS file handle */

/* Copy the root directory's handle into fh. */
void bfs_root_fh(uint8_t fh[BFS_FH_LEN]);

#endif
