/*
 * replica_internal.h — the replica's state, shared by the files of bft/core.
 *
 * Castro & Liskov, OSDI '99 §4: the message log (§4.2), the checkpoints and
 * watermarks (§4.3), per-client last replies (§4.1). Everything a replica
 * holds is bounded by the configuration: L log entries of at most one
 * pre-prepare each, L/K+1 checkpoint slots, one record per configured client.
 *
 * Never included outside bft/core.
 */
#ifndef BFT_REPLICA_INTERNAL_H
#define BFT_REPLICA_INTERNAL_H

#include <stdarg.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "bft/replica.h"

#ifdef BFT_TEST_HOOKS
#define BUG(r, b) (((r)->cfg.test_bugs & (b)) != 0)
#else
#define BUG(r, b) 0
#endif

/* Q entries kept per sequence number (the two latest distinct batches). */
#define BFT_Q_PER_SEQ 2

/* A VIEW-CHANGE message held for the view-change protocol. */
struct vc_slot {
	uint8_t *raw;            /* whole signed message, owned */
	uint32_t len, cap;
	uint64_t view;           /* 0 with raw == NULL: none */
	uint8_t digest[BFT_DIGEST_LEN];
};

/* A COMMIT decided but not sent yet (lazy_commit.c). */
#define LAZY_COMMITS_MAX 16
struct lazy_commit {
	uint64_t view, seq;
	uint8_t digest[BFT_DIGEST_LEN];
};

/* A request body the replica holds (big requests travel outside batches). */
struct held_request {
	uint8_t *raw;        /* whole REQUEST message, owned; NULL if none */
	uint32_t len;
	uint64_t timestamp;
	uint8_t digest[BFT_DIGEST_LEN];
};

/* §4.1: what a replica remembers of each client. */
#define NK_MSG_MAX (BFT_HDR_LEN + 8 + BFT_KEY_LEN + BFT_SIG_LEN) /* a NEW-KEY */

struct client_rec {
	uint64_t last_ts;        /* timestamp of the last executed request */
	uint64_t reply_seq;      /* batch that executed it */
	bool reply_tentative;    /* executed tentatively, not yet committed */
	uint8_t *reply;          /* its result, owned */
	uint32_t reply_len, reply_cap;
	uint32_t replier;        /* designated replier of that request */

	struct held_request big[2]; /* latest big request bodies seen */

	/* Primary only: the request waiting for a batch. */
	uint8_t *pending;        /* whole REQUEST message, owned */
	uint32_t pending_len, pending_cap;
	uint64_t pending_ts;
	bool queued;             /* in the primary's FIFO */
	uint64_t assigned_ts;    /* highest timestamp put in a pre-prepare */

	/* The reply cache as it was before the open tentative batch, so a view
	 * change that does not choose that batch can restore it. */
	uint8_t *prev_reply;
	uint32_t prev_len, prev_cap, prev_replier;
	uint64_t prev_ts, prev_seq;
	bool prev_tentative;

	/* View changes (§4.4): a request received and not yet executed. */
	uint64_t waiting_ts;

	/* A read-only request deferred until tentative state commits. */
	uint8_t *ro;             /* whole REQUEST message, owned */
	uint32_t ro_len, ro_cap;
};

/* §4.2: one sequence number's slot in the log. */
struct log_entry {
	uint64_t seq;            /* 0: slot unused */
	uint64_t view;           /* view of the pre-prepare and votes */
	bool has_pp;
	uint8_t digest[BFT_DIGEST_LEN];
	uint8_t *pp;             /* raw PRE-PREPARE, owned */
	uint32_t pp_len;
	uint64_t nondet;
	uint16_t n_missing;      /* needed request bodies not yet held */
	bool vouched;            /* f+1 others (or a NEW-VIEW) vouch for the batch:
				    its requests need no authenticator here */
	uint64_t need_mask;      /* batch entries that need a body: digest-only
				    ones, and inline ones whose client
				    authenticator fails here (a faulty relay
				    may have damaged it; the batch digest
				    excludes authenticators) */
	uint8_t **bodies;        /* per batch entry: owned body for DIGEST kinds */
	uint32_t *body_len;
	uint16_t n_entries;

