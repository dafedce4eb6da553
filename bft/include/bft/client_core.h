/*
 * bft/client_core.h — the pure PBFT client state machine.
 *
 * Castro & Liskov, OSDI '99 §4.1 (the client), §5.1 (digest replies,
 * tentative execution, read-only requests) and the treatment of large
 * requests. One client core has at most one outstanding request (the paper's
 * client model); processes that need many in flight open one core per
 * logical client id (bft/client.h's runtime does this).
 *
 * Accepting a result:
 *   read-write: f+1 matching non-tentative replies, or 2f+1 matching replies
 *               of which some may be tentative;
 *   read-only:  2f+1 matching replies; on timeout or when 2f+1 can no longer
 *               match, the request is re-issued as read-write.
 * Matching means equal result digests; the full result comes from the
 * designated replier (or anyone, after a retransmission asks all to send it).
 *
 * Acts only through struct bft_io (send, set_timer BFT_TIMER_CLIENT, log).
 * Not thread-safe; borrows the keyring and io.
 */
#ifndef BFT_CLIENT_CORE_H
#define BFT_CLIENT_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "bft/crypto.h"
#include "bft/io.h"

struct bft_client_core;

struct bft_client_config {
	uint32_t n, f;
	uint32_t id;                 /* node id, ≥ n */
	uint32_t big_request;        /* ops above this go to every replica */
	uint64_t retrans_ms;         /* first retransmission timeout */
	uint64_t retrans_max_ms;     /* backoff cap */
	uint64_t first_timestamp;    /* timestamps continue above this (must grow
					across restarts: the runtime seeds it
					from its clock) */
	enum bft_log_level log_level;
	uint32_t test_bugs;          /* BFT_CLIENT_BUG_* in test-hook builds */
};

#define BFT_CLIENT_BUG_ONE_REPLY 0x1u /* accepts the first reply it gets */

/* Completion: status is BFT_OK and result/len the agreed result (valid only
 * during the call), or a negative BFT_E_* code. */
typedef void (*bft_client_done_fn)(void *data, int status, const uint8_t *result,
				   uint32_t len);

void bft_client_config_default(struct bft_client_config *cfg, uint32_t f,
			       uint32_t id);
int bft_client_core_new(const struct bft_client_config *cfg, struct bft_keyring *kr,
			const struct bft_io *io, bft_client_done_fn done, void *done_data,
			struct bft_client_core **out);
void bft_client_core_free(struct bft_client_core *c);

/* Start a request. BFT_E_BUSY if one is outstanding, BFT_E_LONG if the op
 * exceeds BFT_MAX_OP. */
int bft_client_core_submit(struct bft_client_core *c, const uint8_t *op,
			   uint32_t len, bool read_only);
void bft_client_core_recv(struct bft_client_core *c, const uint8_t *buf, size_t len);
void bft_client_core_on_timer(struct bft_client_core *c, enum bft_timer which);

bool bft_client_core_busy(const struct bft_client_core *c);
uint64_t bft_client_core_view(const struct bft_client_core *c);
/* Adopt a view another core of the same process learned (from f+1
 * replies); the believed view only ever grows. */
void bft_client_core_set_view(struct bft_client_core *c, uint64_t view);
/* Timestamp of the outstanding (or last) request. */
uint64_t bft_client_core_timestamp(const struct bft_client_core *c);
/* Whether the outstanding (or last) request went read-only; false once a
 * read-only request has fallen back to read-write. */
bool bft_client_core_last_read_only(const struct bft_client_core *c);

#endif
