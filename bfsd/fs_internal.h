/*
 * fs_internal.h — private types of the file system state machine (bfsd/fs_*.c).
 *
 * Status convention inside the library: functions return an int that is
 *   0     success,
 *   > 0   an NFSv3 status (NFS3ERR_*, RFC 1813 §2.6) to report to the client,
 *   < 0   a bfs/error.h code: this replica failed locally and must stop.
 * Procedure handlers return only 0 or < 0; the NFS status goes in the result.
 *
 * Mutation rule: LMDB with MDB_WRITEMAP has no nested transactions, so a
 * handler performs every check that can yield an NFS error before its first
 * write. After the first write only a local failure (< 0) can stop it, and
 * that aborts the whole batch.
 *
 * Nothing here reads a clock or iterates an unordered container.
 */
#ifndef BFS_FS_INTERNAL_H
#define BFS_FS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "nfs3_prot.h"

#include "bfs/error.h"
#include "bfs/fs.h"
#include "bfs/op.h"

#define BFS_FORMAT_VERSION 3u  /* 2: keyed buckets, bucket_max; 3: object digests
				  written by each batch, level-4 nodes not stored,
				  "stale" (doc/fs.md) */
#define BFS_BLOCK_SIZE 8192u        /* data block; doc/fs.md explains the choice */
#define BFS_NAME_MAX 255u           /* bytes of one name (PATHCONF name_max) */
#define BFS_PATH_MAX 1024u          /* bytes of a symlink target */
#define BFS_LINK_MAX 32000u         /* PATHCONF linkmax */
#define BFS_XFER_MAX 32768u         /* FSINFO rtmax/wtmax: fits a 60 KiB BFT message */
#define BFS_DTPREF 8192u
#define BFS_DIRENT_SIZE 32u         /* reported directory size per entry */
#define BFS_ARENA_SIZE (256u * 1024u) /* per-request result memory (a constant:
                                        results must not depend on it) */
#define BFS_ROOT_INO 1u
#define BFS_ROOT_GEN 1u
#define BFS_COOKIE_FIRST 3u         /* 1 is ".", 2 is "..", entries from 3 */
#define BFS_BUCKET_KEY_LEN BFS_FS_BUCKET_KEY_LEN
#define BFS_BUCKET_MAX_MIN 4096u    /* smallest bucket_max (tests use small ones) */

/* Sub-databases. The first BFS_DB_TRACKED are replicated state and enter
 * the digest; the others are derived indexes or local bookkeeping. */
enum bfs_db {
	BFS_DB_META = 0,     /* "super" → struct bfs_super */
	BFS_DB_INODES,       /* ino → struct bfs_inode */
	BFS_DB_DIRENTS,      /* dir ino ‖ name → child ino, cookie */
	BFS_DB_BLOCKS,       /* ino ‖ block number → data */
	BFS_DB_REPLIES,      /* client → timestamp, result */
	BFS_DB_TRACKED,
	BFS_DB_COOKIES = BFS_DB_TRACKED, /* dir ino ‖ cookie → name (index) */
	BFS_DB_OBJDIG,       /* bucket ‖ tag ‖ key → object digest, leaf record bytes;
				bucket → bucket digest, leaf bytes */
	BFS_DB_PARTITION,    /* level ‖ index → node digest (levels 0-3) */
	BFS_DB_DIRTY,        /* bucket ‖ tag ‖ key → "" : changed in the open transaction */
	BFS_DB_LOCAL,        /* "last_seq" → u64: local, not replicated */
	BFS_DB_STALE,        /* level-4 index → "" : buckets changed since the last
				checkpoint under it */
	BFS_DB_PENDING,      /* bucket ‖ tag ‖ key → "" : changed again in the
				checkpoint interval, refreshed by the checkpoint */
	BFS_DB_COUNT,
};

struct bfs_time {
	uint32_t sec;
	uint32_t nsec;
};

