/*
 * conf.c — the [nfsproxy] section (nfsp/conf.h, doc/config.md): keys,
 * exports in the spirit of exports(5), client networks, path
 * normalisation. MOUNT paths follow RFC 1813 appendix I (MNTPATHLEN).
 *
 * Never resolves names, never allocates; every value is bounded before use.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "nfsp/conf.h"

struct ctx {
	const struct bft_config *c;
	bft_diag_fn diag;
	void *data;
	unsigned problems;
};

static void problem(struct ctx *x, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct ctx *x, unsigned line, const char *fmt, ...)
{
	char msg[BFT_CONFIG_PATH_MAX + 512];
	int n = snprintf(msg, sizeof(msg), "%s:%u: [nfsproxy] ", x->c->path, line);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	x->problems++;
	if (x->diag)
		x->diag(x->data, msg);
}

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9' || strlen(s) > 10)
		return false;
	v = strtoull(s, &end, 10);
	if (*end || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

int nfsp_net_parse(const char *s, struct nfsp_net *out)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	uint32_t prefix, max;

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "*")) {
		out->family = AF_UNSPEC;
		return BFT_OK;
	}
	if (hl == 0 || hl >= sizeof(host))
		return BFT_E_INVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6, max = 128;
	else
		return BFT_E_INVAL;
	prefix = max;
	if (slash && !parse_u32(slash + 1, 0, max, &prefix))
		return BFT_E_INVAL;
	out->prefix = (uint8_t)prefix;
	return BFT_OK;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static bool net_match(const struct nfsp_net *n, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a;
	int family = sa->sa_family;

	if (n->family == AF_UNSPEC)
		return true;
	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (n->family == AF_INET && !memcmp(a, mapped, sizeof(mapped))) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return false;
	}
	return family == n->family && prefix_equal(a, n->addr, n->prefix);
}

bool nfsp_export_allows(const struct nfsp_export *e, const struct sockaddr *addr)
{
	uint32_t i;

	for (i = 0; i < e->n_nets; i++)
		if (net_match(&e->nets[i], addr))
			return true;
	return false;
}

const struct nfsp_export *nfsp_conf_match(const struct nfsp_conf *c,
					  const struct sockaddr *addr)
{
	uint32_t i;

	for (i = 0; i < c->n_exports; i++)
		if (nfsp_export_allows(&c->exports[i], addr))
			return &c->exports[i];
	return NULL;
}

int nfsp_path_normalize(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = in;

	if (*p != '/' || cap < 2)
		return *p != '/' ? BFT_E_INVAL : BFT_E_SPACE;
	for (const char *q = in; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return BFT_E_INVAL;
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");

		if (!len)
			break;
		if (len > 255 || (len == 2 && !strncmp(p, "..", 2)))
			return BFT_E_INVAL;
		if (!(len == 1 && *p == '.')) {
			if (o + 1 + len + 1 > cap)
				return BFT_E_SPACE;
			out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return BFT_OK;
}

/* clients=NET[,NET...] */
static bool parse_clients(struct ctx *x, unsigned line, const char *list,
			  struct nfsp_export *e)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf) || strlen(list) >= sizeof(e->clients)) {
		problem(x, line, "clients= list is too long");
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	snprintf(e->clients, sizeof(e->clients), "%s", list);
	e->n_nets = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (e->n_nets == NFSP_MAX_NETS) {
			problem(x, line, "more than %u client networks in one export", NFSP_MAX_NETS);
			return false;
		}
		if (nfsp_net_parse(tok, &e->nets[e->n_nets]) != BFT_OK) {
			problem(x, line, "client network '%s' is not *, A.B.C.D[/N] or an IPv6 "
				"address[/N] (host names are not accepted)", tok);
			return false;
		}
		e->n_nets++;
	}
	if (!e->n_nets) {
		problem(x, line, "clients= names no network");
		return false;
	}
	return true;
}

static void default_export(struct nfsp_export *e, unsigned line)
{
	memset(e, 0, sizeof(*e));
	strcpy(e->path, "/");
	nfsp_net_parse("127.0.0.0/8", &e->nets[0]);
	nfsp_net_parse("::1", &e->nets[1]);
	e->n_nets = 2;
	strcpy(e->clients, "127.0.0.0/8,::1");
	e->squash = NFSP_SQUASH_ROOT;
	e->anon_uid = e->anon_gid = NFSP_DEFAULT_ANON;
	e->line = line;
}

