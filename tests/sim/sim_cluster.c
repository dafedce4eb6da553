/*
 * sim_cluster.c — one seeded run: build the cluster, drive its events,
 * judge liveness.
 *
 * n = 3f+1 replicas (pure cores with the toy service) and `clients` clients
 * each issuing `requests` operations one after another. The chaos phase
 * (2–4 s of simulated time) has loss, duplication, reordering and
 * partitions; then the network heals and every request must complete within
 * 60 s of simulated time, or it is a liveness violation. Replicas use a
 * small checkpoint interval (K = 8, L = 16) so checkpoints, garbage
 * collection and the watermarks are exercised in every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_EPOCH_US 1700000000000000ull

/* Node keys do not depend on the seed: derived once per process. */
static struct bft_keypair key_pairs[SIM_MAX_NODES];
static struct bft_pubkey key_pubs[SIM_MAX_NODES];
static bool keys_made;

static void make_keys(void)
{
	uint8_t seed[2 * BFT_KEY_LEN];
	uint32_t i;

	if (keys_made)
		return;
	for (i = 0; i < SIM_MAX_NODES; i++) {
		memset(seed, 0, sizeof(seed));
		seed[0] = (uint8_t)i;
		seed[1] = 0x5e;
		seed[BFT_KEY_LEN] = (uint8_t)i;
		seed[BFT_KEY_LEN + 1] = 0xd1;
		if (bft_keypair_from_seed(&key_pairs[i], seed) != BFT_OK)
			abort();
		bft_keypair_public(&key_pairs[i], &key_pubs[i]);
	}
	keys_made = true;
}

/* ---- struct bft_io for simulated nodes ---- */

static void io_send(void *data, uint32_t to, const uint8_t *buf, size_t len)
{
	struct sim_node *nd = data;

	sim_fault_send(nd->sim, nd, to, buf, len);
}

static void io_set_timer(void *data, enum bft_timer which, uint64_t ms)
{
	struct sim_node *nd = data;
	struct sim_event ev = { .kind = EV_TIMER, .node = nd->id, .which = which };

	ev.gen = ++nd->timer_gen[which];
	if (ms == 0)
		return;
	ev.at = nd->sim->now + ms * 1000;
	sim_push(nd->sim, ev);
}

static uint64_t io_now_us(void *data)
{
	struct sim_node *nd = data;

	return (uint64_t)((int64_t)(SIM_EPOCH_US + nd->sim->now) + nd->clock_skew_us);
}

static void io_log(void *data, enum bft_log_level level, const char *line)
{
	struct sim_node *nd = data;

	(void)level;
	if (nd->sim->opts->verbose)
		fprintf(stderr, "[%10.6f] %s\n", (double)nd->sim->now / 1e6, line);
}

static void io_trace(void *data, const struct bft_trace *ev)
{
	struct sim_node *nd = data;

	check_trace(nd->sim, ev);
}

/* ---- clients ---- */

static void submit_next(struct sim *s, struct sim_node *nd)
{
	static uint8_t op[BFT_MAX_OP];
	struct sim_op *o;
	bool ro, is_get;
	uint8_t key;
	uint32_t len = toy_make_op(s, op, &ro, &is_get, &key);

	if (s->ops_len == s->ops_cap) {
		s->ops_cap = s->ops_cap ? 2 * s->ops_cap : 256;
		s->ops = realloc(s->ops, s->ops_cap * sizeof(*s->ops));
		if (!s->ops)
			abort();
	}
	nd->cur_op = (uint32_t)s->ops_len;
	o = &s->ops[s->ops_len++];
	memset(o, 0, sizeof(*o));
	o->client = nd->id;
	o->is_get = is_get;
	o->key = key;
	o->submit_at = s->now;
	if (bft_client_core_submit(nd->client, op, len, ro) != BFT_OK)
		violation(s, "client %u could not submit a request", nd->id);
}

