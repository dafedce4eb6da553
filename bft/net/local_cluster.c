/*
 * local_cluster.c — write a ready-to-run local cluster (bfsctl init): a
 * commented bfs.conf and one key pair per replica and per client group,
 * loopback addresses on consecutive ports (doc/config.md), the file
 * system's secret bucket key (keys/fs-bucket.key), and the
 * [nfsproxy] section with a client group of its own, its NFS and MOUNT
 * ports and one export of "/" to the loopback (or --host) clients.
 *
 * Must never overwrite an existing configuration or key file, and never
 * write a private key with a mode other than 0600.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bft/error.h"
#include "config_internal.h"

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return BFT_OK;
}

static void host_port(const struct bft_local_cluster *lc, uint32_t port, char *out,
		      size_t len)
{
	if (strchr(lc->host, ':'))
		snprintf(out, len, "[%s]:%u", lc->host, port);
	else
		snprintf(out, len, "%s:%u", lc->host, port);
}

/* Generate and write DIR/keys/NAME.key and NAME.pub. */
static int write_keys(const struct bft_local_cluster *lc, struct conf_diag *d,
		      const char *name, const char *who)
{
	char priv[BFT_CONFIG_PATH_MAX], pub[BFT_CONFIG_PATH_MAX];
	struct bft_keypair kp;
	int err = bft_keypair_generate(&kp);

	snprintf(priv, sizeof(priv), "%s/keys/%s.key", lc->dir, name);
	snprintf(pub, sizeof(pub), "%s/keys/%s.pub", lc->dir, name);
	if (!err)
		err = bft_keyfile_write(priv, pub, &kp, who);
	bft_wipe(&kp, sizeof(kp));
	if (err)
		conf_error(d, 0, "cannot write key %s: %s", priv, bft_net_strerror(err));
	return err;
}

static void write_header(FILE *f, const struct bft_local_cluster *lc, uint32_t n)
{
	char unrep[BFT_ADDR_STRLEN];

	host_port(lc, (uint32_t)lc->base_port + n, unrep, sizeof(unrep));
	fprintf(f,
		"# BFS cluster configuration (format: doc/config.md), written by bfsctl init.\n"
		"# Relative paths are relative to this file's directory.\n\n"
		"[cluster]\n"
		"f = %u                        # tolerated faulty replicas; n = 3f+1 = %u\n"
		"checkpoint_interval = 128    # K: sequence numbers between checkpoints\n"
		"log_window = 256             # L: a multiple of K\n"
		"status_ms = 100              # STATUS period (retransmission)\n"
		"view_change_ms = 2000        # request wait before a view change\n"
		"key_refresh_ms = 60000       # NEW-KEY: fresh session keys this often (0: never)\n"
		"client_retrans_ms = 150      # first client retransmission\n"
		"client_retrans_max_ms = 5000 # client backoff cap\n"
		"durability = sync            # sync | nometasync | async\n"
		"data_dir = data              # replica I keeps its state in data/replicaI\n"
		"unreplicated = %s  # bfsd --unreplicated (the NO-REP baseline)\n\n",
		lc->f, n, unrep);
}

/* [fs] with the defaults spelled out (config_fs.c), and the bucket key
 * every replica shares (written by bft_local_cluster_write). */
static void write_fs(FILE *f)
{
	struct bft_cfg_fs fs;

	config_fs_defaults(&fs);
	fprintf(f,
		"# The file system's replicated settings: identical on every replica,\n"
		"# fixed when a replica's file system is formatted (doc/config.md).\n"
		"[fs]\n"
		"fsid = %llu\n"
		"max_bytes = %lluG          # data space (NFS3ERR_NOSPC)\n"
		"max_files = %llu        # inodes (NFS3ERR_NOSPC)\n"
		"max_file_size = %lluT       # NFS3ERR_FBIG\n"
		"atime = relaxed            # strict: READ and LOOKUP update atime\n"
		"root_squash = no           # yes: uid/gid 0 become anon_uid/anon_gid\n"
		"anon_uid = %u\n"
		"anon_gid = %u\n"
		"# Secret key of the bucket hash (doc/fs.md): copy it to every replica,\n"
		"# never to clients; it cannot change once the replicas are formatted.\n"
		"bucket_key_file = keys/fs-bucket.key\n\n",
		(unsigned long long)fs.fsid, (unsigned long long)(fs.max_bytes >> 30),
		(unsigned long long)fs.max_files, (unsigned long long)(fs.max_file_size >> 40),
		fs.anon_uid, fs.anon_gid);
}

/* The NFS relay: its own client group (ids after the others), then the
 * NFS and MOUNT ports, at ports port, port+1, port+2. */
