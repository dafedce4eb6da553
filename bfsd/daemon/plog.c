/*
 * plog.c — a replica's durable protocol log (see plog.h; the records are
 * the core's, bft/core/persist.c, after TOCS '02 §4.6 / §6.2).
 *
 * One file, "protocol.log", of records
 *   magic "BPL1" | kind u8 | 3 zero bytes | seq u64le | len u32le |
 *   len bytes | the first 8 bytes of SHA-256 over everything before
 * appended with one write each. A crash can leave a torn last record: it
 * fails its check on open and the file is cut there (the core had not yet
 * sent what depended on it). A STABLE record makes everything at or below
 * its checkpoint obsolete: the live records are copied to a new file,
 * synced and renamed over the old one, so the file stays within one log
 * window and the compaction is also async mode's sync point.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bft/crypto.h"
#include "bft/io.h"
#include "bft/le.h"
#include "plog.h"

#define MAGIC "BPL1"
#define HDR 20u
#define CHECK 8u
#define MAX_REC (16u << 20)

struct plog_entry {
	uint8_t kind;
	uint64_t seq;
	uint64_t off;    /* of the header */
	uint32_t len;    /* payload bytes */
};

struct plog {
	int fd;
	bool sync;
	struct bft_log *log;
	char path[PATH_MAX];
	struct plog_entry *idx;
	uint32_t n, cap;
	uint64_t size;
	uint8_t *buf;    /* one record, reused */
	size_t buf_cap;
};

static int room(struct plog *p, size_t need)
{
	uint8_t *b;

	if (need <= p->buf_cap)
		return 0;
	b = realloc(p->buf, need);
	if (!b)
		return -ENOMEM;
	p->buf = b;
	p->buf_cap = need;
	return 0;
}

static int index_add(struct plog *p, uint8_t kind, uint64_t seq, uint64_t off, uint32_t len)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? 2 * p->cap : 256;
		struct plog_entry *x = realloc(p->idx, cap * sizeof(*x));

		if (!x)
			return -ENOMEM;
		p->idx = x;
		p->cap = cap;
	}
	p->idx[p->n++] = (struct plog_entry){ .kind = kind, .seq = seq, .off = off, .len = len };
	return 0;
}

