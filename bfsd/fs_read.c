/*
 * fs_read.c — READ (RFC 1813 §3.3.6): up to BFS_XFER_MAX bytes of a regular
 * file; holes read as zeros (fs_data.c); eof when the range reaches the end
 * of the file. Read permission, with the owner override of NFS servers. In
 * strict atime mode, executed in a batch, it sets atime; otherwise it never
 * changes state.
 */
#include "fs_internal.h"

static int read_file(struct bfs_req *r, READ3args *a, READ3resok *ok,
		     post_op_attr *attr)
{
	struct bfs_inode in;
	int st = bfs_inode_from_fh(r, &a->file, &in);
	if (st != 0)
		return st;
	bfs_post_attr(r, &in, attr);
	if ((st = bfs_require_regular(&in)) != 0 ||
	    (st = bfs_perm_io(r, &in, BFS_MAY_READ)) != 0)
		return st;
	uint32_t n = a->count < BFS_XFER_MAX ? a->count : BFS_XFER_MAX;
	if (a->offset >= in.size)
		n = 0;
	else if (n > in.size - a->offset)
		n = (uint32_t)(in.size - a->offset);
	uint8_t *buf = bfs_req_alloc(r, n);
	if (buf == NULL)
		return NFS3ERR_SERVERFAULT;
	if ((st = bfs_data_read(r, &in, a->offset, n, buf)) != 0)
		return st;
	if (r->set_atime) {
		in.atime = r->now;
		if ((st = bfs_inode_put(r, &in)) != 0)
			return st;
		bfs_post_attr(r, &in, attr);
	}
	ok->count = n;
	ok->eof = a->offset + n >= in.size;
	ok->data.data_len = n;
	ok->data.data_val = (char *)buf;
	return 0;
}

BFS_PROC(read)
{
	READ3res *res = resp;
	READ3resok ok;
	post_op_attr attr = { .attributes_follow = FALSE };
	int st = read_file(r, argp, &ok, &attr);
	if (st == 0) {
		ok.file_attributes = attr;
		res->READ3res_u.resok = ok;
	} else {
		res->READ3res_u.resfail.file_attributes = attr;
	}
	return bfs_status(&res->status, st);
}
