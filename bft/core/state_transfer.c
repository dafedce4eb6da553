/*
 * state_transfer.c — fetching a certified checkpoint's state (Castro &
 * Liskov, TOCS '02 §5.3.2 "State Transfer"; OSDI '99 §4.3 mentions it).
 *
 * A replica is behind when 2f+1 replicas certify a checkpoint (signed
 * CHECKPOINTs, or the proof inside a NEW-VIEW's VIEW-CHANGE) above the last
 * batch it executed and committed, and the log it would need is gone (more
 * than one checkpoint interval behind, or no progress for a few STATUS
 * periods), or when its own digest at a checkpoint differs from the
 * certified one (corrupt state). It then stops executing and fetches the
 * checkpoint's partition tree top-down (the shape is in bft/io.h): FETCH
 * an interior node → META-DATA with its children's digests, checked
 * against the node's certified digest; children whose digests equal the
 * local state's are skipped, empty ones are emptied locally, the others
 * fetched in turn; a leaf comes as DATA chunks, checked with the service's
 * leaf_digest and put into the state. Every piece is checked against a
 * digest that descends from the certified root, so one correct replica's
 * certificate is enough and a replier that sends anything else is dropped
 * for this transfer (rotation also follows silence). When the walk ends,
 * transfer_end must yield the certified root; the replica then adopts the
 * checkpoint as its stable one (h, proof), reloads its reply cache from the
 * state and goes on executing from the log. A higher certificate arriving
 * meanwhile retargets the walk; leaves already put stay.
 *
 * Up to ST_WINDOW FETCHes are in flight, all to the current replier.
 */
#include <stdlib.h>
#include <string.h>

#include "replica_internal.h"

static const uint8_t zero[BFT_DIGEST_LEN];

static bool is_zero(const uint8_t *d)
{
	return memcmp(d, zero, BFT_DIGEST_LEN) == 0;
}

int st_alloc(struct bft_replica *r)
{
	uint32_t fan = r->svc->tree_fanout;

	if (!r->svc->children)
		return BFT_OK;
	r->st.stack_cap = fan * (r->svc->tree_depth + 1) * (ST_WINDOW + 1);
	r->st.stack = calloc(r->st.stack_cap, sizeof(*r->st.stack));
	r->st.kids = calloc(fan, BFT_DIGEST_LEN);
	r->st.local = calloc(fan, BFT_DIGEST_LEN);
	r->st.chunk = malloc(BFT_MAX_DATA);
	if (!r->st.stack || !r->st.kids || !r->st.local || !r->st.chunk)
		return BFT_E_NOMEM;
	return BFT_OK;
}

static void drop_fetches(struct bft_replica *r)
{
	uint32_t i;

	for (i = 0; i < r->st.n_fl; i++)
		free(r->st.fl[i].buf);
	memset(r->st.fl, 0, sizeof(r->st.fl));
	r->st.n_fl = 0;
}

void st_free(struct bft_replica *r)
{
	drop_fetches(r);
	free(r->st.stack);
	free(r->st.kids);
	free(r->st.local);
	free(r->st.chunk);
}

/* ---- choosing whom to ask ---- */

static bool usable(const struct bft_replica *r, uint32_t j)
{
	return j != r->cfg.id && !(r->st.bad >> j & 1);
}

/* The next replica after the current one, preferring those that signed the
 * certificate (they hold the checkpoint's snapshot). */
static void rotate(struct bft_replica *r)
{
	uint32_t n = r->cfg.n, k, j;

	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2)
			r->st.bad = 0; /* everyone failed: maybe it was only loss */
		for (k = 1; k <= n; k++) {
			j = (r->st.replier + k) % n;
			if (usable(r, j) && (pass > 0 || (r->cert.have >> j & 1))) {
				r->st.replier = j;
				return;
			}
		}
	}
}

/* ---- the walk ---- */

