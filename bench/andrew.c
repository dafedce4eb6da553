/*
 * andrew.c — `bfs-bench andrew` (andrew.h): options, the generated source
 * tree in a local temporary directory, then either the five phases in one
 * directory (--dir) or the comparison (--compare), the table, the JSON.
 *
 *   bfs-bench andrew --dir DIR | --compare [--only LIST]
 *                    [--scale N] [--runs R] [--modules M] [--seed S]
 *                    [--durability MODE] [--json FILE|-] [--keep]
 *
 * Must reject malformed options with a sentence, and remove only what it
 * created (the temporary directory, and DIR/andrew-XXXXXX unless --keep).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "andrew.h"
#include "andrew_compare.h"
#include "andrew_phases.h"
#include "andrew_report.h"
#include "andrew_tree.h"
#include "procs.h"

#define DEFAULT_SEED 1999 /* the year of the paper */

struct andrew_opts {
	const char *dir, *json, *durability;
	bool compare, keep;
	bool only[ANDREW_COMPARE_CONFIGS];
	unsigned scale, modules, runs;
	uint64_t seed;
};

static struct {
	char work[64];   /* local: src/, logs, mount points */
	char target[256]; /* --dir: DIR/andrew-XXXXXX */
	bool keep;
} run_dirs;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bfs-bench andrew --dir DIR [options]\n"
		"       bfs-bench andrew --compare [--only LIST] [options]\n"
		"options: [--scale N] [--runs R] [--modules M] [--seed S] [--json FILE|-]\n"
		"         [--durability sync|nometasync|async] [--keep]\n"
		"\n"
		"The modified Andrew benchmark (OSDI '99 §6.3): 1 mkdir the tree, 2 copy the\n"
		"sources, 3 stat every file, 4 read every byte, 5 make (cc compiles and\n"
		"links). The source tree is a generated C project (seed S, M modules: about\n"
		"70 files and 200 KiB for the default 30); --scale N works on N copies of it\n"
		"(Andrew100: --scale 100). What phases 3-5 find is checked against what was\n"
		"generated. --runs R repeats it R times (interleaved across configurations)\n"
		"and reports each phase's median.\n"
		"--dir DIR     run in DIR/andrew-XXXXXX (removed afterwards unless --keep)\n"
		"--compare     run on local, NFS-std (nfs-ganesha), BFS (4 replicas, bfs-mount\n"
		"              bft:) and BFS-nfsproxy (bfs-mount nfs:// through nfsproxy) and\n"
		"              print each phase's ratio to NFS-std; --only picks some of\n"
		"              local,nfs-std,bfs,bfs-nfsproxy; --durability sets the BFS\n"
		"              replicas' [cluster] durability (doc/config.md)\n"
		"Defaults: --scale 1 --runs 1 --modules %u --seed %u --durability sync.\n",
		ANDREW_MODULES_DEFAULT, DEFAULT_SEED);
}

static bool bad(const char *opt, const char *v, const char *want)
{
	fprintf(stderr, "bfs-bench andrew: %s %s: %s\n", opt, v ? v : "(missing)", want);
	return false;
}

static bool parse_num(const char *opt, const char *s, uint64_t min, uint64_t max,
		      uint64_t *out)
{
	char want[64], *end;
	unsigned long long v;

	snprintf(want, sizeof(want), "needs a number in %llu..%llu", (unsigned long long)min,
		 (unsigned long long)max);
	if (!s || *s < '0' || *s > '9')
		return bad(opt, s, want);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return bad(opt, s, want);
	*out = v;
	return true;
}

static bool parse_only(const char *v, struct andrew_opts *o)
{
	struct andrew_config c[ANDREW_COMPARE_CONFIGS];
	char buf[128], *save = NULL, *item;
	unsigned i;

	andrew_compare_init(c);
	if (!v || strlen(v) >= sizeof(buf))
		return bad("--only", v, "needs a comma-separated list");
	snprintf(buf, sizeof(buf), "%s", v);
	memset(o->only, 0, sizeof(o->only));
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ANDREW_COMPARE_CONFIGS && strcmp(item, c[i].key); i++)
			;
		if (i == ANDREW_COMPARE_CONFIGS)
			return bad("--only", item, "is not one of local, nfs-std, bfs, bfs-nfsproxy");
		o->only[i] = true;
	}
	return true;
}

