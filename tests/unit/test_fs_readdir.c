/*
 * test_fs_readdir.c — READDIR (RFC 1813 §3.3.16) over large directories:
 * paging with cookies returns every entry exactly once, cookies survive
 * insertions and removals between calls, a foreign verifier or unissued
 * cookie is NFS3ERR_BAD_COOKIE, a tiny count is NFS3ERR_TOOSMALL.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/op_xdr.h"
#include "fs_fixture.h"

#define N_ENTRIES 2000

static struct fx *f;
static struct tfh dir;

static void setup(void)
{
	f = fx_new(NULL);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "big", 0755, &dir), NFS3_OK);
}

static void teardown(void)
{
	fx_free(f);
}

/* One READDIR page; returns the status, fills seen[] and the resume point. */
static nfsstat3 page(uint64_t *cookie, char verf[8], uint32_t count, unsigned char *seen,
		     bool *eof, unsigned *n)
{
	READDIR3args a;
	memset(&a, 0, sizeof(a));
	a.dir = fx_fh(&dir);
	a.cookie = *cookie;
	memcpy(a.cookieverf, verf, 8);
	a.count = count;
	READDIR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READDIR, (xdrproc_t)xdr_READDIR3args, &a,
				     (xdrproc_t)xdr_READDIR3res, &r), BFS_ACCEPT_SUCCESS);
	nfsstat3 st = r.status;
	*n = 0;
	if (st == NFS3_OK) {
		memcpy(verf, r.READDIR3res_u.resok.cookieverf, 8);
		for (entry3 *e = r.READDIR3res_u.resok.reply.entries; e; e = e->nextentry) {
			unsigned i;
			if (sscanf(e->name, "f%u", &i) == 1 && i < N_ENTRIES)
				seen[i]++;
			ck_assert_uint_gt(e->cookie, *cookie);
			*cookie = e->cookie;
			(*n)++;
		}
		*eof = r.READDIR3res_u.resok.reply.eof;
	}
	xdr_free((xdrproc_t)xdr_READDIR3res, (char *)&r);
	return st;
}

static void make_entries(void)
{
	for (unsigned i = 0; i < N_ENTRIES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%u", i);
		ck_assert_int_eq(fx_create(f, &dir, name, 0644, NULL), NFS3_OK);
	}
}

START_TEST(paging_returns_every_entry_once)
{
	make_entries();
	static unsigned char seen[N_ENTRIES];
	memset(seen, 0, sizeof(seen));
	uint64_t cookie = 0;
	char verf[8] = { 0 };
	bool eof = false;
	unsigned pages = 0, n;
	while (!eof) {
		ck_assert_int_eq(page(&cookie, verf, 1024, seen, &eof, &n), NFS3_OK);
		ck_assert_uint_gt(n, 0);
		pages++;
		/* changes between pages must not disturb the listing */
		if (pages == 3) {
			ck_assert_int_eq(fx_create(f, &dir, "zz-new", 0644, NULL), NFS3_OK);
			ck_assert_int_eq(fx_remove(f, &dir, "f1999"), NFS3_OK);
			seen[1999]++;
		}
	}
	ck_assert_uint_gt(pages, 10);
	for (unsigned i = 0; i < N_ENTRIES; i++)
		ck_assert_msg(seen[i] == 1, "f%u seen %u times", i, seen[i]);
}
END_TEST

START_TEST(bad_cookie_and_toosmall)
{
	make_entries();
	static unsigned char seen[N_ENTRIES];
	uint64_t cookie = 0;
	char verf[8] = { 0 };
	bool eof;
	unsigned n;
	ck_assert_int_eq(page(&cookie, verf, 200, seen, &eof, &n), NFS3_OK);
	uint64_t good = cookie;
	char wrong[8];
	memcpy(wrong, verf, 8);
	wrong[7] ^= 1;
	ck_assert_int_eq(page(&cookie, wrong, 4096, seen, &eof, &n), NFS3ERR_BAD_COOKIE);
	cookie = 1u << 30; /* never issued */
	ck_assert_int_eq(page(&cookie, verf, 4096, seen, &eof, &n), NFS3ERR_BAD_COOKIE);
	cookie = good;
	ck_assert_int_eq(page(&cookie, verf, 4096, seen, &eof, &n), NFS3_OK);
	cookie = 0;
	ck_assert_int_eq(page(&cookie, verf, 100, seen, &eof, &n), NFS3ERR_TOOSMALL);
}
END_TEST

START_TEST(readdir_of_file_and_unreadable_dir)
{
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "file", 0644, &h), NFS3_OK);
	READDIR3args a;
	memset(&a, 0, sizeof(a));
	a.dir = fx_fh(&h);
	a.count = 4096;
	READDIR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READDIR, (xdrproc_t)xdr_READDIR3args, &a,
				     (xdrproc_t)xdr_READDIR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_NOTDIR);
	xdr_free((xdrproc_t)xdr_READDIR3res, (char *)&r);
	ck_assert_int_eq(fx_chmod(f, &dir, 0311), NFS3_OK);
	fx_as(f, 1000, 100);
	a.dir = fx_fh(&dir);
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READDIR, (xdrproc_t)xdr_READDIR3args, &a,
				     (xdrproc_t)xdr_READDIR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_ACCES);
	xdr_free((xdrproc_t)xdr_READDIR3res, (char *)&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_readdir");
	TCase *tc = tcase_create("readdir");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, paging_returns_every_entry_once);
	tcase_add_test(tc, bad_cookie_and_toosmall);
	tcase_add_test(tc, readdir_of_file_and_unreadable_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
