/*
 * inode.c — bfs-mount's inode table: the FUSE inode numbers the kernel
 * holds (libfuse fuse_lowlevel.h: "lookup count", forget) and the NFSv3
 * file handles (RFC 1813 §2.5.1: opaque, at most NFS3_FHSIZE bytes) behind
 * them, keyed by NFS fileid (§2.5.2 fattr3.fileid: unique within the file
 * system).
 *
 * The FUSE inode number is the fileid, except that the root is always
 * FUSE_ROOT_ID and a non-root object whose fileid is FUSE_ROOT_ID takes the
 * root's fileid: a bijection, so no second table is needed. Handles are
 * copied; an entry lives while the kernel holds a reference (the root
 * always). Chained hash table, doubled when the load passes 1.
 */
#include <stdlib.h>
#include <string.h>

#include "fc.h"

#define INITIAL_BUCKETS 1024u

static uint32_t bucket(const struct fc_itab *t, uint64_t fileid)
{
	uint64_t h = fileid * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & (t->n_buckets - 1);
}

fuse_ino_t fc_ino_of(const struct fc_itab *t, uint64_t fileid)
{
	if (fileid == t->root_fileid)
		return FUSE_ROOT_ID;
	if (fileid == FUSE_ROOT_ID)
		return (fuse_ino_t)t->root_fileid;
	return (fuse_ino_t)fileid;
}

uint64_t fc_fileid_of(const struct fc_itab *t, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return t->root_fileid;
	if (ino == t->root_fileid)
		return FUSE_ROOT_ID;
	return ino;
}

struct fc_inode *fc_inode_get(const struct fc_itab *t, fuse_ino_t ino)
{
	uint64_t fileid = fc_fileid_of(t, ino);
	struct fc_inode *in;

	for (in = t->buckets[bucket(t, fileid)]; in; in = in->next)
		if (in->fileid == fileid)
			return in;
	return NULL;
}

static void grow(struct fc_itab *t)
{
	uint32_t n = t->n_buckets * 2, i;
	struct fc_inode **b = calloc(n, sizeof(*b)), *in, *next;
	struct fc_itab nt = *t;

	if (!b)
		return; /* longer chains, still correct */
	nt.buckets = b;
	nt.n_buckets = n;
	for (i = 0; i < t->n_buckets; i++)
		for (in = t->buckets[i]; in; in = next) {
			uint32_t k = bucket(&nt, in->fileid);

			next = in->next;
			in->next = b[k];
			b[k] = in;
		}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
}

static void set_fh(struct fc_inode *in, const uint8_t *fh, uint32_t len)
{
	memcpy(in->fh, fh, len);
	in->fh_len = len;
}

struct fc_inode *fc_inode_ref(struct fc_itab *t, uint64_t fileid, const nfs_fh3 *fh)
{
	uint32_t len = fh->data.data_len;
	struct fc_inode *in;
	uint32_t k;

	if (!len || len > NFS3_FHSIZE || fileid == 0)
		return NULL;
	in = fc_inode_get(t, fc_ino_of(t, fileid));
	if (in) {
		set_fh(in, (const uint8_t *)fh->data.data_val, len);
		in->nlookup++;
		return in;
	}
	if (!(in = calloc(1, sizeof(*in))))
		return NULL;
	in->fileid = fileid;
	in->nlookup = 1;
	set_fh(in, (const uint8_t *)fh->data.data_val, len);
	k = bucket(t, fileid);
	in->next = t->buckets[k];
	t->buckets[k] = in;
	if (++t->count > t->n_buckets)
		grow(t);
	return in;
}

void fc_inode_forget(struct fc_itab *t, fuse_ino_t ino, uint64_t n)
{
	uint64_t fileid = fc_fileid_of(t, ino);
	struct fc_inode **p = &t->buckets[bucket(t, fileid)], *in;

	for (; (in = *p); p = &in->next) {
		if (in->fileid != fileid)
			continue;
		if (in == t->root)
			return;
		in->nlookup = n < in->nlookup ? in->nlookup - n : 0;
		if (in->nlookup)
			return;
		*p = in->next;
		free(in->silly);
		free(in);
		t->count--;
		return;
	}
}

int fc_itab_init(struct fc_itab *t, const uint8_t *root_fh, uint32_t fh_len,
		 uint64_t root_fileid)
{
	nfs_fh3 fh = { { fh_len, (char *)root_fh } };

	memset(t, 0, sizeof(*t));
	t->n_buckets = INITIAL_BUCKETS;
	t->root_fileid = root_fileid;
	if (!(t->buckets = calloc(t->n_buckets, sizeof(*t->buckets))))
		return -1;
	if (!(t->root = fc_inode_ref(t, root_fileid, &fh))) {
		free(t->buckets);
		t->buckets = NULL;
		return -1;
	}
	return 0;
}

void fc_itab_free(struct fc_itab *t)
{
	struct fc_inode *in, *next;
	uint32_t i;

	for (i = 0; t->buckets && i < t->n_buckets; i++)
		for (in = t->buckets[i]; in; in = next) {
			next = in->next;
			free(in->silly);
			free(in);
		}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
