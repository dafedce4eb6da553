/*
 * mock_io.h — test doubles for the unit tests of the pure PBFT cores.
 *
 *   struct mock_io       a struct bft_io that records every datagram sent
 *                        (destination + copy of the bytes), every set_timer
 *                        call, every log line and trace event, with a clock
 *                        the test sets (now_us).
 *   struct mock_service  a struct bft_service: a counter that every
 *                        read-write request increments, recording each call
 *                        (batch_begin / execute / batch_end / batch_abort /
 *                        execute_ro / checkpoint) with its seq, time and op;
 *                        batch_abort restores the counter of batch_begin.
 *                        mock_tree.h wraps it into a variant with state
 *                        transfer (the partition tree, snapshots).
 *   struct mock_keys     keyrings of the fixed test cluster: n = 4 replicas
 *                        (f = 1, nodes 0..3) and 2 clients (nodes 4, 5),
 *                        derived from fixed seeds.
 *   mock_forge_*         correctly authenticated messages as any node.
 *   struct mock_node     one replica wired to a mock_io and a mock_service.
 *   struct mock_fixture  the shared fixture of the handler tests (fx): the
 *                        keys, the replica under test and scratch buffers,
 *                        with fixture_* helpers and fixture_run (main()).
 *
 * The digests the tests expect are computed here independently of the
 * codec (mock_req_digest, mock_pp_digest: plain SHA-256 over the documented
 * layouts), so a test comparing them with what the core sends can fail.
 *
 * Helpers assert with Check (ck_assert*) on internal failures.
 */
#ifndef MOCK_IO_H
#define MOCK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "bft/client_core.h"
#include "bft/crypto.h"
#include "bft/error.h"
#include "bft/io.h"
#include "bft/messages.h"
#include "bft/replica.h"

/* ---- the fixed test cluster ---- */
#define MOCK_F 1u
#define MOCK_N 4u
#define MOCK_N_CLIENTS 2u
#define MOCK_N_NODES (MOCK_N + MOCK_N_CLIENTS)
#define MOCK_C0 4u /* first client */
#define MOCK_C1 5u /* second client */
#define MOCK_EPOCH_US 1700000000000000ull /* a plausible "now" */

/* ---- recording io ---- */

struct mock_sent {
	uint32_t to;
	uint8_t *buf;
	size_t len;
};

struct mock_timer_call {
	enum bft_timer which;
	uint64_t ms;
};

struct mock_trace {
	enum bft_trace_kind kind;
	uint32_t node;
	uint64_t view, seq;
	bool has_digest;
	uint8_t digest[BFT_DIGEST_LEN];
	bool tentative;
};

struct mock_io {
	struct bft_io io; /* hand &io to the core */
	uint64_t now_us;
	struct mock_sent *sent;
	size_t n_sent, cap_sent;
	struct mock_timer_call *timers;
	size_t n_timers, cap_timers;
	char **logs;
	size_t n_logs, cap_logs;
	struct mock_trace *traces;
	size_t n_traces, cap_traces;
	bool echo_logs; /* print log lines to stderr (debugging) */
};

void mock_io_init(struct mock_io *m, uint64_t now_us);
/* Forget everything recorded so far (keeps now_us). */
void mock_io_clear(struct mock_io *m);
void mock_io_free(struct mock_io *m);

/* Decode sent datagram i for the n = 4 cluster (asserts it decodes). */
void mock_sent_decode(const struct mock_io *m, size_t i, struct bft_msg *out);
/* Number of sent datagrams of `type` (0: any) to `to` (MOCK_ANY: any). */
#define MOCK_ANY 0xffffffffu
size_t mock_count(const struct mock_io *m, uint8_t type, uint32_t to);
/* Index of the nth (0-based) sent datagram of `type` to `to`, or -1. */
long mock_find(const struct mock_io *m, uint8_t type, uint32_t to, size_t nth);
/* Bitmap of destinations of sent datagrams of `type`. */
uint64_t mock_dest_mask(const struct mock_io *m, uint8_t type);
/* Number of trace events of `kind` (with seq == `seq`, or any seq if
 * seq == UINT64_MAX). */
size_t mock_trace_count(const struct mock_io *m, enum bft_trace_kind kind, uint64_t seq);
bool mock_log_contains(const struct mock_io *m, const char *needle);
/* Last set_timer call for `which`; false if none. */
bool mock_last_timer(const struct mock_io *m, enum bft_timer which, uint64_t *ms);

/* ---- counter service ---- */

