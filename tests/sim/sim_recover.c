/*
 * sim_recover.c — proactive recovery of each replica in turn (Castro &
 * Liskov, TOCS '02 §4.3; the core's side is bft/core/recovery.c and
 * new_key.c), and the entropy NEW-KEY draws.
 *
 * --recover N reboots N replicas, one after another in turn, spread over
 * the chaos phase. A reboot models what `bfsctl recover` does: the process
 * stops, the protocol log is thrown away (a compromised replica may have
 * written it), and half the time the state was tampered with (a counter
 * changed, as an intruder would); the replica comes back 10–300 ms later
 * recovering. From its reboot until it reports recovered it counts as
 * faulty, so a turn waits while another replica is still recovering (at
 * most one at once, within f). At the end every recovery must have
 * finished, and the recovered replicas are correct again: every invariant
 * (agreement, equal state digests, caught up) applies to them.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

int sim_io_random(void *data, uint8_t *buf, size_t len)
{
	struct sim_node *nd = data;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)sim_rand(nd->sim);
	return 0;
}

void sim_schedule_recoveries(struct sim *s)
{
	for (uint32_t k = 0; k < s->opts->recover; k++) {
		struct sim_event ev = { .kind = EV_RECOVER,
					.at = (k + 1) * s->chaos_end / (s->opts->recover + 1) };

		sim_push(s, ev);
	}
}

static bool can_recover(const struct sim_node *nd)
{
	return (nd->fault == FAULT_NONE || nd->fault == FAULT_CRASH_RESTART) && !nd->crashed;
}

void sim_recover(struct sim *s, struct sim_event *ev)
{
	struct sim_event up = { .kind = EV_RESTART };
	struct sim_node *nd = NULL;
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		if (s->nodes[i].recovering) { /* one at a time: try again later */
			struct sim_event again = *ev;

			again.at = s->now + 200000;
			again.buf = NULL;
			sim_push(s, again);
			return;
		}
	}
	for (i = 0; i < s->n && !nd; i++, s->rec_next++)
		if (can_recover(&s->nodes[s->rec_next % s->n]))
			nd = &s->nodes[s->rec_next % s->n];
	if (!nd)
		return;
	sim_crash(s, nd);
	if (sim_chance(s, 0.5)) {
		uint32_t key = (uint32_t)sim_between(s, 0, SIM_KEYS - 1);

		nd->svc.durable.values[key] += 11;
		nd->svc.cur = nd->svc.saved = nd->svc.synced = nd->svc.durable;
	}
	sim_disk_free(nd);
	nd->recovering = true;
	nd->rec_began = s->now;
	if (s->opts->verbose)
		fprintf(stderr, "seed %llu: replica %u reboots to recover\n",
			(unsigned long long)s->seed, nd->id);
	up.node = nd->id;
	up.at = s->now + sim_between(s, 10000, 300000);
	sim_push(s, up);
}

void sim_recovered(struct sim *s, uint32_t node)
{
	struct sim_node *nd = &s->nodes[node];
	uint64_t took = s->now - nd->rec_began;

	if (!nd->recovering)
		return;
	nd->recovering = false;
	s->rec_last_end = s->now;
	s->recoveries++;
	if (took > s->rec_max_us)
		s->rec_max_us = took;
}

/* A recovery is under way, or ended less than 10 s ago (the others may
 * still be catching up with what it held back). */
bool sim_any_recovering(const struct sim *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->nodes[i].recovering)
			return true;
	return s->rec_last_end && s->now < s->rec_last_end + 10000000;
}

void sim_check_recovered(struct sim *s)
{
	for (uint32_t i = 0; i < s->n && !s->violated; i++)
		if (s->nodes[i].recovering)
			violation(s, "liveness: replica %u began recovering at %.3f s and never "
				  "recovered", i, (double)s->nodes[i].rec_began / 1e6);
}
