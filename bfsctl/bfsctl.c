/*
 * bfsctl.c — the operations tool: `bfsctl init` writes a ready-to-run local
 * cluster, `bfsctl up` / `down` start and stop it (cluster.c), `bfsctl
 * status` shows its replicas (status.c), `bfsctl recover` runs proactive
 * recovery one replica at a time (recover.c), `bfsctl config check`
 * validates a configuration (including its [nfsproxy] section) naming the
 * line of every problem, `bfsctl keygen` writes one key pair
 * (doc/config.md).
 *
 * Must never overwrite an existing key or configuration file, and exits
 * non-zero with a sentence on stderr for every failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/config.h"
#include "bft/error.h"
#include "cluster.h"
#include "nfsp/conf.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bfsctl init --dir DIR [--f F] [--base-port P] [--clients N]\n"
		"                   [--ids-per-client M] [--host ADDR]\n"
		"       bfsctl up --dir DIR [--bfsd PATH] [--nfsproxy PATH] [--mount MNT]\n"
		"                 [--bfs-mount PATH]\n"
		"       bfsctl down --dir DIR\n"
		"       bfsctl status --dir DIR\n"
		"       bfsctl recover --dir DIR ID|--all [--every S] [--timeout S]\n"
		"                      [--bfsd PATH]\n"
		"       bfsctl config check FILE\n"
		"       bfsctl keygen --private FILE --public FILE [--name TEXT]\n"
		"\n"
		"init writes DIR/bfs.conf and DIR/keys/: replicas on ADDR (127.0.0.1)\n"
		"ports P.. (7000), the unreplicated server on the next port, then N\n"
		"client groups (1) of M logical client ids each (64), then nfsproxy's own\n"
		"client group, NFS port and MOUNT port.\n"
		"up starts DIR's replicas (bfsd --service fs) and nfsproxy, detached, with\n"
		"pid files and logs in DIR/run/, then with --mount mounts the cluster at MNT\n"
		"with bfs-mount (bft: backend); down unmounts it and stops them.\n"
		"status prints each replica's state from its pid file and status file\n"
		"(exit 1 if one is down or stale). recover restarts replica ID with\n"
		"--recover (proactive recovery: untrusted protocol log discarded, digests\n"
		"rebuilt, state checked against the others) once every other replica is up\n"
		"and not recovering, and waits up to --timeout S (120) until it is\n"
		"recovered; --all does each replica in turn, and with --every S forever,\n"
		"one replica every S seconds.\n");
}

static void print_diag(void *data, const char *msg)
{
	unsigned *count = data;

	(*count)++;
	fprintf(stderr, "%s\n", msg);
}

/* Strict unsigned in [min, max]; exits with a message otherwise. */
static uint32_t arg_uint(const char *opt, const char *s, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long v;

	if (!s) {
		fprintf(stderr, "bfsctl: %s needs a value\n", opt);
		exit(2);
	}
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || v < min || v > max) {
		fprintf(stderr, "bfsctl: %s must be a number from %u to %u, not '%s'\n", opt,
			min, max, s);
		exit(2);
	}
	return (uint32_t)v;
}

