/*
 * config_check.c — whole-file validation of the cluster configuration and
 * the accessors that turn it into core configurations, key tables and
 * address tables.
 *
 * Checks (doc/config.md): f given; exactly replicas 0..3f; client sections
 * cover n.. contiguously; L a multiple of K within limits; retransmission
 * bounds ordered; no address used twice. Each problem names its line.
 */
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "config_internal.h"

static int cmp_group(const void *a, const void *b)
{
	const struct bft_cfg_node *x = a, *y = b;

	return x->first_id < y->first_id ? -1 : x->first_id > y->first_id;
}

static void check_replicas(struct parse *p)
{
	struct bft_config *c = p->c;
	uint32_t i;

	for (i = 0; i < BFT_MAX_REPLICAS; i++) {
		if (i < c->n && !p->replica_seen[i])
			conf_error(p->d, 0, "replica %u is missing (f = %u needs replicas 0 to %u)",
				   i, c->f, c->n - 1);
		if (i >= c->n && p->replica_seen[i])
			conf_error(p->d, c->replicas[i].line,
				   "replica %u is beyond n = 3f+1 = %u replicas", i, c->n);
	}
}

static void check_groups(struct parse *p)
{
	struct bft_config *c = p->c;
	uint32_t i, next = c->n;
	uint64_t total = 0;

	qsort(c->groups, c->n_groups, sizeof(*c->groups), cmp_group);
	for (i = 0; i < c->n_groups; i++) {
		const struct bft_cfg_node *g = &c->groups[i];

		if (g->first_id < next)
			conf_error(p->d, g->line, "client ids from %u overlap replicas or another "
				   "client section (next free id is %u)", g->first_id, next);
		else if (g->first_id > next)
			conf_error(p->d, g->line, "client ids must be contiguous: ids %u to %u "
				   "are not assigned", next, g->first_id - 1);
		next = g->first_id + g->count;
		total += g->count;
	}
	if (!c->n_groups)
		conf_error(p->d, 0, "no [clients A-B] section: at least one client is needed");
	if (total > BFT_CONFIG_MAX_CLIENTS)
		conf_error(p->d, 0, "more than %u client ids", BFT_CONFIG_MAX_CLIENTS);
	c->n_clients = (uint32_t)(total > BFT_CONFIG_MAX_CLIENTS ? 0 : total);
}

static void check_addr_unique(struct parse *p, const struct bft_cfg_node *a,
			      const struct bft_cfg_node *b)
{
	char s[BFT_ADDR_STRLEN];

	if (a->addr.len && bft_addr_equal(&a->addr, &b->addr)) {
		bft_addr_format(&a->addr, s, sizeof(s));
		conf_error(p->d, b->line, "address %s is already used by the section on line %u",
			   s, a->line);
	}
}

static void check_addrs(struct parse *p)
{
	struct bft_config *c = p->c;
	uint32_t total = c->n + c->n_groups, i, j;
	struct bft_cfg_node *all = calloc(total + 1, sizeof(*all));

	if (!all)
		return;
	for (i = 0; i < c->n; i++)
		all[i] = c->replicas[i];
	for (i = 0; i < c->n_groups; i++)
		all[c->n + i] = c->groups[i];
	if (c->has_unreplicated) {
		all[total].addr = c->unreplicated;
		all[total++].line = p->cluster_line[CL_UNREP];
	}
	for (i = 0; i < total; i++)
		for (j = i + 1; j < total; j++)
			check_addr_unique(p, &all[i], &all[j]);
	free(all);
}

