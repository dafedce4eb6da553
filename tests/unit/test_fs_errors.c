/*
 * test_fs_errors.c — the error paths of the NFSv3 procedures (RFC 1813
 * §3.3.x "errors") on the BFS file system state machine, and the handling
 * of malformed requests: GARBAGE_ARGS without any state change.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/op_xdr.h"
#include "fs_fixture.h"

static struct fx *f;

static void small_limits(struct bfs_fs_config *c)
{
	c->max_file_size = 1ull << 20;
	c->max_bytes = 4 * 8192;
	c->max_files = 4;
}

static void setup(void)
{
	f = fx_new(NULL);
}

static void teardown(void)
{
	fx_free(f);
}

START_TEST(noent_exist_notdir_isdir)
{
	struct tfh file, dir;
	ck_assert_int_eq(fx_lookup(f, &f->root, "missing", NULL), NFS3ERR_NOENT);
	ck_assert_int_eq(fx_remove(f, &f->root, "missing"), NFS3ERR_NOENT);
	ck_assert_int_eq(fx_rmdir(f, &f->root, "missing"), NFS3ERR_NOENT);
	ck_assert_int_eq(fx_rename(f, &f->root, "missing", &f->root, "x"), NFS3ERR_NOENT);
	ck_assert_int_eq(fx_create(f, &f->root, "file", 0644, &file), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &f->root, "file", 0644, NULL), NFS3ERR_EXIST);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "file", 0755, NULL), NFS3ERR_EXIST);
	ck_assert_int_eq(fx_symlink(f, &f->root, "file", "t", NULL), NFS3ERR_EXIST);
	ck_assert_int_eq(fx_link(f, &file, &f->root, "file"), NFS3ERR_EXIST);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "..", 0755, NULL), NFS3ERR_EXIST);
	ck_assert_int_eq(fx_lookup(f, &file, "x", NULL), NFS3ERR_NOTDIR);
	ck_assert_int_eq(fx_create(f, &file, "x", 0644, NULL), NFS3ERR_NOTDIR);
	ck_assert_int_eq(fx_rmdir(f, &f->root, "file"), NFS3ERR_NOTDIR);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "dir", 0755, &dir), NFS3_OK);
	ck_assert_int_eq(fx_remove(f, &f->root, "dir"), NFS3ERR_ISDIR);
	ck_assert_int_eq(fx_write(f, &dir, 0, "x", 1), NFS3ERR_ISDIR);
	ck_assert_int_eq(fx_read(f, &dir, 0, 1, NULL, NULL, NULL), NFS3ERR_ISDIR);
	ck_assert_int_eq(fx_link(f, &dir, &f->root, "dirlink"), NFS3ERR_ISDIR);
	ck_assert_int_eq(fx_truncate(f, &dir, 0), NFS3ERR_ISDIR);
}
END_TEST

START_TEST(notempty_inval_nametoolong)
{
	struct tfh dir, ln;
	ck_assert_int_eq(fx_mkdir(f, &f->root, "d", 0755, &dir), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &dir, "f", 0644, NULL), NFS3_OK);
	ck_assert_int_eq(fx_rmdir(f, &f->root, "d"), NFS3ERR_NOTEMPTY);
	ck_assert_int_eq(fx_rmdir(f, &dir, "."), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_rmdir(f, &dir, ".."), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_rename(f, &dir, ".", &f->root, "x"), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_create(f, &f->root, "a/b", 0644, NULL), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_create(f, &f->root, "", 0644, NULL), NFS3ERR_INVAL);
	char name[300];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(fx_create(f, &f->root, name, 0644, NULL), NFS3ERR_NAMETOOLONG);
	ck_assert_int_eq(fx_lookup(f, &f->root, name, NULL), NFS3ERR_NAMETOOLONG);
	name[255] = '\0';
	ck_assert_int_eq(fx_create(f, &f->root, name, 0644, NULL), NFS3_OK);
	char target[1100];
	memset(target, 't', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	ck_assert_int_eq(fx_symlink(f, &f->root, "l", target, NULL), NFS3ERR_NAMETOOLONG);
	ck_assert_int_eq(fx_symlink(f, &f->root, "l", "t", &ln), NFS3_OK);
	ck_assert_int_eq(fx_read(f, &ln, 0, 1, NULL, NULL, NULL), NFS3ERR_INVAL);
	ck_assert_int_eq(fx_truncate(f, &ln, 0), NFS3ERR_INVAL);
	/* a write whose count disagrees with its data */
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "w", 0644, &h), NFS3_OK);
	WRITE3args a = { fx_fh(&h), 0, 5, FILE_SYNC, { 3, "abc" } };
	WRITE3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a,
				  (xdrproc_t)xdr_WRITE3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_INVAL);
	xdr_free((xdrproc_t)xdr_WRITE3res, (char *)&r);
}
END_TEST

