/*
 * sim.h — the deterministic cluster simulation (tests/sim).
 *
 * One process runs n replicas and several clients on the pure cores
 * (bft/core, bft/client) over a simulated network (loss, delay, duplication,
 * reordering, partitions that heal) and a simulated clock, all drawn from one
 * seed, so a failing schedule replays exactly. Faulty replicas are real
 * cores whose outputs (or service) the simulation corrupts; they hold valid
 * keys, so they can forge anything a Byzantine node could.
 *
 * Invariants are checked whenever an event can change them (sim_check.c):
 * agreement on committed and executed batches, equal state digests at every
 * executed sequence number, linearizable client results, and liveness after
 * the network heals.
 */
#ifndef BFT_SIM_H
#define BFT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bft/client_core.h"
#include "bft/error.h"
#include "bft/crypto.h"
#include "bft/io.h"
#include "bft/messages.h"
#include "bft/replica.h"

#define SIM_MAX_NODES 80
#define SIM_KEYS 16 /* keys of the toy key-value service */
#define SIM_VIEW_CHANGE_MS 1000 /* replicas' base view-change timeout */

/* Fault modes of a faulty replica. */
enum sim_fault {
	FAULT_NONE = 0,
	FAULT_CRASH,        /* stops at a random time */
	FAULT_SILENT,       /* never sends */
	FAULT_CORRUPT_MAC,  /* flips trailer bytes of what it sends */
	FAULT_WRONG_RESULT, /* replies with wrong results */
	FAULT_WRONG_CKPT,   /* sends wrong checkpoint digests */
	FAULT_REPLAY,       /* re-sends old messages to random nodes */
	FAULT_BAD_ST,       /* serves wrong state-transfer data */
	FAULT_EQUIVOCATE,   /* primary: another batch for one backup */
	FAULT_PRIMARY_SILENT, /* the primary of view 0 (then 1, ...) is silent */
	FAULT_PRIMARY_CRASH,  /* ... crashes at a random time */
	FAULT_SLOW,         /* delays its pre-prepares just under the timeout */
	FAULT_CENSOR,       /* ignores one client's requests */
	FAULT_BAD_SEQ,      /* assigns sequence numbers beyond the watermarks */
	FAULT_BAD_TIME,     /* proposes a batch time an hour ahead */
	FAULT_CRASH_RESTART, /* killed and restarted from its disk, repeatedly
				(correct: it must stay consistent) */
	FAULT_POWER_LOSS,   /* ... losing what async mode had not synced */
	FAULT_CORRUPT_STATE, /* its state changes under it; must repair */
	FAULT_COUNT,
};

struct sim_opts {
	uint64_t seeds, first_seed;
	uint32_t f;
	uint32_t clients, requests;
	double loss, dup;
	bool partitions;
	enum sim_fault modes[FAULT_COUNT];
	uint32_t n_modes;
	uint32_t bug;          /* BFT_BUG_* for buggy replicas (hooks build) */
	uint32_t client_bug;   /* BFT_CLIENT_BUG_* */
	bool expect_violation; /* self-test: succeed iff violations are found */
	char expect_kind[32];  /* ... of this invariant ("agreement", "state",
				  "linearizability", "liveness") */
	bool safety_only;      /* do not judge liveness (faulty primary, no
				  view change yet) */
	uint32_t kill_all;     /* times every replica crashes at once and
				  restarts from its disk */
	uint32_t recover;      /* proactive recoveries, replicas in turn */
	uint64_t key_refresh_ms; /* replicas' NEW-KEY period (0: never) */
	int lossy_replica;     /* -1, or a replica that loses 10% of the
				  datagrams to or from it for the whole run
				  and must still execute everything */
	bool verbose;
	char mode_arg[256];
	char bug_arg[64];
};

/* One simulated event. */
enum sim_ev_kind { EV_DELIVER, EV_TIMER, EV_SUBMIT, EV_CRASH, EV_RESTART, EV_CORRUPT,
		  EV_RECOVER };

struct sim_event {
	uint64_t at;       /* µs of simulated time */
	uint64_t order;    /* FIFO tie-break */
	enum sim_ev_kind kind;
	uint32_t node;
	uint32_t from;
	uint32_t which;    /* timer */
	uint64_t gen;      /* timer generation */
	uint8_t *buf;      /* DELIVER: owned bytes */
	uint32_t len;
};

struct sim;
struct seq_info;

/* What the checker knows about one client operation. */
struct sim_op {
	uint32_t client;
	uint64_t ts;           /* final timestamp (read-only may be re-issued) */
	bool read_only, is_get, done;
	uint8_t key;
	uint64_t submit_at, done_at;
	uint8_t result[16];
	uint32_t result_len;
};