/* The replicated super record (meta "super"). */
struct bfs_super {
	uint32_t version;
	uint32_t block_size;
	uint64_t fsid;
	uint64_t next_ino;
	uint64_t used_inodes;
	uint64_t used_blocks;
	uint64_t max_bytes;
	uint64_t max_files;
	uint64_t max_file_size;
	uint32_t atime_mode;
	uint32_t root_squash;
	uint32_t anon_uid;
	uint32_t anon_gid;
	uint64_t bucket_max;      /* largest leaf a procedure may grow (fs_bucket.c) */
	uint64_t bucket_key_id;   /* bfs_bucket_key_id() of the bucket key */
};

#define BFS_INODE_CVERF 0x1u /* cverf holds an EXCLUSIVE create verifier */

/* One inode (an "inodes" record). */
struct bfs_inode {
	uint64_t ino;          /* key; never stored in the value */
	uint32_t gen;
	uint32_t type;         /* ftype3 */
	uint32_t mode;         /* permission and set-id bits (07777) */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;        /* BFS_INODE_* */
	uint64_t size;
	uint64_t nblocks;      /* stored data blocks */
	uint32_t rdev1;
	uint32_t rdev2;
	struct bfs_time atime;
	struct bfs_time mtime;
	struct bfs_time ctime;
	uint64_t parent;       /* directories: the parent's ino (root: itself) */
	uint64_t nentries;     /* directories: entries other than . and .. */
	uint64_t next_cookie;  /* directories: cookie of the next new entry */
	uint8_t cverf[NFS3_CREATEVERFSIZE];
	uint32_t target_len;   /* symlinks */
	char target[BFS_PATH_MAX + 1];
};

/* Digests of the nodes of one tree level kept in memory (fs_digest.c):
 * allocated at the first store, entries valid where the bit is set. */
struct bfs_dcache {
	uint8_t (*d)[32];         /* owned, or NULL */
	uint64_t *valid;          /* owned, or NULL */
};

/* A checkpoint kept readable for state transfer: a pinned read txn. */
#define BFS_SNAP_MAX 8u
struct bfs_snap {
	uint64_t seq;
	MDB_txn *txn;
};

struct bfs_fs {
	MDB_env *env;
	uint8_t bucket_key[BFS_BUCKET_KEY_LEN]; /* cluster secret (fs_bucket.c) */
	MDB_dbi dbi[BFS_DB_COUNT];
	MDB_txn *wtxn;            /* the open batch, or NULL */
	MDB_txn *xtxn;            /* the state transfer in progress, or NULL */
	bool tree_stale;          /* objects changed since the tree was refreshed */
	struct bfs_dcache l4;     /* level-4 digests (fs_digest.c) */
	struct bfs_dcache buckets; /* bucket digests (fs_digest.c) */
	uint64_t *refreshed;      /* buckets a batch refreshed since the last
				     checkpoint: a hint (fs_digest.c), or NULL */
	bool refreshed_any;       /* some bit of refreshed is set */
	uint64_t batch_seq;
	uint64_t batch_time_us;
	struct bfs_time batch_time;
	struct bfs_snap snaps[BFS_SNAP_MAX]; /* oldest first */
	unsigned nsnaps;
	uint64_t last_seq;        /* last committed batch */
	enum bfs_durability durability;
	struct bfs_super super;   /* committed copy; batch copy lives in wsuper */
	struct bfs_super wsuper;
	uint8_t *arena;           /* BFS_ARENA_SIZE bytes, owned */
	char storage_error[128];
};

/* One request being executed. */
struct bfs_req {
	struct bfs_fs *fs;
	MDB_txn *txn;
	struct bfs_super *sb;     /* &fs->wsuper in a batch, &fs->super otherwise */
	bool writable;            /* txn is the batch's write transaction */
	bool set_atime;           /* strict mode, read-write execution */
	struct bfs_cred cred;     /* after root squash */
	struct bfs_time now;
	size_t arena_used;
};