enum mock_call_kind {
	MOCK_BEGIN = 1,
	MOCK_EXEC = 2,
	MOCK_END = 3,
	MOCK_EXEC_RO = 4,
	MOCK_CKPT = 5,
	MOCK_ABORT = 6,
	MOCK_LEAF_PUT = 7,  /* state transfer, mock_tree.h only */
	MOCK_XFER_END = 8,  /* state transfer, mock_tree.h only */
};

#define MOCK_OP_KEEP 256u

struct mock_call {
	enum mock_call_kind kind;
	uint64_t seq;     /* BEGIN, END, ABORT, CKPT; EXEC: the open batch */
	uint64_t time_us; /* BEGIN */
	uint32_t client;  /* EXEC, EXEC_RO */
	uint64_t timestamp;
	bool read_only;
	uint32_t op_len;
	uint8_t op[MOCK_OP_KEEP]; /* first MOCK_OP_KEEP bytes */
	uint64_t counter; /* counter after the call */
	size_t sent_before; /* datagrams the linked mock_io had sent by then */
	/* CKPT, XFER_END: the digest returned; LEAF_PUT: the digest of the
	 * bytes put (valid_leaf: they were a valid leaf) */
	uint8_t digest[BFT_DIGEST_LEN];
	uint64_t leaf;      /* LEAF_PUT: index */
	uint32_t leaf_len;  /* LEAF_PUT: bytes */
	bool valid_leaf;
};

struct mock_service {
	struct bft_service svc; /* hand &svc to the core */
	uint64_t counter;       /* read-write requests executed */
	uint64_t cur_seq;
	uint64_t begin_counter; /* counter when the open batch began */
	bool in_batch;
	bool misuse;            /* a call out of order (execute outside a batch...) */
	struct mock_call *calls;
	size_t n_calls, cap_calls;
	enum mock_call_kind fail_on; /* 0: never fail; else that call returns -1 */
	const struct mock_io *io; /* optional: orders calls against sends */
};

void mock_service_init(struct mock_service *s);
void mock_service_free(struct mock_service *s);
size_t mock_calls_of(const struct mock_service *s, enum mock_call_kind kind);
/* Append a call of `kind` to s's list (for service variants that wrap this
 * one, mock_tree.h); returns it zeroed but for kind and sent_before. */
struct mock_call *mock_record(struct mock_service *s, enum mock_call_kind kind);

/* The counter service's result for a request: u64le(counter after it) || op. */
uint32_t mock_result(uint64_t counter, const void *op, uint32_t op_len, uint8_t *out);
/* Its state digest: SHA-256("mock-state" || u64le(counter)). */
void mock_state_digest(uint64_t counter, uint8_t out[BFT_DIGEST_LEN]);

/* ---- keys ---- */

struct mock_keys {
	struct bft_keypair kp[MOCK_N_NODES];
	struct bft_pubkey pub[MOCK_N_NODES];
	struct bft_keyring *kr[MOCK_N_NODES];
};

void mock_keys_init(struct mock_keys *k);
void mock_keys_free(struct mock_keys *k);

/* ---- independent digests (plain SHA-256 over the documented layouts) ---- */

void mock_req_digest(uint32_t client, uint64_t ts, uint16_t flags, const void *op,
		     uint32_t op_len, uint8_t out[BFT_DIGEST_LEN]);
/* Batch digest from the entries' digests (set by mock_pp_add_*). */
void mock_pp_digest(const struct bft_pre_prepare *pp, uint8_t out[BFT_DIGEST_LEN]);
/* Batch digest of a decoded PRE-PREPARE, recomputing every INLINE entry's
 * request digest with mock_req_digest (DIGEST entries: as carried). */
void mock_pp_digest_of_msg(const struct bft_msg *m, uint8_t out[BFT_DIGEST_LEN]);

/* ---- forging authenticated messages ---- */

/* REQUEST from `client`, authenticated with the client's keyring. */
size_t mock_forge_request(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t client,
			  uint64_t ts, uint32_t replier, uint16_t flags, const void *op,
			  uint32_t op_len);

/* Build a pre-prepare body; entries added in order. The raw request of an
 * INLINE entry must stay valid until the pre-prepare is encoded. */
void mock_pp_init(struct bft_pre_prepare *pp, uint64_t view, uint64_t seq, uint64_t nondet);
void mock_pp_add_inline(struct bft_pre_prepare *pp, const uint8_t *req, size_t len);
void mock_pp_add_digest(struct bft_pre_prepare *pp, uint32_t client, uint64_t ts,
			uint16_t flags, const void *op, uint32_t op_len);
/* PRE-PREPARE authenticated by `sender` (normally the primary of pp->view). */
size_t mock_forge_pre_prepare(struct mock_keys *k, uint8_t *buf, size_t cap,
			      uint32_t sender, const struct bft_pre_prepare *pp);
