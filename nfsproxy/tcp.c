/*
 * tcp.c — nfsproxy's TCP transport: listening sockets, connections, and
 * RFC 5531 §11 record marking (fragments of at most 2^31-1 bytes, the last
 * one flagged; a record is one RPC message).
 *
 * Limits (doc/config.md): max_connections at once (more are accepted and
 * closed at once), max_record bytes per record (a longer one closes the
 * connection: its end cannot be found without reading it), and
 * max_inflight calls plus unsent replies per connection (beyond it the
 * connection is not read until replies drain: backpressure, never
 * unbounded buffering). Connections from addresses no export allows are
 * closed on accept.
 *
 * A connection closed while calls are in flight stays allocated (dead)
 * until its last call completes; its replies are dropped.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "bfs/bytes.h"
#include "bft/error.h"
#include "bft/net.h"
#include "nfsp.h"

#define ACCEPT_BURST 64
#define READ_BURST 16

static void conn_read(struct nfsp_conn *c);

static void conn_free(struct nfsp_conn *c)
{
	bft_loop_timer_cancel(c->srv->loop, &c->resume);
	free(c);
}

static void conn_unref(struct nfsp_conn *c)
{
	if (--c->refs == 0 && c->dead)
		conn_free(c);
}

static bool over_limit(const struct nfsp_conn *c)
{
	return c->calls + c->queued >= c->srv->conf.max_inflight;
}

static void update_events(struct nfsp_conn *c)
{
	uint32_t ev = 0;

	if (c->dead)
		return;
	if (!c->paused && !c->srv->stopping)
		ev |= EPOLLIN;
	if (c->out)
		ev |= EPOLLOUT;
	if (ev != c->events && bft_loop_mod_fd(c->srv->loop, c->fd, ev) == 0)
		c->events = ev;
}

void nfsp_conn_close(struct nfsp_conn *c, const char *why)
{
	struct nfsp *s = c->srv;
	struct nfsp_out *o;

	if (c->dead)
		return;
	bft_logf(s->log, BFT_LOG_DEBUG, "nfsproxy: connection from %s closed: %s "
		 "(%u calls in flight)", c->name, why, c->calls);
	c->dead = true;
	bft_loop_del_fd(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	while ((o = c->out)) {
		c->out = o->next;
		free(o);
	}
	c->queued = 0;
	free(c->in);
	free(c->rec);
	c->in = c->rec = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	bft_loop_timer_cancel(s->loop, &c->resume);
	if (!c->refs)
		conn_free(c);
}

static void maybe_resume(struct nfsp_conn *c)
{
	if (c->dead || !c->paused || over_limit(c))
		return;
	c->paused = false;
	update_events(c);
	if (c->in_off < c->in_len) /* parse what is buffered, outside this call */
		bft_loop_timer_arm(c->srv->loop, &c->resume, 0);
}

static void flush(struct nfsp_conn *c)
{
	struct nfsp_out *o;

	while ((o = c->out)) {
		ssize_t n = write(c->fd, o->data + o->off, o->len - o->off);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			nfsp_conn_close(c, n < 0 ? strerror(errno) : "write returned 0");
			return;
		}
		o->off += (size_t)n;
		if (o->off < o->len)
			continue;
		c->out = o->next;
		if (!c->out)
			c->out_tail = NULL;
		c->queued--;
		free(o);
	}
	update_events(c);
	maybe_resume(c);
}

void nfsp_conn_send(struct nfsp_conn *c, struct nfsp_out *o)
{
	bool idle = !c->out;

	if (c->dead) {
		free(o);
		return;
	}
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out = o;
	c->out_tail = o;
	c->queued++;
	c->refs++;
	if (idle)
		flush(c);
	conn_unref(c);
}

void nfsp_conn_release(struct nfsp_conn *c)
{
	c->calls--;
	maybe_resume(c);
	conn_unref(c);
}

/* A whole record: hand it to rpc.c (which owns it from now on). */
static void record_done(struct nfsp_conn *c)
{
	uint8_t *rec = c->rec;
	uint32_t len = c->rec_len;

	c->rec = NULL;
	c->rec_len = c->rec_cap = 0;
	c->mark_got = 0;
	nfsp_rpc_record(c->srv, c, NULL, &c->peer, c->peer_len, rec, len);
	if (!c->dead && over_limit(c)) {
		c->paused = true;
		update_events(c);
	}
}

static bool start_fragment(struct nfsp_conn *c)
{
	uint32_t v = bfs_get_be32(c->mark), max = c->srv->conf.max_record;

	c->last_frag = v >> 31;
	c->frag_left = v & 0x7fffffffu;
	if (c->frag_left > max || c->rec_len + c->frag_left > max) {
		nfsp_warn(c->srv, "nfsproxy: %s sent a record of more than %u bytes "
			  "(max_record); closing the connection", c->name, max);
		nfsp_conn_close(c, "record too long");
		return false;
	}
	if (c->rec_len + c->frag_left > c->rec_cap) {
		uint32_t cap = c->rec_len + c->frag_left;
		uint8_t *r = realloc(c->rec, cap ? cap : 1);

		if (!r) {
			nfsp_conn_close(c, "out of memory");
			return false;
		}
		c->rec = r;
		c->rec_cap = cap;
	}
	return true;
}

/* Consume buffered bytes into records until the buffer is empty, the
 * connection is paused or it died. */
