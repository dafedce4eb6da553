/*
 * keyring.c — everything a node needs to authenticate its messages: pairwise
 * MAC contexts for the current epoch, authenticators, and cached Ed25519 keys.
 *
 * Castro & Liskov, OSDI '99 §3 (each pair of nodes shares session keys; an
 * authenticator is a vector of MACs, one per replica) and §5.1 (MACs instead
 * of signatures on the normal-case path); TOCS '02 §4.2 (keys refreshed per
 * epoch by NEW-KEY). Session keys are directional and derived as documented
 * in bft/crypto.h from the two nodes' current X25519 keys, so a NEW-KEY
 * (a fresh key of one node) changes every key of its pairs (X25519 + HKDF-SHA-256, RFC 7748 / RFC 5869, see keys.c);
 * MACs are truncated HMAC-SHA-256 (RFC 2104 / RFC 4231, see mac.c);
 * signatures are Ed25519 (RFC 8032, see sign.c).
 *
 * Nodes 0..n_replicas-1 are replicas, n_replicas..n_nodes-1 clients. A pair
 * (self, j), j != self, is "keyed" if at least one of them is a replica;
 * client-client pairs have no keys and every operation naming such a peer
 * fails with BFT_E_PEER. Ed25519 public keys are parsed once, for self and
 * every keyed peer (a client never verifies another client's signature).
 *
 * Never: crash or read out of bounds on any argument (ids are range-checked
 * before they index anything, NULL pointers are rejected); accept a tag or
 * signature that does not verify; compare tags other than in constant time;
 * leave a half-updated key after a failed rekey; or keep key material after
 * bft_keyring_free() (MAC states are wiped, OpenSSL wipes the parsed private
 * keys). The keyring is not thread-safe.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "crypto_internal.h"

struct kr_peer {
	struct bft_mac_key out;    /* self→peer, current keys */
	struct bft_mac_key in;     /* peer→self, current keys */
	struct bft_mac_key old_in; /* peer→self before the last change, while
				      has_old_in (a refresh's grace period) */
	bool has_old_in;
	EVP_PKEY *sign_pub;     /* parsed Ed25519 public key; NULL if unused */
	uint8_t dh_pub[BFT_KEY_LEN]; /* the peer's current X25519 key */
	uint64_t epoch;         /* its epoch (0: the configured key) */
	bool keyed;
};

struct bft_keyring {
	uint32_t self;
	uint32_t n_replicas;
	uint32_t n_nodes;
	EVP_PKEY *sign_sec; /* own Ed25519 private key, parsed */
	EVP_PKEY *dh_sec;   /* own current X25519 private key, parsed */
	uint64_t epoch;     /* its epoch (0: the configured key) */
	bool last_old;      /* the last verification passed under an old key */
	struct kr_peer *peers; /* [n_nodes] */
};

static bool pair_keyed(uint32_t self, uint32_t j, uint32_t n_replicas)
{
	return j != self && (self < n_replicas || j < n_replicas);
}

/* The peer entry for a keyed peer, or NULL (unknown id, self, client pair). */
static struct kr_peer *keyed_peer(struct bft_keyring *kr, uint32_t id)
{
	if (id >= kr->n_nodes || !kr->peers[id].keyed)
		return NULL;
	return &kr->peers[id];
}

/* Set up both MAC contexts of `p` from own current X25519 key and the
 * peer's (the epoch in HKDF's info is the sum of both epochs: the X25519
 * input already binds both keys). With keep_old the previous in-key stays
 * acceptable until bft_keyring_drop_old(). On failure p is unchanged. */
static int derive_pair(struct bft_keyring *kr, struct kr_peer *p, uint32_t peer,
		       bool keep_old)
{
	uint8_t shared[BFT_KEY_LEN], k_out[BFT_KEY_LEN], k_in[BFT_KEY_LEN];
	uint64_t epoch = kr->epoch + p->epoch;
	int rc;

	rc = bft_x25519_pkey(kr->dh_sec, p->dh_pub, shared);
	if (rc == BFT_OK)
		rc = bft_session_key_from_shared(shared, kr->self, peer, epoch, k_out);
	if (rc == BFT_OK)
		rc = bft_session_key_from_shared(shared, peer, kr->self, epoch, k_in);
	if (rc == BFT_OK) {
		p->has_old_in = keep_old;
		if (keep_old)
			p->old_in = p->in;
		else
			bft_mac_key_clear(&p->old_in);
		bft_mac_key_setup(&p->out, k_out, sizeof(k_out));
		bft_mac_key_setup(&p->in, k_in, sizeof(k_in));
	}
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(k_out, sizeof(k_out));
	OPENSSL_cleanse(k_in, sizeof(k_in));
	return rc;
}

