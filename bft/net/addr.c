/*
 * addr.c — "host:port" parsing and printing for IPv4 and IPv6 (RFC 3986
 * §3.2.2 bracket syntax for IPv6 literals), and the runtime's strerror.
 *
 * Input is untrusted (configuration files): bounded lengths, strict port
 * syntax, never reads past the string.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/net.h"

#define HOST_MAX 255

const char *bft_net_strerror(int err)
{
	if (err <= BFT_E_BASE && err > BFT_E_BASE - 100)
		return bft_strerror(err);
	if (err < 0)
		return strerror(-err);
	return bft_strerror(err);
}

static int parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	const char *p;

	if (!*s || strlen(s) > 5)
		return BFT_E_INVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return BFT_E_INVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return BFT_E_INVAL;
	*out = (uint16_t)v;
	return BFT_OK;
}

/* Split s into host and port; host is unbracketed. */
static int split(const char *s, char host[HOST_MAX + 1], uint16_t *port)
{
	const char *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return BFT_E_INVAL;
		hlen = (size_t)(end - s - 1);
		colon = end + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return BFT_E_INVAL; /* IPv6 literals need brackets */
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen > HOST_MAX)
		return BFT_E_INVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return parse_port(colon + 1, port);
}

int bft_addr_parse(const char *s, struct bft_addr *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	char host[HOST_MAX + 1], port_s[8];
	uint16_t port;
	int err;

	memset(out, 0, sizeof(*out));
	if (strlen(s) > HOST_MAX + 8 || (err = split(s, host, &port)) != BFT_OK)
		return BFT_E_INVAL;
	snprintf(port_s, sizeof(port_s), "%u", port);
	if (getaddrinfo(host, port_s, &hints, &res) != 0 || !res)
		return BFT_E_PEER;
	if (res->ai_addrlen > sizeof(out->ss)) {
		freeaddrinfo(res);
		return BFT_E_INVAL;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return BFT_OK;
}

void bft_addr_format(const struct bft_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "(address family %d)", a->ss.ss_family);
	}
}

bool bft_addr_equal(const struct bft_addr *a, const struct bft_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}