/* ---- fs_state.c: the LMDB environment ---- */
int bfs_storage_error(struct bfs_fs *fs, const char *what, int mdb_rc);
int bfs_super_put(struct bfs_fs *fs, MDB_txn *txn, const struct bfs_super *sb);

/* ---- fs_store.c: record access; writes to tracked dbs mark objects dirty ---- */
int bfs_store_get(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		  const void *key, size_t klen, MDB_val *val, bool *found);
int bfs_store_put(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		  const void *key, size_t klen, const void *val, size_t vlen);
int bfs_store_del(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		  const void *key, size_t klen);
/* Call fn on each record of db whose key begins with u32be(b), in key
 * order: fn returns 0 to go on, > 0 to stop, < 0 an error that ends the
 * scan and is returned. cur: a cursor on db, or NULL (one is opened). */
int bfs_store_scan_bucket(struct bfs_fs *fs, MDB_txn *txn, MDB_cursor *cur, enum bfs_db db,
			  uint32_t b, int (*fn)(void *ctx, const MDB_val *k, const MDB_val *v),
			  void *ctx);
/* Delete every record whose key is >= start and shares start's first
 * prefix_len bytes; *deleted receives the count. */
int bfs_store_del_from(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		       const uint8_t *start, size_t klen, size_t prefix_len,
		       uint64_t *deleted);

/* ---- fs_codec.c: fixed encodings of records and keys ---- */
#define BFS_SUPER_LEN 96u
#define BFS_INODE_FIXED_LEN 120u
#define BFS_DIRENT_VAL_LEN 17u
#define BFS_KEY_MAX (8u + BFS_NAME_MAX + 8u)
void bfs_super_encode(const struct bfs_super *sb, uint8_t out[BFS_SUPER_LEN]);
int bfs_super_decode(const uint8_t *p, size_t len, struct bfs_super *sb);
size_t bfs_inode_encode(const struct bfs_inode *in, uint8_t *out);
int bfs_inode_decode(uint64_t ino, const uint8_t *p, size_t len, struct bfs_inode *in);
void bfs_dirent_val_encode(uint64_t child, uint64_t cookie, uint8_t out[BFS_DIRENT_VAL_LEN]);
int bfs_dirent_val_decode(const uint8_t *p, size_t len, uint64_t *child, uint64_t *cookie);
size_t bfs_key_ino_name(uint8_t *key, uint64_t ino, const char *name, size_t len);
void bfs_key_ino_u64(uint8_t key[16], uint64_t ino, uint64_t n);

/* ---- fs_req.c: request context helpers ---- */
void *bfs_req_alloc(struct bfs_req *r, size_t n);
int bfs_status(nfsstat3 *status, int st);
struct bfs_time bfs_time_from_us(uint64_t us);

/* ---- fs_inode.c: inodes, handles, attributes ---- */
int bfs_inode_get(struct bfs_req *r, uint64_t ino, struct bfs_inode *in);
int bfs_inode_put(struct bfs_req *r, const struct bfs_inode *in);
int bfs_inode_from_fh(struct bfs_req *r, const nfs_fh3 *fh, struct bfs_inode *in);
int bfs_dir_open(struct bfs_req *r, const nfs_fh3 *fh, struct bfs_inode *dir,
		 pre_op_attr *pre, wcc_data *wcc);
/* NFS3ERR_NOSPC unless one more inode (a symlink target of target_len
 * bytes) fits: max_files, and the bucket of the next inode number. */
int bfs_inode_room(struct bfs_req *r, uint32_t target_len);
int bfs_inode_alloc(struct bfs_req *r, struct bfs_inode *in);
int bfs_inode_unlink(struct bfs_req *r, struct bfs_inode *in);
void bfs_fh_encode(uint64_t ino, uint32_t gen, uint8_t out[BFS_FS_FH_LEN]);
int bfs_fh_make(struct bfs_req *r, const struct bfs_inode *in, nfs_fh3 *fh);
int bfs_post_fh(struct bfs_req *r, const struct bfs_inode *in, post_op_fh3 *p);
void bfs_fattr(const struct bfs_req *r, const struct bfs_inode *in, fattr3 *a);
void bfs_post_attr(const struct bfs_req *r, const struct bfs_inode *in, post_op_attr *p);
void bfs_pre_attr(const struct bfs_inode *in, pre_op_attr *p);
void bfs_wcc(const struct bfs_req *r, const pre_op_attr *pre,
	     const struct bfs_inode *after, wcc_data *w);
