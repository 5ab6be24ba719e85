/* Three generated sources, each a pure function of (config, duration, seed), yielding
 * records in time order (arrival = event time; these sources send at once):
 * - logs: `hosts` servers log at `rate` lines/s in calm periods and `burst_rate` in
 *   bursts (a two-state Markov-modulated Poisson process; calm and burst lengths are
 *   exponential with means burst_every and burst_length); levels debug 10%, info 70%,
 *   warn 15%, error 5%; during [attack_at, attack_at + attack_length) host attack_host
 *   adds `attack_rate` alert lines/s (a brute-force attack). Streams "source:logs" and
 *   "source:logs:attack".
 * - ads: bid requests at `rate`/s, campaign uniform; each wins an impression with
 *   probability win_rate (at the same instant), each impression is clicked with
 *   probability ctr after an exponential delay of mean click_delay. Values: bid 0,
 *   impression 1, click 2. Stream "source:ads".
 * - clicks: sessions start at `rate`/s, user uniform; a session has a geometric number
 *   of page views (mean `clicks`, at least 1) separated by exponential think times of
 *   mean `think`; pages uniform. Stream "source:clicks".
 * Pending events sit in a heap ordered by (time, seq): ties leave in creation order. */
#include <stdlib.h>

#include "source.h"

#define CLICKS_SESSION_MAX 100000u /* page views one session may have */

static uint64_t gap_ns(struct rng *r, double rate_per_s) {
    return rate_per_s > 0 ? rng_exponential(r, src_gap_mean_ns(rate_per_s)) : UINT64_MAX / 4;
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
    return b > UINT64_MAX / 4 - a ? UINT64_MAX / 4 : a + b;
}

static bool emit(struct src_gen *g, struct src_record *r, uint64_t t, uint32_t key, int64_t v) {
    r->id = g->next_id++;
    r->event_ns = r->arrival_ns = t;
    r->key = key;
    r->value = v;
    return true;
}

/* ---- logs ---- */

static bool bursts_on(const struct pipe_source *c) {
    return c->burst_rate_per_s > 0 && c->burst_every_ns && c->burst_length_ns;
}

/* The next calm-or-burst arrival after t: memoryless, so a draw that crosses the state
 * switch restarts from the switch in the new state. */
static uint64_t logs_arrival(struct src_gen *g, uint64_t t) {
    const struct pipe_source *c = &g->cfg;
    for (;;) {
        uint64_t next = add_sat(t, gap_ns(&g->rng, g->burst ? c->burst_rate_per_s : c->rate_per_s));
        if (!bursts_on(c) || next < g->switch_ns || g->switch_ns >= g->duration_ns) return next;
        t = g->switch_ns;
        g->burst = !g->burst;
        g->switch_ns =
            add_sat(t, rng_exponential(&g->rng, g->burst ? c->burst_length_ns : c->burst_every_ns));
    }
}

static uint64_t attack_next(struct src_gen *g, uint64_t t) {
    const struct pipe_source *c = &g->cfg;
    uint64_t next = add_sat(t, gap_ns(&g->rng2, c->attack_rate_per_s));
    return next < add_sat(c->attack_at_ns, c->attack_length_ns) ? next : UINT64_MAX / 4;
}

int src_logs_init(struct src_gen *g, uint64_t seed) {
    const struct pipe_source *c = &g->cfg;
    rng_init(&g->rng, seed, "source:logs");
    rng_init(&g->rng2, seed, "source:logs:attack");
    g->switch_ns = bursts_on(c) ? rng_exponential(&g->rng, c->burst_every_ns) : UINT64_MAX / 4;
    g->next_ns = logs_arrival(g, 0);
    g->next2_ns = c->attack_rate_per_s > 0 && c->attack_length_ns ? attack_next(g, c->attack_at_ns)
                                                                  : UINT64_MAX / 4;
    return 0;
}

bool src_logs_next(struct src_gen *g, struct src_record *r) {
    bool attack = g->next2_ns < g->next_ns;
    uint64_t t = attack ? g->next2_ns : g->next_ns;
    if (t >= g->duration_ns) return false;
    if (attack) {
        g->next2_ns = attack_next(g, t);
        return emit(g, r, t, g->cfg.attack_host, SRC_LOG_ALERT);
    }
    uint32_t host = (uint32_t)rng_below(&g->rng, g->cfg.keys);
    uint64_t u = rng_below(&g->rng, 100);
    int64_t level = u < 10   ? SRC_LOG_DEBUG
                    : u < 80 ? SRC_LOG_INFO
                    : u < 95 ? SRC_LOG_WARN
                             : SRC_LOG_ERROR;
    g->next_ns = logs_arrival(g, t);
    return emit(g, r, t, host, level);
}

