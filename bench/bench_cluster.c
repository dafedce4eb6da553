/*
 * bench_cluster.c — the benchmark's own local cluster (bench_cluster.h):
 * bft_local_cluster_write (the bfsctl init logic) into a mkdtemp directory,
 * 4 `bfsd --service null` + `bfsd --unreplicated` started through procs.h,
 * all stopped and removed at the end (OSDI '99 §6.1 set-up, on loopback).
 *
 * Must never leave a process or the temporary directory behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/config.h"
#include "bench_cluster.h"
#include "procs.h"

#define N_REPLICAS 4
#define N_PROCS (N_REPLICAS + 1) /* + the unreplicated server */
#define START_TRIES 3            /* port bases tried before giving up */

static char dir[] = "/tmp/bfs-bench-XXXXXX";
static bool owned;
static bool keep_dir; /* a failed start keeps the logs for the user */
static pid_t pids[N_PROCS];

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "bfs-bench: %s\n", msg);
}

bool bench_cluster_owned(void)
{
	return owned;
}

static void stop_procs(void)
{
	int i;

	for (i = 0; i < N_PROCS; i++) {
		procs_stop(pids[i], 2000);
		pids[i] = 0;
	}
}

void bench_cluster_stop(void)
{
	if (!owned)
		return;
	stop_procs();
	if (!keep_dir)
		procs_rmtree(dir);
	owned = false;
}

bool bench_cluster_kill(uint32_t id)
{
	if (!owned || id >= N_REPLICAS || pids[id] <= 0)
		return false;
	procs_kill(pids[id]);
	pids[id] = 0;
	return true;
}

static uint64_t schedstat_us(const char *path)
{
	unsigned long long run_ns = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run_ns) != 1)
		run_ns = 0;
	fclose(f);
	return run_ns / 1000u;
}

uint64_t bench_cluster_cpu_us(void)
{
	char path[64];
	uint64_t sum = 0;
	int i;

	for (i = 0; owned && i < N_PROCS; i++) {
		if (pids[i] <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pids[i]);
		sum += schedstat_us(path);
	}
	return sum;
}

uint64_t bench_self_cpu_us(void)
{
	return schedstat_us("/proc/thread-self/schedstat");
}

/* Write the cluster into sub (a fresh sub-directory of dir) at base_port. */
static int write_cluster(const char *sub, uint16_t base_port)
{
	struct bft_local_cluster lc = { .dir = sub, .f = 1, .groups = 1,
					.ids_per_group = BENCH_CLUSTER_IDS,
					.host = "127.0.0.1", .base_port = base_port };

	return bft_local_cluster_write(&lc, diag, NULL) == 0 ? 0 : -1;
}

static int start_procs(const char *sub, const char *config, const char *const *args)
{
	const char *extra[5 + BENCH_CLUSTER_MAX_ARGS] = { "--log-level", "warn", "--service",
							  "null" };
	char bfsd[1024], log[1200];
	int i;

	for (i = 0; args && args[i] && i < (int)BENCH_CLUSTER_MAX_ARGS; i++)
		extra[4 + i] = args[i];

	procs_sibling("../bfsd/daemon/bfsd", bfsd, sizeof(bfsd));
	for (i = 0; i < N_PROCS; i++) {
		bool unrep = i == N_REPLICAS;

		snprintf(log, sizeof(log), "%s/%s%d.log", sub, unrep ? "unrep" : "replica", i);
		pids[i] = procs_start_bfsd(bfsd, config, unrep ? 0 : (uint32_t)i, unrep, log,
					   extra);
		if (pids[i] <= 0)
			return -1;
	}
	return 0;
}

int bench_cluster_start(char *config, size_t len, const char *const *bfsd_args)
{
	char sub[sizeof(dir) + 16];
	int t;

	if (owned || !mkdtemp(dir)) {
		fprintf(stderr, "bfs-bench: cannot create a temporary cluster directory\n");
		return -1;
	}
	owned = true;
	atexit(bench_cluster_stop);
	/* A busy port makes a bfsd fail to bind: try another base. */
	for (t = 0; t < START_TRIES; t++) {
		uint16_t base = (uint16_t)(20000 + ((unsigned)getpid() * 7 + (unsigned)t * 997) %
							   4000 * 10);

		snprintf(sub, sizeof(sub), "%s/c%d", dir, t);
		snprintf(config, len, "%s/bfs.conf", sub);
		if (write_cluster(sub, base) == 0 && start_procs(sub, config, bfsd_args) == 0)
			return 0;
		stop_procs();
	}
	keep_dir = true;
	fprintf(stderr, "bfs-bench: could not start a local cluster (logs in %s)\n", dir);
	return -1;
}
