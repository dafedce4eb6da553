/*
 * bft/io.h — how the pure PBFT cores (replica and client) touch the world.
 *
 * The cores in bft/core and bft/client never open files or network
 * endpoints, never read a clock, never start threads and never draw entropy
 * (DESIGN.md, "The bft/ library"; STYLE.md, canonical/raft's raft_io). Every
 * effect goes through the two versioned vtables below, supplied by the
 * daemons (real UDP, epoll timers, LMDB) or by tests/sim (simulated network,
 * simulated clock, toy service).
 *
 * All callbacks are invoked synchronously from inside a core entry point and
 * must not call back into the same core object.
 */
#ifndef BFT_IO_H
#define BFT_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "bft/crypto.h"

#define BFT_IO_VERSION 2
#define BFT_SERVICE_VERSION 3

/* Log levels (syslog-like order). */
enum bft_log_level {
	BFT_LOG_ERROR = 0,
	BFT_LOG_WARN = 1,
	BFT_LOG_INFO = 2,
	BFT_LOG_DEBUG = 3,
};

/* Timers a core may arm; each is a single one-shot timer per core. */
enum bft_timer {
	BFT_TIMER_STATUS = 0,      /* replica: periodic STATUS / retransmission */
	BFT_TIMER_VIEW_CHANGE = 1, /* replica: a request has waited too long */
	BFT_TIMER_CLIENT = 2,      /* client: retransmit the outstanding request */
	BFT_TIMER_COMMIT = 3,      /* replica: send the COMMITs held back */
	BFT_TIMER_KEY = 4,         /* replica: refresh keys (NEW-KEY) */
	BFT_TIMER_COUNT = 5,
};

/* Events the cores report for metrics, tracing and the simulation's
 * invariant checks. Purely informational: ignoring them is always correct. */
enum bft_trace_kind {
	BFT_TRACE_COMMITTED = 1,   /* seq committed-local with batch digest */
	BFT_TRACE_EXECUTED = 2,    /* seq executed (tentative or final) */
	BFT_TRACE_STABLE = 3,      /* checkpoint seq became stable (digest) */
	BFT_TRACE_NEW_VIEW = 4,    /* entered view (seq = view number) */
	BFT_TRACE_REJECTED = 5,    /* a message was rejected (seq = msg type) */
	BFT_TRACE_BEHIND = 6,      /* replica is behind a stable checkpoint (seq) */
	BFT_TRACE_TRANSFERRED = 7, /* state of checkpoint seq (digest) installed by
				      state transfer */
	BFT_TRACE_RECOVERED = 8,   /* proactive recovery done: state verified at
				      stable checkpoint seq (digest) */
};

struct bft_trace {
	enum bft_trace_kind kind;
	uint32_t node;
	uint64_t view;
	uint64_t seq;
	const uint8_t *digest; /* BFT_DIGEST_LEN bytes or NULL */
	bool tentative;
};

struct bft_io {
	int version; /* BFT_IO_VERSION */
	void *data;  /* passed back to every callback */

	/* Send len bytes to node `to` (replica or client id). Best effort: the
	 * message may be lost, and the core retransmits what matters. buf is
	 * only valid during the call. */
	void (*send)(void *data, uint32_t to, const uint8_t *buf, size_t len);

	/* Arm timer `which` to fire after ms milliseconds (replacing a pending
	 * one); ms == 0 cancels it. Firing calls the core's on_timer. */
	void (*set_timer)(void *data, enum bft_timer which, uint64_t ms);

	/* Wall-clock time in microseconds since the Unix epoch. Used only to
	 * propose (primary) and sanity-check (backups) the agreed batch time. */
	uint64_t (*now_us)(void *data);

	/* One log line, already formatted, naming the node (and view). */
	void (*log)(void *data, enum bft_log_level level, const char *line);

	/* Optional (may be NULL): trace events, see above. */
	void (*trace)(void *data, const struct bft_trace *ev);

	/* Optional (may be NULL: nothing survives a restart but the service's
	 * state). Append one protocol record (bft/core/persist.c) to this
	 * replica's durable log, durable as the durability mode requires when
	 * it returns: the core sends the message that depends on it next.
	 * Records are opaque bytes; a BFT_REC_STABLE record for seq makes
	 * every earlier record with a lower or equal seq obsolete, except the
	 * latest BFT_REC_VIEW. After a restart the runtime hands the records
	 * still live back, in the order they were written, to
	 * bft_replica_restore() before bft_replica_start(). Nonzero: the
	 * replica halts (it must not send what the record guards). */
	int (*persist)(void *data, uint8_t kind, uint64_t seq, const uint8_t *buf,
		       size_t len);

	/* Optional (may be NULL: keys are never refreshed). Fill buf with len
	 * bytes from a cryptographically secure generator (the simulation
	 * uses its seeded one); nonzero on failure. Used only for the
	 * ephemeral X25519 keys of NEW-KEY. */
	int (*random)(void *data, uint8_t *buf, size_t len);
};

/* Kinds of persisted protocol records. */
enum bft_rec_kind {
	BFT_REC_PREPARED = 1, /* batch seq prepared here (before our COMMIT) */
	BFT_REC_STABLE = 2,   /* checkpoint seq stable, with its proof */
	BFT_REC_VIEW = 3,     /* this replica moved to view seq */
};

/* One request handed to the service for execution. */
struct bft_exec_req {
	uint32_t client;
	uint64_t timestamp;
	bool read_only;
	const uint8_t *op;
	uint32_t op_len;
};

/*
 * The replicated state machine. Execution must be deterministic: the same
 * batches with the same agreed time produce byte-identical results and state
 * on every correct replica (DESIGN.md, "Determinism").
 *
 * Results are written into a caller-provided buffer of result_cap bytes
 * (BFT_MAX_RESULT); *result_len receives the length.
 */
