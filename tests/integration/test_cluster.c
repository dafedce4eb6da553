/*
 * test_cluster.c — four real bfsd replicas (null service) on loopback, driven
 * through the client library (bft/client.h): read-write and read-only
 * requests of 0, 100 and 5 KB (large requests travel by digest, OSDI '99
 * §5.1), many outstanding at once, malformed datagrams thrown at a replica,
 * the primary killed (f = 1: a view change replaces it and every request
 * must still complete), and the unreplicated baseline server.
 *
 *   test_cluster BFSD   (meson passes the built bfsd)
 *
 * Never leaves processes behind: children die with the test (PDEATHSIG),
 * and an alarm bounds the whole run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bft/client.h"
#include "bft/error.h"
#include "procs.h"
#include "it_check.h"

#define N_REPLICAS 4
#define MAGIC 0x314c554eu /* the null service's echo header (bfsd/daemon) */

static char dir[] = "/tmp/bfs-it-XXXXXX";
static char config[256];
static pid_t pids[N_REPLICAS + 1];
static int failures;

static void cleanup(void)
{
	int i;

	for (i = 0; i <= N_REPLICAS; i++)
		procs_kill(pids[i]);
	if (!getenv("KEEP"))
		procs_rmtree(dir);
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "  %s\n", msg);
}

/* An echo op asking for `result` bytes repeating a pattern from `seed`. */
static uint32_t make_op(uint8_t *op, uint32_t payload, uint32_t result, uint32_t seed)
{
	uint32_t i, hdr[2] = { MAGIC, result };

	memcpy(op, hdr, sizeof(hdr));
	for (i = 0; i < payload; i++)
		op[8 + i] = (uint8_t)(seed + i * 7);
	return 8 + payload;
}

static bool result_ok(const uint8_t *op, uint32_t payload, const uint8_t *res,
		      uint32_t len, uint32_t want)
{
	uint32_t i;

	if (len != want)
		return false;
	for (i = 0; i < len; i++)
		if (res[i] != (payload ? op[8 + i % payload] : 0))
			return false;
	return true;
}

/* n blocking calls of each shape; returns how many succeeded. */
static int run_calls(struct bft_client *c, int n, const char *what)
{
	static uint8_t op[8 + 6000], res[BFT_MAX_RESULT];
	static const uint32_t shapes[][2] = { { 0, 0 }, { 100, 100 }, { 5120, 16 },
					      { 16, 5120 } };
	int ok = 0, i;

	for (i = 0; i < n; i++) {
		const uint32_t *s = shapes[i % 4];
		bool ro = (i / 4) % 2;
		uint32_t len = make_op(op, s[0], s[1], (uint32_t)i), got = 0;
		int err = bft_client_call(c, op, len, ro, res, sizeof(res), &got, 10000);

		CHECK(err == 0, "%s: call %d (%u/%u %s) failed: %s", what, i, s[0], s[1],
		      ro ? "ro" : "rw", bft_net_strerror(err));
		if (!err) {
			CHECK(result_ok(op, s[0], res, got, s[1]), "%s: call %d: wrong result",
			      what, i);
			ok++;
		}
	}
	return ok;
}

struct async_state {
	int done, ok;
};

static void async_done(void *arg, int status, const uint8_t *res, uint32_t len)
{
	struct async_state *st = arg;

	(void)res;
	st->done++;
	st->ok += status == 0 && len == 32;
}

/* n requests submitted at once (more than the lanes: some queue). */
static void run_async(struct bft_client *c, int n)
{
	struct async_state st = { 0 };
	uint8_t op[16];
	uint32_t len = make_op(op, 4, 32, 1);
	int i, rounds = 0;

	for (i = 0; i < n; i++)
		CHECK(bft_client_submit(c, op, len, i % 3 == 0, async_done, &st) == 0,
		      "submit %d", i);
	while (st.done < n && rounds++ < 2000)
		bft_client_poll(c, 10);
	CHECK(st.done == n && st.ok == n, "async: %d of %d done, %d ok", st.done, n, st.ok);
}

/* Garbage at replica 0: too short, wrong length field, then headers that
 * pass the transport's checks with bodies or MACs the core must reject. */