/* PREPARE or COMMIT (type) from replica `from`. */
size_t mock_forge_vote(struct mock_keys *k, uint8_t *buf, size_t cap, uint8_t type,
		       uint32_t from, uint64_t view, uint64_t seq,
		       const uint8_t digest[BFT_DIGEST_LEN]);
/* CHECKPOINT signed by `from`. */
size_t mock_forge_checkpoint(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			     uint64_t seq, const uint8_t digest[BFT_DIGEST_LEN]);
/* FETCH from replica `from` (authenticator). */
size_t mock_forge_fetch(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			uint32_t level, uint64_t index, uint64_t offset, uint64_t want_seq,
			uint32_t replier);
/* META-DATA from replica `from` MACed for `to`: count children with
 * indices idx and digests (last-modified seqs 0). */
size_t mock_forge_meta_data(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			    uint32_t to, uint64_t seq, uint32_t level, uint64_t index,
			    uint16_t count, const uint64_t *idx,
			    const uint8_t (*digests)[BFT_DIGEST_LEN]);
/* DATA from replica `from` MACed for `to`. */
size_t mock_forge_data(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
		       uint32_t to, uint64_t seq, uint64_t index, uint32_t offset,
		       uint32_t total, const uint8_t *data, uint32_t len);
/* STATUS from replica `from`. */
size_t mock_forge_status(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			 uint64_t view, uint64_t stable, uint64_t last_exec,
			 uint64_t last_prepared, uint32_t flags);
/* REPLY from replica `from` MACed for `to`, carrying client field `client`.
 * With BFT_REP_DIGEST in flags pass the 32-byte digest as the result. */
size_t mock_forge_reply(struct mock_keys *k, uint8_t *buf, size_t cap, uint32_t from,
			uint32_t to, uint32_t client, uint16_t flags, uint64_t view,
			uint64_t ts, const void *result, uint32_t len);

/* Whether an authenticated message in buf verifies at node `at` as sent by
 * `from` (authenticator, MAC or signature according to its type). */
bool mock_verify(struct mock_keys *k, uint32_t at, const uint8_t *buf, size_t len);

/* The nth (0-based) PRE-PREPARE sent (counting only those to `to`):
 * returns its seq and fills its batch digest (mock_pp_digest_of_msg);
 * asserts it exists. */
uint64_t mock_sent_pp(const struct mock_io *m, uint32_t to, size_t nth,
		      uint8_t digest[BFT_DIGEST_LEN]);

/* ---- one replica under test ---- */

struct mock_node {
	struct mock_io io;
	struct mock_service svc;
	struct bft_replica *r;
	struct bft_replica_config cfg;
	struct mock_keys *keys;
};

/* Defaults for the unit tests: f = 1, 2 clients, K = 4, L = 8, big requests
 * above 64 bytes, tentative execution and digest replies on. */
void mock_replica_config(struct bft_replica_config *cfg, uint32_t id);
void mock_node_open(struct mock_node *nd, struct mock_keys *k,
		    const struct bft_replica_config *cfg);
/* As mock_node_open, calling attach(&nd->svc, arg) before the replica is
 * created (e.g. mock_tree_attach: the transfer-capable service). */
void mock_node_open_ext(struct mock_node *nd, struct mock_keys *k,
			const struct bft_replica_config *cfg,
			void (*attach)(struct mock_service *s, void *arg), void *arg);
void mock_node_close(struct mock_node *nd);
void mock_deliver(struct mock_node *nd, const uint8_t *buf, size_t len);

/* Feed votes of `type` for (view, seq, digest) from every replica in
 * from_mask (bit j = replica j) to nd. */
void mock_feed_votes(struct mock_node *nd, uint8_t type, uint64_t view, uint64_t seq,
		     const uint8_t digest[BFT_DIGEST_LEN], uint64_t from_mask);

/* ---- the shared fixture of the handler tests ----
 *
 * One global fixture, fx, holds what every handler test file used to keep
 * in file-scope statics: the cluster's keys, the replica under test, a
 * decoded-message scratch, the pre-prepare being built and scratch
 * buffers. Register fixture_setup / fixture_teardown as a Check checked
 * fixture (struct fixture_tcase does so); with CK_FORK each test starts
 * from a fresh fx.
 */

#define FIXTURE_SLOTS 16u     /* fx.rq and fx.pp_raw slots (by seq % 16) */
#define FIXTURE_RQ_CAP 1024u  /* bytes per fx.rq slot */
#define FIXTURE_PP_CAP 4096u  /* bytes per fx.pp_raw slot */
#define FIXTURE_REQ_CAP 512u  /* fixture_request forges at most this much */

