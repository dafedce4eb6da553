/*
 * nfs3_res.c — each NFSv3 procedure's result codec (bfs/nfs3_res.h,
 * RFC 1813 §3.3).
 */
#include "bfs/nfs3_res.h"
#include "bfs/op.h"

xdrproc_t bfs_nfs3_res_xdr(uint32_t proc)
{
	static const xdrproc_t res_xdr[BFS_OP_MAX_PROC + 1] = {
		[NFSPROC3_GETATTR] = (xdrproc_t)xdr_GETATTR3res,
		[NFSPROC3_SETATTR] = (xdrproc_t)xdr_SETATTR3res,
		[NFSPROC3_LOOKUP] = (xdrproc_t)xdr_LOOKUP3res,
		[NFSPROC3_ACCESS] = (xdrproc_t)xdr_ACCESS3res,
		[NFSPROC3_READLINK] = (xdrproc_t)xdr_READLINK3res,
		[NFSPROC3_READ] = (xdrproc_t)xdr_READ3res,
		[NFSPROC3_WRITE] = (xdrproc_t)xdr_WRITE3res,
		[NFSPROC3_CREATE] = (xdrproc_t)xdr_CREATE3res,
		[NFSPROC3_MKDIR] = (xdrproc_t)xdr_MKDIR3res,
		[NFSPROC3_SYMLINK] = (xdrproc_t)xdr_SYMLINK3res,
		[NFSPROC3_MKNOD] = (xdrproc_t)xdr_MKNOD3res,
		[NFSPROC3_REMOVE] = (xdrproc_t)xdr_REMOVE3res,
		[NFSPROC3_RMDIR] = (xdrproc_t)xdr_RMDIR3res,
		[NFSPROC3_RENAME] = (xdrproc_t)xdr_RENAME3res,
		[NFSPROC3_LINK] = (xdrproc_t)xdr_LINK3res,
		[NFSPROC3_READDIR] = (xdrproc_t)xdr_READDIR3res,
		[NFSPROC3_READDIRPLUS] = (xdrproc_t)xdr_READDIRPLUS3res,
		[NFSPROC3_FSSTAT] = (xdrproc_t)xdr_FSSTAT3res,
		[NFSPROC3_FSINFO] = (xdrproc_t)xdr_FSINFO3res,
		[NFSPROC3_PATHCONF] = (xdrproc_t)xdr_PATHCONF3res,
		[NFSPROC3_COMMIT] = (xdrproc_t)xdr_COMMIT3res,
	};

	return proc <= BFS_OP_MAX_PROC ? res_xdr[proc] : NULL;
}
