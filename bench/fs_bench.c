/*
 * fs_bench.c — bfs-fs-bench: costs of the replicated file system state
 * machine alone (bfsd/, no network, no protocol):
 *
 *   1. checkpoint digest for k = 100 and 1000 modified objects vs total
 *      state size N, with ratios to the smallest N (must be flat), and the
 *      cost of the batches that made the changes (OSDI '99 §4.3; the
 *      incremental partition tree of doc/fs.md must cost O(k log N)); one
 *      state per N, measured in turn so that the host's load falls alike;
 *   2. checkpoint digest vs number of modified objects k at N = 10^5, and
 *      the O(N) from-scratch digest and digest rebuild (recovery);
 *   3. per-operation execution cost of the main NFSv3 procedures (RFC 1813
 *      §3.3): read-only ones as execute_ro, modifying ones in batches of 64
 *      with a checkpoint every 128 batches (the digest work is included);
 *   4. state transfer (TOCS '02 §5.3.2): children, leaf_get, leaf_digest,
 *      leaf_put per leaf, transfer_end;
 *   5. growth of the LMDB file under a write load while a checkpoint
 *      snapshot is pinned, against the same load with snapshots released.
 *
 *   bfs-fs-bench [--max-objects N] [--dir DIR] [--json FILE]
 *                [--only ops|checkpoint|transfer|growth]
 *
 * Durability is async (no fsync) so the figures are CPU and LMDB costs;
 * every measured loop runs once unmeasured first (warm-up). A program that
 * prints figures, not a test: no thresholds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bfs/error.h"
#include "bfs/fs.h"
#include "bfs/op_xdr.h"
#include "nfs3_prot.h"

#define DL BFS_FS_DIGEST_LEN
#define FH BFS_FS_FH_LEN
#define RES_MAX 65536u

struct fsb {
	char dir[256];
	struct bfs_fs *fs;
	uint64_t seq, time_us;
	uint8_t op[RES_MAX], res[RES_MAX];
	uint32_t op_len, res_len;
	uint8_t root[FH];
};

static const char *base_dir = "/tmp";
static FILE *json;
static bool json_first = true;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bfs-fs-bench: %s: %s\n", what, bfs_strerror(rc));
	exit(1);
}

static void check(const char *what, int rc)
{
	if (rc != BFS_OK)
		die(what, rc);
}

static struct fsb *fsb_new(void)
{
	struct fsb *b = calloc(1, sizeof(*b));
	struct bfs_fs_config c;
	if (b == NULL)
		die("calloc", BFS_E_NOMEM);
	snprintf(b->dir, sizeof(b->dir), "%s/bfs-fs-bench-XXXXXX", base_dir);
	if (mkdtemp(b->dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	bfs_fs_config_default(&c);
	c.path = b->dir;
	c.durability = BFS_DURABLE_ASYNC;
	c.max_files = 1ull << 24;
	c.max_bytes = 1ull << 36;
	c.root_mode = 0777;
	check("open", bfs_fs_open(&c, &b->fs));
	b->time_us = 1700000000ull * 1000000ull;
	bfs_fs_root_fh(b->fs, b->root);
	return b;
}

static void fsb_free(struct fsb *b)
{
	char p[300];
	bfs_fs_close(b->fs);
	snprintf(p, sizeof(p), "%s/data.mdb", b->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", b->dir);
	unlink(p);
	rmdir(b->dir);
	free(b);
}

static void encode(struct fsb *b, uint32_t proc, xdrproc_t xa, void *args)
{
	struct bfs_op_hdr h = { .proc = (uint16_t)proc };
	size_t len;
	check("encode", bfs_op_encode(&h, xa, args, b->op, sizeof(b->op), &len));
	b->op_len = (uint32_t)len;
}

static void begin(struct fsb *b)
{
	b->seq++;
	b->time_us += 1000;
	check("batch_begin", bfs_fs_batch_begin(b->fs, b->seq, b->time_us));
}

static void end(struct fsb *b)
{
	check("batch_end", bfs_fs_batch_end(b->fs, b->seq));
}

static void exec_rw(struct fsb *b)
{
	check("execute", bfs_fs_execute(b->fs, b->op, b->op_len, b->res, sizeof(b->res),
					&b->res_len));
}

static void exec_ro(struct fsb *b)
{
	check("execute_ro", bfs_fs_execute_ro(b->fs, b->op, b->op_len, b->res, sizeof(b->res),
					      &b->res_len));
}

static nfs_fh3 fh3(uint8_t *h)
{
	nfs_fh3 f = { { FH, (char *)h } };
	return f;
}

/* The handle a CREATE/MKDIR result carries (all share CREATE3res's shape). */
static void result_fh(struct fsb *b, uint8_t out[FH])
{
	CREATE3res r;
	uint32_t accept;
	memset(&r, 0, sizeof(r));
	check("decode", bfs_result_decode(b->res, b->res_len, &accept,
					  (xdrproc_t)xdr_CREATE3res, &r));
	if (accept != 0 || r.status != NFS3_OK || !r.CREATE3res_u.resok.obj.handle_follows)
		die("create failed", BFS_E_FIELD);
	memcpy(out, r.CREATE3res_u.resok.obj.post_op_fh3_u.handle.data.data_val, FH);
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
}

