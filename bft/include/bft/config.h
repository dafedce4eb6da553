/*
 * bft/config.h — the cluster configuration file and the node key files
 * (format: doc/config.md).
 *
 * A strict parser of our own: every line is a comment, a [section] header
 * or a `key = value`; unknown sections or keys, duplicates, out-of-range
 * numbers, overlapping ids or addresses and unreadable key files are errors.
 * Every problem is reported (not only the first) as "FILE:LINE: sentence"
 * through a caller's diagnostic callback, so `bfsctl config check` can name
 * the line of each.
 *
 * Node ids (DESIGN.md): replicas 0..n-1 (n = 3f+1), then clients n..n+C-1.
 * Clients come in groups: one [clients A-B] section is one principal (one
 * process, one UDP address, one key pair) owning the logical client ids
 * A..B; the client runtime (bft/client.h) runs one client core per id.
 * Session keys still differ per id (HKDF info names both ids; crypto.h).
 *
 * Key files hold hex-encoded Ed25519 + X25519 keys. A private key file is
 * refused when it is not a regular file or group/world accessible (mode &
 * 077); a node refuses to start when its private key does not match the
 * public key the configuration lists for it.
 *
 * Errors follow bft/net.h; parse problems are BFT_E_FIELD. Never reads more
 * than BFT_CONFIG_MAX_BYTES of a file, never trusts a length in it.
 */
#ifndef BFT_CONFIG_H
#define BFT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "bft/client_core.h"
#include "bft/messages.h"
#include "bft/crypto.h"
#include "bft/net.h"
#include "bft/replica.h"

#define BFT_CONFIG_MAX_BYTES (1u << 20)
#define BFT_CONFIG_LINE_MAX 1024
#define BFT_CONFIG_PATH_MAX 1024
#define BFT_CONFIG_MAX_CLIENTS 65536u /* client ids in one cluster */
#define BFT_CONFIG_MAX_GROUPS 1024u   /* [clients] sections */
#define BFT_CONFIG_MAX_EXTRA 64u      /* key/values in [nfsproxy] */

/* One problem, already formatted as "FILE:LINE: sentence" (or "FILE: ..."). */
typedef void (*bft_diag_fn)(void *data, const char *msg);

enum bft_durability {
	BFT_DURABILITY_SYNC = 0,     /* durable before reply (default) */
	BFT_DURABILITY_NOMETASYNC,   /* data synced, meta page at the next commit */
	BFT_DURABILITY_ASYNC,        /* may lose the last second on power loss */
};

/* A replica (count 1) or a client group (ids first_id .. first_id+count-1). */
struct bft_cfg_node {
	uint32_t first_id, count;
	struct bft_addr addr;
	char pub_path[BFT_CONFIG_PATH_MAX];  /* resolved against the config dir */
	char key_path[BFT_CONFIG_PATH_MAX];  /* private key (default: .pub -> .key) */
	struct bft_pubkey pub;
	unsigned line;                       /* of the section header */
};

/* Placeholder section for the NFS relay (defined by its own issue): kept
 * verbatim, keys [a-z0-9_]+, values up to 255 bytes. */
struct bft_cfg_extra {
	char key[64];
	char value[256];
	unsigned line;
};

/* [fs]: the replicated settings of the file system service (doc/config.md).
 * Every replica must run with the same values: they decide NFS results. */
#define BFT_CFG_BUCKET_KEY_LEN 16u
struct bft_cfg_fs {
	uint64_t fsid;
	uint64_t max_bytes;       /* data space (NFS3ERR_NOSPC) */
	uint64_t max_files;       /* inodes (NFS3ERR_NOSPC) */
	uint64_t max_file_size;   /* NFS3ERR_FBIG */
	bool atime_strict;        /* READ/LOOKUP update atime (read-write ops) */
	bool root_squash;         /* uid/gid 0 become anon_uid/anon_gid */
	uint32_t anon_uid;
	uint32_t anon_gid;
	char bucket_key_file[BFT_CONFIG_PATH_MAX]; /* resolved; "" if none; holds
						     BFT_CFG_BUCKET_KEY_LEN bytes */
};

