/*
 * nfsp.h — nfsproxy's internal types: the server, TCP connections, RPC
 * calls in flight, and the functions the modules offer each other.
 *
 * The relay (DESIGN.md "Interfaces to the outside world"): we own the
 * sockets on our bft_loop (TCP with RFC 5531 §11 record marking, UDP
 * datagrams), decode RPC call headers ourselves (rpc.c, bounded), and turn
 * each NFS call into one BFT request (bft/client.h). Replies leave whenever
 * their request completes, in any order: a slow call never stalls others.
 *
 * Ownership: a call owns its record buffer; a connection lives until it is
 * closed AND no call refers to it (refs), so a reply for a client that went
 * away finds conn->dead and is dropped instead of touching freed memory.
 * Everything runs on the loop's thread; nothing here is thread-safe.
 */
#ifndef NFSP_H
#define NFSP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rpc/rpc.h>

#include "bfs/op.h"
#include "bft/client.h"
#include "bft/log.h"
#include "bft/loop.h"
#include "nfsp/conf.h"

#define NFS_PROG 100003u
#define MOUNT_PROG 100005u
#define NFSP_REPLY_HDR 24u          /* xid, REPLY, ACCEPTED, null verifier, stat */
#define NFSP_MARK 4u                /* TCP record mark */
#define NFSP_SCRATCH (128u * 1024u) /* encoding scratch: any one reply */
#define NFSP_UDP_MAX 65507u
#define NFSP_IN_CHUNK (64u * 1024u)

/* RFC 5531 §9 accept_stat, reject_stat, auth_stat (the values we send). */
enum { RPC_ACC_SUCCESS = 0, RPC_ACC_PROG_UNAVAIL = 1, RPC_ACC_PROG_MISMATCH = 2,
       RPC_ACC_PROC_UNAVAIL = 3, RPC_ACC_GARBAGE_ARGS = 4, RPC_ACC_SYSTEM_ERR = 5 };
enum { RPC_AUTH_BADCRED = 1, RPC_AUTH_TOOWEAK = 5 };

struct nfsp;
struct nfsp_call;

struct nfsp_out {                   /* one queued reply */
	struct nfsp_out *next;
	size_t len, off;
	uint8_t data[];
};

struct nfsp_conn {
	struct nfsp *srv;
	int fd;
	bool dead;                      /* closed; freed when refs drops to 0 */
	bool paused;                    /* not reading: too much in flight */
	uint32_t refs;                  /* calls in flight + a running handler */
	uint32_t calls;                 /* calls in flight from this connection */
	uint32_t queued;                /* replies waiting in out */
	uint32_t events;                /* what the loop watches */
	struct bft_loop_timer resume;   /* parse buffered input after a pause */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char name[64];                  /* "1.2.3.4:567" for log lines */
	/* record marking (RFC 5531 §11) */
	uint8_t *in;                    /* NFSP_IN_CHUNK bytes read, not parsed */
	uint32_t in_off, in_len;
	uint8_t mark[4];
	uint32_t mark_got, frag_left;
	bool last_frag;
	uint8_t *rec;                   /* the record being assembled */
	uint32_t rec_len, rec_cap;
	struct nfsp_out *out, *out_tail;
	struct nfsp_conn *prev, *next;
};

struct nfsp_sock {                  /* a listening TCP or a UDP socket */
	struct nfsp *srv;
	int fd;
	bool udp;
	uint16_t port;
};

/* What happens when a call's BFT request completes (accept status and the
 * NFSv3 result bytes after it; status < 0 if the request failed). */
typedef void (*nfsp_result_fn)(struct nfsp_call *c, int status, uint32_t accept,
			       const uint8_t *res, uint32_t len);

struct nfsp_mount_walk;

struct nfsp_call {
	struct nfsp *srv;
	struct nfsp_conn *conn;         /* TCP, or NULL */
	struct nfsp_sock *udp;          /* UDP socket, or NULL */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	const struct nfsp_export *exp;  /* the caller's rights */
	uint8_t *rec;                   /* the whole call record (owned) */
	uint32_t rec_len;
	const uint8_t *args;            /* procedure arguments inside rec */
	uint32_t args_len;
	uint32_t xid, prog, vers, proc;
	struct bfs_cred cred;           /* after squashing */
	bool cred_is_root;              /* uid 0 before squashing */
	nfsp_result_fn on_result;
	struct nfsp_mount_walk *walk;   /* MOUNT MNT state */
	uint64_t start_us;
	struct nfsp_call *prev, *next;
};

struct nfsp_mount_entry {
	char host[64];
	char dir[NFSP_PATH_MAX + 1];
};

