/* The generators behind the sources. keyed: Poisson arrivals at `rate`, keys uniform,
 * values uniform in [0, 1000). iot: device d reads at k*period + phase_d + jitter
 * (uniform in [-jitter, +jitter]), value = a temperature in milli-degrees; each device
 * has its own RNG stream "source:iot:d", so adding devices never changes others'. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static uint64_t iot_time(struct src_gen *g, uint32_t d) {
    uint64_t base = g->dev_slot[d] * g->cfg.period_ns + g->dev_phase[d];
    uint64_t j = g->cfg.jitter_ns;
    uint64_t off = j ? rng_range(&g->dev_rng[d], 0, 2 * j) : 0;
    /* base + off - j, never below 0 */
    return base + off >= j ? base + off - j : 0;
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
    g->dev_rng = malloc(n * sizeof *g->dev_rng);
    g->dev_slot = calloc(n, sizeof *g->dev_slot);
    g->dev_phase = calloc(n, sizeof *g->dev_phase);
    if (!g->dev_rng || !g->dev_slot || !g->dev_phase || heap_init(&g->pending, n) != 0) {
        src_gen_free(g);
        return FT_ENOMEM;
    }
    for (uint32_t d = 0; d < n; d++) {
        char name[48];
        snprintf(name, sizeof name, "source:iot:%u", d);
        rng_init(&g->dev_rng[d], seed, name);
        g->dev_phase[d] = rng_below(&g->dev_rng[d], cfg->period_ns);
        if (heap_push(&g->pending, (struct heap_entry){iot_time(g, d), d, d}) != 0) {
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
    struct heap_entry e = heap_pop(&g->pending);
    uint32_t d = (uint32_t)e.slot;
    r->id = g->next_id++;
    r->event_ns = e.time;
    r->key = d;
    r->value = 20000 + (int64_t)(d % 100) * 10 + (int64_t)rng_below(&g->dev_rng[d], 1001) - 500;
    g->dev_slot[d]++;
    /* cannot fail: the heap holds at most one entry per device, its capacity */
    FT_ASSERT(heap_push(&g->pending, (struct heap_entry){iot_time(g, d), d, d}) == 0);
    return true;
}

void src_gen_free(struct src_gen *g) {
    free(g->dev_rng);
    free(g->dev_slot);
    free(g->dev_phase);
    heap_free(&g->pending);
    memset(g, 0, sizeof *g);
}
