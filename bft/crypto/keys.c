/*
 * keys.c — node key pairs and pairwise session keys.
 *
 *   - Ed25519 key pairs (RFC 8032 §5.1.5): the private key is the 32-byte
 *     seed, the public key is derived by OpenSSL.
 *   - X25519 (RFC 7748 §5, §6.1) through EVP_PKEY_derive; an all-zero shared
 *     secret (low-order peer point) is rejected.
 *   - HKDF-SHA-256 (RFC 5869) through EVP_KDF "HKDF".
 *   - Directional session keys, as documented in bft/crypto.h:
 *       k(i→j, epoch) = HKDF(ikm = X25519(i, j), salt = "bfs-pbft-v1",
 *                            info = "mac" || u32le(i) || u32le(j) || u64le(epoch))
 *     These are the pairwise MAC keys of Castro & Liskov, OSDI '99 §3 and the
 *     refreshed keys of TOCS '02 §4.2 (NEW-KEY / proactive recovery), derived
 *     here rather than transported, so both ends compute them independently.
 *
 * Everything is deterministic except bft_keypair_generate() (OpenSSL's
 * RAND_priv_bytes).
 *
 * Never: return partially written key material on failure (outputs are wiped),
 * leave shared secrets, seeds or HKDF inputs on the stack, or derive a key from
 * an all-zero X25519 result.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "crypto_internal.h"

#define SESSION_SALT "bfs-pbft-v1"
#define SESSION_LABEL "mac"
/* "mac" || u32le(from) || u32le(to) || u64le(epoch) */
#define SESSION_INFO_LEN (sizeof(SESSION_LABEL) - 1 + 4 + 4 + 8)

/* Raw public key of a freshly imported private key of type `type`. */
static int raw_public_from_private(int type, const uint8_t sec[BFT_KEY_LEN],
				   uint8_t pub[BFT_KEY_LEN])
{
	EVP_PKEY *k;
	size_t len = BFT_KEY_LEN;
	int rc = BFT_E_CRYPTO;

	k = EVP_PKEY_new_raw_private_key(type, NULL, sec, BFT_KEY_LEN);
	if (k == NULL) {
		ERR_clear_error();
		return BFT_E_CRYPTO;
	}
	if (EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == BFT_KEY_LEN)
		rc = BFT_OK;
	else
		ERR_clear_error();
	EVP_PKEY_free(k);
	return rc;
}

int bft_keypair_from_seed(struct bft_keypair *kp, const uint8_t seed[2 * BFT_KEY_LEN])
{
	int rc;

	if (kp == NULL || seed == NULL)
		return BFT_E_INVAL;
	memcpy(kp->sign_sec, seed, BFT_KEY_LEN);
	memcpy(kp->dh_sec, seed + BFT_KEY_LEN, BFT_KEY_LEN);
	rc = raw_public_from_private(EVP_PKEY_ED25519, kp->sign_sec, kp->sign_pub);
	if (rc == BFT_OK)
		rc = raw_public_from_private(EVP_PKEY_X25519, kp->dh_sec, kp->dh_pub);
	if (rc != BFT_OK)
		OPENSSL_cleanse(kp, sizeof(*kp));
	return rc;
}

int bft_keypair_generate(struct bft_keypair *kp)
{
	uint8_t seed[2 * BFT_KEY_LEN];
	int rc;

	if (kp == NULL)
		return BFT_E_INVAL;
	if (RAND_priv_bytes(seed, sizeof(seed)) != 1) {
		ERR_clear_error();
		OPENSSL_cleanse(kp, sizeof(*kp));
		return BFT_E_CRYPTO;
	}
	rc = bft_keypair_from_seed(kp, seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

void bft_keypair_public(const struct bft_keypair *kp, struct bft_pubkey *pub)
{
	if (kp == NULL || pub == NULL)
		return;
	memcpy(pub->sign_pub, kp->sign_pub, BFT_KEY_LEN);
	memcpy(pub->dh_pub, kp->dh_pub, BFT_KEY_LEN);
}

EVP_PKEY *bft_x25519_parse_secret(const uint8_t sec[BFT_KEY_LEN])
{
	EVP_PKEY *k;

	if (sec == NULL)
		return NULL;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sec, BFT_KEY_LEN);
	if (k == NULL)
		ERR_clear_error();
	return k;
}

int bft_x25519_pkey(EVP_PKEY *me, const uint8_t pub[BFT_KEY_LEN],
		    uint8_t shared[BFT_KEY_LEN])
{
	static const uint8_t zero[BFT_KEY_LEN];
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = BFT_KEY_LEN;
	int rc = BFT_E_CRYPTO;

	if (me == NULL || pub == NULL || shared == NULL)
		return BFT_E_INVAL;
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, BFT_KEY_LEN);
	if (peer == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, me, NULL);
	if (ctx == NULL)
		goto out;
	if (EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) != 1) {
		rc = BFT_E_INVAL; /* peer key rejected */
		goto out;
	}
	if (EVP_PKEY_derive(ctx, shared, &len) != 1 || len != BFT_KEY_LEN) {
		/* OpenSSL refuses an all-zero result (low-order point). */
		rc = BFT_E_INVAL;
		goto out;
	}
	/* RFC 7748 §6.1: check for the all-zero value ourselves as well. */
	rc = CRYPTO_memcmp(shared, zero, BFT_KEY_LEN) == 0 ? BFT_E_INVAL : BFT_OK;
