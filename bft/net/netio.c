/*
 * netio.c — a struct bft_io (bft/io.h) for a core on a real node: send over
 * the node's UDP socket, one-shot loop timers per enum bft_timer, the wall
 * clock (CLOCK_REALTIME, used by the cores only for the agreed batch time),
 * and the process's logger.
 *
 * Must never call back into the core from inside a core call: timers fire
 * from the loop, never from set_timer.
 */
#include <string.h>

#include <openssl/rand.h>

#include "bft/net.h"

static void io_send(void *data, uint32_t to, const uint8_t *buf, size_t len)
{
	struct bft_netio *nio = data;

	bft_net_send(nio->net, to, buf, len);
}

static void timer_fired(void *data)
{
	struct bft_netio_timer *t = data;
	struct bft_net *net = t->owner->net;

	/* A timer often multicasts (STATUS, retransmissions): one sendmmsg. */
	bft_net_cork(net);
	t->owner->on_timer(t->owner->data, t->which);
	bft_net_uncork(net);
}

static void io_set_timer(void *data, enum bft_timer which, uint64_t ms)
{
	struct bft_netio *nio = data;
	struct bft_loop *loop = bft_net_loop(nio->net);

	if ((unsigned)which >= BFT_TIMER_COUNT)
		return;
	if (ms == 0) {
		bft_loop_timer_cancel(loop, &nio->timers[which].t);
		return;
	}
	if (bft_loop_timer_arm(loop, &nio->timers[which].t, ms) != 0)
		bft_logf(bft_net_log(nio->net), BFT_LOG_ERROR,
			 "cannot arm timer %d: too many timers", (int)which);
}

/* NEW-KEY's ephemeral keys: OpenSSL's CSPRNG. */
static int io_random(void *data, uint8_t *buf, size_t len)
{
	(void)data;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static uint64_t io_now_us(void *data)
{
	(void)data;
	return bft_net_realtime_us();
}

static void io_log(void *data, enum bft_log_level level, const char *line)
{
	struct bft_netio *nio = data;

	bft_log_line(bft_net_log(nio->net), level, line);
}

static int io_persist(void *data, uint8_t kind, uint64_t seq, const uint8_t *buf,
		      size_t len)
{
	struct bft_netio *nio = data;

	return nio->persist(nio->persist_arg, kind, seq, buf, len);
}

void bft_netio_set_persist(struct bft_netio *nio,
			   int (*fn)(void *arg, uint8_t kind, uint64_t seq,
				     const uint8_t *buf, size_t len),
			   void *arg)
{
	nio->persist = fn;
	nio->persist_arg = arg;
	nio->io.persist = fn ? io_persist : NULL;
}

void bft_netio_init(struct bft_netio *nio, struct bft_net *net,
		    bft_netio_timer_fn on_timer, void *data)
{
	unsigned i;

	memset(nio, 0, sizeof(*nio));
	nio->net = net;
	nio->on_timer = on_timer;
	nio->data = data;
	nio->io = (struct bft_io){
		.version = BFT_IO_VERSION, .data = nio, .send = io_send,
		.set_timer = io_set_timer, .now_us = io_now_us, .log = io_log,
		.random = io_random,
	};
	for (i = 0; i < BFT_TIMER_COUNT; i++) {
		nio->timers[i].owner = nio;
		nio->timers[i].which = (enum bft_timer)i;
		bft_loop_timer_init(&nio->timers[i].t, timer_fired, &nio->timers[i]);
	}
}

void bft_netio_fini(struct bft_netio *nio)
{
	unsigned i;

	if (!nio->net)
		return;
	for (i = 0; i < BFT_TIMER_COUNT; i++)
		bft_loop_timer_cancel(bft_net_loop(nio->net), &nio->timers[i].t);
}
