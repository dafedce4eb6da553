/*
 * bft/crypto.h — the cryptography of the PBFT library, on OpenSSL 3.
 *
 * Castro & Liskov, OSDI '99, §3 and §5.1 (message authentication codes and
 * authenticators instead of signatures on the normal-case path) and the TOCS
 * '02 paper §4.2 (authenticators, session keys refreshed by NEW-KEY).
 *
 *   - SHA-256 digests (BFT_DIGEST_LEN bytes).
 *   - HMAC-SHA-256 MACs truncated to BFT_MAC_LEN = 16 bytes (128 bits, at
 *     least as strong as the paper's 10-byte UMAC tags). Tags are compared in
 *     constant time.
 *   - Authenticators: a vector of n_replicas MACs, entry j computed with the
 *     sender→j session key, so each replica checks only its own entry.
 *   - Ed25519 signatures (BFT_SIG_LEN = 64) for the rare messages that must be
 *     forwarded as proof (CHECKPOINT, VIEW-CHANGE, NEW-VIEW, NEW-KEY).
 *   - X25519 + HKDF-SHA-256 to derive directional pairwise session keys:
 *       k(i→j) = HKDF(ikm = X25519(D_i, D_j), salt = "bfs-pbft-v1",
 *                     info = "mac" || u32le(i) || u32le(j) || u64le(e_i + e_j))
 *     where D_x is node x's current X25519 key and e_x its epoch: at first
 *     the configured key pair (epoch 0); after x's NEW-KEY (TOCS '02
 *     §4.3.1) the fresh key it announced, signed, with a higher epoch.
 *     Both i and j can compute k(i→j); keys differ per direction; a fresh
 *     key of either node changes every key of its pairs, so keys an
 *     attacker read from a compromised node stop working once it
 *     refreshes (the Ed25519 signing key must stay secret: the paper keeps
 *     it in a secure co-processor).
 *
 * Everything here is deterministic except bft_keypair_generate(), which
 * draws from OpenSSL's RNG; the pure core only calls the deterministic part.
 * Secrets are wiped (OPENSSL_cleanse) when freed. Errors follow bft/error.h.
 *
 * Thread-safety: a keyring is not thread-safe; use one per thread.
 */
#ifndef BFT_CRYPTO_H
#define BFT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define BFT_DIGEST_LEN 32
#define BFT_MAC_LEN 16
#define BFT_SIG_LEN 64
#define BFT_KEY_LEN 32 /* Ed25519/X25519 public or private key, session key */

/* ---- digests ---- */

void bft_sha256(const void *data, size_t len, uint8_t out[BFT_DIGEST_LEN]);

/* A state-transfer tree node's digest from its fanout children (bft/io.h,
 * struct bft_service): all-zero when every child is all-zero (an empty
 * subtree), else SHA-256 of the children's digests in order. */
void bft_tree_node_digest(const uint8_t (*children)[BFT_DIGEST_LEN], uint32_t fanout,
			  uint8_t out[BFT_DIGEST_LEN]);

/* Incremental SHA-256. The context lives on the caller's stack; no allocation. */
struct bft_sha256_ctx {
	uint64_t opaque[16]; /* holds an OpenSSL SHA256_CTX-equivalent state */
};
void bft_sha256_init(struct bft_sha256_ctx *c);
void bft_sha256_update(struct bft_sha256_ctx *c, const void *data, size_t len);
void bft_sha256_final(struct bft_sha256_ctx *c, uint8_t out[BFT_DIGEST_LEN]);

/* Constant-time equality of two byte strings of length len. */
bool bft_ct_equal(const void *a, const void *b, size_t len);

/* Overwrite len bytes at p with zeros in a way the compiler cannot elide. */
void bft_wipe(void *p, size_t len);

/* ---- node key pairs ---- */

/* A node's long-term keys: Ed25519 for signing, X25519 for session keys. */
struct bft_keypair {
	uint8_t sign_pub[BFT_KEY_LEN];
	uint8_t sign_sec[BFT_KEY_LEN]; /* Ed25519 private seed (RFC 8032) */
	uint8_t dh_pub[BFT_KEY_LEN];
	uint8_t dh_sec[BFT_KEY_LEN];   /* X25519 private scalar (RFC 7748) */
};

/* The public half that other nodes know (from key files / the config). */
struct bft_pubkey {
	uint8_t sign_pub[BFT_KEY_LEN];
	uint8_t dh_pub[BFT_KEY_LEN];
};

/* Fresh key pair from OpenSSL's RNG. */
int bft_keypair_generate(struct bft_keypair *kp);
/* Deterministic key pair from a 64-byte seed (first 32: Ed25519, last 32:
 * X25519). For tests and the simulation. */
int bft_keypair_from_seed(struct bft_keypair *kp, const uint8_t seed[2 * BFT_KEY_LEN]);
void bft_keypair_public(const struct bft_keypair *kp, struct bft_pubkey *pub);

/* Derive k(from→to, epoch) as documented above. `my` is the key pair of either
 * `from` or `to` (self), `peer_dh_pub` the other's X25519 public key. */
int bft_session_key(const uint8_t my_dh_sec[BFT_KEY_LEN],
		    const uint8_t peer_dh_pub[BFT_KEY_LEN], uint32_t from,
		    uint32_t to, uint64_t epoch, uint8_t out[BFT_KEY_LEN]);

/* ---- single-key MACs ---- */

