/*
 * main.c — nfsproxy, the NFS front end of BFS (DESIGN.md "Processes"):
 * NFSv3 (RFC 1813) and NFSv2 (RFC 1094) plus MOUNT v1/v3 over ONC RPC
 * (RFC 5531), TCP and UDP, each call relayed as one BFT request to the
 * replicas.
 *
 *   nfsproxy --config FILE [--client ID] [--nfs-port P] [--mount-port P]
 *            [--listen ADDR] [--rpcbind auto|yes|no] [--foreground]
 *            [--log FILE] [--log-level LEVEL] [--ready-fd FD]
 *
 * Settings come from the config's [nfsproxy] section (doc/config.md); the
 * options override them. Without --foreground it detaches (fork, setsid);
 * the command returns once the daemon serves (0) or has failed (1). SIGTERM/SIGINT: stop accepting and reading,
 * let the calls in flight finish (at most 5 s), unregister from rpcbind,
 * exit 0; a second signal exits at once. SIGHUP reopens the log.
 *
 * Must never start with a configuration that does not validate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/daemon.h"
#include "bft/error.h"
#include "bft/net.h"
#include "nfsp.h"

#define DRAIN_MS 5000

struct options {
	const char *config, *log, *listen, *rpcbind;
	enum bft_log_level level;
	uint32_t client, nfs_port, mount_port;
	bool have_client, foreground;
	int ready_fd;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: nfsproxy --config FILE [--client ID] [--nfs-port P] [--mount-port P]\n"
		"                [--listen ADDR] [--rpcbind auto|yes|no] [--foreground]\n"
		"                [--log FILE] [--log-level error|warn|info|debug] [--ready-fd FD]\n");
	exit(2);
}

static uint32_t num(const char *opt, const char *s, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long v = s ? strtoul(s, &end, 10) : 0;

	if (!s || *s < '0' || *s > '9' || *end || v < min || v > max) {
		fprintf(stderr, "nfsproxy: %s needs a number from %u to %u\n", opt, min, max);
		exit(2);
	}
	return (uint32_t)v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--foreground")) {
			o->foreground = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--config"))
			o->config = v;
		else if (!strcmp(a, "--client"))
			o->client = num(a, v, 0, UINT32_MAX - 1), o->have_client = true;
		else if (!strcmp(a, "--nfs-port"))
			o->nfs_port = num(a, v, 1, 65535);
		else if (!strcmp(a, "--mount-port"))
			o->mount_port = num(a, v, 1, 65535);
		else if (!strcmp(a, "--listen"))
			o->listen = v;
		else if (!strcmp(a, "--rpcbind") &&
			 (!strcmp(v, "auto") || !strcmp(v, "yes") || !strcmp(v, "no")))
			o->rpcbind = v;
		else if (!strcmp(a, "--log"))
			o->log = v;
		else if (!strcmp(a, "--ready-fd"))
			o->ready_fd = (int)num(a, v, 0, 1024);
		else if (!strcmp(a, "--log-level") && bft_log_level_parse(v, &o->level) == 0)
			continue;
		else
			usage();
	}
	if (!o->config)
		usage();
}

static void print_diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "nfsproxy: %s\n", msg);
}

static void on_drained(void *data)
{
	struct nfsp *s = data;

	bft_logf(s->log, BFT_LOG_WARN, "nfsproxy: %u calls still in flight after %u ms; "
		 "stopping anyway", s->n_calls, DRAIN_MS);
	bft_loop_stop(s->loop);
}

static void on_stop(void *data, int signo)
{
	struct nfsp *s = data;

	if (s->stopping) {
		bft_loop_stop(s->loop);
		return;
	}
	bft_logf(s->log, BFT_LOG_INFO, "nfsproxy: signal %d, finishing %u calls in flight",
		 signo, s->n_calls);
	s->stopping = true;
	nfsp_transport_quiesce(s);
	if (!s->n_calls)
		bft_loop_stop(s->loop);
	else
		bft_loop_timer_arm(s->loop, &s->stop_timer, DRAIN_MS);
}

static void on_hup(void *data, int signo)
{
	(void)signo;
	bft_log_reopen(((struct nfsp *)data)->log);
}

/* Apply command-line overrides to the [nfsproxy] settings. */
static int apply_options(struct nfsp *s, const struct options *o, const struct bft_config *cfg)
{
	uint8_t tmp[16];

	if (o->have_client) {
		if (o->client < cfg->n || o->client >= cfg->n + cfg->n_clients) {
			fprintf(stderr, "nfsproxy: --client %u is not a client id of %s (%u to %u)\n",
				o->client, o->config, cfg->n, cfg->n + cfg->n_clients - 1);
			return BFT_E_INVAL;
		}
		s->conf.client_id = o->client;
	}
	if (o->nfs_port)
		s->conf.nfs_port = (uint16_t)o->nfs_port;
	if (o->mount_port)
		s->conf.mount_port = (uint16_t)o->mount_port;
	if (o->rpcbind)
		s->conf.rpcbind = !strcmp(o->rpcbind, "yes") ? NFSP_RPCBIND_YES
				  : !strcmp(o->rpcbind, "no") ? NFSP_RPCBIND_NO : NFSP_RPCBIND_AUTO;
	if (o->listen) {
		if (strlen(o->listen) >= sizeof(s->conf.listen) ||
		    (inet_pton(AF_INET, o->listen, tmp) != 1 &&
		     inet_pton(AF_INET6, o->listen, tmp) != 1)) {
			fprintf(stderr, "nfsproxy: --listen needs a numeric address\n");
			return BFT_E_INVAL;
		}
		snprintf(s->conf.listen, sizeof(s->conf.listen), "%s", o->listen);
	}
	if (s->conf.nfs_port == s->conf.mount_port) {
		fprintf(stderr, "nfsproxy: the NFS and MOUNT ports must differ\n");
		return BFT_E_INVAL;
	}
	return 0;
}

