/*
 * bfs/op_xdr.h — XDR conveniences around the operation format of bfs/op.h:
 * build a request (header + NFSv3 arguments) and split a result (accept
 * status + NFSv3 result) with the rpcgen codec of nfs3_prot.x.
 *
 * Encoding and decoding use xdrmem over the caller's buffer; nothing here
 * touches the network. Errors follow bfs/error.h.
 */
#ifndef BFS_OP_XDR_H
#define BFS_OP_XDR_H

#include <rpc/rpc.h>

#include "bfs/op.h"

/* XDR of "void" (NULL's arguments and result) with the xdrproc_t shape;
 * libtirpc's xdr_void takes no parameters and cannot be cast portably. */
bool_t bfs_xdr_void(XDR *x, void *p);

/* Encode header h followed by args (with xdr_args, e.g. xdr_GETATTR3args)
 * into buf[cap]; *len receives the whole length. BFS_E_SPACE if it does not
 * fit, BFS_E_FIELD for a bad header. */
int bfs_op_encode(const struct bfs_op_hdr *h, xdrproc_t xdr_args,
		  const void *args, uint8_t *buf, size_t cap, size_t *len);

/* Decode a result: *accept receives the accept status; if it is SUCCESS,
 * the NFSv3 result is decoded into res with xdr_res (the caller releases it
 * with xdr_free(xdr_res, res)). BFS_E_SHORT / BFS_E_XDR on malformed input. */
int bfs_result_decode(const uint8_t *buf, size_t len, uint32_t *accept,
		      xdrproc_t xdr_res, void *res);

/* Encode accept SUCCESS followed by res into buf[cap]; *len receives the
 * length. BFS_E_SPACE if it does not fit. */
int bfs_result_encode(xdrproc_t xdr_res, const void *res, uint8_t *buf,
		      size_t cap, size_t *len);

/* A GUARDED CREATE of name in directory handle dir[dir_len] into buf[cap]
 * (*len bytes). 0, or BFS_E_SPACE. */
int bfs_op_create(const uint8_t *dir, uint32_t dir_len, const char *name, uint8_t *buf,
		  size_t cap, size_t *len);
/* The result of that CREATE: NFS3_OK (0) with the new handle in fh[cap]
 * (*fh_len bytes), the NFS status, or -1 if the result is undecodable,
 * not accepted or carries no handle. */
int bfs_result_created(const uint8_t *buf, size_t len, uint8_t *fh, uint32_t cap,
		       uint32_t *fh_len);

#endif
