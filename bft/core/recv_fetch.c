/*
 * recv_fetch.c — serving state transfer (Castro & Liskov, TOCS '02 §5.3.2).
 *
 * A replica keeps the snapshot of each checkpoint it took until a later one
 * is stable (the service's snapshots, bft/io.h). A FETCH from another
 * replica naming us as replier asks for one node of the partition tree of
 * checkpoint want_seq: an interior node is answered with META-DATA (its
 * children's digests), a leaf with one DATA chunk of at most BFT_MAX_DATA
 * bytes from the requested offset. Each FETCH costs one answer, so serving
 * is bounded by what the fetcher sends; a FETCH for a snapshot we no longer
 * (or do not yet) hold is dropped — the fetcher rotates to another replica
 * or retargets to a newer checkpoint.
 */
#include <string.h>

#include "replica_internal.h"

static void send_mac(struct bft_replica *r, uint32_t to, int len, uint8_t *trailer)
{
	if (len < 0 || bft_keyring_mac(r->kr, to, r->out, (size_t)(trailer - r->out),
				       trailer) != BFT_OK)
		return;
	r->io->send(r->io->data, to, r->out, (size_t)len);
}

static void serve_node(struct bft_replica *r, uint32_t to, const struct bft_fetch *f)
{
	uint32_t fan = r->svc->tree_fanout, i;
	struct bft_meta_data md = { .seq = f->want_seq, .level = f->level, .index = f->index,
				    .count = (uint16_t)fan };
	uint64_t idx[BFT_MAX_FANOUT], lm[BFT_MAX_FANOUT];
	uint8_t *trailer;
	int err, len;

	err = r->svc->children(r->svc->data, f->want_seq, f->level, f->index, r->st.local);
	if (err) {
		rlog(r, BFT_LOG_DEBUG, "FETCH from replica %u: no snapshot of checkpoint %llu",
		     to, (unsigned long long)f->want_seq);
		return;
	}
	for (i = 0; i < fan; i++) {
		idx[i] = f->index * fan + i;
		lm[i] = 0; /* reserved: digests, not last-modified seqs, drive the walk */
	}
	len = bft_encode_meta_data(r->out, BFT_MAX_MSG, r->cfg.id, &md, idx, lm,
				   (const uint8_t (*)[BFT_DIGEST_LEN])r->st.local, &trailer);
	send_mac(r, to, len, trailer);
}

static void serve_leaf(struct bft_replica *r, uint32_t to, const struct bft_fetch *f)
{
	struct bft_data d = { .seq = f->want_seq, .index = f->index,
			      .offset = (uint32_t)f->offset, .data = r->st.chunk };
	uint8_t *trailer;
	int err, len;

	err = r->svc->leaf_get(r->svc->data, f->want_seq, f->index, (uint32_t)f->offset,
			       r->st.chunk, BFT_MAX_DATA, &d.len, &d.total);
	if (err || d.len > BFT_MAX_DATA || d.total > r->svc->leaf_max ||
	    d.offset > d.total || d.len > d.total - d.offset) {
		rlog(r, BFT_LOG_DEBUG, "FETCH from replica %u: no leaf %llu of checkpoint %llu",
		     to, (unsigned long long)f->index, (unsigned long long)f->want_seq);
		return;
	}
	len = bft_encode_data(r->out, BFT_MAX_MSG, r->cfg.id, &d, &trailer);
	send_mac(r, to, len, trailer);
}

void recv_fetch(struct bft_replica *r)
{
	const struct bft_fetch *f = &r->in.u.fetch;
	uint32_t from = r->in.hdr.sender, depth = r->svc->tree_depth;
	uint64_t width = 1;
	uint32_t l;

	if (from >= r->cfg.n || from == r->cfg.id)
		return reject(r, "sender is not another replica");
	if (f->replier != r->cfg.id)
		return;
	if (!r->svc->children)
		return;
	if (f->level > depth)
		return reject(r, "tree level out of range");
	for (l = 0; l < f->level; l++)
		width *= r->svc->tree_fanout;
	if (f->index >= width)
		return reject(r, "tree index out of range");
	if (f->offset > r->svc->leaf_max || (f->level < depth && f->offset))
		return reject(r, "leaf offset out of range");
	if (f->want_seq == 0 || f->want_seq % r->cfg.checkpoint_interval)
		return reject(r, "not a checkpoint sequence number");
	if (!verify_auth(r, &r->in))
		return reject(r, "bad authenticator");
	if (f->level < depth)
		serve_node(r, from, f);
	else
		serve_leaf(r, from, f);
}
