/*
 * test_codec.c — unit tests of the PBFT message codec (bft/codec,
 * API and wire format in bft/include/bft/messages.h).
 *
 * Every message type (20 samples covering all 16 types, with and without
 * optional parts) is encoded for n ∈ {1, 4, 7, 64}, checked against sizes
 * computed from the documented layout, decoded, compared field by field, and
 * re-encoded from the decoded form to the same signed bytes. Two messages are
 * also compared with hand-written golden bytes, and the two digests with
 * values computed independently (Python hashlib). Then every rejection path:
 * each truncation length (with the length field left alone and patched),
 * length-field mismatches, version, type, n out of range, header and entry
 * flags, trailing bytes, every count and length just over its limit, malformed
 * nested INLINE requests, encoder overflow at every capacity (and no write
 * past cap), and the sticky writer overflow.
 *
 * Never: pass because a value was compared with itself — expected values are
 * the constants the samples were built from or were computed another way.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "bft/messages.h"

/* ---- helpers ---- */

static uint8_t buf[BFT_MAX_MSG + 64];
static uint8_t buf2[BFT_MAX_MSG + 64];
static uint8_t big[2 * BFT_MAX_MSG];
static struct bft_msg m, m2;

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint8_t *dig(uint8_t seed)
{
	static uint8_t d[8][BFT_DIGEST_LEN];
	static unsigned k;
	uint8_t *p = d[k++ % 8];

	pattern(p, BFT_DIGEST_LEN, seed);
	return p;
}

