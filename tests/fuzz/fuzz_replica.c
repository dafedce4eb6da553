/*
 * fuzz_replica.c — libFuzzer target for the PBFT replica core (bft/core).
 *
 * Castro & Liskov, OSDI '99 §4-5: a correct replica must survive whatever
 * its peers and clients send, including messages that authenticate because
 * a Byzantine node holds valid keys. A plain byte fuzzer stops at the MAC
 * check, so this target forges: it holds the keys of every other node of
 * the fixed test cluster (n = 4, f = 1, clients 4 and 5; tests/unit/mock_io.h)
 * and interprets the input as a script of at most MAX_STEPS steps driving ONE
 * replica (its id chosen by the first byte) wired to the recording mock io
 * and the counter service. Each step, chosen by one byte, is one of:
 *   raw bytes; a REQUEST; a PRE-PREPARE; PREPARE/COMMIT votes; CHECKPOINTs;
 *   a STATUS; VIEW-CHANGEs (signed, with checkpoint proofs and P/Q sets,
 *   sometimes valid, sometimes not); a NEW-VIEW (signed by the right or a
 *   wrong primary, naming VIEW-CHANGEs sent earlier, its choices computed
 *   by an independent implementation of TOCS '02 §4.5.3 and sometimes
 *   corrupted); firing an armed timer; moving the clocks; replaying (and
 *   mutating) an earlier datagram; a normal-case macro (requests,
 *   pre-prepare, prepares, commits); votes for every batch of the view (what
 *   a NEW-VIEW re-proposed); message types the replica ignores; and state
 *   transfer (TOCS '02 §5.3.2): made-up states certified by 2f+1 (or fewer,
 *   or badly) signed CHECKPOINTs far beyond, inside or at the replica's
 *   window, answers to the replica's FETCHes (right, or with a flipped
 *   digest or byte, a wrong count, numbering, offset or total, another
 *   state's, another checkpoint's, from a replica not asked), serving every
 *   FETCH right, and FETCHes to the replica.
 * The service is the counter service with the partition tree of
 * tests/unit/mock_tree.h (fanout 4, depth 2, snapshots), or without state
 * transfer when the extension byte's fail kind is 7.
 * Fields come from small sets around the replica's state (view, watermarks,
 * last executed) and digests from a pool holding the batches built so far
 * and those the replica proposed, so inputs collide with real state.
 *
 * After every call into the replica the target checks, and abort()s on a
 * violation:
 *   - last_executed never decreases except by rolling back the one open
 *     tentative batch (batch_abort of exactly that seq), and equals the
 *     service's view of it (the open batch, else the last ended one);
 *   - the service sees batch_begin / execute / batch_end / batch_abort
 *     properly nested, batches strictly sequential in seq, agreed times
 *     strictly increasing, each client's timestamps strictly increasing,
 *     read-only and checkpoint calls only with no batch open, checkpoints
 *     only at K-multiples right after that batch ended;
 *   - the view and the stable checkpoint never decrease, the stable
 *     checkpoint is a K-multiple the replica has executed and committed;
 *   - every datagram sent decodes (bft_msg_decode, n = 4), goes to a node
 *     id < n + clients other than the replica itself, replies go only to
 *     their client and everything else only to replicas; messages the
 *     replica originates (REPLY, PREPARE, COMMIT, STATUS, its CHECKPOINT,
 *     VIEW-CHANGE, NEW-VIEW) authenticate at the destination; a PREPARE is
 *     never sent by the primary of its view, a PRE-PREPARE of its own only
 *     for a view it leads; a PREPARE or COMMIT it had not sent before is
 *     for a view no older than the one it was in when the event began; a
 *     reply not marked tentative is for a request whose batch ended, and
 *     carries the counter service's result; its
 *     VIEW-CHANGE passes the checks correct peers apply (checkpoint proof,
 *     P/Q ranges); its NEW-VIEW follows from the VIEW-CHANGEs it names by
 *     the independent implementation of TOCS '02 §4.5.3 below;
 *   - state transfer: every CHECKPOINT signature delivered to the replica
 *     (alone or in a VIEW-CHANGE's proof) or sent by it is recorded; it
 *     sends FETCH only for a checkpoint 2f+1 replicas signed, to the
 *     replier it names; it puts only valid leaves whose digest is the leaf's
 *     in a state whose root 2f+1 replicas signed, with no batch open;
 *     transfer_end yields a certified digest and the checkpoint it installs
 *     (trace TRANSFERRED) is certified; META-DATA and DATA it sends equal
 *     its service's snapshot of that checkpoint, and a root it serves hashes
 *     to the digest it signed; after a transfer the model of the service
 *     (last batch, time, client timestamps, cached replies) is the state's;
 *   - only timers STATUS, VIEW_CHANGE and (with COMMITs held back, replicas
 *     1 and 3) COMMIT are armed, and the replica never
 *     halts while the service works; when the script makes one kind of
 *     service call fail, the replica makes no service call after the
 *     failing one and sends nothing in any later event (it acts crashed).
 * Timers fire only when armed (one-shot), as a real io would fire them.
 *
 * Never: forge a message as the replica under test (it would be a forgery
 * no Byzantine peer can make); keep state between inputs other than the
 * key material and caches of deterministic Ed25519 signatures and
 * verifications (built lazily, never observable); leak anything
 * (everything is freed per input); run more than MAX_STEPS steps or fire a
 * timer more than once per step.
 *
 * Run (clang): fuzz_replica -max_total_time=600 tests/fuzz/corpus/replica
 * Verbose trace of one input: FUZZ_REPLICA_VERBOSE=1 MOCK_ECHO_LOGS=1 ...
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "bft/messages.h"
#include "bft/replica.h"
#include "fuzz.h"
#include "mock_io.h"
#include "mock_tree.h"

#define N MOCK_N
#define F MOCK_F
#define NODES MOCK_N_NODES
#define QUORUM (2 * F + 1)
#define K (g.cfg.checkpoint_interval)
#define MAX_STEPS 64
#define MAX_PP_ENTRIES 5
#define NEVER_US (1ull << 45) /* ~1 year: a timer set further never fires */

#define PKT_MAX 4096u   /* replay pool slot */
#define N_REPLAY 16u
#define REQ_MAX 512u
#define N_REQ 8u
#define VC_MAX 4096u
#define N_VC 12u
#define N_DIG 16u
#define N_BATCH 8u
#define N_CKPT 8u
#define N_OWNSIG 4u
#define N_EXREC 4u
#define MAX_PQ 24u
#define MAX_NO 64u
#define N_CLAIM 256u
#define N_KNOWN 24u
#define N_FQ 16u
#define MAX_SERVE 64u

static const uint8_t zero_digest[BFT_DIGEST_LEN];

/* ---- failure reporting ---- */

static unsigned cur_step;
static const char *cur_action = "setup";

static void violated(int line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void violated(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_replica.c:%d: invariant violated at step %u (%s): ", line,
		cur_step, cur_action);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, ...)                                \
	do {                                            \
		if (!(cond))                            \
			violated(__LINE__, __VA_ARGS__);    \
	} while (0)

/* ---- Check outside a test runner ----
 *
 * mock_io.c asserts with Check, whose every passing assertion reports its
 * location to the test runner (and exits when there is none). The fuzz
 * executables are linked with -Wl,--wrap=_mark_point and
 * -Wl,--wrap=_ck_assert_failed (tests/fuzz/meson.build), so in them a
 * passing mock assertion costs nothing and a failing one aborts. */
void __wrap__mark_point(const char *file, int line);
void __wrap__ck_assert_failed(const char *file, int line, const char *expr,
			      const char *msg, ...) __attribute__((noreturn));

void __wrap__mark_point(const char *file, int line)
{
	(void)file;
	(void)line;
}

void __wrap__ck_assert_failed(const char *file, int line, const char *expr,
			      const char *msg, ...)
{
	(void)msg;
	fprintf(stderr, "%s:%d: mock assertion failed at step %u (%s): %s\n", file, line,
		cur_step, cur_action, expr ? expr : "?");
	abort();
}

/* ---- static key material and Ed25519 caches (built once) ---- */

static struct mock_keys keys;
static bool keys_ready;

struct sig_cache_ent {
	bool valid;
	uint8_t key[BFT_DIGEST_LEN];
	uint8_t sig[BFT_SIG_LEN];
};
static struct sig_cache_ent sig_cache[1024];

/* Ed25519 is deterministic: a cached signature is the signature. */
static void sign_as(uint32_t who, const uint8_t *msg, size_t len, uint8_t sig[BFT_SIG_LEN])
{
	struct bft_sha256_ctx c;
	uint8_t key[BFT_DIGEST_LEN], w[4] = { (uint8_t)who, 0, 0, 0 };
	struct sig_cache_ent *e;

	bft_sha256_init(&c);
	bft_sha256_update(&c, w, sizeof(w));
	bft_sha256_update(&c, msg, len);
	bft_sha256_final(&c, key);
	e = &sig_cache[(key[0] | key[1] << 8) % (sizeof(sig_cache) / sizeof(sig_cache[0]))];
	if (e->valid && memcmp(e->key, key, sizeof(key)) == 0) {
		memcpy(sig, e->sig, BFT_SIG_LEN);
		return;
	}
	if (bft_keyring_sign(keys.kr[who], msg, len, sig) != BFT_OK)
		abort();
	e->valid = true;
	memcpy(e->key, key, sizeof(key));
	memcpy(e->sig, sig, BFT_SIG_LEN);
}

struct verify_cache_ent {
	bool valid, ok;
	uint8_t key[BFT_DIGEST_LEN];
};
static struct verify_cache_ent verify_cache[1024];

/* Whether sig is who's signature on msg; Ed25519 verification is a pure
 * function of (key, msg, sig), so its result is cached like signatures. */
static bool sig_ok(uint32_t who, const uint8_t *msg, size_t len, const uint8_t *sig)
{
	struct bft_sha256_ctx c;
	uint8_t key[BFT_DIGEST_LEN], w[4] = { (uint8_t)who, 0, 0, 0 };
	struct verify_cache_ent *e;

	if (who >= NODES)
		return false;
	bft_sha256_init(&c);
	bft_sha256_update(&c, w, sizeof(w));
	bft_sha256_update(&c, msg, len);
	bft_sha256_update(&c, sig, BFT_SIG_LEN);
	bft_sha256_final(&c, key);
	e = &verify_cache[(key[0] | key[1] << 8) % (sizeof(verify_cache) / sizeof(verify_cache[0]))];
	if (e->valid && memcmp(e->key, key, sizeof(key)) == 0)
		return e->ok;
	e->valid = true;
	memcpy(e->key, key, sizeof(key));
	e->ok = bft_keyring_verify(keys.kr[(who + 1) % NODES], who, msg, len, sig) == BFT_OK;
	return e->ok;
}

/* Whether a datagram the replica sent authenticates at `to`. */
static bool authentic_at(uint32_t to, const uint8_t *buf, size_t len)
{
	struct bft_msg m;

	if (bft_msg_decode(buf, len, N, &m) != BFT_OK)
		return false;
	if (bft_msg_trailer(m.hdr.type) == BFT_TRAILER_SIG)
		return sig_ok(m.hdr.sender, m.raw, m.signed_len, m.trailer);
	return mock_verify(&keys, to, buf, len);
}

/* ---- per-input state ---- */

struct pkt {
	uint32_t len;
	uint8_t buf[PKT_MAX];
};

struct reqrec {
	uint32_t len;
	uint8_t raw[REQ_MAX];
};

struct vcrec {
	uint32_t sender, len;
	uint64_t view;
	uint8_t digest[BFT_DIGEST_LEN];
	uint8_t raw[VC_MAX];
};

struct batch {
	uint64_t view, seq;
	uint8_t d[BFT_DIGEST_LEN];
};

struct ckrec {
	uint64_t seq;
	uint8_t d[BFT_DIGEST_LEN];
};

struct ownsig {
	uint64_t seq;
	uint8_t d[BFT_DIGEST_LEN];
	uint8_t sig[BFT_SIG_LEN];
};

/* What the service executed, to check the replies against. */
struct exrec {
	bool valid, ended;
	uint64_t ts, seq, counter;
	uint32_t op_len;
	uint8_t op[MOCK_OP_KEEP];
	bool xfer;          /* the reply a state transfer installed: res */
	uint32_t res_len;
	uint8_t res[8 + MOCK_OP_KEEP];
};

/* Replicas that signed CHECKPOINT (seq, d) in a message delivered to the
 * replica, or the replica itself (state transfer invariants). */
struct claim {
	uint64_t seq;
	uint8_t d[BFT_DIGEST_LEN];
	uint64_t signers;
};

/* A state whose tree the fuzzer knows: it made it up for others to
 * certify, or it is one of the replica's own checkpoints. */
struct known {
	struct mock_state st;
	uint8_t root[BFT_DIGEST_LEN];
	uint8_t leaf[MOCK_TREE_LEAVES][BFT_DIGEST_LEN];
};

/* A FETCH the replica sent and the fuzzer has not answered. */
struct fq_ent {
	uint32_t to, level;
	uint64_t index, offset, seq;
};

