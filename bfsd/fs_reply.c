/*
 * fs_reply.c — the per-client reply cache, part of the replicated state as
 * in the paper (OSDI '99 §4.1: the last reply sent to each client, so that
 * state transfer carries it and a retransmitted request can be answered).
 *
 * "replies": u32be(client) → version (1) ‖ u64le(timestamp) ‖ u32le(length)
 * ‖ result bytes. Written only inside a batch; never decides anything.
 */
#include <string.h>

#include "bfs/bytes.h"
#include "fs_internal.h"

#define REPLY_VERSION 1u
#define REPLY_HDR BFS_REPLY_HDR
#define REPLY_MAX BFS_REPLY_MAX

int bfs_fs_reply_put(struct bfs_fs *fs, uint32_t client, uint64_t timestamp,
		     const uint8_t *result, uint32_t len)
{
	_Static_assert(REPLY_HDR + REPLY_MAX <= BFS_ARENA_SIZE, "arena holds a reply");
	if (fs->wtxn == NULL)
		return BFS_E_STATE;
	if (len > REPLY_MAX)
		return BFS_E_INVAL;
	uint8_t key[4], *v = fs->arena;
	bfs_put_be32(key, client);
	v[0] = REPLY_VERSION;
	bfs_put_le64(v + 1, timestamp);
	bfs_put_le32(v + 9, len);
	memcpy(v + REPLY_HDR, result, len);
	return bfs_store_put(fs, fs->wtxn, BFS_DB_REPLIES, key, sizeof(key), v,
			     REPLY_HDR + len);
}

int bfs_fs_reply_get(struct bfs_fs *fs, uint32_t client, bool *found,
		     uint64_t *timestamp, uint8_t *result, uint32_t cap,
		     uint32_t *len)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(fs->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return bfs_storage_error(fs, "reply txn", rc);
	uint8_t key[4];
	bfs_put_be32(key, client);
	MDB_val v;
	int st = bfs_store_get(fs, txn, BFS_DB_REPLIES, key, sizeof(key), &v, found);
	if (st == BFS_OK && *found) {
		const uint8_t *p = v.mv_data;
		if (v.mv_size < REPLY_HDR || p[0] != REPLY_VERSION ||
		    bfs_get_le32(p + 9) != v.mv_size - REPLY_HDR)
			st = BFS_E_CORRUPT;
		else if (v.mv_size - REPLY_HDR > cap)
			st = BFS_E_SPACE;
		else {
			*timestamp = bfs_get_le64(p + 1);
			*len = (uint32_t)(v.mv_size - REPLY_HDR);
			memcpy(result, p + REPLY_HDR, *len);
		}
	}
	mdb_txn_abort(txn);
	return st;
}
