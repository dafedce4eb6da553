/*
 * main.c — the bfsd daemon: one replica of the cluster (DESIGN.md
 * "Processes"), or the unreplicated baseline server.
 *
 *   bfsd --config FILE --id I [--service fs|null] [--null-result BYTES]
 *        [--log FILE] [--log-level LEVEL] [--key FILE] [--unreplicated]
 *        [--ready-fd FD] [--sched batch|normal] [--recover]
 *
 * --service fs (the default: every configuration has a data_dir, `data`
 * unless set) runs the NFSv3 file system (fs_node.c) in
 * data_dir/replica<I>; --service null (implied by --null-result) the
 * null/echo service for protocol measurements. If the file system fails
 * (storage error, corrupt record) bfsd logs it and exits with status 1: it
 * never answers differently from the other replicas.
 *
 * --sched batch (the default) runs the process as SCHED_BATCH: a datagram
 * arriving for another local process then does not preempt this one in the
 * middle of a burst (a PRE-PREPARE multicast, a batch's replies), which
 * measured ~30% less CPU per read-write request with four replicas sharing
 * two cores (doc/design.md, "Performance"). Both modes use it, so the
 * unreplicated baseline runs under the same policy.
 *
 * SIGTERM and SIGINT stop it cleanly (loop exits, everything is freed);
 * SIGHUP reopens the log file; SIGUSR1 logs a status line (view, last
 * executed batch, stable checkpoint) at the info level. --ready-fd N
 * writes "ready\n" to descriptor N once the socket is bound (for process
 * supervisors and tests).
 *
 * --recover (fs service, replicated only) is proactive recovery's reboot
 * from a clean state (TOCS '02 §4.3.2, recover.c): the protocol log is
 * discarded, every file system digest is rebuilt from the data, and the
 * replica starts as a recovering one; it logs when it is recovered. Every
 * replica of the fs service keeps data_dir/replica<I>/status current
 * (status_file.c: view, checkpoints, recovering, key epoch), which `bfsctl
 * status` and `bfsctl recover` read.
 *
 * Must never start on a configuration that does not validate or with a
 * private key that does not match the configuration's public key.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/error.h"
#include "daemon.h"
#include "null_service.h"

struct options {
	const char *config, *log, *key, *service;
	enum bft_log_level level;
	uint32_t id;
	bool have_id, unreplicated, have_null_result, sched_normal, recover;
	uint32_t null_result;
	int ready_fd;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: bfsd --config FILE --id I [--service fs|null] [--null-result BYTES]\n"
		"            [--log FILE] [--log-level error|warn|info|debug] [--key FILE]\n"
		"            [--unreplicated] [--ready-fd FD] [--sched batch|normal]\n"
		"            [--recover]\n");
	exit(2);
}

static uint32_t num(const char *opt, const char *s, uint32_t max)
{
	char *end;
	unsigned long v = s ? strtoul(s, &end, 10) : 0;

	if (!s || *s < '0' || *s > '9' || *end || v > max) {
		fprintf(stderr, "bfsd: %s needs a number from 0 to %u\n", opt, max);
		exit(2);
	}
	return (uint32_t)v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--unreplicated")) {
			o->unreplicated = true;
			continue;
		}
		if (!strcmp(a, "--recover")) {
			o->recover = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--config"))
			o->config = v;
		else if (!strcmp(a, "--id"))
			o->id = num(a, v, BFT_MAX_REPLICAS - 1), o->have_id = true;
		else if (!strcmp(a, "--service"))
			o->service = v;
		else if (!strcmp(a, "--null-result"))
			o->null_result = num(a, v, BFT_MAX_RESULT), o->have_null_result = true;
		else if (!strcmp(a, "--log"))
			o->log = v;
		else if (!strcmp(a, "--key"))
			o->key = v;
		else if (!strcmp(a, "--ready-fd"))
			o->ready_fd = (int)num(a, v, 1024);
		else if (!strcmp(a, "--log-level") && bft_log_level_parse(v, &o->level) == 0)
			continue;
		else if (!strcmp(a, "--sched") && (!strcmp(v, "batch") || !strcmp(v, "normal")))
			o->sched_normal = !strcmp(v, "normal");
		else
			usage();
	}
	if (!o->config || !o->have_id)
		usage();
	if (!o->service && o->have_null_result)
		o->service = "null";
	if (o->service && strcmp(o->service, "null") != 0 && strcmp(o->service, "fs") != 0) {
		fprintf(stderr, "bfsd: unknown service '%s' (this build has: fs, null)\n",
			o->service);
		exit(2);
	}
	if (o->recover && (o->unreplicated || (o->service && strcmp(o->service, "fs") != 0))) {
		fprintf(stderr, "bfsd: --recover is for a replica of the fs service (it rebuilds "
			"the file system's digests), not --unreplicated or --service null\n");
		exit(2);
	}
	if (o->service && !strcmp(o->service, "fs") && o->have_null_result) {
		fprintf(stderr, "bfsd: --null-result is for --service null only\n");
		exit(2);
	}
}

static void print_diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "bfsd: %s\n", msg);
}

static void on_stop(void *data, int signo)
{
	struct bfsd *d = data;

	bft_logf(d->log, BFT_LOG_INFO, "%s: signal %d, shutting down", d->name, signo);
	bft_loop_stop(d->loop);
}

static void on_hup(void *data, int signo)
{
	struct bfsd *d = data;

	(void)signo;
	bft_log_reopen(d->log);
}

static void on_usr1(void *data, int signo)
{
	(void)signo;
	replica_node_status(data);
}

/* SCHED_BATCH unless --sched normal; a refusal is logged, never fatal. */
static void apply_sched(struct bfsd *d, const struct options *o)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (o->sched_normal)
		return;
	if (sched_setscheduler(0, SCHED_BATCH, &sp) < 0)
		bft_logf(d->log, BFT_LOG_WARN, "%s: cannot use SCHED_BATCH: %s; running with "
			 "the default policy", d->name, strerror(errno));
}

