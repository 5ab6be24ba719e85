/* The generators behind the sources: keyed, iot and csv here, logs/ads/clicks in
 * sources.c. keyed: Poisson arrivals at `rate`, keys uniform, values uniform in
 * [0, 1000). iot: device d reads at k*period + phase_d + jitter (uniform in [-jitter,
 * +jitter]), value = a temperature in milli-degrees; each device has its own RNG stream
 * "source:iot:d", so adding devices never changes others'. The iot extras (clock skew,
 * transmit delay, outages, battery gaps) draw from the same stream only when switched
 * on, so a scenario without them keeps its numbers. csv: the file's rows by arrival. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* ---- iot ---- */

static bool iot_extras(const struct pipe_source *c) {
    return c->skew_ns || c->delay_ns || c->outage_p > 0 || c->battery_p > 0;
}

static uint64_t iot_time(struct src_gen *g, uint32_t d) {
    uint64_t base = g->dev_slot[d] * g->cfg.period_ns + g->dev_phase[d];
    uint64_t j = g->cfg.jitter_ns;
    uint64_t off = j ? rng_range(&g->dev_rng[d], 0, 2 * j) : 0;
    /* base + off - j, never below 0 */
    return base + off >= j ? base + off - j : 0;
}

/* The next reading of device d as a heap entry keyed by its arrival time. Without the
 * extras, arrival = event = the reading's true time. */
static struct heap_entry iot_next(struct src_gen *g, uint32_t d) {
    uint64_t t = iot_time(g, d);
    if (!g->dev_event) return (struct heap_entry){t, d, d};
    const struct pipe_source *c = &g->cfg;
    while (g->dev_dead_until[d] > t && t < g->duration_ns) { /* battery gap: no reading */
        g->dev_slot[d]++;
        t = iot_time(g, d);
    }
    uint64_t arrival = t + (c->delay_ns ? rng_range(&g->dev_rng[d], 0, c->delay_ns) : 0);
    if (g->dev_down_until[d] > t && arrival < g->dev_down_until[d])
        arrival = g->dev_down_until[d]; /* queued during the outage */
    if (arrival < g->dev_last[d]) arrival = g->dev_last[d];
    g->dev_event[d] = t; /* the true reading time; the device's clock adds its skew */
    return (struct heap_entry){arrival, d, d};
}

static int iot_init(struct src_gen *g, uint64_t seed) {
    const struct pipe_source *c = &g->cfg;
    uint32_t n = c->keys;
    g->dev_rng = malloc(n * sizeof *g->dev_rng);
    g->dev_slot = calloc(n, sizeof *g->dev_slot);
    g->dev_phase = calloc(n, sizeof *g->dev_phase);
    if (!g->dev_rng || !g->dev_slot || !g->dev_phase || heap_init(&g->pending, n) != 0)
        return FT_ENOMEM;
    if (iot_extras(c)) {
        g->dev_skew = calloc(n, sizeof *g->dev_skew);
        g->dev_event = calloc(n, sizeof *g->dev_event);
        g->dev_last = calloc(n, sizeof *g->dev_last);
        g->dev_down_until = calloc(n, sizeof *g->dev_down_until);
        g->dev_dead_until = calloc(n, sizeof *g->dev_dead_until);
        if (!g->dev_skew || !g->dev_event || !g->dev_last || !g->dev_down_until ||
            !g->dev_dead_until)
            return FT_ENOMEM;
    }
    for (uint32_t d = 0; d < n; d++) {
        char name[48];
        snprintf(name, sizeof name, "source:iot:%u", d);
        rng_init(&g->dev_rng[d], seed, name);
        g->dev_phase[d] = rng_below(&g->dev_rng[d], c->period_ns);
        if (c->skew_ns)
            g->dev_skew[d] =
                (int64_t)rng_range(&g->dev_rng[d], 0, 2 * c->skew_ns) - (int64_t)c->skew_ns;
        if (heap_push(&g->pending, iot_next(g, d)) != 0) return FT_ENOMEM;
    }
    return 0;
}