static void unhex(const char *s, uint8_t *out, size_t len)
{
	ck_assert_uint_eq(strlen(s), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static const uint32_t ns[] = { 1, 4, 7, 64 };
#define N_NS (sizeof(ns) / sizeof(ns[0]))

/* ---- the samples ---- */

enum sample {
	S_REQUEST, S_REQUEST_EMPTY, S_REPLY, S_REPLY_DIGEST, S_PP_NULL, S_PP,
	S_PREPARE, S_COMMIT, S_CHECKPOINT, S_STATUS, S_VC, S_VC_EMPTY, S_VC_ACK,
	S_NV, S_FETCH, S_META, S_DATA, S_NEW_KEY, S_QUERY_STABLE, S_REPLY_STABLE,
	NSAMPLES
};

static const uint8_t sample_type[NSAMPLES] = {
	BFT_MSG_REQUEST, BFT_MSG_REQUEST, BFT_MSG_REPLY, BFT_MSG_REPLY,
	BFT_MSG_PRE_PREPARE, BFT_MSG_PRE_PREPARE, BFT_MSG_PREPARE, BFT_MSG_COMMIT,
	BFT_MSG_CHECKPOINT, BFT_MSG_STATUS, BFT_MSG_VIEW_CHANGE, BFT_MSG_VIEW_CHANGE,
	BFT_MSG_VIEW_CHANGE_ACK, BFT_MSG_NEW_VIEW, BFT_MSG_FETCH, BFT_MSG_META_DATA,
	BFT_MSG_DATA, BFT_MSG_NEW_KEY, BFT_MSG_QUERY_STABLE, BFT_MSG_REPLY_STABLE,
};

static const uint8_t sample_sender[NSAMPLES] = {
	9, 10, 3, 2, 0, 1, 2, 3, 1, 2, 3, 0, 1, 1, 2, 0, 0, 2, 3, 0,
};

#define TS 0x0102030405060708ull
#define NONDET 0x1122334455667788ull
#define NONCE 0xdeadbeefcafebabeull
static const uint8_t OP[] = { 'h', 'e', 'l', 'l', 'o' };
static const uint8_t RESULT[] = "result bytes";
static const uint8_t DATA[40] = "object bytes of a state partition leaf";

/* Inline requests of the S_PP sample (encoded for the n in use). */
static uint8_t req_a[2048], req_b[2048];
static int req_a_len, req_b_len;

static uint32_t trailer_for(uint8_t type, uint32_t n)
{
	switch (type) {
	case BFT_MSG_REPLY: case BFT_MSG_META_DATA: case BFT_MSG_DATA:
	case BFT_MSG_REPLY_STABLE:
		return BFT_MAC_LEN;
	case BFT_MSG_CHECKPOINT: case BFT_MSG_VIEW_CHANGE: case BFT_MSG_NEW_VIEW:
	case BFT_MSG_NEW_KEY:
		return BFT_SIG_LEN;
	default:
		return n * BFT_MAC_LEN;
	}
}

/* Body sizes written out from the layouts in messages.h. */
static size_t sample_body_len(int s)
{
	switch (s) {
	case S_REQUEST: return 8 + 4 + 4 + sizeof(OP);
	case S_REQUEST_EMPTY: return 8 + 4 + 4;
	case S_REPLY: return 8 + 8 + 4 + 4 + sizeof(RESULT);
	case S_REPLY_DIGEST: return 8 + 8 + 4 + 4 + 32;
	case S_PP_NULL: return 8 + 8 + 8 + 2;
	case S_PP: return 8 + 8 + 8 + 2 + (1 + 4 + (size_t)req_a_len) +
			  (1 + 4 + 8 + 1 + 32) + (1 + 4 + (size_t)req_b_len);
	case S_PREPARE: case S_COMMIT: return 8 + 8 + 32;
	case S_CHECKPOINT: return 8 + 32;
	case S_STATUS: return 4 * 8 + 4;
	case S_VC: return 8 + 8 + 32 + 2 + 3 * (4 + 64) + 2 + 2 * 48 + 2 + 1 * 48;
	case S_VC_EMPTY: return 8 + 8 + 32 + 2 + 2 + 2;
	case S_VC_ACK: return 8 + 4 + 32;
	case S_NV: return 8 + 2 + 3 * (4 + 32) + 8 + 32 + 2 + 2 * (8 + 32);
	case S_FETCH: return 4 + 8 + 8 + 8 + 4;
	case S_META: return 8 + 4 + 8 + 2 + 3 * (8 + 8 + 32);
	case S_DATA: return 8 + 8 + 8 + 4 + sizeof(DATA);
	case S_NEW_KEY: return 8 + 32;
	case S_QUERY_STABLE: return 8;
	case S_REPLY_STABLE: return 8 + 8 + 8;
	}
	return 0;
}

static const uint32_t cp_replicas[3] = { 0, 1, 2 };
static uint8_t cp_sigs[3][BFT_SIG_LEN];
static struct bft_vc_entry vc_p[2], vc_q[1], nv_o[2];
static const uint32_t v_replicas[3] = { 0, 2, 3 };
static uint8_t v_digests[3][BFT_DIGEST_LEN];
static const uint64_t meta_idx[3] = { 0, 1, 2 };
static const uint64_t meta_lm[3] = { 100, 101, 102 };
static uint8_t meta_dig[3][BFT_DIGEST_LEN];

static void init_arrays(void)
{
	for (int i = 0; i < 3; i++) {
		pattern(cp_sigs[i], BFT_SIG_LEN, (uint8_t)(0x80 + i));
		pattern(v_digests[i], BFT_DIGEST_LEN, (uint8_t)(0xB0 + i));
		pattern(meta_dig[i], BFT_DIGEST_LEN, (uint8_t)(0xC0 + i));
	}
	vc_p[0] = (struct bft_vc_entry){ .seq = 129, .view = 4 };
	pattern(vc_p[0].digest, BFT_DIGEST_LEN, 0x90);
	vc_p[1] = (struct bft_vc_entry){ .seq = 130, .view = 4 };
	pattern(vc_p[1].digest, BFT_DIGEST_LEN, 0x91);
	vc_q[0] = (struct bft_vc_entry){ .seq = 131, .view = 3 };
	pattern(vc_q[0].digest, BFT_DIGEST_LEN, 0x92);
	nv_o[0] = (struct bft_vc_entry){ .seq = 129, .view = 0 };
	pattern(nv_o[0].digest, BFT_DIGEST_LEN, 0x90);
	nv_o[1] = (struct bft_vc_entry){ .seq = 130, .view = 0 }; /* null request */
}

static int encode_sample(int s, uint8_t *b, size_t cap, uint32_t n, uint8_t **tr);

static void make_inline_requests(uint32_t n)
{
	uint8_t *t;

	req_a_len = encode_sample(S_REQUEST, req_a, sizeof(req_a), n, &t);
	ck_assert_int_gt(req_a_len, 0);
	pattern(t, n * BFT_MAC_LEN, 0x11);
	req_b_len = encode_sample(S_REQUEST_EMPTY, req_b, sizeof(req_b), n, &t);
	ck_assert_int_gt(req_b_len, 0);
	pattern(t, n * BFT_MAC_LEN, 0x22);
}

static void pp_sample(struct bft_pre_prepare *pp)
{
	memset(pp, 0, sizeof(*pp));
	pp->view = 2;
	pp->seq = 3;
	pp->nondet = NONDET;
	pp->count = 3;
	pp->entries[0].kind = BFT_PP_INLINE;
	pp->entries[0].raw = req_a;
	pp->entries[0].raw_len = (uint32_t)req_a_len;
	pp->entries[1].kind = BFT_PP_DIGEST;
	pp->entries[1].client = 11;
	pp->entries[1].timestamp = 77;
	pp->entries[1].req_flags = BFT_REQ_READ_ONLY;
	pattern(pp->entries[1].digest, BFT_DIGEST_LEN, 0x40);
	pp->entries[2].kind = BFT_PP_INLINE;
	pp->entries[2].raw = req_b;
	pp->entries[2].raw_len = (uint32_t)req_b_len;
}

static struct bft_pre_prepare pp_tmp;

static int encode_sample(int s, uint8_t *b, size_t cap, uint32_t n, uint8_t **tr)
{
	uint8_t snd = sample_sender[s];

	switch (s) {
	case S_REQUEST: {
		struct bft_request r = { .timestamp = TS, .replier = 2, .op_len = sizeof(OP), .op = OP };
		return bft_encode_request(b, cap, n, snd, BFT_REQ_READ_ONLY, &r, tr);
	}
	case S_REQUEST_EMPTY: {
		struct bft_request r = { .timestamp = 1, .replier = BFT_REPLIER_ALL };
		return bft_encode_request(b, cap, n, snd, 0, &r, tr);
	}
	case S_REPLY: {
		struct bft_reply r = { .view = 5, .timestamp = TS, .client = 9,
				       .result_len = sizeof(RESULT), .result = RESULT };
		return bft_encode_reply(b, cap, snd, BFT_REP_TENTATIVE | BFT_REP_READ_ONLY, &r, tr);
	}
	case S_REPLY_DIGEST: {
		struct bft_reply r = { .view = 6, .timestamp = TS + 1, .client = 10,
				       .result_len = 32, .result = dig(0x33) };
		return bft_encode_reply(b, cap, snd, BFT_REP_DIGEST, &r, tr);
	}
	case S_PP_NULL: {
		memset(&pp_tmp, 0, sizeof(pp_tmp));
		pp_tmp.view = 7;
		pp_tmp.seq = 8;
		pp_tmp.nondet = 99;
		return bft_encode_pre_prepare(b, cap, n, snd, &pp_tmp, tr);
	}
	case S_PP:
		pp_sample(&pp_tmp);
		return bft_encode_pre_prepare(b, cap, n, snd, &pp_tmp, tr);
	case S_PREPARE: case S_COMMIT: {
		struct bft_prepare p = { .view = 2, .seq = 3 };

		pattern(p.digest, 32, 0x50);
		return bft_encode_prepare(b, cap, n, sample_type[s], snd, &p, tr);
	}
	case S_CHECKPOINT: {
		struct bft_checkpoint c = { .seq = 128 };

		pattern(c.digest, 32, 0x60);
		return bft_encode_checkpoint(b, cap, snd, &c, tr);
	}
	case S_STATUS: {
		struct bft_status st = { .view = 4, .stable = 128, .last_exec = 130,
					 .last_prepared = 131, .flags = 0xffffffffu };
		return bft_encode_status(b, cap, n, snd, &st, tr);
	}
	case S_VC: {
		struct bft_view_change vc = { .new_view = 5, .stable_seq = 128,
					      .n_cp = 3, .n_p = 2, .n_q = 1 };

		pattern(vc.stable_digest, 32, 0x70);
		return bft_encode_view_change(b, cap, snd, &vc, cp_replicas,
					      (const uint8_t (*)[BFT_SIG_LEN])cp_sigs,
					      vc_p, vc_q, tr);
	}
	case S_VC_EMPTY: {
		struct bft_view_change vc = { .new_view = 1 };

		return bft_encode_view_change(b, cap, snd, &vc, NULL, NULL, NULL, NULL, tr);
	}
	case S_VC_ACK: {
		struct bft_view_change_ack a = { .view = 5, .vc_sender = 3 };

		pattern(a.vc_digest, 32, 0xA0);
		return bft_encode_vc_ack(b, cap, n, snd, &a, tr);
	}
	case S_NV: {
		struct bft_new_view nv = { .view = 5, .n_v = 3, .start_seq = 128, .n_o = 2 };

		pattern(nv.start_digest, 32, 0x70);
		return bft_encode_new_view(b, cap, snd, &nv, v_replicas,
					   (const uint8_t (*)[BFT_DIGEST_LEN])v_digests, nv_o, tr);
	}
	case S_FETCH: {
		struct bft_fetch f = { .level = 1, .index = 17, .offset = 64,
				       .want_seq = 128, .replier = 0 };
		return bft_encode_fetch(b, cap, n, snd, &f, tr);
	}
	case S_META: {
		struct bft_meta_data md = { .seq = 128, .level = 1, .index = 2, .count = 3 };

		return bft_encode_meta_data(b, cap, snd, &md, meta_idx, meta_lm,
					    (const uint8_t (*)[BFT_DIGEST_LEN])meta_dig, tr);
	}
	case S_DATA: {
		struct bft_data d = { .seq = 128, .index = 5, .offset = 120, .total = 120 + sizeof(DATA) + 7,
				      .len = sizeof(DATA), .data = DATA };
		return bft_encode_data(b, cap, snd, &d, tr);
	}
	case S_NEW_KEY: {
		struct bft_new_key k = { .epoch = 3 };

		pattern(k.dh_pub, 32, 0xD0);
		return bft_encode_new_key(b, cap, snd, &k, tr);
	}
	case S_QUERY_STABLE: {
		struct bft_query_stable q = { .nonce = NONCE };

		return bft_encode_query_stable(b, cap, n, snd, &q, tr);
	}
	case S_REPLY_STABLE: {
		struct bft_reply_stable r = { .nonce = NONCE, .last_checkpoint = 128,
					      .last_prepared = 133 };
		return bft_encode_reply_stable(b, cap, snd, &r, tr);
	}
	}
	return BFT_E_INVAL;
}

/* Encodes sample s into buf for n and fills its trailer; returns the length. */
static size_t build(int s, uint32_t n)
{
	uint8_t *tr = NULL;
	int len;

	init_arrays();
	make_inline_requests(n);
	memset(buf, 0xEE, sizeof(buf));
	len = encode_sample(s, buf, BFT_MAX_MSG, n, &tr);
	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq((size_t)len, BFT_HDR_LEN + sample_body_len(s) +
			  trailer_for(sample_type[s], n));
	ck_assert_ptr_eq(tr, buf + len - trailer_for(sample_type[s], n));
	for (uint32_t i = 0; i < trailer_for(sample_type[s], n); i++)
		ck_assert_uint_eq(tr[i], 0); /* reserved trailers are zeroed */
	pattern(tr, trailer_for(sample_type[s], n), 0xA5);
	ck_assert_uint_eq(buf[len], 0xEE); /* nothing written past the end */
	return (size_t)len;
}

/* ---- field-by-field comparison with the sample constants ---- */

static void check_request_a(const struct bft_hdr *h, const struct bft_request *r)
{
	ck_assert_uint_eq(h->sender, 9);
	ck_assert_uint_eq(h->flags, BFT_REQ_READ_ONLY);
	ck_assert_uint_eq(r->timestamp, TS);
	ck_assert_uint_eq(r->replier, 2);
	ck_assert_uint_eq(r->op_len, sizeof(OP));
	ck_assert_mem_eq(r->op, OP, sizeof(OP));
}

static void check_request_b(const struct bft_hdr *h, const struct bft_request *r)
{
	ck_assert_uint_eq(h->sender, 10);
	ck_assert_uint_eq(h->flags, 0);
	ck_assert_uint_eq(r->timestamp, 1);
	ck_assert_uint_eq(r->replier, BFT_REPLIER_ALL);
	ck_assert_uint_eq(r->op_len, 0);
}

static void check_fields(int s, const struct bft_msg *d, size_t len)
{
	uint8_t want[BFT_DIGEST_LEN], got[BFT_DIGEST_LEN];

	switch (s) {
	case S_REQUEST:
		check_request_a(&d->hdr, &d->u.request);
		ck_assert_ptr_eq(d->u.request.op, buf + BFT_HDR_LEN + 16);
		break;
	case S_REQUEST_EMPTY:
		check_request_b(&d->hdr, &d->u.request);
		break;
	case S_REPLY:
		ck_assert_uint_eq(d->hdr.flags, BFT_REP_TENTATIVE | BFT_REP_READ_ONLY);
		ck_assert_uint_eq(d->u.reply.view, 5);
		ck_assert_uint_eq(d->u.reply.timestamp, TS);
		ck_assert_uint_eq(d->u.reply.client, 9);
		ck_assert_uint_eq(d->u.reply.result_len, sizeof(RESULT));
		ck_assert_mem_eq(d->u.reply.result, RESULT, sizeof(RESULT));
		break;
	case S_REPLY_DIGEST:
		ck_assert_uint_eq(d->hdr.flags, BFT_REP_DIGEST);
		ck_assert_uint_eq(d->u.reply.view, 6);
		ck_assert_uint_eq(d->u.reply.timestamp, TS + 1);
		ck_assert_uint_eq(d->u.reply.client, 10);
		ck_assert_uint_eq(d->u.reply.result_len, 32);
		ck_assert_mem_eq(d->u.reply.result, dig(0x33), 32);
		break;
	case S_PP_NULL:
		ck_assert_uint_eq(d->u.pre_prepare.view, 7);
		ck_assert_uint_eq(d->u.pre_prepare.seq, 8);
		ck_assert_uint_eq(d->u.pre_prepare.nondet, 99);
		ck_assert_uint_eq(d->u.pre_prepare.count, 0);
		break;
	case S_PP: {
		const struct bft_pre_prepare *pp = &d->u.pre_prepare;
		const struct bft_pp_entry *e;

		ck_assert_uint_eq(pp->view, 2);
		ck_assert_uint_eq(pp->seq, 3);
		ck_assert_uint_eq(pp->nondet, NONDET);
		ck_assert_uint_eq(pp->count, 3);
		e = &pp->entries[0];
		ck_assert_uint_eq(e->kind, BFT_PP_INLINE);
		ck_assert_uint_eq(e->raw_len, (uint32_t)req_a_len);
		ck_assert_ptr_eq(e->raw, buf + BFT_HDR_LEN + 26 + 5);
		ck_assert_mem_eq(e->raw, req_a, (size_t)req_a_len);
		check_request_a(&e->req_hdr, &e->req);
		ck_assert_uint_eq(e->req_hdr.type, BFT_MSG_REQUEST);
		ck_assert_uint_eq(e->req_hdr.length, (uint32_t)req_a_len);
		ck_assert_uint_eq(e->client, 9);
		ck_assert_uint_eq(e->timestamp, TS);
		ck_assert_uint_eq(e->req_flags, BFT_REQ_READ_ONLY);
		bft_request_digest(9, TS, BFT_REQ_READ_ONLY, OP, sizeof(OP), want);
		ck_assert_mem_eq(e->digest, want, 32);
		ck_assert(e->req.op >= e->raw && e->req.op + e->req.op_len <= e->raw + e->raw_len);
		e = &pp->entries[1];
		ck_assert_uint_eq(e->kind, BFT_PP_DIGEST);
		ck_assert_uint_eq(e->client, 11);
		ck_assert_uint_eq(e->timestamp, 77);
		ck_assert_uint_eq(e->req_flags, BFT_REQ_READ_ONLY);
		ck_assert_mem_eq(e->digest, dig(0x40), 32);
		ck_assert_ptr_null(e->raw);
		ck_assert_uint_eq(e->raw_len, 0);
		e = &pp->entries[2];
		ck_assert_uint_eq(e->kind, BFT_PP_INLINE);
		ck_assert_uint_eq(e->raw_len, (uint32_t)req_b_len);
		ck_assert_mem_eq(e->raw, req_b, (size_t)req_b_len);
		check_request_b(&e->req_hdr, &e->req);
		ck_assert_uint_eq(e->client, 10);
		ck_assert_uint_eq(e->timestamp, 1);
		ck_assert_uint_eq(e->req_flags, 0);
		bft_request_digest(10, 1, 0, NULL, 0, want);
		ck_assert_mem_eq(e->digest, want, 32);
		ck_assert(e->raw + e->raw_len == buf + len - d->trailer_len);
		break;
	}
	case S_PREPARE: case S_COMMIT:
		ck_assert_uint_eq(d->u.prepare.view, 2);
		ck_assert_uint_eq(d->u.prepare.seq, 3);
		ck_assert_mem_eq(d->u.prepare.digest, dig(0x50), 32);
		break;
	case S_CHECKPOINT:
		ck_assert_uint_eq(d->u.checkpoint.seq, 128);
		ck_assert_mem_eq(d->u.checkpoint.digest, dig(0x60), 32);
		break;
	case S_STATUS:
		ck_assert_uint_eq(d->u.status.view, 4);
		ck_assert_uint_eq(d->u.status.stable, 128);
		ck_assert_uint_eq(d->u.status.last_exec, 130);
		ck_assert_uint_eq(d->u.status.last_prepared, 131);
		ck_assert_uint_eq(d->u.status.flags, 0xffffffffu);
		break;
	case S_VC: {
		const struct bft_view_change *vc = &d->u.view_change;
		struct bft_vc_entry e;
		uint32_t rep;
		const uint8_t *sig;

		ck_assert_uint_eq(vc->new_view, 5);
		ck_assert_uint_eq(vc->stable_seq, 128);
		ck_assert_mem_eq(vc->stable_digest, dig(0x70), 32);
		ck_assert_uint_eq(vc->n_cp, 3);
		ck_assert_uint_eq(vc->n_p, 2);
		ck_assert_uint_eq(vc->n_q, 1);
		for (unsigned i = 0; i < 3; i++) {
			bft_vc_cp(vc, i, &rep, &sig);
			ck_assert_uint_eq(rep, cp_replicas[i]);
			ck_assert_mem_eq(sig, cp_sigs[i], BFT_SIG_LEN);
			ck_assert(sig > buf && sig + BFT_SIG_LEN <= buf + d->signed_len);
		}
		for (unsigned i = 0; i < 2; i++) {
			bft_vc_p(vc, i, &e);
			ck_assert_uint_eq(e.seq, vc_p[i].seq);
			ck_assert_uint_eq(e.view, vc_p[i].view);
			ck_assert_mem_eq(e.digest, vc_p[i].digest, 32);
		}
		bft_vc_q(vc, 0, &e);
		ck_assert_uint_eq(e.seq, 131);
		ck_assert_uint_eq(e.view, 3);
		ck_assert_mem_eq(e.digest, vc_q[0].digest, 32);
		break;
	}
	case S_VC_EMPTY:
		ck_assert_uint_eq(d->u.view_change.new_view, 1);
		ck_assert_uint_eq(d->u.view_change.stable_seq, 0);
		ck_assert_uint_eq(d->u.view_change.n_cp + d->u.view_change.n_p +
				  d->u.view_change.n_q, 0);
		break;
	case S_VC_ACK:
		ck_assert_uint_eq(d->u.vc_ack.view, 5);
		ck_assert_uint_eq(d->u.vc_ack.vc_sender, 3);
		ck_assert_mem_eq(d->u.vc_ack.vc_digest, dig(0xA0), 32);
		break;
	case S_NV: {
		const struct bft_new_view *nv = &d->u.new_view;
		struct bft_vc_entry e;
		uint32_t rep;

		ck_assert_uint_eq(nv->view, 5);
		ck_assert_uint_eq(nv->n_v, 3);
		ck_assert_uint_eq(nv->start_seq, 128);
		ck_assert_mem_eq(nv->start_digest, dig(0x70), 32);
		ck_assert_uint_eq(nv->n_o, 2);
		for (unsigned i = 0; i < 3; i++) {
			bft_nv_v(nv, i, &rep, got);
			ck_assert_uint_eq(rep, v_replicas[i]);
			ck_assert_mem_eq(got, v_digests[i], 32);
		}
		for (unsigned i = 0; i < 2; i++) {
			bft_nv_o(nv, i, &e);
			ck_assert_uint_eq(e.seq, nv_o[i].seq);
			ck_assert_uint_eq(e.view, 0);
			ck_assert_mem_eq(e.digest, nv_o[i].digest, 32);
		}
		break;
	}
	case S_FETCH:
		ck_assert_uint_eq(d->u.fetch.level, 1);
		ck_assert_uint_eq(d->u.fetch.index, 17);
		ck_assert_uint_eq(d->u.fetch.offset, 64);
		ck_assert_uint_eq(d->u.fetch.want_seq, 128);
		ck_assert_uint_eq(d->u.fetch.replier, 0);
		break;
	case S_META: {
		uint64_t idx, lm;

		ck_assert_uint_eq(d->u.meta_data.seq, 128);
		ck_assert_uint_eq(d->u.meta_data.level, 1);
		ck_assert_uint_eq(d->u.meta_data.index, 2);
		ck_assert_uint_eq(d->u.meta_data.count, 3);
		for (unsigned i = 0; i < 3; i++) {
			bft_meta_child(&d->u.meta_data, i, &idx, &lm, got);
			ck_assert_uint_eq(idx, meta_idx[i]);
			ck_assert_uint_eq(lm, meta_lm[i]);
			ck_assert_mem_eq(got, meta_dig[i], 32);
		}
		break;
	}
	case S_DATA:
		ck_assert_uint_eq(d->u.data.seq, 128);
		ck_assert_uint_eq(d->u.data.index, 5);
		ck_assert_uint_eq(d->u.data.offset, 120);
		ck_assert_uint_eq(d->u.data.total, 120 + sizeof(DATA) + 7);
		ck_assert_uint_eq(d->u.data.len, sizeof(DATA));
		ck_assert_mem_eq(d->u.data.data, DATA, sizeof(DATA));
		break;
	case S_NEW_KEY:
		ck_assert_uint_eq(d->u.new_key.epoch, 3);
		ck_assert_mem_eq(d->u.new_key.dh_pub, dig(0xD0), 32);
		break;
	case S_QUERY_STABLE:
		ck_assert_uint_eq(d->u.query_stable.nonce, NONCE);
		break;
	case S_REPLY_STABLE:
		ck_assert_uint_eq(d->u.reply_stable.nonce, NONCE);
		ck_assert_uint_eq(d->u.reply_stable.last_checkpoint, 128);
		ck_assert_uint_eq(d->u.reply_stable.last_prepared, 133);
		break;
	default:
		ck_abort_msg("no such sample");
	}
}

/* Re-encodes a decoded message from its decoded form (every type has an encoder). */
static int reencode(const struct bft_msg *d, uint32_t n, uint8_t *out, size_t cap)
{
	static uint32_t reps[BFT_MAX_REPLICAS];
	static uint8_t sigs[BFT_MAX_REPLICAS][BFT_SIG_LEN];
	static uint8_t digs[BFT_MAX_META_ENTRIES][BFT_DIGEST_LEN];
	static struct bft_vc_entry e1[BFT_MAX_VC_ENTRIES], e2[BFT_MAX_VC_ENTRIES];
	static uint64_t idx[BFT_MAX_META_ENTRIES], lm[BFT_MAX_META_ENTRIES];
	const uint8_t *sig;
	uint32_t snd = d->hdr.sender;
	unsigned i;

	switch (d->hdr.type) {
	case BFT_MSG_REQUEST:
		return bft_encode_request(out, cap, n, snd, d->hdr.flags, &d->u.request, NULL);
	case BFT_MSG_REPLY:
		return bft_encode_reply(out, cap, snd, d->hdr.flags, &d->u.reply, NULL);
	case BFT_MSG_PRE_PREPARE:
		return bft_encode_pre_prepare(out, cap, n, snd, &d->u.pre_prepare, NULL);
	case BFT_MSG_PREPARE: case BFT_MSG_COMMIT:
		return bft_encode_prepare(out, cap, n, d->hdr.type, snd, &d->u.prepare, NULL);
	case BFT_MSG_CHECKPOINT:
		return bft_encode_checkpoint(out, cap, snd, &d->u.checkpoint, NULL);
	case BFT_MSG_STATUS:
		return bft_encode_status(out, cap, n, snd, &d->u.status, NULL);
	case BFT_MSG_VIEW_CHANGE:
		for (i = 0; i < d->u.view_change.n_cp; i++) {
			bft_vc_cp(&d->u.view_change, i, &reps[i], &sig);
			memcpy(sigs[i], sig, BFT_SIG_LEN);
		}
		for (i = 0; i < d->u.view_change.n_p; i++)
			bft_vc_p(&d->u.view_change, i, &e1[i]);
		for (i = 0; i < d->u.view_change.n_q; i++)
			bft_vc_q(&d->u.view_change, i, &e2[i]);
		return bft_encode_view_change(out, cap, snd, &d->u.view_change, reps,
					      (const uint8_t (*)[BFT_SIG_LEN])sigs, e1, e2, NULL);
	case BFT_MSG_VIEW_CHANGE_ACK:
		return bft_encode_vc_ack(out, cap, n, snd, &d->u.vc_ack, NULL);
	case BFT_MSG_NEW_VIEW:
		for (i = 0; i < d->u.new_view.n_v; i++)
			bft_nv_v(&d->u.new_view, i, &reps[i], digs[i]);
		for (i = 0; i < d->u.new_view.n_o; i++)
			bft_nv_o(&d->u.new_view, i, &e1[i]);
		return bft_encode_new_view(out, cap, snd, &d->u.new_view, reps,
					   (const uint8_t (*)[BFT_DIGEST_LEN])digs, e1, NULL);
	case BFT_MSG_FETCH:
		return bft_encode_fetch(out, cap, n, snd, &d->u.fetch, NULL);
	case BFT_MSG_META_DATA:
		for (i = 0; i < d->u.meta_data.count; i++)
			bft_meta_child(&d->u.meta_data, i, &idx[i], &lm[i], digs[i]);
		return bft_encode_meta_data(out, cap, snd, &d->u.meta_data, idx, lm,
					    (const uint8_t (*)[BFT_DIGEST_LEN])digs, NULL);
	case BFT_MSG_DATA:
		return bft_encode_data(out, cap, snd, &d->u.data, NULL);
	case BFT_MSG_NEW_KEY:
		return bft_encode_new_key(out, cap, snd, &d->u.new_key, NULL);
	case BFT_MSG_QUERY_STABLE:
		return bft_encode_query_stable(out, cap, n, snd, &d->u.query_stable, NULL);
	case BFT_MSG_REPLY_STABLE:
		return bft_encode_reply_stable(out, cap, snd, &d->u.reply_stable, NULL);
	}
	return BFT_E_TYPE;
}

/* ---- round trips ---- */

START_TEST(roundtrip_every_type)
{
	int s = _i;

	for (size_t k = 0; k < N_NS; k++) {
		uint32_t n = ns[k];
		size_t len = build(s, n);
		uint32_t tlen = trailer_for(sample_type[s], n);
		int len2;

		memset(&m, 0x5A, sizeof(m));
		ck_assert_int_eq(bft_msg_decode(buf, len, n, &m), BFT_OK);
		ck_assert_uint_eq(m.hdr.version, BFT_WIRE_VERSION);
		ck_assert_uint_eq(m.hdr.type, sample_type[s]);
		ck_assert_uint_eq(m.hdr.sender, sample_sender[s]);
		ck_assert_uint_eq(m.hdr.length, len);
		ck_assert_ptr_eq(m.raw, buf);
		ck_assert_uint_eq(m.signed_len, len - tlen);
		ck_assert_uint_eq(m.trailer_len, tlen);
		ck_assert_uint_eq(bft_msg_trailer_len(sample_type[s], n), tlen);
		ck_assert_ptr_eq(m.trailer, buf + len - tlen);
		for (uint32_t i = 0; i < tlen; i++)
			ck_assert_uint_eq(m.trailer[i], (uint8_t)(0xA5 + 7 * i));
		check_fields(s, &m, len);

		/* Re-encoding the decoded form reproduces the signed bytes. */
		memset(buf2, 0, sizeof(buf2));
		len2 = reencode(&m, n, buf2, sizeof(buf2));
		ck_assert_int_eq(len2, (int)len);
		ck_assert_mem_eq(buf2, buf, m.signed_len);
	}
}
END_TEST

/* The wire format byte by byte, written out by hand from messages.h. */
START_TEST(golden_request_and_prepare)
{
	static const char req_hex[] =
		"01" "01" "0100" "09000000" "2e000000"          /* header, length 46 */
		"0807060504030201" "02000000" "02000000" "6162" /* ts, replier, op_len, op */
		"00000000000000000000000000000000";             /* auth, n = 1 */
	static const char prep_hex[] =
		"01" "04" "0000" "02000000" "4c000000"          /* header, length 76 */
		"0500000000000000" "0301000000000000"
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"00000000000000000000000000000000";
	uint8_t want[128];
	struct bft_request r = { .timestamp = TS, .replier = 2, .op_len = 2,
				 .op = (const uint8_t *)"ab" };
	struct bft_prepare p = { .view = 5, .seq = 0x103 };

	unhex(req_hex, want, 46);
	ck_assert_int_eq(bft_encode_request(buf, sizeof(buf), 1, 9, BFT_REQ_READ_ONLY, &r, NULL), 46);
	ck_assert_mem_eq(buf, want, 46);

	for (int i = 0; i < 32; i++)
		p.digest[i] = (uint8_t)i;
	unhex(prep_hex, want, 76);
	ck_assert_int_eq(bft_encode_prepare(buf, sizeof(buf), 1, BFT_MSG_PREPARE, 2, &p, NULL), 76);
	ck_assert_mem_eq(buf, want, 76);
	ck_assert_int_eq(bft_msg_decode(want, 76, 1, &m), BFT_OK);
	ck_assert_uint_eq(m.u.prepare.seq, 0x103);
}
END_TEST

/* A message built field by field with the writer equals the encoder's. */
START_TEST(writer_builds_same_bytes)
{
	struct bft_writer w;
	struct bft_checkpoint c = { .seq = 42 };
	uint8_t *t;
	size_t len;

	pattern(c.digest, 32, 3);
	ck_assert_int_eq(bft_encode_checkpoint(buf2, sizeof(buf2), 1, &c, NULL), 12 + 40 + 64);
	bft_w_init(&w, buf, sizeof(buf));
	bft_w_hdr(&w, BFT_MSG_CHECKPOINT, 0, 1);
	bft_w_u64(&w, 42);
	bft_w_bytes(&w, c.digest, 32);
	ck_assert_uint_eq(w.len, 52); /* the signed bytes */
	t = bft_w_reserve(&w, BFT_SIG_LEN);
	ck_assert_ptr_eq(t, buf + 52);
	len = bft_w_seal(&w);
	ck_assert_uint_eq(len, 116);
	ck_assert_int_eq(bft_w_error(&w), BFT_OK);
	ck_assert_mem_eq(buf, buf2, 116);
	ck_assert_uint_eq(get32(buf + 8), 116);
}
END_TEST

START_TEST(writer_little_endian)
{
	struct bft_writer w;
	static const uint8_t want[] = {
		0x01, 0x07, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0,
		0xab, 0xcd, 0xab, 0x67, 0x45, 0x23, 0x01,
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
	};

	bft_w_init(&w, buf, sizeof(buf));
	bft_w_hdr(&w, 7, 0x1234, 0x12345678);
	bft_w_u8(&w, 0xab);
	bft_w_u16(&w, 0xabcd);
	bft_w_u32(&w, 0x01234567);
	bft_w_u64(&w, 0x0123456789abcdefull);
	ck_assert_uint_eq(w.len, sizeof(want));
	/* 0xabcd is stored cd ab */
	ck_assert_uint_eq(buf[13], 0xcd);
	ck_assert_uint_eq(buf[14], 0xab);
	buf[13] = 0xab;
	buf[14] = 0xcd;
	ck_assert_mem_eq(buf, want, 12 + 1);
	ck_assert_mem_eq(buf + 15, want + 15, sizeof(want) - 15);
	ck_assert_uint_eq(bft_w_seal(&w), sizeof(want));
	ck_assert_uint_eq(get32(buf + 8), sizeof(want));
}
END_TEST

START_TEST(writer_overflow_is_sticky)
{
	struct bft_writer w;
	uint8_t small[32];

	memset(small, 0xEE, sizeof(small));
	bft_w_init(&w, small, 13);
	bft_w_hdr(&w, BFT_MSG_PREPARE, 0, 1);
	ck_assert_int_eq(bft_w_error(&w), BFT_OK);
	ck_assert_uint_eq(w.len, 12);
	bft_w_u16(&w, 0x1234); /* does not fit */
	ck_assert_int_eq(bft_w_error(&w), BFT_E_SPACE);
	ck_assert_uint_eq(w.len, 12);
	ck_assert_uint_eq(small[12], 0xEE);
	bft_w_u8(&w, 0x55); /* would fit, but the overflow is sticky */
	ck_assert_uint_eq(w.len, 12);
	ck_assert_uint_eq(small[12], 0xEE);
	bft_w_bytes(&w, "x", 1);
	bft_w_u32(&w, 1);
	bft_w_u64(&w, 1);
	bft_w_hdr(&w, 1, 0, 0);
	ck_assert_ptr_null(bft_w_reserve(&w, 0));
	ck_assert_ptr_null(bft_w_reserve(&w, 1));
	ck_assert_uint_eq(w.len, 12);
	ck_assert_uint_eq(small[12], 0xEE);
	ck_assert_uint_eq(bft_w_seal(&w), 0);
	ck_assert_uint_eq(get32(small + 8), 0); /* not patched */
	ck_assert_int_eq(bft_w_error(&w), BFT_E_SPACE);

	/* A header does not fit at all: nothing written. */
	memset(small, 0xEE, sizeof(small));
	bft_w_init(&w, small, 11);
	bft_w_hdr(&w, BFT_MSG_PREPARE, 0, 1);
	ck_assert_int_eq(bft_w_error(&w), BFT_E_SPACE);
	ck_assert_uint_eq(w.len, 0);
	ck_assert_uint_eq(small[0], 0xEE);

	/* Exactly full is not an overflow; one more byte is. */
	bft_w_init(&w, small, 12);
	bft_w_hdr(&w, BFT_MSG_PREPARE, 0, 1);
	ck_assert_ptr_nonnull(bft_w_reserve(&w, 0));
	ck_assert_int_eq(bft_w_error(&w), BFT_OK);
	ck_assert_uint_eq(bft_w_seal(&w), 12);
	bft_w_u8(&w, 1);
	ck_assert_int_eq(bft_w_error(&w), BFT_E_SPACE);

	/* Sealing without a whole header is refused. */
	bft_w_init(&w, small, sizeof(small));
	bft_w_u32(&w, 1);
	ck_assert_uint_eq(bft_w_seal(&w), 0);
	ck_assert_int_ne(bft_w_error(&w), BFT_OK);
}
END_TEST

START_TEST(writer_reserve_zeroes)
{
	struct bft_writer w;
	uint8_t *p;

	memset(buf, 0xEE, 64);
	bft_w_init(&w, buf, 64);
	bft_w_hdr(&w, BFT_MSG_QUERY_STABLE, 0, 0);
	p = bft_w_reserve(&w, 20);
	ck_assert_ptr_eq(p, buf + 12);
	for (int i = 0; i < 20; i++)
		ck_assert_uint_eq(p[i], 0);
	ck_assert_uint_eq(buf[32], 0xEE);
}
END_TEST

START_TEST(writer_null_source)
{
	struct bft_writer w;

	bft_w_init(&w, buf, sizeof(buf));
	bft_w_hdr(&w, BFT_MSG_QUERY_STABLE, 0, 0);
	bft_w_bytes(&w, NULL, 0); /* nothing to copy: fine */
	ck_assert_int_eq(bft_w_error(&w), BFT_OK);
	bft_w_bytes(&w, NULL, 8);
	ck_assert_int_eq(bft_w_error(&w), BFT_E_INVAL);
	ck_assert_uint_eq(w.len, 12);
	bft_w_u64(&w, 1); /* sticky */
	ck_assert_uint_eq(w.len, 12);
	ck_assert_uint_eq(bft_w_seal(&w), 0);
}
END_TEST

/* ---- rejection paths common to every type ---- */

START_TEST(every_truncation_rejected)
{
	int s = _i;
	uint32_t n = 4;
	size_t len = build(s, n);

	memcpy(buf2, buf, len);
	for (size_t cut = 0; cut < len; cut++) {
		int err = bft_msg_decode(buf2, cut, n, &m);

		/* Header length no longer matches (or no whole header). */
		ck_assert_int_eq(err, cut < BFT_HDR_LEN ? BFT_E_SHORT : BFT_E_LENGTH);
		if (cut < BFT_HDR_LEN)
			continue;
		/* Same truncation with a consistent length field: a field,
		 * or the trailer, no longer fits. */
		put32(buf2 + 8, (uint32_t)cut);
		err = bft_msg_decode(buf2, cut, n, &m);
		ck_assert_msg(err == BFT_E_SHORT, "sample %d cut %zu: %d", s, cut, err);
		put32(buf2 + 8, (uint32_t)len);
	}
	ck_assert_int_eq(bft_msg_decode(buf2, len, n, &m), BFT_OK);
}
END_TEST

START_TEST(trailing_bytes_rejected)
{
	int s = _i;
	uint32_t n = 4;
	size_t len = build(s, n);
	uint32_t tlen = trailer_for(sample_type[s], n);

	/* Bytes after the message, length field unchanged. */
	ck_assert_int_eq(bft_msg_decode(buf, len + 1, n, &m), BFT_E_LENGTH);
	/* Garbage between body and trailer, length field consistent. */
	for (size_t extra = 1; extra <= 3; extra++) {
		memcpy(buf2, buf, len - tlen);
		memset(buf2 + len - tlen, 0, extra);
		memcpy(buf2 + len - tlen + extra, buf + len - tlen, tlen);
		put32(buf2 + 8, (uint32_t)(len + extra));
		ck_assert_int_eq(bft_msg_decode(buf2, len + extra, n, &m), BFT_E_LENGTH);
	}
}
END_TEST

START_TEST(length_field_mismatch)
{
	int s = _i;
	size_t len = build(s, 4);
	const uint32_t bad[] = { 0, 12, (uint32_t)len - 1, (uint32_t)len + 1,
				 BFT_MAX_MSG, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(buf + 8, bad[i]);
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LENGTH);
	}
	put32(buf + 8, (uint32_t)len);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
}
END_TEST

START_TEST(bad_version_and_type)
{
	int s = _i;
	size_t len = build(s, 4);
	const uint8_t versions[] = { 0, 2, 0xff };
	const uint8_t types[] = { 0, BFT_MSG_TYPE_MAX + 1, 0x80, 0xff };

	for (size_t i = 0; i < sizeof(versions); i++) {
		buf[0] = versions[i];
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_VERSION);
	}
	buf[0] = BFT_WIRE_VERSION;
	for (size_t i = 0; i < sizeof(types); i++) {
		buf[1] = types[i];
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_TYPE);
	}
}
END_TEST