void bfs_touch(struct bfs_req *r, struct bfs_inode *in, bool mtime);
int bfs_require_regular(const struct bfs_inode *in);

/* ---- fs_perm.c: AUTH_SYS permission checks ---- */
#define BFS_MAY_READ 4u
#define BFS_MAY_WRITE 2u
#define BFS_MAY_EXEC 1u
bool bfs_perm_owner(const struct bfs_req *r, const struct bfs_inode *in);
int bfs_perm_check(const struct bfs_req *r, const struct bfs_inode *in, uint32_t may);
int bfs_perm_io(const struct bfs_req *r, const struct bfs_inode *in, uint32_t may);
int bfs_perm_sticky(const struct bfs_req *r, const struct bfs_inode *dir,
		    const struct bfs_inode *victim);
uint32_t bfs_perm_access(const struct bfs_req *r, const struct bfs_inode *in, uint32_t want);

/* ---- fs_name.c: name validation ---- */
int bfs_name_check(const char *name);
int bfs_name_check_new(const char *name);
bool bfs_name_is_dot(const char *name);

/* ---- fs_dir.c: directory entries ---- */
int bfs_dir_lookup(struct bfs_req *r, const struct bfs_inode *dir, const char *name,
		   uint64_t *child, bool *found);
/* NFS3ERR_NOSPC if the bucket of a new entry name in dir has no room. */
int bfs_dir_room(struct bfs_req *r, const struct bfs_inode *dir, const char *name);
int bfs_dir_add(struct bfs_req *r, struct bfs_inode *dir, const char *name, uint64_t child);
int bfs_dir_remove(struct bfs_req *r, struct bfs_inode *dir, const char *name);
uint64_t bfs_dir_size(const struct bfs_inode *dir);
void bfs_dir_verf(const struct bfs_inode *dir, cookieverf3 verf);

/* ---- fs_data.c: sparse data blocks ---- */
int bfs_data_read(struct bfs_req *r, const struct bfs_inode *in, uint64_t off,
		  uint32_t len, uint8_t *out);
/* Before a write of [off, off+len): *missing receives the blocks it would
 * create; NFS3ERR_NOSPC if a block's bucket has no room for its growth. */
int bfs_data_write_check(struct bfs_req *r, const struct bfs_inode *in,
			 uint64_t off, uint32_t len, uint64_t *missing);
int bfs_data_write(struct bfs_req *r, struct bfs_inode *in, uint64_t off,
		   const uint8_t *data, uint32_t len);
int bfs_data_truncate(struct bfs_req *r, struct bfs_inode *in, uint64_t size);

/* ---- fs_sattr.c: applying sattr3 (SETATTR and the create procedures) ---- */
int bfs_sattr_check(struct bfs_req *r, const struct bfs_inode *in, const sattr3 *s,
		    bool creating);
int bfs_sattr_apply(struct bfs_req *r, struct bfs_inode *in, const sattr3 *s);

/* ---- fs_reply.c ---- */
#define BFS_REPLY_HDR 13u
#define BFS_REPLY_MAX 65536u

/* ---- fs_leaf.c: the byte format of a leaf (doc/fs.md) ---- */
#define BFS_LEAF_HDR 8u
#define BFS_LEAF_REC_HDR 7u
struct bfs_leaf_obj {
	uint8_t tag;
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;
	uint32_t vlen;
};
/* Validate bytes as leaf `index`, calling fn (may be NULL) per record in
 * order; stops at fn's first non-zero return. */
