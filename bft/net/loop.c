/*
 * loop.c — the epoll event loop (bft/loop.h): fds, a timer min-heap,
 * signals through a signalfd, and an eventfd for work posted by other
 * threads. Shaped after Redis's ae.c: one file, one thread, no allocation
 * per event.
 *
 * Must never block anywhere but in epoll_wait, and never run a callback of
 * an fd that was removed earlier in the same iteration (removed
 * registrations are freed only after the iteration's dispatch).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include "bft/error.h"
#include "bft/loop.h"

#define LOOP_MAX_EVENTS 64
#define LOOP_MAX_TIMERS 65536u

struct fd_reg {
	int fd;
	bft_loop_fd_fn fn;     /* NULL once removed */
	void *data;
	struct fd_reg *next;   /* registered list, or the dead list */
};

struct sig_reg {
	bft_loop_signal_fn fn;
	void *data;
};

struct bft_loop {
	int epfd;
	bool stop;
	struct fd_reg *regs;   /* live registrations */
	struct fd_reg *dead;   /* removed during dispatch, freed after it */

	struct bft_loop_timer **heap;
	uint32_t n_timers, cap_timers;

	int sigfd;
	sigset_t sigmask;
	struct sig_reg sigs[_NSIG];

	int evfd;
	pthread_mutex_t work_mu;
	struct bft_loop_work *work_head, *work_tail;
};

uint64_t bft_loop_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t bft_loop_now_ms(void)
{
	return bft_loop_mono_us() / 1000u;
}

/* ---- timer heap (slot = index + 1, so 0 means "not armed") ---- */

static void heap_set(struct bft_loop *l, uint32_t i, struct bft_loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct bft_loop *l, uint32_t i)
{
	struct bft_loop_timer *t = l->heap[i];

	while (i > 0 && l->heap[(i - 1) / 2]->due_ms > t->due_ms) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void heap_down(struct bft_loop *l, uint32_t i)
{
	struct bft_loop_timer *t = l->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= l->n_timers)
			break;
		if (c + 1 < l->n_timers && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (l->heap[c]->due_ms >= t->due_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void bft_loop_timer_init(struct bft_loop_timer *t, bft_loop_fn fn, void *data)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->data = data;
}

bool bft_loop_timer_armed(const struct bft_loop_timer *t)
{
	return t->slot != 0;
}

void bft_loop_timer_cancel(struct bft_loop *l, struct bft_loop_timer *t)
{
	struct bft_loop_timer *moved;
	uint32_t i;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (i == --l->n_timers)
		return;
	moved = l->heap[l->n_timers];
	heap_set(l, i, moved);
	heap_up(l, i);
	heap_down(l, moved->slot - 1);
}

int bft_loop_timer_arm(struct bft_loop *l, struct bft_loop_timer *t, uint64_t ms)
{
	bft_loop_timer_cancel(l, t);
	if (l->n_timers == l->cap_timers) {
		uint32_t cap = l->cap_timers ? 2 * l->cap_timers : 16;
		struct bft_loop_timer **h;

		if (cap > LOOP_MAX_TIMERS)
			return BFT_E_BUSY;
		h = realloc(l->heap, cap * sizeof(*h));
		if (!h)
			return BFT_E_NOMEM;
		l->heap = h;
		l->cap_timers = cap;
	}
	t->due_ms = bft_loop_now_ms() + ms;
	l->heap[l->n_timers] = t;
	heap_up(l, l->n_timers++);
	return BFT_OK;
}

/* Fire every timer that is due; returns the wait until the next one (ms),
 * or -1 when none is armed. */
static int run_timers(struct bft_loop *l)
{
	uint64_t now = bft_loop_now_ms();

	while (l->n_timers && !l->stop) {
		struct bft_loop_timer *t = l->heap[0];

		if (t->due_ms > now)
			return (int)(t->due_ms - now > 60000 ? 60000 : t->due_ms - now);
		bft_loop_timer_cancel(l, t);
		t->fn(t->data);
	}
	return l->n_timers ? 0 : -1;
}

/* ---- file descriptors ---- */

int bft_loop_add_fd(struct bft_loop *l, int fd, uint32_t events, bft_loop_fd_fn fn,
		    void *data)
{
	struct fd_reg *r = calloc(1, sizeof(*r));
	struct epoll_event ev = { .events = events };

	if (!r)
		return BFT_E_NOMEM;
	r->fd = fd;
	r->fn = fn;
	r->data = data;
	ev.data.ptr = r;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(r);
		return err;
	}
	r->next = l->regs;
	l->regs = r;
	return BFT_OK;
}

void bft_loop_del_fd(struct bft_loop *l, int fd)
{
	struct fd_reg **p;

	for (p = &l->regs; *p; p = &(*p)->next) {
		struct fd_reg *r = *p;

		if (r->fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		*p = r->next;
		r->fn = NULL;
		r->next = l->dead;
		l->dead = r;
		return;
	}
}

int bft_loop_mod_fd(struct bft_loop *l, int fd, uint32_t events)
{
	struct fd_reg *r;

	for (r = l->regs; r; r = r->next) {
		struct epoll_event ev = { .events = events, .data.ptr = r };

		if (r->fd != fd)
			continue;
		return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : BFT_OK;
	}
	return BFT_E_INVAL;
}

static void free_list(struct fd_reg *r)
{
	while (r) {
		struct fd_reg *next = r->next;

		free(r);
		r = next;
	}
}

/* ---- signals ---- */

static void on_signalfd(void *data, uint32_t events)
{
	struct bft_loop *l = data;
	struct signalfd_siginfo si;

	(void)events;
	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo < _NSIG && l->sigs[si.ssi_signo].fn)
			l->sigs[si.ssi_signo].fn(l->sigs[si.ssi_signo].data, (int)si.ssi_signo);
	}
}

