/*
 * test_crypto.c — unit tests of bft/crypto (bft/include/bft/crypto.h).
 *
 * Known-answer tests against the published vectors: SHA-256 (FIPS 180-4 /
 * RFC 6234 examples, one-shot and incremental in odd-sized chunks),
 * HMAC-SHA-256 (RFC 4231 cases 1-7), Ed25519 (RFC 8032 §7.1 TEST 1, 2, 3 and
 * TEST SHA(abc)), X25519 (RFC 7748 §6.1), HKDF-SHA-256 (RFC 5869 A.1, A.3) and
 * the session-key layout of bft/crypto.h (a value computed independently with
 * Python's `cryptography`). Then the keyring of a 4-replica + 2-client
 * configuration: MAC and authenticator round trips and every rejection
 * (flipped message/tag bits, wrong sender, client pairs, ids out of range,
 * signatures by another node, NEW-KEY refreshes with and without grace, bad arguments).
 *
 * Never: pass because a value was compared with itself; every expectation is
 * either a published vector or a value computed by a second, independent path.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "crypto_internal.h"

/* ---- helpers ---- */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;

	ck_assert_uint_eq(strlen(s) % 2, 0);
	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void ck_hex_eq(const uint8_t *got, const char *want_hex, size_t len)
{
	uint8_t want[256];

	ck_assert_uint_eq(unhex(want_hex, want, sizeof(want)), len);
	ck_assert_mem_eq(got, want, len);
}

/* ---- SHA-256 ---- */

static const char msg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg896[] =
	"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static const struct {
	const char *msg;
	const char *digest;
} sha_vectors[] = {
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ msg448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ msg896, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};
#define N_SHA (sizeof(sha_vectors) / sizeof(sha_vectors[0]))

START_TEST(sha256_oneshot)
{
	uint8_t d[BFT_DIGEST_LEN];

	for (size_t i = 0; i < N_SHA; i++) {
		memset(d, 0xee, sizeof(d));
		bft_sha256(sha_vectors[i].msg, strlen(sha_vectors[i].msg), d);
		ck_hex_eq(d, sha_vectors[i].digest, BFT_DIGEST_LEN);
	}
	/* NULL data with length 0 is the empty message. */
	bft_sha256(NULL, 0, d);
	ck_hex_eq(d, sha_vectors[1].digest, BFT_DIGEST_LEN);
}
END_TEST

START_TEST(sha256_incremental_odd_chunks)
{
	static const size_t chunks[] = { 1, 3, 7, 13, 29, 63, 64, 65 };
	uint8_t d[BFT_DIGEST_LEN];

	for (size_t i = 0; i < N_SHA; i++) {
		const char *m = sha_vectors[i].msg;
		size_t len = strlen(m);

		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			struct bft_sha256_ctx ctx;

			bft_sha256_init(&ctx);
			for (size_t off = 0; off < len; off += chunks[c]) {
				size_t n = len - off < chunks[c] ? len - off : chunks[c];

				bft_sha256_update(&ctx, m + off, n);
				bft_sha256_update(&ctx, m + off, 0); /* no-op */
			}
			memset(d, 0xee, sizeof(d));
			bft_sha256_final(&ctx, d);
			ck_hex_eq(d, sha_vectors[i].digest, BFT_DIGEST_LEN);
		}
	}
}
END_TEST

/* The state-transfer tree's node rule (bft/io.h): zero for an empty
 * subtree, else SHA-256 of the children, zero children included. */
START_TEST(tree_node_digest_rule)
{
	uint8_t kids[3][BFT_DIGEST_LEN], out[BFT_DIGEST_LEN], want[BFT_DIGEST_LEN];
	static const uint8_t zero[BFT_DIGEST_LEN];

	memset(kids, 0, sizeof(kids));
	memset(out, 0x77, sizeof(out));
	bft_tree_node_digest((const uint8_t (*)[BFT_DIGEST_LEN])kids, 3, out);
	ck_assert_mem_eq(out, zero, BFT_DIGEST_LEN);
	kids[2][31] = 1;
	bft_tree_node_digest((const uint8_t (*)[BFT_DIGEST_LEN])kids, 3, out);
	bft_sha256(kids, sizeof(kids), want);
	ck_assert_mem_eq(out, want, BFT_DIGEST_LEN);
	/* only the first fanout children count */
	bft_tree_node_digest((const uint8_t (*)[BFT_DIGEST_LEN])kids, 2, out);
	ck_assert_mem_eq(out, zero, BFT_DIGEST_LEN);
}
END_TEST

START_TEST(sha256_million_a)
{
	const size_t n = 1000000;
	uint8_t *buf = malloc(n);
	uint8_t d[BFT_DIGEST_LEN];
	struct bft_sha256_ctx ctx;
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

	ck_assert_ptr_nonnull(buf);
	memset(buf, 'a', n);
	bft_sha256(buf, n, d);
	ck_hex_eq(d, want, BFT_DIGEST_LEN);

	/* Chunks of 4093 bytes (prime, not a multiple of the block size). */
	bft_sha256_init(&ctx);
	for (size_t off = 0; off < n; off += 4093)
		bft_sha256_update(&ctx, buf + off, n - off < 4093 ? n - off : 4093);
	bft_sha256_final(&ctx, d);
	ck_hex_eq(d, want, BFT_DIGEST_LEN);
	free(buf);
}
END_TEST

/* ---- HMAC-SHA-256, RFC 4231 ---- */

struct hmac_vec {
	const char *key_hex;
	const char *data;     /* as text (NULL: data_hex) */
	const char *data_hex;
	const char *mac_hex;  /* 32 bytes, or 16 for case 5 */
};

static char key131[131 * 2 + 1];

