/*
 * mount.c — `bfsctl up --mount MNT` and the unmount step of `bfsctl down`:
 * mount a local cluster with bfs-mount's bft: backend (fuse-client/) and
 * remember where (DIR/run/bfs-mount.mnt), so down unmounts it before it
 * stops the replicas.
 *
 * bfs-mount runs detached (its command returns once the file system is
 * mounted) with the last [clients] group that is not nfsproxy's, so that
 * with `bfsctl init --clients 2` the first group stays free for the
 * user's own tools (bfs-bench, a second bfs-mount). Never mounts twice:
 * a mount point that already holds a bfs-mount file system is left alone.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bft/config.h"
#include "cluster.h"
#include "nfsp/conf.h"
#include "procs.h"

/* Run argv (PATH lookup) and wait: true if it exited 0. */
static bool run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "bfsctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* Whether path is the mount point of a bfs-mount file system (fuse.bfs). */
static bool mounted(const char *path)
{
	char line[PATH_MAX * 2 + 256], src[PATH_MAX], mnt[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%4095s %4095s %63s", src, mnt, type) == 3 &&
			!strcmp(mnt, path) && !strcmp(type, "fuse.bfs");
	fclose(f);
	return found;
}

/* First id of the last client group that nfsproxy does not use. */
static bool pick_client(const char *config, uint32_t *id)
{
	struct bft_config *c = NULL;
	struct nfsp_conf nc = { 0 };
	bool ok = false;

	if (bft_config_load(config, NULL, NULL, &c) != 0)
		return false;
	if (c->has_nfsproxy && nfsp_conf_load(c, NULL, NULL, &nc) != 0)
		nc.have_client = false;
	for (uint32_t i = c->n_groups; i-- > 0 && !ok;) {
		const struct bft_cfg_node *g = &c->groups[i];

		if (c->has_nfsproxy && nc.client_id >= g->first_id &&
		    nc.client_id < g->first_id + g->count)
			continue;
		*id = g->first_id;
		ok = true;
	}
	bft_config_free(c);
	return ok;
}

static void state_path(const char *dir, char *out, size_t len)
{
	snprintf(out, len, "%s/run/bfs-mount.mnt", dir);
}

int cluster_mount(const char *dir, const char *mountpoint, const char *bfs_mount_path)
{
	char config[PATH_MAX], mnt[PATH_MAX], prog[PATH_MAX], src[PATH_MAX + 32];
	char opt[PATH_MAX + 32], state[PATH_MAX + 32];
	uint32_t id;
	FILE *f;

	if (mkdir(mountpoint, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "bfsctl up: cannot create %s: %s\n", mountpoint, strerror(errno));
		return 1;
	}
	snprintf(src, sizeof(src), "%s/bfs.conf", dir);
	if (strlen(dir) > PATH_MAX - 64 || !realpath(src, config) || !realpath(mountpoint, mnt)) {
		fprintf(stderr, "bfsctl up: cannot resolve %s or %s\n", src, mountpoint);
		return 1;
	}
	if (mounted(mnt)) {
		printf("bfs-mount: %s is already mounted; not mounted again\n", mnt);
		return 0;
	}
	if (!pick_client(config, &id)) {
		fprintf(stderr, "bfsctl up: %s has no [clients] group for bfs-mount "
			"(only nfsproxy's); add one (bfsctl init --clients 2)\n", config);
		return 1;
	}
	if (bfs_mount_path)
		snprintf(prog, sizeof(prog), "%s", bfs_mount_path);
	else
		procs_sibling("../fuse-client/bfs-mount", prog, sizeof(prog));
	snprintf(src, sizeof(src), "bft:%s,client=%u", config, id);
	snprintf(opt, sizeof(opt), "log=%s/run/bfs-mount.log", dir);
	char *argv[] = { prog, "-o", opt, src, mnt, NULL };

	if (!run(argv)) {
		fprintf(stderr, "bfsctl up: bfs-mount did not mount %s (see above and "
			"%s/run/bfs-mount.log)\n", mnt, dir);
		return 1;
	}
	state_path(dir, state, sizeof(state));
	if ((f = fopen(state, "w"))) {
		fprintf(f, "%s\n", mnt);
		fclose(f);
	}
	printf("bfs-mount: mounted at %s (bft: backend, BFT client %u), log %s/run/"
	       "bfs-mount.log\n", mnt, id, dir);
	return 0;
}

int cluster_unmount(const char *dir)
{
	char state[PATH_MAX + 32], mnt[PATH_MAX];
	FILE *f;
	bool ok = true;

	if (strlen(dir) > PATH_MAX - 64)
		return 2;
	state_path(dir, state, sizeof(state));
	if (!(f = fopen(state, "r")))
		return 0;
	if (!fgets(mnt, sizeof(mnt), f))
		mnt[0] = '\0';
	fclose(f);
	mnt[strcspn(mnt, "\n")] = '\0';
	if (mnt[0] && mounted(mnt)) {
		char *argv[] = { "fusermount3", "-u", mnt, NULL };
		char *lazy[] = { "fusermount3", "-u", "-z", mnt, NULL };

		if (!run(argv)) {
			fprintf(stderr, "bfsctl down: %s is busy; detaching it lazily\n", mnt);
			ok = run(lazy);
		}
		if (ok)
			printf("bfs-mount: unmounted %s\n", mnt);
	}
	unlink(state);
	return ok ? 0 : 1;
}
