/*
 * test_fs_rename.c — RENAME (RFC 1813 §3.3.14) edge cases and the link
 * counts of files and directories through RENAME, LINK, MKDIR, RMDIR.
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

static uint32_t nlink(const struct tfh *h)
{
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, h, &a), NFS3_OK);
	return a.nlink;
}

static void read_back(const struct tfh *dir, const char *name, const char *want)
{
	struct tfh h;
	char buf[32] = { 0 };
	ck_assert_int_eq(fx_lookup(f, dir, name, &h), NFS3_OK);
	ck_assert_int_eq(fx_read(f, &h, 0, sizeof(buf) - 1, buf, NULL, NULL), NFS3_OK);
	ck_assert_str_eq(buf, want);
}

START_TEST(rename_file_over_file)
{
	struct tfh a, b;
	ck_assert_int_eq(fx_create(f, &f->root, "a", 0644, &a), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &a, 0, "AAA", 3), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &f->root, "b", 0644, &b), NFS3_OK);
	ck_assert_int_eq(fx_rename(f, &f->root, "a", &f->root, "b"), NFS3_OK);
	ck_assert_int_eq(fx_lookup(f, &f->root, "a", NULL), NFS3ERR_NOENT);
	read_back(&f->root, "b", "AAA");
	ck_assert_int_eq(fx_getattr(f, &b, NULL), NFS3ERR_STALE);
	ck_assert_int_eq(nlink(&a), 1);
}
END_TEST

START_TEST(rename_same_object_is_noop)
{
	struct tfh a;
	ck_assert_int_eq(fx_create(f, &f->root, "a", 0644, &a), NFS3_OK);
	ck_assert_int_eq(fx_link(f, &a, &f->root, "a2"), NFS3_OK);
	ck_assert_int_eq(fx_rename(f, &f->root, "a", &f->root, "a2"), NFS3_OK);
	ck_assert_int_eq(fx_lookup(f, &f->root, "a", NULL), NFS3_OK);
	ck_assert_int_eq(fx_lookup(f, &f->root, "a2", NULL), NFS3_OK);
	ck_assert_int_eq(nlink(&a), 2);
	ck_assert_int_eq(fx_rename(f, &f->root, "a", &f->root, "a"), NFS3_OK);
	ck_assert_int_eq(nlink(&a), 2);
}
END_TEST

START_TEST(rename_dir_across_dirs_updates_links)
{
	struct tfh d1, d2, sub, dotdot;
	ck_assert_int_eq(fx_mkdir(f, &f->root, "d1", 0755, &d1), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "d2", 0755, &d2), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &d1, "sub", 0755, &sub), NFS3_OK);
	ck_assert_int_eq(nlink(&d1), 3);
	ck_assert_int_eq(fx_rename(f, &d1, "sub", &d2, "moved"), NFS3_OK);
	ck_assert_int_eq(nlink(&d1), 2);
	ck_assert_int_eq(nlink(&d2), 3);
	ck_assert_int_eq(fx_lookup(f, &sub, "..", &dotdot), NFS3_OK);
	ck_assert(memcmp(&dotdot, &d2, sizeof(d2)) == 0);
	ck_assert_int_eq(nlink(&f->root), 4);
}
END_TEST

START_TEST(rename_dir_over_dirs)
{
	struct tfh d1, d2, full;
	ck_assert_int_eq(fx_mkdir(f, &f->root, "d1", 0755, &d1), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "empty", 0755, &d2), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "full", 0755, &full), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &full, "x", 0644, NULL), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &f->root, "file", 0644, NULL), NFS3_OK);
	ck_assert_int_eq(fx_rename(f, &f->root, "d1", &f->root, "full"), NFS3ERR_NOTEMPTY);
	ck_assert_int_eq(fx_rename(f, &f->root, "d1", &f->root, "file"), NFS3ERR_NOTDIR);
	ck_assert_int_eq(fx_rename(f, &f->root, "file", &f->root, "empty"), NFS3ERR_ISDIR);
	ck_assert_int_eq(nlink(&f->root), 5);
	ck_assert_int_eq(fx_rename(f, &f->root, "d1", &f->root, "empty"), NFS3_OK);
	ck_assert_int_eq(nlink(&f->root), 4);
	ck_assert_int_eq(fx_getattr(f, &d2, NULL), NFS3ERR_STALE);
	struct tfh now;
	ck_assert_int_eq(fx_lookup(f, &f->root, "empty", &now), NFS3_OK);
	ck_assert(memcmp(&now, &d1, sizeof(d1)) == 0);
}
END_TEST

START_TEST(rename_into_own_subtree_is_inval)
{
	struct tfh a, b, c;
	ck_assert_int_eq(fx_mkdir(f, &f->root, "a", 0755, &a), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &a, "b", 0755, &b), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &b, "c", 0755, &c), NFS3_OK);
	ck_assert_int_eq(fx_rename(f, &f->root, "a", &c, "a"), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_rename(f, &f->root, "a", &a, "self"), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_rename(f, &a, "b", &b, "x"), NFS3ERR_INVAL);
	/* moving upwards is fine */
	ck_assert_int_eq(fx_rename(f, &b, "c", &f->root, "c"), NFS3_OK);
	ck_assert_int_eq(nlink(&b), 2);
}
END_TEST

START_TEST(rename_errors_notdir_names)
{
	struct tfh file;
	ck_assert_int_eq(fx_create(f, &f->root, "file", 0644, &file), NFS3_OK);
	ck_assert_int_eq(fx_rename(f, &file, "x", &f->root, "y"), NFS3ERR_NOTDIR);
	ck_assert_int_eq(fx_rename(f, &f->root, "file", &file, "y"), NFS3ERR_NOTDIR);
	ck_assert_int_eq(fx_rename(f, &f->root, "file", &f->root, ".."), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_rename(f, &f->root, "file", &f->root, "a/b"), NFS3ERR_INVAL);
}
END_TEST

START_TEST(link_counts_and_last_link)
{
	struct tfh h, d;
	ck_assert_int_eq(fx_create(f, &f->root, "f", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, "keep", 4), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "d", 0755, &d), NFS3_OK);
	ck_assert_int_eq(fx_link(f, &h, &d, "f2"), NFS3_OK);
	ck_assert_int_eq(fx_link(f, &h, &d, "f3"), NFS3_OK);
	ck_assert_int_eq(nlink(&h), 3);
	ck_assert_int_eq(fx_remove(f, &f->root, "f"), NFS3_OK);
	ck_assert_int_eq(fx_rename(f, &d, "f2", &f->root, "back"), NFS3_OK);
	ck_assert_int_eq(nlink(&h), 2);
	read_back(&d, "f3", "keep");
	ck_assert_int_eq(fx_remove(f, &d, "f3"), NFS3_OK);
	ck_assert_int_eq(fx_remove(f, &f->root, "back"), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, NULL), NFS3ERR_STALE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_rename");
	TCase *tc = tcase_create("rename");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rename_file_over_file);
	tcase_add_test(tc, rename_same_object_is_noop);
	tcase_add_test(tc, rename_dir_across_dirs_updates_links);
	tcase_add_test(tc, rename_dir_over_dirs);
	tcase_add_test(tc, rename_into_own_subtree_is_inval);
	tcase_add_test(tc, rename_errors_notdir_names);
	tcase_add_test(tc, link_counts_and_last_link);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
