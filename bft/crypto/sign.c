/*
 * sign.c — Ed25519 signatures (RFC 8032 §5.1, pure Ed25519, no context and no
 * pre-hash) through OpenSSL 3's EVP_PKEY_ED25519 and one-shot
 * EVP_DigestSign/EVP_DigestVerify with a NULL digest.
 *
 * PBFT uses signatures only for the messages that must be forwarded as proof
 * to third parties (Castro & Liskov, OSDI '99 §4.3-4.4 CHECKPOINT, VIEW-CHANGE,
 * NEW-VIEW; TOCS '02 §4.2 NEW-KEY); everything else is MAC-authenticated.
 *
 * Never: report success for anything but an exact, complete verification
 * (EVP_DigestVerify() == 1 with a 64-byte signature); leak OpenSSL's error
 * queue entries of a failed verification to the caller; keep copies of secret
 * keys (OpenSSL's ECX key free wipes the raw private key).
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "crypto_internal.h"

/* Handed to OpenSSL instead of a NULL message pointer (len 0). */
static const uint8_t empty_msg[1];

EVP_PKEY *bft_ed25519_parse_secret(const uint8_t sec[BFT_KEY_LEN])
{
	if (sec == NULL)
		return NULL;
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sec, BFT_KEY_LEN);
}

EVP_PKEY *bft_ed25519_parse_public(const uint8_t pub[BFT_KEY_LEN])
{
	if (pub == NULL)
		return NULL;
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, BFT_KEY_LEN);
}

int bft_ed25519_sign_pkey(EVP_PKEY *sec, const void *msg, size_t len,
			  uint8_t sig[BFT_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t sig_len = BFT_SIG_LEN;
	int rc = BFT_E_CRYPTO;

	if (sec == NULL || sig == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	if (msg == NULL)
		msg = empty_msg;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return BFT_E_NOMEM;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, sec) == 1 &&
	    EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 &&
	    sig_len == BFT_SIG_LEN)
		rc = BFT_OK;
	EVP_MD_CTX_free(ctx);
	if (rc != BFT_OK) {
		ERR_clear_error();
		OPENSSL_cleanse(sig, BFT_SIG_LEN);
	}
	return rc;
}

int bft_ed25519_verify_pkey(EVP_PKEY *pub, const void *msg, size_t len,
			    const uint8_t sig[BFT_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	int rc;

	if (pub == NULL || sig == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	if (msg == NULL)
		msg = empty_msg;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return BFT_E_NOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) != 1)
		rc = BFT_E_CRYPTO;
	else if (EVP_DigestVerify(ctx, sig, BFT_SIG_LEN, msg, len) == 1)
		rc = BFT_OK;
	else
		rc = BFT_E_AUTH; /* 0: bad signature; <0: malformed (also bad) */
	EVP_MD_CTX_free(ctx);
	if (rc != BFT_OK)
		ERR_clear_error();
	return rc;
}

int bft_ed25519_sign(const uint8_t sec[BFT_KEY_LEN], const void *msg,
		     size_t len, uint8_t sig[BFT_SIG_LEN])
{
	EVP_PKEY *k;
	int rc;

	if (sec == NULL || sig == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	k = bft_ed25519_parse_secret(sec);
	if (k == NULL) {
		ERR_clear_error();
		return BFT_E_CRYPTO;
	}
	rc = bft_ed25519_sign_pkey(k, msg, len, sig);
	EVP_PKEY_free(k);
	return rc;
}

int bft_ed25519_verify(const uint8_t pub[BFT_KEY_LEN], const void *msg,
		       size_t len, const uint8_t sig[BFT_SIG_LEN])
{
	EVP_PKEY *k;
	int rc;

	if (pub == NULL || sig == NULL || (msg == NULL && len != 0))
		return BFT_E_INVAL;
	k = bft_ed25519_parse_public(pub);
	if (k == NULL) {
		/* Raw Ed25519 public keys are not point-checked on import;
		 * a failure here is a library failure, not a bad key. */
		ERR_clear_error();
		return BFT_E_CRYPTO;
	}
	rc = bft_ed25519_verify_pkey(k, msg, len, sig);
	EVP_PKEY_free(k);
	return rc;
}
