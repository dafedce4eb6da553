/*
 * bfs/fs.h — the BFS file system state machine: NFSv3 (RFC 1813) executed
 * deterministically on an LMDB environment, one replica's replicated state.
 *
 * Life cycle: bfs_fs_open() formats an empty environment on first use (root
 * directory, super record) or reopens an existing one. Read-write requests
 * run inside a batch: bfs_fs_batch_begin(seq, agreed time) opens one LMDB
 * write transaction, bfs_fs_execute() runs requests in it, and
 * bfs_fs_batch_end() commits it (durable per the configured durability
 * before any reply may leave). bfs_fs_execute_ro() runs a read-only request
 * against the last committed state. bfs_fs_checkpoint() returns the Merkle
 * root digest of the whole replicated state, recomputing only what changed.
 *
 * Requests and results use the operation format of bfs/op.h (BFT header +
 * NFSv3 XDR arguments; accept status + NFSv3 XDR result).
 *
 * Determinism: nothing here reads a clock, draws randomness or iterates an
 * unordered container; times come from the batch time, identifiers from
 * replicated counters, limits from the format-time configuration recorded in
 * the replicated super record.
 *
 * Errors follow bfs/error.h. A negative return from a batch call means this
 * replica could not execute (storage failure, corrupt record): the batch is
 * aborted and the caller must stop the replica, never answer.
 *
 * Not thread-safe: one struct bfs_fs is driven by one thread.
 */
#ifndef BFS_FS_H
#define BFS_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "bfs/op.h"

#define BFS_FS_DIGEST_LEN 32u
#define BFS_FS_FH_LEN 16u       /* bytes of every BFS file handle */
#define BFS_FS_BUCKET_KEY_LEN 16u /* SipHash-2-4 key of the bucket hash */

/* Durability of a committed batch (LMDB environment flags). */
enum bfs_durability {
	BFS_DURABLE_SYNC = 0,     /* fsync data and meta page at every commit */
	BFS_DURABLE_NOMETASYNC,   /* fsync data; meta page flushed at the next commit */
	BFS_DURABLE_ASYNC,        /* no fsync: may lose the last batches on power loss */
};

struct bfs_fs_config {
	const char *path;          /* existing directory for the LMDB environment */
	uint64_t map_size;         /* LMDB map size (address space, not disk) */
	enum bfs_durability durability;

	/* Replicated settings: recorded in the super record when the file
	 * system is formatted; on reopen they must match (BFS_E_CONFIG). */
	uint64_t fsid;
	uint64_t max_bytes;        /* data space limit (NFS3ERR_NOSPC) */
	uint64_t max_files;        /* inode limit (NFS3ERR_NOSPC) */
	uint64_t max_file_size;    /* largest file size (NFS3ERR_FBIG) */
	enum bfs_atime_mode atime; /* strict: READ/LOOKUP in batches set atime */
	bool root_squash;          /* map uid 0 to anon_uid / anon_gid */
	uint32_t anon_uid;
	uint32_t anon_gid;
	uint8_t bucket_key[BFS_FS_BUCKET_KEY_LEN]; /* cluster secret: which leaf an
						     object lands in (doc/fs.md) */
	uint64_t bucket_max;       /* a procedure that would grow a leaf past this
				      many bytes fails with NFS3ERR_NOSPC; at most
				      BFS_FS_BUCKET_MAX (the default) */
	uint32_t root_uid;         /* owner and mode of the root directory */
	uint32_t root_gid;
	uint32_t root_mode;
};

struct bfs_fs;

/* Fill c with the defaults (path NULL: the caller must set it). */
void bfs_fs_config_default(struct bfs_fs_config *c);

/* Open (formatting if empty) the file system at c->path. *out is owned by
 * the caller and released with bfs_fs_close(). */
int bfs_fs_open(const struct bfs_fs_config *c, struct bfs_fs **out);

/* Abort any open batch and release everything. NULL is a no-op. */
void bfs_fs_close(struct bfs_fs *fs);

/* Open the write transaction of batch seq with the agreed time (µs since the
 * epoch). BFS_E_STATE if a batch is already open. */
