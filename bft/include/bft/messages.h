/*
 * bft/messages.h — every PBFT message, its wire layout, limits and codec.
 *
 * Castro & Liskov, "Practical Byzantine Fault Tolerance", OSDI '99: §4.1
 * (REQUEST, REPLY), §4.2 (PRE-PREPARE, PREPARE, COMMIT), §4.3 (CHECKPOINT),
 * §4.4 (VIEW-CHANGE, NEW-VIEW), §5.2 (STATUS-driven retransmission), and the
 * TOCS '02 paper §5-6 (state transfer FETCH/META-DATA/DATA, proactive
 * recovery NEW-KEY, QUERY-STABLE/REPLY-STABLE, VIEW-CHANGE-ACK).
 *
 * Wire format (all integers little-endian, no padding, no alignment):
 *
 *   header (BFT_HDR_LEN = 12 bytes)
 *     u8  version    BFT_WIRE_VERSION
 *     u8  type       enum bft_msg_type
 *     u16 flags      type-specific (BFT_REQ_*, BFT_REP_*), else 0
 *     u32 sender     node id: replicas 0..n-1, clients n..
 *     u32 length     total bytes including header and trailer
 *   body             type-specific, below
 *   trailer          by type: an authenticator (n * BFT_MAC_LEN), a single
 *                    MAC (BFT_MAC_LEN) or an Ed25519 signature (BFT_SIG_LEN)
 *
 * The authenticated bytes are header + body (everything before the trailer).
 * The decoder needs n (the number of replicas) to know authenticator sizes.
 *
 * Decoding does only the cheap checks (length, type, version, every field
 * bound, counts against limits, exact total length); it never reads outside
 * the buffer, never allocates, and returns pointers into the buffer (valid
 * while the buffer is). Authentication is the caller's next step.
 *
 * Bodies:
 *   REQUEST       u64 timestamp, u32 replier (BFT_REPLIER_ALL = every replica
 *                 sends the full result), u32 op_len, op[op_len]     auth(n)
 *                 flags: BFT_REQ_READ_ONLY
 *   REPLY         u64 view, u64 timestamp, u32 client, u32 result_len,
 *                 result[result_len]   (if BFT_REP_DIGEST: result_len = 32
 *                 and result is SHA-256 of the full result)          MAC
 *                 flags: BFT_REP_TENTATIVE, BFT_REP_DIGEST, BFT_REP_READ_ONLY
 *   PRE-PREPARE   u64 view, u64 seq, u64 nondet (the primary's proposed
 *                 time, µs), u16 count, then count entries:
 *                   u8 kind = BFT_PP_INLINE: u32 len, a whole REQUEST message
 *                   u8 kind = BFT_PP_DIGEST: u32 client, u64 timestamp,
 *                            u8 req_flags, u8[32] request digest     auth(n)
 *                 count == 0 is the null request of §4.4.
 *   PREPARE       u64 view, u64 seq, u8[32] batch digest             auth(n)
 *   COMMIT        u64 view, u64 seq, u8[32] batch digest             auth(n)
 *   CHECKPOINT    u64 seq, u8[32] state digest                       sig
 *   STATUS        u64 view, u64 stable seq (h), u64 last executed,
 *                 u64 last prepared, u32 flags (BFT_STATUS_*)        auth(n)
 *   VIEW-CHANGE   u64 new view, u64 stable seq, u8[32] stable digest,
 *                 u16 n_cp: n_cp × (u32 replica, sig) — the 2f+1 signed
 *                 CHECKPOINTs proving (stable seq, digest),
 *                 u16 n_p:  n_p × (u64 seq, u64 view, u8[32] digest) — P,
 *                 u16 n_q:  n_q × (u64 seq, u64 view, u8[32] digest) — Q
 *                                                                    sig
 *   VIEW-CHANGE-ACK  u64 view, u32 vc sender, u8[32] vc digest       auth(n)
 *   NEW-VIEW      u64 view, u16 n_v: n_v × (u32 replica, u8[32] vc digest),
 *                 u64 start seq (chosen checkpoint), u8[32] start digest,
 *                 u16 n_o: n_o × (u64 seq, u8[32] batch digest; all-zero
 *                 digest = null request)                             sig
 *   FETCH         u32 level, u64 index, u64 leaf offset, u64 want seq,
 *                 u32 replier                                        auth(n)
 *   META-DATA     u64 seq, u32 level, u64 index, u16 count:
 *                 count × (u64 index, u64 last-modified seq, u8[32] digest)
 *                                                                    MAC
 *   DATA          u64 seq, u64 index, u32 offset, u32 total, u32 len,
 *                 data[len] (offset + len ≤ total)                   MAC
 *   NEW-KEY       u64 epoch, u8[32] new X25519 public key            sig
 *                 flags: BFT_NK_RECOVERY, BFT_NK_WANT
 *   QUERY-STABLE  u64 nonce                                          auth(n)
 *   REPLY-STABLE  u64 nonce, u64 last checkpoint, u64 last prepared  MAC
 *
 * Limits (a count or length over its limit is BFT_E_LONG): PRE-PREPARE count
 * ≤ BFT_MAX_BATCH; VIEW-CHANGE n_cp ≤ BFT_MAX_REPLICAS, n_p and n_q ≤
 * BFT_MAX_VC_ENTRIES; NEW-VIEW n_v ≤ BFT_MAX_REPLICAS, n_o ≤
 * BFT_MAX_NV_ENTRIES; META-DATA count ≤ BFT_MAX_META_ENTRIES; op_len ≤
 * BFT_MAX_OP; result_len ≤ BFT_MAX_RESULT; DATA len ≤ BFT_MAX_DATA; the whole
 * message ≤ BFT_MAX_MSG.
 */
