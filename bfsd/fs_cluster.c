/*
 * fs_cluster.c — a cluster replica's file system configuration
 * (bfs/fs_cluster.h): the replicated [fs] settings, which must be the same
 * on every replica (DESIGN.md "Determinism": limits come from configured,
 * replicated values), the durability from [cluster], and the bucket key.
 * Reads nothing but the key file.
 */
#include "bft/config.h"

#include "bfs/fs_cluster.h"

_Static_assert(BFT_CFG_BUCKET_KEY_LEN == BFS_FS_BUCKET_KEY_LEN, "one bucket key size");

static enum bfs_durability durability(enum bft_durability d)
{
	switch (d) {
	case BFT_DURABILITY_NOMETASYNC:
		return BFS_DURABLE_NOMETASYNC;
	case BFT_DURABILITY_ASYNC:
		return BFS_DURABLE_ASYNC;
	case BFT_DURABILITY_SYNC:
	default:
		return BFS_DURABLE_SYNC;
	}
}

int bfs_fs_config_from_cluster(const struct bft_config *cfg, struct bfs_fs_config *c,
			       bft_diag_fn diag, void *diag_data)
{
	bfs_fs_config_default(c);
	c->durability = durability(cfg->durability);
	c->fsid = cfg->fs.fsid;
	c->max_bytes = cfg->fs.max_bytes;
	c->max_files = cfg->fs.max_files;
	c->max_file_size = cfg->fs.max_file_size;
	c->atime = cfg->fs.atime_strict ? BFS_ATIME_STRICT : BFS_ATIME_RELAXED;
	c->root_squash = cfg->fs.root_squash;
	c->anon_uid = cfg->fs.anon_uid;
	c->anon_gid = cfg->fs.anon_gid;
	if (!cfg->fs.bucket_key_file[0])
		return 0;
	return bft_secret_file_read(cfg->fs.bucket_key_file, "bucket-key", c->bucket_key,
				    sizeof(c->bucket_key), diag, diag_data);
}