static bool is_valued(const char *a)
{
	static const char *const valued[] = { "--dir", "--json", "--only", "--scale",
					      "--runs", "--modules", "--seed",
					      "--durability" };
	size_t i;

	for (i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (!strcmp(a, valued[i]))
			return true;
	return false;
}

static bool parse_one(const char *a, const char *val, struct andrew_opts *o)
{
	uint64_t v;

	if (!val)
		return bad(a, val, "needs a value");
	if (!strcmp(a, "--dir"))
		o->dir = val;
	else if (!strcmp(a, "--json"))
		o->json = val;
	else if (!strcmp(a, "--only"))
		return parse_only(val, o);
	else if (!strcmp(a, "--durability") && (!strcmp(val, "sync") ||
		 !strcmp(val, "nometasync") || !strcmp(val, "async")))
		o->durability = val;
	else if (!strcmp(a, "--durability"))
		return bad(a, val, "is not sync, nometasync or async");
	else if (!strcmp(a, "--seed"))
		return parse_num(a, val, 0, UINT64_MAX, &o->seed);
	else if (!strcmp(a, "--runs") && parse_num(a, val, 1, ANDREW_RUNS_MAX, &v))
		o->runs = (unsigned)v;
	else if (!strcmp(a, "--scale") && parse_num(a, val, 1, ANDREW_SCALE_MAX, &v))
		o->scale = (unsigned)v;
	else if (!strcmp(a, "--modules") && parse_num(a, val, 1, ANDREW_MODULES_MAX, &v))
		o->modules = (unsigned)v;
	else
		return false;
	return true;
}

static bool parse(int argc, char **argv, struct andrew_opts *o)
{
	struct stat st;
	bool only = false, durability = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--compare") || !strcmp(a, "--keep")) {
			*(a[2] == 'c' ? &o->compare : &o->keep) = true;
			continue;
		}
		if (!is_valued(a)) {
			fprintf(stderr, "bfs-bench andrew: %s is not an option (bfs-bench andrew "
				"--help)\n", a);
			return false;
		}
		only = only || !strcmp(a, "--only");
		durability = durability || !strcmp(a, "--durability");
		if (!parse_one(a, i + 1 < argc ? argv[i + 1] : NULL, o))
			return false;
		i++;
	}
	if (!!o->dir == o->compare) {
		fprintf(stderr, "bfs-bench andrew: give either --dir DIR or --compare\n");
		return false;
	}
	if ((only || durability) && !o->compare) {
		fprintf(stderr, "bfs-bench andrew: --%s goes with --compare\n",
			only ? "only" : "durability");
		return false;
	}
	if (o->dir && (stat(o->dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		return bad("--dir", o->dir, "is not a directory");
	return true;
}

static void cleanup(void)
{
	if (run_dirs.target[0] && !run_dirs.keep)
		procs_rmtree(run_dirs.target);
	if (run_dirs.work[0] && !run_dirs.keep && andrew_compare_clean())
		procs_rmtree(run_dirs.work);
	else if (run_dirs.work[0])
		fprintf(stderr, "bfs-bench andrew: kept %s\n", run_dirs.work);
	run_dirs.target[0] = run_dirs.work[0] = '\0';
}

static void on_signal(int signo)
{
	(void)signo;
	exit(1); /* atexit: unmount, stop, remove */
}

static int write_json(const char *path, const struct andrew_setup *s,
		      const struct andrew_config *c, unsigned n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int rc;

	if (!f) {
		fprintf(stderr, "bfs-bench andrew: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = andrew_report_json(f, s, c, n);
	if (f != stdout && fclose(f) != 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "bfs-bench andrew: error writing %s\n", path);
	return rc;
}

/* --dir: one configuration in DIR/andrew-XXXXXX. */
static void run_dir(const struct andrew_opts *o, const struct andrew_setup *s,
		    const char *src, struct andrew_config *c)
{
	char dst[sizeof(run_dirs.target) + 16], label[32];
	unsigned r;

	c->name = "dir";
	c->key = "dir";
	if (strlen(o->dir) + sizeof("/andrew-XXXXXX") > sizeof(run_dirs.target)) {
		snprintf(c->skipped, sizeof(c->skipped), "--dir: the path is too long (at most "
			 "%zu bytes)", sizeof(run_dirs.target) - sizeof("/andrew-XXXXXX"));
		return;
	}
	snprintf(run_dirs.target, sizeof(run_dirs.target), "%s/andrew-XXXXXX", o->dir);
	if (!mkdtemp(run_dirs.target)) {
		snprintf(c->skipped, sizeof(c->skipped), "cannot create a directory in %s: %s",
			 o->dir, strerror(errno));
		run_dirs.target[0] = '\0';
		return;
	}
	snprintf(c->where, sizeof(c->where), "%s", run_dirs.target);
	c->ran = true;
	for (r = 0; r < s->runs && (r == 0 || c->runs[r - 1].ok); r++) {
		snprintf(dst, sizeof(dst), "%s/run-%u", run_dirs.target, r);
		snprintf(label, sizeof(label), "run %u", r + 1);
		c->n_runs++;
		if (mkdir(dst, 0755) < 0)
			snprintf(c->runs[r].error, sizeof(c->runs[r].error), "mkdir %.200s: %s", dst,
				 strerror(errno));
		else
			andrew_run(s->t, src, dst, s->scale, run_dirs.work, label, &c->runs[r]);
	}
	andrew_median(c->runs, c->n_runs, &c->r);
}

int andrew_main(int argc, char **argv)
{
	struct andrew_opts o = { .scale = 1, .runs = 1, .modules = ANDREW_MODULES_DEFAULT,
				 .seed = DEFAULT_SEED, .durability = "sync" };
	struct andrew_config all[ANDREW_COMPARE_CONFIGS], c[ANDREW_COMPARE_CONFIGS];
	struct andrew_tree tree;
	struct andrew_setup s = { .t = &tree };
	char src[sizeof(run_dirs.work) + 8];
	unsigned i, n = 0;
	int err, rc = 0;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	memset(o.only, 1, sizeof(o.only));
	if (!parse(argc, argv, &o))
		return 2;
	s.scale = o.scale;
	s.runs = o.runs;
	s.durability = o.durability;
	run_dirs.keep = o.keep;
	snprintf(run_dirs.work, sizeof(run_dirs.work), "/tmp/bfs-andrew-XXXXXX");
	if (!mkdtemp(run_dirs.work)) {
		fprintf(stderr, "bfs-bench andrew: cannot create a temporary directory\n");
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	snprintf(src, sizeof(src), "%s/src", run_dirs.work);
	err = mkdir(src, 0755) < 0 ? -errno : andrew_tree_generate(src, o.seed, o.modules, &tree);
	if (err) {
		fprintf(stderr, "bfs-bench andrew: cannot generate the source tree in %s: %s\n",
			src, strerror(-err));
		return 1;
	}
	fprintf(stderr, "source tree: %u files, %u directories, %llu bytes in %s\n",
		tree.n_files, tree.n_dirs, (unsigned long long)tree.bytes, src);
	if (o.compare) {
		andrew_compare_init(all);
		for (i = 0; i < ANDREW_COMPARE_CONFIGS; i++)
			if (o.only[i])
				c[n++] = all[i];
		andrew_compare_run(&s, src, run_dirs.work, o.keep, c, n);
	} else {
		memset(c, 0, sizeof(c[0]));
		run_dir(&o, &s, src, &c[0]);
		n = 1;
	}
	andrew_report_table(stdout, &s, c, n);
	if (o.json && write_json(o.json, &s, c, n) < 0)
		rc = 1;
	for (i = 0; i < n; i++)
		if ((c[i].ran && !c[i].r.ok) || (!o.compare && !c[i].ran))
			rc = 1;
	andrew_tree_free(&tree);
	return rc;
}
