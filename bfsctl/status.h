/*
 * status.h — reading a replica's status file (data_dir/replica<I>/status,
 * written by bfsd's status_file.c; format in doc/design.md "Proactive
 * recovery: operations") for `bfsctl status` and `bfsctl recover`.
 */
#ifndef BFSCTL_STATUS_H
#define BFSCTL_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "bft/config.h"

/* A status file older than this (seconds) is stale: bfsd rewrites it
 * about once a second while it runs. */
#define STATUS_STALE_S 5.0

struct replica_status {
	long pid;
	uint32_t replica;
	uint64_t view, last_executed, stable, key_epoch;
	char stable_digest[65];      /* 64 hex digits */
	bool recovering;
	uint64_t recovered_after_ms; /* 0: not a recovered --recover run */
	double time;                 /* wall clock of the write (Unix seconds) */
	double age;                  /* seconds since then (now - time) */
};

/* Read replica id's status file of configuration c into st. false, with a
 * reason in why[why_len], if it is missing, unreadable or malformed. */
bool status_read(const struct bft_config *c, uint32_t id, struct replica_status *st,
		 char *why, size_t why_len);

/* The replica runs (pid file names a live bfsd), its status file is fresh
 * and written by that process: st is its current state. */
bool status_live(const char *dir, const struct bft_config *c, uint32_t id,
		 struct replica_status *st, char *why, size_t why_len);

#endif