START_TEST(n_out_of_range)
{
	int s = _i;
	size_t len = build(s, 4);
	const uint32_t bad[] = { 0, BFT_MAX_REPLICAS + 1, 1000, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(bft_msg_decode(buf, len, bad[i], &m), BFT_E_INVAL);
		ck_assert_int_eq(encode_sample(s, buf2, sizeof(buf2), bad[i], NULL),
				 bft_msg_trailer(sample_type[s]) == BFT_TRAILER_AUTH ?
				 BFT_E_INVAL : (int)len);
	}
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	ck_assert_int_eq(bft_msg_decode(NULL, len, 4, &m), BFT_E_INVAL);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, NULL), BFT_E_INVAL);
}
END_TEST

/* Authenticator sizes depend on n; MAC and signature trailers do not. */
START_TEST(decode_with_other_n)
{
	int s = _i;
	size_t len = build(s, 4);
	int err = bft_msg_decode(buf, len, 7, &m);

	if (bft_msg_trailer(sample_type[s]) == BFT_TRAILER_AUTH) {
		ck_assert_int_ne(err, BFT_OK);
		ck_assert_int_ne(bft_msg_decode(buf, len, 3, &m), BFT_OK);
	} else {
		ck_assert_int_eq(err, BFT_OK);
	}
}
END_TEST

