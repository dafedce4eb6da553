/*
 * bench_cluster.c — the benchmark's own local cluster (bench_cluster.h):
 * bft_local_cluster_write (the bfsctl init logic) into a mkdtemp directory,
 * 4 `bfsd --service null` + `bfsd --unreplicated` (or 4 `bfsd --service
 * fs`) started through procs.h, all stopped and removed at the end (OSDI
 * '99 §6.1 set-up, on loopback).
 *
 * Must never leave a process or the temporary directory behind.
 */
#include <signal.h>
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
static char sub[sizeof(dir) + 16];  /* the started cluster's directory */
static char conf_path[sizeof(sub) + 16];
static const char *extra_args[5 + BENCH_CLUSTER_MAX_ARGS]; /* bfsd's extra arguments */
static struct bft_config *cfg;       /* loaded on demand */

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
	bft_config_free(cfg);
	cfg = NULL;
	if (!keep_dir)
		procs_rmtree(dir);
	owned = keep_dir = false;
	memcpy(dir + sizeof(dir) - 7, "XXXXXX", 6); /* a template again: another may start */
}

void bench_cluster_stop_replica(uint32_t id)
{
	if (!owned || id >= N_REPLICAS)
		return;
	procs_stop(pids[id], 3000);
	pids[id] = 0;
}

const struct bft_config *bench_cluster_config(void)
{
	if (owned && !cfg && bft_config_load(conf_path, diag, NULL, &cfg) != 0)
		cfg = NULL;
	return cfg;
}

void bench_cluster_keep(void)
{
	keep_dir = true;
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

/* Process i (a replica, or the unreplicated server at N_REPLICAS). */
static pid_t start_one(int i)
{
	char bfsd[1024], log[1200];
	bool unrep = i == N_REPLICAS;

	procs_sibling("../bfsd/daemon/bfsd", bfsd, sizeof(bfsd));
	snprintf(log, sizeof(log), "%s/%s%d.log", sub, unrep ? "unrep" : "replica", i);
	return procs_start_bfsd(bfsd, conf_path, unrep ? 0 : (uint32_t)i, unrep, log,
				extra_args);
}

static int start_procs(const struct bench_cluster_spec *s)
{
	int i, n = 0;

	/* info for the fs cluster: state transfer and status lines */
	extra_args[n++] = "--log-level";
	extra_args[n++] = strcmp(s->service, "fs") ? "warn" : "info";
	extra_args[n++] = "--service";
	extra_args[n++] = s->service;
	for (i = 0; s->bfsd_args && s->bfsd_args[i] && i < (int)BENCH_CLUSTER_MAX_ARGS; i++)
		extra_args[n++] = s->bfsd_args[i];
	extra_args[n] = NULL;
	for (i = 0; i < (s->unreplicated ? N_PROCS : N_REPLICAS); i++)
		if ((pids[i] = start_one(i)) <= 0)
			return -1;
	return 0;
}

/* Set K (and L = 2K) and the durability in the written config. */
static int tune(const struct bench_cluster_spec *s)
{
	char line[1100], *text = NULL;
	size_t n = 0, cap = 0;
	FILE *in = fopen(conf_path, "r"), *out;

	while (in && fgets(line, sizeof(line), in)) {
		if (s->checkpoint_interval && !strncmp(line, "checkpoint_interval", 19))
			snprintf(line, sizeof(line), "checkpoint_interval = %u\n",
				 s->checkpoint_interval);
		else if (s->checkpoint_interval && !strncmp(line, "log_window", 10))
			snprintf(line, sizeof(line), "log_window = %u\n", 2 * s->checkpoint_interval);
		else if (s->durability && !strncmp(line, "durability", 10))
			snprintf(line, sizeof(line), "durability = %s\n", s->durability);
		size_t l = strlen(line);
		if (n + l + 1 > cap) {
			char *t = realloc(text, cap = 2 * (n + l + 1));
			if (!t)
				break;
			text = t;
		}
		memcpy(text + n, line, l + 1);
		n += l;
	}
	if (in)
		fclose(in);
	out = text ? fopen(conf_path, "w") : NULL;
	int ok = out && fputs(text, out) >= 0;
	if (out && fclose(out) != 0)
		ok = 0;
	free(text);
	return ok ? 0 : -1;
}

int bench_cluster_start(char *config, size_t len, const char *const *bfsd_args)
{
	struct bench_cluster_spec s = { .service = "null", .unreplicated = true,
					.bfsd_args = bfsd_args };

	return bench_cluster_start_spec(config, len, &s);
}

const char *bench_cluster_dir(void)
{
	return owned ? sub : NULL;
}

bool bench_cluster_signal(uint32_t id, int sig)
{
	return owned && id < N_REPLICAS && pids[id] > 0 && kill(pids[id], sig) == 0;
}

bool bench_cluster_restart(uint32_t id, bool wipe)
{
	char data[sizeof(sub) + 32];

	if (!owned || id >= N_REPLICAS || pids[id] > 0)
		return false;
	if (wipe) {
		snprintf(data, sizeof(data), "%s/data/replica%u", sub, id);
		procs_rmtree(data);
	}
	pids[id] = start_one((int)id);
	return pids[id] > 0;
}

int bench_cluster_start_spec(char *config, size_t len, const struct bench_cluster_spec *spec)
{
	int t;

	static bool registered;

	if (owned || !mkdtemp(dir)) {
		fprintf(stderr, "bfs-bench: cannot create a temporary cluster directory\n");
		return -1;
	}
	owned = true;
	if (!registered)
		atexit(bench_cluster_stop);
	registered = true;
	/* A busy port makes a bfsd fail to bind: try another base. */
	for (t = 0; t < START_TRIES; t++) {
		uint16_t base = (uint16_t)(20000 + ((unsigned)getpid() * 7 + (unsigned)t * 997) %
							   4000 * 10);

		snprintf(sub, sizeof(sub), "%s/c%d", dir, t);
		snprintf(conf_path, sizeof(conf_path), "%s/bfs.conf", sub);
		snprintf(config, len, "%s", conf_path);
		if (write_cluster(sub, base) == 0 && tune(spec) == 0 && start_procs(spec) == 0)
			return 0;
		stop_procs();
	}
	keep_dir = true;
	fprintf(stderr, "bfs-bench: could not start a local cluster (logs in %s)\n", dir);
	return -1;
}
