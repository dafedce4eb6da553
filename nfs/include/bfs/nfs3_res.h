/*
 * bfs/nfs3_res.h — storage for any NFSv3 procedure's result (RFC 1813
 * §3.3) and the rpcgen codec of each: what bfsd encodes, what nfsproxy's
 * NFSv2 mapping and bfs-mount decode. Every member starts with its
 * nfsstat3 status, so `status` reads it whatever the procedure.
 * Never allocates; decoded results are released with xdr_free.
 */
#ifndef BFS_NFS3_RES_H
#define BFS_NFS3_RES_H

#include <rpc/rpc.h>

#include "nfs3_prot.h"

union bfs_nfs3_res {
	nfsstat3 status;
	GETATTR3res getattr;
	SETATTR3res setattr;
	LOOKUP3res lookup;
	ACCESS3res access;
	READLINK3res readlink;
	READ3res read;
	WRITE3res write;
	CREATE3res create;
	MKDIR3res mkdir;
	SYMLINK3res symlink;
	MKNOD3res mknod;
	REMOVE3res remove;
	RMDIR3res rmdir;
	RENAME3res rename;
	LINK3res link;
	READDIR3res readdir;
	READDIRPLUS3res readdirplus;
	FSSTAT3res fsstat;
	FSINFO3res fsinfo;
	PATHCONF3res pathconf;
	COMMIT3res commit;
};

/* The XDR routine of procedure proc's result (xdr_GETATTR3res, ...), or
 * NULL for NULL (void) and unknown procedures. */
xdrproc_t bfs_nfs3_res_xdr(uint32_t proc);

#endif