struct run {
	/* the input */
	const uint8_t *p;
	size_t n, i;

	uint32_t self;
	struct bft_replica_config cfg;
	struct mock_node nd;

	/* clocks: timers run on mono, the replica reads wall = mono + offset */
	uint64_t mono_us;
	int64_t wall_off;
	bool armed[BFT_TIMER_COUNT];
	uint64_t deadline[BFT_TIMER_COUNT];

	/* the service model */
	bool open;
	uint64_t open_seq, open_time, ended, ended_time;
	uint64_t cl_committed_ts[MOCK_N_CLIENTS], cl_open_ts[MOCK_N_CLIENTS];
	struct exrec ex[MOCK_N_CLIENTS][N_EXREC];
	unsigned ex_next[MOCK_N_CLIENTS];
	bool aborted_now;

	/* service failure injection (config bit 7) */
	enum mock_call_kind fail_kind;
	unsigned fail_step;
	bool halted;      /* a service call failed: the replica must be dead */
	bool halted_before; /* ... already before the current call */

	/* observers before the call */
	uint64_t last_exec, view, stable;

	/* votes the replica sent (hashes of type, view, seq, digest) */
	uint64_t votes[1024];
	uint32_t n_votes;

	/* pools */
	uint32_t n_replay, replay_next;
	uint32_t n_req, req_next;
	uint32_t n_vc, vc_next;
	uint8_t dig[N_DIG][BFT_DIGEST_LEN];
	uint32_t n_dig, dig_next;
	struct batch batches[N_BATCH];
	uint32_t n_batch, batch_next;
	struct batch last_batch;
	bool have_last_batch;
	uint32_t n_batches_made;
	struct ckrec ckpts[N_CKPT];
	uint32_t n_ckpt, ckpt_next;
	struct ownsig own_sigs[N_OWNSIG];
	uint32_t n_own, own_next;
	int own_vc; /* index in vcs of the replica's latest VIEW-CHANGE, -1 */
	uint64_t ts[MOCK_N_CLIENTS];
	uint64_t max_pp_seq; /* highest seq the fuzzer pre-prepared in the view */
	uint64_t max_pp_view;

	/* state transfer (tree mode: the service is mock_tree.h's) */
	bool tree_mode;
	struct mock_tree tree;
	uint32_t n_claim, claim_next;
	uint32_t n_known, known_next;
	int last_remote; /* index in known of the last made-up state, -1 */
	uint32_t known_remote; /* bitmap of known[] entries that are remote */
	struct fq_ent fq[N_FQ];
	uint32_t fq_head, fq_len;
	bool transferred_now;

	/* statistics for the verbose trace */
	unsigned sent_total;
};

static struct run g;
static struct pkt replay_pool[N_REPLAY];
static struct reqrec req_pool[N_REQ];
static struct vcrec vc_pool[N_VC];
static struct claim claims[N_CLAIM];
static struct known known[N_KNOWN];
static uint8_t leafbuf[MOCK_LEAF_MAX];
static uint8_t out[BFT_MAX_MSG];
static struct bft_msg msg;
static struct bft_pre_prepare pp;
static bool verbose;

/* ---- reading the script ---- */

static bool more(void) { return g.i < g.n; }

static uint8_t u8(void) { return g.i < g.n ? g.p[g.i++] : 0; }

static uint16_t u16(void)
{
	uint16_t v = u8();

	return (uint16_t)(v | (uint16_t)u8() << 8);
}

static uint64_t u64(void)
{
	uint64_t v = 0;

	for (int k = 0; k < 8; k++)
		v |= (uint64_t)u8() << (8 * k);
	return v;
}

/* ---- small helpers ---- */

static uint32_t primary(uint64_t view) { return (uint32_t)(view % N); }

/* The j-th replica other than the one under test (j taken mod n-1). */
static uint32_t other(uint32_t j)
{
	uint32_t r = j % (N - 1);

	return r >= g.self ? r + 1 : r;
}

static void dig_add(const uint8_t d[BFT_DIGEST_LEN])
{
	for (uint32_t k = 0; k < g.n_dig; k++)
		if (memcmp(g.dig[k], d, BFT_DIGEST_LEN) == 0)
			return;
	memcpy(g.dig[g.dig_next], d, BFT_DIGEST_LEN);
	g.dig_next = (g.dig_next + 1) % N_DIG;
	if (g.n_dig < N_DIG)
		g.n_dig++;
}

static void batch_add(uint64_t view, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	struct batch *b = &g.batches[g.batch_next];

	for (uint32_t k = 0; k < g.n_batch; k++)
		if (g.batches[k].view == view && g.batches[k].seq == seq &&
		    !memcmp(g.batches[k].d, d, BFT_DIGEST_LEN))
			return;

	b->view = view;
	b->seq = seq;
	memcpy(b->d, d, BFT_DIGEST_LEN);
	g.batch_next = (g.batch_next + 1) % N_BATCH;
	if (g.n_batch < N_BATCH)
		g.n_batch++;
	g.last_batch = *b;
	g.have_last_batch = true;
	g.n_batches_made++;
	dig_add(d);
}

static void replay_add(const uint8_t *buf, size_t len)
{
	struct pkt *s;

	if (len == 0 || len > PKT_MAX)
		return;
	s = &replay_pool[g.replay_next];
	memcpy(s->buf, buf, len);
	s->len = (uint32_t)len;
	g.replay_next = (g.replay_next + 1) % N_REPLAY;
	if (g.n_replay < N_REPLAY)
		g.n_replay++;
}

static void vc_add(uint32_t sender, uint64_t view, const uint8_t *raw, size_t len)
{
	struct vcrec *v;
	uint8_t d[BFT_DIGEST_LEN];

	if (len > VC_MAX)
		return;
	bft_sha256(raw, len, d);
	for (uint32_t k = 0; k < g.n_vc; k++)
		if (memcmp(vc_pool[k].digest, d, BFT_DIGEST_LEN) == 0)
			return;
	v = &vc_pool[g.vc_next];
	if (g.own_vc == (int)g.vc_next)
		g.own_vc = -1;
	v->sender = sender;
	v->view = view;
	v->len = (uint32_t)len;
	memcpy(v->raw, raw, len);
	memcpy(v->digest, d, BFT_DIGEST_LEN);
	if (sender == g.self)
		g.own_vc = (int)g.vc_next;
	g.vc_next = (g.vc_next + 1) % N_VC;
	if (g.n_vc < N_VC)
		g.n_vc++;
}

/* ---- choosing fields ---- */

static uint64_t cur_view(void) { return bft_replica_view(g.nd.r); }
static uint64_t cur_h(void) { return bft_replica_stable(g.nd.r); }
static uint64_t cur_le(void) { return bft_replica_last_executed(g.nd.r); }

static uint64_t pick_view(uint8_t b)
{
	uint64_t v = cur_view();

	switch (b % 10) {
	case 0: case 1: case 2: case 3: return v;
	case 4: case 5: return v + 1;
	case 6: return v + 2;
	case 7: return v ? v - 1 : 0;
	case 8: return v + 3 + (b >> 4);
	default: return (b & 0x10) ? UINT64_MAX - (b >> 5) : u64();
	}
}

static uint64_t pick_seq(uint8_t b)
{
	uint64_t h = cur_h(), le = cur_le();

	if (b < 200)
		return h + 1 + b % (g.cfg.log_window + 2);
	switch (b % 8) {
	case 0: return 0;
	case 1: return h;
	case 2: return le;
	case 3: return le + 1;
	case 4: return g.have_last_batch ? g.last_batch.seq : le + 1;
	case 5: return g.have_last_batch ? g.last_batch.seq + 1 : le + 2;
	case 6: return UINT64_MAX - (b & 1);
	default: return u64();
	}
}

static void pick_digest(uint8_t b, uint8_t d[BFT_DIGEST_LEN])
{
	uint32_t k = b % (g.n_dig + 3);

	if (k == 0) {
		memset(d, 0, BFT_DIGEST_LEN);
	} else if (k == 1 && g.have_last_batch) {
		memcpy(d, g.last_batch.d, BFT_DIGEST_LEN);
	} else if (k <= 2) {
		uint8_t x = u8();

		bft_sha256(&x, 1, d);
	} else {
		memcpy(d, g.dig[k - 3], BFT_DIGEST_LEN);
	}
}

static uint64_t wall(void) { return (uint64_t)((int64_t)g.mono_us + g.wall_off); }

static uint64_t pick_time(uint8_t b)
{
	switch (b % 8) {
	case 0: case 1: case 2: case 3: return wall() + (b >> 3);
	case 4: return wall() - 1000000ull * (b >> 3);
	case 5: return wall() + g.cfg.max_skew_us + 1 + (b >> 3);
	case 6: return (b & 8) ? 0 : UINT64_MAX;
	default: return u64();
	}
}

static uint64_t pick_ts(uint32_t client, uint8_t b)
{
	uint64_t *t = &g.ts[client - MOCK_C0];

	switch (b % 10) {
	case 7: return *t;
	case 8: return *t ? *t - 1 : 0;
	case 9: return (b & 0x10) ? 0 : (b & 0x20) ? UINT64_MAX : u64();
	default: return ++*t;
	}
}

/* An operation: short, empty, big (> big_request: travels by digest), or
 * bytes of the input. */
static const uint8_t *pick_op(uint8_t b, uint32_t *len)
{
	static uint8_t op[160];

	switch (b % 6) {
	case 0: case 1: case 2:
		memcpy(op, "inc", 3);
		*len = 3;
		break;
	case 3:
		*len = 0;
		break;
	case 4:
		*len = 65 + (b >> 3) % 90;
		memset(op, 'A' + (b >> 3) % 26, *len);
		break;
	default:
		*len = u8() % 100;
		for (uint32_t k = 0; k < *len; k++)
			op[k] = u8();
		break;
	}
	return op;
}

/* Flip one trailer byte: mode 1 breaks what the replica checks, mode 2
 * damages another replica's authenticator entry (still valid here). */
static void corrupt(uint8_t *buf, size_t len, unsigned mode)
{
	struct bft_msg m;
	size_t at;

	if (mode == 0 || bft_msg_decode(buf, len, N, &m) != BFT_OK)
		return;
	if (bft_msg_trailer(m.hdr.type) == BFT_TRAILER_AUTH) {
		uint32_t entry = mode == 1 ? g.self : (g.self + 1) % N;

		at = m.signed_len + (size_t)entry * BFT_MAC_LEN;
	} else {
		at = m.signed_len + (mode == 1 ? 0 : m.trailer_len - 1);
		if (mode != 1)
			return; /* a MAC or signature has no other entry */
	}
	buf[at] ^= 0x5a;
}

/* ---- state transfer: certificates and known trees ----
 *
 * The fuzzer holds every other replica's key, so it can certify any state
 * (more than f faulty); what must hold regardless is local: the replica
 * fetches, installs and puts only what 2f+1 valid signatures it received
 * certify. claims[] records every CHECKPOINT signature delivered to it
 * (alone or as a VIEW-CHANGE's proof) or sent by it; known[] the states
 * whose trees the fuzzer can serve and check leaves against. */

static void claim_add(uint32_t who, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN])
{
	struct claim *c;

	if (who >= N)
		return;
	for (uint32_t k = 0; k < g.n_claim; k++)
		if (claims[k].seq == seq && !memcmp(claims[k].d, d, BFT_DIGEST_LEN)) {
			claims[k].signers |= 1ull << who;
			return;
		}
	if (g.n_claim == N_CLAIM)
		return; /* cannot happen within MAX_STEPS steps */
	c = &claims[g.n_claim++];
	c->seq = seq;
	memcpy(c->d, d, BFT_DIGEST_LEN);
	c->signers = 1ull << who;
}

/* Whether 2f+1 replicas signed (seq, d) (d NULL: some digest). */
static bool certified(uint64_t seq, const uint8_t *d)
{
	for (uint32_t k = 0; k < g.n_claim; k++)
		if (claims[k].seq == seq && (!d || !memcmp(claims[k].d, d, BFT_DIGEST_LEN)) &&
		    (uint32_t)__builtin_popcountll(claims[k].signers) >= QUORUM)
			return true;
	return false;
}

/* The signed CHECKPOINTs inside a datagram about to be delivered. */
static void note_claims(const uint8_t *buf, size_t len)
{
	static struct bft_msg m;
	struct bft_checkpoint c;
	uint8_t cb[256], *trailer;

	if (bft_msg_decode(buf, len, N, &m) != BFT_OK)
		return;
	if (m.hdr.type == BFT_MSG_CHECKPOINT) {
		if (sig_ok(m.hdr.sender, m.raw, m.signed_len, m.trailer))
			claim_add(m.hdr.sender, m.u.checkpoint.seq, m.u.checkpoint.digest);
		return;
	}
	if (m.hdr.type != BFT_MSG_VIEW_CHANGE ||
	    !sig_ok(m.hdr.sender, m.raw, m.signed_len, m.trailer))
		return;
	c.seq = m.u.view_change.stable_seq;
	memcpy(c.digest, m.u.view_change.stable_digest, BFT_DIGEST_LEN);
	for (unsigned k = 0; k < m.u.view_change.n_cp; k++) {
		uint32_t who;
		const uint8_t *sig;
		int l;

		bft_vc_cp(&m.u.view_change, k, &who, &sig);
		if (who >= N)
			continue;
		l = bft_encode_checkpoint(cb, sizeof(cb), who, &c, &trailer);
		if (l > 0 && sig_ok(who, cb, (size_t)(trailer - cb), sig))
			claim_add(who, c.seq, c.digest);
	}
}