#ifndef BFT_MESSAGES_H
#define BFT_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "bft/crypto.h"

#define BFT_WIRE_VERSION 1
#define BFT_HDR_LEN 12

/* ---- named limits ---- */
#define BFT_MAX_MSG 65507u          /* one UDP datagram over IPv4 */
#define BFT_MAX_REPLICAS 64u        /* n = 3f+1 ≤ 64, so f ≤ 21 */
#define BFT_MAX_OP 61440u           /* request operation bytes (60 KiB) */
#define BFT_MAX_RESULT 61440u       /* reply result bytes (60 KiB) */
#define BFT_MAX_BATCH 64u           /* requests in one pre-prepare */
#define BFT_MAX_LOG_WINDOW 1024u    /* L: sequence numbers above h */
#define BFT_MAX_VC_ENTRIES 1024u    /* P or Q entries in a VIEW-CHANGE */
#define BFT_MAX_NV_ENTRIES 1024u    /* O entries in a NEW-VIEW */
#define BFT_MAX_META_ENTRIES 1024u  /* children in one META-DATA */
#define BFT_MAX_DATA 61440u         /* object bytes in one DATA */
#define BFT_REPLIER_ALL 0xffffffffu

enum bft_msg_type {
	BFT_MSG_REQUEST = 1,
	BFT_MSG_REPLY = 2,
	BFT_MSG_PRE_PREPARE = 3,
	BFT_MSG_PREPARE = 4,
	BFT_MSG_COMMIT = 5,
	BFT_MSG_CHECKPOINT = 6,
	BFT_MSG_STATUS = 7,
	BFT_MSG_VIEW_CHANGE = 8,
	BFT_MSG_VIEW_CHANGE_ACK = 9,
	BFT_MSG_NEW_VIEW = 10,
	BFT_MSG_FETCH = 11,
	BFT_MSG_META_DATA = 12,
	BFT_MSG_DATA = 13,
	BFT_MSG_NEW_KEY = 14,
	BFT_MSG_QUERY_STABLE = 15,
	BFT_MSG_REPLY_STABLE = 16,
	BFT_MSG_TYPE_MAX = 16,
};

/* Header flags. */
#define BFT_REQ_READ_ONLY 0x0001u
#define BFT_REQ_FLAGS_ALL 0x0001u
#define BFT_REP_TENTATIVE 0x0001u
#define BFT_REP_DIGEST 0x0002u
#define BFT_REP_READ_ONLY 0x0004u
#define BFT_REP_FLAGS_ALL 0x0007u
#define BFT_NK_RECOVERY 0x0001u  /* the sender is recovering: its old keys are
				    void at once, no grace */
