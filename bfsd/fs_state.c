/*
 * fs_state.c — the LMDB environment of one replica's file system: open and
 * format, the batch life cycle (one write transaction per batch, DESIGN.md
 * "Replicated state in LMDB"), read-only transactions, the super record.
 *
 * Never reads a clock: the batch time is the agreed time handed in by the
 * caller. Never retries or hides an LMDB failure: it becomes BFS_E_STORAGE
 * and the batch is aborted (the replica must then stop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/crypto.h"

#include "bfs/bytes.h"
#include "fs_internal.h"

static const char *const db_names[BFS_DB_COUNT] = {
	[BFS_DB_META] = "meta",
	[BFS_DB_INODES] = "inodes",
	[BFS_DB_DIRENTS] = "dirents",
	[BFS_DB_BLOCKS] = "blocks",
	[BFS_DB_REPLIES] = "replies",
	[BFS_DB_COOKIES] = "dircookies",
	[BFS_DB_OBJDIG] = "objdigests",
	[BFS_DB_PARTITION] = "partition",
	[BFS_DB_DIRTY] = "dirty",
	[BFS_DB_LOCAL] = "local",
	[BFS_DB_STALE] = "stale",
	[BFS_DB_PENDING] = "pending",
};

static const char super_key[] = "super";
static const char clock_key[] = "clock";
static const char last_seq_key[] = "last_seq";

int bfs_storage_error(struct bfs_fs *fs, const char *what, int mdb_rc)
{
	snprintf(fs->storage_error, sizeof(fs->storage_error), "%s: %s", what,
		 mdb_strerror(mdb_rc));
	return BFS_E_STORAGE;
}

const char *bfs_fs_last_storage_error(const struct bfs_fs *fs)
{
	return fs->storage_error;
}

void bfs_fs_config_default(struct bfs_fs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->map_size = 64ull << 30;
	c->durability = BFS_DURABLE_SYNC;
	c->fsid = 1;
	c->max_bytes = 16ull << 30;
	c->max_files = 1u << 20;
	c->max_file_size = 1ull << 40;
	c->atime = BFS_ATIME_RELAXED;
	c->root_squash = false;
	c->anon_uid = 65534;
	c->anon_gid = 65534;
	c->root_mode = 0755;
	c->bucket_max = BFS_FS_BUCKET_MAX;
}

int bfs_super_put(struct bfs_fs *fs, MDB_txn *txn, const struct bfs_super *sb)
{
	uint8_t v[BFS_SUPER_LEN];
	bfs_super_encode(sb, v);
	return bfs_store_put(fs, txn, BFS_DB_META, super_key, sizeof(super_key) - 1,
			     v, sizeof(v));
}

static void super_from_config(const struct bfs_fs_config *c, struct bfs_super *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->version = BFS_FORMAT_VERSION;
	sb->block_size = BFS_BLOCK_SIZE;
	sb->fsid = c->fsid;
	sb->next_ino = BFS_ROOT_INO + 1;
	sb->used_inodes = 1;
	sb->max_bytes = c->max_bytes;
	sb->max_files = c->max_files;
	sb->max_file_size = c->max_file_size;
	sb->atime_mode = (uint32_t)c->atime;
	sb->root_squash = c->root_squash;
	sb->anon_uid = c->anon_uid;
	sb->anon_gid = c->anon_gid;
	sb->bucket_max = c->bucket_max;
	sb->bucket_key_id = bfs_bucket_key_id(c->bucket_key);
}

/* The replicated settings of c must equal those recorded at format time. */
static bool super_matches(const struct bfs_super *a, const struct bfs_super *b)
{
	return a->fsid == b->fsid && a->max_bytes == b->max_bytes &&
	       a->max_files == b->max_files && a->max_file_size == b->max_file_size &&
	       a->atime_mode == b->atime_mode && a->root_squash == b->root_squash &&
	       a->anon_uid == b->anon_uid && a->anon_gid == b->anon_gid &&
	       a->bucket_max == b->bucket_max && a->bucket_key_id == b->bucket_key_id;
}

