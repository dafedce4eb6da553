/*
 * fs_fixture.h — test fixture for the file system state machine (bfsd/):
 * a fresh LMDB environment under a mkdtemp directory, and helpers that
 * encode an NFSv3 call in the BFS operation format, execute it (each
 * read-write call in its own batch with a strictly increasing time) and
 * decode the result. Used only by tests/unit/test_fs_*.c.
 */
#ifndef BFS_TEST_FS_FIXTURE_H
#define BFS_TEST_FS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <check.h>
#include <rpc/rpc.h>

#include "nfs3_prot.h"

#include "bfs/fs.h"
#include "bfs/op.h"

#define FX_RESULT_MAX 65536u

struct tfh {
	uint8_t b[BFS_FS_FH_LEN];
};

struct fx {
	char dir[64];
	struct bfs_fs *fs;
	uint64_t seq;
	uint64_t time_us;
	struct bfs_cred cred;
	uint8_t op[FX_RESULT_MAX];
	uint32_t op_len;
	uint8_t res[FX_RESULT_MAX];
	uint32_t res_len;
	struct tfh root;
};

/* Run every test of s; EXIT_SUCCESS if all pass (a test's main()). */
int fx_run_suite(Suite *s);

/* Fresh file system; tweak (may be NULL) edits the config first. */
struct fx *fx_new(void (*tweak)(struct bfs_fs_config *c));
/* Reopen the same directory (after fx_close_fs). */
void fx_reopen(struct fx *f, void (*tweak)(struct bfs_fs_config *c));
/* The same, returning bfs_fs_open's error (f->fs stays NULL then). */
int fx_try_reopen(struct fx *f, void (*tweak)(struct bfs_fs_config *c));
void fx_close_fs(struct fx *f);
void fx_free(struct fx *f);  /* closes and removes the directory */
void fx_as(struct fx *f, uint32_t uid, uint32_t gid);

/* View of a handle as nfs_fh3 (points into h). */
nfs_fh3 fx_fh(const struct tfh *h);

/* Encode (proc, args) in f->op. */
void fx_encode(struct fx *f, uint32_t proc, xdrproc_t xa, void *args);
/* Execute f->op read-write in its own batch, or read-only; returns the accept
 * status; on SUCCESS decodes into res (release with xdr_free). */
uint32_t fx_exec_rw(struct fx *f, xdrproc_t xr, void *res);
uint32_t fx_exec_ro(struct fx *f, xdrproc_t xr, void *res);
/* A batch with no request (a null request's batch), next seq and time. */
void fx_empty_batch(struct fx *f);
uint32_t fx_call(struct fx *f, uint32_t proc, xdrproc_t xa, void *args,
		 xdrproc_t xr, void *res);
uint32_t fx_call_ro(struct fx *f, uint32_t proc, xdrproc_t xa, void *args,
		    xdrproc_t xr, void *res);

/* Common procedures; each returns the NFS status. out/attr may be NULL. */
nfsstat3 fx_getattr(struct fx *f, const struct tfh *h, fattr3 *attr);
nfsstat3 fx_lookup(struct fx *f, const struct tfh *dir, const char *name, struct tfh *out);
nfsstat3 fx_create(struct fx *f, const struct tfh *dir, const char *name, uint32_t mode,
		   struct tfh *out);
nfsstat3 fx_mkdir(struct fx *f, const struct tfh *dir, const char *name, uint32_t mode,
		  struct tfh *out);
nfsstat3 fx_symlink(struct fx *f, const struct tfh *dir, const char *name,
		    const char *target, struct tfh *out);
nfsstat3 fx_write(struct fx *f, const struct tfh *h, uint64_t off, const void *data,
		  uint32_t len);
nfsstat3 fx_read(struct fx *f, const struct tfh *h, uint64_t off, uint32_t count,
		 void *buf, uint32_t *n, bool *eof);
nfsstat3 fx_remove(struct fx *f, const struct tfh *dir, const char *name);
nfsstat3 fx_rmdir(struct fx *f, const struct tfh *dir, const char *name);
nfsstat3 fx_rename(struct fx *f, const struct tfh *fd, const char *fn,
		   const struct tfh *td, const char *tn);
nfsstat3 fx_link(struct fx *f, const struct tfh *h, const struct tfh *dir, const char *name);
nfsstat3 fx_chmod(struct fx *f, const struct tfh *h, uint32_t mode);
nfsstat3 fx_truncate(struct fx *f, const struct tfh *h, uint64_t size);

/* Root digest after a checkpoint, and the from-scratch one. */
void fx_digest(struct fx *f, uint8_t d[BFS_FS_DIGEST_LEN]);
void fx_digest_full(struct fx *f, uint8_t d[BFS_FS_DIGEST_LEN]);

#endif
