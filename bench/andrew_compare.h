/*
 * andrew_compare.h — `bfs-bench andrew --compare`: the modified Andrew
 * benchmark on each configuration of the paper's comparison (OSDI '99
 * §6.3) in one invocation, so their ratios share the machine's state:
 *   local         a local directory (no network, no FUSE)
 *   NFS-std       nfs-ganesha (FSAL VFS) exporting a local directory over
 *                 NFSv3 on loopback, mounted by `bfs-mount nfs://`
 *   BFS           4 `bfsd --service fs` replicas, mounted by `bfs-mount bft:`
 *   BFS-nfsproxy  the same replicas through nfsproxy, `bfs-mount nfs://`
 * NFS-std and BFS-nfsproxy use the same NFSv3 client, so their ratio is the
 * servers'. A configuration whose programs are missing or do not start is
 * reported as not run, with the reason; the others still run.
 */
#ifndef BFS_ANDREW_COMPARE_H
#define BFS_ANDREW_COMPARE_H

#include <stdbool.h>

#include "andrew_report.h"

#define ANDREW_COMPARE_CONFIGS 4

/* The configurations in run order, named and keyed (local, nfs-std, bfs,
 * bfs-nfsproxy), nothing run yet. */
void andrew_compare_init(struct andrew_config c[ANDREW_COMPARE_CONFIGS]);

/* Bring up configurations c[0..n) (a subset of andrew_compare_init's, in
 * its order), then run s->runs rounds, each running every configuration
 * once on tree s->t generated in src; c[i].r gets the medians. work is a
 * local temporary directory for mount points and logs. Everything started
 * is stopped before it returns, and at exit if interrupted (logs are kept
 * when keep). */
void andrew_compare_run(const struct andrew_setup *s, const char *src, const char *work,
			bool keep, struct andrew_config *c, unsigned n);

/* Whether every mount was taken down (otherwise work must not be removed). */
bool andrew_compare_clean(void);

#endif
