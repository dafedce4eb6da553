/*
 * test_fs_cluster.c — four real bfsd replicas running the NFSv3 file system
 * service (bfsd --service fs) on loopback, driven through the client
 * library (bft/client.h) with operations encoded by bfs/op_xdr.h:
 *
 *   GETATTR of the root, CREATE a file, WRITE 100 KB (32 KB chunks, above
 *   the 4 KB large-request threshold, plus small ones), READ it back, the
 *   same READ as a read-only request, MKDIR, LOOKUP, READDIR listing both,
 *   REMOVE (a read-only READ of the removed file is then NFS3ERR_STALE),
 *   then one replica killed with SIGKILL and another WRITE + READ with the
 *   remaining three, then SIGTERM: every replica must exit cleanly. Last,
 *   `bfsd --unreplicated --service fs` (its own data_dir/unreplicated): a
 *   CREATE, WRITE and READ through the client's unreplicated mode.
 *
 *   test_fs_cluster BFSD BFSCTL   (meson passes the built programs)
 *
 * Never leaves processes behind: children die with the test (PDEATHSIG), the
 * atexit handler kills them, and an alarm bounds the run (its handler kills
 * them too).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "nfs3_prot.h"

#include "bfs/error.h"
#include "bfs/fs.h"
#include "bfs/op_xdr.h"
#include "bft/client.h"
#include "bft/error.h"
#include "bft/messages.h"
#include "procs.h"
#include "it_check.h"

#define N_REPLICAS 4
#define FILE_SIZE (100u * 1024u)
#define CHUNK (32u * 1024u)
#define TIMEOUT_MS 8000

static char dir[] = "/tmp/bfs-fsit-XXXXXX";
static char config[300];
static volatile pid_t pids[N_REPLICAS + 1]; /* + the unreplicated server */
static int failures;
static struct bft_client *client;
static uint8_t op_buf[BFT_MAX_OP], res_buf[BFT_MAX_RESULT];

static void cleanup(void)
{
	int i;

	bft_client_close(client);
	client = NULL;
	for (i = 0; i <= N_REPLICAS; i++)
		procs_kill(pids[i]);
	if (!getenv("KEEP"))
		procs_rmtree(dir);
}

