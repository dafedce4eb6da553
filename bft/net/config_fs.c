/*
 * config_fs.c — the [fs] section of the cluster configuration
 * (doc/config.md): the replicated settings of the file system service
 * (bfsd --service fs), which every replica must use identically because
 * they decide NFS results (ENOSPC, EFBIG, root squash, atime: DESIGN.md
 * "Determinism" — limits come from configured, replicated values, never
 * from the local disk).
 *
 * Parsing only: strict values, each range-checked, each problem reported
 * with its line. bucket_key_file names a secret only replicas hold, so it
 * is resolved here but read by bfsd. Defaults equal bfs_fs_config_default() (bfsd/fs_state.c),
 * so a file system formatted before this section existed reopens.
 */
#include <string.h>

#include "bft/error.h"
#include "config_internal.h"

enum fs_key {
	FK_FSID, FK_MAX_BYTES, FK_MAX_FILES, FK_MAX_FILE_SIZE, FK_ATIME, FK_ROOT_SQUASH,
	FK_ANON_UID, FK_ANON_GID, FK_BUCKET_KEY_FILE, FK_COUNT,
};

static const char *const fs_keys[FK_COUNT] = {
	"fsid", "max_bytes", "max_files", "max_file_size", "atime", "root_squash",
	"anon_uid", "anon_gid", "bucket_key_file",
};

void config_fs_defaults(struct bft_cfg_fs *fs)
{
	fs->fsid = 1;
	fs->max_bytes = 16ull << 30;
	fs->max_files = 1u << 20;
	fs->max_file_size = 1ull << 40;
	fs->atime_strict = false;
	fs->root_squash = false;
	fs->anon_uid = 65534;
	fs->anon_gid = 65534;
	fs->bucket_key_file[0] = '\0';
}

/* A byte count: decimal digits with an optional binary suffix K, M, G, T
 * (KiB ... TiB), in [min, max]. */
static int size_value(struct conf_diag *d, const struct conf_line *ln, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	const char *p = ln->value;
	uint64_t v = 0;
	unsigned shift = 0, digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 16; p++, digits++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (*p && p[1] == '\0') {
		const char *suf = strchr("KMGT", *p);

		if (suf) {
			shift = 10u * (unsigned)(suf - "KMGT" + 1);
			p++;
		}
	}
	if (!digits || *p || v > (max >> shift) || (v << shift) < min) {
		conf_error(d, ln->no, "%s must be a byte count from %llu to %llu (a number, "
			   "optionally followed by K, M, G or T), not '%s'", ln->key,
			   (unsigned long long)min, (unsigned long long)max, ln->value);
		return BFT_E_FIELD;
	}
	*out = v << shift;
	return BFT_OK;
}

static int choice(struct conf_diag *d, const struct conf_line *ln, const char *yes,
		  const char *no, bool *out)
{
	if (!strcmp(ln->value, yes) || !strcmp(ln->value, no)) {
		*out = !strcmp(ln->value, yes);
		return BFT_OK;
	}
	conf_error(d, ln->no, "%s must be %s or %s, not '%s'", ln->key, yes, no, ln->value);
	return BFT_E_FIELD;
}

void config_fs_line(struct parse *p, const struct conf_line *ln)
{
	struct bft_cfg_fs *fs = &p->c->fs;
	uint64_t v;
	int k;

	for (k = 0; k < FK_COUNT && strcmp(fs_keys[k], ln->key); k++)
		;
	if (k == FK_COUNT) {
		conf_error(p->d, ln->no, "unknown key '%s' in [fs] (expected fsid, max_bytes, "
			   "max_files, max_file_size, atime, root_squash, anon_uid, anon_gid or "
			   "bucket_key_file)",
			   ln->key);
		return;
	}
	if (p->seen & (1u << k)) {
		conf_error(p->d, ln->no, "%s given twice in [fs]", ln->key);
		return;
	}
	p->seen |= 1u << k;
	switch (k) {
	case FK_FSID:
		if (!conf_uint(p->d, ln, 1, UINT64_MAX / 2, &v))
			fs->fsid = v;
		break;
	case FK_MAX_BYTES:
		if (!size_value(p->d, ln, 8192, 1ull << 60, &v))
			fs->max_bytes = v;
		break;
	case FK_MAX_FILES:
		if (!conf_uint(p->d, ln, 1, 1ull << 40, &v))
			fs->max_files = v;
		break;
	case FK_MAX_FILE_SIZE:
		if (!size_value(p->d, ln, 8192, 1ull << 62, &v))
			fs->max_file_size = v;
		break;
	case FK_ATIME:
		choice(p->d, ln, "strict", "relaxed", &fs->atime_strict);
		break;
	case FK_ROOT_SQUASH:
		choice(p->d, ln, "yes", "no", &fs->root_squash);
		break;
	case FK_ANON_UID:
	case FK_ANON_GID:
		if (!conf_uint(p->d, ln, 0, UINT32_MAX, &v))
			*(k == FK_ANON_UID ? &fs->anon_uid : &fs->anon_gid) = (uint32_t)v;
		break;
	case FK_BUCKET_KEY_FILE: /* read by bfsd --service fs only: clients lack it */
		config_path(p->c, ln->value, fs->bucket_key_file);
		break;
	}
}