/* Remember st (remote: made up for others to certify, never evicted; else
 * one of the replica's own checkpoints, the oldest evicted first). */
static int known_add(const struct mock_state *st, bool remote)
{
	uint8_t root[BFT_DIGEST_LEN];
	uint32_t k, slot;

	mock_tree_root(st, root);
	for (k = 0; k < g.n_known; k++)
		if (!memcmp(known[k].root, root, BFT_DIGEST_LEN))
			return (int)k;
	if (g.n_known < N_KNOWN) {
		slot = g.n_known++;
	} else {
		for (k = 0; k < N_KNOWN && g.known_remote >> g.known_next & 1; k++)
			g.known_next = (g.known_next + 1) % N_KNOWN;
		if (k == N_KNOWN)
			return -1;
		slot = g.known_next;
		g.known_next = (g.known_next + 1) % N_KNOWN;
	}
	known[slot].st = *st;
	memcpy(known[slot].root, root, BFT_DIGEST_LEN);
	for (k = 0; k < MOCK_TREE_LEAVES; k++)
		mock_tree_node(st, MOCK_TREE_DEPTH, k, known[slot].leaf[k]);
	if (remote)
		g.known_remote |= 1u << slot;
	return (int)slot;
}

/* A known state certified as checkpoint seq, or NULL. */
static const struct known *known_at(uint64_t seq)
{
	for (uint32_t k = 0; k < g.n_known; k++)
		if (certified(seq, known[k].root))
			return &known[k];
	return NULL;
}

/* Whether a leaf with digest d at index descends from a certified root. */
static bool leaf_certified(uint64_t index, const uint8_t d[BFT_DIGEST_LEN])
{
	for (uint32_t k = 0; k < g.n_known; k++)
		for (uint32_t c = 0; c < g.n_claim; c++)
			if (!memcmp(claims[c].d, known[k].root, BFT_DIGEST_LEN) &&
			    certified(claims[c].seq, known[k].root) &&
			    !memcmp(known[k].leaf[index], d, BFT_DIGEST_LEN))
				return true;
	return false;
}

/* The tree service's snapshot of seq (it must hold one: the replica
 * serves a checkpoint only from its snapshot). */
static const struct mock_state *own_snapshot(uint64_t seq, const char *what)
{
	const struct mock_state *st = mock_tree_snapshot(&g.tree, seq);

	CHECK(g.tree_mode, "%s sent by a replica whose service has no tree", what);
	CHECK(st, "%s for checkpoint %llu, of which the service has no snapshot", what,
	      (unsigned long long)seq);
	return st;
}

/* A META-DATA the replica sent equals its snapshot's node, and a root it
 * serves hashes to the digest it signed for that checkpoint. */
static void check_own_meta(const struct bft_meta_data *md)
{
	const struct mock_state *st = own_snapshot(md->seq, "META-DATA");
	uint8_t kids[MOCK_TREE_FANOUT][BFT_DIGEST_LEN], d[BFT_DIGEST_LEN];
	uint64_t idx, lm;

	CHECK(md->level < MOCK_TREE_DEPTH && md->count == MOCK_TREE_FANOUT,
	      "META-DATA level %u with %u children", md->level, md->count);
	mock_tree_children(st, md->level, md->index, kids);
	for (unsigned i = 0; i < MOCK_TREE_FANOUT; i++) {
		bft_meta_child(md, i, &idx, &lm, d);
		CHECK(idx == md->index * MOCK_TREE_FANOUT + i &&
		      !memcmp(d, kids[i], BFT_DIGEST_LEN),
		      "META-DATA (%llu, %u, %llu) child %u differs from the snapshot",
		      (unsigned long long)md->seq, md->level, (unsigned long long)md->index, i);
	}
	if (md->level)
		return;
	/* the latest it signed: a repaired replica signed its old digest too */
	mock_tree_root(st, d);
	for (uint32_t k = 1; k <= g.n_own; k++) {
		const struct ownsig *o = &g.own_sigs[(g.own_next + N_OWNSIG - k) % N_OWNSIG];

		if (o->seq != md->seq)
			continue;
		CHECK(!memcmp(o->d, d, BFT_DIGEST_LEN),
		      "serves a root for checkpoint %llu other than the digest it signed",
		      (unsigned long long)md->seq);
		break;
	}
}

static void check_own_data(const struct bft_data *dm)
{
	const struct mock_state *st = own_snapshot(dm->seq, "DATA");
	uint32_t total = mock_leaf_bytes(st, dm->index, leafbuf);

	CHECK(dm->index < MOCK_TREE_LEAVES && dm->total == total && dm->len <= BFT_MAX_DATA &&
	      dm->offset <= total && dm->len <= total - dm->offset &&
	      !memcmp(dm->data, leafbuf + dm->offset, dm->len),
	      "DATA (%llu, leaf %llu, offset %u) differs from the snapshot",
	      (unsigned long long)dm->seq, (unsigned long long)dm->index, dm->offset);
}

/* A FETCH of the replica: only for a certified checkpoint, to the replier
 * it names; queued for act_transfer to answer. */
static void note_own_fetch(uint32_t to, const struct bft_fetch *f)
{
	struct fq_ent *q;

	CHECK(g.tree_mode, "FETCH sent by a replica whose service has no tree");
	CHECK(f->replier == to, "FETCH to %u names replier %u", to, f->replier);
	CHECK(certified(f->want_seq, NULL),
	      "FETCH for checkpoint %llu, which no 2f+1 replicas signed",
	      (unsigned long long)f->want_seq);
	if (g.fq_len == N_FQ) {
		g.fq_head = (g.fq_head + 1) % N_FQ;
		g.fq_len--;
	}
	q = &g.fq[(g.fq_head + g.fq_len++) % N_FQ];
	*q = (struct fq_ent){ .to = to, .level = f->level, .index = f->index,
			      .offset = f->offset, .seq = f->want_seq };
}

/* transfer_end: the service's state is now checkpoint c->seq's. */
static void transfer_ended(const struct mock_call *c)
{
	const struct mock_state *st = mock_tree_snapshot(&g.tree, c->seq);

	CHECK(!g.open, "transfer_end(%llu) while batch %llu is open",
	      (unsigned long long)c->seq, (unsigned long long)g.open_seq);
	CHECK(certified(c->seq, c->digest),
	      "transfer_end(%llu): a state no 2f+1 replicas certified",
	      (unsigned long long)c->seq);
	g.ended = c->seq;
	g.ended_time = c->time_us;
	g.transferred_now = true;
	memset(g.cl_open_ts, 0, sizeof(g.cl_open_ts));
	for (uint32_t ci = 0; ci < MOCK_N_CLIENTS; ci++) {
		for (uint32_t k = 0; k < N_EXREC; k++)
			if (g.ex[ci][k].seq > c->seq)
				g.ex[ci][k].valid = false;
		g.cl_committed_ts[ci] = st ? st->last_ts[ci] : 0;
		if (st && st->last_ts[ci] && st->reply_len[ci] <= sizeof(g.ex[0][0].res)) {
			struct exrec *x = &g.ex[ci][g.ex_next[ci]];

			g.ex_next[ci] = (g.ex_next[ci] + 1) % N_EXREC;
			*x = (struct exrec){ .valid = true, .ended = true, .ts = st->last_ts[ci],
					     .seq = c->seq, .xfer = true,
					     .res_len = st->reply_len[ci] };
			memcpy(x->res, st->reply[ci], st->reply_len[ci]);
		}
	}
	if (st)
		known_add(st, false);
}

/* Every trace event: an installed checkpoint must be certified. */
static void process_traces(void)
{
	const struct mock_io *m = &g.nd.io;

	for (size_t k = 0; k < m->n_traces; k++) {
		const struct mock_trace *t = &m->traces[k];

		if (t->kind != BFT_TRACE_TRANSFERRED)
			continue;
		CHECK(t->has_digest && certified(t->seq, t->digest),
		      "installed checkpoint %llu without 2f+1 signatures on its digest",
		      (unsigned long long)t->seq);
	}
}

/* ---- driving the replica and checking it ---- */

static void process_timers(void)
{
	struct mock_io *m = &g.nd.io;

	for (size_t k = 0; k < m->n_timers; k++) {
		enum bft_timer w = m->timers[k].which;

		CHECK(w == BFT_TIMER_STATUS || w == BFT_TIMER_VIEW_CHANGE ||
		      (w == BFT_TIMER_COMMIT && g.cfg.commit_delay_ms),
		      "replica armed timer %d", (int)w);
		if (verbose)
			fprintf(stderr, "fuzz_replica: set_timer(%d, %llu ms)\n", (int)w,
				(unsigned long long)m->timers[k].ms);
		/* A timer further away than NEVER_US never fires here: the clocks
		 * must not run into uint64 arithmetic limits. */
		g.armed[w] = m->timers[k].ms != 0 && m->timers[k].ms <= NEVER_US / 1000;
		g.deadline[w] = g.mono_us + m->timers[k].ms * 1000;
	}
}

static void ex_mark(uint64_t seq, bool end)
{
	for (uint32_t c = 0; c < MOCK_N_CLIENTS; c++) {
		for (uint32_t k = 0; k < N_EXREC; k++) {
			struct exrec *x = &g.ex[c][k];

			if (!x->valid || x->ended || x->seq != seq)
				continue;
			if (end)
				x->ended = true;
			else
				x->valid = false;
		}
	}
}

/* One service call, in the order the replica made it. */
static void process_call(const struct mock_call *c)
{
	CHECK(!g.halted, "service call %d (seq %llu) after the service failed", (int)c->kind,
	      (unsigned long long)c->seq);
	if (g.fail_kind && g.nd.svc.fail_on == c->kind) {
		g.halted = true; /* this call failed */
		return;
	}
	switch (c->kind) {
	case MOCK_BEGIN:
		CHECK(!g.open, "batch_begin(%llu) while batch %llu is open",
		      (unsigned long long)c->seq, (unsigned long long)g.open_seq);
		CHECK(c->seq == g.ended + 1, "batch_begin(%llu) after batch %llu ended",
		      (unsigned long long)c->seq, (unsigned long long)g.ended);
		CHECK(c->time_us > g.ended_time,
		      "batch %llu time %llu not above previous %llu",
		      (unsigned long long)c->seq, (unsigned long long)c->time_us,
		      (unsigned long long)g.ended_time);
		g.open = true;
		g.open_seq = c->seq;
		g.open_time = c->time_us;
		memset(g.cl_open_ts, 0, sizeof(g.cl_open_ts));
		break;
	case MOCK_EXEC: {
		uint32_t ci = c->client - MOCK_C0;
		struct exrec *x;

		CHECK(g.open, "execute outside a batch");
		CHECK(!c->read_only, "read-only request executed in a batch");
		CHECK(c->client >= MOCK_C0 && c->client < NODES,
		      "executed a request of node %u", c->client);
		CHECK(c->timestamp > g.cl_committed_ts[ci] && c->timestamp > g.cl_open_ts[ci],
		      "client %u timestamp %llu executed after %llu/%llu", c->client,
		      (unsigned long long)c->timestamp,
		      (unsigned long long)g.cl_committed_ts[ci],
		      (unsigned long long)g.cl_open_ts[ci]);
		g.cl_open_ts[ci] = c->timestamp;
		x = &g.ex[ci][g.ex_next[ci]];
		g.ex_next[ci] = (g.ex_next[ci] + 1) % N_EXREC;
		x->valid = true;
		x->ended = false;
		x->ts = c->timestamp;
		x->seq = g.open_seq;
		x->counter = c->counter;
		x->op_len = c->op_len;
		memcpy(x->op, c->op, sizeof(x->op));
		break;
	}
	case MOCK_END:
		CHECK(g.open && c->seq == g.open_seq, "batch_end(%llu) without open batch",
		      (unsigned long long)c->seq);
		g.open = false;
		g.ended = c->seq;
		g.ended_time = g.open_time;
		for (uint32_t ci = 0; ci < MOCK_N_CLIENTS; ci++)
			if (g.cl_open_ts[ci])
				g.cl_committed_ts[ci] = g.cl_open_ts[ci];
		memset(g.cl_open_ts, 0, sizeof(g.cl_open_ts));
		ex_mark(c->seq, true);
		break;
	case MOCK_ABORT:
		CHECK(g.open && c->seq == g.open_seq, "batch_abort(%llu) without open batch",
		      (unsigned long long)c->seq);
		g.open = false;
		memset(g.cl_open_ts, 0, sizeof(g.cl_open_ts));
		ex_mark(c->seq, false);
		g.aborted_now = true;
		break;
	case MOCK_EXEC_RO:
		CHECK(!g.open, "read-only request executed while batch %llu is open",
		      (unsigned long long)g.open_seq);
		CHECK(c->read_only, "execute_ro of a read-write request");
		break;
	case MOCK_CKPT: {
		struct ckrec *r = &g.ckpts[g.ckpt_next];

		CHECK(!g.open && c->seq == g.ended && c->seq % K == 0,
		      "checkpoint(%llu) with open=%d, last ended %llu",
		      (unsigned long long)c->seq, g.open, (unsigned long long)g.ended);
		r->seq = c->seq;
		memcpy(r->d, c->digest, BFT_DIGEST_LEN);
		dig_add(r->d);
		if (g.tree_mode && mock_tree_snapshot(&g.tree, c->seq))
			known_add(mock_tree_snapshot(&g.tree, c->seq), false);
		g.ckpt_next = (g.ckpt_next + 1) % N_CKPT;
		if (g.n_ckpt < N_CKPT)
			g.n_ckpt++;
		break;
	}
	case MOCK_LEAF_PUT:
		CHECK(!g.open, "leaf_put(%llu) while batch %llu is open",
		      (unsigned long long)c->leaf, (unsigned long long)g.open_seq);
		CHECK(c->valid_leaf && c->leaf < MOCK_TREE_LEAVES,
		      "leaf_put(%llu) of %u bytes that are no valid leaf",
		      (unsigned long long)c->leaf, c->leaf_len);
		CHECK(leaf_certified(c->leaf, c->digest),
		      "leaf_put(%llu) of %u bytes whose digest descends from no certified root",
		      (unsigned long long)c->leaf, c->leaf_len);
		break;
	case MOCK_XFER_END:
		transfer_ended(c);
		break;
	}
}

