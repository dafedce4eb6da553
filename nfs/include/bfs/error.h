/*
 * bfs/error.h — the one error convention of the BFS libraries (nfs/ codec
 * and bfsd/ file system state machine).
 *
 * Every bfs_* function that can fail returns an int: 0 (BFS_OK) on success
 * or one of the negative codes below, in a private range so they are never
 * confused with -errno values, LMDB's codes or bft's (bft/error.h).
 * bfs_strerror() turns any code into a sentence a person can act on.
 *
 * NFS-level outcomes (NFS3ERR_*) are not errors of the library: they are
 * results, encoded into the reply for the client. A negative code means the
 * local replica could not do its job (storage failure, corrupt record, bad
 * call sequence) and, for bfsd, that the replica must stop rather than
 * answer differently from the others (DESIGN.md, "Determinism").
 */
#ifndef BFS_ERROR_H
#define BFS_ERROR_H

#define BFS_OK 0
#define BFS_E_BASE (-31000)

enum bfs_error {
	BFS_E_SHORT = BFS_E_BASE - 1,   /* input shorter than its format needs */
	BFS_E_VERSION = BFS_E_BASE - 2, /* unsupported format version */
	BFS_E_FIELD = BFS_E_BASE - 3,   /* a field has a value the format forbids */
	BFS_E_SPACE = BFS_E_BASE - 4,   /* output buffer too small */
	BFS_E_XDR = BFS_E_BASE - 5,     /* XDR encoding or decoding failed */
	BFS_E_INVAL = BFS_E_BASE - 6,   /* caller passed an invalid argument */
	BFS_E_NOMEM = BFS_E_BASE - 7,   /* allocation failed */
	BFS_E_STORAGE = BFS_E_BASE - 8, /* LMDB failed (I/O, map full, ...) */
	BFS_E_CORRUPT = BFS_E_BASE - 9, /* a stored record fails validation */
	BFS_E_STATE = BFS_E_BASE - 10,  /* call out of sequence (no batch open) */
	BFS_E_CONFIG = BFS_E_BASE - 11, /* configuration value out of range */
	BFS_E_NOENT = BFS_E_BASE - 12,  /* no such object (a released snapshot) */
	BFS_E_LAST = BFS_E_BASE - 13,
};

/* A static, human-readable description of err (never NULL). */
const char *bfs_strerror(int err);

#endif
