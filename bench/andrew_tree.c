/*
 * andrew_tree.c — the Andrew benchmark's generated source tree
 * (andrew_tree.h): the directory skeleton, the manifest, the seeded
 * random stream, prose for comments and documentation, the Makefile and
 * README; the C sources come from andrew_code.c.
 *
 * Layout of a tree (groups without a module are left out):
 *   Makefile README include/config.h include/GROUP/MOD.h src/main.c
 *   src/GROUP/MOD.c doc/GROUP.txt lib/ (libandrew.a at build time)
 * Modules of group "core" and main.c are linked into the program; the
 * others into lib/libandrew.a first, as a project's own library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "andrew_gen.h"

#define MAX_DIRS (3 + 2 * ANDREW_GROUPS + 1)
#define MAX_FILES (2 * ANDREW_MODULES_MAX + ANDREW_GROUPS + 8)
#define WRAP 72

const char *const andrew_groups[ANDREW_GROUPS] = { "core", "io", "net", "text", "util",
						   "store" };

static const char *const words[] = {
	"buffer", "request", "reply", "client", "server", "table", "entry", "record",
	"value", "index", "offset", "length", "handle", "cache", "queue", "stream",
	"block", "page", "state", "error", "result", "header", "field", "counter",
	"limit", "timer", "event", "packet", "frame", "window", "token", "symbol",
	"parser", "writer", "reader", "format", "number", "string", "array", "list",
	"is", "are", "the", "a", "each", "every", "when", "before", "after", "until",
	"holds", "keeps", "returns", "checks", "updates", "writes", "reads", "moves",
	"never", "always", "only", "first", "last", "next", "empty", "full", "small",
	"large", "valid", "stale", "fresh", "sorted", "aligned", "bounded", "local",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

uint64_t andrew_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* splitmix64 (Steele et al.): a fixed, portable stream for one seed. */
static uint64_t next(struct andrew_gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t andrew_gen_rand(struct andrew_gen *g, uint32_t n)
{
	return n ? (uint32_t)(next(g) % n) : 0;
}

const char *andrew_word(struct andrew_gen *g)
{
	return words[andrew_gen_rand(g, N_WORDS)];
}

void andrew_put(struct andrew_gen *g, const char *fmt, ...)
{
	size_t room = sizeof(g->buf) - g->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->buf + g->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		g->overflow = true;
		return;
	}
	g->len += (size_t)n;
}

void andrew_put_prose(struct andrew_gen *g, const char *prefix, unsigned sentences)
{
	size_t col = 0;
	unsigned s, w, n;

	for (s = 0; s < sentences; s++) {
		n = 5 + andrew_gen_rand(g, 10);
		for (w = 0; w < n; w++) {
			const char *word = andrew_word(g);
			size_t len = strlen(word) + 1 + (w + 1 == n);

			if (col == 0 || col + len > WRAP) {
				andrew_put(g, "%s%s", col ? "\n" : "", prefix);
				col = strlen(prefix);
			} else {
				andrew_put(g, " ");
			}
			andrew_put(g, "%c%s%s", w ? word[0] : word[0] - 'a' + 'A', word + 1,
				   w + 1 == n ? "." : "");
			col += len;
		}
	}
	andrew_put(g, "\n");
}

int andrew_emit(struct andrew_gen *g, const char *path)
{
	struct andrew_tree *t = g->t;
	struct andrew_file *f;
	char full[4096];
	ssize_t n;
	int fd, err = 0;

	if (g->overflow || t->n_files >= MAX_FILES || strlen(path) >= ANDREW_PATH_MAX)
		return -EOVERFLOW;
	snprintf(full, sizeof(full), "%s/%s", g->root, path);
	fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, g->buf, g->len);
	if (n != (ssize_t)g->len)
		err = n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		return err;
	f = &t->files[t->n_files++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->size = (uint32_t)g->len;
	f->hash = andrew_fnv(ANDREW_FNV_INIT, g->buf, g->len);
	t->bytes += f->size;
	t->hash_sum += f->hash;
	g->len = 0;
	return 0;
}

static int add_dir(struct andrew_gen *g, const char *path)
{
	struct andrew_tree *t = g->t;
	char full[4096];

	if (t->n_dirs >= MAX_DIRS || strlen(path) >= ANDREW_PATH_MAX)
		return -EOVERFLOW;
	snprintf(full, sizeof(full), "%s/%s", g->root, path);
	if (mkdir(full, 0755) < 0)
		return -errno;
	snprintf(t->dirs[t->n_dirs++], ANDREW_PATH_MAX, "%s", path);
	return 0;
}

static bool group_used(const struct andrew_gen *g, unsigned grp)
{
	return grp < g->t->modules; /* module i is in group i % ANDREW_GROUPS */
}

static int make_dirs(struct andrew_gen *g)
{
	static const char *const top[] = { "include", "src", "doc", "lib" };
	char path[ANDREW_PATH_MAX];
	unsigned i, k;
	int err = 0;

	for (i = 0; i < 4 && !err; i++) {
		err = add_dir(g, top[i]);
		for (k = 0; i < 2 && k < ANDREW_GROUPS && !err; k++) {
			if (!group_used(g, k))
				continue;
			snprintf(path, sizeof(path), "%s/%s", top[i], andrew_groups[k]);
			err = add_dir(g, path);
		}
	}
	return err;
}

enum list { CORE_OBJS, LIB_OBJS, HEADERS };

