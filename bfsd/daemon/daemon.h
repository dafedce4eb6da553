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
	uint64_t ckpt_seq;                /* this replica's latest checkpoint (or */
	uint8_t ckpt_digest[BFT_DIGEST_LEN]; /* installed transfer) and its digest */

	/* the core's durable protocol log (plog.c), next to the fs state */
	struct plog *plog;

	/* proactive recovery (recover.c) and the status file (status_file.c) */
	bool recover;                     /* --recover: the clean reboot, then
					     start as a recovering replica */
	uint64_t start_us;                /* CLOCK_MONOTONIC at start */
	char dir[BFT_CONFIG_PATH_MAX + 32]; /* the replica's data directory, or "" */
	struct bft_loop_timer status_timer;
	struct bfsd_status {
		uint64_t view, last_exec, stable, key_epoch, ckpt_seq;
		uint8_t stable_digest[BFT_DIGEST_LEN];
		bool recovering;
	} status;                         /* as last written to the status file */
	uint64_t status_written_ms;       /* when (0: never) */
	uint64_t recovered_ms;            /* --recover to recovered (0: not yet) */
	bool status_failing;              /* the last write failed (logged once) */
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
/* Log "status: view V, last executed N, stable checkpoint H, recovering
 * yes|no, key epoch E" (SIGUSR1). */
void replica_node_status(struct bfsd *d);

/* recover.c: the clean reboot of `bfsd --recover` (TOCS '02 §4.3.2) in
 * the replica's data directory d->dir, before the protocol log is opened:
 * delete the protocol log and rebuild the file system's digests. */
int recover_reboot(struct bfsd *d);
/* A recovery began here and has not ended (dir/recovering exists). */
bool recover_pending(const struct bfsd *d);
/* The replica is recovered: remove the marker. */
void recover_done(struct bfsd *d);

/* status_file.c: keep d->dir/status current (every second and at each
 * change of view, stable or own checkpoint, recovering or key epoch), and
 * log the moment a recovering replica becomes recovered. Needs d->replica. */
int status_file_start(struct bfsd *d);
/* The status line of SIGUSR1 and the file's fields, from the replica now. */
void status_now(const struct bfsd *d, struct bfsd_status *st);
/* n bytes as 2n lowercase hex digits and a NUL into out. */
void status_hex(const uint8_t *b, size_t n, char *out);

int unrep_server_start(struct bfsd *d);
void unrep_server_stop(struct bfsd *d);

#endif
