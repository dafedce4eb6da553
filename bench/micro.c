/*
 * micro.c — `bfs-bench micro` (micro.h): parses and validates the options,
 * starts an owned cluster when no --config is given, runs every requested
 * configuration (each shape × clients × mode, with its unreplicated
 * baseline measured first in the same invocation), and prints the table,
 * the OSDI '99 Table 2 comparison (--paper) and the JSON (--json).
 *
 *   bfs-bench micro [--op A/B[,A/B..]] [--mode rw|ro|unrep[,..]]
 *                   [--clients C[,C..]] [--seconds S] [--warmup S]
 *                   [--json FILE] [--config FILE] [--client-id ID]
 *                   [--paper] [--per-second] [--kill-primary-at S]
 *                   [--bfsd-arg ARG]...
 *
 * Must reject every malformed option with a sentence, and never kill a
 * process of a cluster it does not own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/config.h"
#include "bench_cluster.h"
#include "micro.h"
#include "micro_report.h"
#include "micro_run.h"

#define MAX_LIST 16
#define MAX_CLIENTS 4096u

struct micro_opts {
	struct micro_shape shapes[MAX_LIST];
	unsigned n_shapes;
	bool modes[MICRO_N_MODES];
	uint32_t clients[MAX_LIST];
	unsigned n_clients;
	double seconds, warmup;
	const char *json, *config;
	long client_id;           /* -1: the first [clients] section */
	bool paper, per_second;
	double kill_at;
	const char *bfsd_args[BENCH_CLUSTER_MAX_ARGS + 1];
	unsigned n_bfsd_args;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bfs-bench micro [--op A/B[,A/B...]] [--mode rw|ro|unrep[,...]]\n"
		"                       [--clients C[,C...]] [--seconds S] [--warmup S]\n"
		"                       [--json FILE] [--config FILE] [--client-id ID]\n"
		"                       [--paper] [--per-second] [--kill-primary-at S]\n"
		"                       [--bfsd-arg ARG]...\n"
		"\n"
		"Null operations with an A KiB argument and a B KiB result (OSDI '99 §6.3),\n"
		"read-write (rw), read-only (ro) or unreplicated (unrep), C closed-loop\n"
		"clients; every shape and client count is also run unreplicated, first, as\n"
		"the baseline of the ratios. Defaults: --op 0/0 --mode rw --clients 1\n"
		"--seconds 2 --warmup 0.5. Without --config a local cluster (4 bfsd --service\n"
		"null + bfsd --unreplicated) is started in a temporary directory and stopped\n"
		"afterwards. --paper runs 0/0, 4/0, 0/4 x rw, ro, unrep with one client and\n"
		"prints the paper's Table 2 beside it. --per-second prints throughput every\n"
		"second; --kill-primary-at S kills the primary S seconds into the measured\n"
		"period (own cluster, one replicated configuration; implies --per-second).\n"
		"--bfsd-arg adds ARG to the own cluster's bfsd command lines (e.g.\n"
		"--bfsd-arg --sched --bfsd-arg normal).\n");
}

