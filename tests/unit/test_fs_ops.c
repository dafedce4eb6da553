/*
 * test_fs_ops.c — the success path of every NFSv3 procedure (RFC 1813 §3.3)
 * on the BFS file system state machine, with the attributes and weak cache
 * consistency data a client relies on.
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

START_TEST(null_and_getattr_root)
{
	fx_encode(f, NFSPROC3_NULL, (xdrproc_t)bfs_xdr_void, NULL);
	ck_assert_uint_eq(fx_exec_ro(f, (xdrproc_t)bfs_xdr_void, NULL), BFS_ACCEPT_SUCCESS);
	ck_assert_uint_eq(f->res_len, BFS_RESULT_HDR);
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, &f->root, &a), NFS3_OK);
	ck_assert_int_eq(a.type, NF3DIR);
	ck_assert_uint_eq(a.mode, 0777);
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_uint_eq(a.fileid, 1);
}
END_TEST

START_TEST(create_write_read_getattr)
{
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "a.txt", 0640, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, "hello world", 11), NFS3_OK);
	char buf[64];
	uint32_t n;
	bool eof;
	ck_assert_int_eq(fx_read(f, &h, 0, sizeof(buf), buf, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, 11);
	ck_assert(eof);
	ck_assert(memcmp(buf, "hello world", 11) == 0);
	ck_assert_int_eq(fx_read(f, &h, 6, 3, buf, &n, &eof), NFS3_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert(!eof);
	ck_assert(memcmp(buf, "wor", 3) == 0);
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_int_eq(a.type, NF3REG);
	ck_assert_uint_eq(a.mode, 0640);
	ck_assert_uint_eq(a.size, 11);
	ck_assert_uint_eq(a.nlink, 1);
	/* times come from the batch time (µs → s, ns) */
	ck_assert_uint_eq(a.mtime.seconds, (uint32_t)(f->time_us / 1000000u));
	struct tfh again;
	ck_assert_int_eq(fx_lookup(f, &f->root, "a.txt", &again), NFS3_OK);
	ck_assert(memcmp(&again, &h, sizeof(h)) == 0);
}
END_TEST

START_TEST(write_returns_wcc_and_verifier)
{
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "w", 0644, &h), NFS3_OK);
	WRITE3args a = { fx_fh(&h), 0, 4, UNSTABLE, { 4, "abcd" } };
	WRITE3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a,
				  (xdrproc_t)xdr_WRITE3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	WRITE3resok *ok = &r.WRITE3res_u.resok;
	ck_assert_int_eq(ok->committed, FILE_SYNC);
	ck_assert(ok->file_wcc.before.attributes_follow);
	ck_assert_uint_eq(ok->file_wcc.before.pre_op_attr_u.attributes.size, 0);
	ck_assert(ok->file_wcc.after.attributes_follow);
	ck_assert_uint_eq(ok->file_wcc.after.post_op_attr_u.attributes.size, 4);
	char verf[NFS3_WRITEVERFSIZE];
	memcpy(verf, ok->verf, sizeof(verf));
	xdr_free((xdrproc_t)xdr_WRITE3res, (char *)&r);

	COMMIT3args c = { fx_fh(&h), 0, 0 };
	COMMIT3res cr;
	memset(&cr, 0, sizeof(cr));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_COMMIT, (xdrproc_t)xdr_COMMIT3args, &c,
				  (xdrproc_t)xdr_COMMIT3res, &cr), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(cr.status, NFS3_OK);
	ck_assert(memcmp(cr.COMMIT3res_u.resok.verf, verf, sizeof(verf)) == 0);
	xdr_free((xdrproc_t)xdr_COMMIT3res, (char *)&cr);
}
END_TEST

START_TEST(setattr_mode_size_times)
{
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "s", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_chmod(f, &h, 0600), NFS3_OK);
	ck_assert_int_eq(fx_truncate(f, &h, 5000), NFS3_OK);
	SETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fx_fh(&h);
	a.new_attributes.mtime.set_it = SET_TO_CLIENT_TIME;
	a.new_attributes.mtime.set_mtime_u.mtime = (nfstime3){ 12345, 678 };
	SETATTR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a,
				  (xdrproc_t)xdr_SETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	fattr3 *post = &r.SETATTR3res_u.resok.obj_wcc.after.post_op_attr_u.attributes;
	ck_assert_uint_eq(post->mode, 0600);
	ck_assert_uint_eq(post->size, 5000);
	ck_assert_uint_eq(post->mtime.seconds, 12345);
	ck_assert_uint_eq(post->mtime.nseconds, 678);
	xdr_free((xdrproc_t)xdr_SETATTR3res, (char *)&r);
}
END_TEST