START_TEST(header_flags_rejected)
{
	int s = _i;
	size_t len = build(s, 4);
	uint8_t type = sample_type[s];
	uint16_t base = (uint16_t)(buf[2] | buf[3] << 8);
	uint16_t allowed = type == BFT_MSG_REQUEST ? BFT_REQ_FLAGS_ALL :
			   type == BFT_MSG_REPLY ? BFT_REP_FLAGS_ALL :
			   type == BFT_MSG_NEW_KEY ? BFT_NK_FLAGS_ALL : 0;

	for (int bit = 0; bit < 16; bit++) {
		uint16_t f = (uint16_t)(base | 1u << bit);

		put16(buf + 2, f);
		if (allowed & (1u << bit)) {
			int err = bft_msg_decode(buf, len, 4, &m);

			/* A digest reply needs a 32-byte result. */
			if (type == BFT_MSG_REPLY && (1u << bit) == BFT_REP_DIGEST &&
			    s != S_REPLY_DIGEST)
				ck_assert_int_eq(err, BFT_E_FIELD);
			else
				ck_assert_int_eq(err, BFT_OK);
		} else {
			ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
		}
	}
}
END_TEST

/* The encoder fails with BFT_E_SPACE for every capacity below the size and
 * never writes past cap. */
START_TEST(encoder_space_every_capacity)
{
	int s = _i;
	size_t len = build(s, 4);

	for (size_t cap = 0; cap < len; cap++) {
		memset(buf2, 0xEE, len + 1);
		ck_assert_int_eq(encode_sample(s, buf2, cap, 4, NULL), BFT_E_SPACE);
		for (size_t i = cap; i <= len; i++)
			ck_assert_uint_eq(buf2[i], 0xEE);
	}
	ck_assert_int_eq(encode_sample(s, buf2, len, 4, NULL), (int)len);
	ck_assert_int_eq(encode_sample(s, NULL, len, 4, NULL), BFT_E_INVAL);
}
END_TEST

