/*
 * new_key.c — NEW-KEY: a replica's session keys refreshed with a fresh,
 * signed X25519 key (Castro & Liskov, TOCS '02 §4.3.1, the key refresh of
 * proactive recovery; OSDI '99 §4.6).
 *
 * Every pair key is derived from both nodes' current X25519 keys
 * (bft/crypto.h), so when a replica announces a fresh key every key it
 * shares changes, and keys an attacker read from it before stop working.
 * The replica refreshes at start (its previous fresh key died with the
 * process), every cfg.key_refresh_ms, and when it starts recovering.
 *
 *   - ⟨NEW-KEY, epoch, X25519 public key⟩ signed with the node's Ed25519
 *     key. The epoch is the wall clock in µs (or one more than the last),
 *     so a replayed or reordered NEW-KEY (epoch not above the known one)
 *     changes nothing.
 *   - A refresh keeps accepting the previous in-keys for one refresh
 *     period (at least NK_GRACE_MIN_US): messages in flight, requests
 *     relayed inside pre-prepares, clients that have not heard yet. This
 *     is the paper's window: a key stays good for two refresh periods
 *     (TOCS '02 §4.3.3, T_v = 2 T_k + T_r). A recovery refresh
 *     (BFT_NK_RECOVERY) keeps no old key, here or at the peers.
 *   - Lost NEW-KEYs heal themselves: a message from a peer whose MAC does
 *     not verify makes the replica send its own NEW-KEY flagged
 *     BFT_NK_WANT, which the peer answers with its current one; so does a
 *     restarted replica at start. Answers are rate-limited per node
 *     (NK_GAP_US), so forged traffic buys at most one small datagram per
 *     node id and gap.
 *   - Clients never refresh (their keys stay the configured ones); they
 *     learn a replica's key from the NEW-KEY it sends to every client
 *     (the runtime drops it for a client whose address it does not know),
 *     or from the one it answers a request with that did not verify, or
 *     verified only under an old key.
 *
 * Needs io->random; without it the replica keeps its configured keys and
 * still follows its peers' NEW-KEYs.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "replica_internal.h"

#define NK_GRACE_MIN_US 2000000ull /* previous in-keys stay valid at least this
					long, and at most a refresh period */
#define NK_GAP_US 50000ull     /* at most one NEW-KEY to a node per gap */

/* Sign ⟨NEW-KEY, epoch, pub⟩ with flags into buf; its length or 0. */
static uint32_t nk_build(struct bft_replica *r, uint8_t *buf, uint16_t flags,
			 const uint8_t pub[BFT_KEY_LEN])
{
	struct bft_new_key k = { .flags = flags, .epoch = r->key_epoch };
	uint8_t *trailer;
	int len;

	memcpy(k.dh_pub, pub, BFT_KEY_LEN);
	len = bft_encode_new_key(buf, NK_MSG_MAX, r->cfg.id, &k, &trailer);
	if (len < 0 || bft_keyring_sign(r->kr, buf, (size_t)(trailer - buf), trailer) != BFT_OK) {
		rlog(r, BFT_LOG_ERROR, "cannot sign NEW-KEY");
		return 0;
	}
	return (uint32_t)len;
}

static void nk_build_both(struct bft_replica *r, uint16_t flags,
			  const uint8_t pub[BFT_KEY_LEN])
{
	r->nk_len = nk_build(r, r->nk_msg, flags, pub);
	r->nk_want_len = nk_build(r, r->nk_want, flags | BFT_NK_WANT, pub);
}

/* Our NEW-KEY (want: the flavour asking for theirs) to node `to`, unless
 * one went there less than NK_GAP_US ago. */
static void nk_send(struct bft_replica *r, uint32_t to, bool want)
{
	uint64_t now = r->io->now_us(r->io->data);
	uint32_t len = want ? r->nk_want_len : r->nk_len;

	if (!len || to == r->cfg.id || to >= r->cfg.n + r->cfg.n_clients)
		return;
	if (r->nk_sent_us[to] && now - r->nk_sent_us[to] < NK_GAP_US)
		return;
	r->nk_sent_us[to] = now;
	r->io->send(r->io->data, to, want ? r->nk_want : r->nk_msg, len);
}

/* A fresh key: to every replica (asking for theirs when we restarted) and
 * to every client we served. */
static uint64_t grace_us(const struct bft_replica *r)
{
	uint64_t period = r->cfg.key_refresh_ms * 1000;

	return period > NK_GRACE_MIN_US ? period : NK_GRACE_MIN_US;
}