/* A pre-keyed HMAC-SHA-256 context, reused for every MAC under one key. */
struct bft_mac_key;
/* Returns NULL on allocation/crypto failure. Copies (does not keep) key. */
struct bft_mac_key *bft_mac_key_new(const uint8_t key[BFT_KEY_LEN]);
void bft_mac_key_free(struct bft_mac_key *k); /* wipes; NULL is a no-op */
int bft_mac_compute(struct bft_mac_key *k, const void *msg, size_t len,
		    uint8_t tag[BFT_MAC_LEN]);
/* 0 if tag is valid, BFT_E_AUTH if not (constant-time comparison). */
int bft_mac_verify(struct bft_mac_key *k, const void *msg, size_t len,
		   const uint8_t tag[BFT_MAC_LEN]);

/* ---- signatures ---- */

int bft_ed25519_sign(const uint8_t sec[BFT_KEY_LEN], const void *msg,
		     size_t len, uint8_t sig[BFT_SIG_LEN]);
int bft_ed25519_verify(const uint8_t pub[BFT_KEY_LEN], const void *msg,
		       size_t len, const uint8_t sig[BFT_SIG_LEN]);

/* ---- the keyring: everything a node needs to authenticate its messages ----
 *
 * Nodes are numbered 0..n_nodes-1: replicas 0..n_replicas-1 first, then
 * clients. The keyring holds, for every other node j: the pre-keyed MAC
 * contexts for self→j and j→self (current epoch), and j's parsed Ed25519
 * public key. Clients only need keys with replicas; pairs of two clients get
 * no keys (operations naming them fail with BFT_E_PEER).
 */
struct bft_keyring;

/* pubs[n_nodes] are all nodes' public keys (pubs[self] must match own). The
 * keyring copies what it needs; own is wiped from the keyring on free. */
int bft_keyring_new(uint32_t self, uint32_t n_replicas, uint32_t n_nodes,
		    const struct bft_keypair *own, const struct bft_pubkey *pubs,
		    struct bft_keyring **out);
void bft_keyring_free(struct bft_keyring *kr);
uint32_t bft_keyring_self(const struct bft_keyring *kr);

/* NEW-KEY (TOCS '02 §4.3.1): take the X25519 private key `sec` (fresh
 * random bytes) as own key of `epoch` (> the current one, else
 * BFT_E_INVAL), write its public half to pub, and re-derive every pair.
 * With keep_old, each peer's previous in-key is still accepted until
 * bft_keyring_drop_old (messages already in flight); without, at once not.
 * On failure nothing changes. */
int bft_keyring_refresh(struct bft_keyring *kr, uint64_t epoch,
			const uint8_t sec[BFT_KEY_LEN], uint8_t pub[BFT_KEY_LEN],
			bool keep_old);
/* A peer's NEW-KEY (whose signature the caller verified): its key `pub` of
 * `epoch`, which must be above the peer's current one (BFT_E_INVAL: a
 * replay or reordering; nothing changes). keep_old as above. */
int bft_keyring_peer_refresh(struct bft_keyring *kr, uint32_t peer, uint64_t epoch,
			     const uint8_t pub[BFT_KEY_LEN], bool keep_old);
/* Own current X25519 public key. */
int bft_keyring_dh_pub(const struct bft_keyring *kr, uint8_t pub[BFT_KEY_LEN]);
/* Own epoch / a keyed peer's epoch (0 for others). */
uint64_t bft_keyring_epoch(const struct bft_keyring *kr);
uint64_t bft_keyring_peer_epoch(const struct bft_keyring *kr, uint32_t peer);
/* Whether the last successful MAC verification used a previous in-key (the
 * sender has not heard of the current keys yet). */
bool bft_keyring_last_was_old(const struct bft_keyring *kr);
/* End the grace of previous in-keys: of `peer`, or all if UINT32_MAX. */
void bft_keyring_drop_old(struct bft_keyring *kr, uint32_t peer);

/* One MAC from self to `to` (replies, point-to-point messages). */
int bft_keyring_mac(struct bft_keyring *kr, uint32_t to, const void *msg,
		    size_t len, uint8_t tag[BFT_MAC_LEN]);
/* Verify a MAC that `from` computed for self. */
int bft_keyring_mac_verify(struct bft_keyring *kr, uint32_t from, const void *msg,
			   size_t len, const uint8_t tag[BFT_MAC_LEN]);

/* Authenticator: tags[j*BFT_MAC_LEN ..] = MAC(self→j) for j in 0..n_replicas-1
 * (the entry for self, if self is a replica, is filled with zeros). A
 * message longer than BFT_AUTH_DIGEST_MIN bytes is authenticated through its
 * digest: each entry is MAC(self→j, SHA-256(msg)), so the sender hashes the
 * message once instead of once per replica (as the paper's implementation
 * does for large requests, OSDI '99 §5.1). */
#define BFT_AUTH_DIGEST_MIN 1024
int bft_keyring_auth(struct bft_keyring *kr, const void *msg, size_t len,
		     uint8_t *tags /* n_replicas * BFT_MAC_LEN */);
/* Verify self's entry of an authenticator made by `from`. BFT_E_AUTH if bad,
 * BFT_E_PEER if self is not a replica or from is unknown. */
int bft_keyring_auth_verify(struct bft_keyring *kr, uint32_t from, const void *msg,
			    size_t len, const uint8_t *tags);

/* Sign with own Ed25519 key / verify a signature by node `from`. Parsed
 * public keys are cached in the keyring (no per-call key parsing). */
int bft_keyring_sign(struct bft_keyring *kr, const void *msg, size_t len,
		     uint8_t sig[BFT_SIG_LEN]);
int bft_keyring_verify(struct bft_keyring *kr, uint32_t from, const void *msg,
		       size_t len, const uint8_t sig[BFT_SIG_LEN]);

#endif
