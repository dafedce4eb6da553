/*
 * sim_rng.c — the simulation's only source of randomness: splitmix64 from
 * the seed, so a seed fully determines a run.
 */
#include "sim.h"

uint64_t sim_rand(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t sim_between(struct sim *s, uint64_t lo, uint64_t hi)
{
	return lo + sim_rand(s) % (hi - lo + 1);
}

bool sim_chance(struct sim *s, double p)
{
	return p > 0 && (double)(sim_rand(s) >> 11) * (1.0 / 9007199254740992.0) < p;
}