#define BFT_NK_WANT 0x0002u      /* please send me your current NEW-KEY */
#define BFT_NK_FLAGS_ALL 0x0003u
#define BFT_STATUS_VIEW_CHANGING 0x0001u
#define BFT_STATUS_NEED_STATE 0x0002u
#define BFT_STATUS_RECOVERING 0x0004u /* proactive recovery under way */

/* Which trailer a message type carries. */
enum bft_trailer { BFT_TRAILER_AUTH, BFT_TRAILER_MAC, BFT_TRAILER_SIG };

/* Batch entry kinds. */
#define BFT_PP_INLINE 0
#define BFT_PP_DIGEST 1

struct bft_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t sender;
	uint32_t length;
};

struct bft_request {
	uint64_t timestamp;
	uint32_t replier;
	uint32_t op_len;
	const uint8_t *op;
};

struct bft_reply {
	uint64_t view;
	uint64_t timestamp;
	uint32_t client;
	uint32_t result_len;
	const uint8_t *result;
};

/* One request of a batch; for INLINE entries `raw` is a whole REQUEST message
 * (already decoded into `req`/`req_hdr`, not yet authenticated). */
struct bft_pp_entry {
	uint8_t kind;
	uint32_t client;
	uint64_t timestamp;
	uint16_t req_flags;
	uint8_t digest[BFT_DIGEST_LEN]; /* DIGEST: as sent; INLINE: computed */
	const uint8_t *raw;             /* INLINE only */
	uint32_t raw_len;
	struct bft_hdr req_hdr;         /* INLINE only */
	struct bft_request req;         /* INLINE only */
};

struct bft_pre_prepare {
	uint64_t view;
	uint64_t seq;
	uint64_t nondet;
	uint16_t count;
	struct bft_pp_entry entries[BFT_MAX_BATCH];
};

struct bft_prepare { /* also COMMIT */
	uint64_t view;
	uint64_t seq;
	uint8_t digest[BFT_DIGEST_LEN];
};

struct bft_checkpoint {
	uint64_t seq;
	uint8_t digest[BFT_DIGEST_LEN];
};

struct bft_status {
	uint64_t view;
	uint64_t stable;
	uint64_t last_exec;
	uint64_t last_prepared;
	uint32_t flags;
};

struct bft_vc_entry { /* a P or Q element, or an O element (view unused) */
	uint64_t seq;
	uint64_t view;
	uint8_t digest[BFT_DIGEST_LEN];
};

/* Variable-length arrays are left in wire form; iterate with the accessors
 * below (they cannot fail: the decoder has bounds-checked every element). */
struct bft_view_change {
	uint64_t new_view;
	uint64_t stable_seq;
	uint8_t stable_digest[BFT_DIGEST_LEN];
	uint16_t n_cp, n_p, n_q;
	const uint8_t *cp, *p, *q; /* wire arrays */
};

struct bft_view_change_ack {
	uint64_t view;
	uint32_t vc_sender;
	uint8_t vc_digest[BFT_DIGEST_LEN];
};

struct bft_new_view {
	uint64_t view;
	uint16_t n_v;
	const uint8_t *v;
	uint64_t start_seq;
	uint8_t start_digest[BFT_DIGEST_LEN];
	uint16_t n_o;
	const uint8_t *o;
};

struct bft_fetch {
	uint32_t level;
	uint64_t index;
	uint64_t offset;         /* leaf byte offset (0 for interior nodes) */
	uint64_t want_seq;
	uint32_t replier;
};

struct bft_meta_data {
	uint64_t seq;
	uint32_t level;
	uint64_t index;
	uint16_t count;
	const uint8_t *children; /* count × (u64 index, u64 lm, digest) */
};

struct bft_data {
	uint64_t seq;
	uint64_t index;
	uint32_t offset;         /* of data[] within the leaf */
	uint32_t total;          /* the leaf's whole length */
	uint32_t len;
	const uint8_t *data;
};

struct bft_new_key {
	uint16_t flags;          /* header flags: BFT_NK_* */
	uint64_t epoch;
	uint8_t dh_pub[BFT_KEY_LEN];
};