int bfs_fs_batch_begin(struct bfs_fs *fs, uint64_t seq, uint64_t time_us);

/* Execute one request (bfs/op.h format) of the open batch into
 * result[cap] (cap >= BFS_RESULT_HDR). Malformed requests produce an
 * accept-status result (GARBAGE_ARGS ...) and change nothing. */
int bfs_fs_execute(struct bfs_fs *fs, const uint8_t *op, uint32_t op_len,
		   uint8_t *result, uint32_t cap, uint32_t *result_len);

/* Record (timestamp, result) as client's last reply, in the open batch. */
int bfs_fs_reply_put(struct bfs_fs *fs, uint32_t client, uint64_t timestamp,
		     const uint8_t *result, uint32_t len);

/* Client's last recorded reply (committed state). 0 and *found = false if
 * none; BFS_E_SPACE if it does not fit in cap. */
int bfs_fs_reply_get(struct bfs_fs *fs, uint32_t client, bool *found,
		     uint64_t *timestamp, uint8_t *result, uint32_t cap,
		     uint32_t *len);

/* Commit batch seq (must be the seq given to batch_begin). */
int bfs_fs_batch_end(struct bfs_fs *fs, uint64_t seq);

/* Abandon the open batch: none of its effects remain. */
void bfs_fs_batch_abort(struct bfs_fs *fs);

/* Execute a read-only request against the last committed state. A request
 * for a procedure that modifies state gets accept status SYSTEM_ERR. */
int bfs_fs_execute_ro(struct bfs_fs *fs, const uint8_t *op, uint32_t op_len,
		      uint8_t *result, uint32_t cap, uint32_t *result_len);

/* Root digest of the committed state, updating the partition tree for the
 * objects changed since the previous call: O(k log N) for k changes.
 * BFS_E_STATE while a batch is open. */
int bfs_fs_checkpoint(struct bfs_fs *fs, uint8_t digest[BFS_FS_DIGEST_LEN]);

/* The same digest recomputed from every record, ignoring the stored tree:
 * O(state). For tests and audits. */
int bfs_fs_digest_full(struct bfs_fs *fs, uint8_t digest[BFS_FS_DIGEST_LEN]);

/* What bfs_fs_rebuild_digests() did. */
struct bfs_fs_rebuild {
	uint64_t objects;  /* records of the replicated state rehashed */
	uint64_t bytes;    /* their keys and values */
	uint64_t cookies;  /* directory cookie index entries rebuilt */
	uint64_t skipped;  /* records no honest replica writes (deleted or, a
			      directory entry, left unindexed) */
	uint8_t root[BFS_FS_DIGEST_LEN]; /* the rebuilt checkpoint digest */
};

/* Proactive recovery (TOCS '02 §4.3.2): discard every stored digest (the
 * partition tree, bucket and object digests) and derived index, and
 * recompute them from the records alone, in one transaction (bfsd/
 * fs_rebuild.c). Afterwards bfs_fs_checkpoint() equals bfs_fs_digest_full().
 * O(state) time, memory bounded by the tree's shape. Releases the kept
 * snapshots. BFS_E_STATE while a batch or transfer is open. */
int bfs_fs_rebuild_digests(struct bfs_fs *fs, struct bfs_fs_rebuild *st);

/*
 * ---- State transfer (TOCS '02 §5.3.2; the calls of struct bft_service v2
 * in bft/io.h, whose comments are the contract; doc/fs.md "State
 * transfer") ----
 *
 * The tree: fan-out BFS_FS_TREE_FANOUT, depth BFS_FS_TREE_DEPTH, its
 * leaves the 2^20 buckets of the checkpoint digest. A leaf's bytes are the
 * versioned serialization of its bucket's objects (doc/fs.md); at most
 * BFS_FS_LEAF_MAX bytes. Snapshot 0 is the current state.
 */
#define BFS_FS_TREE_FANOUT 16u
#define BFS_FS_TREE_DEPTH 5u
#define BFS_FS_LEAF_MAX (64u << 20)
/* Leaf bytes a procedure may grow a bucket to: leaf_max less room for what
 * no procedure checks (client reply records, one procedure's own growth). */
