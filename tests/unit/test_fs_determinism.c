/*
 * test_fs_determinism.c — DESIGN.md "Determinism": two independent file
 * system instances (separate LMDB environments) executing the same random
 * sequence of requests in the same batches with the same agreed times
 * produce byte-identical results and identical checkpoint digests, and the
 * incremental digest equals the from-scratch digest.
 *
 * BFS_DET_OPS overrides the operation count (default 100000); BFS_DET_SEED
 * the seed (default 1). A failure names the op index to replay.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bfs/error.h"
#include "fs_randops.h"

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	return s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : def;
}

static void exec_both(struct fx *a, struct fx *b, uint64_t i)
{
	int ra = bfs_fs_execute(a->fs, a->op, a->op_len, a->res, sizeof(a->res), &a->res_len);
	int rb = bfs_fs_execute(b->fs, a->op, a->op_len, b->res, sizeof(b->res), &b->res_len);
	ck_assert_msg(ra == BFS_OK && rb == BFS_OK, "op %llu: %s / %s",
		      (unsigned long long)i, bfs_strerror(ra), bfs_strerror(rb));
	ck_assert_msg(a->res_len == b->res_len && memcmp(a->res, b->res, a->res_len) == 0,
		      "op %llu: results differ", (unsigned long long)i);
}

static void same_digests(struct fx *a, struct fx *b, uint64_t i, bool full)
{
	uint8_t da[BFS_FS_DIGEST_LEN], db[BFS_FS_DIGEST_LEN], df[BFS_FS_DIGEST_LEN];
	fx_digest(a, da);
	fx_digest(b, db);
	ck_assert_msg(memcmp(da, db, sizeof(da)) == 0, "digests differ after op %llu",
		      (unsigned long long)i);
	if (full) {
		fx_digest_full(a, df);
		ck_assert_msg(memcmp(da, df, sizeof(da)) == 0,
			      "incremental digest != full digest after op %llu",
			      (unsigned long long)i);
	}
}

START_TEST(same_ops_same_results_and_digests)
{
	uint64_t n_ops = env_u64("BFS_DET_OPS", 100000);
	uint64_t seed = env_u64("BFS_DET_SEED", 1);
	struct fx *a = fx_new(NULL), *b = fx_new(NULL);
	struct randops g;
	randops_init(&g, seed, &a->root);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t seq = 0, time_us = 1700000000ull * 1000000ull, i = 0;
	while (i < n_ops) {
		seq++;
		time_us += 1 + randops_u64(&g) % 5000;
		ck_assert_int_eq(bfs_fs_batch_begin(a->fs, seq, time_us), BFS_OK);
		ck_assert_int_eq(bfs_fs_batch_begin(b->fs, seq, time_us), BFS_OK);
		unsigned batch = 1 + (unsigned)(randops_u64(&g) % 16);
		for (unsigned k = 0; k < batch && i < n_ops; k++, i++) {
			a->op_len = randops_next(&g, a->op, sizeof(a->op));
			exec_both(a, b, i);
			randops_learn(&g, a->res, a->res_len);
		}
		ck_assert_int_eq(bfs_fs_batch_end(a->fs, seq), BFS_OK);
		ck_assert_int_eq(bfs_fs_batch_end(b->fs, seq), BFS_OK);
		if (seq % 128 == 0)
			same_digests(a, b, i, seq % 4096 == 0);
	}
	same_digests(a, b, i, true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("determinism: %llu ops in %llu batches, seed %llu, %.2f s\n",
	       (unsigned long long)n_ops, (unsigned long long)seq,
	       (unsigned long long)seed, s);
	fx_free(a);
	fx_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_determinism");
	TCase *tc = tcase_create("determinism");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, same_ops_same_results_and_digests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
