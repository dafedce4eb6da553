/*
 * rpc.c — ONC RPC version 2 (RFC 5531) for nfsproxy: decode a call header
 * (§9 call_body, §8.2 AUTH_NONE, appendix A AUTH_SYS) with a bounded
 * decoder of our own, authorise the caller against the exports, squash
 * its credential, dispatch to NFS v2/v3 or MOUNT v1/v3, and encode the
 * replies (§9 reply_body: accepted, PROG_MISMATCH, RPC_MISMATCH,
 * AUTH_ERROR).
 *
 * Never allocates on behalf of a peer beyond one call (bounded by the
 * transport's record limit), never reads past a record, never trusts a
 * length: credentials and verifiers are at most 400 bytes (§8.2), AUTH_SYS
 * machine names 255 bytes and at most 16 groups.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfs/bytes.h"
#include "nfsp.h"

#define RPC_CALL 0u
#define RPC_REPLY 1u
#define RPC_VERSION 2u
#define RPC_AUTH_NONE_FLAVOR 0u
#define RPC_AUTH_SYS_FLAVOR 1u
#define RPC_MAX_AUTH 400u
#define RPC_MAX_MACHINE 255u
#define RPC_MAX_GROUPS 16u

/* A bounded big-endian reader over one record. */
struct rd {
	const uint8_t *p;
	uint32_t left;
	bool bad;
};

static uint32_t rd_u32(struct rd *r)
{
	if (r->bad || r->left < 4) {
		r->bad = true;
		return 0;
	}
	uint32_t v = bfs_get_be32(r->p);
	r->p += 4;
	r->left -= 4;
	return v;
}

