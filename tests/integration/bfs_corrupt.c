/*
 * bfs_corrupt.c — bfs-corrupt, a test-only tool (never installed): the
 * "hidden corruption" a compromised replica can leave behind, for the
 * proactive recovery tests (TOCS '02 §4.3.2, doc/design.md "Proactive
 * recovery: operations").
 *
 *   bfs-corrupt --config FILE --id I [--path /DIR/FILE] [--bytes N]
 *
 * Opens the LMDB state of replica I (data_dir/replicaI of FILE; the replica
 * must be stopped), finds a regular file — the one at --path, or else the
 * first regular file with data in inode order — and flips (XOR 0xff) N
 * bytes (default 16, at most 4096) of its first data block directly in
 * LMDB: the stored object, bucket and tree digests are left as they were,
 * so the replica's own checkpoints keep claiming the old data. Prints one
 * line saying what it changed; exit status 1 with a sentence on stderr if
 * there is nothing to corrupt or the state does not open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/config.h"
#include "bfs/bytes.h"
#include "bfs/error.h"
#include "bfs/fs_cluster.h"
#include "fs_internal.h"

#define MAX_FLIP 4096u

static void usage(void)
{
	fprintf(stderr, "usage: bfs-corrupt --config FILE --id I [--path /DIR/FILE] "
		"[--bytes N]\n");
	exit(2);
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "bfs-corrupt: %s\n", msg);
}

static int fail(const char *what)
{
	fprintf(stderr, "bfs-corrupt: %s\n", what);
	return 1;
}

/* The inode of *ino (decoded into in). */
static int inode_get(struct bfs_fs *fs, MDB_txn *txn, uint64_t ino, struct bfs_inode *in)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, v;
	bfs_put_be64(key, ino);
	if (mdb_get(txn, fs->dbi[BFS_DB_INODES], &k, &v) != 0)
		return BFS_E_NOENT;
	return bfs_inode_decode(ino, v.mv_data, v.mv_size, in);
}

/* Follow path's components from the root through the dirents. */
static int resolve(struct bfs_fs *fs, MDB_txn *txn, const char *path, uint64_t *ino)
{
	char name[BFS_NAME_MAX + 1];
	uint8_t key[8 + BFS_NAME_MAX];
	*ino = BFS_ROOT_INO;
	while (*path) {
		size_t len = strcspn(path, "/");
		if (len == 0) {
			path++;
			continue;
		}
		if (len > BFS_NAME_MAX)
			return BFS_E_INVAL;
		memcpy(name, path, len);
		name[len] = '\0';
		path += len;
		MDB_val k = { bfs_key_ino_name(key, *ino, name, len), key }, v;
		uint64_t cookie;
		if (mdb_get(txn, fs->dbi[BFS_DB_DIRENTS], &k, &v) != 0 ||
		    bfs_dirent_val_decode(v.mv_data, v.mv_size, ino, &cookie) != BFS_OK)
			return BFS_E_NOENT;
	}
	return BFS_OK;
}

/* The first regular file with a data block, in inode order. */
static int first_file(struct bfs_fs *fs, MDB_txn *txn, uint64_t *ino)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct bfs_inode in;
	int rc = mdb_cursor_open(txn, fs->dbi[BFS_DB_INODES], &cur);
	if (rc != 0)
		return BFS_E_STORAGE;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		*ino = bfs_get_be64(k.mv_data);
		if (bfs_inode_decode(*ino, v.mv_data, v.mv_size, &in) == BFS_OK &&
		    in.type == NF3REG && in.nblocks > 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == 0 ? BFS_OK : BFS_E_NOENT;
}