START_TEST(mkdir_lookup_dots_rmdir)
{
	struct tfh d, dot, dotdot;
	ck_assert_int_eq(fx_mkdir(f, &f->root, "sub", 0755, &d), NFS3_OK);
	fattr3 a;
	ck_assert_int_eq(fx_getattr(f, &f->root, &a), NFS3_OK);
	ck_assert_uint_eq(a.nlink, 3);
	ck_assert_int_eq(fx_lookup(f, &d, ".", &dot), NFS3_OK);
	ck_assert(memcmp(&dot, &d, sizeof(d)) == 0);
	ck_assert_int_eq(fx_lookup(f, &d, "..", &dotdot), NFS3_OK);
	ck_assert(memcmp(&dotdot, &f->root, sizeof(d)) == 0);
	ck_assert_int_eq(fx_rmdir(f, &f->root, "sub"), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &f->root, &a), NFS3_OK);
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_int_eq(fx_getattr(f, &d, NULL), NFS3ERR_STALE);
}
END_TEST

START_TEST(symlink_readlink)
{
	struct tfh l;
	ck_assert_int_eq(fx_symlink(f, &f->root, "ln", "../some/where", &l), NFS3_OK);
	READLINK3args a = { fx_fh(&l) };
	READLINK3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READLINK, (xdrproc_t)xdr_READLINK3args, &a,
				     (xdrproc_t)xdr_READLINK3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	ck_assert_str_eq(r.READLINK3res_u.resok.data, "../some/where");
	ck_assert_int_eq(r.READLINK3res_u.resok.symlink_attributes.post_op_attr_u.attributes.type,
			 NF3LNK);
	xdr_free((xdrproc_t)xdr_READLINK3res, (char *)&r);
}
END_TEST

START_TEST(mknod_types)
{
	static const ftype3 types[] = { NF3FIFO, NF3SOCK, NF3CHR, NF3BLK };
	for (unsigned i = 0; i < 4; i++) {
		char name[8] = { 'n', (char)('0' + i), 0 };
		MKNOD3args a;
		memset(&a, 0, sizeof(a));
		a.where.dir = fx_fh(&f->root);
		a.where.name = name;
		a.what.type = types[i];
		if (types[i] == NF3CHR || types[i] == NF3BLK)
			a.what.mknoddata3_u.device.spec = (specdata3){ 8, 1 };
		MKNOD3res r;
		memset(&r, 0, sizeof(r));
		ck_assert_uint_eq(fx_call(f, NFSPROC3_MKNOD, (xdrproc_t)xdr_MKNOD3args, &a,
					  (xdrproc_t)xdr_MKNOD3res, &r), BFS_ACCEPT_SUCCESS);
		ck_assert_int_eq(r.status, NFS3_OK);
		fattr3 *at = &r.MKNOD3res_u.resok.obj_attributes.post_op_attr_u.attributes;
		ck_assert_int_eq(at->type, types[i]);
		if (types[i] == NF3CHR)
			ck_assert_uint_eq(at->rdev.specdata1, 8);
		xdr_free((xdrproc_t)xdr_MKNOD3res, (char *)&r);
	}
}
END_TEST

START_TEST(link_and_remove_counts)
{
	struct tfh h;
	fattr3 a;
	ck_assert_int_eq(fx_create(f, &f->root, "x", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_link(f, &h, &f->root, "y"), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_int_eq(fx_remove(f, &f->root, "x"), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, &a), NFS3_OK);
	ck_assert_uint_eq(a.nlink, 1);
	ck_assert_int_eq(fx_lookup(f, &f->root, "x", NULL), NFS3ERR_NOENT);
	ck_assert_int_eq(fx_remove(f, &f->root, "y"), NFS3_OK);
	ck_assert_int_eq(fx_getattr(f, &h, NULL), NFS3ERR_STALE);
}
END_TEST

START_TEST(access_bits_root)
{
	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "ac", 0644, &h), NFS3_OK);
	ACCESS3args a = { fx_fh(&h), 0x3f };
	ACCESS3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_ACCESS, (xdrproc_t)xdr_ACCESS3args, &a,
				     (xdrproc_t)xdr_ACCESS3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	ck_assert_uint_eq(r.ACCESS3res_u.resok.access,
			  ACCESS3_READ | ACCESS3_MODIFY | ACCESS3_EXTEND);
	xdr_free((xdrproc_t)xdr_ACCESS3res, (char *)&r);
}
END_TEST

