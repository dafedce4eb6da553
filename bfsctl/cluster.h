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

#endif