static void parse(struct nfsp_conn *c)
{
	while (c->in_off < c->in_len && !c->paused && !c->dead) {
		uint32_t avail = c->in_len - c->in_off, take;

		if (c->mark_got < 4) {
			take = 4 - c->mark_got < avail ? 4 - c->mark_got : avail;
			memcpy(c->mark + c->mark_got, c->in + c->in_off, take);
			c->mark_got += take;
			c->in_off += take;
			if (c->mark_got < 4 || !start_fragment(c))
				continue;
		} else {
			take = c->frag_left < avail ? c->frag_left : avail;
			memcpy(c->rec + c->rec_len, c->in + c->in_off, take);
			c->rec_len += take;
			c->frag_left -= take;
			c->in_off += take;
		}
		if (c->frag_left)
			continue;
		c->mark_got = 0;
		if (c->last_frag)
			record_done(c);
	}
}

static void conn_read(struct nfsp_conn *c)
{
	int i;

	c->refs++;
	parse(c);
	for (i = 0; i < READ_BURST && !c->dead && !c->paused && !c->srv->stopping; i++) {
		ssize_t n = read(c->fd, c->in, NFSP_IN_CHUNK);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			nfsp_conn_close(c, n ? strerror(errno) : "closed by the client");
			break;
		}
		c->in_off = 0;
		c->in_len = (uint32_t)n;
		parse(c);
	}
	conn_unref(c);
}

static void on_resume(void *data)
{
	conn_read(data);
}

static void on_conn(void *data, uint32_t events)
{
	struct nfsp_conn *c = data;

	c->refs++;
	if (events & EPOLLOUT)
		flush(c);
	if (!c->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c);
	conn_unref(c);
}

static void accept_one(struct nfsp_sock *l, int fd, const struct sockaddr_storage *ss,
		       socklen_t len)
{
	struct nfsp *s = l->srv;
	struct nfsp_conn *c;
	char who[BFT_ADDR_STRLEN];
	int one = 1;

	nfsp_peer_name(ss, who, sizeof(who));
	if (s->stopping || s->n_conns >= s->conf.max_connections ||
	    !nfsp_conf_match(&s->conf, (const struct sockaddr *)ss)) {
		nfsp_warn(s, "nfsproxy: refused a connection from %s: %s", who,
			  s->stopping ? "shutting down"
			  : s->n_conns >= s->conf.max_connections ? "max_connections reached"
			  : "no export allows this address");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(NFSP_IN_CHUNK);
	if (!c || !c->in || bft_loop_add_fd(s->loop, fd, EPOLLIN, on_conn, c) != 0) {
		if (c)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->srv = s;
	c->fd = fd;
	c->events = EPOLLIN;
	memcpy(&c->peer, ss, len);
	c->peer_len = len;
	snprintf(c->name, sizeof(c->name), "%s", who);
	bft_loop_timer_init(&c->resume, on_resume, c);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
}

static void on_listen(void *data, uint32_t events)
{
	struct nfsp_sock *l = data;
	int i;

	(void)events;
	for (i = 0; i < ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		accept_one(l, fd, &ss, len);
	}
}

int nfsp_bind(const char *addr, uint16_t port, int type, int *out)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = type };
	struct addrinfo *ai = NULL;
	char port_s[8];
	int fd, one = 1, zero = 0, err;

	snprintf(port_s, sizeof(port_s), "%u", port);
	if (getaddrinfo(addr, port_s, &hints, &ai) != 0 || !ai)
		return BFT_E_INVAL;
	fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		freeaddrinfo(ai);
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		err = -errno;
		close(fd);
		freeaddrinfo(ai);
		return err;
	}
	freeaddrinfo(ai);
	*out = fd;
	return 0;
}

int nfsp_tcp_listen(struct nfsp *s, const char *addr, uint16_t port)
{
	struct nfsp_sock *l;
	int fd, err;

	if (s->n_socks == sizeof(s->socks) / sizeof(s->socks[0]))
		return BFT_E_SPACE;
	if ((err = nfsp_bind(addr, port, SOCK_STREAM, &fd)))
		return err;
	l = &s->socks[s->n_socks];
	*l = (struct nfsp_sock){ .srv = s, .fd = fd, .udp = false, .port = port };
	if ((err = bft_loop_add_fd(s->loop, fd, EPOLLIN, on_listen, l))) {
		close(fd);
		return err;
	}
	s->n_socks++;
	return 0;
}

void nfsp_transport_quiesce(struct nfsp *s)
{
	struct nfsp_conn *c;
	uint32_t i;

	for (i = 0; i < s->n_socks; i++) {
		struct nfsp_sock *k = &s->socks[i];

		if (k->fd < 0)
			continue;
		bft_loop_del_fd(s->loop, k->fd);
		if (!k->udp) { /* UDP sockets stay open for the replies in flight */
			close(k->fd);
			k->fd = -1;
		}
	}
	for (c = s->conns; c; c = c->next)
		update_events(c);
}

void nfsp_transport_close_all(struct nfsp *s)
{
	uint32_t i;

	while (s->conns)
		nfsp_conn_close(s->conns, "shutting down");
	for (i = 0; i < s->n_socks; i++) {
		if (s->socks[i].fd >= 0) {
			if (!s->stopping)
				bft_loop_del_fd(s->loop, s->socks[i].fd);
			close(s->socks[i].fd);
		}
		s->socks[i].fd = -1;
	}
}
