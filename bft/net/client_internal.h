/*
 * client_internal.h — the client library's lanes (one logical client id
 * each) shared by client.c (submission, queueing, demultiplexing) and
 * client_unrep.c (the unreplicated lane). Private to bft/net.
 */
#ifndef BFT_NET_CLIENT_INTERNAL_H
#define BFT_NET_CLIENT_INTERNAL_H

#include "bft/client.h"
#include "bft/client_core.h"
#include "bft/messages.h"
#include "bft/net.h"

struct client_req {
	bft_client_cb cb;          /* NULL: abandoned (late result ignored) */
	void *arg;
	bool read_only;
	uint32_t len;
	uint8_t *op;               /* copy, only while queued */
	struct client_req *next;   /* queue link */
};

/* The unreplicated lane's protocol state (client_unrep.c). */
struct unrep_lane {
	uint64_t ts;
	uint64_t timeout_ms, retrans_ms, retrans_max_ms;
	bool busy;
	uint8_t *out;              /* the encoded REQUEST, BFT_MAX_MSG */
	size_t out_len;
	struct bft_msg in;
};

struct lane {
	struct bft_client *c;
	uint32_t id;
	struct bft_netio nio;
	struct bft_keyring *kr;
	struct bft_client_core *core; /* replicated mode */
	struct unrep_lane *u;         /* unreplicated mode */
	struct client_req *cur;       /* in flight, or NULL */
};

/* Called by a lane when its request finished (either mode). */
void lane_done(void *data, int status, const uint8_t *result, uint32_t len);

int unrep_lane_new(struct lane *ln, uint64_t first_ts, uint64_t retrans_ms,
		   uint64_t retrans_max_ms);
void unrep_lane_free(struct lane *ln);
int unrep_lane_submit(struct lane *ln, const uint8_t *op, uint32_t len, bool read_only);
void unrep_lane_recv(struct lane *ln, const uint8_t *buf, size_t len);
void unrep_lane_timer(struct lane *ln);

#endif
