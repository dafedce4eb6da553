/*
 * fs_snapshot.c — checkpoints kept readable for state transfer (TOCS '02
 * §5.3.2: a replica serves partitions "as of" a checkpoint while it goes
 * on executing). A snapshot is an LMDB read transaction begun right after
 * the checkpoint (or transfer) committed its digests, and held until the
 * protocol releases it; LMDB's copy-on-write B-tree keeps every page it
 * sees alive meanwhile (the environment runs with MDB_NOTLS, so one thread
 * may hold several). The cost is file growth while pinned: pages freed by
 * later batches cannot be reused until the oldest pinned snapshot goes
 * (measured in doc/fs.md).
 *
 * At most BFS_SNAP_MAX snapshots are held; keeping one more releases the
 * oldest (a fetcher then gets BFS_E_NOENT and asks another replica).
 */
#include <string.h>

#include "fs_internal.h"

MDB_txn *bfs_snap_find(struct bfs_fs *fs, uint64_t seq)
{
	for (unsigned i = 0; i < fs->nsnaps; i++)
		if (fs->snaps[i].seq == seq)
			return fs->snaps[i].txn;
	return NULL;
}

static void drop(struct bfs_fs *fs, unsigned i)
{
	mdb_txn_abort(fs->snaps[i].txn);
	memmove(&fs->snaps[i], &fs->snaps[i + 1], (fs->nsnaps - i - 1) * sizeof(fs->snaps[0]));
	fs->nsnaps--;
}

int bfs_fs_snapshot_keep(struct bfs_fs *fs, uint64_t seq)
{
	if (seq == 0)
		return BFS_OK; /* snapshot 0 names the current state: nothing to keep */
	if (fs->wtxn != NULL || fs->xtxn != NULL || fs->tree_stale)
		return BFS_E_STATE; /* the snapshot must hold a fresh tree */
	for (unsigned i = 0; i < fs->nsnaps; i++)
		if (fs->snaps[i].seq == seq) {
			drop(fs, i);
			break;
		}
	if (fs->nsnaps == BFS_SNAP_MAX)
		drop(fs, 0);
	MDB_txn *txn;
	int rc = mdb_txn_begin(fs->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return bfs_storage_error(fs, "snapshot txn", rc);
	/* keep the array ordered by seq (checkpoints normally arrive in order) */
	unsigned at = fs->nsnaps;
	while (at > 0 && fs->snaps[at - 1].seq > seq)
		at--;
	memmove(&fs->snaps[at + 1], &fs->snaps[at], (fs->nsnaps - at) * sizeof(fs->snaps[0]));
	fs->snaps[at] = (struct bfs_snap){ seq, txn };
	fs->nsnaps++;
	return BFS_OK;
}

void bfs_fs_snapshot_release(struct bfs_fs *fs, uint64_t seq)
{
	while (fs->nsnaps > 0 && fs->snaps[0].seq < seq)
		drop(fs, 0);
}

void bfs_snap_release_all(struct bfs_fs *fs)
{
	while (fs->nsnaps > 0)
		drop(fs, 0);
}

unsigned bfs_fs_snapshot_count(const struct bfs_fs *fs)
{
	return fs->nsnaps;
}

int bfs_fs_db_bytes(struct bfs_fs *fs, uint64_t *bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc = mdb_env_info(fs->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(fs->env, &st);
	if (rc != 0)
		return bfs_storage_error(fs, "env info", rc);
	*bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	return BFS_OK;
}
