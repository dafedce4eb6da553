/*
 * andrew_report.h — results of `bfs-bench andrew`: one column per
 * configuration (a directory, or local / NFS-std / BFS / BFS-nfsproxy in a
 * comparison), seconds per phase and in total, and the ratio of BFS to
 * NFS-std per phase as in the paper's table (OSDI '99 §6.3); the same as
 * one JSON object.
 */
#ifndef BFS_ANDREW_REPORT_H
#define BFS_ANDREW_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "andrew_phases.h"
#include "andrew_tree.h"

#define ANDREW_NFS_STD "NFS-std" /* the baseline of the ratios */

struct andrew_config {
	const char *name;   /* column title */
	const char *key;    /* its --only name */
	char where[320];    /* the directory, or the mount's source */
	bool ran;           /* its phases were started */
	char skipped[320];  /* when not run: why (a sentence) */
	struct andrew_result runs[ANDREW_RUNS_MAX];
	unsigned n_runs;    /* runs made (the last may have failed) */
	struct andrew_result r; /* the medians over the runs (andrew_median) */
};

struct andrew_setup {
	const struct andrew_tree *t;
	unsigned scale;
	unsigned runs; /* per configuration, interleaved */
	const char *durability; /* the BFS replicas' [cluster] durability */
};

/* The table, then one line per configuration not run or failed. */
void andrew_report_table(FILE *f, const struct andrew_setup *s, const struct andrew_config *c,
			 unsigned n);

/* {"bench":"andrew", "seed", "modules", "scale", "files_per_copy",
 *  "dirs_per_copy", "bytes_per_copy", "configs":[{"name", "where", "ran",
 *  "ok", "seconds":{phase: s..., "total"} (medians), "total_s",
 *  "ratio_to_nfs_std":{...}|null, "runs":[{phase: s..., "total"}...],
 *  "error"|"skipped"}]}. Returns 0 or -1 on a write error. */
int andrew_report_json(FILE *f, const struct andrew_setup *s, const struct andrew_config *c,
		       unsigned n);

#endif
