/*
 * mac.c — HMAC-SHA-256 message authentication codes truncated to BFT_MAC_LEN
 * (16) bytes (RFC 2104, test vectors RFC 4231; truncation as in RFC 4231
 * §4.6 and RFC 2104 §5). These are the MACs of Castro & Liskov, OSDI '99 §3
 * and §5.1, which replace signatures on the normal-case path.
 *
 * Speed is the point of this file. A key is turned once into the two SHA-256
 * states after absorbing (K ^ ipad) and (K ^ opad); each MAC copies them and
 * finishes, i.e. three SHA-256 compressions for a 64-byte message and no
 * allocation. Measured on the development machine (bench/crypto_bench.c):
 * ~160 ns per 64-byte MAC this way, ~320 ns re-initialising a keyed
 * EVP_MAC_CTX with EVP_MAC_init(ctx, NULL, 0, NULL), ~260 ns copying
 * precomputed EVP_MD_CTXs, ~1800 ns for one-shot HMAC(). The low-level SHA-256
 * functions are deprecated in OpenSSL 3; OPENSSL_SUPPRESS_DEPRECATED is local
 * to this file and digest.c (see digest.c for why that is acceptable).
 *
 * Never: compare tags with memcmp (CRYPTO_memcmp only), keep the caller's key
 * bytes, or leave keyed states / padded keys / working copies unwiped.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "crypto_internal.h"

_Static_assert(BFT_MAC_LEN <= BFT_DIGEST_LEN, "MAC longer than the digest");

void bft_mac_key_setup(struct bft_mac_key *k, const void *key, size_t key_len)
{
	uint8_t block[BFT_SHA256_BLOCK];
	uint8_t pad[BFT_SHA256_BLOCK];

	memset(block, 0, sizeof(block));
	if (key_len > BFT_SHA256_BLOCK) {
		/* RFC 2104 §2: keys longer than B bytes are first hashed. */
		bft_sha256(key, key_len, block);
	} else if (key_len > 0 && key != NULL) {
		memcpy(block, key, key_len);
	}

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = block[i] ^ 0x36;
	SHA256_Init(&k->inner);
	SHA256_Update(&k->inner, pad, sizeof(pad));

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = block[i] ^ 0x5c;
	SHA256_Init(&k->outer);
	SHA256_Update(&k->outer, pad, sizeof(pad));

	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(pad, sizeof(pad));
}

void bft_mac_key_clear(struct bft_mac_key *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

void bft_mac_full(const struct bft_mac_key *k, const void *msg, size_t len,
		  uint8_t out[BFT_DIGEST_LEN])
{
	SHA256_CTX c;
	uint8_t inner[BFT_DIGEST_LEN];

	c = k->inner;
	if (len > 0)
		SHA256_Update(&c, msg, len);
	SHA256_Final(inner, &c);
	c = k->outer;
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	/* c was a keyed state: whoever holds it can forge MACs. */
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(inner, sizeof(inner));
}

struct bft_mac_key *bft_mac_key_new_raw(const void *key, size_t key_len)
{
	struct bft_mac_key *k;

	if (key == NULL && key_len != 0)
		return NULL;
	k = OPENSSL_zalloc(sizeof(*k));
	if (k == NULL)
		return NULL;
	bft_mac_key_setup(k, key, key_len);
	return k;
}

struct bft_mac_key *bft_mac_key_new(const uint8_t key[BFT_KEY_LEN])
{
	if (key == NULL)
		return NULL;
	return bft_mac_key_new_raw(key, BFT_KEY_LEN);
}

void bft_mac_key_free(struct bft_mac_key *k)
{
	if (k != NULL)
		OPENSSL_clear_free(k, sizeof(*k));
}

int bft_mac_compute(struct bft_mac_key *k, const void *msg, size_t len,
		    uint8_t tag[BFT_MAC_LEN])
{
	uint8_t full[BFT_DIGEST_LEN];

	if (k == NULL || tag == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	bft_mac_full(k, msg, len, full);
	memcpy(tag, full, BFT_MAC_LEN);
	OPENSSL_cleanse(full, sizeof(full));
	return BFT_OK;
}

int bft_mac_verify(struct bft_mac_key *k, const void *msg, size_t len,
		   const uint8_t tag[BFT_MAC_LEN])
{
	uint8_t full[BFT_DIGEST_LEN];
	int ok;

	if (k == NULL || tag == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	bft_mac_full(k, msg, len, full);
	ok = CRYPTO_memcmp(full, tag, BFT_MAC_LEN) == 0;
	OPENSSL_cleanse(full, sizeof(full));
	return ok ? BFT_OK : BFT_E_AUTH;
}
