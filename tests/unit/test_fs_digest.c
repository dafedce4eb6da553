/*
 * test_fs_digest.c — checkpoint digests (bfsd/fs_digest.c): one changed
 * byte of one block changes the root; restoring it restores the root; the
 * incremental digest equals the from-scratch digest after every checkpoint
 * of a random workload, with one or several batches per checkpoint (objects
 * changed again wait in the pending set) and restarts between them; the
 * stored tree and the changes not yet checkpointed survive a reopen; a
 * state of an older format is refused.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "bfs/error.h"
#include "fs_randops.h"

static struct fx *f;

static void setup(void)
{
	f = fx_new(NULL);
}

static void teardown(void)
{
	fx_free(f);
}

START_TEST(one_byte_changes_root)
{
	struct tfh h;
	static uint8_t data[65536];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ck_assert_int_eq(fx_create(f, &f->root, "blob", 0644, &h), NFS3_OK);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(fx_write(f, &h, i * 32768ull, data + i * 32768, 32768), NFS3_OK);
	uint8_t d0[32], d1[32], d2[32];
	fx_digest(f, d0);
	ck_assert_int_eq(fx_write(f, &h, 40000, "\x01", 1), NFS3_OK); /* was 0x40 */
	fx_digest(f, d1);
	ck_assert(memcmp(d0, d1, 32) != 0);
	ck_assert_int_eq(fx_write(f, &h, 40000, data + 40000, 1), NFS3_OK);
	fx_digest(f, d2);
	/* content is back, but mtime/ctime moved: only the inode differs */
	ck_assert(memcmp(d1, d2, 32) != 0);
	fx_digest_full(f, d1);
	ck_assert(memcmp(d1, d2, 32) == 0);
}
END_TEST

START_TEST(same_content_same_digest)
{
	struct fx *g = fx_new(NULL);
	struct tfh h1, h2;
	uint8_t a[32], b[32];
	ck_assert_int_eq(fx_create(f, &f->root, "x", 0644, &h1), NFS3_OK);
	ck_assert_int_eq(fx_create(g, &g->root, "x", 0644, &h2), NFS3_OK);
	ck_assert_int_eq(fx_write(f, &h1, 5000, "abc", 3), NFS3_OK);
	ck_assert_int_eq(fx_write(g, &h2, 5000, "abd", 3), NFS3_OK);
	fx_digest(f, a);
	fx_digest(g, b);
	ck_assert(memcmp(a, b, 32) != 0);
	g->time_us -= 1000; /* same batch time as f's write */
	g->seq--;
	ck_assert_int_eq(fx_write(g, &h2, 5000, "abc", 3), NFS3_OK);
	fx_digest(g, b);
	ck_assert(memcmp(a, b, 32) == 0);
	fx_free(g);
}
END_TEST

/* One batch of n random operations. */
static void random_batch(struct randops *g, unsigned n)
{
	f->seq++;
	f->time_us += 1000;
	ck_assert_int_eq(bfs_fs_batch_begin(f->fs, f->seq, f->time_us), BFS_OK);
	for (unsigned i = 0; i < n; i++) {
		f->op_len = randops_next(g, f->op, sizeof(f->op));
		ck_assert_int_eq(bfs_fs_execute(f->fs, f->op, f->op_len, f->res,
						sizeof(f->res), &f->res_len), BFS_OK);
		randops_learn(g, f->res, f->res_len);
	}
	ck_assert_int_eq(bfs_fs_batch_end(f->fs, f->seq), BFS_OK);
}

START_TEST(incremental_equals_full_every_checkpoint)
{
	struct randops g;
	randops_init(&g, 42, &f->root);
	uint8_t inc[32], full[32];
	for (unsigned cp = 0; cp < 60; cp++) {
		random_batch(&g, 1 + (unsigned)(randops_u64(&g) % 80));
		fx_digest(f, inc);
		fx_digest_full(f, full);
		ck_assert_msg(memcmp(inc, full, 32) == 0, "checkpoint %u", cp);
	}
}
END_TEST

/* Objects changed again by later batches of one checkpoint interval wait
 * for the checkpoint (the pending set); a restart in the middle of an
 * interval loses none of them. */
START_TEST(incremental_equals_full_many_batches_per_checkpoint)
{
	struct randops g;
	randops_init(&g, 43, &f->root);
	uint8_t inc[32], full[32];
	for (unsigned cp = 0; cp < 40; cp++) {
		unsigned batches = 2 + (unsigned)(randops_u64(&g) % 8);
		for (unsigned b = 0; b < batches; b++) {
			random_batch(&g, 1 + (unsigned)(randops_u64(&g) % 30));
			if (cp % 5 == 2 && b == batches / 2) {
				fx_close_fs(f);
				fx_reopen(f, NULL);
			}
		}
		fx_digest(f, inc);
		fx_digest_full(f, full);
		ck_assert_msg(memcmp(inc, full, 32) == 0, "checkpoint %u", cp);
	}
}
END_TEST

START_TEST(changes_survive_reopen_before_checkpoint)
{
	struct tfh h;
	uint8_t a[32], b[32];
	ck_assert_int_eq(fx_create(f, &f->root, "p", 0644, &h), NFS3_OK);
	fx_digest(f, a);
	ck_assert_int_eq(fx_write(f, &h, 0, "persist", 7), NFS3_OK);
	/* no checkpoint before the "crash" */
	fx_close_fs(f);
	fx_reopen(f, NULL);
	fx_digest(f, a);
	fx_digest_full(f, b);
	ck_assert(memcmp(a, b, 32) == 0);
	ck_assert_uint_eq(bfs_fs_last_seq(f->fs), f->seq);
}
END_TEST

static void other_limits(struct bfs_fs_config *c)
{
	c->max_files = 7;
}

START_TEST(reopen_with_other_replicated_config_fails)
{
	fx_close_fs(f);
	ck_assert_int_eq(fx_try_reopen(f, other_limits), BFS_E_CONFIG);
	fx_reopen(f, NULL);
}
END_TEST

/* Rewrite the format version in the super record (doc/fs.md: meta "super",
 * u32le version first) as a replica of an older BFS would have left it. */
static void set_format_version(const char *dir, uint32_t version)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val k = { 5, "super" }, v;
	uint8_t super[256];
	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 32), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(env, 1ull << 30), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_get(txn, meta, &k, &v), 0);
	ck_assert_uint_le(v.mv_size, sizeof(super));
	memcpy(super, v.mv_data, v.mv_size);
	super[0] = (uint8_t)version;
	v.mv_data = super;
	ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A state written by format 2 (level-4 digests in objdigests, no stale or
 * pending sets) is refused with a clear error, never misread. */
START_TEST(older_format_refused)
{
	fx_close_fs(f);
	set_format_version(f->dir, 2);
	ck_assert_int_eq(fx_try_reopen(f, NULL), BFS_E_VERSION);
	set_format_version(f->dir, 3);
	fx_reopen(f, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_digest");
	TCase *tc = tcase_create("digest");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_byte_changes_root);
	tcase_add_test(tc, same_content_same_digest);
	tcase_add_test(tc, incremental_equals_full_every_checkpoint);
	tcase_add_test(tc, incremental_equals_full_many_batches_per_checkpoint);
	tcase_add_test(tc, changes_survive_reopen_before_checkpoint);
	tcase_add_test(tc, reopen_with_other_replicated_config_fails);
	tcase_add_test(tc, older_format_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fx_run_suite(suite());
}
