/*
 * test_nfsproxy_rpc.c — nfsproxy at the RPC level (RFC 5531), with a libtirpc
 * client, against four live `bfsd --service fs` replicas:
 *
 *   - MOUNT v3 and v1 (RFC 1813 appendix I, RFC 1094 appendix A): NULL, MNT
 *     (exported path, missing path, path with "..", a file, a path whose
 *     export does not list the caller), DUMP, UMNT, UMNTALL, EXPORT;
 *   - every NFSv3 procedure (RFC 1813 §3.3.0-21) with success and error
 *     cases, over TCP, and some over UDP;
 *   - NFSv2 (RFC 1094) through the v2→v3 mapping, including 32-bit limits;
 *   - RPC-level errors: PROC_UNAVAIL, PROG_MISMATCH, PROG_UNAVAIL,
 *     GARBAGE_ARGS, RPC_MISMATCH, AUTH_ERROR for an unsupported flavor;
 *   - access control: a read-only export (NFS3ERR_ROFS, no MODIFY access),
 *     root squash, an address no export lists (TCP closed, UDP AUTH_ERROR);
 *   - robustness: 40 calls pipelined on one connection, an oversized record
 *     and a non-call record close the connection, a client that disconnects
 *     mid-call, and SIGTERM exits cleanly.
 *
 *   test_nfsproxy_rpc BFSD BFSCTL NFSPROXY
 *
 * Client addresses: 127.0.0.1 (read-write export "/"), 127.0.0.3 (read-only
 * export "/pub"), 127.0.0.2 (listed by no export). Never leaves processes
 * behind (children die with the test; an alarm bounds the run).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <rpc/rpc.h>

#include "mount_prot.h"
#include "nfs2_prot.h"
#include "nfs3_prot.h"

#include "bfs/op_xdr.h"
#include "it_check.h"
#include "nfsp_cluster.h"

static int failures;
static struct nfsp_cluster cl;

struct fh {
	u_int len;
	char b[NFS3_FHSIZE];
};

static nfs_fh3 F(struct fh *h)
{
	nfs_fh3 x = { { h->len, h->b } };

	return x;
}

static void keep3(struct fh *out, const nfs_fh3 *in)
{
	out->len = in->data.data_len <= NFS3_FHSIZE ? in->data.data_len : 0;
	memcpy(out->b, in->data.data_val, out->len);
}

/* ---- clients ---- */

static int connected_socket(int type, const char *src, uint16_t port)
{
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, type, 0);

	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons(port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A libtirpc client on a socket bound to src; AUTH_SYS as uid/gid. */
static CLIENT *client(const char *src, bool udp, uint16_t port, u_long prog, u_long vers,
		      uid_t uid)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = connected_socket(udp ? SOCK_DGRAM : SOCK_STREAM, src, port);
	CLIENT *c;

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (fd < 0)
		return NULL;
	c = udp ? clntudp_create(&to, prog, vers, (struct timeval){ 1, 0 }, &fd)
		: clnttcp_create(&to, prog, vers, &fd, 0, 0);
	if (c) {
		clnt_control(c, CLSET_FD_CLOSE, NULL);
		auth_destroy(c->cl_auth);
		c->cl_auth = authunix_create("bfs-test", (int)uid, (int)uid, 0, NULL);
	}
	return c;
}

/* clnt_destroy leaves the AUTH we installed. */
static void destroy(CLIENT *c)
{
	if (!c)
		return;
	if (c->cl_auth)
		auth_destroy(c->cl_auth);
	c->cl_auth = NULL;
	clnt_destroy(c);
}

static enum clnt_stat call(CLIENT *c, u_long proc, xdrproc_t xa, void *a, xdrproc_t xr,
			   void *r, size_t rsize)
{
	struct timeval tv = { 10, 0 };

	if (r)
		memset(r, 0, rsize);
	return clnt_call(c, proc, xa, a, xr, r, tv);
}

#define C3(c, PROC, T, a, r)                                                            \
	call(c, NFSPROC3_##PROC, (xdrproc_t)xdr_##T##3args, &(a), (xdrproc_t)xdr_##T##3res, \
	     &(r), sizeof(r))
#define FREE3(T, r) xdr_free((xdrproc_t)xdr_##T##3res, (char *)&(r))
#define OK(stat, what) CHECK((stat) == RPC_SUCCESS, "%s: %s", what, clnt_sperrno(stat))