static const struct exrec *ex_find(uint32_t client, uint64_t ts)
{
	const struct exrec *best = NULL;

	for (uint32_t k = 0; k < N_EXREC; k++) {
		const struct exrec *x = &g.ex[client - MOCK_C0][k];

		if (x->valid && x->ts == ts && (!best || x->seq > best->seq))
			best = x;
	}
	return best;
}

static void check_reply(uint32_t to, const struct bft_msg *m)
{
	const struct bft_reply *rep = &m->u.reply;
	const struct exrec *x;
	uint8_t res[8 + MOCK_OP_KEEP], d[BFT_DIGEST_LEN];
	uint32_t len;

	CHECK(rep->client == to, "reply for client %u sent to %u", rep->client, to);
	if (m->hdr.flags & BFT_REP_READ_ONLY)
		return;
	x = ex_find(to, rep->timestamp);
	CHECK(x, "reply to client %u ts %llu that the service never executed", to,
	      (unsigned long long)rep->timestamp);
	CHECK((m->hdr.flags & BFT_REP_TENTATIVE) || x->ended,
	      "final reply to client %u ts %llu before its batch %llu ended", to,
	      (unsigned long long)rep->timestamp, (unsigned long long)x->seq);
	if (x->xfer) {
		len = x->res_len;
		memcpy(res, x->res, len);
	} else if (x->op_len > MOCK_OP_KEEP) {
		return;
	} else {
		len = mock_result(x->counter, x->op, x->op_len, res);
	}
	if (m->hdr.flags & BFT_REP_DIGEST) {
		bft_sha256(res, len, d);
		CHECK(memcmp(d, rep->result, BFT_DIGEST_LEN) == 0,
		      "digest reply to client %u ts %llu has a wrong digest", to,
		      (unsigned long long)rep->timestamp);
	} else {
		CHECK(rep->result_len == len && memcmp(res, rep->result, len) == 0,
		      "reply to client %u ts %llu has a wrong result", to,
		      (unsigned long long)rep->timestamp);
	}
}

/* ---- NEW-VIEW: an independent implementation of TOCS '02 §4.5.3 ---- */

static bool vc_p(const struct bft_view_change *vc, uint64_t seq, struct bft_vc_entry *e)
{
	for (unsigned k = 0; k < vc->n_p; k++) {
		bft_vc_p(vc, k, e);
		if (e->seq == seq)
			return true;
	}
	return false;
}

/* The choice for seq, or false if these VIEW-CHANGEs do not decide it. */
static bool decide(const struct bft_view_change *vcs, uint32_t cnt, uint64_t seq,
		   uint8_t d[BFT_DIGEST_LEN])
{
	struct bft_vc_entry best = { 0 }, c, e;
	bool found = false;
	uint32_t none = 0;

	for (uint32_t k = 0; k < cnt; k++) {
		uint32_t a1 = 0, a2 = 0;

		if (!vc_p(&vcs[k], seq, &c)) {
			none++;
			continue;
		}
		for (uint32_t i = 0; i < cnt; i++) {
			if (!vc_p(&vcs[i], seq, &e) || e.view < c.view ||
			    (e.view == c.view && !memcmp(e.digest, c.digest, BFT_DIGEST_LEN)))
				a1++;
			for (unsigned q = 0; q < vcs[i].n_q; q++) {
				bft_vc_q(&vcs[i], q, &e);
				if (e.seq == seq && e.view >= c.view &&
				    !memcmp(e.digest, c.digest, BFT_DIGEST_LEN)) {
					a2++;
					break;
				}
			}
		}
		if (a1 < QUORUM || a2 < F + 1)
			continue;
		if (!found || c.view > best.view ||
		    (c.view == best.view && memcmp(c.digest, best.digest, BFT_DIGEST_LEN) < 0))
			best = c;
		found = true;
	}
	if (found)
		memcpy(d, best.digest, BFT_DIGEST_LEN);
	else
		memset(d, 0, BFT_DIGEST_LEN);
	return found || none >= QUORUM;
}

/* The replica's own VIEW-CHANGE must be one correct peers accept: stable
 * seq a K-multiple proved by 2f+1 distinct valid CHECKPOINT signatures
 * (unless 0), P and Q entries in (stable, stable + L] for views below the
 * new one, at most one P entry per seq. */
static void check_own_vc(const struct bft_view_change *vc)
{
	struct bft_checkpoint c = { .seq = vc->stable_seq };
	uint8_t buf[256], *trailer;
	struct bft_vc_entry e, x;
	uint64_t seen = 0;
	int len;

	CHECK(vc->stable_seq % K == 0, "own VIEW-CHANGE: stable seq %llu",
	      (unsigned long long)vc->stable_seq);
	for (unsigned i = 0; i < vc->n_p + vc->n_q; i++) {
		bool p = i < vc->n_p;

		(p ? bft_vc_p : bft_vc_q)(vc, p ? i : i - vc->n_p, &e);
		CHECK(e.seq > vc->stable_seq && e.seq - vc->stable_seq <= g.cfg.log_window &&
		      e.view < vc->new_view,
		      "own VIEW-CHANGE %llu: %c entry (seq %llu, view %llu) outside the rules",
		      (unsigned long long)vc->new_view, p ? 'P' : 'Q',
		      (unsigned long long)e.seq, (unsigned long long)e.view);
		for (unsigned k = 0; p && k < i; k++) {
			bft_vc_p(vc, k, &x);
			CHECK(x.seq != e.seq, "own VIEW-CHANGE: two P entries for seq %llu",
			      (unsigned long long)e.seq);
		}
	}
	if (vc->stable_seq == 0)
		return;
	CHECK(vc->n_cp >= QUORUM, "own VIEW-CHANGE proves checkpoint %llu with %u signatures",
	      (unsigned long long)vc->stable_seq, vc->n_cp);
	memcpy(c.digest, vc->stable_digest, BFT_DIGEST_LEN);
	for (unsigned i = 0; i < vc->n_cp; i++) {
		uint32_t who;
		const uint8_t *sig;

		bft_vc_cp(vc, i, &who, &sig);
		CHECK(who < N && !(seen >> who & 1), "own VIEW-CHANGE: proof signer %u", who);
		seen |= 1ull << who;
		len = bft_encode_checkpoint(buf, sizeof(buf), who, &c, &trailer);
		CHECK(len > 0 && sig_ok(who, buf, (size_t)(trailer - buf), sig),
		      "own VIEW-CHANGE: invalid signature of replica %u on checkpoint %llu",
		      who, (unsigned long long)vc->stable_seq);
	}
}

/* The replica's own NEW-VIEW must follow from the VIEW-CHANGEs it names
 * (checked when all of them are in the pool: forged here or its own). */
static void check_own_nv(const struct bft_new_view *nv)
{
	static struct bft_msg dec[N];
	static struct bft_view_change vcs[N];
	uint64_t start = 0, top, seen = 0;
	uint8_t sd[BFT_DIGEST_LEN] = { 0 }, d[BFT_DIGEST_LEN];
	struct bft_vc_entry e;
	uint32_t j;

	CHECK(nv->n_v >= QUORUM && nv->n_v <= N, "own NEW-VIEW names %u VIEW-CHANGEs", nv->n_v);
	for (unsigned k = 0; k < nv->n_v; k++) {
		const struct vcrec *v = NULL;

		bft_nv_v(nv, k, &j, d);
		CHECK(j < N && !(seen >> j & 1), "own NEW-VIEW names replica %u", j);
		seen |= 1ull << j;
		for (uint32_t i = 0; i < g.n_vc; i++)
			if (vc_pool[i].sender == j && !memcmp(vc_pool[i].digest, d, BFT_DIGEST_LEN))
				v = &vc_pool[i];
		if (!v)
			return; /* not (or no longer) in the pool */
		if (bft_msg_decode(v->raw, v->len, N, &dec[k]) != BFT_OK)
			abort();
		vcs[k] = dec[k].u.view_change;
		CHECK(vcs[k].new_view == nv->view, "own NEW-VIEW %llu names a VIEW-CHANGE for %llu",
		      (unsigned long long)nv->view, (unsigned long long)vcs[k].new_view);
	}
	for (unsigned k = 0; k < nv->n_v; k++)
		if (vcs[k].stable_seq > start) {
			start = vcs[k].stable_seq;
			memcpy(sd, vcs[k].stable_digest, BFT_DIGEST_LEN);
		}
	CHECK(nv->start_seq == start && !memcmp(nv->start_digest, sd, BFT_DIGEST_LEN),
	      "own NEW-VIEW %llu starts at %llu, its VIEW-CHANGEs prove %llu",
	      (unsigned long long)nv->view, (unsigned long long)nv->start_seq,
	      (unsigned long long)start);
	top = start;
	for (unsigned k = 0; k < nv->n_v; k++)
		for (unsigned i = 0; i < vcs[k].n_p; i++) {
			bft_vc_p(&vcs[k], i, &e);
			if (e.seq > top)
				top = e.seq;
		}
	CHECK(nv->n_o == top - start, "own NEW-VIEW %llu re-proposes %u batches, not %llu",
	      (unsigned long long)nv->view, nv->n_o, (unsigned long long)(top - start));
	for (unsigned k = 0; k < nv->n_o; k++) {
		bft_nv_o(nv, k, &e);
		CHECK(e.seq == start + 1 + k && decide(vcs, nv->n_v, e.seq, d) &&
		      !memcmp(d, e.digest, BFT_DIGEST_LEN),
		      "own NEW-VIEW %llu: choice for seq %llu does not follow (TOCS'02 4.5.3)",
		      (unsigned long long)nv->view, (unsigned long long)e.seq);
	}
}

/* A PREPARE or COMMIT of the replica is new (not a retransmission) only
 * for the view it is in: it never starts voting in a view it has left. */
static void check_own_vote(uint8_t type, const struct bft_prepare *p)
{
	uint8_t b[1 + 8 + 8 + BFT_DIGEST_LEN], d[BFT_DIGEST_LEN];
	uint64_t key = 0;
	uint32_t k;

	b[0] = type;
	memcpy(b + 1, &p->view, 8);
	memcpy(b + 9, &p->seq, 8);
	memcpy(b + 17, p->digest, BFT_DIGEST_LEN);
	bft_sha256(b, sizeof(b), d);
	memcpy(&key, d, sizeof(key));
	for (k = 0; k < g.n_votes; k++)
		if (g.votes[k] == key)
			return; /* a retransmission */
	if (g.n_votes == sizeof(g.votes) / sizeof(g.votes[0]))
		return; /* cannot tell */
	CHECK(p->view >= g.view, "new %s for view %llu (seq %llu) from a replica in view %llu",
	      bft_msg_type_name(type), (unsigned long long)p->view, (unsigned long long)p->seq,
	      (unsigned long long)g.view);
	g.votes[g.n_votes++] = key;
}

/* The batches a NEW-VIEW re-proposes (null requests too: zero digest). */
static void nv_batches(const struct bft_new_view *nv)
{
	struct bft_vc_entry e;

	for (unsigned k = 0; k < nv->n_o && k < N_BATCH; k++) {
		bft_nv_o(nv, k, &e);
		batch_add(nv->view, e.seq, e.digest);
	}
}

/* Sent datagram k, in the order the replica sent it; prev/prev_len: the
 * previous one (a multicast is remembered once). */
