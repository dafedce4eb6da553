/*
 * nfs3.c — NFS version 3 (RFC 1813) through nfsproxy: each call's XDR
 * arguments are relayed unchanged to the replicas, whose agreed NFSv3
 * result becomes the reply. The proxy itself answers NULL (§3.3.0),
 * unknown procedures (PROC_UNAVAIL), modifying procedures on a read-only
 * export (NFS3ERR_ROFS, and ACCESS never grants MODIFY, EXTEND or DELETE
 * there), and a full BFT queue (NFS3ERR_JUKEBOX: the client retries).
 *
 * Never decodes or trusts more than it needs: the replicas validate the
 * arguments (GARBAGE_ARGS), the result is what f+1 replicas agreed on.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "nfs3_prot.h"
#include "nfsp.h"

/* Bytes of void attributes after the status of each procedure's resfail
 * (RFC 1813 §3.3): post_op_attr = 4, wcc_data = 8. */
static const uint8_t fail_len[BFS_OP_MAX_PROC + 1] = {
	[NFSPROC3_GETATTR] = 0,  [NFSPROC3_SETATTR] = 8, [NFSPROC3_LOOKUP] = 4,
	[NFSPROC3_ACCESS] = 4,   [NFSPROC3_READLINK] = 4, [NFSPROC3_READ] = 4,
	[NFSPROC3_WRITE] = 8,    [NFSPROC3_CREATE] = 8,  [NFSPROC3_MKDIR] = 8,
	[NFSPROC3_SYMLINK] = 8,  [NFSPROC3_MKNOD] = 8,   [NFSPROC3_REMOVE] = 8,
	[NFSPROC3_RMDIR] = 8,    [NFSPROC3_RENAME] = 16, [NFSPROC3_LINK] = 12,
	[NFSPROC3_READDIR] = 4,  [NFSPROC3_READDIRPLUS] = 4, [NFSPROC3_FSSTAT] = 4,
	[NFSPROC3_FSINFO] = 4,   [NFSPROC3_PATHCONF] = 4, [NFSPROC3_COMMIT] = 8,
};

size_t nfsp_nfs3_error_body(uint32_t proc, uint32_t status, uint8_t *buf)
{
	size_t n = proc <= BFS_OP_MAX_PROC ? fail_len[proc] : 0;

	bfs_put_be32(buf, status);
	memset(buf + 4, 0, n);
	return 4 + n;
}

static void reply_error(struct nfsp_call *c, uint32_t status)
{
	uint8_t body[20];

	nfsp_reply(c, body, nfsp_nfs3_error_body(c->proc, status, body));
}

static void on_result(struct nfsp_call *c, int status, uint32_t accept, const uint8_t *res,
		      uint32_t len)
{
	(void)status;
	(void)accept;
	if (c->exp->read_only && c->proc == NFSPROC3_ACCESS && len >= 8 &&
	    len <= sizeof(c->srv->scratch) && bfs_get_be32(res) == NFS3_OK) {
		uint8_t *copy = c->srv->scratch, *last = copy + len - 4; /* .access */

		memcpy(copy, res, len);
		bfs_put_be32(last, bfs_get_be32(last) &
			     ~(uint32_t)(ACCESS3_MODIFY | ACCESS3_EXTEND | ACCESS3_DELETE));
		res = copy;
	}
	nfsp_reply(c, res, len);
}

void nfsp_nfs3_call(struct nfsp_call *c)
{
	bool busy;

	if (c->proc > BFS_OP_MAX_PROC) {
		nfsp_reply_accept(c, RPC_ACC_PROC_UNAVAIL);
		return;
	}
	if (c->proc == NFSPROC3_NULL) {
		nfsp_reply(c, NULL, 0);
		return;
	}
	if (c->exp->read_only && !bfs_op_proc_read_only(c->proc, BFS_ATIME_RELAXED)) {
		reply_error(c, NFS3ERR_ROFS);
		return;
	}
	if (!nfsp_relay(c, c->proc, NULL, NULL, c->args, c->args_len, on_result, &busy))
		reply_error(c, busy ? NFS3ERR_JUKEBOX : NFS3ERR_INVAL);
}
