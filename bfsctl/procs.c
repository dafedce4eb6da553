/*
 * procs.c — starting and stopping local bfsd and nfsproxy processes, and
 * cutting a frozen one off (procs.h).
 *
 * Must never leave a child running after its parent dies, and never wait
 * unboundedly for a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "procs.h"

#define PROCS_MAX_ARGS 32

static void exec_child(const char *prog, const char *const *argv, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	execvp(prog, (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
	_exit(127);
}

static bool wait_ready(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[8];

	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	return read(fd, buf, sizeof(buf)) > 0;
}

/* Run argv (argv[ready_slot] receives the --ready-fd number) as a child
 * that dies with us; wait up to 5 s for its ready line. */
static pid_t start_ready(const char **argv, int ready_slot, const char *what,
			 const char *log_path)
{
	char fd_s[16];
	int fds[2];
	pid_t parent = getpid(), pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	argv[ready_slot] = fd_s;
	pid = fork();
	if (pid == 0) {
		int w = dup(fds[1]); /* without O_CLOEXEC: inherited by the program */

		snprintf(fd_s, sizeof(fd_s), "%d", w);
		exec_child(argv[0], argv, parent);
	}
	close(fds[1]);
	if (pid < 0 || !wait_ready(fds[0], 5000)) {
		fprintf(stderr, "%s did not become ready; see %s\n", what, log_path);
		close(fds[0]);
		if (pid > 0)
			procs_kill(pid);
		return -1;
	}
	close(fds[0]);
	return pid;
}

pid_t procs_start_bfsd(const char *bfsd, const char *config, uint32_t id,
		       bool unreplicated, const char *log_path, const char *const *extra)
{
	const char *argv[PROCS_MAX_ARGS];
	char id_s[16], what[64];
	int n = 0, i, slot;

	snprintf(id_s, sizeof(id_s), "%u", id);
	snprintf(what, sizeof(what), "bfsd %s (id %u)", unreplicated ? "--unreplicated"
		 : "replica", id);
	argv[n++] = bfsd;
	argv[n++] = "--config";
	argv[n++] = config;
	argv[n++] = "--id";
	argv[n++] = id_s;
	if (unreplicated)
		argv[n++] = "--unreplicated";
	argv[n++] = "--log";
	argv[n++] = log_path;
	argv[n++] = "--ready-fd";
	slot = n++;
	for (i = 0; extra && extra[i] && n < PROCS_MAX_ARGS - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return start_ready(argv, slot, what, log_path);
}

pid_t procs_start_nfsproxy(const char *nfsproxy, const char *config, const char *log_path,
			   const char *const *extra)
{
	const char *argv[PROCS_MAX_ARGS];
	int n = 0, i, slot;

	argv[n++] = nfsproxy;
	argv[n++] = "--config";
	argv[n++] = config;
	argv[n++] = "--foreground";
	argv[n++] = "--log";
	argv[n++] = log_path;
	argv[n++] = "--ready-fd";
	slot = n++;
	for (i = 0; extra && extra[i] && n < PROCS_MAX_ARGS - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return start_ready(argv, slot, "nfsproxy", log_path);
}

pid_t procs_spawn(const char *const *argv, const char *log_path)
{
	pid_t parent = getpid(), pid;
	int log = -1;

	if (log_path && (log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				    0644)) < 0) {
		fprintf(stderr, "cannot open %s: %s\n", log_path, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 ||
		    (log >= 0 && (dup2(log, 1) < 0 || dup2(log, 2) < 0)))
			_exit(127);
		exec_child(argv[0], argv, parent);
	}
	if (log >= 0)
		close(log);
	if (pid < 0)
		fprintf(stderr, "cannot start %s: %s\n", argv[0], strerror(errno));
	return pid;
}

bool procs_in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *colon;
	char full[PATH_MAX];

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *colon ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		snprintf(full, sizeof(full), "%.*s/%s", (int)(colon - p), p, prog);
		if (colon > p && access(full, X_OK) == 0)
			return true;
	}
	return false;
}

int procs_wait(pid_t pid, int timeout_ms)
{
	int status, waited = 0;
	pid_t r;

	if (pid <= 0)
		return -1;
	for (;;) {
		r = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && waited >= timeout_ms)
			return -1;
		if (r == 0) {
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
			waited += 10;
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void procs_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

bool procs_stop(pid_t pid, int timeout_ms)
{
	int status, waited;

	if (pid <= 0)
		return true;
	kill(pid, SIGTERM);
	for (waited = 0; waited < timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (r < 0)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	procs_kill(pid);
	return false;
}

void procs_sibling(const char *rel, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		snprintf(out, len, "%s", rel);
		return;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, len, "%s/%s", self, rel);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

void procs_flood(const struct sockaddr *sa, socklen_t len)
{
	static unsigned char junk[60000];
	int fd = socket(sa->sa_family, SOCK_DGRAM, 0);

	memset(junk, 0xa5, sizeof(junk));
	for (int i = 0; fd >= 0 && i < 200; i++)
		if (sendto(fd, junk, sizeof(junk), 0, sa, len) < 0)
			break;
	if (fd >= 0)
		close(fd);
}

void procs_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
