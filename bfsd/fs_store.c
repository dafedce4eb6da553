/*
 * fs_store.c — every read and write of an LMDB record goes through here.
 * Writes to a replicated sub-database (meta, inodes, dirents, blocks,
 * replies) also record the object's bucket ‖ tag ‖ key in the "dirty"
 * sub-database, in the same transaction, so the end of the batch (or the
 * checkpoint of a state transfer) rehashes exactly the objects that
 * changed, bucket by bucket (fs_digest.c) — unless the object already
 * waits in "pending" for the checkpoint, which then rehashes its latest
 * value. Never caches; never hides an LMDB error.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

static int mark_dirty(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		      const void *key, size_t klen)
{
	uint8_t dk[BFS_OBJKEY_MAX];
	if (klen > BFS_KEY_MAX)
		return BFS_E_INVAL;
	MDB_val k = { bfs_objdig_key(fs, dk, (uint8_t)db, key, klen), dk }, v = { 0, NULL };
	int rc = mdb_get(txn, fs->dbi[BFS_DB_PENDING], &k, &v);
	if (rc == MDB_NOTFOUND) /* (pending and dirty never share an object) */
		rc = mdb_put(txn, fs->dbi[BFS_DB_DIRTY], &k, &(MDB_val){ 0, NULL }, 0);
	return rc == 0 ? BFS_OK : bfs_storage_error(fs, "mark dirty", rc);
}

int bfs_store_get(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		  const void *key, size_t klen, MDB_val *val, bool *found)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_get(txn, fs->dbi[db], &k, val);
	*found = rc == 0;
	if (rc == 0 || rc == MDB_NOTFOUND)
		return BFS_OK;
	return bfs_storage_error(fs, "get", rc);
}

int bfs_store_put(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		  const void *key, size_t klen, const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(txn, fs->dbi[db], &k, &v, 0);
	if (rc != 0)
		return bfs_storage_error(fs, "put", rc);
	return db < BFS_DB_TRACKED ? mark_dirty(fs, txn, db, key, klen) : BFS_OK;
}

int bfs_store_del(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		  const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(txn, fs->dbi[db], &k, NULL);
	if (rc == MDB_NOTFOUND)
		return BFS_OK;
	if (rc != 0)
		return bfs_storage_error(fs, "del", rc);
	return db < BFS_DB_TRACKED ? mark_dirty(fs, txn, db, key, klen) : BFS_OK;
}

int bfs_store_scan_bucket(struct bfs_fs *fs, MDB_txn *txn, MDB_cursor *cur, enum bfs_db db,
			  uint32_t b, int (*fn)(void *ctx, const MDB_val *k, const MDB_val *v),
			  void *ctx)
{
	MDB_cursor *own = NULL;
	int rc;
	if (cur == NULL) {
		if ((rc = mdb_cursor_open(txn, fs->dbi[db], &own)) != 0)
			return bfs_storage_error(fs, "scan cursor", rc);
		cur = own;
	}
	uint8_t prefix[4];
	bfs_put_be32(prefix, b);
	MDB_val k = { sizeof(prefix), prefix }, v;
	int st = BFS_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= 4 && memcmp(k.mv_data, prefix, 4) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if ((st = fn(ctx, &k, &v)) != 0)
			break;
	if (own != NULL)
		mdb_cursor_close(own);
	if (st > 0)
		return BFS_OK;
	if (st == BFS_OK && rc != 0 && rc != MDB_NOTFOUND)
		return bfs_storage_error(fs, "bucket scan", rc);
	return st;
}

int bfs_store_del_from(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db,
		       const uint8_t *start, size_t klen, size_t prefix_len,
		       uint64_t *deleted)
{
	MDB_cursor *cur;
	uint8_t key[BFS_KEY_MAX];
	*deleted = 0;
	if (klen > BFS_KEY_MAX || prefix_len > klen)
		return BFS_E_INVAL;
	int rc = mdb_cursor_open(txn, fs->dbi[db], &cur);
	if (rc != 0)
		return bfs_storage_error(fs, "cursor", rc);
	memcpy(key, start, klen);
	for (;;) {
		MDB_val k = { klen, key }, v;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND || k.mv_size < prefix_len ||
		    k.mv_size > BFS_KEY_MAX || memcmp(k.mv_data, start, prefix_len) != 0) {
			rc = BFS_OK;
			break;
		}
		if (rc != 0) {
			rc = bfs_storage_error(fs, "cursor get", rc);
			break;
		}
		klen = k.mv_size;
		memcpy(key, k.mv_data, klen);
		if ((rc = mdb_cursor_del(cur, 0)) != 0) {
			rc = bfs_storage_error(fs, "cursor del", rc);
			break;
		}
		(*deleted)++;
		if (db < BFS_DB_TRACKED && (rc = mark_dirty(fs, txn, db, key, klen)) != BFS_OK)
			break;
	}
	mdb_cursor_close(cur);
	return rc;
}
