/*
 * conf_reader.c — line reader for the config and key file formats
 * (doc/config.md; conf_reader.h).
 *
 * Must never read more than BFT_CONFIG_MAX_BYTES, accept a line longer than
 * BFT_CONFIG_LINE_MAX, or pass on bytes outside printable ASCII and tab.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/error.h"
#include "conf_reader.h"

void conf_error(struct conf_diag *d, unsigned no, const char *fmt, ...)
{
	char msg[BFT_CONFIG_LINE_MAX + BFT_CONFIG_PATH_MAX];
	int off;
	va_list ap;

	d->errors++;
	if (!d->fn)
		return;
	off = no ? snprintf(msg, sizeof(msg), "%s:%u: ", d->path, no)
		 : snprintf(msg, sizeof(msg), "%s: ", d->path);
	if (off < 0 || (size_t)off >= sizeof(msg))
		off = 0;
	va_start(ap, fmt);
	vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
	va_end(ap);
	d->fn(d->data, msg);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void strip_comment(char *s)
{
	char *p;

	for (p = s; *p; p++) {
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((*s < 0x20 && *s != '\t' && *s != '\r') || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static bool key_chars(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

static void one_line(struct conf_diag *d, char *raw, unsigned no, conf_line_fn fn,
		     void *data)
{
	struct conf_line ln = { .no = no };
	char *s, *eq;

	if (!printable(raw)) {
		conf_error(d, no, "contains a control or non-ASCII character");
		return;
	}
	strip_comment(raw);
	s = trim(raw);
	if (!*s)
		return;
	if (*s == '[') {
		size_t len = strlen(s);

		if (s[len - 1] != ']' || len < 3) {
			conf_error(d, no, "a section header must look like [name]");
			return;
		}
		s[len - 1] = '\0';
		ln.section = trim(s + 1);
		fn(data, &ln);
		return;
	}
	eq = strchr(s, '=');
	if (!eq) {
		conf_error(d, no, "expected `key = value`, a [section] or a # comment");
		return;
	}
	*eq = '\0';
	ln.key = trim(s);
	ln.value = trim(eq + 1);
	if (!key_chars(ln.key)) {
		conf_error(d, no, "invalid key '%s' (lower-case letters, digits, _ and -)",
			   ln.key);
		return;
	}
	if (!*ln.value) {
		conf_error(d, no, "%s has an empty value", ln.key);
		return;
	}
	fn(data, &ln);
}

static int slurp(struct conf_diag *d, char **out, size_t *len)
{
	char *buf;
	size_t got = 0;
	int fd = open(d->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = -errno;

		conf_error(d, 0, "cannot open: %s", strerror(errno));
		return err;
	}
	buf = malloc(BFT_CONFIG_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return BFT_E_NOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, BFT_CONFIG_MAX_BYTES + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			conf_error(d, 0, "cannot read: %s", strerror(errno));
			close(fd);
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > BFT_CONFIG_MAX_BYTES) {
			conf_error(d, 0, "larger than %u bytes", BFT_CONFIG_MAX_BYTES);
			close(fd);
			free(buf);
			return BFT_E_LONG;
		}
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return BFT_OK;
}

int conf_read(struct conf_diag *d, conf_line_fn fn, void *data)
{
	char *buf = NULL, *p, *end;
	size_t len = 0;
	unsigned no = 0;
	int err = slurp(d, &buf, &len);

	if (err)
		return err;
	end = buf + len;
	for (p = buf; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		no++;
		p[l] = '\0';
		if (strlen(p) != l)
			conf_error(d, no, "contains a NUL byte");
		else if (l > BFT_CONFIG_LINE_MAX)
			conf_error(d, no, "longer than %d characters", BFT_CONFIG_LINE_MAX);
		else
			one_line(d, p, no, fn, data);
		p += l + 1;
	}
	free(buf);
	return BFT_OK;
}

int conf_uint(struct conf_diag *d, const struct conf_line *ln, uint64_t min,
	      uint64_t max, uint64_t *out)
{
	const char *p = ln->value;
	uint64_t v = 0;

	if (strlen(p) > 19)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		goto bad;
	*out = v;
	return BFT_OK;
bad:
	conf_error(d, ln->no, "%s must be a whole number from %llu to %llu, not '%s'",
		   ln->key, (unsigned long long)min, (unsigned long long)max, ln->value);
	return BFT_E_FIELD;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int conf_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(s) != 2 * len)
		return BFT_E_FIELD;
	for (i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return BFT_E_FIELD;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return BFT_OK;
}