	uint64_t prep_have;      /* bitmap of replicas whose PREPARE we hold */
	uint64_t commit_have;
	uint8_t (*prep_digest)[BFT_DIGEST_LEN];   /* [n] */
	uint8_t (*commit_digest)[BFT_DIGEST_LEN]; /* [n] */

	bool sent_prepare, sent_commit;
	bool prepared, committed;
	bool executed;           /* tentatively or finally */

	/* View-change history (TOCS '02 §4.5): the latest view in which this
	 * seq prepared here (P), and the latest views in which distinct
	 * batches pre-prepared here (Q). Kept across views; reset by GC. */
	bool p_valid;
	uint64_t p_view;
	uint8_t p_digest[BFT_DIGEST_LEN];
	uint8_t n_q;
	struct { uint64_t view; uint8_t digest[BFT_DIGEST_LEN]; } q[BFT_Q_PER_SEQ];
	bool chosen;             /* digest fixed by the NEW-VIEW of e->view */
};

/* §4.3: a checkpoint sequence number and the CHECKPOINTs received for it. */
struct ckpt_slot {
	uint64_t seq;            /* 0: unused */
	uint64_t have;           /* bitmap of replicas heard */
	uint8_t (*digest)[BFT_DIGEST_LEN]; /* [n] */
	uint8_t (*sig)[BFT_SIG_LEN];       /* [n] */
	bool own_valid;          /* own state digest computed */
	bool own_sent;
	uint8_t own[BFT_DIGEST_LEN];
};

/* A persisted record given back before start (persist.c). */
struct restored_rec {
	uint8_t kind;
	uint64_t seq;
	uint8_t *buf;
	size_t len;
};

/* State transfer (state_transfer.c): a node of the partition tree to bring
 * to its certified digest. */
struct st_item {
	uint32_t level;
	bool clear;              /* certified subtree empty: empty local leaves */
	uint64_t index;
	uint8_t digest[BFT_DIGEST_LEN];
};

/* A FETCH in flight: an interior node's children, or a leaf's bytes. */
struct st_fetch {
	struct st_item node;
	uint8_t *buf;            /* leaf bytes gathered so far, owned */
	uint32_t total, got;
	bool sized;              /* first DATA chunk seen: total known */
};

#define ST_WINDOW 8          /* FETCHes in flight */

struct st_state {
	bool active;
	uint64_t seq;            /* the checkpoint being fetched */
	uint8_t digest[BFT_DIGEST_LEN];
	uint32_t replier;        /* replica fetched from */
	uint64_t bad;            /* replicas that served bad data this transfer */
	bool progress;           /* an answer arrived since the last STATUS tick */
	uint32_t quiet_ticks;    /* behind without executing, in STATUS ticks */
	uint32_t attempts;       /* transfers of this seq that ended wrong */
	struct st_item *stack;
	uint32_t n_stack, stack_cap;
	struct st_fetch fl[ST_WINDOW];
	uint32_t n_fl;
	uint8_t (*kids)[BFT_DIGEST_LEN];  /* [fanout] scratch */
	uint8_t (*local)[BFT_DIGEST_LEN]; /* [fanout] scratch */
	uint8_t *chunk;          /* BFT_MAX_DATA bytes, for serving DATA */
	uint64_t n_nodes, n_leaves, n_bytes; /* fetched (for the log) */
	uint64_t rx_bytes;         /* META-DATA + DATA bytes taken from repliers */
	uint64_t started_us;
};

struct bft_replica {
	struct bft_replica_config cfg;
	struct bft_keyring *kr;
	const struct bft_io *io;
	const struct bft_service *svc;
	uint32_t quorum;         /* 2f+1 */