static int cmd_init(int argc, char **argv)
{
	struct bft_local_cluster lc = { .f = 1, .base_port = 7000, .groups = 1,
					.ids_per_group = 64, .host = "127.0.0.1" };
	unsigned problems = 0;
	int i;

	for (i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--dir") && v)
			lc.dir = v;
		else if (!strcmp(argv[i], "--host") && v)
			lc.host = v;
		else if (!strcmp(argv[i], "--f"))
			lc.f = arg_uint("--f", v, 1, (BFT_MAX_REPLICAS - 1) / 3);
		else if (!strcmp(argv[i], "--base-port"))
			lc.base_port = (uint16_t)arg_uint("--base-port", v, 1, 65000);
		else if (!strcmp(argv[i], "--clients"))
			lc.groups = arg_uint("--clients", v, 1, BFT_CONFIG_MAX_GROUPS);
		else if (!strcmp(argv[i], "--ids-per-client"))
			lc.ids_per_group = arg_uint("--ids-per-client", v, 1, 4096);
		else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (!lc.dir) {
		fprintf(stderr, "bfsctl init: --dir DIR is required\n");
		return 2;
	}
	if (bft_local_cluster_write(&lc, print_diag, &problems) != BFT_OK)
		return 1;
	printf("wrote %s/bfs.conf: f = %u, %u replicas on %s ports %u-%u, %u client "
	       "group(s), nfsproxy NFS port %u, MOUNT port %u\n"
	       "start it with: bfsctl up --dir %s\n",
	       lc.dir, lc.f, 3 * lc.f + 1, lc.host, lc.base_port,
	       lc.base_port + 3 * lc.f, lc.groups,
	       lc.base_port + 3 * lc.f + 1 + 1 + lc.groups + 1,
	       lc.base_port + 3 * lc.f + 1 + 1 + lc.groups + 2, lc.dir);
	return 0;
}

static int cmd_config_check(int argc, char **argv)
{
	struct bft_config *c;
	unsigned problems = 0;

	if (argc != 2 || strcmp(argv[0], "check") != 0) {
		usage(stderr);
		return 2;
	}
	struct nfsp_conf nc;

	if (bft_config_load(argv[1], print_diag, &problems, &c) != BFT_OK) {
		fprintf(stderr, "%s: %u problem(s)\n", argv[1], problems ? problems : 1);
		return 1;
	}
	if (c->has_nfsproxy && nfsp_conf_load(c, print_diag, &problems, &nc) != BFT_OK) {
		fprintf(stderr, "%s: %u problem(s)\n", argv[1], problems);
		bft_config_free(c);
		return 1;
	}
	printf("%s: OK: f = %u, %u replicas, %u client ids in %u group(s), K = %u, "
	       "L = %u, durability %s\n", argv[1], c->f, c->n, c->n_clients, c->n_groups,
	       c->checkpoint_interval, c->log_window, bft_durability_name(c->durability));
	if (c->has_nfsproxy)
		printf("%s: nfsproxy: client %u, NFS port %u, MOUNT port %u on %s, %u export(s)\n",
		       argv[1], nc.client_id, nc.nfs_port, nc.mount_port, nc.listen, nc.n_exports);
	bft_config_free(c);
	return 0;
}

/* up|down --dir DIR [--bfsd PATH] [--nfsproxy PATH] */
static int cmd_cluster(bool up, int argc, char **argv)
{
	const char *dir = NULL, *bfsd = NULL, *nfsproxy = NULL, *mnt = NULL, *bfs_mount = NULL;
	int i, rc;

	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (up && !strcmp(argv[i], "--bfsd"))
			bfsd = argv[i + 1];
		else if (up && !strcmp(argv[i], "--nfsproxy"))
			nfsproxy = argv[i + 1];
		else if (up && !strcmp(argv[i], "--mount"))
			mnt = argv[i + 1];
		else if (up && !strcmp(argv[i], "--bfs-mount"))
			bfs_mount = argv[i + 1];
		else
			break;
	}
	if (!dir || i != argc) {
		usage(stderr);
		return 2;
	}
	if (!up) { /* the mount first: it is a client of the replicas */
		rc = cluster_unmount(dir);
		return cluster_down(dir) ? 1 : rc;
	}
	rc = cluster_up(dir, bfsd, nfsproxy);
	return rc || !mnt ? rc : cluster_mount(dir, mnt, bfs_mount);
}

/* status --dir DIR */
static int cmd_status(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "--dir") != 0) {
		usage(stderr);
		return 2;
	}
	return cluster_status(argv[1]);
}

/* recover --dir DIR ID|--all [--every S] [--timeout S] [--bfsd PATH] */
static int cmd_recover(int argc, char **argv)
{
	const char *dir = NULL, *bfsd = NULL;
	unsigned timeout = 120, every = 0;
	bool all = false;
	int id = -1, i;

	for (i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--all")) {
			all = true;
			continue;
		}
		if (argv[i][0] >= '0' && argv[i][0] <= '9' && id < 0) {
			id = (int)arg_uint("ID", argv[i], 0, BFT_MAX_REPLICAS - 1);
			continue;
		}
		if (!strcmp(argv[i], "--dir") && v)
			dir = v;
		else if (!strcmp(argv[i], "--bfsd") && v)
			bfsd = v;
		else if (!strcmp(argv[i], "--timeout"))
			timeout = arg_uint("--timeout", v, 1, 86400);
		else if (!strcmp(argv[i], "--every"))
			every = arg_uint("--every", v, 1, 86400 * 365);
		else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (!dir || all == (id >= 0) || (every && !all)) {
		fprintf(stderr, "bfsctl recover: needs --dir DIR and either a replica ID or --all "
			"(--every only with --all)\n");
		return 2;
	}
	return cluster_recover(dir, bfsd, id, timeout, every);
}

static int cmd_keygen(int argc, char **argv)
{
	const char *priv = NULL, *pub = NULL, *name = "a node";
	struct bft_keypair kp;
	int i, err;

	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--private"))
			priv = argv[i + 1];
		else if (!strcmp(argv[i], "--public"))
			pub = argv[i + 1];
		else if (!strcmp(argv[i], "--name"))
			name = argv[i + 1];
	}
	if (!priv || !pub || i != argc) {
		usage(stderr);
		return 2;
	}
	err = bft_keypair_generate(&kp);
	if (!err)
		err = bft_keyfile_write(priv, pub, &kp, name);
	bft_wipe(&kp, sizeof(kp));
	if (err) {
		fprintf(stderr, "bfsctl keygen: %s\n", bft_net_strerror(err));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "init"))
		return cmd_init(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "config"))
		return cmd_config_check(argc - 2, argv + 2);
	if (argc >= 2 && (!strcmp(argv[1], "up") || !strcmp(argv[1], "down")))
		return cmd_cluster(!strcmp(argv[1], "up"), argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return cmd_status(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "recover"))
		return cmd_recover(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "keygen"))
		return cmd_keygen(argc - 2, argv + 2);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
