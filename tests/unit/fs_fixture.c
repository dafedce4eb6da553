/*
 * fs_fixture.c — see fs_fixture.h. Aborts the test (ck_assert) on any
 * library failure, so test bodies only state NFS-level expectations.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/error.h"
#include "bfs/op_xdr.h"
#include "fs_fixture.h"

int fx_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void config(struct fx *f, struct bfs_fs_config *c,
		   void (*tweak)(struct bfs_fs_config *c))
{
	bfs_fs_config_default(c);
	c->path = f->dir;
	c->map_size = 1ull << 30;
	c->durability = BFS_DURABLE_ASYNC;
	c->root_mode = 0777;
	if (tweak != NULL)
		tweak(c);
}

int fx_try_reopen(struct fx *f, void (*tweak)(struct bfs_fs_config *c))
{
	struct bfs_fs_config c;
	config(f, &c, tweak);
	int rc = bfs_fs_open(&c, &f->fs);
	if (rc != BFS_OK) {
		f->fs = NULL;
		return rc;
	}
	f->seq = bfs_fs_last_seq(f->fs);
	bfs_fs_root_fh(f->fs, f->root.b);
	return BFS_OK;
}

void fx_reopen(struct fx *f, void (*tweak)(struct bfs_fs_config *c))
{
	int rc = fx_try_reopen(f, tweak);
	ck_assert_msg(rc == BFS_OK, "bfs_fs_open: %s", bfs_strerror(rc));
}

struct fx *fx_new(void (*tweak)(struct bfs_fs_config *c))
{
	struct fx *f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bfs-fs-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	f->time_us = 1700000000ull * 1000000ull;
	fx_reopen(f, tweak);
	return f;
}

void fx_close_fs(struct fx *f)
{
	bfs_fs_close(f->fs);
	f->fs = NULL;
}

void fx_free(struct fx *f)
{
	char path[128];
	fx_close_fs(f);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	remove(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	remove(path);
	remove(f->dir);
	free(f);
}

void fx_as(struct fx *f, uint32_t uid, uint32_t gid)
{
	memset(&f->cred, 0, sizeof(f->cred));
	f->cred.uid = uid;
	f->cred.gid = gid;
}

nfs_fh3 fx_fh(const struct tfh *h)
{
	nfs_fh3 fh = { { BFS_FS_FH_LEN, (char *)h->b } };
	return fh;
}

void fx_encode(struct fx *f, uint32_t proc, xdrproc_t xa, void *args)
{
	struct bfs_op_hdr h = { .proc = (uint16_t)proc, .cred = f->cred };
	size_t len;
	ck_assert_int_eq(bfs_op_encode(&h, xa, args, f->op, sizeof(f->op), &len), BFS_OK);
	f->op_len = (uint32_t)len;
}

static uint32_t decode(struct fx *f, xdrproc_t xr, void *res)
{
	uint32_t accept;
	int rc = bfs_result_decode(f->res, f->res_len, &accept, xr, res);
	ck_assert_msg(rc == BFS_OK, "result decode: %s", bfs_strerror(rc));
	return accept;
}

uint32_t fx_exec_rw(struct fx *f, xdrproc_t xr, void *res)
{
	f->seq++;
	f->time_us += 1000;
	int rc = bfs_fs_batch_begin(f->fs, f->seq, f->time_us);
	ck_assert_int_eq(rc, BFS_OK);
	rc = bfs_fs_execute(f->fs, f->op, f->op_len, f->res, sizeof(f->res), &f->res_len);
	ck_assert_msg(rc == BFS_OK, "execute: %s", bfs_strerror(rc));
	ck_assert_int_eq(bfs_fs_batch_end(f->fs, f->seq), BFS_OK);
	return decode(f, xr, res);
}

void fx_empty_batch(struct fx *f)
{
	f->seq++;
	f->time_us += 1000;
	ck_assert_int_eq(bfs_fs_batch_begin(f->fs, f->seq, f->time_us), BFS_OK);
	ck_assert_int_eq(bfs_fs_batch_end(f->fs, f->seq), BFS_OK);
}

uint32_t fx_exec_ro(struct fx *f, xdrproc_t xr, void *res)
{
	int rc = bfs_fs_execute_ro(f->fs, f->op, f->op_len, f->res, sizeof(f->res),
				   &f->res_len);
	ck_assert_msg(rc == BFS_OK, "execute_ro: %s", bfs_strerror(rc));
	return decode(f, xr, res);
}

uint32_t fx_call(struct fx *f, uint32_t proc, xdrproc_t xa, void *args,
		 xdrproc_t xr, void *res)
{
	fx_encode(f, proc, xa, args);
	return fx_exec_rw(f, xr, res);
}

uint32_t fx_call_ro(struct fx *f, uint32_t proc, xdrproc_t xa, void *args,
		    xdrproc_t xr, void *res)
{
	fx_encode(f, proc, xa, args);
	return fx_exec_ro(f, xr, res);
}

static void copy_fh(struct tfh *out, const nfs_fh3 *fh)
{
	if (out == NULL)
		return;
	ck_assert_uint_eq(fh->data.data_len, BFS_FS_FH_LEN);
	memcpy(out->b, fh->data.data_val, BFS_FS_FH_LEN);
}

#define CALL(f, proc, T, av, rv) \
	ck_assert_uint_eq(fx_call(f, proc, (xdrproc_t)xdr_##T##args, &(av), \
				  (xdrproc_t)xdr_##T##res, &(rv)), BFS_ACCEPT_SUCCESS)
#define FREE(T, rv) xdr_free((xdrproc_t)xdr_##T##res, (char *)&(rv))

nfsstat3 fx_getattr(struct fx *f, const struct tfh *h, fattr3 *attr)
{
	GETATTR3args a = { fx_fh(h) };
	GETATTR3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_GETATTR, GETATTR3, a, r);
	if (r.status == NFS3_OK && attr != NULL)
		*attr = r.GETATTR3res_u.resok.obj_attributes;
	FREE(GETATTR3, r);
	return r.status;
}

nfsstat3 fx_lookup(struct fx *f, const struct tfh *dir, const char *name, struct tfh *out)
{
	LOOKUP3args a = { { fx_fh(dir), (char *)name } };
	LOOKUP3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_LOOKUP, LOOKUP3, a, r);
	if (r.status == NFS3_OK)
		copy_fh(out, &r.LOOKUP3res_u.resok.object);
	FREE(LOOKUP3, r);
	return r.status;
}

static void copy_post_fh(struct tfh *out, const post_op_fh3 *p)
{
	ck_assert(p->handle_follows);
	copy_fh(out, &p->post_op_fh3_u.handle);
}

nfsstat3 fx_create(struct fx *f, const struct tfh *dir, const char *name, uint32_t mode,
		   struct tfh *out)
{
	CREATE3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fx_fh(dir);
	a.where.name = (char *)name;
	a.how.mode = GUARDED;
	a.how.createhow3_u.obj_attributes.mode.set_it = TRUE;
	a.how.createhow3_u.obj_attributes.mode.set_mode3_u.mode = mode;
	CREATE3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_CREATE, CREATE3, a, r);
	if (r.status == NFS3_OK)
		copy_post_fh(out, &r.CREATE3res_u.resok.obj);
	FREE(CREATE3, r);
	return r.status;
}

nfsstat3 fx_mkdir(struct fx *f, const struct tfh *dir, const char *name, uint32_t mode,
		  struct tfh *out)
{
	MKDIR3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fx_fh(dir);
	a.where.name = (char *)name;
	a.attributes.mode.set_it = TRUE;
	a.attributes.mode.set_mode3_u.mode = mode;
	MKDIR3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_MKDIR, MKDIR3, a, r);
	if (r.status == NFS3_OK)
		copy_post_fh(out, &r.MKDIR3res_u.resok.obj);
	FREE(MKDIR3, r);
	return r.status;
}

nfsstat3 fx_symlink(struct fx *f, const struct tfh *dir, const char *name,
		    const char *target, struct tfh *out)
{
	SYMLINK3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fx_fh(dir);
	a.where.name = (char *)name;
	a.symlink.symlink_data = (char *)target;
	SYMLINK3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_SYMLINK, SYMLINK3, a, r);
	if (r.status == NFS3_OK)
		copy_post_fh(out, &r.SYMLINK3res_u.resok.obj);
	FREE(SYMLINK3, r);
	return r.status;
}

nfsstat3 fx_write(struct fx *f, const struct tfh *h, uint64_t off, const void *data,
		  uint32_t len)
{
	WRITE3args a = { fx_fh(h), off, len, FILE_SYNC, { len, (char *)data } };
	WRITE3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_WRITE, WRITE3, a, r);
	if (r.status == NFS3_OK)
		ck_assert_uint_eq(r.WRITE3res_u.resok.count, len);
	FREE(WRITE3, r);
	return r.status;
}

nfsstat3 fx_read(struct fx *f, const struct tfh *h, uint64_t off, uint32_t count,
		 void *buf, uint32_t *n, bool *eof)
{
	READ3args a = { fx_fh(h), off, count };
	READ3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_READ, READ3, a, r);
	if (r.status == NFS3_OK) {
		READ3resok *ok = &r.READ3res_u.resok;
		ck_assert_uint_eq(ok->count, ok->data.data_len);
		ck_assert_uint_le(ok->count, count);
		if (buf != NULL && ok->count > 0) /* no data_val for 0 bytes */
			memcpy(buf, ok->data.data_val, ok->count);
		if (n != NULL)
			*n = ok->count;
		if (eof != NULL)
			*eof = ok->eof;
	}
	FREE(READ3, r);
	return r.status;
}

