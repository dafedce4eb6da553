/*
 * keyfile.c — node key files (doc/config.md "Key files"): hex Ed25519 and
 * X25519 keys, private files mode 0600; and shared secret files (one hex
 * key, mode 0600, e.g. the file system's bucket key).
 *
 * Must never accept a private key file that group or others can access,
 * never leave secrets in memory it frees (bft_wipe), and never overwrite an
 * existing key file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bft/error.h"
#include "conf_reader.h"

struct key_parse {
	struct conf_diag *d;
	bool private_file;
	uint8_t sign[BFT_KEY_LEN], dh[BFT_KEY_LEN];
	bool have_sign, have_dh;
};

static void key_line(void *data, const struct conf_line *ln)
{
	struct key_parse *kp = data;
	const char *sign_key = kp->private_file ? "ed25519-secret" : "ed25519";
	const char *dh_key = kp->private_file ? "x25519-secret" : "x25519";
	uint8_t *dst;
	bool *have;

	if (ln->section) {
		conf_error(kp->d, ln->no, "key files have no sections");
		return;
	}
	if (!strcmp(ln->key, sign_key)) {
		dst = kp->sign;
		have = &kp->have_sign;
	} else if (!strcmp(ln->key, dh_key)) {
		dst = kp->dh;
		have = &kp->have_dh;
	} else {
		conf_error(kp->d, ln->no, "unknown key '%s' in a %s key file (expected %s and %s)",
			   ln->key, kp->private_file ? "private" : "public", sign_key, dh_key);
		return;
	}
	if (*have)
		conf_error(kp->d, ln->no, "%s given twice", ln->key);
	else if (conf_hex(ln->value, dst, BFT_KEY_LEN) != BFT_OK)
		conf_error(kp->d, ln->no, "%s must be %d hexadecimal digits", ln->key,
			   2 * BFT_KEY_LEN);
	else
		*have = true;
}

static int read_keys(struct conf_diag *d, struct key_parse *kp)
{
	int err = conf_read(d, key_line, kp);

	if (err)
		return err;
	if (!kp->have_sign || !kp->have_dh)
		conf_error(d, 0, "incomplete key file: needs both %s keys",
			   kp->private_file ? "ed25519-secret and x25519-secret"
					    : "ed25519 and x25519");
	return d->errors ? BFT_E_FIELD : BFT_OK;
}

int bft_keyfile_read_public(const char *path, bft_diag_fn diag, void *diag_data,
			    struct bft_pubkey *out)
{
	struct conf_diag d = { .path = path, .fn = diag, .data = diag_data };
	struct key_parse kp = { .d = &d };
	int err = read_keys(&d, &kp);

	if (err)
		return err;
	memcpy(out->sign_pub, kp.sign, BFT_KEY_LEN);
	memcpy(out->dh_pub, kp.dh, BFT_KEY_LEN);
	return BFT_OK;
}

static int check_private_mode(struct conf_diag *d)
{
	struct stat st;

	if (stat(d->path, &st) < 0) {
		int err = -errno;

		conf_error(d, 0, "cannot open private key: %s", strerror(errno));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error(d, 0, "private key is not a regular file");
		return BFT_E_AUTH;
	}
	if (st.st_mode & 077) {
		conf_error(d, 0, "private key is accessible by group or others (mode %04o); "
			   "refusing to use it: run chmod 600 %s", (unsigned)(st.st_mode & 07777),
			   d->path);
		return BFT_E_AUTH;
	}
	return BFT_OK;
}

int bft_keyfile_read_private(const char *path, bft_diag_fn diag, void *diag_data,
			     struct bft_keypair *out)
{
	struct conf_diag d = { .path = path, .fn = diag, .data = diag_data };
	struct key_parse kp = { .d = &d, .private_file = true };
	uint8_t seed[2 * BFT_KEY_LEN];
	int err = check_private_mode(&d);

	if (!err)
		err = read_keys(&d, &kp);
	if (!err) {
		memcpy(seed, kp.sign, BFT_KEY_LEN);
		memcpy(seed + BFT_KEY_LEN, kp.dh, BFT_KEY_LEN);
		err = bft_keypair_from_seed(out, seed);
		if (err)
			conf_error(&d, 0, "not a valid key pair: %s", bft_strerror(err));
		bft_wipe(seed, sizeof(seed));
	}
	bft_wipe(&kp, sizeof(kp));
	return err;
}

struct secret_parse {
	struct conf_diag *d;
	const char *name;
	uint8_t *out;
	size_t len;
	bool have;
};

static void secret_line(void *data, const struct conf_line *ln)
{
	struct secret_parse *sp = data;

	if (ln->section || strcmp(ln->key, sp->name))
		conf_error(sp->d, ln->no, "unexpected '%s' in a secret file (expected %s = "
			   "%zu hexadecimal digits)", ln->section ? "[section]" : ln->key,
			   sp->name, 2 * sp->len);
	else if (sp->have)
		conf_error(sp->d, ln->no, "%s given twice", ln->key);
	else if (conf_hex(ln->value, sp->out, sp->len) != BFT_OK)
		conf_error(sp->d, ln->no, "%s must be %zu hexadecimal digits", ln->key,
			   2 * sp->len);
	else
		sp->have = true;
}

int bft_secret_file_read(const char *path, const char *name, uint8_t *out, size_t len,
			 bft_diag_fn diag, void *diag_data)
{
	struct conf_diag d = { .path = path, .fn = diag, .data = diag_data };
	struct secret_parse sp = { .d = &d, .name = name, .out = out, .len = len };
	int err = check_private_mode(&d);

	if (!err)
		err = conf_read(&d, secret_line, &sp);
	if (!err && !sp.have)
		conf_error(&d, 0, "no %s in the secret file", name);
	if (!err && d.errors)
		err = BFT_E_FIELD;
	if (err)
		bft_wipe(out, len);
	return err;
}

static void hex(char *out, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int write_new(const char *path, mode_t mode, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int err = BFT_OK;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

int bft_secret_file_write(const char *path, const char *name, size_t len, const char *about)
{
	char h[2 * sizeof(((struct bft_keypair *)0)->sign_sec) + 1], text[512];
	struct bft_keypair kp; /* its Ed25519 seed: fresh bytes from RAND_priv_bytes */
	int err;

	if (len > sizeof(kp.sign_sec) || strlen(about) > 300)
		return BFT_E_INVAL;
	if ((err = bft_keypair_generate(&kp)))
		return err;
	hex(h, kp.sign_sec, len);
	bft_wipe(&kp, sizeof(kp));
	snprintf(text, sizeof(text),
		 "# BFS shared secret: %s. Keep it secret: mode 0600.\n%s = %s\n", about,
		 name, h);
	err = write_new(path, 0600, text);
	bft_wipe(text, sizeof(text));
	bft_wipe(h, sizeof(h));
	return err;
}

int bft_keyfile_write(const char *priv_path, const char *pub_path,
		      const struct bft_keypair *kp, const char *who)
{
	char a[2 * BFT_KEY_LEN + 1], b[2 * BFT_KEY_LEN + 1], text[512];
	int err;

	hex(a, kp->sign_sec, BFT_KEY_LEN);
	hex(b, kp->dh_sec, BFT_KEY_LEN);
	snprintf(text, sizeof(text),
		 "# BFS private key of %s. Keep it secret: mode 0600, never copy it\n"
		 "# to another node. Its public half is %s.\n"
		 "ed25519-secret = %s\nx25519-secret = %s\n", who, pub_path, a, b);
	err = write_new(priv_path, 0600, text);
	bft_wipe(text, sizeof(text));
	bft_wipe(a, sizeof(a));
	bft_wipe(b, sizeof(b));
	if (err)
		return err;
	hex(a, kp->sign_pub, BFT_KEY_LEN);
	hex(b, kp->dh_pub, BFT_KEY_LEN);
	snprintf(text, sizeof(text),
		 "# BFS public key of %s (Ed25519 signatures, X25519 session keys).\n"
		 "ed25519 = %s\nx25519 = %s\n", who, a, b);
	return write_new(pub_path, 0644, text);
}
