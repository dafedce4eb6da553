/*
 * cluster.h — bfsctl up / down: a local cluster's processes (cluster.c).
 * Both return a process exit status and print what they did.
 */
#ifndef BFSCTL_CLUSTER_H
#define BFSCTL_CLUSTER_H

/* Start DIR/bfs.conf's replicas (bfsd --service fs) and nfsproxy; the
 * programs default to the build tree's siblings of bfsctl. */
int cluster_up(const char *dir, const char *bfsd, const char *nfsproxy);
int cluster_down(const char *dir);

/* mount.c: mount DIR's cluster at mountpoint with bfs-mount (bft:), and
 * unmount what cluster_mount mounted (a no-op if nothing is). */
int cluster_mount(const char *dir, const char *mountpoint, const char *bfs_mount);
int cluster_unmount(const char *dir);

#endif
