/*
 * encode.c — the whole-message encoders: header, body, a reserved (zeroed)
 * trailer of the right size for the type and n, and the sealed length.
 *
 * Castro & Liskov, OSDI '99 §4.1-4.4 and §5.2, TOCS '02 §5-6: every message
 * a replica or client sends. Layouts: bft/include/bft/messages.h.
 *
 * Each encoder refuses (rather than writes) anything the decoder would
 * reject, so its output always decodes: BFT_E_INVAL for bad arguments (NULL
 * pointers, n outside 1..BFT_MAX_REPLICAS, flags outside the type's set, a
 * PREPARE encoder asked for another type, a batch entry of unknown kind or
 * an INLINE entry that is not a valid REQUEST for n, a digest reply whose
 * result is not 32 bytes), BFT_E_LONG for a count or length over its limit
 * or a message over BFT_MAX_MSG, BFT_E_SPACE when the message does not fit
 * in cap. The exact size is computed before anything is written.
 *
 * Never: write past buf + cap, allocate, or return a partly written message
 * as a success.
 */
#include "codec_internal.h"

static int bad_n(uint32_t n)
{
	return n == 0 || n > BFT_MAX_REPLICAS;
}

/* Checks the computed total size and starts the message. */
static int begin(struct bft_writer *w, uint8_t *buf, size_t cap, uint8_t type,
		 uint16_t flags, uint32_t sender, size_t body_len, uint32_t n)
{
	size_t total = BFT_HDR_LEN + body_len + bft_msg_trailer_len(type, n);

	if (total > BFT_MAX_MSG)
		return BFT_E_LONG;
	if (!buf || total > cap)
		return buf ? BFT_E_SPACE : BFT_E_INVAL;
	bft_w_init(w, buf, cap);
	bft_w_hdr(w, type, flags, sender);
	return BFT_OK;
}

/* Reserves the trailer, seals, and returns the total length. */
static int end(struct bft_writer *w, uint8_t type, uint32_t n, uint8_t **trailer)
{
	uint8_t *t = bft_w_reserve(w, bft_msg_trailer_len(type, n));
	size_t len = bft_w_seal(w);

	if (bft_w_error(w))
		return bft_w_error(w);
	if (trailer)
		*trailer = t;
	return (int)len;
}

int bft_encode_request(uint8_t *buf, size_t cap, uint32_t n, uint32_t client,
		       uint16_t flags, const struct bft_request *r, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!r || bad_n(n) || (flags & ~BFT_REQ_FLAGS_ALL) || (!r->op && r->op_len))
		return BFT_E_INVAL;
	if (r->op_len > BFT_MAX_OP)
		return BFT_E_LONG;
	err = begin(&w, buf, cap, BFT_MSG_REQUEST, flags, client, 16u + (size_t)r->op_len, n);
	if (err)
		return err;
	bft_w_u64(&w, r->timestamp);
	bft_w_u32(&w, r->replier);
	bft_w_u32(&w, r->op_len);
	bft_w_bytes(&w, r->op, r->op_len);
	return end(&w, BFT_MSG_REQUEST, n, trailer);
}

int bft_encode_reply(uint8_t *buf, size_t cap, uint32_t replica, uint16_t flags,
		     const struct bft_reply *r, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!r || (flags & ~BFT_REP_FLAGS_ALL) || (!r->result && r->result_len))
		return BFT_E_INVAL;
	if (r->result_len > BFT_MAX_RESULT)
		return BFT_E_LONG;
	if ((flags & BFT_REP_DIGEST) && r->result_len != BFT_DIGEST_LEN)
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_REPLY, flags, replica, 24u + (size_t)r->result_len, 1);
	if (err)
		return err;
	bft_w_u64(&w, r->view);
	bft_w_u64(&w, r->timestamp);
	bft_w_u32(&w, r->client);
	bft_w_u32(&w, r->result_len);
	bft_w_bytes(&w, r->result, r->result_len);
	return end(&w, BFT_MSG_REPLY, 1, trailer);
}

