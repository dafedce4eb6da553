/*
 * fs_rebuild.c — rebuild every stored digest and derived index from the
 * records alone: the "reboot from a clean state" of proactive recovery
 * (TOCS '02 §4.3.2; OSDI '99 §4.6 for the checkpoint digests it feeds).
 *
 * A replica that was compromised may have written object digests, bucket
 * digests and partition-tree nodes that do not match its data (or records
 * that agree with digests nobody else has). The incremental checkpoint of
 * fs_digest.c trusts what it stored, so such a state looks correct to it
 * forever. The rebuild throws the stored tree away and recomputes it:
 *
 *   1. drop objdigests, partition and dirty (the stored tree), and the
 *      dircookies index (derived from dirents, not digested: a corrupt one
 *      would survive any state transfer);
 *   2. mark every record of every replicated sub-database dirty, and put
 *      back each directory entry's cookie index entry;
 *   3. run the ordinary incremental refresh (bfs_digest_checkpoint) over
 *      that dirty set — the same code path as every checkpoint and state
 *      transfer, so the rebuilt tree is by construction the tree an honest
 *      replica keeps (and equals bfs_digest_full()).
 *
 * All in one LMDB write transaction: a crash in the middle leaves the old
 * state untouched (the rebuild then simply runs again). Time O(state);
 * memory bounded by the tree's shape (the refresh's bucket list and
 * level-4 cache, tens of MiB at most), never by the number of objects.
 * LMDB bounds a write transaction to MDB_IDL_UM_MAX dirty pages (512 MiB
 * of 4 KiB pages); a state whose digest tree and dirty set exceed that
 * fails with BFS_E_STORAGE ("MDB_TXN_FULL"), which the caller reports.
 *
 * Never reads a clock (the caller times it) and never touches a record of
 * the replicated state itself.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

static int drop(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db db)
{
	int rc = mdb_drop(txn, fs->dbi[db], 0);
	return rc == 0 ? BFS_OK : bfs_storage_error(fs, "rebuild: empty", rc);
}

/* A record no honest replica can hold (an empty key, or one longer than
 * any key the procedures write) has no place in the tree: delete it. */
static bool junk_key(const MDB_val *k)
{
	return k->mv_size == 0 || k->mv_size > BFS_KEY_MAX;
}

/* Mark every record of replicated sub-database tag dirty; for dirents,
 * also index its cookie. A directory entry whose value does not decode
 * stays (it is digested like any record, and the state transfer replaces
 * it) but gets no index entry. */
static int mark_db(struct bfs_fs *fs, MDB_txn *txn, enum bfs_db tag,
		   struct bfs_fs_rebuild *st)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, fs->dbi[tag], &cur);
	if (rc != 0)
		return bfs_storage_error(fs, "rebuild: cursor", rc);
	MDB_val k, v, none = { 0, NULL };
	uint8_t dk[BFS_OBJKEY_MAX];
	int st_rc = BFS_OK;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && st_rc == BFS_OK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (junk_key(&k)) {
			st->skipped++;
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			continue;
		}
		MDB_val d = { bfs_objdig_key(fs, dk, (uint8_t)tag, k.mv_data, k.mv_size), dk };
		if ((rc = mdb_put(txn, fs->dbi[BFS_DB_DIRTY], &d, &none, 0)) != 0)
			break;
		st->objects++;
		st->bytes += k.mv_size + v.mv_size;
		if (tag != BFS_DB_DIRENTS)
			continue;
		st_rc = k.mv_size <= 8 ? BFS_E_CORRUPT
			: bfs_cookie_index(fs, txn, k.mv_data, k.mv_size, v.mv_data, v.mv_size, true);
		if (st_rc == BFS_OK)
			st->cookies++;
		if (st_rc == BFS_E_CORRUPT) {
			st->skipped++;
			st_rc = BFS_OK;
		}
	}
	mdb_cursor_close(cur);
	if (st_rc == BFS_OK && rc != 0 && rc != MDB_NOTFOUND)
		st_rc = bfs_storage_error(fs, "rebuild: mark", rc);
	return st_rc;
}

static int rebuild(struct bfs_fs *fs, MDB_txn *txn, struct bfs_fs_rebuild *st)
{
	static const enum bfs_db derived[] = { BFS_DB_OBJDIG, BFS_DB_PARTITION, BFS_DB_DIRTY,
					       BFS_DB_COOKIES, BFS_DB_STALE, BFS_DB_PENDING };
	int rc = BFS_OK;
	for (size_t i = 0; rc == BFS_OK && i < sizeof(derived) / sizeof(derived[0]); i++)
		rc = drop(fs, txn, derived[i]);
	bfs_digest_forget(fs); /* the level-4 cache came from the old tree */
	for (int tag = 0; rc == BFS_OK && tag < BFS_DB_TRACKED; tag++)
		rc = mark_db(fs, txn, (enum bfs_db)tag, st);
	if (rc == BFS_OK) /* what a batch does for its changes, for everything */
		rc = bfs_digest_objects(fs, txn);
	if (rc == BFS_OK)
		rc = bfs_digest_checkpoint(fs, txn, st->root);
	bfs_digest_forget(fs); /* reloaded from what this transaction commits */
	return rc;
}

int bfs_fs_rebuild_digests(struct bfs_fs *fs, struct bfs_fs_rebuild *st)
{
	if (fs->wtxn != NULL || fs->xtxn != NULL)
		return BFS_E_STATE;
	memset(st, 0, sizeof(*st));
	bfs_snap_release_all(fs); /* they would go on serving the old tree */
	MDB_txn *txn;
	int rc = mdb_txn_begin(fs->env, NULL, 0, &txn);
	if (rc != 0)
		return bfs_storage_error(fs, "rebuild txn", rc);
	int brc = rebuild(fs, txn, st);
	if (brc != BFS_OK) {
		mdb_txn_abort(txn);
		bfs_digest_forget(fs);
		fs->tree_stale = true;
		return brc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		bfs_digest_forget(fs);
		fs->tree_stale = true;
		return bfs_storage_error(fs, "rebuild commit", rc);
	}
	fs->tree_stale = false;
	return BFS_OK;
}