static void enc_create(struct fsb *b, uint8_t *dir, const char *name)
{
	CREATE3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fh3(dir);
	a.where.name = (char *)name;
	a.how.mode = UNCHECKED;
	encode(b, NFSPROC3_CREATE, (xdrproc_t)xdr_CREATE3args, &a);
}

static void enc_mkdir(struct fsb *b, uint8_t *dir, const char *name)
{
	MKDIR3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fh3(dir);
	a.where.name = (char *)name;
	encode(b, NFSPROC3_MKDIR, (xdrproc_t)xdr_MKDIR3args, &a);
}

static void enc_chmod(struct fsb *b, uint8_t *h, uint32_t mode)
{
	SETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fh3(h);
	a.new_attributes.mode.set_it = TRUE;
	a.new_attributes.mode.set_mode3_u.mode = mode;
	encode(b, NFSPROC3_SETATTR, (xdrproc_t)xdr_SETATTR3args, &a);
}

static void enc_write(struct fsb *b, uint8_t *h, uint64_t off, uint32_t len)
{
	static char data[32768];
	WRITE3args a = { fh3(h), off, len, FILE_SYNC, { len, data } };
	encode(b, NFSPROC3_WRITE, (xdrproc_t)xdr_WRITE3args, &a);
}

/* Files created so far: handle i of directory i / FILES_PER_DIR. */
#define FILES_PER_DIR 10000u
struct files {
	uint8_t (*fh)[FH];
	uint8_t (*dir)[FH];
	size_t n, cap, ndir;
};

static void grow_to(struct fsb *b, struct files *f, size_t n)
{
	if (n > f->cap) {
		f->fh = realloc(f->fh, n * FH);
		f->dir = realloc(f->dir, (n / FILES_PER_DIR + 1) * FH);
		if (f->fh == NULL || f->dir == NULL)
			die("realloc", BFS_E_NOMEM);
		f->cap = n;
	}
	char name[32];
	while (f->n < n) {
		begin(b);
		for (unsigned i = 0; i < 64 && f->n < n; i++) {
			if (f->n % FILES_PER_DIR == 0 && f->n / FILES_PER_DIR == f->ndir) {
				snprintf(name, sizeof(name), "d%zu", f->ndir);
				enc_mkdir(b, b->root, name);
				exec_rw(b);
				result_fh(b, f->dir[f->ndir++]);
			}
			snprintf(name, sizeof(name), "f%zu", f->n);
			enc_create(b, f->dir[f->n / FILES_PER_DIR], name);
			exec_rw(b);
			result_fh(b, f->fh[f->n++]);
		}
		end(b);
	}
}

static double checkpoint_us(struct fsb *b)
{
	uint8_t d[DL];
	double t0 = now_us();
	check("checkpoint", bfs_fs_checkpoint(b->fs, d));
	return now_us() - t0;
}

