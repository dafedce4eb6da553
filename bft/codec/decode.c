/*
 * decode.c — bft_msg_decode(): the cheap, total checks every received
 * datagram passes before anything else looks at it, and the accessors of the
 * variable-length arrays it leaves in wire form.
 *
 * Castro & Liskov, OSDI '99 §4.1-4.4 (REQUEST, REPLY, PRE-PREPARE, PREPARE,
 * COMMIT, CHECKPOINT, VIEW-CHANGE, NEW-VIEW), §5.2 (STATUS) and TOCS '02
 * §5-6 (VIEW-CHANGE-ACK, FETCH, META-DATA, DATA, NEW-KEY, QUERY-STABLE,
 * REPLY-STABLE). Layouts: bft/include/bft/messages.h.
 *
 * Checks, in order: n in 1..BFT_MAX_REPLICAS (else BFT_E_INVAL); length ≥
 * header (BFT_E_SHORT) and ≤ BFT_MAX_MSG (BFT_E_LONG); version; type; the
 * header length equals the datagram length (BFT_E_LENGTH); room for the
 * trailer of the type for n (BFT_E_SHORT); header flags (BFT_E_FIELD); then
 * the body, every field inside [header end, len - trailer) (BFT_E_SHORT),
 * every count and length against its limit before it is used (BFT_E_LONG),
 * enumerations and flags (BFT_E_FIELD), and the body consumed exactly
 * (BFT_E_LENGTH). An INLINE PRE-PREPARE entry must be a whole REQUEST of
 * exactly the entry's length (another type is BFT_E_FIELD), decoded by the
 * same rules (one level of nesting, no recursion); its digest is computed
 * here.
 *
 * Not checked here (the caller's business after authentication): sender
 * ids against n, the replier and client fields, sequence/view windows.
 * On failure *out is only partly filled; after success, PRE-PREPARE entries
 * at or beyond count are left as they were (never cleared, for speed).
 *
 * Never: read outside buf[0..len), allocate, recurse, or authenticate
 * (the caller checks the trailer over raw[0..signed_len) next).
 */
#include <string.h>

#include "codec_internal.h"

static uint16_t allowed_flags(uint8_t type)
{
	switch (type) {
	case BFT_MSG_REQUEST: return BFT_REQ_FLAGS_ALL;
	case BFT_MSG_REPLY: return BFT_REP_FLAGS_ALL;
	case BFT_MSG_NEW_KEY: return BFT_NK_FLAGS_ALL;
	default: return 0;
	}
}

int bft_codec_frame(const uint8_t *buf, size_t len, uint32_t n, int want_type,
		    struct bft_hdr *hdr, uint32_t *trailer_len)
{
	uint32_t tlen;

	if (len < BFT_HDR_LEN)
		return BFT_E_SHORT;
	if (len > BFT_MAX_MSG)
		return BFT_E_LONG;
	hdr->version = buf[0];
	hdr->type = buf[1];
	hdr->flags = bft_ld16(buf + 2);
	hdr->sender = bft_ld32(buf + 4);
	hdr->length = bft_ld32(buf + 8);
	if (hdr->version != BFT_WIRE_VERSION)
		return BFT_E_VERSION;
	if (hdr->type < BFT_MSG_REQUEST || hdr->type > BFT_MSG_TYPE_MAX)
		return BFT_E_TYPE;
	if (want_type >= 0 && hdr->type != want_type)
		return BFT_E_FIELD;
	if (hdr->length != len)
		return BFT_E_LENGTH;
	tlen = bft_msg_trailer_len(hdr->type, n);
	if (tlen == 0)
		return BFT_E_INVAL; /* n out of range (callers check it first) */
	if (len - BFT_HDR_LEN < tlen)
		return BFT_E_SHORT;
	if (hdr->flags & ~allowed_flags(hdr->type))
		return BFT_E_FIELD;
	*trailer_len = tlen;
	return BFT_OK;
}

/* The body reader's verdict: its own error, or trailing bytes. */
static int body_end(const struct bft_rd *r)
{
	if (r->err)
		return r->err;
	return r->left ? BFT_E_LENGTH : BFT_OK;
}

static int request_body(struct bft_rd *r, struct bft_request *q)
{
	q->timestamp = bft_rd_u64(r);
	q->replier = bft_rd_u32(r);
	q->op_len = bft_rd_u32(r);
	q->op = NULL;
	if (r->err)
		return r->err;
	if (q->op_len > BFT_MAX_OP)
		return BFT_E_LONG;
	q->op = bft_rd_take(r, q->op_len);
	return body_end(r);
}

