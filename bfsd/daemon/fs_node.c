/*
 * fs_node.c — `bfsd --service fs`: the NFSv3 file system state machine
 * (bfs/fs.h) as the replica's service, through its PBFT adapter
 * (bfs/fs_service.h).
 *
 * State lives in <data_dir>/replica<I> (the unreplicated server uses
 * <data_dir>/unreplicated, so it never shares replica 0's environment),
 * created with mode 0700 if missing. The [cluster] durability maps onto the
 * LMDB commit mode: sync = fsync at every batch commit, nometasync =
 * MDB_NOMETASYNC, async = MDB_NOSYNC. The replicated settings (fsid,
 * limits, atime mode, root squash) come from the config's [fs] section.
 *
 * A guard service sits between the core and the adapter: any failing call
 * (a storage failure, a corrupt record, a call out of sequence) is logged
 * with the storage detail and stops the event loop, and bfsd exits non-zero.
 * The core halts on the same error, so the replica never answers
 * differently from the others — it behaves as crashed. The state-transfer
 * calls (TOCS '02 §5.3.2) pass their verdicts on input through: a leaf
 * from a Byzantine replica that is no valid leaf (BFT_E_FIELD), a released
 * snapshot (BFT_E_NOENT), an index out of range are the core's to handle;
 * only BFT_E_SERVICE (a local failure) stops the replica.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bft/crypto.h"
#include "bft/error.h"
#include "bfs/error.h"
#include "bfs/fs_cluster.h"
#include "bfs/fs_service.h"
#include "daemon.h"
#include "plog.h"

static void failed(struct bfsd *d, const char *what, int err)
{
	const char *detail = bfs_fs_last_storage_error(d->fs);

	bft_logf(d->log, BFT_LOG_ERROR, "%s: file system %s failed (%s)%s%s; stopping",
		 d->name, what, bft_net_strerror(err), detail && *detail ? ": " : "",
		 detail ? detail : "");
	d->failed = true;
	bft_loop_stop(d->loop);
}

/* The digest of this replica's own state at checkpoint seq, for the status
 * file: equal to the others' when its state is (status_file.c). */
static void own_checkpoint(struct bfsd *d, uint64_t seq, const uint8_t digest[BFT_DIGEST_LEN])
{
	d->ckpt_seq = seq;
	memcpy(d->ckpt_digest, digest, BFT_DIGEST_LEN);
}

static int g_batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	struct bfsd *d = data;
	int err = d->fs_svc.batch_begin(d->fs_svc.data, seq, time_us);

	if (err)
		failed(d, "batch_begin", err);
	return err;
}

static int g_execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		     uint32_t cap, uint32_t *len)
{
	struct bfsd *d = data;
	int err = d->fs_svc.execute(d->fs_svc.data, req, result, cap, len);

	if (err)
		failed(d, "execute", err);
	return err;
}

static int g_batch_end(void *data, uint64_t seq)
{
	struct bfsd *d = data;
	int err = d->fs_svc.batch_end(d->fs_svc.data, seq);

	if (err)
		failed(d, "batch_end", err);
	return err;
}

static int g_batch_abort(void *data, uint64_t seq)
{
	struct bfsd *d = data;
	int err = d->fs_svc.batch_abort(d->fs_svc.data, seq);

	if (err)
		failed(d, "batch_abort", err);
	return err;
}

static int g_execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
			uint32_t cap, uint32_t *len)
{
	struct bfsd *d = data;
	int err = d->fs_svc.execute_ro(d->fs_svc.data, req, result, cap, len);

	if (err)
		failed(d, "execute_ro", err);
	return err;
}

static int g_checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	struct bfsd *d = data;
	int err = d->fs_svc.checkpoint(d->fs_svc.data, seq, digest);

	if (err)
		failed(d, "checkpoint", err);
	else
		own_checkpoint(d, seq, digest);
	return err;
}

/* A transfer call's result: only a local failure stops the replica. */
static int transfer_rc(struct bfsd *d, const char *what, int err)
{
	if (err == BFT_E_SERVICE)
		failed(d, what, err);
	return err;
}

static int g_children(void *data, uint64_t snap, uint32_t level, uint64_t index,
		      uint8_t (*digests)[BFT_DIGEST_LEN])
{
	struct bfsd *d = data;

	return transfer_rc(d, "children", d->fs_svc.children(d->fs_svc.data, snap, level,
							     index, digests));
}

static int g_leaf_get(void *data, uint64_t snap, uint64_t index, uint32_t offset,
		      uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total)
{
	struct bfsd *d = data;

	return transfer_rc(d, "leaf_get", d->fs_svc.leaf_get(d->fs_svc.data, snap, index,
							     offset, buf, cap, len, total));
}

static int g_leaf_digest(void *data, uint64_t index, const uint8_t *bytes, uint32_t len,
			 uint8_t digest[BFT_DIGEST_LEN])
{
	struct bfsd *d = data;

	return d->fs_svc.leaf_digest(d->fs_svc.data, index, bytes, len, digest);
}

static int g_leaf_put(void *data, uint64_t index, const uint8_t *bytes, uint32_t len)
{
	struct bfsd *d = data;

	return transfer_rc(d, "leaf_put", d->fs_svc.leaf_put(d->fs_svc.data, index, bytes,
							     len));
}

static int g_transfer_end(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN],
			  uint64_t *time_us)
{
	struct bfsd *d = data;
	int err = d->fs_svc.transfer_end(d->fs_svc.data, seq, digest, time_us);

	if (err)
		failed(d, "transfer_end", err);
	else
		own_checkpoint(d, seq, digest);
	return err;
}

