/*
 * test_fs_transfer.c — state transfer between real bfsd processes running
 * the file system service (TOCS '02 §5.3.2; doc/design.md "State
 * transfer"), on loopback, with checkpoints every 16 batches:
 *
 *   1. a backup is frozen (SIGSTOP) and its socket buffer filled with junk
 *      datagrams, so it loses everything while 80 CREATEs pass five
 *      checkpoints and the others garbage-collect the log it would need
 *      (a frozen replica with room in its buffer would simply replay the
 *      backlog in order and catch up through the log); thawed, it
 *      must fetch the state ("state transfer: at checkpoint" in its log);
 *      then another replica is killed, so the thawed one is needed for
 *      every quorum, and CREATEs must still complete;
 *   2. the same replica is killed, its data directory deleted (a new
 *      disk) and restarted: it must fetch the whole state from the two
 *      replicas left of the original four plus its own votes, and the
 *      cluster goes on;
 *   3. the new replica logs its status on SIGUSR1; all replicas stop; each
 *      one's LMDB state is opened and, for every
 *      replica that executed as far as replica 0, the from-scratch digest
 *      must equal replica 0's.
 *
 *   test_fs_transfer BFSD   (meson passes the built daemon)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfs3_prot.h"

#include "bfs/error.h"
#include "bfs/fs.h"
#include "bfs/fs_cluster.h"
#include "bfs/op_xdr.h"
#include "bft/client.h"
#include "bft/error.h"
#include "bft/messages.h"
#include "procs.h"
#include "it_check.h"

#define N_REPLICAS 4
#define TIMEOUT_MS 8000

static char dir[] = "/tmp/bfs-stit-XXXXXX";
static char config[300];
static volatile pid_t pids[N_REPLICAS];
static int failures;
static struct bft_client *client;
static struct bft_config *cfg;
static const char *bfsd;
static uint8_t op_buf[BFT_MAX_OP], res_buf[BFT_MAX_RESULT];

static void cleanup(void)
{
	bft_client_close(client);
	client = NULL;
	for (int i = 0; i < N_REPLICAS; i++)
		procs_kill(pids[i]);
	bft_config_free(cfg);
	cfg = NULL;
	if (!getenv("KEEP"))
		procs_rmtree(dir);
}

static void on_alarm(int signo)
{
	static const char msg[] = "FAIL: test_fs_transfer timed out\n";

	(void)signo;
	for (int i = 0; i < N_REPLICAS; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "  %s\n", msg);
}

/* CREATE name in the root directory (GUARDED): true if it succeeded. */
static bool create(const char *name)
{
	static const uint8_t root[BFS_FS_FH_LEN] = { 'B', 'F', 1, 0, 1, 0, 0, 0,
						     0, 0, 0, 0, 1, 0, 0, 0 };
	uint8_t fh[BFS_FS_FH_LEN];
	uint32_t got = 0, fh_len = 0;
	size_t len = 0;
	int rc;

	if (bfs_op_create(root, sizeof(root), name, op_buf, sizeof(op_buf), &len) != BFS_OK)
		return false;
	rc = bft_client_call(client, op_buf, (uint32_t)len, false, res_buf, sizeof(res_buf),
			     &got, TIMEOUT_MS);
	if (rc != 0) {
		fprintf(stderr, "  CREATE %s: %s\n", name, bft_net_strerror(rc));
		return false;
	}
	return bfs_result_created(res_buf, got, fh, sizeof(fh), &fh_len) == NFS3_OK;
}

static int create_many(const char *prefix, int from, int count)
{
	char name[64];
	int ok = 0;

	for (int i = from; i < from + count; i++) {
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		ok += create(name);
	}
	return ok;
}