struct bft_config {
	char path[BFT_CONFIG_PATH_MAX];
	uint32_t f, n;
	uint32_t n_clients;                 /* client ids, n .. n+n_clients-1 */
	uint32_t checkpoint_interval;       /* K */
	uint32_t log_window;                /* L */
	uint32_t max_batch;
	uint64_t status_ms;
	uint64_t view_change_ms;            /* for view changes (not yet used) */
	uint64_t key_refresh_ms;            /* NEW-KEY period; 0: never */
	uint64_t client_retrans_ms;
	uint64_t client_retrans_max_ms;
	enum bft_durability durability;
	char data_dir[BFT_CONFIG_PATH_MAX]; /* per replica: data_dir/replica<I> */
	bool has_unreplicated;
	struct bft_addr unreplicated;       /* bfsd --unreplicated listens here */
	struct bft_cfg_node replicas[BFT_MAX_REPLICAS];
	struct bft_cfg_node *groups;        /* n_groups, sorted by first_id */
	uint32_t n_groups;
	bool has_nfsproxy;                  /* the file has an [nfsproxy] section */
	struct bft_cfg_extra nfsproxy[BFT_CONFIG_MAX_EXTRA];
	uint32_t n_nfsproxy;
	struct bft_cfg_fs fs;               /* [fs], defaults if absent */
};

/* Parse and validate path, loading every public key file. Problems go to
 * diag (may be NULL); returns BFT_E_FIELD if there was any. *out is the
 * caller's, released with bft_config_free(). */
int bft_config_load(const char *path, bft_diag_fn diag, void *diag_data,
		    struct bft_config **out);
void bft_config_free(struct bft_config *c);

uint32_t bft_config_n_nodes(const struct bft_config *c);
/* The replica or client group that owns node id, or NULL. */
const struct bft_cfg_node *bft_config_node(const struct bft_config *c, uint32_t id);
/* The group whose first id is first_id... or which contains id. */
const struct bft_cfg_node *bft_config_group_of(const struct bft_config *c, uint32_t id);

/* Freshly allocated arrays of n_nodes entries (free() them). */
int bft_config_pubkeys(const struct bft_config *c, struct bft_pubkey **out);
int bft_config_addrs(const struct bft_config *c, struct bft_addr **out);

/* Load node id's private key (key_path, or override if non-NULL) and check
 * it against the configuration's public key for id. */
int bft_config_own_key(const struct bft_config *c, uint32_t id, const char *override,
		       bft_diag_fn diag, void *diag_data, struct bft_keypair *out);

/* Core configurations from the file (defaults for what it does not set). */
void bft_config_replica(const struct bft_config *c, uint32_t id,
			struct bft_replica_config *out);
void bft_config_client(const struct bft_config *c, uint32_t id,
		       struct bft_client_config *out);

const char *bft_durability_name(enum bft_durability d);
/* Value of key in [nfsproxy], or NULL. */
const char *bft_config_nfsproxy(const struct bft_config *c, const char *key);

/* ---- key files ---- */

/* Write a fresh key pair: priv_path (mode 0600, created exclusively) and
 * pub_path (0644). `who` goes into the comment line ("replica 0"). */
int bft_keyfile_write(const char *priv_path, const char *pub_path,
		      const struct bft_keypair *kp, const char *who);
int bft_keyfile_read_public(const char *path, bft_diag_fn diag, void *diag_data,
			    struct bft_pubkey *out);
/* Refuses (BFT_E_AUTH with a sentence saying how to fix it) a file that is
 * group/world accessible. The public halves are derived from the secrets. */
int bft_keyfile_read_private(const char *path, bft_diag_fn diag, void *diag_data,
			     struct bft_keypair *out);

/* A shared secret file (mode 0600, never overwritten): one line
 * `name = <2*len hex digits>` of len fresh random bytes (len <= 32). */
int bft_secret_file_write(const char *path, const char *name, size_t len, const char *about);
/* Read it back (refusing a file group/others can access). */
int bft_secret_file_read(const char *path, const char *name, uint8_t *out, size_t len,
			 bft_diag_fn diag, void *diag_data);

/* ---- a ready-to-run local cluster (bfsctl init) ---- */

struct bft_local_cluster {
	const char *dir;        /* created if missing; must not hold a config */
	uint32_t f;
	uint16_t base_port;     /* replicas base..base+n-1, unreplicated base+n,
				   client groups base+n+1.. */
	uint32_t groups;        /* client processes ([clients] sections) */
	uint32_t ids_per_group; /* logical client ids per group */
	const char *host;       /* "127.0.0.1" (or "::1") */
};

/* Write DIR/bfs.conf and DIR/keys/ *.key|*.pub (diag says what went wrong). */
int bft_local_cluster_write(const struct bft_local_cluster *lc, bft_diag_fn diag,
			    void *diag_data);

#endif
