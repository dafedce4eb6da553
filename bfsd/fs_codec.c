/*
 * fs_codec.c — the on-disk encodings of the file system's LMDB records
 * (doc/fs.md, "LMDB layout"): values little-endian with a version byte or
 * word, keys big-endian so LMDB's memcmp order is numeric order on every
 * CPU. Decoders validate lengths and versions and report BFS_E_CORRUPT,
 * never trusting what they read. Never touches LMDB itself.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

#define INODE_VERSION 1u
#define DIRENT_VERSION 1u

void bfs_super_encode(const struct bfs_super *sb, uint8_t out[BFS_SUPER_LEN])
{
	bfs_put_le32(out + 0, sb->version);
	bfs_put_le32(out + 4, sb->block_size);
	bfs_put_le64(out + 8, sb->fsid);
	bfs_put_le64(out + 16, sb->next_ino);
	bfs_put_le64(out + 24, sb->used_inodes);
	bfs_put_le64(out + 32, sb->used_blocks);
	bfs_put_le64(out + 40, sb->max_bytes);
	bfs_put_le64(out + 48, sb->max_files);
	bfs_put_le64(out + 56, sb->max_file_size);
	bfs_put_le32(out + 64, sb->atime_mode);
	bfs_put_le32(out + 68, sb->root_squash);
	bfs_put_le32(out + 72, sb->anon_uid);
	bfs_put_le32(out + 76, sb->anon_gid);
	bfs_put_le64(out + 80, sb->bucket_max);
	bfs_put_le64(out + 88, sb->bucket_key_id);
}

int bfs_super_decode(const uint8_t *p, size_t len, struct bfs_super *sb)
{
	if (len >= 4 && bfs_get_le32(p) != BFS_FORMAT_VERSION)
		return BFS_E_VERSION; /* e.g. a version 1 state (80 bytes, unkeyed buckets) */
	if (len != BFS_SUPER_LEN)
		return BFS_E_CORRUPT;
	sb->version = bfs_get_le32(p + 0);
	sb->block_size = bfs_get_le32(p + 4);
	sb->fsid = bfs_get_le64(p + 8);
	sb->next_ino = bfs_get_le64(p + 16);
	sb->used_inodes = bfs_get_le64(p + 24);
	sb->used_blocks = bfs_get_le64(p + 32);
	sb->max_bytes = bfs_get_le64(p + 40);
	sb->max_files = bfs_get_le64(p + 48);
	sb->max_file_size = bfs_get_le64(p + 56);
	sb->atime_mode = bfs_get_le32(p + 64);
	sb->root_squash = bfs_get_le32(p + 68);
	sb->anon_uid = bfs_get_le32(p + 72);
	sb->anon_gid = bfs_get_le32(p + 76);
	sb->bucket_max = bfs_get_le64(p + 80);
	sb->bucket_key_id = bfs_get_le64(p + 88);
	if (sb->block_size != BFS_BLOCK_SIZE)
		return BFS_E_CORRUPT;
	return BFS_OK;
}

static void put_time(uint8_t *p, struct bfs_time t)
{
	bfs_put_le32(p, t.sec);
	bfs_put_le32(p + 4, t.nsec);
}

static struct bfs_time get_time(const uint8_t *p)
{
	return (struct bfs_time){ bfs_get_le32(p), bfs_get_le32(p + 4) };
}

