/*
 * fs_create.c — the procedures that create a directory entry for a new
 * object: CREATE (RFC 1813 §3.3.8: UNCHECKED, GUARDED, EXCLUSIVE with a
 * verifier), MKDIR (§3.3.9), SYMLINK (§3.3.10) and MKNOD (§3.3.11: devices,
 * sockets and FIFOs exist only as attributes).
 *
 * One path (make_node) serves all four: validate the directory, name,
 * permission (write + search), existing entry, initial attributes and
 * limits (files, and room in the buckets of the new inode and entry:
 * fs_bucket.c); only then allocate the inode and write. New objects belong to the
 * caller's uid and to the caller's gid, or the directory's gid when the
 * directory is set-gid (BSD semantics; new directories inherit set-gid).
 * Never reads a clock.
 */
#include <string.h>

#include "fs_internal.h"

#define MODE_SGID 02000u
#define NOT_CREATE (-1)

struct new_node {
	uint32_t type;
	int how;                  /* createmode3 for CREATE, else NOT_CREATE */
	const sattr3 *attrs;      /* may be NULL */
	const char *target;       /* SYMLINK */
	uint32_t rdev1, rdev2;    /* MKNOD devices */
	const char *cverf;        /* CREATE EXCLUSIVE */
};

struct made {
	post_op_fh3 obj;
	post_op_attr attr;
	wcc_data wcc;
};

static uint32_t default_mode(uint32_t type)
{
	switch (type) {
	case NF3DIR: return 0755;
	case NF3LNK: return 0777;
	default: return 0644;
	}
}

static int reply_with(struct bfs_req *r, const struct bfs_inode *in, struct made *m)
{
	bfs_post_attr(r, in, &m->attr);
	return bfs_post_fh(r, in, &m->obj);
}

/* CREATE of a name that exists: UNCHECKED truncates a regular file if asked
 * (O_CREAT|O_TRUNC); EXCLUSIVE succeeds when the verifier is the one that
 * created the file (a retransmission); everything else is EXIST. */
static int existing(struct bfs_req *r, uint64_t child, const struct new_node *nn,
		    struct made *m)
{
	if (nn->how != UNCHECKED && nn->how != EXCLUSIVE)
		return NFS3ERR_EXIST;
	struct bfs_inode in;
	int st = bfs_inode_get(r, child, &in);
	if (st != 0)
		return st == NFS3ERR_STALE ? BFS_E_CORRUPT : st;
	if (in.type != NF3REG)
		return NFS3ERR_EXIST;
	if (nn->how == EXCLUSIVE) {
		if (!(in.flags & BFS_INODE_CVERF) ||
		    memcmp(in.cverf, nn->cverf, NFS3_CREATEVERFSIZE) != 0)
			return NFS3ERR_EXIST;
		return reply_with(r, &in, m);
	}
	if (nn->attrs != NULL && nn->attrs->size.set_it) {
		sattr3 s;
		memset(&s, 0, sizeof(s));
		s.size = nn->attrs->size;
		if ((st = bfs_sattr_check(r, &in, &s, false)) != 0 ||
		    (st = bfs_sattr_apply(r, &in, &s)) != 0 ||
		    (st = bfs_inode_put(r, &in)) != 0)
			return st;
	}
	return reply_with(r, &in, m);
}

/* The new inode before allocation, and the checks that depend on it. */
static int prepare(struct bfs_req *r, const struct bfs_inode *dir,
		   const struct new_node *nn, struct bfs_inode *in)
{
	memset(in, 0, sizeof(*in));
	in->type = nn->type;
	in->nlink = 1;
	in->uid = r->cred.uid;
	in->gid = (dir->mode & MODE_SGID) ? dir->gid : r->cred.gid;
	in->mode = default_mode(nn->type);
	in->rdev1 = nn->rdev1;
	in->rdev2 = nn->rdev2;
	if (nn->type == NF3LNK) {
		size_t n = strnlen(nn->target, BFS_PATH_MAX + 1);
		if (n > BFS_PATH_MAX)
			return NFS3ERR_NAMETOOLONG;
		if (n == 0)
			return NFS3ERR_INVAL;
		memcpy(in->target, nn->target, n + 1);
		in->target_len = (uint32_t)n;
		in->size = n;
	}
	if (nn->type == NF3DIR && dir->nlink >= BFS_LINK_MAX)
		return NFS3ERR_MLINK;
	int st = bfs_inode_room(r, in->target_len);
	if (st != 0)
		return st;
	return nn->attrs != NULL ? bfs_sattr_check(r, in, nn->attrs, true) : 0;
}