int bft_codec_parse_request(const uint8_t *buf, size_t len, uint32_t n,
			    struct bft_hdr *hdr, struct bft_request *req)
{
	struct bft_rd r;
	uint32_t tlen;
	int err;

	memset(req, 0, sizeof(*req));
	err = bft_codec_frame(buf, len, n, BFT_MSG_REQUEST, hdr, &tlen);
	if (err)
		return err;
	bft_rd_init(&r, buf + BFT_HDR_LEN, len - BFT_HDR_LEN - tlen);
	return request_body(&r, req);
}

static int reply_body(struct bft_rd *r, uint16_t flags, struct bft_reply *p)
{
	p->view = bft_rd_u64(r);
	p->timestamp = bft_rd_u64(r);
	p->client = bft_rd_u32(r);
	p->result_len = bft_rd_u32(r);
	p->result = NULL;
	if (r->err)
		return r->err;
	if (p->result_len > BFT_MAX_RESULT)
		return BFT_E_LONG;
	if ((flags & BFT_REP_DIGEST) && p->result_len != BFT_DIGEST_LEN)
		return BFT_E_FIELD;
	p->result = bft_rd_take(r, p->result_len);
	return body_end(r);
}

static int pp_entry(struct bft_rd *r, uint32_t n, struct bft_pp_entry *e)
{
	const uint8_t *raw;
	uint8_t f;
	int err;

	memset(e, 0, sizeof(*e));
	e->kind = bft_rd_u8(r);
	if (r->err)
		return r->err;
	switch (e->kind) {
	case BFT_PP_INLINE:
		e->raw_len = bft_rd_u32(r);
		if (r->err)
			return r->err;
		raw = bft_rd_take(r, e->raw_len);
		if (!raw)
			return r->err;
		err = bft_codec_parse_request(raw, e->raw_len, n, &e->req_hdr, &e->req);
		if (err)
			return err;
		e->raw = raw;
		e->client = e->req_hdr.sender;
		e->timestamp = e->req.timestamp;
		e->req_flags = e->req_hdr.flags;
		bft_request_digest(e->client, e->timestamp, e->req_flags, e->req.op,
				   e->req.op_len, e->digest);
		return BFT_OK;
	case BFT_PP_DIGEST:
		e->client = bft_rd_u32(r);
		e->timestamp = bft_rd_u64(r);
		f = bft_rd_u8(r);
		bft_rd_copy(r, e->digest, BFT_DIGEST_LEN);
		if (r->err)
			return r->err;
		if (f & ~BFT_REQ_FLAGS_ALL)
			return BFT_E_FIELD;
		e->req_flags = f;
		return BFT_OK;
	default:
		return BFT_E_FIELD;
	}
}

static int pre_prepare_body(struct bft_rd *r, uint32_t n, struct bft_pre_prepare *pp)
{
	unsigned i;
	int err;

	pp->view = bft_rd_u64(r);
	pp->seq = bft_rd_u64(r);
	pp->nondet = bft_rd_u64(r);
	pp->count = bft_rd_u16(r);
	if (r->err)
		return r->err;
	if (pp->count > BFT_MAX_BATCH)
		return BFT_E_LONG;
	for (i = 0; i < pp->count; i++) {
		err = pp_entry(r, n, &pp->entries[i]);
		if (err)
			return err;
	}
	return body_end(r);
}

static int prepare_body(struct bft_rd *r, struct bft_prepare *p)
{
	p->view = bft_rd_u64(r);
	p->seq = bft_rd_u64(r);
	bft_rd_copy(r, p->digest, BFT_DIGEST_LEN);
	return body_end(r);
}

static int checkpoint_body(struct bft_rd *r, struct bft_checkpoint *c)
{
	c->seq = bft_rd_u64(r);
	bft_rd_copy(r, c->digest, BFT_DIGEST_LEN);
	return body_end(r);
}

static int status_body(struct bft_rd *r, struct bft_status *s)
{
	s->view = bft_rd_u64(r);
	s->stable = bft_rd_u64(r);
	s->last_exec = bft_rd_u64(r);
	s->last_prepared = bft_rd_u64(r);
	s->flags = bft_rd_u32(r); /* free-form hints, any value */
	return body_end(r);
}

/* A counted array: u16 count (≤ limit), then count × elem bytes. */
static int counted(struct bft_rd *r, unsigned limit, size_t elem, uint16_t *count,
		   const uint8_t **arr)
{
	*count = bft_rd_u16(r);
	*arr = NULL;
	if (r->err)
		return r->err;
	if (*count > limit)
		return BFT_E_LONG;
	*arr = bft_rd_take(r, (size_t)*count * elem);
	return r->err;
}