static int g_snapshot_release(void *data, uint64_t seq)
{
	struct bfsd *d = data;

	return transfer_rc(d, "snapshot_release",
			   d->fs_svc.snapshot_release(d->fs_svc.data, seq));
}

static int g_reply_get(void *data, uint32_t client, uint64_t *timestamp, uint8_t *result,
		       uint32_t cap, uint32_t *len)
{
	struct bfsd *d = data;

	return transfer_rc(d, "reply_get", d->fs_svc.reply_get(d->fs_svc.data, client,
							       timestamp, result, cap, len));
}

static int g_last_batch(void *data, uint64_t *seq, uint64_t *time_us)
{
	struct bfsd *d = data;

	return transfer_rc(d, "last_batch", d->fs_svc.last_batch(d->fs_svc.data, seq, time_us));
}

/* mkdir -p with mode 0700 for the components created here. */
static int make_dirs(const char *path)
{
	char buf[BFT_CONFIG_PATH_MAX + 32];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

static void key_diag(void *data, const char *msg)
{
	struct bfsd *d = data;

	bft_logf(d->log, BFT_LOG_ERROR, "%s: %s", d->name, msg);
}

int fs_node_open(struct bfsd *d, bool unreplicated)
{
	char path[BFT_CONFIG_PATH_MAX + 32];
	struct bfs_fs_config fc;
	struct stat st;
	int err;

	if (unreplicated)
		snprintf(path, sizeof(path), "%s/unreplicated", d->cfg->data_dir);
	else
		snprintf(path, sizeof(path), "%s/replica%u", d->cfg->data_dir, d->id);
	if ((err = make_dirs(path)) || (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) &&
					(err = -ENOTDIR))) {
		bft_logf(d->log, BFT_LOG_ERROR, "%s: cannot create data directory %s: %s",
			 d->name, path, strerror(-err));
		return err;
	}
	if (!d->cfg->fs.bucket_key_file[0])
		bft_logf(d->log, BFT_LOG_WARN, "%s: [fs] has no bucket_key_file: the bucket "
			 "hash is unkeyed (bfsctl init writes one; doc/fs.md \"Buckets\")",
			 d->name);
	if ((err = bfs_fs_config_from_cluster(d->cfg, &fc, key_diag, d)))
		return err;
	fc.path = path;
	err = bfs_fs_open(&fc, &d->fs);
	bft_wipe(fc.bucket_key, sizeof(fc.bucket_key));
	if (err) {
		bft_logf(d->log, BFT_LOG_ERROR, "%s: cannot open the file system at %s: %s%s",
			 d->name, path, bfs_strerror(err), err != BFS_E_CONFIG ? "" :
			 " (the [fs] settings differ from those it was formatted with; "
			 "they must be the same on every replica and cannot change)");
		d->fs = NULL;
		return BFT_E_SERVICE;
	}
	bfs_fs_service(d->fs, &d->fs_svc);
	d->guard = (struct bft_service){
		.version = BFT_SERVICE_VERSION, .data = d, .batch_begin = g_batch_begin,
		.execute = g_execute, .batch_end = g_batch_end, .batch_abort = g_batch_abort,
		.execute_ro = g_execute_ro, .checkpoint = g_checkpoint,
		.tree_fanout = d->fs_svc.tree_fanout, .tree_depth = d->fs_svc.tree_depth,
		.leaf_max = d->fs_svc.leaf_max, .children = g_children,
		.leaf_get = g_leaf_get, .leaf_digest = g_leaf_digest,
		.leaf_put = g_leaf_put, .transfer_end = g_transfer_end,
		.snapshot_release = g_snapshot_release, .reply_get = g_reply_get,
		.last_batch = g_last_batch,
	};
	d->svc = &d->guard;
	if (!unreplicated)
		snprintf(d->dir, sizeof(d->dir), "%s", path);
	if (!unreplicated && !d->recover && recover_pending(d)) {
		bft_logf(d->log, BFT_LOG_WARN, "%s: a recovery was under way when this replica "
			 "stopped: recovering again", d->name);
		d->recover = true;
	}
	if (!unreplicated && d->recover && (err = recover_reboot(d)))
		return err;
	if (!unreplicated && (err = plog_node_open(d, path)))
		return err;
	bft_logf(d->log, BFT_LOG_INFO, "%s: file system service at %s (durability %s, "
		 "last batch %llu)", d->name, path, bft_durability_name(d->cfg->durability),
		 (unsigned long long)bfs_fs_last_seq(d->fs));
	return BFT_OK;
}

int plog_node_open(struct bfsd *d, const char *dir)
{
	char path[BFT_CONFIG_PATH_MAX + 64];
	uint32_t records;
	uint64_t bytes;
	int err;

	snprintf(path, sizeof(path), "%s/protocol.log", dir);
	err = plog_open(path, d->cfg->durability != BFT_DURABILITY_ASYNC, d->log, &d->plog);
	if (err) {
		bft_logf(d->log, BFT_LOG_ERROR, "%s: cannot open the protocol log %s: %s",
			 d->name, path, strerror(-err));
		return err;
	}
	plog_stats(d->plog, &records, &bytes);
	bft_logf(d->log, BFT_LOG_INFO, "%s: protocol log %s: %u records, %llu bytes",
		 d->name, path, records, (unsigned long long)bytes);
	return 0;
}

void fs_node_close(struct bfsd *d)
{
	plog_close(d->plog);
	d->plog = NULL;
	bfs_fs_close(d->fs);
	d->fs = NULL;
}
