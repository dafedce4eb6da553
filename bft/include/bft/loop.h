/*
 * bft/loop.h — the tiny epoll event loop of the runtime (bft_net).
 *
 * One loop per thread: file descriptors (epoll), one-shot timers (a min-heap
 * of caller-owned entries, millisecond resolution, CLOCK_MONOTONIC),
 * signals (signalfd; the loop blocks the signals it handles) and work handed
 * back from other threads (bft_loop_post: a mutex-protected list and an
 * eventfd). In the spirit of Redis's ae.c: callbacks run on the loop's
 * thread, one at a time, and must not block.
 *
 * Never allocates per event: timers and posted work items are owned by the
 * caller and linked in place. Errors follow bft/net.h (0, a negative
 * BFT_E_* code or a negative errno; bft_net_strerror()).
 *
 * Thread-safety: only bft_loop_post() may be called from another thread;
 * everything else belongs to the thread running bft_loop_run().
 */
#ifndef BFT_LOOP_H
#define BFT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct bft_loop;

/* events: EPOLLIN / EPOLLOUT / EPOLLERR bits as reported by epoll. */
typedef void (*bft_loop_fd_fn)(void *data, uint32_t events);
typedef void (*bft_loop_fn)(void *data);
typedef void (*bft_loop_signal_fn)(void *data, int signo);

/* A one-shot timer. Embed it in the owner's object; zero-initialise it (or
 * call bft_loop_timer_init) before first use. Fields are private. */
struct bft_loop_timer {
	uint64_t due_ms;   /* CLOCK_MONOTONIC deadline */
	uint32_t slot;     /* heap index + 1; 0 = not armed */
	bft_loop_fn fn;
	void *data;
};

/* Work handed to the loop's thread by bft_loop_post(). Owned by the
 * poster; must stay valid until fn has run. Fields are private but for
 * fn/data, which the poster sets. */
struct bft_loop_work {
	bft_loop_fn fn;
	void *data;
	struct bft_loop_work *next;
};

/* *out is owned by the caller, released with bft_loop_free(). */
int bft_loop_new(struct bft_loop **out);
/* Closes the loop's own descriptors (not the registered ones); NULL is a
 * no-op. Pending timers and work are forgotten. */
void bft_loop_free(struct bft_loop *l);

/* Watch fd for `events` (EPOLLIN, EPOLLOUT); fn(data, events) on readiness.
 * The fd stays owned by the caller; remove it before closing it. */
int bft_loop_add_fd(struct bft_loop *l, int fd, uint32_t events, bft_loop_fd_fn fn,
		    void *data);
void bft_loop_del_fd(struct bft_loop *l, int fd);
/* Change the events watched on a registered fd (0: none for now, e.g. a
 * connection that must not be read while its queue is full). */
int bft_loop_mod_fd(struct bft_loop *l, int fd, uint32_t events);

void bft_loop_timer_init(struct bft_loop_timer *t, bft_loop_fn fn, void *data);
/* Arm t to fire once after ms milliseconds (re-arming replaces the
 * deadline). ms == 0 fires on the next iteration. */
int bft_loop_timer_arm(struct bft_loop *l, struct bft_loop_timer *t, uint64_t ms);
void bft_loop_timer_cancel(struct bft_loop *l, struct bft_loop_timer *t);
bool bft_loop_timer_armed(const struct bft_loop_timer *t);

/* Handle signo on the loop's thread (blocked for the calling thread and
 * read through a signalfd). At most one handler per signal. */
int bft_loop_add_signal(struct bft_loop *l, int signo, bft_loop_signal_fn fn, void *data);

/* From any thread: run w->fn(w->data) on the loop's thread soon. */
void bft_loop_post(struct bft_loop *l, struct bft_loop_work *w);

/* Run until bft_loop_stop(). Returns 0, or an error if epoll fails. */
int bft_loop_run(struct bft_loop *l);
/* One iteration: wait at most timeout_ms (-1: until an event or the next
 * timer) and dispatch what is ready. */
int bft_loop_run_once(struct bft_loop *l, int timeout_ms);
/* Make bft_loop_run() return after the current callback. */
void bft_loop_stop(struct bft_loop *l);

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
uint64_t bft_loop_now_ms(void);
uint64_t bft_loop_mono_us(void);

#endif
