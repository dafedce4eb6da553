/*
 * digest.c — SHA-256 digests (FIPS 180-4, RFC 6234), constant-time equality
 * and secret wiping for the PBFT library (Castro & Liskov, OSDI '99 §3: message
 * digests D(m) in PRE-PREPARE/PREPARE/COMMIT/CHECKPOINT and reply digests).
 *
 * Implementation choice: OpenSSL's low-level SHA256_Init/Update/Final. They are
 * deprecated in OpenSSL 3 (hence OPENSSL_SUPPRESS_DEPRECATED, local to this
 * file and mac.c), but they are the only OpenSSL interface that keeps the
 * whole state in caller-provided memory: EVP_MD_CTX is heap-allocated and its
 * provider context is allocated again on every copy. bft_sha256_ctx lives on
 * the caller's stack and the API returns void, so it must never allocate and
 * never fail; the low-level functions satisfy both and use the same assembly
 * (SHA-NI/AVX2) as the EVP path. They bypass the provider layer, which is
 * acceptable here (no FIPS-provider requirement).
 *
 * Never: allocate, fail, or leave a copy of a hash state on the stack after
 * finishing; NULL data is accepted only with len 0 (a NULL pointer with a
 * non-zero length is a contract violation and is treated as "no input" rather
 * than dereferenced).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "bft/crypto.h"
#include "crypto_internal.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(struct bft_sha256_ctx),
	       "struct bft_sha256_ctx is too small for SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(struct bft_sha256_ctx),
	       "struct bft_sha256_ctx is under-aligned for SHA256_CTX");
_Static_assert(SHA256_DIGEST_LENGTH == BFT_DIGEST_LEN, "digest length");
_Static_assert(SHA256_CBLOCK == BFT_SHA256_BLOCK, "block length");

void bft_sha256(const void *data, size_t len, uint8_t out[BFT_DIGEST_LEN])
{
	SHA256_CTX c;

	if (out == NULL)
		return;
	if (data == NULL)
		len = 0;
	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

void bft_tree_node_digest(const uint8_t (*children)[BFT_DIGEST_LEN], uint32_t fanout,
			  uint8_t out[BFT_DIGEST_LEN])
{
	static const uint8_t zero[BFT_DIGEST_LEN];
	uint32_t i;

	for (i = 0; i < fanout; i++)
		if (memcmp(children[i], zero, BFT_DIGEST_LEN) != 0) {
			bft_sha256(children, (size_t)fanout * BFT_DIGEST_LEN, out);
			return;
		}
	memset(out, 0, BFT_DIGEST_LEN);
}

/*
 * The opaque storage is accessed as a SHA256_CTX through memcpy rather than
 * a pointer cast, so the code is correct whatever the aliasing rules.
 */
void bft_sha256_init(struct bft_sha256_ctx *c)
{
	SHA256_CTX s;

	if (c == NULL)
		return;
	memset(c, 0, sizeof(*c));
	SHA256_Init(&s);
	memcpy(c->opaque, &s, sizeof(s));
	OPENSSL_cleanse(&s, sizeof(s));
}

void bft_sha256_update(struct bft_sha256_ctx *c, const void *data, size_t len)
{
	SHA256_CTX s;

	if (c == NULL || data == NULL || len == 0)
		return;
	memcpy(&s, c->opaque, sizeof(s));
	SHA256_Update(&s, data, len);
	memcpy(c->opaque, &s, sizeof(s));
	OPENSSL_cleanse(&s, sizeof(s));
}

void bft_sha256_final(struct bft_sha256_ctx *c, uint8_t out[BFT_DIGEST_LEN])
{
	SHA256_CTX s;

	if (c == NULL)
		return;
	memcpy(&s, c->opaque, sizeof(s));
	if (out != NULL)
		SHA256_Final(out, &s);
	OPENSSL_cleanse(&s, sizeof(s));
	OPENSSL_cleanse(c, sizeof(*c));
}

bool bft_ct_equal(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return true;
	if (a == NULL || b == NULL)
		return false;
	return CRYPTO_memcmp(a, b, len) == 0;
}

void bft_wipe(void *p, size_t len)
{
	if (p != NULL && len != 0)
		OPENSSL_cleanse(p, len);
}