/* One NFSv3 call checked for RPC success and an expected NFS status. */
#define EXPECT3(c, PROC, T, a, r, want)                                                 \
	do {                                                                            \
		enum clnt_stat s_ = C3(c, PROC, T, a, r);                               \
		OK(s_, #PROC);                                                          \
		CHECK(s_ != RPC_SUCCESS || (int)(r).status == (int)(want),              \
		      "%s: status %d, want %d", #PROC, (int)(r).status, (int)(want));   \
	} while (0)

/* ---- MOUNT ---- */

static bool mnt3(CLIENT *m, const char *path, mountstat3 want, struct fh *out)
{
	mountres3 r;
	dirpath p = (char *)path;
	enum clnt_stat s = call(m, MOUNTPROC3_MNT, (xdrproc_t)xdr_dirpath, &p,
				(xdrproc_t)xdr_mountres3, &r, sizeof(r));
	bool ok = s == RPC_SUCCESS && r.fhs_status == want;

	CHECK(ok, "MNT %s: %s, status %d, want %d", path, clnt_sperrno(s), r.fhs_status, want);
	if (ok && want == MNT3_OK && out) {
		mountres3_ok *k = &r.mountres3_u.mountinfo;

		out->len = k->fhandle.fhandle3_len;
		memcpy(out->b, k->fhandle.fhandle3_val, out->len);
		CHECK(k->auth_flavors.auth_flavors_len >= 1 &&
		      k->auth_flavors.auth_flavors_val[0] == AUTH_SYS, "MNT: AUTH_SYS not offered");
	}
	if (s == RPC_SUCCESS)
		xdr_free((xdrproc_t)xdr_mountres3, (char *)&r);
	return ok;
}

static bool dump_has(CLIENT *m, const char *host, const char *dir)
{
	mountlist l = NULL, e;
	bool found = false;

	OK(call(m, MOUNTPROC3_DUMP, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)xdr_mountlist, &l,
		sizeof(l)), "DUMP");
	for (e = l; e; e = e->ml_next)
		found |= !strcmp(e->ml_hostname, host) && !strcmp(e->ml_directory, dir);
	xdr_free((xdrproc_t)xdr_mountlist, (char *)&l);
	return found;
}

static void test_mount(CLIENT *m, CLIENT *m1, struct fh *root)
{
	exports ex = NULL, e;
	dirpath p = "/";
	fhstatus f1;
	int n = 0;

	OK(call(m, MOUNTPROC3_NULL, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)bfs_xdr_void, NULL, 0),
	   "MOUNT NULL");
	mnt3(m, "/", MNT3_OK, root);
	CHECK(root->len == 16 && root->b[0] == 'B', "root handle of %u bytes", root->len);
	mnt3(m, "//./", MNT3_OK, NULL);
	mnt3(m, "/no-such-dir", MNT3ERR_NOENT, NULL);
	mnt3(m, "/a/../b", MNT3ERR_INVAL, NULL);
	CHECK(dump_has(m, "127.0.0.1", "/"), "DUMP does not list 127.0.0.1:/");
	OK(call(m, MOUNTPROC3_UMNT, (xdrproc_t)xdr_dirpath, &p, (xdrproc_t)bfs_xdr_void, NULL, 0),
	   "UMNT");
	CHECK(!dump_has(m, "127.0.0.1", "/"), "DUMP still lists / after UMNT");
	mnt3(m, "/", MNT3_OK, NULL);
	OK(call(m, MOUNTPROC3_UMNTALL, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)bfs_xdr_void, NULL, 0),
	   "UMNTALL");
	CHECK(!dump_has(m, "127.0.0.1", "/"), "DUMP still lists / after UMNTALL");
	OK(call(m, MOUNTPROC3_EXPORT, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)xdr_exports, &ex,
		sizeof(ex)), "EXPORT");
	for (e = ex; e; e = e->ex_next)
		n += !strcmp(e->ex_dir, "/") || !strcmp(e->ex_dir, "/pub");
	CHECK(n == 2, "EXPORT lists %d of / and /pub", n);
	xdr_free((xdrproc_t)xdr_exports, (char *)&ex);
	/* MOUNT v1: a 32-byte v2 handle */
	OK(call(m1, MOUNTPROC_MNT, (xdrproc_t)xdr_dirpath, &p, (xdrproc_t)xdr_fhstatus, &f1,
		sizeof(f1)), "MNT v1");
	CHECK(f1.fhs_status == 0 && (uint8_t)f1.fhstatus_u.fhs_fhandle[0] == root->len &&
	      !memcmp(f1.fhstatus_u.fhs_fhandle + 1, root->b, root->len),
	      "MNT v1: status %u or a handle that is not the v3 root's", f1.fhs_status);
}

/* ---- NFSv3 ---- */

static void sattr_mode(sattr3 *s, unsigned mode)
{
	memset(s, 0, sizeof(*s));
	s->mode.set_it = TRUE;
	s->mode.set_mode3_u.mode = mode;
}

static bool mkdir3(CLIENT *c, struct fh *d, const char *name, nfsstat3 want, struct fh *out)
{
	MKDIR3args a = { { F(d), (char *)name } };
	MKDIR3res r;

	sattr_mode(&a.attributes, 0755);
	EXPECT3(c, MKDIR, MKDIR, a, r, want);
	if (r.status == NFS3_OK && out && r.MKDIR3res_u.resok.obj.handle_follows)
		keep3(out, &r.MKDIR3res_u.resok.obj.post_op_fh3_u.handle);
	FREE3(MKDIR, r);
	return r.status == want;
}

static bool create3(CLIENT *c, struct fh *d, const char *name, nfsstat3 want, struct fh *out)
{
	CREATE3args a = { { F(d), (char *)name } };
	CREATE3res r;

	a.how.mode = GUARDED;
	sattr_mode(&a.how.createhow3_u.obj_attributes, 0644);
	EXPECT3(c, CREATE, CREATE, a, r, want);
	if (r.status == NFS3_OK && out && r.CREATE3res_u.resok.obj.handle_follows)
		keep3(out, &r.CREATE3res_u.resok.obj.post_op_fh3_u.handle);
	FREE3(CREATE, r);
	return r.status == want;
}