START_TEST(fsstat_fsinfo_pathconf)
{
	FSSTAT3args sa = { fx_fh(&f->root) };
	FSSTAT3res sr;
	memset(&sr, 0, sizeof(sr));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_FSSTAT, (xdrproc_t)xdr_FSSTAT3args, &sa,
				     (xdrproc_t)xdr_FSSTAT3res, &sr), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(sr.status, NFS3_OK);
	ck_assert_uint_eq(sr.FSSTAT3res_u.resok.tbytes, 16ull << 30);
	ck_assert_uint_eq(sr.FSSTAT3res_u.resok.tfiles - sr.FSSTAT3res_u.resok.ffiles, 1);
	xdr_free((xdrproc_t)xdr_FSSTAT3res, (char *)&sr);

	FSINFO3args ia = { fx_fh(&f->root) };
	FSINFO3res ir;
	memset(&ir, 0, sizeof(ir));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_FSINFO, (xdrproc_t)xdr_FSINFO3args, &ia,
				     (xdrproc_t)xdr_FSINFO3res, &ir), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(ir.status, NFS3_OK);
	ck_assert_uint_eq(ir.FSINFO3res_u.resok.wtmax, 32768);
	ck_assert_uint_ge(ir.FSINFO3res_u.resok.maxfilesize, 64ull << 30);
	xdr_free((xdrproc_t)xdr_FSINFO3res, (char *)&ir);

	PATHCONF3args pa = { fx_fh(&f->root) };
	PATHCONF3res pr;
	memset(&pr, 0, sizeof(pr));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_PATHCONF, (xdrproc_t)xdr_PATHCONF3args, &pa,
				     (xdrproc_t)xdr_PATHCONF3res, &pr), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(pr.status, NFS3_OK);
	ck_assert_uint_eq(pr.PATHCONF3res_u.resok.name_max, 255);
	ck_assert(pr.PATHCONF3res_u.resok.no_trunc);
	xdr_free((xdrproc_t)xdr_PATHCONF3res, (char *)&pr);
}
END_TEST

static void exclusive(struct fx *fx, const char *verf, CREATE3res *r)
{
	CREATE3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fx_fh(&fx->root);
	a.where.name = "ex";
	a.how.mode = EXCLUSIVE;
	memcpy(a.how.createhow3_u.verf, verf, NFS3_CREATEVERFSIZE);
	memset(r, 0, sizeof(*r));
	ck_assert_uint_eq(fx_call(fx, NFSPROC3_CREATE, (xdrproc_t)xdr_CREATE3args, &a,
				  (xdrproc_t)xdr_CREATE3res, r), BFS_ACCEPT_SUCCESS);
}

START_TEST(create_exclusive_and_unchecked)
{
	CREATE3res r;
	exclusive(f, "verf0001", &r);
	ck_assert_int_eq(r.status, NFS3_OK);
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
	exclusive(f, "verf0001", &r); /* retransmission: same verifier */
	ck_assert_int_eq(r.status, NFS3_OK);
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
	exclusive(f, "verf0002", &r);
	ck_assert_int_eq(r.status, NFS3ERR_EXIST);
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);

	struct tfh h;
	ck_assert_int_eq(fx_create(f, &f->root, "u", 0644, &h), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h, 0, "data", 4), NFS3_OK);
	CREATE3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fx_fh(&f->root);
	a.where.name = "u";
	a.how.mode = UNCHECKED;
	a.how.createhow3_u.obj_attributes.size.set_it = TRUE;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call(f, NFSPROC3_CREATE, (xdrproc_t)xdr_CREATE3args, &a,
				  (xdrproc_t)xdr_CREATE3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	ck_assert_uint_eq(r.CREATE3res_u.resok.obj_attributes.post_op_attr_u.attributes.size, 0);
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
}
END_TEST

START_TEST(readdir_and_plus_list_everything)
{
	ck_assert_int_eq(fx_create(f, &f->root, "one", 0644, NULL), NFS3_OK);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "two", 0755, NULL), NFS3_OK);
	READDIRPLUS3args a;
	memset(&a, 0, sizeof(a));
	a.dir = fx_fh(&f->root);
	a.dircount = 8192;
	a.maxcount = 32768;
	READDIRPLUS3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READDIRPLUS, (xdrproc_t)xdr_READDIRPLUS3args,
				     &a, (xdrproc_t)xdr_READDIRPLUS3res, &r),
			  BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	const char *want[] = { ".", "..", "one", "two" };
	unsigned n = 0;
	for (entryplus3 *e = r.READDIRPLUS3res_u.resok.reply.entries; e; e = e->nextentry, n++) {
		ck_assert_uint_lt(n, 4);
		ck_assert_str_eq(e->name, want[n]);
		ck_assert(e->name_attributes.attributes_follow);
		ck_assert(e->name_handle.handle_follows);
	}
	ck_assert_uint_eq(n, 4);
	ck_assert(r.READDIRPLUS3res_u.resok.reply.eof);
	xdr_free((xdrproc_t)xdr_READDIRPLUS3res, (char *)&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_ops");
	TCase *tc = tcase_create("procedures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, null_and_getattr_root);
	tcase_add_test(tc, create_write_read_getattr);
	tcase_add_test(tc, write_returns_wcc_and_verifier);
	tcase_add_test(tc, setattr_mode_size_times);
	tcase_add_test(tc, mkdir_lookup_dots_rmdir);
	tcase_add_test(tc, symlink_readlink);
	tcase_add_test(tc, mknod_types);
	tcase_add_test(tc, link_and_remove_counts);
	tcase_add_test(tc, access_bits_root);
	tcase_add_test(tc, fsstat_fsinfo_pathconf);
	tcase_add_test(tc, create_exclusive_and_unchecked);
	tcase_add_test(tc, readdir_and_plus_list_everything);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
