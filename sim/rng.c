/* xoshiro256** streams keyed by BLAKE2b(seed, name); see rng.h for the guarantees. */
#include "rng.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#include "err.h"

static uint64_t load_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

void rng_init(struct rng *r, uint64_t seed, const char *name) {
    unsigned char key[8], out[32];
    for (int i = 0; i < 8; i++) key[i] = (unsigned char)(seed >> (8 * i));
    FT_ASSERT(crypto_generichash(out, sizeof out, (const unsigned char *)name, strlen(name), key,
                                 sizeof key) == 0);
    for (int i = 0; i < 4; i++) r->s[i] = load_le64(out + 8 * i);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 0x9e3779b97f4a7c15ull;
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(struct rng *r) {
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

bool rng_bernoulli(struct rng *r, double p) {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return rng_uniform(r) < p;
}

uint64_t rng_below(struct rng *r, uint64_t n) {
    if (n == 0) return 0;
    /* Lemire's multiply-shift ("Fast random integer generation in an interval", 2019):
     * the high word of x * n is uniform in [0, n) once the low words below
     * 2^64 mod n are rejected; the division that finds that bound runs only when a
     * low word falls under n, which is rare. Pure integer arithmetic: the same on
     * every build. */
    __extension__ typedef unsigned __int128 u128;
    u128 m = (u128)rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (u128)rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi) {
    if (lo >= hi) return lo;
    if (lo == 0 && hi == UINT64_MAX) return rng_next(r);
    return lo + rng_below(r, hi - lo + 1);
}

uint64_t rng_exponential(struct rng *r, uint64_t mean) {
    /* Inverse CDF on (0, 1]: 1 - u is never 0, so log never sees 0. */
    double u = 1.0 - rng_uniform(r);
    double x = -log(u) * (double)mean;
    if (x >= 0x1.0p63) return UINT64_MAX / 2;
    return (uint64_t)x;
}

double rng_gaussian(struct rng *r) {
    double u1 = 1.0 - rng_uniform(r), u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
