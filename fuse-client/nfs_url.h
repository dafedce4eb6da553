/*
 * nfs_url.h — the nfs:// source of bfs-mount, in the form libnfs and
 * nfsproxy's `bfsctl up` banner use:
 *
 *   nfs://HOST[:PORT]/EXPORT[?nfsport=N&mountport=M]
 *
 * HOST is a name, an IPv4 address or a bracketed IPv6 address; PORT (or
 * nfsport) is the NFS port and mountport the MOUNT port; a port not given
 * is asked from rpcbind (port 111). EXPORT is the path given to MOUNT
 * ("/" when empty). Never allocates; rejects unknown query keys, ports
 * outside 1..65535 and over-long fields with a sentence in why.
 */
#ifndef FC_NFS_URL_H
#define FC_NFS_URL_H

#include <stddef.h>
#include <stdint.h>

#define FC_URL_HOST_MAX 255u
#define FC_URL_PATH_MAX 1024u /* MNTPATHLEN */

struct fc_nfs_url {
	char host[FC_URL_HOST_MAX + 1];
	char export[FC_URL_PATH_MAX + 1];
	uint16_t nfs_port;   /* 0: ask rpcbind */
	uint16_t mount_port; /* 0: ask rpcbind */
};

/* 0, or -EINVAL with the reason in why[len]. */
int fc_nfs_url_parse(const char *url, struct fc_nfs_url *u, char *why, size_t len);

#endif