#define BFS_FS_BUCKET_MAX (BFS_FS_LEAF_MAX - (4u << 20))

/* Keep the committed state readable as snapshot seq (> 0): call right after
 * bfs_fs_checkpoint() (BFS_E_STATE otherwise). At most 8 are kept; one more
 * releases the oldest. */
int bfs_fs_snapshot_keep(struct bfs_fs *fs, uint64_t seq);
/* Release the snapshots below seq. */
void bfs_fs_snapshot_release(struct bfs_fs *fs, uint64_t seq);
unsigned bfs_fs_snapshot_count(const struct bfs_fs *fs);

/* Digests of the 16 children of node (level < depth, index) in snapshot
 * snap (BFS_E_NOENT if not kept) or, snap 0, the current state including
 * the leaves put so far (BFS_E_STATE while a batch is open). */
int bfs_fs_children(struct bfs_fs *fs, uint64_t snap, uint32_t level, uint64_t index,
		    uint8_t (*digests)[BFS_FS_DIGEST_LEN]);

/* Bytes [offset, offset+cap) of leaf index in snapshot snap into buf; *len
 * written, *total the whole leaf (0: empty). An offset at or past the end
 * gives *len = 0. BFS_E_SPACE if the bucket exceeds BFS_FS_LEAF_MAX. */
int bfs_fs_leaf_get(struct bfs_fs *fs, uint64_t snap, uint64_t index, uint32_t offset,
		    uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total);

/* The digest leaf index has when it holds bytes[0..len): a pure function.
 * BFS_E_SHORT / BFS_E_VERSION / BFS_E_FIELD for bytes that are no valid
 * leaf index (including objects that belong to another leaf). */
int bfs_fs_leaf_digest(const struct bfs_fs *fs, uint64_t index, const uint8_t *bytes,
		       uint32_t len, uint8_t digest[BFS_FS_DIGEST_LEN]);

/* Replace the objects of leaf index in the current state by those of
 * bytes[0..len) (len 0: empty it). Rejected bytes change nothing. All puts
 * of one transfer form one transaction, committed by transfer_end; no
 * batch may run meanwhile (BFS_E_STATE both ways). */
int bfs_fs_leaf_put(struct bfs_fs *fs, uint64_t index, const uint8_t *bytes, uint32_t len);

/* Commit the leaves put since the last transfer_end as the state of
 * checkpoint seq (durable, last_seq = seq), keep its snapshot, and return
 * its root digest and the agreed time of its last batch. */
int bfs_fs_transfer_end(struct bfs_fs *fs, uint64_t seq, uint8_t digest[BFS_FS_DIGEST_LEN],
			uint64_t *time_us);

/* Drop the leaves put since the last transfer_end (the state stays as it
 * was before the transfer). */
void bfs_fs_transfer_abort(struct bfs_fs *fs);

/* Bytes of the data file LMDB uses (highest page in use × page size): how
 * far pinned snapshots make the file grow. */
int bfs_fs_db_bytes(struct bfs_fs *fs, uint64_t *bytes);

/* Make every committed batch durable (a no-op in sync mode, where each
 * already is). The replica calls it at each checkpoint: async mode's sync
 * point (bfsd/fs_service.c). */
int bfs_fs_sync(struct bfs_fs *fs);

/* Sequence number of the last committed batch (0 for a fresh file system). */
uint64_t bfs_fs_last_seq(const struct bfs_fs *fs);

/* The last committed batch and its agreed time: where a restarted replica
 * resumes (bft_service.last_batch). */
int bfs_fs_last_batch(struct bfs_fs *fs, uint64_t *seq, uint64_t *time_us);

/* The root directory's file handle (for MOUNT). */
void bfs_fs_root_fh(const struct bfs_fs *fs, uint8_t fh[BFS_FS_FH_LEN]);

/* Detail of the last BFS_E_STORAGE failure (an LMDB message), or "". */
const char *bfs_fs_last_storage_error(const struct bfs_fs *fs);

#endif
