/*
 * fh.c — the BFS root file handle (bfs/fh.h, doc/fs.md "Handles").
 */
#include <string.h>

#include "bfs/fh.h"

void bfs_root_fh(uint8_t fh[BFS_FH_LEN])
{
	static const uint8_t root[BFS_FH_LEN] = { 'B', 'F', 1, 0, 1, 0, 0, 0,
						  0, 0, 0, 0, 1, 0, 0, 0 };

	memcpy(fh, root, BFS_FH_LEN);
}
