/*
 * rpc_tcp.h — an asynchronous ONC RPC version 2 client (RFC 5531) over one
 * TCP connection on the bft loop, for bfs-mount's nfs:// backend: calls
 * with AUTH_SYS credentials (appendix A), record marking (§11), replies
 * matched to calls by xid, any number of calls outstanding.
 *
 * Never blocks: connecting, sending and receiving happen on loop events.
 * A reply's length is bounded (FC_RPC_MAX_RECORD); a connection that
 * breaks, or sends something that is not a well-formed reply, fails every
 * call it carries (-EIO, or -ECONNREFUSED when the connection was never
 * established) and stays dead: the owner opens a new one.
 */
#ifndef FC_RPC_TCP_H
#define FC_RPC_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "bft/net.h"
#include "fc.h"

#define FC_RPC_MAX_RECORD (2u * 1024u * 1024u)

struct fc_rpc;

/* Start connecting to addr for program prog, version vers; calls may be
 * made at once (they wait for the connection). *out is the caller's,
 * released with fc_rpc_close(). */
int fc_rpc_open(struct bft_loop *loop, struct bft_log *log, const struct bft_addr *addr,
		uint32_t prog, uint32_t vers, struct fc_rpc **out);

/* Call proc with args[len] (XDR, copied) as cred (AUTH_SYS). cb gets the
 * procedure's XDR result (accept status SUCCESS), or -EIO / -ECONNREFUSED
 * for a broken connection, -EPROTONOSUPPORT when the server does not offer
 * the program, version or procedure, -EACCES when it refused the
 * credential, -EINVAL for GARBAGE_ARGS. -EPIPE if the connection is dead. */
int fc_rpc_call(struct fc_rpc *r, uint32_t proc, const struct bfs_cred *cred,
		const uint8_t *args, uint32_t len, fc_backend_cb cb, void *arg);

bool fc_rpc_dead(const struct fc_rpc *r);

/* Fail pending calls with -ECANCELED and free r (deferred while one of
 * r's own callbacks is running). NULL is a no-op. */
void fc_rpc_close(struct fc_rpc *r);

#endif
