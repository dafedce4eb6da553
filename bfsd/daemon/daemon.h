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
};

int replica_node_start(struct bfsd *d);
void replica_node_stop(struct bfsd *d);

int unrep_server_start(struct bfsd *d);
void unrep_server_stop(struct bfsd *d);

#endif