static nfsstat3 dirop(struct fx *f, uint32_t proc, const struct tfh *dir, const char *name)
{
	REMOVE3args a = { { fx_fh(dir), (char *)name } };
	REMOVE3res r;
	memset(&r, 0, sizeof(r));
	/* RMDIR3args/res have the same XDR shape as REMOVE's */
	CALL(f, proc, REMOVE3, a, r);
	FREE(REMOVE3, r);
	return r.status;
}

nfsstat3 fx_remove(struct fx *f, const struct tfh *dir, const char *name)
{
	return dirop(f, NFSPROC3_REMOVE, dir, name);
}

nfsstat3 fx_rmdir(struct fx *f, const struct tfh *dir, const char *name)
{
	return dirop(f, NFSPROC3_RMDIR, dir, name);
}

nfsstat3 fx_rename(struct fx *f, const struct tfh *fd, const char *fn,
		   const struct tfh *td, const char *tn)
{
	RENAME3args a = { { fx_fh(fd), (char *)fn }, { fx_fh(td), (char *)tn } };
	RENAME3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_RENAME, RENAME3, a, r);
	FREE(RENAME3, r);
	return r.status;
}

nfsstat3 fx_link(struct fx *f, const struct tfh *h, const struct tfh *dir, const char *name)
{
	LINK3args a = { fx_fh(h), { fx_fh(dir), (char *)name } };
	LINK3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_LINK, LINK3, a, r);
	FREE(LINK3, r);
	return r.status;
}