static int write_all(int fd, const uint8_t *b, size_t len, uint64_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, b, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *b, size_t len, uint64_t off)
{
	while (len) {
		ssize_t r = pread(fd, b, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		b += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* Read and check the record at off into p->buf; 0, or -EBADMSG if it is
 * torn or damaged. */
static int read_rec(struct plog *p, uint64_t off, uint8_t *kind, uint64_t *seq, uint32_t *len)
{
	uint8_t d[BFT_DIGEST_LEN];
	int err = 0;

	if (p->size - off < HDR + CHECK || (err = room(p, HDR)) ||
	    (err = read_all(p->fd, p->buf, HDR, off)))
		return err ? err : -EBADMSG;
	*len = bft_get_le32(p->buf + 16);
	if (memcmp(p->buf, MAGIC, 4) || *len > MAX_REC || p->size - off - HDR - CHECK < *len)
		return -EBADMSG;
	if ((err = room(p, HDR + *len + CHECK)) ||
	    (err = read_all(p->fd, p->buf, HDR + *len + CHECK, off)))
		return err;
	bft_sha256(p->buf, HDR + *len, d);
	if (memcmp(d, p->buf + HDR + *len, CHECK))
		return -EBADMSG;
	*kind = p->buf[4];
	*seq = bft_get_le64(p->buf + 8);
	return 0;
}

static int load(struct plog *p)
{
	uint64_t off = 0, seq;
	uint32_t len;
	uint8_t kind;
	int err;

	while (off < p->size) {
		err = read_rec(p, off, &kind, &seq, &len);
		if (err == -EBADMSG) {
			bft_logf(p->log, BFT_LOG_WARN, "%s: damaged record at byte %llu (a crash "
				 "while writing it): dropping the %llu bytes from there", p->path,
				 (unsigned long long)off, (unsigned long long)(p->size - off));
			if (ftruncate(p->fd, (off_t)off) != 0)
				return -errno;
			p->size = off;
			break;
		}
		if (err || (err = index_add(p, kind, seq, off, len)))
			return err;
		off += HDR + len + CHECK;
	}
	return 0;
}

int plog_open(const char *path, bool sync, struct bft_log *log, struct plog **out)
{
	struct plog *p = calloc(1, sizeof(*p));
	off_t end;
	int err;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->sync = sync;
	p->log = log;
	if (snprintf(p->path, sizeof(p->path), "%s", path) >= (int)sizeof(p->path)) {
		free(p);
		return -ENAMETOOLONG;
	}
	p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->fd < 0 || (end = lseek(p->fd, 0, SEEK_END)) < 0) {
		err = -errno;
		plog_close(p);
		return err;
	}
	p->size = (uint64_t)end;
	if ((err = load(p))) {
		plog_close(p);
		return err;
	}
	*out = p;
	return 0;
}

void plog_close(struct plog *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->idx);
	free(p->buf);
	free(p);
}

int plog_replay(struct plog *p, plog_record_fn fn, void *arg)
{
	uint64_t seq;
	uint32_t len, i;
	uint8_t kind;
	int err;

	for (i = 0; i < p->n; i++) {
		if ((err = read_rec(p, p->idx[i].off, &kind, &seq, &len)))
			return err == -EBADMSG ? -EIO : err;
		if ((err = fn(arg, kind, seq, p->buf + HDR, len)))
			return err;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		err = -errno;
	close(fd);
	return err;
}

/* Copy the live records to path.tmp, sync it, rename it over path. */
static int compact(struct plog *p, uint64_t stable)
{
	char tmp[PATH_MAX + 8];
	struct plog_entry *keep;
	uint32_t i, k = 0, last_view = UINT32_MAX, last_stable = UINT32_MAX;
	uint64_t off = 0;
	int fd, err = 0;

	for (i = 0; i < p->n; i++) {
		if (p->idx[i].kind == BFT_REC_VIEW)
			last_view = i;
		if (p->idx[i].kind == BFT_REC_STABLE && p->idx[i].seq == stable)
			last_stable = i;
	}
	keep = calloc(p->n ? p->n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(keep);
		return -errno;
	}
	for (i = 0; i < p->n && !err; i++) {
		const struct plog_entry *e = &p->idx[i];
		size_t n = HDR + e->len + CHECK;

		if (!(i == last_view || i == last_stable ||
		      (e->kind == BFT_REC_PREPARED && e->seq > stable)))
			continue;
		if (!(err = room(p, n)) && !(err = read_all(p->fd, p->buf, n, e->off)) &&
		    !(err = write_all(fd, p->buf, n, off))) {
			keep[k] = *e;
			keep[k++].off = off;
			off += n;
		}
	}
	if (!err && fsync(fd) != 0)
		err = -errno;
	if (!err && rename(tmp, p->path) != 0)
		err = -errno;
	if (err) {
		close(fd);
		unlink(tmp);
		free(keep);
		return err;
	}
	close(p->fd);
	p->fd = fd;
	free(p->idx);
	p->idx = keep;
	p->n = k;
	p->cap = p->n ? p->n : 1;
	p->size = off;
	return sync_dir(p->path);
}

int plog_append(struct plog *p, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len)
{
	uint8_t d[BFT_DIGEST_LEN];
	size_t n = HDR + len + CHECK;
	int err;

	if (len > MAX_REC)
		return -EMSGSIZE;
	if ((err = room(p, n)))
		return err;
	memcpy(p->buf, MAGIC, 4);
	p->buf[4] = kind;
	memset(p->buf + 5, 0, 3);
	bft_put_le64(p->buf + 8, seq);
	bft_put_le32(p->buf + 16, (uint32_t)len);
	if (len)
		memcpy(p->buf + HDR, buf, len);
	bft_sha256(p->buf, HDR + len, d);
	memcpy(p->buf + HDR + len, d, CHECK);
	if ((err = write_all(p->fd, p->buf, n, p->size)))
		return err;
	if (p->sync && fdatasync(p->fd) != 0)
		return -errno;
	if ((err = index_add(p, kind, seq, p->size, (uint32_t)len)))
		return err;
	p->size += n;
	return kind == BFT_REC_STABLE ? compact(p, seq) : 0;
}

void plog_stats(const struct plog *p, uint32_t *records, uint64_t *bytes)
{
	*records = p->n;
	*bytes = p->size;
}
