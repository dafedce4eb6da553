/*
 * fs_rename.c — RENAME (RFC 1813 §3.3.14), with POSIX rename(2) semantics:
 * replacing an existing target atomically (a file by a file, a directory
 * by an empty directory), a no-op when source and target are links to the
 * same object, NFS3ERR_INVAL when a directory would move below itself (the
 * cycle check walks the target directory's parent chain) or a name is "."
 * or "..". Write and search permission on both directories, sticky-bit
 * rules on both entries. All checks precede the first write.
 */
#include <string.h>

#include "fs_internal.h"

struct side {
	struct bfs_inode dir;
	pre_op_attr pre;
};

static int open_side(struct bfs_req *r, const diropargs3 *d, struct side *s,
		     wcc_data *wcc)
{
	int st = bfs_dir_open(r, &d->dir, &s->dir, &s->pre, wcc);
	if (st != 0 || (st = bfs_name_check(d->name)) != 0)
		return st;
	if (bfs_name_is_dot(d->name))
		return NFS3ERR_INVAL;
	return bfs_perm_check(r, &s->dir, BFS_MAY_WRITE | BFS_MAY_EXEC);
}

static int get_entry(struct bfs_req *r, const struct bfs_inode *dir, const char *name,
		     struct bfs_inode *in, bool *found)
{
	uint64_t child;
	int st = bfs_dir_lookup(r, dir, name, &child, found);
	if (st != 0 || !*found)
		return st;
	st = bfs_inode_get(r, child, in);
	return st == NFS3ERR_STALE ? BFS_E_CORRUPT : st;
}

/* NFS3ERR_INVAL if dir is src or lies below it. */
static int check_cycle(struct bfs_req *r, const struct bfs_inode *src,
		       const struct bfs_inode *dir)
{
	struct bfs_inode cur = *dir;
	for (uint64_t steps = 0; steps <= r->sb->used_inodes; steps++) {
		if (cur.ino == src->ino)
			return NFS3ERR_INVAL;
		if (cur.ino == BFS_ROOT_INO)
			return 0;
		int st = bfs_inode_get(r, cur.parent, &cur);
		if (st != 0)
			return st == NFS3ERR_STALE ? BFS_E_CORRUPT : st;
	}
	return BFS_E_CORRUPT;
}

static int check_target(struct bfs_req *r, const struct bfs_inode *src,
			const struct bfs_inode *tdir, const struct bfs_inode *tgt)
{
	if (src->type == NF3DIR && tgt->type != NF3DIR)
		return NFS3ERR_NOTDIR;
	if (src->type != NF3DIR && tgt->type == NF3DIR)
		return NFS3ERR_ISDIR;
	if (tgt->type == NF3DIR && tgt->nentries != 0)
		return NFS3ERR_NOTEMPTY;
	return bfs_perm_sticky(r, tdir, tgt);
}

static int do_move(struct bfs_req *r, RENAME3args *a, struct bfs_inode *fd,
		   struct bfs_inode *td, struct bfs_inode *src, struct bfs_inode *tgt)
{
	int st;
	if (tgt != NULL) {
		if ((st = bfs_dir_remove(r, td, a->to.name)) != 0 ||
		    (st = bfs_inode_unlink(r, tgt)) != 0)
			return st;
		if (tgt->type == NF3DIR)
			td->nlink--;
	}
	if ((st = bfs_dir_remove(r, fd, a->from.name)) != 0 ||
	    (st = bfs_dir_add(r, td, a->to.name, src->ino)) != 0)
		return st;
	if (src->type == NF3DIR && fd != td) {
		src->parent = td->ino;
		fd->nlink--;
		td->nlink++;
	}
	bfs_touch(r, src, false);
	bfs_touch(r, fd, true);
	bfs_touch(r, td, true);
	if ((st = bfs_inode_put(r, src)) != 0 || (st = bfs_inode_put(r, fd)) != 0)
		return st;
	return fd != td ? bfs_inode_put(r, td) : 0;
}

static int rename_entry(struct bfs_req *r, RENAME3args *a, wcc_data *fw, wcc_data *tw)
{
	struct side from, to;
	struct bfs_inode src, tgt;
	bool found, has_tgt;
	int st;
	if ((st = open_side(r, &a->from, &from, fw)) != 0 ||
	    (st = open_side(r, &a->to, &to, tw)) != 0)
		return st;
	struct bfs_inode *fd = &from.dir;
	struct bfs_inode *td = to.dir.ino == from.dir.ino ? fd : &to.dir;
	if ((st = get_entry(r, fd, a->from.name, &src, &found)) != 0)
		return st;
	if (!found)
		return NFS3ERR_NOENT;
	if ((st = bfs_perm_sticky(r, fd, &src)) != 0 ||
	    (st = get_entry(r, td, a->to.name, &tgt, &has_tgt)) != 0)
		return st;
	if (has_tgt && tgt.ino == src.ino)
		return 0;
	if (has_tgt && (st = check_target(r, &src, td, &tgt)) != 0)
		return st;
	if (src.type == NF3DIR && fd != td) {
		if ((st = check_cycle(r, &src, td)) != 0)
			return st;
		if (!has_tgt && td->nlink >= BFS_LINK_MAX)
			return NFS3ERR_MLINK;
	}
	if (!has_tgt && (st = bfs_dir_room(r, td, a->to.name)) != 0)
		return st;
	if ((st = do_move(r, a, fd, td, &src, has_tgt ? &tgt : NULL)) != 0)
		return st;
	bfs_wcc(r, &from.pre, fd, fw);
	bfs_wcc(r, &to.pre, td, tw);
	return 0;
}

BFS_PROC(rename)
{
	RENAME3res *res = resp;
	wcc_data fw = { { FALSE }, { FALSE } }, tw = fw;
	int st = rename_entry(r, argp, &fw, &tw);
	if (st == 0) {
		res->RENAME3res_u.resok.fromdir_wcc = fw;
		res->RENAME3res_u.resok.todir_wcc = tw;
	} else {
		res->RENAME3res_u.resfail.fromdir_wcc = fw;
		res->RENAME3res_u.resfail.todir_wcc = tw;
	}
	return bfs_status(&res->status, st);
}