static const struct hmac_vec *rfc4231(size_t *n)
{
	static struct hmac_vec v[7];

	memset(key131, 0, sizeof(key131));
	for (size_t i = 0; i < 131; i++)
		memcpy(key131 + 2 * i, "aa", 2);
	v[0] = (struct hmac_vec){ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", NULL,
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" };
	v[1] = (struct hmac_vec){ "4a656665", "what do ya want for nothing?", NULL,
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" };
	v[2] = (struct hmac_vec){ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
		"dddddddddddddddddddddddddddddddddddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddddddddddddddddd",
		"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" };
	v[3] = (struct hmac_vec){ "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL,
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" };
	v[4] = (struct hmac_vec){ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
		NULL, "a3b6167473100ee06e0c796c2955552b" };
	v[5] = (struct hmac_vec){ key131, "Test Using Larger Than Block-Size Key - Hash Key First",
		NULL, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" };
	v[6] = (struct hmac_vec){ key131,
		"This is a test using a larger than block-size key and a larger than "
		"block-size data. The key needs to be hashed before being used by the "
		"HMAC algorithm.",
		NULL, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" };
	*n = 7;
	return v;
}

START_TEST(hmac_rfc4231)
{
	size_t n;
	const struct hmac_vec *v = rfc4231(&n);

	for (size_t i = 0; i < n; i++) {
		uint8_t key[200], data[200], want[32], full[32], tag[BFT_MAC_LEN];
		size_t klen = unhex(v[i].key_hex, key, sizeof(key));
		size_t dlen, mlen = unhex(v[i].mac_hex, want, sizeof(want));
		struct bft_mac_key *k;

		if (v[i].data != NULL) {
			dlen = strlen(v[i].data);
			memcpy(data, v[i].data, dlen);
		} else {
			dlen = unhex(v[i].data_hex, data, sizeof(data));
		}
		k = bft_mac_key_new_raw(key, klen);
		ck_assert_ptr_nonnull(k);

		bft_mac_full(k, data, dlen, full);
		ck_assert_mem_eq(full, want, mlen); /* 32 bytes; 16 for case 5 */

		memset(tag, 0, sizeof(tag));
		ck_assert_int_eq(bft_mac_compute(k, data, dlen, tag), BFT_OK);
		ck_assert_mem_eq(tag, want, BFT_MAC_LEN);
		ck_assert_int_eq(bft_mac_verify(k, data, dlen, want), BFT_OK);

		/* Reusing the pre-keyed context gives the same answer again. */
		ck_assert_int_eq(bft_mac_compute(k, data, dlen, tag), BFT_OK);
		ck_assert_mem_eq(tag, want, BFT_MAC_LEN);

		/* Every single-bit flip of the tag is rejected. */
		for (size_t bit = 0; bit < 8 * BFT_MAC_LEN; bit++) {
			memcpy(tag, want, BFT_MAC_LEN);
			tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			ck_assert_int_eq(bft_mac_verify(k, data, dlen, tag), BFT_E_AUTH);
		}
		/* A flipped message bit is rejected. */
		data[dlen / 2] ^= 0x10;
		ck_assert_int_eq(bft_mac_verify(k, data, dlen, want), BFT_E_AUTH);
		/* A shorter message is rejected. */
		data[dlen / 2] ^= 0x10;
		ck_assert_int_eq(bft_mac_verify(k, data, dlen - 1, want), BFT_E_AUTH);
		bft_mac_key_free(k);
	}
}
END_TEST

START_TEST(mac_public_api)
{
	uint8_t key[BFT_KEY_LEN], msg[300], tag[BFT_MAC_LEN], ref[EVP_MAX_MD_SIZE];
	unsigned ref_len = 0;
	struct bft_mac_key *k;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	k = bft_mac_key_new(key);
	ck_assert_ptr_nonnull(k);
	/* Against OpenSSL's one-shot HMAC(), for lengths around block edges. */
	for (size_t len = 0; len <= sizeof(msg); len += (len < 130 ? 1 : 17)) {
		ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, sizeof(key), msg, len, ref, &ref_len));
		ck_assert_uint_eq(ref_len, 32);
		ck_assert_int_eq(bft_mac_compute(k, msg, len, tag), BFT_OK);
		ck_assert_mem_eq(tag, ref, BFT_MAC_LEN);
		ck_assert_int_eq(bft_mac_verify(k, msg, len, ref), BFT_OK);
	}
	/* Argument validation. */
	ck_assert_int_eq(bft_mac_compute(NULL, msg, 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_mac_compute(k, NULL, 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_mac_compute(k, msg, 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_mac_verify(NULL, msg, 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_mac_verify(k, NULL, 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_mac_verify(k, msg, 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_mac_compute(k, NULL, 0, tag), BFT_OK);
	ck_assert_int_eq(bft_mac_verify(k, NULL, 0, tag), BFT_OK);
	ck_assert_ptr_null(bft_mac_key_new(NULL));
	bft_mac_key_free(k);
	bft_mac_key_free(NULL);
}
END_TEST

/* ---- Ed25519, RFC 8032 §7.1 ---- */

static const struct {
	const char *sec, *pub, *msg, *sig;
} ed_vectors[] = {
	{ /* TEST 1 */
	  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ /* TEST 2 */
	  "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ /* TEST 3 */
	  "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ /* TEST SHA(abc) */
	  "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
	  "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	  "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
	  "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};
#define N_ED (sizeof(ed_vectors) / sizeof(ed_vectors[0]))

START_TEST(ed25519_rfc8032)
{
	for (size_t i = 0; i < N_ED; i++) {
		uint8_t seed[2 * BFT_KEY_LEN] = { 0 }, msg[128] = { 0 }, want[BFT_SIG_LEN];
		uint8_t sig[BFT_SIG_LEN], pub[BFT_KEY_LEN];
		struct bft_keypair kp;
		size_t mlen = unhex(ed_vectors[i].msg, msg, sizeof(msg));

		unhex(ed_vectors[i].sec, seed, BFT_KEY_LEN);
		unhex(ed_vectors[i].sig, want, sizeof(want));
		unhex(ed_vectors[i].pub, pub, sizeof(pub));

		/* The public key derived from the seed is the RFC's. */
		ck_assert_int_eq(bft_keypair_from_seed(&kp, seed), BFT_OK);
		ck_assert_mem_eq(kp.sign_sec, seed, BFT_KEY_LEN);
		ck_assert_mem_eq(kp.sign_pub, pub, BFT_KEY_LEN);

		/* Ed25519 is deterministic: the signature is the RFC's. */
		memset(sig, 0, sizeof(sig));
		ck_assert_int_eq(bft_ed25519_sign(seed, mlen ? msg : NULL, mlen, sig), BFT_OK);
		ck_assert_mem_eq(sig, want, BFT_SIG_LEN);
		ck_assert_int_eq(bft_ed25519_verify(pub, msg, mlen, want), BFT_OK);

		/* Flipped signature bits (R half and S half). */
		sig[0] ^= 1;
		ck_assert_int_eq(bft_ed25519_verify(pub, msg, mlen, sig), BFT_E_AUTH);
		sig[0] ^= 1;
		sig[40] ^= 0x80;
		ck_assert_int_eq(bft_ed25519_verify(pub, msg, mlen, sig), BFT_E_AUTH);
		sig[40] ^= 0x80;
		/* A different message (flipped bit, or one byte longer). */
		if (mlen > 0) {
			msg[0] ^= 4;
			ck_assert_int_eq(bft_ed25519_verify(pub, msg, mlen, sig), BFT_E_AUTH);
			msg[0] ^= 4;
		}
		ck_assert_int_eq(bft_ed25519_verify(pub, msg, mlen + 1, sig), BFT_E_AUTH);
		/* Another vector's public key. */
		unhex(ed_vectors[(i + 1) % N_ED].pub, pub, sizeof(pub));
		ck_assert_int_eq(bft_ed25519_verify(pub, msg, mlen, sig), BFT_E_AUTH);
	}
}
END_TEST

START_TEST(ed25519_bad_inputs)
{
	uint8_t sec[BFT_KEY_LEN] = { 1 }, pub[BFT_KEY_LEN], sig[BFT_SIG_LEN];

	ck_assert_int_eq(bft_ed25519_sign(NULL, "x", 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_ed25519_sign(sec, NULL, 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_ed25519_sign(sec, "x", 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_ed25519_sign(sec, "x", 1, sig), BFT_OK);
	ck_assert_int_eq(bft_ed25519_verify(NULL, "x", 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_ed25519_verify(pub, NULL, 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_ed25519_verify(pub, "x", 1, NULL), BFT_E_INVAL);
	/* Garbage public keys and signatures: rejected, no crash. */
	memset(pub, 0xff, sizeof(pub));
	ck_assert_int_eq(bft_ed25519_verify(pub, "x", 1, sig), BFT_E_AUTH);
	memset(pub, 0, sizeof(pub));
	ck_assert_int_eq(bft_ed25519_verify(pub, "x", 1, sig), BFT_E_AUTH);
	memset(sig, 0xff, sizeof(sig)); /* S >= L */
	unhex(ed_vectors[0].pub, pub, sizeof(pub));
	ck_assert_int_eq(bft_ed25519_verify(pub, "", 0, sig), BFT_E_AUTH);
}
END_TEST

/* ---- X25519 (RFC 7748 §6.1), HKDF (RFC 5869), session keys ---- */

#define ALICE_SEC "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define ALICE_PUB "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define BOB_SEC "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define BOB_PUB "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define SHARED_K "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

START_TEST(x25519_rfc7748)
{
	uint8_t a[BFT_KEY_LEN], b[BFT_KEY_LEN], apub[BFT_KEY_LEN], bpub[BFT_KEY_LEN];
	uint8_t k[BFT_KEY_LEN], seed[2 * BFT_KEY_LEN] = { 0 }, bad[BFT_KEY_LEN];
	struct bft_keypair kp;

	unhex(ALICE_SEC, a, sizeof(a));
	unhex(BOB_SEC, b, sizeof(b));
	unhex(ALICE_PUB, apub, sizeof(apub));
	unhex(BOB_PUB, bpub, sizeof(bpub));

	ck_assert_int_eq(bft_x25519(a, bpub, k), BFT_OK);
	ck_hex_eq(k, SHARED_K, BFT_KEY_LEN);
	ck_assert_int_eq(bft_x25519(b, apub, k), BFT_OK);
	ck_hex_eq(k, SHARED_K, BFT_KEY_LEN);

	/* bft_keypair_from_seed: X25519 private = seed[32..64), public = X25519(a, 9). */
	memcpy(seed + BFT_KEY_LEN, a, BFT_KEY_LEN);
	ck_assert_int_eq(bft_keypair_from_seed(&kp, seed), BFT_OK);
	ck_assert_mem_eq(kp.dh_sec, a, BFT_KEY_LEN);
	ck_hex_eq(kp.dh_pub, ALICE_PUB, BFT_KEY_LEN);

	/* Low-order points give an all-zero secret and are refused. */
	memset(bad, 0, sizeof(bad));
	ck_assert_int_eq(bft_x25519(a, bad, k), BFT_E_INVAL);
	bad[0] = 1;
	ck_assert_int_eq(bft_x25519(a, bad, k), BFT_E_INVAL);
	ck_assert_int_eq(bft_session_key(a, bad, 0, 1, 0, k), BFT_E_INVAL);
	ck_assert_int_eq(bft_x25519(NULL, bpub, k), BFT_E_INVAL);
}
END_TEST

START_TEST(hkdf_rfc5869)
{
	uint8_t ikm[22], salt[13], info[10], okm[42];

	memset(ikm, 0x0b, sizeof(ikm));
	for (size_t i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0xf0 + i);
	/* A.1 */
	ck_assert_int_eq(bft_hkdf_sha256(ikm, sizeof(ikm), salt, sizeof(salt), info,
					 sizeof(info), okm, sizeof(okm)), BFT_OK);
	ck_hex_eq(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		       "34007208d5b887185865", sizeof(okm));
	/* A.3: zero-length salt and info. */
	ck_assert_int_eq(bft_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0, okm,
					 sizeof(okm)), BFT_OK);
	ck_hex_eq(okm, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		       "9d201395faa4b61a96c8", sizeof(okm));
	ck_assert_int_eq(bft_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, okm, 32), BFT_E_INVAL);
	ck_assert_int_eq(bft_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm, 0), BFT_E_INVAL);
}
END_TEST

START_TEST(session_key_layout)
{
	uint8_t a[BFT_KEY_LEN], b[BFT_KEY_LEN], apub[BFT_KEY_LEN], bpub[BFT_KEY_LEN];
	uint8_t k12[BFT_KEY_LEN], k12b[BFT_KEY_LEN], k21[BFT_KEY_LEN], k[BFT_KEY_LEN];
	const uint64_t epoch = 0x0102030405060708ull;

	unhex(ALICE_SEC, a, sizeof(a));
	unhex(BOB_SEC, b, sizeof(b));
	unhex(ALICE_PUB, apub, sizeof(apub));
	unhex(BOB_PUB, bpub, sizeof(bpub));

	/* Known answers, computed independently (Python `cryptography` HKDF):
	 * HKDF-SHA256(ikm = RFC 7748 K, salt = "bfs-pbft-v1",
	 *             info = "mac" || u32le(from) || u32le(to) || u64le(epoch)). */
	ck_assert_int_eq(bft_session_key(a, bpub, 1, 2, epoch, k12), BFT_OK);
	ck_hex_eq(k12, "320d8d40e8b96032fbc7fc37030ca699df60a697273d03a4891b964761add59a",
		  BFT_KEY_LEN);
	ck_assert_int_eq(bft_session_key(a, bpub, 2, 1, epoch, k21), BFT_OK);
	ck_hex_eq(k21, "dffa2d712efdd7641052f53586f30a08a7d066d41e3373382ca24d2e80d385e1",
		  BFT_KEY_LEN);

	/* Either end computes the same directional key. */
	ck_assert_int_eq(bft_session_key(b, apub, 1, 2, epoch, k12b), BFT_OK);
	ck_assert_mem_eq(k12, k12b, BFT_KEY_LEN);
	/* Directions and epochs give different keys. */
	ck_assert(memcmp(k12, k21, BFT_KEY_LEN) != 0);
	ck_assert_int_eq(bft_session_key(a, bpub, 1, 2, epoch + 1, k), BFT_OK);
	ck_assert(memcmp(k12, k, BFT_KEY_LEN) != 0);
	ck_assert_int_eq(bft_session_key(a, bpub, 1, 3, epoch, k), BFT_OK);
	ck_assert(memcmp(k12, k, BFT_KEY_LEN) != 0);

	ck_assert_int_eq(bft_session_key(NULL, bpub, 1, 2, 0, k), BFT_E_INVAL);
	ck_assert_int_eq(bft_session_key(a, NULL, 1, 2, 0, k), BFT_E_INVAL);
	ck_assert_int_eq(bft_session_key(a, bpub, 1, 2, 0, NULL), BFT_E_INVAL);
}
END_TEST

START_TEST(keypair_seed_and_generate)
{
	uint8_t seed[2 * BFT_KEY_LEN], sig[BFT_SIG_LEN], k1[BFT_KEY_LEN], k2[BFT_KEY_LEN];
	struct bft_keypair x, y, g1, g2;
	struct bft_pubkey pub;

	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 3 + 1);
	ck_assert_int_eq(bft_keypair_from_seed(&x, seed), BFT_OK);
	ck_assert_int_eq(bft_keypair_from_seed(&y, seed), BFT_OK);
	ck_assert_mem_eq(&x, &y, sizeof(x));
	ck_assert_mem_eq(x.sign_sec, seed, BFT_KEY_LEN);
	ck_assert_mem_eq(x.dh_sec, seed + BFT_KEY_LEN, BFT_KEY_LEN);
	seed[63] ^= 1;
	ck_assert_int_eq(bft_keypair_from_seed(&y, seed), BFT_OK);
	ck_assert_mem_eq(x.sign_pub, y.sign_pub, BFT_KEY_LEN);
	ck_assert(memcmp(x.dh_pub, y.dh_pub, BFT_KEY_LEN) != 0);

	bft_keypair_public(&x, &pub);
	ck_assert_mem_eq(pub.sign_pub, x.sign_pub, BFT_KEY_LEN);
	ck_assert_mem_eq(pub.dh_pub, x.dh_pub, BFT_KEY_LEN);

	ck_assert_int_eq(bft_keypair_generate(&g1), BFT_OK);
	ck_assert_int_eq(bft_keypair_generate(&g2), BFT_OK);
	ck_assert(memcmp(&g1, &g2, sizeof(g1)) != 0);
	/* A generated pair is consistent: it signs, and its DH halves agree. */
	ck_assert_int_eq(bft_ed25519_sign(g1.sign_sec, "m", 1, sig), BFT_OK);
	ck_assert_int_eq(bft_ed25519_verify(g1.sign_pub, "m", 1, sig), BFT_OK);
	ck_assert_int_eq(bft_session_key(g1.dh_sec, g2.dh_pub, 5, 6, 9, k1), BFT_OK);
	ck_assert_int_eq(bft_session_key(g2.dh_sec, g1.dh_pub, 5, 6, 9, k2), BFT_OK);
	ck_assert_mem_eq(k1, k2, BFT_KEY_LEN);

	ck_assert_int_eq(bft_keypair_from_seed(NULL, seed), BFT_E_INVAL);
	ck_assert_int_eq(bft_keypair_from_seed(&x, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keypair_generate(NULL), BFT_E_INVAL);
	bft_keypair_public(NULL, &pub); /* no-ops, no crash */
	bft_keypair_public(&x, NULL);
}
END_TEST

/* ---- constant-time equality, wiping, digests' argument handling ---- */

START_TEST(ct_equal_and_wipe)
{
	uint8_t a[64], b[64];

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i ^ 0x5a);
	ck_assert(bft_ct_equal(a, b, sizeof(a)));
	for (size_t bit = 0; bit < 8 * sizeof(a); bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert(!bft_ct_equal(a, b, sizeof(a)));
		ck_assert(bft_ct_equal(a, b, bit / 8)); /* prefix still equal */
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	ck_assert(bft_ct_equal(a, b, 0));
	ck_assert(bft_ct_equal(NULL, NULL, 0));
	ck_assert(!bft_ct_equal(NULL, b, 1));
	ck_assert(!bft_ct_equal(a, NULL, 1));

	bft_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	ck_assert_mem_eq(a, b, sizeof(a));
	bft_wipe(NULL, 10);
}
END_TEST

/* ---- keyring: 4 replicas (0..3) + 2 clients (4, 5) ---- */

#define NR 4
#define NN 6

static struct bft_keypair kps[NN];
static struct bft_pubkey pubs[NN];
static struct bft_keyring *kr[NN];

static bool is_keyed(uint32_t i, uint32_t j)
{
	return i != j && (i < NR || j < NR);
}

static void keyring_setup(void)
{
	for (uint32_t i = 0; i < NN; i++) {
		uint8_t seed[2 * BFT_KEY_LEN];

		for (size_t b = 0; b < sizeof(seed); b++)
			seed[b] = (uint8_t)(17 * i + 31 * b + 7);
		ck_assert_int_eq(bft_keypair_from_seed(&kps[i], seed), BFT_OK);
		bft_keypair_public(&kps[i], &pubs[i]);
	}
	for (uint32_t i = 0; i < NN; i++) {
		kr[i] = NULL;
		ck_assert_int_eq(bft_keyring_new(i, NR, NN, &kps[i], pubs, &kr[i]), BFT_OK);
		ck_assert_ptr_nonnull(kr[i]);
		ck_assert_uint_eq(bft_keyring_self(kr[i]), i);
	}
}

static void keyring_teardown(void)
{
	for (uint32_t i = 0; i < NN; i++) {
		bft_keyring_free(kr[i]);
		kr[i] = NULL;
	}
}

static const char kmsg[] = "PRE-PREPARE v=0 n=1 d=0123456789abcdef0123456789abcdef";

START_TEST(keyring_mac_roundtrip)
{
	uint8_t tag[BFT_MAC_LEN], tag2[BFT_MAC_LEN], key[BFT_KEY_LEN];
	const size_t len = sizeof(kmsg) - 1;

	for (uint32_t i = 0; i < NN; i++) {
		for (uint32_t j = 0; j < NN; j++) {
			if (!is_keyed(i, j)) {
				/* self and client pairs: no keys, both ways. */
				ck_assert_int_eq(bft_keyring_mac(kr[i], j, kmsg, len, tag),
						 BFT_E_PEER);
				ck_assert_int_eq(bft_keyring_mac_verify(kr[j], i, kmsg, len, tag),
						 BFT_E_PEER);
				continue;
			}
			ck_assert_int_eq(bft_keyring_mac(kr[i], j, kmsg, len, tag), BFT_OK);
			ck_assert_int_eq(bft_keyring_mac_verify(kr[j], i, kmsg, len, tag), BFT_OK);

			/* Independent path: k(i→j, 0) by bft_session_key, then HMAC(). */
			ck_assert_int_eq(bft_session_key(kps[j].dh_sec, kps[i].dh_pub, i, j, 0,
							 key), BFT_OK);
			{
				uint8_t ref[EVP_MAX_MD_SIZE];
				unsigned rl = 0;

				ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, sizeof(key),
							   (const uint8_t *)kmsg, len, ref, &rl));
				ck_assert_mem_eq(tag, ref, BFT_MAC_LEN);
			}

			/* The reverse direction uses a different key. */
			ck_assert_int_eq(bft_keyring_mac(kr[j], i, kmsg, len, tag2), BFT_OK);
			ck_assert(memcmp(tag, tag2, BFT_MAC_LEN) != 0);
			ck_assert_int_eq(bft_keyring_mac_verify(kr[i], j, kmsg, len, tag),
					 BFT_E_AUTH);

			/* Wrong claimed sender: any other node keyed with j. */
			for (uint32_t w = 0; w < NN; w++) {
				if (w == i || !is_keyed(w, j))
					continue;
				ck_assert_int_eq(bft_keyring_mac_verify(kr[j], w, kmsg, len, tag),
						 BFT_E_AUTH);
			}
			/* Flipped message bit and flipped tag bit. */
			{
				char m[sizeof(kmsg)];

				memcpy(m, kmsg, sizeof(kmsg));
				m[len - 1] ^= 1;
				ck_assert_int_eq(bft_keyring_mac_verify(kr[j], i, m, len, tag),
						 BFT_E_AUTH);
			}
			tag[BFT_MAC_LEN - 1] ^= 0x80;
			ck_assert_int_eq(bft_keyring_mac_verify(kr[j], i, kmsg, len, tag),
					 BFT_E_AUTH);
		}
		/* Out-of-range ids. */
		ck_assert_int_eq(bft_keyring_mac(kr[i], NN, kmsg, len, tag), BFT_E_PEER);
		ck_assert_int_eq(bft_keyring_mac(kr[i], UINT32_MAX, kmsg, len, tag), BFT_E_PEER);
		ck_assert_int_eq(bft_keyring_mac_verify(kr[i], NN, kmsg, len, tag), BFT_E_PEER);
		ck_assert_int_eq(bft_keyring_mac_verify(kr[i], UINT32_MAX, kmsg, len, tag),
				 BFT_E_PEER);
	}
}
END_TEST

/* Authenticators over messages longer than BFT_AUTH_DIGEST_MIN cover the
 * message through its digest: they still verify at every replica, and a
 * change anywhere in the message (first, middle, last byte) or a different
 * length fails. Lengths straddle the threshold. */
START_TEST(keyring_auth_long_messages)
{
	static uint8_t m[5000];
	const size_t lens[] = { BFT_AUTH_DIGEST_MIN, BFT_AUTH_DIGEST_MIN + 1, sizeof(m) };
	uint8_t tags[NR * BFT_MAC_LEN];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7 + 3);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];
		const size_t at[] = { 0, len / 2, len - 1 };

		ck_assert_int_eq(bft_keyring_auth(kr[NR], m, len, tags), BFT_OK);
		for (uint32_t r = 0; r < NR; r++) {
			ck_assert_int_eq(bft_keyring_auth_verify(kr[r], NR, m, len, tags), BFT_OK);
			ck_assert_int_eq(bft_keyring_auth_verify(kr[r], NR, m, len - 1, tags),
					 BFT_E_AUTH);
			for (size_t a = 0; a < 3; a++) {
				m[at[a]] ^= 0x10;
				ck_assert_int_eq(bft_keyring_auth_verify(kr[r], NR, m, len, tags),
						 BFT_E_AUTH);
				m[at[a]] ^= 0x10;
			}
		}
	}
}
END_TEST

START_TEST(keyring_auth_roundtrip)
{
	uint8_t tags[NR * BFT_MAC_LEN], one[BFT_MAC_LEN], zero[BFT_MAC_LEN] = { 0 };
	const size_t len = sizeof(kmsg) - 1;

	for (uint32_t s = 0; s < NN; s++) {
		memset(tags, 0xa5, sizeof(tags));
		ck_assert_int_eq(bft_keyring_auth(kr[s], kmsg, len, tags), BFT_OK);
		for (uint32_t r = 0; r < NR; r++) {
			uint8_t *t = tags + r * BFT_MAC_LEN;

			if (r == s) {
				ck_assert_mem_eq(t, zero, BFT_MAC_LEN);
				ck_assert_int_eq(bft_keyring_auth_verify(kr[r], s, kmsg, len, tags),
						 BFT_E_PEER);
				continue;
			}
			/* Entry r is the point-to-point MAC s→r. */
			ck_assert_int_eq(bft_keyring_mac(kr[s], r, kmsg, len, one), BFT_OK);
			ck_assert_mem_eq(t, one, BFT_MAC_LEN);
			ck_assert_int_eq(bft_keyring_auth_verify(kr[r], s, kmsg, len, tags), BFT_OK);

			/* Wrong claimed sender. */
			for (uint32_t w = 0; w < NN; w++) {
				if (w == s || w == r)
					continue;
				ck_assert_int_eq(bft_keyring_auth_verify(kr[r], w, kmsg, len, tags),
						 BFT_E_AUTH);
			}
			/* Flipped message bit. */
			{
				char m[sizeof(kmsg)];

				memcpy(m, kmsg, sizeof(kmsg));
				m[3] ^= 0x20;
				ck_assert_int_eq(bft_keyring_auth_verify(kr[r], s, m, len, tags),
						 BFT_E_AUTH);
			}
			/* Flipped bit in r's entry: r rejects, the others still accept. */
			t[5] ^= 0x04;
			ck_assert_int_eq(bft_keyring_auth_verify(kr[r], s, kmsg, len, tags),
					 BFT_E_AUTH);
			for (uint32_t o = 0; o < NR; o++) {
				if (o != r && o != s)
					ck_assert_int_eq(bft_keyring_auth_verify(kr[o], s, kmsg,
										 len, tags),
							 BFT_OK);
			}
			t[5] ^= 0x04;
			ck_assert_int_eq(bft_keyring_auth_verify(kr[r], s, kmsg, len, tags), BFT_OK);
		}
		/* Clients hold no authenticator entry. */
		for (uint32_t c = NR; c < NN; c++)
			ck_assert_int_eq(bft_keyring_auth_verify(kr[c], s, kmsg, len, tags),
					 BFT_E_PEER);
		/* Out-of-range senders. */
		ck_assert_int_eq(bft_keyring_auth_verify(kr[0], NN, kmsg, len, tags), BFT_E_PEER);
		ck_assert_int_eq(bft_keyring_auth_verify(kr[0], UINT32_MAX, kmsg, len, tags),
				 BFT_E_PEER);
	}
}
END_TEST

START_TEST(keyring_signatures)
{
	uint8_t sig[BFT_SIG_LEN], raw[BFT_SIG_LEN];
	const size_t len = sizeof(kmsg) - 1;

	for (uint32_t s = 0; s < NN; s++) {
		ck_assert_int_eq(bft_keyring_sign(kr[s], kmsg, len, sig), BFT_OK);
		/* Same as signing with the raw key (Ed25519 is deterministic). */
		ck_assert_int_eq(bft_ed25519_sign(kps[s].sign_sec, kmsg, len, raw), BFT_OK);
		ck_assert_mem_eq(sig, raw, BFT_SIG_LEN);
		ck_assert_int_eq(bft_ed25519_verify(kps[s].sign_pub, kmsg, len, sig), BFT_OK);

		for (uint32_t v = 0; v < NN; v++) {
			bool known = v == s || is_keyed(v, s);

			if (!known) { /* client verifying a client */
				ck_assert_int_eq(bft_keyring_verify(kr[v], s, kmsg, len, sig),
						 BFT_E_PEER);
				continue;
			}
			ck_assert_int_eq(bft_keyring_verify(kr[v], s, kmsg, len, sig), BFT_OK);
			/* A signature by s claimed to be by another node. */
			for (uint32_t w = 0; w < NN; w++) {
				if (w != s && (w == v || is_keyed(v, w)))
					ck_assert_int_eq(bft_keyring_verify(kr[v], w, kmsg, len,
									    sig),
							 BFT_E_AUTH);
			}
			sig[10] ^= 1;
			ck_assert_int_eq(bft_keyring_verify(kr[v], s, kmsg, len, sig), BFT_E_AUTH);
			sig[10] ^= 1;
			ck_assert_int_eq(bft_keyring_verify(kr[v], s, kmsg, len - 1, sig),
					 BFT_E_AUTH);
		}
		ck_assert_int_eq(bft_keyring_verify(kr[0], NN, kmsg, len, sig), BFT_E_PEER);
		ck_assert_int_eq(bft_keyring_verify(kr[0], UINT32_MAX, kmsg, len, sig),
				 BFT_E_PEER);
	}
}
END_TEST

START_TEST(keyring_refresh)
{
	uint8_t t0[BFT_MAC_LEN], t1[BFT_MAC_LEN], tags[NR * BFT_MAC_LEN];
	uint8_t sec[BFT_KEY_LEN], pub[BFT_KEY_LEN], zero[BFT_KEY_LEN] = { 0 };
	const size_t len = sizeof(kmsg) - 1;

	/* Epoch-0 tag 0→1 and an epoch-0 authenticator from client 4. */
	ck_assert_int_eq(bft_keyring_mac(kr[0], 1, kmsg, len, t0), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth(kr[4], kmsg, len, tags), BFT_OK);

	/* Replica 0 takes a fresh key (no grace): its new tags fail at 1 until
	 * 1 hears of the key, and then the old ones fail there. */
	memset(sec, 0x5a, sizeof(sec));
	ck_assert_int_eq(bft_keyring_refresh(kr[0], 5, sec, pub, false), BFT_OK);
	ck_assert_uint_eq(bft_keyring_epoch(kr[0]), 5);
	ck_assert_int_eq(bft_keyring_mac(kr[0], 1, kmsg, len, t1), BFT_OK);
	ck_assert(memcmp(t0, t1, BFT_MAC_LEN) != 0);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[1], 0, kmsg, len, t1), BFT_E_AUTH);
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[1], 0, 5, pub, false), BFT_OK);
	ck_assert_uint_eq(bft_keyring_peer_epoch(kr[1], 0), 5);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[1], 0, kmsg, len, t1), BFT_OK);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[1], 0, kmsg, len, t0), BFT_E_AUTH);
	/* The reverse direction changed too (both keys are D_0's). */
	ck_assert_int_eq(bft_keyring_mac(kr[1], 0, kmsg, len, t0), BFT_OK);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[0], 1, kmsg, len, t0), BFT_OK);
	/* A replayed or older NEW-KEY changes nothing. */
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[1], 0, 5, pub, false), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[1], 0, 4, zero, false), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_refresh(kr[0], 5, sec, pub, false), BFT_E_INVAL);
	/* A low-order point is refused and the pair keeps working. */
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[1], 0, 9, zero, false), BFT_E_INVAL);
	ck_assert_uint_eq(bft_keyring_peer_epoch(kr[1], 0), 5);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[1], 0, kmsg, len, t1), BFT_OK);

	/* With grace: 1's tag made before 0's next refresh still passes at 0
	 * until the grace ends. */
	ck_assert_int_eq(bft_keyring_mac(kr[1], 0, kmsg, len, t0), BFT_OK);
	sec[0] ^= 1;
	ck_assert_int_eq(bft_keyring_refresh(kr[0], 6, sec, pub, true), BFT_OK);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[0], 1, kmsg, len, t0), BFT_OK);
	bft_keyring_drop_old(kr[0], UINT32_MAX);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[0], 1, kmsg, len, t0), BFT_E_AUTH);
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[1], 0, 6, pub, false), BFT_OK);
	ck_assert_int_eq(bft_keyring_mac(kr[1], 0, kmsg, len, t0), BFT_OK);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[0], 1, kmsg, len, t0), BFT_OK);

	/* Replica 2's fresh key: client 4's old authenticator fails at 2 but
	 * still passes at 3; once 4 hears of it, its new one passes at both. */
	memset(sec, 0x33, sizeof(sec));
	ck_assert_int_eq(bft_keyring_refresh(kr[2], 7, sec, pub, false), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[2], 4, kmsg, len, tags), BFT_E_AUTH);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[3], 4, kmsg, len, tags), BFT_OK);
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[4], 2, 7, pub, false), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth(kr[4], kmsg, len, tags), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[2], 4, kmsg, len, tags), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[3], 4, kmsg, len, tags), BFT_OK);

	/* Rejections. */
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[0], 0, 9, pub, false), BFT_E_PEER);
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[4], 5, 9, pub, false), BFT_E_PEER);
	ck_assert_int_eq(bft_keyring_peer_refresh(kr[0], NN, 9, pub, false), BFT_E_PEER);
	ck_assert_int_eq(bft_keyring_peer_refresh(NULL, 1, 9, pub, false), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_refresh(NULL, 9, sec, pub, false), BFT_E_INVAL);
}
END_TEST

