/*
 * op_xdr.c — build requests and split results of the BFS operation format
 * (bfs/op.h) with the rpcgen NFSv3 codec, over xdrmem on caller buffers.
 *
 * Never touches the network; allocates only what xdr decoding of a result
 * allocates (released by the caller with xdr_free).
 */
#include "bfs/error.h"
#include "bfs/op_xdr.h"

bool_t bfs_xdr_void(XDR *x, void *p)
{
	(void)x;
	(void)p;
	return TRUE;
}

int bfs_op_encode(const struct bfs_op_hdr *h, xdrproc_t xdr_args,
		  const void *args, uint8_t *buf, size_t cap, size_t *len)
{
	size_t hl;
	int rc = bfs_op_hdr_encode(h, buf, cap, &hl);
	if (rc != BFS_OK)
		return rc;
	if (cap - hl > UINT32_MAX)
		cap = hl + UINT32_MAX;
	XDR x;
	xdrmem_create(&x, (char *)buf + hl, (u_int)(cap - hl), XDR_ENCODE);
	bool_t ok = xdr_args(&x, (void *)args);
	size_t n = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok)
		return BFS_E_SPACE;
	*len = hl + n;
	return BFS_OK;
}

int bfs_result_decode(const uint8_t *buf, size_t len, uint32_t *accept,
		      xdrproc_t xdr_res, void *res)
{
	int rc = bfs_result_get_accept(buf, len, accept);
	if (rc != BFS_OK || *accept != BFS_ACCEPT_SUCCESS)
		return rc;
	if (len - BFS_RESULT_HDR > UINT32_MAX)
		return BFS_E_FIELD;
	XDR x;
	xdrmem_create(&x, (char *)buf + BFS_RESULT_HDR,
		      (u_int)(len - BFS_RESULT_HDR), XDR_DECODE);
	bool_t ok = xdr_res(&x, res);
	xdr_destroy(&x);
	return ok ? BFS_OK : BFS_E_XDR;
}

int bfs_result_encode(xdrproc_t xdr_res, const void *res, uint8_t *buf,
		      size_t cap, size_t *len)
{
	int rc = bfs_result_put_accept(buf, cap, BFS_ACCEPT_SUCCESS);
	if (rc != BFS_OK)
		return rc;
	if (cap - BFS_RESULT_HDR > UINT32_MAX)
		cap = BFS_RESULT_HDR + UINT32_MAX;
	XDR x;
	xdrmem_create(&x, (char *)buf + BFS_RESULT_HDR,
		      (u_int)(cap - BFS_RESULT_HDR), XDR_ENCODE);
	bool_t ok = xdr_res(&x, (void *)res);
	size_t n = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok)
		return BFS_E_SPACE;
	*len = BFS_RESULT_HDR + n;
	return BFS_OK;
}
