/* The generators behind the sources. keyed: Poisson arrivals at `rate`, keys uniform,
 * values uniform in [0, 1000). iot: device d reads at k*period + phase_d + jitter
 * (uniform in [-jitter, +jitter]), value = a temperature in milli-degrees; each device
 * has its own RNG stream "source:iot:d", so adding devices never changes others'. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sort.h"

/* The time of device d's next reading: slot * period + phase + jitter, never below 0. */
static uint64_t iot_time(const struct pipe_source *cfg, struct src_device *d) {
    uint64_t base = d->slot * cfg->period_ns + d->phase_ns;
    uint64_t j = cfg->jitter_ns;
    uint64_t off = j ? rng_range(&d->rng, 0, 2 * j) : 0;
    return base + off >= j ? base + off - j : 0;
}

static uint64_t iot_value(struct src_device *d, uint32_t id) {
    return (uint64_t)(20000 + (int64_t)(id % 100) * 10 + (int64_t)rng_below(&d->rng, 1001) - 500);
}

static void iot_device_init(struct src_device *d, const struct pipe_source *cfg, uint64_t seed,
                            uint32_t id) {
    char name[48];
    snprintf(name, sizeof name, "source:iot:%u", id);
    rng_init(&d->rng, seed, name);
    d->slot = 0;
    d->phase_ns = rng_below(&d->rng, cfg->period_ns);
}

/* Generates the next slot's readings into batch b, sorted by (time, device). Each
 * device draws its jitter, then its value: the order src_gen_counts draws them in. */
static void iot_batch(struct src_gen *g, struct src_batch *b) {
    const struct pipe_source *cfg = &g->cfg;
    uint64_t slot = g->next_slot++;
    uint64_t start = slot * cfg->period_ns;
    b->base_ns = start >= cfg->jitter_ns ? start - cfg->jitter_ns : 0;
    b->n = cfg->keys;
    b->pos = 0;
    for (uint32_t id = 0; id < cfg->keys; id++) {
        struct src_device *d = &g->dev[id];
        FT_ASSERT(d->slot == slot);
        uint64_t t = iot_time(cfg, d);
        b->value[id] = (int32_t)iot_value(d, id);
        d->slot++;
        FT_ASSERT(t >= b->base_ns && ((t - b->base_ns) >> (64 - g->id_bits)) == 0);
        b->key[id] = (t - b->base_ns) << g->id_bits | id;
    }
    uint64_t *sorted = sort_u64(b->key, g->scratch, b->n);
    if (sorted != b->key) {
        g->scratch = b->key;
        b->key = sorted;
    }
}

int src_gen_init(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed) {
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    g->duration_ns = duration_ns;
    if (cfg->kind == SRC_KEYED) {
        rng_init(&g->rng, seed, "source:keyed");
        double mean = cfg->rate_per_s > 0 ? 1e9 / cfg->rate_per_s : 1e18;
        g->next_ns = rng_exponential(&g->rng, (uint64_t)mean);
        return 0;
    }
    uint32_t n = cfg->keys;
    if (n == 0 || cfg->period_ns == 0 || 2 * cfg->jitter_ns >= cfg->period_ns) return FT_EINVAL;
    while (g->id_bits < 32 && (1ull << g->id_bits) < n) g->id_bits++;
    /* A batch spans less than two periods; its offsets must fit above the device bits. */
    if (g->id_bits == 0) g->id_bits = 1;
    if ((2 * cfg->period_ns) >> (64 - g->id_bits)) return FT_EINVAL;
    g->dev = malloc(n * sizeof *g->dev);
    g->scratch = malloc(n * sizeof *g->scratch);
    for (int b = 0; b < 2; b++) {
        g->batch[b].key = malloc(n * sizeof *g->batch[b].key);
        g->batch[b].value = malloc(n * sizeof *g->batch[b].value);
    }
    if (!g->dev || !g->scratch || !g->batch[0].key || !g->batch[0].value || !g->batch[1].key ||
        !g->batch[1].value) {
        src_gen_free(g);
        return FT_ENOMEM;
    }
    for (uint32_t d = 0; d < n; d++) iot_device_init(&g->dev[d], cfg, seed, d);
    iot_batch(g, &g->batch[0]);
    iot_batch(g, &g->batch[1]);
    return 0;
}

/* A batch's next reading's time and device; false when the batch is used up. */
static inline bool batch_head(const struct src_gen *g, const struct src_batch *b, uint64_t *t,
                              uint32_t *id) {
    if (b->pos == b->n) return false;
    uint64_t k = b->key[b->pos];
    *t = b->base_ns + (k >> g->id_bits);
    *id = (uint32_t)(k & ((1ull << g->id_bits) - 1));
    return true;
}

bool src_gen_next(struct src_gen *g, struct src_record *r) {
    if (g->cfg.kind == SRC_KEYED) {
        if (g->next_ns >= g->duration_ns) return false;
        r->id = g->next_id++;
        r->event_ns = g->next_ns;
        r->key = (uint32_t)rng_below(&g->rng, g->cfg.keys);
        r->value = (int64_t)rng_below(&g->rng, 1000);
        double mean = 1e9 / g->cfg.rate_per_s;
        g->next_ns += rng_exponential(&g->rng, (uint64_t)mean);
        return true;
    }
    struct src_batch *a = &g->batch[g->cur], *b = &g->batch[g->cur ^ 1];
    if (a->pos == a->n) { /* slot k is used up: k + 1 becomes current, k + 2 is made */
        g->cur ^= 1;
        iot_batch(g, a);
        struct src_batch *t = a;
        a = b;
        b = t;
    }
    uint64_t ta, tb;
    uint32_t ia, ib;
    bool ha = batch_head(g, a, &ta, &ia), hb = batch_head(g, b, &tb, &ib);
    FT_ASSERT(ha);
    struct src_batch *from = a;
    if (hb && (tb < ta || (tb == ta && ib < ia))) {
        from = b;
        ta = tb;
        ia = ib;
    }
    if (ta >= g->duration_ns) return false;
    from->pos++;
    r->id = g->next_id++;
    r->event_ns = ta;
    r->key = ia;
    r->value = from->value[ia];
    return true;
}

void src_gen_free(struct src_gen *g) {
    free(g->dev);
    free(g->scratch);
    for (int b = 0; b < 2; b++) {
        free(g->batch[b].key);
        free(g->batch[b].value);
    }
    memset(g, 0, sizeof *g);
}

int src_gen_counts(const struct pipe_source *cfg, uint64_t duration_ns, uint64_t seed,
                   uint64_t *counts, uint64_t *total) {
    *total = 0;
    if (cfg->kind == SRC_KEYED) {
        struct src_gen g;
        if (src_gen_init(&g, cfg, duration_ns, seed) != 0) return FT_ENOMEM;
        struct src_record r;
        while (src_gen_next(&g, &r)) {
            counts[r.key]++;
            (*total)++;
        }
        src_gen_free(&g);
        return 0;
    }
    /* A device's readings stop at its first one at or past the end, as in the merge. */
    for (uint32_t id = 0; id < cfg->keys; id++) {
        struct src_device d;
        iot_device_init(&d, cfg, seed, id);
        while (iot_time(cfg, &d) < duration_ns) {
            (void)iot_value(&d, id);
            d.slot++;
            counts[id]++;
        }
        *total += counts[id];
    }
    return 0;
}
