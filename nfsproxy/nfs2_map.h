/*
 * nfs2_map.h — shared pieces of nfsproxy's NFSv2 (RFC 1094) to NFSv3
 * (RFC 1813) mapping: the v3 argument union, handle conversion, and the
 * result mapping of nfs2_res.c. Also used by mount.c for MOUNT v1 handles.
 */
#ifndef NFSP_NFS2_MAP_H
#define NFSP_NFS2_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "nfs2_prot.h"
#include "nfs3_prot.h"
#include "nfsp.h"

union nfsp_v3args {
	GETATTR3args getattr;
	SETATTR3args setattr;
	LOOKUP3args lookup;
	READLINK3args readlink;
	READ3args read;
	WRITE3args write;
	CREATE3args create;
	MKDIR3args mkdir;
	SYMLINK3args symlink;
	REMOVE3args remove;
	RMDIR3args rmdir;
	RENAME3args rename;
	LINK3args link;
	READDIR3args readdir;
	FSSTAT3args fsstat;
};

/* v2 handle (length byte + v3 handle + zeros) to a v3 handle pointing into
 * it; false if the length byte is not 1..31. */
bool nfsp_fh2to3(const nfs_fh *in, nfs_fh3 *out);
/* v3 handle bytes to a 32-byte v2 handle; false if len is not 1..31. */
bool nfsp_fh3to2(const char *fh3, uint32_t len, char out[NFS_FHSIZE]);

/* nfsp_result_fn for every relayed v2 call (c->proc is the v2 procedure). */
void nfsp_nfs2_result(struct nfsp_call *c, int status, uint32_t accept,
		      const uint8_t *res, uint32_t len);

#endif
