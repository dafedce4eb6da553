/*
 * test_fs_rebuild.c — bfs_fs_rebuild_digests() (bfsd/fs_rebuild.c), the
 * "clean reboot" of proactive recovery (TOCS '02 §4.3.2).
 *
 * A hidden corruption — a data block changed directly in LMDB, its digests
 * left alone, as a compromised replica could leave its state — is
 * invisible to bfs_fs_checkpoint and to a state transfer (the stored tree
 * still claims the old data). After the rebuild the checkpoint equals the
 * from-scratch digest, so it differs from the others' and a transfer from
 * an intact replica fetches exactly the corrupted leaf and repairs the
 * data. Rebuilding an intact state changes no node of the tree; a lost
 * directory cookie index comes back; junk records are dropped.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/io.h"

#include "bfs/error.h"
#include "bfs/fs_service.h"
#include "fs_internal.h"
#include "svc_transfer.h"
#include "fs_fixture.h"

#define DL BFS_FS_DIGEST_LEN
#define BLOCK_BYTES 20000u /* three blocks of 8 KiB */

static uint8_t pattern[BLOCK_BYTES];

/* The same small tree in any fixture: directories, files of several
 * blocks, a symlink. Deterministic, so two fixtures end equal. */
static void populate(struct fx *f, struct tfh *victim)
{
	struct tfh d, h;
	char name[16];
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(fx_mkdir(f, &f->root, "dir", 0755, &d), NFS3_OK);
	for (unsigned i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		ck_assert_int_eq(fx_create(f, i % 2 ? &d : &f->root, name, 0644, &h), NFS3_OK);
		ck_assert_int_eq(fx_write(f, &h, 0, pattern, 1000 + i * 1500), NFS3_OK);
	}
	ck_assert_int_eq(fx_create(f, &d, "victim", 0644, victim), NFS3_OK);
	ck_assert_int_eq(fx_write(f, victim, 0, pattern, BLOCK_BYTES), NFS3_OK);
	ck_assert_int_eq(fx_symlink(f, &d, "link", "../f0", NULL), NFS3_OK);
}

/* Read-only calls: they leave the state (and its clock record) alone. */
static uint64_t ino_of(struct fx *f, const struct tfh *h)
{
	GETATTR3args a = { fx_fh(h) };
	GETATTR3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_GETATTR, (xdrproc_t)xdr_GETATTR3args, &a,
				     (xdrproc_t)xdr_GETATTR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	uint64_t ino = r.GETATTR3res_u.resok.obj_attributes.fileid;
	xdr_free((xdrproc_t)xdr_GETATTR3res, (char *)&r);
	return ino;
}

/* Flip one byte of block `block` of ino straight in LMDB: no dirty mark,
 * no digest update. */