static void rw3(CLIENT *c, struct fh *f, CLIENT *udp)
{
	static char data[10000], more[8192];
	WRITE3args w = { F(f), 0, sizeof(data), FILE_SYNC, { sizeof(data), data } };
	READ3args ra = { F(f), 0, 32768 };
	WRITE3res wr;
	READ3res rr;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 3);
	EXPECT3(c, WRITE, WRITE, w, wr, NFS3_OK);
	CHECK(wr.status != NFS3_OK || wr.WRITE3res_u.resok.count == sizeof(data),
	      "WRITE count %u", wr.WRITE3res_u.resok.count);
	FREE3(WRITE, wr);
	EXPECT3(c, READ, READ, ra, rr, NFS3_OK);
	CHECK(rr.status != NFS3_OK || (rr.READ3res_u.resok.data.data_len == sizeof(data) &&
					rr.READ3res_u.resok.eof &&
					!memcmp(rr.READ3res_u.resok.data.data_val, data,
						sizeof(data))),
	      "READ does not return what WRITE wrote");
	FREE3(READ, rr);
	/* The same over UDP: an 8 KiB WRITE and READ. */
	memset(more, 'u', sizeof(more));
	w = (WRITE3args){ F(f), sizeof(data), sizeof(more), FILE_SYNC, { sizeof(more), more } };
	EXPECT3(udp, WRITE, WRITE, w, wr, NFS3_OK);
	FREE3(WRITE, wr);
	ra.offset = sizeof(data);
	ra.count = 8192;
	EXPECT3(udp, READ, READ, ra, rr, NFS3_OK);
	CHECK(rr.status != NFS3_OK || (rr.READ3res_u.resok.data.data_len == sizeof(more) &&
					!memcmp(rr.READ3res_u.resok.data.data_val, more,
						sizeof(more))), "READ over UDP differs");
	FREE3(READ, rr);
}

static void attrs3(CLIENT *c, struct fh *root, struct fh *f)
{
	GETATTR3args ga = { F(root) };
	SETATTR3args sa = { F(f) };
	ACCESS3args aa = { F(f), ACCESS3_READ | ACCESS3_MODIFY };
	struct fh bad = { 16, "XX" };
	GETATTR3res gr;
	SETATTR3res sr;
	ACCESS3res ar;

	EXPECT3(c, GETATTR, GETATTR, ga, gr, NFS3_OK);
	CHECK(gr.status != NFS3_OK || gr.GETATTR3res_u.resok.obj_attributes.type == NF3DIR,
	      "GETATTR root: not a directory");
	FREE3(GETATTR, gr);
	ga.object = F(&bad);
	EXPECT3(c, GETATTR, GETATTR, ga, gr, NFS3ERR_BADHANDLE);
	FREE3(GETATTR, gr);
	sa.new_attributes.size.set_it = TRUE;
	sa.new_attributes.size.set_size3_u.size = 5000;
	EXPECT3(c, SETATTR, SETATTR, sa, sr, NFS3_OK);
	FREE3(SETATTR, sr);
	ga.object = F(f);
	EXPECT3(c, GETATTR, GETATTR, ga, gr, NFS3_OK);
	CHECK(gr.status != NFS3_OK || gr.GETATTR3res_u.resok.obj_attributes.size == 5000,
	      "SETATTR size 5000 not applied");
	FREE3(GETATTR, gr);
	sa.guard.check = TRUE; /* ctime guard that cannot match */
	EXPECT3(c, SETATTR, SETATTR, sa, sr, NFS3ERR_NOT_SYNC);
	FREE3(SETATTR, sr);
	EXPECT3(c, ACCESS, ACCESS, aa, ar, NFS3_OK);
	CHECK(ar.status != NFS3_OK ||
	      (ar.ACCESS3res_u.resok.access & (ACCESS3_READ | ACCESS3_MODIFY)) ==
		      (ACCESS3_READ | ACCESS3_MODIFY), "ACCESS: root may not read+modify");
	FREE3(ACCESS, ar);
}

