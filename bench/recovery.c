/*
 * recovery.c — `bfs-bench recovery` (recovery.h): a replica that missed
 * part of the history catches up by state transfer (Castro & Liskov, TOCS
 * '02 §5.3.2; issue 6), on an own local cluster of four `bfsd --service
 * fs` replicas (bench_cluster.h).
 *
 *   bfs-bench recovery [--mb N] [--base-mb N] [--variant lagging|new-disk|both]
 *                      [--replica I] [--lanes N] [--checkpoint-interval K]
 *                      [--durability sync|nometasync|async] [--timeout S]
 *                      [--json FILE]
 *
 * Per variant, on a fresh cluster: the client (bft/client.h; NFSv3 WRITEs
 * of 32 KiB encoded with bfs/op_xdr.h, --lanes in flight) writes --base-mb
 * into one file with every replica up; backup --replica goes down —
 * lagging: frozen (SIGSTOP), its socket buffer overflows as a long
 * partition would; new-disk: killed and its data directory deleted — while
 * --mb go into a second file; then it comes back (SIGCONT, or a restart on
 * the empty directory). The frozen replica's socket buffer is filled with
 * junk as it stops (procs_flood), so it loses what is sent while it is
 * down, as behind a partition; otherwise a short run would let it replay
 * its buffered backlog instead of fetching state. Catch-up time runs from that moment until the
 * replica's status line (bfsd logs one on SIGUSR1, polled every 20 ms)
 * shows it has executed as far as the others. The bytes it moved are what
 * its state-transfer log lines report as received (META-DATA and DATA
 * messages). Then every replica stops and the states are compared leaf by
 * leaf (recovery_state.c): the changed partitions are the leaves whose
 * digest differs between the replica's state when it came back (a copy of
 * the frozen state; an empty file system for a new disk) and replica 0's
 * final state; the whole state is every leaf of replica 0.
 *
 * A program that prints figures and JSON, never a test with thresholds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bft/client.h"
#include "bft/config.h"
#include "bft/error.h"
#include "bench_cluster.h"
#include "procs.h"
#include "recovery.h"
#include "recovery_state.h"
#include "recovery_write.h"

#define N_REPLICAS 4u
#define POLL_US 20000u        /* status polling period */

struct opts {
	double mb, base_mb;
	bool lagging, new_disk;
	uint32_t replica, lanes, k;
	const char *durability, *json;
	double timeout_s;
};

struct result {
	const char *variant;
	double write_s, catchup_s, transfer_ms;
	uint64_t batches_missed, transfers, rx_bytes, leaf_bytes, leaves_fetched;
	struct recovery_leaves changed, whole;
	bool caught_up;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bfs-bench recovery [--mb N] [--base-mb N] [--variant lagging|new-disk|both]\n"
		"                          [--replica I] [--lanes N] [--checkpoint-interval K]\n"
		"                          [--durability sync|nometasync|async] [--timeout S]\n"
		"                          [--json FILE]\n"
		"\n"
		"On its own cluster of 4 bfsd --service fs: writes --base-mb (default 50)\n"
		"with every replica up, then --mb (default 100) while backup --replica\n"
		"(default 3) is frozen (lagging) or killed with its disk wiped (new-disk),\n"
		"brings it back and measures how long it takes to execute as far as the\n"
		"others, the bytes its state transfer received, and the size of the\n"
		"partitions that changed and of the whole state. --lanes requests in flight\n"
		"(default 4); --checkpoint-interval and --durability override the config's\n"
		"(128, sync); --timeout seconds to wait for the catch-up (default 300).\n");
}

