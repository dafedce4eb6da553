/*
 * config.c — parsing the cluster configuration (doc/config.md) into
 * struct bft_config; config_check.c validates the whole afterwards.
 *
 * Strict: unknown sections and keys, repeated keys and sections, bad
 * numbers and addresses are errors naming their line; parsing goes on so
 * that every problem is reported. Never trusts the file: ids, counts and
 * paths are bounded before use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "config_internal.h"

/* Keep CL_* in config_internal.h in step with this order. */
enum cluster_key {
	CK_F, CK_K, CK_L, CK_BATCH, CK_STATUS, CK_VC, CK_RETRANS, CK_RETRANS_MAX,
	CK_DURABILITY, CK_DATA_DIR, CK_UNREP, CK_KEY_REFRESH, CK_COUNT,
};

static const char *const cluster_keys[CK_COUNT] = {
	"f", "checkpoint_interval", "log_window", "max_batch", "status_ms",
	"view_change_ms", "client_retrans_ms", "client_retrans_max_ms", "durability",
	"data_dir", "unreplicated", "key_refresh_ms",
};

enum node_key { NK_ADDRESS, NK_PUBLIC, NK_PRIVATE, NK_COUNT };
static const char *const node_keys[NK_COUNT] = { "address", "public_key", "private_key" };

/* Resolve a relative path against the directory of the config file. */
void config_path(const struct bft_config *c, const char *rel, char *out)
{
	const char *slash = strrchr(c->path, '/');

	if (rel[0] == '/' || !slash)
		snprintf(out, BFT_CONFIG_PATH_MAX, "%s", rel);
	else
		snprintf(out, BFT_CONFIG_PATH_MAX, "%.*s/%s", (int)(slash - c->path),
			 c->path, rel);
}

static int find_key(const char *const *keys, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return i;
	return -1;
}

static void set_address(struct parse *p, const struct conf_line *ln, struct bft_addr *a)
{
	int err = bft_addr_parse(ln->value, a);

	if (err == BFT_E_PEER)
		conf_error(p->d, ln->no, "%s: cannot resolve host in '%s'", ln->key, ln->value);
	else if (err)
		conf_error(p->d, ln->no, "%s must be host:port or [ipv6]:port, not '%s'",
			   ln->key, ln->value);
}

static void cluster_line(struct parse *p, const struct conf_line *ln, int k)
{
	struct bft_config *c = p->c;
	uint64_t v = 0;

	switch (k) {
	case CK_DURABILITY:
		if (!strcmp(ln->value, "sync"))
			c->durability = BFT_DURABILITY_SYNC;
		else if (!strcmp(ln->value, "nometasync"))
			c->durability = BFT_DURABILITY_NOMETASYNC;
		else if (!strcmp(ln->value, "async"))
			c->durability = BFT_DURABILITY_ASYNC;
		else
			conf_error(p->d, ln->no, "durability must be sync, nometasync or "
				   "async, not '%s'", ln->value);
		return;
	case CK_DATA_DIR:
		if (strlen(ln->value) >= BFT_CONFIG_PATH_MAX - 64)
			conf_error(p->d, ln->no, "data_dir is too long");
		else
			config_path(c, ln->value, c->data_dir);
		return;
	case CK_UNREP:
		set_address(p, ln, &c->unreplicated);
		c->has_unreplicated = true;
		return;
	case CK_F:
		if (!conf_uint(p->d, ln, 1, (BFT_MAX_REPLICAS - 1) / 3, &v))
			c->f = (uint32_t)v;
		return;
	case CK_K:
		if (!conf_uint(p->d, ln, 1, BFT_MAX_LOG_WINDOW, &v))
			c->checkpoint_interval = (uint32_t)v;
		return;
	case CK_L:
		if (!conf_uint(p->d, ln, 1, BFT_MAX_LOG_WINDOW, &v))
			c->log_window = (uint32_t)v;
		return;
	case CK_BATCH:
		if (!conf_uint(p->d, ln, 1, BFT_MAX_BATCH, &v))
			c->max_batch = (uint32_t)v;
		return;
	case CK_KEY_REFRESH: /* 0 turns NEW-KEY off; else at least 1 s */
		if (!conf_uint(p->d, ln, 0, 86400000, &v)) {
			if (v != 0 && v < 1000)
				conf_error(p->d, ln->no, "key_refresh_ms must be 0 or at "
					   "least 1000, not %llu", (unsigned long long)v);
			else
				c->key_refresh_ms = v;
		}
		return;
	}
	if (conf_uint(p->d, ln, 1, 3600000, &v))
		return;
	if (k == CK_STATUS)
		c->status_ms = v;
	else if (k == CK_VC)
		c->view_change_ms = v;
	else if (k == CK_RETRANS)
		c->client_retrans_ms = v;
	else
		c->client_retrans_max_ms = v;
}

static void node_line(struct parse *p, const struct conf_line *ln, int k)
{
	struct bft_cfg_node *nd = p->node;
	char *dst = k == NK_PUBLIC ? nd->pub_path : nd->key_path;

	if (k == NK_ADDRESS) {
		set_address(p, ln, &nd->addr);
		return;
	}
	if (strlen(ln->value) >= BFT_CONFIG_PATH_MAX - 64) {
		conf_error(p->d, ln->no, "%s: path too long", ln->key);
		return;
	}
	config_path(p->c, ln->value, dst);
}