static void refresh(struct bft_replica *r, bool recovery, bool want)
{
	uint8_t sec[BFT_KEY_LEN], pub[BFT_KEY_LEN];
	uint64_t now = r->io->now_us(r->io->data);
	uint64_t epoch = now > r->key_epoch ? now : r->key_epoch + 1;
	int err;

	if (r->io->random(r->io->data, sec, sizeof(sec))) {
		rlog(r, BFT_LOG_ERROR, "NEW-KEY: the generator failed; keys not refreshed");
		return;
	}
	err = bft_keyring_refresh(r->kr, epoch, sec, pub, !recovery);
	OPENSSL_cleanse(sec, sizeof(sec));
	if (err) {
		rlog(r, BFT_LOG_ERROR, "NEW-KEY: cannot refresh keys: %s", bft_strerror(err));
		return;
	}
	r->key_epoch = epoch;
	if (!recovery)
		r->nk_drop_at = now + grace_us(r);
	nk_build_both(r, recovery ? BFT_NK_RECOVERY : 0, pub);
	memset(r->nk_sent_us, 0, (r->cfg.n + r->cfg.n_clients) * sizeof(*r->nk_sent_us));
	for (uint32_t j = 0; j < r->cfg.n; j++)
		nk_send(r, j, want);
	for (uint32_t i = 0; i < r->cfg.n_clients; i++)
		nk_send(r, r->cfg.n + i, false);
	rlog(r, BFT_LOG_INFO, "NEW-KEY: keys refreshed (epoch %llu%s)",
	     (unsigned long long)epoch, recovery ? ", recovering" : "");
}

void new_key_start(struct bft_replica *r)
{
	uint8_t pub[BFT_KEY_LEN];

	if (!r->io->random) {
		/* Still able to ask peers for their keys: an epoch-0 NEW-KEY. */
		if (bft_keyring_dh_pub(r->kr, pub) == BFT_OK)
			nk_build_both(r, 0, pub);
		return;
	}
	refresh(r, r->cfg.recovering, true);
	if (r->cfg.key_refresh_ms)
		r->io->set_timer(r->io->data, BFT_TIMER_KEY, r->cfg.key_refresh_ms);
}

void new_key_timer(struct bft_replica *r)
{
	if (!r->io->random)
		return;
	refresh(r, false, false);
	if (r->cfg.key_refresh_ms)
		r->io->set_timer(r->io->data, BFT_TIMER_KEY, r->cfg.key_refresh_ms);
}

void new_key_tick(struct bft_replica *r)
{
	if (r->nk_drop_at && r->io->now_us(r->io->data) >= r->nk_drop_at) {
		bft_keyring_drop_old(r->kr, UINT32_MAX);
		r->nk_drop_at = 0;
	}
}

void new_key_mismatch(struct bft_replica *r, uint32_t from)
{
	/* A replica may have a key of ours or we of theirs the other lacks:
	 * ask. A client only ever lacks ours. */
	nk_send(r, from, from < r->cfg.n);
}

void recv_new_key(struct bft_replica *r)
{
	const struct bft_new_key *k = &r->in.u.new_key;
	uint32_t from = r->in.hdr.sender;
	bool recovery = k->flags & BFT_NK_RECOVERY;
	int err;

	if (from == r->cfg.id || from >= r->cfg.n + r->cfg.n_clients)
		return reject(r, "NEW-KEY from an unknown node");
	if (from < r->cfg.n && k->epoch > bft_keyring_peer_epoch(r->kr, from)) {
		if (!verify_sig(r, &r->in))
			return reject(r, "NEW-KEY: bad signature");
		err = bft_keyring_peer_refresh(r->kr, from, k->epoch, k->dh_pub, !recovery);
		if (err)
			return reject(r, "NEW-KEY: unusable key");
		if (!recovery) {
			uint64_t until = r->io->now_us(r->io->data) + grace_us(r);

			if (until > r->nk_drop_at)
				r->nk_drop_at = until;
		}
		rlog(r, BFT_LOG_INFO, "NEW-KEY: replica %u refreshed its keys (epoch %llu%s)",
		     from, (unsigned long long)k->epoch, recovery ? ", recovering" : "");
	} else if (!(k->flags & BFT_NK_WANT) || !verify_sig(r, &r->in)) {
		return; /* old news, or nothing asked */
	}
	if (k->flags & BFT_NK_WANT)
		nk_send(r, from, false);
}