static void names3(CLIENT *c, struct fh *d, struct fh *f)
{
	LOOKUP3args la = { { F(d), "f" } };
	SYMLINK3args sa = { { F(d), "l" } };
	READLINK3args ra;
	MKNOD3args na = { { F(d), "fifo" } };
	LINK3args ka = { F(f), { F(d), "f2" } };
	RENAME3args rn = { { F(d), "f2" }, { F(d), "f3" } };
	REMOVE3args rm = { { F(d), "f3" } };
	struct fh l, sub;
	LOOKUP3res lr;
	SYMLINK3res sr;
	READLINK3res rr;
	MKNOD3res nr;
	LINK3res kr;
	RENAME3res rnr;
	REMOVE3res rmr;
	RMDIR3args da = { { F(d), "sub" } };
	RMDIR3res dr;

	EXPECT3(c, LOOKUP, LOOKUP, la, lr, NFS3_OK);
	CHECK(lr.status != NFS3_OK || (lr.LOOKUP3res_u.resok.object.data.data_len == f->len &&
					!memcmp(lr.LOOKUP3res_u.resok.object.data.data_val, f->b,
						f->len)), "LOOKUP f: another handle");
	FREE3(LOOKUP, lr);
	la.what.name = "missing";
	EXPECT3(c, LOOKUP, LOOKUP, la, lr, NFS3ERR_NOENT);
	FREE3(LOOKUP, lr);
	sa.symlink.symlink_data = "f";
	EXPECT3(c, SYMLINK, SYMLINK, sa, sr, NFS3_OK);
	if (sr.status == NFS3_OK && sr.SYMLINK3res_u.resok.obj.handle_follows)
		keep3(&l, &sr.SYMLINK3res_u.resok.obj.post_op_fh3_u.handle);
	FREE3(SYMLINK, sr);
	ra.symlink = F(&l);
	EXPECT3(c, READLINK, READLINK, ra, rr, NFS3_OK);
	CHECK(rr.status != NFS3_OK || !strcmp(rr.READLINK3res_u.resok.data, "f"),
	      "READLINK: not 'f'");
	FREE3(READLINK, rr);
	ra.symlink = F(f);
	EXPECT3(c, READLINK, READLINK, ra, rr, NFS3ERR_INVAL);
	FREE3(READLINK, rr);
	na.what.type = NF3FIFO;
	sattr_mode(&na.what.mknoddata3_u.pipe_attributes, 0600);
	EXPECT3(c, MKNOD, MKNOD, na, nr, NFS3_OK);
	FREE3(MKNOD, nr);
	na.what.type = NF3REG;
	na.where.name = "reg";
	EXPECT3(c, MKNOD, MKNOD, na, nr, NFS3ERR_BADTYPE);
	FREE3(MKNOD, nr);
	EXPECT3(c, LINK, LINK, ka, kr, NFS3_OK);
	FREE3(LINK, kr);
	EXPECT3(c, LINK, LINK, ka, kr, NFS3ERR_EXIST);
	FREE3(LINK, kr);
	EXPECT3(c, RENAME, RENAME, rn, rnr, NFS3_OK);
	FREE3(RENAME, rnr);
	EXPECT3(c, RENAME, RENAME, rn, rnr, NFS3ERR_NOENT);
	FREE3(RENAME, rnr);
	EXPECT3(c, REMOVE, REMOVE, rm, rmr, NFS3_OK);
	FREE3(REMOVE, rmr);
	EXPECT3(c, REMOVE, REMOVE, rm, rmr, NFS3ERR_NOENT);
	FREE3(REMOVE, rmr);
	mkdir3(c, d, "sub", NFS3_OK, &sub);
	EXPECT3(c, RMDIR, RMDIR, da, dr, NFS3_OK);
	FREE3(RMDIR, dr);
}

static void dirs3(CLIENT *c, struct fh *root, struct fh *d)
{
	READDIR3args ra = { F(d), 0, { 0 }, 8192 };
	READDIRPLUS3args pa = { F(d), 0, { 0 }, 8192, 32768 };
	RMDIR3args da = { { F(root), "d" } };
	READDIR3res rr;
	READDIRPLUS3res pr;
	RMDIR3res dr;
	int n = 0;

	EXPECT3(c, READDIR, READDIR, ra, rr, NFS3_OK);
	if (rr.status == NFS3_OK)
		for (entry3 *e = rr.READDIR3res_u.resok.reply.entries; e; e = e->nextentry)
			n += !strcmp(e->name, "f") || !strcmp(e->name, "l") ||
			     !strcmp(e->name, "fifo");
	CHECK(n == 3, "READDIR lists %d of f, l, fifo", n);
	FREE3(READDIR, rr);
	memcpy(ra.cookieverf, "badverf!", NFS3_COOKIEVERFSIZE);
	ra.cookie = 3;
	EXPECT3(c, READDIR, READDIR, ra, rr, NFS3ERR_BAD_COOKIE);
	FREE3(READDIR, rr);
	n = 0;
	EXPECT3(c, READDIRPLUS, READDIRPLUS, pa, pr, NFS3_OK);
	if (pr.status == NFS3_OK)
		for (entryplus3 *e = pr.READDIRPLUS3res_u.resok.reply.entries; e;
		     e = e->nextentry)
			n += e->name_handle.handle_follows && e->name_attributes.attributes_follow;
	CHECK(n >= 5, "READDIRPLUS: %d entries with handle and attributes", n);
	FREE3(READDIRPLUS, pr);
	EXPECT3(c, RMDIR, RMDIR, da, dr, NFS3ERR_NOTEMPTY);
	FREE3(RMDIR, dr);
}