struct bft_service {
	int version; /* BFT_SERVICE_VERSION */
	void *data;

	/* Start executing batch `seq`; `time_us` is the agreed batch time (the
	 * primary's proposal, clamped by the core to be strictly increasing).
	 * Everything executed until batch_end is one atomic unit. */
	int (*batch_begin)(void *data, uint64_t seq, uint64_t time_us);

	/* Execute one read-write request of the current batch. The service also
	 * records (client, timestamp, result) as the client's last reply, as
	 * part of its replicated state (the paper keeps the reply cache in the
	 * state so state transfer carries it). */
	int (*execute)(void *data, const struct bft_exec_req *req, uint8_t *result,
		       uint32_t result_cap, uint32_t *result_len);

	/* Finish batch seq: make its effects durable as the durability mode
	 * requires. Replies for a committed batch leave only after this
	 * returns 0. A batch executed tentatively (§5.1.2: prepared, not yet
	 * committed) stays open — its replies leave marked tentative — and is
	 * ended when it commits, or aborted if a view change does not choose
	 * it. At most one batch is open at a time. */
	int (*batch_end)(void *data, uint64_t seq);

	/* Undo the open batch seq as if it had never begun. */
	int (*batch_abort)(void *data, uint64_t seq);

	/* Execute a read-only request against the current state, no change. */
	int (*execute_ro)(void *data, const struct bft_exec_req *req, uint8_t *result,
			  uint32_t result_cap, uint32_t *result_len);

	/* Digest of the whole state as of the last batch_end (seq), for a
	 * CHECKPOINT message (§4.3). Must cost O(changes since the last call). */
	int (*checkpoint)(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN]);

	/*
	 * State transfer (TOCS '02 §5.3.2, the partition tree; bft/core
	 * state_transfer.c). Optional: a service whose `children` is NULL
	 * cannot transfer state, and a replica that falls behind the others'
	 * stable checkpoint then stays behind.
	 *
	 * The state is a fixed-shape tree the protocol defines: level 0 is the
	 * root, level `tree_depth` holds tree_fanout^tree_depth leaves (the
	 * service's partitions), indexed 0.. from left to right; node (l, i)
	 * has children (l+1, i*fanout .. i*fanout+fanout-1). A leaf's digest
	 * is the service's (leaf_digest, all-zero for an empty leaf); an
	 * interior node's digest is all-zero when all its children are zero,
	 * else SHA-256 of its children's digests in order. The checkpoint
	 * digest above is the root's digest.
	 *
	 * Snapshots: checkpoint(seq) and transfer_end(seq) also keep the state
	 * as of seq readable (children with snap = seq, leaf_get) while
	 * execution goes on, until snapshot_release names a higher seq.
	 */
	uint32_t tree_fanout;  /* 2..BFT_MAX_FANOUT */
	uint32_t tree_depth;   /* 1..BFT_MAX_TREE_DEPTH */
	uint32_t leaf_max;     /* most bytes of one leaf, ≤ BFT_MAX_LEAF */

	/* Digests of the tree_fanout children of interior node (level, index)
	 * of snapshot `snap`, or of the current state if snap == 0 (including
	 * leaves put by a transfer in progress). BFT_E_NOENT: no such
	 * snapshot. */
	int (*children)(void *data, uint64_t snap, uint32_t level, uint64_t index,
			uint8_t (*digests)[BFT_DIGEST_LEN]);

	/* Bytes [offset, offset+cap) of leaf `index` in snapshot `snap`: *len
	 * bytes written, *total the leaf's whole length (0: empty leaf). */
	int (*leaf_get)(void *data, uint64_t snap, uint64_t index, uint32_t offset,
			uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total);

	/* The digest leaf `index` has when it holds bytes[0..len): a pure
	 * function (the fetcher checks fetched bytes with it). BFT_E_FIELD if
	 * the bytes are no valid leaf. */
	int (*leaf_digest)(void *data, uint64_t index, const uint8_t *bytes, uint32_t len,
			   uint8_t digest[BFT_DIGEST_LEN]);

	/* Replace leaf `index` of the current state by bytes[0..len) (len 0:
	 * empty it). Only during a transfer: no batch is open, none runs until
	 * transfer_end. */
	int (*leaf_put)(void *data, uint64_t index, const uint8_t *bytes, uint32_t len);

	/* The leaves put since the last transfer_end make the state that of
	 * checkpoint seq: make it durable, keep its snapshot, and return its
	 * root digest and the agreed time of its last batch. */
	int (*transfer_end)(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN],
			    uint64_t *time_us);

	/* Snapshots of checkpoints below seq are no longer needed. */
	int (*snapshot_release)(void *data, uint64_t seq);

	/* The last reply the state records for `client` (node id): its
	 * timestamp (0: none) and result, so the core can reload its reply
	 * cache after a transfer. */
	int (*reply_get)(void *data, uint32_t client, uint64_t *timestamp, uint8_t *result,
			 uint32_t cap, uint32_t *len);

	/* Optional (NULL: the state starts empty at every start). The last
	 * batch whose effects the state holds (batch_end or transfer_end
	 * returned for it; 0: empty state) and its agreed time: where a
	 * restarted replica resumes (bft_replica_start). A service that
	 * returns a nonzero seq must implement reply_get. */
	int (*last_batch)(void *data, uint64_t *seq, uint64_t *time_us);
};

/* Limits of the state-transfer tree. */
#define BFT_MAX_FANOUT 64u
#define BFT_MAX_TREE_DEPTH 8u
#define BFT_MAX_LEAF (64u << 20)

#endif
