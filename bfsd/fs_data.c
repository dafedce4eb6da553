/*
 * fs_data.c — file data as sparse blocks (RFC 1813 §3.3.6 READ, §3.3.7
 * WRITE, §3.3.2 SETATTR size).
 *
 * "blocks": ino ‖ block number (both u64 BE) → up to BFS_BLOCK_SIZE bytes.
 * A block stores bytes up to the last one ever written in it; missing
 * blocks and bytes past a block's stored length read as zeros, so holes
 * cost nothing and files may be as large as max_file_size (≥ 64 GiB). Space
 * accounting charges BFS_BLOCK_SIZE per stored block.
 *
 * Callers check limits (FBIG, NOSPC) before the first write; this file
 * never decides an NFS error after it has modified anything.
 */
#include <string.h>

#include "fs_internal.h"

static int block_get(struct bfs_req *r, uint64_t ino, uint64_t bno, MDB_val *v,
		     bool *found)
{
	uint8_t key[16];
	bfs_key_ino_u64(key, ino, bno);
	int rc = bfs_store_get(r->fs, r->txn, BFS_DB_BLOCKS, key, sizeof(key), v, found);
	if (rc == BFS_OK && *found && v->mv_size > BFS_BLOCK_SIZE)
		return BFS_E_CORRUPT;
	return rc;
}

static int block_put(struct bfs_req *r, uint64_t ino, uint64_t bno,
		     const uint8_t *data, size_t len)
{
	uint8_t key[16];
	bfs_key_ino_u64(key, ino, bno);
	return bfs_store_put(r->fs, r->txn, BFS_DB_BLOCKS, key, sizeof(key), data, len);
}

/* The part of [pos, end) inside pos's block: block number, offset, length. */
static void span(uint64_t pos, uint64_t end, uint64_t *bno, size_t *boff, size_t *n)
{
	*bno = pos / BFS_BLOCK_SIZE;
	*boff = (size_t)(pos % BFS_BLOCK_SIZE);
	*n = BFS_BLOCK_SIZE - *boff;
	if (*n > end - pos)
		*n = (size_t)(end - pos);
}

int bfs_data_read(struct bfs_req *r, const struct bfs_inode *in, uint64_t off,
		  uint32_t len, uint8_t *out)
{
	memset(out, 0, len);
	uint64_t pos = off, end = off + len;
	while (pos < end) {
		uint64_t bno;
		size_t boff, n;
		span(pos, end, &bno, &boff, &n);
		MDB_val v;
		bool found;
		int rc = block_get(r, in->ino, bno, &v, &found);
		if (rc != BFS_OK)
			return rc;
		if (found && v.mv_size > boff) {
			size_t have = v.mv_size - boff < n ? v.mv_size - boff : n;
			memcpy(out + (pos - off), (const uint8_t *)v.mv_data + boff, have);
		}
		pos += n;
	}
	return 0;
}

int bfs_data_write_check(struct bfs_req *r, const struct bfs_inode *in,
			 uint64_t off, uint32_t len, uint64_t *missing)
{
	*missing = 0;
	uint64_t pos = off, end = off + len;
	while (pos < end) {
		uint64_t bno;
		size_t boff, n;
		span(pos, end, &bno, &boff, &n);
		MDB_val v;
		bool found;
		int rc = block_get(r, in->ino, bno, &v, &found);
		if (rc != BFS_OK)
			return rc;
		*missing += !found;
		size_t have = found ? v.mv_size : 0;
		if (boff + n > have) { /* the block grows: its bucket must have room */
			uint8_t key[16];
			bfs_key_ino_u64(key, in->ino, bno);
			uint64_t add = boff + n - have + (found ? 0 : BFS_LEAF_REC_HDR + 16);
			if ((rc = bfs_bucket_room(r, BFS_DB_BLOCKS, key, sizeof(key), add)) != 0)
				return rc;
		}
		pos += n;
	}
	return 0;
}

int bfs_data_write(struct bfs_req *r, struct bfs_inode *in, uint64_t off,
		   const uint8_t *data, uint32_t len)
{
	uint8_t buf[BFS_BLOCK_SIZE];
	uint64_t pos = off, end = off + len;
	while (pos < end) {
		uint64_t bno;
		size_t boff, n;
		span(pos, end, &bno, &boff, &n);
		MDB_val v;
		bool found;
		int rc = block_get(r, in->ino, bno, &v, &found);
		if (rc != BFS_OK)
			return rc;
		size_t have = found ? v.mv_size : 0;
		memset(buf, 0, sizeof(buf));
		if (found)
			memcpy(buf, v.mv_data, have);
		memcpy(buf + boff, data + (pos - off), n);
		size_t newlen = boff + n > have ? boff + n : have;
		if ((rc = block_put(r, in->ino, bno, buf, newlen)) != BFS_OK)
			return rc;
		if (!found) {
			in->nblocks++;
			r->sb->used_blocks++;
		}
		pos += n;
	}
	if (end > in->size)
		in->size = end;
	return 0;
}

/* Set the size of a regular file: blocks wholly past it are deleted, the
 * block holding the new end is cut there (so a later extension reads
 * zeros). Growing only changes the size: the new range is a hole. */
int bfs_data_truncate(struct bfs_req *r, struct bfs_inode *in, uint64_t size)
{
	if (size < in->size || size == 0) {
		uint8_t start[16];
		uint64_t keep = (size + BFS_BLOCK_SIZE - 1) / BFS_BLOCK_SIZE, n;
		bfs_key_ino_u64(start, in->ino, keep);
		int rc = bfs_store_del_from(r->fs, r->txn, BFS_DB_BLOCKS, start,
					    sizeof(start), 8, &n);
		if (rc != BFS_OK)
			return rc;
		in->nblocks -= n;
		r->sb->used_blocks -= n;
		size_t tail = (size_t)(size % BFS_BLOCK_SIZE);
		MDB_val v;
		bool found = false;
		if (tail != 0 && (rc = block_get(r, in->ino, size / BFS_BLOCK_SIZE, &v,
						 &found)) != BFS_OK)
			return rc;
		if (found && v.mv_size > tail) {
			uint8_t buf[BFS_BLOCK_SIZE];
			memcpy(buf, v.mv_data, tail);
			if ((rc = block_put(r, in->ino, size / BFS_BLOCK_SIZE, buf, tail)) != BFS_OK)
				return rc;
		}
	}
	in->size = size;
	return 0;
}