START_TEST(keyring_new_rejects)
{
	struct bft_keyring *k = (struct bft_keyring *)&k; /* must be reset to NULL */
	struct bft_pubkey bad[NN];
	struct bft_keypair own;

	ck_assert_int_eq(bft_keyring_new(0, NR, NN, &kps[0], pubs, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_new(0, NR, NN, NULL, pubs, &k), BFT_E_INVAL);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(bft_keyring_new(0, NR, NN, &kps[0], NULL, &k), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_new(0, 0, NN, &kps[0], pubs, &k), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_new(0, NN + 1, NN, &kps[0], pubs, &k), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_new(NN, NR, NN, &kps[0], pubs, &k), BFT_E_PEER);
	ck_assert_int_eq(bft_keyring_new(UINT32_MAX, NR, NN, &kps[0], pubs, &k), BFT_E_PEER);
	/* pubs[self] is not own. */
	ck_assert_int_eq(bft_keyring_new(1, NR, NN, &kps[0], pubs, &k), BFT_E_INVAL);
	ck_assert_ptr_null(k);

	/* own inconsistent: a public half that does not belong to the secret. */
	memcpy(bad, pubs, sizeof(bad));
	own = kps[0];
	own.sign_pub[0] ^= 1;
	bad[0].sign_pub[0] ^= 1;
	ck_assert_int_eq(bft_keyring_new(0, NR, NN, &own, bad, &k), BFT_E_INVAL);
	own = kps[0];
	own.dh_pub[0] ^= 1;
	memcpy(bad, pubs, sizeof(bad));
	bad[0].dh_pub[0] ^= 1;
	ck_assert_int_eq(bft_keyring_new(0, NR, NN, &own, bad, &k), BFT_E_INVAL);

	/* A peer with a low-order X25519 key. */
	memcpy(bad, pubs, sizeof(bad));
	memset(bad[2].dh_pub, 0, BFT_KEY_LEN);
	ck_assert_int_eq(bft_keyring_new(0, NR, NN, &kps[0], bad, &k), BFT_E_INVAL);
	ck_assert_ptr_null(k);
	/* ... is ignored by a client that never pairs with it (client 5). */
	memcpy(bad, pubs, sizeof(bad));
	memset(bad[4].dh_pub, 0, BFT_KEY_LEN);
	ck_assert_int_eq(bft_keyring_new(5, NR, NN, &kps[5], bad, &k), BFT_OK);
	ck_assert_ptr_nonnull(k);
	bft_keyring_free(k);

	/* Smallest configuration: one replica, no clients. */
	ck_assert_int_eq(bft_keyring_new(0, 1, 1, &kps[0], pubs, &k), BFT_OK);
	{
		uint8_t tag[BFT_MAC_LEN] = { 1 };

		ck_assert_int_eq(bft_keyring_auth(k, "x", 1, tag), BFT_OK);
		ck_assert_uint_eq(tag[0], 0);
		ck_assert_int_eq(bft_keyring_mac(k, 0, "x", 1, tag), BFT_E_PEER);
	}
	bft_keyring_free(k);
}
END_TEST

START_TEST(keyring_null_args)
{
	uint8_t tag[BFT_MAC_LEN] = { 0 }, sig[BFT_SIG_LEN] = { 0 }, tags[NR * BFT_MAC_LEN];

	bft_keyring_free(NULL);
	ck_assert_uint_eq(bft_keyring_self(NULL), UINT32_MAX);

	ck_assert_int_eq(bft_keyring_mac(NULL, 1, "x", 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_mac(kr[0], 1, NULL, 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_mac(kr[0], 1, "x", 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_mac_verify(NULL, 1, "x", 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[0], 1, NULL, 1, tag), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[0], 1, "x", 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_auth(NULL, "x", 1, tags), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_auth(kr[0], NULL, 1, tags), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_auth(kr[0], "x", 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_auth_verify(NULL, 1, "x", 1, tags), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[0], 1, NULL, 1, tags), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[0], 1, "x", 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_sign(NULL, "x", 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_sign(kr[0], NULL, 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_sign(kr[0], "x", 1, NULL), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_verify(NULL, 1, "x", 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_verify(kr[0], 1, NULL, 1, sig), BFT_E_INVAL);
	ck_assert_int_eq(bft_keyring_verify(kr[0], 1, "x", 1, NULL), BFT_E_INVAL);

	/* Empty messages are fine. */
	ck_assert_int_eq(bft_keyring_mac(kr[0], 1, NULL, 0, tag), BFT_OK);
	ck_assert_int_eq(bft_keyring_mac_verify(kr[1], 0, NULL, 0, tag), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth(kr[0], NULL, 0, tags), BFT_OK);
	ck_assert_int_eq(bft_keyring_auth_verify(kr[3], 0, NULL, 0, tags), BFT_OK);
	ck_assert_int_eq(bft_keyring_sign(kr[0], NULL, 0, sig), BFT_OK);
	ck_assert_int_eq(bft_keyring_verify(kr[5], 0, NULL, 0, sig), BFT_OK);
	ck_assert_int_eq(bft_keyring_verify(kr[5], 0, "", 0, sig), BFT_OK);
}
END_TEST

static Suite *crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *prim = tcase_create("primitives");
	TCase *ring = tcase_create("keyring");

	tcase_add_test(prim, sha256_oneshot);
	tcase_add_test(prim, sha256_incremental_odd_chunks);
	tcase_add_test(prim, sha256_million_a);
	tcase_add_test(prim, tree_node_digest_rule);
	tcase_add_test(prim, hmac_rfc4231);
	tcase_add_test(prim, mac_public_api);
	tcase_add_test(prim, ed25519_rfc8032);
	tcase_add_test(prim, ed25519_bad_inputs);
	tcase_add_test(prim, x25519_rfc7748);
	tcase_add_test(prim, hkdf_rfc5869);
	tcase_add_test(prim, session_key_layout);
	tcase_add_test(prim, keypair_seed_and_generate);
	tcase_add_test(prim, ct_equal_and_wipe);
	suite_add_tcase(s, prim);

	tcase_add_checked_fixture(ring, keyring_setup, keyring_teardown);
	tcase_set_timeout(ring, 30);
	tcase_add_test(ring, keyring_mac_roundtrip);
	tcase_add_test(ring, keyring_auth_roundtrip);
	tcase_add_test(ring, keyring_auth_long_messages);
	tcase_add_test(ring, keyring_signatures);
	tcase_add_test(ring, keyring_refresh);
	tcase_add_test(ring, keyring_new_rejects);
	tcase_add_test(ring, keyring_null_args);
	suite_add_tcase(s, ring);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
