/*
 * andrew_compare.c — the comparison driver of `bfs-bench andrew`
 * (andrew_compare.h): starts what each configuration needs (nfs-ganesha
 * and rpcbind through bench_ganesha.h; a bfsctl-init cluster of 4 fs
 * replicas and nfsproxy through nfsp_cluster.h; bfs-mount through
 * bench_mount.h), all at once, then runs the phases in rounds: each round
 * runs every configuration once (idle servers cost little; interleaving
 * spreads the shared machine's changing load over all of them).
 *
 * Must never leave a mount or a process behind: cleanup also runs at exit,
 * unmounting before anything is killed or removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "andrew_compare.h"
#include "bench_ganesha.h"
#include "bench_mount.h"
#include "nfsp_cluster.h"
#include "procs.h"

#define PORT_BASE 30000
#define PORT_SLOTS 1000
#define PORT_STEP 30     /* bfsctl init uses base..base+8, ganesha base+20..23 */
#define GANESHA_PORT_OFF 20

struct compare {
	const struct andrew_setup *s;
	const char *src, *work;
	bool keep;
	char bfs_mount[4096];
	const char *no_mount; /* why nothing can be mounted, or NULL */
	uint16_t base;
	char root[ANDREW_COMPARE_CONFIGS][256]; /* where each configuration runs */
	struct bench_mount mounts[ANDREW_COMPARE_CONFIGS];
	struct bench_ganesha ganesha;
	struct nfsp_cluster cluster;
	bool cluster_up, cluster_failed, mount_stuck;
};

static struct compare cmp; /* one comparison per process; reached by atexit */

void andrew_compare_init(struct andrew_config c[ANDREW_COMPARE_CONFIGS])
{
	static const char *const names[ANDREW_COMPARE_CONFIGS][2] = {
		{ "local", "local" }, { ANDREW_NFS_STD, "nfs-std" }, { "BFS", "bfs" },
		{ "BFS-nfsproxy", "bfs-nfsproxy" },
	};
	unsigned i;

	for (i = 0; i < ANDREW_COMPARE_CONFIGS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].name = names[i][0];
		c[i].key = names[i][1];
	}
}

bool andrew_compare_clean(void)
{
	return !cmp.mount_stuck;
}

/* Unmount everything first: nothing below a mount is killed or removed
 * while it is mounted. */
static void cleanup(void)
{
	unsigned i;

	for (i = 0; i < ANDREW_COMPARE_CONFIGS; i++)
		if (!bench_mount_stop(&cmp.mounts[i]))
			cmp.mount_stuck = true;
	bench_ganesha_stop(&cmp.ganesha, cmp.keep);
	if (cmp.cluster_up || cmp.cluster.dir[0])
		nfspc_kill_all(&cmp.cluster, cmp.keep || cmp.cluster_failed);
	cmp.cluster_up = false;
	cmp.cluster.dir[0] = '\0';
}

/* Mount source on work/mnt-KEY with bfs-mount; false with c->skipped. */
static bool mount_at(struct andrew_config *c, unsigned slot, const char *source)
{
	char log[320];

	snprintf(c->where, sizeof(c->where), "%s", source);
	if (cmp.no_mount) {
		snprintf(c->skipped, sizeof(c->skipped), "%s", cmp.no_mount);
		return false;
	}
	snprintf(cmp.root[slot], sizeof(cmp.root[slot]), "%s/mnt-%s", cmp.work, c->key);
	snprintf(log, sizeof(log), "%s/bfs-mount-%s.log", cmp.work, c->key);
	if (mkdir(cmp.root[slot], 0755) < 0) {
		snprintf(c->skipped, sizeof(c->skipped), "mkdir %.200s: %s", cmp.root[slot],
			 strerror(errno));
		return false;
	}
	fprintf(stderr, "%s: bfs-mount -f %s %s\n", c->name, source, cmp.root[slot]);
	return bench_mount_start(&cmp.mounts[slot], cmp.bfs_mount, source, cmp.root[slot], log,
				 c->skipped, sizeof(c->skipped));
}

static bool up_local(struct andrew_config *c, unsigned slot)
{
	snprintf(cmp.root[slot], sizeof(cmp.root[slot]), "%s/local", cmp.work);
	snprintf(c->where, sizeof(c->where), "%s", cmp.root[slot]);
	if (mkdir(cmp.root[slot], 0755) == 0)
		return true;
	snprintf(c->skipped, sizeof(c->skipped), "mkdir %.200s: %s", cmp.root[slot],
		 strerror(errno));
	return false;
}

static bool up_nfs_std(struct andrew_config *c, unsigned slot)
{
	char source[256];
	uint16_t port = (uint16_t)(cmp.base + GANESHA_PORT_OFF);

	if (cmp.no_mount)
		return mount_at(c, slot, "nfs-ganesha");
	if (!procs_in_path("ganesha.nfsd")) {
		snprintf(c->skipped, sizeof(c->skipped), "nfs-ganesha is not installed (apt-get "
			 "install nfs-ganesha nfs-ganesha-vfs rpcbind)");
		return false;
	}
	fprintf(stderr, "%s: starting nfs-ganesha on 127.0.0.1:%u\n", c->name, port);
	if (!bench_ganesha_start(&cmp.ganesha, port, (uint16_t)(port + 1))) {
		snprintf(c->skipped, sizeof(c->skipped), "nfs-ganesha did not start (log in %s)",
			 cmp.ganesha.dir);
		return false;
	}
	snprintf(source, sizeof(source), "nfs://127.0.0.1%s?nfsport=%u&mountport=%u",
		 cmp.ganesha.export, port, port + 1);
	return mount_at(c, slot, source);
}

