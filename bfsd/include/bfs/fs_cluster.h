/*
 * bfs/fs_cluster.h — the file system configuration (bfs/fs.h) of a replica
 * of a cluster: the [fs] section and the durability of the cluster
 * configuration (bft/config.h, doc/config.md), and the bucket key read
 * from [fs] bucket_key_file. One mapping for bfsd, the integration tests
 * and the benchmarks, so that every one of them opens a replica's state
 * with the settings it was formatted with.
 */
#ifndef BFS_FS_CLUSTER_H
#define BFS_FS_CLUSTER_H

#include "bft/config.h"

#include "bfs/fs.h"

/* Fill c from cfg (c->path stays NULL). Without bucket_key_file the key is
 * all zeros. 0, or the key file's error (a sentence went to diag). The
 * caller wipes c->bucket_key (bft_wipe) when done. */
int bfs_fs_config_from_cluster(const struct bft_config *cfg, struct bfs_fs_config *c,
			       bft_diag_fn diag, void *diag_data);

#endif