static bool iot_next_record(struct src_gen *g, struct src_record *r) {
    const struct heap_entry *top = heap_top(&g->pending);
    if (!top || top->time >= g->duration_ns) return false;
    struct heap_entry e = heap_pop(&g->pending);
    uint32_t d = (uint32_t)e.slot;
    r->id = g->next_id++;
    r->arrival_ns = e.time;
    r->event_ns = e.time;
    r->key = d;
    r->value = 20000 + (int64_t)(d % 100) * 10 + (int64_t)rng_below(&g->dev_rng[d], 1001) - 500;
    if (g->dev_event) {
        uint64_t t = g->dev_event[d];
        int64_t ev = (int64_t)t + g->dev_skew[d];
        r->event_ns = ev > 0 ? (uint64_t)ev : 0;
        g->dev_last[d] = e.time;
        if (g->cfg.outage_p > 0 && rng_bernoulli(&g->dev_rng[d], g->cfg.outage_p))
            g->dev_down_until[d] = t + g->cfg.outage_ns;
        if (g->cfg.battery_p > 0 && rng_bernoulli(&g->dev_rng[d], g->cfg.battery_p))
            g->dev_dead_until[d] = t + g->cfg.battery_ns;
    }
    g->dev_slot[d]++;
    /* cannot fail: the heap holds at most one entry per device, its capacity */
    FT_ASSERT(heap_push(&g->pending, iot_next(g, d)) == 0);
    return true;
}

/* ---- csv ---- */

static bool csv_next_record(struct src_gen *g, struct src_record *r) {
    if (g->csv_next >= g->csv.n) return false;
    const struct csv_row *row = &g->csv.rows[g->csv_next];
    if (row->arrival_ns >= g->duration_ns) return false;
    r->id = g->next_id++;
    r->event_ns = row->event_ns;
    r->arrival_ns = row->arrival_ns;
    r->key = row->key;
    r->value = row->value;
    g->csv_next++;
    return true;
}

/* ---- dispatch ---- */

int src_gen_open(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed, struct ft_error *err) {
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    g->duration_ns = duration_ns;
    int rc = 0;
    switch (cfg->kind) {
    case SRC_KEYED: {
        rng_init(&g->rng, seed, "source:keyed");
        double mean = cfg->rate_per_s > 0 ? 1e9 / cfg->rate_per_s : 1e18;
        g->next_ns = rng_exponential(&g->rng, (uint64_t)mean);
        break;
    }
    case SRC_IOT:
        rc = iot_init(g, seed);
        break;
    case SRC_CSV:
        rc = csv_load(cfg->csv_path, &g->csv, err);
        break;
    case SRC_LOGS:
        rc = src_logs_init(g, seed);
        break;
    case SRC_ADS:
        rc = src_ads_init(g, seed);
        break;
    case SRC_CLICKS:
        rc = src_clicks_init(g, seed);
        break;
    }
    if (rc == FT_ENOMEM) ft_fail(err, rc, "out of memory for the source generator");
    if (rc) src_gen_free(g);
    return rc;
}

int src_names_open(struct src_gen *g, const struct pipe_source *cfg, struct ft_error *err) {
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    return cfg->kind == SRC_CSV ? csv_load(cfg->csv_path, &g->csv, err) : 0;
}

int src_gen_init(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed) {
    return src_gen_open(g, cfg, duration_ns, seed, NULL);
}

bool src_gen_next(struct src_gen *g, struct src_record *r) {
    switch (g->cfg.kind) {
    case SRC_KEYED:
        if (g->next_ns >= g->duration_ns) return false;
        r->id = g->next_id++;
        r->event_ns = r->arrival_ns = g->next_ns;
        r->key = (uint32_t)rng_below(&g->rng, g->cfg.keys);
        r->value = (int64_t)rng_below(&g->rng, 1000);
        g->next_ns += rng_exponential(&g->rng, (uint64_t)(1e9 / g->cfg.rate_per_s));
        return true;
    case SRC_IOT:
        return iot_next_record(g, r);
    case SRC_CSV:
        return csv_next_record(g, r);
    case SRC_LOGS:
        return src_logs_next(g, r);
    case SRC_ADS:
        return src_ads_next(g, r);
    case SRC_CLICKS:
        return src_clicks_next(g, r);
    }
    return false;
}