int bfs_leaf_parse(const struct bfs_fs *fs, uint64_t index, const uint8_t *bytes, uint32_t len,
		   int (*fn)(void *ctx, const struct bfs_leaf_obj *o), void *ctx);
int bfs_leaf_obj_cmp(const struct bfs_leaf_obj *a, const struct bfs_leaf_obj *b);
/* Writes the bytes of a virtual stream that fall in [offset, offset+cap)
 * into buf; pos counts the whole stream, len the bytes written. */
struct bfs_leaf_win {
	uint8_t *buf;
	uint64_t offset;
	uint32_t cap;
	uint32_t len;
	uint64_t pos;
};
void bfs_leaf_win_put(struct bfs_leaf_win *w, const void *p, size_t n);
void bfs_leaf_win_header(struct bfs_leaf_win *w, uint32_t count);
void bfs_leaf_win_record(struct bfs_leaf_win *w, const struct bfs_leaf_obj *o);

/* ---- fs_transfer.c ---- */
/* Add (or, add false, remove if it still names this entry) the dircookies
 * index entry of dirent (key, val). BFS_E_CORRUPT if val does not decode. */
int bfs_cookie_index(struct bfs_fs *fs, MDB_txn *txn, const uint8_t *key, size_t klen,
		     const uint8_t *val, size_t vlen, bool add);

/* ---- fs_snapshot.c ---- */
/* The read txn of snapshot seq (0: none). */
MDB_txn *bfs_snap_find(struct bfs_fs *fs, uint64_t seq);
void bfs_snap_release_all(struct bfs_fs *fs);

/* ---- fs_state.c: the replicated clock record (meta "clock") ---- */
int bfs_clock_get(struct bfs_fs *fs, MDB_txn *txn, uint64_t *time_us);
int bfs_super_load(struct bfs_fs *fs, MDB_txn *txn, struct bfs_super *sb);
int bfs_last_seq_put(struct bfs_fs *fs, MDB_txn *txn, uint64_t seq);

/* ---- fs_exec.c ---- */
int bfs_exec(struct bfs_fs *fs, MDB_txn *txn, bool writable, const uint8_t *op,
	     uint32_t op_len, uint8_t *result, uint32_t cap, uint32_t *result_len);

/* ---- fs_digest.c: the Merkle partition tree (doc/fs.md) ---- */
#define BFS_TREE_FANOUT_BITS 4u
#define BFS_TREE_FANOUT (1u << BFS_TREE_FANOUT_BITS)  /* 16 */
#define BFS_TREE_DEPTH 5u                             /* leaves = buckets at level 5 */
#define BFS_BUCKETS (1u << (BFS_TREE_FANOUT_BITS * BFS_TREE_DEPTH)) /* 2^20 */
#define BFS_OBJKEY_MAX (4u + 1u + BFS_KEY_MAX)        /* an objdigests key */
#define BFS_OBJ_VAL_LEN (32u + 4u)    /* object digest ‖ u32le leaf record bytes */
#define BFS_BUCKET_VAL_LEN (32u + 8u) /* bucket digest ‖ u64le leaf bytes */
#define BFS_OBJDIG_BUCKET 4u          /* key length of a bucket entry */
#define BFS_L4_NODES (1u << (BFS_TREE_FANOUT_BITS * (BFS_TREE_DEPTH - 1)))
/* Refresh the digests of the objects changed in txn (the dirty set) and of
 * their buckets, mark those buckets' level-4 nodes stale, clear the dirty
 * set; a bucket already refreshed since the last checkpoint goes to the
 * pending set instead. Every batch calls it before it commits, so the
 * digest work is done while the batch's records and pages are at hand. */
int bfs_digest_objects(struct bfs_fs *fs, MDB_txn *txn);
/* Refresh the pending and dirty objects and their buckets, then the stale
 * level-4 nodes and their paths to the root; clear those sets. The root is
 * the checkpoint digest. */
