/*
 * log.c — bft/log.h: leveled log lines to stderr or a reopenable file.
 *
 * Never exits on a failed write, never formats a line above the level, and
 * never writes a line in more than one write(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bft/error.h"
#include "bft/log.h"
#include "bft/net.h"

struct bft_log {
	int fd;
	char *path; /* NULL: stderr */
	enum bft_log_level level;
};

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

int bft_log_open(const char *path, enum bft_log_level level, struct bft_log **out)
{
	struct bft_log *lg = calloc(1, sizeof(*lg));

	*out = NULL;
	if (!lg)
		return BFT_E_NOMEM;
	lg->fd = STDERR_FILENO;
	lg->level = level;
	if (path && strcmp(path, "-") != 0) {
		lg->path = strdup(path);
		if (!lg->path) {
			free(lg);
			return BFT_E_NOMEM;
		}
		lg->fd = open_file(path);
		if (lg->fd < 0) {
			int err = lg->fd;

			free(lg->path);
			free(lg);
			return err;
		}
	}
	*out = lg;
	return BFT_OK;
}

void bft_log_free(struct bft_log *lg)
{
	if (!lg)
		return;
	if (lg->path)
		close(lg->fd);
	free(lg->path);
	free(lg);
}

int bft_log_reopen(struct bft_log *lg)
{
	int fd;

	if (!lg->path)
		return BFT_OK;
	fd = open_file(lg->path);
	if (fd < 0) {
		bft_logf(lg, BFT_LOG_ERROR, "cannot reopen log file %s: %s", lg->path,
			 bft_net_strerror(fd));
		return fd;
	}
	close(lg->fd);
	lg->fd = fd;
	bft_logf(lg, BFT_LOG_INFO, "log file reopened");
	return BFT_OK;
}

void bft_log_set_level(struct bft_log *lg, enum bft_log_level level)
{
	lg->level = level;
}

enum bft_log_level bft_log_level(const struct bft_log *lg)
{
	return lg->level;
}

int bft_log_level_parse(const char *s, enum bft_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum bft_log_level)i;
			return BFT_OK;
		}
	}
	return BFT_E_INVAL;
}

void bft_log_line(struct bft_log *lg, enum bft_log_level level, const char *line)
{
	char buf[BFT_LOG_LINE_MAX + 64];
	struct timespec ts;
	struct tm tm;
	int n;

	if (!lg || level > lg->level || (unsigned)level > BFT_LOG_DEBUG)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %.*s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level],
		     BFT_LOG_LINE_MAX, line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	/* Best effort: a full disk must not stop the replica. */
	if (write(lg->fd, buf, (size_t)n) < 0)
		return;
}

void bft_logf(struct bft_log *lg, enum bft_log_level level, const char *fmt, ...)
{
	char line[BFT_LOG_LINE_MAX];
	va_list ap;

	if (!lg || level > lg->level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	bft_log_line(lg, level, line);
}
