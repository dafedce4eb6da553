/*
 * recover.c — `bfsctl recover`: proactive recovery of a local cluster's
 * replicas (TOCS '02 §4.3; OSDI '99 §4.6; doc/design.md "Proactive
 * recovery: operations"), one at a time.
 *
 *   bfsctl recover --dir DIR ID [--timeout S] [--bfsd PATH]
 *   bfsctl recover --dir DIR --all [--every S] [--timeout S] [--bfsd PATH]
 *
 * For one replica: refuse unless every other replica is up, its status
 * file fresh and not recovering — so at most one replica (≤ f) is out of
 * the quorums at any time and the others keep serving; stop the replica
 * (SIGTERM, 5 s, SIGKILL), start it exactly as `bfsctl up` does plus
 * --recover (the same bfsd binary that ran, unless --bfsd), and wait until
 * its status file, written by the new process, says it is no longer
 * recovering (or --timeout, default 120 s). --all does each replica in
 * turn, stopping at the first failure; with --every S it is a watchdog
 * that never ends: one replica every S seconds, round robin, a refused or
 * failed turn retried at the next tick.
 *
 * Never stops a replica while another one is down or recovering.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "status.h"

#define POLL_MS 100

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s > 0)
		nanosleep(&(struct timespec){ .tv_sec = (time_t)s,
					      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) },
			  NULL);
}

/* Every replica but id is up with a fresh status and not recovering. */
static bool others_ready(const char *dir, const struct bft_config *c, uint32_t id)
{
	struct replica_status st;
	char why[PATH_MAX + 128];

	for (uint32_t j = 0; j < c->n; j++) {
		if (j == id)
			continue;
		bool live = status_live(dir, c, j, &st, why, sizeof(why));

		if (live && !st.recovering)
			continue;
		if (live)
			snprintf(why, sizeof(why), "still recovering");
		fprintf(stderr, "bfsctl recover: not recovering replica %u now, replica %u: %s. "
			"At most one replica recovers at a time (f = %u), and only while all "
			"the others serve.\n", id, j, why, c->f);
		return false;
	}
	return true;
}

/* The binary replica id runs now (so it restarts with the same one), or
 * NULL (the default of cluster_up_replica). */
static const char *running_bfsd(pid_t pid, char *out, size_t len)
{
	char link[64];
	ssize_t n;
	char *del;

	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
	if (!pid || (n = readlink(link, out, len - 1)) <= 0)
		return NULL;
	out[n] = '\0';
	if ((del = strstr(out, " (deleted)")) && !del[10])
		*del = '\0'; /* rebuilt since it started: the new binary at that path */
	return out;
}

/* Wait until the process now in replica id's pid file reports it is
 * recovered; false on timeout or if it exits. */
static bool wait_recovered(const char *dir, const struct bft_config *c, uint32_t id,
			   double deadline, struct replica_status *st)
{
	char why[PATH_MAX + 128];
	pid_t pid;

	while (mono_s() < deadline) {
		if (!(pid = cluster_replica_pid(dir, id))) {
			fprintf(stderr, "bfsctl recover: replica %u exited while recovering; see "
				"%s/run/bfsd-%u.log\n", id, dir, id);
			return false;
		}
		if (status_read(c, id, st, why, sizeof(why)) && st->pid == (long)pid &&
		    !st->recovering)
			return true;
		sleep_s(POLL_MS / 1000.0);
	}
	fprintf(stderr, "bfsctl recover: replica %u is still recovering after the timeout; it "
		"goes on (see %s/run/bfsd-%u.log)\n", id, dir, id);
	return false;
}

static int recover_one(const char *dir, const struct bft_config *c, const char *bfsd,
		       uint32_t id, unsigned timeout_s)
{
	struct replica_status st;
	char exe[PATH_MAX];
	pid_t pid;
	double t0;

	if (!others_ready(dir, c, id))
		return 1;
	pid = cluster_replica_pid(dir, id);
	if (!bfsd)
		bfsd = running_bfsd(pid, exe, sizeof(exe));
	t0 = mono_s();
	if (pid) {
		printf("replica %u: stopping (pid %ld)\n", id, (long)pid);
		cluster_stop_replica(dir, id);
	}
	if (!cluster_up_replica(dir, bfsd, id, true))
		return 1;
	fflush(stdout);
	if (!wait_recovered(dir, c, id, t0 + timeout_s, &st))
		return 1;
	printf("replica %u: recovered in %.1f s (stop, restart with --recover, rebuild, catch "
	       "up; bfsd: %.1f s after its start): stable checkpoint %llu %.16s, last executed "
	       "%llu, view %llu, key epoch %llu\n", id, mono_s() - t0,
	       (double)st.recovered_after_ms / 1000.0, (unsigned long long)st.stable,
	       st.stable_digest, (unsigned long long)st.last_executed,
	       (unsigned long long)st.view, (unsigned long long)st.key_epoch);
	fflush(stdout);
	return 0;
}

/* One replica every every_s seconds, round robin, forever. */
static _Noreturn void watchdog(const char *dir, const struct bft_config *c, const char *bfsd,
		    unsigned timeout_s, unsigned every_s)
{
	uint32_t next = 0;

	printf("watchdog: proactive recovery of one of %u replicas every %u s\n", c->n, every_s);
	for (;;) {
		double t0 = mono_s();
		time_t now = time(NULL);
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
		printf("[%s] replica %u's turn\n", when, next);
		fflush(stdout);
		if (recover_one(dir, c, bfsd, next, timeout_s) == 0)
			next = (next + 1) % c->n;
		else
			fprintf(stderr, "bfsctl recover: replica %u again at the next turn\n", next);
		sleep_s(t0 + every_s - mono_s());
	}
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "%s\n", msg);
}

int cluster_recover(const char *dir, const char *bfsd, int id, unsigned timeout_s,
		    unsigned every_s)
{
	char config[PATH_MAX];
	struct bft_config *c;
	int rc = 0;

	snprintf(config, sizeof(config), "%s/bfs.conf", dir);
	if (bft_config_load(config, diag, NULL, &c) != 0)
		return 1;
	if (id >= (int)c->n) {
		fprintf(stderr, "bfsctl recover: %s has replicas 0..%u, not %d\n", config,
			c->n - 1, id);
		rc = 2;
	} else if (id >= 0) {
		rc = recover_one(dir, c, bfsd, (uint32_t)id, timeout_s);
	} else if (every_s > 0) {
		watchdog(dir, c, bfsd, timeout_s, every_s);
	} else {
		for (uint32_t i = 0; i < c->n && rc == 0; i++)
			rc = recover_one(dir, c, bfsd, i, timeout_s);
	}
	bft_config_free(c);
	return rc;
}