static void fs3(CLIENT *c, struct fh *root, struct fh *f)
{
	FSSTAT3args sa = { F(root) };
	FSINFO3args ia = { F(root) };
	PATHCONF3args pa = { F(root) };
	COMMIT3args ca = { F(f), 0, 0 };
	FSSTAT3res sr;
	FSINFO3res ir;
	PATHCONF3res pr;
	COMMIT3res cr;

	EXPECT3(c, FSSTAT, FSSTAT, sa, sr, NFS3_OK);
	FREE3(FSSTAT, sr);
	EXPECT3(c, FSINFO, FSINFO, ia, ir, NFS3_OK);
	CHECK(ir.status != NFS3_OK || (ir.FSINFO3res_u.resok.rtmax >= 8192 &&
					ir.FSINFO3res_u.resok.wtmax >= 8192),
	      "FSINFO: rtmax %u wtmax %u", ir.FSINFO3res_u.resok.rtmax,
	      ir.FSINFO3res_u.resok.wtmax);
	FREE3(FSINFO, ir);
	EXPECT3(c, PATHCONF, PATHCONF, pa, pr, NFS3_OK);
	CHECK(pr.status != NFS3_OK || pr.PATHCONF3res_u.resok.name_max == 255,
	      "PATHCONF name_max %u", pr.PATHCONF3res_u.resok.name_max);
	FREE3(PATHCONF, pr);
	EXPECT3(c, COMMIT, COMMIT, ca, cr, NFS3_OK);
	FREE3(COMMIT, cr);
}

static bool_t xdr_bad_fh(XDR *x, void *p)
{
	u_int len = 1000; /* longer than NFS3_FHSIZE */

	(void)p;
	return xdr_u_int(x, &len);
}

static void rpc_errors(CLIENT *c)
{
	struct rpc_err e;
	CLIENT *v4 = client("127.0.0.1", false, cl.nfs_port, NFS_PROGRAM, 4, 0);
	CLIENT *other = client("127.0.0.1", false, cl.nfs_port, 100099, 1, 0);
	GETATTR3res r;

	CHECK(call(c, 22, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)bfs_xdr_void, NULL, 0) ==
	      RPC_PROCUNAVAIL, "NFSv3 procedure 22 is not PROC_UNAVAIL");
	CHECK(call(c, NFSPROC3_GETATTR, (xdrproc_t)xdr_bad_fh, NULL, (xdrproc_t)xdr_GETATTR3res,
		   &r, sizeof(r)) == RPC_CANTDECODEARGS, "a 1000-byte handle is not GARBAGE_ARGS");
	if (v4) {
		CHECK(call(v4, 0, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)bfs_xdr_void, NULL, 0) ==
		      RPC_PROGVERSMISMATCH, "NFS v4 is not PROG_MISMATCH");
		clnt_geterr(v4, &e);
		CHECK(e.re_vers.low == 2 && e.re_vers.high == 3, "PROG_MISMATCH %lu..%lu",
		      (unsigned long)e.re_vers.low, (unsigned long)e.re_vers.high);
		destroy(v4);
	}
	if (other) {
		CHECK(call(other, 0, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)bfs_xdr_void, NULL, 0) ==
		      RPC_PROGUNAVAIL, "program 100099 is not PROG_UNAVAIL");
		destroy(other);
	}
}

/* ---- NFSv2 ---- */

