/*
 * fs_sattr.c — applying settable attributes, sattr3 (RFC 1813 §2.3.11), for
 * SETATTR (§3.3.2) and as the initial attributes of CREATE, MKDIR, SYMLINK
 * and MKNOD.
 *
 * Rules (POSIX chmod/chown/truncate/utimes as NFS servers apply them):
 * mode: owner or root; uid: root only (setting one's own uid is a no-op);
 * gid: root, or the owner to a group it belongs to; size: regular files
 * only, write permission (owner override), at most max_file_size; explicit
 * times: owner or root; "server time": owner or write permission. ctime
 * always becomes the batch time. Set-id bits are dropped on chown and
 * setgid on chmod by a non-member, as Linux does.
 *
 * Checks (bfs_sattr_check) and changes (bfs_sattr_apply) are separate so
 * no NFS error can arise after a write. Never reads a clock.
 */
#include "fs_internal.h"

#define MODE_SUID 04000u
#define MODE_SGID 02000u

static int check_times(struct bfs_req *r, const struct bfs_inode *in, const sattr3 *s)
{
	if ((s->atime.set_it == SET_TO_CLIENT_TIME &&
	     s->atime.set_atime_u.atime.nseconds >= 1000000000u) ||
	    (s->mtime.set_it == SET_TO_CLIENT_TIME &&
	     s->mtime.set_mtime_u.mtime.nseconds >= 1000000000u))
		return NFS3ERR_INVAL;
	if (s->atime.set_it == SET_TO_CLIENT_TIME || s->mtime.set_it == SET_TO_CLIENT_TIME)
		return bfs_perm_owner(r, in) ? 0 : NFS3ERR_PERM;
	if (s->atime.set_it == SET_TO_SERVER_TIME || s->mtime.set_it == SET_TO_SERVER_TIME)
		return bfs_perm_owner(r, in) ? 0 : bfs_perm_check(r, in, BFS_MAY_WRITE);
	return 0;
}

static int check_size(struct bfs_req *r, const struct bfs_inode *in, const sattr3 *s,
		      bool creating)
{
	if (!s->size.set_it)
		return 0;
	if (in->type == NF3DIR)
		return NFS3ERR_ISDIR;
	if (in->type != NF3REG)
		return NFS3ERR_INVAL;
	if (s->size.set_size3_u.size > r->sb->max_file_size)
		return NFS3ERR_FBIG;
	return creating ? 0 : bfs_perm_io(r, in, BFS_MAY_WRITE);
}

int bfs_sattr_check(struct bfs_req *r, const struct bfs_inode *in, const sattr3 *s,
		    bool creating)
{
	bool root = r->cred.uid == 0;
	if (s->mode.set_it && !bfs_perm_owner(r, in))
		return NFS3ERR_PERM;
	if (s->uid.set_it && s->uid.set_uid3_u.uid != in->uid && !root)
		return NFS3ERR_PERM;
	if (s->gid.set_it && s->gid.set_gid3_u.gid != in->gid && !root &&
	    !(r->cred.uid == in->uid && bfs_cred_in_group(&r->cred, s->gid.set_gid3_u.gid)))
		return NFS3ERR_PERM;
	int st = check_size(r, in, s, creating);
	return st != 0 ? st : check_times(r, in, s);
}

static struct bfs_time from_nfs(nfstime3 t)
{
	return (struct bfs_time){ t.seconds, t.nseconds };
}

int bfs_sattr_apply(struct bfs_req *r, struct bfs_inode *in, const sattr3 *s)
{
	if (s->mode.set_it) {
		in->mode = s->mode.set_mode3_u.mode & 07777;
		if (r->cred.uid != 0 && !bfs_cred_in_group(&r->cred, in->gid))
			in->mode &= ~MODE_SGID;
	}
	bool chown = (s->uid.set_it && s->uid.set_uid3_u.uid != in->uid) ||
		     (s->gid.set_it && s->gid.set_gid3_u.gid != in->gid);
	if (s->uid.set_it)
		in->uid = s->uid.set_uid3_u.uid;
	if (s->gid.set_it)
		in->gid = s->gid.set_gid3_u.gid;
	if (chown && in->type != NF3DIR)
		in->mode &= ~(MODE_SUID | MODE_SGID);
	if (s->size.set_it && s->size.set_size3_u.size != in->size) {
		int rc = bfs_data_truncate(r, in, s->size.set_size3_u.size);
		if (rc != 0)
			return rc;
		in->mtime = r->now;
	}
	if (s->atime.set_it == SET_TO_CLIENT_TIME)
		in->atime = from_nfs(s->atime.set_atime_u.atime);
	else if (s->atime.set_it == SET_TO_SERVER_TIME)
		in->atime = r->now;
	if (s->mtime.set_it == SET_TO_CLIENT_TIME)
		in->mtime = from_nfs(s->mtime.set_mtime_u.mtime);
	else if (s->mtime.set_it == SET_TO_SERVER_TIME)
		in->mtime = r->now;
	in->ctime = r->now;
	return 0;
}