static bool bad(const char *opt, const char *v, const char *want)
{
	fprintf(stderr, "bfs-bench micro: %s %s: %s\n", opt, v ? v : "(missing)", want);
	return false;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	v = strtod(s, &end);
	if (*end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

/* Split a comma list into at most MAX_LIST items, each parsed by fn. */
static bool parse_list(const char *opt, const char *v, bool (*fn)(struct micro_opts *,
								  const char *),
		       const char *item_want, struct micro_opts *o)
{
	char buf[256], *save = NULL, *item;
	unsigned n = 0;

	if (!v || strlen(v) >= sizeof(buf))
		return bad(opt, v, "needs a comma-separated list");
	snprintf(buf, sizeof(buf), "%s", v);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (++n > MAX_LIST || !fn(o, item))
			return bad(opt, v, n > MAX_LIST ? "too many items (at most 16)" : item_want);
	}
	return n ? true : bad(opt, v, "is empty");
}

static bool add_shape(struct micro_opts *o, const char *s)
{
	char a[16], *slash = strchr(s, '/');
	struct micro_shape sh;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return false;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (!parse_u32(a, MICRO_MAX_KIB, &sh.arg_kib) ||
	    !parse_u32(slash + 1, MICRO_MAX_KIB, &sh.result_kib))
		return false;
	o->shapes[o->n_shapes++] = sh;
	return true;
}

static bool add_mode(struct micro_opts *o, const char *s)
{
	int m;

	for (m = 0; m < MICRO_N_MODES; m++)
		if (!strcmp(s, micro_mode_name((enum micro_mode)m))) {
			o->modes[m] = true;
			return true;
		}
	return false;
}

static bool add_clients(struct micro_opts *o, const char *s)
{
	uint32_t c;

	if (!parse_u32(s, MAX_CLIENTS, &c) || !c)
		return false;
	o->clients[o->n_clients++] = c;
	return true;
}

static bool parse_opt(struct micro_opts *o, const char *a, const char *v, int *used)
{
	uint32_t id;

	*used = 2;
	if (!strcmp(a, "--op"))
		return parse_list(a, v, add_shape, "each item is A/B, argument and result "
				  "sizes in KiB from 0 to 56", o);
	if (!strcmp(a, "--mode"))
		return parse_list(a, v, add_mode, "each item is rw, ro or unrep", o);
	if (!strcmp(a, "--clients"))
		return parse_list(a, v, add_clients, "each item is a number of clients from 1 "
				  "to 4096", o);
	if (!strcmp(a, "--seconds"))
		return parse_seconds(v, 0.05, 3600, &o->seconds) ||
		       bad(a, v, "must be from 0.05 to 3600");
	if (!strcmp(a, "--warmup"))
		return parse_seconds(v, 0, 600, &o->warmup) || bad(a, v, "must be from 0 to 600");
	if (!strcmp(a, "--kill-primary-at"))
		return parse_seconds(v, 0.001, 3600, &o->kill_at) ||
		       bad(a, v, "must be a positive number of seconds");
	if (!strcmp(a, "--json") || !strcmp(a, "--config")) {
		if (!v)
			return bad(a, v, "needs a file name");
		*(!strcmp(a, "--json") ? &o->json : &o->config) = v;
		return true;
	}
	if (!strcmp(a, "--bfsd-arg")) {
		if (!v || o->n_bfsd_args == BENCH_CLUSTER_MAX_ARGS)
			return bad(a, v, "needs a value (at most 8 of them)");
		o->bfsd_args[o->n_bfsd_args++] = v;
		return true;
	}
	if (!strcmp(a, "--client-id")) {
		if (!parse_u32(v, UINT32_MAX - 1, &id))
			return bad(a, v, "must be a client id of the configuration");
		o->client_id = id;
		return true;
	}
	*used = 1;
	if (!strcmp(a, "--paper"))
		return o->paper = true;
	if (!strcmp(a, "--per-second"))
		return o->per_second = true;
	fprintf(stderr, "bfs-bench micro: unknown option %s\n", a);
	return false;
}

static bool parse_args(int argc, char **argv, struct micro_opts *o)
{
	int i, used;

	for (i = 1; i < argc; i += used) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!parse_opt(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL, &used))
			return false;
	}
	if (o->paper) {
		if (o->n_shapes || o->n_clients || o->modes[0] || o->modes[1] || o->modes[2] ||
		    o->kill_at > 0) {
			fprintf(stderr, "bfs-bench micro: --paper chooses the shapes, modes and "
				"clients itself\n");
			return false;
		}
		add_shape(o, "0/0");
		add_shape(o, "4/0");
		add_shape(o, "0/4");
		o->modes[MICRO_RW] = o->modes[MICRO_RO] = true;
	}
	if (!o->n_shapes)
		add_shape(o, "0/0");
	if (!o->n_clients)
		o->clients[o->n_clients++] = 1;
	if (!o->modes[MICRO_RW] && !o->modes[MICRO_RO] && !o->modes[MICRO_UNREP])
		o->modes[MICRO_RW] = true;
	if (o->config && o->n_bfsd_args) {
		fprintf(stderr, "bfs-bench micro: --bfsd-arg is for the bench's own cluster "
			"(no --config)\n");
		return false;
	}
	if (o->kill_at > 0) {
		if (o->config || o->n_shapes != 1 || o->n_clients != 1 ||
		    o->modes[MICRO_RW] == o->modes[MICRO_RO]) {
			fprintf(stderr, "bfs-bench micro: --kill-primary-at needs the bench's own "
				"cluster (no --config) and one replicated configuration (one "
				"--op, one --clients, --mode rw or ro)\n");
			return false;
		}
		if (o->kill_at >= o->seconds) {
			fprintf(stderr, "bfs-bench micro: --kill-primary-at must fall inside the "
				"--seconds measured\n");
			return false;
		}
		o->per_second = true;
	}
	return true;
}