	uint64_t view;
	uint64_t h;              /* low watermark: last stable checkpoint */
	uint8_t h_digest[BFT_DIGEST_LEN];
	uint64_t h_keep;         /* entries in (h_keep, h] are kept only to be
				    retransmitted to replicas that lag */
	uint64_t last_exec;      /* highest executed (tentatively or not) */
	uint64_t last_cexec;     /* highest executed and committed */
	uint64_t last_time_us;   /* agreed time of the last executed batch */
	uint64_t open_batch;     /* seq of the tentative batch left open, or 0 */
	uint64_t open_prev_time; /* last_time_us before it */
	uint32_t open_clients[BFT_MAX_BATCH]; /* client indices it executed */
	uint32_t n_open_clients;

	/* view changes (§4.4) */
	bool view_active;        /* false while changing to `view` */
	uint64_t view_start;     /* checkpoint the NEW-VIEW of `view` started at */
	uint64_t vc_timeout_ms;  /* current timeout; doubles per failed view */
	uint32_t timed_client;   /* request the timer is timing (node id, 0: none) */
	uint64_t timed_ts;
	struct vc_slot *vcs;     /* [n] latest VIEW-CHANGE from each replica */
	struct vc_slot *nv_set;  /* [n] the VIEW-CHANGEs the current NEW-VIEW used */
	struct vc_slot nv;       /* NEW-VIEW that installed `view` (raw) */
	struct vc_slot pending_nv; /* a NEW-VIEW waiting for its VIEW-CHANGEs */
	struct vc_slot *nv_cand; /* [n] older VIEW-CHANGEs pending_nv may need */
	uint64_t vc_armed_view;  /* view whose NEW-VIEW timer runs */
	struct bft_view_change *vc_dec; /* [n] decode space */

	/* primary */
	uint64_t next_seq;       /* last assigned sequence number */
	uint64_t last_proposed_us;
	uint32_t *fifo;          /* client indices waiting for a batch */
	uint32_t fifo_head, fifo_len;

	struct log_entry *log;   /* [L+K], slot seq % (L+K) */
	uint32_t log_slots;      /* L + K */
	uint32_t n_awaiting;     /* entries with n_missing > 0 (body_arrived
				    scans the log only when some wait) */
	struct ckpt_slot *ckpt;  /* [L/K + 1], slot (seq / K) % (L/K+1) */
	uint32_t n_ckpt;
	struct ckpt_slot *far;   /* [L/K + 1] CHECKPOINTs beyond h + L */
	struct ckpt_slot cert;   /* highest checkpoint 2f+1 replicas certify
				    (seq 0: none), with their signatures */
	struct st_state st;
	struct client_rec *clients; /* [n_clients] */

	/* scratch, so no handler allocates per message */
	struct bft_msg in;       /* the message being handled */
	struct bft_msg aux;      /* pre-prepare being built or executed */
	struct bft_msg body;     /* a request body during execution */
	bool executing;          /* try_execute is on the stack */
	bool halted;             /* the service failed: act as crashed */
	uint32_t n_deferred_ro;  /* clients with a deferred read-only request */
	struct lazy_commit lazy[LAZY_COMMITS_MAX]; /* COMMITs held back */
	uint32_t n_lazy;

	/* restart (persist.c) */
	bool started;            /* bft_replica_start ran: no more restores */
	bool restored;           /* records were restored */
	struct restored_rec *recs; /* handed to bft_replica_restore, applied at
				      start (persist.c) */
	uint32_t n_recs, recs_cap;
	uint64_t mute_below;     /* no PREPARE / PRE-PREPARE in views below */
	bool recovering;         /* proactive recovery under way (recovery.c) */
	bool rec_h_known;        /* rec_h estimated from 2f+1 REPLY-STABLE */
	uint64_t rec_h;          /* high-water mark H: silent for seq <= H */
	uint64_t rec_nonce;      /* of our QUERY-STABLE */
	uint64_t rec_replied;    /* replicas whose REPLY-STABLE counted */
	uint64_t rec_max_ckpt;   /* highest checkpoint they reported */
	uint64_t rec_start_us;
	uint64_t rec_peer_until[BFT_MAX_REPLICAS]; /* peer said RECOVERING in a
						     STATUS lately (µs) */