static double median(double *t, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[n / 2];
}

/* One checkpoint's cost after k modified objects, and the cost of the
 * batches that modified them per modified object. */
struct ckpt_cost {
	double ckpt_us;
	double batch_us_per_obj;
};

/* Modify k objects (chmod of k files, one inode each, spread over the
 * whole state: a new stride every round) in batches of 64, then time the
 * checkpoint alone. */
static struct ckpt_cost modify_and_checkpoint(struct fsb *b, struct files *f, size_t k)
{
	static uint32_t mode = 0600;
	static size_t round;
	mode ^= 1;
	round++;
	double t0 = now_us();
	for (size_t i = 0; i < k;) {
		begin(b);
		for (unsigned j = 0; j < 64 && i < k; j++, i++) {
			enc_chmod(b, f->fh[(i * 7919 + round * 104729) % f->n], mode);
			exec_rw(b);
		}
		end(b);
	}
	double t1 = now_us();
	return (struct ckpt_cost){ checkpoint_us(b), (t1 - t0) / (double)k };
}

static void json_num(const char *key, double v)
{
	if (json == NULL)
		return;
	fprintf(json, "%s\"%s\":%.3f", json_first ? "{" : ",", key, v);
	json_first = false;
}

/* One state per N = 10^3, 10^4, ... so that the repetitions of every N can
 * be taken in turn: load from other processes then falls on all N alike,
 * and the ratios between them are measured in the same moments. */
#define CKPT_NMAX 5u
#define CKPT_REPS_MAX 31u
struct ckpt_state {
	struct fsb *b;
	struct files f;
	size_t n;
	struct ckpt_cost c[CKPT_REPS_MAX];
};

/* reps rounds (after one warm-up round) of k modifications + checkpoint in
 * every state with at least k files, in turn; medians into out[i]. */
static void ckpt_rounds(struct ckpt_state *st, unsigned nst, size_t k, unsigned reps,
			struct ckpt_cost *out)
{
	double ck[CKPT_REPS_MAX], bt[CKPT_REPS_MAX];
	for (unsigned r = 0; r <= reps; r++)
		for (unsigned i = 0; i < nst; i++)
			if (k <= st[i].f.n) {
				struct ckpt_cost c = modify_and_checkpoint(st[i].b, &st[i].f, k);
				if (r > 0) /* r = 0 is the warm-up */
					st[i].c[r - 1] = c;
			}
	for (unsigned i = 0; i < nst; i++) {
		out[i] = (struct ckpt_cost){ 0, 0 };
		if (k > st[i].f.n)
			continue;
		for (unsigned r = 0; r < reps; r++) {
			ck[r] = st[i].c[r].ckpt_us;
			bt[r] = st[i].c[r].batch_us_per_obj;
		}
		out[i] = (struct ckpt_cost){ median(ck, reps), median(bt, reps) };
	}
}

/* The k of the cost-vs-N table (each needs k files: distinct objects). */
static const struct {
	size_t k;
	unsigned reps;
} ckpt_ks[] = { { 100, 31 }, { 1000, 15 } };
#define CKPT_NK (sizeof(ckpt_ks) / sizeof(ckpt_ks[0]))

static void bench_checkpoint_vs_k(struct ckpt_state *s)
{
	static const size_t ks[] = { 1, 10, 100, 1000, 10000 };
	char key[64];
	printf("-- cost vs k (N = %zu objects; median of 7) --\n%12s %14s %12s %16s\n", s->n,
	       "k", "checkpoint us", "us/object", "batch us/object");
	for (unsigned i = 0; i < sizeof(ks) / sizeof(ks[0]) && ks[i] <= s->f.n; i++) {
		struct ckpt_cost c;
		ckpt_rounds(s, 1, ks[i], 7, &c);
		printf("%12zu %14.1f %12.2f %16.2f\n", ks[i], c.ckpt_us,
		       c.ckpt_us / (double)ks[i], c.batch_us_per_obj);
		snprintf(key, sizeof(key), "checkpoint_k%zu_us", ks[i]);
		json_num(key, c.ckpt_us);
	}
}