/* Does the parsed key `k` have the raw public key `pub`? */
static bool pkey_has_public(EVP_PKEY *k, const uint8_t pub[BFT_KEY_LEN])
{
	uint8_t raw[BFT_KEY_LEN];
	size_t len = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1) {
		ERR_clear_error();
		return false;
	}
	return len == BFT_KEY_LEN && CRYPTO_memcmp(raw, pub, BFT_KEY_LEN) == 0;
}

int bft_keyring_new(uint32_t self, uint32_t n_replicas, uint32_t n_nodes,
		    const struct bft_keypair *own, const struct bft_pubkey *pubs,
		    struct bft_keyring **out)
{
	struct bft_keyring *kr;
	int rc;

	if (out == NULL)
		return BFT_E_INVAL;
	*out = NULL;
	if (own == NULL || pubs == NULL || n_replicas == 0 || n_nodes < n_replicas)
		return BFT_E_INVAL;
	if (self >= n_nodes)
		return BFT_E_PEER;
#if SIZE_MAX < UINT64_MAX /* 32-bit size_t: n_nodes * sizeof could overflow */
	if (n_nodes > SIZE_MAX / sizeof(struct kr_peer))
		return BFT_E_NOMEM;
#endif
	/* pubs[self] must be own public half. */
	if (CRYPTO_memcmp(pubs[self].sign_pub, own->sign_pub, BFT_KEY_LEN) != 0 ||
	    CRYPTO_memcmp(pubs[self].dh_pub, own->dh_pub, BFT_KEY_LEN) != 0)
		return BFT_E_INVAL;

	kr = OPENSSL_zalloc(sizeof(*kr));
	if (kr == NULL)
		return BFT_E_NOMEM;
	kr->self = self;
	kr->n_replicas = n_replicas;
	kr->n_nodes = n_nodes;
	kr->peers = OPENSSL_zalloc((size_t)n_nodes * sizeof(struct kr_peer));
	if (kr->peers == NULL) {
		rc = BFT_E_NOMEM;
		goto fail;
	}

	/* Parse own keys once and check they match the published halves. */
	kr->sign_sec = bft_ed25519_parse_secret(own->sign_sec);
	kr->dh_sec = bft_x25519_parse_secret(own->dh_sec);
	if (kr->sign_sec == NULL || kr->dh_sec == NULL) {
		ERR_clear_error();
		rc = BFT_E_CRYPTO;
		goto fail;
	}
	if (!pkey_has_public(kr->sign_sec, own->sign_pub) ||
	    !pkey_has_public(kr->dh_sec, own->dh_pub)) {
		rc = BFT_E_INVAL; /* own is not a consistent key pair */
		goto fail;
	}

	for (uint32_t j = 0; j < n_nodes; j++) {
		struct kr_peer *p = &kr->peers[j];
		bool keyed = pair_keyed(self, j, n_replicas);

		if (!keyed && j != self)
			continue;
		p->sign_pub = bft_ed25519_parse_public(pubs[j].sign_pub);
		if (p->sign_pub == NULL) {
			ERR_clear_error();
			rc = BFT_E_CRYPTO;
			goto fail;
		}
		if (!keyed)
			continue;
		memcpy(p->dh_pub, pubs[j].dh_pub, BFT_KEY_LEN);
		rc = derive_pair(kr, p, j, false);
		if (rc != BFT_OK)
			goto fail;
		p->keyed = true;
	}
	*out = kr;
	return BFT_OK;

fail:
	bft_keyring_free(kr);
	return rc;
}