void config_validate(struct parse *p)
{
	struct bft_config *c = p->c;

	if (!p->have_cluster || !c->f) {
		conf_error(p->d, 0, "[cluster] must set f (the number of faulty replicas tolerated)");
		return;
	}
	c->n = 3 * c->f + 1;
	if (c->log_window % c->checkpoint_interval != 0)
		conf_error(p->d, p->cluster_line[CL_L] ? p->cluster_line[CL_L]
						       : p->cluster_line[CL_K],
			   "log_window (%u) must be a multiple of checkpoint_interval (%u)",
			   c->log_window, c->checkpoint_interval);
	if (c->client_retrans_max_ms < c->client_retrans_ms)
		conf_error(p->d, p->cluster_line[CL_RETRANS_MAX],
			   "client_retrans_max_ms must be at least client_retrans_ms");
	check_replicas(p);
	check_groups(p);
	check_addrs(p);
}

/* ---- accessors ---- */

uint32_t bft_config_n_nodes(const struct bft_config *c)
{
	return c->n + c->n_clients;
}

const struct bft_cfg_node *bft_config_group_of(const struct bft_config *c, uint32_t id)
{
	uint32_t lo = 0, hi = c->n_groups;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct bft_cfg_node *g = &c->groups[mid];

		if (id < g->first_id)
			hi = mid;
		else if (id - g->first_id >= g->count)
			lo = mid + 1;
		else
			return g;
	}
	return NULL;
}

const struct bft_cfg_node *bft_config_node(const struct bft_config *c, uint32_t id)
{
	return id < c->n ? &c->replicas[id] : bft_config_group_of(c, id);
}

int bft_config_pubkeys(const struct bft_config *c, struct bft_pubkey **out)
{
	uint32_t n = bft_config_n_nodes(c), i;
	struct bft_pubkey *k = calloc(n, sizeof(*k));

	*out = k;
	if (!k)
		return BFT_E_NOMEM;
	for (i = 0; i < n; i++)
		k[i] = bft_config_node(c, i)->pub;
	return BFT_OK;
}

int bft_config_addrs(const struct bft_config *c, struct bft_addr **out)
{
	uint32_t n = bft_config_n_nodes(c), i;
	struct bft_addr *a = calloc(n, sizeof(*a));

	*out = a;
	if (!a)
		return BFT_E_NOMEM;
	for (i = 0; i < n; i++)
		a[i] = bft_config_node(c, i)->addr;
	return BFT_OK;
}

int bft_config_own_key(const struct bft_config *c, uint32_t id, const char *override,
		       bft_diag_fn diag, void *diag_data, struct bft_keypair *out)
{
	const struct bft_cfg_node *nd = bft_config_node(c, id);
	struct conf_diag d = { .path = c->path, .fn = diag, .data = diag_data };
	struct bft_pubkey pub;
	int err;

	if (!nd) {
		conf_error(&d, 0, "node %u is not in the configuration (replicas 0..%u, "
			   "clients %u..%u)", id, c->n - 1, c->n, bft_config_n_nodes(c) - 1);
		return BFT_E_PEER;
	}
	err = bft_keyfile_read_private(override ? override : nd->key_path, diag,
				       diag_data, out);
	if (err)
		return err;
	bft_keypair_public(out, &pub);
	if (!bft_ct_equal(&pub, &nd->pub, sizeof(pub))) {
		d.path = override ? override : nd->key_path;
		conf_error(&d, 0, "this private key does not match the public key %s that "
			   "%s lists for node %u", nd->pub_path, c->path, id);
		bft_wipe(out, sizeof(*out));
		return BFT_E_AUTH;
	}
	return BFT_OK;
}

void bft_config_replica(const struct bft_config *c, uint32_t id,
			struct bft_replica_config *out)
{
	bft_replica_config_default(out, c->f, id, c->n_clients);
	out->checkpoint_interval = c->checkpoint_interval;
	out->log_window = c->log_window;
	out->max_batch = c->max_batch;
	out->status_ms = c->status_ms;
	out->key_refresh_ms = c->key_refresh_ms;
}

void bft_config_client(const struct bft_config *c, uint32_t id,
		       struct bft_client_config *out)
{
	bft_client_config_default(out, c->f, id);
	out->retrans_ms = c->client_retrans_ms;
	out->retrans_max_ms = c->client_retrans_max_ms;
}
