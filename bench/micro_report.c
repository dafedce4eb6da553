/*
 * micro_report.c — tables and JSON for the micro-benchmarks (micro_report.h).
 * The paper's figures are OSDI '99 Table 2: latency in ms of null
 * operations 0/0, 4/0, 0/4 for BFT (read-write), BFT with the read-only
 * optimisation (§5.1.3) and NO-REP, one client.
 *
 * Ratios only ever compare results of the same invocation (STYLE.md:
 * timings are compared as ratios measured in one run).
 */
#include <string.h>

#include "micro_report.h"

struct paper_row {
	uint32_t arg_kib, result_kib;
	double ms[MICRO_N_MODES]; /* rw, ro, unrep */
};

static const struct paper_row paper[] = {
	{ 0, 0, { 3.35, 1.62, 0.82 } },
	{ 4, 0, { 14.19, 6.98, 4.62 } },
	{ 0, 4, { 8.01, 5.94, 4.66 } },
};

static bool same_point(const struct micro_params *a, const struct micro_params *b)
{
	return a->shape.arg_kib == b->shape.arg_kib &&
	       a->shape.result_kib == b->shape.result_kib && a->clients == b->clients;
}

static const struct micro_result *baseline(const struct micro_result *rs, size_t n,
					   const struct micro_params *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rs[i].p.mode == MICRO_UNREP && same_point(&rs[i].p, p) && rs[i].p50_us > 0)
			return &rs[i];
	return NULL;
}

void micro_report_ratios(struct micro_result *rs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct micro_result *b = baseline(rs, n, &rs[i].p);

		rs[i].p50_ratio = b ? rs[i].p50_us / b->p50_us : 0;
		rs[i].ops_ratio = b && b->ops_per_s > 0 ? rs[i].ops_per_s / b->ops_per_s : 0;
	}
}

static void op_name(const struct micro_params *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u/%u", p->shape.arg_kib, p->shape.result_kib);
}

void micro_report_table(FILE *f, const struct micro_result *rs, size_t n)
{
	size_t i;

	fprintf(f, "op    mode   clients   mean_us    p50_us    p99_us      ops/s  "
		"p50/unrep  ops/unrep  cpu_us/op (servers+client)\n");
	for (i = 0; i < n; i++) {
		const struct micro_result *r = &rs[i];
		char op[24];

		op_name(&r->p, op, sizeof(op));
		fprintf(f, "%-5s %-6s %7u %9.0f %9.0f %9.0f %10.0f  %8.2fx  %8.2fx  %6.1f+%.1f%s\n",
			op, micro_mode_name(r->p.mode), r->p.clients, r->mean_us, r->p50_us,
			r->p99_us, r->ops_per_s, r->p50_ratio, r->ops_ratio, r->server_cpu_us,
			r->client_cpu_us,
			r->valid ? "" : "  (incomplete: failures or no samples)");
	}
}

static const struct paper_row *paper_row(const struct micro_params *p)
{
	size_t i;

	for (i = 0; i < sizeof(paper) / sizeof(paper[0]); i++)
		if (paper[i].arg_kib == p->shape.arg_kib &&
		    paper[i].result_kib == p->shape.result_kib)
			return &paper[i];
	return NULL;
}

void micro_report_paper(FILE *f, const struct micro_result *rs, size_t n)
{
	size_t i;

	fprintf(f, "\nOSDI '99 Table 2 beside this run (latency, one client; ratio = p50 / "
		"NO-REP p50 of the same run)\n");
	fprintf(f, "op    mode    this p50 (ms)  ratio   paper (ms)  ratio\n");
	for (i = 0; i < n; i++) {
		const struct micro_result *r = &rs[i];
		const struct paper_row *pr = paper_row(&r->p);
		char op[24];

		if (!pr || r->p.clients != 1)
			continue;
		op_name(&r->p, op, sizeof(op));
		fprintf(f, "%-5s %-6s %13.3f %6.2fx %12.2f %6.2fx\n", op,
			micro_mode_name(r->p.mode), r->p50_us / 1000.0, r->p50_ratio,
			pr->ms[r->p.mode], pr->ms[r->p.mode] / pr->ms[MICRO_UNREP]);
	}
}

static void json_ratio(FILE *f, const char *key, double v)
{
	if (v > 0)
		fprintf(f, ",\"%s\":%.3f", key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

int micro_report_json(FILE *f, const struct micro_result *rs, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		const struct micro_result *r = &rs[i];
		char op[24];

		op_name(&r->p, op, sizeof(op));
		fprintf(f, "%s\n{\"op\":\"%s\",\"mode\":\"%s\",\"clients\":%u,\"mean_us\":%.1f,"
			"\"p50_us\":%.1f,\"p99_us\":%.1f,\"ops_per_s\":%.1f", i ? "," : "", op,
			micro_mode_name(r->p.mode), r->p.clients, r->mean_us, r->p50_us,
			r->p99_us, r->ops_per_s);
		json_ratio(f, "p50_ratio_to_unrep", r->p50_ratio);
		json_ratio(f, "ops_ratio_to_unrep", r->ops_ratio);
		fprintf(f, ",\"server_cpu_us_per_op\":%.2f,\"client_cpu_us_per_op\":%.2f",
			r->server_cpu_us, r->client_cpu_us);
		fprintf(f, ",\"seconds\":%.3f,\"completed\":%llu,\"failed\":%llu,\"view\":%llu,"
			"\"valid\":%s}", r->p.seconds, (unsigned long long)r->completed,
			(unsigned long long)r->failed, (unsigned long long)r->final_view,
			r->valid ? "true" : "false");
	}
	fputs("\n]\n", f);
	return ferror(f) ? -1 : 0;
}