static void ckpt_print_vs_n(const struct ckpt_state *st, unsigned nst,
			    struct ckpt_cost (*c)[CKPT_NMAX])
{
	char key[64];
	double first[CKPT_NK] = { 0 };
	printf("-- cost vs N (rounds over all N in turn; median of");
	for (unsigned j = 0; j < CKPT_NK; j++)
		printf(" %u for k = %zu%s", ckpt_ks[j].reps, ckpt_ks[j].k,
		       j + 1 < CKPT_NK ? "," : ") --\n");
	printf("%12s %8s", "objects N", "files");
	for (unsigned j = 0; j < CKPT_NK; j++)
		printf(" | k=%-5zu ckpt us  ratio  batch us/obj", ckpt_ks[j].k);
	printf("\n");
	for (unsigned i = 0; i < nst; i++) {
		printf("%12zu %8zu", st[i].n, st[i].f.n);
		for (unsigned j = 0; j < CKPT_NK; j++) {
			double us = c[j][i].ckpt_us;
			if (us == 0) {
				printf(" | %14s %6s %13s", "-", "-", "-");
				continue;
			}
			if (first[j] == 0)
				first[j] = us;
			printf(" | %14.1f %6.2f %13.2f", us, us / first[j], c[j][i].batch_us_per_obj);
			snprintf(key, sizeof(key), "checkpoint_k%zu_N%zu_us", ckpt_ks[j].k, st[i].n);
			json_num(key, us);
			snprintf(key, sizeof(key), "checkpoint_k%zu_N%zu_ratio", ckpt_ks[j].k,
				 st[i].n);
			json_num(key, us / first[j]);
			snprintf(key, sizeof(key), "batch_k%zu_N%zu_us_per_object", ckpt_ks[j].k,
				 st[i].n);
			json_num(key, c[j][i].batch_us_per_obj);
		}
		printf("\n");
	}
}

/* N = 10^6 over N = 10^4 for each k, if both were measured. */
static void ckpt_print_flatness(const struct ckpt_state *st, unsigned nst,
				struct ckpt_cost (*c)[CKPT_NMAX])
{
	char key[64];
	int i4 = -1, i6 = -1;
	for (unsigned i = 0; i < nst; i++) {
		if (st[i].n == 10000)
			i4 = (int)i;
		if (st[i].n == 1000000)
			i6 = (int)i;
	}
	for (unsigned j = 0; i4 >= 0 && i6 >= 0 && j < CKPT_NK; j++) {
		double r = c[j][i6].ckpt_us / c[j][i4].ckpt_us;
		printf("k = %zu: N = 10^6 costs %.2fx N = 10^4 (flat: ~1)\n", ckpt_ks[j].k, r);
		snprintf(key, sizeof(key), "checkpoint_k%zu_N1e6_over_N1e4", ckpt_ks[j].k);
		json_num(key, r);
	}
}

