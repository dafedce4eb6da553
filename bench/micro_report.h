/*
 * micro_report.h — printing micro-benchmark results (micro_run.h): a table
 * with each configuration's ratio to the unreplicated baseline of the same
 * run, the OSDI '99 Table 2 comparison (--paper), and the JSON array of
 * `bfs-bench micro --json`.
 */
#ifndef BFS_MICRO_REPORT_H
#define BFS_MICRO_REPORT_H

#include <stdio.h>

#include "micro_run.h"

/* Set each result's p50_ratio and ops_ratio against the unreplicated result
 * with the same shape and clients (0 when there is none). */
void micro_report_ratios(struct micro_result *rs, size_t n);

void micro_report_table(FILE *f, const struct micro_result *rs, size_t n);

/* The paper's Table 2 (latency in ms, one client) beside ours. */
void micro_report_paper(FILE *f, const struct micro_result *rs, size_t n);

/* One JSON array: op, mode, clients, mean_us, p50_us, p99_us, ops_per_s,
 * p50_ratio_to_unrep (null without a baseline), plus completed, failed,
 * ops_ratio_to_unrep, view and valid. Returns 0 or -1 on a write error. */
int micro_report_json(FILE *f, const struct micro_result *rs, size_t n);

#endif
