/*
 * andrew_tree.h — the source tree of the modified Andrew benchmark
 * (Howard et al., TOCS 1988; OSDI '99 §6.3 runs it on BFS): generated, not
 * shipped. From a seed, a synthetic but ordinary C project — M modules
 * (a .c of a few KiB and its .h) in subsystem directories, a main program,
 * a static library, a Makefile, a README and text documentation; about 70
 * files and 200 KiB for the default M, the size of the original tree.
 *
 * The same seed and M give byte-identical trees on any host. The manifest
 * records what the benchmark must find again: every directory and file, the
 * byte count and FNV-1a hash of each file, and the line the built program
 * prints. Never reads the clock or any randomness but its seed.
 */
#ifndef BFS_ANDREW_TREE_H
#define BFS_ANDREW_TREE_H

#include <stddef.h>
#include <stdint.h>

#define ANDREW_MODULES_DEFAULT 30
#define ANDREW_MODULES_MAX 256
#define ANDREW_PATH_MAX 96         /* a path inside the tree, with its NUL */
#define ANDREW_FILE_MAX (64u << 10) /* no generated file is larger */
#define ANDREW_PROGRAM "andrew"    /* what `make` links, at the tree's root */

struct andrew_file {
	char path[ANDREW_PATH_MAX]; /* relative to the tree's root */
	uint32_t size;
	uint64_t hash; /* FNV-1a 64 of the contents */
};

/* Owned by the caller; andrew_tree_free releases the arrays. */
struct andrew_tree {
	uint64_t seed;
	unsigned modules;
	char (*dirs)[ANDREW_PATH_MAX]; /* parents before children */
	unsigned n_dirs;
	struct andrew_file *files;
	unsigned n_files;
	uint64_t bytes;    /* sum of the sizes */
	uint64_t hash_sum; /* sum of the hashes mod 2^64: independent of order */
	char output[32];   /* the program's expected stdout */
};

/* Write the tree for seed and modules (1..ANDREW_MODULES_MAX) into root,
 * an existing empty directory on a local file system, and fill t.
 * Returns 0 or -errno (t is then freed). */
int andrew_tree_generate(const char *root, uint64_t seed, unsigned modules,
			 struct andrew_tree *t);

void andrew_tree_free(struct andrew_tree *t);

/* FNV-1a 64 of p[0..n), continuing from h (start with ANDREW_FNV_INIT). */
#define ANDREW_FNV_INIT 0xcbf29ce484222325ull
uint64_t andrew_fnv(uint64_t h, const void *p, size_t n);

#endif