static void hidden_corrupt(struct fx *f, uint64_t ino, uint64_t block, uint32_t at)
{
	struct bfs_fs *fs = f->fs;
	uint8_t key[16], *copy;
	MDB_txn *txn;
	MDB_val k = { sizeof(key), key }, v;
	bfs_key_ino_u64(key, ino, block);
	ck_assert_int_eq(mdb_txn_begin(fs->env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_get(txn, fs->dbi[BFS_DB_BLOCKS], &k, &v), 0);
	ck_assert_uint_gt(v.mv_size, at);
	copy = malloc(v.mv_size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[at] ^= 0x5a;
	v.mv_data = copy;
	ck_assert_int_eq(mdb_put(txn, fs->dbi[BFS_DB_BLOCKS], &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	free(copy);
}

static bool reads_pattern(struct fx *f, const struct tfh *h)
{
	READ3args a = { fx_fh(h), 0, BLOCK_BYTES };
	READ3res r;
	memset(&r, 0, sizeof(r));
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READ, (xdrproc_t)xdr_READ3args, &a,
				     (xdrproc_t)xdr_READ3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	const READ3resok *ok = &r.READ3res_u.resok;
	bool same = ok->data.data_len == BLOCK_BYTES &&
		    memcmp(ok->data.data_val, pattern, BLOCK_BYTES) == 0;
	xdr_free((xdrproc_t)xdr_READ3res, (char *)&r);
	return same;
}

static void rebuild(struct fx *f, struct bfs_fs_rebuild *st)
{
	int rc = bfs_fs_rebuild_digests(f->fs, st);
	ck_assert_msg(rc == BFS_OK, "rebuild: %s", bfs_strerror(rc));
}

START_TEST(hidden_corruption_needs_rebuild)
{
	struct fx *f = fx_new(NULL);
	struct tfh victim;
	uint8_t before[DL], cp[DL], full[DL];
	populate(f, &victim);
	fx_digest(f, before);
	hidden_corrupt(f, ino_of(f, &victim), 1, 100);
	ck_assert(!reads_pattern(f, &victim));

	fx_digest(f, cp);
	ck_assert_msg(memcmp(cp, before, DL) == 0, "the stored tree noticed the corruption");
	fx_digest_full(f, full);
	ck_assert(memcmp(full, before, DL) != 0);

	struct bfs_fs_rebuild st;
	rebuild(f, &st);
	ck_assert(memcmp(st.root, full, DL) == 0);
	fx_digest(f, cp);
	ck_assert(memcmp(cp, full, DL) == 0);
	ck_assert(memcmp(cp, before, DL) != 0);
	ck_assert_uint_eq(st.skipped, 0);
	fx_free(f);
}
END_TEST

/* Every non-zero node of the current tree, depth first, into out[]. */
struct tree {
	uint32_t level[4096];
	uint64_t index[4096];
	uint8_t d[4096][DL];
	unsigned n;
};

static void walk(struct bfs_fs *fs, uint32_t level, uint64_t index, struct tree *t)
{
	static const uint8_t zero[DL];
	uint8_t ch[BFS_FS_TREE_FANOUT][DL];
	ck_assert_int_eq(bfs_fs_children(fs, 0, level, index, ch), BFS_OK);
	for (uint32_t j = 0; j < BFS_FS_TREE_FANOUT; j++) {
		if (memcmp(ch[j], zero, DL) == 0)
			continue;
		ck_assert_uint_lt(t->n, 4096);
		t->level[t->n] = level + 1;
		t->index[t->n] = index * BFS_FS_TREE_FANOUT + j;
		memcpy(t->d[t->n++], ch[j], DL);
		if (level + 1 < BFS_FS_TREE_DEPTH)
			walk(fs, level + 1, index * BFS_FS_TREE_FANOUT + j, t);
	}
}

START_TEST(rebuild_of_intact_state_changes_nothing)
{
	struct fx *f = fx_new(NULL);
	struct tfh victim;
	uint8_t before[DL], after[DL];
	static struct tree t0, t1;
	populate(f, &victim);
	fx_digest(f, before);
	t0.n = t1.n = 0;
	walk(f->fs, 0, 0, &t0);
	ck_assert_uint_gt(t0.n, BFS_FS_TREE_DEPTH);

	struct bfs_fs_rebuild st;
	rebuild(f, &st);
	fx_digest(f, after);
	ck_assert(memcmp(before, after, DL) == 0);
	ck_assert(memcmp(st.root, before, DL) == 0);
	walk(f->fs, 0, 0, &t1);
	ck_assert_uint_eq(t0.n, t1.n);
	ck_assert(memcmp(&t0, &t1, sizeof(t0)) == 0);
	/* super, clock, 16 inodes, 15 entries, 13 files' blocks */
	ck_assert_uint_eq(st.cookies, 15);
	ck_assert_uint_ge(st.objects, 2 + 16 + 15 + 13);
	ck_assert_uint_eq(st.skipped, 0);
	ck_assert(reads_pattern(f, &victim));

	/* and again after a reopen: nothing stored outside the transaction */
	fx_close_fs(f);
	fx_reopen(f, NULL);
	fx_digest(f, after);
	ck_assert(memcmp(before, after, DL) == 0);
	fx_free(f);
}
END_TEST

static unsigned count_entries(struct fx *f, const struct tfh *dir)
{
	READDIR3args a;
	READDIR3res r;
	unsigned n = 0;
	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	a.dir = fx_fh(dir);
	a.count = 8192;
	ck_assert_uint_eq(fx_call_ro(f, NFSPROC3_READDIR, (xdrproc_t)xdr_READDIR3args, &a,
				     (xdrproc_t)xdr_READDIR3res, &r), BFS_ACCEPT_SUCCESS);
	ck_assert_int_eq(r.status, NFS3_OK);
	ck_assert(r.READDIR3res_u.resok.reply.eof);
	for (entry3 *e = r.READDIR3res_u.resok.reply.entries; e; e = e->nextentry)
		n++;
	xdr_free((xdrproc_t)xdr_READDIR3res, (char *)&r);
	return n;
}

/* Run fn(fs, txn) in a raw write transaction (a corruption). */
static void raw(struct fx *f, void (*fn)(struct bfs_fs *fs, MDB_txn *txn))
{
	MDB_txn *txn;
	ck_assert_int_eq(mdb_txn_begin(f->fs->env, NULL, 0, &txn), 0);
	fn(f->fs, txn);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
}

static void lose_cookies(struct bfs_fs *fs, MDB_txn *txn)
{
	ck_assert_int_eq(mdb_drop(txn, fs->dbi[BFS_DB_COOKIES], 0), 0);
}

static void add_junk(struct bfs_fs *fs, MDB_txn *txn)
{
	static uint8_t key[BFS_KEY_MAX + 1];
	MDB_val k = { sizeof(key), key }, v = { 3, "bad" };
	ck_assert_int_eq(mdb_put(txn, fs->dbi[BFS_DB_INODES], &k, &v, 0), 0);
}

START_TEST(index_restored_and_junk_dropped)
{
	struct fx *f = fx_new(NULL);
	struct tfh victim;
	uint8_t before[DL], after[DL];
	populate(f, &victim);
	fx_digest(f, before);
	ck_assert_uint_eq(count_entries(f, &f->root), 2 + 7);
	raw(f, lose_cookies);
	raw(f, add_junk);
	ck_assert_uint_eq(count_entries(f, &f->root), 2); /* only . and .. */

	struct bfs_fs_rebuild st;
	rebuild(f, &st);
	ck_assert_uint_eq(st.skipped, 1);
	ck_assert_uint_eq(count_entries(f, &f->root), 2 + 7);
	fx_digest(f, after);
	ck_assert(memcmp(before, after, DL) == 0);
	fx_digest_full(f, after);
	ck_assert(memcmp(before, after, DL) == 0);
	fx_free(f);
}
END_TEST

struct node {
	struct fx *f;
	struct bft_service s;
	struct tfh victim;
};

static void node_init(struct node *n)
{
	n->f = fx_new(NULL);
	bfs_fs_service(n->f->fs, &n->s);
	populate(n->f, &n->victim);
}

START_TEST(transfer_fixes_exactly_the_corrupted_leaf)
{
	struct node a, b;
	uint8_t ra[DL], rb[DL];
	struct xstats st;
	node_init(&a);
	node_init(&b);
	ck_assert_int_eq(a.s.checkpoint(a.s.data, a.f->seq, ra), BFT_OK);
	ck_assert_int_eq(b.s.checkpoint(b.s.data, b.f->seq, rb), BFT_OK);
	ck_assert(memcmp(ra, rb, DL) == 0); /* the same history, the same state */
	hidden_corrupt(b.f, ino_of(b.f, &b.victim), 2, 7);

	/* Without a rebuild the tree hides it: a transfer finds nothing. */
	memset(&st, 0, sizeof(st));
	xfer_transfer(&a.s, a.f->seq, ra, &b.s, &st);
	ck_assert_uint_eq(st.leaves, 0);
	ck_assert(!reads_pattern(b.f, &b.victim));

	struct bfs_fs_rebuild rs;
	rebuild(b.f, &rs);
	ck_assert(memcmp(rs.root, ra, DL) != 0);
	memset(&st, 0, sizeof(st));
	xfer_transfer(&a.s, a.f->seq, ra, &b.s, &st);
	ck_assert_uint_eq(st.leaves, 1);
	ck_assert(reads_pattern(b.f, &b.victim));
	fx_digest(b.f, rb);
	ck_assert(memcmp(ra, rb, DL) == 0);
	fx_digest_full(b.f, rb);
	ck_assert(memcmp(ra, rb, DL) == 0);
	fx_free(a.f);
	fx_free(b.f);
}
END_TEST

START_TEST(refused_inside_a_batch)
{
	struct fx *f = fx_new(NULL);
	struct bfs_fs_rebuild st;
	ck_assert_int_eq(bfs_fs_batch_begin(f->fs, f->seq + 1, f->time_us + 1), BFS_OK);
	ck_assert_int_eq(bfs_fs_rebuild_digests(f->fs, &st), BFS_E_STATE);
	bfs_fs_batch_abort(f->fs);
	fx_free(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_rebuild");
	TCase *tc = tcase_create("rebuild");
	tcase_add_test(tc, hidden_corruption_needs_rebuild);
	tcase_add_test(tc, rebuild_of_intact_state_changes_nothing);
	tcase_add_test(tc, index_restored_and_junk_dropped);
	tcase_add_test(tc, transfer_fixes_exactly_the_corrupted_leaf);
	tcase_add_test(tc, refused_inside_a_batch);
	suite_add_tcase(s, tc);
	return fx_run_suite(s);
}
