/*
 * fs_lookup.c — LOOKUP (RFC 1813 §3.3.3): a name in a directory, including
 * "." and "..". Needs search (x) permission on the directory. In strict
 * atime mode, executed in a batch, it sets the directory's atime (the
 * paper's "BFS strict"); otherwise it never changes state.
 */
#include <string.h>

#include "fs_internal.h"

static int resolve(struct bfs_req *r, const struct bfs_inode *dir, const char *name,
		   struct bfs_inode *obj)
{
	if (strcmp(name, ".") == 0) {
		*obj = *dir;
		return 0;
	}
	if (strcmp(name, "..") == 0)
		return bfs_inode_get(r, dir->parent, obj);
	uint64_t child;
	bool found;
	int st = bfs_dir_lookup(r, dir, name, &child, &found);
	if (st != 0)
		return st;
	if (!found)
		return NFS3ERR_NOENT;
	st = bfs_inode_get(r, child, obj);
	return st == NFS3ERR_STALE ? BFS_E_CORRUPT : st;
}

static int lookup(struct bfs_req *r, LOOKUP3args *a, LOOKUP3res *res,
		  post_op_attr *dir_attr)
{
	struct bfs_inode dir, obj;
	int st = bfs_inode_from_fh(r, &a->what.dir, &dir);
	if (st != 0)
		return st;
	bfs_post_attr(r, &dir, dir_attr);
	if (dir.type != NF3DIR)
		return NFS3ERR_NOTDIR;
	if ((st = bfs_name_check(a->what.name)) != 0 ||
	    (st = bfs_perm_check(r, &dir, BFS_MAY_EXEC)) != 0 ||
	    (st = resolve(r, &dir, a->what.name, &obj)) != 0)
		return st;
	if (r->set_atime) {
		dir.atime = r->now;
		if ((st = bfs_inode_put(r, &dir)) != 0)
			return st;
		if (obj.ino == dir.ino)
			obj = dir;
		bfs_post_attr(r, &dir, dir_attr);
	}
	LOOKUP3resok *ok = &res->LOOKUP3res_u.resok;
	ok->dir_attributes = *dir_attr;
	bfs_post_attr(r, &obj, &ok->obj_attributes);
	return bfs_fh_make(r, &obj, &ok->object);
}

BFS_PROC(lookup)
{
	LOOKUP3res *res = resp;
	post_op_attr dir_attr = { .attributes_follow = FALSE };
	int st = lookup(r, argp, res, &dir_attr);
	if (st > 0)
		res->LOOKUP3res_u.resfail.dir_attributes = dir_attr;
	return bfs_status(&res->status, st);
}