static void send_fetch(struct bft_replica *r, const struct st_fetch *x)
{
	struct bft_fetch f = {
		.level = x->node.level, .index = x->node.index, .offset = x->got,
		.want_seq = r->st.seq, .replier = r->st.replier,
	};
	uint8_t *trailer;
	int len = bft_encode_fetch(r->out, BFT_MAX_MSG, r->cfg.n, r->cfg.id, &f, &trailer);

	if (len < 0)
		return;
	if (bft_keyring_auth(r->kr, r->out, (size_t)(trailer - r->out), trailer) !=
	    BFT_OK)
		return;
	r->io->send(r->io->data, r->st.replier, r->out, (size_t)len);
}

static void resend_all(struct bft_replica *r)
{
	uint32_t i;

	for (i = 0; i < r->st.n_fl; i++) {
		struct st_fetch *x = &r->st.fl[i];

		free(x->buf);
		x->buf = NULL;
		x->got = x->total = 0;
		x->sized = false;
		send_fetch(r, x);
	}
}

static bool push(struct bft_replica *r, uint32_t level, uint64_t index, const uint8_t *d,
		 bool clear)
{
	struct st_item *it;

	if (r->st.n_stack == r->st.stack_cap)
		return false;
	it = &r->st.stack[r->st.n_stack++];
	it->level = level;
	it->index = index;
	it->clear = clear;
	memcpy(it->digest, d, BFT_DIGEST_LEN);
	return true;
}

static void st_fail(struct bft_replica *r, const char *what, int err)
{
	rlog(r, BFT_LOG_ERROR, "state transfer: service %s failed (%d): replica halts",
	     what, err);
	r->halted = true;
}

/* A certified-empty subtree: empty the local leaves below (no network). */
static bool clear_local(struct bft_replica *r, const struct st_item *it)
{
	uint32_t fan = r->svc->tree_fanout, i;
	int err;

	if (it->level == r->svc->tree_depth) {
		err = r->svc->leaf_put(r->svc->data, it->index, NULL, 0);
		if (err)
			st_fail(r, "leaf_put", err);
		return !err;
	}
	err = r->svc->children(r->svc->data, 0, it->level, it->index, r->st.local);
	if (err) {
		st_fail(r, "children", err);
		return false;
	}
	for (i = 0; i < fan; i++)
		if (!is_zero(r->st.local[i]) &&
		    !push(r, it->level + 1, it->index * fan + i, zero, true))
			return false;
	return true;
}

static void st_finish(struct bft_replica *r);

/* Issue FETCHes for what the stack holds, up to the window; finish when
 * nothing is left. Interior fetches keep room for their children. */
static void pump(struct bft_replica *r)
{
	uint32_t fan = r->svc->tree_fanout;

	while (r->st.active && !r->halted && r->st.n_stack) {
		struct st_item *top = &r->st.stack[r->st.n_stack - 1];
		struct st_item it = *top;

		if (it.clear) {
			if (r->st.n_stack - 1 + fan > r->st.stack_cap)
				break;
			r->st.n_stack--;
			if (!clear_local(r, &it))
				return;
			continue;
		}
		if (r->st.n_fl == ST_WINDOW ||
		    (it.level < r->svc->tree_depth &&
		     r->st.n_stack + (r->st.n_fl + 1) * fan > r->st.stack_cap))
			break;
		r->st.n_stack--;
		r->st.fl[r->st.n_fl] = (struct st_fetch){ .node = it };
		send_fetch(r, &r->st.fl[r->st.n_fl]);
		r->st.n_fl++;
	}
	if (r->st.active && !r->halted && !r->st.n_stack && !r->st.n_fl)
		st_finish(r);
}

static void walk_from_root(struct bft_replica *r)
{
	drop_fetches(r);
	r->st.n_stack = 0;
	push(r, 0, 0, r->st.digest, is_zero(r->st.digest));
	pump(r);
}