struct bft_query_stable {
	uint64_t nonce;
};

struct bft_reply_stable {
	uint64_t nonce;
	uint64_t last_checkpoint;
	uint64_t last_prepared;
};

/* A decoded message: header, the body of its type, and where the trailer is. */
struct bft_msg {
	struct bft_hdr hdr;
	const uint8_t *raw;      /* the whole message */
	uint32_t signed_len;     /* bytes covered by the trailer: header + body */
	const uint8_t *trailer;  /* authenticator, MAC or signature */
	uint32_t trailer_len;
	union {
		struct bft_request request;
		struct bft_reply reply;
		struct bft_pre_prepare pre_prepare;
		struct bft_prepare prepare; /* PREPARE and COMMIT */
		struct bft_checkpoint checkpoint;
		struct bft_status status;
		struct bft_view_change view_change;
		struct bft_view_change_ack vc_ack;
		struct bft_new_view new_view;
		struct bft_fetch fetch;
		struct bft_meta_data meta_data;
		struct bft_data data;
		struct bft_new_key new_key;
		struct bft_query_stable query_stable;
		struct bft_reply_stable reply_stable;
	} u;
};

/* ---- decoding ---- */

/* Trailer kind and length of a message type for n replicas; 0 if unknown. */
enum bft_trailer bft_msg_trailer(uint8_t type);
uint32_t bft_msg_trailer_len(uint8_t type, uint32_t n);

/* Decode buf[0..len) for a cluster of n replicas into *out. Returns BFT_OK or
 * BFT_E_SHORT / _LONG / _TYPE / _VERSION / _LENGTH / _FIELD. For PRE-PREPARE
 * it decodes every inline REQUEST too and computes its digest. */
int bft_msg_decode(const uint8_t *buf, size_t len, uint32_t n, struct bft_msg *out);

/* Element i (< count) of the decoded arrays. */
void bft_vc_cp(const struct bft_view_change *vc, unsigned i, uint32_t *replica,
	       const uint8_t **sig);
void bft_vc_p(const struct bft_view_change *vc, unsigned i, struct bft_vc_entry *e);
void bft_vc_q(const struct bft_view_change *vc, unsigned i, struct bft_vc_entry *e);
void bft_nv_v(const struct bft_new_view *nv, unsigned i, uint32_t *replica,
	      uint8_t digest[BFT_DIGEST_LEN]);
void bft_nv_o(const struct bft_new_view *nv, unsigned i, struct bft_vc_entry *e);
void bft_meta_child(const struct bft_meta_data *md, unsigned i, uint64_t *index,
		    uint64_t *last_modified, uint8_t digest[BFT_DIGEST_LEN]);

/* ---- digests ---- */

/* Request digest: SHA-256(u32 client || u64 timestamp || u16 flags || op).
 * It names the operation, independent of the replier field and the
 * authenticator, so retransmissions and digest-only batch entries agree. */
void bft_request_digest(uint32_t client, uint64_t timestamp, uint16_t flags,
			const uint8_t *op, uint32_t op_len,
			uint8_t out[BFT_DIGEST_LEN]);

/* Batch digest (the d of PRE-PREPARE/PREPARE/COMMIT):
 * SHA-256(u64 nondet || u16 count || count × request digest). */
void bft_batch_digest(const struct bft_pre_prepare *pp, uint8_t out[BFT_DIGEST_LEN]);

/* ---- encoding ----
 *
 * A writer fills a caller-provided buffer (normally BFT_MAX_MSG bytes). Begin
 * with the header, append body fields; w->len is then the number of signed
 * bytes. The caller appends the trailer with bft_w_bytes() (or reserves it
 * with bft_w_reserve()) and calls bft_w_seal() to patch the final length.
 * Overflow is sticky: every call after an overflow does nothing and
 * bft_w_error() reports BFT_E_SPACE (bft_w_seal() then returns 0).
 */
