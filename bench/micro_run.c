/*
 * micro_run.c — one micro-benchmark configuration (micro_run.h; OSDI '99
 * §6.3): closed-loop clients on one client process, each keeping one null
 * operation outstanding; latency samples of the requests that start and
 * finish inside the measured period, throughput of the completions in it,
 * optional per-second throughput lines and a crash of the primary
 * (§6.3's claim that the service keeps running with f faulty replicas,
 * shown as the per-second throughput recovering after a view change).
 *
 * Must never count warm-up or drain-phase requests in the figures, and
 * never let a callback touch the run after it has been closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bft/error.h"
#include "bench_cluster.h"
#include "micro_run.h"

#define NULL_OP_MAGIC 0x314c554eu /* bfsd's null service echo header */
#define NULL_OP_HDR 8u
#define DRAIN_US 10000000u        /* wait for stragglers at most this long */
#define MAX_SAMPLES (64u << 20)

static const char *const mode_names[MICRO_N_MODES] = { "rw", "ro", "unrep" };

const char *micro_mode_name(enum micro_mode m)
{
	return (unsigned)m < MICRO_N_MODES ? mode_names[m] : "?";
}

struct run;

struct slot {
	struct run *r;            /* NULL once the run is over */
	uint64_t start_us;
};

struct run {
	const struct micro_params *p;
	struct bft_client *c;
	uint8_t *op;
	uint32_t op_len;
	uint64_t measure_us, deadline_us;
	bool submitting;
	uint32_t outstanding;
	uint64_t completed, failed, second_done;
	uint32_t *samples;
	uint32_t n_samples, cap_samples;
	uint64_t cpu0_server, cpu0_client; /* at the start of the measured period */
	uint64_t cpu_server, cpu_client;   /* used during it */
	bool samples_full;
};

static void submit_one(struct slot *s);

static void add_sample(struct run *r, uint32_t us)
{
	if (r->n_samples == r->cap_samples) {
		uint32_t cap = r->cap_samples ? 2 * r->cap_samples : 65536;
		uint32_t *a = cap <= MAX_SAMPLES ? realloc(r->samples, cap * sizeof(*a)) : NULL;

		if (!a) {
			r->samples_full = true;
			return;
		}
		r->samples = a;
		r->cap_samples = cap;
	}
	r->samples[r->n_samples++] = us;
}

static void on_done(void *arg, int status, const uint8_t *res, uint32_t len)
{
	struct slot *s = arg;
	struct run *r = s->r;
	uint64_t now = bft_loop_mono_us();

	(void)res;
	(void)len;
	if (!r)
		return; /* cancelled after the run ended */
	r->outstanding--;
	if (status != BFT_OK) {
		r->failed++;
	} else if (now >= r->measure_us && now < r->deadline_us) {
		r->completed++;
		r->second_done++;
		if (s->start_us >= r->measure_us)
			add_sample(r, (uint32_t)(now - s->start_us));
	}
	if (r->submitting && now < r->deadline_us)
		submit_one(s);
}

static void submit_one(struct slot *s)
{
	struct run *r = s->r;

	s->start_us = bft_loop_mono_us();
	if (bft_client_submit(r->c, r->op, r->op_len, r->p->mode == MICRO_RO, on_done,
			      s) == BFT_OK)
		r->outstanding++;
	else
		r->failed++;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The paper's A/B: an A KiB argument, a B KiB result (the null service's
 * echo header asks for the result size; without it the result is empty). */