/* ---- type-specific rejections ---- */

START_TEST(short_and_long_datagrams)
{
	ck_assert_int_eq(bft_msg_decode(buf, 0, 4, &m), BFT_E_SHORT);
	ck_assert_int_eq(bft_msg_decode(buf, BFT_HDR_LEN - 1, 4, &m), BFT_E_SHORT);
	memset(big, 0, sizeof(big));
	big[0] = BFT_WIRE_VERSION;
	big[1] = BFT_MSG_DATA;
	put32(big + 8, BFT_MAX_MSG + 1);
	ck_assert_int_eq(bft_msg_decode(big, BFT_MAX_MSG + 1, 4, &m), BFT_E_LONG);
	/* A header with no room for the trailer. */
	put32(big + 8, BFT_HDR_LEN + BFT_MAC_LEN - 1);
	ck_assert_int_eq(bft_msg_decode(big, BFT_HDR_LEN + BFT_MAC_LEN - 1, 4, &m), BFT_E_SHORT);
}
END_TEST

START_TEST(request_op_limits)
{
	struct bft_request r = { .timestamp = 5, .replier = 1, .op = big };
	size_t off_oplen = BFT_HDR_LEN + 12;
	int len;

	memset(big, 0x61, sizeof(big));
	r.op_len = BFT_MAX_OP;
	len = bft_encode_request(buf, sizeof(buf), 4, 9, 0, &r, NULL);
	ck_assert_int_eq(len, (int)(BFT_HDR_LEN + 16 + BFT_MAX_OP + 64));
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	ck_assert_uint_eq(m.u.request.op_len, BFT_MAX_OP);

	r.op_len = BFT_MAX_OP + 1;
	ck_assert_int_eq(bft_encode_request(buf, sizeof(buf), 4, 9, 0, &r, NULL), BFT_E_LONG);

	/* Hand-built: op_len one over the limit with every byte present. */
	len += 1;
	memmove(buf + BFT_HDR_LEN + 16 + 1, buf + BFT_HDR_LEN + 16, (size_t)len - 1 - BFT_HDR_LEN - 16);
	put32(buf + off_oplen, BFT_MAX_OP + 1);
	put32(buf + 8, (uint32_t)len);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_LONG);

	/* op_len pointing past the body / absurd op_len. */
	len = bft_encode_request(buf, sizeof(buf), 4, 9, 0,
				 &(struct bft_request){ .op = OP, .op_len = 5 }, NULL);
	put32(buf + off_oplen, 6);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_SHORT);
	put32(buf + off_oplen, 4);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_LENGTH);
	put32(buf + off_oplen, 0xffffffffu);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_LONG);

	/* Encoder argument checks. */
	ck_assert_int_eq(bft_encode_request(buf, sizeof(buf), 4, 9, 0x2,
					    &(struct bft_request){ 0 }, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_request(buf, sizeof(buf), 4, 9, 0,
					    &(struct bft_request){ .op_len = 3 }, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_request(buf, sizeof(buf), 4, 9, 0, NULL, NULL), BFT_E_INVAL);
}
END_TEST

START_TEST(reply_limits_and_flags)
{
	struct bft_reply r = { .view = 1, .timestamp = 2, .client = 9, .result = big };
	size_t off_rlen = BFT_HDR_LEN + 20;
	int len;

	r.result_len = BFT_MAX_RESULT;
	len = bft_encode_reply(buf, sizeof(buf), 1, 0, &r, NULL);
	ck_assert_int_eq(len, (int)(BFT_HDR_LEN + 24 + BFT_MAX_RESULT + BFT_MAC_LEN));
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	r.result_len = BFT_MAX_RESULT + 1;
	ck_assert_int_eq(bft_encode_reply(buf, sizeof(buf), 1, 0, &r, NULL), BFT_E_LONG);
	/* Hand-built over-limit result_len. */
	r.result_len = BFT_MAX_RESULT;
	len = bft_encode_reply(buf, sizeof(buf), 1, 0, &r, NULL);
	buf[len] = 0;
	put32(buf + off_rlen, BFT_MAX_RESULT + 1);
	put32(buf + 8, (uint32_t)len + 1);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len + 1, 4, &m), BFT_E_LONG);

	/* Digest replies: result must be exactly 32 bytes. */
	r.result_len = 31;
	ck_assert_int_eq(bft_encode_reply(buf, sizeof(buf), 1, BFT_REP_DIGEST, &r, NULL), BFT_E_INVAL);
	r.result_len = 33;
	ck_assert_int_eq(bft_encode_reply(buf, sizeof(buf), 1, BFT_REP_DIGEST, &r, NULL), BFT_E_INVAL);
	len = bft_encode_reply(buf, sizeof(buf), 1, 0, &r, NULL);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	put16(buf + 2, BFT_REP_DIGEST);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_FIELD);
	r.result_len = 32;
	len = bft_encode_reply(buf, sizeof(buf), 1, BFT_REP_DIGEST | BFT_REP_TENTATIVE, &r, NULL);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	ck_assert_int_eq(bft_encode_reply(buf, sizeof(buf), 1, 0x8, &r, NULL), BFT_E_INVAL);
}
END_TEST

START_TEST(data_limits)
{
	struct bft_data d = { .seq = 1, .data = big };
	size_t off_len = BFT_HDR_LEN + 24;
	int len;

	d.len = BFT_MAX_DATA;
	d.total = BFT_MAX_DATA;
	len = bft_encode_data(buf, sizeof(buf), 0, &d, NULL);
	ck_assert_int_eq(len, (int)(BFT_HDR_LEN + 28 + BFT_MAX_DATA + BFT_MAC_LEN));
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	d.len = BFT_MAX_DATA + 1;
	ck_assert_int_eq(bft_encode_data(buf, sizeof(buf), 0, &d, NULL), BFT_E_LONG);
	d.len = BFT_MAX_DATA;
	len = bft_encode_data(buf, sizeof(buf), 0, &d, NULL);
	buf[len] = 0;
	put32(buf + off_len, BFT_MAX_DATA + 1);
	put32(buf + 8, (uint32_t)len + 1);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len + 1, 4, &m), BFT_E_LONG);

	/* A chunk must lie inside the leaf: offset + len <= total. */
	d.len = 100;
	d.offset = 50;
	d.total = 149;
	ck_assert_int_eq(bft_encode_data(buf, sizeof(buf), 0, &d, NULL), BFT_E_FIELD);
	d.total = 150;
	len = bft_encode_data(buf, sizeof(buf), 0, &d, NULL);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	put32(buf + BFT_HDR_LEN + 20, 149); /* total */
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_FIELD);
	put32(buf + BFT_HDR_LEN + 20, 0xffffffffu);
	put32(buf + BFT_HDR_LEN + 16, 0xffffffc0u); /* offset + len wraps */
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_E_FIELD);
}
END_TEST

