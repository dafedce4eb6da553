/*
 * recover.c — `bfsd --recover`: the replica side of proactive recovery's
 * "reboot from a clean state" (TOCS '02 §4.3.2; OSDI '99 §4.6;
 * doc/design.md "Proactive recovery: operations").
 *
 * Before the replica starts, in its data directory:
 *   1. the protocol log is deleted. A compromised replica wrote it; the
 *      PREPARED certificates, view-change state and checkpoints in it are
 *      its word alone, and replaying them could make a correct core send
 *      what the attacker prepared. The recovering core rebuilds what it
 *      needs from its peers (REPLY-STABLE, checkpoints, state transfer).
 *   2. every digest of the file system is recomputed from the records
 *      (bfs_fs_rebuild_digests): the stored tree may claim data the state
 *      does not hold, which would hide a corruption from every checkpoint
 *      and from the state transfer that is meant to repair it.
 * The core then starts with recovering = true (replica_node.c) and fetches
 * whatever differs from the certified state of the others.
 *
 * Never runs for the null service or the unreplicated server (main.c
 * refuses --recover there).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bft/error.h"
#include "bfs/error.h"
#include "daemon.h"

/* dir/recovering exists from the start of a recovery until it ends, so a
 * replica stopped in between (its state still unverified, its log gone)
 * recovers again at its next start instead of resuming as if correct. */
static void marker_path(const struct bfsd *d, char *out, size_t cap)
{
	snprintf(out, cap, "%s/recovering", d->dir);
}

static void sync_dir(const struct bfsd *d)
{
	int fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Delete dir/protocol.log durably (the directory synced), logging its size. */
static int discard_log(struct bfsd *d)
{
	char path[sizeof(d->dir) + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/protocol.log", d->dir);
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			goto fail;
		bft_logf(d->log, BFT_LOG_INFO, "%s: recover: no protocol log to discard", d->name);
		return 0;
	}
	if (unlink(path) < 0)
		goto fail;
	sync_dir(d);
	bft_logf(d->log, BFT_LOG_INFO, "%s: recover: discarded the protocol log (%lld bytes): "
		 "its certificates are untrusted", d->name, (long long)st.st_size);
	return 0;
fail:
	bft_logf(d->log, BFT_LOG_ERROR, "%s: recover: cannot discard %s: %s", d->name, path,
		 strerror(errno));
	return -errno;
}

bool recover_pending(const struct bfsd *d)
{
	char path[sizeof(d->dir) + 16];

	marker_path(d, path, sizeof(path));
	return access(path, F_OK) == 0;
}

void recover_done(struct bfsd *d)
{
	char path[sizeof(d->dir) + 16];

	marker_path(d, path, sizeof(path));
	if (unlink(path) == 0)
		sync_dir(d);
}

int recover_reboot(struct bfsd *d)
{
	char path[sizeof(d->dir) + 16];
	struct bfs_fs_rebuild rb;
	uint64_t t0;
	char root[17];
	int err, fd;

	marker_path(d, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fsync(fd) < 0) {
		bft_logf(d->log, BFT_LOG_ERROR, "%s: recover: cannot create %s: %s", d->name, path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	sync_dir(d);
	if ((err = discard_log(d)))
		return err;
	t0 = bft_loop_mono_us();
	err = bfs_fs_rebuild_digests(d->fs, &rb);
	if (err) {
		const char *detail = bfs_fs_last_storage_error(d->fs);

		bft_logf(d->log, BFT_LOG_ERROR, "%s: recover: cannot rebuild the file system "
			 "digests: %s%s%s", d->name, bfs_strerror(err), *detail ? ": " : "",
			 detail);
		return BFT_E_SERVICE;
	}
	status_hex(rb.root, 8, root);
	bft_logf(d->log, BFT_LOG_INFO, "%s: recover: rebuilt the file system digests from the "
		 "data in %.1f ms: %llu records (%.1f MiB), %llu directory cookies, %llu junk "
		 "records; state digest %s..., last batch %llu", d->name,
		 (double)(bft_loop_mono_us() - t0) / 1000.0, (unsigned long long)rb.objects,
		 (double)rb.bytes / 1048576.0, (unsigned long long)rb.cookies,
		 (unsigned long long)rb.skipped, root, (unsigned long long)bfs_fs_last_seq(d->fs));
	return 0;
}