static int make_op(struct run *r, const struct micro_shape *sh)
{
	uint32_t arg = sh->arg_kib * 1024u, result = sh->result_kib * 1024u;
	uint32_t len = result && arg < NULL_OP_HDR ? NULL_OP_HDR : arg;

	if (sh->arg_kib > MICRO_MAX_KIB || sh->result_kib > MICRO_MAX_KIB)
		return -1;
	r->op = malloc(len ? len : 1);
	if (!r->op)
		return -1;
	memset(r->op, 0xab, len);
	if (result) {
		put_le32(r->op, NULL_OP_MAGIC);
		put_le32(r->op + 4, result);
	}
	r->op_len = len;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void summarize(struct run *r, struct micro_result *out)
{
	uint64_t sum = 0;
	uint32_t i;

	out->completed = r->completed;
	out->failed = r->failed;
	out->ops_per_s = (double)r->completed / r->p->seconds;
	out->final_view = bft_client_view(r->c);
	if (r->completed) {
		out->server_cpu_us = (double)r->cpu_server / (double)r->completed;
		out->client_cpu_us = (double)r->cpu_client / (double)r->completed;
	}
	if (!r->n_samples)
		return;
	qsort(r->samples, r->n_samples, sizeof(*r->samples), cmp_u32);
	for (i = 0; i < r->n_samples; i++)
		sum += r->samples[i];
	out->mean_us = (double)sum / r->n_samples;
	out->p50_us = r->samples[r->n_samples / 2];
	out->p99_us = r->samples[(uint64_t)r->n_samples * 99 / 100];
	out->valid = r->failed == 0 && !r->samples_full;
}

static void kill_primary(struct run *r, const struct micro_target *t, double at)
{
	uint64_t view = bft_client_view(r->c);
	uint32_t primary = (uint32_t)(view % t->n_replicas);

	if (bench_cluster_kill(primary))
		printf("  t=%5.1fs  killed replica %u, the primary of view %llu\n", at,
		       primary, (unsigned long long)view);
	else
		printf("  t=%5.1fs  cannot kill replica %u: not a running replica of this "
		       "bench's cluster\n", at, primary);
	fflush(stdout);
}

static void print_second(struct run *r, unsigned sec)
{
	const struct micro_params *p = r->p;

	printf("  %u/%u %-5s c=%-4u t=%4us  %9llu ops/s  view %llu\n", p->shape.arg_kib,
	       p->shape.result_kib, micro_mode_name(p->mode), p->clients, sec,
	       (unsigned long long)r->second_done, (unsigned long long)bft_client_view(r->c));
	fflush(stdout);
	r->second_done = 0;
}

/* Drive the loop through warm-up and the measured period, then drain. */
static void drive(struct run *r, const struct micro_target *t)
{
	const struct micro_params *p = r->p;
	uint64_t kill_us = p->kill_primary_at > 0
				   ? r->measure_us + (uint64_t)(p->kill_primary_at * 1e6)
				   : 0;
	unsigned sec = 0;
	bool measuring = false;

	for (;;) {
		uint64_t now = bft_loop_mono_us();

		if (!measuring && now >= r->measure_us) {
			measuring = true;
			r->cpu0_server = bench_cluster_cpu_us();
			r->cpu0_client = bench_self_cpu_us();
		}

		if (now >= r->measure_us + (sec + 1) * 1000000ull) {
			sec++;
			if (p->per_second)
				print_second(r, sec);
		}
		if (now >= r->deadline_us) {
			r->cpu_server = bench_cluster_cpu_us() - r->cpu0_server;
			r->cpu_client = bench_self_cpu_us() - r->cpu0_client;
			break;
		}
		if (kill_us && now >= kill_us) {
			kill_primary(r, t, p->kill_primary_at);
			kill_us = 0;
		}
		bft_client_poll(r->c, 5);
	}
	r->submitting = false;
	while (r->outstanding && bft_loop_mono_us() < r->deadline_us + DRAIN_US)
		bft_client_poll(r->c, 10);
}

static void diag(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "bfs-bench: %s\n", msg);
}

static int open_client(const struct micro_target *t, const struct micro_params *p,
		       struct bft_client **out)
{
	struct bft_client_opts o = { .config = t->config, .client_id = t->client_id,
				     .unreplicated = p->mode == MICRO_UNREP,
				     .max_lanes = p->clients };
	int err = bft_client_open(&o, diag, NULL, out);

	if (err) {
		fprintf(stderr, "bfs-bench: cannot open a client of %s: %s\n", t->config,
			bft_net_strerror(err));
		return -1;
	}
	if (bft_client_lanes(*out) < p->clients) {
		fprintf(stderr, "bfs-bench: --clients %u needs %u client ids, but client %u's "
			"[clients] section of %s has %u\n", p->clients, p->clients,
			t->client_id, t->config, bft_client_lanes(*out));
		bft_client_close(*out);
		return -1;
	}
	return 0;
}

int micro_run(const struct micro_target *t, const struct micro_params *p,
	      struct micro_result *out)
{
	struct run r = { .p = p, .submitting = true };
	struct slot *slots = calloc(p->clients ? p->clients : 1, sizeof(*slots));
	uint32_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->p = *p;
	if (!slots || !p->clients || make_op(&r, &p->shape) != 0) {
		fprintf(stderr, "bfs-bench: cannot set up %u/%u with %u clients\n",
			p->shape.arg_kib, p->shape.result_kib, p->clients);
		goto out;
	}
	if (open_client(t, p, &r.c) != 0)
		goto out;
	r.measure_us = bft_loop_mono_us() + (uint64_t)(p->warmup_s * 1e6);
	r.deadline_us = r.measure_us + (uint64_t)(p->seconds * 1e6);
	for (i = 0; i < p->clients; i++) {
		slots[i].r = &r;
		submit_one(&slots[i]);
	}
	drive(&r, t);
	summarize(&r, out);
	for (i = 0; i < p->clients; i++)
		slots[i].r = NULL; /* stragglers are cancelled by close */
	bft_client_close(r.c);
	ret = 0;
out:
	free(slots);
	free(r.samples);
	free(r.op);
	return ret;
}