static int insert(struct bfs_req *r, struct bfs_inode *dir, const char *name,
		  const struct new_node *nn, struct bfs_inode *in)
{
	int st = bfs_inode_alloc(r, in);
	if (st == 0 && nn->attrs != NULL)
		st = bfs_sattr_apply(r, in, nn->attrs);
	if (st != 0)
		return st;
	if (nn->type == NF3LNK)
		in->mode = 0777;
	if (nn->type == NF3DIR) {
		in->nlink = 2;
		in->parent = dir->ino;
		in->next_cookie = BFS_COOKIE_FIRST;
		in->mode |= dir->mode & MODE_SGID;
		dir->nlink++;
	}
	if (nn->how == EXCLUSIVE) {
		memcpy(in->cverf, nn->cverf, NFS3_CREATEVERFSIZE);
		in->flags |= BFS_INODE_CVERF;
	}
	if ((st = bfs_dir_add(r, dir, name, in->ino)) != 0)
		return st;
	bfs_touch(r, dir, true);
	if ((st = bfs_inode_put(r, dir)) != 0)
		return st;
	return bfs_inode_put(r, in);
}

static int make_node(struct bfs_req *r, const diropargs3 *where,
		     const struct new_node *nn, struct made *m)
{
	struct bfs_inode dir, in;
	pre_op_attr pre;
	uint64_t child;
	bool found;
	int st = bfs_dir_open(r, &where->dir, &dir, &pre, &m->wcc);
	if (st != 0 || (st = bfs_name_check_new(where->name)) != 0 ||
	    (st = bfs_perm_check(r, &dir, BFS_MAY_WRITE | BFS_MAY_EXEC)) != 0 ||
	    (st = bfs_dir_lookup(r, &dir, where->name, &child, &found)) != 0)
		return st;
	if (found)
		return existing(r, child, nn, m);
	if ((st = prepare(r, &dir, nn, &in)) != 0 ||
	    (st = bfs_dir_room(r, &dir, where->name)) != 0 ||
	    (st = insert(r, &dir, where->name, nn, &in)) != 0)
		return st;
	bfs_wcc(r, &pre, &dir, &m->wcc);
	return reply_with(r, &in, m);
}

/* Fill the result of one of the four procedures from m. */
#define FINISH(res, T, st, m)                                          \
	do {                                                           \
		if ((st) == 0) {                                       \
			(res)->T##_u.resok.obj = (m).obj;              \
			(res)->T##_u.resok.obj_attributes = (m).attr;  \
			(res)->T##_u.resok.dir_wcc = (m).wcc;          \
		} else {                                               \
			(res)->T##_u.resfail.dir_wcc = (m).wcc;        \
		}                                                      \
		return bfs_status(&(res)->status, (st));               \
	} while (0)

BFS_PROC(create)
{
	CREATE3args *a = argp;
	CREATE3res *res = resp;
	struct made m;
	memset(&m, 0, sizeof(m));
	struct new_node nn = { .type = NF3REG, .how = a->how.mode };
	if (a->how.mode == EXCLUSIVE)
		nn.cverf = a->how.createhow3_u.verf;
	else
		nn.attrs = &a->how.createhow3_u.obj_attributes;
	int st = a->how.mode > EXCLUSIVE ? NFS3ERR_INVAL
					 : make_node(r, &a->where, &nn, &m);
	FINISH(res, CREATE3res, st, m);
}

BFS_PROC(mkdir)
{
	MKDIR3args *a = argp;
	MKDIR3res *res = resp;
	struct made m;
	memset(&m, 0, sizeof(m));
	struct new_node nn = { .type = NF3DIR, .how = NOT_CREATE, .attrs = &a->attributes };
	int st = make_node(r, &a->where, &nn, &m);
	FINISH(res, MKDIR3res, st, m);
}

BFS_PROC(symlink)
{
	SYMLINK3args *a = argp;
	SYMLINK3res *res = resp;
	struct made m;
	memset(&m, 0, sizeof(m));
	struct new_node nn = { .type = NF3LNK, .how = NOT_CREATE,
			       .attrs = &a->symlink.symlink_attributes,
			       .target = a->symlink.symlink_data };
	int st = make_node(r, &a->where, &nn, &m);
	FINISH(res, SYMLINK3res, st, m);
}

BFS_PROC(mknod)
{
	MKNOD3args *a = argp;
	MKNOD3res *res = resp;
	struct made m;
	memset(&m, 0, sizeof(m));
	mknoddata3 *w = &a->what;
	struct new_node nn = { .type = w->type, .how = NOT_CREATE };
	int st = 0;
	if (w->type == NF3CHR || w->type == NF3BLK) {
		nn.attrs = &w->mknoddata3_u.device.dev_attributes;
		nn.rdev1 = w->mknoddata3_u.device.spec.specdata1;
		nn.rdev2 = w->mknoddata3_u.device.spec.specdata2;
		if (r->cred.uid != 0)
			st = NFS3ERR_PERM;
	} else if (w->type == NF3SOCK || w->type == NF3FIFO) {
		nn.attrs = &w->mknoddata3_u.pipe_attributes;
	} else {
		st = NFS3ERR_BADTYPE;
	}
	if (st == 0)
		st = make_node(r, &a->where, &nn, &m);
	FINISH(res, MKNOD3res, st, m);
}
