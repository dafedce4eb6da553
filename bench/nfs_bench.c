/*
 * nfs_bench.c — bfs-bench-nfs: per-procedure latency and throughput of
 * NFSv3 (RFC 1813) through nfsproxy into a 4-replica BFS cluster, against
 * the same calls to nfs-ganesha (FSAL VFS, a local directory) in the same
 * run — the paper's BFS vs NFS-std comparison at the RPC level.
 *
 *   bfs-bench-nfs [--seconds S] [--clients C] [--no-ganesha] [--keep]
 *
 * Starts its own cluster (bfsctl init, 4 `bfsd --service fs`, nfsproxy;
 * durability sync) and, unless --no-ganesha, rpcbind (if not running) and
 * ganesha.nfsd with `Graceless = true` exporting a temporary directory on
 * 127.0.0.1. For each procedure: a latency run (one call outstanding, S
 * seconds: mean, p50, p99) and a throughput run (C clients, each its own
 * TCP connection and thread, S seconds: calls/s). Prints a table and one
 * JSON line. A benchmark, never a test: it asserts nothing about speed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <rpc/rpc.h>

#include "bench_ganesha.h"
#include "bfs/op_xdr.h"
#include "mount_prot.h"
#include "nfs3_prot.h"
#include "nfsp_cluster.h"

#define MAX_CLIENTS 64
#define MAX_SAMPLES 2000000
#define FILE_BYTES (1u << 20)
#define G_NFS_PORT_OFF 20
#define G_MNT_PORT_OFF 21

struct fh {
	u_int len;
	char b[NFS3_FHSIZE];
};

struct target {
	const char *name;
	uint16_t nfs_port, mount_port;
	char export[128];
	struct fh root, dir, data;
	bool up;
};

struct worker {
	struct target *t;
	CLIENT *c;
	int id;
	const struct proc *p;
	uint64_t until_ns, ops, errors, created, removed;
	double *lat;        /* latency run only */
	size_t n_lat;
	struct fh wfile;
	uint32_t seq;
};

struct proc {
	const char *name;
	bool (*call)(struct worker *w);
};

struct result {
	double mean, p50, p99, ops_s;
	uint64_t errors;
};

static int opt_seconds = 1, opt_clients = 8;
static bool opt_ganesha = true, opt_keep;
static struct nfsp_cluster cl;
static struct bench_ganesha ganesha;
static char buf32k[32768];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static nfs_fh3 F(struct fh *h)
{
	nfs_fh3 x = { { h->len, h->b } };

	return x;
}

static void keep(struct fh *o, const nfs_fh3 *in)
{
	o->len = in->data.data_len <= NFS3_FHSIZE ? in->data.data_len : 0;
	memcpy(o->b, in->data.data_val, o->len);
}

static CLIENT *connect_to(uint16_t port, u_long prog, u_long vers)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = RPC_ANYSOCK;
	CLIENT *c;

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	c = clnttcp_create(&to, prog, vers, &fd, 0, 0);
	if (c) {
		auth_destroy(c->cl_auth);
		c->cl_auth = authunix_create("bfs-bench", 0, 0, 0, NULL);
	}
	return c;
}

/* clnt_destroy leaves the AUTH we installed. */
static void destroy(CLIENT *c)
{
	if (!c)
		return;
	if (c->cl_auth)
		auth_destroy(c->cl_auth);
	c->cl_auth = NULL;
	clnt_destroy(c);
}

static bool call(CLIENT *c, u_long proc, xdrproc_t xa, void *a, xdrproc_t xr, void *r,
		 size_t rsize)
{
	struct timeval tv = { 30, 0 };
	bool ok;

	memset(r, 0, rsize);
	ok = clnt_call(c, proc, xa, a, xr, r, tv) == RPC_SUCCESS;
	ok = ok && *(nfsstat3 *)r == NFS3_OK;
	xdr_free(xr, (char *)r);
	return ok;
}

