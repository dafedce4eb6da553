/*
 * fuzz_decode.c — libFuzzer target for bft_msg_decode() (bft/codec).
 *
 * Castro & Liskov, OSDI '99 §4: every datagram a replica receives goes
 * through the decoder before authentication, so the decoder faces arbitrary
 * bytes from faulty nodes and the network. Each input is decoded for n = 4
 * and n = 7. For every successful decode the target checks the invariants
 * the rest of the library relies on, and aborts (a crash for libFuzzer) if
 * one fails:
 *   - header length == input size, signed_len + trailer_len == size,
 *     trailer == raw + signed_len, trailer_len as bft_msg_trailer_len says;
 *   - every pointer the decoder returned lies inside the input;
 *   - every array element is read through its accessor (ASan catches an
 *     element outside the input);
 *   - INLINE batch entries carry the digest bft_request_digest() gives;
 *   - re-encoding the decoded form with the matching encoder reproduces
 *     the same length and the same signed bytes (so the decoder accepts
 *     only canonical encodings and the encoders agree with it).
 *
 * Never: keep state between inputs or allocate per input (static buffers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "fuzz.h"

static struct bft_msg m;
static uint8_t out[BFT_MAX_MSG];
static uint32_t reps[BFT_MAX_REPLICAS];
static uint8_t sigs[BFT_MAX_REPLICAS][BFT_SIG_LEN];
static uint8_t digs[BFT_MAX_META_ENTRIES][BFT_DIGEST_LEN];
static struct bft_vc_entry e1[BFT_MAX_VC_ENTRIES], e2[BFT_MAX_VC_ENTRIES];
static uint64_t idx[BFT_MAX_META_ENTRIES], lm[BFT_MAX_META_ENTRIES];

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz_decode: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);                      \
			abort();                                                 \
		}                                                                \
	} while (0)

static int inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	return p >= data && len <= size && (size_t)(p - data) <= size - len;
}

/* Reads every element of the decoded arrays into the re-encode buffers. */
static void walk_arrays(const uint8_t *data)
{
	const uint8_t *sig;
	unsigned i;

	switch (m.hdr.type) {
	case BFT_MSG_VIEW_CHANGE: {
		const struct bft_view_change *vc = &m.u.view_change;

		CHECK(vc->n_cp <= BFT_MAX_REPLICAS && vc->n_p <= BFT_MAX_VC_ENTRIES &&
		      vc->n_q <= BFT_MAX_VC_ENTRIES);
		for (i = 0; i < vc->n_cp; i++) {
			bft_vc_cp(vc, i, &reps[i], &sig);
			CHECK(inside(sig, BFT_SIG_LEN, data, m.signed_len));
			memcpy(sigs[i], sig, BFT_SIG_LEN);
		}
		for (i = 0; i < vc->n_p; i++)
			bft_vc_p(vc, i, &e1[i]);
		for (i = 0; i < vc->n_q; i++)
			bft_vc_q(vc, i, &e2[i]);
		break;
	}
	case BFT_MSG_NEW_VIEW: {
		const struct bft_new_view *nv = &m.u.new_view;

		CHECK(nv->n_v <= BFT_MAX_REPLICAS && nv->n_o <= BFT_MAX_NV_ENTRIES);
		for (i = 0; i < nv->n_v; i++)
			bft_nv_v(nv, i, &reps[i], digs[i]);
		for (i = 0; i < nv->n_o; i++)
			bft_nv_o(nv, i, &e1[i]);
		break;
	}
	case BFT_MSG_META_DATA:
		CHECK(m.u.meta_data.count <= BFT_MAX_META_ENTRIES);
		for (i = 0; i < m.u.meta_data.count; i++)
			bft_meta_child(&m.u.meta_data, i, &idx[i], &lm[i], digs[i]);
		break;
	case BFT_MSG_PRE_PREPARE: {
		const struct bft_pre_prepare *pp = &m.u.pre_prepare;
		uint8_t d[BFT_DIGEST_LEN];

		CHECK(pp->count <= BFT_MAX_BATCH);
		for (i = 0; i < pp->count; i++) {
			const struct bft_pp_entry *e = &pp->entries[i];

			CHECK(e->kind == BFT_PP_INLINE || e->kind == BFT_PP_DIGEST);
			CHECK((e->req_flags & ~BFT_REQ_FLAGS_ALL) == 0);
			if (e->kind != BFT_PP_INLINE) {
				CHECK(e->raw == NULL);
				continue;
			}
			CHECK(inside(e->raw, e->raw_len, data, m.signed_len));
			CHECK(e->req_hdr.type == BFT_MSG_REQUEST);
			CHECK(e->req_hdr.length == e->raw_len);
			CHECK(e->client == e->req_hdr.sender);
			CHECK(e->timestamp == e->req.timestamp);
			CHECK(e->req_flags == e->req_hdr.flags);
			CHECK(e->req.op_len <= BFT_MAX_OP);
			CHECK(inside(e->req.op, e->req.op_len, e->raw, e->raw_len));
			bft_request_digest(e->client, e->timestamp, e->req_flags, e->req.op,
					   e->req.op_len, d);
			CHECK(memcmp(d, e->digest, BFT_DIGEST_LEN) == 0);
		}
		bft_batch_digest(pp, d);
		break;
	}
	case BFT_MSG_REQUEST:
		CHECK(m.u.request.op_len <= BFT_MAX_OP);
		CHECK(inside(m.u.request.op, m.u.request.op_len, data, m.signed_len));
		break;
	case BFT_MSG_REPLY:
		CHECK(m.u.reply.result_len <= BFT_MAX_RESULT);
		CHECK(inside(m.u.reply.result, m.u.reply.result_len, data, m.signed_len));
		CHECK(!(m.hdr.flags & BFT_REP_DIGEST) || m.u.reply.result_len == BFT_DIGEST_LEN);
		break;
	case BFT_MSG_DATA:
		CHECK(m.u.data.len <= BFT_MAX_DATA);
		CHECK(inside(m.u.data.data, m.u.data.len, data, m.signed_len));
		break;
	default:
		break;
	}
}