/* Skip an opaque<max> (length + bytes padded to 4); returns its start. */
static const uint8_t *rd_opaque(struct rd *r, uint32_t max, uint32_t *len)
{
	uint32_t n = rd_u32(r), padded = (n + 3) & ~3u;
	const uint8_t *start = r->p;

	if (r->bad || n > max || padded > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += padded;
	r->left -= padded;
	*len = n;
	return start;
}

void nfsp_peer_host(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
			: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void nfsp_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port = ntohs(ss->ss_family == AF_INET6
				      ? ((const struct sockaddr_in6 *)ss)->sin6_port
				      : ((const struct sockaddr_in *)ss)->sin_port);

	nfsp_peer_host(ss, host, sizeof(host));
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

void nfsp_warn(struct nfsp *s, const char *fmt, ...)
{
	char line[BFT_LOG_LINE_MAX];
	uint64_t now = bft_loop_now_ms();
	va_list ap;

	if (now - s->last_warn_ms < 1000 && s->last_warn_ms)
		return;
	s->last_warn_ms = now;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	bft_log_line(s->log, BFT_LOG_WARN, line);
}

/* ---- replies ---- */

/* A reply of rpc_len bytes after the TCP record mark. */
static struct nfsp_out *out_new(size_t rpc_len)
{
	struct nfsp_out *o = malloc(sizeof(*o) + NFSP_MARK + rpc_len);

	if (o) {
		o->next = NULL;
		o->off = 0;
		o->len = NFSP_MARK + rpc_len;
	}
	return o;
}

/* Send o (whose header words after the mark are filled) and free the call. */
static void send_out(struct nfsp_call *c, struct nfsp_out *o)
{
	if (!o) {
		c->srv->stat_dropped++;
	} else if (c->conn) {
		if (c->conn->dead) {
			free(o);
		} else {
			bfs_put_be32(o->data, 0x80000000u | (uint32_t)(o->len - NFSP_MARK));
			nfsp_conn_send(c->conn, o);
		}
	} else {
		if (o->len - NFSP_MARK <= NFSP_UDP_MAX)
			nfsp_udp_send(c->udp, &c->peer, c->peer_len, o->data + NFSP_MARK,
				      o->len - NFSP_MARK);
		else
			nfsp_warn(c->srv, "nfsproxy: reply of %zu bytes to %u is too big for UDP",
				  o->len, c->xid);
		free(o);
	}
	nfsp_call_free(c);
}

static void put_accepted(uint8_t *p, uint32_t xid, uint32_t stat)
{
	bfs_put_be32(p, xid);
	bfs_put_be32(p + 4, RPC_REPLY);
	bfs_put_be32(p + 8, 0);  /* MSG_ACCEPTED */
	bfs_put_be32(p + 12, 0); /* verifier AUTH_NONE, */
	bfs_put_be32(p + 16, 0); /* empty */
	bfs_put_be32(p + 20, stat);
}

void nfsp_reply(struct nfsp_call *c, const void *body, size_t len)
{
	struct nfsp_out *o = out_new(NFSP_REPLY_HDR + len);

	if (o) {
		put_accepted(o->data + NFSP_MARK, c->xid, RPC_ACC_SUCCESS);
		if (len)
			memcpy(o->data + NFSP_MARK + NFSP_REPLY_HDR, body, len);
	}
	send_out(c, o);
}

void nfsp_reply_xdr(struct nfsp_call *c, xdrproc_t xdr_res, const void *res)
{
	struct nfsp *s = c->srv;
	XDR x;
	bool_t ok;
	size_t n;

	xdrmem_create(&x, (char *)s->scratch, sizeof(s->scratch), XDR_ENCODE);
	ok = xdr_res(&x, (void *)res);
	n = xdr_getpos(&x);
	xdr_destroy(&x);
	if (!ok) {
		bft_logf(s->log, BFT_LOG_ERROR, "nfsproxy: cannot encode the reply to "
			 "program %u v%u procedure %u", c->prog, c->vers, c->proc);
		nfsp_reply_accept(c, RPC_ACC_SYSTEM_ERR);
		return;
	}
	nfsp_reply(c, s->scratch, n);
}

static void reply_words(struct nfsp_call *c, const uint32_t *w, size_t n)
{
	struct nfsp_out *o = out_new(n * 4);
	size_t i;

	if (o)
		for (i = 0; i < n; i++)
			bfs_put_be32(o->data + NFSP_MARK + 4 * i, w[i]);
	send_out(c, o);
}

void nfsp_reply_accept(struct nfsp_call *c, uint32_t accept)
{
	uint32_t w[6] = { c->xid, RPC_REPLY, 0, 0, 0, accept };

	reply_words(c, w, 6);
}

static void reply_prog_mismatch(struct nfsp_call *c, uint32_t low, uint32_t high)
{
	uint32_t w[8] = { c->xid, RPC_REPLY, 0, 0, 0, RPC_ACC_PROG_MISMATCH, low, high };

	reply_words(c, w, 8);
}

static void reply_rpc_mismatch(struct nfsp_call *c)
{
	uint32_t w[6] = { c->xid, RPC_REPLY, 1 /* MSG_DENIED */, 0 /* RPC_MISMATCH */,
			  RPC_VERSION, RPC_VERSION };

	reply_words(c, w, 6);
}

static void reply_auth_error(struct nfsp_call *c, uint32_t why)
{
	uint32_t w[5] = { c->xid, RPC_REPLY, 1 /* MSG_DENIED */, 1 /* AUTH_ERROR */, why };

	reply_words(c, w, 5);
}

/* ---- calls ---- */

void nfsp_call_free(struct nfsp_call *c)
{
	struct nfsp *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_calls--;
	if (c->udp)
		s->udp_calls--;
	if (c->conn)
		nfsp_conn_release(c->conn);
	nfsp_mount_free_walk(c);
	free(c->rec);
	free(c);
	if (s->stopping && !s->n_calls)
		bft_loop_stop(s->loop);
}

/* AUTH_SYS body (RFC 5531 appendix A): stamp, machinename<255>, uid, gid,
 * gids<16>. */
static bool decode_auth_sys(const uint8_t *body, uint32_t len, struct bfs_cred *cred)
{
	struct rd r = { body, len, false };
	uint32_t n, i;

	rd_u32(&r); /* stamp */
	rd_opaque(&r, RPC_MAX_MACHINE, &n);
	cred->uid = rd_u32(&r);
	cred->gid = rd_u32(&r);
	n = rd_u32(&r);
	if (r.bad || n > RPC_MAX_GROUPS)
		return false;
	cred->ngroups = n;
	for (i = 0; i < n; i++)
		cred->groups[i] = rd_u32(&r);
	return !r.bad;
}

static void squash(struct nfsp_call *c)
{
	const struct nfsp_export *e = c->exp;
	struct bfs_cred *cr = &c->cred;
	uint32_t i;

	c->cred_is_root = cr->uid == 0;
	if (e->squash == NFSP_SQUASH_NONE)
		return;
	if (e->squash == NFSP_SQUASH_ALL) {
		cr->uid = e->anon_uid;
		cr->gid = e->anon_gid;
		cr->ngroups = 0;
		return;
	}
	if (cr->uid == 0)
		cr->uid = e->anon_uid;
	if (cr->gid == 0)
		cr->gid = e->anon_gid;
	for (i = 0; i < cr->ngroups; i++)
		if (cr->groups[i] == 0)
			cr->groups[i] = e->anon_gid;
}

static struct nfsp_call *call_new(struct nfsp *s, struct nfsp_conn *conn,
				  struct nfsp_sock *udp, const struct sockaddr_storage *peer,
				  socklen_t peer_len, uint8_t *rec, uint32_t len)
{
	struct nfsp_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->srv = s;
	c->conn = conn;
	c->udp = conn ? NULL : udp;
	memcpy(&c->peer, peer, peer_len);
	c->peer_len = peer_len;
	c->rec = rec;
	c->rec_len = len;
	c->start_us = bft_loop_mono_us();
	c->next = s->calls;
	if (s->calls)
		s->calls->prev = c;
	s->calls = c;
	s->n_calls++;
	if (conn) {
		conn->refs++;
		conn->calls++;
	} else
		s->udp_calls++;
	s->stat_calls++;
	return c;
}

/* The credential and verifier; false if a reply (AUTH_ERROR) was sent. */
static bool authenticate(struct nfsp_call *c, struct rd *r)
{
	uint32_t flavor = rd_u32(r), len = 0, vflavor, vlen = 0;
	const uint8_t *body = rd_opaque(r, RPC_MAX_AUTH, &len);

	vflavor = rd_u32(r);
	rd_opaque(r, RPC_MAX_AUTH, &vlen);
	(void)vflavor;
	if (r->bad) {
		reply_auth_error(c, RPC_AUTH_BADCRED);
		return false;
	}
	if (flavor == RPC_AUTH_NONE_FLAVOR) {
		c->cred.uid = c->exp->anon_uid;
		c->cred.gid = c->exp->anon_gid;
		c->cred.ngroups = 0;
		return true;
	}
	if (flavor != RPC_AUTH_SYS_FLAVOR) {
		nfsp_warn(c->srv, "nfsproxy: refused auth flavor %u from a client "
			  "(AUTH_SYS and AUTH_NONE only)", flavor);
		reply_auth_error(c, RPC_AUTH_TOOWEAK);
		return false;
	}
	if (!decode_auth_sys(body, len, &c->cred)) {
		reply_auth_error(c, RPC_AUTH_BADCRED);
		return false;
	}
	squash(c);
	return true;
}

static void dispatch(struct nfsp_call *c)
{
	if (c->prog == NFS_PROG) {
		if (c->vers == 3)
			nfsp_nfs3_call(c);
		else if (c->vers == 2)
			nfsp_nfs2_call(c);
		else
			reply_prog_mismatch(c, 2, 3);
	} else if (c->prog == MOUNT_PROG) {
		if (c->vers == 1 || c->vers == 3)
			nfsp_mount_call(c);
		else
			reply_prog_mismatch(c, 1, 3);
	} else {
		nfsp_reply_accept(c, RPC_ACC_PROG_UNAVAIL);
	}
}

void nfsp_rpc_record(struct nfsp *s, struct nfsp_conn *conn, struct nfsp_sock *udp,
		     const struct sockaddr_storage *peer, socklen_t peer_len,
		     uint8_t *rec, uint32_t len)
{
	struct rd r = { rec, len, false };
	struct nfsp_call *c;
	char who[BFT_ADDR_STRLEN];
	uint32_t xid = rd_u32(&r), type = rd_u32(&r);

	if (r.bad || type != RPC_CALL) {
		nfsp_peer_name(peer, who, sizeof(who));
		nfsp_warn(s, "nfsproxy: dropped a %u-byte record from %s: not an RPC call",
			  len, who);
		free(rec);
		if (conn)
			nfsp_conn_close(conn, "sent something other than an RPC call");
		return;
	}
	if (!(c = call_new(s, conn, udp, peer, peer_len, rec, len))) {
		free(rec);
		return;
	}
	c->xid = xid;
	c->exp = nfsp_conf_match(&s->conf, (const struct sockaddr *)peer);
	if (rd_u32(&r) != RPC_VERSION || r.bad) {
		reply_rpc_mismatch(c);
		return;
	}
	c->prog = rd_u32(&r);
	c->vers = rd_u32(&r);
	c->proc = rd_u32(&r);
	if (!c->exp) {
		nfsp_peer_name(peer, who, sizeof(who));
		nfsp_warn(s, "nfsproxy: refused a call from %s: no export allows it", who);
		reply_auth_error(c, RPC_AUTH_TOOWEAK);
		return;
	}
	if (!authenticate(c, &r))
		return;
	c->args = r.p;
	c->args_len = r.left;
	dispatch(c);
}