struct mock_fixture {
	struct mock_keys keys;
	struct mock_node nd;        /* the replica under test; nd.r NULL: none */
	struct bft_msg msg;         /* decoded-message scratch */
	struct bft_pre_prepare pp;  /* the pre-prepare being built */
	uint8_t buf[BFT_MAX_MSG];   /* scratch for forged datagrams */
	/* request scratch; fixture_pp_one uses slot seq % FIXTURE_SLOTS */
	uint8_t rq[FIXTURE_SLOTS][FIXTURE_RQ_CAP];
	/* the last pre-prepare fixture_deliver_pp delivered for each
	 * seq % FIXTURE_SLOTS, as sent */
	uint8_t pp_raw[FIXTURE_SLOTS][FIXTURE_PP_CAP];
	size_t pp_len[FIXTURE_SLOTS];
};

extern struct mock_fixture fx;

/* The checked fixture: fixture_setup clears fx and derives the keys;
 * fixture_teardown closes the replica under test, if open, and frees them. */
void fixture_setup(void);
void fixture_teardown(void);

/* Open fx.nd with fx.keys and cfg (closing a replica still open first). */
void fixture_open(const struct bft_replica_config *cfg);
/* fixture_open with mock_node_open_ext's attach hook. */
void fixture_open_ext(const struct bft_replica_config *cfg,
		      void (*attach)(struct mock_service *s, void *arg), void *arg);
/* Open replica id with the unit-test configuration (mock_replica_config)
 * and tentative execution on or off. */
void fixture_open_replica(uint32_t id, bool tentative);

/* REQUEST (client, ts, replier, flags, op as a string) forged into b,
 * which must hold FIXTURE_REQ_CAP bytes; returns its length. */
size_t fixture_request(uint8_t *b, uint32_t client, uint64_t ts, uint32_t replier,
		       uint16_t flags, const char *op);

/* fx.pp := (view, seq, nondet) with one inline request (client, ts,
 * replier, no flags, op) forged into fx.rq[seq % FIXTURE_SLOTS]. */
void fixture_pp_one(uint64_t view, uint64_t seq, uint64_t nondet, uint32_t client,
		    uint64_t ts, uint32_t replier, const char *op);
/* Forge fx.pp as `sender` into fx.pp_raw[seq % FIXTURE_SLOTS] (length in
 * fx.pp_len) and deliver it to fx.nd; returns its length. */
size_t fixture_deliver_pp(uint32_t sender);
/* At a backup: fixture_pp_one(0, seq, nondet, ...) delivered from the
 * primary of view 0; d := its batch digest. */
void fixture_backup_pp(uint64_t seq, uint64_t nondet, uint32_t client, uint64_t ts,
		       uint32_t replier, const char *op, uint8_t d[BFT_DIGEST_LEN]);
/* The standard batch for seq: fixture_backup_pp(seq, MOCK_EPOCH_US + seq,
 * client 4, timestamp seq, replier 0, "inc", d). */
void fixture_seq_pp(uint64_t seq, uint8_t d[BFT_DIGEST_LEN]);
/* At backup 1: fixture_seq_pp(seq), a PREPARE from 2, COMMITs from 2 and
 * 3; asserts seq has been executed. */
void fixture_commit_seq(uint64_t seq);

/* Decode into fx.msg the nth (0-based) datagram of `type` the replica
 * under test sent to `to` (MOCK_ANY: any); asserts it exists. */
void fixture_decode_sent(uint8_t type, uint32_t to, size_t nth);

/* Walk the datagrams the replica under test sent, from index *i on,
 * decoding each into fx.msg (asserting it decodes) up to the next one of
 * `type`: leaves its index in *i and returns true; false past the last.
 * for (i = 0; fixture_next_sent(&i, type); i++) visits each in order. */
bool fixture_next_sent(size_t *i, uint8_t type);

/* Exactly one vote of `type` (PREPARE or COMMIT) from the replica under
 * test to each other replica, for (view, seq, d), each authenticated for
 * its destination (decodes into fx.msg). */
void fixture_assert_votes_sent(uint8_t type, uint64_t view, uint64_t seq,
			       const uint8_t d[BFT_DIGEST_LEN]);

/* ---- running a Check suite ---- */

struct fixture_tcase {
	const char *name;
	SFun setup, teardown; /* checked fixture; both NULL: none */
	double timeout;       /* seconds */
	const TTest **tests;  /* in order, NULL-terminated */
};

/* Build suite `name` from n test cases, run it (CK_NORMAL) and return
 * main()'s exit status: EXIT_SUCCESS if no test failed. */
int fixture_run(const char *name, const struct fixture_tcase *tc, size_t n);

#endif