/* Resolve the client id (first [clients] section by default) and n. */
static int load_target(const struct micro_opts *o, struct micro_target *t)
{
	struct bft_config *cfg;

	if (bft_config_load(t->config, NULL, NULL, &cfg) != 0) {
		fprintf(stderr, "bfs-bench micro: %s does not load; run `bfsctl config check "
			"%s` to see why\n", t->config, t->config);
		return -1;
	}
	t->n_replicas = cfg->n;
	t->client_id = o->client_id >= 0 ? (uint32_t)o->client_id : cfg->n;
	if (!cfg->has_unreplicated)
		fprintf(stderr, "bfs-bench micro: %s names no unreplicated server: no "
			"baseline, no ratios\n", t->config);
	bft_config_free(cfg);
	return 0;
}

static int run_all(const struct micro_opts *o, const struct micro_target *t,
		   struct micro_result *rs, size_t *n)
{
	static const enum micro_mode order[] = { MICRO_UNREP, MICRO_RW, MICRO_RO };
	unsigned s, c, m;

	for (s = 0; s < o->n_shapes; s++)
		for (c = 0; c < o->n_clients; c++)
			for (m = 0; m < 3; m++) {
				struct micro_params p = {
					.shape = o->shapes[s], .mode = order[m],
					.clients = o->clients[c], .warmup_s = o->warmup,
					.seconds = o->seconds, .per_second = o->per_second,
				};

				if (order[m] != MICRO_UNREP && !o->modes[order[m]])
					continue;
				if (order[m] == MICRO_UNREP && !o->modes[MICRO_UNREP] &&
				    o->kill_at > 0)
					p.per_second = false; /* only the run that matters */
				if (order[m] != MICRO_UNREP)
					p.kill_primary_at = o->kill_at;
				fprintf(stderr, "bfs-bench: %u/%u %s, %u client(s), %.1f s\n",
					p.shape.arg_kib, p.shape.result_kib,
					micro_mode_name(p.mode), p.clients, p.seconds);
				if (micro_run(t, &p, &rs[*n]) != 0)
					return -1;
				(*n)++;
			}
	return 0;
}

static int write_json(const char *path, const struct micro_result *rs, size_t n)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		fprintf(stderr, "bfs-bench micro: cannot write %s\n", path);
		return -1;
	}
	err = micro_report_json(f, rs, n);
	if (fclose(f) != 0 || err) {
		fprintf(stderr, "bfs-bench micro: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

int micro_main(int argc, char **argv)
{
	struct micro_opts o = { .seconds = 2, .warmup = 0.5, .client_id = -1 };
	struct micro_target t = { 0 };
	char config[1100];
	struct micro_result *rs;
	size_t n = 0;
	int ret = 1;

	if (!parse_args(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (o.config) {
		t.config = o.config;
	} else {
		if (bench_cluster_start(config, sizeof(config), o.bfsd_args) != 0)
			return 1;
		t.config = config;
	}
	rs = calloc((size_t)o.n_shapes * o.n_clients * MICRO_N_MODES, sizeof(*rs));
	if (rs && load_target(&o, &t) == 0 && run_all(&o, &t, rs, &n) == 0) {
		micro_report_ratios(rs, n);
		micro_report_table(stdout, rs, n);
		if (o.paper)
			micro_report_paper(stdout, rs, n);
		ret = o.json && write_json(o.json, rs, n) != 0 ? 1 : 0;
	}
	bench_cluster_stop();
	free(rs);
	return ret;
}
