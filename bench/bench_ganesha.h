/*
 * bench_ganesha.h — nfs-ganesha (FSAL VFS) as the benchmarks' "NFS-std"
 * baseline (OSDI '99 §6.3 compares BFS with the standard NFS server): a
 * temporary directory exported over NFSv3 on 127.0.0.1 at given ports,
 * with rpcbind started first if none runs (ganesha needs it) and
 * `Graceless = true` so it serves at once.
 *
 * Must never leave a process behind: ganesha and rpcbind are children that
 * die with the benchmark (procs_spawn); bench_ganesha_stop() stops them.
 */
#ifndef BFS_BENCH_GANESHA_H
#define BFS_BENCH_GANESHA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct bench_ganesha {
	char dir[64];     /* temporary: ganesha.conf, ganesha.log, export/ */
	char export[128]; /* the exported directory (the MOUNT path) */
	uint16_t nfs_port, mount_port;
	pid_t pid, rpcbind_pid;
	bool failed; /* a failed start keeps dir (its log) for the user */
};

/* Start ganesha serving NFSv3 on nfs_port and MOUNT on mount_port (NLM and
 * RQUOTA take the two ports above nfs_port in its config, both disabled),
 * and wait up to 15 s for both ports. Returns false with a sentence on
 * stderr; g->dir then holds the log and bench_ganesha_stop keeps it. */
bool bench_ganesha_start(struct bench_ganesha *g, uint16_t nfs_port, uint16_t mount_port);

/* Stop ganesha and the rpcbind we started; remove g->dir unless keep or
 * the start failed.
 * Idempotent. */
void bench_ganesha_stop(struct bench_ganesha *g, bool keep);

/* Whether something accepts TCP connections on 127.0.0.1:port. */
bool bench_port_open(uint16_t port);

#endif
