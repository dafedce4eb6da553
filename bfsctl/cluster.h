/*
 * cluster.h — bfsctl up / down: a local cluster's processes (cluster.c).
 * Both return a process exit status and print what they did.
 */
#ifndef BFSCTL_CLUSTER_H
#define BFSCTL_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start DIR/bfs.conf's replicas (bfsd --service fs) and nfsproxy; the
 * programs default to the build tree's siblings of bfsctl. */
int cluster_up(const char *dir, const char *bfsd, const char *nfsproxy);
int cluster_down(const char *dir);

/* Start replica id of DIR exactly as cluster_up does (plus --recover if
 * recover) unless it runs; false (a sentence on stderr) if it did not
 * start. */
bool cluster_up_replica(const char *dir, const char *bfsd, uint32_t id, bool recover);
/* The pid of replica id if its pid file names a live bfsd, else 0. */
pid_t cluster_replica_pid(const char *dir, uint32_t id);
/* Stop replica id like cluster_down does (SIGTERM, 5 s, SIGKILL) and
 * remove its pid file; false if it was not running. */
bool cluster_stop_replica(const char *dir, uint32_t id);

/* status.c: `bfsctl status --dir DIR` (exit status 1 if a replica is down
 * or its status file stale) and the status file reader for recover.c. */
int cluster_status(const char *dir);
/* recover.c: `bfsctl recover` of replica id, or of all (id < 0) in turn,
 * forever every `every` seconds if every > 0. */
int cluster_recover(const char *dir, const char *bfsd, int id, unsigned timeout_s,
		    unsigned every_s);

/* mount.c: mount DIR's cluster at mountpoint with bfs-mount (bft:), and
 * unmount what cluster_mount mounted (a no-op if nothing is). */
int cluster_mount(const char *dir, const char *mountpoint, const char *bfs_mount);
int cluster_unmount(const char *dir);

#endif
