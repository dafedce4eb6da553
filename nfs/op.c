/*
 * op.c — encode/decode of the BFS operation header and the result's accept
 * status (bfs/op.h), and the table of NFSv3 procedures (RFC 1813 §3).
 *
 * Input is untrusted (it arrives from PBFT clients): every field is checked
 * against its limit before use. Never allocates, never logs.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "bfs/error.h"
#include "bfs/op.h"

/* RFC 1813 §3: names and whether the procedure never modifies state.
 * READ and LOOKUP are read-only only in relaxed atime mode. */
static const struct {
	const char *name;
	bool read_only;
} proc_table[BFS_OP_MAX_PROC + 1] = {
	{ "NULL", true },      { "GETATTR", true },  { "SETATTR", false },
	{ "LOOKUP", true },    { "ACCESS", true },   { "READLINK", true },
	{ "READ", true },      { "WRITE", false },   { "CREATE", false },
	{ "MKDIR", false },    { "SYMLINK", false }, { "MKNOD", false },
	{ "REMOVE", false },   { "RMDIR", false },   { "RENAME", false },
	{ "LINK", false },     { "READDIR", true },  { "READDIRPLUS", true },
	{ "FSSTAT", true },    { "FSINFO", true },   { "PATHCONF", true },
	{ "COMMIT", false },
};

#define PROC_LOOKUP 3u
#define PROC_READ 6u

size_t bfs_op_hdr_len(const struct bfs_op_hdr *h)
{
	return BFS_OP_HDR_MIN + 4u * (size_t)h->cred.ngroups;
}

int bfs_op_hdr_encode(const struct bfs_op_hdr *h, uint8_t *buf, size_t cap,
		      size_t *len)
{
	if (h->proc > BFS_OP_MAX_PROC || (h->flags & ~BFS_OP_FLAGS_ALL) ||
	    h->cred.ngroups > BFS_OP_MAX_GROUPS)
		return BFS_E_FIELD;
	size_t n = bfs_op_hdr_len(h);
	if (cap < n)
		return BFS_E_SPACE;
	bfs_put_le16(buf, BFS_OP_VERSION);
	bfs_put_le16(buf + 2, h->proc);
	bfs_put_le16(buf + 4, h->flags);
	bfs_put_le16(buf + 6, (uint16_t)h->cred.ngroups);
	bfs_put_le32(buf + 8, h->cred.uid);
	bfs_put_le32(buf + 12, h->cred.gid);
	for (uint32_t i = 0; i < h->cred.ngroups; i++)
		bfs_put_le32(buf + BFS_OP_HDR_MIN + 4 * i, h->cred.groups[i]);
	*len = n;
	return BFS_OK;
}

int bfs_op_hdr_decode(const uint8_t *buf, size_t len, struct bfs_op_hdr *h,
		      size_t *hdr_len)
{
	if (len < BFS_OP_HDR_MIN)
		return BFS_E_SHORT;
	memset(h, 0, sizeof(*h));
	h->version = bfs_get_le16(buf);
	if (h->version != BFS_OP_VERSION)
		return BFS_E_VERSION;
	h->proc = bfs_get_le16(buf + 2);
	h->flags = bfs_get_le16(buf + 4);
	h->cred.ngroups = bfs_get_le16(buf + 6);
	if (h->proc > BFS_OP_MAX_PROC || (h->flags & ~BFS_OP_FLAGS_ALL) ||
	    h->cred.ngroups > BFS_OP_MAX_GROUPS)
		return BFS_E_FIELD;
	size_t n = bfs_op_hdr_len(h);
	if (len < n)
		return BFS_E_SHORT;
	h->cred.uid = bfs_get_le32(buf + 8);
	h->cred.gid = bfs_get_le32(buf + 12);
	for (uint32_t i = 0; i < h->cred.ngroups; i++)
		h->cred.groups[i] = bfs_get_le32(buf + BFS_OP_HDR_MIN + 4 * i);
	*hdr_len = n;
	return BFS_OK;
}

bool bfs_op_proc_read_only(uint32_t proc, enum bfs_atime_mode mode)
{
	if (proc > BFS_OP_MAX_PROC)
		return false;
	if (mode == BFS_ATIME_STRICT && (proc == PROC_READ || proc == PROC_LOOKUP))
		return false;
	return proc_table[proc].read_only;
}

const char *bfs_op_proc_name(uint32_t proc)
{
	return proc <= BFS_OP_MAX_PROC ? proc_table[proc].name : "?";
}

bool bfs_cred_in_group(const struct bfs_cred *c, uint32_t gid)
{
	if (c->gid == gid)
		return true;
	for (uint32_t i = 0; i < c->ngroups && i < BFS_OP_MAX_GROUPS; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int bfs_result_put_accept(uint8_t *buf, size_t cap, uint32_t accept)
{
	if (cap < BFS_RESULT_HDR)
		return BFS_E_SPACE;
	bfs_put_be32(buf, accept);
	return BFS_OK;
}

int bfs_result_get_accept(const uint8_t *buf, size_t len, uint32_t *accept)
{
	if (len < BFS_RESULT_HDR)
		return BFS_E_SHORT;
	*accept = bfs_get_be32(buf);
	return BFS_OK;
}
