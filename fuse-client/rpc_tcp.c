/*
 * rpc_tcp.c — bfs-mount's asynchronous ONC RPC client over TCP (RFC 5531:
 * §9 call and reply bodies, §11 record marking, appendix A AUTH_SYS),
 * owned by the bft loop. See rpc_tcp.h.
 *
 * Input is untrusted: record fragments are bounded by FC_RPC_MAX_RECORD,
 * reply headers are read with explicit length checks, a verifier longer
 * than 400 bytes (§8.2) or an unknown reply shape breaks the connection,
 * and a reply whose xid matches no call is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "bfs/bytes.h"
#include "rpc_tcp.h"

#define N_BUCKETS 256u
#define IN_INITIAL (256u * 1024u)
#define MAX_AUTH 400u
#define MACHINE_MAX 64u

struct rpc_req {
	uint32_t xid;
	fc_backend_cb cb;
	void *arg;
	struct rpc_req *next;
};

struct fc_rpc {
	struct bft_loop *loop;
	struct bft_log *log;
	int fd;
	bool connected, dead, closing;
	uint32_t depth;                    /* callbacks running */
	uint32_t prog, vers, xid;
	uint32_t events;
	struct rpc_req *pending[N_BUCKETS];
	uint32_t n_pending;
	uint8_t *out;                      /* bytes to send */
	size_t out_off, out_len, out_cap;
	uint8_t *in;                       /* bytes received, not yet parsed */
	size_t in_off, in_len, in_cap;
	uint8_t *rec;                      /* a record of several fragments */
	size_t rec_len;
	char machine[MACHINE_MAX];
	char name[BFT_ADDR_STRLEN];
};

bool fc_rpc_dead(const struct fc_rpc *r)
{
	return r->dead;
}

static void rpc_free(struct fc_rpc *r)
{
	free(r->out);
	free(r->in);
	free(r->rec);
	free(r);
}

/* Fail every pending call with err (callbacks may call into r). */
static void fail_all(struct fc_rpc *r, int err)
{
	struct rpc_req *list = NULL, *q, *next;

	for (uint32_t i = 0; i < N_BUCKETS; i++) {
		for (q = r->pending[i]; q; q = next) {
			next = q->next;
			q->next = list;
			list = q;
		}
		r->pending[i] = NULL;
	}
	r->n_pending = 0;
	r->depth++;
	for (q = list; q; q = next) {
		next = q->next;
		q->cb(q->arg, err, NULL, 0);
		free(q);
	}
	r->depth--;
}

static void die(struct fc_rpc *r, const char *why, int err)
{
	if (r->dead)
		return;
	bft_logf(r->log, r->connected ? BFT_LOG_WARN : BFT_LOG_ERROR,
		 "bfs-mount: connection to %s (program %u) %s; %u calls failed", r->name,
		 r->prog, why, r->n_pending);
	r->dead = true;
	if (r->fd >= 0) {
		bft_loop_del_fd(r->loop, r->fd);
		close(r->fd);
		r->fd = -1;
	}
	fail_all(r, r->connected ? err : -ECONNREFUSED);
}

static void set_events(struct fc_rpc *r)
{
	uint32_t ev = EPOLLIN;

	if (!r->connected || r->out_off < r->out_len)
		ev |= EPOLLOUT;
	if (!r->dead && ev != r->events && bft_loop_mod_fd(r->loop, r->fd, ev) == 0)
		r->events = ev;
}

