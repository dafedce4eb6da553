/*
 * bench_mount.c — bfs-mount as a benchmark's child (bench_mount.h):
 * started in the foreground, waited for through /proc/self/mountinfo,
 * unmounted with fusermount3 -u or umount(2), reaped with a bound.
 *
 * Never stats the mount point to learn whether it is mounted: a FUSE
 * daemon that hangs would hang the benchmark with it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>

#include "bench_mount.h"
#include "procs.h"

#define MOUNT_WAIT_MS 30000
#define STEP_MS 50
#define UNMOUNT_WAIT_MS 10000
#define EXIT_WAIT_MS 5000

bool bench_is_mounted(const char *path)
{
	char line[4096], point[4096];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	/* id parent major:minor root MOUNTPOINT ...; our paths need no unescaping */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 && !strcmp(point, path);
	fclose(f);
	return found;
}

static void nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = STEP_MS * 1000000L }, NULL);
}

bool bench_mount_start(struct bench_mount *m, const char *bfs_mount, const char *source,
		       const char *mnt, const char *log, char *why, size_t len)
{
	int waited, st;

	memset(m, 0, sizeof(*m));
	snprintf(m->mnt, sizeof(m->mnt), "%s", mnt);
	if (bench_is_mounted(mnt)) {
		snprintf(why, len, "%s is already a mount point", mnt);
		return false;
	}
	m->pid = procs_spawn((const char *const[]){ bfs_mount, "-f", source, mnt, NULL }, log);
	if (m->pid <= 0) {
		m->pid = 0;
		snprintf(why, len, "cannot start %s", bfs_mount);
		return false;
	}
	for (waited = 0; waited < MOUNT_WAIT_MS; waited += STEP_MS) {
		if (bench_is_mounted(mnt)) {
			m->mounted = true;
			return true;
		}
		if ((st = procs_wait(m->pid, 0)) >= 0) {
			m->pid = 0;
			snprintf(why, len, "bfs-mount %s exited with status %d before mounting "
				 "(log: %s)", source, st, log);
			return false;
		}
		nap();
	}
	procs_stop(m->pid, EXIT_WAIT_MS);
	m->pid = 0;
	snprintf(why, len, "bfs-mount %s did not mount within %d s (log: %s)", source,
		 MOUNT_WAIT_MS / 1000, log);
	return false;
}

static bool unmount(const char *mnt)
{
	const char *const argv[] = { "fusermount3", "-u", mnt, NULL };

	if (procs_in_path(argv[0]) &&
	    procs_wait(procs_spawn(argv, NULL), UNMOUNT_WAIT_MS) == 0 && !bench_is_mounted(mnt))
		return true;
	if (umount2(mnt, 0) == 0 || !bench_is_mounted(mnt))
		return true;
	fprintf(stderr, "cannot unmount %s (%s); detaching it\n", mnt, strerror(errno));
	return umount2(mnt, MNT_DETACH) == 0;
}

bool bench_mount_stop(struct bench_mount *m)
{
	bool ok = true;

	if (m->mounted)
		ok = unmount(m->mnt);
	m->mounted = !ok;
	if (m->pid > 0 && procs_wait(m->pid, EXIT_WAIT_MS) < 0)
		procs_stop(m->pid, EXIT_WAIT_MS);
	m->pid = 0;
	return ok;
}