static void bench_checkpoint(size_t max_objects)
{
	struct ckpt_state *st = calloc(CKPT_NMAX, sizeof(*st));
	struct ckpt_cost c[CKPT_NK][CKPT_NMAX];
	unsigned nst = 0;
	if (st == NULL)
		die("calloc", BFS_E_NOMEM);
	printf("\n== checkpoint digest (incremental Merkle tree, doc/fs.md) ==\n");
	printf("Each figure: k files chmod'ed in batches of 64, then one checkpoint timed\n"
	       "alone; median after a warm-up round. \"batch\" is the cost of executing\n"
	       "and committing those batches (digests of the changed objects included),\n"
	       "per modified object; \"ratio\" is to the smallest N measured for that k.\n");
	for (size_t n = 1000; n <= max_objects && nst < CKPT_NMAX; n *= 10, nst++) {
		st[nst].b = fsb_new();
		st[nst].n = n;
		grow_to(st[nst].b, &st[nst].f, n / 2); /* a file is an inode and a dirent */
		checkpoint_us(st[nst].b);              /* absorb the population */
	}
	for (unsigned j = 0; j < CKPT_NK; j++)
		ckpt_rounds(st, nst, ckpt_ks[j].k, ckpt_ks[j].reps, c[j]);
	ckpt_print_vs_n(st, nst, c);
	bench_checkpoint_vs_k(&st[nst > 2 ? 2 : nst - 1]); /* N = 10^5 or the largest */
	ckpt_print_flatness(st, nst, c);
	struct ckpt_state *big = &st[nst - 1];
	uint8_t d1[DL], d2[DL];
	check("checkpoint", bfs_fs_checkpoint(big->b->fs, d1));
	double t0 = now_us();
	check("digest_full", bfs_fs_digest_full(big->b->fs, d2));
	double full = now_us() - t0;
	printf("from-scratch digest of N = %zu objects: %.0f us (%s)\n", 2 * big->f.n, full,
	       memcmp(d1, d2, DL) == 0 ? "equal" : "DIFFERENT");
	json_num("digest_full_us", full);
	struct bfs_fs_rebuild rb;
	t0 = now_us();
	check("rebuild", bfs_fs_rebuild_digests(big->b->fs, &rb));
	double rebuild = now_us() - t0;
	printf("rebuild of every digest (proactive recovery), %llu records: %.0f us (%s)\n",
	       (unsigned long long)rb.objects, rebuild,
	       memcmp(rb.root, d2, DL) == 0 ? "equal" : "DIFFERENT");
	json_num("rebuild_us", rebuild);
	for (unsigned i = 0; i < nst; i++) {
		free(st[i].f.fh);
		free(st[i].f.dir);
		fsb_free(st[i].b);
	}
	free(st);
}

/* ---- per-operation costs ---- */

struct opctx {
	struct fsb *b;
	struct files f;
	uint8_t big[FH];  /* a 1 MiB file */
	uint8_t dir[FH];  /* a directory of 100 entries */
	size_t i;
	char name[32];
};

typedef void (*enc_fn)(struct opctx *c);

static void e_getattr(struct opctx *c)
{
	GETATTR3args a = { fh3(c->f.fh[c->i % c->f.n]) };
	encode(c->b, NFSPROC3_GETATTR, (xdrproc_t)xdr_GETATTR3args, &a);
}

static void e_lookup(struct opctx *c)
{
	snprintf(c->name, sizeof(c->name), "f%zu", c->i % 1000);
	LOOKUP3args a = { { fh3(c->f.dir[0]), c->name } };
	encode(c->b, NFSPROC3_LOOKUP, (xdrproc_t)xdr_LOOKUP3args, &a);
}

static void e_access(struct opctx *c)
{
	ACCESS3args a = { fh3(c->f.fh[c->i % c->f.n]), 0x3f };
	encode(c->b, NFSPROC3_ACCESS, (xdrproc_t)xdr_ACCESS3args, &a);
}

static void e_read(struct opctx *c)
{
	READ3args a = { fh3(c->big), (c->i % 256) * 4096ull, 4096 };
	encode(c->b, NFSPROC3_READ, (xdrproc_t)xdr_READ3args, &a);
}

static void e_readdir(struct opctx *c)
{
	READDIR3args a;
	memset(&a, 0, sizeof(a));
	a.dir = fh3(c->dir);
	a.count = 4096;
	encode(c->b, NFSPROC3_READDIR, (xdrproc_t)xdr_READDIR3args, &a);
}

static void e_write(struct opctx *c)
{
	enc_write(c->b, c->big, (c->i % 256) * 4096ull, 4096);
}

static void e_setattr(struct opctx *c)
{
	enc_chmod(c->b, c->f.fh[c->i % c->f.n], 0600 | (c->i & 1));
}

static void e_create(struct opctx *c)
{
	snprintf(c->name, sizeof(c->name), "new%zu", c->i);
	enc_create(c->b, c->b->root, c->name);
}

