/*
 * fs_remove.c — REMOVE (RFC 1813 §3.3.12) and RMDIR (§3.3.13).
 *
 * Both need write and search permission on the directory and, in a sticky
 * directory, ownership of the directory or the entry (else NFS3ERR_PERM).
 * REMOVE refuses directories (NFS3ERR_ISDIR) and drops one link: the file
 * and its blocks go with its last link. RMDIR refuses non-directories
 * (NFS3ERR_NOTDIR) and non-empty ones (NFS3ERR_NOTEMPTY); "." and ".." are
 * NFS3ERR_INVAL. All checks precede the first write.
 */
#include "fs_internal.h"

static int remove_entry(struct bfs_req *r, const diropargs3 *what, bool want_dir,
			wcc_data *wcc)
{
	struct bfs_inode dir, victim;
	pre_op_attr pre;
	int st = bfs_dir_open(r, &what->dir, &dir, &pre, wcc);
	if (st != 0 || (st = bfs_name_check(what->name)) != 0)
		return st;
	if (bfs_name_is_dot(what->name))
		return NFS3ERR_INVAL;
	uint64_t child;
	bool found;
	if ((st = bfs_perm_check(r, &dir, BFS_MAY_WRITE | BFS_MAY_EXEC)) != 0 ||
	    (st = bfs_dir_lookup(r, &dir, what->name, &child, &found)) != 0)
		return st;
	if (!found)
		return NFS3ERR_NOENT;
	if ((st = bfs_inode_get(r, child, &victim)) != 0)
		return st == NFS3ERR_STALE ? BFS_E_CORRUPT : st;
	if (!want_dir && victim.type == NF3DIR)
		return NFS3ERR_ISDIR;
	if (want_dir && victim.type != NF3DIR)
		return NFS3ERR_NOTDIR;
	if (want_dir && victim.nentries != 0)
		return NFS3ERR_NOTEMPTY;
	if ((st = bfs_perm_sticky(r, &dir, &victim)) != 0)
		return st;

	if ((st = bfs_dir_remove(r, &dir, what->name)) != 0 ||
	    (st = bfs_inode_unlink(r, &victim)) != 0)
		return st;
	if (want_dir)
		dir.nlink--;
	bfs_touch(r, &dir, true);
	if ((st = bfs_inode_put(r, &dir)) != 0)
		return st;
	bfs_wcc(r, &pre, &dir, wcc);
	return 0;
}

BFS_PROC(remove)
{
	REMOVE3args *a = argp;
	REMOVE3res *res = resp;
	wcc_data wcc = { { FALSE }, { FALSE } };
	int st = remove_entry(r, &a->object, false, &wcc);
	if (st == 0)
		res->REMOVE3res_u.resok.dir_wcc = wcc;
	else
		res->REMOVE3res_u.resfail.dir_wcc = wcc;
	return bfs_status(&res->status, st);
}

BFS_PROC(rmdir)
{
	RMDIR3args *a = argp;
	RMDIR3res *res = resp;
	wcc_data wcc = { { FALSE }, { FALSE } };
	int st = remove_entry(r, &a->object, true, &wcc);
	if (st == 0)
		res->RMDIR3res_u.resok.dir_wcc = wcc;
	else
		res->RMDIR3res_u.resfail.dir_wcc = wcc;
	return bfs_status(&res->status, st);
}
