/*
 * error.c — bfs_strerror(): messages for the codes of bfs/error.h.
 * Never fails, never allocates.
 */
#include "bfs/error.h"

const char *bfs_strerror(int err)
{
	switch (err) {
	case BFS_OK: return "success";
	case BFS_E_SHORT: return "input truncated: shorter than its format requires";
	case BFS_E_VERSION: return "unsupported format version";
	case BFS_E_FIELD: return "a field has a value its format forbids";
	case BFS_E_SPACE: return "output buffer too small";
	case BFS_E_XDR: return "XDR encoding or decoding failed";
	case BFS_E_INVAL: return "invalid argument";
	case BFS_E_NOMEM: return "out of memory";
	case BFS_E_STORAGE: return "LMDB storage failure: the replica must stop";
	case BFS_E_CORRUPT: return "stored record is corrupt: the replica must stop";
	case BFS_E_STATE: return "call out of sequence (no batch or transaction open)";
	case BFS_E_CONFIG: return "configuration value out of range";
	case BFS_E_NOENT: return "no such object (snapshot released or never kept)";
	default: return "unknown bfs error";
	}
}
