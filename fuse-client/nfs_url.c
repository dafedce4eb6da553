/*
 * nfs_url.c — parse bfs-mount's nfs:// sources (nfs_url.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfs_url.h"

static int fail(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return -EINVAL;
}

/* s[0..n) as a port 1..65535, or 0. */
static uint16_t port(const char *s, size_t n)
{
	unsigned long v = 0;

	if (!n || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (uint16_t)v : 0;
}

static int parse_query(const char *q, struct fc_nfs_url *u, char *why, size_t len)
{
	while (*q) {
		size_t n = strcspn(q, "&"), k = strcspn(q, "=");
		uint16_t *dst;

		if (k >= n)
			return fail(why, len, "query items must be KEY=VALUE");
		if (k == 7 && !strncmp(q, "nfsport", 7))
			dst = &u->nfs_port;
		else if (k == 9 && !strncmp(q, "mountport", 9))
			dst = &u->mount_port;
		else
			return fail(why, len, "unknown query key (nfsport and mountport only)");
		if (!(*dst = port(q + k + 1, n - k - 1)))
			return fail(why, len, "a port must be a number from 1 to 65535");
		q += n;
		if (*q == '&')
			q++;
	}
	return 0;
}

int fc_nfs_url_parse(const char *url, struct fc_nfs_url *u, char *why, size_t len)
{
	const char *p = url, *host, *end, *path, *query;
	size_t hn, pn;

	memset(u, 0, sizeof(*u));
	if (strncmp(p, "nfs://", 6))
		return fail(why, len, "the URL must start with nfs://");
	p += 6;
	host = p;
	if (*p == '[') {
		if (!(end = strchr(p, ']')))
			return fail(why, len, "unterminated [IPv6 address]");
		host = p + 1;
		hn = (size_t)(end - host);
		p = end + 1;
	} else {
		hn = strcspn(p, ":/?");
		p += hn;
	}
	if (!hn || hn > FC_URL_HOST_MAX)
		return fail(why, len, "missing or over-long host");
	memcpy(u->host, host, hn);
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/?");

		if (!(u->nfs_port = port(p + 1, n)))
			return fail(why, len, "a port must be a number from 1 to 65535");
		p += 1 + n;
	}
	if (*p && *p != '/' && *p != '?')
		return fail(why, len, "expected /EXPORT after the host");
	path = p;
	pn = strcspn(path, "?");
	query = path[pn] == '?' ? path + pn + 1 : NULL;
	if (pn > FC_URL_PATH_MAX)
		return fail(why, len, "export path too long");
	if (pn)
		memcpy(u->export, path, pn);
	else
		strcpy(u->export, "/");
	return query ? parse_query(query, u, why, len) : 0;
}