/* Flip n bytes of ino's first stored block; *block, *at, *len say where. */
static int flip(struct bfs_fs *fs, MDB_txn *txn, uint64_t ino, uint32_t n, uint64_t *block,
		uint32_t *at, uint32_t *len)
{
	static uint8_t buf[BFS_BLOCK_SIZE];
	uint8_t key[16];
	MDB_cursor *cur;
	MDB_val k = { sizeof(key), key }, v;
	int rc;
	bfs_key_ino_u64(key, ino, 0);
	if (mdb_cursor_open(txn, fs->dbi[BFS_DB_BLOCKS], &cur) != 0)
		return BFS_E_STORAGE;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	mdb_cursor_close(cur);
	if (rc != 0 || k.mv_size != 16 || bfs_get_be64(k.mv_data) != ino || v.mv_size == 0 ||
	    v.mv_size > sizeof(buf))
		return BFS_E_NOENT;
	*block = bfs_get_be64((const uint8_t *)k.mv_data + 8);
	*len = (uint32_t)v.mv_size;
	if (n > *len)
		n = *len;
	*at = (*len - n) / 2;
	memcpy(buf, v.mv_data, *len);
	for (uint32_t i = 0; i < n; i++)
		buf[*at + i] ^= 0xff;
	bfs_key_ino_u64(key, ino, *block);
	k = (MDB_val){ sizeof(key), key };
	v = (MDB_val){ *len, buf };
	return mdb_put(txn, fs->dbi[BFS_DB_BLOCKS], &k, &v, 0) == 0 ? BFS_OK : BFS_E_STORAGE;
}

static int corrupt(struct bfs_fs *fs, const char *path, uint32_t n, uint32_t id)
{
	MDB_txn *txn;
	struct bfs_inode in;
	uint64_t ino = 0, block = 0;
	uint32_t at = 0, len = 0;
	if (mdb_txn_begin(fs->env, NULL, 0, &txn) != 0)
		return fail("cannot begin an LMDB write transaction");
	int rc = path ? resolve(fs, txn, path, &ino) : first_file(fs, txn, &ino);
	if (rc == BFS_OK)
		rc = inode_get(fs, txn, ino, &in);
	if (rc == BFS_OK && in.type != NF3REG)
		rc = BFS_E_INVAL;
	if (rc == BFS_OK)
		rc = flip(fs, txn, ino, n, &block, &at, &len);
	if (rc != BFS_OK || mdb_txn_commit(txn) != 0) {
		if (rc != BFS_OK)
			mdb_txn_abort(txn);
		fprintf(stderr, "bfs-corrupt: replica %u: %s: no regular file with data to "
			"corrupt (%s)\n", id, path ? path : "first regular file",
			bfs_strerror(rc != BFS_OK ? rc : BFS_E_STORAGE));
		return 1;
	}
	printf("replica %u: %s (ino %llu, %llu bytes): block %llu bytes %u..%u of %u flipped; "
	       "digests untouched\n", id, path ? path : "first regular file",
	       (unsigned long long)ino, (unsigned long long)in.size, (unsigned long long)block,
	       at, at + (n < len ? n : len) - 1, len);
	return 0;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *path = NULL;
	long id = -1, n = 16;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--config"))
			config = argv[i + 1];
		else if (!strcmp(argv[i], "--id"))
			id = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--path"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--bytes"))
			n = strtol(argv[i + 1], NULL, 10);
		else
			usage();
	}
	if (!config || id < 0 || argc % 2 == 0 || n < 1 || n > (long)MAX_FLIP)
		usage();
	struct bft_config *cfg;
	if (bft_config_load(config, diag, NULL, &cfg) != 0)
		return 1;
	if ((uint64_t)id >= cfg->n) {
		bft_config_free(cfg);
		return fail("--id is not a replica of this configuration");
	}
	char dir[BFT_CONFIG_PATH_MAX + 32];
	struct bfs_fs_config fc;
	struct bfs_fs *fs;
	snprintf(dir, sizeof(dir), "%s/replica%ld", cfg->data_dir, id);
	int rc = bfs_fs_config_from_cluster(cfg, &fc, diag, NULL);
	bft_config_free(cfg);
	if (rc != 0)
		return 1;
	fc.path = dir;
	rc = bfs_fs_open(&fc, &fs);
	if (rc != BFS_OK) {
		fprintf(stderr, "bfs-corrupt: cannot open %s: %s\n", dir, bfs_strerror(rc));
		return 1;
	}
	rc = corrupt(fs, path, (uint32_t)n, (uint32_t)id);
	bfs_fs_close(fs);
	return rc;
}