void src_gen_free(struct src_gen *g) {
    free(g->dev_rng);
    free(g->dev_slot);
    free(g->dev_phase);
    free(g->dev_skew);
    free(g->dev_event);
    free(g->dev_last);
    free(g->dev_down_until);
    free(g->dev_dead_until);
    heap_free(&g->pending);
    csv_free(&g->csv);
    memset(g, 0, sizeof *g);
}

/* ---- names ---- */

static const char *const key_prefix[SRC_KINDS] = {[SRC_KEYED] = "key",
                                                  [SRC_IOT] = "device",
                                                  [SRC_LOGS] = "host",
                                                  [SRC_ADS] = "campaign",
                                                  [SRC_CLICKS] = "user"};
static const char *const log_levels[] = {"debug", "info", "warn", "error", "alert"};
static const char *const ad_events[] = {"bid", "impression", "click"};

const char *src_key_name(const struct src_gen *g, uint32_t key, char *buf, size_t size) {
    if (g->cfg.kind == SRC_CSV)
        snprintf(buf, size, "%s", key < g->csv.nkeys ? g->csv.keys[key] : "?");
    else
        snprintf(buf, size, "%s-%u", key_prefix[g->cfg.kind], key);
    return buf;
}

bool src_values_named(enum src_kind kind) {
    return kind == SRC_LOGS || kind == SRC_ADS || kind == SRC_CLICKS;
}

const char *src_value_name(const struct src_gen *g, int64_t v, char *buf, size_t size) {
    if (g->cfg.kind == SRC_LOGS && v >= 0 && v <= SRC_LOG_ALERT)
        snprintf(buf, size, "%s", log_levels[v]);
    else if (g->cfg.kind == SRC_ADS && v >= 0 && v <= SRC_AD_CLICK)
        snprintf(buf, size, "%s", ad_events[v]);
    else if (g->cfg.kind == SRC_CLICKS && v >= 0)
        snprintf(buf, size, "page-%lld", (long long)v);
    else
        snprintf(buf, size, "%lld", (long long)v);
    return buf;
}

bool src_value_parse(enum src_kind kind, const char *name, int64_t *v) {
    const char *const *names = kind == SRC_LOGS ? log_levels : kind == SRC_ADS ? ad_events : NULL;
    int n = kind == SRC_LOGS ? SRC_LOG_ALERT + 1 : SRC_AD_CLICK + 1;
    for (int i = 0; names && i < n; i++)
        if (!strcmp(name, names[i])) {
            *v = i;
            return true;
        }
    if (kind != SRC_CLICKS || strncmp(name, "page-", 5) || name[5] < '0' || name[5] > '9' ||
        (name[5] == '0' && name[6]))
        return false;
    char *end;
    unsigned long long p = strtoull(name + 5, &end, 10);
    if (*end || p > INT64_MAX) return false;
    *v = (int64_t)p;
    return true;
}

int64_t src_key_parse(const struct src_gen *g, const char *name) {
    if (g->cfg.kind == SRC_CSV) return csv_key_id(&g->csv, name);
    const char *p = key_prefix[g->cfg.kind];
    size_t n = strlen(p);
    if (strncmp(name, p, n) || name[n] != '-' || name[n + 1] < '0' || name[n + 1] > '9') return -1;
    if (name[n + 1] == '0' && name[n + 2]) return -1; /* no leading zeros */
    char *end;
    unsigned long long k = strtoull(name + n + 1, &end, 10);
    return *end || k >= g->cfg.keys ? -1 : (int64_t)k;
}
