/*
 * fs_service.c — adapter from the PBFT core's struct bft_service (bft/io.h)
 * to the file system state machine (bfs/fs.h). Translates error
 * conventions (bfs/error.h → BFT_E_SERVICE) and nothing else: no policy,
 * no clock, no logging.
 */
#include "bft/error.h"

#include "bfs/error.h"

#include "bfs/fs_service.h"

static int to_bft(int rc)
{
	return rc == BFS_OK ? BFT_OK : BFT_E_SERVICE;
}

static int svc_batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	return to_bft(bfs_fs_batch_begin(data, seq, time_us));
}

static int svc_execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		       uint32_t result_cap, uint32_t *result_len)
{
	int rc = bfs_fs_execute(data, req->op, req->op_len, result, result_cap, result_len);
	if (rc == BFS_OK)
		rc = bfs_fs_reply_put(data, req->client, req->timestamp, result, *result_len);
	return to_bft(rc);
}

static int svc_batch_end(void *data, uint64_t seq)
{
	return to_bft(bfs_fs_batch_end(data, seq));
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
	return to_bft(bfs_fs_execute_ro(data, req->op, req->op_len, result, result_cap,
					result_len));
}

static int svc_checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	(void)seq;
	return to_bft(bfs_fs_checkpoint(data, digest));
}

void bfs_fs_service(struct bfs_fs *fs, struct bft_service *svc)
{
	*svc = (struct bft_service){
		.version = BFT_SERVICE_VERSION,
		.data = fs,
		.batch_begin = svc_batch_begin,
		.execute = svc_execute,
		.batch_end = svc_batch_end,
		.batch_abort = svc_batch_abort,
		.execute_ro = svc_execute_ro,
		.checkpoint = svc_checkpoint,
	};
}
