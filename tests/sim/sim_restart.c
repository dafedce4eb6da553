/*
 * sim_restart.c — replicas that crash and restart from their disk, lose
 * power, or find their state corrupted (issue: durability and recovery;
 * the core's side is bft/core/persist.c, TOCS '02 §4.6).
 *
 * A replica's disk is its toy service's durable state (as of the last batch
 * it ended) and the protocol records its core persisted (io->persist),
 * compacted like the daemons' log: a STABLE record drops the records at or
 * below its checkpoint.
 *
 *   crash-restart  killed at random times (twice or three times a run) and
 *                  restarted from its disk after 50 ms – 2 s; the disk is
 *                  fully synced (durability = sync), so the replica counts
 *                  as correct: every invariant holds for it too.
 *   power-loss     the same, but the restart finds only what async mode had
 *                  synced at its last checkpoint (state and records): a
 *                  faulty replica within the f bound.
 *   corrupt-state  a state counter changes under the replica once; it is
 *                  faulty (its results are wrong) until its checkpoint
 *                  digest disagrees with 2f+1 others and it fetches the
 *                  state; at the end it must have repaired itself.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static void rec_free(struct sim_rec *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Drop records at or below a stable checkpoint (but the newest VIEW). */
static void compact(struct sim_node *nd, uint64_t stable)
{
	uint32_t i, k = 0, last_view = ~0u, synced = nd->disk_synced;

	for (i = 0; i < nd->n_disk; i++)
		if (nd->disk[i].kind == BFT_REC_VIEW)
			last_view = i;
	for (i = 0; i < nd->n_disk; i++) {
		struct sim_rec *r = &nd->disk[i];
		bool keep = r->kind == BFT_REC_VIEW ? i == last_view : r->seq > stable;

		if (i + 1 == nd->n_disk && r->kind == BFT_REC_STABLE)
			keep = true; /* the record that triggered this */
		if (!keep) {
			rec_free(r);
		} else {
			nd->disk[k++] = *r;
		}
		if (i + 1 == synced)
			nd->disk_synced = k;
	}
	nd->n_disk = k;
}

int sim_persist(void *data, uint8_t kind, uint64_t seq, const uint8_t *buf, size_t len)
{
	struct sim_node *nd = data;
	struct sim_rec *r;

	if (nd->n_disk == nd->disk_cap) {
		uint32_t cap = nd->disk_cap ? 2 * nd->disk_cap : 64;
		struct sim_rec *d = realloc(nd->disk, cap * sizeof(*d));

		if (!d)
			return BFT_E_NOMEM;
		nd->disk = d;
		nd->disk_cap = cap;
	}
	r = &nd->disk[nd->n_disk];
	r->buf = malloc(len ? len : 1);
	if (!r->buf)
		return BFT_E_NOMEM;
	memcpy(r->buf, buf, len);
	r->len = (uint32_t)len;
	r->kind = kind;
	r->seq = seq;
	nd->n_disk++;
	if (kind == BFT_REC_STABLE)
		compact(nd, seq);
	return 0;
}

void sim_disk_sync(struct sim_node *nd)
{
	nd->disk_synced = nd->n_disk;
	nd->svc.synced = nd->svc.cur;
	nd->svc.synced_seq = nd->svc.ended;
}

void sim_disk_free(struct sim_node *nd)
{
	for (uint32_t i = 0; i < nd->n_disk; i++)
		rec_free(&nd->disk[i]);
	free(nd->disk);
	nd->disk = NULL;
	nd->n_disk = nd->disk_cap = nd->disk_synced = 0;
}

/* Crash times for a restarting replica, all before the network heals so
 * liveness is judged on a cluster that is whole again. */
void sim_schedule_restarts(struct sim *s, uint32_t id)
{
	enum sim_fault m = s->nodes[id].fault;
	uint64_t at = 0;
	int k, times = (int)sim_between(s, 2, 3);

	if (m == FAULT_CORRUPT_STATE) {
		struct sim_event ev = { .kind = EV_CORRUPT, .node = id,
					.at = sim_between(s, 200000, s->chaos_end / 2) };

		sim_push(s, ev);
		return;
	}
	if (m != FAULT_CRASH_RESTART && m != FAULT_POWER_LOSS)
		return;
	for (k = 0; k < times; k++) {
		struct sim_event crash = { .kind = EV_CRASH, .node = id };
		struct sim_event up = { .kind = EV_RESTART, .node = id };
		uint64_t slot = s->chaos_end / (uint64_t)times;

		crash.at = at + sim_between(s, 0, slot / 2);
		up.at = crash.at + sim_between(s, 50000, slot / 2 > 2000000 ? 2000000 : slot / 2);
		at += slot;
		sim_push(s, crash);
		sim_push(s, up);
	}
}