static void check_sent(size_t k, const uint8_t **prev, size_t *prev_len)
{
	const struct mock_sent *s = &g.nd.io.sent[k];
	uint8_t t;
	uint32_t snd;
	int err;

	g.sent_total++;
	CHECK(!g.halted_before, "sent %zu bytes after the service failed", s->len);
	if (verbose)
		fprintf(stderr, "fuzz_replica: sent %zu bytes (type %u) to %u\n", s->len,
			s->len > 1 ? s->buf[1] : 0, s->to);
	CHECK(s->to < NODES, "sent %zu bytes to node %u", s->len, s->to);
	CHECK(s->to != g.self, "sent %zu bytes to itself", s->len);
	err = bft_msg_decode(s->buf, s->len, N, &msg);
	CHECK(err == BFT_OK, "sent an undecodable datagram (%zu bytes, type %u): %s",
	      s->len, s->len > 1 ? s->buf[1] : 0, bft_strerror(err));
	t = msg.hdr.type;
	snd = msg.hdr.sender;
	if (t == BFT_MSG_REPLY) {
		CHECK(s->to >= N, "REPLY sent to replica %u", s->to);
		CHECK(snd == g.self, "relayed a REPLY of node %u", snd);
		check_reply(s->to, &msg);
	} else if (t != BFT_MSG_NEW_KEY) { /* replicas send clients their keys */
		CHECK(s->to < N, "%s sent to client %u", bft_msg_type_name(t), s->to);
	}
	if (t == BFT_MSG_PREPARE || t == BFT_MSG_COMMIT || t == BFT_MSG_STATUS ||
	    t == BFT_MSG_FETCH || t == BFT_MSG_META_DATA || t == BFT_MSG_DATA)
		CHECK(snd == g.self, "relayed a %s of node %u", bft_msg_type_name(t), snd);
	if (snd == g.self &&
	    (t == BFT_MSG_REPLY || t == BFT_MSG_PREPARE || t == BFT_MSG_COMMIT ||
	     t == BFT_MSG_STATUS || t == BFT_MSG_CHECKPOINT ||
	     t == BFT_MSG_VIEW_CHANGE || t == BFT_MSG_NEW_VIEW || t == BFT_MSG_FETCH ||
	     t == BFT_MSG_META_DATA || t == BFT_MSG_DATA))
		CHECK(authentic_at(s->to, s->buf, s->len),
		      "own %s does not authenticate at node %u", bft_msg_type_name(t),
		      s->to);
	if ((t == BFT_MSG_PREPARE || t == BFT_MSG_COMMIT) && snd == g.self)
		check_own_vote(t, &msg.u.prepare);
	if (t == BFT_MSG_FETCH)
		note_own_fetch(s->to, &msg.u.fetch);
	else if (t == BFT_MSG_META_DATA)
		check_own_meta(&msg.u.meta_data);
	else if (t == BFT_MSG_DATA)
		check_own_data(&msg.u.data);
	if (t == BFT_MSG_CHECKPOINT && snd == g.self)
		claim_add(g.self, msg.u.checkpoint.seq, msg.u.checkpoint.digest);
	if (t == BFT_MSG_PREPARE)
		CHECK(primary(msg.u.prepare.view) != g.self,
		      "PREPARE sent by the primary of view %llu",
		      (unsigned long long)msg.u.prepare.view);
	if (t == BFT_MSG_PRE_PREPARE && snd == g.self)
		CHECK(primary(msg.u.pre_prepare.view) == g.self,
		      "own PRE-PREPARE for view %llu it does not lead",
		      (unsigned long long)msg.u.pre_prepare.view);

	/* Remember it (once per multicast) for replays and votes. */
	if (*prev && *prev_len == s->len && memcmp(*prev, s->buf, s->len) == 0)
		return;
	*prev = s->buf;
	*prev_len = s->len;
	replay_add(s->buf, s->len);
	if (t == BFT_MSG_PRE_PREPARE) {
		uint8_t d[BFT_DIGEST_LEN];

		bft_batch_digest(&msg.u.pre_prepare, d);
		batch_add(msg.u.pre_prepare.view, msg.u.pre_prepare.seq, d);
	} else if ((t == BFT_MSG_PREPARE || t == BFT_MSG_COMMIT) && snd == g.self) {
		batch_add(msg.u.prepare.view, msg.u.prepare.seq, msg.u.prepare.digest);
	} else if (t == BFT_MSG_CHECKPOINT && snd == g.self) {
		struct ownsig *o = &g.own_sigs[g.own_next];

		o->seq = msg.u.checkpoint.seq;
		memcpy(o->d, msg.u.checkpoint.digest, BFT_DIGEST_LEN);
		memcpy(o->sig, msg.trailer, BFT_SIG_LEN);
		g.own_next = (g.own_next + 1) % N_OWNSIG;
		if (g.n_own < N_OWNSIG)
			g.n_own++;
	} else if (t == BFT_MSG_VIEW_CHANGE) {
		if (snd == g.self)
			check_own_vc(&msg.u.view_change);
		vc_add(snd, msg.u.view_change.new_view, s->buf, s->len);
	} else if (t == BFT_MSG_NEW_VIEW) {
		if (snd == g.self)
			check_own_nv(&msg.u.new_view);
		nv_batches(&msg.u.new_view);
	}
}

/* The service calls and the datagrams of one call into the replica,
 * interleaved as they happened (mock_call.sent_before). */
static void process_effects(void)
{
	struct mock_service *svc = &g.nd.svc;
	struct mock_io *m = &g.nd.io;
	const uint8_t *prev = NULL;
	size_t prev_len = 0, si = 0;

	CHECK(!svc->misuse, "mock service reports out-of-order calls");
	for (size_t k = 0; k < svc->n_calls; k++) {
		while (si < svc->calls[k].sent_before && si < m->n_sent)
			check_sent(si++, &prev, &prev_len);
		process_call(&svc->calls[k]);
	}
	while (si < m->n_sent)
		check_sent(si++, &prev, &prev_len);
	svc->n_calls = 0;
	mock_io_clear(m);
}

static void process_logs(void)
{
	struct mock_io *m = &g.nd.io;

	for (size_t k = 0; k < m->n_logs && !g.fail_kind; k++)
		CHECK(!strstr(m->logs[k], "replica halts"), "replica halted: %s", m->logs[k]);
}

static void after_call(void)
{
	uint64_t le, v, h, model_le;

	process_timers();
	process_logs();
	process_traces();
	process_effects();

	le = cur_le();
	v = cur_view();
	h = cur_h();
	model_le = g.open ? g.open_seq : g.ended;
	CHECK(le >= g.last_exec || (g.aborted_now && g.last_exec - le == 1) ||
	      (g.transferred_now && le == model_le),
	      "last_executed went from %llu to %llu", (unsigned long long)g.last_exec,
	      (unsigned long long)le);
	CHECK(le == model_le || g.halted,
	      "last_executed %llu but the service executed up to %llu",
	      (unsigned long long)le, (unsigned long long)model_le);
	CHECK(v >= g.view, "view went from %llu to %llu", (unsigned long long)g.view,
	      (unsigned long long)v);
	CHECK(h >= g.stable && h % K == 0 && h <= g.ended,
	      "stable checkpoint went from %llu to %llu (last ended batch %llu)",
	      (unsigned long long)g.stable, (unsigned long long)h, (unsigned long long)g.ended);
	if (verbose && (le != g.last_exec || v != g.view || h != g.stable))
		fprintf(stderr, "fuzz_replica: step %u (%s): view %llu, stable %llu, "
			"last executed %llu\n", cur_step, cur_action, (unsigned long long)v,
			(unsigned long long)h, (unsigned long long)le);
	g.last_exec = le;
	g.view = v;
	g.stable = h;
	g.aborted_now = false;
	g.transferred_now = false;
	g.halted_before = g.halted;
}

/* Deliver a copy of exactly len bytes, so ASan sees any over-read. */
static void deliver(const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	if (len)
		memcpy(copy, buf, len);
	note_claims(copy, len);
	bft_replica_recv(g.nd.r, copy, len);
	free(copy);
	after_call();
}

static void fire(enum bft_timer w)
{
	g.armed[w] = false;
	bft_replica_on_timer(g.nd.r, w);
	after_call();
}

static void set_mono(uint64_t t)
{
	g.mono_us = t;
	g.nd.io.now_us = wall();
}

/* Advance the monotonic clock to t, firing each due timer once, in
 * deadline order, at its deadline: a timer that came due more than once in
 * the interval fires late, once (as in a busy event loop). */
static void advance_to(uint64_t t)
{
	bool fired[BFT_TIMER_COUNT] = { false };

	for (;;) {
		int w = -1;

		for (int k = 0; k < BFT_TIMER_COUNT; k++)
			if (g.armed[k] && !fired[k] && g.deadline[k] <= t &&
			    (w < 0 || g.deadline[k] < g.deadline[w]))
				w = k;
		if (w < 0)
			break;
		if (g.deadline[w] > g.mono_us)
			set_mono(g.deadline[w]);
		fired[w] = true;
		fire((enum bft_timer)w);
	}
	if (t > g.mono_us)
		set_mono(t);
}

/* ---- forging ---- */

static size_t forge_request(uint32_t client, uint64_t ts, uint32_t replier, uint16_t flags,
			    const uint8_t *op, uint32_t op_len, uint8_t *buf, size_t cap)
{
	size_t len = mock_forge_request(&keys, buf, cap, client, ts, replier, flags, op, op_len);
	struct reqrec *r = &req_pool[g.req_next];

	if (len <= REQ_MAX) {
		memcpy(r->raw, buf, len);
		r->len = (uint32_t)len;
		g.req_next = (g.req_next + 1) % N_REQ;
		if (g.n_req < N_REQ)
			g.n_req++;
	}
	return len;
}

static void act_request(void)
{
	uint8_t b = u8(), rb = u8();
	uint32_t client = MOCK_C0 + (b & 1), op_len, replier;
	uint16_t flags = (b & 6) == 6 ? BFT_REQ_READ_ONLY : 0;
	uint64_t ts = pick_ts(client, u8());
	const uint8_t *op = pick_op(u8(), &op_len);
	size_t len;

	switch (rb % 4) {
	case 0: replier = BFT_REPLIER_ALL; break;
	case 1: replier = g.self; break;
	case 2: replier = other(rb >> 2); break;
	default: replier = rb >> 2; break;
	}
	len = forge_request(client, ts, replier, flags, op, op_len, out, sizeof(out));
	corrupt(out, len, (b >> 3) % 8 == 7 ? 1 : (b >> 3) % 8 == 6 ? 2 : 0);
	replay_add(out, len);
	deliver(out, len);
}

static void add_digest_entry(uint32_t client, uint64_t ts, uint16_t flags,
			     const uint8_t d[BFT_DIGEST_LEN])
{
	struct bft_pp_entry *x = &pp.entries[pp.count++];

	memset(x, 0, sizeof(*x));
	x->kind = BFT_PP_DIGEST;
	x->client = client;
	x->timestamp = ts;
	x->req_flags = flags;
	memcpy(x->digest, d, BFT_DIGEST_LEN);
}

/* One batch entry: a pooled request inline or by digest, a fresh request,
 * or a made-up digest entry. */
static void add_entry(uint8_t e)
{
	static uint8_t fresh[MAX_PP_ENTRIES][REQ_MAX];
	struct bft_msg m;

	if ((e % 4 == 0 || e % 4 == 1) && g.n_req) {
		const struct reqrec *r = &req_pool[(e >> 2) % g.n_req];

		if (bft_msg_decode(r->raw, r->len, N, &m) != BFT_OK)
			abort();
		if (e % 4 == 0) {
			/* a copy: forging a later entry may reuse r's pool slot */
			memcpy(fresh[pp.count], r->raw, r->len);
			mock_pp_add_inline(&pp, fresh[pp.count], r->len);
		} else {
			uint8_t d[BFT_DIGEST_LEN];

			mock_req_digest(m.hdr.sender, m.u.request.timestamp, m.hdr.flags,
					m.u.request.op, m.u.request.op_len, d);
			add_digest_entry(m.hdr.sender, m.u.request.timestamp, m.hdr.flags, d);
		}
	} else if (e % 4 == 3) {
		uint8_t d[BFT_DIGEST_LEN];

		pick_digest(u8(), d);
		add_digest_entry((e >> 2) % (NODES + 2), pick_ts(MOCK_C0 + ((e >> 2) & 1), u8()),
				 (e & 0x80) ? BFT_REQ_READ_ONLY : 0, d);
	} else {
		uint32_t client = MOCK_C0 + ((e >> 2) & 1), op_len;
		const uint8_t *op = pick_op(u8(), &op_len);
		uint8_t *buf = fresh[pp.count];
		size_t len = forge_request(client, pick_ts(client, u8()), BFT_REPLIER_ALL, 0, op,
					   op_len, buf, REQ_MAX);

		corrupt(buf, len, (e >> 3) % 8 == 7 ? 1 : 0);
		mock_pp_add_inline(&pp, buf, len);
	}
}

