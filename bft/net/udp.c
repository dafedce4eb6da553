/*
 * udp.c — one node's UDP socket on the event loop (bft/net.h).
 *
 * DESIGN.md "Transport": one message per datagram, at most BFT_MAX_MSG bytes
 * (messages.h). The receive path does only the cheapest checks — size,
 * header version and the header's length field (messages.h wire format) —
 * and hands everything else to the core, which authenticates. Rejected
 * datagrams are counted and logged at most once per second per net, naming
 * the source address (and the node configured at that address, if any).
 *
 * System calls dominate the cost of a message on this kind of host (a
 * syscall ~1 µs, a send+receive pair ~6 µs, measured in a PVM guest), so
 * datagrams are received in batches (recvmmsg: one call per burst, and no
 * extra call to discover an empty queue when a batch comes back short), the
 * burst's sends leave together (udp_send.c) and bundles are unpacked here
 * (udp_internal.h).
 *
 * Must never trust a datagram's claimed sender, never allocate per
 * datagram, never hold a queued send past the end of the burst or callback
 * that queued it, and never block: the socket is non-blocking and a full
 * send buffer drops the message (the cores retransmit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "bft/net.h"
#include "udp_internal.h"

#define NET_DEFAULT_SOCKBUF (4u << 20)
#define NET_RX_ROUNDS 4        /* recvmmsg calls per readiness event, then yield */