void bft_keyring_free(struct bft_keyring *kr)
{
	if (kr == NULL)
		return;
	if (kr->peers != NULL) {
		for (uint32_t j = 0; j < kr->n_nodes; j++)
			EVP_PKEY_free(kr->peers[j].sign_pub);
		OPENSSL_clear_free(kr->peers, (size_t)kr->n_nodes * sizeof(struct kr_peer));
	}
	EVP_PKEY_free(kr->sign_sec); /* OpenSSL wipes the raw private keys */
	EVP_PKEY_free(kr->dh_sec);
	OPENSSL_clear_free(kr, sizeof(*kr));
}

uint32_t bft_keyring_self(const struct bft_keyring *kr)
{
	return kr != NULL ? kr->self : UINT32_MAX;
}

int bft_keyring_refresh(struct bft_keyring *kr, uint64_t epoch,
			const uint8_t sec[BFT_KEY_LEN], uint8_t pub[BFT_KEY_LEN],
			bool keep_old)
{
	EVP_PKEY *old, *k;
	uint64_t old_epoch;
	size_t len = BFT_KEY_LEN;
	int rc = BFT_OK;

	if (kr == NULL || sec == NULL || pub == NULL || epoch <= kr->epoch)
		return BFT_E_INVAL;
	k = bft_x25519_parse_secret(sec);
	if (k == NULL || EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 ||
	    len != BFT_KEY_LEN) {
		ERR_clear_error();
		EVP_PKEY_free(k);
		return BFT_E_CRYPTO;
	}
	old = kr->dh_sec;
	old_epoch = kr->epoch;
	kr->dh_sec = k;
	kr->epoch = epoch;
	for (uint32_t j = 0; j < kr->n_nodes && rc == BFT_OK; j++)
		if (kr->peers[j].keyed)
			rc = derive_pair(kr, &kr->peers[j], j, keep_old);
	if (rc != BFT_OK) { /* a peer's key is a low-order point: undo */
		kr->dh_sec = old;
		kr->epoch = old_epoch;
		for (uint32_t j = 0; j < kr->n_nodes; j++)
			if (kr->peers[j].keyed)
				derive_pair(kr, &kr->peers[j], j, false);
		EVP_PKEY_free(k);
		return rc;
	}
	EVP_PKEY_free(old);
	return BFT_OK;
}

int bft_keyring_peer_refresh(struct bft_keyring *kr, uint32_t peer, uint64_t epoch,
			     const uint8_t pub[BFT_KEY_LEN], bool keep_old)
{
	uint8_t old_pub[BFT_KEY_LEN];
	uint64_t old_epoch;
	struct kr_peer *p;
	int rc;

	if (kr == NULL || pub == NULL)
		return BFT_E_INVAL;
	p = keyed_peer(kr, peer);
	if (p == NULL)
		return BFT_E_PEER;
	if (epoch <= p->epoch)
		return BFT_E_INVAL;
	memcpy(old_pub, p->dh_pub, BFT_KEY_LEN);
	old_epoch = p->epoch;
	memcpy(p->dh_pub, pub, BFT_KEY_LEN);
	p->epoch = epoch;
	rc = derive_pair(kr, p, peer, keep_old);
	if (rc != BFT_OK) {
		memcpy(p->dh_pub, old_pub, BFT_KEY_LEN);
		p->epoch = old_epoch;
	}
	return rc;
}

int bft_keyring_dh_pub(const struct bft_keyring *kr, uint8_t pub[BFT_KEY_LEN])
{
	size_t len = BFT_KEY_LEN;

	if (kr == NULL || pub == NULL)
		return BFT_E_INVAL;
	if (EVP_PKEY_get_raw_public_key(kr->dh_sec, pub, &len) != 1 || len != BFT_KEY_LEN) {
		ERR_clear_error();
		return BFT_E_CRYPTO;
	}
	return BFT_OK;
}

uint64_t bft_keyring_epoch(const struct bft_keyring *kr)
{
	return kr != NULL ? kr->epoch : 0;
}

uint64_t bft_keyring_peer_epoch(const struct bft_keyring *kr, uint32_t peer)
{
	if (kr == NULL || peer >= kr->n_nodes || !kr->peers[peer].keyed)
		return 0;
	return kr->peers[peer].epoch;
}

void bft_keyring_drop_old(struct bft_keyring *kr, uint32_t peer)
{
	for (uint32_t j = 0; kr != NULL && j < kr->n_nodes; j++) {
		if ((peer != UINT32_MAX && j != peer) || !kr->peers[j].has_old_in)
			continue;
		kr->peers[j].has_old_in = false;
		bft_mac_key_clear(&kr->peers[j].old_in);
	}
}

