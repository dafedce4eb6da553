/*
 * test_fs_data.c — file data (RFC 1813 §3.3.6 READ, §3.3.7 WRITE, §3.3.2
 * size): sparse files read zeros in holes, files of 64 GiB and more,
 * truncation zeroes what a later extension exposes, writes across blocks,
 * strict atime mode.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fs_fixture.h"

static struct fx *f;

static void setup(void)
{
	f = fx_new(NULL);
}

static void teardown(void)
{
	fx_free(f);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

START_TEST(sparse_reads_zeros)
{
	struct tfh h;
	static uint8_t buf[32768];
	uint32_t n;
	bool eof;
	ck_assert_int_eq(fx_create(f, &f->root, "sparse", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 100000, "end", 3), NFS3_OK);
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(fx_read(f, &h, 0, sizeof(buf), buf, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, sizeof(buf));
	ck_assert(!eof);
	ck_assert(all_zero(buf, n));
	ck_assert_int_eq(fx_read(f, &h, 99998, 100, buf, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert(eof);
	ck_assert(memcmp(buf, "\0\0end", 5) == 0);
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.size, 100003);
	ck_assert_uint_eq(a.used, 8192); /* one block stored */
}
END_TEST

START_TEST(file_of_64_gib)
{
	struct tfh h;
	uint8_t buf[16];
	uint32_t n;
	bool eof;
	const uint64_t off = (64ull << 30) + 12345;
	ck_assert_int_eq(fx_create(f, &f->root, "huge", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, off, "far", 3), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, "near", 4), NFS3_OK);
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.size, off + 3);
	ck_assert_int_eq(fx_read(f, &h, off - 2, sizeof(buf), buf, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert(eof);
	ck_assert(memcmp(buf, "\0\0far", 5) == 0);
	ck_assert_int_eq(fx_read(f, &h, 32ull << 30, sizeof(buf), buf, &n, &eof), NFS3_OK);
	ck_assert(all_zero(buf, n) && n == sizeof(buf));
	ck_assert_int_eq(fx_truncate(f, &h, 2), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.size, 2);
	ck_assert_uint_eq(a.used, 8192);
}
END_TEST

START_TEST(truncate_then_extend_reads_zeros)
{
	struct tfh h;
	static uint8_t data[20000], buf[20000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(fx_create(f, &f->root, "t", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, data, sizeof(data)), NFS3_OK);
	ck_assert_int_eq(fx_truncate(f, &h, 9000), NFS3_OK);
	ck_assert_int_eq(fx_truncate(f, &h, 20000), NFS3_OK);
	uint32_t n;
	ck_assert_int_eq(fx_read(f, &h, 0, sizeof(buf), buf, &n, NULL), NFS3_OK);
	ck_assert_uint_eq(n, 20000);
	ck_assert(memcmp(buf, data, 9000) == 0);
	ck_assert(all_zero(buf + 9000, 11000));
	/* an unaligned overwrite spanning three blocks */
	ck_assert_int_eq(fx_write(f, &h, 8000, data, 10000), NFS3_OK);
	ck_assert_int_eq(fx_read(f, &h, 8000, 10000, buf, &n, NULL), NFS3_OK);
	ck_assert(memcmp(buf, data, 10000) == 0);
}
END_TEST

static void strict(struct bfs_fs_config *c)
{
	c->atime = BFS_ATIME_STRICT;
}

START_TEST(strict_mode_read_sets_atime)
{
	struct tfh h;
	fattr3 a0, a1;
	ck_assert_int_eq(fx_create(f, &f->root, "r", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a0), NFS3_OK);
	ck_assert_int_eq(fx_read(f, &h, 0, 1, NULL, NULL, NULL), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a1), NFS3_OK);
	ck_assert_uint_eq(a1.atime.nseconds, a0.atime.nseconds); /* relaxed */

	fx_free(f);
	f = fx_new(strict);
	ck_assert(!bfs_op_proc_read_only(NFSPROC3_READ, BFS_ATIME_STRICT));
	ck_assert(bfs_op_proc_read_only(NFSPROC3_READ, BFS_ATIME_RELAXED));
	ck_assert_int_eq(fx_create(f, &f->root, "r", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a0), NFS3_OK);
	ck_assert_int_eq(fx_read(f, &h, 0, 1, NULL, NULL, NULL), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a1), NFS3_OK);
	ck_assert(a1.atime.seconds != a0.atime.seconds || a1.atime.nseconds != a0.atime.nseconds);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_data");
	TCase *tc = tcase_create("data");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sparse_reads_zeros);
	tcase_add_test(tc, file_of_64_gib);
	tcase_add_test(tc, truncate_then_extend_reads_zeros);
	tcase_add_test(tc, strict_mode_read_sets_atime);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
