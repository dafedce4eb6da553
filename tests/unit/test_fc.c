/*
 * test_fc.c — bfs-mount's pure parts: the nfs:// source parser (libnfs
 * URL form), the inode table's FUSE inode <-> fileid bijection and lookup
 * counting (libfuse forget semantics), and the NFS3ERR -> errno mapping of
 * RFC 1813 §2.6.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "fc.h"
#include "nfs_url.h"

static struct fc_nfs_url u;
static char why[128];

START_TEST(url_nfsproxy_banner)
{
	ck_assert_int_eq(fc_nfs_url_parse("nfs://127.0.0.1/?nfsport=7008&mountport=7009", &u,
					  why, sizeof(why)), 0);
	ck_assert_str_eq(u.host, "127.0.0.1");
	ck_assert_str_eq(u.export, "/");
	ck_assert_uint_eq(u.nfs_port, 7008);
	ck_assert_uint_eq(u.mount_port, 7009);
}
END_TEST

START_TEST(url_forms)
{
	ck_assert_int_eq(fc_nfs_url_parse("nfs://server.example:2049/export/home", &u, why,
					  sizeof(why)), 0);
	ck_assert_str_eq(u.host, "server.example");
	ck_assert_str_eq(u.export, "/export/home");
	ck_assert_uint_eq(u.nfs_port, 2049);
	ck_assert_uint_eq(u.mount_port, 0); /* rpcbind */
	ck_assert_int_eq(fc_nfs_url_parse("nfs://[::1]:2050/x?mountport=20048", &u, why,
					  sizeof(why)), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.export, "/x");
	ck_assert_uint_eq(u.nfs_port, 2050);
	ck_assert_uint_eq(u.mount_port, 20048);
	ck_assert_int_eq(fc_nfs_url_parse("nfs://h", &u, why, sizeof(why)), 0);
	ck_assert_str_eq(u.export, "/");
	ck_assert_uint_eq(u.nfs_port, 0);
}
END_TEST

START_TEST(url_rejects)
{
	static const char *bad[] = {
		"http://h/", "nfs://", "nfs:///x", "nfs://h:0/", "nfs://h:65536/",
		"nfs://h:12x/", "nfs://[::1/", "nfs://h/?nfsport=", "nfs://h/?nfsport=99999",
		"nfs://h/?version=3", "nfs://h/?nfsport", "nfs://h:1:2/",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(fc_nfs_url_parse(bad[i], &u, why, sizeof(why)) == -EINVAL,
			      "%s accepted", bad[i]);
		ck_assert_msg(why[0], "%s: no reason given", bad[i]);
	}
	char longhost[400] = "nfs://";
	memset(longhost + 6, 'a', 300);
	longhost[306] = '\0';
	ck_assert_int_eq(fc_nfs_url_parse(longhost, &u, why, sizeof(why)), -EINVAL);
}
END_TEST

static nfs_fh3 fh_of(uint8_t *buf, uint8_t tag, uint32_t len)
{
	memset(buf, tag, len);
	return (nfs_fh3){ { len, (char *)buf } };
}

START_TEST(ino_bijection)
{
	struct fc_itab t;
	uint8_t root[16] = { 1 };

	/* a server whose root is fileid 77 and which also has a fileid 1 */
	ck_assert_int_eq(fc_itab_init(&t, root, sizeof(root), 77), 0);
	ck_assert_uint_eq(fc_ino_of(&t, 77), FUSE_ROOT_ID);
	ck_assert_uint_eq(fc_ino_of(&t, 1), 77);
	ck_assert_uint_eq(fc_ino_of(&t, 5), 5);
	for (uint64_t id = 1; id < 200; id++)
		ck_assert_uint_eq(fc_fileid_of(&t, fc_ino_of(&t, id)), id);
	ck_assert_ptr_nonnull(fc_inode_get(&t, FUSE_ROOT_ID));
	ck_assert_uint_eq(fc_inode_get(&t, FUSE_ROOT_ID)->fileid, 77);
	fc_itab_free(&t);
}
END_TEST

START_TEST(inode_refs)
{
	struct fc_itab t;
	uint8_t root[16] = { 1 }, a[64], b[8];
	nfs_fh3 fa = fh_of(a, 0xaa, 64), fb = fh_of(b, 0xbb, 8);
	struct fc_inode *in;

	ck_assert_int_eq(fc_itab_init(&t, root, sizeof(root), 1), 0);
	ck_assert_ptr_nonnull(fc_inode_ref(&t, 42, &fa));
	ck_assert_ptr_nonnull(fc_inode_ref(&t, 42, &fb)); /* handle refreshed */
	in = fc_inode_get(&t, 42);
	ck_assert_uint_eq(in->nlookup, 2);
	ck_assert_uint_eq(in->fh_len, 8);
	ck_assert_int_eq(in->fh[0], 0xbb);
	fc_inode_forget(&t, 42, 1);
	ck_assert_ptr_nonnull(fc_inode_get(&t, 42));
	fc_inode_forget(&t, 42, 1);
	ck_assert_ptr_null(fc_inode_get(&t, 42));
	fc_inode_forget(&t, FUSE_ROOT_ID, 1000); /* the root stays */
	ck_assert_ptr_nonnull(fc_inode_get(&t, FUSE_ROOT_ID));
	/* malformed handles and fileid 0 are refused */
	nfs_fh3 empty = { { 0, (char *)a } }, huge = { { 65, (char *)a } };
	ck_assert_ptr_null(fc_inode_ref(&t, 9, &empty));
	ck_assert_ptr_null(fc_inode_ref(&t, 9, &huge));
	ck_assert_ptr_null(fc_inode_ref(&t, 0, &fa));
	/* many entries: the table grows and finds every one */
	for (uint64_t id = 100; id < 5100; id++)
		ck_assert_ptr_nonnull(fc_inode_ref(&t, id, &fa));
	for (uint64_t id = 100; id < 5100; id++)
		ck_assert_uint_eq(fc_inode_get(&t, id)->fileid, id);
	ck_assert_uint_eq(t.count, 5001);
	fc_itab_free(&t);
}
END_TEST

START_TEST(errno_map)
{
	ck_assert_int_eq(fc_nfs_errno(NFS3_OK), 0);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_NOENT), -ENOENT);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_NOTEMPTY), -ENOTEMPTY);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_NAMETOOLONG), -ENAMETOOLONG);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_STALE), -ESTALE);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_BADHANDLE), -ESTALE);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_DQUOT), -EDQUOT);
	ck_assert_int_eq(fc_nfs_errno(NFS3ERR_NOTSUPP), -EOPNOTSUPP);
	ck_assert_int_eq(fc_nfs_errno((nfsstat3)12345), -EIO);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fc");
	TCase *tc = tcase_create("fc");

	tcase_add_test(tc, url_nfsproxy_banner);
	tcase_add_test(tc, url_forms);
	tcase_add_test(tc, url_rejects);
	tcase_add_test(tc, ino_bijection);
	tcase_add_test(tc, inode_refs);
	tcase_add_test(tc, errno_map);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