static bool start_cluster(char *why, size_t len)
{
	char bfsd[4096], bfsctl[4096], nfsproxy[4096], line[64];

	if (cmp.cluster_up)
		return true;
	if (cmp.cluster_failed) {
		snprintf(why, len, "the BFS cluster did not start (logs in %s)", cmp.cluster.dir);
		return false;
	}
	procs_sibling("../bfsd/daemon/bfsd", bfsd, sizeof(bfsd));
	procs_sibling("../bfsctl/bfsctl", bfsctl, sizeof(bfsctl));
	procs_sibling("../nfsproxy/nfsproxy", nfsproxy, sizeof(nfsproxy));
	fprintf(stderr, "BFS: starting 4 bfsd --service fs (durability %s) and nfsproxy "
		"(ports %u..%u)\n", cmp.s->durability, cmp.base, cmp.base + 8);
	snprintf(line, sizeof(line), "durability = %s", cmp.s->durability);
	cmp.cluster_up = nfspc_init(&cmp.cluster, bfsctl, cmp.base) &&
			 nfspc_set_line(&cmp.cluster, "durability", line) &&
			 nfspc_start(&cmp.cluster, bfsd, nfsproxy,
				     (const char *const[]){ "--rpcbind", "no", NULL });
	if (!cmp.cluster_up) {
		cmp.cluster_failed = true;
		snprintf(why, len, "the BFS cluster did not start (logs in %s)", cmp.cluster.dir);
	}
	return cmp.cluster_up;
}

static bool up_bfs(struct andrew_config *c, unsigned slot, bool via_proxy)
{
	char source[256];

	if (cmp.no_mount)
		return mount_at(c, slot, via_proxy ? "nfsproxy" : "bft:");
	if (!start_cluster(c->skipped, sizeof(c->skipped)))
		return false;
	if (via_proxy)
		snprintf(source, sizeof(source), "nfs://127.0.0.1/?nfsport=%u&mountport=%u",
			 cmp.cluster.nfs_port, cmp.cluster.mount_port);
	else
		snprintf(source, sizeof(source), "bft:%s", cmp.cluster.config);
	return mount_at(c, slot, source);
}

static bool bring_up(struct andrew_config *c, unsigned slot)
{
	if (!strcmp(c->key, "local"))
		return up_local(c, slot);
	if (!strcmp(c->key, "nfs-std"))
		return up_nfs_std(c, slot);
	return up_bfs(c, slot, !strcmp(c->key, "bfs-nfsproxy"));
}

/* Run r of c: the phases in ROOT/KEY-r (made first, not timed). */
static void run_once(struct andrew_config *c, unsigned slot, unsigned r)
{
	struct andrew_result *res = &c->runs[c->n_runs++];
	char dst[512], label[64];

	snprintf(dst, sizeof(dst), "%s/%s-%u", cmp.root[slot], c->key, r);
	snprintf(label, sizeof(label), "%s run %u", c->name, r + 1);
	memset(res, 0, sizeof(*res));
	if (mkdir(dst, 0755) < 0)
		snprintf(res->error, sizeof(res->error), "mkdir %.200s: %s", dst, strerror(errno));
	else
		andrew_run(cmp.s->t, cmp.src, dst, cmp.s->scale, cmp.work, label, res);
}

/* Why bfs-mount cannot be used here, or NULL. */
static const char *mount_unusable(void)
{
	procs_sibling("../fuse-client/bfs-mount", cmp.bfs_mount, sizeof(cmp.bfs_mount));
	if (access(cmp.bfs_mount, X_OK) < 0)
		return "bfs-mount not built (no fuse-client/bfs-mount in this build directory)";
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		return "/dev/fuse is not usable here";
	return NULL;
}

void andrew_compare_run(const struct andrew_setup *s, const char *src, const char *work,
			bool keep, struct andrew_config *c, unsigned n)
{
	unsigned i, r;

	memset(&cmp, 0, sizeof(cmp));
	cmp.s = s;
	cmp.src = src;
	cmp.work = work;
	cmp.keep = keep;
	cmp.base = (uint16_t)(PORT_BASE + (unsigned)getpid() % PORT_SLOTS * PORT_STEP);
	cmp.no_mount = mount_unusable();
	atexit(cleanup);
	for (i = 0; i < n && i < ANDREW_COMPARE_CONFIGS; i++) {
		c[i].ran = bring_up(&c[i], i);
		if (!c[i].ran)
			fprintf(stderr, "%s: not run: %s\n", c[i].name, c[i].skipped);
	}
	/* Round r runs every configuration once, so a change in the machine's
	 * load during the benchmark spreads over all of them. */
	for (r = 0; r < s->runs; r++)
		for (i = 0; i < n && i < ANDREW_COMPARE_CONFIGS; i++)
			if (c[i].ran && (r == 0 || c[i].runs[r - 1].ok))
				run_once(&c[i], i, r);
	cleanup();
	for (i = 0; i < n; i++)
		if (c[i].ran)
			andrew_median(c[i].runs, c[i].n_runs, &c[i].r);
}