static bool number(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s)
		return false;
	v = strtod(s, &end);
	if (end == s || *end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

static int parse(int argc, char **argv, struct opts *o)
{
	double v;

	*o = (struct opts){ .mb = 100, .base_mb = 50, .lagging = true, .new_disk = true,
			    .replica = 3, .lanes = 4, .timeout_s = 300 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--mb")) {
			ok = number(val, 0.03125, 100000, &o->mb);
		} else if (!strcmp(a, "--base-mb")) {
			ok = number(val, 0, 100000, &o->base_mb);
		} else if (!strcmp(a, "--variant")) {
			ok = val && (!strcmp(val, "lagging") || !strcmp(val, "new-disk") ||
				     !strcmp(val, "both"));
			o->lagging = ok && strcmp(val, "new-disk");
			o->new_disk = ok && strcmp(val, "lagging");
		} else if (!strcmp(a, "--replica")) {
			ok = number(val, 1, N_REPLICAS - 1, &v) && v == (uint32_t)v;
			o->replica = (uint32_t)v;
		} else if (!strcmp(a, "--lanes")) {
			ok = number(val, 1, BENCH_CLUSTER_IDS, &v) && v == (uint32_t)v;
			o->lanes = (uint32_t)v;
		} else if (!strcmp(a, "--checkpoint-interval")) {
			ok = number(val, 2, 512, &v) && v == (uint32_t)v;
			o->k = (uint32_t)v;
		} else if (!strcmp(a, "--durability")) {
			ok = val && (!strcmp(val, "sync") || !strcmp(val, "nometasync") ||
				     !strcmp(val, "async"));
			o->durability = val;
		} else if (!strcmp(a, "--timeout")) {
			ok = number(val, 1, 86400, &o->timeout_s);
		} else if (!strcmp(a, "--json")) {
			ok = val != NULL;
			o->json = val;
		} else {
			fprintf(stderr, "bfs-bench recovery: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (!ok) {
			fprintf(stderr, "bfs-bench recovery: %s %s: not a valid value (--help "
				"lists the ranges; --replica is a backup, 1..%u)\n", a,
				val ? val : "(missing)", N_REPLICAS - 1);
			return 2;
		}
		i++;
	}
	return 0;
}

/* ---- the replicas' logs ---- */

static void log_path(uint32_t id, char *out, size_t len)
{
	snprintf(out, len, "%s/replica%u.log", bench_cluster_dir(), id);
}

static long log_size(uint32_t id)
{
	char path[512];
	struct stat st;

	log_path(id, path, sizeof(path));
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* Call fn on each line of replica id's log from byte *pos on, advancing
 * *pos past the last complete line. */
static void log_lines(uint32_t id, long *pos, void (*fn)(void *ctx, const char *line),
		      void *ctx)
{
	char path[512], line[1100];
	FILE *f;

	log_path(id, path, sizeof(path));
	if (!(f = fopen(path, "r")) || fseek(f, *pos, SEEK_SET) != 0) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) && strchr(line, '\n')) {
		fn(ctx, line);
		*pos = ftell(f);
	}
	fclose(f);
}

struct status {
	bool seen;
	unsigned long long last;
};

static void status_line(void *ctx, const char *line)
{
	struct status *s = ctx;
	const char *p = strstr(line, "status: view ");
	unsigned long long view, last;

	if (p && sscanf(p, "status: view %llu, last executed %llu", &view, &last) == 2) {
		s->seen = true;
		s->last = last;
	}
}

/* Ask replica id for its status and wait (bounded) for the line. */
static bool last_executed(uint32_t id, long *pos, uint64_t *out)
{
	struct status s = { 0 };

	if (!bench_cluster_signal(id, SIGUSR1))
		return false;
	for (int i = 0; i < 250 && !s.seen; i++) {
		usleep(POLL_US / 4);
		log_lines(id, pos, status_line, &s);
	}
	*out = s.last;
	return s.seen;
}

static void transfer_line(void *ctx, const char *line)
{
	struct result *r = ctx;
	const char *p = strstr(line, "state transfer: at checkpoint ");
	unsigned long long seq, nodes, leaves, bytes, rx, ms;

	if (p && sscanf(p, "state transfer: at checkpoint %llu (%llu nodes, %llu leaves, %llu "
			"bytes, %llu bytes received, %llu ms)", &seq, &nodes, &leaves, &bytes,
			&rx, &ms) == 6) {
		r->transfers++;
		r->leaves_fetched += leaves;
		r->leaf_bytes += bytes;
		r->rx_bytes += rx;
		r->transfer_ms += (double)ms;
	}
}

/* ---- one variant ---- */

/* The highest batch the replicas other than `down` executed. */
static bool others_executed(uint32_t down, long pos[N_REPLICAS], uint64_t *max)
{
	*max = 0;
	for (uint32_t i = 0; i < N_REPLICAS; i++) {
		uint64_t v;

		if (i == down)
			continue;
		if (!last_executed(i, &pos[i], &v))
			return false;
		if (v > *max)
			*max = v;
	}
	return true;
}