static void v2(CLIENT *c2, struct fh *root)
{
	static char data[NFS_MAXDATA];
	nfs_fh r2, d2, a2;
	diropargs da;
	createargs ca;
	writeargs wa;
	readargs ra;
	readdirargs rda;
	attrstat as;
	diropres dr;
	readres rr;
	readdirres rdr;
	statfsres sr;
	nfsstat st;
	int n = 0;

	memset(&r2, 0, sizeof(r2));
	r2.data[0] = (char)root->len;
	memcpy(r2.data + 1, root->b, root->len);
	OK(call(c2, NFSPROC_GETATTR, (xdrproc_t)xdr_nfs_fh, &r2, (xdrproc_t)xdr_attrstat, &as,
		sizeof(as)), "v2 GETATTR");
	CHECK(as.status == NFS_OK && as.attrstat_u.attributes.type == NFDIR &&
	      (as.attrstat_u.attributes.mode & 0170000) == 0040000, "v2 GETATTR root: %d",
	      as.status);
	memset(&ca, 0, sizeof(ca));
	memset(&ca.attributes, 0xff, sizeof(ca.attributes));
	ca.attributes.mode = 040755;
	ca.where = (diropargs){ r2, "v2d" };
	OK(call(c2, NFSPROC_MKDIR, (xdrproc_t)xdr_createargs, &ca, (xdrproc_t)xdr_diropres, &dr,
		sizeof(dr)), "v2 MKDIR");
	CHECK(dr.status == NFS_OK, "v2 MKDIR: %d", dr.status);
	d2 = dr.diropres_u.diropres.file;
	ca.where = (diropargs){ d2, "a" };
	ca.attributes.mode = 0100644;
	OK(call(c2, NFSPROC_CREATE, (xdrproc_t)xdr_createargs, &ca, (xdrproc_t)xdr_diropres,
		&dr, sizeof(dr)), "v2 CREATE");
	CHECK(dr.status == NFS_OK && dr.diropres_u.diropres.attributes.type == NFREG,
	      "v2 CREATE: %d", dr.status);
	a2 = dr.diropres_u.diropres.file;
	memset(data, 'v', sizeof(data));
	wa = (writeargs){ a2, 0, 0, 0, { sizeof(data), data } };
	OK(call(c2, NFSPROC_WRITE, (xdrproc_t)xdr_writeargs, &wa, (xdrproc_t)xdr_attrstat, &as,
		sizeof(as)), "v2 WRITE");
	CHECK(as.status == NFS_OK && as.attrstat_u.attributes.size == sizeof(data),
	      "v2 WRITE: %d, size %u", as.status, as.attrstat_u.attributes.size);
	wa.offset = 0xffffff00u; /* past 4 GiB: NFSERR_FBIG, never wrapped */
	OK(call(c2, NFSPROC_WRITE, (xdrproc_t)xdr_writeargs, &wa, (xdrproc_t)xdr_attrstat, &as,
		sizeof(as)), "v2 WRITE at 4 GiB");
	CHECK(as.status == NFSERR_FBIG, "v2 WRITE past 4 GiB: %d, want FBIG", as.status);
	ra = (readargs){ a2, 0, NFS_MAXDATA, 0 };
	OK(call(c2, NFSPROC_READ, (xdrproc_t)xdr_readargs, &ra, (xdrproc_t)xdr_readres, &rr,
		sizeof(rr)), "v2 READ");
	CHECK(rr.status == NFS_OK && rr.readres_u.reply.data.data_len == sizeof(data) &&
	      !memcmp(rr.readres_u.reply.data.data_val, data, sizeof(data)), "v2 READ differs");
	xdr_free((xdrproc_t)xdr_readres, (char *)&rr);
	da = (diropargs){ d2, "a" };
	OK(call(c2, NFSPROC_LOOKUP, (xdrproc_t)xdr_diropargs, &da, (xdrproc_t)xdr_diropres, &dr,
		sizeof(dr)), "v2 LOOKUP");
	CHECK(dr.status == NFS_OK && !memcmp(dr.diropres_u.diropres.file.data, a2.data,
					     NFS_FHSIZE), "v2 LOOKUP: %d", dr.status);
	da.name = "zz";
	OK(call(c2, NFSPROC_LOOKUP, (xdrproc_t)xdr_diropargs, &da, (xdrproc_t)xdr_diropres, &dr,
		sizeof(dr)), "v2 LOOKUP missing");
	CHECK(dr.status == NFSERR_NOENT, "v2 LOOKUP missing: %d", dr.status);
	memset(&rda, 0, sizeof(rda));
	rda.dir = d2;
	rda.count = 4096;
	OK(call(c2, NFSPROC_READDIR, (xdrproc_t)xdr_readdirargs, &rda,
		(xdrproc_t)xdr_readdirres, &rdr, sizeof(rdr)), "v2 READDIR");
	if (rdr.status == NFS_OK)
		for (entry *e = rdr.readdirres_u.reply.entries; e; e = e->nextentry)
			n += !strcmp(e->name, "a");
	CHECK(rdr.status == NFS_OK && n == 1 && rdr.readdirres_u.reply.eof,
	      "v2 READDIR: %d, 'a' listed %d times", rdr.status, n);
	xdr_free((xdrproc_t)xdr_readdirres, (char *)&rdr);
	OK(call(c2, NFSPROC_STATFS, (xdrproc_t)xdr_nfs_fh, &r2, (xdrproc_t)xdr_statfsres, &sr,
		sizeof(sr)), "v2 STATFS");
	CHECK(sr.status == NFS_OK && sr.statfsres_u.reply.bsize > 0, "v2 STATFS: %d", sr.status);
	da = (diropargs){ r2, "v2d" };
	OK(call(c2, NFSPROC_RMDIR, (xdrproc_t)xdr_diropargs, &da, (xdrproc_t)xdr_nfsstat, &st,
		sizeof(st)), "v2 RMDIR");
	CHECK(st == NFSERR_NOTEMPTY, "v2 RMDIR of a non-empty directory: %d", st);
	da = (diropargs){ d2, "a" };
	OK(call(c2, NFSPROC_REMOVE, (xdrproc_t)xdr_diropargs, &da, (xdrproc_t)xdr_nfsstat, &st,
		sizeof(st)), "v2 REMOVE");
	CHECK(st == NFS_OK, "v2 REMOVE: %d", st);
	memset(r2.data, 0, sizeof(r2.data)); /* length byte 0: not a handle of ours */
	OK(call(c2, NFSPROC_GETATTR, (xdrproc_t)xdr_nfs_fh, &r2, (xdrproc_t)xdr_attrstat, &as,
		sizeof(as)), "v2 GETATTR bad handle");
	CHECK(as.status == NFSERR_STALE, "v2 GETATTR of a bad handle: %d", as.status);
}

/* ---- raw records: what libtirpc clients never send ---- */

static bool raw_send(int fd, const uint32_t *w, size_t n)
{
	uint32_t buf[64];
	size_t i;

	buf[0] = htonl(0x80000000u | (uint32_t)(4 * n));
	for (i = 0; i < n; i++)
		buf[i + 1] = htonl(w[i]);
	return write(fd, buf, 4 * (n + 1)) == (ssize_t)(4 * (n + 1));
}

static bool read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)p + got, n - got);

		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

