/*
 * bft/client.h — the BFT client library: submit operations to a BFS cluster
 * (Castro & Liskov, OSDI '99 §4.1, §5.1) over the real network.
 *
 * Many outstanding requests per process. A client process is one principal
 * of the configuration: a [clients A-B] section (one key pair, one UDP
 * address) that owns the logical client ids A..B. The library runs one pure
 * client core (bft/client_core.h, one outstanding request each) per logical
 * id — a "lane" — and hands each submission to an idle lane, queueing it
 * (FIFO, bounded) when all lanes are busy. Each lane's timestamps therefore
 * grow strictly, as the replicas' reply cache requires; they start at the
 * wall clock in microseconds when the client opens (first_timestamp), so
 * they keep growing across restarts of the process as long as a lane issues
 * fewer than one request per microsecond on average. Two processes must
 * never use the same [clients] section at once (they would share ids).
 *
 * Unreplicated mode (opts.unreplicated): the same operations, transport and
 * authentication (REQUEST with a one-entry authenticator, REPLY with a MAC)
 * to the single server `bfsd --unreplicated` listening at the [cluster]
 * `unreplicated` address with replica 0's key; the first authentic reply is
 * accepted (the NO-REP baseline of the paper's benchmarks).
 *
 * Threads: a struct bft_client is not thread-safe. It runs on one event
 * loop: either the caller's (opts.loop; then submit, close and every
 * callback happen on that loop's thread — other threads hand work over with
 * bft_loop_post) or its own private loop, which bft_client_call() and
 * bft_client_poll() drive on the calling thread.
 *
 * Errors follow bft/net.h: 0, a negative BFT_E_* or a negative errno
 * (-ETIMEDOUT from bft_client_call, -ECANCELED for requests dropped by
 * bft_client_close); bft_net_strerror() names them.
 */
#ifndef BFT_CLIENT_H
#define BFT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "bft/config.h"
#include "bft/log.h"
#include "bft/loop.h"

struct bft_client;

struct bft_client_opts {
	const char *config;        /* cluster configuration file */
	uint32_t client_id;        /* any id of the [clients] section to use */
	const char *key;           /* private key file; NULL: the config's */
	struct bft_loop *loop;     /* NULL: a private loop (see above) */
	struct bft_log *log;       /* NULL: stderr, warnings and errors */
	bool unreplicated;         /* talk to bfsd --unreplicated */
	uint32_t max_lanes;        /* use at most this many ids (0: all) */
	uint32_t max_queued;       /* waiting submissions (0: 4096) */
};

/* Completion: status 0 with the agreed result (valid during the call only),
 * or a negative error with result NULL. */
typedef void (*bft_client_cb)(void *arg, int status, const uint8_t *result,
			      uint32_t len);

/* Open the client: load the configuration and own key (problems reported
 * through diag, may be NULL), bind the group's address. *out is the
 * caller's, released with bft_client_close(). */
int bft_client_open(const struct bft_client_opts *opts, bft_diag_fn diag,
		    void *diag_data, struct bft_client **out);

/* Fail every pending request with -ECANCELED (callbacks run inside close),
 * release everything. NULL is a no-op. Not from inside a callback. */
void bft_client_close(struct bft_client *c);

/* Submit op (copied; at most BFT_MAX_OP bytes). cb(arg, ...) runs on the
 * loop's thread when a result is accepted; it may submit again. Returns
 * BFT_E_LONG for an oversized op, BFT_E_BUSY when the queue is full. */
int bft_client_submit(struct bft_client *c, const uint8_t *op, uint32_t len,
		      bool read_only, bft_client_cb cb, void *arg);

/* Blocking convenience (private loop only, never from a callback): submit
 * and drive the loop until the result arrives or timeout_ms passes
 * (-ETIMEDOUT; the request is abandoned and its late result ignored).
 * The result is copied into result[cap] (BFT_E_SPACE if it does not fit). */
int bft_client_call(struct bft_client *c, const uint8_t *op, uint32_t len,
		    bool read_only, uint8_t *result, uint32_t cap, uint32_t *result_len,
		    uint64_t timeout_ms);

/* Private loop only: dispatch events for at most timeout_ms (-1: until the
 * next event). */
int bft_client_poll(struct bft_client *c, int timeout_ms);

/* Lanes (logical client ids in use), requests in flight + queued. */
uint32_t bft_client_lanes(const struct bft_client *c);
uint32_t bft_client_pending(const struct bft_client *c);
/* The highest view f+1 replicas' replies have shown any lane (0 in
 * unreplicated mode): the primary is replica view mod n. */
uint64_t bft_client_view(const struct bft_client *c);

#endif
