/*
 * replica_node.c — runs the pure PBFT replica (bft/replica.h; OSDI '99 §4)
 * on the node's UDP socket: datagrams go to bft_replica_recv, loop timers to
 * bft_replica_on_timer, and the core acts through a netio (bft/net.h).
 *
 * Must never interpret a datagram itself: the core decodes and
 * authenticates everything.
 */
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "daemon.h"
#include "plog.h"

static void on_datagram(void *data, const uint8_t *buf, size_t len,
			const struct bft_addr *from)
{
	struct bfsd *d = data;

	(void)from;
	bft_replica_recv(d->replica, buf, len);
}

static int persist(void *arg, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len)
{
	struct bfsd *d = arg;
	int err = plog_append(d->plog, kind, seq, buf, len);

	if (err)
		bft_logf(d->log, BFT_LOG_ERROR, "%s: cannot write the protocol log: %s",
			 d->name, strerror(-err));
	return err;
}

static int restore(void *arg, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len)
{
	struct bfsd *d = arg;

	return bft_replica_restore(d->replica, kind, seq, buf, len);
}

static void on_timer(void *data, enum bft_timer which)
{
	struct bfsd *d = data;

	bft_replica_on_timer(d->replica, which);
}

int replica_node_start(struct bfsd *d)
{
	struct bft_net_config nc = { .bind = d->cfg->replicas[d->id].addr,
				     .n_nodes = bft_config_n_nodes(d->cfg), .log = d->log,
				     .name = d->name };
	struct bft_replica_config rc;
	struct bft_pubkey *pubs = NULL;
	struct bft_addr *addrs = NULL;
	int err;

	if ((err = bft_config_pubkeys(d->cfg, &pubs)) ||
	    (err = bft_config_addrs(d->cfg, &addrs)))
		goto out;
	nc.peers = addrs;
	if ((err = bft_keyring_new(d->id, d->cfg->n, bft_config_n_nodes(d->cfg), &d->kp,
				   pubs, &d->kr)))
		goto out;
	if ((err = bft_net_new(d->loop, &nc, on_datagram, d, &d->net)))
		goto out;
	bft_netio_init(&d->nio, d->net, on_timer, d);
	bft_config_replica(d->cfg, d->id, &rc);
	rc.log_level = bft_log_level(d->log);
	rc.recovering = d->recover; /* recover.c rebuilt the digests, dropped the log */
	if (d->plog)
		bft_netio_set_persist(&d->nio, persist, d);
	if ((err = bft_replica_new(&rc, d->kr, &d->nio.io, d->svc, &d->replica)))
		goto out;
	if (d->plog && (err = plog_replay(d->plog, restore, d))) {
		bft_logf(d->log, BFT_LOG_ERROR, "%s: the protocol log does not restore (%s): "
			 "refusing to start with a partial log", d->name,
			 err < 0 && err > -4096 ? strerror(-err) : bft_strerror(err));
		goto out;
	}
	if ((err = bft_replica_start(d->replica)))
		goto out;
	bft_logf(d->log, BFT_LOG_INFO, "%s: running, f = %u, n = %u, %u client ids, K = %u, "
		 "L = %u", d->name, d->cfg->f, d->cfg->n, d->cfg->n_clients,
		 rc.checkpoint_interval, rc.log_window);
out:
	free(pubs);
	free(addrs);
	return err;
}

void replica_node_status(struct bfsd *d)
{
	struct bfsd_status st;

	if (!d->replica)
		return;
	status_now(d, &st);
	bft_logf(d->log, BFT_LOG_INFO, "%s: status: view %llu, last executed %llu, stable "
		 "checkpoint %llu, recovering %s, key epoch %llu", d->name,
		 (unsigned long long)st.view, (unsigned long long)st.last_exec,
		 (unsigned long long)st.stable, st.recovering ? "yes" : "no",
		 (unsigned long long)st.key_epoch);
}

void replica_node_stop(struct bfsd *d)
{
	struct bft_net_stats st;

	if (d->net) {
		bft_net_get_stats(d->net, &st);
		bft_logf(d->log, BFT_LOG_INFO, "%s: stopping at view %llu, last executed %llu; "
			 "datagrams in %llu, out %llu, dropped %llu malformed + %llu oversized",
			 d->name, d->replica ? (unsigned long long)bft_replica_view(d->replica) : 0,
			 d->replica ? (unsigned long long)bft_replica_last_executed(d->replica) : 0,
			 (unsigned long long)st.rx, (unsigned long long)st.tx,
			 (unsigned long long)st.rx_malformed, (unsigned long long)st.rx_oversize);
	}
	bft_netio_fini(&d->nio);
	bft_replica_free(d->replica);
	bft_net_free(d->net);
	bft_keyring_free(d->kr);
	d->replica = NULL;
	d->net = NULL;
	d->kr = NULL;
}
