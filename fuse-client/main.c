/*
 * main.c — bfs-mount, the FUSE client of BFS (DESIGN.md "Processes":
 * fuse-client): mounts a BFS cluster, or any NFSv3 server (RFC 1813), as
 * a local file system through the FUSE 3 low-level API (libfuse
 * include/fuse_lowlevel.h).
 *
 *   bfs-mount [-f] [-d] [-o OPTIONS] SOURCE MOUNTPOINT
 *
 *   SOURCE  bft:/path/to/cluster.conf[,client=ID]   the replicas directly
 *           nfs://HOST[:PORT]/EXPORT[?nfsport=N&mountport=M]   NFSv3/TCP
 *   -f      stay in the foreground (otherwise the command returns once the
 *           file system is mounted, or fails with a message)
 *   -d      FUSE debug output (implies -f)
 *   -o      attr_timeout=S, entry_timeout=S (seconds, default 1),
 *           log=FILE, log_level=error|warn|info|debug, and FUSE mount
 *           options (ro, allow_other, ...; allow_other is the default
 *           when run as root, so every user reaches the files with their
 *           own credential, as over NFS).
 *
 * The file system is usable as soon as `mountpoint -q MOUNTPOINT` succeeds:
 * the backend is reached (FSINFO and GETATTR of the root) before mounting.
 * SIGTERM/SIGINT: stop taking requests, finish the calls in flight (at most
 * 5 s), unmount, exit 0; `fusermount3 -u MOUNTPOINT` (or umount) ends it
 * too. SIGHUP reopens the log file.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/daemon.h"
#include "bft/net.h"
#include "fc.h"

#define DRAIN_MS 5000u
#define DEFAULT_TIMEOUT 1.0

struct cli {
	const char *source, *mountpoint;
	int foreground, help, version;
	double attr_timeout, entry_timeout;
	char *log, *log_level;
};

enum { KEY_HELP, KEY_VERSION, KEY_DEBUG };

static const struct fuse_opt cli_opts[] = {
	{ "-f", offsetof(struct cli, foreground), 1 },
	{ "attr_timeout=%lf", offsetof(struct cli, attr_timeout), 0 },
	{ "entry_timeout=%lf", offsetof(struct cli, entry_timeout), 0 },
	{ "log=%s", offsetof(struct cli, log), 0 },
	{ "log_level=%s", offsetof(struct cli, log_level), 0 },
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_END,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bfs-mount [-f] [-d] [-o OPTIONS] SOURCE MOUNTPOINT\n"
		"\n"
		"SOURCE: bft:/path/to/cluster.conf[,client=ID]  (the BFS replicas, directly)\n"
		"        nfs://HOST[:PORT]/EXPORT[?nfsport=N&mountport=M]  (NFSv3 over TCP)\n"
		"-f      foreground;  -d  FUSE debug output (implies -f)\n"
		"-o      attr_timeout=S, entry_timeout=S (default 1), log=FILE,\n"
		"        log_level=error|warn|info|debug, FUSE options (ro, allow_other, ...)\n"
		"Unmount with fusermount3 -u MOUNTPOINT, or SIGTERM.\n");
}

static int on_opt(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct cli *c = data;

	(void)out;
	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (!c->source)
			c->source = arg;
		else if (!c->mountpoint)
			c->mountpoint = arg;
		else {
			fprintf(stderr, "bfs-mount: unexpected argument '%s'\n", arg);
			return -1;
		}
		return 0;
	case KEY_HELP:
		c->help = 1;
		return 0;
	case KEY_VERSION:
		c->version = 1;
		return 0;
	case KEY_DEBUG:
		c->foreground = 1;
		return 1; /* libfuse's debug output too */
	default:
		return 1;
	}
}