static void client_done(void *data, int status, const uint8_t *result, uint32_t len)
{
	struct sim_node *nd = data;
	struct sim *s = nd->sim;
	struct sim_op *o = &s->ops[nd->cur_op];
	struct sim_event ev = { .kind = EV_SUBMIT, .node = nd->id };

	if (status != BFT_OK) {
		violation(s, "client %u request failed: %s", nd->id, bft_strerror(status));
		return;
	}
	o->done = true;
	o->done_at = s->now;
	o->ts = bft_client_core_timestamp(nd->client);
	o->read_only = bft_client_core_last_read_only(nd->client);
	o->result_len = len < sizeof(o->result) ? len : sizeof(o->result);
	memcpy(o->result, result, o->result_len);
	check_completed(s, o);
	if (++nd->done_ops < s->opts->requests) {
		ev.at = s->now + sim_between(s, 0, 5000);
		sim_push(s, ev);
	}
}

/* ---- setup ---- */

static void make_faulty(struct sim *s, uint32_t id, enum sim_fault m)
{
	s->nodes[id].fault = m;
	if (s->opts->verbose)
		fprintf(stderr, "seed %llu: replica %u is faulty: %s\n",
			(unsigned long long)s->seed, id, sim_fault_name(m));
	if (m == FAULT_CRASH || m == FAULT_PRIMARY_CRASH) {
		struct sim_event ev = { .kind = EV_CRASH, .node = id,
					.at = sim_between(s, 0, s->chaos_end) };
		sim_push(s, ev);
		if (m == FAULT_PRIMARY_CRASH && id == 0)
			s->fail_at = ev.at;
	}
	sim_schedule_restarts(s, id);
}

/* f faulty replicas (f-1 with --recover: the one recovering is the f-th),
 * modes taken in turn from the list: primary-* modes go
 * to the primaries of views 0, 1, ... (consecutive faulty primaries when
 * f > 1), the others to random backups. */
static void pick_faults(struct sim *s)
{
	const struct sim_opts *o = s->opts;
	uint32_t k, id, next_primary = 0, n_primary = 0;
	uint32_t faulty = o->recover ? s->f - 1 : s->f; /* a recovering one is faulty */

	if (!o->n_modes)
		return;
	for (k = 0; k < faulty; k++) /* the primaries these modes will take */
		n_primary += sim_fault_is_primary_mode(o->modes[(s->seed + k) % o->n_modes]);
	for (k = 0; k < faulty; k++) {
		enum sim_fault m = o->modes[(s->seed + k) % o->n_modes];

		if (sim_fault_is_primary_mode(m)) {
			make_faulty(s, next_primary++, m);
			continue;
		}
		/* Restarts hit the primary too (it must fall silent in its view
		 * and be replaced); other faults hit backups. */
		bool any = m == FAULT_CRASH_RESTART || m == FAULT_POWER_LOSS;

		do
			id = (uint32_t)sim_between(s, any ? 0 : 1, s->n - 1);
		while (s->nodes[id].fault != FAULT_NONE || id < n_primary);
		make_faulty(s, id, m);
	}
}

static uint32_t bugs_for(const struct sim *s, uint32_t id)
{
	/* Weak quorums and local time break the equivocation victim (or
	 * replica 1); the others break every replica. */
	if (s->opts->bug & (BFT_BUG_WEAK_QUORUMS | BFT_BUG_LOCAL_TIME))
		return id == 1 ? s->opts->bug : 0;
	return s->opts->bug;
}

/* A replica core over nd's io and service (again after a restart). */
int sim_make_replica(struct sim *s, struct sim_node *nd)
{
	struct bft_replica_config cfg;

	bft_replica_config_default(&cfg, s->f, nd->id, s->n_clients);
	cfg.checkpoint_interval = 8;
	cfg.log_window = 16;
	cfg.max_skew_us = 1000000;
	cfg.view_change_ms = SIM_VIEW_CHANGE_MS;
	cfg.log_level = s->opts->verbose ? BFT_LOG_DEBUG : BFT_LOG_ERROR;
	cfg.test_bugs = bugs_for(s, nd->id);
	cfg.key_refresh_ms = s->opts->key_refresh_ms;
	cfg.recovering = nd->recovering;
	return bft_replica_new(&cfg, nd->kr, &nd->io, &nd->svc.vt, &nd->replica);
}