#define CALL3(c, PROC, T, a)                                                        \
	({                                                                          \
		T##3res r_;                                                         \
		call(c, NFSPROC3_##PROC, (xdrproc_t)xdr_##T##3args, &(a),           \
		     (xdrproc_t)xdr_##T##3res, &r_, sizeof(r_));                   \
	})

/* ---- the procedures ---- */

static bool p_null(struct worker *w)
{
	struct timeval tv = { 30, 0 };

	return clnt_call(w->c, NFSPROC3_NULL, (xdrproc_t)bfs_xdr_void, NULL,
			 (xdrproc_t)bfs_xdr_void, NULL, tv) == RPC_SUCCESS;
}

static bool p_getattr(struct worker *w)
{
	GETATTR3args a = { F(&w->t->data) };

	return CALL3(w->c, GETATTR, GETATTR, a);
}

static bool p_lookup(struct worker *w)
{
	LOOKUP3args a = { { F(&w->t->dir), "data" } };

	return CALL3(w->c, LOOKUP, LOOKUP, a);
}

static bool p_access(struct worker *w)
{
	ACCESS3args a = { F(&w->t->data), ACCESS3_READ | ACCESS3_MODIFY };

	return CALL3(w->c, ACCESS, ACCESS, a);
}

static bool do_read(struct worker *w, uint32_t n)
{
	READ3args a = { F(&w->t->data), (uint64_t)(w->seq++ * n) % FILE_BYTES, n };

	return CALL3(w->c, READ, READ, a);
}

static bool p_read4k(struct worker *w) { return do_read(w, 4096); }
static bool p_read32k(struct worker *w) { return do_read(w, 32768); }

static bool do_write(struct worker *w, uint32_t n)
{
	WRITE3args a = { F(&w->wfile), (uint64_t)(w->seq++ * n) % FILE_BYTES, n, FILE_SYNC,
			 { n, buf32k } };

	return CALL3(w->c, WRITE, WRITE, a);
}

static bool p_write4k(struct worker *w) { return do_write(w, 4096); }
static bool p_write32k(struct worker *w) { return do_write(w, 32768); }

static bool p_create(struct worker *w)
{
	char name[64];
	CREATE3args a;

	memset(&a, 0, sizeof(a));
	snprintf(name, sizeof(name), "c-%d-%llu", w->id, (unsigned long long)w->created);
	a.where = (diropargs3){ F(&w->t->dir), name };
	a.how.mode = UNCHECKED;
	if (!CALL3(w->c, CREATE, CREATE, a))
		return false;
	w->created++;
	return true;
}

static bool p_remove(struct worker *w)
{
	char name[64];
	REMOVE3args a;

	if (w->removed >= w->created)
		return false; /* every file CREATE made is gone: the run ends */
	snprintf(name, sizeof(name), "c-%d-%llu", w->id, (unsigned long long)w->removed);
	a.object = (diropargs3){ F(&w->t->dir), name };
	if (!CALL3(w->c, REMOVE, REMOVE, a))
		return false;
	w->removed++;
	return true;
}

static bool p_readdir(struct worker *w)
{
	READDIR3args a = { F(&w->t->dir), 0, { 0 }, 4096 };

	return CALL3(w->c, READDIR, READDIR, a);
}

static bool p_fsstat(struct worker *w)
{
	FSSTAT3args a = { F(&w->t->root) };

	return CALL3(w->c, FSSTAT, FSSTAT, a);
}

static const struct proc procs[] = {
	{ "NULL", p_null },       { "GETATTR", p_getattr },   { "LOOKUP", p_lookup },
	{ "ACCESS", p_access },   { "READ 4K", p_read4k },    { "READ 32K", p_read32k },
	{ "WRITE 4K", p_write4k }, { "WRITE 32K", p_write32k }, { "CREATE", p_create },
	{ "REMOVE", p_remove },   { "READDIR", p_readdir },   { "FSSTAT", p_fsstat },
};
#define N_PROCS (sizeof(procs) / sizeof(procs[0]))

/* ---- setup of a target: mount, a directory, a 1 MB file ---- */

static bool mount_root(struct target *t)
{
	CLIENT *m = connect_to(t->mount_port, MOUNT_PROGRAM, 3);
	struct timeval tv = { 10, 0 };
	dirpath p = t->export;
	mountres3 r;
	bool ok;

	if (!m)
		return false;
	memset(&r, 0, sizeof(r));
	ok = clnt_call(m, MOUNTPROC3_MNT, (xdrproc_t)xdr_dirpath, (char *)&p,
		       (xdrproc_t)xdr_mountres3, (char *)&r, tv) == RPC_SUCCESS &&
	     r.fhs_status == MNT3_OK;
	if (ok) {
		t->root.len = r.mountres3_u.mountinfo.fhandle.fhandle3_len;
		memcpy(t->root.b, r.mountres3_u.mountinfo.fhandle.fhandle3_val, t->root.len);
		xdr_free((xdrproc_t)xdr_mountres3, (char *)&r);
	}
	destroy(m);
	return ok;
}

static bool make(CLIENT *c, struct fh *dir, const char *name, bool is_dir, struct fh *out)
{
	struct timeval tv = { 30, 0 };
	bool ok;

	if (is_dir) {
		MKDIR3args a;
		MKDIR3res r;

		memset(&a, 0, sizeof(a));
		a.where = (diropargs3){ F(dir), (char *)name };
		a.attributes.mode.set_it = TRUE;
		a.attributes.mode.set_mode3_u.mode = 0777;
		memset(&r, 0, sizeof(r));
		ok = clnt_call(c, NFSPROC3_MKDIR, (xdrproc_t)xdr_MKDIR3args, (char *)&a,
			       (xdrproc_t)xdr_MKDIR3res, (char *)&r, tv) == RPC_SUCCESS &&
		     r.status == NFS3_OK && r.MKDIR3res_u.resok.obj.handle_follows;
		if (ok)
			keep(out, &r.MKDIR3res_u.resok.obj.post_op_fh3_u.handle);
		xdr_free((xdrproc_t)xdr_MKDIR3res, (char *)&r);
	} else {
		CREATE3args a;
		CREATE3res r;

		memset(&a, 0, sizeof(a));
		a.where = (diropargs3){ F(dir), (char *)name };
		a.how.mode = UNCHECKED;
		memset(&r, 0, sizeof(r));
		ok = clnt_call(c, NFSPROC3_CREATE, (xdrproc_t)xdr_CREATE3args, (char *)&a,
			       (xdrproc_t)xdr_CREATE3res, (char *)&r, tv) == RPC_SUCCESS &&
		     r.status == NFS3_OK && r.CREATE3res_u.resok.obj.handle_follows;
		if (ok)
			keep(out, &r.CREATE3res_u.resok.obj.post_op_fh3_u.handle);
		xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
	}
	return ok;
}

static bool prepare(struct target *t)
{
	CLIENT *c;
	struct worker w = { .t = t };
	uint32_t off;
	bool ok;

	if (!mount_root(t) || !(c = connect_to(t->nfs_port, NFS3_PROGRAM, 3)))
		return false;
	w.c = c;
	ok = make(c, &t->root, "bench", true, &t->dir) && make(c, &t->dir, "data", false, &t->data);
	w.wfile = t->data;
	for (off = 0; ok && off < FILE_BYTES; off += sizeof(buf32k))
		ok = do_write(&w, sizeof(buf32k));
	destroy(c);
	return ok;
}

/* ---- runs ---- */

static void *run_worker(void *arg)
{
	struct worker *w = arg;

	while (now_ns() < w->until_ns) {
		uint64_t t0 = now_ns();
		bool ok = w->p->call(w);

		if (!ok) {
			w->errors++;
			if (w->p->call == p_remove)
				break;
			continue;
		}
		w->ops++;
		if (w->lat && w->n_lat < MAX_SAMPLES)
			w->lat[w->n_lat++] = (double)(now_ns() - t0) / 1000.0;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Workers keep their connections and files across procedures. */
static struct worker workers[2][MAX_CLIENTS];

static bool workers_open(struct target *t, struct worker *ws)
{
	char name[32];
	int i;

	for (i = 0; i < opt_clients; i++) {
		ws[i] = (struct worker){ .t = t, .id = i };
		ws[i].c = connect_to(t->nfs_port, NFS3_PROGRAM, 3);
		snprintf(name, sizeof(name), "w-%d", i);
		if (!ws[i].c || !make(ws[i].c, &t->dir, name, false, &ws[i].wfile))
			return false;
	}
	return true;
}

static void run(struct target *t, struct worker *ws, const struct proc *p, struct result *r)
{
	pthread_t th[MAX_CLIENTS];
	uint64_t t0, ops = 0;
	int i;

	memset(r, 0, sizeof(*r));
	/* latency: one call at a time on worker 0 */
	ws[0].p = p;
	ws[0].lat = malloc(MAX_SAMPLES * sizeof(double));
	ws[0].n_lat = 0;
	ws[0].until_ns = now_ns() + (uint64_t)opt_seconds * 500000000u;
	run_worker(&ws[0]);
	if (ws[0].n_lat) {
		double sum = 0;

		qsort(ws[0].lat, ws[0].n_lat, sizeof(double), cmp_double);
		for (size_t k = 0; k < ws[0].n_lat; k++)
			sum += ws[0].lat[k];
		r->mean = sum / (double)ws[0].n_lat;
		r->p50 = ws[0].lat[ws[0].n_lat / 2];
		r->p99 = ws[0].lat[ws[0].n_lat * 99 / 100];
	}
	free(ws[0].lat);
	ws[0].lat = NULL;
	/* throughput: every worker at once */
	t0 = now_ns();
	for (i = 0; i < opt_clients; i++) {
		ws[i].p = p;
		ws[i].ops = ws[i].errors = 0;
		ws[i].until_ns = t0 + (uint64_t)opt_seconds * 1000000000u;
		pthread_create(&th[i], NULL, run_worker, &ws[i]);
	}
	for (i = 0; i < opt_clients; i++) {
		pthread_join(th[i], NULL);
		ops += ws[i].ops;
		r->errors += ws[i].errors;
	}
	r->ops_s = (double)ops * 1e9 / (double)(now_ns() - t0);
	(void)t;
}

static void cleanup(void)
{
	bench_ganesha_stop(&ganesha, opt_keep);
	nfspc_kill_all(&cl, opt_keep);
}

static void on_signal(int signo)
{
	(void)signo;
	exit(1); /* atexit cleanup */
}

/* ---- output ---- */

static void print_json(struct target *t, struct result (*res)[N_PROCS])
{
	size_t i;
	int k;

	printf("{\"bench\":\"nfs\",\"clients\":%d,\"seconds\":%d,\"results\":[", opt_clients,
	       opt_seconds);
	for (i = 0; i < N_PROCS; i++) {
		printf("%s{\"proc\":\"%s\"", i ? "," : "", procs[i].name);
		for (k = 0; k < 2; k++)
			if (t[k].up)
				printf(",\"%s\":{\"mean_us\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
				       "\"ops_s\":%.0f,\"errors\":%llu}", t[k].name, res[k][i].mean,
				       res[k][i].p50, res[k][i].p99, res[k][i].ops_s,
				       (unsigned long long)res[k][i].errors);
		printf("}");
	}
	printf("]}\n");
}

static void print_table(struct target *t, struct result (*res)[N_PROCS])
{
	size_t i;

	printf("\nNFSv3 over TCP on 127.0.0.1, %d s per run, %d clients for throughput\n"
	       "%-10s | %-27s | %-27s | %s\n%-10s | %8s %8s %9s | %8s %8s %9s | %s\n",
	       opt_seconds, opt_clients, "", "nfsproxy -> 4 BFS replicas",
	       t[1].up ? "nfs-ganesha (VFS)" : "nfs-ganesha: not run", "ratios",
	       "procedure", "p50 us", "p99 us", "ops/s", "p50 us", "p99 us", "ops/s",
	       "lat  tput");
	for (i = 0; i < N_PROCS; i++) {
		const struct result *a = &res[0][i], *b = &res[1][i];

		printf("%-10s | %8.0f %8.0f %9.0f", procs[i].name, a->p50, a->p99, a->ops_s);
		if (t[1].up)
			printf(" | %8.0f %8.0f %9.0f | %4.1f %5.2f", b->p50, b->p99, b->ops_s,
			       b->p50 > 0 ? a->p50 / b->p50 : 0, b->ops_s > 0 ? a->ops_s / b->ops_s : 0);
		if (a->errors || (t[1].up && b->errors))
			printf("  (errors %llu/%llu)", (unsigned long long)a->errors,
			       (unsigned long long)b->errors);
		printf("\n");
	}
	printf("ratios: BFS / ganesha (latency: > 1 is slower; throughput: < 1 is slower)\n\n");
}

int main(int argc, char **argv)
{
	char bfsd[4096], bfsctl[4096], nfsproxy[4096];
	struct target t[2] = { { .name = "nfsproxy" }, { .name = "ganesha" } };
	static struct result res[2][N_PROCS];
	uint16_t base = (uint16_t)(36000 + (getpid() % 500) * 10);
	int i, k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			opt_seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
			opt_clients = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-ganesha"))
			opt_ganesha = false;
		else if (!strcmp(argv[i], "--keep"))
			opt_keep = true;
		else {
			fprintf(stderr, "usage: bfs-bench-nfs [--seconds S] [--clients C] "
				"[--no-ganesha] [--keep]\n");
			return 2;
		}
	}
	if (opt_seconds < 1 || opt_seconds > 600 || opt_clients < 1 || opt_clients > MAX_CLIENTS) {
		fprintf(stderr, "bfs-bench-nfs: --seconds 1..600, --clients 1..%d\n", MAX_CLIENTS);
		return 2;
	}
	memset(buf32k, 'b', sizeof(buf32k));
	procs_sibling("../bfsd/daemon/bfsd", bfsd, sizeof(bfsd));
	procs_sibling("../bfsctl/bfsctl", bfsctl, sizeof(bfsctl));
	procs_sibling("../nfsproxy/nfsproxy", nfsproxy, sizeof(nfsproxy));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	atexit(cleanup);
	if (!nfspc_init(&cl, bfsctl, base) ||
	    !nfspc_start(&cl, bfsd, nfsproxy, (const char *const[]){ "--rpcbind", "no", NULL })) {
		fprintf(stderr, "bfs-bench-nfs: cannot start the BFS cluster (logs in %s)\n", cl.dir);
		return 1;
	}
	t[0].nfs_port = cl.nfs_port;
	t[0].mount_port = cl.mount_port;
	strcpy(t[0].export, "/");
	t[0].up = prepare(&t[0]);
	if (!t[0].up) {
		fprintf(stderr, "bfs-bench-nfs: cannot prepare nfsproxy's file system\n");
		return 1;
	}
	if (opt_ganesha) {
		t[1].nfs_port = (uint16_t)(base + G_NFS_PORT_OFF);
		t[1].mount_port = (uint16_t)(base + G_MNT_PORT_OFF);
		t[1].up = bench_ganesha_start(&ganesha, t[1].nfs_port, t[1].mount_port);
		snprintf(t[1].export, sizeof(t[1].export), "%s", ganesha.export);
		t[1].up = t[1].up && prepare(&t[1]);
		if (!t[1].up)
			fprintf(stderr, "bfs-bench-nfs: nfs-ganesha did not start or serve "
				"(apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind; log in %s); "
				"nfsproxy only\n", ganesha.dir);
	}
	for (k = 0; k < 2; k++)
		if (t[k].up && !workers_open(&t[k], workers[k])) {
			fprintf(stderr, "bfs-bench-nfs: cannot open %d clients to %s\n", opt_clients,
				t[k].name);
			return 1;
		}
	for (i = 0; i < (int)N_PROCS; i++)
		for (k = 0; k < 2; k++)
			if (t[k].up) {
				run(&t[k], workers[k], &procs[i], &res[k][i]);
				fprintf(stderr, "  %-9s %-8s p50 %6.0f us, %7.0f ops/s\n", procs[i].name,
					t[k].name, res[k][i].p50, res[k][i].ops_s);
			}
	print_table(t, res);
	print_json(t, res);
	for (k = 0; k < 2; k++)
		for (i = 0; i < opt_clients; i++)
			if (workers[k][i].c)
				destroy(workers[k][i].c);
	return 0;
}