START_TEST(stale_and_badhandle)
{
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "gone", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_remove(f, &f->root, "gone"), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, NULL), NFS3ERR_STALE);
	ck_assert_int_eq(fx_write(f, &h, 0, "x", 1), NFS3ERR_STALE);
	ck_assert_int_eq(fx_lookup(f, &h, "x", NULL), NFS3ERR_STALE);
	struct tfh wrong_gen = f->root;
	wrong_gen.b[12] ^= 0x55;
	ck_assert_int_eq(fx_getattr(f, &wrong_gen, NULL), NFS3ERR_STALE);
	struct tfh junk;
	memset(&junk, 0xab, sizeof(junk));
	ck_assert_int_eq(fx_getattr(f, &junk, NULL), NFS3ERR_BADHANDLE);
	GETATTR3args a = { { { 3, "abc" } } };
	GETATTR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_GETATTR, (xdrproc_t)xdr_GETATTR3args, &a,
				     (xdrproc_t)xdr_GETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_BADHANDLE);
}
END_TEST

START_TEST(setattr_guard_not_sync)
{
	struct tfh h;
	fattr3 at;
	ck_assert_int_eq(fx_create(f, &f->root, "g", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &at), NFS3_OK);
	SETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fx_fh(&h);
	a.new_attributes.mode.set_it = TRUE;
	a.new_attributes.mode.set_mode3_u.mode = 0600;
	a.guard.check = TRUE;
	a.guard.sattrguard3_u.obj_ctime = at.ctime;
	a.guard.sattrguard3_u.obj_ctime.nseconds += 1;
	SETATTR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_NOT_SYNC);
	ck_assert(r.SETATTR3res_u.resfail.obj_wcc.after.attributes_follow);
	ck_assert_uint_eq(r.SETATTR3res_u.resfail.obj_wcc.after.post_op_attr_u.attributes.mode,
			  0644);
	a.guard.sattrguard3_u.obj_ctime = at.ctime;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
}
END_TEST

START_TEST(fbig_and_nospc)
{
	fx_free(f);
	f = fx_new(small_limits);
	struct tfh h;
	static uint8_t block[8192];
	ck_assert_int_eq(fx_create(f, &f->root, "big", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, (1u << 20) - 1, "x", 1), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 1u << 20, "x", 1), NFS3ERR_FBIG);
	ck_assert_int_eq(fx_write(f, &h, UINT64_MAX - 1, "xy", 2), NFS3ERR_FBIG);
	ck_assert_int_eq(fx_truncate(f, &h, (1u << 20) + 1), NFS3ERR_FBIG);
	/* 4 blocks of space: one used above, three more fit, the fifth not */
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(fx_write(f, &h, i * 8192ull, block, sizeof(block)), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 3 * 8192ull, block, 1), NFS3ERR_NOSPC);
	/* inode limit 4: root, big, two more */
	ck_assert_int_eq(fx_create(f, &f->root, "a", 0644, NULL), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "b", 0755, NULL), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &f->root, "c", 0644, NULL), NFS3ERR_NOSPC);
	ck_assert_int_eq(fx_remove(f, &f->root, "big"), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &f->root, "c", 0644, NULL), NFS3_OK);
}
END_TEST

