/*
 * daemon.h — the parts of one bfsd process (DESIGN.md "Processes"): the
 * configuration, the event loop, the logger, the node's own key, the
 * service, and either a PBFT replica (replica_node.c) or the unreplicated
 * server (unrep_server.c) on the node's UDP socket. Private to bfsd.
 */
#ifndef BFSD_DAEMON_H
#define BFSD_DAEMON_H

#include "bft/config.h"
#include "bft/io.h"
#include "bft/log.h"
#include "bft/loop.h"
#include "bft/net.h"
#include "bft/replica.h"

#include "bfs/fs.h"

struct unrep_server;

struct bfsd {
	struct bft_config *cfg;
	uint32_t id;
	struct bft_loop *loop;
	struct bft_log *log;
	struct bft_keypair kp;            /* wiped once the keyring holds it */
	const struct bft_service *svc;
	char name[32];                    /* "replica 2", for log lines */

	/* replica mode */
	struct bft_net *net;
	struct bft_netio nio;
	struct bft_keyring *kr;
	struct bft_replica *replica;

	/* unreplicated mode */
	struct unrep_server *unrep;

	/* file system service (fs_node.c): the fs, its adapter, and the guard
	 * that d->svc points to, which stops the process on any failure */
	struct bfs_fs *fs;
	struct bft_service fs_svc;
	struct bft_service guard;
	bool failed;                      /* the service failed: exit non-zero */

	/* the core's durable protocol log (plog.c), next to the fs state */
	struct plog *plog;
};

/* Open the file system under the configured data directory (created if
 * missing; the unreplicated server uses data_dir/unreplicated) with the
 * configured durability, and point d->svc at it. Needs
 * d->cfg and d->log. */
int fs_node_open(struct bfsd *d, bool unreplicated);
void fs_node_close(struct bfsd *d);

/* Open the protocol log in the replica's data directory (fs service). */
int plog_node_open(struct bfsd *d, const char *dir);

int replica_node_start(struct bfsd *d);
void replica_node_stop(struct bfsd *d);
/* Log "status: view V, last executed N, stable checkpoint H" (SIGUSR1). */
void replica_node_status(struct bfsd *d);

int unrep_server_start(struct bfsd *d);
void unrep_server_stop(struct bfsd *d);

#endif
