/*
 * udp.c — nfsproxy's UDP transport: one datagram is one RPC message
 * (RFC 5531 §11 applies record marking to stream transports only).
 *
 * Bounded: datagrams longer than max_record are dropped, and so is any
 * datagram while more than 8 × max_inflight UDP calls are in flight (the
 * client retransmits). A reply that does not fit a datagram is dropped
 * with a warning (the transfer sizes nfsproxy announces always fit).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "bft/error.h"
#include "bft/net.h"
#include "nfsp.h"

#define RECV_BURST 32

static void on_udp(void *data, uint32_t events)
{
	struct nfsp_sock *u = data;
	struct nfsp *s = u->srv;
	int i;

	(void)events;
	for (i = 0; i < RECV_BURST && !s->stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char who[BFT_ADDR_STRLEN];
		ssize_t n = recvfrom(u->fd, s->scratch, NFSP_UDP_MAX + 1, MSG_TRUNC,
				     (struct sockaddr *)&ss, &len);
		uint8_t *rec;

		if (n < 0)
			break;
		if ((size_t)n > s->conf.max_record || (size_t)n > NFSP_UDP_MAX ||
		    s->udp_calls >= 8 * s->conf.max_inflight) {
			nfsp_peer_name(&ss, who, sizeof(who));
			nfsp_warn(s, "nfsproxy: dropped a %zd-byte datagram from %s (%s)", n, who,
				  s->udp_calls >= 8 * s->conf.max_inflight ? "too many UDP calls "
				  "in flight" : "longer than max_record");
			s->stat_dropped++;
			continue;
		}
		if (!(rec = malloc(n ? (size_t)n : 1)))
			continue;
		memcpy(rec, s->scratch, (size_t)n);
		nfsp_rpc_record(s, NULL, u, &ss, len, rec, (uint32_t)n);
	}
}

void nfsp_udp_send(struct nfsp_sock *u, const struct sockaddr_storage *to, socklen_t len,
		   const uint8_t *buf, size_t n)
{
	if (u->fd < 0 || sendto(u->fd, buf, n, MSG_DONTWAIT, (const struct sockaddr *)to,
				len) < 0)
		u->srv->stat_dropped++;
}

int nfsp_udp_open(struct nfsp *s, const char *addr, uint16_t port)
{
	struct nfsp_sock *u;
	int fd, err, size = 4 << 20;

	if (s->n_socks == sizeof(s->socks) / sizeof(s->socks[0]))
		return BFT_E_SPACE;
	if ((err = nfsp_bind(addr, port, SOCK_DGRAM, &fd)))
		return err;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	u = &s->socks[s->n_socks];
	*u = (struct nfsp_sock){ .srv = s, .fd = fd, .udp = true, .port = port };
	if ((err = bft_loop_add_fd(s->loop, fd, EPOLLIN, on_udp, u))) {
		close(fd);
		return err;
	}
	s->n_socks++;
	return 0;
}
