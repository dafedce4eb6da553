/*
 * nfsp_cluster.h — a throw-away local cluster for nfsproxy tests and
 * benchmarks: bfsctl init in a temporary directory, four `bfsd --service
 * fs` replicas and nfsproxy, all children that die with the caller.
 * Header-only (static inline functions); failures are reported through
 * return values and a line on stderr.
 */
#ifndef BFS_NFSP_CLUSTER_H
#define BFS_NFSP_CLUSTER_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "procs.h"

#define NFSPC_REPLICAS 4

struct nfsp_cluster {
	char dir[64];
	char config[128];
	uint16_t base, nfs_port, mount_port;
	pid_t pids[NFSPC_REPLICAS + 1]; /* replicas, then nfsproxy */
};

/* bfsctl init into a fresh temporary directory, ports from base. */
static inline bool nfspc_init(struct nfsp_cluster *c, const char *bfsctl, uint16_t base)
{
	char port_s[16], cdir[96];
	int status = -1;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/bfs-nfsp-XXXXXX");
	if (!mkdtemp(c->dir))
		return false;
	c->base = base;
	c->nfs_port = (uint16_t)(base + 7);   /* bfsctl init: 4 replicas, unreplicated, */
	c->mount_port = (uint16_t)(base + 8); /* one client group, nfsproxy's group */
	snprintf(port_s, sizeof(port_s), "%u", base);
	snprintf(cdir, sizeof(cdir), "%s/c", c->dir);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(bfsctl, bfsctl, "init", "--dir", cdir, "--base-port", port_s, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "bfsctl init --dir %s failed\n", cdir);
		return false;
	}
	snprintf(c->config, sizeof(c->config), "%s/bfs.conf", cdir);
	return true;
}

/* Replace the config's first line starting with key by `line` (one or
 * several lines, without the last newline). False if there is none. */
static inline bool nfspc_set_line(struct nfsp_cluster *c, const char *key, const char *line)
{
	char buf[16384], out[20000], *l, *save = NULL;
	FILE *f = fopen(c->config, "r");
	size_t n, o = 0, klen = strlen(key);
	bool done = false;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (l = strtok_r(buf, "\n", &save); l && o < sizeof(out);
	     l = strtok_r(NULL, "\n", &save)) {
		bool hit = !done && !strncmp(l, key, klen);

		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", hit ? line : l);
		done = done || hit;
	}
	if (!done || o >= sizeof(out) || !(f = fopen(c->config, "w")))
		return false;
	fwrite(out, 1, o, f);
	return fclose(f) == 0;
}

/* Replace the config's export_1 line with `exports` (several lines). */
static inline bool nfspc_set_exports(struct nfsp_cluster *c, const char *exports)
{
	return nfspc_set_line(c, "export_1", exports);
}

static inline bool nfspc_start(struct nfsp_cluster *c, const char *bfsd, const char *nfsproxy,
			const char *const *nfsproxy_extra)
{
	char log[160];
	int i;

	for (i = 0; i < NFSPC_REPLICAS; i++) {
		snprintf(log, sizeof(log), "%s/replica%d.log", c->dir, i);
		c->pids[i] = procs_start_bfsd(bfsd, c->config, (uint32_t)i, false, log,
					      (const char *const[]){ "--service", "fs", NULL });
		if (c->pids[i] <= 0)
			return false;
	}
	snprintf(log, sizeof(log), "%s/nfsproxy.log", c->dir);
	c->pids[NFSPC_REPLICAS] = procs_start_nfsproxy(nfsproxy, c->config, log,
						       nfsproxy_extra);
	return c->pids[NFSPC_REPLICAS] > 0;
}

/* SIGTERM nfsproxy: true if it exited 0. */
static inline bool nfspc_stop_proxy(struct nfsp_cluster *c)
{
	bool ok = procs_stop(c->pids[NFSPC_REPLICAS], 6000);

	c->pids[NFSPC_REPLICAS] = 0;
	return ok;
}

static inline void nfspc_kill_all(struct nfsp_cluster *c, bool keep)
{
	int i;

	for (i = 0; i <= NFSPC_REPLICAS; i++) {
		procs_kill(c->pids[i]);
		c->pids[i] = 0;
	}
	if (!keep && c->dir[0])
		procs_rmtree(c->dir);
}

#endif
