/*
 * config_sections.c — section headers of the cluster configuration
 * (doc/config.md): [cluster], [replica I], [clients A-B] / [client A],
 * [nfsproxy], [fs]; and completing a section when the next one starts.
 *
 * Never trusts a header: ids are bounded before they index anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "config_internal.h"

/* Strict decimal id: digits only, at most 9 of them. */
static const char *parse_id(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 10) {
		v = v * 10 + (uint32_t)(*s++ - '0');
		n++;
	}
	if (n == 0 || n > 9)
		return NULL;
	*out = v;
	return s;
}

static void start_replica(struct parse *p, const struct conf_line *ln, const char *arg)
{
	uint32_t id;
	const char *end = parse_id(arg, &id);

	if (!end || *end || id >= BFT_MAX_REPLICAS) {
		conf_error(p->d, ln->no, "[replica I] needs an id from 0 to %u, not '%s'",
			   BFT_MAX_REPLICAS - 1, arg);
		p->sect = SECT_SKIP;
		return;
	}
	if (p->replica_seen[id]) {
		conf_error(p->d, ln->no, "replica %u is defined twice", id);
		p->sect = SECT_SKIP;
		return;
	}
	p->replica_seen[id] = true;
	p->node = &p->c->replicas[id];
	p->node->first_id = id;
	p->node->count = 1;
	p->node->line = ln->no;
}

static void start_clients(struct parse *p, const struct conf_line *ln, const char *arg,
			  bool range)
{
	struct bft_config *c = p->c;
	uint32_t first, last;
	const char *end = parse_id(arg, &first);

	last = first;
	if (end && range && *end == '-')
		end = parse_id(end + 1, &last);
	if (!end || *end || last < first || last - first >= BFT_CONFIG_MAX_CLIENTS) {
		conf_error(p->d, ln->no, range ? "[clients A-B] needs ids A <= B, not '%s'"
					       : "[client A] needs an id, not '%s'", arg);
		p->sect = SECT_SKIP;
		return;
	}
	if (c->n_groups == BFT_CONFIG_MAX_GROUPS) {
		conf_error(p->d, ln->no, "more than %u client sections", BFT_CONFIG_MAX_GROUPS);
		p->sect = SECT_SKIP;
		return;
	}
	if (c->n_groups == p->cap_groups) {
		uint32_t cap = p->cap_groups ? 2 * p->cap_groups : 8;
		struct bft_cfg_node *g = realloc(c->groups, cap * sizeof(*g));

		if (!g) {
			conf_error(p->d, ln->no, "out of memory");
			p->sect = SECT_SKIP;
			return;
		}
		c->groups = g;
		p->cap_groups = cap;
	}
	p->node = &c->groups[c->n_groups++];
	memset(p->node, 0, sizeof(*p->node));
	p->node->first_id = first;
	p->node->count = last - first + 1;
	p->node->line = ln->no;
}

static void start_named(struct parse *p, const struct conf_line *ln, bool *have,
			enum sect_kind kind)
{
	if (*have) {
		conf_error(p->d, ln->no, "[%s] appears twice", ln->section);
		p->sect = SECT_SKIP;
		return;
	}
	*have = true;
	p->sect = kind;
}

void start_section(struct parse *p, const struct conf_line *ln)
{
	const char *s = ln->section, *sp = strchr(s, ' ');
	size_t word = sp ? (size_t)(sp - s) : strlen(s);
	const char *arg = sp ? sp + 1 : "";

	p->seen = 0;
	p->node = NULL;
	p->sect_line = ln->no;
	snprintf(p->sect_name, sizeof(p->sect_name), "%s", s);
	while (*arg == ' ')
		arg++;
	if (word == 7 && !strncmp(s, "cluster", 7) && !sp) {
		start_named(p, ln, &p->have_cluster, SECT_CLUSTER);
	} else if (word == 8 && !strncmp(s, "nfsproxy", 8) && !sp) {
		start_named(p, ln, &p->have_nfsproxy, SECT_NFSPROXY);
		p->c->has_nfsproxy = true;
	} else if (word == 2 && !strncmp(s, "fs", 2) && !sp) {
		start_named(p, ln, &p->have_fs, SECT_FS);
	} else if (word == 7 && !strncmp(s, "replica", 7) && sp) {
		p->sect = SECT_REPLICA;
		start_replica(p, ln, arg);
	} else if ((word == 7 && !strncmp(s, "clients", 7) && sp) ||
		   (word == 6 && !strncmp(s, "client", 6) && sp)) {
		p->sect = SECT_CLIENTS;
		start_clients(p, ln, arg, word == 7);
	} else {
		conf_error(p->d, ln->no, "unknown section [%s] (expected [cluster], "
			   "[replica I], [clients A-B], [client A], [nfsproxy] or [fs])", s);
		p->sect = SECT_SKIP;
	}
}

struct key_diag {
	struct parse *p;
	unsigned line;
};

static void forward_key_diag(void *data, const char *msg)
{
	struct key_diag *kd = data;

	conf_error(kd->p->d, kd->line, "public_key %s", msg);
}

/* address and public_key are required; private_key defaults to the public
 * key's path with .pub replaced by .key (or .key appended). */
void finish_section(struct parse *p)
{
	struct bft_cfg_node *nd = p->node;
	struct key_diag kd = { .p = p, .line = p->key_line[1] };
	size_t len;

	if (p->sect != SECT_REPLICA && p->sect != SECT_CLIENTS)
		return;
	if (!nd)
		return;
	if (!(p->seen & 1u))
		conf_error(p->d, nd->line, "[%s] has no address", p->sect_name);
	if (!(p->seen & 2u)) {
		conf_error(p->d, nd->line, "[%s] has no public_key", p->sect_name);
		return;
	}
	if (!(p->seen & 4u)) {
		/* pub_path is bounded to BFT_CONFIG_PATH_MAX - 64 by node_line. */
		len = strlen(nd->pub_path);
		if (len > 4 && !strcmp(nd->pub_path + len - 4, ".pub"))
			len -= 4;
		memcpy(nd->key_path, nd->pub_path, len);
		memcpy(nd->key_path + len, ".key", 5);
	}
	bft_keyfile_read_public(nd->pub_path, forward_key_diag, &kd, &nd->pub);
	p->node = NULL;
	p->sect = SECT_NONE;
}