/* Offsets inside the S_PP sample (n = 4). */
#define PP_COUNT_OFF (BFT_HDR_LEN + 24)
#define PP_E0_OFF (BFT_HDR_LEN + 26)

START_TEST(pre_prepare_count_limit)
{
	static struct bft_pre_prepare pp;
	size_t len = build(S_PP, 4);
	int l;

	/* Encoder: BFT_MAX_BATCH digest entries fit, one more does not. */
	memset(&pp, 0, sizeof(pp));
	pp.count = BFT_MAX_BATCH;
	for (unsigned i = 0; i < BFT_MAX_BATCH; i++) {
		pp.entries[i].kind = BFT_PP_DIGEST;
		pp.entries[i].client = 4 + i;
		pattern(pp.entries[i].digest, 32, (uint8_t)i);
	}
	l = bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp, NULL);
	ck_assert_int_eq(l, (int)(BFT_HDR_LEN + 26 + BFT_MAX_BATCH * 46 + 64));
	ck_assert_int_eq(bft_msg_decode(buf2, (size_t)l, 4, &m), BFT_OK);
	ck_assert_uint_eq(m.u.pre_prepare.count, BFT_MAX_BATCH);
	ck_assert_uint_eq(m.u.pre_prepare.entries[63].client, 4 + 63);
	pp.count = BFT_MAX_BATCH + 1;
	ck_assert_int_eq(bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp, NULL), BFT_E_LONG);

	/* Decoder: the count field over the limit is refused before the entries. */
	put16(buf + PP_COUNT_OFF, BFT_MAX_BATCH + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	put16(buf + PP_COUNT_OFF, 0xffff);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	/* Count larger/smaller than the entries present. */
	put16(buf + PP_COUNT_OFF, 4);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_SHORT);
	put16(buf + PP_COUNT_OFF, 2);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LENGTH);
	put16(buf + PP_COUNT_OFF, 3);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
}
END_TEST

START_TEST(pre_prepare_entry_kind_and_flags)
{
	size_t len = build(S_PP, 4);
	size_t e1 = PP_E0_OFF + 5 + (size_t)req_a_len; /* the DIGEST entry */
	const uint8_t kinds[] = { 2, 3, 0x80, 0xff };

	ck_assert_uint_eq(buf[e1], BFT_PP_DIGEST);
	for (size_t i = 0; i < sizeof(kinds); i++) {
		buf[PP_E0_OFF] = kinds[i];
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
		buf[PP_E0_OFF] = BFT_PP_INLINE;
		buf[e1] = kinds[i];
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
		buf[e1] = BFT_PP_DIGEST;
	}
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	/* The DIGEST entry's request flags byte. */
	for (int bit = 1; bit < 8; bit++) {
		buf[e1 + 13] = (uint8_t)(1u << bit);
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
	}
	buf[e1 + 13] = 0;
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	ck_assert_uint_eq(m.u.pre_prepare.entries[1].req_flags, 0);

	/* Encoder refuses what the decoder would. */
	pp_sample(&pp_tmp);
	pp_tmp.entries[1].kind = 2;
	ck_assert_int_eq(bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp_tmp, NULL), BFT_E_INVAL);
	pp_sample(&pp_tmp);
	pp_tmp.entries[1].req_flags = 0x100;
	ck_assert_int_eq(bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp_tmp, NULL), BFT_E_INVAL);
	pp_sample(&pp_tmp);
	pp_tmp.entries[0].raw = NULL;
	ck_assert_int_eq(bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp_tmp, NULL), BFT_E_INVAL);
	/* PRE-PREPARE header flags must be 0 (the encoder has none to pass). */
	put16(buf + 2, 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
}
END_TEST

/* A PRE-PREPARE with one INLINE entry whose bytes are raw[0..raw_len) and
 * whose entry length field says entry_len. */
static size_t pp_with_raw(const uint8_t *raw, size_t raw_len, uint32_t entry_len)
{
	struct bft_writer w;
	size_t len;

	bft_w_init(&w, buf, sizeof(buf));
	bft_w_hdr(&w, BFT_MSG_PRE_PREPARE, 0, 0);
	bft_w_u64(&w, 1);
	bft_w_u64(&w, 2);
	bft_w_u64(&w, 3);
	bft_w_u16(&w, 1);
	bft_w_u8(&w, BFT_PP_INLINE);
	bft_w_u32(&w, entry_len);
	bft_w_bytes(&w, raw, raw_len);
	bft_w_reserve(&w, 4 * BFT_MAC_LEN);
	len = bft_w_seal(&w);
	ck_assert_int_eq(bft_w_error(&w), BFT_OK);
	return len;
}

START_TEST(nested_request_malformed)
{
	static uint8_t raw[512];
	struct bft_request r = { .timestamp = 3, .replier = 0, .op_len = sizeof(OP), .op = OP };
	int rl = bft_encode_request(raw, sizeof(raw), 4, 20, 0, &r, NULL);
	size_t len;

	ck_assert_int_gt(rl, 0);
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	ck_assert_uint_eq(m.u.pre_prepare.entries[0].client, 20);

	/* Entry length larger than the nested request (extra byte inside). */
	raw[rl] = 0;
	len = pp_with_raw(raw, (size_t)rl + 1, (uint32_t)rl + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LENGTH);
	/* Entry length smaller than the nested request's length field. */
	len = pp_with_raw(raw, (size_t)rl - 1, (uint32_t)rl - 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LENGTH);
	/* Entry length pointing past the outer body. */
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_SHORT);
	len = pp_with_raw(raw, (size_t)rl, 0xffffffffu);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_SHORT);
	/* Entry too short to hold a header. */
	len = pp_with_raw(raw, 11, 11);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_SHORT);
	/* Nested version. */
	raw[0] = 2;
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_VERSION);
	raw[0] = BFT_WIRE_VERSION;
	/* Nested flags. */
	put16(raw + 2, 0x2);
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
	put16(raw + 2, 0);
	/* Nested op_len inconsistent with the nested length. */
	put32(raw + BFT_HDR_LEN + 12, sizeof(OP) + 1);
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_SHORT);
	put32(raw + BFT_HDR_LEN + 12, sizeof(OP) - 1);
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LENGTH);
	put32(raw + BFT_HDR_LEN + 12, sizeof(OP));
	/* Nested authenticator for another n. */
	rl = bft_encode_request(raw, sizeof(raw), 7, 20, 0, &r, NULL);
	len = pp_with_raw(raw, (size_t)rl, (uint32_t)rl);
	ck_assert_int_ne(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	/* The encoder refuses an INLINE entry that is not a valid request. */
	pp_sample(&pp_tmp);
	pp_tmp.count = 1;
	pp_tmp.entries[0].raw = raw;
	pp_tmp.entries[0].raw_len = (uint32_t)rl; /* n = 7 request, n = 4 batch */
	ck_assert_int_eq(bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp_tmp, NULL), BFT_E_INVAL);
	ck_assert_int_gt(bft_encode_pre_prepare(buf2, sizeof(buf2), 7, 0, &pp_tmp, NULL), 0);
}
END_TEST

START_TEST(nested_wrong_type)
{
	static uint8_t raw[512];
	static const int samples[] = { S_PREPARE, S_REPLY, S_PP_NULL, S_STATUS, S_CHECKPOINT };

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t rl = build(samples[i], 4), len;

		memcpy(raw, buf, rl);
		ck_assert_int_eq(bft_msg_decode(raw, rl, 4, &m), BFT_OK); /* valid on its own */
		len = pp_with_raw(raw, rl, (uint32_t)rl);
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_FIELD);
		/* Unknown nested type is not accepted either. */
		raw[1] = 0x7f;
		len = pp_with_raw(raw, rl, (uint32_t)rl);
		ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_TYPE);
		/* And the encoder refuses it as an INLINE entry. */
		raw[1] = sample_type[samples[i]];
		pp_sample(&pp_tmp);
		pp_tmp.count = 1;
		pp_tmp.entries[0].raw = raw;
		pp_tmp.entries[0].raw_len = (uint32_t)rl;
		ck_assert_int_eq(bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 0, &pp_tmp, NULL),
				 BFT_E_INVAL);
	}
}
END_TEST

/* The INLINE wire form carries no separate client field: the entry's client
 * is the nested request's sender, so a request relabelled with another
 * sender names another client and another digest (and its authenticator,
 * checked by the caller, no longer matches). */
START_TEST(nested_sender_is_the_client)
{
	size_t len = build(S_PP, 4);
	size_t a_sender = PP_E0_OFF + 5 + 4;
	uint8_t d_orig[32], want[32];

	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	memcpy(d_orig, m.u.pre_prepare.entries[0].digest, 32);
	ck_assert_uint_eq(m.u.pre_prepare.entries[0].client, 9);
	put32(buf + a_sender, 1234);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	ck_assert_uint_eq(m.u.pre_prepare.entries[0].client, 1234);
	ck_assert_uint_eq(m.u.pre_prepare.entries[0].req_hdr.sender, 1234);
	bft_request_digest(1234, TS, BFT_REQ_READ_ONLY, OP, sizeof(OP), want);
	ck_assert_mem_eq(m.u.pre_prepare.entries[0].digest, want, 32);
	ck_assert(memcmp(want, d_orig, 32) != 0);
}
END_TEST

START_TEST(pre_prepare_over_max_msg)
{
	static uint8_t ra[BFT_MAX_MSG], rb[BFT_MAX_MSG];
	struct bft_request r = { .timestamp = 1, .op = big, .op_len = 35000 };
	int la = bft_encode_request(ra, sizeof(ra), 4, 10, 0, &r, NULL);
	int lb = bft_encode_request(rb, sizeof(rb), 4, 11, 0, &r, NULL);

	ck_assert_int_gt(la, 0);
	ck_assert_int_gt(lb, 0);
	memset(&pp_tmp, 0, sizeof(pp_tmp));
	pp_tmp.count = 2;
	pp_tmp.entries[0] = (struct bft_pp_entry){ .kind = BFT_PP_INLINE, .raw = ra, .raw_len = (uint32_t)la };
	pp_tmp.entries[1] = (struct bft_pp_entry){ .kind = BFT_PP_INLINE, .raw = rb, .raw_len = (uint32_t)lb };
	ck_assert_int_eq(bft_encode_pre_prepare(big, sizeof(big), 4, 0, &pp_tmp, NULL), BFT_E_LONG);
	pp_tmp.count = 1;
	ck_assert_int_gt(bft_encode_pre_prepare(big, sizeof(big), 4, 0, &pp_tmp, NULL), 0);
}
END_TEST