/* ---- ads ---- */

/* A pending impression or click: slot = campaign * 4 + event. */
int src_ads_init(struct src_gen *g, uint64_t seed) {
    rng_init(&g->rng, seed, "source:ads");
    g->next_ns = gap_ns(&g->rng, g->cfg.rate_per_s);
    return heap_init(&g->pending, 256);
}

bool src_ads_next(struct src_gen *g, struct src_record *r) {
    const struct pipe_source *c = &g->cfg;
    const struct heap_entry *top = heap_top(&g->pending);
    if (top && top->time <= g->next_ns) {
        struct heap_entry e = heap_pop(&g->pending);
        if (e.time >= g->duration_ns) return false; /* every later event is later still */
        uint32_t campaign = (uint32_t)(e.slot / 4);
        int64_t ev = (int64_t)(e.slot % 4);
        if (ev == SRC_AD_IMPRESSION && rng_bernoulli(&g->rng, c->ctr)) {
            uint64_t at = add_sat(
                e.time, c->click_delay_ns ? rng_exponential(&g->rng, c->click_delay_ns) : 0);
            struct heap_entry click = {at, g->seq++, (uint64_t)campaign * 4 + SRC_AD_CLICK};
            FT_ASSERT(heap_push(&g->pending, click) == 0); /* out of memory */
        }
        return emit(g, r, e.time, campaign, ev);
    }
    uint64_t t = g->next_ns;
    if (t >= g->duration_ns) return false;
    uint32_t campaign = (uint32_t)rng_below(&g->rng, c->keys);
    if (rng_bernoulli(&g->rng, c->win_p)) {
        struct heap_entry imp = {t, g->seq++, (uint64_t)campaign * 4 + SRC_AD_IMPRESSION};
        FT_ASSERT(heap_push(&g->pending, imp) == 0); /* out of memory */
    }
    g->next_ns = add_sat(t, gap_ns(&g->rng, c->rate_per_s));
    return emit(g, r, t, campaign, SRC_AD_BID);
}

/* ---- clicks ---- */

/* A pending page view: slot = user | views left after it << 32. */
int src_clicks_init(struct src_gen *g, uint64_t seed) {
    rng_init(&g->rng, seed, "source:clicks");
    g->next_ns = gap_ns(&g->rng, g->cfg.rate_per_s);
    return heap_init(&g->pending, 256);
}

static uint64_t session_views(struct src_gen *g) {
    double m = g->cfg.clicks_per_session, more = m > 1 ? 1.0 - 1.0 / m : 0.0;
    uint64_t n = 1;
    while (n < CLICKS_SESSION_MAX && rng_bernoulli(&g->rng, more))
        n++;
    return n;
}

bool src_clicks_next(struct src_gen *g, struct src_record *r) {
    const struct pipe_source *c = &g->cfg;
    const struct heap_entry *top = heap_top(&g->pending);
    uint64_t t, left;
    uint32_t user;
    if (top && top->time <= g->next_ns) {
        struct heap_entry e = heap_pop(&g->pending);
        t = e.time;
        user = (uint32_t)(e.slot & 0xffffffffu);
        left = e.slot >> 32;
    } else {
        t = g->next_ns;
        user = (uint32_t)rng_below(&g->rng, c->keys);
        left = session_views(g) - 1;
        g->next_ns = add_sat(t, gap_ns(&g->rng, c->rate_per_s));
    }
    if (t >= g->duration_ns) return false;
    int64_t page = (int64_t)rng_below(&g->rng, c->pages);
    if (left) {
        uint64_t at = add_sat(t, c->think_ns ? rng_exponential(&g->rng, c->think_ns) : 0);
        struct heap_entry view = {at, g->seq++, (left - 1) << 32 | user};
        FT_ASSERT(heap_push(&g->pending, view) == 0); /* out of memory */
    }
    return emit(g, r, t, user, page);
}