/* out must hold BFS_INODE_FIXED_LEN + BFS_PATH_MAX bytes. */
size_t bfs_inode_encode(const struct bfs_inode *in, uint8_t *out)
{
	memset(out, 0, BFS_INODE_FIXED_LEN);
	out[0] = INODE_VERSION;
	out[1] = (uint8_t)in->type;
	bfs_put_le16(out + 2, (uint16_t)in->flags);
	bfs_put_le32(out + 4, in->gen);
	bfs_put_le32(out + 8, in->mode);
	bfs_put_le32(out + 12, in->nlink);
	bfs_put_le32(out + 16, in->uid);
	bfs_put_le32(out + 20, in->gid);
	bfs_put_le64(out + 24, in->size);
	bfs_put_le64(out + 32, in->nblocks);
	bfs_put_le32(out + 40, in->rdev1);
	bfs_put_le32(out + 44, in->rdev2);
	put_time(out + 48, in->atime);
	put_time(out + 56, in->mtime);
	put_time(out + 64, in->ctime);
	bfs_put_le64(out + 72, in->parent);
	bfs_put_le64(out + 80, in->nentries);
	bfs_put_le64(out + 88, in->next_cookie);
	memcpy(out + 96, in->cverf, NFS3_CREATEVERFSIZE);
	bfs_put_le32(out + 104, in->target_len);
	memcpy(out + BFS_INODE_FIXED_LEN, in->target, in->target_len);
	return BFS_INODE_FIXED_LEN + in->target_len;
}

int bfs_inode_decode(uint64_t ino, const uint8_t *p, size_t len, struct bfs_inode *in)
{
	if (len < BFS_INODE_FIXED_LEN || p[0] != INODE_VERSION)
		return BFS_E_CORRUPT;
	in->ino = ino;
	in->type = p[1];
	in->flags = bfs_get_le16(p + 2);
	in->gen = bfs_get_le32(p + 4);
	in->mode = bfs_get_le32(p + 8);
	in->nlink = bfs_get_le32(p + 12);
	in->uid = bfs_get_le32(p + 16);
	in->gid = bfs_get_le32(p + 20);
	in->size = bfs_get_le64(p + 24);
	in->nblocks = bfs_get_le64(p + 32);
	in->rdev1 = bfs_get_le32(p + 40);
	in->rdev2 = bfs_get_le32(p + 44);
	in->atime = get_time(p + 48);
	in->mtime = get_time(p + 56);
	in->ctime = get_time(p + 64);
	in->parent = bfs_get_le64(p + 72);
	in->nentries = bfs_get_le64(p + 80);
	in->next_cookie = bfs_get_le64(p + 88);
	memcpy(in->cverf, p + 96, NFS3_CREATEVERFSIZE);
	in->target_len = bfs_get_le32(p + 104);
	if (in->type < NF3REG || in->type > NF3FIFO || in->target_len > BFS_PATH_MAX ||
	    len != BFS_INODE_FIXED_LEN + in->target_len)
		return BFS_E_CORRUPT;
	memcpy(in->target, p + BFS_INODE_FIXED_LEN, in->target_len);
	in->target[in->target_len] = '\0';
	return BFS_OK;
}

void bfs_dirent_val_encode(uint64_t child, uint64_t cookie, uint8_t out[BFS_DIRENT_VAL_LEN])
{
	out[0] = DIRENT_VERSION;
	bfs_put_le64(out + 1, child);
	bfs_put_le64(out + 9, cookie);
}

int bfs_dirent_val_decode(const uint8_t *p, size_t len, uint64_t *child, uint64_t *cookie)
{
	if (len != BFS_DIRENT_VAL_LEN || p[0] != DIRENT_VERSION)
		return BFS_E_CORRUPT;
	*child = bfs_get_le64(p + 1);
	*cookie = bfs_get_le64(p + 9);
	return BFS_OK;
}

/* key = ino (8, BE) ‖ name; key must hold 8 + len bytes. */
size_t bfs_key_ino_name(uint8_t *key, uint64_t ino, const char *name, size_t len)
{
	bfs_put_be64(key, ino);
	memcpy(key + 8, name, len);
	return 8 + len;
}

/* key = ino (8, BE) ‖ n (8, BE): blocks and cookie index. */
void bfs_key_ino_u64(uint8_t key[16], uint64_t ino, uint64_t n)
{
	bfs_put_be64(key, ino);
	bfs_put_be64(key + 8, n);
}
