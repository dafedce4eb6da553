/*
 * fs_service.c — adapter from the PBFT core's struct bft_service (bft/io.h,
 * version 2) to the file system state machine (bfs/fs.h). Translates error
 * conventions (bfs/error.h → bft/error.h) and nothing else: no policy, no
 * clock, no logging.
 *
 * Errors: input the service rejects (leaf bytes that are no valid leaf,
 * out-of-range arguments, a released snapshot) keeps its meaning
 * (BFT_E_FIELD, BFT_E_INVAL, BFT_E_NOENT, BFT_E_SPACE) because a replica
 * must survive a Byzantine peer's data; everything else is BFT_E_SERVICE,
 * a local failure that stops the replica.
 */
#include "bft/error.h"

#include "bfs/error.h"

#include "bfs/fs_service.h"

static int to_bft(int rc)
{
	switch (rc) {
	case BFS_OK:
		return BFT_OK;
	case BFS_E_SHORT:
	case BFS_E_VERSION:
	case BFS_E_FIELD:
		return BFT_E_FIELD;
	case BFS_E_INVAL:
		return BFT_E_INVAL;
	case BFS_E_NOENT:
		return BFT_E_NOENT;
	case BFS_E_SPACE:
		return BFT_E_SPACE;
	default:
		return BFT_E_SERVICE;
	}
}

/* Execution has no "rejected input" outcome: any failure is local. */
static int exec_rc(int rc)
{
	return rc == BFS_OK ? BFT_OK : BFT_E_SERVICE;
}

static int svc_batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	return exec_rc(bfs_fs_batch_begin(data, seq, time_us));
}

static int svc_execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		       uint32_t result_cap, uint32_t *result_len)
{
	int rc = bfs_fs_execute(data, req->op, req->op_len, result, result_cap, result_len);
	if (rc == BFS_OK)
		rc = bfs_fs_reply_put(data, req->client, req->timestamp, result, *result_len);
	return exec_rc(rc);
}

static int svc_batch_end(void *data, uint64_t seq)
{
	return exec_rc(bfs_fs_batch_end(data, seq));
}

/* A tentative batch a view change did not choose: drop its transaction. */
static int svc_batch_abort(void *data, uint64_t seq)
{
	(void)seq;
	bfs_fs_batch_abort(data);
	return BFT_OK;
}

static int svc_execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
			  uint32_t result_cap, uint32_t *result_len)
{
	return exec_rc(bfs_fs_execute_ro(data, req->op, req->op_len, result, result_cap,
					 result_len));
}

/* The digest, and the state as of seq kept for fetchers. */
static int svc_checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	int rc = bfs_fs_checkpoint(data, digest);
	if (rc == BFS_OK)
		rc = bfs_fs_sync(data); /* async mode's sync point */
	if (rc == BFS_OK)
		rc = bfs_fs_snapshot_keep(data, seq);
	return exec_rc(rc);
}

static int svc_children(void *data, uint64_t snap, uint32_t level, uint64_t index,
			uint8_t (*digests)[BFT_DIGEST_LEN])
{
	return to_bft(bfs_fs_children(data, snap, level, index, digests));
}

static int svc_leaf_get(void *data, uint64_t snap, uint64_t index, uint32_t offset,
			uint8_t *buf, uint32_t cap, uint32_t *len, uint32_t *total)
{
	return to_bft(bfs_fs_leaf_get(data, snap, index, offset, buf, cap, len, total));
}

static int svc_leaf_digest(void *data, uint64_t index, const uint8_t *bytes, uint32_t len,
			   uint8_t digest[BFT_DIGEST_LEN])
{
	(void)data;
	return to_bft(bfs_fs_leaf_digest(data, index, bytes, len, digest));
}

static int svc_leaf_put(void *data, uint64_t index, const uint8_t *bytes, uint32_t len)
{
	return to_bft(bfs_fs_leaf_put(data, index, bytes, len));
}

static int svc_transfer_end(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN],
			    uint64_t *time_us)
{
	return exec_rc(bfs_fs_transfer_end(data, seq, digest, time_us));
}

static int svc_snapshot_release(void *data, uint64_t seq)
{
	bfs_fs_snapshot_release(data, seq);
	return BFT_OK;
}

static int svc_reply_get(void *data, uint32_t client, uint64_t *timestamp, uint8_t *result,
			 uint32_t cap, uint32_t *len)
{
	bool found = false;
	int rc = bfs_fs_reply_get(data, client, &found, timestamp, result, cap, len);
	if (rc == BFS_OK && !found) {
		*timestamp = 0;
		*len = 0;
	}
	return to_bft(rc);
}

static int svc_last_batch(void *data, uint64_t *seq, uint64_t *time_us)
{
	return to_bft(bfs_fs_last_batch(data, seq, time_us));
}

void bfs_fs_service(struct bfs_fs *fs, struct bft_service *svc)
{
	_Static_assert(BFS_FS_DIGEST_LEN == BFT_DIGEST_LEN, "one digest size");
	_Static_assert(BFS_FS_LEAF_MAX <= BFT_MAX_LEAF, "a leaf fits the protocol");
	*svc = (struct bft_service){
		.version = BFT_SERVICE_VERSION,
		.data = fs,
		.batch_begin = svc_batch_begin,
		.execute = svc_execute,
		.batch_end = svc_batch_end,
		.batch_abort = svc_batch_abort,
		.execute_ro = svc_execute_ro,
		.checkpoint = svc_checkpoint,
		.tree_fanout = BFS_FS_TREE_FANOUT,
		.tree_depth = BFS_FS_TREE_DEPTH,
		.leaf_max = BFS_FS_LEAF_MAX,
		.children = svc_children,
		.leaf_get = svc_leaf_get,
		.leaf_digest = svc_leaf_digest,
		.leaf_put = svc_leaf_put,
		.transfer_end = svc_transfer_end,
		.snapshot_release = svc_snapshot_release,
		.reply_get = svc_reply_get,
		.last_batch = svc_last_batch,
	};
}