static void e_remove(struct opctx *c)
{
	snprintf(c->name, sizeof(c->name), "new%zu", c->i);
	REMOVE3args a = { { fh3(c->b->root), c->name } };
	encode(c->b, NFSPROC3_REMOVE, (xdrproc_t)xdr_REMOVE3args, &a);
}

static void e_mkdir(struct opctx *c)
{
	snprintf(c->name, sizeof(c->name), "md%zu", c->i);
	enc_mkdir(c->b, c->b->root, c->name);
}

/* n ops, read-only or in batches of 64 with a checkpoint after every
 * 128th batch, as the replica takes them (K = 128): the digest work of a
 * change is part of its cost. µs per op. */
#define CKPT_INTERVAL 128u
static double run_ops(struct opctx *c, enc_fn fn, bool ro, size_t n)
{
	double t0 = now_us();
	for (c->i = 0; c->i < n;) {
		if (ro) {
			fn(c);
			exec_ro(c->b);
			c->i++;
			continue;
		}
		begin(c->b);
		for (unsigned j = 0; j < 64 && c->i < n; j++, c->i++) {
			fn(c);
			exec_rw(c->b);
		}
		end(c->b);
		if (c->b->seq % CKPT_INTERVAL == 0)
			checkpoint_us(c->b);
	}
	return (now_us() - t0) / (double)n;
}

static void bench_ops(void)
{
	struct opctx c = { .b = fsb_new() };
	grow_to(c.b, &c.f, 1000);
	begin(c.b);
	enc_create(c.b, c.b->root, "big");
	exec_rw(c.b);
	result_fh(c.b, c.big);
	enc_mkdir(c.b, c.b->root, "list");
	exec_rw(c.b);
	result_fh(c.b, c.dir);
	end(c.b);
	for (unsigned i = 0; i < 32; i++) {
		begin(c.b);
		enc_write(c.b, c.big, i * 32768ull, 32768);
		exec_rw(c.b);
		end(c.b);
	}
	begin(c.b);
	for (unsigned i = 0; i < 100; i++) {
		snprintf(c.name, sizeof(c.name), "e%u", i);
		enc_create(c.b, c.dir, c.name);
		exec_rw(c.b);
	}
	end(c.b);
	static const struct {
		const char *name;
		enc_fn fn;
		bool ro;
		size_t n;
	} ops[] = {
		{ "GETATTR", e_getattr, true, 20000 },  { "LOOKUP", e_lookup, true, 20000 },
		{ "ACCESS", e_access, true, 20000 },    { "READ 4K", e_read, true, 20000 },
		{ "READDIR 4K", e_readdir, true, 5000 }, { "WRITE 4K", e_write, false, 20000 },
		{ "SETATTR", e_setattr, false, 20000 }, { "CREATE", e_create, false, 20000 },
		{ "REMOVE", e_remove, false, 20000 },   { "MKDIR", e_mkdir, false, 10000 },
	};
	printf("\n== per-operation execution (async durability; rw in batches of 64, a "
	       "checkpoint every %u batches included) ==\n", CKPT_INTERVAL);
	printf("%-12s %6s %10s %12s\n", "procedure", "mode", "ops", "us/op");
	char key[64];
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		bool creates = ops[i].fn == e_create || ops[i].fn == e_mkdir;
		if (!creates && ops[i].fn != e_remove)
			run_ops(&c, ops[i].fn, ops[i].ro, ops[i].n / 10); /* warm-up */
		double us = run_ops(&c, ops[i].fn, ops[i].ro, ops[i].n);
		printf("%-12s %6s %10zu %12.2f\n", ops[i].name, ops[i].ro ? "ro" : "rw", ops[i].n,
		       us);
		snprintf(key, sizeof(key), "op_%s_us", ops[i].name);
		for (char *p = key; *p; p++)
			if (*p == ' ')
				*p = '_';
		json_num(key, us);
	}
	/* an empty batch: the commit alone (and the clock record's digest) */
	double t0 = now_us();
	for (unsigned i = 0; i < 2000; i++) {
		begin(c.b);
		end(c.b);
	}
	double us = (now_us() - t0) / 2000;
	printf("%-12s %6s %10u %12.2f  (async: no fsync)\n", "empty batch", "rw", 2000, us);
	json_num("empty_batch_us", us);
	free(c.f.fh);
	free(c.f.dir);
	fsb_free(c.b);
}

