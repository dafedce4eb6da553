/*
 * sim_net.c — the simulated network and event queue.
 *
 * Events are kept in a binary heap ordered by (time, insertion order), so
 * equal times run first-in first-out and a seed gives one schedule. Until
 * the chaos phase ends, each datagram is lost with probability `loss`,
 * duplicated with probability `dup`, delayed 0.1–5 ms (sometimes 20–60 ms,
 * which reorders), and dropped when it crosses a partition; after that the
 * network is healed: every datagram between live nodes arrives, except that
 * a --lossy-replica loses 10% of its traffic for the whole run.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static bool ev_less(const struct sim_event *a, const struct sim_event *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

void sim_push(struct sim *s, struct sim_event ev)
{
	size_t i;

	if (s->heap_len == s->heap_cap) {
		s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 1024;
		s->heap = realloc(s->heap, s->heap_cap * sizeof(*s->heap));
		if (!s->heap)
			abort();
	}
	ev.order = s->order++;
	i = s->heap_len++;
	while (i > 0 && ev_less(&ev, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = ev;
}

bool sim_pop(struct sim *s, struct sim_event *ev)
{
	struct sim_event last;
	size_t i = 0;

	if (!s->heap_len)
		return false;
	*ev = s->heap[0];
	last = s->heap[--s->heap_len];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->heap_len)
			break;
		if (c + 1 < s->heap_len && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	s->heap[i] = last;
	return true;
}

static bool chaos(const struct sim *s)
{
	return s->now < s->chaos_end;
}

static bool cut(const struct sim *s, uint32_t a, uint32_t b)
{
	if (!chaos(s) || s->now >= s->partition_until)
		return false;
	return ((s->partition_mask >> a) & 1) != ((s->partition_mask >> b) & 1);
}

static void deliver_later(struct sim *s, uint32_t from, uint32_t to,
			  const uint8_t *buf, size_t len, uint64_t extra_us)
{
	struct sim_event ev = { .kind = EV_DELIVER, .node = to, .from = from,
				.len = (uint32_t)len };
	uint64_t delay = sim_between(s, 100, 5000) + extra_us;

	if (chaos(s) && sim_chance(s, 0.05))
		delay += sim_between(s, 20000, 60000);
	ev.at = s->now + delay;
	ev.buf = malloc(len ? len : 1);
	if (!ev.buf)
		abort();
	memcpy(ev.buf, buf, len);
	sim_push(s, ev);
}

void sim_net_send_late(struct sim *s, uint32_t from, uint32_t to, const uint8_t *buf,
		       size_t len, uint64_t extra_us)
{
	if (to >= s->n_nodes || to == from)
		return;
	s->messages++;
	if (cut(s, from, to) || (chaos(s) && sim_chance(s, s->opts->loss)) ||
	    (((int)from == s->opts->lossy_replica || (int)to == s->opts->lossy_replica) &&
	     sim_chance(s, 0.1))) {
		s->dropped++;
		return;
	}
	deliver_later(s, from, to, buf, len, extra_us);
	if (chaos(s) && sim_chance(s, s->opts->dup))
		deliver_later(s, from, to, buf, len, extra_us);
}

void sim_net_send(struct sim *s, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	sim_net_send_late(s, from, to, buf, len, 0);
}

/* Start or end partitions during the chaos phase: isolate one random
 * replica (or a random half of the replicas) for 0.2–1.5 s. */
void sim_net_step(struct sim *s)
{
	uint64_t mask = 0;
	uint32_t i;

	if (!s->opts->partitions || !chaos(s) || s->now < s->partition_until)
		return;
	if (!sim_chance(s, 0.002))
		return;
	if (sim_chance(s, 0.5)) {
		mask = 1ull << sim_between(s, 0, s->n - 1);
	} else {
		for (i = 0; i < s->n; i++)
			if (sim_chance(s, 0.5))
				mask |= 1ull << i;
	}
	s->partition_mask = mask;
	s->partition_until = s->now + sim_between(s, 200000, 1500000);
}
