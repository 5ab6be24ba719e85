/* Seeded random streams, one per component (DESIGN.md §2).
 * A stream's 256-bit xoshiro256** state is BLAKE2b-256(key = seed as 8 little-endian
 * bytes, message = component name), so a component's numbers depend only on the seed
 * and its own name: adding a component never shifts another's stream. Every draw uses
 * integer arithmetic or exactly-rounded IEEE operations, so gcc and clang at any -O
 * give the same numbers (exponential uses libm's log, the same on every build here). */
#ifndef FTSIM_RNG_H
#define FTSIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Derives the stream of component `name` under `seed`. */
void rng_init(struct rng *r, uint64_t seed, const char *name);
uint64_t rng_next(struct rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *r);
/* True with probability p (p <= 0: never, p >= 1: always). */
bool rng_bernoulli(struct rng *r, double p);
/* Unbiased integer in [0, n); n == 0 returns 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Unbiased integer in [lo, hi] (inclusive); lo > hi returns lo. */
uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi);
/* Standard normal (Box-Muller, one draw per call: sqrt(-2 log u1) cos(2 pi u2) with
 * u1 in (0, 1]); log and cos are libm's, called at run time on every build. */
double rng_gaussian(struct rng *r);
/* Exponentially distributed with the given mean, rounded down to an integer. */
uint64_t rng_exponential(struct rng *r, uint64_t mean);

#endif
