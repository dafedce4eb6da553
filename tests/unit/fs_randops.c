/*
 * fs_randops.c — see fs_randops.h. splitmix64 as the generator: portable,
 * seeded, no global state.
 */
#include <check.h>
#include <string.h>

#include "bfs/op_xdr.h"
#include "fs_randops.h"

static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h",
				     "dir", "file", "x.txt", "long-name-0123456789" };
#define N_NAMES (sizeof(names) / sizeof(names[0]))

uint64_t randops_u64(struct randops *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(struct randops *g, uint32_t n)
{
	return (uint32_t)(randops_u64(g) % n);
}

void randops_init(struct randops *g, uint64_t seed, const struct tfh *root)
{
	memset(g, 0, sizeof(*g));
	g->state = seed;
	g->fh[0] = g->dir[0] = *root;
	g->nfh = g->ndir = 1;
}

static nfs_fh3 any_fh(struct randops *g)
{
	return fx_fh(&g->fh[below(g, g->nfh)]);
}

/* Mostly a known directory, sometimes any object (NOTDIR, STALE paths). */
static diropargs3 any_where(struct randops *g)
{
	nfs_fh3 fh = below(g, 8) ? fx_fh(&g->dir[below(g, g->ndir)]) : any_fh(g);
	diropargs3 d = { fh, (char *)names[below(g, N_NAMES)] };
	return d;
}

static sattr3 any_sattr(struct randops *g)
{
	sattr3 s;
	memset(&s, 0, sizeof(s));
	if (below(g, 2)) {
		s.mode.set_it = TRUE;
		s.mode.set_mode3_u.mode = below(g, 010000);
	}
	if (below(g, 4) == 0) {
		s.size.set_it = TRUE;
		s.size.set_size3_u.size = below(g, 3) ? below(g, 30000) : randops_u64(g) >> 24;
	}
	if (below(g, 4) == 0)
		s.mtime.set_it = (time_how)below(g, 3);
	s.mtime.set_mtime_u.mtime = (nfstime3){ below(g, 1u << 31), below(g, 1000000000u) };
	return s;
}

static uint64_t any_offset(struct randops *g)
{
	switch (below(g, 4)) {
	case 0: return 0;
	case 1: return below(g, 20000);
	case 2: return below(g, 1u << 30);
	default: return randops_u64(g) >> 20;
	}
}

static uint8_t data[8192];

union anyargs {
	GETATTR3args getattr;
	SETATTR3args setattr;
	LOOKUP3args lookup;
	ACCESS3args access;
	READ3args read;
	WRITE3args write;
	CREATE3args create;
	MKDIR3args mkdir;
	SYMLINK3args symlink;
	MKNOD3args mknod;
	REMOVE3args remove;
	RENAME3args rename;
	LINK3args link;
	READDIRPLUS3args readdirplus;
};

static xdrproc_t fill(struct randops *g, uint32_t proc, union anyargs *a)
{
	switch (proc) {
	case NFSPROC3_GETATTR:
	case NFSPROC3_READLINK:
	case NFSPROC3_FSSTAT:
		a->getattr.object = any_fh(g);
		return (xdrproc_t)xdr_GETATTR3args;
	case NFSPROC3_SETATTR:
		a->setattr.object = any_fh(g);
		a->setattr.new_attributes = any_sattr(g);
		return (xdrproc_t)xdr_SETATTR3args;
	case NFSPROC3_LOOKUP:
	case NFSPROC3_REMOVE:
	case NFSPROC3_RMDIR:
		a->lookup.what = any_where(g);
		return (xdrproc_t)xdr_LOOKUP3args;
	case NFSPROC3_ACCESS:
		a->access = (ACCESS3args){ any_fh(g), below(g, 64) };
		return (xdrproc_t)xdr_ACCESS3args;
	case NFSPROC3_READ:
		a->read = (READ3args){ any_fh(g), any_offset(g), below(g, 40000) };
		return (xdrproc_t)xdr_READ3args;
	case NFSPROC3_WRITE: {
		uint32_t n = below(g, sizeof(data));
		a->write = (WRITE3args){ any_fh(g), any_offset(g), n, FILE_SYNC, { n, (char *)data } };
		return (xdrproc_t)xdr_WRITE3args;
	}
	case NFSPROC3_CREATE:
		a->create.where = any_where(g);
		a->create.how.mode = (createmode3)below(g, 3);
		if (a->create.how.mode == EXCLUSIVE)
			memcpy(a->create.how.createhow3_u.verf, below(g, 2) ? "verfAAAA" : "verfBBBB", 8);
		else
			a->create.how.createhow3_u.obj_attributes = any_sattr(g);
		return (xdrproc_t)xdr_CREATE3args;
	case NFSPROC3_MKDIR:
		a->mkdir = (MKDIR3args){ any_where(g), any_sattr(g) };
		return (xdrproc_t)xdr_MKDIR3args;
	case NFSPROC3_SYMLINK:
		a->symlink.where = any_where(g);
		a->symlink.symlink.symlink_data = (char *)names[below(g, N_NAMES)];
		return (xdrproc_t)xdr_SYMLINK3args;
	case NFSPROC3_MKNOD:
		a->mknod.where = any_where(g);
		a->mknod.what.type = (ftype3)(1 + below(g, 7));
		return (xdrproc_t)xdr_MKNOD3args;
	case NFSPROC3_RENAME:
		a->rename = (RENAME3args){ any_where(g), any_where(g) };
		return (xdrproc_t)xdr_RENAME3args;
	case NFSPROC3_LINK:
		a->link = (LINK3args){ any_fh(g), any_where(g) };
		return (xdrproc_t)xdr_LINK3args;
	default:
		a->readdirplus.dir = any_fh(g);
		a->readdirplus.cookie = below(g, 4) ? 0 : below(g, 40);
		a->readdirplus.dircount = below(g, 4096);
		a->readdirplus.maxcount = below(g, 40000);
		return (xdrproc_t)xdr_READDIRPLUS3args;
	}
}

static const uint32_t mix[] = {
	NFSPROC3_GETATTR, NFSPROC3_SETATTR, NFSPROC3_LOOKUP, NFSPROC3_LOOKUP,
	NFSPROC3_ACCESS, NFSPROC3_READLINK, NFSPROC3_READ, NFSPROC3_WRITE,
	NFSPROC3_WRITE, NFSPROC3_CREATE, NFSPROC3_CREATE, NFSPROC3_MKDIR,
	NFSPROC3_SYMLINK, NFSPROC3_MKNOD, NFSPROC3_REMOVE, NFSPROC3_RMDIR,
	NFSPROC3_RENAME, NFSPROC3_RENAME, NFSPROC3_LINK, NFSPROC3_READDIRPLUS,
	NFSPROC3_FSSTAT,
};

uint32_t randops_next(struct randops *g, uint8_t *buf, uint32_t cap)
{
	if (data[0] == 0)
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 131 + 7);
	uint32_t proc = mix[below(g, sizeof(mix) / sizeof(mix[0]))];
	union anyargs a;
	memset(&a, 0, sizeof(a));
	xdrproc_t xa = fill(g, proc, &a);
	static const uint32_t uids[] = { 0, 0, 0, 1000, 1001 };
	struct bfs_op_hdr h = { .proc = (uint16_t)proc };
	h.cred.uid = uids[below(g, 5)];
	h.cred.gid = h.cred.uid == 0 ? 0 : 100;
	size_t len;
	ck_assert_int_eq(bfs_op_encode(&h, xa, &a, buf, cap, &len), 0);
	if (below(g, 50) == 0)
		buf[below(g, (uint32_t)len)] ^= (uint8_t)(1u << below(g, 8));
	if (below(g, 100) == 0)
		len = below(g, (uint32_t)len);
	g->last_proc = proc;
	return (uint32_t)len;
}

