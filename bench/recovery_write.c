/*
 * recovery_write.c — the client side of `bfs-bench recovery`
 * (recovery_write.h): CREATE a file in the root directory, then fill it
 * with NFSv3 WRITEs (RFC 1813 §3.3.7) of 32 KiB, pseudo-random bytes,
 * `lanes` requests in flight through the BFT client library.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nfs3_prot.h"

#include "bft/error.h"
#include "bft/messages.h"
#include "bfs/fs.h"
#include "bfs/op_xdr.h"
#include "recovery_write.h"

#define CHUNK 32768u          /* bytes per WRITE: BFS's wtmax */
#define CALL_MS 30000u

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct writer {
	struct bft_client *c;
	uint8_t fh[BFS_FS_FH_LEN];
	uint64_t next, end;
	uint32_t inflight, lanes;
	int err;
};

static uint8_t op_buf[BFT_MAX_OP], res_buf[BFT_MAX_RESULT];

static void fill(uint8_t *p, uint32_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (uint32_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

static bool create_file(struct bft_client *c, const char *name, uint8_t fh[BFS_FS_FH_LEN])
{
	static const uint8_t root[BFS_FS_FH_LEN] = { 'B', 'F', 1, 0, 1, 0, 0, 0,
						     0, 0, 0, 0, 1, 0, 0, 0 }; /* doc/fs.md */
	uint32_t got = 0, fh_len = 0;
	size_t len = 0;
	int rc, st;

	if (bfs_op_create(root, sizeof(root), name, op_buf, sizeof(op_buf), &len))
		return false;
	rc = bft_client_call(c, op_buf, (uint32_t)len, false, res_buf, sizeof(res_buf), &got,
			     CALL_MS);
	st = rc ? -1 : bfs_result_created(res_buf, got, fh, BFS_FS_FH_LEN, &fh_len);
	if (st != NFS3_OK || fh_len != BFS_FS_FH_LEN)
		fprintf(stderr, "bfs-bench recovery: CREATE %s failed (%s %d)\n", name,
			rc ? bft_net_strerror(rc) : "NFS status", st);
	return st == NFS3_OK && fh_len == BFS_FS_FH_LEN;
}

static void submit_next(struct writer *w);

static void on_write(void *arg, int status, const uint8_t *res, uint32_t len)
{
	struct writer *w = arg;
	WRITE3res r;
	uint32_t accept = 0;

	w->inflight--;
	memset(&r, 0, sizeof(r));
	if (status)
		w->err = status;
	else if (bfs_result_decode(res, len, &accept, (xdrproc_t)xdr_WRITE3res, &r) ||
		 accept != BFS_ACCEPT_SUCCESS || r.status != NFS3_OK)
		w->err = BFT_E_SERVICE;
	else
		xdr_free((xdrproc_t)xdr_WRITE3res, (char *)&r);
	submit_next(w);
}

static void submit_next(struct writer *w)
{
	static uint8_t data[CHUNK];

	while (!w->err && w->inflight < w->lanes && w->next < w->end) {
		uint32_t n = w->end - w->next < CHUNK ? (uint32_t)(w->end - w->next) : CHUNK;
		struct bfs_op_hdr h = { .proc = NFSPROC3_WRITE };
		WRITE3args a = { { { BFS_FS_FH_LEN, (char *)w->fh } }, w->next, n, UNSTABLE,
				 { n, (char *)data } };
		size_t len = 0;

		fill(data, n, w->next);
		w->err = bfs_op_encode(&h, (xdrproc_t)xdr_WRITE3args, &a, op_buf, sizeof(op_buf),
				       &len) ? BFT_E_LONG : 0;
		if (!w->err)
			w->err = bft_client_submit(w->c, op_buf, (uint32_t)len, false, on_write, w);
		if (w->err)
			return;
		w->next += n;
		w->inflight++;
	}
}

double recovery_write_file(struct bft_client *c, uint32_t lanes, const char *name,
			 uint64_t bytes)
{
	struct writer w = { .c = c, .end = bytes, .lanes = lanes };
	double t0 = now_s();

	if (!create_file(c, name, w.fh))
		return -1;
	submit_next(&w);
	while (w.inflight > 0 || (!w.err && w.next < w.end))
		bft_client_poll(c, 100);
	if (w.err) {
		fprintf(stderr, "bfs-bench recovery: WRITE to %s failed: %s\n", name,
			w.err == BFT_E_SERVICE ? "NFS error" : bft_net_strerror(w.err));
		return -1;
	}
	return now_s() - t0;
}