/* Forge, remember and deliver the pre-prepare in pp from sender. */
static void send_pp(uint32_t sender, unsigned corrupt_mode)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t len;

	mock_pp_digest(&pp, d);
	batch_add(pp.view, pp.seq, d);
	if (pp.view >= g.max_pp_view) {
		if (pp.view > g.max_pp_view || pp.seq > g.max_pp_seq)
			g.max_pp_seq = pp.seq;
		g.max_pp_view = pp.view;
	}
	len = mock_forge_pre_prepare(&keys, out, sizeof(out), sender, &pp);
	corrupt(out, len, corrupt_mode);
	replay_add(out, len);
	deliver(out, len);
}

static void act_pre_prepare(void)
{
	uint8_t b = u8();
	uint64_t view = pick_view(u8());
	uint32_t sender = primary(view), count;

	if (sender == g.self || (b & 7) == 0)
		sender = (b & 8) ? MOCK_C0 + ((b >> 4) & 1) : other(b >> 4);
	mock_pp_init(&pp, view, pick_seq(u8()), pick_time(u8()));
	count = u8() % (MAX_PP_ENTRIES + 1);
	for (uint32_t k = 0; k < count; k++)
		add_entry(u8());
	send_pp(sender, (b >> 5) == 7 ? 1 : (b >> 5) == 6 ? 2 : 0);
}

static void send_votes(uint8_t type, uint32_t mask, uint64_t view, uint64_t seq,
		       const uint8_t d[BFT_DIGEST_LEN], unsigned corrupt_mode)
{
	for (uint32_t j = 0; j < N; j++) {
		size_t len;

		if (j == g.self || !(mask >> j & 1))
			continue;
		len = mock_forge_vote(&keys, out, sizeof(out), type, j, view, seq, d);
		corrupt(out, len, corrupt_mode);
		corrupt_mode = 0;
		replay_add(out, len);
		deliver(out, len);
	}
}

/* Mask of replicas from 3 bits naming the others (0: all of them). */
static uint32_t others_mask(uint8_t b)
{
	uint32_t mask = 0;

	b &= 7;
	if (!b)
		b = 7;
	for (uint32_t j = 0; j < N - 1; j++)
		if (b >> j & 1)
			mask |= 1u << other(j);
	return mask;
}

static void act_votes(void)
{
	uint8_t b = u8();
	uint8_t type = (b & 1) ? BFT_MSG_COMMIT : BFT_MSG_PREPARE;
	uint32_t mask = others_mask(b >> 1);
	uint64_t view, seq;
	uint8_t d[BFT_DIGEST_LEN];

	if ((b >> 4) % 4 != 3 && g.have_last_batch) {
		view = (b >> 4) % 4 == 2 ? cur_view() : g.last_batch.view;
		seq = g.last_batch.seq;
		memcpy(d, g.last_batch.d, BFT_DIGEST_LEN);
		if ((b >> 4) % 4 == 1 && g.n_batch) {
			const struct batch *x = &g.batches[u8() % g.n_batch];

			view = x->view;
			seq = x->seq;
			memcpy(d, x->d, BFT_DIGEST_LEN);
		}
	} else {
		view = pick_view(u8());
		seq = pick_seq(u8());
		pick_digest(u8(), d);
	}
	if (type == BFT_MSG_PREPARE && !(b & 0x40))
		mask &= ~(1u << primary(view)); /* the primary does not prepare */
	send_votes(type, mask, view, seq, d, (b >> 6) == 3 ? 1 : 0);
}

static void checkpoint_msg(uint32_t j, uint64_t seq, const uint8_t d[BFT_DIGEST_LEN],
			   size_t *len)
{
	struct bft_checkpoint c = { .seq = seq };
	uint8_t *trailer;
	int l;

	memcpy(c.digest, d, BFT_DIGEST_LEN);
	l = bft_encode_checkpoint(out, sizeof(out), j, &c, &trailer);
	if (l < 0)
		abort();
	sign_as(j, out, (size_t)(trailer - out), trailer);
	*len = (size_t)l;
}

/* A checkpoint to talk about: one the replica took, or a made-up one. */
static void pick_checkpoint(uint8_t b, uint64_t *seq, uint8_t d[BFT_DIGEST_LEN])
{
	if (b % 4 <= 1 && g.n_ckpt) {
		const struct ckrec *r = b % 4 == 0
			? &g.ckpts[(g.ckpt_next + N_CKPT - 1) % N_CKPT]
			: &g.ckpts[(b >> 2) % g.n_ckpt];

		*seq = r->seq;
		memcpy(d, r->d, BFT_DIGEST_LEN);
	} else if (b % 4 <= 2) {
		*seq = (cur_h() / K + 1 + (b >> 2) % 3) * K;
		if ((b >> 4) & 1)
			*seq -= K;
		pick_digest(u8(), d);
	} else {
		*seq = pick_seq(u8());
		pick_digest(u8(), d);
	}
}

static void act_checkpoint(void)
{
	uint8_t b = u8();
	uint32_t mask = others_mask(b);
	uint64_t seq;
	uint8_t d[BFT_DIGEST_LEN];
	bool bad = (b >> 5) == 7;

	pick_checkpoint(u8(), &seq, d);
	for (uint32_t j = 0; j < N; j++) {
		size_t len;

		if (j == g.self || !(mask >> j & 1))
			continue;
		checkpoint_msg(j, seq, d, &len);
		if (bad)
			out[len - 1] ^= 1;
		bad = false;
		replay_add(out, len);
		deliver(out, len);
	}
}

static uint64_t pick_small_seq(uint8_t b)
{
	uint64_t h = cur_h(), le = cur_le();

	switch (b % 8) {
	case 0: return 0;
	case 1: return h;
	case 2: return h >= K ? h - K : 0;
	case 3: return h + K;
	case 4: return le;
	case 5: return le ? le - 1 : 0;
	case 6: return le + (b >> 3);
	default: return u64();
	}
}

static void act_status(void)
{
	uint8_t b = u8();
	uint32_t from = other(b);
	uint64_t view = pick_view(u8()), stable = pick_small_seq(u8());
	uint64_t le = pick_small_seq(u8()), lp = pick_small_seq(u8());
	uint32_t flags = (b >> 2) & 3;
	size_t len;

	if (b & 0x10)
		stable = stable / K * K;
	len = mock_forge_status(&keys, out, sizeof(out), from, view, stable, le, lp, flags);
	corrupt(out, len, (b >> 5) == 7 ? 1 : 0);
	replay_add(out, len);
	deliver(out, len);
}

/* P or Q entries of the replica's latest VIEW-CHANGE. */
static uint16_t own_entries(bool p, struct bft_vc_entry *e)
{
	struct bft_msg m;
	const struct vcrec *v;
	uint16_t cnt, k;

	if (g.own_vc < 0)
		return 0;
	v = &vc_pool[g.own_vc];
	if (bft_msg_decode(v->raw, v->len, N, &m) != BFT_OK)
		abort();
	cnt = p ? m.u.view_change.n_p : m.u.view_change.n_q;
	if (cnt > MAX_PQ)
		cnt = MAX_PQ;
	for (k = 0; k < cnt; k++)
		(p ? bft_vc_p : bft_vc_q)(&m.u.view_change, k, &e[k]);
	return cnt;
}

static uint16_t pick_entries(uint8_t mode, bool p, uint64_t stable, uint64_t nv,
			     struct bft_vc_entry *e)
{
	uint16_t cnt = 0;

	switch (mode % 4) {
	case 0:
		cnt = u8() % 5;
		for (uint16_t k = 0; k < cnt; k++) {
			uint8_t b = u8();

			e[k].seq = stable + 1 + b % (g.cfg.log_window + 1);
			if (b & 0x80)
				e[k].view = pick_view(u8());
			else if (nv > 1 && (b & 0x10))
				e[k].view = nv - 2;
			else
				e[k].view = nv ? nv - 1 : 0;
			pick_digest(u8(), e[k].digest);
		}
		break;
	case 1:
		cnt = own_entries(p, e);
		break;
	case 2:
		for (uint32_t k = 0; k < g.n_batch; k++) {
			const struct batch *x = &g.batches[k];
			bool dup = false;

			if (x->seq <= stable || x->seq > stable + g.cfg.log_window || x->view >= nv)
				continue;
			for (uint16_t i = 0; p && i < cnt; i++)
				dup |= e[i].seq == x->seq;
			if (dup)
				continue;
			e[cnt].seq = x->seq;
			e[cnt].view = x->view;
			memcpy(e[cnt++].digest, x->d, BFT_DIGEST_LEN);
		}
		break;
	default:
		break;
	}
	return cnt;
}

static void act_view_change(void)
{
	static struct bft_vc_entry pe[MAX_PQ], qe[MAX_PQ];
	uint8_t b = u8(), sb = u8(), pm = u8(), qb = u8();
	uint32_t mask = others_mask(b);
	struct bft_view_change vc = { 0 };
	uint32_t cp_rep[N + 1];
	uint8_t cp_sig[N + 1][BFT_SIG_LEN];
	uint8_t *trailer;
	size_t slen;
	int len;

	switch (b >> 3 & 3) {
	case 0: case 1: vc.new_view = cur_view() + 1; break;
	case 2: vc.new_view = cur_view(); break;
	default: vc.new_view = pick_view(u8()); break;
	}
	switch (sb % 4) {
	case 0:
		break;
	case 1:
		vc.stable_seq = cur_h();
		for (uint32_t k = 0; k < g.n_ckpt; k++)
			if (g.ckpts[k].seq == vc.stable_seq)
				memcpy(vc.stable_digest, g.ckpts[k].d, BFT_DIGEST_LEN);
		break;
	default:
		pick_checkpoint(sb >> 2, &vc.stable_seq, vc.stable_digest);
		break;
	}
	/* The proof: 2f+1 signed CHECKPOINTs, or a broken one. */
	if (vc.stable_seq) {
		struct bft_checkpoint c = { .seq = vc.stable_seq };
		unsigned pmode = pm % 8;
		uint32_t signers = pmode == 4 ? QUORUM - 1 : QUORUM;

		memcpy(c.digest, vc.stable_digest, BFT_DIGEST_LEN);
		for (uint32_t k = 0; k < signers; k++) {
			uint32_t who = other(k);

			cp_rep[k] = who;
			len = bft_encode_checkpoint(out, sizeof(out), who, &c, &trailer);
			if (len < 0)
				abort();
			sign_as(who, out, (size_t)(trailer - out), cp_sig[k]);
		}
		if (pmode == 1) {
			/* Replace one by the replica's own signature, if captured. */
			for (uint32_t k = 0; k < g.n_own; k++)
				if (g.own_sigs[k].seq == vc.stable_seq &&
				    !memcmp(g.own_sigs[k].d, vc.stable_digest, BFT_DIGEST_LEN)) {
					cp_rep[0] = g.self;
					memcpy(cp_sig[0], g.own_sigs[k].sig, BFT_SIG_LEN);
				}
		} else if (pmode == 5) {
			cp_rep[1] = cp_rep[0];
		} else if (pmode == 6) {
			cp_sig[pm >> 3 & 1][pm >> 4] ^= 1;
		} else if (pmode == 7) {
			cp_rep[2] = N + (pm >> 3 & 1);
		}
		vc.n_cp = (uint16_t)signers;
	}
	vc.n_p = pick_entries(qb, true, vc.stable_seq, vc.new_view, pe);
	vc.n_q = pick_entries(qb >> 2, false, vc.stable_seq, vc.new_view, qe);
	vc.p = vc.q = vc.cp = NULL;
	for (uint32_t j = 0; j < NODES; j++) {
		uint32_t from = j;

		if (j < N ? !(mask >> j & 1) : !((b >> 5) == 7 && j == MOCK_C0))
			continue;
		if (from == g.self)
			continue;
		len = bft_encode_view_change(out, sizeof(out), from, &vc, cp_rep,
					     (const uint8_t (*)[BFT_SIG_LEN])cp_sig, pe, qe, &trailer);
		if (len < 0)
			continue;
		slen = (size_t)(trailer - out);
		sign_as(from, out, slen, trailer);
		if ((b >> 5) == 6)
			trailer[0] ^= 1;
		else
			vc_add(from, vc.new_view, out, (size_t)len);
		replay_add(out, (size_t)len);
		deliver(out, (size_t)len);
	}
}