static int format(struct bfs_fs *fs, MDB_txn *txn, const struct bfs_fs_config *c)
{
	super_from_config(c, &fs->super);
	int rc = bfs_super_put(fs, txn, &fs->super);
	if (rc != BFS_OK)
		return rc;
	struct bfs_inode root;
	memset(&root, 0, sizeof(root));
	root.ino = BFS_ROOT_INO;
	root.gen = BFS_ROOT_GEN;
	root.type = NF3DIR;
	root.mode = c->root_mode & 07777;
	root.nlink = 2;
	root.uid = c->root_uid;
	root.gid = c->root_gid;
	root.parent = BFS_ROOT_INO;
	root.next_cookie = BFS_COOKIE_FIRST;
	struct bfs_req r = { .fs = fs, .txn = txn, .sb = &fs->super, .writable = true };
	return bfs_inode_put(&r, &root);
}

int bfs_super_load(struct bfs_fs *fs, MDB_txn *txn, struct bfs_super *sb)
{
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, BFS_DB_META, super_key, sizeof(super_key) - 1,
			       &v, &found);
	if (rc != BFS_OK)
		return rc;
	return found ? bfs_super_decode(v.mv_data, v.mv_size, sb) : BFS_E_CORRUPT;
}

/* The agreed time of the last executed batch: replicated, so a state
 * transfer carries it (bft_service.transfer_end). 0 before any batch. */
int bfs_clock_get(struct bfs_fs *fs, MDB_txn *txn, uint64_t *time_us)
{
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, BFS_DB_META, clock_key, sizeof(clock_key) - 1,
			       &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (found && v.mv_size != 8)
		return BFS_E_CORRUPT;
	*time_us = found ? bfs_get_le64(v.mv_data) : 0;
	return BFS_OK;
}

int bfs_last_seq_put(struct bfs_fs *fs, MDB_txn *txn, uint64_t seq)
{
	uint8_t v[8];
	bfs_put_le64(v, seq);
	return bfs_store_put(fs, txn, BFS_DB_LOCAL, last_seq_key, sizeof(last_seq_key) - 1,
			     v, sizeof(v));
}

static int load(struct bfs_fs *fs, MDB_txn *txn, const struct bfs_fs_config *c,
		bool *fresh)
{
	MDB_val v;
	bool found;
	int rc = bfs_store_get(fs, txn, BFS_DB_META, super_key, sizeof(super_key) - 1,
			       &v, &found);
	if (rc != BFS_OK)
		return rc;
	*fresh = !found;
	if (!found) {
		rc = format(fs, txn, c);
		return rc == BFS_OK ? bfs_digest_objects(fs, txn) : rc;
	}
	rc = bfs_super_decode(v.mv_data, v.mv_size, &fs->super);
	if (rc != BFS_OK)
		return rc;
	struct bfs_super want;
	super_from_config(c, &want);
	if (!super_matches(&fs->super, &want))
		return BFS_E_CONFIG;
	rc = bfs_store_get(fs, txn, BFS_DB_LOCAL, last_seq_key, sizeof(last_seq_key) - 1,
			   &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (found && v.mv_size == 8)
		fs->last_seq = bfs_get_le64(v.mv_data);
	return BFS_OK;
}

static unsigned int env_flags(enum bfs_durability d)
{
	unsigned int f = MDB_WRITEMAP | MDB_NOTLS | MDB_NORDAHEAD;
	if (d == BFS_DURABLE_NOMETASYNC)
		f |= MDB_NOMETASYNC;
	else if (d == BFS_DURABLE_ASYNC)
		f |= MDB_NOSYNC;
	return f;
}

static int open_env(struct bfs_fs *fs, const struct bfs_fs_config *c)
{
	int rc = mdb_env_create(&fs->env);
	if (rc != 0)
		return bfs_storage_error(fs, "mdb_env_create", rc);
	if ((rc = mdb_env_set_maxdbs(fs->env, BFS_DB_COUNT)) != 0 ||
	    (rc = mdb_env_set_mapsize(fs->env, (size_t)c->map_size)) != 0)
		return bfs_storage_error(fs, "mdb_env_set", rc);
	rc = mdb_env_open(fs->env, c->path, env_flags(c->durability), 0600);
	if (rc != 0)
		return bfs_storage_error(fs, c->path, rc);
	return BFS_OK;
}

static int open_dbs(struct bfs_fs *fs, MDB_txn *txn)
{
	for (int i = 0; i < BFS_DB_COUNT; i++) {
		int rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &fs->dbi[i]);
		if (rc != 0)
			return bfs_storage_error(fs, db_names[i], rc);
	}
	return BFS_OK;
}