/* One executed request of the reference history. */
struct sim_hist {
	uint64_t seq;
	uint32_t idx;
	uint32_t client;
	uint64_t ts;
	uint8_t key;
	bool is_get;
	uint64_t value_after;
	uint8_t result[16];
	uint32_t result_len;
};

static inline void sim_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t sim_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The toy service's replicated state: SIM_KEYS counters, the agreed time
 * of the last batch, and each client's last reply (the reply cache). */
#define TOY_RESULT 16
struct toy_state {
	uint64_t values[SIM_KEYS];
	uint64_t time_us;
	uint64_t last_ts[SIM_MAX_NODES];       /* by client index */
	uint8_t reply[SIM_MAX_NODES][TOY_RESULT];
	uint8_t reply_len[SIM_MAX_NODES];
};

/* State transfer tree of the toy (sim_transfer.c): 4^4 leaves, one per
 * key, one for the time, one per client. */
#define TOY_FANOUT 4
#define TOY_DEPTH 4
#define TOY_SNAPS 8 /* checkpoint snapshots kept */
#define TOY_LEAF_MAX (8 + 1 + TOY_RESULT)

struct toy_service {
	struct sim *sim;
	uint32_t node;
	struct toy_state cur;
	struct toy_state saved; /* before the open batch, for batch_abort */
	uint64_t seq;
	uint32_t pos;           /* request index within the current batch */
	struct { uint64_t seq; struct toy_state st; } snaps[TOY_SNAPS];
	/* what the open batch executed, reported to the checker at batch_end */
	struct sim_hist pending[BFT_MAX_BATCH];
	uint32_t n_pending;
	struct bft_service vt;
	uint64_t ended;         /* last batch ended (or transferred) */
	bool open;              /* a batch is open (tentative) */
	struct toy_state durable; /* cur as of `ended`: what a crash keeps */
	struct toy_state synced;  /* ... as of the last sync point (async mode):
				     what a power loss keeps */
	uint64_t synced_seq;
	uint64_t corrupted_at;  /* corrupt-state: seq executed when hit */
};

/* One record a replica persisted (its disk, which survives restarts). */
struct sim_rec {
	uint8_t kind;
	uint64_t seq;
	uint8_t *buf;
	uint32_t len;
};

struct sim_node {
	struct sim *sim;
	uint32_t id;
	bool is_replica;
	enum sim_fault fault;
	bool crashed;
	int64_t clock_skew_us;
	uint64_t timer_gen[BFT_TIMER_COUNT];
	struct bft_io io;
	struct bft_keyring *kr;
	struct bft_replica *replica;
	struct bft_client_core *client;
	struct toy_service svc;
	/* client workload */
	uint32_t done_ops;
	uint32_t cur_op;        /* index into the sim's op records, or ~0 */
	/* replay fault: recorded messages */
	uint8_t *rec[32];
	uint32_t rec_len[32];
	uint32_t n_rec;
	/* restarts (sim_restart.c): the persisted records */
	struct sim_rec *disk;
	uint32_t n_disk, disk_cap;
	uint32_t disk_synced;   /* records a power loss keeps (async mode) */
	uint32_t restarts;
	bool repaired;          /* corrupt-state: a transfer fixed the state */
	/* proactive recovery (sim_recover.c) */
	bool recovering;        /* rebooted to recover, not yet recovered:
				   counted faulty meanwhile */
	uint64_t rec_began;     /* µs */
};

struct sim {
	const struct sim_opts *opts;
	uint64_t seed;
	uint64_t rng;
	uint32_t n, f, n_clients, n_nodes;
	uint64_t now;           /* µs */
	uint64_t chaos_end;     /* loss and partitions stop here */
	uint64_t deadline;      /* liveness: everything done by here */
	uint64_t order;
	/* event heap */
	struct sim_event *heap;
	size_t heap_len, heap_cap;
	/* network */
	uint64_t partition_mask; /* nodes cut off from the rest */
	uint64_t partition_until;
	/* nodes */
	struct sim_node nodes[SIM_MAX_NODES];
	/* checker */
	char violation[512];
	bool violated;
	uint64_t max_seq;
	uint8_t (*commit_digest)[BFT_DIGEST_LEN];
	bool *commit_known;
	uint8_t (*exec_digest)[BFT_DIGEST_LEN];
	bool *exec_known;
	uint8_t (*state_digest)[BFT_DIGEST_LEN];
	bool *state_known;
	struct seq_info *seq_info;  /* [seq_cap]: who recorded each seq's history */
	size_t seq_cap;
	size_t **by_client;         /* [client][ts] -> history index + 1 */
	size_t *by_client_cap;
	struct sim_hist *hist;
	size_t hist_len, hist_cap;
	struct sim_op *ops;
	size_t ops_len, ops_cap;
	/* equivocation map: seq -> (real digest, forged digest) */
	uint8_t (*eq_real)[BFT_DIGEST_LEN];
	uint8_t (*eq_fake)[BFT_DIGEST_LEN];
	struct bft_msg scratch;        /* fault layer's decode space */
	uint8_t scratch_out[BFT_MAX_MSG];
	/* statistics */
	uint64_t completed, messages, dropped;
	uint64_t fail_at;       /* when the first faulty primary failed (µs) */
	uint64_t recovered_at;  /* first commit in a later view, 0 if none */
	uint64_t max_view;      /* highest view a correct replica entered */
	uint64_t transfers;     /* state transfers correct replicas completed */
	uint64_t restarts;      /* replica restarts from disk */
	uint64_t recoveries;    /* proactive recoveries completed */
	uint64_t rec_max_us;    /* the longest of them */
	uint32_t rec_next;      /* replica whose turn to recover is next */
	uint64_t rec_last_end;  /* when the last recovery ended (µs) */
};

