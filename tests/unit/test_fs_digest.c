/*
 * test_fs_digest.c — checkpoint digests (bfsd/fs_digest.c): one changed
 * byte of one block changes the root; restoring it restores the root; the
 * incremental digest equals the from-scratch digest after every checkpoint
 * of a random workload; the stored tree and the dirty set survive a reopen.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/error.h"
#include "fs_randops.h"

static struct fx *f;

static void setup(void)
{
	f = fx_new(NULL);
}

static void teardown(void)
{
	fx_free(f);
}

START_TEST(one_byte_changes_root)
{
	struct tfh h;
	static uint8_t data[65536];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ck_assert_int_eq(fx_create(f, &f->root, "blob", 0644, &h), NFS3_OK);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(fx_write(f, &h, i * 32768ull, data + i * 32768, 32768), NFS3_OK);
	uint8_t d0[32], d1[32], d2[32];
	fx_digest(f, d0);
	ck_assert_int_eq(fx_write(f, &h, 40000, "\x01", 1), NFS3_OK); /* was 0x40 */
	fx_digest(f, d1);
	ck_assert(memcmp(d0, d1, 32) != 0);
	ck_assert_int_eq(fx_write(f, &h, 40000, data + 40000, 1), NFS3_OK);
	fx_digest(f, d2);
	/* content is back, but mtime/ctime moved: only the inode differs */
	ck_assert(memcmp(d1, d2, 32) != 0);
	fx_digest_full(f, d1);
	ck_assert(memcmp(d1, d2, 32) == 0);
}
END_TEST

START_TEST(same_content_same_digest)
{
	struct fx *g = fx_new(NULL);
	struct tfh h1, h2;
	uint8_t a[32], b[32];
	ck_assert_int_eq(fx_create(f, &f->root, "x", 0644, &h1), NFS3_OK);
	ck_assert_int_eq(fx_create(g, &g->root, "x", 0644, &h2), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h1, 5000, "abc", 3), NFS3_OK);
	ck_assert_int_eq(fx_write(g, &h2, 5000, "abd", 3), NFS3_OK);
	fx_digest(f, a);
	fx_digest(g, b);
	ck_assert(memcmp(a, b, 32) != 0);
	g->time_us -= 1000; /* same batch time as f's write */
	g->seq--;
	ck_assert_int_eq(fx_write(g, &h2, 5000, "abc", 3), NFS3_OK);
	fx_digest(g, b);
	ck_assert(memcmp(a, b, 32) == 0);
	fx_free(g);
}
END_TEST

START_TEST(incremental_equals_full_every_checkpoint)
{
	struct randops g;
	randops_init(&g, 42, &f->root);
	uint8_t inc[32], full[32];
	for (unsigned cp = 0; cp < 60; cp++) {
		unsigned n = 1 + (unsigned)(randops_u64(&g) % 80);
		f->seq++;
		f->time_us += 1000;
		ck_assert_int_eq(bfs_fs_batch_begin(f->fs, f->seq, f->time_us), BFS_OK);
		for (unsigned i = 0; i < n; i++) {
			f->op_len = randops_next(&g, f->op, sizeof(f->op));
			ck_assert_int_eq(bfs_fs_execute(f->fs, f->op, f->op_len, f->res,
							sizeof(f->res), &f->res_len), BFS_OK);
			randops_learn(&g, f->res, f->res_len);
		}
		ck_assert_int_eq(bfs_fs_batch_end(f->fs, f->seq), BFS_OK);
		fx_digest(f, inc);
		fx_digest_full(f, full);
		ck_assert_msg(memcmp(inc, full, 32) == 0, "checkpoint %u", cp);
	}
}
END_TEST

START_TEST(dirty_set_survives_reopen)
{
	struct tfh h;
	uint8_t a[32], b[32];
	ck_assert_int_eq(fx_create(f, &f->root, "p", 0644, &h), NFS3_OK);
	fx_digest(f, a);
	ck_assert_int_eq(fx_write(f, &h, 0, "persist", 7), NFS3_OK);
	/* no checkpoint before the "crash" */
	fx_close_fs(f);
	fx_reopen(f, NULL);
	fx_digest(f, a);
	fx_digest_full(f, b);
	ck_assert(memcmp(a, b, 32) == 0);
	ck_assert_uint_eq(bfs_fs_last_seq(f->fs), f->seq);
}
END_TEST

static void other_limits(struct bfs_fs_config *c)
{
	c->max_files = 7;
}

START_TEST(reopen_with_other_replicated_config_fails)
{
	fx_close_fs(f);
	ck_assert_int_eq(fx_try_reopen(f, other_limits), BFS_E_CONFIG);
	fx_reopen(f, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_digest");
	TCase *tc = tcase_create("digest");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_byte_changes_root);
	tcase_add_test(tc, same_content_same_digest);
	tcase_add_test(tc, incremental_equals_full_every_checkpoint);
	tcase_add_test(tc, dirty_set_survives_reopen);
	tcase_add_test(tc, reopen_with_other_replicated_config_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