static bool config_valid(const struct bfs_fs_config *c)
{
	return c->path != NULL && c->map_size >= (1u << 20) &&
	       c->max_file_size >= BFS_BLOCK_SIZE && c->max_file_size <= INT64_MAX &&
	       c->max_files >= 1 && (unsigned)c->atime <= BFS_ATIME_STRICT &&
	       (unsigned)c->durability <= BFS_DURABLE_ASYNC &&
	       c->bucket_max >= BFS_BUCKET_MAX_MIN && c->bucket_max <= BFS_FS_BUCKET_MAX;
}

int bfs_fs_open(const struct bfs_fs_config *c, struct bfs_fs **out)
{
	if (!config_valid(c))
		return BFS_E_CONFIG;
	struct bfs_fs *fs = calloc(1, sizeof(*fs));
	if (fs == NULL)
		return BFS_E_NOMEM;
	fs->durability = c->durability;
	memcpy(fs->bucket_key, c->bucket_key, sizeof(fs->bucket_key));
	fs->arena = malloc(BFS_ARENA_SIZE);
	int rc = fs->arena == NULL ? BFS_E_NOMEM : open_env(fs, c);
	if (rc != BFS_OK)
		goto fail;
	MDB_txn *txn;
	int mrc = mdb_txn_begin(fs->env, NULL, 0, &txn);
	if (mrc != 0) {
		rc = bfs_storage_error(fs, "mdb_txn_begin", mrc);
		goto fail;
	}
	bool fresh = false;
	rc = open_dbs(fs, txn);
	if (rc == BFS_OK)
		rc = load(fs, txn, c, &fresh);
	if (rc != BFS_OK) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((mrc = mdb_txn_commit(txn)) != 0) {
		rc = bfs_storage_error(fs, "mdb_txn_commit", mrc);
		goto fail;
	}
	fs->tree_stale = true; /* the stale set may hold changes of a past run */
	*out = fs;
	return BFS_OK;
fail:
	bfs_fs_close(fs);
	return rc;
}

void bfs_fs_close(struct bfs_fs *fs)
{
	if (fs == NULL)
		return;
	bfs_fs_batch_abort(fs);
	bfs_fs_transfer_abort(fs);
	bfs_snap_release_all(fs);
	if (fs->env != NULL)
		mdb_env_close(fs->env);
	free(fs->arena);
	bfs_digest_forget(fs);
	bft_wipe(fs->bucket_key, sizeof(fs->bucket_key));
	free(fs);
}

struct bfs_time bfs_time_from_us(uint64_t us)
{
	return (struct bfs_time){ (uint32_t)(us / 1000000u),
				  (uint32_t)(us % 1000000u) * 1000u };
}

int bfs_fs_batch_begin(struct bfs_fs *fs, uint64_t seq, uint64_t time_us)
{
	if (fs->wtxn != NULL || fs->xtxn != NULL)
		return BFS_E_STATE;
	int rc = mdb_txn_begin(fs->env, NULL, 0, &fs->wtxn);
	if (rc != 0) {
		fs->wtxn = NULL;
		return bfs_storage_error(fs, "batch begin", rc);
	}
	fs->batch_seq = seq;
	fs->batch_time_us = time_us;
	fs->batch_time = bfs_time_from_us(time_us);
	fs->wsuper = fs->super;
	return BFS_OK;
}

int bfs_fs_execute(struct bfs_fs *fs, const uint8_t *op, uint32_t op_len,
		   uint8_t *result, uint32_t cap, uint32_t *result_len)
{
	if (fs->wtxn == NULL)
		return BFS_E_STATE;
	int rc = bfs_exec(fs, fs->wtxn, true, op, op_len, result, cap, result_len);
	if (rc < 0)
		bfs_fs_batch_abort(fs);
	return rc;
}