static int make_node(struct sim *s, uint32_t id)
{
	struct sim_node *nd = &s->nodes[id];
	int err;

	nd->sim = s;
	nd->id = id;
	nd->is_replica = id < s->n;
	nd->cur_op = ~0u;
	nd->io = (struct bft_io){ .version = BFT_IO_VERSION, .data = nd, .send = io_send,
				  .set_timer = io_set_timer, .now_us = io_now_us,
				  .log = io_log, .trace = io_trace, .persist = sim_persist,
				  .random = sim_io_random };
	err = bft_keyring_new(id, s->n, s->n_nodes, &key_pairs[id], key_pubs, &nd->kr);
	if (err)
		return err;
	if (nd->is_replica) {
		nd->clock_skew_us = (int64_t)sim_between(s, 0, 4000) - 2000;
		toy_init(&nd->svc, s, id);
		return sim_make_replica(s, nd);
	} else {
		struct bft_client_config cfg;

		bft_client_config_default(&cfg, s->f, id);
		cfg.retrans_ms = 150;
		cfg.retrans_max_ms = 2000;
		cfg.log_level = s->opts->verbose ? BFT_LOG_DEBUG : BFT_LOG_ERROR;
		cfg.test_bugs = s->opts->client_bug;
		return bft_client_core_new(&cfg, nd->kr, &nd->io, client_done, nd, &nd->client);
	}
}

static void free_nodes(struct sim *s)
{
	struct sim_event ev;
	uint32_t i, k;

	while (sim_pop(s, &ev))
		free(ev.buf);
	free(s->heap);
	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *nd = &s->nodes[i];

		bft_replica_free(nd->replica);
		bft_client_core_free(nd->client);
		bft_keyring_free(nd->kr);
		toy_free(&nd->svc);
		sim_disk_free(nd);
		for (k = 0; k < 32; k++)
			free(nd->rec[k]);
	}
	check_free(s);
}

/* ---- the event loop ---- */

static void dispatch(struct sim *s, struct sim_event *ev)
{
	struct sim_node *nd = &s->nodes[ev->node];

	switch (ev->kind) {
	case EV_DELIVER:
		if (nd->crashed || sim_fault_drops(s, nd, ev->buf, ev->len))
			break;
		if (nd->fault == FAULT_REPLAY)
			sim_fault_record(nd, ev->buf, ev->len);
		if (nd->is_replica)
			bft_replica_recv(nd->replica, ev->buf, ev->len);
		else
			bft_client_core_recv(nd->client, ev->buf, ev->len);
		break;
	case EV_TIMER:
		if (nd->crashed || ev->gen != nd->timer_gen[ev->which])
			break;
		if (nd->is_replica)
			bft_replica_on_timer(nd->replica, (enum bft_timer)ev->which);
		else
			bft_client_core_on_timer(nd->client, (enum bft_timer)ev->which);
		break;
	case EV_SUBMIT:
		submit_next(s, nd);
		break;
	case EV_CRASH:
		if (ev->which || nd->fault == FAULT_CRASH_RESTART || nd->fault == FAULT_POWER_LOSS)
			sim_crash(s, nd);
		else
			nd->crashed = true;
		break;
	case EV_RESTART:
		sim_restart(s, nd);
		break;
	case EV_CORRUPT:
		sim_corrupt(s, nd);
		break;
	case EV_RECOVER:
		sim_recover(s, ev);
		break;
	}
	free(ev->buf);
}

static bool all_done(const struct sim *s)
{
	uint32_t i;

	for (i = s->n; i < s->n_nodes; i++)
		if (s->nodes[i].done_ops < s->opts->requests)
			return false;
	return true;
}

/* Requests are incomplete after the heal: a liveness violation (at most f
 * replicas are faulty; state transfer brings back any correct one that fell
 * behind the others' logs). */
static void judge_incomplete(struct sim *s)
{
	uint64_t left = 0;
	uint32_t i;

	for (i = s->n; i < s->n_nodes; i++)
		left += s->opts->requests - s->nodes[i].done_ops;
	violation(s, "liveness: %llu requests incomplete %llu s after the network "
		  "healed", (unsigned long long)left,
		  (unsigned long long)((s->deadline - s->chaos_end) / 1000000));
}