static void write_nfsproxy(FILE *f, const struct bft_local_cluster *lc, uint32_t n,
			   uint32_t port)
{
	uint32_t first = n + lc->groups * lc->ids_per_group;
	bool loopback = !strncmp(lc->host, "127.", 4) || !strcmp(lc->host, "::1");
	char addr[BFT_ADDR_STRLEN];

	host_port(lc, port, addr, sizeof(addr));
	fprintf(f, "# nfsproxy's own client process (never shared with another program).\n"
		"[clients %u-%u]\naddress = %s\npublic_key = keys/nfsproxy.pub\n\n",
		first, first + lc->ids_per_group - 1, addr);
	fprintf(f, "# The NFS relay (doc/config.md): nfsproxy --config THIS_FILE, or bfsctl up.\n"
		"[nfsproxy]\n"
		"client = %u                 # its BFT client ids: the group above\n"
		"listen = %s\n"
		"nfs_port = %u               # NFS v3 and v2, TCP and UDP\n"
		"mount_port = %u             # MOUNT v3 and v1, TCP and UDP\n"
		"rpcbind = auto               # register if rpcbind runs\n"
		"# export_N = PATH [clients=NET,...] [rw|ro] [root_squash|no_root_squash|"
		"all_squash]\n#            [anon_uid=N] [anon_gid=N]\n"
		"export_1 = / clients=%s rw no_root_squash\n",
		first, lc->host, port + 1, port + 2, loopback ? "127.0.0.0/8,::1" : lc->host);
}

static int write_config(const struct bft_local_cluster *lc, struct conf_diag *d,
			const char *path)
{
	uint32_t n = 3 * lc->f + 1, i, port = lc->base_port;
	char addr[BFT_ADDR_STRLEN];
	FILE *f = fopen(path, "wx");
	int err;

	if (!f) {
		err = -errno;
		conf_error(d, 0, "cannot create: %s", strerror(errno));
		return err;
	}
	write_header(f, lc, n);
	write_fs(f);
	for (i = 0; i < n; i++) {
		host_port(lc, port++, addr, sizeof(addr));
		fprintf(f, "[replica %u]\naddress = %s\npublic_key = keys/replica%u.pub\n"
			"# private_key = keys/replica%u.key (the default)\n\n", i, addr, i, i);
	}
	port++; /* the unreplicated server */
	for (i = 0; i < lc->groups; i++) {
		uint32_t first = n + i * lc->ids_per_group;

		host_port(lc, port++, addr, sizeof(addr));
		fprintf(f, "# One client process: logical client ids %u-%u share its key and\n"
			"# address (bft/client.h runs one client core per id).\n"
			"[clients %u-%u]\naddress = %s\npublic_key = keys/clients%u.pub\n\n",
			first, first + lc->ids_per_group - 1, first,
			first + lc->ids_per_group - 1, addr, i);
	}
	write_nfsproxy(f, lc, n, port);
	err = fclose(f) ? -errno : BFT_OK;
	if (err)
		conf_error(d, 0, "cannot write: %s", strerror(-err));
	return err;
}

int bft_local_cluster_write(const struct bft_local_cluster *lc, bft_diag_fn diag,
			    void *diag_data)
{
	char path[BFT_CONFIG_PATH_MAX], name[32], who[48];
	struct conf_diag d = { .path = lc->dir, .fn = diag, .data = diag_data };
	uint32_t n = 3 * lc->f + 1, i;
	int err;

	if (lc->f < 1 || n > BFT_MAX_REPLICAS || !lc->groups || !lc->ids_per_group ||
	    (uint64_t)(lc->groups + 1) * lc->ids_per_group > BFT_CONFIG_MAX_CLIENTS ||
	    (uint32_t)lc->base_port + n + 4 + lc->groups > 65535 || !lc->base_port ||
	    strlen(lc->dir) > BFT_CONFIG_PATH_MAX - 64) {
		conf_error(&d, 0, "invalid cluster shape (f >= 1, 3f+1 <= %u, clients >= 1, "
			   "ports within 1..65535)", BFT_MAX_REPLICAS);
		return BFT_E_INVAL;
	}
	snprintf(path, sizeof(path), "%s/keys", lc->dir);
	if ((err = make_dir(lc->dir, 0755)) || (err = make_dir(path, 0700))) {
		conf_error(&d, 0, "cannot create directory: %s", bft_net_strerror(err));
		return err;
	}
	for (i = 0; i < n + lc->groups && !err; i++) {
		bool rep = i < n;

		snprintf(name, sizeof(name), rep ? "replica%u" : "clients%u", rep ? i : i - n);
		snprintf(who, sizeof(who), rep ? "replica %u" : "client group %u",
			 rep ? i : i - n);
		err = write_keys(lc, &d, name, who);
	}
	if (!err)
		err = write_keys(lc, &d, "nfsproxy", "nfsproxy's client group");
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/keys/fs-bucket.key", lc->dir);
	if ((err = bft_secret_file_write(path, "bucket-key", BFT_CFG_BUCKET_KEY_LEN,
					 "the file system's bucket key (every replica, no client)"))) {
		conf_error(&d, 0, "cannot write %s: %s", path, bft_net_strerror(err));
		return err;
	}
	snprintf(path, sizeof(path), "%s/bfs.conf", lc->dir);
	return write_config(lc, &d, path);
}
