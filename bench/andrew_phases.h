/*
 * andrew_phases.h — the five phases of the modified Andrew benchmark
 * (OSDI '99 §6.3; TOCS '02 scales it to Andrew100/Andrew500 by working on
 * that many copies of the source tree), run on any directory through the
 * POSIX calls an application makes:
 *   1 mkdir  create every copy's directory skeleton
 *   2 copy   copy every file of the source tree into every copy
 *   3 stat   walk every copy, lstat every entry (no reads)
 *   4 read   walk every copy, read every byte of every file
 *   5 make   run `make` in every copy (cc compiles and links)
 * Phases 3 and 4 check what they find against the tree's manifest and the
 * built program's output is checked after phase 5 (outside the timing), so
 * a file system that loses or garbles data fails the run instead of
 * producing a figure.
 */
#ifndef BFS_ANDREW_PHASES_H
#define BFS_ANDREW_PHASES_H

#include <stdbool.h>

#include "andrew_tree.h"

#define ANDREW_PHASES 5
#define ANDREW_SCALE_MAX 10000
#define ANDREW_RUNS_MAX 20

extern const char *const andrew_phase_names[ANDREW_PHASES];

struct andrew_result {
	double seconds[ANDREW_PHASES]; /* wall-clock time of each phase */
	double total;                  /* their sum */
	unsigned phases_done;          /* phases completed, in order */
	bool ok;                       /* all five completed and every check passed */
	char error[320];               /* otherwise, why (a sentence) */
};

/* Run the phases for copies dst/c0 .. dst/c{scale-1} of tree t (generated
 * in src), dst being an existing directory on the file system under test.
 * make's output goes to log_dir/make.log (a local directory). label tags
 * the progress lines on stderr. Returns 0, or -1 with r->error set. */
int andrew_run(const struct andrew_tree *t, const char *src, const char *dst, unsigned scale,
	       const char *log_dir, const char *label, struct andrew_result *r);

/* r = each phase's median over runs[0..n) (n >= 1) and the median of their
 * totals; ok if every run is, else the first failed run's error. On a
 * shared machine the median of interleaved runs is steadier than one. */
void andrew_median(const struct andrew_result *runs, unsigned n, struct andrew_result *r);

#endif