int bft_loop_add_signal(struct bft_loop *l, int signo, bft_loop_signal_fn fn, void *data)
{
	bool first = l->sigfd < 0;
	int fd, err;

	if (signo <= 0 || signo >= _NSIG || l->sigs[signo].fn)
		return BFT_E_INVAL;
	sigaddset(&l->sigmask, signo);
	if ((err = pthread_sigmask(SIG_BLOCK, &l->sigmask, NULL)) != 0)
		return -err;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	l->sigfd = fd;
	if (first && (err = bft_loop_add_fd(l, fd, EPOLLIN, on_signalfd, l)) != BFT_OK)
		return err;
	l->sigs[signo].fn = fn;
	l->sigs[signo].data = data;
	return BFT_OK;
}

/* ---- work from other threads ---- */

static void on_eventfd(void *data, uint32_t events)
{
	struct bft_loop *l = data;
	struct bft_loop_work *w;
	uint64_t v;

	(void)events;
	if (read(l->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&l->work_mu);
	w = l->work_head;
	l->work_head = l->work_tail = NULL;
	pthread_mutex_unlock(&l->work_mu);
	while (w) {
		struct bft_loop_work *next = w->next;

		w->fn(w->data); /* may free w */
		w = next;
	}
}

void bft_loop_post(struct bft_loop *l, struct bft_loop_work *w)
{
	uint64_t one = 1;

	w->next = NULL;
	pthread_mutex_lock(&l->work_mu);
	if (l->work_tail)
		l->work_tail->next = w;
	else
		l->work_head = w;
	l->work_tail = w;
	pthread_mutex_unlock(&l->work_mu);
	/* A full counter still wakes the loop; nothing else can fail here. */
	if (write(l->evfd, &one, sizeof(one)) < 0)
		return;
}

/* ---- life cycle and running ---- */

int bft_loop_new(struct bft_loop **out)
{
	struct bft_loop *l = calloc(1, sizeof(*l));
	int err;

	*out = NULL;
	if (!l)
		return BFT_E_NOMEM;
	l->sigfd = -1;
	l->evfd = -1;
	sigemptyset(&l->sigmask);
	pthread_mutex_init(&l->work_mu, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err = -errno;
		goto fail;
	}
	l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->evfd < 0) {
		err = -errno;
		goto fail;
	}
	if ((err = bft_loop_add_fd(l, l->evfd, EPOLLIN, on_eventfd, l)) != BFT_OK)
		goto fail;
	*out = l;
	return BFT_OK;
fail:
	bft_loop_free(l);
	return err;
}

void bft_loop_free(struct bft_loop *l)
{
	if (!l)
		return;
	free_list(l->regs);
	free_list(l->dead);
	free(l->heap);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->evfd >= 0)
		close(l->evfd);
	if (l->epfd >= 0)
		close(l->epfd);
	pthread_mutex_destroy(&l->work_mu);
	free(l);
}

int bft_loop_run_once(struct bft_loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int wait = run_timers(l), n, i;

	if (timeout_ms >= 0 && (wait < 0 || timeout_ms < wait))
		wait = timeout_ms;
	if (l->stop)
		wait = 0;
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, wait);
	if (n < 0)
		return errno == EINTR ? BFT_OK : -errno;
	for (i = 0; i < n; i++) {
		struct fd_reg *r = evs[i].data.ptr;

		if (r->fn)
			r->fn(r->data, evs[i].events);
	}
	free_list(l->dead);
	l->dead = NULL;
	run_timers(l);
	return BFT_OK;
}

int bft_loop_run(struct bft_loop *l)
{
	int err = BFT_OK;

	l->stop = false;
	while (!l->stop && err == BFT_OK)
		err = bft_loop_run_once(l, -1);
	return err;
}

void bft_loop_stop(struct bft_loop *l)
{
	l->stop = true;
}