static int reencode(uint32_t n)
{
	uint32_t snd = m.hdr.sender;

	switch (m.hdr.type) {
	case BFT_MSG_REQUEST:
		return bft_encode_request(out, sizeof(out), n, snd, m.hdr.flags, &m.u.request, NULL);
	case BFT_MSG_REPLY:
		return bft_encode_reply(out, sizeof(out), snd, m.hdr.flags, &m.u.reply, NULL);
	case BFT_MSG_PRE_PREPARE:
		return bft_encode_pre_prepare(out, sizeof(out), n, snd, &m.u.pre_prepare, NULL);
	case BFT_MSG_PREPARE:
	case BFT_MSG_COMMIT:
		return bft_encode_prepare(out, sizeof(out), n, m.hdr.type, snd, &m.u.prepare, NULL);
	case BFT_MSG_CHECKPOINT:
		return bft_encode_checkpoint(out, sizeof(out), snd, &m.u.checkpoint, NULL);
	case BFT_MSG_STATUS:
		return bft_encode_status(out, sizeof(out), n, snd, &m.u.status, NULL);
	case BFT_MSG_VIEW_CHANGE:
		return bft_encode_view_change(out, sizeof(out), snd, &m.u.view_change, reps,
					      (const uint8_t (*)[BFT_SIG_LEN])sigs, e1, e2, NULL);
	case BFT_MSG_VIEW_CHANGE_ACK:
		return bft_encode_vc_ack(out, sizeof(out), n, snd, &m.u.vc_ack, NULL);
	case BFT_MSG_NEW_VIEW:
		return bft_encode_new_view(out, sizeof(out), snd, &m.u.new_view, reps,
					   (const uint8_t (*)[BFT_DIGEST_LEN])digs, e1, NULL);
	case BFT_MSG_FETCH:
		return bft_encode_fetch(out, sizeof(out), n, snd, &m.u.fetch, NULL);
	case BFT_MSG_META_DATA:
		return bft_encode_meta_data(out, sizeof(out), snd, &m.u.meta_data, idx, lm,
					    (const uint8_t (*)[BFT_DIGEST_LEN])digs, NULL);
	case BFT_MSG_DATA:
		return bft_encode_data(out, sizeof(out), snd, &m.u.data, NULL);
	case BFT_MSG_NEW_KEY:
		return bft_encode_new_key(out, sizeof(out), snd, &m.u.new_key, NULL);
	case BFT_MSG_QUERY_STABLE:
		return bft_encode_query_stable(out, sizeof(out), n, snd, &m.u.query_stable, NULL);
	case BFT_MSG_REPLY_STABLE:
		return bft_encode_reply_stable(out, sizeof(out), snd, &m.u.reply_stable, NULL);
	}
	return BFT_E_TYPE;
}

static void one(const uint8_t *data, size_t size, uint32_t n)
{
	int err = bft_msg_decode(data, size, n, &m);
	int len;

	if (err != BFT_OK) {
		CHECK(err < 0 && err > BFT_E_LAST);
		return;
	}
	CHECK(size >= BFT_HDR_LEN && size <= BFT_MAX_MSG);
	CHECK(m.raw == data);
	CHECK(m.hdr.version == BFT_WIRE_VERSION);
	CHECK(m.hdr.type >= BFT_MSG_REQUEST && m.hdr.type <= BFT_MSG_TYPE_MAX);
	CHECK(m.hdr.length == size);
	CHECK(m.trailer_len == bft_msg_trailer_len(m.hdr.type, n));
	CHECK((size_t)m.signed_len + m.trailer_len == size);
	CHECK(m.signed_len >= BFT_HDR_LEN);
	CHECK(m.trailer == data + m.signed_len);
	CHECK(strcmp(bft_msg_type_name(m.hdr.type), "UNKNOWN") != 0);

	walk_arrays(data);
	len = reencode(n);
	CHECK(len == (int)size);
	CHECK(memcmp(out, data, m.signed_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, 4);
	one(data, size, 7);
	return 0;
}
