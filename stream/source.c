/* The generators behind the sources. keyed: Poisson arrivals at `rate`, keys uniform,
 * values uniform in [0, 1000). iot: device d reads at k*period + phase_d + jitter
 * (uniform in [-jitter, +jitter]), value = a temperature in milli-degrees; each device
 * has its own RNG stream "source:iot:d", so adding devices never changes others'. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

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
    g->dev = malloc(n * sizeof *g->dev);
    if (!g->dev || heap_init(&g->pending, n) != 0) {
        src_gen_free(g);
        return FT_ENOMEM;
    }
    for (uint32_t d = 0; d < n; d++) {
        iot_device_init(&g->dev[d], cfg, seed, d);
        if (heap_push(&g->pending, (struct heap_entry){iot_time(cfg, &g->dev[d]), d, d}) != 0) {
            src_gen_free(g);
            return FT_ENOMEM;
        }
    }
    return 0;
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
    const struct heap_entry *top = heap_top(&g->pending);
    if (!top || top->time >= g->duration_ns) return false;
    uint32_t id = (uint32_t)top->slot;
    struct src_device *d = &g->dev[id];
    r->id = g->next_id++;
    r->event_ns = top->time;
    r->key = id;
    r->value = (int64_t)iot_value(d, id);
    d->slot++;
    /* the device's next reading takes its place: the heap keeps one entry per device */
    heap_replace_top(&g->pending, (struct heap_entry){iot_time(&g->cfg, d), id, id});
    return true;
}

void src_gen_free(struct src_gen *g) {
    free(g->dev);
    heap_free(&g->pending);
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
