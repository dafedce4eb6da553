/*
 * relay.c — one NFS call becomes one BFT request (DESIGN.md "nfsproxy"):
 * the BFS operation header of bfs/op.h (NFSv3 procedure, read-only flag,
 * the caller's AUTH_SYS credential after squashing) followed by the NFSv3
 * XDR arguments of RFC 1813, submitted with bft_client_submit; the agreed
 * result's accept status (RFC 5531 accept_stat) becomes the RPC reply's.
 *
 * Read-only procedures (bfs_op_proc_read_only in the configured atime
 * mode) use PBFT's read-only path. Never blocks: the callback runs on the
 * loop when the request completes, in whatever order requests complete.
 */
#include <errno.h>
#include <string.h>

#include "bfs/error.h"
#include "bfs/op_xdr.h"
#include "bft/error.h"
#include "bft/net.h"
#include "nfsp.h"

bool nfsp_proc3_read_only(const struct nfsp *s, uint32_t proc)
{
	return bfs_op_proc_read_only(proc, s->conf.atime);
}

static void on_done(void *arg, int status, const uint8_t *result, uint32_t len)
{
	struct nfsp_call *c = arg;
	struct nfsp *s = c->srv;
	uint32_t accept = 0;

	if (status < 0) {
		if (status != -ECANCELED)
			bft_logf(s->log, BFT_LOG_WARN, "nfsproxy: program %u v%u procedure %u "
				 "failed: %s", c->prog, c->vers, c->proc, bft_net_strerror(status));
		if (s->stopping)
			nfsp_call_free(c);
		else
			nfsp_reply_accept(c, RPC_ACC_SYSTEM_ERR);
		return;
	}
	if (bfs_result_get_accept(result, len, &accept) != BFS_OK ||
	    accept > BFS_ACCEPT_SYSTEM_ERR || accept == RPC_ACC_PROG_MISMATCH) {
		bft_logf(s->log, BFT_LOG_ERROR, "nfsproxy: the cluster returned a malformed "
			 "result (%u bytes) for procedure %u", len, c->proc);
		nfsp_reply_accept(c, RPC_ACC_SYSTEM_ERR);
		return;
	}
	if (accept != BFS_ACCEPT_SUCCESS) {
		nfsp_reply_accept(c, accept);
		return;
	}
	c->on_result(c, 0, accept, result + BFS_RESULT_HDR, len - BFS_RESULT_HDR);
}

bool nfsp_relay(struct nfsp_call *c, uint32_t proc, xdrproc_t xdr_args, const void *args,
		const uint8_t *raw, uint32_t raw_len, nfsp_result_fn on_result, bool *busy)
{
	struct nfsp *s = c->srv;
	bool ro = nfsp_proc3_read_only(s, proc);
	struct bfs_op_hdr h = { .proc = (uint16_t)proc, .flags = ro ? BFS_OP_READ_ONLY : 0,
				.cred = c->cred };
	size_t len = 0;
	int rc;

	*busy = false;
	if (xdr_args) {
		rc = bfs_op_encode(&h, xdr_args, args, s->op, sizeof(s->op), &len);
	} else {
		rc = bfs_op_hdr_encode(&h, s->op, sizeof(s->op), &len);
		if (rc == BFS_OK && raw_len > sizeof(s->op) - len)
			rc = BFS_E_SPACE;
		if (rc == BFS_OK) {
			if (raw_len)
				memcpy(s->op + len, raw, raw_len);
			len += raw_len;
		}
	}
	if (rc != BFS_OK)
		return false;
	c->on_result = on_result;
	rc = bft_client_submit(s->client, s->op, (uint32_t)len, ro, on_done, c);
	if (rc == BFT_E_BUSY) {
		nfsp_warn(s, "nfsproxy: the BFT client queue is full; asking clients to retry");
		*busy = true;
	}
	return rc == 0;
}