int bft_encode_pre_prepare(uint8_t *buf, size_t cap, uint32_t n, uint32_t primary,
			   const struct bft_pre_prepare *pp, uint8_t **trailer)
{
	struct bft_writer w;
	struct bft_hdr h;
	struct bft_request q;
	size_t body = BFT_PP_FIXED_LEN;
	unsigned i;
	int err;

	if (!pp || bad_n(n))
		return BFT_E_INVAL;
	if (pp->count > BFT_MAX_BATCH)
		return BFT_E_LONG;
	for (i = 0; i < pp->count; i++) {
		const struct bft_pp_entry *e = &pp->entries[i];

		switch (e->kind) {
		case BFT_PP_INLINE:
			if (!e->raw)
				return BFT_E_INVAL;
			if (e->raw_len > BFT_MAX_MSG)
				return BFT_E_LONG;
			err = bft_codec_parse_request(e->raw, e->raw_len, n, &h, &q);
			if (err)
				return err == BFT_E_LONG ? err : BFT_E_INVAL;
			body += BFT_PP_INLINE_HDR + (size_t)e->raw_len;
			break;
		case BFT_PP_DIGEST:
			if (e->req_flags & ~BFT_REQ_FLAGS_ALL)
				return BFT_E_INVAL;
			body += BFT_PP_DIGEST_LEN;
			break;
		default:
			return BFT_E_INVAL;
		}
	}
	err = begin(&w, buf, cap, BFT_MSG_PRE_PREPARE, 0, primary, body, n);
	if (err)
		return err;
	bft_w_u64(&w, pp->view);
	bft_w_u64(&w, pp->seq);
	bft_w_u64(&w, pp->nondet);
	bft_w_u16(&w, pp->count);
	for (i = 0; i < pp->count; i++) {
		const struct bft_pp_entry *e = &pp->entries[i];

		bft_w_u8(&w, e->kind);
		if (e->kind == BFT_PP_INLINE) {
			bft_w_u32(&w, e->raw_len);
			bft_w_bytes(&w, e->raw, e->raw_len);
		} else {
			bft_w_u32(&w, e->client);
			bft_w_u64(&w, e->timestamp);
			bft_w_u8(&w, (uint8_t)e->req_flags);
			bft_w_bytes(&w, e->digest, BFT_DIGEST_LEN);
		}
	}
	return end(&w, BFT_MSG_PRE_PREPARE, n, trailer);
}

int bft_encode_prepare(uint8_t *buf, size_t cap, uint32_t n, uint8_t type,
		       uint32_t replica, const struct bft_prepare *p, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!p || bad_n(n) || (type != BFT_MSG_PREPARE && type != BFT_MSG_COMMIT))
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, type, 0, replica, 16u + BFT_DIGEST_LEN, n);
	if (err)
		return err;
	bft_w_u64(&w, p->view);
	bft_w_u64(&w, p->seq);
	bft_w_bytes(&w, p->digest, BFT_DIGEST_LEN);
	return end(&w, type, n, trailer);
}

int bft_encode_checkpoint(uint8_t *buf, size_t cap, uint32_t replica,
			  const struct bft_checkpoint *c, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!c)
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_CHECKPOINT, 0, replica, 8u + BFT_DIGEST_LEN, 1);
	if (err)
		return err;
	bft_w_u64(&w, c->seq);
	bft_w_bytes(&w, c->digest, BFT_DIGEST_LEN);
	return end(&w, BFT_MSG_CHECKPOINT, 1, trailer);
}

int bft_encode_status(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
		      const struct bft_status *s, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!s || bad_n(n))
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_STATUS, 0, replica, 36u, n);
	if (err)
		return err;
	bft_w_u64(&w, s->view);
	bft_w_u64(&w, s->stable);
	bft_w_u64(&w, s->last_exec);
	bft_w_u64(&w, s->last_prepared);
	bft_w_u32(&w, s->flags);
	return end(&w, BFT_MSG_STATUS, n, trailer);
}

static void w_vc_entry(struct bft_writer *w, const struct bft_vc_entry *e)
{
	bft_w_u64(w, e->seq);
	bft_w_u64(w, e->view);
	bft_w_bytes(w, e->digest, BFT_DIGEST_LEN);
}