/* "-ofsname=SOURCE" with libfuse's escapes for ',' and '\'. */
static int add_fsname(struct fuse_args *args, const char *source)
{
	char buf[PATH_MAX * 2 + 16];
	size_t o = (size_t)snprintf(buf, sizeof(buf), "-ofsname=");

	for (const char *p = source; *p && o + 3 < sizeof(buf); p++) {
		if (*p == ',' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	buf[o] = '\0';
	return fuse_opt_add_arg(args, buf);
}

static int parse_cli(int argc, char **argv, struct cli *c, struct fuse_args *args)
{
	*args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	c->attr_timeout = c->entry_timeout = DEFAULT_TIMEOUT;
	if (fuse_opt_parse(args, c, cli_opts, on_opt) != 0)
		return 2;
	if (c->help) {
		usage(stdout);
		return 0;
	}
	if (c->version) {
		printf("bfs-mount %s (FUSE %d)\n", "0.1.0", fuse_version());
		return 0;
	}
	if (!c->source || !c->mountpoint) {
		usage(stderr);
		return 2;
	}
	if (c->attr_timeout < 0 || c->attr_timeout > 3600 || c->entry_timeout < 0 ||
	    c->entry_timeout > 3600) {
		fprintf(stderr, "bfs-mount: attr_timeout and entry_timeout are seconds, 0 to 3600\n");
		return 2;
	}
	if (strncmp(c->source, "bft:", 4) && strncmp(c->source, "nfs://", 6)) {
		fprintf(stderr, "bfs-mount: SOURCE must start with bft: or nfs:// (not '%s')\n",
			c->source);
		return 2;
	}
	if (add_fsname(args, c->source) || fuse_opt_add_arg(args, "-osubtype=bfs") ||
	    (geteuid() == 0 && fuse_opt_add_arg(args, "-oallow_other")))
		return 1;
	return -1; /* go on */
}

/* ---- start-up: reach the backend before mounting ---- */

struct probe {
	bool fsinfo_done, attr_done;
	int err;
	FSINFO3resok fsinfo;
	fattr3 root;
};

static void on_probe_fsinfo(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct probe *p = c->ctx;

	if (err)
		p->err = err;
	else
		p->fsinfo = res->fsinfo.FSINFO3res_u.resok;
	p->fsinfo.obj_attributes.attributes_follow = FALSE; /* not kept */
	p->fsinfo_done = true;
}

static void on_probe_attr(struct fc_call *c, int err, union bfs_nfs3_res *res)
{
	struct probe *p = c->ctx;

	if (err)
		p->err = err;
	else
		p->root = res->getattr.GETATTR3res_u.resok.obj_attributes;
	p->attr_done = true;
}

static uint32_t xfer_size(uint32_t server, uint32_t backend)
{
	uint32_t n = server ? server : 4096;

	if (backend && n > backend)
		n = backend;
	return n > FC_XFER_CAP ? FC_XFER_CAP : n;
}

static int probe(struct fc *fc, const char *source)
{
	struct probe p = { 0 };
	nfs_fh3 root = { { fc->be->root_fh_len, (char *)fc->be->root_fh } };
	FSINFO3args fa = { root };
	GETATTR3args ga = { root };
	bool both = false;

	fc_call(fc, NULL, NFSPROC3_FSINFO, (xdrproc_t)xdr_FSINFO3args, &fa, on_probe_fsinfo, &p,
		0);
	fc_call(fc, NULL, NFSPROC3_GETATTR, (xdrproc_t)xdr_GETATTR3args, &ga, on_probe_attr, &p,
		0);
	if (!p.fsinfo_done || !p.attr_done) { /* the probe calls finish together */
		fc_loop_wait(fc->loop, &p.attr_done, FC_START_MS);
		fc_loop_wait(fc->loop, &p.fsinfo_done, FC_START_MS);
	}
	both = p.fsinfo_done && p.attr_done;
	if (!both || p.err) {
		bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: %s does not answer: %s", source,
			 both ? strerror(-p.err) : "no reply within 15 s");
		return -1;
	}
	if (p.root.type != NF3DIR) {
		bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: the root of %s is not a directory",
			 source);
		return -1;
	}
	fc->rtmax = xfer_size(p.fsinfo.rtmax, fc->be->max_xfer);
	fc->wtmax = xfer_size(p.fsinfo.wtmax, fc->be->max_xfer);
	fc->maxfilesize = p.fsinfo.maxfilesize;
	if (fc_itab_init(&fc->itab, fc->be->root_fh, fc->be->root_fh_len, p.root.fileid)) {
		bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: out of memory");
		return -1;
	}
	return 0;
}