struct bft_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void bft_w_init(struct bft_writer *w, uint8_t *buf, size_t cap);
void bft_w_hdr(struct bft_writer *w, uint8_t type, uint16_t flags, uint32_t sender);
void bft_w_u8(struct bft_writer *w, uint8_t v);
void bft_w_u16(struct bft_writer *w, uint16_t v);
void bft_w_u32(struct bft_writer *w, uint32_t v);
void bft_w_u64(struct bft_writer *w, uint64_t v);
void bft_w_bytes(struct bft_writer *w, const void *p, size_t len);
/* Reserve len bytes, returning where they are (NULL on overflow). */
uint8_t *bft_w_reserve(struct bft_writer *w, size_t len);
/* Set the header's length field to the current length (call after the
 * trailer too); returns the current length. */
size_t bft_w_seal(struct bft_writer *w);
int bft_w_error(const struct bft_writer *w);

/* Whole-message encoders for the fixed-shape bodies. Each writes header and
 * body, reserves the trailer for n replicas, seals, and returns the total
 * length (or a negative BFT_E_* code). *trailer points at the reserved
 * trailer, which the caller fills (the signed bytes are buf[0..len-trailer)). */
int bft_encode_request(uint8_t *buf, size_t cap, uint32_t n, uint32_t client,
		       uint16_t flags, const struct bft_request *r, uint8_t **trailer);
int bft_encode_reply(uint8_t *buf, size_t cap, uint32_t replica, uint16_t flags,
		     const struct bft_reply *r, uint8_t **trailer);
int bft_encode_prepare(uint8_t *buf, size_t cap, uint32_t n, uint8_t type,
		       uint32_t replica, const struct bft_prepare *p, uint8_t **trailer);
int bft_encode_checkpoint(uint8_t *buf, size_t cap, uint32_t replica,
			  const struct bft_checkpoint *c, uint8_t **trailer);
int bft_encode_status(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
		      const struct bft_status *s, uint8_t **trailer);
int bft_encode_vc_ack(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
		      const struct bft_view_change_ack *a, uint8_t **trailer);
int bft_encode_fetch(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
		     const struct bft_fetch *f, uint8_t **trailer);
int bft_encode_data(uint8_t *buf, size_t cap, uint32_t replica,
		    const struct bft_data *d, uint8_t **trailer);
int bft_encode_new_key(uint8_t *buf, size_t cap, uint32_t replica,
		       const struct bft_new_key *k, uint8_t **trailer);
int bft_encode_query_stable(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
			    const struct bft_query_stable *q, uint8_t **trailer);
int bft_encode_reply_stable(uint8_t *buf, size_t cap, uint32_t replica,
			    const struct bft_reply_stable *r, uint8_t **trailer);
/* PRE-PREPARE from pp->entries (INLINE entries copy raw/raw_len; DIGEST
 * entries write client, timestamp, req_flags, digest). */
int bft_encode_pre_prepare(uint8_t *buf, size_t cap, uint32_t n, uint32_t primary,
			   const struct bft_pre_prepare *pp, uint8_t **trailer);
/* VIEW-CHANGE: cp_sigs is n_cp × (u32 replica, sig) already in wire form is
 * not assumed — pass arrays. */
int bft_encode_view_change(uint8_t *buf, size_t cap, uint32_t replica,
			   const struct bft_view_change *vc,
			   const uint32_t *cp_replicas, const uint8_t (*cp_sigs)[BFT_SIG_LEN],
			   const struct bft_vc_entry *p, const struct bft_vc_entry *q,
			   uint8_t **trailer);
int bft_encode_new_view(uint8_t *buf, size_t cap, uint32_t replica,
			const struct bft_new_view *nv, const uint32_t *v_replicas,
			const uint8_t (*v_digests)[BFT_DIGEST_LEN],
			const struct bft_vc_entry *o, uint8_t **trailer);
int bft_encode_meta_data(uint8_t *buf, size_t cap, uint32_t replica,
			 const struct bft_meta_data *md, const uint64_t *indices,
			 const uint64_t *last_modified,
			 const uint8_t (*digests)[BFT_DIGEST_LEN], uint8_t **trailer);

/* Name of a message type ("PRE-PREPARE"), for logs; "UNKNOWN" otherwise. */
const char *bft_msg_type_name(uint8_t type);

#endif