int bft_encode_view_change(uint8_t *buf, size_t cap, uint32_t replica,
			   const struct bft_view_change *vc,
			   const uint32_t *cp_replicas, const uint8_t (*cp_sigs)[BFT_SIG_LEN],
			   const struct bft_vc_entry *p, const struct bft_vc_entry *q,
			   uint8_t **trailer)
{
	struct bft_writer w;
	size_t body;
	unsigned i;
	int err;

	if (!vc || (vc->n_cp && (!cp_replicas || !cp_sigs)) || (vc->n_p && !p) ||
	    (vc->n_q && !q))
		return BFT_E_INVAL;
	if (vc->n_cp > BFT_MAX_REPLICAS || vc->n_p > BFT_MAX_VC_ENTRIES ||
	    vc->n_q > BFT_MAX_VC_ENTRIES)
		return BFT_E_LONG;
	body = 16u + BFT_DIGEST_LEN + 6u + (size_t)vc->n_cp * BFT_VC_CP_LEN +
	       ((size_t)vc->n_p + vc->n_q) * BFT_VC_ENTRY_LEN;
	err = begin(&w, buf, cap, BFT_MSG_VIEW_CHANGE, 0, replica, body, 1);
	if (err)
		return err;
	bft_w_u64(&w, vc->new_view);
	bft_w_u64(&w, vc->stable_seq);
	bft_w_bytes(&w, vc->stable_digest, BFT_DIGEST_LEN);
	bft_w_u16(&w, vc->n_cp);
	for (i = 0; i < vc->n_cp; i++) {
		bft_w_u32(&w, cp_replicas[i]);
		bft_w_bytes(&w, cp_sigs[i], BFT_SIG_LEN);
	}
	bft_w_u16(&w, vc->n_p);
	for (i = 0; i < vc->n_p; i++)
		w_vc_entry(&w, &p[i]);
	bft_w_u16(&w, vc->n_q);
	for (i = 0; i < vc->n_q; i++)
		w_vc_entry(&w, &q[i]);
	return end(&w, BFT_MSG_VIEW_CHANGE, 1, trailer);
}

int bft_encode_vc_ack(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
		      const struct bft_view_change_ack *a, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!a || bad_n(n))
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_VIEW_CHANGE_ACK, 0, replica, 12u + BFT_DIGEST_LEN, n);
	if (err)
		return err;
	bft_w_u64(&w, a->view);
	bft_w_u32(&w, a->vc_sender);
	bft_w_bytes(&w, a->vc_digest, BFT_DIGEST_LEN);
	return end(&w, BFT_MSG_VIEW_CHANGE_ACK, n, trailer);
}

/* O elements: u64 seq, digest (the entry's view is not sent). */
int bft_encode_new_view(uint8_t *buf, size_t cap, uint32_t replica,
			const struct bft_new_view *nv, const uint32_t *v_replicas,
			const uint8_t (*v_digests)[BFT_DIGEST_LEN],
			const struct bft_vc_entry *o, uint8_t **trailer)
{
	struct bft_writer w;
	size_t body;
	unsigned i;
	int err;

	if (!nv || (nv->n_v && (!v_replicas || !v_digests)) || (nv->n_o && !o))
		return BFT_E_INVAL;
	if (nv->n_v > BFT_MAX_REPLICAS || nv->n_o > BFT_MAX_NV_ENTRIES)
		return BFT_E_LONG;
	body = 8u + 2u + (size_t)nv->n_v * BFT_NV_V_LEN + 8u + BFT_DIGEST_LEN + 2u +
	       (size_t)nv->n_o * BFT_NV_O_LEN;
	err = begin(&w, buf, cap, BFT_MSG_NEW_VIEW, 0, replica, body, 1);
	if (err)
		return err;
	bft_w_u64(&w, nv->view);
	bft_w_u16(&w, nv->n_v);
	for (i = 0; i < nv->n_v; i++) {
		bft_w_u32(&w, v_replicas[i]);
		bft_w_bytes(&w, v_digests[i], BFT_DIGEST_LEN);
	}
	bft_w_u64(&w, nv->start_seq);
	bft_w_bytes(&w, nv->start_digest, BFT_DIGEST_LEN);
	bft_w_u16(&w, nv->n_o);
	for (i = 0; i < nv->n_o; i++) {
		bft_w_u64(&w, o[i].seq);
		bft_w_bytes(&w, o[i].digest, BFT_DIGEST_LEN);
	}
	return end(&w, BFT_MSG_NEW_VIEW, 1, trailer);
}