struct nfsp {
	struct nfsp_conf conf;
	struct bft_loop *loop;
	struct bft_log *log;
	struct bft_client *client;
	struct nfsp_sock socks[8];
	uint32_t n_socks;
	struct nfsp_conn *conns;
	uint32_t n_conns;
	struct nfsp_call *calls;        /* in flight */
	uint32_t n_calls, udp_calls;
	bool stopping;
	bool registered;                /* with rpcbind */
	struct bft_loop_timer stop_timer;
	struct nfsp_mount_entry *mounts; /* MOUNT DUMP list, bounded */
	uint32_t n_mounts;
	uint64_t stat_calls, stat_dropped;
	uint64_t last_warn_ms;
	uint8_t op[BFT_MAX_OP];         /* request encoding scratch */
	uint8_t scratch[NFSP_SCRATCH];  /* reply encoding scratch */
};

/* ---- tcp.c / udp.c: transports ---- */
/* A bound socket of type SOCK_STREAM (listening) or SOCK_DGRAM on a numeric
 * addr:port; *out is the caller's. Errors follow bft/net.h. */
int nfsp_bind(const char *addr, uint16_t port, int type, int *out);
int nfsp_tcp_listen(struct nfsp *s, const char *addr, uint16_t port);
int nfsp_udp_open(struct nfsp *s, const char *addr, uint16_t port);
/* Queue reply bytes (record mark included) on a live connection. */
void nfsp_conn_send(struct nfsp_conn *c, struct nfsp_out *o);
/* A call of c finished (its reply queued or dropped). */
void nfsp_conn_release(struct nfsp_conn *c);
void nfsp_conn_close(struct nfsp_conn *c, const char *why);
/* Stop reading every connection and socket (graceful shutdown). */
void nfsp_transport_quiesce(struct nfsp *s);
void nfsp_transport_close_all(struct nfsp *s);
void nfsp_udp_send(struct nfsp_sock *u, const struct sockaddr_storage *to, socklen_t len,
		   const uint8_t *buf, size_t n);

/* ---- rpc.c: RFC 5531 call headers and replies ---- */
/* Take ownership of one call record from a transport and handle it. */
void nfsp_rpc_record(struct nfsp *s, struct nfsp_conn *conn, struct nfsp_sock *udp,
		     const struct sockaddr_storage *peer, socklen_t peer_len,
		     uint8_t *rec, uint32_t len);
/* Reply SUCCESS with body[len] (already XDR) and free the call. */
void nfsp_reply(struct nfsp_call *c, const void *body, size_t len);
/* Reply SUCCESS with res encoded by xdr_res; SYSTEM_ERR if it cannot be. */
void nfsp_reply_xdr(struct nfsp_call *c, xdrproc_t xdr_res, const void *res);
/* Reply an accept status other than SUCCESS (GARBAGE_ARGS, ...). */
void nfsp_reply_accept(struct nfsp_call *c, uint32_t accept);
/* Drop the call without a reply (shutdown, or its client went away). */
void nfsp_call_free(struct nfsp_call *c);
/* "1.2.3.4" (no port) of a call's peer. */
void nfsp_peer_host(const struct sockaddr_storage *ss, char *buf, size_t len);
void nfsp_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len);

/* ---- relay.c: one BFT request per call ---- */
/* Submit NFSv3 procedure proc with the call's credential: the op is the
 * header + args (xdr_args over args, or raw bytes when xdr_args is NULL).
 * on_result runs when it completes. Returns false (having replied
 * nothing) if it could not be submitted: *busy says the queue was full. */
bool nfsp_relay(struct nfsp_call *c, uint32_t proc, xdrproc_t xdr_args, const void *args,
		const uint8_t *raw, uint32_t raw_len, nfsp_result_fn on_result, bool *busy);
bool nfsp_proc3_read_only(const struct nfsp *s, uint32_t proc);

/* ---- nfs3.c, nfs2.c, mount.c: the programs ---- */
void nfsp_nfs3_call(struct nfsp_call *c);
void nfsp_nfs2_call(struct nfsp_call *c);
void nfsp_mount_call(struct nfsp_call *c);
/* An NFSv3 error result for proc: status, then void attributes (RFC 1813
 * resfail bodies) — into buf (at least 20 bytes); returns its length. */
size_t nfsp_nfs3_error_body(uint32_t proc, uint32_t status, uint8_t *buf);
void nfsp_mount_free_walk(struct nfsp_call *c);

/* ---- rpcbind.c ---- */
void nfsp_rpcbind_register(struct nfsp *s);
void nfsp_rpcbind_unregister(struct nfsp *s);

/* Rate-limited warning (at most one line per second). */
void nfsp_warn(struct nfsp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
