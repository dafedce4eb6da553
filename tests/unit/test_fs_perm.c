/*
 * test_fs_perm.c — AUTH_SYS permission checks (RFC 1813 §4.4) for non-root
 * credentials: mode bits of owner/group/other, supplementary groups, EPERM
 * for chmod/chown by non-owners, sticky directories, root squash.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/op_xdr.h"
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

static void squash(struct bfs_fs_config *c)
{
	c->root_squash = true;
	c->root_mode = 0755;
}

static uint32_t access_bits(const struct tfh *h)
{
	ACCESS3args a = { fx_fh(h), 0x3f };
	ACCESS3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_ACCESS, (xdrproc_t)xdr_ACCESS3args, &a,
				     (xdrproc_t)xdr_ACCESS3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	return r.ACCESS3res_u.resok.access;
}

START_TEST(owner_group_other_bits)
{
	struct tfh h;
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_create(f, &f->root, "p", 0640, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, "secret", 6), NFS3_OK);
	char buf[8];
	fx_as(f, 1001, 100); /* same group: read only */
	ck_assert_int_eq(fx_read(f, &h, 0, 6, buf, NULL, NULL), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, "x", 1), NFS3ERR_ACCES);
	ck_assert_uint_eq(access_bits(&h), ACCESS3_READ);
	fx_as(f, 1002, 200); /* other: nothing */
	ck_assert_int_eq(fx_read(f, &h, 0, 6, buf, NULL, NULL), NFS3ERR_ACCES);
	ck_assert_uint_eq(access_bits(&h), 0);
	f->cred.ngroups = 1; /* supplementary group 100 */
	f->cred.groups[0] = 100;
	ck_assert_int_eq(fx_read(f, &h, 0, 6, buf, NULL, NULL), NFS3_OK);
}
END_TEST

START_TEST(directory_write_and_search)
{
	struct tfh d;
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "priv", 0755, &d), NFS3_OK);
	ck_assert_int_eq(fx_create(f, &d, "mine", 0644, NULL), NFS3_OK);
	fx_as(f, 2000, 200);
	ck_assert_int_eq(fx_create(f, &d, "x", 0644, NULL), NFS3ERR_ACCES);
	ck_assert_int_eq(fx_remove(f, &d, "mine"), NFS3ERR_ACCES);
	ck_assert_int_eq(fx_mkdir(f, &d, "x", 0755, NULL), NFS3ERR_ACCES);
	ck_assert_int_eq(fx_lookup(f, &d, "mine", NULL), NFS3_OK);
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_chmod(f, &d, 0700), NFS3_OK);
	fx_as(f, 2000, 200);
	ck_assert_int_eq(fx_lookup(f, &d, "mine", NULL), NFS3ERR_ACCES);
	ck_assert_int_eq(fx_rename(f, &d, "mine", &f->root, "stolen"), NFS3ERR_ACCES);
}
END_TEST

START_TEST(chmod_chown_eperm)
{
	struct tfh h;
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_create(f, &f->root, "o", 0666, &h), NFS3_OK);
	fx_as(f, 1001, 100);
	ck_assert_int_eq(fx_chmod(f, &h, 0777), NFS3ERR_PERM);
	SETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fx_fh(&h);
	a.new_attributes.uid.set_it = TRUE;
	a.new_attributes.uid.set_uid3_u.uid = 1001;
	SETATTR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_PERM);
	/* the owner may not give the file away either, nor use a foreign group */
	fx_as(f, 1000, 100);
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_PERM);
	memset(&a.new_attributes, 0, sizeof(a.new_attributes));
	a.new_attributes.gid.set_it = TRUE;
	a.new_attributes.gid.set_gid3_u.gid = 555;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3ERR_PERM);
	/* root may */
	fx_as(f, 0, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	/* devices only by root */
	fx_as(f, 1000, 100);
	MKNOD3args m;
	memset(&m, 0, sizeof(m));
	m.where.dir = fx_fh(&f->root);
	m.where.name = "dev";
	m.what.type = NF3CHR;
	MKNOD3res mr;
	memset(&mr, 0, sizeof(mr));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_MKNOD, (xdrproc_t)xdr_MKNOD3args, &m,
				  (xdrproc_t)xdr_MKNOD3res, &mr), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(mr.status, NFS3ERR_PERM);
}
END_TEST

