/*
 * andrew_gen.h — internals of the Andrew source-tree generator shared by
 * andrew_tree.c (directories, manifest, prose, Makefile) and andrew_code.c
 * (the C sources): the seeded random stream and the file being written.
 *
 * Everything generated comes from gen->rng: never the clock, the host or
 * an unordered container, so one seed gives one tree everywhere.
 */
#ifndef BFS_ANDREW_GEN_H
#define BFS_ANDREW_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "andrew_tree.h"

#define ANDREW_GROUPS 6 /* subsystem directories; group 0 is "core" */
#define ANDREW_FILLERS_MAX 9

struct andrew_module {
	const char *group;
	char name[24];        /* C identifier prefix, unique in the tree */
	int dep;              /* an earlier module whose header it includes, or -1 */
	unsigned n_fillers;
	uint8_t tmpl[ANDREW_FILLERS_MAX]; /* template of each extra function */
	uint8_t verb[ANDREW_FILLERS_MAX]; /* index into the verb list */
	uint32_t value;       /* what name_value() returns */
};

struct andrew_gen {
	uint64_t rng;
	const char *root;
	struct andrew_tree *t;
	struct andrew_module *mods;
	char buf[ANDREW_FILE_MAX]; /* the file being generated */
	size_t len;
	bool overflow;
};

extern const char *const andrew_groups[ANDREW_GROUPS];

uint32_t andrew_gen_rand(struct andrew_gen *g, uint32_t n); /* uniform in [0, n) */

/* Append to the current file (printf format); too much sets overflow. */
void andrew_put(struct andrew_gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sentences of random words, wrapped at 72 columns, each line prefixed. */
void andrew_put_prose(struct andrew_gen *g, const char *prefix, unsigned sentences);

/* A random lowercase word of the prose vocabulary. */
const char *andrew_word(struct andrew_gen *g);

/* Write the current file to root/path, record it in the manifest, start a
 * new one. 0 or -errno. */
int andrew_emit(struct andrew_gen *g, const char *path);

/* andrew_code.c: plan the modules (names, functions, values) ... */
void andrew_code_plan(struct andrew_gen *g);
/* ... and write include/config.h, every module's .h and .c, src/main.c. */
int andrew_code_write(struct andrew_gen *g);

#endif