/* --kill-all: every replica at once (EV_CRASH with which = 1: restartable
 * whatever the replica's fault mode), each back after its own delay. */
void sim_schedule_kill_all(struct sim *s)
{
	uint64_t slot = s->opts->kill_all ? s->chaos_end / s->opts->kill_all : 0;

	for (uint32_t k = 0; k < s->opts->kill_all; k++) {
		uint64_t at = k * slot + sim_between(s, slot / 4, slot / 2);

		for (uint32_t i = 0; i < s->n; i++) {
			struct sim_event crash = { .kind = EV_CRASH, .node = i, .at = at,
						   .which = 1 };
			struct sim_event up = { .kind = EV_RESTART, .node = i,
						.at = at + sim_between(s, 10000, slot / 2) };

			sim_push(s, crash);
			sim_push(s, up);
		}
	}
}

void sim_crash(struct sim *s, struct sim_node *nd)
{
	struct toy_service *t = &nd->svc;

	(void)s;
	if (nd->crashed)
		return;
	nd->crashed = true;
	bft_replica_free(nd->replica);
	nd->replica = NULL;
	for (int i = 0; i < BFT_TIMER_COUNT; i++)
		nd->timer_gen[i]++;
	/* The process dies: what is not on disk is gone. */
	t->n_pending = 0;
	t->open = false;
	memset(t->snaps, 0, sizeof(t->snaps));
	if (nd->fault == FAULT_POWER_LOSS) {
		for (uint32_t i = nd->disk_synced; i < nd->n_disk; i++)
			rec_free(&nd->disk[i]);
		nd->n_disk = nd->disk_synced;
		t->durable = t->synced;
		t->ended = t->synced_seq;
	}
	t->cur = t->saved = t->durable;
}

void sim_restart(struct sim *s, struct sim_node *nd)
{
	uint32_t i;
	int err;

	if (!nd->crashed)
		return;
	if (nd->recovering) /* rebooted again mid-recovery: it starts over */
		sim_disk_free(nd);
	err = sim_make_replica(s, nd);
	if (err) {
		violation(s, "replica %u cannot be rebuilt: %s", nd->id, bft_strerror(err));
		return;
	}
	for (i = 0; i < nd->n_disk && !err; i++)
		err = bft_replica_restore(nd->replica, nd->disk[i].kind, nd->disk[i].seq,
					  nd->disk[i].buf, nd->disk[i].len);
	if (!err)
		err = bft_replica_start(nd->replica);
	if (err) {
		violation(s, "replica %u cannot restart from its disk: %s", nd->id,
			  bft_strerror(err));
		return;
	}
	nd->crashed = false;
	nd->restarts++;
	s->restarts++;
}

/* A corrupt-state replica must have fetched a good state once 2f+1
 * others made a later checkpoint stable. */
void sim_check_repaired(struct sim *s)
{
	uint64_t stable = 0;
	uint32_t i;

	for (i = 0; i < s->n; i++)
		if (node_correct(s, i) && bft_replica_stable(s->nodes[i].replica) > stable)
			stable = bft_replica_stable(s->nodes[i].replica);
	for (i = 0; i < s->n && !s->violated; i++) {
		const struct sim_node *nd = &s->nodes[i];

		if (nd->fault != FAULT_CORRUPT_STATE || !nd->svc.corrupted_at || nd->repaired)
			continue;
		if (stable >= nd->svc.corrupted_at + 2 * 8 /* K */)
			violation(s, "liveness: replica %u, whose state was corrupted at batch "
				  "%llu, never repaired it (stable checkpoint %llu)", i,
				  (unsigned long long)nd->svc.corrupted_at,
				  (unsigned long long)stable);
	}
}

void sim_corrupt(struct sim *s, struct sim_node *nd)
{
	struct toy_service *t = &nd->svc;
	uint32_t key = (uint32_t)sim_between(s, 0, SIM_KEYS - 1);

	if (nd->crashed || t->corrupted_at)
		return;
	t->cur.values[key] += 7;
	t->durable.values[key] += 7;
	if (t->open)
		t->saved.values[key] += 7;
	t->corrupted_at = t->ended ? t->ended : 1;
}
