/*
 * bft/log.h — the runtime's one logging function, with levels, to stderr or
 * to a file that can be reopened (SIGHUP, after logrotate moved it).
 *
 * Lines look like
 *   2024-05-01T12:00:00.123Z INFO  replica 2 view 0: checkpoint 128 stable
 * and are written with one write(2) each, so concurrent writers (several
 * processes appending to one file, O_APPEND) never interleave inside a line.
 * Lines above the logger's level are never formatted.
 *
 * Must never exit or abort on a write failure: logging is best effort.
 * Not thread-safe for reopen vs. write; use from the loop's thread.
 */
#ifndef BFT_LOG_H
#define BFT_LOG_H

#include "bft/io.h"

#define BFT_LOG_LINE_MAX 1024

struct bft_log;

/* path NULL or "-": stderr. Otherwise the file is opened O_APPEND|O_CREAT,
 * mode 0640. *out is the caller's, released with bft_log_free(). Errors
 * follow bft/net.h. */
int bft_log_open(const char *path, enum bft_log_level level, struct bft_log **out);
void bft_log_free(struct bft_log *lg);

/* Reopen the file by name (no-op for stderr). On failure the old
 * descriptor stays in use and the error is returned (and logged). */
int bft_log_reopen(struct bft_log *lg);

void bft_log_set_level(struct bft_log *lg, enum bft_log_level level);
enum bft_log_level bft_log_level(const struct bft_log *lg);

/* Write one line at `level` (dropped if above the logger's level). */
void bft_log_line(struct bft_log *lg, enum bft_log_level level, const char *line);
void bft_logf(struct bft_log *lg, enum bft_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parse "error", "warn", "info", "debug"; 0 or BFT_E_INVAL. */
int bft_log_level_parse(const char *s, enum bft_log_level *out);

#endif
