/*
 * op_create.c — the two halves of the request every writing client starts
 * with: a GUARDED CREATE (RFC 1813 §3.3.8) of a name in a directory, in
 * the BFS operation format (bfs/op.h), and the new file's handle out of
 * its result. Shared by the benchmarks and tests that drive a cluster
 * through the BFT client library.
 */
#include <string.h>

#include "nfs3_prot.h"

#include "bfs/error.h"
#include "bfs/op_xdr.h"

int bfs_op_create(const uint8_t *dir, uint32_t dir_len, const char *name, uint8_t *buf,
		  size_t cap, size_t *len)
{
	struct bfs_op_hdr h = { .proc = NFSPROC3_CREATE };
	CREATE3args a;

	memset(&a, 0, sizeof(a));
	a.where.dir.data.data_len = dir_len;
	a.where.dir.data.data_val = (char *)dir;
	a.where.name = (char *)name;
	a.how.mode = GUARDED;
	return bfs_op_encode(&h, (xdrproc_t)xdr_CREATE3args, &a, buf, cap, len);
}

int bfs_result_created(const uint8_t *buf, size_t len, uint8_t *fh, uint32_t cap,
		       uint32_t *fh_len)
{
	CREATE3res r;
	uint32_t accept = 0;
	int st;

	memset(&r, 0, sizeof(r));
	if (bfs_result_decode(buf, len, &accept, (xdrproc_t)xdr_CREATE3res, &r) != BFS_OK)
		return -1;
	if (accept != BFS_ACCEPT_SUCCESS)
		return -1;
	st = (int)r.status;
	if (st == NFS3_OK) {
		post_op_fh3 *o = &r.CREATE3res_u.resok.obj;

		if (!o->handle_follows || o->post_op_fh3_u.handle.data.data_len > cap) {
			st = -1;
		} else {
			*fh_len = o->post_op_fh3_u.handle.data.data_len;
			memcpy(fh, o->post_op_fh3_u.handle.data.data_val, *fh_len);
		}
	}
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
	return st;
}
