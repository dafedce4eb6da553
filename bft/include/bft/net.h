/*
 * bft/net.h — the real transport under the pure cores: UDP addresses, one
 * UDP socket per node on the event loop (bft/loop.h), and a struct bft_io
 * (bft/io.h) on top of them.
 *
 * DESIGN.md "Transport": a message is at most one datagram (BFT_MAX_MSG);
 * IPv4 and IPv6. The transport drops, counts and logs (rate-limited, naming
 * the sender's address) datagrams that are oversized, shorter than a header,
 * of another wire version or whose length field disagrees with their size.
 * It maps a source address to a node id only to name it in log lines:
 * authentication is the core's job, never the transport's.
 *
 * Error convention of the runtime library bft_net (loop, log, net, config,
 * client): functions return 0, a negative BFT_E_* code (bft/error.h) or a
 * negative errno when the operating system refused (the BFT_E_* range can
 * never collide with errno values). bft_net_strerror() names either.
 *
 * Not thread-safe: a net and its netios belong to their loop's thread.
 */
#ifndef BFT_NET_H
#define BFT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bft/io.h"
#include "bft/log.h"
#include "bft/loop.h"

/* bft_strerror() for BFT_E_* codes, strerror() for negative errno values. */
const char *bft_net_strerror(int err);

/* ---- addresses ---- */

#define BFT_ADDR_STRLEN 64 /* "[ffff:...:ffff%ifname]:65535" fits */

struct bft_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parse "host:port" or "[ipv6]:port" (port 1..65535). Numeric addresses are
 * taken as they are; names are resolved with getaddrinfo (first UDP
 * result). BFT_E_INVAL for bad syntax, BFT_E_PEER if the name does not
 * resolve. */
int bft_addr_parse(const char *s, struct bft_addr *out);
/* "1.2.3.4:5" or "[::1]:5" into buf (BFT_ADDR_STRLEN bytes is enough). */
void bft_addr_format(const struct bft_addr *a, char *buf, size_t len);
bool bft_addr_equal(const struct bft_addr *a, const struct bft_addr *b);

/* ---- the UDP endpoint of one node ---- */

struct bft_net;

/* A datagram passed the transport's checks (it is not authenticated).
 * buf is valid during the call only. */
typedef void (*bft_net_recv_fn)(void *data, const uint8_t *buf, size_t len,
				const struct bft_addr *from);

struct bft_net_config {
	struct bft_addr bind;         /* local address (the node's own) */
	const struct bft_addr *peers; /* node id -> address, n_nodes entries;
					 copied by bft_net_new */
	uint32_t n_nodes;
	uint32_t sockbuf;             /* SO_RCVBUF/SO_SNDBUF wish (0: 4 MiB) */
	struct bft_log *log;          /* borrowed; may be NULL */
	const char *name;             /* prefix of log lines, e.g. "replica 2" */
};

struct bft_net_stats {
	uint64_t rx, tx;
	uint64_t rx_malformed;  /* short, wrong version, bad length field */
	uint64_t rx_oversize;   /* truncated: larger than BFT_MAX_MSG */
	uint64_t tx_errors;     /* sendto failed (buffer full, unreachable) */
	uint64_t tx_no_peer;    /* destination id outside the table */
};

/* Open, configure and bind the socket and register it with loop. The loop,
 * log and recv target are borrowed and must outlive the net. */
int bft_net_new(struct bft_loop *loop, const struct bft_net_config *cfg,
		bft_net_recv_fn recv, void *data, struct bft_net **out);
void bft_net_free(struct bft_net *net); /* NULL is a no-op */

/* Best effort: failures are counted, never reported. While the net is
 * corked the datagram is copied and queued; it leaves when the last cork is
 * released. */
void bft_net_send(struct bft_net *net, uint32_t to, const uint8_t *buf, size_t len);
void bft_net_send_addr(struct bft_net *net, const struct bft_addr *to,
		       const uint8_t *buf, size_t len);

/* Cork (nestable) / uncork: sends in between leave together, in one
 * sendmmsg, at the last uncork. The receive path corks around each burst;
 * callers cork around other callbacks that may send several datagrams.
 * Every cork must be matched before control returns to the loop. */
void bft_net_cork(struct bft_net *net);
void bft_net_uncork(struct bft_net *net);

void bft_net_get_stats(const struct bft_net *net, struct bft_net_stats *out);
/* The socket's bound address (useful with port 0). */
int bft_net_local_addr(const struct bft_net *net, struct bft_addr *out);
struct bft_log *bft_net_log(const struct bft_net *net);
struct bft_loop *bft_net_loop(const struct bft_net *net);

/* ---- struct bft_io on a net ----
 *
 * send = bft_net_send, set_timer = loop timers, now_us = CLOCK_REALTIME,
 * log = bft_log_line. Several netios may share one net (the client runtime
 * drives one client core per logical client id over one socket).
 */
typedef void (*bft_netio_timer_fn)(void *data, enum bft_timer which);

struct bft_netio_timer {
	struct bft_loop_timer t;
	struct bft_netio *owner;
	enum bft_timer which;
};

struct bft_netio {
	struct bft_io io;        /* hand &nio->io to the core */
	struct bft_net *net;     /* borrowed */
	bft_netio_timer_fn on_timer;
	void *data;
	struct bft_netio_timer timers[BFT_TIMER_COUNT];
	/* io->persist, if set with bft_netio_set_persist (bft/io.h). */
	int (*persist)(void *arg, uint8_t kind, uint64_t seq, const uint8_t *buf,
		       size_t len);
	void *persist_arg;
};

/* Give the core a durable protocol log: io->persist calls fn(arg, ...). */
void bft_netio_set_persist(struct bft_netio *nio,
			   int (*fn)(void *arg, uint8_t kind, uint64_t seq,
				     const uint8_t *buf, size_t len),
			   void *arg);

/* Fill nio; on_timer(data, which) is called when a core's timer fires. */
void bft_netio_init(struct bft_netio *nio, struct bft_net *net,
		    bft_netio_timer_fn on_timer, void *data);
/* Cancel every armed timer of nio. */
void bft_netio_fini(struct bft_netio *nio);

/* CLOCK_REALTIME in microseconds since the epoch. */
uint64_t bft_net_realtime_us(void);

#endif