static void act_new_view(void)
{
	static struct bft_msg dec[N];
	static struct bft_view_change vcs[N];
	static struct bft_vc_entry o[MAX_NO];
	uint8_t b = u8(), sel = u8(), mode = u8() % 10;
	struct bft_new_view nv = { 0 };
	uint32_t v_rep[N + 1], cnt = 0, sender;
	uint8_t v_dig[N + 1][BFT_DIGEST_LEN];
	int slot_of[N] = { -1, -1, -1, -1 };
	uint64_t top;
	uint8_t *trailer;
	int len;

	switch (b & 3) {
	case 0: nv.view = cur_view(); break;
	case 1: nv.view = g.n_vc ? vc_pool[(g.vc_next + N_VC - 1) % N_VC].view : cur_view(); break;
	case 2: nv.view = cur_view() + 1; break;
	default: nv.view = pick_view(u8()); break;
	}
	sender = primary(nv.view);
	if (sender == g.self || (b & 4))
		sender = other(b >> 3);
	if ((b & 0xe0) == 0xe0)
		sender = MOCK_C0;
	/* The latest (sel bit 4: the earliest, which the replica keeps when a
	 * sender equivocates) VIEW-CHANGE for nv.view of each replica in the
	 * pool; sel bits 0-3 choose the senders (none set: all). */
	for (uint32_t k = 0; k < g.n_vc; k++) {
		uint32_t age = (sel & 0x10) ? g.n_vc - 1 - k : k;
		uint32_t idx = (g.vc_next + N_VC - 1 - age) % N_VC;
		const struct vcrec *v = &vc_pool[idx];

		if (v->view == nv.view && v->sender < N && slot_of[v->sender] < 0)
			slot_of[v->sender] = (int)idx;
	}
	for (uint32_t j = 0; j < N; j++) {
		const struct vcrec *v;

		if (slot_of[j] < 0 || ((sel & 0xf) && !(sel >> j & 1)))
			continue;
		v = &vc_pool[slot_of[j]];
		if (bft_msg_decode(v->raw, v->len, N, &dec[cnt]) != BFT_OK)
			abort();
		vcs[cnt] = dec[cnt].u.view_change;
		v_rep[cnt] = j;
		memcpy(v_dig[cnt], v->digest, BFT_DIGEST_LEN);
		cnt++;
	}
	/* The choices the VIEW-CHANGEs imply. */
	for (uint32_t k = 0; k < cnt; k++)
		if (vcs[k].stable_seq > nv.start_seq) {
			nv.start_seq = vcs[k].stable_seq;
			memcpy(nv.start_digest, vcs[k].stable_digest, BFT_DIGEST_LEN);
		}
	top = nv.start_seq;
	for (uint32_t k = 0; k < cnt; k++)
		for (unsigned i = 0; i < vcs[k].n_p; i++) {
			struct bft_vc_entry e;

			bft_vc_p(&vcs[k], i, &e);
			if (e.seq > top)
				top = e.seq;
		}
	if (top - nv.start_seq <= MAX_NO) {
		/* by count: start + 1 .. top may end at UINT64_MAX */
		for (uint64_t k = 0; k < top - nv.start_seq; k++) {
			uint64_t seq = nv.start_seq + 1 + k;

			o[nv.n_o].seq = seq;
			o[nv.n_o].view = 0;
			if (!decide(vcs, cnt, seq, o[nv.n_o].digest) && mode < 4)
				break;
			nv.n_o++;
		}
	}
	/* Mode 0-3: as decided; otherwise broken in one way. */
	switch (mode) {
	case 4:
		if (cnt)
			v_dig[u8() % cnt][0] ^= 1;
		break;
	case 5:
		if (nv.n_o)
			pick_digest(u8(), o[u8() % nv.n_o].digest);
		break;
	case 6:
		if (nv.n_o)
			nv.n_o--;
		else
			o[nv.n_o++] = (struct bft_vc_entry){ .seq = nv.start_seq + 1 };
		break;
	case 7:
		nv.start_seq = pick_small_seq(u8());
		break;
	case 8:
		if (cnt) {
			v_rep[cnt] = v_rep[0];
			memcpy(v_dig[cnt], v_dig[0], BFT_DIGEST_LEN);
			cnt++;
		}
		break;
	case 9:
		if (cnt)
			v_rep[u8() % cnt] = u8() % (NODES + 1);
		break;
	default:
		break;
	}
	nv.n_v = (uint16_t)cnt;
	len = bft_encode_new_view(out, sizeof(out), sender, &nv, v_rep,
				  (const uint8_t (*)[BFT_DIGEST_LEN])v_dig, o, &trailer);
	if (len < 0)
		return;
	sign_as(sender, out, (size_t)(trailer - out), trailer);
	if (bft_msg_decode(out, (size_t)len, N, &msg) == BFT_OK)
		nv_batches(&msg.u.new_view);
	replay_add(out, (size_t)len);
	deliver(out, (size_t)len);
}

/* ---- the remaining actions ---- */

static void act_raw(void)
{
	uint8_t b = u8();
	size_t len = u16() % 700, k;

	if (len > g.n - g.i)
		len = g.n - g.i;
	if ((b & 1) && len >= 4) {
		/* Plausible header: version, type, sender, exact length. */
		memcpy(out, g.p + g.i, len);
		out[0] = BFT_WIRE_VERSION;
		out[1] = (uint8_t)(1 + (b >> 1) % BFT_MSG_TYPE_MAX);
		if (len >= BFT_HDR_LEN) {
			out[4] = (uint8_t)(b >> 5);
			memset(out + 5, 0, 3);
			for (k = 0; k < 4; k++)
				out[8 + k] = (uint8_t)(len >> (8 * k));
		}
		g.i += len;
		deliver(out, len);
		return;
	}
	deliver(g.p + g.i, len);
	g.i += len;
}

static void act_timer(void)
{
	uint8_t b = u8();
	enum bft_timer w = (b & 1) ? BFT_TIMER_VIEW_CHANGE : BFT_TIMER_STATUS;

	if (!(b & 1) && (b & 2) && g.armed[BFT_TIMER_COMMIT])
		w = BFT_TIMER_COMMIT;
	/* Only this timer: the others, if due too, fire late. */
	if (!g.armed[w])
		return;
	if (g.deadline[w] > g.mono_us)
		set_mono(g.deadline[w]);
	fire(w);
}

static void act_clock(void)
{
	uint8_t b = u8(), a = u8();

	switch (b % 4) {
	case 0: advance_to(g.mono_us + 1000ull * (1 + a)); break;
	case 1: advance_to(g.mono_us + 1000000ull * (1 + a % 16)); break;
	case 2:
		/* The wall clock jumps (NTP); timers do not move. */
		g.wall_off += (a & 1 ? -1 : 1) * (int64_t)(1000000ull << (a >> 1) % 28);
		if ((int64_t)g.mono_us + g.wall_off < 0)
			g.wall_off = -(int64_t)g.mono_us;
		g.nd.io.now_us = wall();
		break;
	default: advance_to(g.mono_us + (1000ull << (a % 40))); break;
	}
}

static void act_replay(void)
{
	uint8_t b = u8(), mb = u8();
	const struct pkt *s;
	size_t len;

	if (!g.n_replay)
		return;
	s = &replay_pool[b % g.n_replay];
	len = s->len;
	memcpy(out, s->buf, len);
	switch (mb % 8) {
	case 5:
		out[u16() % len] ^= (uint8_t)(1u << (mb >> 5));
		break;
	case 6:
		len = u16() % len;
		break;
	case 7:
		if (len >= BFT_HDR_LEN + 8) {
			uint64_t v = u64();

			for (int k = 0; k < 8; k++)
				out[BFT_HDR_LEN + k] = (uint8_t)(v >> (8 * k));
		}
		break;
	default:
		break;
	}
	deliver(out, len);
}

/* Normal case (§4.2) in the current view: fresh requests, the primary's
 * pre-prepare (forged, or the replica's own when it leads), prepares from
 * the backups and commits from everyone. Bits of the parameter byte: 0 two
 * requests, 1 big operations, 2 deliver the requests to the replica too,
 * 3 next seq after the fuzzer's last pre-prepare, 4 no prepares, 5 no
 * commits, 6 big operations by digest, 7 commits from two others only. */
static void act_normal(void)
{
	static uint8_t reqs[2][REQ_MAX];
	uint8_t b = u8();
	uint64_t view = cur_view();
	uint32_t prim = primary(view), nreq = 1 + (b & 1), batches = g.n_batches_made;
	size_t rlen[2];
	uint64_t seq;

	for (uint32_t k = 0; k < nreq; k++) {
		uint32_t client = MOCK_C0 + k, op_len;
		const uint8_t *op = pick_op((b & 2) ? 4 : 0, &op_len);

		rlen[k] = forge_request(client, ++g.ts[k], BFT_REPLIER_ALL, 0, op, op_len,
					reqs[k], REQ_MAX);
	}
	if (prim == g.self) {
		for (uint32_t k = 0; k < nreq; k++)
			deliver(reqs[k], rlen[k]);
		if (g.n_batches_made == batches)
			return; /* the replica proposed nothing */
	} else {
		if (b & 4)
			for (uint32_t k = 0; k < nreq; k++)
				deliver(reqs[k], rlen[k]);
		seq = cur_le() + 1;
		if ((b & 8) && g.max_pp_view == view && g.max_pp_seq >= seq)
			seq = g.max_pp_seq + 1;
		mock_pp_init(&pp, view, seq, wall());
		for (uint32_t k = 0; k < nreq; k++) {
			struct bft_msg m;
			uint8_t d[BFT_DIGEST_LEN];

			if (!(b & 2) || !(b & 0x40)) {
				mock_pp_add_inline(&pp, reqs[k], rlen[k]);
				continue;
			}
			if (bft_msg_decode(reqs[k], rlen[k], N, &m) != BFT_OK)
				abort();
			mock_req_digest(m.hdr.sender, m.u.request.timestamp, 0, m.u.request.op,
					m.u.request.op_len, d);
			add_digest_entry(m.hdr.sender, m.u.request.timestamp, 0, d);
		}
		send_pp(prim, 0);
	}
	/* Vote for every batch proposed during this step, oldest first. */
	batches = g.n_batches_made - batches;
	if (batches > N_BATCH)
		batches = N_BATCH;
	for (uint32_t k = batches; k > 0; k--) {
		const struct batch *x = &g.batches[(g.batch_next + N_BATCH - k) % N_BATCH];

		if (x->view != view)
			continue;
		if (!(b & 0x10))
			send_votes(BFT_MSG_PREPARE, others_mask(0) & ~(1u << prim), view, x->seq,
				   x->d, 0);
		if (!(b & 0x20))
			send_votes(BFT_MSG_COMMIT, others_mask((b & 0x80) ? 3 : 0), view, x->seq,
				   x->d, 0);
	}
}

/* Prepares (from the backups) and commits from all the others for every
 * remembered batch of the current view, in seq order: completes what a
 * NEW-VIEW re-proposed. Parameter bits: 0 no prepares, 1 no commits. */
static void act_vote_all(void)
{
	uint8_t b = u8();
	uint64_t view = cur_view(), last = 0;
	uint32_t prim = primary(view);

	for (;;) {
		const struct batch *x = NULL;

		for (uint32_t k = 0; k < g.n_batch; k++) {
			const struct batch *y = &g.batches[k];

			if (y->view == view && y->seq > last && (!x || y->seq < x->seq))
				x = y;
		}
		if (!x)
			break;
		last = x->seq;
		if (!(b & 1))
			send_votes(BFT_MSG_PREPARE, others_mask(0) & ~(1u << prim), view, x->seq,
				   x->d, 0);
		if (!(b & 2))
			send_votes(BFT_MSG_COMMIT, others_mask(0), view, x->seq, x->d, 0);
	}
}

/* Keyrings changed by a NEW-KEY of this input: rebuilt before the next. */
static bool keys_refreshed;

/* ⟨NEW-KEY⟩ of node `from` (TOCS '02 §4.3.1): a fresh key whose secret the
 * fuzzer knows, so its keyring for `from` follows (the replica takes it on
 * if the epoch is new), or a replay of the current one. */
static int forge_new_key(uint32_t from, uint8_t b)
{
	struct bft_new_key k = { .flags = (uint16_t)((b >> 6) & BFT_NK_FLAGS_ALL) };
	uint8_t sec[BFT_KEY_LEN] = { (uint8_t)from, b, (uint8_t)cur_step, 0x4b };
	uint8_t *trailer;
	int len;

	k.epoch = bft_keyring_epoch(keys.kr[from]) + (from < N ? (b >> 4) % 3 : 0);
	if (bft_keyring_dh_pub(keys.kr[from], k.dh_pub) != BFT_OK)
		return -1;
	if (k.epoch > bft_keyring_epoch(keys.kr[from]) &&
	    bft_keyring_refresh(keys.kr[from], k.epoch, sec, k.dh_pub, false) == BFT_OK)
		keys_refreshed = true;
	len = bft_encode_new_key(out, sizeof(out), from, &k, &trailer);
	if (len > 0)
		sign_as(from, out, (size_t)(trailer - out), trailer);
	return len;
}

/* Messages outside the normal case (acks, fetches, recovery's): harmless
 * whatever they say. */
static void act_other(void)
{
	uint8_t b = u8();
	uint32_t from = (b & 8) ? MOCK_C0 : other(b >> 4);
	uint8_t *trailer;
	int len = -1;

	switch (b % 4) {
	case 0: {
		struct bft_view_change_ack a = { .view = cur_view(), .vc_sender = other(b >> 5) };

		len = bft_encode_vc_ack(out, sizeof(out), N, from, &a, &trailer);
		if (len > 0)
			bft_keyring_auth(keys.kr[from], out, (size_t)(trailer - out), trailer);
		break;
	}
	case 1: {
		struct bft_fetch f = { .level = b >> 6, .want_seq = cur_h(), .replier = g.self };

		len = bft_encode_fetch(out, sizeof(out), N, from, &f, &trailer);
		if (len > 0)
			bft_keyring_auth(keys.kr[from], out, (size_t)(trailer - out), trailer);
		break;
	}
	case 2: {
		struct bft_query_stable q = { .nonce = u64() };

		len = bft_encode_query_stable(out, sizeof(out), N, from, &q, &trailer);
		if (len > 0)
			bft_keyring_auth(keys.kr[from], out, (size_t)(trailer - out), trailer);
		break;
	}
	default:
		len = forge_new_key(from, b);
		break;
	}
	if (len > 0)
		deliver(out, (size_t)len);
}

