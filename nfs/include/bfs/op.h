/*
 * bfs/op.h — the BFS operation format: the bytes a client puts in a PBFT
 * REQUEST and a replica puts in its REPLY (DESIGN.md, "The operation
 * language is NFSv3"). Shared by bfsd, nfsproxy and bfs-mount.
 *
 * Request (the PBFT "operation"), all header integers little-endian:
 *
 *   offset  size        field
 *   0       2           version   BFS_OP_VERSION
 *   2       2           proc      NFSv3 procedure number, RFC 1813 §3 (0..21)
 *   4       2           flags     BFS_OP_READ_ONLY; every other bit must be 0
 *   6       2           ngroups   0..BFS_OP_MAX_GROUPS
 *   8       4           uid       AUTH_SYS credential (RFC 5531 appendix A)
 *   12      4           gid
 *   16      4*ngroups   groups    supplementary gids
 *   ...                 the procedure's NFSv3 XDR arguments (RFC 1813 §3.3)
 *
 * AUTH_SYS's stamp and machine name are deliberately not carried: they do
 * not take part in authorization, and carrying them would make identical
 * requests from different hosts differ. AUTH_SYS allows 16 groups; so do we.
 *
 * Result (the PBFT reply "result"):
 *
 *   0       4           accept status, XDR (big-endian) as RFC 5531's
 *                       accept_stat: BFS_ACCEPT_SUCCESS, _PROC_UNAVAIL,
 *                       _GARBAGE_ARGS or _SYSTEM_ERR
 *   4       ...         if SUCCESS: the procedure's NFSv3 XDR result
 *                       (e.g. GETATTR3res); nothing otherwise
 *
 * A relay turns a non-SUCCESS accept status into the same RPC accept_stat.
 * This header never includes RPC headers (see bfs/op_xdr.h for the XDR
 * conveniences); its functions never allocate and follow bfs/error.h.
 */
#ifndef BFS_OP_H
#define BFS_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFS_OP_VERSION 1u
#define BFS_OP_MAX_GROUPS 16u
#define BFS_OP_HDR_MIN 16u
#define BFS_OP_HDR_MAX (BFS_OP_HDR_MIN + 4u * BFS_OP_MAX_GROUPS)
#define BFS_OP_READ_ONLY 0x0001u
#define BFS_OP_FLAGS_ALL 0x0001u
#define BFS_OP_MAX_PROC 21u /* NFSPROC3_COMMIT */

#define BFS_RESULT_HDR 4u
#define BFS_ACCEPT_SUCCESS 0u
#define BFS_ACCEPT_PROC_UNAVAIL 3u
#define BFS_ACCEPT_GARBAGE_ARGS 4u
#define BFS_ACCEPT_SYSTEM_ERR 5u

/* An AUTH_SYS credential, machine name and stamp dropped. */
struct bfs_cred {
	uint32_t uid;
	uint32_t gid;
	uint32_t ngroups; /* <= BFS_OP_MAX_GROUPS */
	uint32_t groups[BFS_OP_MAX_GROUPS];
};

struct bfs_op_hdr {
	uint16_t version; /* BFS_OP_VERSION (encode ignores the field) */
	uint16_t proc;    /* NFSv3 procedure number */
	uint16_t flags;   /* BFS_OP_READ_ONLY */
	struct bfs_cred cred;
};

/* How READ and LOOKUP treat atime (the paper's "BFS strict" and "r/o
 * lookup" configurations). */
enum bfs_atime_mode {
	BFS_ATIME_RELAXED = 0, /* noatime-like: READ and LOOKUP are read-only */
	BFS_ATIME_STRICT = 1,  /* READ and LOOKUP update atime: read-write */
};

/* Encoded header length for h (BFS_OP_HDR_MIN + 4 * ngroups). */
size_t bfs_op_hdr_len(const struct bfs_op_hdr *h);

/* Write h into buf[cap]; *len receives the header length. BFS_E_FIELD if
 * proc, flags or ngroups are out of range, BFS_E_SPACE if cap is short. */
int bfs_op_hdr_encode(const struct bfs_op_hdr *h, uint8_t *buf, size_t cap,
		      size_t *len);

/* Parse and validate the header at buf[len]; *hdr_len receives its length
 * (the XDR arguments start there). BFS_E_SHORT, BFS_E_VERSION or
 * BFS_E_FIELD (unknown flag, proc > BFS_OP_MAX_PROC, too many groups). */
int bfs_op_hdr_decode(const uint8_t *buf, size_t len, struct bfs_op_hdr *h,
		      size_t *hdr_len);

/* Whether procedure proc may be sent as a PBFT read-only request in the
 * given atime mode (false for unknown procedures). */
bool bfs_op_proc_read_only(uint32_t proc, enum bfs_atime_mode mode);

/* "GETATTR", "READDIRPLUS", ... or "?" for an unknown procedure. */
const char *bfs_op_proc_name(uint32_t proc);

/* True if the credential's gid or one of its groups is gid. */
bool bfs_cred_in_group(const struct bfs_cred *c, uint32_t gid);

/* Write the 4-byte accept status at buf[cap] (cap >= BFS_RESULT_HDR). */
int bfs_result_put_accept(uint8_t *buf, size_t cap, uint32_t accept);
/* Read the accept status of a result; BFS_E_SHORT if len < 4. */
int bfs_result_get_accept(const uint8_t *buf, size_t len, uint32_t *accept);

#endif
