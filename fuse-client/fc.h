/*
 * fc.h — bfs-mount's internal types: the mount (struct fc), the backend
 * interface every source implements, NFSv3 calls in flight, the inode
 * table, and what the modules offer each other.
 *
 * The shape (DESIGN.md "Interfaces to the outside world", FUSE): the FUSE
 * 3 low-level API (libfuse include/fuse_lowlevel.h) with the session's
 * descriptor on our bft_loop; every FUSE request becomes one or more NFSv3
 * calls (RFC 1813) submitted to a backend, and the request is answered
 * (fuse_reply_*) from the call's completion, in whatever order calls
 * complete. Nothing here ever blocks the loop on the network.
 *
 * Everything runs on the loop's thread; nothing here is thread-safe.
 * Errors are negative errno values unless a comment says otherwise.
 */
#ifndef FC_H
#define FC_H

#define FUSE_USE_VERSION 34

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <fuse_lowlevel.h>
#include <rpc/rpc.h>

#include "bfs/nfs3_res.h"
#include "bfs/op.h"
#include "bft/log.h"
#include "bft/loop.h"
#include "nfs3_prot.h"

#define FC_XFER_CAP (1u << 20)     /* largest READ/WRITE piece we ask for */
#define FC_ARGS_MAX (FC_XFER_CAP + 4096u) /* encoded arguments of one call */
#define FC_RETRY_MS 100u           /* NFS3ERR_JUKEBOX / full queue: wait */
#define FC_RETRY_MAX 600u          /* then EAGAIN (a minute) */
#define FC_START_MS 15000u         /* start-up calls (mount, FSINFO) */

/* ---- backends: "submit NFSv3 procedure P with XDR args, get the XDR
 * result asynchronously" ---- */

/* err 0 with the procedure's NFSv3 XDR result res[len] (valid during the
 * call only), or a negative errno and res NULL. Runs on the loop's thread,
 * never from inside submit. */
typedef void (*fc_backend_cb)(void *arg, int err, const uint8_t *res, uint32_t len);

struct fc_backend;

struct fc_backend_ops {
	/* Submit proc with args[len] (XDR, copied before returning) on behalf
	 * of cred. 0, -EAGAIN (full: retry later) or another -errno. */
	int (*submit)(struct fc_backend *b, uint32_t proc, const struct bfs_cred *cred,
		      const uint8_t *args, uint32_t len, fc_backend_cb cb, void *arg);
	/* Fail what is pending with -ECANCELED (callbacks run inside) and
	 * free the backend. */
	void (*close)(struct fc_backend *b);
};

/* Embedded first in each backend's own struct. */
struct fc_backend {
	const struct fc_backend_ops *ops;
	uint8_t root_fh[NFS3_FHSIZE];      /* the mounted directory */
	uint32_t root_fh_len;
	uint32_t max_xfer;                 /* READ/WRITE bytes that fit (0: any) */
};

/* bft:CONFIG[,client=ID] (backend_bft.c) and nfs://HOST[:PORT]/EXPORT
 * (backend_nfs.c). Problems are logged; *out is the caller's. */
int fc_bft_open(const char *spec, struct bft_loop *loop, struct bft_log *log,
		struct fc_backend **out);
int fc_nfs_open(const char *url, struct bft_loop *loop, struct bft_log *log,
		struct fc_backend **out);

/* Run the loop until *done is set or timeout_ms passes (-ETIMEDOUT). For
 * start-up only, before the FUSE session exists. */
int fc_loop_wait(struct bft_loop *loop, const bool *done, uint64_t timeout_ms);

/* ---- inode table: FUSE inode numbers <-> NFS file handles ---- */

struct fc_inode {
	uint64_t fileid;
	uint64_t nlookup;                  /* the kernel's references */
	uint32_t fh_len;
	uint8_t fh[NFS3_FHSIZE];
	bool unstable;                     /* UNSTABLE writes not yet committed */
	uint32_t opens;                    /* open files (silly.c) */
	struct fc_silly *silly;            /* hidden name while unlinked but open */
	struct fc_inode *next;             /* hash chain */
};

struct fc_itab {
	struct fc_inode **buckets;
	uint32_t n_buckets, count;
	uint64_t root_fileid;
	struct fc_inode *root;             /* never forgotten */
};

int fc_itab_init(struct fc_itab *t, const uint8_t *root_fh, uint32_t fh_len,
		 uint64_t root_fileid);
void fc_itab_free(struct fc_itab *t);
/* FUSE inode number of a fileid and back: a bijection that puts the root
 * at FUSE_ROOT_ID whatever its fileid. */
fuse_ino_t fc_ino_of(const struct fc_itab *t, uint64_t fileid);
uint64_t fc_fileid_of(const struct fc_itab *t, fuse_ino_t ino);
/* The inode the kernel knows as ino, or NULL (ESTALE for the caller). */
struct fc_inode *fc_inode_get(const struct fc_itab *t, fuse_ino_t ino);
/* One more kernel reference to (fileid, fh): inserted, or its handle
 * refreshed. NULL when out of memory or the handle is malformed. */
struct fc_inode *fc_inode_ref(struct fc_itab *t, uint64_t fileid, const nfs_fh3 *fh);
/* Drop n references (FUSE forget); the entry goes when none remain. */
void fc_inode_forget(struct fc_itab *t, fuse_ino_t ino, uint64_t n);