int bft_encode_fetch(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
		     const struct bft_fetch *f, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!f || bad_n(n))
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_FETCH, 0, replica, 32u, n);
	if (err)
		return err;
	bft_w_u32(&w, f->level);
	bft_w_u64(&w, f->index);
	bft_w_u64(&w, f->offset);
	bft_w_u64(&w, f->want_seq);
	bft_w_u32(&w, f->replier);
	return end(&w, BFT_MSG_FETCH, n, trailer);
}

int bft_encode_meta_data(uint8_t *buf, size_t cap, uint32_t replica,
			 const struct bft_meta_data *md, const uint64_t *indices,
			 const uint64_t *last_modified,
			 const uint8_t (*digests)[BFT_DIGEST_LEN], uint8_t **trailer)
{
	struct bft_writer w;
	unsigned i;
	int err;

	if (!md || (md->count && (!indices || !last_modified || !digests)))
		return BFT_E_INVAL;
	if (md->count > BFT_MAX_META_ENTRIES)
		return BFT_E_LONG;
	err = begin(&w, buf, cap, BFT_MSG_META_DATA, 0, replica,
		    22u + (size_t)md->count * BFT_META_CHILD_LEN, 1);
	if (err)
		return err;
	bft_w_u64(&w, md->seq);
	bft_w_u32(&w, md->level);
	bft_w_u64(&w, md->index);
	bft_w_u16(&w, md->count);
	for (i = 0; i < md->count; i++) {
		bft_w_u64(&w, indices[i]);
		bft_w_u64(&w, last_modified[i]);
		bft_w_bytes(&w, digests[i], BFT_DIGEST_LEN);
	}
	return end(&w, BFT_MSG_META_DATA, 1, trailer);
}

int bft_encode_data(uint8_t *buf, size_t cap, uint32_t replica,
		    const struct bft_data *d, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!d || (!d->data && d->len))
		return BFT_E_INVAL;
	if (d->len > BFT_MAX_DATA)
		return BFT_E_LONG;
	if (d->offset > d->total || d->len > d->total - d->offset)
		return BFT_E_FIELD;
	err = begin(&w, buf, cap, BFT_MSG_DATA, 0, replica, 28u + (size_t)d->len, 1);
	if (err)
		return err;
	bft_w_u64(&w, d->seq);
	bft_w_u64(&w, d->index);
	bft_w_u32(&w, d->offset);
	bft_w_u32(&w, d->total);
	bft_w_u32(&w, d->len);
	bft_w_bytes(&w, d->data, d->len);
	return end(&w, BFT_MSG_DATA, 1, trailer);
}

int bft_encode_new_key(uint8_t *buf, size_t cap, uint32_t replica,
		       const struct bft_new_key *k, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!k || (k->flags & ~BFT_NK_FLAGS_ALL))
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_NEW_KEY, k->flags, replica, 8u + BFT_KEY_LEN, 1);
	if (err)
		return err;
	bft_w_u64(&w, k->epoch);
	bft_w_bytes(&w, k->dh_pub, BFT_KEY_LEN);
	return end(&w, BFT_MSG_NEW_KEY, 1, trailer);
}

int bft_encode_query_stable(uint8_t *buf, size_t cap, uint32_t n, uint32_t replica,
			    const struct bft_query_stable *q, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!q || bad_n(n))
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_QUERY_STABLE, 0, replica, 8u, n);
	if (err)
		return err;
	bft_w_u64(&w, q->nonce);
	return end(&w, BFT_MSG_QUERY_STABLE, n, trailer);
}

int bft_encode_reply_stable(uint8_t *buf, size_t cap, uint32_t replica,
			    const struct bft_reply_stable *r, uint8_t **trailer)
{
	struct bft_writer w;
	int err;

	if (!r)
		return BFT_E_INVAL;
	err = begin(&w, buf, cap, BFT_MSG_REPLY_STABLE, 0, replica, 24u, 1);
	if (err)
		return err;
	bft_w_u64(&w, r->nonce);
	bft_w_u64(&w, r->last_checkpoint);
	bft_w_u64(&w, r->last_prepared);
	return end(&w, BFT_MSG_REPLY_STABLE, 1, trailer);
}