/* One export option: rw, ro, root_squash, no_root_squash, all_squash,
 * anon_uid=N, anon_gid=N, clients=LIST. */
static bool export_option(struct ctx *x, unsigned line, const char *opt,
			  struct nfsp_export *e)
{
	if (!strcmp(opt, "rw"))
		e->read_only = false;
	else if (!strcmp(opt, "ro"))
		e->read_only = true;
	else if (!strcmp(opt, "root_squash"))
		e->squash = NFSP_SQUASH_ROOT;
	else if (!strcmp(opt, "no_root_squash"))
		e->squash = NFSP_SQUASH_NONE;
	else if (!strcmp(opt, "all_squash"))
		e->squash = NFSP_SQUASH_ALL;
	else if (!strncmp(opt, "anon_uid=", 9)) {
		if (!parse_u32(opt + 9, 0, UINT32_MAX - 1, &e->anon_uid)) {
			problem(x, line, "anon_uid must be a number, not '%s'", opt + 9);
			return false;
		}
	} else if (!strncmp(opt, "anon_gid=", 9)) {
		if (!parse_u32(opt + 9, 0, UINT32_MAX - 1, &e->anon_gid)) {
			problem(x, line, "anon_gid must be a number, not '%s'", opt + 9);
			return false;
		}
	} else if (!strncmp(opt, "clients=", 8)) {
		return parse_clients(x, line, opt + 8, e);
	} else {
		problem(x, line, "unknown export option '%s' (expected clients=, rw, ro, "
			"root_squash, no_root_squash, all_squash, anon_uid=, anon_gid=)", opt);
		return false;
	}
	return true;
}

/* export_N = PATH [OPTION...] */
static void parse_export(struct ctx *x, const struct bft_cfg_extra *kv,
			 struct nfsp_conf *out)
{
	char buf[256], *save = NULL, *tok;
	struct nfsp_export e;
	uint32_t i;

	if (out->n_exports == NFSP_MAX_EXPORTS) {
		problem(x, kv->line, "more than %u exports", NFSP_MAX_EXPORTS);
		return;
	}
	default_export(&e, kv->line);
	snprintf(buf, sizeof(buf), "%s", kv->value);
	tok = strtok_r(buf, " \t", &save);
	if (!tok || nfsp_path_normalize(tok, e.path, sizeof(e.path)) != BFT_OK) {
		problem(x, kv->line, "%s must start with an absolute path without '..', "
			"not '%s'", kv->key, tok ? tok : "");
		return;
	}
	while ((tok = strtok_r(NULL, " \t", &save)))
		if (!export_option(x, kv->line, tok, &e))
			return;
	for (i = 0; i < out->n_exports; i++)
		if (!strcmp(out->exports[i].path, e.path)) {
			problem(x, kv->line, "%s is exported twice (line %u)", e.path,
				out->exports[i].line);
			return;
		}
	out->exports[out->n_exports++] = e;
}

static void parse_port(struct ctx *x, const struct bft_cfg_extra *kv, uint16_t *out)
{
	uint32_t v;

	if (!parse_u32(kv->value, 1, 65535, &v))
		problem(x, kv->line, "%s must be a port from 1 to 65535, not '%s'", kv->key,
			kv->value);
	else
		*out = (uint16_t)v;
}

static void parse_num(struct ctx *x, const struct bft_cfg_extra *kv, uint32_t min,
		      uint32_t max, uint32_t *out)
{
	if (!parse_u32(kv->value, min, max, out))
		problem(x, kv->line, "%s must be a number from %u to %u, not '%s'", kv->key,
			min, max, kv->value);
}

static void parse_client(struct ctx *x, const struct bft_cfg_extra *kv,
			 struct nfsp_conf *out)
{
	const struct bft_config *c = x->c;