static void send_garbage(void)
{
	struct bft_config *cfg;
	uint8_t junk[2000];
	int fd, i;

	if (bft_config_load(config, diag, NULL, &cfg) != 0)
		return;
	fd = socket(cfg->replicas[0].addr.ss.ss_family, SOCK_DGRAM, 0);
	for (i = 0; i < (int)sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 31 + 5);
	junk[0] = 1; /* right version, length field wrong */
	for (i = 0; i < 60; i++) {
		size_t len = (size_t)(i % 5 == 0 ? 3 : 20 + i * 30);

		if (i >= 50) { /* a well-formed header: the core must reject it */
			uint32_t hdr[2] = { 5, (uint32_t)len };

			junk[1] = (uint8_t)(1 + i % 4); /* REQUEST, REPLY, PRE-PREPARE, PREPARE */
			memcpy(junk + 4, hdr, sizeof(hdr));
		}
		sendto(fd, junk, len, 0, (const struct sockaddr *)&cfg->replicas[0].addr.ss,
		       cfg->replicas[0].addr.len);
	}
	close(fd);
	bft_config_free(cfg);
}

static bool log_mentions(const char *file, const char *needle)
{
	char path[512], line[2048];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return found;
}

static struct bft_client *open_client(bool unrep)
{
	struct bft_client_opts o = { .config = config, .client_id = N_REPLICAS,
				     .unreplicated = unrep, .max_lanes = 16 };
	struct bft_client *c = NULL;
	int err = bft_client_open(&o, diag, NULL, &c);

	CHECK(err == 0, "client open: %s", bft_net_strerror(err));
	return c;
}

static void start_replicas(const char *bfsd)
{
	char log[300];
	int i;

	for (i = 0; i < N_REPLICAS; i++) {
		snprintf(log, sizeof(log), "%s/replica%d.log", dir, i);
		pids[i] = procs_start_bfsd(bfsd, config, (uint32_t)i, false, log,
					   (const char *const[]){ "--service", "null", NULL });
		CHECK(pids[i] > 0, "replica %d did not start", i);
	}
}

int main(int argc, char **argv)
{
	struct bft_local_cluster lc = { .dir = dir, .f = 1, .groups = 1,
					.ids_per_group = 16, .host = "127.0.0.1" };
	struct bft_client *c;
	char log[300];
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: test_cluster BFSD\n");
		return 2;
	}
	alarm(50); /* the whole test; children die with us */
	if (!mkdtemp(dir))
		return 1;
	atexit(cleanup);
	lc.base_port = (uint16_t)(20000 + (getpid() % 4000) * 10);
	if (bft_local_cluster_write(&lc, diag, NULL) != 0)
		return 1;
	snprintf(config, sizeof(config), "%s/bfs.conf", dir);
	start_replicas(argv[1]);
	if (failures || !(c = open_client(false)))
		return 1;

	CHECK(run_calls(c, 40, "4 replicas") == 40, "not every request completed");
	run_async(c, 100);
	send_garbage();
	CHECK(run_calls(c, 8, "after garbage") == 8, "replica 0 hurt by garbage");
	CHECK(log_mentions("replica0.log", "dropped"),
	      "replica 0 did not log the malformed datagrams");

	/* The primary crashes (f = 1): the backups' request timers expire, a
	 * view change makes replica 1 primary, and every request completes. */
	procs_kill(pids[0]);
	pids[0] = 0;
	CHECK(run_calls(c, 40, "3 replicas") == 40, "requests failed with a crashed primary");
	run_async(c, 50);
	CHECK(log_mentions("replica1.log", "entered view 1"),
	      "replica 1 did not take over as primary of view 1");
	bft_client_close(c);

	snprintf(log, sizeof(log), "%s/unrep.log", dir);
	pids[N_REPLICAS] = procs_start_bfsd(argv[1], config, 0, true, log,
					     (const char *const[]){ "--service", "null", NULL });
	CHECK(pids[N_REPLICAS] > 0, "unreplicated server did not start");
	if ((c = open_client(true)) != NULL) {
		CHECK(run_calls(c, 16, "unreplicated") == 16, "unreplicated requests failed");
		bft_client_close(c);
	}
	for (i = 0; i <= N_REPLICAS; i++) {
		if (pids[i] > 0)
			CHECK(procs_stop(pids[i], 3000), "process %d did not exit cleanly on SIGTERM", i);
		pids[i] = 0;
	}
	if (failures)
		fprintf(stderr, "%d failure(s); logs in %s (set KEEP=1 to keep them)\n", failures,
			dir);
	else
		printf("ok: 4 replicas, primary killed and replaced, unreplicated baseline\n");
	return failures ? 1 : 0;
}
