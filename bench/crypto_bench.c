/*
 * crypto_bench.c — bft-crypto-bench: ns/op of the crypto operations on the
 * PBFT hot paths (Castro & Liskov, OSDI '99 §5.1 argue for MACs and
 * authenticators over signatures; this measures by how much).
 *
 *   hmac64_prekeyed   HMAC-SHA-256 of 64 bytes, pre-keyed context (bft_mac_compute)
 *   hmac64_oneshot    the same with OpenSSL's one-shot HMAC(), for comparison
 *   auth4_replica     authenticator for 4 replicas over 64 bytes, sent by a replica (3 MACs)
 *   auth4_client      the same sent by a client (4 MACs)
 *   auth4_verify      one replica checking its entry
 *   sha256_4k         SHA-256 of 4 KiB
 *   ed25519_sign      Ed25519 sign of 64 bytes with the keyring's cached key
 *   ed25519_verify    Ed25519 verify of 64 bytes with a cached public key
 *   session_key       X25519 + HKDF-SHA-256 session key (bft_session_key)
 *
 * Usage: bft-crypto-bench [milliseconds per measurement, default 200]
 * Each operation is warmed up, then timed in 5 rounds; the median round is
 * reported. The last line of output is the same numbers as one JSON object.
 *
 * Never: registered as a test (timings are machine-dependent); it exits
 * non-zero only if an operation fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bft/crypto.h"
#include "bft/error.h"

#define ROUNDS 5
#define NR 4
#define NN 5

static double target_ns = 200e6;
static volatile uint8_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bft-crypto-bench: %s failed: %s\n", what, bft_strerror(rc));
	exit(EXIT_FAILURE);
}

static void check(const char *what, int rc)
{
	if (rc != BFT_OK)
		die(what, rc);
}

/* State shared by the operations. */
static uint8_t msg64[64], buf4k[4096], tag[BFT_MAC_LEN], tags[NR * BFT_MAC_LEN];
static uint8_t client_tags[NR * BFT_MAC_LEN], sig[BFT_SIG_LEN], key[BFT_KEY_LEN];
static uint8_t digest[BFT_DIGEST_LEN], skey[BFT_KEY_LEN];
static struct bft_mac_key *mk;
static struct bft_keypair kps[NN];
static struct bft_keyring *kr_replica, *kr_client, *kr_verifier;

static void op_hmac_prekeyed(void)
{
	check("bft_mac_compute", bft_mac_compute(mk, msg64, sizeof(msg64), tag));
}

static void op_hmac_oneshot(void)
{
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (HMAC(EVP_sha256(), key, sizeof(key), msg64, sizeof(msg64), out, &len) == NULL)
		die("HMAC", BFT_E_CRYPTO);
	tag[0] ^= out[0];
}

static void op_auth_replica(void)
{
	check("bft_keyring_auth", bft_keyring_auth(kr_replica, msg64, sizeof(msg64), tags));
}

static void op_auth_client(void)
{
	check("bft_keyring_auth",
	      bft_keyring_auth(kr_client, msg64, sizeof(msg64), client_tags));
}

static void op_auth_verify(void)
{
	check("bft_keyring_auth_verify",
	      bft_keyring_auth_verify(kr_verifier, NR, msg64, sizeof(msg64), client_tags));
}

static void op_sha256_4k(void)
{
	bft_sha256(buf4k, sizeof(buf4k), digest);
}

static void op_sign(void)
{
	check("bft_keyring_sign", bft_keyring_sign(kr_replica, msg64, sizeof(msg64), sig));
}

static void op_verify(void)
{
	/* sig was made by replica 0 over msg64 */
	check("bft_keyring_verify",
	      bft_keyring_verify(kr_verifier, 0, msg64, sizeof(msg64), sig));
}

