/*
 * procs.h — start and stop bfsd processes of a local cluster, for the
 * benchmarks (bench/) and the integration tests (tests/integration/).
 *
 * Children die with their parent (PR_SET_PDEATHSIG), so a crashed test or
 * benchmark never leaves stray replicas behind; every start waits (bounded)
 * for the daemon's "ready" line on a pipe (bfsd --ready-fd).
 */
#ifndef BFS_PROCS_H
#define BFS_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Start `bfsd --config config --id id [--unreplicated] --ready-fd N
 * --log log_path [extra...]` (extra is NULL-terminated, may be NULL) and
 * wait up to 5 s for it to be ready. Returns the pid, or -1 with a message
 * on stderr. */
pid_t procs_start_bfsd(const char *bfsd, const char *config, uint32_t id,
		       bool unreplicated, const char *log_path, const char *const *extra);

/* Start `nfsproxy --config config --foreground --log log_path --ready-fd N
 * [extra...]` and wait up to 5 s for it to serve. Returns the pid or -1. */
pid_t procs_start_nfsproxy(const char *nfsproxy, const char *config, const char *log_path,
			   const char *const *extra);

/* Start argv (NULL-terminated; argv[0] is searched in PATH unless it has a
 * slash) as a child that dies with us, stdin from /dev/null, stdout and
 * stderr appended to log_path (NULL: inherited). Returns the pid, or -1
 * with a message on stderr. Does not wait: the caller reaps (procs_wait,
 * procs_stop). For helper programs: rpcbind, nfs-ganesha, bfs-mount, make. */
pid_t procs_spawn(const char *const *argv, const char *log_path);

/* Whether prog (no slash) is an executable file in a directory of PATH. */
bool procs_in_path(const char *prog);

/* Wait up to timeout_ms (< 0: no limit) for pid to exit and reap it.
 * Returns its exit status (0..255), 128 + signal if it was killed, or -1
 * if it is still running after timeout_ms (then it is left alone), is
 * not our child or pid <= 0 (a failed procs_spawn). */
int procs_wait(pid_t pid, int timeout_ms);

/* SIGTERM, wait up to timeout_ms, then SIGKILL; reaps the child. Returns
 * true if it exited cleanly (status 0) on SIGTERM. pid <= 0 is a no-op. */
bool procs_stop(pid_t pid, int timeout_ms);

/* SIGKILL and reap (a crashed replica). */
void procs_kill(pid_t pid);

/* Fill the receive buffer of the (frozen) process bound to sa with junk
 * datagrams, so what its peers send next is lost, as in a long partition
 * (a frozen replica with room in its buffer would replay the backlog). */
void procs_flood(const struct sockaddr *sa, socklen_t len);

/* Remove a directory tree (a test's or benchmark's temporary cluster). */
void procs_rmtree(const char *dir);

/* Path of a sibling program of the running executable's build tree:
 * <dir of /proc/self/exe>/<rel>, e.g. "../bfsd/daemon/bfsd". */
void procs_sibling(const char *rel, char *out, size_t len);

#endif