	/* NEW-KEY (new_key.c) */
	uint64_t key_epoch;      /* epoch of our current key (0: configured) */
	uint8_t nk_msg[NK_MSG_MAX];  /* our current NEW-KEY, signed */
	uint8_t nk_want[NK_MSG_MAX]; /* the same flagged BFT_NK_WANT */
	uint32_t nk_len, nk_want_len;
	uint64_t nk_drop_at;     /* previous in-keys die then (µs; 0: none) */
	uint64_t *nk_sent_us;    /* [n + n_clients] last NEW-KEY sent there */
	uint64_t lagging;        /* peers whose STATUS shows them below h */
	uint8_t *out;            /* BFT_MAX_MSG bytes for encoding */
	uint8_t *result;         /* BFT_MAX_RESULT bytes for execution */
};

/* ---- replica.c ---- */
uint32_t primary_of(const struct bft_replica *r, uint64_t view);
bool is_primary(const struct bft_replica *r);
void rlog(const struct bft_replica *r, enum bft_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rtrace(const struct bft_replica *r, enum bft_trace_kind kind, uint64_t seq,
	    const uint8_t *digest, bool tentative);
void reject(struct bft_replica *r, const char *why);

/* ---- send.c: authenticate and send ---- */
/* Fill the authenticator at trailer (for buf[0..len-trailer)) and send the
 * message to every other replica. */
void send_to_replicas(struct bft_replica *r, uint8_t *buf, int len, uint8_t *trailer);
bool verify_auth(struct bft_replica *r, const struct bft_msg *m);
bool verify_mac(struct bft_replica *r, const struct bft_msg *m);
bool verify_sig(struct bft_replica *r, const struct bft_msg *m);
void send_prepare_msg(struct bft_replica *r, uint8_t type, struct log_entry *e);
/* Multicast a PREPARE or COMMIT with these fields (no flush). */
void multicast_vote(struct bft_replica *r, uint8_t type, uint64_t view, uint64_t seq,
		    const uint8_t digest[BFT_DIGEST_LEN]);

/* ---- lazy_commit.c ---- */
/* Our COMMIT for e (prepared): at once, or held back to leave with the next
 * PREPARE or PRE-PREPARE (at most cfg.commit_delay_ms). */
void commit_send(struct bft_replica *r, const struct log_entry *e);
/* Send every COMMIT held back. Call before multicasting a PREPARE or
 * PRE-PREPARE (they then share a bundle), and whenever someone waits. */
void commits_flush(struct bft_replica *r);

/* ---- log.c ---- */
bool in_window(const struct bft_replica *r, uint64_t seq);
struct log_entry *log_get(struct bft_replica *r, uint64_t seq);  /* NULL outside window */
/* The entry for seq in (h_keep, h+L], or NULL if unused. */
struct log_entry *log_find(struct bft_replica *r, uint64_t seq);
void log_clear(struct bft_replica *r, struct log_entry *e);
void log_truncate(struct bft_replica *r, uint64_t upto);
void log_update_state(struct bft_replica *r, struct log_entry *e);
/* Record the PREPARE or COMMIT in r->in (already authenticated). */
void log_vote(struct bft_replica *r, bool commit);

/* ---- clients.c ---- */
struct client_rec *client_get(struct bft_replica *r, uint32_t node);
bool buf_store(uint8_t **buf, uint32_t *cap, uint32_t *len, const uint8_t *src, uint32_t n);
void held_store(struct client_rec *c, const uint8_t *raw, uint32_t len, uint64_t ts,
		const uint8_t digest[BFT_DIGEST_LEN]);
const struct held_request *held_find(const struct client_rec *c, uint64_t ts,
				     const uint8_t digest[BFT_DIGEST_LEN]);
void send_cached_reply(struct bft_replica *r, uint32_t node, bool full);
void send_reply(struct bft_replica *r, uint32_t node, uint64_t ts, uint16_t flags,
		const uint8_t *result, uint32_t len, bool full);

/* ---- batch.c (primary) ---- */
void primary_enqueue(struct bft_replica *r, uint32_t node, const uint8_t *raw,
		     uint32_t len, uint64_t ts);
void primary_try_batch(struct bft_replica *r);
void primary_pad(struct bft_replica *r);
/* Some peer said in a STATUS lately that it is recovering. */
bool peer_recovering(const struct bft_replica *r);

/* ---- execute.c ---- */
void try_execute(struct bft_replica *r);
void execute_read_only(struct bft_replica *r, uint32_t node, const struct bft_msg *m);
/* Undo the open tentative batch (a view change did not choose it). */
void rollback_tentative(struct bft_replica *r);

/* ---- checkpoint.c ---- */
void checkpoint_taken(struct bft_replica *r, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN]);
void checkpoint_committed(struct bft_replica *r, uint64_t seq);
struct ckpt_slot *ckpt_get(struct bft_replica *r, uint64_t seq, bool create);
void checkpoint_check_stable(struct bft_replica *r, struct ckpt_slot *s);
void checkpoint_far(struct bft_replica *r, uint32_t from, const struct bft_checkpoint *c,
		    const uint8_t *sig);
