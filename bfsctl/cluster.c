/*
 * cluster.c — `bfsctl up --dir DIR` and `bfsctl down --dir DIR`: start and
 * stop a local cluster described by DIR/bfs.conf — one `bfsd --service fs`
 * per replica and, when the file has an [nfsproxy] section, nfsproxy —
 * detached from the terminal, with pid files and logs in DIR/run/.
 *
 * Never starts a process twice: a pid file naming a live process of the
 * same program means "already running", and that process is left alone. A
 * stale pid file (dead process, or a pid reused by another program) is
 * replaced. down sends SIGTERM, waits up to 5 s, then SIGKILL. One
 * replica can be started (with --recover: bfsctl recover) or stopped alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bft/config.h"
#include "bft/error.h"
#include "cluster.h"
#include "nfsp/conf.h"
#include "procs.h"

#define START_WAIT_MS 10000
#define STOP_WAIT_MS 5000

/* The pid in path if that process is alive and runs `prog`, else 0. */
static pid_t running(const char *path, const char *prog)
{
	char buf[PATH_MAX], cmd[64];
	FILE *f = fopen(path, "r");
	long pid = 0;
	ssize_t n;
	int fd;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	if (!pid || kill((pid_t)pid, 0) < 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "/proc/%ld/cmdline", pid);
	if ((fd = open(cmd, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, prog) ? (pid_t)pid : 0;
}

/* Start argv detached (own session, stdio on /dev/null and the log), wait
 * for "ready" on --ready-fd. Returns the pid or -1. */
static pid_t start_detached(char **argv, int ready_slot, const char *log)
{
	char fd_s[16], c;
	int fds[2], null;
	struct pollfd p;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	snprintf(fd_s, sizeof(fd_s), "%d", fds[1]);
	argv[ready_slot] = fd_s;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		setsid();
		if ((null = open("/dev/null", O_RDWR)) >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		if ((null = open(log, O_WRONLY | O_APPEND | O_CREAT, 0640)) >= 0)
			dup2(null, 2);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (pid < 0 || poll(&p, 1, START_WAIT_MS) != 1 || read(fds[0], &c, 1) != 1) {
		close(fds[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(fds[0]);
	return pid;
}

static bool write_pid(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fprintf(f, "%ld\n", (long)pid);
	return fclose(f) == 0;
}

/* Start one program unless its pid file says it runs; false on failure. */
static bool up_one(const char *run, const char *name, char **argv, int ready_slot,
		   const char *prog)
{
	char pidf[PATH_MAX + 64], log[PATH_MAX + 64];
	pid_t pid;

	snprintf(pidf, sizeof(pidf), "%s/%s.pid", run, name);
	snprintf(log, sizeof(log), "%s/%s.log", run, name);
	if ((pid = running(pidf, prog))) {
		printf("%s: already running (pid %ld); not started again\n", name, (long)pid);
		return true;
	}
	if ((pid = start_detached(argv, ready_slot, log)) < 0) {
		fprintf(stderr, "bfsctl up: %s did not start; see %s\n", name, log);
		return false;
	}
	if (!write_pid(pidf, pid)) {
		fprintf(stderr, "bfsctl up: cannot write %s: %s\n", pidf, strerror(errno));
		return false;
	}
	printf("%s: started (pid %ld), log %s\n", name, (long)pid, log);
	return true;
}

static void program(const char *given, const char *rel, char *out, size_t len)
{
	if (given)
		snprintf(out, len, "%s", given);
	else
		procs_sibling(rel, out, len);
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "%s\n", msg);
}

bool cluster_up_replica(const char *dir, const char *bfsd_path, uint32_t id, bool recover)
{
	char config[PATH_MAX + 16], run[PATH_MAX + 16], bfsd[PATH_MAX];
	char name[32], log[PATH_MAX + 64], id_s[16];
	char *argv[] = { bfsd, "--config", config, "--id", id_s, "--service", "fs",
			 "--log", log, "--ready-fd", NULL, recover ? "--recover" : NULL, NULL };

	if (strlen(dir) > PATH_MAX - 64)
		return false;
	snprintf(config, sizeof(config), "%s/bfs.conf", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	program(bfsd_path, "../bfsd/daemon/bfsd", bfsd, sizeof(bfsd));
	snprintf(id_s, sizeof(id_s), "%u", id);
	snprintf(name, sizeof(name), "bfsd-%u", id);
	snprintf(log, sizeof(log), "%s/%s.log", run, name);
	return up_one(run, name, argv, 10, "bfsd");
}

int cluster_up(const char *dir, const char *bfsd_path, const char *nfsproxy_path)
{
	char config[PATH_MAX + 16], run[PATH_MAX + 16], nfsp[PATH_MAX];
	char log[PATH_MAX + 64];
	struct bft_config *c = NULL;
	struct nfsp_conf nc;
	bool ok = true;
	uint32_t i;

	if (strlen(dir) > PATH_MAX - 64) {
		fprintf(stderr, "bfsctl up: directory name too long\n");
		return 2;
	}
	snprintf(config, sizeof(config), "%s/bfs.conf", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	if (bft_config_load(config, diag, NULL, &c) != 0)
		return 1;
	if (c->has_nfsproxy && nfsp_conf_load(c, diag, NULL, &nc) != 0) {
		bft_config_free(c);
		return 1;
	}
	if (mkdir(run, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "bfsctl up: cannot create %s: %s\n", run, strerror(errno));
		bft_config_free(c);
		return 1;
	}
	program(nfsproxy_path, "../nfsproxy/nfsproxy", nfsp, sizeof(nfsp));
	for (i = 0; i < c->n && ok; i++)
		ok = cluster_up_replica(dir, bfsd_path, i, false);
	if (ok && c->has_nfsproxy) {
		char *argv[] = { nfsp, "--config", config, "--foreground", "--log", log,
				 "--ready-fd", NULL, NULL };

		snprintf(log, sizeof(log), "%s/nfsproxy.log", run);
		ok = up_one(run, "nfsproxy", argv, 7, "nfsproxy");
		/* A wildcard listen address is reached through loopback. */
		const char *host = !strcmp(nc.listen, "0.0.0.0") ? "127.0.0.1" :
				   !strcmp(nc.listen, "::") ? "[::1]" : nc.listen;

		if (ok)
			printf("\nNFS: nfs-ls 'nfs://%s/?nfsport=%u&mountport=%u'\n"
			       "     nfs-cp FILE 'nfs://%s//FILE?nfsport=%u&mountport=%u'\n"
			       "     mount -t nfs -o vers=3,proto=tcp,port=%u,mountport=%u,"
			       "mountproto=tcp,nolock %s:/ DIR\n",
			       host, nc.nfs_port, nc.mount_port, host, nc.nfs_port,
			       nc.mount_port, nc.nfs_port, nc.mount_port, host);
	}
	bft_config_free(c);
	return ok ? 0 : 1;
}

/* The process has exited: gone, or a zombie its reaper has not collected
 * yet (it holds no socket, file or lock any more). */
static bool exited(pid_t pid)
{
	char path[64], buf[256], *paren;
	FILE *f;
	size_t n;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}

static bool stop_pid(pid_t pid)
{
	int waited;

	kill(pid, SIGTERM);
	for (waited = 0; waited < STOP_WAIT_MS; waited += 20) {
		if (exited(pid))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	kill(pid, SIGKILL);
	return false;
}

static unsigned down_one(const char *run, const char *name, const char *prog)
{
	char pidf[PATH_MAX + 64];
	pid_t pid;

	snprintf(pidf, sizeof(pidf), "%s/%s.pid", run, name);
	pid = running(pidf, prog);
	unlink(pidf);
	if (!pid)
		return 0;
	if (!stop_pid(pid))
		fprintf(stderr, "bfsctl down: %s (pid %ld) ignored SIGTERM; killed\n", name,
			(long)pid);
	return 1;
}

pid_t cluster_replica_pid(const char *dir, uint32_t id)
{
	char pidf[PATH_MAX + 64];

	snprintf(pidf, sizeof(pidf), "%s/run/bfsd-%u.pid", dir, id);
	return running(pidf, "bfsd");
}

bool cluster_stop_replica(const char *dir, uint32_t id)
{
	char run[PATH_MAX + 16], name[32];

	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(name, sizeof(name), "bfsd-%u", id);
	return down_one(run, name, "bfsd") == 1;
}

int cluster_down(const char *dir)
{
	char run[PATH_MAX + 16], name[32];
	unsigned n = 0;
	uint32_t i;

	if (strlen(dir) > PATH_MAX - 64)
		return 2;
	snprintf(run, sizeof(run), "%s/run", dir);
	n += down_one(run, "nfsproxy", "nfsproxy"); /* first: it is the replicas' client */
	for (i = 0; i < BFT_MAX_REPLICAS; i++) {
		snprintf(name, sizeof(name), "bfsd-%u", i);
		n += down_one(run, name, "bfsd");
	}
	printf("stopped %u process(es)\n", n);
	return 0;
}
