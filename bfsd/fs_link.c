/*
 * fs_link.c — LINK (RFC 1813 §3.3.15): a new name for an existing
 * non-directory (directories: NFS3ERR_ISDIR), at most BFS_LINK_MAX links
 * (NFS3ERR_MLINK). Write and search permission on the directory. All checks
 * precede the first write.
 */
#include "fs_internal.h"

static int link_file(struct bfs_req *r, LINK3args *a, post_op_attr *fattr, wcc_data *wcc)
{
	struct bfs_inode file, dir;
	int st = bfs_inode_from_fh(r, &a->file, &file);
	if (st != 0)
		return st;
	bfs_post_attr(r, &file, fattr);
	pre_op_attr pre;
	if ((st = bfs_dir_open(r, &a->link.dir, &dir, &pre, wcc)) != 0)
		return st;
	if (file.type == NF3DIR)
		return NFS3ERR_ISDIR;
	uint64_t child;
	bool found;
	if ((st = bfs_name_check_new(a->link.name)) != 0 ||
	    (st = bfs_perm_check(r, &dir, BFS_MAY_WRITE | BFS_MAY_EXEC)) != 0 ||
	    (st = bfs_dir_lookup(r, &dir, a->link.name, &child, &found)) != 0)
		return st;
	if (found)
		return NFS3ERR_EXIST;
	if (file.nlink >= BFS_LINK_MAX)
		return NFS3ERR_MLINK;
	if ((st = bfs_dir_room(r, &dir, a->link.name)) != 0)
		return st;

	file.nlink++;
	bfs_touch(r, &file, false);
	if ((st = bfs_dir_add(r, &dir, a->link.name, file.ino)) != 0)
		return st;
	bfs_touch(r, &dir, true);
	if ((st = bfs_inode_put(r, &file)) != 0 || (st = bfs_inode_put(r, &dir)) != 0)
		return st;
	bfs_post_attr(r, &file, fattr);
	bfs_wcc(r, &pre, &dir, wcc);
	return 0;
}

BFS_PROC(link)
{
	LINK3res *res = resp;
	post_op_attr fattr = { .attributes_follow = FALSE };
	wcc_data wcc = { { FALSE }, { FALSE } };
	int st = link_file(r, argp, &fattr, &wcc);
	if (st == 0) {
		res->LINK3res_u.resok.file_attributes = fattr;
		res->LINK3res_u.resok.linkdir_wcc = wcc;
	} else {
		res->LINK3res_u.resfail.file_attributes = fattr;
		res->LINK3res_u.resfail.linkdir_wcc = wcc;
	}
	return bfs_status(&res->status, st);
}