static void st_begin(struct bft_replica *r)
{
	if (!r->svc->children) {
		rlog(r, BFT_LOG_WARN, "behind checkpoint %llu, but the service cannot "
		     "transfer state", (unsigned long long)r->cert.seq);
		rtrace(r, BFT_TRACE_BEHIND, r->cert.seq, NULL, false);
		return;
	}
	rollback_tentative(r);
	if (r->halted)
		return;
	if (!r->st.active) {
		r->st.active = true;
		r->st.bad = 0;
		r->st.replier = r->cfg.id;
		r->st.n_nodes = r->st.n_leaves = r->st.n_bytes = r->st.rx_bytes = 0;
		r->st.started_us = r->io->now_us(r->io->data);
		rotate(r);
	}
	if (r->st.seq != r->cert.seq)
		r->st.attempts = 0;
	r->st.seq = r->cert.seq;
	memcpy(r->st.digest, r->st.seq ? r->cert.digest[__builtin_ctzll(r->cert.have)] : zero,
	       BFT_DIGEST_LEN);
	r->st.progress = true;
	rlog(r, BFT_LOG_INFO, "state transfer: fetching checkpoint %llu from replica %u "
	     "(executed %llu)", (unsigned long long)r->st.seq, r->st.replier,
	     (unsigned long long)r->last_cexec);
	rtrace(r, BFT_TRACE_BEHIND, r->st.seq, r->st.digest, false);
	walk_from_root(r);
}

void st_certified(struct bft_replica *r, const struct ckpt_slot *s, const uint8_t *d)
{
	if (s->seq <= r->cert.seq)
		return;
	ckpt_copy_matching(r, &r->cert, s, d);
	if (r->cert.seq <= r->last_cexec)
		return;
	if (r->st.active || r->cert.seq > r->last_cexec + r->cfg.checkpoint_interval)
		st_begin(r); /* starts, or retargets the walk to the newer one */
}

void st_corrupt(struct bft_replica *r)
{
	if (!r->st.active && r->cert.seq)
		st_begin(r);
}

/* Every STATUS period: retry a silent replier with another, and start a
 * transfer when the replica stays behind the certificate without progress
 * (what it needs may be gone from every log). */
void st_tick(struct bft_replica *r)
{
	if (r->st.active) {
		if (!r->st.progress && r->st.n_fl) {
			rotate(r);
			resend_all(r);
		}
		r->st.progress = false;
		return;
	}
	if (r->cert.seq <= r->last_cexec) {
		r->st.quiet_ticks = 0;
		return;
	}
	if (++r->st.quiet_ticks >= 3) {
		r->st.quiet_ticks = 0;
		st_begin(r);
	}
}

/* ---- answers ---- */

static struct st_fetch *find_fetch(struct bft_replica *r, uint32_t level, uint64_t index)
{
	uint32_t i;

	for (i = 0; i < r->st.n_fl; i++)
		if (r->st.fl[i].node.level == level && r->st.fl[i].node.index == index)
			return &r->st.fl[i];
	return NULL;
}

static void remove_fetch(struct bft_replica *r, struct st_fetch *x)
{
	free(x->buf);
	*x = r->st.fl[--r->st.n_fl];
	memset(&r->st.fl[r->st.n_fl], 0, sizeof(r->st.fl[0]));
}

/* The replier sent something that does not match the certified digests. */
static void bad_replier(struct bft_replica *r, const char *why)
{
	uint32_t from = r->in.hdr.sender;

	rlog(r, BFT_LOG_WARN, "state transfer: replica %u sent %s for checkpoint %llu; "
	     "asking another", from, why, (unsigned long long)r->st.seq);
	rtrace(r, BFT_TRACE_REJECTED, r->in.hdr.type, NULL, false);
	r->st.bad |= 1ull << from;
	rotate(r);
	resend_all(r);
}

/* An answer is for us only if it comes from the replier, for the
 * checkpoint being fetched, and authenticates. */
static bool answer_ok(struct bft_replica *r, uint64_t seq)
{
	uint32_t from = r->in.hdr.sender;

	if (!r->st.active || from >= r->cfg.n || from != r->st.replier || seq != r->st.seq)
		return false;
	if (!verify_mac(r, &r->in)) {
		reject(r, "bad MAC");
		return false;
	}
	return true;
}