static int open_sockets(struct nfsp *s)
{
	const uint16_t ports[2] = { s->conf.nfs_port, s->conf.mount_port };
	int i, err = 0;

	for (i = 0; i < 2 && !err; i++)
		if ((err = nfsp_tcp_listen(s, s->conf.listen, ports[i])) ||
		    (err = nfsp_udp_open(s, s->conf.listen, ports[i])))
			bft_logf(s->log, BFT_LOG_ERROR, "nfsproxy: cannot bind %s port %u: %s",
				 s->conf.listen, ports[i], bft_net_strerror(err));
	return err;
}

static int setup(struct nfsp *s, const struct options *o)
{
	struct bft_config *cfg = NULL;
	struct bft_client_opts co = { .config = o->config };
	int err;

	if ((err = bft_config_load(o->config, print_diag, NULL, &cfg)))
		return err;
	err = nfsp_conf_load(cfg, print_diag, NULL, &s->conf);
	if (!err)
		err = apply_options(s, o, cfg);
	bft_config_free(cfg);
	if (err)
		return err;
	if ((err = bft_log_open(o->log, o->level, &s->log))) {
		fprintf(stderr, "nfsproxy: cannot open log %s: %s\n", o->log, bft_net_strerror(err));
		return err;
	}
	if ((err = bft_loop_new(&s->loop)) ||
	    (err = bft_loop_add_signal(s->loop, SIGTERM, on_stop, s)) ||
	    (err = bft_loop_add_signal(s->loop, SIGINT, on_stop, s)) ||
	    (err = bft_loop_add_signal(s->loop, SIGHUP, on_hup, s)))
		return err;
	bft_loop_timer_init(&s->stop_timer, on_drained, s);
	signal(SIGPIPE, SIG_IGN);
	co.client_id = s->conf.client_id;
	co.loop = s->loop;
	co.log = s->log;
	if ((err = bft_client_open(&co, print_diag, NULL, &s->client))) {
		bft_logf(s->log, BFT_LOG_ERROR, "nfsproxy: cannot open BFT client %u: %s",
			 s->conf.client_id, bft_net_strerror(err));
		return err;
	}
	if ((err = open_sockets(s)))
		return err;
	nfsp_rpcbind_register(s);
	return 0;
}

static void teardown(struct nfsp *s)
{
	nfsp_rpcbind_unregister(s);
	s->stopping = true;
	bft_client_close(s->client); /* cancels what is left: those calls are dropped */
	s->client = NULL;
	while (s->calls)
		nfsp_call_free(s->calls);
	nfsp_transport_close_all(s);
	free(s->mounts);
	bft_loop_free(s->loop);
	bft_log_free(s->log);
}

int main(int argc, char **argv)
{
	struct options o = { .level = BFT_LOG_INFO, .ready_fd = -1 };
	struct nfsp *s = calloc(1, sizeof(*s));
	int err, parent_fd = -1;

	if (!s)
		return 1;
	parse_args(argc, argv, &o);
	if (!o.foreground)
		parent_fd = bft_daemon_detach("nfsproxy");
	err = setup(s, &o);
	if (!err) {
		bft_logf(s->log, BFT_LOG_INFO, "nfsproxy: NFS v3/v2 on %s port %u, MOUNT v3/v1 "
			 "on port %u (TCP and UDP), BFT client %u, %u export(s)", s->conf.listen,
			 s->conf.nfs_port, s->conf.mount_port, s->conf.client_id, s->conf.n_exports);
		if (parent_fd >= 0)
			bft_daemon_ready(parent_fd);
		if (o.ready_fd >= 0) {
			if (write(o.ready_fd, "ready\n", 6) != 6)
				bft_logf(s->log, BFT_LOG_WARN, "cannot write to --ready-fd %d",
					 o.ready_fd);
			close(o.ready_fd);
		}
		err = bft_loop_run(s->loop);
		bft_logf(s->log, BFT_LOG_INFO, "nfsproxy: stopped after %llu calls",
			 (unsigned long long)s->stat_calls);
	}
	teardown(s);
	free(s);
	return err ? 1 : 0;
}
