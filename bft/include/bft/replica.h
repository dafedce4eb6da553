/*
 * bft/replica.h — the pure PBFT replica state machine.
 *
 * Castro & Liskov, OSDI '99 §4 (the algorithm) and §5.1 (optimizations).
 * A replica is driven only by three kinds of events — bytes from the network
 * (bft_replica_recv), a timer firing (bft_replica_on_timer) and start — and
 * acts only through struct bft_io and struct bft_service (bft/io.h). It never
 * reads a clock except through io->now_us, and never blocks.
 *
 * Ownership: the replica borrows the keyring, io and service; they must
 * outlive it. Not thread-safe: one thread drives one replica.
 */
#ifndef BFT_REPLICA_H
#define BFT_REPLICA_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "bft/crypto.h"
#include "bft/io.h"

struct bft_replica;

struct bft_replica_config {
	uint32_t n;                  /* replicas, n = 3f+1, ≤ BFT_MAX_REPLICAS */
	uint32_t f;
	uint32_t id;                 /* this replica, 0..n-1 */
	uint32_t n_clients;          /* clients are nodes n .. n+n_clients-1 */
	uint32_t checkpoint_interval;/* K (default 128) */
	uint32_t log_window;         /* L, a multiple of K (default 2K) */
	uint32_t max_batch;          /* requests per pre-prepare (≤ BFT_MAX_BATCH) */
	uint32_t max_inflight;       /* batches the primary has outstanding */
	uint32_t big_request;        /* ops of more bytes travel by digest */
	uint64_t status_ms;          /* STATUS period (retransmission) */
	uint64_t view_change_ms;     /* base view-change timeout (§4.4) */
	uint64_t max_skew_us;        /* primary's time may run this far ahead */
	bool tentative;              /* tentative execution (§5.1.2) */
	bool digest_replies;         /* one full reply, others digests (§5.1.1) */
	uint64_t commit_delay_ms;    /* hold a COMMIT back this long at most,
					to send it with the next PREPARE or
					PRE-PREPARE (0: at once; default 1) */
	uint64_t key_refresh_ms;     /* NEW-KEY period (TOCS '02 §4.3.1): a fresh
					X25519 key every this many ms (0: never;
					needs io->random) */
	bool recovering;             /* start as a recovering replica (proactive
					recovery, TOCS '02 §4.3.2): the protocol
					log is gone and the state unverified; the
					replica refreshes its keys, estimates the
					high-water mark H from 2f+1 REPLY-STABLE,
					sends no PREPARE, COMMIT or PRE-PREPARE for
					seq <= H, and is recovered once a
					checkpoint >= H is stable here with its
					own state matching it (fetching what
					differs). The runtime must have rebuilt
					the service's digests from its data. */
	enum bft_log_level log_level;/* lines above this level are not built */
	uint32_t test_bugs;          /* BFT_BUG_* (honoured in test-hook builds only) */
};

/* Deliberate protocol bugs, compiled in only with -DBFT_TEST_HOOKS, used by
 * tests/sim to show that each invariant check catches a broken replica. */
#define BFT_BUG_WEAK_QUORUMS 0x1u  /* prepared w/o prepares, commit with f+1 */
#define BFT_BUG_LOCAL_TIME 0x2u    /* execute with own clock, not agreed time */
#define BFT_BUG_REEXECUTE 0x4u     /* primary re-batches executed requests */
#define BFT_BUG_NO_STATUS 0x8u     /* never answers STATUS (no retransmission) */
#define BFT_BUG_FORGET_LOG 0x10u   /* persists no PREPARED records, never mutes */
#define BFT_BUG_RECOVER_EARLY 0x20u /* a recovering replica says it recovered
				      at once, without checking its state */

/* Fill cfg with the defaults (K=128, L=256, batch 64, inflight 2, big 4096,
 * STATUS 100 ms, skew 60 s, tentative and digest replies on, COMMITs held
 * back 1 ms) for n, f, id. */
void bft_replica_config_default(struct bft_replica_config *cfg, uint32_t f,
				uint32_t id, uint32_t n_clients);

/* Validate cfg (BFT_E_INVAL with a log line on failure) and create the
 * replica in view 0 with an empty log. */
int bft_replica_new(const struct bft_replica_config *cfg, struct bft_keyring *kr,
		    const struct bft_io *io, const struct bft_service *svc,
		    struct bft_replica **out);
void bft_replica_free(struct bft_replica *r);

/*
 * Restart (bft/core/persist.c): before start, hand back the records the
 * replica persisted through io->persist, in the order they were written
 * (kind, seq, bytes). BFT_E_FIELD / BFT_E_TYPE for a damaged record (the
 * caller should refuse to start rather than run with a partial log).
 */
int bft_replica_restore(struct bft_replica *r, uint8_t kind, uint64_t seq,
			const uint8_t *buf, size_t len);

/* Resume where the service's state is (service last_batch, restored
 * records) and arm the periodic timers. Call once after new (and the
 * restores). An error (the service failed) leaves the replica halted. */
int bft_replica_start(struct bft_replica *r);

/* A datagram arrived. Any bytes are acceptable input: malformed,
 * unauthenticated or out-of-window messages are dropped (and logged). */
void bft_replica_recv(struct bft_replica *r, const uint8_t *buf, size_t len);

/* Timer `which` (armed through io->set_timer) fired. */
void bft_replica_on_timer(struct bft_replica *r, enum bft_timer which);

/* Observers. */
uint64_t bft_replica_view(const struct bft_replica *r);
uint64_t bft_replica_last_executed(const struct bft_replica *r);
uint64_t bft_replica_stable(const struct bft_replica *r);
uint32_t bft_replica_id(const struct bft_replica *r);
/* The state digest of the stable checkpoint bft_replica_stable() (all-zero
 * while it is 0). */
void bft_replica_stable_digest(const struct bft_replica *r, uint8_t out[BFT_DIGEST_LEN]);
/* Still recovering (cfg.recovering and not yet recovered)? */
bool bft_replica_recovering(const struct bft_replica *r);
/* The epoch of this replica's current NEW-KEY (0: the configured keys). */
uint64_t bft_replica_key_epoch(const struct bft_replica *r);

#endif
