/*
 * backend_bft.c — bfs-mount's direct path to the replicas (DESIGN.md
 * "bfs-mount ... bft:CONFIG embeds the BFT client, no relay hop"): each
 * NFSv3 call becomes one BFT request (Castro & Liskov, OSDI '99 §4.1),
 * the BFS operation header of bfs/op.h (procedure, read-only flag, the
 * caller's AUTH_SYS credential) followed by the call's XDR arguments; the
 * agreed result's accept status is checked and the NFSv3 result after it
 * handed back.
 *
 *   bft:/path/to/cluster.conf[,client=ID]
 *
 * ID is any id of a [clients] group; the default is the first id of the
 * first group that is not nfsproxy's. One process per group at a time
 * (bft/client.h). Procedures that are read-only in the file system's atime
 * mode ([fs] atime) use PBFT's read-only path, as nfsproxy does. The root
 * handle is the fixed BFS root (bfs/fh.h). Never blocks: the client runs
 * on the mount's loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/error.h"
#include "bfs/fh.h"
#include "bft/client.h"
#include "bft/config.h"
#include "bft/error.h"
#include "bft/net.h"
#include "fc.h"

/* Room left in a request for a WRITE's data: the op header, the WRITE
 * arguments' fixed part and the handle, rounded down to 4 KiB. */
#define BFT_XFER_MAX ((BFT_MAX_OP - BFS_OP_HDR_MAX - 256u) & ~4095u)

struct bft_backend {
	struct fc_backend base;
	struct bft_client *client;
	struct bft_log *log;
	enum bfs_atime_mode atime;
	uint8_t op[BFT_MAX_OP];
};

struct pending {
	fc_backend_cb cb;
	void *arg;
};

static void on_done(void *arg, int status, const uint8_t *result, uint32_t len)
{
	struct pending p = *(struct pending *)arg;
	uint32_t accept = 0;

	free(arg);
	if (status < 0) {
		p.cb(p.arg, status == -ECANCELED ? -ECANCELED : -EIO, NULL, 0);
		return;
	}
	if (bfs_result_get_accept(result, len, &accept) != BFS_OK || accept != BFS_ACCEPT_SUCCESS) {
		/* GARBAGE_ARGS, PROC_UNAVAIL, SYSTEM_ERR: agreed by the replicas */
		p.cb(p.arg, accept == BFS_ACCEPT_PROC_UNAVAIL ? -EOPNOTSUPP : -EIO, NULL, 0);
		return;
	}
	p.cb(p.arg, 0, result + BFS_RESULT_HDR, len - BFS_RESULT_HDR);
}

static int bft_submit(struct fc_backend *b, uint32_t proc, const struct bfs_cred *cred,
		      const uint8_t *args, uint32_t len, fc_backend_cb cb, void *arg)
{
	struct bft_backend *bb = (struct bft_backend *)b;
	bool ro = bfs_op_proc_read_only(proc, bb->atime);
	struct bfs_op_hdr h = { .proc = (uint16_t)proc, .flags = ro ? BFS_OP_READ_ONLY : 0,
				.cred = *cred };
	struct pending *p;
	size_t hl;
	int err;

	if (bfs_op_hdr_encode(&h, bb->op, sizeof(bb->op), &hl) != BFS_OK ||
	    len > sizeof(bb->op) - hl)
		return -E2BIG;
	memcpy(bb->op + hl, args, len);
	if (!(p = malloc(sizeof(*p))))
		return -ENOMEM;
	*p = (struct pending){ cb, arg };
	err = bft_client_submit(bb->client, bb->op, (uint32_t)(hl + len), ro, on_done, p);
	if (err) {
		free(p);
		return err == BFT_E_BUSY ? -EAGAIN : -EIO;
	}
	return 0;
}

static void bft_close(struct fc_backend *b)
{
	struct bft_backend *bb = (struct bft_backend *)b;

	bft_client_close(bb->client);
	free(bb);
}

static const struct fc_backend_ops bft_ops = { bft_submit, bft_close };

static void diag(void *data, const char *msg)
{
	bft_logf(data, BFT_LOG_ERROR, "bfs-mount: %s", msg);
}