/* ---- state transfer ---- */

static void bench_transfer(size_t objects)
{
	struct fsb *a = fsb_new(), *b = fsb_new();
	struct files f = { 0 };
	grow_to(a, &f, objects / 2);
	for (size_t i = 0; i < 2000 && i < f.n; i++) { /* some data blocks too */
		begin(a);
		enc_write(a, f.fh[i], 0, 8192);
		exec_rw(a);
		end(a);
	}
	uint8_t root[DL], c[16][DL];
	check("checkpoint", bfs_fs_checkpoint(a->fs, root));
	check("keep", bfs_fs_snapshot_keep(a->fs, a->seq));
	uint64_t snap = a->seq;
	/* children of every level-4 node, collecting the non-empty leaves */
	uint32_t *leaves = malloc(sizeof(uint32_t) * (1u << 20));
	size_t nleaves = 0;
	double t0 = now_us();
	for (uint32_t n = 0; n < (1u << 16); n++) {
		check("children", bfs_fs_children(a->fs, snap, 4, n, c));
		for (uint32_t j = 0; j < 16; j++)
			if (c[j][0] | c[j][1] | c[j][2] | c[j][3])
				leaves[nleaves++] = n * 16 + j;
	}
	double t_children = (now_us() - t0) / 65536;
	static uint8_t buf[BFS_FS_LEAF_MAX > (1u << 20) ? (1u << 20) : BFS_FS_LEAF_MAX];
	uint32_t len, total;
	uint64_t bytes = 0;
	size_t m = nleaves < 20000 ? nleaves : 20000;
	for (size_t i = 0; i < m / 10; i++) /* warm-up */
		check("leaf_get", bfs_fs_leaf_get(a->fs, snap, leaves[i], 0, buf, 61440, &len,
						  &total));
	t0 = now_us();
	for (size_t i = 0; i < m; i++) {
		check("leaf_get", bfs_fs_leaf_get(a->fs, snap, leaves[i], 0, buf, 61440, &len,
						  &total));
		bytes += len;
	}
	double t_get = (now_us() - t0) / (double)m;
	double t_dig = 0, t_put = 0;
	for (size_t i = 0; i < m; i++) {
		uint8_t d[DL];
		check("leaf_get", bfs_fs_leaf_get(a->fs, snap, leaves[i], 0, buf, 61440, &len,
						  &total));
		t0 = now_us();
		check("leaf_digest", bfs_fs_leaf_digest(b->fs, leaves[i], buf, len, d));
		double t1 = now_us();
		check("leaf_put", bfs_fs_leaf_put(b->fs, leaves[i], buf, len));
		t_dig += t1 - t0;
		t_put += now_us() - t1;
	}
	uint64_t time_us;
	uint8_t d[DL];
	t0 = now_us();
	check("transfer_end", bfs_fs_transfer_end(b->fs, snap, d, &time_us));
	double t_end = now_us() - t0;
	printf("\n== state transfer (N = %zu objects, %zu non-empty leaves, %zu moved) ==\n",
	       objects, nleaves, m);
	printf("children (level 4, snapshot)  %10.2f us/call\n", t_children);
	printf("leaf_get (whole leaf)         %10.2f us/leaf (avg %.0f bytes)\n", t_get,
	       (double)bytes / (double)m);
	printf("leaf_digest                   %10.2f us/leaf\n", t_dig / (double)m);
	printf("leaf_put (into one txn)       %10.2f us/leaf\n", t_put / (double)m);
	printf("transfer_end (refresh+commit) %10.0f us\n", t_end);
	json_num("children_us", t_children);
	json_num("leaf_get_us", t_get);
	json_num("leaf_digest_us", t_dig / (double)m);
	json_num("leaf_put_us", t_put / (double)m);
	json_num("transfer_end_us", t_end);
	free(leaves);
	free(f.fh);
	free(f.dir);
	fsb_free(a);
	fsb_free(b);
}

