/*
 * config_internal.h — state shared by the configuration parser (config.c),
 * its section handling (config_sections.c) and the whole-file validation
 * (config_check.c). Private to bft/net.
 */
#ifndef BFT_NET_CONFIG_INTERNAL_H
#define BFT_NET_CONFIG_INTERNAL_H

#include "conf_reader.h"

enum sect_kind {
	SECT_NONE, SECT_CLUSTER, SECT_REPLICA, SECT_CLIENTS, SECT_NFSPROXY, SECT_FS,
	SECT_SKIP, /* a bad header: its keys are ignored, the header was reported */
};

struct parse {
	struct bft_config *c;
	struct conf_diag *d;
	enum sect_kind sect;
	char sect_name[64];
	unsigned sect_line;
	uint32_t seen;          /* keys seen in the current section (bit per key) */
	unsigned key_line[16];  /* line of each key seen */
	struct bft_cfg_node *node;
	unsigned cluster_line[16]; /* line of each [cluster] key (enum in config.c) */
	bool have_cluster, have_nfsproxy, have_fs;
	bool replica_seen[BFT_MAX_REPLICAS];
	uint32_t cap_groups;
};

/* Indices into cluster_line used by the validation. */
enum { CL_K = 1, CL_L = 2, CL_RETRANS_MAX = 7, CL_UNREP = 10 };

void start_section(struct parse *p, const struct conf_line *ln);
void finish_section(struct parse *p);
void config_validate(struct parse *p);
void config_path(const struct bft_config *c, const char *rel, char *out);

/* config_fs.c: the [fs] section */
void config_fs_defaults(struct bft_cfg_fs *fs);
void config_fs_line(struct parse *p, const struct conf_line *ln);

#endif