static nfsstat3 setattr(struct fx *f, const struct tfh *h, const sattr3 *s)
{
	SETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fx_fh(h);
	a.new_attributes = *s;
	SETATTR3res r;
	memset(&r, 0, sizeof(r));
	CALL(f, NFSPROC3_SETATTR, SETATTR3, a, r);
	FREE(SETATTR3, r);
	return r.status;
}

nfsstat3 fx_chmod(struct fx *f, const struct tfh *h, uint32_t mode)
{
	sattr3 s;
	memset(&s, 0, sizeof(s));
	s.mode.set_it = TRUE;
	s.mode.set_mode3_u.mode = mode;
	return setattr(f, h, &s);
}

nfsstat3 fx_truncate(struct fx *f, const struct tfh *h, uint64_t size)
{
	sattr3 s;
	memset(&s, 0, sizeof(s));
	s.size.set_it = TRUE;
	s.size.set_size3_u.size = size;
	return setattr(f, h, &s);
}

void fx_digest(struct fx *f, uint8_t d[BFS_FS_DIGEST_LEN])
{
	ck_assert_int_eq(bfs_fs_checkpoint(f->fs, d), BFS_OK);
}

void fx_digest_full(struct fx *f, uint8_t d[BFS_FS_DIGEST_LEN])
{
	ck_assert_int_eq(bfs_fs_digest_full(f->fs, d), BFS_OK);
}