void send_checkpoint_msgs(struct bft_replica *r, uint32_t to, struct ckpt_slot *s);
/* Move the low watermark straight to checkpoint seq (state transfer,
 * restart): the log at or below it and the checkpoint slots below it go;
 * the caller sets h_digest and the slot's proof. */
void window_jump(struct bft_replica *r, uint64_t seq);
/* 2f+1 certify checkpoint src->seq (digest d), executed here since a restart
 * that lost our own digest of it: make it stable on their word. */
void stable_without_own(struct bft_replica *r, struct ckpt_slot *src, const uint8_t *d);

/* Copy the replicas of slot s that sent digest d into dst (same n). */
void ckpt_copy_matching(const struct bft_replica *r, struct ckpt_slot *dst,
			const struct ckpt_slot *s, const uint8_t *d);

/* ---- state_transfer.c (TOCS '02 §5.3.2) ---- */
/* 2f+1 replicas certify checkpoint s->seq with digest d (their signatures
 * in s): remember it and fetch it if this replica is behind it. */
void st_certified(struct bft_replica *r, const struct ckpt_slot *s, const uint8_t *d);
/* Local state differs from the certified checkpoint's: fetch it now. */
void st_corrupt(struct bft_replica *r);
void st_tick(struct bft_replica *r);
void recv_meta_data(struct bft_replica *r);
void recv_data(struct bft_replica *r);
int st_alloc(struct bft_replica *r);
void st_free(struct bft_replica *r);

/* Reload every client's last reply from the state (after it changed under
 * the log: state transfer, restart). False: the replica halted. */
bool reload_clients(struct bft_replica *r, uint64_t seq);

/* ---- persist.c (durable protocol records, restart) ---- */
bool muted(const struct bft_replica *r);
bool persist_prepared(struct bft_replica *r, const struct log_entry *e);
/* The stable checkpoint r->h with the proof slot s holds for r->h_digest. */
bool persist_stable(struct bft_replica *r, const struct ckpt_slot *s);
bool persist_view(struct bft_replica *r, bool installed);
int restart_resume(struct bft_replica *r);
void restored_free(struct bft_replica *r);

/* ---- new_key.c (TOCS '02 §4.3.1) ---- */
void new_key_start(struct bft_replica *r);
void new_key_timer(struct bft_replica *r);
void new_key_tick(struct bft_replica *r);
/* A message claiming to come from `from` failed its MAC: offer keys. */
void new_key_mismatch(struct bft_replica *r, uint32_t from);
void recv_new_key(struct bft_replica *r);

