/*
 * status.c — `bfsctl status --dir DIR`: one line per replica of DIR's
 * cluster, up or down from its pid file (DIR/run/bfsd-<I>.pid) and the
 * fields of its status file (data_dir/replica<I>/status, bfsd's
 * status_file.c) with the file's age; then whether the stable checkpoints
 * agree. Exit status 1 if a replica is down, its status file is stale or
 * from another process, or two replicas report different digests for the
 * same stable checkpoint.
 *
 * The status file is untrusted input: at most 4 KiB are read, every field
 * is validated, unknown keys are ignored; a malformed file reads as
 * "no status", never as a crash.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "status.h"

#define STATUS_MAX 4096

static bool parse_u64(const char *v, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !*end && errno == 0;
}

static bool hex64(const char *v)
{
	return strlen(v) == 64 && strspn(v, "0123456789abcdef") == 64;
}

/* One "key value" line; false if a known key has a bad value. *seen gets
 * a bit per required key. */
static bool parse_line(const char *key, const char *v, struct replica_status *st,
		       unsigned *seen)
{
	static const char *const keys[] = { "pid", "replica", "view", "last_executed",
					    "stable", "stable_digest", "recovering",
					    "key_epoch", "time", "recovered_after_ms" };
	uint64_t n = 0;
	unsigned k;
	char *end;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[k]); k++)
		;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return true; /* a newer bfsd's field */
	*seen |= 1u << k;
	switch (k) {
	case 5:
		if (!hex64(v))
			return false;
		memcpy(st->stable_digest, v, 65);
		return true;
	case 6:
		st->recovering = !strcmp(v, "yes");
		return st->recovering || !strcmp(v, "no");
	case 8:
		st->time = strtod(v, &end);
		return *v >= '0' && *v <= '9' && !*end;
	}
	if (!parse_u64(v, &n))
		return false;
	switch (k) {
	case 0: st->pid = n <= INT_MAX ? (long)n : 0; return n > 1 && n <= INT_MAX;
	case 1: st->replica = (uint32_t)n; return n < BFT_MAX_REPLICAS;
	case 2: st->view = n; break;
	case 3: st->last_executed = n; break;
	case 4: st->stable = n; break;
	case 7: st->key_epoch = n; break;
	default: st->recovered_after_ms = n; break;
	}
	return true;
}

bool status_read(const struct bft_config *c, uint32_t id, struct replica_status *st,
		 char *why, size_t why_len)
{
	char path[BFT_CONFIG_PATH_MAX + 32], buf[STATUS_MAX + 1], *line, *save;
	unsigned seen = 0;
	struct timespec now;
	size_t n;
	FILE *f;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/replica%u/status", c->data_dir, id);
	if (!(f = fopen(path, "r"))) {
		snprintf(why, why_len, "no status file %s (%s)", path, strerror(errno));
		return false;
	}
	n = fread(buf, 1, STATUS_MAX, f);
	fclose(f);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[32], v[80];

		if (sscanf(line, "%31s %79s", key, v) != 2 || !parse_line(key, v, st, &seen)) {
			snprintf(why, why_len, "%s: malformed line \"%.60s\"", path, line);
			return false;
		}
	}
	if ((seen & 0x1ff) != 0x1ff || st->replica != id) {
		snprintf(why, why_len, "%s: incomplete or not replica %u's", path, id);
		return false;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	st->age = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - st->time;
	return true;
}

bool status_live(const char *dir, const struct bft_config *c, uint32_t id,
		 struct replica_status *st, char *why, size_t why_len)
{
	pid_t pid = cluster_replica_pid(dir, id);

	if (!pid) {
		snprintf(why, why_len, "down (no live bfsd in %s/run/bfsd-%u.pid)", dir, id);
		return false;
	}
	if (!status_read(c, id, st, why, why_len))
		return false;
	if (st->pid != (long)pid) {
		snprintf(why, why_len, "pid %ld has not written its status file yet (it names "
			 "pid %ld)", (long)pid, st->pid);
		return false;
	}
	if (st->age > STATUS_STALE_S) {
		snprintf(why, why_len, "up, but its status file is %.1f s old (stale: is bfsd "
			 "hung?)", st->age);
		return false;
	}
	return true;
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "%s\n", msg);
}

/* Replicas at the same stable checkpoint must report the same digest. */
static bool agree(const struct replica_status *st, const bool *ok, uint32_t n)
{
	bool same = true;

	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n; j++)
			if (ok[i] && ok[j] && st[i].stable == st[j].stable && st[i].stable &&
			    strcmp(st[i].stable_digest, st[j].stable_digest)) {
				printf("replicas %u and %u DISAGREE on stable checkpoint %llu\n", i,
				       j, (unsigned long long)st[i].stable);
				same = false;
			}
	return same;
}

int cluster_status(const char *dir)
{
	struct replica_status st[BFT_MAX_REPLICAS];
	bool ok[BFT_MAX_REPLICAS];
	char config[PATH_MAX], why[PATH_MAX + 128];
	struct bft_config *c;
	uint32_t i, up = 0;

	snprintf(config, sizeof(config), "%s/bfs.conf", dir);
	if (bft_config_load(config, diag, NULL, &c) != 0)
		return 1;
	for (i = 0; i < c->n; i++) {
		ok[i] = status_live(dir, c, i, &st[i], why, sizeof(why));
		if (!ok[i]) {
			printf("replica %u: %s\n", i, why);
			continue;
		}
		up++;
		printf("replica %u: up pid %ld, view %llu, last executed %llu, stable %llu %.16s, "
		       "recovering %s, key epoch %llu (status %.1f s old)\n", i, st[i].pid,
		       (unsigned long long)st[i].view, (unsigned long long)st[i].last_executed,
		       (unsigned long long)st[i].stable, st[i].stable_digest,
		       st[i].recovering ? "yes" : "no", (unsigned long long)st[i].key_epoch,
		       st[i].age);
	}
	bool same = agree(st, ok, c->n);
	printf("%u of %u replicas up with a fresh status\n", up, c->n);
	i = c->n;
	bft_config_free(c);
	return up == i && same ? 0 : 1;
}