int bfs_digest_checkpoint(struct bfs_fs *fs, MDB_txn *txn, uint8_t root[32]);
int bfs_digest_full(struct bfs_fs *fs, MDB_txn *txn, uint8_t root[32]);
void bfs_object_digest(uint8_t tag, const void *key, size_t klen, const void *val,
		       size_t vlen, uint8_t out[32]);
/* objdigests (and dirty) key u32be(bucket) ‖ tag ‖ key into out[BFS_OBJKEY_MAX]. */
size_t bfs_objdig_key(const struct bfs_fs *fs, uint8_t *out, uint8_t tag,
		      const uint8_t *key, size_t klen);
/* Bucket b's digest (d may be NULL) and leaf bytes as of the last refresh;
 * zero for an empty bucket. */
int bfs_bucket_entry(struct bfs_fs *fs, MDB_txn *txn, uint32_t b, uint8_t d[32],
		     uint64_t *bytes);
/* The BFS_TREE_FANOUT child digests of node (level < depth, index) as of
 * the last refresh, zero for empty ones. use_cache: txn is the state of
 * the last refresh (not an older snapshot), so the in-memory digests may
 * serve. */
int bfs_node_children(struct bfs_fs *fs, MDB_txn *txn, uint32_t level, uint32_t index,
		      bool use_cache, uint8_t out[][32]);
/* Empty the in-memory digests (bucket, level 4) and the refreshed-buckets
 * hint: a transaction that refreshed them did not commit, or something
 * rewrote stored digests behind the refresh's back. */
void bfs_digest_forget(struct bfs_fs *fs);

/* ---- fs_bucket.c: keyed buckets and their size limit ---- */
/* SipHash-2-4, incrementally: init, update any number of times, final
 * (which leaves the state usable for more updates). */
struct bfs_sip {
	uint64_t v[4];
	uint64_t len;
	uint8_t buf[8];
};
void bfs_sip_init(struct bfs_sip *s, const uint8_t key[BFS_BUCKET_KEY_LEN]);
void bfs_sip_update(struct bfs_sip *s, const void *p, size_t n);
uint64_t bfs_sip_final(const struct bfs_sip *s);
uint64_t bfs_siphash24(const uint8_t key[BFS_BUCKET_KEY_LEN], const void *p, size_t len);
/* The bucket (leaf index) of object (tag, key). */
uint32_t bfs_bucket_of(const struct bfs_fs *fs, uint8_t tag, const uint8_t *key, size_t klen);
/* A fingerprint of the key for the super record (a mismatch is BFS_E_CONFIG). */
uint64_t bfs_bucket_key_id(const uint8_t key[BFS_BUCKET_KEY_LEN]);
/* Bytes of bucket b's leaf in txn now (0 if empty). */
int bfs_bucket_bytes(struct bfs_fs *fs, MDB_txn *txn, uint32_t b, uint64_t *bytes);
/* NFS3ERR_NOSPC if adding up to `add` leaf bytes to the bucket of (tag,
 * key) could take it past bucket_max. Call before the procedure's first
 * write. */
int bfs_bucket_room(struct bfs_req *r, uint8_t tag, const uint8_t *key, size_t klen,
		    uint64_t add);

/* ---- procedure handlers (fs_*.c), RFC 1813 §3.3.x ---- */
#define BFS_PROC(name) int bfs_proc_##name(struct bfs_req *r, void *argp, void *resp)
BFS_PROC(null);
BFS_PROC(getattr);
BFS_PROC(setattr);
BFS_PROC(lookup);
BFS_PROC(access);
BFS_PROC(readlink);
BFS_PROC(read);
BFS_PROC(write);
BFS_PROC(create);
BFS_PROC(mkdir);
BFS_PROC(symlink);
BFS_PROC(mknod);
BFS_PROC(remove);
BFS_PROC(rmdir);
BFS_PROC(rename);
BFS_PROC(link);
BFS_PROC(readdir);
BFS_PROC(readdirplus);
BFS_PROC(fsstat);
BFS_PROC(fsinfo);
BFS_PROC(pathconf);
BFS_PROC(commit);

#endif