/* One reply record's words (at most max); -1 on EOF or timeout. */
static int raw_recv(int fd, uint32_t *w, int max)
{
	uint32_t mark, len, buf[16384];
	int i;

	if (!read_full(fd, &mark, 4))
		return -1;
	len = ntohl(mark) & 0x7fffffffu;
	if (len > sizeof(buf) || !read_full(fd, buf, len))
		return -1;
	for (i = 0; i < (int)(len / 4) && i < max; i++)
		w[i] = ntohl(buf[i]);
	return i;
}

static bool closed_by_peer(int fd)
{
	char b;

	return read(fd, &b, 1) == 0;
}

static void raw_tests(struct fh *root)
{
	uint32_t w[64], r[64];
	int fd = connected_socket(SOCK_STREAM, "127.0.0.1", cl.nfs_port), i, n, got = 0;
	uint8_t seen[40] = { 0 };

	if (fd < 0) {
		CHECK(false, "raw connect failed");
		return;
	}
	/* AUTH_DH (3): AUTH_ERROR AUTH_TOOWEAK */
	uint32_t dh[] = { 7, 0, 2, NFS_PROGRAM, 3, 0, 3, 0, 0, 0 };
	raw_send(fd, dh, 10);
	n = raw_recv(fd, r, 64);
	CHECK(n == 5 && r[0] == 7 && r[2] == 1 && r[3] == 1 && r[4] == AUTH_TOOWEAK,
	      "AUTH_DH: not MSG_DENIED AUTH_ERROR AUTH_TOOWEAK");
	/* RPC version 3: RPC_MISMATCH 2..2 */
	uint32_t v3rpc[] = { 8, 0, 3, NFS_PROGRAM, 3, 0, 0, 0, 0, 0 };
	raw_send(fd, v3rpc, 10);
	n = raw_recv(fd, r, 64);
	CHECK(n == 6 && r[2] == 1 && r[3] == 0 && r[4] == 2 && r[5] == 2,
	      "RPC version 3: not RPC_MISMATCH 2..2");
	/* 40 GETATTRs in one write: all answered on one connection */
	for (i = 0; i < 40; i++) {
		uint32_t *c = w, k = 0;

		c[k++] = 1000 + (uint32_t)i;
		c[k++] = 0, c[k++] = 2, c[k++] = NFS_PROGRAM, c[k++] = 3, c[k++] = 1;
		c[k++] = 0, c[k++] = 0, c[k++] = 0, c[k++] = 0; /* AUTH_NONE */
		c[k++] = root->len;
		memcpy(&c[k], root->b, root->len);
		for (uint32_t j = 0; j < root->len / 4; j++)
			c[k + j] = ntohl(c[k + j]);
		k += root->len / 4;
		raw_send(fd, c, k);
	}
	for (i = 0; i < 40; i++) {
		n = raw_recv(fd, r, 64);
		if (n >= 7 && r[0] >= 1000 && r[0] < 1040 && r[5] == 0 && r[6] == NFS3_OK)
			got += !seen[r[0] - 1000]++;
	}
	CHECK(got == 40, "pipelined GETATTRs: %d of 40 answered", got);
	/* a non-call record closes the connection */
	uint32_t reply[] = { 9, 1, 0 };
	raw_send(fd, reply, 3);
	CHECK(closed_by_peer(fd), "a REPLY record did not close the connection");
	close(fd);
	/* a record longer than max_record closes the connection */
	fd = connected_socket(SOCK_STREAM, "127.0.0.1", cl.nfs_port);
	w[0] = htonl(0x80000000u | 1000000u);
	CHECK(fd >= 0 && write(fd, w, 4) == 4 && closed_by_peer(fd),
	      "a 1 MB record did not close the connection");
	close(fd);
	/* a WRITE whose client disconnects before the reply */
	fd = connected_socket(SOCK_STREAM, "127.0.0.1", cl.nfs_port);
	uint32_t create[] = { 11, 0, 2, NFS_PROGRAM, 3, NFSPROC3_MKDIR, 0, 0, 0, 0 };
	raw_send(fd, create, 10); /* garbage args: the replicas answer, nobody listens */
	close(fd);
	/* an address no export lists: TCP closed at once, UDP AUTH_ERROR */
	fd = connected_socket(SOCK_STREAM, "127.0.0.2", cl.nfs_port);
	CHECK(fd >= 0 && closed_by_peer(fd), "127.0.0.2 was not refused over TCP");
	close(fd);
	fd = connected_socket(SOCK_DGRAM, "127.0.0.2", cl.nfs_port);
	uint32_t null[] = { 12, 0, 2, NFS_PROGRAM, 3, 0, 0, 0, 0, 0 };
	for (i = 0; i < 10; i++)
		w[i] = htonl(null[i]);
	CHECK(fd >= 0 && send(fd, w, 40, 0) == 40 && recv(fd, r, sizeof(r), 0) == 20 &&
	      ntohl(r[2]) == 1 && ntohl(r[3]) == 1 && ntohl(r[4]) == AUTH_TOOWEAK,
	      "127.0.0.2 over UDP: not AUTH_ERROR AUTH_TOOWEAK");
	if (fd >= 0)
		close(fd);
}

