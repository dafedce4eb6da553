/*
 * andrew_phases.c — the five phases of the modified Andrew benchmark
 * (andrew_phases.h) on a directory: mkdir, copy, stat walk, read walk,
 * make; then the built program's output is checked.
 *
 * Must never follow a symlink out of the tree, never recurse deeper than
 * the tree it made, and never wait on make with a time limit (a benchmark
 * measures, it does not judge speed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "andrew_phases.h"
#include "procs.h"

#define COPY_BUF (64u << 10)
#define WALK_DEPTH_MAX 8
#define PATH_LEN 4096

const char *const andrew_phase_names[ANDREW_PHASES] = { "mkdir", "copy", "stat", "read",
							 "make" };

struct walk {
	bool read;         /* phase 4: read the files; phase 3: lstat only */
	unsigned files, dirs;
	uint64_t bytes, hash_sum;
	char *buf;
};

static char copy_buf[COPY_BUF]; /* one buffer for phases 2 and 4, reused */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(struct andrew_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct andrew_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

static void copy_dir(char *out, size_t len, const char *dst, unsigned k)
{
	snprintf(out, len, "%s/c%u", dst, k);
}

/* ---- 1 mkdir ---- */

static int phase_mkdir(const struct andrew_tree *t, const char *dst, unsigned scale,
		       struct andrew_result *r)
{
	char path[PATH_LEN];
	unsigned k, d;

	for (k = 0; k < scale; k++) {
		copy_dir(path, sizeof(path), dst, k);
		if (mkdir(path, 0755) < 0)
			return fail(r, "mkdir %s: %s", path, strerror(errno));
		for (d = 0; d < t->n_dirs; d++) {
			snprintf(path, sizeof(path), "%s/c%u/%s", dst, k, t->dirs[d]);
			if (mkdir(path, 0755) < 0)
				return fail(r, "mkdir %s: %s", path, strerror(errno));
		}
	}
	return 0;
}

/* ---- 2 copy ---- */

static int copy_file(const char *from, const char *to, struct andrew_result *r)
{
	struct stat st;
	ssize_t n = 0;
	int in, out, err = 0;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) < 0) {
		err = errno;
		if (in >= 0)
			close(in);
		return fail(r, "open %s: %s", from, strerror(err));
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777)) < 0) {
		err = errno;
		close(in);
		return fail(r, "create %s: %s", to, strerror(err));
	}
	while (!err && (n = read(in, copy_buf, sizeof(copy_buf))) > 0)
		if (write(out, copy_buf, (size_t)n) != n)
			err = errno ? errno : EIO;
	if (n < 0 && !err)
		err = errno;
	if (close(out) < 0 && !err)
		err = errno;
	close(in);
	return err ? fail(r, "copy to %s: %s", to, strerror(err)) : 0;
}

static int phase_copy(const struct andrew_tree *t, const char *src, const char *dst,
		      unsigned scale, struct andrew_result *r)
{
	char from[PATH_LEN], to[PATH_LEN];
	unsigned k, f;

	for (k = 0; k < scale; k++)
		for (f = 0; f < t->n_files; f++) {
			snprintf(from, sizeof(from), "%s/%s", src, t->files[f].path);
			snprintf(to, sizeof(to), "%s/c%u/%s", dst, k, t->files[f].path);
			if (copy_file(from, to, r) < 0)
				return -1;
		}
	return 0;
}

/* ---- 3 stat and 4 read: one walk ---- */

static int read_all(int at, const char *name, struct walk *w, struct andrew_result *r)
{
	uint64_t h = ANDREW_FNV_INIT;
	ssize_t n;
	int fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;

	if (fd < 0)
		return fail(r, "open %s: %s", name, strerror(errno));
	while ((n = read(fd, w->buf, COPY_BUF)) > 0) {
		h = andrew_fnv(h, w->buf, (size_t)n);
		w->bytes += (uint64_t)n;
	}
	err = n < 0 ? errno : 0;
	close(fd);
	if (err)
		return fail(r, "read %s: %s", name, strerror(err));
	w->hash_sum += h;
	return 0;
}

static int walk(int at, const char *name, unsigned depth, struct walk *w,
		struct andrew_result *r)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (depth > WALK_DEPTH_MAX)
		return fail(r, "%s: deeper than the tree the benchmark made", name);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		rc = errno;
		if (fd >= 0)
			close(fd);
		return fail(r, "opendir %s: %s", name, strerror(rc));
	}
	while (rc == 0 && (errno = 0, e = readdir(d))) {
		bool is_dir;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (w->read && e->d_type != DT_UNKNOWN) {
			is_dir = e->d_type == DT_DIR;
		} else if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = fail(r, "stat %s/%s: %s", name, e->d_name, strerror(errno));
			break;
		} else {
			is_dir = S_ISDIR(st.st_mode);
			if (!is_dir && !w->read)
				w->bytes += (uint64_t)st.st_size;
		}
		if (is_dir) {
			w->dirs++;
			rc = walk(dirfd(d), e->d_name, depth + 1, w, r);
		} else {
			w->files++;
			if (w->read)
				rc = read_all(dirfd(d), e->d_name, w, r);
		}
	}
	if (rc == 0 && errno)
		rc = fail(r, "readdir %s: %s", name, strerror(errno));
	closedir(d);
	return rc;
}