/* ---- recovery.c (TOCS '02 §4.3.2) ---- */
/* Recovering and seq not above the high-water mark: send no vote for it. */
bool rec_muted(const struct bft_replica *r, uint64_t seq);
void recovery_start(struct bft_replica *r);
void recovery_tick(struct bft_replica *r);
/* Our state matches stable checkpoint seq (own digest certified, or
 * installed by state transfer). */
void recovery_verified(struct bft_replica *r, uint64_t seq);
void recv_query_stable(struct bft_replica *r);
void recv_reply_stable(struct bft_replica *r);

/* ---- recv_fetch.c ---- */
void recv_fetch(struct bft_replica *r);

/* ---- view_change.c ---- */
void request_waiting(struct bft_replica *r, struct client_rec *c, uint64_t ts);
void request_executed(struct bft_replica *r, struct client_rec *c);
/* The view-change timer's pseudo-request "a checkpoint for a lagging peer". */
#define BFT_CKPT_WANTED UINT32_MAX
void checkpoint_wanted(struct bft_replica *r, bool next);
void checkpoint_reached(struct bft_replica *r);
void start_view_change(struct bft_replica *r, uint64_t view);
/* Restarted while changing to r->view: say so again (persist.c). */
void resume_view_change(struct bft_replica *r);
void view_change_timer(struct bft_replica *r);
void check_join(struct bft_replica *r);
/* Arm the NEW-VIEW timer once 2f+1 VIEW-CHANGEs for our view are held. */
void arm_new_view_timer(struct bft_replica *r);
void vc_slot_free(struct vc_slot *s);
bool vc_slot_store(struct vc_slot *s, const uint8_t *raw, uint32_t len, uint64_t view);
void note_pre_prepared(struct log_entry *e, uint64_t view, const uint8_t *d);
void send_view_state(struct bft_replica *r, uint32_t to, bool changing);

/* ---- new_view.c ---- */
/* The decision of TOCS '02 §4.5.3 over the VIEW-CHANGEs vcs[0..count): the
 * checkpoint to start from (the highest proven) and the batch digest for
 * every seq above it up to the highest prepared (zero digest: null
 * request). BFT_OK, or BFT_E_BUSY if these VIEW-CHANGEs do not decide yet. */
int nv_decide(uint32_t f, const struct bft_view_change *vcs, uint32_t count,
	      uint64_t *start, uint8_t start_digest[BFT_DIGEST_LEN],
	      struct bft_vc_entry *o, uint16_t *n_o);
void try_new_view(struct bft_replica *r);
void install_view(struct bft_replica *r, uint64_t start, const uint8_t *start_digest,
		  const struct bft_vc_entry *o, uint16_t n_o);
/* After a state transfer moved h: choose the current NEW-VIEW's batches
 * that now fall in the window. */
void reapply_new_view(struct bft_replica *r);
bool verify_view_change(struct bft_replica *r, const struct bft_msg *m);
void retry_pending_new_view(struct bft_replica *r);

/* ---- handlers (recv_*.c) ---- */
void recv_view_change(struct bft_replica *r);
void recv_new_view(struct bft_replica *r);
void recv_request(struct bft_replica *r);
void recv_pre_prepare(struct bft_replica *r);
void recv_prepare(struct bft_replica *r);
void recv_commit(struct bft_replica *r);
void recv_checkpoint(struct bft_replica *r);
void recv_status(struct bft_replica *r);
void pp_ready(struct bft_replica *r, struct log_entry *e);
bool log_accept_pp(struct bft_replica *r, struct log_entry *e, const struct bft_msg *m);
void send_prepare_to(struct bft_replica *r, uint32_t to, uint8_t type, struct log_entry *e);
void send_status(struct bft_replica *r);
void body_arrived(struct bft_replica *r, uint32_t client, const uint8_t *raw,
		  uint32_t len, uint64_t ts, const uint8_t digest[BFT_DIGEST_LEN],
		  bool vouched_only);
/* The batch of e is vouched for: take its inline requests as they are. */
void vouch(struct bft_replica *r, struct log_entry *e);

#endif