uint64_t bft_net_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void raise_buf(int fd, int opt_force, int opt, uint32_t bytes)
{
	int v = (int)bytes;

	/* FORCE ignores net.core.[rw]mem_max (needs CAP_NET_ADMIN); the
	 * plain option is capped by it. Either way best effort. */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static int open_socket(const struct bft_addr *bind_to, uint32_t sockbuf)
{
	int fd = socket(bind_to->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	raise_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, sockbuf);
	raise_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, sockbuf);
	if (bind(fd, (const struct sockaddr *)&bind_to->ss, bind_to->len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* "node 3 at 127.0.0.1:7003" or "unknown sender 10.0.0.9:4000". */
static void name_sender(const struct bft_net *net, const struct bft_addr *from,
			char *buf, size_t len)
{
	char a[BFT_ADDR_STRLEN];
	uint32_t i;

	bft_addr_format(from, a, sizeof(a));
	for (i = 0; i < net->n_nodes; i++) {
		if (bft_addr_equal(&net->peers[i], from)) {
			snprintf(buf, len, "node %u at %s", i, a);
			return;
		}
	}
	snprintf(buf, len, "unknown sender %s", a);
}

static void drop(struct bft_net *net, const struct bft_addr *from, size_t len,
		 const char *why)
{
	uint64_t now = bft_loop_now_ms();
	char who[BFT_ADDR_STRLEN + 32];

	if (net->drop_log_at && now - net->drop_log_at < 1000) {
		net->drop_quiet++;
		return;
	}
	name_sender(net, from, who, sizeof(who));
	bft_logf(net->log, BFT_LOG_WARN,
		 "%s: dropped %zu-byte datagram from %s: %s (%llu more dropped since the "
		 "last report; totals: %llu malformed, %llu oversized)",
		 net->name, len, who, why, (unsigned long long)net->drop_quiet,
		 (unsigned long long)net->st.rx_malformed,
		 (unsigned long long)net->st.rx_oversize);
	net->drop_log_at = now;
	net->drop_quiet = 0;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The transport's checks (messages.h header: u8 version at 0, u32 length
 * at 8); returns NULL when the datagram may go to the core. */
static const char *check_datagram(struct bft_net *net, const uint8_t *buf, ssize_t n,
				  int flags)
{
	if ((flags & MSG_TRUNC) || n > (ssize_t)BFT_MAX_MSG) {
		net->st.rx_oversize++;
		return "larger than the maximum message";
	}
	if (n < (ssize_t)BFT_HDR_LEN) {
		net->st.rx_malformed++;
		return "shorter than a message header";
	}
	if (buf[0] != BFT_WIRE_VERSION) {
		net->st.rx_malformed++;
		return "unknown wire version";
	}
	if (get_le32(buf + 8) != (uint32_t)n) {
		net->st.rx_malformed++;
		return "length field does not match the datagram";
	}
	return NULL;
}

/* Check every message of a bundle (udp_internal.h) before any is used;
 * returns NULL when the whole bundle may go to the core. */
static const char *check_bundle(struct bft_net *net, const uint8_t *buf, size_t n,
				int flags)
{
	uint32_t count, i;
	size_t off = NET_BUNDLE_HDR;

	if ((flags & MSG_TRUNC) || n > BFT_MAX_MSG) {
		net->st.rx_oversize++;
		return "larger than the maximum message";
	}
	if (n < NET_BUNDLE_HDR || buf[1] != NET_BUNDLE_VERSION)
		goto bad;
	count = (uint32_t)buf[2] | (uint32_t)buf[3] << 8;
	if (count < 2 || count > NET_BUNDLE_MAX)
		goto bad;
	for (i = 0; i < count; i++) {
		uint32_t len;

		if (n - off < BFT_HDR_LEN || buf[off] != BFT_WIRE_VERSION)
			goto bad;
		len = get_le32(buf + off + 8);
		if (len < BFT_HDR_LEN || len > n - off)
			goto bad;
		off += len;
	}
	if (off == n)
		return NULL;
bad:
	net->st.rx_malformed++;
	return "malformed bundle";
}

static void deliver_bundle(struct bft_net *net, const uint8_t *buf, size_t n,
			   const struct bft_addr *from)
{
	size_t off = NET_BUNDLE_HDR;

	while (off < n) {
		uint32_t len = get_le32(buf + off + 8);

		net->st.rx++;
		net->recv(net->data, buf + off, len, from);
		off += len;
	}
}

/* Hand the i-th datagram of a receive batch to the core, or drop it. */
static void deliver(struct bft_net *net, unsigned i)
{
	struct bft_addr *from = &net->rxfrom[i];
	const uint8_t *buf = net->rxbuf + (size_t)i * NET_RX_SLOT;
	ssize_t n = (ssize_t)net->rx[i].msg_len;
	int flags = net->rx[i].msg_hdr.msg_flags;
	bool bundle = n > 0 && buf[0] == NET_BUNDLE_MAGIC;
	const char *why;

	from->len = net->rx[i].msg_hdr.msg_namelen;
	why = bundle ? check_bundle(net, buf, (size_t)n, flags)
		     : check_datagram(net, buf, n, flags);
	if (why) {
		drop(net, from, (size_t)n, why);
		return;
	}
	if (bundle) {
		deliver_bundle(net, buf, (size_t)n, from);
		return;
	}
	net->st.rx++;
	net->recv(net->data, buf, (size_t)n, from);
}

static int receive_batch(struct bft_net *net)
{
	unsigned i;

	for (i = 0; i < NET_RX_BATCH; i++) {
		net->rx[i].msg_hdr.msg_namelen = sizeof(net->rxfrom[i].ss);
		net->rx[i].msg_hdr.msg_flags = 0;
	}
	return recvmmsg(net->fd, net->rx, NET_RX_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
}

static void on_readable(void *data, uint32_t events)
{
	struct bft_net *net = data;
	int round, got, i;

	(void)events;
	for (round = 0; round < NET_RX_ROUNDS; round++) {
		got = receive_batch(net);
		if (got <= 0)
			return; /* EAGAIN, or a queued ICMP error: nothing to read */
		bft_net_cork(net);
		for (i = 0; i < got; i++)
			deliver(net, (unsigned)i);
		bft_net_uncork(net);
		if (got < NET_RX_BATCH)
			return; /* drained: no extra call to learn it is empty */
	}
}

/* Point the fixed mmsghdr vectors at their buffers, once. */
static void setup_vectors(struct bft_net *net)
{
	unsigned i;

	for (i = 0; i < NET_RX_BATCH; i++) {
		net->rxiov[i] = (struct iovec){ .iov_base = net->rxbuf + (size_t)i * NET_RX_SLOT,
						.iov_len = NET_RX_SLOT };
		net->rx[i].msg_hdr = (struct msghdr){ .msg_name = &net->rxfrom[i].ss,
						      .msg_iov = &net->rxiov[i],
						      .msg_iovlen = 1 };
	}
}

int bft_net_new(struct bft_loop *loop, const struct bft_net_config *cfg,
		bft_net_recv_fn recv, void *data, struct bft_net **out)
{
	struct bft_net *net;
	int err;

	*out = NULL;
	if (!cfg->n_nodes || !recv)
		return BFT_E_INVAL;
	net = calloc(1, sizeof(*net));
	if (!net)
		return BFT_E_NOMEM;
	net->fd = -1;
	net->loop = loop;
	net->log = cfg->log;
	net->recv = recv;
	net->data = data;
	net->n_nodes = cfg->n_nodes;
	snprintf(net->name, sizeof(net->name), "%s", cfg->name ? cfg->name : "net");
	net->peers = calloc(cfg->n_nodes, sizeof(*net->peers));
	net->rxbuf = malloc((size_t)NET_RX_BATCH * NET_RX_SLOT);
	if (!net->peers || !net->rxbuf || net_tx_init(net) != BFT_OK) {
		err = BFT_E_NOMEM;
		goto fail;
	}
	memcpy(net->peers, cfg->peers, cfg->n_nodes * sizeof(*net->peers));
	setup_vectors(net);
	net->fd = open_socket(&cfg->bind, cfg->sockbuf ? cfg->sockbuf : NET_DEFAULT_SOCKBUF);
	if (net->fd < 0) {
		err = net->fd;
		net->fd = -1;
		goto fail;
	}
	if ((err = bft_loop_add_fd(loop, net->fd, EPOLLIN, on_readable, net)) != BFT_OK)
		goto fail;
	*out = net;
	return BFT_OK;
fail:
	bft_net_free(net);
	return err;
}

void bft_net_free(struct bft_net *net)
{
	if (!net)
		return;
	if (net->fd >= 0) {
		bft_loop_del_fd(net->loop, net->fd);
		close(net->fd);
	}
	free(net->peers);
	free(net->rxbuf);
	net_tx_fini(net);
	free(net);
}

void bft_net_get_stats(const struct bft_net *net, struct bft_net_stats *out)
{
	*out = net->st;
}

int bft_net_local_addr(const struct bft_net *net, struct bft_addr *out)
{
	out->len = sizeof(out->ss);
	if (getsockname(net->fd, (struct sockaddr *)&out->ss, &out->len) < 0)
		return -errno;
	return BFT_OK;
}

struct bft_log *bft_net_log(const struct bft_net *net)
{
	return net->log;
}

struct bft_loop *bft_net_loop(const struct bft_net *net)
{
	return net->loop;
}