/* State transfer: at the end every correct replica has reached the highest
 * stable checkpoint of the correct replicas (the log below it is gone, so
 * only state transfer gets it there). A replica that moved to the next view
 * alone (an equivocation victim, or one a partition cut off) accepts no
 * message of the others' view (§4.4) and may lag above that checkpoint
 * until the next one; one losing 10% of its traffic for the whole run, in
 * the others' view, must have executed everything they did
 * (retransmission, §5.2). */
static void check_caught_up(struct sim *s)
{
	uint64_t top = 0, stable = 0, top_view = 0, mine;
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		if (!node_correct(s, i))
			continue;
		if (bft_replica_last_executed(s->nodes[i].replica) > top) {
			top = bft_replica_last_executed(s->nodes[i].replica);
			top_view = bft_replica_view(s->nodes[i].replica);
		}
		if (bft_replica_stable(s->nodes[i].replica) > stable)
			stable = bft_replica_stable(s->nodes[i].replica);
	}
	for (i = 0; i < s->n && !s->violated; i++) {
		bool lossy = (int)i == s->opts->lossy_replica &&
			     bft_replica_view(s->nodes[i].replica) == top_view;

		if (!node_correct(s, i))
			continue;
		mine = bft_replica_last_executed(s->nodes[i].replica);
		if (mine < stable || (lossy && mine < top))
			violation(s, "liveness: correct replica %u%s executed up to %llu, "
				  "the others up to %llu (stable checkpoint %llu)", i,
				  lossy ? " (losing 10% of its traffic)" : "",
				  (unsigned long long)mine, (unsigned long long)top,
				  (unsigned long long)stable);
	}
}

int sim_run_seed(const struct sim_opts *o, uint64_t seed, struct sim *s)
{
	struct sim_event ev;
	uint64_t settle = 0;
	uint32_t i;
	int err = 0;

	memset(s, 0, offsetof(struct sim, scratch));
	s->completed = s->messages = s->dropped = 0;
	s->transfers = 0;
	s->restarts = 0;
	s->recoveries = s->rec_max_us = s->rec_last_end = 0;
	s->rec_next = 0;
	s->fail_at = s->recovered_at = s->max_view = 0;
	s->opts = o;
	s->seed = seed;
	s->rng = seed * 0x2545f4914f6cdd1dull + 1;
	s->f = o->f;
	s->n = 3 * o->f + 1;
	s->n_clients = o->clients;
	s->n_nodes = s->n + s->n_clients;
	s->chaos_end = sim_between(s, 2000000, 4000000);
	/* Liveness is judged 60 s after the heal; safety-only runs (a faulty
	 * primary may stall them) stop after 10 s. */
	s->deadline = s->chaos_end + (o->safety_only ? 10000000 : 60000000);
	make_keys();
	check_init(s);
	pick_faults(s);
	sim_schedule_kill_all(s);
	sim_schedule_recoveries(s);
	for (i = 0; i < s->n_nodes && !err; i++)
		err = make_node(s, i);
	if (err) {
		fprintf(stderr, "bft-sim: cannot build node %u: %s\n", i - 1, bft_strerror(err));
		free_nodes(s);
		return err;
	}
	for (i = 0; i < s->n; i++)
		bft_replica_start(s->nodes[i].replica);
	for (i = s->n; i < s->n_nodes; i++) {
		struct sim_event sub = { .kind = EV_SUBMIT, .node = i,
					 .at = sim_between(s, 0, 10000) };
		sim_push(s, sub);
	}
	while (!s->violated && sim_pop(s, &ev)) {
		/* After the last completion, 10 s more for the last (tentatively
		 * accepted) batches to commit, across a view change if need be. */
		if (!settle && all_done(s))
			settle = s->now + 10000000;
		/* ... and for a recovery under way to finish. */
		if (ev.at > s->deadline || (settle && ev.at > settle && !sim_any_recovering(s))) {
			free(ev.buf);
			break;
		}
		s->now = ev.at;
		dispatch(s, &ev);
		sim_net_step(s);
	}
	if (!s->violated && !all_done(s) && !o->safety_only)
		judge_incomplete(s);
	if (!s->violated)
		check_end(s);
	if (!s->violated && !o->safety_only)
		check_caught_up(s);
	if (!s->violated && !o->safety_only)
		sim_check_repaired(s);
	if (!s->violated && !o->safety_only)
		sim_check_recovered(s);
	free_nodes(s);
	return 0;
}