/* A make variable listing the core objects, library objects or headers. */
static void put_list(struct andrew_gen *g, const char *var, enum list which)
{
	const struct andrew_module *m;
	unsigned i;

	andrew_put(g, "%s =", var);
	for (i = 0; i < g->t->modules; i++) {
		m = &g->mods[i];
		if (which == HEADERS)
			andrew_put(g, " \\\n\tinclude/%s/%s.h", m->group, m->name);
		else if ((i % ANDREW_GROUPS == 0) == (which == CORE_OBJS))
			andrew_put(g, " \\\n\tsrc/%s/%s.o", m->group, m->name);
	}
	if (which == CORE_OBJS)
		andrew_put(g, " \\\n\tsrc/main.o");
	andrew_put(g, "\n");
}

static int write_makefile(struct andrew_gen *g)
{
	const struct andrew_module *m;
	bool lib = g->t->modules > 1; /* module 0 is core; any other is library */
	unsigned i;

	andrew_put(g, "# Makefile of the generated Andrew benchmark project (seed %llu,\n"
		   "# %u modules). `make` builds ./%s; `make clean` removes what it built.\n\n"
		   "CC = cc\nCFLAGS = -O1 -Wall -Iinclude\nAR = ar\nARFLAGS = rcs\n\n",
		   (unsigned long long)g->t->seed, g->t->modules, ANDREW_PROGRAM);
	put_list(g, "CORE_OBJS", CORE_OBJS);
	put_list(g, "LIB_OBJS", LIB_OBJS);
	put_list(g, "HEADERS", HEADERS);
	andrew_put(g, "LIB = %s\n\nall: %s\n\n%s: $(CORE_OBJS) $(LIB)\n"
		   "\t$(CC) -o $@ $(CORE_OBJS) $(LIB)\n\n", lib ? "lib/libandrew.a" : "",
		   ANDREW_PROGRAM, ANDREW_PROGRAM);
	if (lib)
		andrew_put(g, "lib/libandrew.a: $(LIB_OBJS)\n\trm -f $@\n"
			   "\t$(AR) $(ARFLAGS) $@ $(LIB_OBJS)\n\n");
	for (i = 0; i < g->t->modules; i++) {
		m = &g->mods[i];
		andrew_put(g, "src/%s/%s.o: src/%s/%s.c include/%s/%s.h include/config.h",
			   m->group, m->name, m->group, m->name, m->group, m->name);
		if (m->dep >= 0)
			andrew_put(g, " include/%s/%s.h", g->mods[m->dep].group,
				   g->mods[m->dep].name);
		andrew_put(g, "\n");
	}
	andrew_put(g, "src/main.o: src/main.c include/config.h $(HEADERS)\n\n"
		   "%%.o: %%.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\n"
		   "clean:\n\trm -f %s lib/libandrew.a $(CORE_OBJS) $(LIB_OBJS)\n\n"
		   ".PHONY: all clean\n", ANDREW_PROGRAM);
	return andrew_emit(g, "Makefile");
}

static int write_docs(struct andrew_gen *g)
{
	char path[ANDREW_PATH_MAX];
	unsigned k, p, paras;
	int err;

	andrew_put(g, "Generated Andrew benchmark project\n"
		   "==================================\n\n"
		   "Build with `make`; run ./%s. Seed %llu, %u modules.\n\n",
		   ANDREW_PROGRAM, (unsigned long long)g->t->seed, g->t->modules);
	andrew_put_prose(g, "", 6);
	if ((err = andrew_emit(g, "README")))
		return err;
	for (k = 0; k < ANDREW_GROUPS; k++) {
		if (!group_used(g, k))
			continue;
		andrew_put(g, "The %s subsystem\n\n", andrew_groups[k]);
		paras = 3 + andrew_gen_rand(g, 6);
		for (p = 0; p < paras; p++) {
			andrew_put_prose(g, "", 3 + andrew_gen_rand(g, 5));
			andrew_put(g, "\n");
		}
		snprintf(path, sizeof(path), "doc/%s.txt", andrew_groups[k]);
		if ((err = andrew_emit(g, path)))
			return err;
	}
	return 0;
}

void andrew_tree_free(struct andrew_tree *t)
{
	free(t->dirs);
	free(t->files);
	t->dirs = NULL;
	t->files = NULL;
	t->n_dirs = t->n_files = 0;
}

int andrew_tree_generate(const char *root, uint64_t seed, unsigned modules,
			 struct andrew_tree *t)
{
	static struct andrew_gen g; /* 64 KiB of buffer: not on the stack */
	struct andrew_module mods[ANDREW_MODULES_MAX];
	int err;

	memset(t, 0, sizeof(*t));
	if (modules < 1 || modules > ANDREW_MODULES_MAX)
		return -EINVAL;
	t->seed = seed;
	t->modules = modules;
	t->dirs = calloc(MAX_DIRS, sizeof(*t->dirs));
	t->files = calloc(MAX_FILES, sizeof(*t->files));
	if (!t->dirs || !t->files) {
		andrew_tree_free(t);
		return -ENOMEM;
	}
	memset(&g, 0, sizeof(g));
	g.rng = seed;
	g.root = root;
	g.t = t;
	g.mods = mods;
	andrew_code_plan(&g);
	err = make_dirs(&g);
	if (!err)
		err = andrew_code_write(&g);
	if (!err)
		err = write_makefile(&g);
	if (!err)
		err = write_docs(&g);
	if (err)
		andrew_tree_free(t);
	return err;
}