out:
	if (rc != BFT_OK) {
		ERR_clear_error();
		OPENSSL_cleanse(shared, BFT_KEY_LEN);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}

int bft_x25519(const uint8_t sec[BFT_KEY_LEN], const uint8_t pub[BFT_KEY_LEN],
	       uint8_t shared[BFT_KEY_LEN])
{
	EVP_PKEY *me;
	int rc;

	if (sec == NULL || pub == NULL || shared == NULL)
		return BFT_E_INVAL;
	me = bft_x25519_parse_secret(sec);
	if (me == NULL) {
		OPENSSL_cleanse(shared, BFT_KEY_LEN);
		return BFT_E_CRYPTO;
	}
	rc = bft_x25519_pkey(me, pub, shared);
	EVP_PKEY_free(me);
	return rc;
}

int bft_hkdf_sha256(const void *ikm, size_t ikm_len, const void *salt,
		    size_t salt_len, const void *info, size_t info_len,
		    uint8_t *out, size_t out_len)
{
	char digest[] = "SHA256";
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[5], *p = params;
	int rc;

	if (ikm == NULL || ikm_len == 0 || out == NULL || out_len == 0 ||
	    out_len > 255 * BFT_DIGEST_LEN || (salt == NULL && salt_len != 0) ||
	    (info == NULL && info_len != 0))
		return BFT_E_INVAL;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (kdf == NULL) {
		ERR_clear_error();
		return BFT_E_CRYPTO;
	}
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf); /* the context holds its own reference */
	if (ctx == NULL) {
		ERR_clear_error();
		return BFT_E_NOMEM;
	}

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm,
						 ikm_len);
	/* An absent salt means HashLen zero bytes (RFC 5869 §2.2), which is
	 * what OpenSSL does when the parameter is not given. */
	if (salt_len != 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (info_len != 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();

	rc = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? BFT_OK : BFT_E_CRYPTO;
	if (rc != BFT_OK) {
		ERR_clear_error();
		OPENSSL_cleanse(out, out_len);
	}
	EVP_KDF_CTX_free(ctx); /* wipes the copied key material */
	return rc;
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int bft_session_key_from_shared(const uint8_t shared[BFT_KEY_LEN], uint32_t from,
				uint32_t to, uint64_t epoch, uint8_t out[BFT_KEY_LEN])
{
	uint8_t info[SESSION_INFO_LEN];
	uint8_t *q = info;

	if (shared == NULL || out == NULL)
		return BFT_E_INVAL;
	memcpy(q, SESSION_LABEL, sizeof(SESSION_LABEL) - 1);
	q += sizeof(SESSION_LABEL) - 1;
	put_le(q, from, 4);
	q += 4;
	put_le(q, to, 4);
	q += 4;
	put_le(q, epoch, 8);
	return bft_hkdf_sha256(shared, BFT_KEY_LEN, SESSION_SALT,
			       sizeof(SESSION_SALT) - 1, info, sizeof(info), out,
			       BFT_KEY_LEN);
}

int bft_session_key(const uint8_t my_dh_sec[BFT_KEY_LEN],
		    const uint8_t peer_dh_pub[BFT_KEY_LEN], uint32_t from,
		    uint32_t to, uint64_t epoch, uint8_t out[BFT_KEY_LEN])
{
	uint8_t shared[BFT_KEY_LEN];
	int rc;

	if (my_dh_sec == NULL || peer_dh_pub == NULL || out == NULL)
		return BFT_E_INVAL;
	rc = bft_x25519(my_dh_sec, peer_dh_pub, shared);
	if (rc == BFT_OK)
		rc = bft_session_key_from_shared(shared, from, to, epoch, out);
	OPENSSL_cleanse(shared, sizeof(shared));
	if (rc != BFT_OK)
		OPENSSL_cleanse(out, BFT_KEY_LEN);
	return rc;
}