/* The first id of the first [clients] group that nfsproxy does not use. */
static int default_client(const struct bft_config *cfg, uint32_t *id)
{
	const char *np = bft_config_nfsproxy(cfg, "client");
	const struct bft_cfg_node *npg = NULL;

	if (np)
		npg = bft_config_group_of(cfg, (uint32_t)strtoul(np, NULL, 10));
	for (uint32_t i = 0; i < cfg->n_groups; i++)
		if (&cfg->groups[i] != npg) {
			*id = cfg->groups[i].first_id;
			return 0;
		}
	return -ENOENT;
}

/* "PATH[,client=ID]" into path and *id (*have_id false without it). */
static int parse_spec(const char *spec, char *path, size_t cap, uint32_t *id, bool *have_id)
{
	const char *c = strstr(spec, ",client=");
	size_t n = c ? (size_t)(c - spec) : strlen(spec);
	char *end;

	*have_id = false;
	if (!n || n >= cap)
		return -EINVAL;
	memcpy(path, spec, n);
	path[n] = '\0';
	if (c) {
		unsigned long v = strtoul(c + 8, &end, 10);

		if (c[8] < '0' || c[8] > '9' || *end || v > UINT32_MAX)
			return -EINVAL;
		*id = (uint32_t)v;
		*have_id = true;
	}
	return 0;
}

int fc_bft_open(const char *spec, struct bft_loop *loop, struct bft_log *log,
		struct fc_backend **out)
{
	char path[BFT_CONFIG_PATH_MAX];
	struct bft_client_opts o = { .config = path, .loop = loop, .log = log };
	struct bft_config *cfg = NULL;
	struct bft_backend *bb;
	bool have_id;
	int err;

	if (parse_spec(spec, path, sizeof(path), &o.client_id, &have_id)) {
		bft_logf(log, BFT_LOG_ERROR, "bfs-mount: bad source 'bft:%s': expected "
			 "bft:/path/to/cluster.conf[,client=ID]", spec);
		return -EINVAL;
	}
	if ((err = bft_config_load(path, diag, log, &cfg)))
		return -EINVAL;
	if (!have_id && default_client(cfg, &o.client_id)) {
		bft_logf(log, BFT_LOG_ERROR, "bfs-mount: %s has no [clients] group for us "
			 "(only nfsproxy's)", path);
		bft_config_free(cfg);
		return -EINVAL;
	}
	if (!bft_config_group_of(cfg, o.client_id) || o.client_id < cfg->n) {
		bft_logf(log, BFT_LOG_ERROR, "bfs-mount: client=%u is not a client id of %s "
			 "(%u to %u)", o.client_id, path, cfg->n, cfg->n + cfg->n_clients - 1);
		bft_config_free(cfg);
		return -EINVAL;
	}
	if (!(bb = calloc(1, sizeof(*bb)))) {
		bft_config_free(cfg);
		return -ENOMEM;
	}
	bb->atime = cfg->fs.atime_strict ? BFS_ATIME_STRICT : BFS_ATIME_RELAXED;
	bft_config_free(cfg);
	if ((err = bft_client_open(&o, diag, log, &bb->client))) {
		bft_logf(log, BFT_LOG_ERROR, "bfs-mount: cannot open BFT client %u of %s: %s%s",
			 o.client_id, path, bft_net_strerror(err),
			 err == -EADDRINUSE ? " (another process, e.g. nfsproxy or a second "
			 "bfs-mount, uses this [clients] group: pick another with ,client=ID)" : "");
		free(bb);
		return -EIO;
	}
	bft_logf(log, BFT_LOG_INFO, "bfs-mount: BFT client %u of %s (%u lanes)", o.client_id,
		 path, bft_client_lanes(bb->client));
	bb->base.ops = &bft_ops;
	bb->base.root_fh_len = BFS_FH_LEN;
	bfs_root_fh(bb->base.root_fh);
	bb->base.max_xfer = BFT_XFER_MAX;
	bb->log = log;
	*out = &bb->base;
	return 0;
}