int bfs_fs_batch_end(struct bfs_fs *fs, uint64_t seq)
{
	if (fs->wtxn == NULL || seq != fs->batch_seq)
		return BFS_E_STATE;
	int rc = BFS_OK;
	if (memcmp(&fs->wsuper, &fs->super, sizeof(fs->super)) != 0)
		rc = bfs_super_put(fs, fs->wtxn, &fs->wsuper);
	uint8_t v[8];
	bfs_put_le64(v, fs->batch_time_us);
	if (rc == BFS_OK)
		rc = bfs_store_put(fs, fs->wtxn, BFS_DB_META, clock_key,
				   sizeof(clock_key) - 1, v, sizeof(v));
	if (rc == BFS_OK)
		rc = bfs_last_seq_put(fs, fs->wtxn, seq);
	if (rc == BFS_OK)
		rc = bfs_digest_objects(fs, fs->wtxn); /* the changed objects' digests */
	if (rc != BFS_OK) {
		bfs_fs_batch_abort(fs);
		return rc;
	}
	int mrc = mdb_txn_commit(fs->wtxn);
	fs->wtxn = NULL;
	if (mrc != 0) {
		bfs_digest_forget(fs); /* the kept digests are of what did not commit */
		return bfs_storage_error(fs, "batch commit", mrc);
	}
	fs->super = fs->wsuper;
	fs->last_seq = seq;
	fs->tree_stale = true;
	return BFS_OK;
}

void bfs_fs_batch_abort(struct bfs_fs *fs)
{
	if (fs->wtxn == NULL)
		return;
	mdb_txn_abort(fs->wtxn);
	fs->wtxn = NULL;
}

/* Open a read-only transaction on the committed state. */
static int open_read_txn(struct bfs_fs *fs, MDB_txn **txn)
{
	int rc = mdb_txn_begin(fs->env, NULL, MDB_RDONLY, txn);
	if (rc != 0)
		return bfs_storage_error(fs, "read txn", rc);
	return BFS_OK;
}

int bfs_fs_execute_ro(struct bfs_fs *fs, const uint8_t *op, uint32_t op_len,
		      uint8_t *result, uint32_t cap, uint32_t *result_len)
{
	MDB_txn *txn;
	int rc = open_read_txn(fs, &txn);
	if (rc != BFS_OK)
		return rc;
	rc = bfs_exec(fs, txn, false, op, op_len, result, cap, result_len);
	mdb_txn_abort(txn);
	return rc;
}

int bfs_fs_checkpoint(struct bfs_fs *fs, uint8_t digest[BFS_FS_DIGEST_LEN])
{
	if (fs->wtxn != NULL || fs->xtxn != NULL)
		return BFS_E_STATE;
	MDB_txn *txn;
	int rc = mdb_txn_begin(fs->env, NULL, 0, &txn);
	if (rc != 0)
		return bfs_storage_error(fs, "checkpoint txn", rc);
	int brc = bfs_digest_checkpoint(fs, txn, digest);
	if (brc != BFS_OK) {
		mdb_txn_abort(txn);
		return brc;
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		bfs_digest_forget(fs);
		return bfs_storage_error(fs, "checkpoint commit", rc);
	}
	fs->tree_stale = false;
	return BFS_OK;
}

int bfs_fs_sync(struct bfs_fs *fs)
{
	int rc;

	if (fs->durability != BFS_DURABLE_SYNC && (rc = mdb_env_sync(fs->env, 1)) != 0)
		return bfs_storage_error(fs, "sync", rc);
	return BFS_OK;
}

int bfs_fs_digest_full(struct bfs_fs *fs, uint8_t digest[BFS_FS_DIGEST_LEN])
{
	MDB_txn *txn;
	int rc = open_read_txn(fs, &txn);
	if (rc != BFS_OK)
		return rc;
	rc = bfs_digest_full(fs, txn, digest);
	mdb_txn_abort(txn);
	return rc;
}

uint64_t bfs_fs_last_seq(const struct bfs_fs *fs)
{
	return fs->last_seq;
}

int bfs_fs_last_batch(struct bfs_fs *fs, uint64_t *seq, uint64_t *time_us)
{
	MDB_txn *txn;
	int rc = open_read_txn(fs, &txn);

	if (rc != BFS_OK)
		return rc;
	rc = bfs_clock_get(fs, txn, time_us);
	mdb_txn_abort(txn);
	*seq = fs->last_seq;
	return rc;
}

void bfs_fs_root_fh(const struct bfs_fs *fs, uint8_t fh[BFS_FS_FH_LEN])
{
	(void)fs;
	bfs_fh_encode(BFS_ROOT_INO, BFS_ROOT_GEN, fh);
}
