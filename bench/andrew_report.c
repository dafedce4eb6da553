/*
 * andrew_report.c — the table and JSON of `bfs-bench andrew`
 * (andrew_report.h). A ratio is a configuration's seconds over NFS-std's
 * for the same phase of the same invocation (OSDI '99 §6.3 reports BFS
 * against NFS-std the same way); it exists only when both completed.
 */
#include <string.h>

#include "andrew_report.h"

#define COL 12       /* seconds columns */
#define RATIO_COL 16 /* "BFS-nfsproxy/NFS" */

static const struct andrew_config *baseline(const struct andrew_config *c, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(c[i].name, ANDREW_NFS_STD) && c[i].r.ok)
			return &c[i];
	return NULL;
}

static bool has_ratio(const struct andrew_config *c, const struct andrew_config *base)
{
	return base && c != base && c->r.ok && strcmp(c->key, "local");
}

static double phase_s(const struct andrew_config *c, int p)
{
	return p < ANDREW_PHASES ? c->r.seconds[p] : c->r.total;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0.0;
}

static void put_row(FILE *f, const struct andrew_config *c, unsigned n,
		    const struct andrew_config *base, int p)
{
	unsigned i;

	if (p < ANDREW_PHASES)
		fprintf(f, "%d %-7s", p + 1, andrew_phase_names[p]);
	else
		fprintf(f, "%-9s", "total");
	for (i = 0; i < n; i++) {
		if (c[i].r.ok || (c[i].ran && p < (int)c[i].r.phases_done))
			fprintf(f, " %*.3f", COL, phase_s(&c[i], p));
		else if (c[i].ran)
			fprintf(f, " %*s", COL, "-");
	}
	for (i = 0; i < n; i++)
		if (has_ratio(&c[i], base))
			fprintf(f, " %*.2f", RATIO_COL, ratio(phase_s(&c[i], p), phase_s(base, p)));
	fprintf(f, "\n");
}

void andrew_report_table(FILE *f, const struct andrew_setup *s, const struct andrew_config *c,
			 unsigned n)
{
	const struct andrew_config *base = baseline(c, n);
	char title[64], runs[64];
	unsigned i;
	int p;

	snprintf(runs, sizeof(runs), ", median of %u interleaved runs", s->runs);
	fprintf(f, "\nModified Andrew benchmark: %u cop%s of a %u-file tree (%u directories, "
		"%.0f KiB; seed %llu, %u module%s)\nseconds per phase%s\n%-9s", s->scale,
		s->scale == 1 ? "y" : "ies", s->t->n_files, s->t->n_dirs,
		(double)s->t->bytes / 1024.0, (unsigned long long)s->t->seed, s->t->modules,
		s->t->modules == 1 ? "" : "s", s->runs > 1 ? runs : "", "phase");
	for (i = 0; i < n; i++)
		if (c[i].ran)
			fprintf(f, " %*s", COL, c[i].name);
	for (i = 0; i < n; i++)
		if (has_ratio(&c[i], base)) {
			snprintf(title, sizeof(title), "%s/NFS", c[i].name);
			fprintf(f, " %*s", RATIO_COL, title);
		}
	fprintf(f, "\n");
	for (p = 0; p <= ANDREW_PHASES; p++)
		put_row(f, c, n, base, p);
	for (i = 0; i < n; i++) {
		if (!c[i].ran)
			fprintf(f, "not run: %s: %s\n", c[i].name, c[i].skipped);
		else if (!c[i].r.ok)
			fprintf(f, "failed: %s: %s\n", c[i].name, c[i].r.error);
	}
	for (i = 0; i < n; i++)
		if (c[i].ran && !strncmp(c[i].key, "bfs", 3)) {
			fprintf(f, "BFS: 4 replicas, durability %s\n", s->durability);
			break;
		}
	if (base)
		fprintf(f, "X/NFS: seconds of X over NFS-std's (nfs-ganesha through the same "
			"bfs-mount nfs:// client); > 1 is slower\n");
	fprintf(f, "\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* {phase: seconds..., "total"}, or each divided by div's when div. */
static void json_phases(FILE *f, const struct andrew_result *x, const struct andrew_result *div)
{
	int p;

	fprintf(f, "{");
	for (p = 0; p < ANDREW_PHASES; p++)
		fprintf(f, "%s\"%s\":%.6f", p ? "," : "", andrew_phase_names[p],
			div ? ratio(x->seconds[p], div->seconds[p]) : x->seconds[p]);
	fprintf(f, ",\"total\":%.6f}", div ? ratio(x->total, div->total) : x->total);
}

static void json_config(FILE *f, const struct andrew_config *c,
			const struct andrew_config *base)
{
	unsigned i;

	fprintf(f, "{\"name\":");
	json_str(f, c->name);
	fprintf(f, ",\"where\":");
	json_str(f, c->where);
	fprintf(f, ",\"ran\":%s,\"ok\":%s", c->ran ? "true" : "false",
		c->r.ok ? "true" : "false");
	if (c->r.ok) {
		fprintf(f, ",\"seconds\":");
		json_phases(f, &c->r, NULL);
		fprintf(f, ",\"total_s\":%.6f,\"ratio_to_nfs_std\":", c->r.total);
		if (base && strcmp(c->key, "local"))
			json_phases(f, &c->r, &base->r);
		else
			fprintf(f, "null");
		fprintf(f, ",\"runs\":[");
		for (i = 0; i < c->n_runs; i++) {
			fprintf(f, i ? "," : "");
			json_phases(f, &c->runs[i], NULL);
		}
		fprintf(f, "]");
	}
	if (!c->ran || !c->r.ok) {
		fprintf(f, c->ran ? ",\"error\":" : ",\"skipped\":");
		json_str(f, c->ran ? c->r.error : c->skipped);
	}
	fprintf(f, "}");
}

int andrew_report_json(FILE *f, const struct andrew_setup *s, const struct andrew_config *c,
		       unsigned n)
{
	const struct andrew_config *base = baseline(c, n);
	unsigned i;

	fprintf(f, "{\"bench\":\"andrew\",\"seed\":%llu,\"modules\":%u,\"scale\":%u,"
		"\"runs\":%u,\"bfs_durability\":\"%s\",\"files_per_copy\":%u,\"dirs_per_copy\":%u,\"bytes_per_copy\":%llu,"
		"\"configs\":[",
		(unsigned long long)s->t->seed, s->t->modules, s->scale, s->runs, s->durability,
		s->t->n_files,
		s->t->n_dirs, (unsigned long long)s->t->bytes);
	for (i = 0; i < n; i++) {
		if (i)
			fprintf(f, ",");
		json_config(f, &c[i], base);
	}
	fprintf(f, "]}\n");
	return ferror(f) ? -1 : 0;
}