	if (!parse_u32(kv->value, 0, UINT32_MAX - 1, &out->client_id) ||
	    out->client_id < c->n || out->client_id >= c->n + c->n_clients) {
		problem(x, kv->line, "client must be a client id of a [clients] section "
			"(%u to %u), not '%s'", c->n, c->n + c->n_clients - 1, kv->value);
		return;
	}
	out->have_client = true;
}

static void parse_listen(struct ctx *x, const struct bft_cfg_extra *kv,
			 struct nfsp_conf *out)
{
	uint8_t tmp[16];

	if (strlen(kv->value) >= sizeof(out->listen) ||
	    (inet_pton(AF_INET, kv->value, tmp) != 1 && inet_pton(AF_INET6, kv->value, tmp) != 1)) {
		problem(x, kv->line, "listen must be a numeric IPv4 or IPv6 address, not '%s'",
			kv->value);
		return;
	}
	snprintf(out->listen, sizeof(out->listen), "%s", kv->value);
}

static void parse_key(struct ctx *x, const struct bft_cfg_extra *kv, struct nfsp_conf *out)
{
	const char *k = kv->key, *v = kv->value;

	if (!strncmp(k, "export_", 7) && k[7] >= '1' && k[7] <= '9' &&
	    (!k[8] || (k[8] >= '0' && k[8] <= '9' && !k[9])))
		parse_export(x, kv, out);
	else if (!strcmp(k, "client"))
		parse_client(x, kv, out);
	else if (!strcmp(k, "listen"))
		parse_listen(x, kv, out);
	else if (!strcmp(k, "nfs_port"))
		parse_port(x, kv, &out->nfs_port);
	else if (!strcmp(k, "mount_port"))
		parse_port(x, kv, &out->mount_port);
	else if (!strcmp(k, "max_connections"))
		parse_num(x, kv, 1, 65536, &out->max_connections);
	else if (!strcmp(k, "max_record"))
		parse_num(x, kv, 8192, 1u << 20, &out->max_record);
	else if (!strcmp(k, "max_inflight"))
		parse_num(x, kv, 1, 1024, &out->max_inflight);
	else if (!strcmp(k, "rpcbind") && (!strcmp(v, "auto") || !strcmp(v, "yes") ||
					   !strcmp(v, "no")))
		out->rpcbind = !strcmp(v, "yes") ? NFSP_RPCBIND_YES
			       : !strcmp(v, "no") ? NFSP_RPCBIND_NO : NFSP_RPCBIND_AUTO;
	else if (!strcmp(k, "atime") && (!strcmp(v, "relaxed") || !strcmp(v, "strict")))
		out->atime = !strcmp(v, "strict") ? BFS_ATIME_STRICT : BFS_ATIME_RELAXED;
	else if (!strcmp(k, "rpcbind") || !strcmp(k, "atime"))
		problem(x, kv->line, "%s cannot be '%s' (%s)", k, v,
			!strcmp(k, "atime") ? "relaxed or strict" : "auto, yes or no");
	else
		problem(x, kv->line, "unknown key '%s' (expected client, listen, nfs_port, "
			"mount_port, rpcbind, atime, max_connections, max_record, "
			"max_inflight, export_1 .. export_99)", k);
}

int nfsp_conf_load(const struct bft_config *c, bft_diag_fn diag, void *diag_data,
		   struct nfsp_conf *out)
{
	struct ctx x = { .c = c, .diag = diag, .data = diag_data };
	uint32_t i;

	memset(out, 0, sizeof(*out));
	strcpy(out->listen, "0.0.0.0");
	out->nfs_port = NFSP_DEFAULT_NFS_PORT;
	out->mount_port = NFSP_DEFAULT_MOUNT_PORT;
	out->max_connections = 256;
	out->max_record = 128u * 1024u;
	out->max_inflight = 64;
	out->client_id = c->n;
	for (i = 0; i < c->n_nfsproxy; i++)
		parse_key(&x, &c->nfsproxy[i], out);
	if (out->nfs_port == out->mount_port)
		problem(&x, 0, "nfs_port and mount_port must differ (both %u)", out->nfs_port);
	if (!out->n_exports && !x.problems) {
		default_export(&out->exports[0], 0);
		out->n_exports = 1;
	}
	return x.problems ? BFT_E_FIELD : BFT_OK;
}