static int view_change_body(struct bft_rd *r, struct bft_view_change *vc)
{
	int err;

	memset(vc, 0, sizeof(*vc));
	vc->new_view = bft_rd_u64(r);
	vc->stable_seq = bft_rd_u64(r);
	bft_rd_copy(r, vc->stable_digest, BFT_DIGEST_LEN);
	err = counted(r, BFT_MAX_REPLICAS, BFT_VC_CP_LEN, &vc->n_cp, &vc->cp);
	if (!err)
		err = counted(r, BFT_MAX_VC_ENTRIES, BFT_VC_ENTRY_LEN, &vc->n_p, &vc->p);
	if (!err)
		err = counted(r, BFT_MAX_VC_ENTRIES, BFT_VC_ENTRY_LEN, &vc->n_q, &vc->q);
	return err ? err : body_end(r);
}

static int vc_ack_body(struct bft_rd *r, struct bft_view_change_ack *a)
{
	a->view = bft_rd_u64(r);
	a->vc_sender = bft_rd_u32(r);
	bft_rd_copy(r, a->vc_digest, BFT_DIGEST_LEN);
	return body_end(r);
}

static int new_view_body(struct bft_rd *r, struct bft_new_view *nv)
{
	int err;

	memset(nv, 0, sizeof(*nv));
	nv->view = bft_rd_u64(r);
	err = counted(r, BFT_MAX_REPLICAS, BFT_NV_V_LEN, &nv->n_v, &nv->v);
	if (err)
		return err;
	nv->start_seq = bft_rd_u64(r);
	bft_rd_copy(r, nv->start_digest, BFT_DIGEST_LEN);
	err = counted(r, BFT_MAX_NV_ENTRIES, BFT_NV_O_LEN, &nv->n_o, &nv->o);
	return err ? err : body_end(r);
}

static int fetch_body(struct bft_rd *r, struct bft_fetch *f)
{
	f->level = bft_rd_u32(r);
	f->index = bft_rd_u64(r);
	f->offset = bft_rd_u64(r);
	f->want_seq = bft_rd_u64(r);
	f->replier = bft_rd_u32(r);
	return body_end(r);
}

static int meta_data_body(struct bft_rd *r, struct bft_meta_data *md)
{
	int err;

	memset(md, 0, sizeof(*md));
	md->seq = bft_rd_u64(r);
	md->level = bft_rd_u32(r);
	md->index = bft_rd_u64(r);
	err = counted(r, BFT_MAX_META_ENTRIES, BFT_META_CHILD_LEN, &md->count,
		      &md->children);
	return err ? err : body_end(r);
}

static int data_body(struct bft_rd *r, struct bft_data *d)
{
	d->seq = bft_rd_u64(r);
	d->index = bft_rd_u64(r);
	d->offset = bft_rd_u32(r);
	d->total = bft_rd_u32(r);
	d->len = bft_rd_u32(r);
	d->data = NULL;
	if (r->err)
		return r->err;
	if (d->len > BFT_MAX_DATA)
		return BFT_E_LONG;
	if (d->offset > d->total || d->len > d->total - d->offset)
		return BFT_E_FIELD;
	d->data = bft_rd_take(r, d->len);
	return body_end(r);
}

static int new_key_body(struct bft_rd *r, struct bft_new_key *k)
{
	k->epoch = bft_rd_u64(r);
	bft_rd_copy(r, k->dh_pub, BFT_KEY_LEN);
	return body_end(r);
}

static int query_stable_body(struct bft_rd *r, struct bft_query_stable *q)
{
	q->nonce = bft_rd_u64(r);
	return body_end(r);
}

static int reply_stable_body(struct bft_rd *r, struct bft_reply_stable *s)
{
	s->nonce = bft_rd_u64(r);
	s->last_checkpoint = bft_rd_u64(r);
	s->last_prepared = bft_rd_u64(r);
	return body_end(r);
}

