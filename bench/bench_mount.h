/*
 * bench_mount.h — a file system mounted through bfs-mount (fuse-client/)
 * for a benchmark: `bfs-mount -f SOURCE MOUNTPOINT` as a child that dies
 * with the benchmark, usable once the mount point appears in
 * /proc/self/mountinfo (what `mountpoint -q` checks), taken down with
 * `fusermount3 -u` (or umount(2) when fusermount3 is missing and we are
 * root). SOURCE is `bft:CONFIG[,client=ID]` or `nfs://HOST[:PORT]/EXPORT`
 * with libnfs-style `?nfsport=N&mountport=M`.
 *
 * Must never wait unboundedly: a mount that does not appear, or a client
 * that does not exit after its unmount, is given up on and killed.
 */
#ifndef BFS_BENCH_MOUNT_H
#define BFS_BENCH_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bench_mount {
	char mnt[256];
	pid_t pid;    /* bfs-mount, or 0 */
	bool mounted; /* we mounted it and have not unmounted it yet */
};

/* Start bfs_mount for source on mnt (an existing empty directory), its
 * output appended to log, and wait up to 30 s for the mount. Returns true,
 * or false with a sentence in why[len] (nothing left running). */
bool bench_mount_start(struct bench_mount *m, const char *bfs_mount, const char *source,
		       const char *mnt, const char *log, char *why, size_t len);

/* Unmount and reap bfs-mount. Returns false if mnt is still mounted
 * (then nothing below it may be removed). Idempotent. */
bool bench_mount_stop(struct bench_mount *m);

/* Whether path is a mount point of this process's mount namespace. */
bool bench_is_mounted(const char *path);

#endif
