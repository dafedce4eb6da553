/*
 * plog.h — a replica's durable protocol log: the records the PBFT core
 * persists through io->persist (bft/core/persist.c), in one append-only
 * file next to the service's state. Private to bfsd.
 */
#ifndef BFSD_PLOG_H
#define BFSD_PLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bft/log.h"

struct plog;

/* Called for each live record, in file order. Nonzero stops the replay. */
typedef int (*plog_record_fn)(void *arg, uint8_t kind, uint64_t seq, const uint8_t *buf,
			      size_t len);

/* Open (creating it if missing) the log at path. sync: fdatasync every
 * record before plog_append returns (durability = sync); else records
 * reach the disk at the next compaction (a STABLE record, i.e. at
 * checkpoints). A torn or damaged tail (a crash during a write) is cut
 * off with a warning. Errors: negative errno. */
int plog_open(const char *path, bool sync, struct bft_log *log, struct plog **out);
void plog_close(struct plog *p);

/* Hand every live record to fn. */
int plog_replay(struct plog *p, plog_record_fn fn, void *arg);

/* io->persist: append one record; a BFT_REC_STABLE record compacts the
 * file to what is still live (the newest STABLE and VIEW records and the
 * PREPARED records above the stable checkpoint). */
int plog_append(struct plog *p, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len);

/* Records and bytes in the file (for the log line at start). */
void plog_stats(const struct plog *p, uint32_t *records, uint64_t *bytes);

#endif
