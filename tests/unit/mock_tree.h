/*
 * mock_tree.h — a transfer-capable variant of the unit tests' counter
 * service (Castro & Liskov, TOCS '02 §5.3.2, the partition tree; its shape
 * and digest rules are bft/io.h's).
 *
 * mock_tree_attach() wraps a struct mock_service (mock_io.h) before the
 * replica is created (mock_node_open_ext / fixture_open_ext): the counter
 * service keeps recording every call and counting requests, and the
 * wrapper adds the replicated state a transfer must carry and the tree
 * calls of struct bft_service v2. Tests without it are unaffected.
 *
 * The state (struct mock_state) is a tree of fanout 4 and depth 2, i.e. 16
 * leaves, indexed left to right:
 *   MOCK_LEAF_COUNTER   u64 counter                          (empty when 0)
 *   MOCK_LEAF_TIME      u64 agreed time of the last batch    (empty when 0)
 *   MOCK_LEAF_CLIENT+c  client c (node MOCK_N + c): u64 last timestamp,
 *                       u32 result length, result (empty when no reply)
 *   MOCK_LEAF_BLOB      blob_len bytes of a pattern seeded by blob_seed
 *                       (empty when the seed is 0): a leaf tests make large
 *                       enough to travel in several DATA chunks; nothing
 *                       executed changes it
 *   the rest            always empty
 * Leaf digest: SHA-256(u64le index ‖ bytes), all-zero for an empty leaf; an
 * interior node's digest: all-zero if its children's are, else SHA-256 of
 * the children's digests in order. Leaf bytes are canonical, so a state has
 * one tree. checkpoint() returns the root and keeps a snapshot (as does
 * transfer_end), up to MOCK_SNAPS of them, until snapshot_release.
 *
 * The wrapper records leaf_put (MOCK_LEAF_PUT: index, length, the digest
 * of the bytes) and transfer_end (MOCK_XFER_END: seq, the root) in the
 * service's call list, honours fail_on for them, and sets the service's
 * misuse flag when a leaf is put or a transfer ends inside a batch, or a
 * batch or checkpoint starts between a leaf_put and transfer_end.
 */
#ifndef MOCK_TREE_H
#define MOCK_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "mock_io.h"

#define MOCK_TREE_FANOUT 4u
#define MOCK_TREE_DEPTH 2u
#define MOCK_TREE_LEAVES 16u
#define MOCK_LEAF_COUNTER 0u
#define MOCK_LEAF_TIME 1u
#define MOCK_LEAF_CLIENT 2u /* + client index */
#define MOCK_LEAF_BLOB 4u
#define MOCK_REPLY_MAX (8u + 512u)             /* a result the state keeps */
#define MOCK_BLOB_MAX (2u * BFT_MAX_DATA + 1000u) /* three DATA chunks */
#define MOCK_LEAF_MAX MOCK_BLOB_MAX
#define MOCK_SNAPS 4u

struct mock_state {
	uint64_t counter;
	uint64_t time_us;
	uint64_t last_ts[MOCK_N_CLIENTS];
	uint32_t reply_len[MOCK_N_CLIENTS];
	uint8_t reply[MOCK_N_CLIENTS][MOCK_REPLY_MAX];
	uint8_t blob_seed; /* 0: empty blob leaf */
	uint32_t blob_len; /* 1..MOCK_BLOB_MAX when blob_seed != 0 */
};

/* ---- the tree of a state (pure functions, usable by tests directly) ---- */

/* Leaf `index`'s bytes into buf (MOCK_LEAF_MAX bytes); returns the length
 * (0: empty leaf, and for an index out of range). */
uint32_t mock_leaf_bytes(const struct mock_state *st, uint64_t index, uint8_t *buf);
/* The digest of leaf `index` holding bytes[0..len); false if those bytes
 * are no valid leaf there. */
bool mock_leaf_digest(uint64_t index, const uint8_t *bytes, uint32_t len,
		      uint8_t out[BFT_DIGEST_LEN]);
/* Digest of node (level, index). */
void mock_tree_node(const struct mock_state *st, uint32_t level, uint64_t index,
		    uint8_t out[BFT_DIGEST_LEN]);
/* The MOCK_TREE_FANOUT children's digests of interior node (level, index). */
void mock_tree_children(const struct mock_state *st, uint32_t level, uint64_t index,
			uint8_t (*digests)[BFT_DIGEST_LEN]);
/* The root: the state's checkpoint digest. */
void mock_tree_root(const struct mock_state *st, uint8_t out[BFT_DIGEST_LEN]);
/* Apply leaf bytes to a state (as leaf_put does); false if invalid. */
bool mock_state_put(struct mock_state *st, uint64_t index, const uint8_t *bytes,
		    uint32_t len);

/* ---- the wrapper service ---- */

struct mock_tree_snap {
	uint64_t seq; /* 0: unused */
	struct mock_state st;
};

struct mock_tree {
	struct mock_service *svc;   /* the wrapped counter service */
	struct bft_service inner;   /* its vtable before the wrap */
	struct mock_state cur;      /* cur.counter mirrors svc->counter */
	struct mock_state saved;    /* at batch_begin, for batch_abort */
	struct mock_tree_snap snaps[MOCK_SNAPS];
	bool transferring;          /* leaves put since the last transfer_end */
	uint64_t released;          /* highest snapshot_release seq */
	uint8_t *scratch;           /* MOCK_LEAF_MAX bytes, owned */
};

/* Wrap s (struct mock_tree *tree passed as void * so it can be
 * mock_node_open_ext's hook): clears the tree, makes s->svc the tree
 * variant. Call mock_tree_free after the replica is closed. */
void mock_tree_attach(struct mock_service *s, void *tree);
void mock_tree_free(struct mock_tree *t);
/* The snapshot of seq, or NULL. */
const struct mock_state *mock_tree_snapshot(const struct mock_tree *t, uint64_t seq);

#endif
