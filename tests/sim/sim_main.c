/*
 * sim_main.c — bft-sim: run many seeded simulations of a PBFT cluster.
 *
 *   bft-sim --seeds N [--first-seed S] [--f F] [--faulty MODE[,MODE...]]
 *           [--loss P] [--dup P] [--clients C] [--requests R]
 *           [--no-partitions] [--bug NAME] [--client-bug NAME]
 *           [--lossy-replica R] [--kill-all N] [--recover N] [--key-refresh MS]
 *           [--expect-violation KIND] [--safety-only] [--verbose]
 *
 * --kill-all N: N times during the chaos phase every replica crashes at
 * once and restarts from its disk (durability = sync); no acknowledged
 * request may be lost (sim_restart.c).
 *
 * --recover N: N proactive recoveries, replicas rebooted in turn with their
 * protocol log gone and, half the time, their state tampered with; each
 * must recover (sim_recover.c). --key-refresh MS: the replicas' NEW-KEY
 * period in simulated time (default 1000; 0: never).
 *
 * Ends with one line "N seeds, V violations, R requests completed, ..." that
 * also counts runs stalled awaiting state transfer, the view changes, and
 * the median and maximum recovery time: from the failure of the first
 * faulty primary (its crash, or the start of the run for modes that
 * misbehave from the start) to the first batch committed in a later view. On a
 * violation it prints the seed and the command that replays it, and exits
 * 1. With --expect-violation KIND (the checker's self-tests, with a
 * deliberately broken replica from a -DBFT_TEST_HOOKS build) it exits 0 only
 * if some seed violated that invariant (agreement, state, linearizability,
 * liveness). --safety-only skips the liveness judgement,
 * for faulty primaries, which only view changes can replace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: bft-sim --seeds N [--first-seed S] [--f F] [--faulty MODE[,MODE...]]\n"
		"               [--loss P] [--dup P] [--clients C] [--requests R]\n"
		"               [--no-partitions] [--bug NAME] [--client-bug NAME]\n"
		"               [--lossy-replica R] [--kill-all N] [--recover N]\n"
		"               [--key-refresh MS]\n"
		"               [--expect-violation KIND] [--safety-only] [--verbose]\n"
		"modes: crash silent corrupt-mac wrong-result wrong-checkpoint replay\n"
		"       crash-restart power-loss corrupt-state bad-state-transfer\n"
		"       primary-equivocate primary-silent primary-crash primary-slow\n"
		"       primary-censor primary-bad-seq primary-bad-time\n"
		"bugs (test-hook build): weak-quorums local-time reexecute no-status\n"
		"       forget-log recover-early;\n"
		"client bugs: one-reply\n");
	exit(2);
}

static const struct { const char *name; uint32_t bit; } bugs[] = {
	{ "weak-quorums", BFT_BUG_WEAK_QUORUMS }, { "local-time", BFT_BUG_LOCAL_TIME },
	{ "reexecute", BFT_BUG_REEXECUTE }, { "no-status", BFT_BUG_NO_STATUS },
	{ "forget-log", BFT_BUG_FORGET_LOG },
	{ "recover-early", BFT_BUG_RECOVER_EARLY },
};

static uint32_t parse_bug(const char *name)
{
	for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++)
		if (strcmp(name, bugs[i].name) == 0)
			return bugs[i].bit;
	fprintf(stderr, "bft-sim: unknown bug '%s'\n", name);
	usage();
	return 0;
}

static void parse_modes(struct sim_opts *o, const char *arg)
{
	char buf[256], *tok, *save = NULL;

	snprintf(o->mode_arg, sizeof(o->mode_arg), "%s", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum sim_fault f = sim_fault_parse(tok);

		if (f == FAULT_NONE || o->n_modes >= FAULT_COUNT) {
			fprintf(stderr, "bft-sim: unknown fault mode '%s'\n", tok);
			usage();
		}
		o->modes[o->n_modes++] = f;
	}
}

static double num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || v < 0) {
		fprintf(stderr, "bft-sim: '%s' is not a non-negative number\n", s);
		usage();
	}
	return v;
}

static void parse(struct sim_opts *o, int argc, char **argv)
{
	*o = (struct sim_opts){ .seeds = 100, .first_seed = 1, .f = 1, .clients = 3,
				.requests = 20, .partitions = true, .lossy_replica = -1,
				.key_refresh_ms = 1000 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-partitions")) { o->partitions = false; continue; }
		if (!strcmp(a, "--verbose")) { o->verbose = true; continue; }
		if (!strcmp(a, "--safety-only")) { o->safety_only = true; continue; }
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--seeds")) o->seeds = (uint64_t)num(v);
		else if (!strcmp(a, "--first-seed")) o->first_seed = (uint64_t)num(v);
		else if (!strcmp(a, "--f")) o->f = (uint32_t)num(v);
		else if (!strcmp(a, "--faulty")) parse_modes(o, v);
		else if (!strcmp(a, "--expect-violation")) {
			o->expect_violation = true;
			snprintf(o->expect_kind, sizeof(o->expect_kind), "%s:", v);
		} else if (!strcmp(a, "--lossy-replica")) o->lossy_replica = (int)num(v);
		else if (!strcmp(a, "--loss")) o->loss = num(v);
		else if (!strcmp(a, "--dup")) o->dup = num(v);
		else if (!strcmp(a, "--clients")) o->clients = (uint32_t)num(v);
		else if (!strcmp(a, "--requests")) o->requests = (uint32_t)num(v);
		else if (!strcmp(a, "--kill-all")) o->kill_all = (uint32_t)num(v);
		else if (!strcmp(a, "--recover")) o->recover = (uint32_t)num(v);
		else if (!strcmp(a, "--key-refresh")) o->key_refresh_ms = (uint64_t)num(v);
		else if (!strcmp(a, "--bug")) {
			o->bug |= parse_bug(v);
			snprintf(o->bug_arg, sizeof(o->bug_arg), "%s", v);
		} else if (!strcmp(a, "--client-bug")) {
			if (strcmp(v, "one-reply"))
				usage();
			o->client_bug = BFT_CLIENT_BUG_ONE_REPLY;
		} else
			usage();
	}
	if (o->f < 1 || 3 * o->f + 1 + o->clients > SIM_MAX_NODES || o->clients < 1 ||
	    o->loss >= 1 || o->dup >= 1 || o->seeds < 1) {
		fprintf(stderr, "bft-sim: need f >= 1, 1..%u nodes in all, loss and dup < 1\n",
			SIM_MAX_NODES);
		usage();
	}
}

static void print_replay(const struct sim_opts *o, const char *argv0, uint64_t seed)
{
	printf("replay: %s --seeds 1 --first-seed %llu --f %u --clients %u --requests %u "
	       "--loss %g --dup %g%s", argv0, (unsigned long long)seed, o->f, o->clients,
	       o->requests, o->loss, o->dup, o->partitions ? "" : " --no-partitions");
	if (o->safety_only)
		printf(" --safety-only");
	if (o->lossy_replica >= 0)
		printf(" --lossy-replica %d", o->lossy_replica);
	if (o->kill_all)
		printf(" --kill-all %u", o->kill_all);
	if (o->recover)
		printf(" --recover %u", o->recover);
	if (o->key_refresh_ms != 1000)
		printf(" --key-refresh %llu", (unsigned long long)o->key_refresh_ms);
	if (o->n_modes)
		printf(" --faulty %s", o->mode_arg);
	if (o->bug)
		printf(" --bug %s", o->bug_arg);
	if (o->client_bug)
		printf(" --client-bug one-reply");
	printf("\n");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sim_opts o;
	struct sim *s = malloc(sizeof(*s));
	uint64_t violations = 0, completed = 0, transfers = 0, expected = 0, seed;
	uint64_t view_changes = 0, n_rec = 0, *rec, restarts = 0, recoveries = 0, rec_max = 0;

	if (!s)
		return 1;
	parse(&o, argc, argv);
	rec = calloc(o.seeds, sizeof(*rec));
	if (!rec)
		return 1;
	for (seed = o.first_seed; seed < o.first_seed + o.seeds; seed++) {
		if (sim_run_seed(&o, seed, s))
			return 1;
		completed += s->completed;
		view_changes += s->max_view;
		if (s->max_view && s->recovered_at > s->fail_at)
			rec[n_rec++] = s->recovered_at - s->fail_at;
		transfers += s->transfers;
		restarts += s->restarts;
		recoveries += s->recoveries;
		if (s->rec_max_us > rec_max)
			rec_max = s->rec_max_us;
		if (!s->violated)
			continue;
		violations++;
		if (o.expect_violation &&
		    !strncmp(s->violation, o.expect_kind, strlen(o.expect_kind)))
			expected++;
		if (!o.expect_violation || violations <= 3) {
			printf("VIOLATION seed %llu: %s\n", (unsigned long long)seed, s->violation);
			print_replay(&o, argv[0], seed);
		}
	}
	qsort(rec, n_rec, sizeof(*rec), cmp_u64);
	printf("%llu seeds, %llu violations, %llu requests completed, "
	       "%llu state transfers, %llu restarts, %llu view changes, "
	       "recovery median %.0f ms max %.0f ms\n",
	       (unsigned long long)o.seeds, (unsigned long long)violations,
	       (unsigned long long)completed, (unsigned long long)transfers,
	       (unsigned long long)restarts, (unsigned long long)view_changes,
	       n_rec ? (double)rec[n_rec / 2] / 1000 : 0.0,
	       n_rec ? (double)rec[n_rec - 1] / 1000 : 0.0);
	if (o.recover)
		printf("%llu proactive recoveries, longest %.0f ms\n",
		       (unsigned long long)recoveries, (double)rec_max / 1000);
	free(rec);
	free(s);
	if (o.expect_violation) {
		if (!expected)
			printf("expected a '%s' violation: the checker missed the broken "
			       "replica\n", o.expect_kind);
		return expected ? 0 : 1;
	}
	return violations ? 1 : 0;
}