/* Verify tag under p's current in-key, or the previous one in its grace. */
static int verify_in(struct bft_keyring *kr, struct kr_peer *p, const void *msg,
		     size_t len, const uint8_t tag[BFT_MAC_LEN])
{
	int rc = bft_mac_verify(&p->in, msg, len, tag);

	kr->last_old = false;
	if (rc == BFT_E_AUTH && p->has_old_in) {
		rc = bft_mac_verify(&p->old_in, msg, len, tag);
		kr->last_old = rc == BFT_OK;
	}
	return rc;
}

bool bft_keyring_last_was_old(const struct bft_keyring *kr)
{
	return kr != NULL && kr->last_old;
}

int bft_keyring_mac(struct bft_keyring *kr, uint32_t to, const void *msg,
		    size_t len, uint8_t tag[BFT_MAC_LEN])
{
	struct kr_peer *p;

	if (kr == NULL || tag == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	p = keyed_peer(kr, to);
	if (p == NULL)
		return BFT_E_PEER;
	return bft_mac_compute(&p->out, msg, len, tag);
}

int bft_keyring_mac_verify(struct bft_keyring *kr, uint32_t from, const void *msg,
			   size_t len, const uint8_t tag[BFT_MAC_LEN])
{
	struct kr_peer *p;

	if (kr == NULL || tag == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	p = keyed_peer(kr, from);
	if (p == NULL)
		return BFT_E_PEER;
	return verify_in(kr, p, msg, len, tag);
}

/* What an authenticator's MACs cover: the message, or for a long one its
 * digest (computed into d). */
static const void *auth_input(const void *msg, size_t *len, uint8_t d[BFT_DIGEST_LEN])
{
	if (*len <= BFT_AUTH_DIGEST_MIN)
		return msg;
	bft_sha256(msg, *len, d);
	*len = BFT_DIGEST_LEN;
	return d;
}

int bft_keyring_auth(struct bft_keyring *kr, const void *msg, size_t len,
		     uint8_t *tags)
{
	uint8_t full[BFT_DIGEST_LEN], d[BFT_DIGEST_LEN];

	if (kr == NULL || tags == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	msg = auth_input(msg, &len, d);
	for (uint32_t j = 0; j < kr->n_replicas; j++) {
		uint8_t *t = tags + (size_t)j * BFT_MAC_LEN;

		if (j == kr->self) {
			memset(t, 0, BFT_MAC_LEN);
			continue;
		}
		/* Every replica is keyed with self, whatever self is. */
		bft_mac_full(&kr->peers[j].out, msg, len, full);
		memcpy(t, full, BFT_MAC_LEN);
	}
	OPENSSL_cleanse(full, sizeof(full));
	return BFT_OK;
}

int bft_keyring_auth_verify(struct bft_keyring *kr, uint32_t from, const void *msg,
			    size_t len, const uint8_t *tags)
{
	uint8_t d[BFT_DIGEST_LEN];
	struct kr_peer *p;

	if (kr == NULL || tags == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	if (kr->self >= kr->n_replicas)
		return BFT_E_PEER; /* authenticators carry entries for replicas only */
	p = keyed_peer(kr, from);
	if (p == NULL)
		return BFT_E_PEER;
	msg = auth_input(msg, &len, d);
	return verify_in(kr, p, msg, len, tags + (size_t)kr->self * BFT_MAC_LEN);
}

int bft_keyring_sign(struct bft_keyring *kr, const void *msg, size_t len,
		     uint8_t sig[BFT_SIG_LEN])
{
	if (kr == NULL || sig == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	return bft_ed25519_sign_pkey(kr->sign_sec, msg, len, sig);
}

int bft_keyring_verify(struct bft_keyring *kr, uint32_t from, const void *msg,
		       size_t len, const uint8_t sig[BFT_SIG_LEN])
{
	if (kr == NULL || sig == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	if (from >= kr->n_nodes || kr->peers[from].sign_pub == NULL)
		return BFT_E_PEER;
	return bft_ed25519_verify_pkey(kr->peers[from].sign_pub, msg, len, sig);
}