/* ---- snapshot pinning and file growth ---- */

static double growth_mib(bool pin, size_t nfiles, size_t writes)
{
	struct fsb *b = fsb_new();
	struct files f = { 0 };
	uint8_t d[DL];
	grow_to(b, &f, nfiles);
	for (size_t i = 0; i < f.n; i++) {
		begin(b);
		enc_write(b, f.fh[i], 0, 32768);
		exec_rw(b);
		end(b);
	}
	check("checkpoint", bfs_fs_checkpoint(b->fs, d));
	check("keep", bfs_fs_snapshot_keep(b->fs, b->seq));
	uint64_t before, after;
	check("db bytes", bfs_fs_db_bytes(b->fs, &before));
	for (size_t w = 0; w < writes;) {
		begin(b);
		for (unsigned j = 0; j < 64 && w < writes; j++, w++) {
			enc_write(b, f.fh[(w * 7919) % f.n], ((w / 7) % 8) * 4096ull, 4096);
			exec_rw(b);
		}
		end(b);
		if (b->seq % 128 == 0) { /* a checkpoint, as the core takes them */
			check("checkpoint", bfs_fs_checkpoint(b->fs, d));
			check("keep", bfs_fs_snapshot_keep(b->fs, b->seq));
			if (!pin)
				bfs_fs_snapshot_release(b->fs, b->seq);
		}
	}
	check("db bytes", bfs_fs_db_bytes(b->fs, &after));
	free(f.fh);
	free(f.dir);
	fsb_free(b);
	return (double)(after - before) / (1024.0 * 1024.0);
}

static void bench_growth(void)
{
	size_t nfiles = 2000, writes = 40000;
	double free_mib = growth_mib(false, nfiles, writes);
	double pin_mib = growth_mib(true, nfiles, writes);
	printf("\n== LMDB file growth: %zu WRITE 4K over %zu files of 32 KiB (~63 MiB "
	       "data) ==\n", writes, nfiles);
	printf("snapshots released at each checkpoint  %8.1f MiB\n", free_mib);
	printf("first snapshot pinned throughout       %8.1f MiB (%.1f KiB per write)\n",
	       pin_mib, pin_mib * 1024.0 / (double)writes);
	json_num("growth_released_mib", free_mib);
	json_num("growth_pinned_mib", pin_mib);
}

int main(int argc, char **argv)
{
	size_t max_objects = 1000000;
	const char *json_path = NULL, *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--max-objects") && i + 1 < argc)
			max_objects = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			base_dir = argv[++i];
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_path = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: bfs-fs-bench [--max-objects N] [--dir DIR] "
					"[--json FILE]\n"
					"                    [--only ops|checkpoint|transfer|growth]\n");
			return 2;
		}
	}
	if (max_objects < 1000)
		max_objects = 1000;
	if (json_path != NULL && (json = fopen(json_path, "w")) == NULL) {
		perror(json_path);
		return 1;
	}
	if (only != NULL && strcmp(only, "ops") && strcmp(only, "checkpoint") &&
	    strcmp(only, "transfer") && strcmp(only, "growth")) {
		fprintf(stderr, "bfs-fs-bench: --only %s: not ops, checkpoint, transfer or "
				"growth\n", only);
		return 2;
	}
	if (only == NULL || !strcmp(only, "ops"))
		bench_ops();
	if (only == NULL || !strcmp(only, "checkpoint"))
		bench_checkpoint(max_objects);
	if (only == NULL || !strcmp(only, "transfer"))
		bench_transfer(max_objects < 100000 ? max_objects : 100000);
	if (only == NULL || !strcmp(only, "growth"))
		bench_growth();
	if (json != NULL) {
		fprintf(json, "%s}\n", json_first ? "{" : "");
		fclose(json);
	}
	return 0;
}
