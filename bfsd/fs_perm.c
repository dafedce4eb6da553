/*
 * fs_perm.c — AUTH_SYS authorization (RFC 1813 §4.4, RFC 5531 appendix A):
 * owner/group/other mode bits, the superuser, sticky directories, the
 * ACCESS procedure's bit computation (§3.3.4), and the NFS server's owner
 * override for READ/WRITE (an open file stays usable by its owner after a
 * chmod, as knfsd does). The credential is already root-squashed.
 *
 * Never consults the host's users or groups: only the credential.
 */
#include "fs_internal.h"

#define MODE_STICKY 01000u

bool bfs_perm_owner(const struct bfs_req *r, const struct bfs_inode *in)
{
	return r->cred.uid == 0 || r->cred.uid == in->uid;
}

/* The rwx bits that apply to the caller. */
static uint32_t granted_bits(const struct bfs_req *r, const struct bfs_inode *in)
{
	if (r->cred.uid == 0) {
		uint32_t x = in->type == NF3DIR || (in->mode & 0111) ? BFS_MAY_EXEC : 0;
		return BFS_MAY_READ | BFS_MAY_WRITE | x;
	}
	if (r->cred.uid == in->uid)
		return (in->mode >> 6) & 7u;
	if (bfs_cred_in_group(&r->cred, in->gid))
		return (in->mode >> 3) & 7u;
	return in->mode & 7u;
}

int bfs_perm_check(const struct bfs_req *r, const struct bfs_inode *in, uint32_t may)
{
	return (granted_bits(r, in) & may) == may ? 0 : NFS3ERR_ACCES;
}

int bfs_perm_io(const struct bfs_req *r, const struct bfs_inode *in, uint32_t may)
{
	if (r->cred.uid == in->uid)
		return 0;
	return bfs_perm_check(r, in, may);
}

int bfs_perm_sticky(const struct bfs_req *r, const struct bfs_inode *dir,
		    const struct bfs_inode *victim)
{
	if (!(dir->mode & MODE_STICKY) || r->cred.uid == 0 ||
	    r->cred.uid == dir->uid || r->cred.uid == victim->uid)
		return 0;
	return NFS3ERR_PERM;
}

uint32_t bfs_perm_access(const struct bfs_req *r, const struct bfs_inode *in, uint32_t want)
{
	uint32_t bits = granted_bits(r, in), ok = 0;
	if (bits & BFS_MAY_READ)
		ok |= ACCESS3_READ;
	if (bits & BFS_MAY_WRITE)
		ok |= ACCESS3_MODIFY | ACCESS3_EXTEND;
	if (in->type == NF3DIR) {
		if (bits & BFS_MAY_EXEC)
			ok |= ACCESS3_LOOKUP;
		if ((bits & (BFS_MAY_WRITE | BFS_MAY_EXEC)) == (BFS_MAY_WRITE | BFS_MAY_EXEC))
			ok |= ACCESS3_DELETE;
	} else if (bits & BFS_MAY_EXEC) {
		ok |= ACCESS3_EXECUTE;
	}
	return ok & want;
}