static int setup(struct bfsd *d, struct options *o)
{
	int err;

	if ((err = bft_config_load(o->config, print_diag, NULL, &d->cfg)))
		return err;
	if (o->id >= d->cfg->n) {
		fprintf(stderr, "bfsd: --id %u is not a replica (0..%u)\n", o->id, d->cfg->n - 1);
		return BFT_E_PEER;
	}
	if (o->unreplicated && (o->id != 0 || !d->cfg->has_unreplicated)) {
		fprintf(stderr, "bfsd: --unreplicated runs as node 0 (--id 0) and needs "
			"`unreplicated = host:port` in [cluster] of %s\n", o->config);
		return BFT_E_INVAL;
	}
	if ((err = bft_config_own_key(d->cfg, o->id, o->key, print_diag, NULL, &d->kp)))
		return err;
	if ((err = bft_log_open(o->log, o->level, &d->log))) {
		fprintf(stderr, "bfsd: cannot open log %s: %s\n", o->log, bft_net_strerror(err));
		return err;
	}
	apply_sched(d, o);
	if (!o->service)
		o->service = d->cfg->data_dir[0] ? "fs" : "null";
	if (o->recover && strcmp(o->service, "fs") != 0) {
		fprintf(stderr, "bfsd: --recover needs the fs service (a data_dir)\n");
		return BFT_E_INVAL;
	}
	bft_logf(d->log, BFT_LOG_INFO, "%s: %s service", d->name, o->service);
	if (!strcmp(o->service, "fs") && (err = fs_node_open(d, o->unreplicated)))
		return err;
	if ((err = bft_loop_new(&d->loop)) ||
	    (err = bft_loop_add_signal(d->loop, SIGTERM, on_stop, d)) ||
	    (err = bft_loop_add_signal(d->loop, SIGINT, on_stop, d)) ||
	    (err = bft_loop_add_signal(d->loop, SIGHUP, on_hup, d)) ||
	    (err = bft_loop_add_signal(d->loop, SIGUSR1, on_usr1, d)))
		return err;
	signal(SIGPIPE, SIG_IGN);
	err = o->unreplicated ? unrep_server_start(d) : replica_node_start(d);
	bft_wipe(&d->kp, sizeof(d->kp));
	if (!err && !o->unreplicated && d->dir[0])
		err = status_file_start(d);
	if (err)
		bft_logf(d->log, BFT_LOG_ERROR, "%s: cannot start: %s", d->name,
			 bft_net_strerror(err));
	return err;
}

static void teardown(struct bfsd *d)
{
	unrep_server_stop(d);
	replica_node_stop(d);
	fs_node_close(d);
	bft_loop_free(d->loop);
	bft_log_free(d->log);
	bft_config_free(d->cfg);
	bft_wipe(&d->kp, sizeof(d->kp));
}

int main(int argc, char **argv)
{
	struct options o = { .service = NULL, .level = BFT_LOG_INFO, .ready_fd = -1 };
	struct null_service null;
	struct bfsd d = { 0 };
	int err;

	parse_args(argc, argv, &o);
	d.id = o.id;
	d.recover = o.recover;
	d.start_us = bft_loop_mono_us();
	snprintf(d.name, sizeof(d.name), o.unreplicated ? "unreplicated" : "replica %u", o.id);
	null_service_init(&null, o.null_result);
	d.svc = &null.vt;
	err = setup(&d, &o);
	if (!err && o.ready_fd >= 0) {
		if (write(o.ready_fd, "ready\n", 6) != 6)
			bft_logf(d.log, BFT_LOG_WARN, "cannot write to --ready-fd %d", o.ready_fd);
		close(o.ready_fd);
	}
	if (!err)
		err = bft_loop_run(d.loop);
	if (d.failed)
		fprintf(stderr, "bfsd: %s: the file system service failed; stopped (see the log)\n",
			d.name);
	teardown(&d);
	null_service_free(&null);
	return err || d.failed ? 1 : 0;
}