START_TEST(view_change_limits)
{
	static struct bft_vc_entry many[BFT_MAX_VC_ENTRIES + 1];
	static uint32_t reps[BFT_MAX_REPLICAS + 1];
	static uint8_t sigs[BFT_MAX_REPLICAS + 1][BFT_SIG_LEN];
	struct bft_view_change vc = { .new_view = 1 };
	size_t len = build(S_VC, 4);
	size_t off_ncp = BFT_HDR_LEN + 48;
	size_t off_np = off_ncp + 2 + 3 * 68;
	size_t off_nq = off_np + 2 + 2 * 48;
	int l;

	ck_assert_uint_eq(buf[off_ncp], 3);
	ck_assert_uint_eq(buf[off_np], 2);
	ck_assert_uint_eq(buf[off_nq], 1);
	put16(buf + off_ncp, BFT_MAX_REPLICAS + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	put16(buf + off_ncp, 3);
	put16(buf + off_np, BFT_MAX_VC_ENTRIES + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	put16(buf + off_np, 2);
	put16(buf + off_nq, BFT_MAX_VC_ENTRIES + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	put16(buf + off_nq, 2);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_SHORT);
	put16(buf + off_nq, 0);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LENGTH);
	put16(buf + off_nq, 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);

	vc.n_cp = BFT_MAX_REPLICAS;
	l = bft_encode_view_change(buf, sizeof(buf), 0, &vc, reps,
				   (const uint8_t (*)[BFT_SIG_LEN])sigs, many, many, NULL);
	ck_assert_int_eq(l, (int)(BFT_HDR_LEN + 54 + BFT_MAX_REPLICAS * 68 + BFT_SIG_LEN));
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)l, 4, &m), BFT_OK);
	vc.n_cp = BFT_MAX_REPLICAS + 1;
	ck_assert_int_eq(bft_encode_view_change(buf, sizeof(buf), 0, &vc, reps,
						(const uint8_t (*)[BFT_SIG_LEN])sigs, many, many,
						NULL), BFT_E_LONG);
	vc.n_cp = 0;
	vc.n_p = BFT_MAX_VC_ENTRIES + 1;
	ck_assert_int_eq(bft_encode_view_change(buf, sizeof(buf), 0, &vc, NULL, NULL, many, many,
						NULL), BFT_E_LONG);
	vc.n_p = 0;
	vc.n_q = BFT_MAX_VC_ENTRIES + 1;
	ck_assert_int_eq(bft_encode_view_change(buf, sizeof(buf), 0, &vc, NULL, NULL, many, many,
						NULL), BFT_E_LONG);
	/* Within every count limit but over BFT_MAX_MSG as a whole. */
	vc.n_p = BFT_MAX_VC_ENTRIES;
	vc.n_q = BFT_MAX_VC_ENTRIES;
	ck_assert_int_eq(bft_encode_view_change(big, sizeof(big), 0, &vc, NULL, NULL, many, many,
						NULL), BFT_E_LONG);
	vc.n_q = 300;
	l = bft_encode_view_change(big, sizeof(big), 0, &vc, NULL, NULL, many, many, NULL);
	ck_assert_int_eq(l, (int)(BFT_HDR_LEN + 54 + 1324 * 48 + BFT_SIG_LEN));
	ck_assert_int_eq(bft_msg_decode(big, (size_t)l, 4, &m), BFT_OK);
	/* Missing arrays. */
	vc.n_q = 1;
	ck_assert_int_eq(bft_encode_view_change(buf, sizeof(buf), 0, &vc, NULL, NULL, many, NULL,
						NULL), BFT_E_INVAL);
}
END_TEST

START_TEST(new_view_and_meta_limits)
{
	static struct bft_vc_entry many[BFT_MAX_NV_ENTRIES + 1];
	static uint64_t idx[BFT_MAX_META_ENTRIES + 1];
	static uint8_t digs[BFT_MAX_META_ENTRIES + 1][BFT_DIGEST_LEN];
	static uint32_t reps[BFT_MAX_REPLICAS + 1];
	struct bft_new_view nv = { .view = 1 };
	struct bft_meta_data md = { .seq = 1 };
	size_t len = build(S_NV, 4);
	size_t off_nv = BFT_HDR_LEN + 8;
	size_t off_no = off_nv + 2 + 3 * 36 + 40;
	int l;

	put16(buf + off_nv, BFT_MAX_REPLICAS + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	put16(buf + off_nv, 3);
	put16(buf + off_no, BFT_MAX_NV_ENTRIES + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	put16(buf + off_no, 2);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);

	nv.n_o = BFT_MAX_NV_ENTRIES;
	l = bft_encode_new_view(buf, sizeof(buf), 0, &nv, NULL, NULL, many, NULL);
	ck_assert_int_eq(l, (int)(BFT_HDR_LEN + 52 + BFT_MAX_NV_ENTRIES * 40 + BFT_SIG_LEN));
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)l, 4, &m), BFT_OK);
	nv.n_o = BFT_MAX_NV_ENTRIES + 1;
	ck_assert_int_eq(bft_encode_new_view(buf, sizeof(buf), 0, &nv, NULL, NULL, many, NULL),
			 BFT_E_LONG);
	nv.n_o = 0;
	nv.n_v = BFT_MAX_REPLICAS + 1;
	ck_assert_int_eq(bft_encode_new_view(buf, sizeof(buf), 0, &nv, reps,
					     (const uint8_t (*)[BFT_DIGEST_LEN])digs, NULL, NULL),
			 BFT_E_LONG);

	len = build(S_META, 4);
	put16(buf + BFT_HDR_LEN + 20, BFT_MAX_META_ENTRIES + 1);
	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_E_LONG);
	md.count = BFT_MAX_META_ENTRIES;
	l = bft_encode_meta_data(buf, sizeof(buf), 0, &md, idx, idx,
				 (const uint8_t (*)[BFT_DIGEST_LEN])digs, NULL);
	ck_assert_int_eq(l, (int)(BFT_HDR_LEN + 22 + BFT_MAX_META_ENTRIES * 48 + BFT_MAC_LEN));
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)l, 4, &m), BFT_OK);
	md.count = BFT_MAX_META_ENTRIES + 1;
	ck_assert_int_eq(bft_encode_meta_data(buf, sizeof(buf), 0, &md, idx, idx,
					      (const uint8_t (*)[BFT_DIGEST_LEN])digs, NULL),
			 BFT_E_LONG);
}
END_TEST