/* A malformed request must answer GARBAGE_ARGS and leave the state (and so
 * the checkpoint digest) as it was: equal to that of a twin that ran the
 * same number of empty batches at the same agreed times (the replicated
 * clock records each batch's time, doc/fs.md). */
START_TEST(garbage_args_change_nothing)
{
	struct tfh h;
	struct fx *twin = fx_new(NULL);
	ck_assert_int_eq(fx_create(f, &f->root, "keep", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_create(twin, &twin->root, "keep", 0644, NULL), NFS3_OK);
	uint8_t before[BFS_FS_DIGEST_LEN], after[BFS_FS_DIGEST_LEN];
	fx_digest(f, before);
	fx_digest(twin, after);
	ck_assert(memcmp(before, after, sizeof(before)) == 0);
	uint64_t seq0 = f->seq;

	WRITE3args a = { fx_fh(&h), 0, 4, FILE_SYNC, { 4, "data" } };
	fx_encode(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a);
	uint32_t full = f->op_len;
	for (uint32_t cut = 0; cut < full; cut++) {
		f->op_len = cut;
		ck_assert_uint_eq(fx_exec_rw(f, (xdrproc_t)xdr_WRITE3res, NULL),
				  BFS_ACCEPT_GARBAGE_ARGS);
	}
	f->op_len = full + 4; /* trailing bytes */
	ck_assert_uint_eq(fx_exec_rw(f, (xdrproc_t)xdr_WRITE3res, NULL),
			  BFS_ACCEPT_GARBAGE_ARGS);
	/* a string length far beyond the buffer */
	LOOKUP3args la = { { fx_fh(&f->root), "x" } };
	fx_encode(f, NFSPROC3_LOOKUP, (xdrproc_t)xdr_LOOKUP3args, &la);
	memset(f->op + f->op_len - 8, 0xff, 4);
	ck_assert_uint_eq(fx_exec_rw(f, (xdrproc_t)xdr_LOOKUP3res, NULL),
			  BFS_ACCEPT_GARBAGE_ARGS);
	/* bad header: version, flags, group count */
	fx_encode(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a);
	f->op[0] = 9;
	ck_assert_uint_eq(fx_exec_rw(f, (xdrproc_t)xdr_WRITE3res, NULL),
			  BFS_ACCEPT_GARBAGE_ARGS);
	fx_encode(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a);
	f->op[4] = 0x80;
	ck_assert_uint_eq(fx_exec_rw(f, (xdrproc_t)xdr_WRITE3res, NULL),
			  BFS_ACCEPT_GARBAGE_ARGS);
	fx_encode(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a);
	f->op[6] = 17;
	ck_assert_uint_eq(fx_exec_rw(f, (xdrproc_t)xdr_WRITE3res, NULL),
			  BFS_ACCEPT_GARBAGE_ARGS);
	/* a modifying procedure sent as read-only */
	fx_encode(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a);
	ck_assert_uint_eq(fx_exec_ro(f, (xdrproc_t)xdr_WRITE3res, NULL),
			  BFS_ACCEPT_SYSTEM_ERR);

	while (twin->seq < f->seq)
		fx_empty_batch(twin);
	ck_assert_uint_gt(f->seq, seq0);
	fx_digest(f, after);
	fx_digest(twin, before);
	ck_assert(memcmp(before, after, sizeof(before)) == 0);
	fx_free(twin);
	fattr3 at;
	ck_assert_int_eq(fx_getattr(f, &h, &at), NFS3_OK);
	ck_assert_uint_eq(at.size, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_errors");
	TCase *tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, noent_exist_notdir_isdir);
	tcase_add_test(tc, notempty_inval_nametoolong);
	tcase_add_test(tc, stale_and_badhandle);
	tcase_add_test(tc, setattr_guard_not_sync);
	tcase_add_test(tc, fbig_and_nospc);
	tcase_add_test(tc, garbage_args_change_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
