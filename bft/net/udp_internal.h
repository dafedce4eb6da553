/*
 * udp_internal.h — the state of one node's UDP endpoint (struct bft_net),
 * shared by udp.c (socket, receive path, checks) and udp_send.c (the send
 * queue and bundles). Private to bft/net.
 *
 * Bundles (a transport framing, not a protocol message; OSDI '99 §5.1.4
 * batches requests inside the protocol, this batches datagrams under it):
 * while the net is corked, messages to the same address are packed into one
 * datagram
 *     u8 NET_BUNDLE_MAGIC, u8 NET_BUNDLE_VERSION, u16le count (2..NET_BUNDLE_MAX),
 *     then count whole messages back to back,
 * each message delimited by the length field of its own header
 * (messages.h). The magic differs from BFT_WIRE_VERSION, so a bundle can
 * never be taken for a message. Each message is checked like a datagram of
 * its own and then authenticated by the core as usual: a bundle grants its
 * sender nothing it could not get with separate datagrams.
 */
#ifndef BFT_NET_UDP_INTERNAL_H
#define BFT_NET_UDP_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>

#include "bft/messages.h"
#include "bft/net.h"

#define NET_BUNDLE_MAGIC 0xb5u
#define NET_BUNDLE_VERSION 1u
#define NET_BUNDLE_HDR 4u
#define NET_BUNDLE_MAX 64u        /* messages in one bundle */

#define NET_RX_BATCH 16           /* datagrams per recvmmsg */
#define NET_RX_SLOT (BFT_MAX_MSG + 1)
#define NET_TX_BATCH 64           /* queued datagrams per sendmmsg */
#define NET_TX_ARENA (512u << 10) /* bytes of queued messages */

/* One queued datagram: a message, or a bundle of messages to one address. */
struct net_tx {
	struct bft_addr to;
	uint32_t n_msgs;
	size_t bytes;                          /* of the messages */
	uint8_t hdr[NET_BUNDLE_HDR];           /* written at flush if n_msgs > 1 */
	struct iovec iov[NET_BUNDLE_MAX + 1];  /* [0]: hdr, then the messages */
};

struct bft_net {
	int fd;
	struct bft_loop *loop;
	struct bft_log *log;
	char name[48];
	struct bft_addr *peers;
	uint32_t n_nodes;
	bft_net_recv_fn recv;
	void *data;
	struct bft_net_stats st;
	uint64_t drop_log_at;   /* monotonic ms of the last drop log line */
	uint64_t drop_quiet;    /* drops not logged since */

	/* receive batch: NET_RX_BATCH slots of NET_RX_SLOT bytes */
	uint8_t *rxbuf;
	struct mmsghdr rx[NET_RX_BATCH];
	struct iovec rxiov[NET_RX_BATCH];
	struct bft_addr rxfrom[NET_RX_BATCH];

	/* send queue while corked (depth > 0) */
	unsigned cork;
	uint32_t n_tx;
	size_t arena_used;
	uint8_t *arena;              /* NET_TX_ARENA: copies of queued messages */
	struct net_tx *txq;          /* NET_TX_BATCH */
	struct mmsghdr tx[NET_TX_BATCH];
};

/* udp_send.c: allocate / release the send queue. */
int net_tx_init(struct bft_net *net);
void net_tx_fini(struct bft_net *net);

#endif
