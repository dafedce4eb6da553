/*
 * test_plog.c — bfsd's protocol log (bfsd/daemon/plog.c): records come
 * back after a reopen in the order written; a STABLE record compacts the
 * file to the newest STABLE and VIEW and the PREPARED records above the
 * checkpoint; a torn or damaged record (a crash while writing) is cut off
 * with what follows, and the log goes on from there.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bft/io.h"
#include "plog.h"

struct seen {
	uint32_t n;
	uint8_t kind[64];
	uint64_t seq[64];
	size_t len[64];
	uint8_t first[64];
};

static int collect(void *arg, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len)
{
	struct seen *s = arg;

	ck_assert_uint_lt(s->n, 64);
	s->kind[s->n] = kind;
	s->seq[s->n] = seq;
	s->len[s->n] = len;
	s->first[s->n] = len ? buf[0] : 0;
	s->n++;
	return 0;
}

static char path[256];

static struct plog *reopen(struct plog *p, struct seen *s)
{
	plog_close(p);
	ck_assert_int_eq(plog_open(path, false, NULL, &p), 0);
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(plog_replay(p, collect, s), 0);
	return p;
}

static struct plog *fresh(void)
{
	struct plog *p;
	char dir[] = "/tmp/plog-test-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/protocol.log", dir);
	ck_assert_int_eq(plog_open(path, true, NULL, &p), 0);
	return p;
}

static void append(struct plog *p, uint8_t kind, uint64_t seq, size_t len, uint8_t fill)
{
	uint8_t *b = malloc(len ? len : 1);

	memset(b, fill, len);
	ck_assert_int_eq(plog_append(p, kind, seq, b, len), 0);
	free(b);
}

START_TEST(plog_round_trip)
{
	struct plog *p = fresh();
	struct seen s;

	append(p, BFT_REC_VIEW, 0, 1, 0);
	append(p, BFT_REC_PREPARED, 1, 300, 0xa1);
	append(p, BFT_REC_PREPARED, 2, 70000, 0xa2);
	append(p, BFT_REC_PREPARED, 3, 0, 0);
	p = reopen(p, &s);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_uint_eq(s.kind[0], BFT_REC_VIEW);
	ck_assert_uint_eq(s.seq[2], 2);
	ck_assert_uint_eq(s.len[2], 70000);
	ck_assert_uint_eq(s.first[2], 0xa2);
	ck_assert_uint_eq(s.len[3], 0);
	plog_close(p);
}
END_TEST

START_TEST(plog_stable_compacts)
{
	struct plog *p = fresh();
	struct seen s;
	uint32_t recs;
	uint64_t bytes;

	append(p, BFT_REC_VIEW, 0, 1, 1);
	for (uint64_t q = 1; q <= 20; q++)
		append(p, BFT_REC_PREPARED, q, 100, (uint8_t)q);
	append(p, BFT_REC_STABLE, 8, 40, 0x88);
	append(p, BFT_REC_VIEW, 1, 1, 0);
	append(p, BFT_REC_VIEW, 1, 1, 1);
	append(p, BFT_REC_STABLE, 16, 40, 0x99);
	plog_stats(p, &recs, &bytes);
	ck_assert_uint_eq(recs, 6); /* PREPARED 17..20, the newest VIEW, STABLE 16 */
	p = reopen(p, &s);
	ck_assert_uint_eq(s.n, 6);
	for (uint32_t i = 0; i < s.n; i++) {
		if (s.kind[i] == BFT_REC_PREPARED)
			ck_assert_uint_gt(s.seq[i], 16);
		if (s.kind[i] == BFT_REC_STABLE)
			ck_assert_uint_eq(s.first[i], 0x99);
		if (s.kind[i] == BFT_REC_VIEW)
			ck_assert_uint_eq(s.first[i], 1); /* the newest: installed view 1 */
	}
	append(p, BFT_REC_PREPARED, 21, 10, 21); /* appends after a compaction */
	p = reopen(p, &s);
	ck_assert_uint_eq(s.n, 7);
	ck_assert_uint_eq(s.seq[6], 21);
	plog_close(p);
}
END_TEST

static off_t file_size(void)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

START_TEST(plog_torn_tail_cut)
{
	struct plog *p = fresh();
	struct seen s;
	off_t good;

	append(p, BFT_REC_PREPARED, 1, 500, 1);
	append(p, BFT_REC_PREPARED, 2, 500, 2);
	good = file_size();
	append(p, BFT_REC_PREPARED, 3, 500, 3);
	plog_close(p);
	ck_assert_int_eq(truncate(path, good + 250), 0); /* died mid-write */
	p = NULL;
	p = reopen(p, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(file_size(), good);
	append(p, BFT_REC_PREPARED, 3, 500, 33);
	p = reopen(p, &s);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(s.first[2], 33);
	plog_close(p);
}
END_TEST

START_TEST(plog_damaged_record_cut)
{
	struct plog *p = fresh();
	struct seen s;
	off_t second;
	int fd;
	uint8_t x = 0x5a;

	append(p, BFT_REC_PREPARED, 1, 100, 1);
	second = file_size();
	append(p, BFT_REC_PREPARED, 2, 100, 2);
	append(p, BFT_REC_PREPARED, 3, 100, 3);
	plog_close(p);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, &x, 1, second + 40), 1); /* a flipped payload byte */
	close(fd);
	p = NULL;
	p = reopen(p, &s);
	ck_assert_uint_eq(s.n, 1); /* nothing after a bad record is trusted */
	ck_assert_int_eq(file_size(), second);
	plog_close(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plog");
	TCase *tc = tcase_create("plog");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, plog_round_trip);
	tcase_add_test(tc, plog_stable_compacts);
	tcase_add_test(tc, plog_torn_tail_cut);
	tcase_add_test(tc, plog_damaged_record_cut);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