static bool log_contains(int id, const char *needle)
{
	char path[340], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/replica%d.log", dir, id);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Keep the cluster busy until replica id logs a completed transfer. */
static bool await_transfer(int id, const char *prefix)
{
	for (int i = 0; i < 100; i++) {
		if (log_contains(id, "state transfer: at checkpoint"))
			return true;
		create_many(prefix, i, 1);
		usleep(50000);
	}
	return false;
}

/* Fill replica id's receive buffer (it is frozen) with junk, so what the
 * others send it next is lost, as in a long partition. */
static void flood(int id)
{
	const struct bft_addr *a = &cfg->replicas[id].addr;

	procs_flood((const struct sockaddr *)&a->ss, a->len);
}

static bool start(int id)
{
	char log[340];

	snprintf(log, sizeof(log), "%s/replica%d.log", dir, id);
	pids[id] = procs_start_bfsd(bfsd, config, (uint32_t)id, false, log,
				    (const char *const[]){ "--service", "fs", NULL });
	CHECK(pids[id] > 0, "replica %d did not start", id);
	return pids[id] > 0;
}

/* The cluster bfsctl init would write (bft_local_cluster_write), with
 * checkpoints every 16 batches and a 32-batch log window. */
static bool init_cluster(void)
{
	struct bft_local_cluster lc = { .f = 1, .groups = 1, .ids_per_group = 4,
					.host = "127.0.0.1" };
	char cdir[64], *text = NULL, *p;
	size_t n = 0;
	FILE *f;

	snprintf(cdir, sizeof(cdir), "%s/c", dir);
	lc.dir = cdir;
	lc.base_port = (uint16_t)(42000 + (getpid() % 1500) * 10);
	if (bft_local_cluster_write(&lc, diag, NULL) != 0)
		return false;
	snprintf(config, sizeof(config), "%s/bfs.conf", cdir);
	f = fopen(config, "r");
	if (!f || getdelim(&text, &n, '\0', f) < 0) {
		if (f)
			fclose(f);
		free(text);
		return false;
	}
	fclose(f);
	f = fopen(config, "w");
	for (p = strtok(text, "\n"); f && p; p = strtok(NULL, "\n")) {
		if (!strncmp(p, "checkpoint_interval", 19))
			p = "checkpoint_interval = 16";
		else if (!strncmp(p, "log_window", 10))
			p = "log_window = 32";
		fprintf(f, "%s\n", p);
	}
	free(text);
	return f && fclose(f) == 0 && bft_config_load(config, diag, NULL, &cfg) == 0;
}

/* The file system state of replica id, opened read-mostly after the run. */
static bool replica_digest(int id, uint64_t *last, uint8_t d[BFS_FS_DIGEST_LEN])
{
	char path[BFT_CONFIG_PATH_MAX + 32];
	struct bfs_fs_config fc;
	struct bfs_fs *fs;
	int rc;

	snprintf(path, sizeof(path), "%s/replica%d", cfg->data_dir, id);
	rc = bfs_fs_config_from_cluster(cfg, &fc, diag, NULL);
	CHECK(rc == 0, "bucket key %s: %d", cfg->fs.bucket_key_file, rc);
	fc.path = path;
	rc = bfs_fs_open(&fc, &fs);
	CHECK(rc == BFS_OK, "open replica %d state: %s", id, bfs_strerror(rc));
	if (rc != BFS_OK)
		return false;
	*last = bfs_fs_last_seq(fs);
	rc = bfs_fs_digest_full(fs, d);
	bfs_fs_close(fs);
	return rc == BFS_OK;
}

static void scenario(void)
{
	uint8_t d0[BFS_FS_DIGEST_LEN], d[BFS_FS_DIGEST_LEN];
	uint64_t last0 = 0, last = 0;
	char path[BFT_CONFIG_PATH_MAX + 32];
	int i;

	CHECK(create_many("warm", 0, 10) == 10, "CREATEs with 4 replicas failed");

	/* 1. frozen across five checkpoints */
	kill(pids[3], SIGSTOP);
	flood(3);
	CHECK(create_many("while-frozen", 0, 80) == 80, "CREATEs with replica 3 frozen failed");
	kill(pids[3], SIGCONT);
	CHECK(await_transfer(3, "thawed"), "replica 3 never completed a state transfer");
	procs_kill(pids[1]);
	pids[1] = 0;
	CHECK(create_many("needs-3", 0, 20) == 20,
	      "CREATEs needing the replica that fetched the state failed");

	/* 2. a new disk */
	procs_kill(pids[3]);
	pids[3] = 0;
	snprintf(path, sizeof(path), "%s/replica3", cfg->data_dir);
	procs_rmtree(path);
	if (!start(3))
		return;
	CHECK(await_transfer(3, "new-disk"), "the wiped replica never fetched the state");
	CHECK(create_many("after-wipe", 0, 20) == 20, "CREATEs after the new disk failed");
	usleep(300000); /* let every replica execute the last batch */
	kill(pids[3], SIGUSR1); /* bfsd logs its status (what bfs-bench recovery polls) */
	for (i = 0; i < 40 && !log_contains(3, "status: view "); i++)
		usleep(50000);
	CHECK(log_contains(3, "status: view "), "no status line after SIGUSR1");

	/* 3. equal states */
	for (i = 0; i < N_REPLICAS; i++)
		if (pids[i] > 0) {
			CHECK(procs_stop(pids[i], 3000), "replica %d did not stop cleanly", i);
			pids[i] = 0;
		}
	if (!replica_digest(0, &last0, d0))
		return;
	for (i = 2; i < N_REPLICAS; i++) {
		if (!replica_digest(i, &last, d))
			continue;
		CHECK(last == last0, "replica %d executed up to %llu, replica 0 up to %llu", i,
		      (unsigned long long)last, (unsigned long long)last0);
		CHECK(last != last0 || !memcmp(d, d0, sizeof(d)),
		      "replica %d's state differs from replica 0's at batch %llu", i,
		      (unsigned long long)last);
	}
}

int main(int argc, char **argv)
{
	struct bft_client_opts o = { .max_lanes = 1 };
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: test_fs_transfer BFSD\n");
		return 2;
	}
	bfsd = argv[1];
	signal(SIGALRM, on_alarm);
	alarm(100);
	if (!mkdtemp(dir))
		return 1;
	atexit(cleanup);
	if (!init_cluster()) {
		fprintf(stderr, "FAIL: cannot create the cluster in %s\n", dir);
		return 1;
	}
	for (int i = 0; i < N_REPLICAS; i++)
		if (!start(i))
			return 1;
	o.config = config;
	o.client_id = cfg->n;
	err = bft_client_open(&o, diag, NULL, &client);
	CHECK(err == 0, "client open: %s", bft_net_strerror(err));
	if (err)
		return 1;
	scenario();
	if (failures)
		fprintf(stderr, "%d failure(s); logs in %s (set KEEP=1 to keep them)\n", failures,
			dir);
	else
		printf("ok: a frozen replica and a wiped one fetched the state; equal digests\n");
	return failures ? 1 : 0;
}