/* 127.0.0.3: only the read-only export /pub, root squashed. */
static void read_only(struct fh *root)
{
	CLIENT *m = client("127.0.0.3", false, cl.mount_port, MOUNT_PROGRAM, 3, 0);
	CLIENT *c = client("127.0.0.3", false, cl.nfs_port, NFS_PROGRAM, 3, 0);
	struct fh pub;
	ACCESS3args aa;
	ACCESS3res ar;

	(void)root;
	if (!m || !c) {
		CHECK(false, "cannot connect from 127.0.0.3");
		return;
	}
	mnt3(m, "/", MNT3ERR_ACCES, NULL);
	mnt3(m, "/pub/../x", MNT3ERR_INVAL, NULL);
	if (mnt3(m, "/pub", MNT3_OK, &pub)) {
		create3(c, &pub, "nope", NFS3ERR_ROFS, NULL);
		mkdir3(c, &pub, "nope", NFS3ERR_ROFS, NULL);
		aa = (ACCESS3args){ F(&pub), ACCESS3_READ | ACCESS3_MODIFY | ACCESS3_LOOKUP };
		EXPECT3(c, ACCESS, ACCESS, aa, ar, NFS3_OK);
		CHECK(ar.status != NFS3_OK || !(ar.ACCESS3res_u.resok.access & ACCESS3_MODIFY),
		      "ACCESS on a read-only export grants MODIFY");
		FREE3(ACCESS, ar);
	}
	destroy(m);
	destroy(c);
}

static void on_alarm(int signo)
{
	static const char msg[] = "FAIL: test_nfsproxy_rpc timed out\n";

	(void)signo;
	for (int i = 0; i <= NFSPC_REPLICAS; i++)
		if (cl.pids[i] > 0)
			kill(cl.pids[i], SIGKILL);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void cleanup(void)
{
	nfspc_kill_all(&cl, getenv("KEEP") != NULL);
}

static void scenario(void)
{
	CLIENT *m = client("127.0.0.1", false, cl.mount_port, MOUNT_PROGRAM, 3, 0);
	CLIENT *m1 = client("127.0.0.1", true, cl.mount_port, MOUNT_PROGRAM, 1, 0);
	CLIENT *c = client("127.0.0.1", false, cl.nfs_port, NFS_PROGRAM, 3, 0);
	CLIENT *u = client("127.0.0.1", true, cl.nfs_port, NFS_PROGRAM, 3, 0);
	CLIENT *c2 = client("127.0.0.1", false, cl.nfs_port, NFS_PROGRAM, 2, 0);
	struct fh root = { 0 }, d, f, pub;

	if (!m || !m1 || !c || !u || !c2) {
		CHECK(false, "cannot create the RPC clients");
		return;
	}
	OK(call(c, NFSPROC3_NULL, (xdrproc_t)bfs_xdr_void, NULL, (xdrproc_t)bfs_xdr_void, NULL, 0),
	   "NFS NULL");
	test_mount(m, m1, &root);
	if (root.len != 16)
		return;
	if (mkdir3(c, &root, "d", NFS3_OK, &d) && create3(c, &d, "f", NFS3_OK, &f)) {
		mkdir3(c, &root, "d", NFS3ERR_EXIST, NULL);
		create3(c, &d, "f", NFS3ERR_EXIST, NULL);
		mnt3(m, "/d/f", MNT3ERR_NOTDIR, NULL);
		mnt3(m, "/d", MNT3_OK, NULL);
		rw3(c, &f, u);
		attrs3(c, &root, &f);
		names3(c, &d, &f);
		dirs3(c, &root, &d);
		fs3(c, &root, &f);
	}
	rpc_errors(c);
	v2(c2, &root);
	raw_tests(&root);
	if (mkdir3(c, &root, "pub", NFS3_OK, &pub))
		read_only(&root);
	destroy(m);
	destroy(m1);
	destroy(c);
	destroy(u);
	destroy(c2);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: test_nfsproxy_rpc BFSD BFSCTL NFSPROXY\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(50);
	if (!nfspc_init(&cl, argv[2], (uint16_t)(42000 + (getpid() % 1000) * 10)))
		return 1;
	atexit(cleanup);
	if (!nfspc_set_exports(&cl, "export_1 = / clients=127.0.0.1/32 rw no_root_squash\n"
			       "export_2 = /pub clients=127.0.0.3/32 ro\n"
			       "max_record = 65536") ||
	    !nfspc_start(&cl, argv[1], argv[3], (const char *const[]){ "--rpcbind", "no", NULL })) {
		fprintf(stderr, "FAIL: cannot start the cluster (logs in %s)\n", cl.dir);
		return 1;
	}
	scenario();
	CHECK(kill(cl.pids[NFSPC_REPLICAS], 0) == 0, "nfsproxy died during the test");
	CHECK(nfspc_stop_proxy(&cl), "nfsproxy did not exit cleanly on SIGTERM");
	if (failures)
		fprintf(stderr, "%d failure(s); logs in %s (KEEP=1 keeps them)\n", failures, cl.dir);
	else
		printf("ok: MOUNT v1/v3, all NFSv3 procedures, NFSv2, RPC errors, access "
		       "control and robustness through nfsproxy into 4 replicas\n");
	return failures ? 1 : 0;
}
