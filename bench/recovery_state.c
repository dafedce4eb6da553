/*
 * recovery_state.c — see recovery_state.h. The comparison walks the two
 * partition trees top-down exactly as a fetching replica does (TOCS '02
 * §5.3.2), descending only where children digests differ, but through the
 * file system API (bfs_fs_children, bfs_fs_leaf_get) on stopped replicas'
 * states: an independent measure of what a transfer had to move.
 *
 * Opens states only after their replicas stopped, or copies (LMDB read
 * transaction, mdb_env_copy2) of a frozen one; never writes a replica's
 * own directory except through bfs_fs_open's open transaction.
 */
#include <stdio.h>
#include <string.h>

#include <lmdb.h>

#include "bft/crypto.h"

#include "bfs/error.h"
#include "bfs/fs.h"
#include "bfs/fs_cluster.h"
#include "recovery_state.h"

#define DL BFS_FS_DIGEST_LEN
#define FAN BFS_FS_TREE_FANOUT

static const uint8_t zero[DL];

int recovery_copy_state(const char *from, const char *to)
{
	MDB_env *env = NULL;
	int rc = mdb_env_create(&env);

	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 32);
	if (rc == 0)
		rc = mdb_env_open(env, from, MDB_RDONLY | MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_env_copy2(env, to, MDB_CP_COMPACT);
	if (env)
		mdb_env_close(env);
	if (rc != 0)
		fprintf(stderr, "bfs-bench recovery: copying %s: %s\n", from, mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "bfs-bench recovery: %s\n", msg);
}

static int open_state(const struct bft_config *cfg, const char *dir, struct bfs_fs **fs)
{
	struct bfs_fs_config c;
	int rc = bfs_fs_config_from_cluster(cfg, &c, diag, NULL);

	c.path = dir;
	if (rc == 0 && (rc = bfs_fs_open(&c, fs)) != BFS_OK)
		fprintf(stderr, "bfs-bench recovery: opening the state in %s: %s\n", dir,
			bfs_strerror(rc));
	bft_wipe(c.bucket_key, sizeof(c.bucket_key));
	return rc == 0 ? 0 : -1;
}

struct walk {
	struct bfs_fs *target, *base; /* base NULL: every leaf */
	struct recovery_leaves *d;
	int err;
};

static void walk(struct walk *w, uint32_t level, uint64_t index, const uint8_t *dt,
		 const uint8_t *db)
{
	uint8_t kt[FAN][DL], kb[FAN][DL];
	uint32_t len, total;
	uint8_t none;

	if (w->err || !memcmp(dt, zero, DL) || (w->base && !memcmp(dt, db, DL)))
		return;
	if (level == BFS_FS_TREE_DEPTH) {
		w->err = bfs_fs_leaf_get(w->target, 0, index, 0, &none, 0, &len, &total);
		w->d->leaves++;
		w->d->bytes += total;
		return;
	}
	w->err = bfs_fs_children(w->target, 0, level, index, kt);
	memset(kb, 0, sizeof(kb));
	if (!w->err && w->base)
		w->err = bfs_fs_children(w->base, 0, level, index, kb);
	for (uint32_t j = 0; j < FAN && !w->err; j++)
		walk(w, level + 1, index * FAN + j, kt[j], kb[j]);
}

int recovery_compare(const struct bft_config *cfg, const char *target, const char *base,
		     struct recovery_leaves *diff)
{
	struct walk w = { .d = diff };
	uint8_t rt[DL], rb[DL];

	memset(diff, 0, sizeof(*diff));
	memset(rb, 0, sizeof(rb));
	if (open_state(cfg, target, &w.target) != 0)
		return -1;
	if (base && open_state(cfg, base, &w.base) != 0) {
		bfs_fs_close(w.target);
		return -1;
	}
	w.err = bfs_fs_checkpoint(w.target, rt);
	if (!w.err && w.base)
		w.err = bfs_fs_checkpoint(w.base, rb);
	if (!w.err)
		walk(&w, 0, 0, rt, rb);
	if (w.err)
		fprintf(stderr, "bfs-bench recovery: comparing states: %s\n",
			bfs_strerror(w.err));
	bfs_fs_close(w.target);
	bfs_fs_close(w.base);
	return w.err ? -1 : 0;
}
