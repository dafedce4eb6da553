/*
 * udp_send.c — the send side of a node's UDP endpoint (bft/net.h): sends
 * made while the net is corked are copied into an arena and leave together
 * in one sendmmsg when the last cork is released; messages to the same
 * address travel as one bundle datagram (udp_internal.h).
 *
 * Why: on this kind of host a system call costs ~1 µs and each datagram's
 * kernel path (allocation, loopback delivery, waking the receiver) several
 * more; a replica executing a batch sends one REPLY per request to the same
 * client process, a primary a PRE-PREPARE to every backup. One call and, per
 * destination, one datagram, is what the measurements (doc/design.md,
 * "Performance") asked for.
 *
 * Must never hold a message past the uncork that ends its burst, never make
 * a datagram larger than BFT_MAX_MSG, and never block (a full socket buffer
 * drops the datagram: the cores retransmit).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "udp_internal.h"

int net_tx_init(struct bft_net *net)
{
	uint32_t i;

	net->arena = malloc(NET_TX_ARENA);
	net->txq = calloc(NET_TX_BATCH, sizeof(*net->txq));
	if (!net->arena || !net->txq)
		return BFT_E_NOMEM;
	for (i = 0; i < NET_TX_BATCH; i++)
		net->tx[i].msg_hdr = (struct msghdr){ .msg_name = &net->txq[i].to.ss };
	return BFT_OK;
}

void net_tx_fini(struct bft_net *net)
{
	free(net->arena);
	free(net->txq);
	net->arena = NULL;
	net->txq = NULL;
}

static void send_now(struct bft_net *net, const struct bft_addr *to, const uint8_t *buf,
		     size_t len)
{
	if (sendto(net->fd, buf, len, 0, (const struct sockaddr *)&to->ss, to->len) < 0) {
		net->st.tx_errors++;
		return;
	}
	net->st.tx++;
}

/* Point tx[i]'s header at the queued datagram: the lone message, or the
 * bundle header followed by its messages. */
static void prepare_header(struct bft_net *net, uint32_t i)
{
	struct net_tx *d = &net->txq[i];
	struct msghdr *h = &net->tx[i].msg_hdr;

	h->msg_namelen = d->to.len;
	if (d->n_msgs == 1) {
		h->msg_iov = &d->iov[1];
		h->msg_iovlen = 1;
		return;
	}
	d->hdr[0] = NET_BUNDLE_MAGIC;
	d->hdr[1] = NET_BUNDLE_VERSION;
	d->hdr[2] = (uint8_t)d->n_msgs;
	d->hdr[3] = (uint8_t)(d->n_msgs >> 8);
	d->iov[0] = (struct iovec){ .iov_base = d->hdr, .iov_len = NET_BUNDLE_HDR };
	h->msg_iov = d->iov;
	h->msg_iovlen = d->n_msgs + 1;
}

/* Send everything queued: one sendmmsg per run of successes; a datagram
 * the kernel refuses is counted (as each of its messages) and skipped. */
static void flush(struct bft_net *net)
{
	uint32_t i = 0;

	for (i = 0; i < net->n_tx; i++)
		prepare_header(net, i);
	i = 0;
	while (i < net->n_tx) {
		int r = sendmmsg(net->fd, net->tx + i, net->n_tx - i, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			net->st.tx_errors += net->txq[i].n_msgs;
			i++;
			continue;
		}
		for (; r > 0; r--, i++)
			net->st.tx += net->txq[i].n_msgs;
	}
	net->n_tx = 0;
	net->arena_used = 0;
}

void bft_net_cork(struct bft_net *net)
{
	net->cork++;
}

void bft_net_uncork(struct bft_net *net)
{
	if (net->cork && --net->cork == 0)
		flush(net);
}

/* The queued datagram to `to` that can take len more bytes, or NULL. The
 * newest first: a burst's destinations are few and recent. */
static struct net_tx *find_bundle(struct bft_net *net, const struct bft_addr *to,
				  size_t len)
{
	uint32_t i;

	for (i = net->n_tx; i-- > 0;) {
		struct net_tx *d = &net->txq[i];

		if (!bft_addr_equal(&d->to, to))
			continue;
		if (d->n_msgs < NET_BUNDLE_MAX &&
		    NET_BUNDLE_HDR + d->bytes + len <= BFT_MAX_MSG)
			return d;
		return NULL; /* full: a new datagram after it keeps the order */
	}
	return NULL;
}

void bft_net_send_addr(struct bft_net *net, const struct bft_addr *to,
		       const uint8_t *buf, size_t len)
{
	struct net_tx *d;
	uint8_t *copy;

	if (!net->cork || len > BFT_MAX_MSG) {
		send_now(net, to, buf, len);
		return;
	}
	if (net->arena_used + len > NET_TX_ARENA)
		flush(net);
	d = find_bundle(net, to, len);
	if (!d) {
		if (net->n_tx == NET_TX_BATCH)
			flush(net);
		d = &net->txq[net->n_tx++];
		d->to = *to;
		d->n_msgs = 0;
		d->bytes = 0;
	}
	copy = net->arena + net->arena_used;
	memcpy(copy, buf, len);
	net->arena_used += len;
	d->iov[++d->n_msgs] = (struct iovec){ .iov_base = copy, .iov_len = len };
	d->bytes += len;
}

void bft_net_send(struct bft_net *net, uint32_t to, const uint8_t *buf, size_t len)
{
	if (to >= net->n_nodes || net->peers[to].len == 0) {
		net->st.tx_no_peer++;
		return;
	}
	bft_net_send_addr(net, &net->peers[to], buf, len);
}
