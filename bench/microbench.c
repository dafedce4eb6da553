/*
 * microbench.c — bft-microbench: the paper's micro-benchmarks (Castro &
 * Liskov, OSDI '99 §6.3, Table 2): latency and throughput of null
 * operations with argument/result sizes 0/0, 4/0 and 0/4 KiB, read-write
 * (BFS), read-only (BFS r/o) and unreplicated (NO-REP), with the ratio of
 * each p50 latency to NO-REP's measured in the same run.
 *
 *   bft-microbench [--config FILE] [--seconds S] [--clients C] [--json FILE]
 *
 * Without --config it writes a local cluster into a temporary directory,
 * starts 4 bfsd replicas and `bfsd --unreplicated` on loopback, and stops
 * them afterwards. With --config it uses that running cluster (and, for
 * NO-REP, a `bfsd --unreplicated` at its [cluster] unreplicated address).
 * Prints a table and one JSON line; it is a program, not a test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/client.h"
#include "bft/error.h"
#include "procs.h"

#define MAX_SAMPLES (1u << 21)
#define NULL_MAGIC 0x314c554eu /* the null service's echo header */

enum mode { MODE_RW, MODE_RO, MODE_UNREP, N_MODES };
static const char *const mode_names[N_MODES] = { "rw", "ro", "unrep" };

struct shape {
	const char *name;
	uint32_t arg, result;
	double paper_ms[N_MODES]; /* OSDI '99 Table 2 */
};

static const struct shape shapes[] = {
	{ "0/0", 0, 0, { 3.35, 1.62, 0.82 } },
	{ "4/0", 4096, 0, { 14.19, 6.98, 4.62 } },
	{ "0/4", 0, 4096, { 8.01, 5.94, 4.66 } },
};
#define N_SHAPES (sizeof(shapes) / sizeof(shapes[0]))

struct result {
	double mean_us, p50_us, p99_us, ops_per_s;
	uint32_t clients;
	bool valid;
};

struct run {
	struct bft_client *c;
	uint8_t op[4096 + 8];
	uint32_t op_len;
	bool ro;
	uint64_t deadline_us, measure_from_us;
	uint32_t *samples;
	uint32_t n_samples;
	uint64_t completed, failed;
	uint32_t outstanding;
};

struct slot {
	struct run *r;
	uint64_t start_us;
};

static char tmpdir[] = "/tmp/bfs-bench-XXXXXX";
static bool own_cluster;
static pid_t pids[5];

static void submit_one(struct slot *s);

static void on_done(void *arg, int status, const uint8_t *res, uint32_t len)
{
	struct slot *s = arg;
	struct run *r = s->r;
	uint64_t now = bft_loop_mono_us();

	(void)res;
	(void)len;
	r->outstanding--;
	if (status != 0) {
		r->failed++;
	} else if (s->start_us >= r->measure_from_us) {
		r->completed++;
		if (r->n_samples < MAX_SAMPLES)
			r->samples[r->n_samples++] = (uint32_t)(now - s->start_us);
	}
	if (now < r->deadline_us)
		submit_one(s);
}

static void submit_one(struct slot *s)
{
	struct run *r = s->r;

	s->start_us = bft_loop_mono_us();
	if (bft_client_submit(r->c, r->op, r->op_len, r->ro, on_done, s) == 0)
		r->outstanding++;
	else
		r->failed++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void make_op(struct run *r, const struct shape *sh)
{
	uint32_t hdr[2] = { NULL_MAGIC, sh->result };

	memset(r->op, 0xab, sizeof(r->op));
	r->op_len = sh->arg;
	if (sh->result) { /* the echo header asks for the result size */
		memcpy(r->op, hdr, sizeof(hdr));
		r->op_len = sizeof(hdr);
	}
}

/* `clients` requests kept outstanding for warm-up + seconds. */
static struct result measure(struct bft_client *c, const struct shape *sh, bool ro,
			     uint32_t clients, double seconds)
{
	static struct slot slots[4096];
	static struct run r;
	struct result out = { .clients = clients };
	uint64_t t0 = bft_loop_mono_us(), sum = 0;
	uint32_t i;

	uint32_t *samples = r.samples ? r.samples : malloc(MAX_SAMPLES * sizeof(uint32_t));

	if (!samples)
		return out;
	memset(&r, 0, sizeof(r));
	r.samples = samples;
	r.c = c;
	r.ro = ro;
	make_op(&r, sh);
	r.measure_from_us = t0 + 300000;
	r.deadline_us = r.measure_from_us + (uint64_t)(seconds * 1e6);
	for (i = 0; i < clients && i < 4096; i++) {
		slots[i].r = &r;
		submit_one(&slots[i]);
	}
	while (r.outstanding && bft_loop_mono_us() < r.deadline_us + 5000000)
		bft_client_poll(c, 10);
	if (!r.n_samples)
		return out;
	qsort(r.samples, r.n_samples, sizeof(uint32_t), cmp_u32);
	for (i = 0; i < r.n_samples; i++)
		sum += r.samples[i];
	out.mean_us = (double)sum / r.n_samples;
	out.p50_us = r.samples[r.n_samples / 2];
	out.p99_us = r.samples[(uint64_t)r.n_samples * 99 / 100];
	out.ops_per_s = (double)r.completed / seconds;
	out.valid = r.failed == 0;
	return out;
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "bft-microbench: %s\n", msg);
}

static void stop_cluster(void)
{
	int i;

	if (!own_cluster)
		return;
	for (i = 0; i < 5; i++)
		procs_stop(pids[i], 2000);
	procs_rmtree(tmpdir);
	own_cluster = false;
}

