/*
 * replay.c — runs LLVMFuzzerTestOneInput over every file of a corpus
 * directory (argv[1]) so that builds without libFuzzer (gcc) still replay the
 * seeds and every input the fuzzer ever found (meson test --suite fuzz).
 *
 * For the decode corpus it also checks the verdicts gen_corpus.py encodes in
 * file names: "ok4-*" must decode with n = 4, "ok7-*" with n = 7, "bad-*" must
 * be rejected for both. Other names (fuzzer findings) only have to run
 * without a crash. Each input is copied into a buffer of exactly its size, so
 * a sanitizer build catches any read past the end.
 *
 * Never: pass on an empty or unreadable corpus.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bft/messages.h"
#include "fuzz.h"

static struct bft_msg msg;

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	*size = (size_t)len;
	*data = malloc(*size ? *size : 1);
	if (!*data || fread(*data, 1, *size, f) != *size) {
		free(*data);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int verdict(const char *name, const uint8_t *data, size_t size)
{
	int e4 = bft_msg_decode(data, size, 4, &msg);
	int e7 = bft_msg_decode(data, size, 7, &msg);

	if (strncmp(name, "ok4-", 4) == 0 && e4 != BFT_OK) {
		fprintf(stderr, "%s: expected to decode with n=4: %s\n", name, bft_strerror(e4));
		return -1;
	}
	if (strncmp(name, "ok7-", 4) == 0 && e7 != BFT_OK) {
		fprintf(stderr, "%s: expected to decode with n=7: %s\n", name, bft_strerror(e7));
		return -1;
	}
	if (strncmp(name, "bad-", 4) == 0 && (e4 == BFT_OK || e7 == BFT_OK)) {
		fprintf(stderr, "%s: expected to be rejected (n=4: %d, n=7: %d)\n", name, e4, e7);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	unsigned files = 0, failures = 0;
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		uint8_t *data;
		size_t size;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name) >= sizeof(path) ||
		    read_file(path, &data, &size) != 0) {
			fprintf(stderr, "%s: cannot read\n", path);
			failures++;
			continue;
		}
		LLVMFuzzerTestOneInput(data, size);
		if (verdict(de->d_name, data, size) != 0)
			failures++;
		free(data);
		files++;
	}
	closedir(d);
	printf("replayed %u inputs from %s, %u failed\n", files, argv[1], failures);
	if (files == 0) {
		fprintf(stderr, "empty corpus\n");
		return 1;
	}
	return failures ? 1 : 0;
}
