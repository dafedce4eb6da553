/*
 * bfs/fs_service.h — the file system as the PBFT replicated service: fills
 * a struct bft_service (bft/io.h) whose calls drive a struct bfs_fs.
 *
 *   batch_begin  → bfs_fs_batch_begin (one LMDB write txn, agreed time)
 *   execute      → bfs_fs_execute, then the (client, timestamp, result)
 *                  recorded as the client's last reply (replicated state)
 *   batch_end    → bfs_fs_batch_end (commit, durable before replies leave)
 *   batch_abort  → bfs_fs_batch_abort (a tentative batch a view change dropped)
 *   execute_ro   → bfs_fs_execute_ro (read transaction, committed state)
 *   checkpoint   → bfs_fs_checkpoint (incremental Merkle root), then
 *                  bfs_fs_snapshot_keep(seq)
 *   children, leaf_get, leaf_digest, leaf_put, transfer_end,
 *   snapshot_release, reply_get → the state-transfer calls of bfs/fs.h
 *                  (tree_fanout 16, tree_depth 5, leaf_max 64 MiB)
 *
 * Rejected input keeps its meaning (BFT_E_FIELD for bytes that are no valid
 * leaf, BFT_E_NOENT for a snapshot not kept, BFT_E_INVAL, BFT_E_SPACE);
 * every other failure is BFT_E_SERVICE (bft/error.h): the daemon gets the
 * detail from bfs_fs_last_storage_error() and must stop the replica.
 */
#ifndef BFS_FS_SERVICE_H
#define BFS_FS_SERVICE_H

#include "bft/io.h"

#include "bfs/fs.h"

/* svc->data = fs; fs must outlive every use of svc. */
void bfs_fs_service(struct bfs_fs *fs, struct bft_service *svc);

#endif