static int start_cluster(char *config, size_t len)
{
	struct bft_local_cluster lc = { .dir = tmpdir, .f = 1, .groups = 1,
					.ids_per_group = 256, .host = "127.0.0.1" };
	char bfsd[1024], log[1100];
	int i;

	if (!mkdtemp(tmpdir))
		return -1;
	own_cluster = true;
	atexit(stop_cluster);
	lc.base_port = (uint16_t)(30000 + (getpid() % 3000) * 10);
	if (bft_local_cluster_write(&lc, diag, NULL) != 0)
		return -1;
	snprintf(config, len, "%s/bfs.conf", tmpdir);
	procs_sibling("../bfsd/daemon/bfsd", bfsd, sizeof(bfsd));
	for (i = 0; i < 5; i++) {
		snprintf(log, sizeof(log), "%s/%s%d.log", tmpdir, i < 4 ? "replica" : "unrep", i);
		pids[i] = procs_start_bfsd(bfsd, config, i < 4 ? (uint32_t)i : 0, i == 4, log,
					   (const char *const[]){ "--log-level", "warn", "--service",
								  "null", NULL });
		if (pids[i] <= 0)
			return -1;
	}
	return 0;
}

static void print_row(const struct shape *sh, enum mode m, const struct result *lat,
		      const struct result *thr, const struct result *unrep)
{
	printf("%-4s %-6s %9.0f %9.0f %9.0f %8.2f %11.0f %5u   %6.2f ms %6.2fx\n", sh->name,
	       mode_names[m], lat->mean_us, lat->p50_us, lat->p99_us,
	       unrep->p50_us > 0 ? lat->p50_us / unrep->p50_us : 0, thr->ops_per_s,
	       thr->clients, sh->paper_ms[m], sh->paper_ms[m] / sh->paper_ms[MODE_UNREP]);
}

static void json_obj(FILE *f, bool first, const struct shape *sh, enum mode m,
		     const struct result *lat, const struct result *thr,
		     const struct result *unrep)
{
	fprintf(f, "%s{\"op\":\"%s\",\"mode\":\"%s\",\"clients\":1,\"mean_us\":%.1f,"
		"\"p50_us\":%.1f,\"p99_us\":%.1f,\"ops_per_s\":%.1f,\"throughput_clients\":%u,"
		"\"throughput_ops_per_s\":%.1f,\"p50_ratio_to_unrep\":%.3f,\"valid\":%s}",
		first ? "" : ",", sh->name, mode_names[m], lat->mean_us, lat->p50_us,
		lat->p99_us, lat->ops_per_s, thr->clients, thr->ops_per_s,
		unrep->p50_us > 0 ? lat->p50_us / unrep->p50_us : 0,
		lat->valid && thr->valid ? "true" : "false");
}

int main(int argc, char **argv)
{
	static struct result lat[N_SHAPES][N_MODES], thr[N_SHAPES][N_MODES];
	const char *json = NULL;
	char config[1100] = "";
	double seconds = 2;
	uint32_t clients = 64, s;
	int i, m;
	FILE *jf;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--config"))
			snprintf(config, sizeof(config), "%s", argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--clients"))
			clients = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--json"))
			json = argv[i + 1];
		else
			break;
	}
	if (i != argc || seconds <= 0 || seconds > 600 || clients < 1 || clients > 4096) {
		fprintf(stderr, "usage: bft-microbench [--config FILE] [--seconds S (2)] "
			"[--clients C (64)] [--json FILE]\n");
		return 2;
	}
	if (!config[0] && start_cluster(config, sizeof(config)) != 0) {
		fprintf(stderr, "bft-microbench: cannot start the local cluster\n");
		return 1;
	}
	for (m = 0; m < N_MODES; m++) {
		struct bft_client_opts o = { .config = config, .unreplicated = m == MODE_UNREP };
		struct bft_client *c;
		struct bft_config *cfg;

		if (bft_config_load(config, diag, NULL, &cfg) != 0)
			return 1;
		o.client_id = cfg->n;
		bft_config_free(cfg);
		if (bft_client_open(&o, diag, NULL, &c) != 0)
			return 1;
		for (s = 0; s < N_SHAPES; s++) {
			lat[s][m] = measure(c, &shapes[s], m == MODE_RO, 1, seconds);
			thr[s][m] = measure(c, &shapes[s], m == MODE_RO,
					    clients < bft_client_lanes(c) ? clients
									  : bft_client_lanes(c),
					    seconds);
		}
		bft_client_close(c);
	}
	stop_cluster();
	printf("op   mode     mean_us    p50_us    p99_us p50/unrep  throughput  clnt   paper "
	       "p50  ratio\n");
	for (s = 0; s < N_SHAPES; s++)
		for (m = 0; m < N_MODES; m++)
			print_row(&shapes[s], (enum mode)m, &lat[s][m], &thr[s][m],
				  &lat[s][MODE_UNREP]);
	jf = json ? fopen(json, "w") : NULL;
	for (i = 0; i < (jf ? 2 : 1); i++) {
		FILE *f = i ? jf : stdout;

		fputc('[', f);
		for (s = 0; s < N_SHAPES; s++)
			for (m = 0; m < N_MODES; m++)
				json_obj(f, s == 0 && m == 0, &shapes[s], (enum mode)m, &lat[s][m],
					 &thr[s][m], &lat[s][MODE_UNREP]);
		fputs("]\n", f);
	}
	if (jf)
		fclose(jf);
	return 0;
}