static bool bring_back(const struct opts *o, bool lagging, const char *frozen_copy)
{
	char data[512];

	if (!lagging)
		return bench_cluster_restart(o->replica, true);
	snprintf(data, sizeof(data), "%s/data/replica%u", bench_cluster_dir(), o->replica);
	if (mkdir(frozen_copy, 0700) != 0 || recovery_copy_state(data, frozen_copy) != 0)
		return false;
	return bench_cluster_signal(o->replica, SIGCONT);
}

/* Wait until replica R has executed target; catch-up seconds, < 0 if not. */
static double await_catchup(const struct opts *o, long *pos, uint64_t target, double t0)
{
	uint64_t v = 0;

	while (now_s() - t0 < o->timeout_s) {
		if (last_executed(o->replica, pos, &v) && v >= target)
			return now_s() - t0;
		usleep(POLL_US);
	}
	fprintf(stderr, "bfs-bench recovery: replica %u executed %llu of %llu after %.0f s\n",
		o->replica, (unsigned long long)v, (unsigned long long)target, o->timeout_s);
	return -1;
}

static int measure(const struct opts *o, const char *config, bool lagging, struct result *r)
{
	struct bft_client_opts co = { .config = config, .client_id = N_REPLICAS,
				      .max_lanes = o->lanes };
	struct bft_client *c = NULL;
	long pos[N_REPLICAS] = { 0 }, tpos;
	uint64_t before = 0, target = 0;
	char copy[512], final0[512];
	double t0;
	int err;

	r->variant = lagging ? "lagging" : "new-disk";
	if ((err = bft_client_open(&co, NULL, NULL, &c))) {
		fprintf(stderr, "bfs-bench recovery: client: %s\n", bft_net_strerror(err));
		return -1;
	}
	if ((o->base_mb > 0 && recovery_write_file(c, o->lanes, "base", (uint64_t)(o->base_mb * 1048576)) < 0) ||
	    !last_executed(o->replica, &pos[o->replica], &before))
		goto fail;
	if (lagging ? !bench_cluster_signal(o->replica, SIGSTOP)
		    : !bench_cluster_kill(o->replica))
		goto fail;
	if (lagging && bench_cluster_config()) { /* lose what is sent while down */
		const struct bft_addr *a = &bench_cluster_config()->replicas[o->replica].addr;
		procs_flood((const struct sockaddr *)&a->ss, a->len);
	}
	r->write_s = recovery_write_file(c, o->lanes, "while-down", (uint64_t)(o->mb * 1048576));
	if (r->write_s < 0 || !others_executed(o->replica, pos, &target))
		goto fail;
	r->batches_missed = target - before;
	snprintf(copy, sizeof(copy), "%s/frozen-copy", bench_cluster_dir());
	tpos = log_size(o->replica);
	t0 = now_s();
	if (!bring_back(o, lagging, copy))
		goto fail;
	pos[o->replica] = tpos;
	r->catchup_s = await_catchup(o, &pos[o->replica], target, t0);
	r->caught_up = r->catchup_s >= 0;
	bft_client_close(c);
	c = NULL;
	for (uint32_t i = 0; i < N_REPLICAS; i++)
		bench_cluster_stop_replica(i);
	log_lines(o->replica, &tpos, transfer_line, r);
	snprintf(copy, sizeof(copy), "%s/%s", bench_cluster_dir(),
		 lagging ? "frozen-copy" : "empty-disk");
	if (!lagging && mkdir(copy, 0700) != 0)
		goto fail;
	snprintf(final0, sizeof(final0), "%s/data/replica0", bench_cluster_dir());
	if (recovery_compare(bench_cluster_config(), final0, copy, &r->changed) != 0 ||
	    recovery_compare(bench_cluster_config(), final0, NULL, &r->whole) != 0)
		goto fail;
	return r->caught_up ? 0 : -1;
fail:
	bft_client_close(c);
	return -1;
}

/* ---- report ---- */

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