/* Send what the socket takes: 0, or the -errno that breaks the connection. */
static int try_send(struct fc_rpc *r)
{
	while (r->out_off < r->out_len) {
		ssize_t n = send(r->fd, r->out + r->out_off, r->out_len - r->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		r->out_off += (size_t)n;
	}
	if (r->out_off == r->out_len)
		r->out_off = r->out_len = 0;
	return 0;
}

/* From a loop event: send, or let the connection go. */
static void flush(struct fc_rpc *r)
{
	int err = try_send(r);

	if (err) {
		die(r, strerror(-err), -EIO);
		return;
	}
	set_events(r);
}

/* ---- replies ---- */

static struct rpc_req *take(struct fc_rpc *r, uint32_t xid)
{
	struct rpc_req **p = &r->pending[xid % N_BUCKETS], *q;

	for (; (q = *p); p = &q->next)
		if (q->xid == xid) {
			*p = q->next;
			r->n_pending--;
			return q;
		}
	return NULL;
}

static int accept_errno(uint32_t stat)
{
	switch (stat) {
	case 1: /* PROG_UNAVAIL */
	case 2: /* PROG_MISMATCH */
	case 3: /* PROC_UNAVAIL */
		return -EPROTONOSUPPORT;
	case 4: /* GARBAGE_ARGS */
		return -EINVAL;
	default: /* SYSTEM_ERR */
		return -EIO;
	}
}

/* One reply record (§9 reply_body). false: malformed, drop the connection. */
static bool on_record(struct fc_rpc *r, const uint8_t *p, size_t n)
{
	uint32_t xid, stat, vlen, off;
	struct rpc_req *q;
	int err = 0;

	if (n < 12 || bfs_get_be32(p + 4) != 1 /* REPLY */)
		return false;
	xid = bfs_get_be32(p);
	stat = bfs_get_be32(p + 8);
	if (stat == 0) { /* MSG_ACCEPTED: verifier, accept_stat */
		if (n < 24 || (vlen = bfs_get_be32(p + 16)) > MAX_AUTH)
			return false;
		off = 20 + ((vlen + 3) & ~3u);
		if (n < off + 4u)
			return false;
		stat = bfs_get_be32(p + off);
		off += 4;
		if (stat)
			err = accept_errno(stat);
	} else if (stat == 1) { /* MSG_DENIED: RPC_MISMATCH or AUTH_ERROR */
		err = n >= 16 && bfs_get_be32(p + 12) == 1 ? -EACCES : -EPROTONOSUPPORT;
		off = (uint32_t)n;
	} else {
		return false;
	}
	if (!(q = take(r, xid)))
		return true; /* a call we gave up on, or a duplicate */
	r->depth++;
	q->cb(q->arg, err, err ? NULL : p + off, err ? 0 : (uint32_t)(n - off));
	r->depth--;
	free(q);
	return true;
}

/* Room for `need` more bytes after in_len (compacting or growing). */
static bool in_room(struct fc_rpc *r, size_t need)
{
	size_t avail = r->in_len - r->in_off, cap;
	uint8_t *b;

	if (r->in_cap - r->in_len >= need)
		return true;
	if (avail && r->in_off)
		memmove(r->in, r->in + r->in_off, avail);
	r->in_len = avail;
	r->in_off = 0;
	if (r->in_cap - r->in_len >= need)
		return true;
	cap = avail + need;
	if (!(b = realloc(r->in, cap)))
		return false;
	r->in = b;
	r->in_cap = cap;
	return true;
}

/* Parse whole fragments; false if the connection must go. */
static bool parse(struct fc_rpc *r)
{
	while (r->in_len - r->in_off >= 4 && !r->dead && !r->closing) {
		uint32_t mark = bfs_get_be32(r->in + r->in_off), flen = mark & 0x7fffffffu;
		bool last = mark >> 31;
		uint8_t *frag = r->in + r->in_off + 4;

		if (flen > FC_RPC_MAX_RECORD || r->rec_len + flen > FC_RPC_MAX_RECORD)
			return false;
		if (r->in_len - r->in_off - 4 < flen)
			return in_room(r, 4 + flen - (r->in_len - r->in_off));
		r->in_off += 4 + flen;
		if (last && !r->rec_len) {
			if (!on_record(r, frag, flen))
				return false;
			continue;
		}
		uint8_t *nr = realloc(r->rec, r->rec_len + flen + 1);

		if (!nr)
			return false;
		r->rec = nr;
		memcpy(r->rec + r->rec_len, frag, flen);
		r->rec_len += flen;
		if (last) {
			size_t len = r->rec_len;

			r->rec_len = 0;
			if (!on_record(r, r->rec, len))
				return false;
		}
	}
	return true;
}

static void on_readable(struct fc_rpc *r)
{
	for (int i = 0; i < 16 && !r->dead && !r->closing; i++) {
		ssize_t n;

		if (r->in_off == r->in_len)
			r->in_off = r->in_len = 0;
		if (r->in_cap == r->in_len && !in_room(r, IN_INITIAL)) {
			die(r, "ran out of memory", -EIO);
			return;
		}
		n = recv(r->fd, r->in + r->in_len, r->in_cap - r->in_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			die(r, n < 0 ? strerror(errno) : "was closed by the server", -EIO);
			return;
		}
		r->in_len += (size_t)n;
		if (!parse(r)) {
			die(r, "sent a malformed or oversized reply", -EIO);
			return;
		}
	}
}

static void on_event(void *data, uint32_t events)
{
	struct fc_rpc *r = data;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	r->depth++;
	if (!r->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			die(r, soerr ? strerror(soerr) : "cannot connect", -ECONNREFUSED);
			goto out;
		}
		r->connected = true;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		on_readable(r);
	if (!r->dead && !r->closing)
		flush(r);
out:
	if (!--r->depth && r->closing)
		rpc_free(r);
}

/* ---- calls ---- */

static bool out_room(struct fc_rpc *r, size_t need)
{
	size_t cap;
	uint8_t *b;

	if (r->out_cap - r->out_len >= need)
		return true;
	if (r->out_off) {
		memmove(r->out, r->out + r->out_off, r->out_len - r->out_off);
		r->out_len -= r->out_off;
		r->out_off = 0;
		if (r->out_cap - r->out_len >= need)
			return true;
	}
	cap = (r->out_len + need) * 2;
	if (!(b = realloc(r->out, cap)))
		return false;
	r->out = b;
	r->out_cap = cap;
	return true;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	bfs_put_be32(p, v);
	return p + 4;
}

int fc_rpc_call(struct fc_rpc *r, uint32_t proc, const struct bfs_cred *cred,
		const uint8_t *args, uint32_t len, fc_backend_cb cb, void *arg)
{
	uint32_t mlen = (uint32_t)strlen(r->machine), mpad = (mlen + 3) & ~3u;
	uint32_t ng = cred->ngroups < BFS_OP_MAX_GROUPS ? cred->ngroups : BFS_OP_MAX_GROUPS;
	uint32_t cred_len = 4 + 4 + mpad + 4 + 4 + 4 + 4 * ng;
	size_t hdr = 4 + 24 + 8 + cred_len + 8;
	struct rpc_req *q;
	uint8_t *p;

	if (r->dead || r->closing)
		return -EPIPE;
	if (hdr + len > FC_RPC_MAX_RECORD)
		return -E2BIG;
	if (!(q = malloc(sizeof(*q))) || !out_room(r, hdr + len)) {
		free(q);
		return -ENOMEM;
	}
	*q = (struct rpc_req){ .xid = ++r->xid, .cb = cb, .arg = arg };
	p = r->out + r->out_len;
	p = put32(p, 0x80000000u | (uint32_t)(hdr - 4 + len)); /* one last fragment */
	p = put32(p, q->xid);
	p = put32(p, 0);       /* CALL */
	p = put32(p, 2);       /* RPC version */
	p = put32(p, r->prog);
	p = put32(p, r->vers);
	p = put32(p, proc);
	p = put32(p, 1);       /* AUTH_SYS */
	p = put32(p, cred_len);
	p = put32(p, 0);       /* stamp */
	p = put32(p, mlen);
	memset(p, 0, mpad);
	memcpy(p, r->machine, mlen);
	p += mpad;
	p = put32(p, cred->uid);
	p = put32(p, cred->gid);
	p = put32(p, ng);
	for (uint32_t i = 0; i < ng; i++)
		p = put32(p, cred->groups[i]);
	p = put32(p, 0);       /* verifier AUTH_NONE, */
	p = put32(p, 0);       /* empty */
	memcpy(p, args, len);
	r->out_len += hdr + len;
	q->next = r->pending[q->xid % N_BUCKETS];
	r->pending[q->xid % N_BUCKETS] = q;
	r->n_pending++;
	/* Nothing was waiting: send now. A failure shows on the next loop
	 * event (EPOLLOUT), so no callback runs inside this call. */
	if (r->connected && r->out_off + hdr + len == r->out_len && try_send(r))
		bft_loop_mod_fd(r->loop, r->fd, r->events = EPOLLIN | EPOLLOUT);
	else
		set_events(r);
	return 0;
}

int fc_rpc_open(struct bft_loop *loop, struct bft_log *log, const struct bft_addr *addr,
		uint32_t prog, uint32_t vers, struct fc_rpc **out)
{
	struct fc_rpc *r = calloc(1, sizeof(*r));
	int one = 1, err;

	if (!r)
		return -ENOMEM;
	*r = (struct fc_rpc){ .loop = loop, .log = log, .prog = prog, .vers = vers, .fd = -1 };
	r->xid = (uint32_t)bft_loop_mono_us() ^ ((uint32_t)getpid() << 16);
	if (gethostname(r->machine, sizeof(r->machine) - 1) < 0)
		strcpy(r->machine, "bfs-mount");
	bft_addr_format(addr, r->name, sizeof(r->name));
	r->fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		goto fail;
	setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(r->fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	r->events = EPOLLIN | EPOLLOUT;
	if ((err = bft_loop_add_fd(loop, r->fd, r->events, on_event, r))) {
		errno = -err;
		goto fail;
	}
	*out = r;
	return 0;
fail:
	err = -errno;
	bft_logf(log, BFT_LOG_ERROR, "bfs-mount: cannot connect to %s: %s", r->name,
		 strerror(errno));
	if (r->fd >= 0)
		close(r->fd);
	rpc_free(r);
	return err;
}

void fc_rpc_close(struct fc_rpc *r)
{
	if (!r || r->closing)
		return;
	if (r->fd >= 0) {
		bft_loop_del_fd(r->loop, r->fd);
		close(r->fd);
		r->fd = -1;
	}
	r->dead = true;
	r->closing = true;
	fail_all(r, -ECANCELED);
	if (!r->depth)
		rpc_free(r);
}