static int phase_walk(const struct andrew_tree *t, const char *dst, unsigned scale, bool rd,
		      struct andrew_result *r)
{
	char path[PATH_LEN];
	unsigned k;

	for (k = 0; k < scale; k++) {
		struct walk w = { .read = rd, .buf = copy_buf };

		copy_dir(path, sizeof(path), dst, k);
		if (walk(AT_FDCWD, path, 0, &w, r) < 0)
			return -1;
		if (w.files != t->n_files || w.dirs != t->n_dirs || w.bytes != t->bytes)
			return fail(r, "%s holds %u files in %u directories, %llu bytes; the tree "
				    "has %u, %u, %llu", path, w.files, w.dirs,
				    (unsigned long long)w.bytes, t->n_files, t->n_dirs,
				    (unsigned long long)t->bytes);
		if (rd && w.hash_sum != t->hash_sum)
			return fail(r, "%s: the files read differ from those copied", path);
	}
	return 0;
}

/* ---- 5 make, and the check of what it built ---- */

static int phase_make(const char *dst, unsigned scale, const char *log,
		      struct andrew_result *r)
{
	char path[PATH_LEN];
	unsigned k;
	int st;

	for (k = 0; k < scale; k++) {
		copy_dir(path, sizeof(path), dst, k);
		st = procs_wait(procs_spawn((const char *const[]){ "make", "-s", "-C", path, NULL },
					    log), -1);
		if (st != 0)
			return fail(r, "make -C %s failed (status %d); its output is in %s", path,
				    st, log);
	}
	return 0;
}

static int check_program(const struct andrew_tree *t, const char *dst, unsigned k,
			 const char *out, struct andrew_result *r)
{
	char prog[PATH_LEN], got[64] = "";
	FILE *f;
	int st;

	snprintf(prog, sizeof(prog), "%s/c%u/%s", dst, k, ANDREW_PROGRAM);
	unlink(out);
	st = procs_wait(procs_spawn((const char *const[]){ prog, NULL }, out), -1);
	if ((f = fopen(out, "r"))) {
		if (!fgets(got, sizeof(got), f))
			got[0] = '\0';
		fclose(f);
	}
	if (st != 0 || strcmp(got, t->output))
		return fail(r, "%s printed \"%.*s\" (status %d), expected \"%.*s\"", prog,
			    (int)strcspn(got, "\n"), got, st, (int)strcspn(t->output, "\n"),
			    t->output);
	return 0;
}

/* ---- the run ---- */

static int run_phase(unsigned p, const struct andrew_tree *t, const char *src,
		     const char *dst, unsigned scale, const char *log, struct andrew_result *r)
{
	switch (p) {
	case 0:
		return phase_mkdir(t, dst, scale, r);
	case 1:
		return phase_copy(t, src, dst, scale, r);
	case 2:
	case 3:
		return phase_walk(t, dst, scale, p == 3, r);
	default:
		return phase_make(dst, scale, log, r);
	}
}

int andrew_run(const struct andrew_tree *t, const char *src, const char *dst, unsigned scale,
	       const char *log_dir, const char *label, struct andrew_result *r)
{
	char log[PATH_LEN], out[PATH_LEN];
	unsigned p;
	double t0;

	memset(r, 0, sizeof(*r));
	snprintf(log, sizeof(log), "%s/make.log", log_dir);
	snprintf(out, sizeof(out), "%s/program.out", log_dir);
	/* make must not join a jobserver or inherit flags of whoever started us */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	for (p = 0; p < ANDREW_PHASES; p++) {
		t0 = now_s();
		if (run_phase(p, t, src, dst, scale, log, r) < 0) {
			fprintf(stderr, "  [%s] phase %u (%s) failed: %s\n", label, p + 1,
				andrew_phase_names[p], r->error);
			return -1;
		}
		r->seconds[p] = now_s() - t0;
		r->total += r->seconds[p];
		r->phases_done = p + 1;
		fprintf(stderr, "  [%s] phase %u %-5s %9.3f s\n", label, p + 1,
			andrew_phase_names[p], r->seconds[p]);
	}
	if (check_program(t, dst, 0, out, r) < 0 ||
	    (scale > 1 && check_program(t, dst, scale - 1, out, r) < 0)) {
		fprintf(stderr, "  [%s] %s\n", label, r->error);
		return -1;
	}
	r->ok = true;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void andrew_median(const struct andrew_result *runs, unsigned n, struct andrew_result *r)
{
	double v[ANDREW_RUNS_MAX];
	unsigned i, p;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++)
		if (!runs[i].ok) {
			*r = runs[i];
			return;
		}
	for (p = 0; p <= ANDREW_PHASES; p++) {
		for (i = 0; i < n && i < ANDREW_RUNS_MAX; i++)
			v[i] = p < ANDREW_PHASES ? runs[i].seconds[p] : runs[i].total;
		*(p < ANDREW_PHASES ? &r->seconds[p] : &r->total) = median(v, i);
	}
	r->phases_done = ANDREW_PHASES;
	r->ok = true;
}