START_TEST(sticky_directory)
{
	struct tfh tmp;
	ck_assert_int_eq(fx_mkdir(f, &f->root, "tmp", 01777, &tmp), NFS3_OK);
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_create(f, &tmp, "alice", 0666, NULL), NFS3_OK);
	fx_as(f, 2000, 200);
	ck_assert_int_eq(fx_create(f, &tmp, "bob", 0666, NULL), NFS3_OK);
	ck_assert_int_eq(fx_remove(f, &tmp, "alice"), NFS3ERR_PERM);
	ck_assert_int_eq(fx_rename(f, &tmp, "alice", &tmp, "mine"), NFS3ERR_PERM);
	ck_assert_int_eq(fx_rename(f, &tmp, "bob", &tmp, "alice"), NFS3ERR_PERM);
	ck_assert_int_eq(fx_remove(f, &tmp, "bob"), NFS3_OK);
	fx_as(f, 0, 0);
	ck_assert_int_eq(fx_remove(f, &tmp, "alice"), NFS3_OK);
}
END_TEST

START_TEST(owner_override_and_setid_clearing)
{
	struct tfh h;
	fattr3 a;
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_create(f, &f->root, "ro", 0444, &h), NFS3_OK);
	/* an NFS server lets the owner write a file it made read-only */
	ck_assert_int_eq(fx_write(f, &h, 0, "x", 1), NFS3_OK);
	fx_as(f, 0, 0);
	ck_assert_int_eq(fx_chmod(f, &h, 06777), NFS3_OK);
	fx_as(f, 1001, 100);
	ck_assert_int_eq(fx_write(f, &h, 0, "y", 1), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.mode, 0777);
}
END_TEST

START_TEST(root_squash_maps_root_to_anon)
{
	fx_free(f);
	f = fx_new(squash);
	fx_as(f, 0, 0);
	ck_assert_int_eq(fx_create(f, &f->root, "x", 0644, NULL), NFS3ERR_ACCES);
	struct tfh d;
	fx_free(f);
	f = fx_new(NULL);
	fx_as(f, 0, 0);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "d", 0777, &d), NFS3_OK);
	fattr3 a;
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &d, "r", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.uid, 0);
}
END_TEST

START_TEST(squashed_root_owns_as_anon)
{
	fx_free(f);
	f = fx_new(squash);
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_create(f, &f->root, "x", 0644, NULL), NFS3ERR_ACCES);
}
END_TEST

static void squash_open_root(struct bfs_fs_config *c)
{
	c->root_squash = true;
	c->root_mode = 0777;
}

START_TEST(squashed_create_owner)
{
	fx_free(f);
	f = fx_new(squash_open_root);
	fx_as(f, 0, 0);
	struct tfh h;
	fattr3 a;
	ck_assert_int_eq(fx_create(f, &f->root, "x", 0600, &h), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.uid, 65534);
	ck_assert_uint_eq(a.gid, 65534);
	fx_as(f, 1000, 100);
	ck_assert_int_eq(fx_read(f, &h, 0, 1, NULL, NULL, NULL), NFS3ERR_ACCES);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_perm");
	TCase *tc = tcase_create("perm");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, owner_group_other_bits);
	tcase_add_test(tc, directory_write_and_search);
	tcase_add_test(tc, chmod_chown_eperm);
	tcase_add_test(tc, sticky_directory);
	tcase_add_test(tc, owner_override_and_setid_clearing);
	tcase_add_test(tc, root_squash_maps_root_to_anon);
	tcase_add_test(tc, squashed_root_owns_as_anon);
	tcase_add_test(tc, squashed_create_owner);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
