/*
 * bench_cluster.h — the local cluster a benchmark owns when it is given no
 * configuration: a fresh bfsctl-init style cluster (bft/config.h,
 * bft_local_cluster_write) in a temporary directory, 3f+1 `bfsd --service
 * null` replicas and `bfsd --unreplicated` on loopback (OSDI '99 §6.1: the
 * NO-REP baseline runs the same service without replication); or, for the
 * recovery benchmark, 3f+1 `bfsd --service fs` replicas alone, with
 * replicas it can freeze, kill and restart.
 *
 * Must never leave processes or files behind: children die with the
 * benchmark (procs.h, PDEATHSIG) and bench_cluster_stop() also runs at exit.
 */
#ifndef BFS_BENCH_CLUSTER_H
#define BFS_BENCH_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bft/config.h"

#define BENCH_CLUSTER_IDS 256u /* logical client ids of the bench's group */

#define BENCH_CLUSTER_MAX_ARGS 8 /* extra bfsd arguments */

/* Write the cluster (f = 1, one client group of BENCH_CLUSTER_IDS ids) and
 * start its processes with bfsd_args (NULL-terminated, at most
 * BENCH_CLUSTER_MAX_ARGS, may be NULL) added to every bfsd command line;
 * the config path goes to config[len]. 0, or -1 with a sentence on stderr.
 * At most one owned cluster per process. */
int bench_cluster_start(char *config, size_t len, const char *const *bfsd_args);

/* What bench_cluster_start_spec starts. */
struct bench_cluster_spec {
	const char *service;            /* "null" or "fs" */
	bool unreplicated;              /* also bfsd --unreplicated */
	uint32_t checkpoint_interval;   /* K (0: the config's default) */
	const char *durability;         /* NULL: the config's default (sync) */
	const char *const *bfsd_args;   /* as for bench_cluster_start */
};
int bench_cluster_start_spec(char *config, size_t len, const struct bench_cluster_spec *s);

/* The directory of the owned cluster's config: logs are replicaI.log,
 * states data/replicaI. NULL without an owned cluster. */
const char *bench_cluster_dir(void);

/* Send sig to replica id (SIGSTOP, SIGCONT, SIGUSR1 ...). */
bool bench_cluster_signal(uint32_t id, int sig);

/* Start replica id again after bench_cluster_kill (wipe: on an empty data
 * directory, a new disk). Returns false if it did not become ready. */
bool bench_cluster_restart(uint32_t id, bool wipe);

/* SIGTERM replica id and wait for it (up to 3 s, then SIGKILL). */
void bench_cluster_stop_replica(uint32_t id);

/* The owned cluster's configuration, loaded once (NULL without one or if
 * it does not load); freed by bench_cluster_stop. */
const struct bft_config *bench_cluster_config(void);

/* Keep the directory (logs, states) when bench_cluster_stop runs. */
void bench_cluster_keep(void);

/* SIGTERM every process still running, remove the directory. Idempotent. */
void bench_cluster_stop(void);

/* SIGKILL replica id (a crash, as in the paper's fault experiments).
 * Returns false if there is no such running replica. */
bool bench_cluster_kill(uint32_t id);

/* CPU time (µs, from /proc/PID/schedstat) the owned cluster's running
 * processes have used so far; 0 without an owned cluster. */
uint64_t bench_cluster_cpu_us(void);

/* CPU time of the calling process's thread (µs). */
uint64_t bench_self_cpu_us(void);

/* Whether this process owns a cluster. */
bool bench_cluster_owned(void);

#endif
