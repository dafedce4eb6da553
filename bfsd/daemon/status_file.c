/*
 * status_file.c — a replica's status file, <data_dir>/replica<I>/status,
 * for operators and `bfsctl status` / `bfsctl recover` (doc/design.md
 * "Proactive recovery: operations"), and the "recovered" log line of
 * proactive recovery (TOCS '02 §4.3.2).
 *
 * The file is rewritten atomically (status.tmp, then rename) about once a
 * second and at once when the view, the stable or own checkpoint, the
 * recovering flag or the key epoch changes. One "key value" pair a line:
 *
 *   pid 12345
 *   replica 2
 *   view 0
 *   last_executed 1234
 *   stable 1152
 *   stable_digest <64 hex digits: the stable checkpoint's state digest>
 *   recovering no
 *   checkpoint 1280            (this replica's latest checkpoint, or state
 *   checkpoint_digest <64 hex>  transfer, and its own state's digest there)
 *   recovered_after_ms 2713    (only once a --recover run is recovered)
 *   key_epoch 3
 *   time 1700000000.123        (wall clock of the write, Unix seconds)
 *
 * Readers must ignore keys they do not know. A failing write is logged
 * once and never stops the replica: the file is a report, not state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define TICK_MS 200u     /* how often the replica is looked at */
#define REWRITE_MS 1000u /* the file's age stays below about this */

void status_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void status_now(const struct bfsd *d, struct bfsd_status *st)
{
	memset(st, 0, sizeof(*st));
	st->view = bft_replica_view(d->replica);
	st->last_exec = bft_replica_last_executed(d->replica);
	st->stable = bft_replica_stable(d->replica);
	st->key_epoch = bft_replica_key_epoch(d->replica);
	st->recovering = bft_replica_recovering(d->replica);
	bft_replica_stable_digest(d->replica, st->stable_digest);
	st->ckpt_seq = d->ckpt_seq;
}

static bool changed(const struct bfsd_status *a, const struct bfsd_status *b)
{
	return a->view != b->view || a->stable != b->stable || a->recovering != b->recovering ||
	       a->key_epoch != b->key_epoch || a->ckpt_seq != b->ckpt_seq;
}

static int write_status(struct bfsd *d, const struct bfsd_status *st)
{
	char tmp[sizeof(d->dir) + 16], path[sizeof(d->dir) + 16];
	char hex[2 * BFT_DIGEST_LEN + 1];
	struct timespec now;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/status.tmp", d->dir);
	snprintf(path, sizeof(path), "%s/status", d->dir);
	if (!(f = fopen(tmp, "w")))
		return -errno;
	status_hex(st->stable_digest, BFT_DIGEST_LEN, hex);
	clock_gettime(CLOCK_REALTIME, &now);
	fprintf(f, "pid %ld\nreplica %u\nview %llu\nlast_executed %llu\nstable %llu\n"
		"stable_digest %s\nrecovering %s\n", (long)getpid(), d->id,
		(unsigned long long)st->view, (unsigned long long)st->last_exec,
		(unsigned long long)st->stable, hex, st->recovering ? "yes" : "no");
	status_hex(d->ckpt_digest, BFT_DIGEST_LEN, hex);
	fprintf(f, "checkpoint %llu\ncheckpoint_digest %s\n", (unsigned long long)d->ckpt_seq,
		hex);
	if (d->recovered_ms)
		fprintf(f, "recovered_after_ms %llu\n", (unsigned long long)d->recovered_ms);
	fprintf(f, "key_epoch %llu\ntime %lld.%03ld\n", (unsigned long long)st->key_epoch,
		(long long)now.tv_sec, now.tv_nsec / 1000000);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

/* The recovering flag turned false: log it once with the elapsed time. */
static void note_recovered(struct bfsd *d, const struct bfsd_status *st)
{
	char hex[17];

	d->recovered_ms = (bft_loop_mono_us() - d->start_us) / 1000 + 1;
	status_hex(st->stable_digest, 8, hex);
	bft_logf(d->log, BFT_LOG_INFO, "%s: recovered %.1f s after the start (digest rebuild "
		 "included); now at stable checkpoint %llu (state digest %s...), last executed "
		 "%llu, view %llu, key epoch %llu", d->name, (double)d->recovered_ms / 1000.0,
		 (unsigned long long)st->stable, hex, (unsigned long long)st->last_exec,
		 (unsigned long long)st->view, (unsigned long long)st->key_epoch);
}

static void on_tick(void *data)
{
	struct bfsd *d = data;
	struct bfsd_status st;
	uint64_t now = bft_loop_now_ms();
	int err;

	status_now(d, &st);
	if (d->recover && !st.recovering && !d->recovered_ms) {
		note_recovered(d, &st);
		recover_done(d);
	}
	if (!d->status_written_ms || changed(&st, &d->status) ||
	    now - d->status_written_ms >= REWRITE_MS) {
		if ((err = write_status(d, &st)) && !d->status_failing)
			bft_logf(d->log, BFT_LOG_WARN, "%s: cannot write the status file in %s: "
				 "%s", d->name, d->dir, strerror(-err));
		d->status_failing = err != 0;
		d->status = st;
		d->status_written_ms = now;
	}
	bft_loop_timer_arm(d->loop, &d->status_timer, TICK_MS);
}

int status_file_start(struct bfsd *d)
{
	if (d->recover)
		bft_logf(d->log, BFT_LOG_INFO, "%s: recovering: refreshing keys, then fetching "
			 "what differs from a stable checkpoint of the others", d->name);
	bft_loop_timer_init(&d->status_timer, on_tick, d);
	return bft_loop_timer_arm(d->loop, &d->status_timer, 0);
}
