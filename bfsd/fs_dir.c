/*
 * fs_dir.c — directory entries (RFC 1813 §3.3.3 LOOKUP, §3.3.16 READDIR).
 *
 * "dirents": dir ino ‖ name → child ino, cookie (replicated).
 * "dircookies": dir ino ‖ cookie → child ino (u64 LE) ‖ name (derived
 * index, READDIR order).
 * Each new entry takes the directory's next cookie, so cookies are stable
 * across calls, never reused in a directory, and ordered by creation; the
 * cookie verifier is therefore constant per directory (derived from its
 * inode number and generation). Nothing here depends on host state.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

int bfs_dir_lookup(struct bfs_req *r, const struct bfs_inode *dir, const char *name,
		   uint64_t *child, bool *found)
{
	uint8_t key[8 + BFS_NAME_MAX];
	size_t klen = bfs_key_ino_name(key, dir->ino, name, strlen(name));
	MDB_val v;
	int rc = bfs_store_get(r->fs, r->txn, BFS_DB_DIRENTS, key, klen, &v, found);
	if (rc != BFS_OK || !*found)
		return rc;
	uint64_t cookie;
	return bfs_dirent_val_decode(v.mv_data, v.mv_size, child, &cookie);
}

int bfs_dir_room(struct bfs_req *r, const struct bfs_inode *dir, const char *name)
{
	uint8_t key[8 + BFS_NAME_MAX];
	size_t klen = bfs_key_ino_name(key, dir->ino, name, strlen(name));
	return bfs_bucket_room(r, BFS_DB_DIRENTS, key, klen,
			       BFS_LEAF_REC_HDR + klen + BFS_DIRENT_VAL_LEN);
}

int bfs_dir_add(struct bfs_req *r, struct bfs_inode *dir, const char *name, uint64_t child)
{
	size_t len = strlen(name);
	uint8_t key[8 + BFS_NAME_MAX], val[BFS_DIRENT_VAL_LEN], ckey[16];
	uint8_t cval[8 + BFS_NAME_MAX];
	size_t klen = bfs_key_ino_name(key, dir->ino, name, len);
	uint64_t cookie = dir->next_cookie++;
	bfs_dirent_val_encode(child, cookie, val);
	int rc = bfs_store_put(r->fs, r->txn, BFS_DB_DIRENTS, key, klen, val, sizeof(val));
	if (rc != BFS_OK)
		return rc;
	bfs_key_ino_u64(ckey, dir->ino, cookie);
	bfs_put_le64(cval, child);
	memcpy(cval + 8, name, len);
	dir->nentries++;
	return bfs_store_put(r->fs, r->txn, BFS_DB_COOKIES, ckey, sizeof(ckey), cval, 8 + len);
}

int bfs_dir_remove(struct bfs_req *r, struct bfs_inode *dir, const char *name)
{
	uint8_t key[8 + BFS_NAME_MAX], ckey[16];
	size_t klen = bfs_key_ino_name(key, dir->ino, name, strlen(name));
	MDB_val v;
	bool found;
	int rc = bfs_store_get(r->fs, r->txn, BFS_DB_DIRENTS, key, klen, &v, &found);
	if (rc != BFS_OK)
		return rc;
	if (!found)
		return BFS_E_CORRUPT;
	uint64_t child, cookie;
	rc = bfs_dirent_val_decode(v.mv_data, v.mv_size, &child, &cookie);
	if (rc == BFS_OK)
		rc = bfs_store_del(r->fs, r->txn, BFS_DB_DIRENTS, key, klen);
	if (rc != BFS_OK)
		return rc;
	bfs_key_ino_u64(ckey, dir->ino, cookie);
	dir->nentries--;
	return bfs_store_del(r->fs, r->txn, BFS_DB_COOKIES, ckey, sizeof(ckey));
}

uint64_t bfs_dir_size(const struct bfs_inode *dir)
{
	return (dir->nentries + 2) * BFS_DIRENT_SIZE;
}

void bfs_dir_verf(const struct bfs_inode *dir, cookieverf3 verf)
{
	bfs_put_be32((uint8_t *)verf, dir->gen);
	bfs_put_be32((uint8_t *)verf + 4, (uint32_t)dir->ino);
}