/* ---- signals ---- */

static struct bft_loop_timer drain_timer;

static void on_drained(void *data)
{
	struct fc *fc = data;

	bft_logf(fc->log, BFT_LOG_WARN, "bfs-mount: %u calls still in flight after %u ms; "
		 "unmounting anyway", fc->in_flight, DRAIN_MS);
	bft_loop_stop(fc->loop);
}

static void on_stop(void *data, int signo)
{
	struct fc *fc = data;

	if (fc->stopping) {
		bft_loop_stop(fc->loop);
		return;
	}
	bft_logf(fc->log, BFT_LOG_INFO, "bfs-mount: signal %d: finishing %u calls, unmounting",
		 signo, fc->in_flight);
	fc_session_drain(fc);
	bft_loop_timer_arm(fc->loop, &drain_timer, DRAIN_MS);
}

static void on_hup(void *data, int signo)
{
	(void)signo;
	bft_log_reopen(((struct fc *)data)->log);
}

static int open_backend(struct fc *fc, const char *source)
{
	int err = !strncmp(source, "bft:", 4)
			  ? fc_bft_open(source + 4, fc->loop, fc->log, &fc->be)
			  : fc_nfs_open(source, fc->loop, fc->log, &fc->be);

	return err ? -1 : probe(fc, source);
}

static int setup(struct fc *fc, const struct cli *c, struct fuse_args *args)
{
	/* a detached mount without a log file says only what went wrong */
	enum bft_log_level level = c->log || c->foreground ? BFT_LOG_INFO : BFT_LOG_WARN;
	int err;

	fc->attr_timeout = c->attr_timeout;
	fc->entry_timeout = c->entry_timeout;
	fc->fuse_fd = -1;
	if (c->log_level && bft_log_level_parse(c->log_level, &level)) {
		fprintf(stderr, "bfs-mount: log_level must be error, warn, info or debug\n");
		return -1;
	}
	if ((err = bft_log_open(c->log, level, &fc->log))) {
		fprintf(stderr, "bfs-mount: cannot open log %s: %s\n", c->log,
			bft_net_strerror(err));
		return -1;
	}
	if (bft_loop_new(&fc->loop))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	if (open_backend(fc, c->source))
		return -1;
	if (fc_session_start(fc, args, c->mountpoint)) {
		bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: cannot mount %s at %s", c->source,
			 c->mountpoint);
		return -1;
	}
	bft_loop_timer_init(&drain_timer, on_drained, fc);
	if (bft_loop_add_signal(fc->loop, SIGTERM, on_stop, fc) ||
	    bft_loop_add_signal(fc->loop, SIGINT, on_stop, fc) ||
	    bft_loop_add_signal(fc->loop, SIGHUP, on_hup, fc))
		return -1;
	bft_logf(fc->log, BFT_LOG_INFO, "bfs-mount: %s mounted at %s (read %u, write %u bytes "
		 "per call)", c->source, c->mountpoint, fc->rtmax, fc->wtmax);
	return 0;
}

static void teardown(struct fc *fc)
{
	if (fc->be)
		fc->be->ops->close(fc->be); /* answers what is left: ECANCELED */
	fc_session_end(fc);
	fc_itab_free(&fc->itab);
	bft_loop_free(fc->loop);
	bft_log_free(fc->log);
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct fuse_args args;
	struct fc *fc;
	int rc = parse_cli(argc, argv, &c, &args), ready = -1;

	if (rc >= 0) {
		fuse_opt_free_args(&args);
		return rc;
	}
	if (!(fc = calloc(1, sizeof(*fc))))
		return 1;
	if (!c.foreground)
		ready = bft_daemon_detach("bfs-mount");
	rc = setup(fc, &c, &args) ? 1 : 0;
	fuse_opt_free_args(&args);
	if (!rc) {
		if (ready >= 0)
			bft_daemon_ready(ready);
		if (bft_loop_run(fc->loop))
			rc = 1;
		bft_logf(fc->log, BFT_LOG_INFO, "bfs-mount: %s unmounted from %s", c.source,
			 c.mountpoint);
	}
	teardown(fc);
	free(fc);
	free(c.log);
	free(c.log_level);
	return rc;
}