static void on_alarm(int signo)
{
	static const char msg[] = "FAIL: test_fs_cluster timed out\n";
	int i;

	(void)signo;
	for (i = 0; i <= N_REPLICAS; i++)
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

/* ---- one NFSv3 procedure through the cluster ---- */

struct fh {
	uint8_t b[BFS_FS_FH_LEN];
};

static nfs_fh3 nfh(const struct fh *h)
{
	nfs_fh3 fh = { { BFS_FS_FH_LEN, (char *)h->b } };

	return fh;
}

static void copy_fh(struct fh *out, const nfs_fh3 *fh, const char *what)
{
	CHECK(fh->data.data_len == BFS_FS_FH_LEN, "%s: handle of %u bytes", what,
	      fh->data.data_len);
	if (fh->data.data_len == BFS_FS_FH_LEN)
		memcpy(out->b, fh->data.data_val, BFS_FS_FH_LEN);
}

/* Encode, call, decode into res (memset to 0 first). Returns true if the
 * call completed with accept status SUCCESS and a decodable result; the
 * caller then reads the NFS status and xdr_free()s res. */
static bool call(uint32_t proc, bool ro, xdrproc_t xa, const void *args, xdrproc_t xr,
		 void *res, size_t res_size)
{
	struct bfs_op_hdr h = { .proc = (uint16_t)proc,
				.flags = ro ? BFS_OP_READ_ONLY : 0,
				.cred = { .uid = 0, .gid = 0 } };
	uint32_t got = 0, accept = 0;
	size_t len = 0;
	int rc;

	memset(res, 0, res_size);
	rc = bfs_op_encode(&h, xa, args, op_buf, sizeof(op_buf), &len);
	CHECK(rc == BFS_OK, "%s: encode: %s", bfs_op_proc_name(proc), bfs_strerror(rc));
	if (rc != BFS_OK)
		return false;
	rc = bft_client_call(client, op_buf, (uint32_t)len, ro, res_buf, sizeof(res_buf), &got,
			     TIMEOUT_MS);
	CHECK(rc == 0, "%s%s (%zu-byte op): %s", bfs_op_proc_name(proc), ro ? " read-only" : "",
	      len, bft_net_strerror(rc));
	if (rc != 0)
		return false;
	rc = bfs_result_decode(res_buf, got, &accept, xr, res);
	CHECK(rc == BFS_OK && accept == BFS_ACCEPT_SUCCESS, "%s: result: %s, accept %u",
	      bfs_op_proc_name(proc), bfs_strerror(rc), accept);
	return rc == BFS_OK && accept == BFS_ACCEPT_SUCCESS;
}

#define CALL(proc, ro, T, av, rv)                                                     \
	call(proc, ro, (xdrproc_t)xdr_##T##args, &(av), (xdrproc_t)xdr_##T##res, &(rv),     \
	     sizeof(rv))
#define FREE(T, rv) xdr_free((xdrproc_t)xdr_##T##res, (char *)&(rv))

static void root_fh(struct fh *h)
{
	/* doc/fs.md: 'B' 'F' 1 0, inode 1 (u64 LE), generation 1 (u32 LE) */
	static const uint8_t root[BFS_FS_FH_LEN] = { 'B', 'F', 1, 0, 1, 0, 0, 0,
						     0, 0, 0, 0, 1, 0, 0, 0 };

	memcpy(h->b, root, sizeof(root));
}

static void getattr_root(const struct fh *root)
{
	GETATTR3args a = { nfh(root) };
	GETATTR3res r;

	if (!CALL(NFSPROC3_GETATTR, true, GETATTR3, a, r))
		return;
	CHECK(r.status == NFS3_OK, "GETATTR root: status %d", r.status);
	if (r.status == NFS3_OK) {
		fattr3 *fa = &r.GETATTR3res_u.resok.obj_attributes;

		CHECK(fa->type == NF3DIR && fa->fileid == 1, "root: type %d, fileid %llu",
		      fa->type, (unsigned long long)fa->fileid);
	}
	FREE(GETATTR3, r);
}

static bool create(const struct fh *d, const char *name, struct fh *out)
{
	CREATE3args a;
	CREATE3res r;
	bool ok = false;

	memset(&a, 0, sizeof(a));
	a.where.dir = nfh(d);
	a.where.name = (char *)name;
	a.how.mode = GUARDED;
	a.how.createhow3_u.obj_attributes.mode.set_it = TRUE;
	a.how.createhow3_u.obj_attributes.mode.set_mode3_u.mode = 0644;
	if (!CALL(NFSPROC3_CREATE, false, CREATE3, a, r))
		return false;
	CHECK(r.status == NFS3_OK, "CREATE %s: status %d", name, r.status);
	if (r.status == NFS3_OK) {
		CHECK(r.CREATE3res_u.resok.obj.handle_follows, "CREATE %s: no handle", name);
		if (r.CREATE3res_u.resok.obj.handle_follows) {
			copy_fh(out, &r.CREATE3res_u.resok.obj.post_op_fh3_u.handle, "CREATE");
			ok = true;
		}
	}
	FREE(CREATE3, r);
	return ok;
}

static bool mkdir_(const struct fh *d, const char *name, struct fh *out)
{
	MKDIR3args a;
	MKDIR3res r;
	bool ok = false;

	memset(&a, 0, sizeof(a));
	a.where.dir = nfh(d);
	a.where.name = (char *)name;
	a.attributes.mode.set_it = TRUE;
	a.attributes.mode.set_mode3_u.mode = 0755;
	if (!CALL(NFSPROC3_MKDIR, false, MKDIR3, a, r))
		return false;
	CHECK(r.status == NFS3_OK, "MKDIR %s: status %d", name, r.status);
	if (r.status == NFS3_OK && r.MKDIR3res_u.resok.obj.handle_follows) {
		copy_fh(out, &r.MKDIR3res_u.resok.obj.post_op_fh3_u.handle, "MKDIR");
		ok = true;
	}
	FREE(MKDIR3, r);
	return ok;
}

/* LOOKUP: the NFS status, *out on NFS3_OK; -1 if the call itself failed. */
static int lookup(const struct fh *d, const char *name, bool ro, struct fh *out)
{
	LOOKUP3args a = { { nfh(d), (char *)name } };
	LOOKUP3res r;
	int st;

	if (!CALL(NFSPROC3_LOOKUP, ro, LOOKUP3, a, r))
		return -1;
	st = (int)r.status;
	if (r.status == NFS3_OK && out)
		copy_fh(out, &r.LOOKUP3res_u.resok.object, "LOOKUP");
	FREE(LOOKUP3, r);
	return st;
}

static bool write_(const struct fh *h, uint64_t off, const uint8_t *data, uint32_t len)
{
	WRITE3args a = { nfh(h), off, len, FILE_SYNC, { len, (char *)data } };
	WRITE3res r;
	bool ok;

	if (!CALL(NFSPROC3_WRITE, false, WRITE3, a, r))
		return false;
	ok = r.status == NFS3_OK && r.WRITE3res_u.resok.count == len;
	CHECK(ok, "WRITE %u bytes at %llu: status %d, count %u", len, (unsigned long long)off,
	      r.status, r.status == NFS3_OK ? r.WRITE3res_u.resok.count : 0);
	FREE(WRITE3, r);
	return ok;
}

/* READ [off, off+count) into buf: the NFS status, -1 if the call failed. */
static int read_(const struct fh *h, uint64_t off, uint32_t count, bool ro, uint8_t *buf,
		 uint32_t *n)
{
	READ3args a = { nfh(h), off, count };
	READ3res r;
	int st;

	*n = 0;
	if (!CALL(NFSPROC3_READ, ro, READ3, a, r))
		return -1;
	st = (int)r.status;
	if (r.status == NFS3_OK) {
		READ3resok *ok = &r.READ3res_u.resok;

		CHECK(ok->count == ok->data.data_len && ok->count <= count,
		      "READ: count %u, %u data bytes", ok->count, ok->data.data_len);
		if (ok->data.data_len <= count) {
			if (ok->data.data_len) /* an empty READ has no buffer */
				memcpy(buf, ok->data.data_val, ok->data.data_len);
			*n = ok->data.data_len;
		}
	}
	FREE(READ3, r);
	return st;
}

/* Write `size` bytes of pattern `seed` with the given chunk sizes (cycled). */
static bool write_file(const struct fh *h, uint32_t size, uint32_t seed,
		       const uint32_t *chunks, int n_chunks)
{
	static uint8_t data[FILE_SIZE];
	uint32_t off = 0, i;
	int c = 0;

	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(seed + i * 131 + (i >> 9));
	while (off < size) {
		uint32_t len = chunks[c++ % n_chunks];

		if (len > size - off)
			len = size - off;
		if (!write_(h, off, data + off, len))
			return false;
		off += len;
	}
	return true;
}

/* Read the whole file back in 32 KB READs and compare with the pattern. */
static bool check_file(const struct fh *h, uint32_t size, uint32_t seed, bool ro)
{
	static uint8_t got[FILE_SIZE + CHUNK];
	uint32_t off = 0, n, i;

	while (off < size + 1) {
		int st = read_(h, off, CHUNK, ro, got + off, &n);

		CHECK(st == NFS3_OK, "READ%s at %u: status %d", ro ? " (read-only)" : "", off, st);
		if (st != NFS3_OK)
			return false;
		if (!n)
			break;
		off += n;
	}
	CHECK(off == size, "READ%s returned %u bytes, wrote %u", ro ? " (read-only)" : "", off,
	      size);
	for (i = 0; i < size && i < off; i++)
		if (got[i] != (uint8_t)(seed + i * 131 + (i >> 9))) {
			CHECK(false, "READ%s: byte %u differs", ro ? " (read-only)" : "", i);
			return false;
		}
	return off == size;
}

/* READDIR of d: sets found[k] for every names[k] listed. */
static void readdir_(const struct fh *d, const char *const *names, bool *found, int n)
{
	READDIR3args a;
	READDIR3res r;
	entry3 *e;
	int k;

	memset(&a, 0, sizeof(a));
	a.dir = nfh(d);
	a.count = 8192;
	if (!CALL(NFSPROC3_READDIR, true, READDIR3, a, r))
		return;
	CHECK(r.status == NFS3_OK, "READDIR: status %d", r.status);
	if (r.status == NFS3_OK) {
		CHECK(r.READDIR3res_u.resok.reply.eof, "READDIR: not at eof");
		for (e = r.READDIR3res_u.resok.reply.entries; e; e = e->nextentry)
			for (k = 0; k < n; k++)
				found[k] |= !strcmp(e->name, names[k]);
	}
	FREE(READDIR3, r);
}

static bool remove_(const struct fh *d, const char *name)
{
	REMOVE3args a = { { nfh(d), (char *)name } };
	REMOVE3res r;
	bool ok;

	if (!CALL(NFSPROC3_REMOVE, false, REMOVE3, a, r))
		return false;
	ok = r.status == NFS3_OK;
	CHECK(ok, "REMOVE %s: status %d", name, r.status);
	FREE(REMOVE3, r);
	return ok;
}

/* ---- the cluster ---- */

static bool bfsctl_init(const char *bfsctl, uint16_t port)
{
	char port_s[16], cdir[64];
	int status = -1;
	pid_t pid;

	snprintf(port_s, sizeof(port_s), "%u", port);
	snprintf(cdir, sizeof(cdir), "%s/c", dir);
	pid = fork();
	if (pid == 0) {
		execl(bfsctl, bfsctl, "init", "--dir", cdir, "--f", "1", "--base-port", port_s,
		      "--clients", "1", "--host", "127.0.0.1", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: bfsctl init --dir %s failed (status %d)\n", cdir, status);
		return false;
	}
	snprintf(config, sizeof(config), "%s/c/bfs.conf", dir);
	return true;
}

static bool start_replicas(const char *bfsd)
{
	char log[340];
	int i;

	for (i = 0; i < N_REPLICAS; i++) {
		snprintf(log, sizeof(log), "%s/replica%d.log", dir, i);
		pids[i] = procs_start_bfsd(bfsd, config, (uint32_t)i, false, log,
					   (const char *const[]){ "--service", "fs", NULL });
		CHECK(pids[i] > 0, "replica %d did not start", i);
		if (pids[i] <= 0)
			return false;
	}
	return true;
}

static void scenario(void)
{
	static const char *const names[] = { "hello.txt", "subdir" };
	static const uint32_t chunks[] = { CHUNK, CHUNK, CHUNK, 3000, 1096 };
	static const uint32_t big[] = { CHUNK };
	struct fh root, file, sub, looked, file2;
	bool found[2] = { false, false };
	uint8_t buf[64];
	uint32_t n;
	int st;

	root_fh(&root);
	getattr_root(&root);
	if (!create(&root, names[0], &file))
		return;
	CHECK(write_file(&file, FILE_SIZE, 7, chunks, 5), "writing 100 KB failed");
	CHECK(check_file(&file, FILE_SIZE, 7, false), "read-write READ back differs");
	CHECK(check_file(&file, FILE_SIZE, 7, true), "read-only READ back differs");
	if (!mkdir_(&root, names[1], &sub))
		return;
	st = lookup(&root, names[1], false, &looked);
	CHECK(st == NFS3_OK && !memcmp(looked.b, sub.b, BFS_FS_FH_LEN),
	      "LOOKUP subdir: status %d or another handle", st);
	st = lookup(&root, names[0], true, &looked);
	CHECK(st == NFS3_OK && !memcmp(looked.b, file.b, BFS_FS_FH_LEN),
	      "read-only LOOKUP hello.txt: status %d or another handle", st);
	readdir_(&root, names, found, 2);
	CHECK(found[0] && found[1], "READDIR: hello.txt %s, subdir %s",
	      found[0] ? "listed" : "missing", found[1] ? "listed" : "missing");
	if (!remove_(&root, names[0]))
		return;
	st = read_(&file, 0, sizeof(buf), true, buf, &n);
	CHECK(st == NFS3ERR_STALE, "read-only READ of the removed file: status %d, want STALE",
	      st);
	st = lookup(&root, names[0], true, NULL);
	CHECK(st == NFS3ERR_NOENT, "read-only LOOKUP of the removed file: status %d", st);

	procs_kill(pids[3]); /* a backup crashes: f = 1 tolerates it */
	pids[3] = 0;
	if (!create(&sub, "after-crash", &file2))
		return;
	CHECK(write_file(&file2, FILE_SIZE, 99, big, 1), "WRITE with 3 replicas failed");
	CHECK(check_file(&file2, FILE_SIZE, 99, false), "READ with 3 replicas differs");
	CHECK(check_file(&file2, FILE_SIZE, 99, true), "read-only READ with 3 replicas differs");
}

/* The NO-REP baseline with the file system service. */
static void unreplicated(const char *bfsd)
{
	static const uint32_t big[] = { CHUNK };
	struct bft_client_opts o = { .config = config, .max_lanes = 4, .unreplicated = true };
	struct bft_config *cfg = NULL;
	struct fh root, file;
	char log[340];
	int err;

	snprintf(log, sizeof(log), "%s/unrep.log", dir);
	pids[N_REPLICAS] = procs_start_bfsd(bfsd, config, 0, true, log,
					    (const char *const[]){ "--service", "fs", NULL });
	CHECK(pids[N_REPLICAS] > 0, "unreplicated server did not start");
	if (pids[N_REPLICAS] <= 0 || bft_config_load(config, diag, NULL, &cfg) != 0)
		return;
	o.client_id = cfg->n;
	bft_config_free(cfg);
	err = bft_client_open(&o, diag, NULL, &client);
	CHECK(err == 0, "unreplicated client open: %s", bft_net_strerror(err));
	if (err)
		return;
	root_fh(&root);
	getattr_root(&root);
	if (create(&root, "unrep", &file)) {
		CHECK(write_file(&file, FILE_SIZE, 5, big, 1), "unreplicated WRITE failed");
		CHECK(check_file(&file, FILE_SIZE, 5, false), "unreplicated READ differs");
		CHECK(check_file(&file, FILE_SIZE, 5, true), "unreplicated read-only READ differs");
	}
	bft_client_close(client);
	client = NULL;
	CHECK(procs_stop(pids[N_REPLICAS], 3000),
	      "unreplicated server did not exit cleanly on SIGTERM");
	pids[N_REPLICAS] = 0;
}

int main(int argc, char **argv)
{
	struct bft_client_opts o = { .max_lanes = 4 };
	struct bft_config *cfg = NULL;
	int i, err;

	if (argc != 3) {
		fprintf(stderr, "usage: test_fs_cluster BFSD BFSCTL\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(28); /* the whole test; children die with us */
	if (!mkdtemp(dir))
		return 1;
	atexit(cleanup);
	if (!bfsctl_init(argv[2], (uint16_t)(40000 + (getpid() % 2000) * 10)))
		return 1;
	if (bft_config_load(config, diag, NULL, &cfg) != 0)
		return 1;
	o.config = config;
	o.client_id = cfg->n;
	bft_config_free(cfg);
	if (!start_replicas(argv[1]))
		return 1;
	err = bft_client_open(&o, diag, NULL, &client);
	CHECK(err == 0, "client open: %s", bft_net_strerror(err));
	if (err)
		return 1;

	scenario();

	bft_client_close(client);
	client = NULL;
	for (i = 0; i < N_REPLICAS; i++) {
		if (pids[i] > 0)
			CHECK(procs_stop(pids[i], 3000), "replica %d did not exit cleanly on SIGTERM",
			      i);
		pids[i] = 0;
	}
	unreplicated(argv[1]);
	if (failures)
		fprintf(stderr, "%d failure(s); logs in %s (set KEEP=1 to keep them)\n", failures,
			dir);
	else
		printf("ok: NFSv3 over 4 fs replicas (GETATTR CREATE WRITE READ MKDIR LOOKUP "
		       "READDIR REMOVE), one killed, WRITE+READ with 3, unreplicated fs\n");
	return failures ? 1 : 0;
}
