/*
 * conf_reader.h — the line reader shared by the configuration parser and
 * the key file parser (private to bft/net).
 *
 * Reads a whole file (at most BFT_CONFIG_MAX_BYTES) and calls back once per
 * meaningful line: a `[section]` header or a `key = value` pair, with
 * comments ('#' at line start or after whitespace) and surrounding blanks
 * removed. Malformed lines are reported through the diag callback with
 * their line number and skipped. Never trusts the file: bounded line
 * length, printable ASCII only.
 */
#ifndef BFT_NET_CONF_READER_H
#define BFT_NET_CONF_READER_H

#include <stdarg.h>

#include "bft/config.h"

struct conf_line {
	unsigned no;
	const char *section; /* non-NULL for a [section] line (without brackets) */
	const char *key;     /* non-NULL for key = value */
	const char *value;
};

typedef void (*conf_line_fn)(void *data, const struct conf_line *ln);

struct conf_diag {
	const char *path;
	bft_diag_fn fn;
	void *data;
	unsigned errors;
};

/* Report a problem at line no (0: the file as a whole). */
void conf_error(struct conf_diag *d, unsigned no, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read d->path and feed its lines to fn. Returns 0, or a negative errno /
 * BFT_E_* if the file cannot be read at all (also reported). */
int conf_read(struct conf_diag *d, conf_line_fn fn, void *data);

/* Decimal in [min, max]; reports and returns BFT_E_FIELD otherwise. */
int conf_uint(struct conf_diag *d, const struct conf_line *ln, uint64_t min,
	      uint64_t max, uint64_t *out);

/* Exactly 2*len hex digits into out. */
int conf_hex(const char *s, uint8_t *out, size_t len);

#endif