void recv_meta_data(struct bft_replica *r)
{
	const struct bft_meta_data *md = &r->in.u.meta_data;
	uint32_t fan = r->svc->tree_fanout, i;
	struct st_fetch *x;
	uint8_t d[BFT_DIGEST_LEN];
	struct st_item it;
	int err;

	if (!answer_ok(r, md->seq))
		return;
	r->st.rx_bytes += r->in.hdr.length;
	x = find_fetch(r, md->level, md->index);
	if (!x || md->level >= r->svc->tree_depth)
		return; /* not asked (a late duplicate) */
	r->st.progress = true;
	if (md->count != fan)
		return bad_replier(r, "a node with the wrong number of children");
	for (i = 0; i < fan; i++) {
		uint64_t idx, lm;

		bft_meta_child(md, i, &idx, &lm, r->st.kids[i]);
		if (idx != md->index * fan + i)
			return bad_replier(r, "misnumbered children");
	}
	bft_tree_node_digest((const uint8_t (*)[BFT_DIGEST_LEN])r->st.kids, fan, d);
	if (memcmp(d, x->node.digest, BFT_DIGEST_LEN))
		return bad_replier(r, "children that do not match their parent's digest");
	it = x->node;
	remove_fetch(r, x);
	r->st.n_nodes++;
	err = r->svc->children(r->svc->data, 0, it.level, it.index, r->st.local);
	if (err)
		return st_fail(r, "children", err);
	for (i = 0; i < fan; i++) {
		if (!memcmp(r->st.kids[i], r->st.local[i], BFT_DIGEST_LEN))
			continue; /* this subtree is already right here */
		if (!push(r, it.level + 1, it.index * fan + i, r->st.kids[i],
			  is_zero(r->st.kids[i]))) {
			rlog(r, BFT_LOG_ERROR, "state transfer: work stack full");
			return walk_from_root(r);
		}
	}
	pump(r);
}

void recv_data(struct bft_replica *r)
{
	const struct bft_data *dm = &r->in.u.data;
	uint8_t d[BFT_DIGEST_LEN];
	struct st_fetch *x;
	int err;

	if (!answer_ok(r, dm->seq))
		return;
	r->st.rx_bytes += r->in.hdr.length;
	x = find_fetch(r, r->svc->tree_depth, dm->index);
	if (!x || dm->offset != x->got || (x->sized && dm->total != x->total))
		return; /* not asked, or a chunk we already have */
	r->st.progress = true;
	if (!x->sized) {
		if (dm->total > r->svc->leaf_max)
			return bad_replier(r, "a leaf larger than the service allows");
		x->buf = malloc(dm->total ? dm->total : 1);
		if (!x->buf)
			return st_fail(r, "leaf buffer", BFT_E_NOMEM);
		x->total = dm->total;
		x->sized = true;
	}
	if (!dm->len && x->got < x->total)
		return bad_replier(r, "an empty chunk");
	memcpy(x->buf + x->got, dm->data, dm->len);
	x->got += dm->len;
	if (x->got < x->total) {
		send_fetch(r, x);
		return;
	}
	err = r->svc->leaf_digest(r->svc->data, x->node.index, x->buf, x->total, d);
	if (err || memcmp(d, x->node.digest, BFT_DIGEST_LEN))
		return bad_replier(r, "a leaf that does not match its digest");
	err = r->svc->leaf_put(r->svc->data, x->node.index, x->buf, x->total);
	if (err)
		return st_fail(r, "leaf_put", err);
	r->st.n_leaves++;
	r->st.n_bytes += x->total;
	remove_fetch(r, x);
	pump(r);
}

/* ---- the end ---- */