static void op_session_key(void)
{
	check("bft_session_key",
	      bft_session_key(kps[0].dh_sec, kps[1].dh_pub, 0, 1, 42, skey));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ns/op: calibrate, warm up, then the median of ROUNDS timed rounds. */
static double measure(void (*op)(void))
{
	double rounds[ROUNDS], t0, t;
	uint64_t iters = 1;

	/* Calibrate: double until one batch takes >= 1/20 of the target. */
	for (;;) {
		t0 = now_ns();
		for (uint64_t i = 0; i < iters; i++)
			op();
		t = now_ns() - t0;
		if (t >= target_ns / 20 || iters >= (UINT64_C(1) << 40))
			break;
		iters *= 2;
	}
	iters = (uint64_t)((double)iters * (target_ns / ROUNDS) / (t > 1 ? t : 1)) + 1;

	/* Warm-up: one full round, discarded. */
	for (uint64_t i = 0; i < iters; i++)
		op();

	for (int r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (uint64_t i = 0; i < iters; i++)
			op();
		rounds[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(rounds, ROUNDS, sizeof(rounds[0]), cmp_double);
	sink ^= tag[0] ^ tags[1] ^ client_tags[2] ^ sig[3] ^ digest[4] ^ skey[5];
	return rounds[ROUNDS / 2];
}

static void setup(void)
{
	struct bft_pubkey pubs[NN];

	for (size_t i = 0; i < sizeof(msg64); i++)
		msg64[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(buf4k); i++)
		buf4k[i] = (uint8_t)(i * 13);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (uint32_t n = 0; n < NN; n++) {
		uint8_t seed[2 * BFT_KEY_LEN];

		for (size_t b = 0; b < sizeof(seed); b++)
			seed[b] = (uint8_t)(n * 41 + b * 3 + 1);
		check("bft_keypair_from_seed", bft_keypair_from_seed(&kps[n], seed));
		bft_keypair_public(&kps[n], &pubs[n]);
	}
	mk = bft_mac_key_new(key);
	if (mk == NULL)
		die("bft_mac_key_new", BFT_E_NOMEM);
	/* 4 replicas (0..3) and one client (4). */
	check("bft_keyring_new", bft_keyring_new(0, NR, NN, &kps[0], pubs, &kr_replica));
	check("bft_keyring_new", bft_keyring_new(1, NR, NN, &kps[1], pubs, &kr_verifier));
	check("bft_keyring_new", bft_keyring_new(NR, NR, NN, &kps[NR], pubs, &kr_client));
	op_auth_client();
	op_sign();
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*op)(void);
	} ops[] = {
		{ "hmac64_prekeyed", op_hmac_prekeyed },
		{ "hmac64_oneshot", op_hmac_oneshot },
		{ "auth4_replica", op_auth_replica },
		{ "auth4_client", op_auth_client },
		{ "auth4_verify", op_auth_verify },
		{ "sha256_4k", op_sha256_4k },
		{ "ed25519_sign", op_sign },
		{ "ed25519_verify", op_verify },
		{ "session_key", op_session_key },
	};
	enum { N_OPS = sizeof(ops) / sizeof(ops[0]) };
	double ns[N_OPS];

	if (argc > 1) {
		long ms = strtol(argv[1], NULL, 10);

		if (ms < 1 || ms > 60000) {
			fprintf(stderr, "usage: %s [milliseconds per measurement, 1..60000]\n",
				argv[0]);
			return EXIT_FAILURE;
		}
		target_ns = (double)ms * 1e6;
	}
	setup();

	for (size_t i = 0; i < N_OPS; i++) {
		ns[i] = measure(ops[i].op);
		printf("%-16s %12.1f ns/op\n", ops[i].name, ns[i]);
		fflush(stdout);
	}

	printf("{");
	for (size_t i = 0; i < N_OPS; i++)
		printf("%s\"%s_ns\":%.1f", i ? "," : "", ops[i].name, ns[i]);
	printf("}\n");

	bft_keyring_free(kr_replica);
	bft_keyring_free(kr_verifier);
	bft_keyring_free(kr_client);
	bft_mac_key_free(mk);
	bft_wipe(kps, sizeof(kps));
	return EXIT_SUCCESS;
}