/* Add fh to a pool; when full, replace a random entry other than the root. */
static void remember(struct randops *g, struct tfh *pool, unsigned *n, const nfs_fh3 *fh)
{
	unsigned slot = *n < RANDOPS_MAX_FH ? (*n)++ : 1 + below(g, RANDOPS_MAX_FH - 1);
	memcpy(pool[slot].b, fh->data.data_val, BFS_FS_FH_LEN);
}

void randops_learn(struct randops *g, const uint8_t *res, uint32_t len)
{
	uint32_t p = g->last_proc, accept;
	if (p != NFSPROC3_CREATE && p != NFSPROC3_MKDIR && p != NFSPROC3_SYMLINK &&
	    p != NFSPROC3_MKNOD && p != NFSPROC3_LOOKUP)
		return;
	/* CREATE3res, MKDIR3res, SYMLINK3res and MKNOD3res share one shape */
	CREATE3res r;
	LOOKUP3res l;
	memset(&r, 0, sizeof(r));
	memset(&l, 0, sizeof(l));
	const nfs_fh3 *fh = NULL;
	if (p == NFSPROC3_LOOKUP) {
		if (bfs_result_decode(res, len, &accept, (xdrproc_t)xdr_LOOKUP3res, &l) == 0 &&
		    accept == BFS_ACCEPT_SUCCESS && l.status == NFS3_OK)
			fh = &l.LOOKUP3res_u.resok.object;
	} else if (bfs_result_decode(res, len, &accept, (xdrproc_t)xdr_CREATE3res, &r) == 0 &&
		   accept == BFS_ACCEPT_SUCCESS && r.status == NFS3_OK &&
		   r.CREATE3res_u.resok.obj.handle_follows) {
		fh = &r.CREATE3res_u.resok.obj.post_op_fh3_u.handle;
	}
	if (fh != NULL && fh->data.data_len == BFS_FS_FH_LEN) {
		remember(g, g->fh, &g->nfh, fh);
		if (p == NFSPROC3_MKDIR)
			remember(g, g->dir, &g->ndir, fh);
	}
	xdr_free((xdrproc_t)xdr_LOOKUP3res, (char *)&l);
	xdr_free((xdrproc_t)xdr_CREATE3res, (char *)&r);
}