/* sim_rng.c */
uint64_t sim_rand(struct sim *s);
uint64_t sim_between(struct sim *s, uint64_t lo, uint64_t hi); /* [lo, hi] */
bool sim_chance(struct sim *s, double p);

/* sim_net.c */
void sim_push(struct sim *s, struct sim_event ev);
bool sim_pop(struct sim *s, struct sim_event *ev);
void sim_net_send(struct sim *s, uint32_t from, uint32_t to, const uint8_t *buf, size_t len);
/* The same, delivered extra_us later than the network would. */
void sim_net_send_late(struct sim *s, uint32_t from, uint32_t to, const uint8_t *buf,
		       size_t len, uint64_t extra_us);
void sim_net_step(struct sim *s);

/* sim_fault.c */
void sim_fault_send(struct sim *s, struct sim_node *nd, uint32_t to, const uint8_t *buf,
		    size_t len);
void sim_fault_record(struct sim_node *nd, const uint8_t *buf, size_t len);
/* Whether a faulty node drops this datagram on receipt (censoring). */
bool sim_fault_drops(struct sim *s, struct sim_node *nd, const uint8_t *buf, size_t len);
bool sim_fault_is_primary_mode(enum sim_fault f);
const char *sim_fault_name(enum sim_fault f);
enum sim_fault sim_fault_parse(const char *name);

/* sim_service.c */
void toy_init(struct toy_service *t, struct sim *s, uint32_t node);
void toy_free(struct toy_service *t);
void toy_digest(const struct toy_service *t, uint8_t out[BFT_DIGEST_LEN]);
/* sim_transfer.c */
void toy_tree_root(const struct toy_state *st, uint32_t n_clients, uint8_t out[BFT_DIGEST_LEN]);
void toy_transfer_init(struct toy_service *t);
void toy_snapshot(struct toy_service *t, uint64_t seq);
uint32_t toy_make_op(struct sim *s, uint8_t *op, bool *read_only, bool *is_get,
		     uint8_t *key);

/* sim_restart.c */
int sim_persist(void *data, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len);
void sim_schedule_restarts(struct sim *s, uint32_t id);
void sim_schedule_kill_all(struct sim *s);
void sim_crash(struct sim *s, struct sim_node *nd);
void sim_restart(struct sim *s, struct sim_node *nd);
void sim_corrupt(struct sim *s, struct sim_node *nd);
void sim_disk_free(struct sim_node *nd);
void sim_check_repaired(struct sim *s);
/* The sync point of async mode: a checkpoint of the service. */
void sim_disk_sync(struct sim_node *nd);
/* sim_recover.c */
void sim_schedule_recoveries(struct sim *s);
void sim_recover(struct sim *s, struct sim_event *ev);
void sim_recovered(struct sim *s, uint32_t node);
void sim_check_recovered(struct sim *s);
bool sim_any_recovering(const struct sim *s);
int sim_io_random(void *data, uint8_t *buf, size_t len);
/* sim_cluster.c */
int sim_make_replica(struct sim *s, struct sim_node *nd);

/* sim_check.c */
void check_init(struct sim *s);
void check_free(struct sim *s);
void check_trace(struct sim *s, const struct bft_trace *ev);
void check_state(struct sim *s, uint32_t node, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN]);
/* A correct replica committed the execution of h (reported at batch_end). */
void check_executed(struct sim *s, uint32_t node, const struct sim_hist *h);
void check_completed(struct sim *s, struct sim_op *op);
void check_end(struct sim *s);
void check_seq_room(struct sim *s, uint64_t seq); /* per-seq arrays cover seq */
void violation(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool node_correct(const struct sim *s, uint32_t node);

/* sim_cluster.c */
int sim_run_seed(const struct sim_opts *o, uint64_t seed, struct sim *s);

#endif