static void extra_line(struct parse *p, const struct conf_line *ln)
{
	struct bft_config *c = p->c;
	struct bft_cfg_extra *e;

	if (c->n_nfsproxy == BFT_CONFIG_MAX_EXTRA) {
		conf_error(p->d, ln->no, "more than %u keys in [nfsproxy]", BFT_CONFIG_MAX_EXTRA);
		return;
	}
	if (strlen(ln->key) >= sizeof(e->key) || strlen(ln->value) >= sizeof(e->value)) {
		conf_error(p->d, ln->no, "[nfsproxy] key or value too long");
		return;
	}
	if (bft_config_nfsproxy(c, ln->key)) {
		conf_error(p->d, ln->no, "%s given twice in [nfsproxy]", ln->key);
		return;
	}
	e = &c->nfsproxy[c->n_nfsproxy++];
	snprintf(e->key, sizeof(e->key), "%s", ln->key);
	snprintf(e->value, sizeof(e->value), "%s", ln->value);
	e->line = ln->no;
}

static void key_value(struct parse *p, const struct conf_line *ln)
{
	const char *const *keys = p->sect == SECT_CLUSTER ? cluster_keys : node_keys;
	int n = p->sect == SECT_CLUSTER ? CK_COUNT : NK_COUNT, k;

	if (p->sect == SECT_NONE) {
		conf_error(p->d, ln->no, "%s = ... outside any section", ln->key);
		return;
	}
	if (p->sect == SECT_SKIP)
		return;
	if (p->sect == SECT_NFSPROXY) {
		extra_line(p, ln);
		return;
	}
	if (p->sect == SECT_FS) {
		config_fs_line(p, ln);
		return;
	}
	k = find_key(keys, n, ln->key);
	if (k < 0) {
		conf_error(p->d, ln->no, "unknown key '%s' in [%s]", ln->key, p->sect_name);
		return;
	}
	if (p->seen & (1u << k)) {
		conf_error(p->d, ln->no, "%s given twice in [%s]", ln->key, p->sect_name);
		return;
	}
	p->seen |= 1u << k;
	p->key_line[k] = ln->no;
	if (p->sect == SECT_CLUSTER) {
		p->cluster_line[k] = ln->no;
		cluster_line(p, ln, k);
		return;
	}
	node_line(p, ln, k);
}

static void on_line(void *data, const struct conf_line *ln)
{
	struct parse *p = data;

	if (ln->section) {
		finish_section(p);
		start_section(p, ln);
	} else {
		key_value(p, ln);
	}
}

/* What the file does not set: the cores' own defaults. */
static void set_defaults(struct bft_config *c, const char *path)
{
	struct bft_replica_config rc;
	struct bft_client_config cc;

	bft_replica_config_default(&rc, 1, 0, 1);
	bft_client_config_default(&cc, 1, 4);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->checkpoint_interval = rc.checkpoint_interval;
	c->log_window = rc.log_window;
	c->max_batch = rc.max_batch;
	c->status_ms = rc.status_ms;
	c->view_change_ms = 2000;
	c->key_refresh_ms = 60000;
	c->client_retrans_ms = cc.retrans_ms;
	c->client_retrans_max_ms = cc.retrans_max_ms;
	c->durability = BFT_DURABILITY_SYNC;
	config_path(c, "data", c->data_dir);
	config_fs_defaults(&c->fs);
}

int bft_config_load(const char *path, bft_diag_fn diag, void *diag_data,
		    struct bft_config **out)
{
	struct conf_diag d = { .path = path, .fn = diag, .data = diag_data };
	struct parse p = { .d = &d };
	int err;

	*out = NULL;
	if (strlen(path) >= BFT_CONFIG_PATH_MAX - 64)
		return BFT_E_INVAL;
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c)
		return BFT_E_NOMEM;
	set_defaults(p.c, path);
	err = conf_read(&d, on_line, &p);
	if (!err) {
		finish_section(&p);
		config_validate(&p);
		err = d.errors ? BFT_E_FIELD : BFT_OK;
	}
	if (err) {
		bft_config_free(p.c);
		return err;
	}
	*out = p.c;
	return BFT_OK;
}

void bft_config_free(struct bft_config *c)
{
	if (!c)
		return;
	free(c->groups);
	free(c);
}

const char *bft_config_nfsproxy(const struct bft_config *c, const char *key)
{
	uint32_t i;

	for (i = 0; i < c->n_nfsproxy; i++)
		if (!strcmp(c->nfsproxy[i].key, key))
			return c->nfsproxy[i].value;
	return NULL;
}

const char *bft_durability_name(enum bft_durability d)
{
	switch (d) {
	case BFT_DURABILITY_SYNC: return "sync";
	case BFT_DURABILITY_NOMETASYNC: return "nometasync";
	case BFT_DURABILITY_ASYNC: return "async";
	}
	return "unknown";
}
