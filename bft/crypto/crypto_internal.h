/*
 * crypto_internal.h — private interface shared by the files of bft/crypto and
 * by tests/unit/test_crypto.c. Not installed, not part of bft/crypto.h.
 *
 * It exposes the building blocks behind the public API so that the unit tests
 * can check them against the published vectors whose inputs the public API
 * cannot express: HMAC keys of any length (RFC 4231), the raw X25519 shared
 * secret (RFC 7748 §6.1) and HKDF with arbitrary salt/info (RFC 5869 §A.1).
 * The protocol code must keep using bft/crypto.h only.
 *
 * Never: expose secret state outside bft/crypto other than through these
 * functions; every buffer that held a secret is wiped before it is released.
 */
#ifndef BFT_CRYPTO_INTERNAL_H
#define BFT_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>   /* SHA256_CTX (the type is not deprecated) */
#include <openssl/types.h> /* EVP_PKEY */

#include "bft/crypto.h"

/* The SHA-256 block size: HMAC pads keys to this length (RFC 2104 §2). */
#define BFT_SHA256_BLOCK 64

/*
 * A pre-keyed HMAC-SHA-256 (see mac.c): the SHA-256 states after absorbing
 * (K ^ ipad) and (K ^ opad). Copying a state and finishing it costs three
 * compression-function calls for a 64-byte message; nothing is allocated per
 * MAC. Both states are key-equivalent secrets.
 */
struct bft_mac_key {
	SHA256_CTX inner;
	SHA256_CTX outer;
};

/* Key an embedded context with a key of any length (keys longer than the
 * block are hashed first, RFC 2104 §2). key may be NULL iff key_len == 0. */
void bft_mac_key_setup(struct bft_mac_key *k, const void *key, size_t key_len);
/* Wipe an embedded context. */
void bft_mac_key_clear(struct bft_mac_key *k);
/* Full (untruncated) HMAC-SHA-256 under k; never fails, never allocates. */
void bft_mac_full(const struct bft_mac_key *k, const void *msg, size_t len,
		  uint8_t out[BFT_DIGEST_LEN]);
/* Heap-allocated context for a key of any length (RFC 4231 test keys);
 * free with bft_mac_key_free(). NULL on allocation failure. */
struct bft_mac_key *bft_mac_key_new_raw(const void *key, size_t key_len);

/* X25519(sec, pub) (RFC 7748 §5). BFT_E_INVAL if the result is all zeros
 * (pub is a low-order point, §6.1), BFT_E_CRYPTO/BFT_E_NOMEM otherwise. */
int bft_x25519(const uint8_t sec[BFT_KEY_LEN], const uint8_t pub[BFT_KEY_LEN],
	       uint8_t shared[BFT_KEY_LEN]);
/* The same with an already parsed own X25519 key (importing a private key
 * costs a scalar multiplication, so the keyring parses its own once). */
EVP_PKEY *bft_x25519_parse_secret(const uint8_t sec[BFT_KEY_LEN]);
int bft_x25519_pkey(EVP_PKEY *me, const uint8_t pub[BFT_KEY_LEN],
		    uint8_t shared[BFT_KEY_LEN]);

/* HKDF-SHA-256 extract-and-expand (RFC 5869 §2). ikm_len must be > 0;
 * salt/info may be NULL iff their length is 0; 1 <= out_len <= 255*32. */
int bft_hkdf_sha256(const void *ikm, size_t ikm_len, const void *salt,
		    size_t salt_len, const void *info, size_t info_len,
		    uint8_t *out, size_t out_len);

/* k(from→to, epoch) from an already computed X25519 shared secret; the
 * keyring derives both directions from one X25519 per peer. */
int bft_session_key_from_shared(const uint8_t shared[BFT_KEY_LEN], uint32_t from,
				uint32_t to, uint64_t epoch, uint8_t out[BFT_KEY_LEN]);

/* Parsed Ed25519 keys (sign.c). Both return NULL on failure. */
EVP_PKEY *bft_ed25519_parse_secret(const uint8_t sec[BFT_KEY_LEN]);
EVP_PKEY *bft_ed25519_parse_public(const uint8_t pub[BFT_KEY_LEN]);
/* Sign / verify with an already parsed key (the keyring's cached keys). */
int bft_ed25519_sign_pkey(EVP_PKEY *sec, const void *msg, size_t len,
			  uint8_t sig[BFT_SIG_LEN]);
int bft_ed25519_verify_pkey(EVP_PKEY *pub, const void *msg, size_t len,
			    const uint8_t sig[BFT_SIG_LEN]);

#endif