/* ---- state transfer actions (TOCS '02 §5.3.2) ---- */

/* A made-up state certified by others: a variation of one the fuzzer
 * knows, the replica's current one, or the empty state; at a far
 * checkpoint, one ahead in the window, or one the replica took (its state
 * then looks corrupt). Parameter bytes: b (bits 0-1 base, 2-4 signers,
 * 5-6 seq kind, 7 first signature broken), m (what to vary). */
static void certify_state(void)
{
	static struct mock_state st;
	uint8_t b = u8(), m = u8(), sb = u8();
	uint8_t root[BFT_DIGEST_LEN];
	uint64_t seq, k = K;
	uint32_t mask = others_mask(b >> 2);
	bool bad = b >> 7;
	int idx;

	memset(&st, 0, sizeof(st));
	if ((b & 3) == 0 && g.tree_mode)
		st = g.tree.cur;
	else if ((b & 3) == 1 && g.last_remote >= 0)
		st = known[g.last_remote].st;
	else if ((b & 3) == 2 && g.n_known)
		st = known[sb % g.n_known].st;
	if (m & 1)
		st.counter += 1 + u8();
	if (m & 2)
		st.time_us = wall() + u8();
	if (m & 4) {
		uint32_t c = (m >> 3) & 1;

		st.last_ts[c] = g.ts[c] + u8() % 3;
		st.reply_len[c] = mock_result(st.counter, "inc", 3, st.reply[c]);
	}
	if (m & 0x20) {
		st.blob_seed = u8() | 1;
		st.blob_len = (m & 0x40) ? MOCK_BLOB_MAX : 1u + u8();
	}
	if (m & 0x80)
		st.blob_seed = 0, st.blob_len = 0;
	switch ((b >> 5) & 3) {
	case 0: seq = (cur_h() + g.cfg.log_window) / k * k + k * (1 + sb % 3); break;
	case 1: seq = (cur_le() / k + 1 + sb % 3) * k; break;
	case 2: seq = g.n_ckpt ? g.ckpts[(g.ckpt_next + N_CKPT - 1) % N_CKPT].seq : k; break;
	default: seq = (cur_le() / k) * k; break;
	}
	if (!seq)
		seq = k;
	idx = known_add(&st, true);
	if (idx < 0)
		return;
	g.last_remote = idx;
	mock_tree_root(&st, root);
	dig_add(root);
	for (uint32_t j = 0; j < N; j++) {
		size_t len;

		if (j == g.self || !(mask >> j & 1))
			continue;
		checkpoint_msg(j, seq, root, &len);
		if (bad)
			out[len - 1] ^= 1;
		bad = false;
		replay_add(out, len);
		deliver(out, len);
	}
}

/* Answer FETCH f from st as replica `as`, broken by mode (0: not). */
static void answer_fetch(const struct fq_ent *f, const struct mock_state *st, uint32_t as,
			 unsigned mode)
{
	static uint8_t kids[MOCK_TREE_FANOUT][BFT_DIGEST_LEN];
	uint64_t idx[MOCK_TREE_FANOUT], seq = mode == 7 ? f->seq + K : f->seq;
	uint32_t total, off, len;
	size_t n;

	if (f->level < MOCK_TREE_DEPTH) {
		uint16_t count = mode == 4 ? MOCK_TREE_FANOUT - 1 : MOCK_TREE_FANOUT;

		mock_tree_children(st, f->level, f->index, kids);
		for (uint32_t i = 0; i < MOCK_TREE_FANOUT; i++)
			idx[i] = f->index * MOCK_TREE_FANOUT + i;
		if (mode == 3)
			kids[u8() % MOCK_TREE_FANOUT][0] ^= 1;
		if (mode == 5)
			idx[u8() % MOCK_TREE_FANOUT] ^= 1 + u8() % 8;
		n = mock_forge_meta_data(&keys, out, sizeof(out), as, g.self, seq, f->level,
					 f->index, count, idx,
					 (const uint8_t (*)[BFT_DIGEST_LEN])kids);
	} else {
		total = mock_leaf_bytes(st, f->index, leafbuf);
		off = f->offset < total ? (uint32_t)f->offset : total;
		len = total - off < BFT_MAX_DATA ? total - off : BFT_MAX_DATA;
		if (mode == 3 && len)
			leafbuf[off + u8() % len] ^= 0x10;
		if (mode == 4 && len)
			off++, len--;
		if (mode == 5)
			total++;
		n = mock_forge_data(&keys, out, sizeof(out), as, g.self, seq, f->index, off,
				    total, leafbuf + off, len);
	}
	replay_add(out, n);
	deliver(out, n);
}

/* Answer one FETCH the replica sent: b (bits 0-3 which, 4-6 who else, 7
 * someone else answers), mode (0-2 correctly, 3 a bit flipped, 4 wrong
 * count or offset, 5 misnumbered or wrong total, 6 another state's answer,
 * 7 for another checkpoint). */
static void answer_one(void)
{
	uint8_t b = u8(), mode = u8() % 8;
	const struct fq_ent *f;
	const struct known *kn;
	uint32_t as;

	if (!g.fq_len)
		return;
	f = &g.fq[(g.fq_head + b % g.fq_len) % N_FQ];
	kn = known_at(f->seq);
	if (mode == 6 || !kn) {
		if (!g.n_known)
			return;
		kn = &known[u8() % g.n_known];
		mode = 0;
	}
	as = (b & 0x80) ? other(b >> 4) : f->to;
	answer_fetch(f, &kn->st, as, mode <= 2 ? 0 : mode);
}

/* Answer every FETCH the replica sent, and those it sends meanwhile,
 * correctly, as the replica each went to (at most MAX_SERVE). */
static void serve_all(void)
{
	for (unsigned k = 0; k < MAX_SERVE && g.fq_len; k++) {
		struct fq_ent f = g.fq[g.fq_head];
		const struct known *kn = known_at(f.seq);

		g.fq_head = (g.fq_head + 1) % N_FQ;
		g.fq_len--;
		if (kn)
			answer_fetch(&f, &kn->st, f.to, 0);
	}
}

/* A FETCH to the replica: b (bits 0-1 == 3 another replier, 3 from a
 * client, 4-6 sender, 7 broken authenticator), then level/index, offset
 * and checkpoint bytes. */
static void forge_fetch(void)
{
	uint8_t b = u8(), lb = u8(), ob = u8(), sb = u8();
	uint32_t from = (b & 8) ? MOCK_C0 : other(b >> 4);
	uint32_t replier = (b & 3) == 3 ? other(b >> 2) : g.self;
	uint64_t index = (lb >> 2) % 8 == 7 ? u64() : (lb >> 2) % 20, offset, seq;
	size_t len;

	switch (ob % 4) {
	case 0: offset = 0; break;
	case 1: offset = (uint64_t)BFT_MAX_DATA * ((ob >> 2) % 3); break;
	case 2: offset = u8(); break;
	default: offset = u64() % (2ull * MOCK_LEAF_MAX); break;
	}
	switch (sb % 4) {
	case 0: seq = g.n_ckpt ? g.ckpts[(g.ckpt_next + N_CKPT - 1) % N_CKPT].seq : 0; break;
	case 1: seq = cur_h(); break;
	case 2: seq = g.n_ckpt ? g.ckpts[(sb >> 2) % g.n_ckpt].seq : K; break;
	default: seq = pick_small_seq(u8()); break;
	}
	len = mock_forge_fetch(&keys, out, sizeof(out), from, lb % 4, index, offset, seq,
			       replier);
	corrupt(out, len, b >> 7);
	replay_add(out, len);
	deliver(out, len);
}

static void act_transfer(void)
{
	switch (u8() % 4) {
	case 0: certify_state(); break;
	case 1: answer_one(); break;
	case 2: serve_all(); break;
	default: forge_fetch(); break;
	}
}

enum action {
	A_RAW, A_REQUEST, A_PRE_PREPARE, A_VOTES, A_CHECKPOINT, A_STATUS, A_VIEW_CHANGE,
	A_NEW_VIEW, A_TIMER, A_CLOCK, A_REPLAY, A_NORMAL, A_OTHER, A_VOTE_ALL, A_TRANSFER,
	A_COUNT
};

static const char *const action_names[A_COUNT] = {
	"raw", "request", "pre-prepare", "votes", "checkpoint", "status", "view-change",
	"new-view", "timer", "clock", "replay", "normal", "other", "vote-all", "transfer",
};

static void (*const actions[A_COUNT])(void) = {
	act_raw, act_request, act_pre_prepare, act_votes, act_checkpoint, act_status,
	act_view_change, act_new_view, act_timer, act_clock, act_replay, act_normal,
	act_other, act_vote_all, act_transfer,
};

/* Byte 0: replica id (bits 0-1; odd ids hold COMMITs back), tentative execution off (bit 2), digest
 * replies off (bit 3), max_inflight 1 (bit 4), max_batch 1 (bit 5), L = K
 * (bit 6), an extension byte follows (bit 7). Extension: bits 0-2 a service
 * call kind that fails (0: none, 1-6: enum mock_call_kind, 7: none) from
 * step 4 * (bits 3-5) on, bits 6-7 K (0: 4, 1: 3, 2: 1, 3: 2). Without the
 * extension K = 4; L = 2K unless bit 6. */
static void setup(uint8_t c)
{
	static const uint32_t ks[4] = { 4, 3, 1, 2 };
	uint32_t k = 4;

	g.tree_mode = true;
	g.last_remote = -1;
	if (c & 0x80) {
		uint8_t x = u8();

		g.tree_mode = x % 8 != 7;

		if (x % 8 >= 1 && x % 8 <= 6) {
			g.fail_kind = (enum mock_call_kind)(x % 8);
			g.fail_step = 4 * (x >> 3 & 7);
		}
		k = ks[x >> 6];
	}
	g.self = c & 3;
	mock_replica_config(&g.cfg, g.self);
	g.cfg.tentative = !(c & 4);
	g.cfg.digest_replies = !(c & 8);
	g.cfg.commit_delay_ms = (c & 1) ? 1 : 0; /* replicas 1, 3: COMMITs held back */
	g.cfg.max_inflight = (c & 16) ? 1 : 2;
	g.cfg.max_batch = (c & 32) ? 1 : BFT_MAX_BATCH;
	g.cfg.checkpoint_interval = k;
	g.cfg.log_window = (c & 64) ? k : 2 * k;
	if (g.cfg.max_inflight > g.cfg.log_window)
		g.cfg.max_inflight = g.cfg.log_window;
	g.own_vc = -1;
	mock_node_open_ext(&g.nd, &keys, &g.cfg, g.tree_mode ? mock_tree_attach : NULL,
			   &g.tree);
	g.mono_us = 0;
	g.wall_off = (int64_t)MOCK_EPOCH_US;
	g.nd.io.now_us = wall();
	dig_add(zero_digest);
	if (g.tree_mode) {
		static const struct mock_state empty;

		known_add(&empty, true); /* its root is the zero digest */
	}
	bft_replica_start(g.nd.r);
	after_call();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (keys_ready && keys_refreshed) {
		mock_keys_free(&keys);
		keys_ready = keys_refreshed = false;
	}
	if (!keys_ready) {
		mock_keys_init(&keys);
		keys_ready = true;
		verbose = getenv("FUZZ_REPLICA_VERBOSE") != NULL;
	}
	if (size < 1)
		return 0;
	memset(&g, 0, sizeof(g));
	g.p = data;
	g.n = size;
	g.i = 1;
	cur_step = 0;
	cur_action = "setup";
	setup(data[0]);
	for (cur_step = 1; cur_step <= MAX_STEPS && more(); cur_step++) {
		uint8_t op = u8() % 16;
		enum action a = op <= A_VOTE_ALL ? (enum action)op : op == 14 ? A_NORMAL : A_TRANSFER;

		if (g.fail_kind && cur_step >= g.fail_step)
			g.nd.svc.fail_on = g.fail_kind;
		cur_action = action_names[a];
		if (verbose)
			fprintf(stderr, "fuzz_replica: step %u: %s (input byte %zu)\n", cur_step,
				cur_action, g.i - 1);
		actions[a]();
	}
	if (verbose)
		fprintf(stderr, "fuzz_replica: end: replica %u view %llu stable %llu executed "
			"%llu, %u datagrams sent\n", g.self, (unsigned long long)g.view,
			(unsigned long long)g.stable, (unsigned long long)g.last_exec, g.sent_total);
	mock_node_close(&g.nd);
	mock_tree_free(&g.tree);
	return 0;
}