START_TEST(encoder_bad_arguments)
{
	struct bft_prepare p = { 0 };

	ck_assert_int_eq(bft_encode_prepare(buf, sizeof(buf), 4, BFT_MSG_PRE_PREPARE, 0, &p, NULL),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_prepare(buf, sizeof(buf), 4, BFT_MSG_CHECKPOINT, 0, &p, NULL),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_prepare(buf, sizeof(buf), 4, BFT_MSG_PREPARE, 0, NULL, NULL),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_checkpoint(buf, sizeof(buf), 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_status(buf, sizeof(buf), 4, 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_vc_ack(buf, sizeof(buf), 4, 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_fetch(buf, sizeof(buf), 4, 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_data(buf, sizeof(buf), 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_data(buf, sizeof(buf), 0, &(struct bft_data){ .len = 1 }, NULL),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_new_key(buf, sizeof(buf), 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_query_stable(buf, sizeof(buf), 4, 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_reply_stable(buf, sizeof(buf), 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_reply(buf, sizeof(buf), 0, 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_pre_prepare(buf, sizeof(buf), 4, 0, NULL, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_view_change(buf, sizeof(buf), 0, NULL, NULL, NULL, NULL, NULL,
						NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_new_view(buf, sizeof(buf), 0, NULL, NULL, NULL, NULL, NULL),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_meta_data(buf, sizeof(buf), 0, NULL, NULL, NULL, NULL, NULL),
			 BFT_E_INVAL);
	ck_assert_int_eq(bft_encode_meta_data(buf, sizeof(buf), 0,
					      &(struct bft_meta_data){ .count = 1 }, NULL, NULL,
					      NULL, NULL), BFT_E_INVAL);
	/* n = 64 is the largest cluster and works. */
	ck_assert_int_eq(bft_encode_prepare(buf, sizeof(buf), BFT_MAX_REPLICAS, BFT_MSG_COMMIT, 0,
					    &p, NULL), (int)(BFT_HDR_LEN + 48 + 64 * BFT_MAC_LEN));
}
END_TEST

/* ---- digests ---- */

START_TEST(request_digest_known_answer)
{
	uint8_t want[32], got[32], manual[14 + 5];

	/* Python: sha256(struct.pack('<IQH', 9, 0x0102030405060708, 1) + b'hello') */
	unhex("5fd9d687e5968eb022e0a23293bf3b9329fad7b3ac6513eaf53f3cdc4aca63e7", want, 32);
	bft_request_digest(9, TS, 1, OP, sizeof(OP), got);
	ck_assert_mem_eq(got, want, 32);
	/* Same as SHA-256 over the documented concatenation. */
	put32(manual, 9);
	for (int i = 0; i < 8; i++)
		manual[4 + i] = (uint8_t)(TS >> (8 * i));
	put16(manual + 12, 1);
	memcpy(manual + 14, OP, 5);
	bft_sha256(manual, sizeof(manual), want);
	ck_assert_mem_eq(got, want, 32);
	/* Each input matters. */
	bft_request_digest(10, TS, 1, OP, sizeof(OP), want);
	ck_assert(memcmp(got, want, 32) != 0);
	bft_request_digest(9, TS + 1, 1, OP, sizeof(OP), want);
	ck_assert(memcmp(got, want, 32) != 0);
	bft_request_digest(9, TS, 0, OP, sizeof(OP), want);
	ck_assert(memcmp(got, want, 32) != 0);
	bft_request_digest(9, TS, 1, OP, sizeof(OP) - 1, want);
	ck_assert(memcmp(got, want, 32) != 0);
	/* Empty op: NULL and a real pointer agree. */
	bft_request_digest(9, TS, 1, NULL, 0, got);
	bft_request_digest(9, TS, 1, OP, 0, want);
	ck_assert_mem_eq(got, want, 32);
}
END_TEST

/* Two encodings of one request differing in replier and authenticator have
 * the same digest when carried INLINE. */
START_TEST(request_digest_independent_of_replier)
{
	static uint8_t ra[256], rb[256];
	struct bft_request r = { .timestamp = TS, .replier = 1, .op_len = sizeof(OP), .op = OP };
	uint8_t *ta, *tb, want[32];
	int la, lb, len;

	la = bft_encode_request(ra, sizeof(ra), 4, 9, BFT_REQ_READ_ONLY, &r, &ta);
	r.replier = BFT_REPLIER_ALL;
	lb = bft_encode_request(rb, sizeof(rb), 4, 9, BFT_REQ_READ_ONLY, &r, &tb);
	ck_assert_int_eq(la, lb);
	pattern(ta, 64, 1);
	pattern(tb, 64, 2);
	ck_assert(memcmp(ra, rb, (size_t)la) != 0);
	memset(&pp_tmp, 0, sizeof(pp_tmp));
	pp_tmp.count = 2;
	pp_tmp.entries[0] = (struct bft_pp_entry){ .kind = BFT_PP_INLINE, .raw = ra, .raw_len = (uint32_t)la };
	pp_tmp.entries[1] = (struct bft_pp_entry){ .kind = BFT_PP_INLINE, .raw = rb, .raw_len = (uint32_t)lb };
	len = bft_encode_pre_prepare(buf, sizeof(buf), 4, 0, &pp_tmp, NULL);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(bft_msg_decode(buf, (size_t)len, 4, &m), BFT_OK);
	ck_assert_uint_eq(m.u.pre_prepare.entries[0].req.replier, 1);
	ck_assert_uint_eq(m.u.pre_prepare.entries[1].req.replier, BFT_REPLIER_ALL);
	ck_assert_mem_eq(m.u.pre_prepare.entries[0].digest, m.u.pre_prepare.entries[1].digest, 32);
	bft_request_digest(9, TS, BFT_REQ_READ_ONLY, OP, sizeof(OP), want);
	ck_assert_mem_eq(m.u.pre_prepare.entries[0].digest, want, 32);
}
END_TEST

START_TEST(batch_digest_known_answer_and_sensitivity)
{
	static struct bft_pre_prepare pp;
	uint8_t want[32], base[32], got[32];

	/* Python: r = sha256(pack('<IQH', 9, TS, 1) + b'hello');
	 * sha256(pack('<QH', 0x1122334455667788, 2) + r + bytes(range(32))) */
	memset(&pp, 0, sizeof(pp));
	pp.nondet = NONDET;
	pp.count = 2;
	bft_request_digest(9, TS, 1, OP, sizeof(OP), pp.entries[0].digest);
	for (int i = 0; i < 32; i++)
		pp.entries[1].digest[i] = (uint8_t)i;
	unhex("9ffd0841f92cd3268752e3a61036a17c8b8cdfa57ed4f907c2f3abfbcdc0a9df", want, 32);
	bft_batch_digest(&pp, got);
	ck_assert_mem_eq(got, want, 32);

	/* Full batch: each entry, nondet, count and order change the digest. */
	pp.count = BFT_MAX_BATCH;
	for (unsigned i = 0; i < BFT_MAX_BATCH; i++)
		pattern(pp.entries[i].digest, 32, (uint8_t)(3 * i));
	bft_batch_digest(&pp, base);
	for (unsigned i = 0; i < BFT_MAX_BATCH; i++) {
		for (unsigned bit = 0; bit < 256; bit += 37) {
			pp.entries[i].digest[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			bft_batch_digest(&pp, got);
			ck_assert(memcmp(got, base, 32) != 0);
			pp.entries[i].digest[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	bft_batch_digest(&pp, got);
	ck_assert_mem_eq(got, base, 32);
	pp.nondet ^= 1;
	bft_batch_digest(&pp, got);
	ck_assert(memcmp(got, base, 32) != 0);
	pp.nondet ^= 1;
	pp.nondet ^= 1ull << 63;
	bft_batch_digest(&pp, got);
	ck_assert(memcmp(got, base, 32) != 0);
	pp.nondet ^= 1ull << 63;
	pp.count = BFT_MAX_BATCH - 1;
	bft_batch_digest(&pp, got);
	ck_assert(memcmp(got, base, 32) != 0);
	pp.count = BFT_MAX_BATCH;
	memcpy(want, pp.entries[0].digest, 32);
	memcpy(pp.entries[0].digest, pp.entries[1].digest, 32);
	memcpy(pp.entries[1].digest, want, 32);
	bft_batch_digest(&pp, got);
	ck_assert(memcmp(got, base, 32) != 0);
	/* Fields other than the digests do not enter the batch digest. */
	memcpy(pp.entries[1].digest, pp.entries[0].digest, 32);
	memcpy(pp.entries[0].digest, want, 32);
	pp.view = 99;
	pp.seq = 99;
	pp.entries[0].client = 77;
	bft_batch_digest(&pp, got);
	ck_assert_mem_eq(got, base, 32);
	/* The null request (count 0) has a digest too, depending on nondet. */
	pp.count = 0;
	bft_batch_digest(&pp, got);
	pp.nondet++;
	bft_batch_digest(&pp, want);
	ck_assert(memcmp(got, want, 32) != 0);
}
END_TEST

/* The digest computed by the decoder for a decoded batch equals the one of
 * the same batch with DIGEST entries. */
START_TEST(batch_digest_inline_equals_digest_entries)
{
	static struct bft_pre_prepare pp2;
	uint8_t d1[32], d2[32];
	size_t len = build(S_PP, 4);

	ck_assert_int_eq(bft_msg_decode(buf, len, 4, &m), BFT_OK);
	bft_batch_digest(&m.u.pre_prepare, d1);
	memset(&pp2, 0, sizeof(pp2));
	pp2.nondet = NONDET;
	pp2.count = 3;
	for (int i = 0; i < 3; i++) {
		const struct bft_pp_entry *e = &m.u.pre_prepare.entries[i];

		pp2.entries[i].kind = BFT_PP_DIGEST;
		pp2.entries[i].client = e->client;
		pp2.entries[i].timestamp = e->timestamp;
		pp2.entries[i].req_flags = e->req_flags;
		memcpy(pp2.entries[i].digest, e->digest, 32);
	}
	len = (size_t)bft_encode_pre_prepare(buf2, sizeof(buf2), 4, 1, &pp2, NULL);
	ck_assert_int_eq(bft_msg_decode(buf2, len, 4, &m2), BFT_OK);
	bft_batch_digest(&m2.u.pre_prepare, d2);
	ck_assert_mem_eq(d1, d2, 32);
}
END_TEST

/* ---- names and trailers ---- */

START_TEST(names_and_trailers)
{
	static const char *const names[] = {
		"UNKNOWN", "REQUEST", "REPLY", "PRE-PREPARE", "PREPARE", "COMMIT",
		"CHECKPOINT", "STATUS", "VIEW-CHANGE", "VIEW-CHANGE-ACK", "NEW-VIEW",
		"FETCH", "META-DATA", "DATA", "NEW-KEY", "QUERY-STABLE", "REPLY-STABLE",
	};

	for (unsigned t = 0; t <= BFT_MSG_TYPE_MAX; t++)
		ck_assert_str_eq(bft_msg_type_name((uint8_t)t), names[t]);
	ck_assert_str_eq(bft_msg_type_name(BFT_MSG_TYPE_MAX + 1), "UNKNOWN");
	ck_assert_str_eq(bft_msg_type_name(255), "UNKNOWN");

	for (unsigned t = 1; t <= BFT_MSG_TYPE_MAX; t++) {
		uint32_t want4 = trailer_for((uint8_t)t, 4);

		ck_assert_uint_eq(bft_msg_trailer_len((uint8_t)t, 4), want4);
		ck_assert_uint_eq(bft_msg_trailer_len((uint8_t)t, 64), trailer_for((uint8_t)t, 64));
		ck_assert_int_eq(bft_msg_trailer((uint8_t)t),
				 want4 == 64 && trailer_for((uint8_t)t, 7) == 64 ? BFT_TRAILER_SIG :
				 want4 == BFT_MAC_LEN ? BFT_TRAILER_MAC : BFT_TRAILER_AUTH);
	}
	ck_assert_uint_eq(bft_msg_trailer_len(0, 4), 0);
	ck_assert_uint_eq(bft_msg_trailer_len(BFT_MSG_TYPE_MAX + 1, 4), 0);
	ck_assert_uint_eq(bft_msg_trailer_len(BFT_MSG_PREPARE, 0), 0);
	ck_assert_uint_eq(bft_msg_trailer_len(BFT_MSG_PREPARE, BFT_MAX_REPLICAS + 1), 0);
	ck_assert_uint_eq(bft_msg_trailer_len(BFT_MSG_CHECKPOINT, 0), BFT_SIG_LEN);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *rt = tcase_create("roundtrip");
	TCase *rej = tcase_create("reject");
	TCase *typ = tcase_create("types");
	TCase *wr = tcase_create("writer");
	TCase *dg = tcase_create("digests");

	tcase_add_loop_test(rt, roundtrip_every_type, 0, NSAMPLES);
	tcase_add_test(rt, golden_request_and_prepare);
	tcase_add_test(rt, names_and_trailers);
	suite_add_tcase(s, rt);

	tcase_add_loop_test(rej, every_truncation_rejected, 0, NSAMPLES);
	tcase_add_loop_test(rej, trailing_bytes_rejected, 0, NSAMPLES);
	tcase_add_loop_test(rej, length_field_mismatch, 0, NSAMPLES);
	tcase_add_loop_test(rej, bad_version_and_type, 0, NSAMPLES);
	tcase_add_loop_test(rej, n_out_of_range, 0, NSAMPLES);
	tcase_add_loop_test(rej, decode_with_other_n, 0, NSAMPLES);
	tcase_add_loop_test(rej, header_flags_rejected, 0, NSAMPLES);
	tcase_add_loop_test(rej, encoder_space_every_capacity, 0, NSAMPLES);
	suite_add_tcase(s, rej);

	tcase_add_test(typ, short_and_long_datagrams);
	tcase_add_test(typ, request_op_limits);
	tcase_add_test(typ, reply_limits_and_flags);
	tcase_add_test(typ, data_limits);
	tcase_add_test(typ, pre_prepare_count_limit);
	tcase_add_test(typ, pre_prepare_entry_kind_and_flags);
	tcase_add_test(typ, nested_request_malformed);
	tcase_add_test(typ, nested_wrong_type);
	tcase_add_test(typ, nested_sender_is_the_client);
	tcase_add_test(typ, pre_prepare_over_max_msg);
	tcase_add_test(typ, view_change_limits);
	tcase_add_test(typ, new_view_and_meta_limits);
	tcase_add_test(typ, encoder_bad_arguments);
	suite_add_tcase(s, typ);

	tcase_add_test(wr, writer_builds_same_bytes);
	tcase_add_test(wr, writer_little_endian);
	tcase_add_test(wr, writer_overflow_is_sticky);
	tcase_add_test(wr, writer_reserve_zeroes);
	tcase_add_test(wr, writer_null_source);
	suite_add_tcase(s, wr);

	tcase_add_test(dg, request_digest_known_answer);
	tcase_add_test(dg, request_digest_independent_of_replier);
	tcase_add_test(dg, batch_digest_known_answer_and_sensitivity);
	tcase_add_test(dg, batch_digest_inline_equals_digest_entries);
	suite_add_tcase(s, dg);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
