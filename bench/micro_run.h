/*
 * micro_run.h — one configuration of the paper's micro-benchmark (OSDI '99
 * §6.3, Table 2 and Figure 3): `clients` closed-loop clients (one request
 * outstanding each, one logical client id each) issue null operations of
 * a given argument/result size, read-write, read-only or unreplicated,
 * for a warm-up and then a measured period.
 *
 * Never runs a timing assertion: it measures and reports.
 */
#ifndef BFS_MICRO_RUN_H
#define BFS_MICRO_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "bft/client.h"

enum micro_mode { MICRO_RW = 0, MICRO_RO, MICRO_UNREP, MICRO_N_MODES };

const char *micro_mode_name(enum micro_mode m);

struct micro_shape {
	uint32_t arg_kib, result_kib; /* the paper's "A/B" */
};

struct micro_params {
	struct micro_shape shape;
	enum micro_mode mode;
	uint32_t clients;
	double warmup_s, seconds;
	bool per_second;          /* print ops/s (and the view) every second */
	double kill_primary_at;   /* > 0: kill the primary this far into the
				     measured period (owned cluster only) */
};

struct micro_result {
	struct micro_params p;
	uint64_t completed;       /* in the measured period */
	uint64_t failed;          /* requests that returned an error */
	double mean_us, p50_us, p99_us, ops_per_s;
	double p50_ratio;         /* p50 / the unreplicated p50 (0: none) */
	double ops_ratio;         /* ops/s / the unreplicated ops/s (0: none) */
	uint64_t final_view;      /* the clients' view at the end */
	double server_cpu_us;     /* per op: the owned cluster's processes (0: n/a) */
	double client_cpu_us;     /* per op: this client process */
	bool valid;               /* measured something, nothing failed */
};

/* Where the runs go: the cluster's configuration, the client id whose
 * [clients] group the bench uses, and n (to name the primary, view mod n). */
struct micro_target {
	const char *config;
	uint32_t client_id;
	uint32_t n_replicas;
};

/* Open a client of the mode's flavour (p->clients lanes), run p, close it.
 * Fills *out; returns 0, or -1 (message on stderr) when the run could not
 * be set up (unreachable config, too few client ids, bad sizes). */
int micro_run(const struct micro_target *t, const struct micro_params *p,
	      struct micro_result *out);

/* Largest A or B (KiB) a run accepts: the op or result, with its header,
 * must fit in one datagram (BFT_MAX_OP, BFT_MAX_RESULT). */
#define MICRO_MAX_KIB 56u

#endif