int bft_msg_decode(const uint8_t *buf, size_t len, uint32_t n, struct bft_msg *out)
{
	struct bft_rd r;
	uint32_t tlen;
	int err;

	if (!out || n == 0 || n > BFT_MAX_REPLICAS || (!buf && len))
		return BFT_E_INVAL;
	memset(out, 0, offsetof(struct bft_msg, u));
	if (!buf)
		return BFT_E_SHORT;
	err = bft_codec_frame(buf, len, n, -1, &out->hdr, &tlen);
	if (err)
		return err;
	out->raw = buf;
	out->signed_len = (uint32_t)len - tlen;
	out->trailer = buf + out->signed_len;
	out->trailer_len = tlen;
	bft_rd_init(&r, buf + BFT_HDR_LEN, out->signed_len - BFT_HDR_LEN);

	switch (out->hdr.type) {
	case BFT_MSG_REQUEST:
		return request_body(&r, &out->u.request);
	case BFT_MSG_REPLY:
		return reply_body(&r, out->hdr.flags, &out->u.reply);
	case BFT_MSG_PRE_PREPARE:
		/* Only the fixed part: entries are zeroed one by one as decoded. */
		memset(&out->u.pre_prepare, 0, offsetof(struct bft_pre_prepare, entries));
		return pre_prepare_body(&r, n, &out->u.pre_prepare);
	case BFT_MSG_PREPARE:
	case BFT_MSG_COMMIT:
		return prepare_body(&r, &out->u.prepare);
	case BFT_MSG_CHECKPOINT:
		return checkpoint_body(&r, &out->u.checkpoint);
	case BFT_MSG_STATUS:
		return status_body(&r, &out->u.status);
	case BFT_MSG_VIEW_CHANGE:
		return view_change_body(&r, &out->u.view_change);
	case BFT_MSG_VIEW_CHANGE_ACK:
		return vc_ack_body(&r, &out->u.vc_ack);
	case BFT_MSG_NEW_VIEW:
		return new_view_body(&r, &out->u.new_view);
	case BFT_MSG_FETCH:
		return fetch_body(&r, &out->u.fetch);
	case BFT_MSG_META_DATA:
		return meta_data_body(&r, &out->u.meta_data);
	case BFT_MSG_DATA:
		return data_body(&r, &out->u.data);
	case BFT_MSG_NEW_KEY:
		out->u.new_key.flags = out->hdr.flags;
		return new_key_body(&r, &out->u.new_key);
	case BFT_MSG_QUERY_STABLE:
		return query_stable_body(&r, &out->u.query_stable);
	case BFT_MSG_REPLY_STABLE:
		return reply_stable_body(&r, &out->u.reply_stable);
	}
	return BFT_E_TYPE; /* unreachable: the frame checked the type */
}

/* ---- accessors: elements the decoder has already bounds-checked ---- */

static void vc_entry(const uint8_t *p, struct bft_vc_entry *e)
{
	e->seq = bft_ld64(p);
	e->view = bft_ld64(p + 8);
	memcpy(e->digest, p + 16, BFT_DIGEST_LEN);
}

void bft_vc_cp(const struct bft_view_change *vc, unsigned i, uint32_t *replica,
	       const uint8_t **sig)
{
	const uint8_t *p = vc->cp + (size_t)i * BFT_VC_CP_LEN;

	*replica = bft_ld32(p);
	*sig = p + 4;
}

void bft_vc_p(const struct bft_view_change *vc, unsigned i, struct bft_vc_entry *e)
{
	vc_entry(vc->p + (size_t)i * BFT_VC_ENTRY_LEN, e);
}

void bft_vc_q(const struct bft_view_change *vc, unsigned i, struct bft_vc_entry *e)
{
	vc_entry(vc->q + (size_t)i * BFT_VC_ENTRY_LEN, e);
}

void bft_nv_v(const struct bft_new_view *nv, unsigned i, uint32_t *replica,
	      uint8_t digest[BFT_DIGEST_LEN])
{
	const uint8_t *p = nv->v + (size_t)i * BFT_NV_V_LEN;

	*replica = bft_ld32(p);
	memcpy(digest, p + 4, BFT_DIGEST_LEN);
}

/* O elements carry no view on the wire: e->view is set to 0. */
void bft_nv_o(const struct bft_new_view *nv, unsigned i, struct bft_vc_entry *e)
{
	const uint8_t *p = nv->o + (size_t)i * BFT_NV_O_LEN;

	e->seq = bft_ld64(p);
	e->view = 0;
	memcpy(e->digest, p + 8, BFT_DIGEST_LEN);
}

void bft_meta_child(const struct bft_meta_data *md, unsigned i, uint64_t *index,
		    uint64_t *last_modified, uint8_t digest[BFT_DIGEST_LEN])
{
	const uint8_t *p = md->children + (size_t)i * BFT_META_CHILD_LEN;

	*index = bft_ld64(p);
	*last_modified = bft_ld64(p + 8);
	memcpy(digest, p + 16, BFT_DIGEST_LEN);
}