static void print(const struct result *r, unsigned n, const struct opts *o)
{
	printf("\n== recovery of replica %u (4 replicas, %.1f MiB written while it was down "
	       "over %.1f MiB already there) ==\n", o->replica, o->mb, o->base_mb);
	printf("%-9s %9s %9s %9s %9s %11s %12s %12s %10s %9s\n", "variant", "missed",
	       "write s", "catchup s", "transfers", "recv MiB", "changed MiB", "state MiB",
	       "recv/chg", "recv/all");
	for (unsigned i = 0; i < n; i++)
		printf("%-9s %9llu %9.2f %9.2f %9llu %11.2f %12.2f %12.2f %10.3f %9.3f\n",
		       r[i].variant, (unsigned long long)r[i].batches_missed, r[i].write_s,
		       r[i].catchup_s, (unsigned long long)r[i].transfers,
		       (double)r[i].rx_bytes / 1048576, (double)r[i].changed.bytes / 1048576,
		       (double)r[i].whole.bytes / 1048576, ratio(r[i].rx_bytes, r[i].changed.bytes),
		       ratio(r[i].rx_bytes, r[i].whole.bytes));
	printf("missed: batches the others executed while it was down; changed: leaves whose\n"
	       "digest differs between its state when it came back and replica 0's final one\n");
	for (unsigned i = 0; i < n; i++)
		printf("%s: %llu transfer(s) fetched %llu of the %llu changed leaves (%llu in the "
		       "state) in %.0f ms\n", r[i].variant, (unsigned long long)r[i].transfers,
		       (unsigned long long)r[i].leaves_fetched,
		       (unsigned long long)r[i].changed.leaves,
		       (unsigned long long)r[i].whole.leaves, r[i].transfer_ms);
}

static int write_json(const char *path, const struct result *r, unsigned n,
		      const struct opts *o)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "bfs-bench recovery: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "[");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s\n {\"variant\":\"%s\",\"replica\":%u,\"mb_written_while_down\":%g,"
			"\"base_mb\":%g,\"lanes\":%u,\"caught_up\":%s,\"batches_missed\":%llu,"
			"\"write_s\":%.3f,\"catchup_s\":%.3f,\"transfers\":%llu,"
			"\"transfer_ms\":%.0f,\"received_bytes\":%llu,\"leaf_bytes_installed\":%llu,"
			"\"leaves_fetched\":%llu,\"changed_leaves\":%llu,\"changed_bytes\":%llu,"
			"\"state_leaves\":%llu,\"state_bytes\":%llu,"
			"\"received_per_changed\":%.4f,\"received_per_state\":%.4f}",
			i ? "," : "", r[i].variant, o->replica, o->mb, o->base_mb, o->lanes,
			r[i].caught_up ? "true" : "false",
			(unsigned long long)r[i].batches_missed, r[i].write_s, r[i].catchup_s,
			(unsigned long long)r[i].transfers, r[i].transfer_ms,
			(unsigned long long)r[i].rx_bytes, (unsigned long long)r[i].leaf_bytes,
			(unsigned long long)r[i].leaves_fetched,
			(unsigned long long)r[i].changed.leaves,
			(unsigned long long)r[i].changed.bytes,
			(unsigned long long)r[i].whole.leaves, (unsigned long long)r[i].whole.bytes,
			ratio(r[i].rx_bytes, r[i].changed.bytes),
			ratio(r[i].rx_bytes, r[i].whole.bytes));
	fprintf(f, "\n]\n");
	return fclose(f) == 0 ? 0 : -1;
}

int recovery_main(int argc, char **argv)
{
	struct opts o;
	struct result res[2];
	unsigned n = 0;
	int rc = parse(argc, argv, &o), failed = 0;

	if (rc)
		return rc;
	for (int v = 0; v < 2; v++) {
		bool lagging = v == 0;
		struct bench_cluster_spec spec = { .service = "fs", .checkpoint_interval = o.k,
						   .durability = o.durability };
		char config[512];

		if ((lagging && !o.lagging) || (!lagging && !o.new_disk))
			continue;
		memset(&res[n], 0, sizeof(res[n]));
		if (bench_cluster_start_spec(config, sizeof(config), &spec) != 0)
			return 1;
		if (measure(&o, config, lagging, &res[n]) != 0) {
			fprintf(stderr, "bfs-bench recovery: the %s run failed (logs kept in "
				"%s)\n", lagging ? "lagging" : "new-disk", bench_cluster_dir());
			bench_cluster_keep();
			failed = 1;
		}
		bench_cluster_stop();
		n++;
	}
	print(res, n, &o);
	if (o.json && write_json(o.json, res, n, &o) != 0)
		failed = 1;
	return failed;
}