/* ---- the mount ---- */

struct fc {
	struct bft_loop *loop;
	struct bft_log *log;
	struct fc_backend *be;
	struct fuse_session *se;
	struct fuse_buf buf;               /* the one request buffer */
	int fuse_fd;
	double attr_timeout, entry_timeout;
	uint32_t rtmax, wtmax;             /* from FSINFO, capped */
	uint64_t maxfilesize;
	bool have_wverf;
	writeverf3 wverf;                  /* of the last UNSTABLE write */
	struct fc_itab itab;
	uint32_t in_flight;                /* calls not yet completed */
	uint32_t n_open;                   /* open files, all inodes */
	bool stopping;                     /* draining: stop when in_flight is 0 */
	uint8_t scratch[FC_ARGS_MAX];      /* argument encoding */
};

/* ---- calls (call.c) ---- */

struct fc_call;

/* err 0: res holds an NFS3_OK result. err < 0: the NFS status mapped to an
 * errno (res still decoded, so resfail fields can be read) or a transport
 * failure (res NULL). The result is freed after done returns. */
typedef void (*fc_done_fn)(struct fc_call *c, int err, union bfs_nfs3_res *res);

struct fc_call {
	struct fc *fc;
	fuse_req_t req;                    /* NULL for the mount's own calls */
	uint32_t proc;
	fc_done_fn done;
	void *ctx;                         /* the operation's own state */
	uint64_t aux;                      /* a small value for it */
	struct bfs_cred cred;
	uint8_t *args;                     /* encoded, kept for retries */
	uint32_t args_len, retries;
	struct bft_loop_timer retry;
	union bfs_nfs3_res res;
};

/* Encode args with xdr_args and submit proc for req (the credential is
 * req's caller, root for req NULL). done runs exactly once, possibly
 * before this returns (failure to encode or submit). */
void fc_call(struct fc *fc, fuse_req_t req, uint32_t proc, xdrproc_t xdr_args,
	     const void *args, fc_done_fn done, void *ctx, uint64_t aux);

/* NFS3ERR_* to errno (RFC 1813 §2.6). */
int fc_nfs_errno(nfsstat3 st);

/* ---- attributes and replies (attr.c) ---- */

void fc_stat_from_fattr(const fattr3 *a, struct stat *st);
/* nfs_fh3 view of an inode's handle (points into it). */
nfs_fh3 fc_fh(const struct fc_inode *in);
/* Answer req with an entry for (fh, attr): a new kernel reference. */
void fc_reply_entry(struct fc *fc, fuse_req_t req, const nfs_fh3 *fh, const fattr3 *attr,
		    struct fuse_file_info *create_fi);
/* Answer an entry from a CREATE/MKDIR/SYMLINK/MKNOD result; a LOOKUP
 * follows if the server left out the handle or attributes. */
void fc_reply_new_entry(struct fc_call *c, const post_op_fh3 *fh, const post_op_attr *attr,
			const struct fc_inode *dir, const char *name,
			struct fuse_file_info *create_fi);
/* Answer req with attr, or a GETATTR of `in` if attr is absent. */
void fc_reply_attr(struct fc *fc, fuse_req_t req, const post_op_attr *attr,
		   const struct fc_inode *in);

/* ---- the FUSE session on the loop (session.c) ---- */

/* Create the session from args (FUSE options), mount it at mountpoint and
 * watch its descriptor on fc->loop. 0 or -1 (libfuse said why). */
int fc_session_start(struct fc *fc, struct fuse_args *args, const char *mountpoint);
/* Stop reading requests; the loop stops once the calls in flight are done
 * (the caller bounds the wait). */
void fc_session_drain(struct fc *fc);
/* Unmount (if still mounted) and destroy the session. */
void fc_session_end(struct fc *fc);

/* ---- FUSE operations ---- */
/* ops_entry.c, ops_file.c, ops_dir.c */
void fc_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void fc_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void fc_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void fc_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fc_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		   struct fuse_file_info *fi);
void fc_op_readlink(fuse_req_t req, fuse_ino_t ino);
void fc_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		 dev_t rdev);
void fc_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void fc_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fc_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fc_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void fc_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		  const char *newname, unsigned int flags);
void fc_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void fc_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		  struct fuse_file_info *fi);
void fc_op_access(fuse_req_t req, fuse_ino_t ino, int mask);
void fc_op_statfs(fuse_req_t req, fuse_ino_t ino);
void fc_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fc_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fc_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void fc_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		 struct fuse_file_info *fi);
void fc_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fc_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void fc_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fc_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi);
void fc_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi);
void fc_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* ACCESS (RFC 1813 §3.3.4) for an access(2) mask on `in`; done (NULL:
 * answer req 0 or EACCES) gets the wanted ACCESS3 bits in c->aux. */
void fc_access_check(fuse_req_t req, const struct fc_inode *in, int mask, fc_done_fn done,
		     void *ctx);

/* silly.c: count opens and releases of `in`; the last release of a file
 * unlinked while open removes its hidden name (req: whose credential). */
void fc_silly_opened(struct fc *fc, struct fc_inode *in);
void fc_silly_released(struct fc *fc, fuse_req_t req, struct fc_inode *in);

/* The inode for ino or an ESTALE reply (returns NULL then). */
struct fc_inode *fc_inode_or_reply(fuse_req_t req, fuse_ino_t ino);

#endif