bool reload_clients(struct bft_replica *r, uint64_t seq)
{
	uint32_t i;

	for (i = 0; i < r->cfg.n_clients; i++) {
		struct client_rec *c = &r->clients[i];
		uint64_t ts = 0;
		uint32_t len = 0;
		int err = r->svc->reply_get(r->svc->data, i + r->cfg.n, &ts, r->result,
					    BFT_MAX_RESULT, &len);

		if (err || len > BFT_MAX_RESULT) {
			st_fail(r, "reply_get", err ? err : BFT_E_LONG);
			return false;
		}
		if (!buf_store(&c->reply, &c->reply_cap, &c->reply_len, r->result, len)) {
			st_fail(r, "reply cache", BFT_E_NOMEM);
			return false;
		}
		c->last_ts = ts;
		c->reply_seq = seq;
		c->reply_tentative = false;
		c->replier = BFT_REPLIER_ALL;
		c->prev_len = 0;
		request_executed(r, c);
	}
	return true;
}

/* Adopt checkpoint seq as the stable one: the state is now its state. */
static void install(struct bft_replica *r, uint64_t seq, uint64_t time_us)
{
	struct ckpt_slot *s;
	uint32_t i;

	window_jump(r, seq);
	for (i = 0; i < r->log_slots; i++)
		if (r->log[i].seq > seq)
			r->log[i].executed = false;
	for (i = 0; i < r->n_ckpt; i++) {
		struct ckpt_slot *c = &r->ckpt[i];

		if (c->seq > seq && c->own_valid) {
			/* Our digest there came from the state we replaced: take
			 * it again when the batches run again on the new state,
			 * and sign that one. */
			c->own_valid = c->own_sent = false;
			c->have &= ~(1ull << r->cfg.id);
		}
	}
	for (i = 0; i < r->n_ckpt; i++)
		if (r->far[i].seq <= seq)
			r->far[i].seq = 0;
	memcpy(r->h_digest, r->st.digest, BFT_DIGEST_LEN);
	r->last_exec = r->last_cexec = seq;
	r->last_time_us = time_us;
	r->open_batch = 0;
	if (r->next_seq < seq)
		r->next_seq = seq;
	s = ckpt_get(r, seq, true);
	ckpt_copy_matching(r, s, &r->cert, r->st.digest);
	memcpy(s->own, r->st.digest, BFT_DIGEST_LEN);
	s->own_valid = true;
	s->own_sent = false;
	if (!reload_clients(r, seq) || !persist_stable(r, s))
		return;
	if (r->svc->snapshot_release)
		r->svc->snapshot_release(r->svc->data, seq);
	rtrace(r, BFT_TRACE_TRANSFERRED, seq, r->st.digest, false);
	recovery_verified(r, seq);
	checkpoint_committed(r, seq); /* our own CHECKPOINT for it */
	reapply_new_view(r);
}

static void st_finish(struct bft_replica *r)
{
	uint8_t d[BFT_DIGEST_LEN];
	uint64_t t = 0, seq = r->st.seq;
	int err = r->svc->transfer_end(r->svc->data, seq, d, &t);

	if (err)
		return st_fail(r, "transfer_end", err);
	if (memcmp(d, r->st.digest, BFT_DIGEST_LEN)) {
		rlog(r, BFT_LOG_ERROR, "state transfer: state after checkpoint %llu does not "
		     "have the certified digest", (unsigned long long)seq);
		if (++r->st.attempts >= 3)
			return st_fail(r, "transfer (digest)", BFT_E_SERVICE);
		return walk_from_root(r);
	}
	r->st.active = false;
	r->st.quiet_ticks = 0;
	install(r, seq, t);
	rlog(r, BFT_LOG_INFO, "state transfer: at checkpoint %llu (%llu nodes, %llu leaves, "
	     "%llu bytes, %llu bytes received, %llu ms)", (unsigned long long)seq,
	     (unsigned long long)r->st.n_nodes, (unsigned long long)r->st.n_leaves,
	     (unsigned long long)r->st.n_bytes, (unsigned long long)r->st.rx_bytes,
	     (unsigned long long)((r->io->now_us(r->io->data) - r->st.started_us) / 1000));
	if (!r->halted)
		try_execute(r);
}
