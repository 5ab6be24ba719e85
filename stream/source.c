/* The generators behind the sources: keyed, iot and csv here, logs/ads/clicks in
 * sources.c. keyed: Poisson arrivals at `rate`, keys uniform, values uniform in
 * [0, 1000). iot: device d reads at k*period + phase_d + jitter (uniform in [-jitter,
 * +jitter]), value = a temperature in milli-degrees; each device has its own RNG stream
 * "source:iot:d", so adding devices never changes others'. Plain iot merges per-slot
 * radix-sorted batches; with the extras (clock skew, transmit delay, outages, battery
 * gaps) readings leave by arrival through a heap, and the extras draw from the device's
 * stream only when switched on, so a scenario without them keeps its numbers. csv: the
 * file's rows by arrival. */
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

static bool iot_extras(const struct pipe_source *c) {
    return c->skew_ns || c->delay_ns || c->outage_p > 0 || c->battery_p > 0;
}

/* ---- plain iot: per-slot batches ---- */

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

static int iot_plain_init(struct src_gen *g) {
    uint32_t n = g->cfg.keys;
    while (g->id_bits < 32 && (1ull << g->id_bits) < n) g->id_bits++;
    /* A batch spans less than two periods; its offsets must fit above the device bits. */
    if (g->id_bits == 0) g->id_bits = 1;
    if ((2 * g->cfg.period_ns) >> (64 - g->id_bits)) return FT_EINVAL;
    g->scratch = malloc(n * sizeof *g->scratch);
    for (int b = 0; b < 2; b++) {
        g->batch[b].key = malloc(n * sizeof *g->batch[b].key);
        g->batch[b].value = malloc(n * sizeof *g->batch[b].value);
    }
    if (!g->scratch || !g->batch[0].key || !g->batch[0].value || !g->batch[1].key ||
        !g->batch[1].value)
        return FT_ENOMEM;
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

static bool iot_plain_next(struct src_gen *g, struct src_record *r) {
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
    r->event_ns = r->arrival_ns = ta;
    r->key = ia;
    r->value = from->value[ia];
    return true;
}

/* ---- iot with extras: readings by arrival ---- */

/* The next reading of device d as a heap entry keyed by its arrival time; its true time
 * goes to dev_event[d]. Draws: jitter (and more for slots a dead battery skips), then
 * the delay. */
static struct heap_entry iot_extra_next(struct src_gen *g, uint32_t d) {
    const struct pipe_source *c = &g->cfg;
    struct src_device *dev = &g->dev[d];
    uint64_t t = iot_time(c, dev);
    while (g->dev_dead_until[d] > t && t < g->duration_ns) { /* battery gap: no reading */
        dev->slot++;
        t = iot_time(c, dev);
    }
    uint64_t arrival = t + (c->delay_ns ? rng_range(&dev->rng, 0, c->delay_ns) : 0);
    if (g->dev_down_until[d] > t && arrival < g->dev_down_until[d])
        arrival = g->dev_down_until[d]; /* queued during the outage */
    if (arrival < g->dev_last[d]) arrival = g->dev_last[d];
    g->dev_event[d] = t;
    return (struct heap_entry){arrival, d, d};
}

static int iot_extra_init(struct src_gen *g) {
    const struct pipe_source *c = &g->cfg;
    uint32_t n = c->keys;
    g->dev_skew = calloc(n, sizeof *g->dev_skew);
    g->dev_event = calloc(n, sizeof *g->dev_event);
    g->dev_last = calloc(n, sizeof *g->dev_last);
    g->dev_down_until = calloc(n, sizeof *g->dev_down_until);
    g->dev_dead_until = calloc(n, sizeof *g->dev_dead_until);
    if (!g->dev_skew || !g->dev_event || !g->dev_last || !g->dev_down_until ||
        !g->dev_dead_until || heap_init(&g->pending, n) != 0)
        return FT_ENOMEM;
    for (uint32_t d = 0; d < n; d++) {
        if (c->skew_ns)
            g->dev_skew[d] =
                (int64_t)rng_range(&g->dev[d].rng, 0, 2 * c->skew_ns) - (int64_t)c->skew_ns;
        if (heap_push(&g->pending, iot_extra_next(g, d)) != 0) return FT_ENOMEM;
    }
    return 0;
}

/* Draws after a reading leaves: its value, then whether an outage or a battery gap
 * starts. */
static bool iot_extra_next_record(struct src_gen *g, struct src_record *r) {
    const struct heap_entry *top = heap_top(&g->pending);
    if (!top || top->time >= g->duration_ns) return false;
    struct heap_entry e = heap_pop(&g->pending);
    uint32_t d = (uint32_t)e.slot;
    struct src_device *dev = &g->dev[d];
    uint64_t t = g->dev_event[d];
    int64_t ev = (int64_t)t + g->dev_skew[d];
    r->id = g->next_id++;
    r->arrival_ns = e.time;
    r->event_ns = ev > 0 ? (uint64_t)ev : 0;
    r->key = d;
    r->value = (int64_t)iot_value(dev, d);
    g->dev_last[d] = e.time;
    if (g->cfg.outage_p > 0 && rng_bernoulli(&dev->rng, g->cfg.outage_p))
        g->dev_down_until[d] = t + g->cfg.outage_ns;
    if (g->cfg.battery_p > 0 && rng_bernoulli(&dev->rng, g->cfg.battery_p))
        g->dev_dead_until[d] = t + g->cfg.battery_ns;
    dev->slot++;
    /* cannot fail: the heap holds at most one entry per device, its capacity */
    FT_ASSERT(heap_push(&g->pending, iot_extra_next(g, d)) == 0);
    return true;
}

static int iot_init(struct src_gen *g, uint64_t seed) {
    const struct pipe_source *cfg = &g->cfg;
    uint32_t n = cfg->keys;
    if (n == 0 || cfg->period_ns == 0 || 2 * cfg->jitter_ns >= cfg->period_ns) return FT_EINVAL;
    g->dev = malloc(n * sizeof *g->dev);
    if (!g->dev) return FT_ENOMEM;
    for (uint32_t d = 0; d < n; d++) iot_device_init(&g->dev[d], cfg, seed, d);
    return iot_extras(cfg) ? iot_extra_init(g) : iot_plain_init(g);
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
    if (g->csv.dim) /* x1..xd and the label: the record's features */
        memcpy(g->feat, g->csv.feat + (size_t)row->feat * (g->csv.dim + 1),
               (g->csv.dim + 1) * sizeof *g->feat);
    g->csv_next++;
    return true;
}

/* ---- dispatch ---- */

int src_gen_open(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed, struct ft_error *err) {
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    g->duration_ns = duration_ns;
    if (cfg->malformed_p > 0) g->defect_key = src_defect_key(seed);
    int rc = 0;
    switch (cfg->kind) {
    case SRC_KEYED: {
        rng_init(&g->rng, seed, "source:keyed");
        uint64_t mean =
            cfg->rate_per_s > 0 ? src_gap_mean_ns(cfg->rate_per_s) : 1000000000000000000u;
        g->next_ns = rng_exponential(&g->rng, mean);
        break;
    }
    case SRC_IOT: rc = iot_init(g, seed); break;
    case SRC_CSV: rc = csv_load(cfg->csv_path, &g->csv, err); break;
    case SRC_LOGS: rc = src_logs_init(g, seed); break;
    case SRC_ADS: rc = src_ads_init(g, seed); break;
    case SRC_CLICKS: rc = src_clicks_init(g, seed); break;
    case SRC_CLUSTERS:
    case SRC_LINEAR: rc = src_ml_init(g, seed); break;
    }
    if (rc == FT_ENOMEM) ft_fail(err, rc, "out of memory for the source generator");
    if (rc == FT_EINVAL) ft_fail(err, rc, "source parameters out of range");
    if (rc) src_gen_free(g);
    return rc;
}

int src_gen_init(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed) {
    return src_gen_open(g, cfg, duration_ns, seed, NULL);
}

int src_names_open(struct src_gen *g, const struct pipe_source *cfg, struct ft_error *err) {
    memset(g, 0, sizeof *g);
    g->cfg = *cfg;
    return cfg->kind == SRC_CSV ? csv_load(cfg->csv_path, &g->csv, err) : 0;
}

static bool gen_next(struct src_gen *g, struct src_record *r) {
    switch (g->cfg.kind) {
    case SRC_KEYED:
        if (g->next_ns >= g->duration_ns) return false;
        r->id = g->next_id++;
        r->event_ns = r->arrival_ns = g->next_ns;
        r->key = (uint32_t)rng_below(&g->rng, g->cfg.keys);
        r->value = (int64_t)rng_below(&g->rng, 1000);
        g->next_ns += rng_exponential(&g->rng, src_gap_mean_ns(g->cfg.rate_per_s));
        return true;
    case SRC_IOT: return g->dev_event ? iot_extra_next_record(g, r) : iot_plain_next(g, r);
    case SRC_CSV: return csv_next_record(g, r);
    case SRC_LOGS: return src_logs_next(g, r);
    case SRC_ADS: return src_ads_next(g, r);
    case SRC_CLICKS: return src_clicks_next(g, r);
    case SRC_CLUSTERS:
    case SRC_LINEAR: return src_ml_next(g, r);
    }
    return false;
}

bool src_gen_next(struct src_gen *g, struct src_record *r) {
    if (!gen_next(g, r)) return false;
    r->defect = g->cfg.malformed_p > 0
                    ? (uint8_t)src_defect_of(g->defect_key, g->cfg.malformed_p, r->id)
                    : SRC_DEFECT_NONE;
    return true;
}

/* ---- malformed records ---- */

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t src_defect_key(uint64_t seed) {
    struct rng r;
    rng_init(&r, seed, "source:malformed");
    return rng_next(&r);
}

enum src_defect src_defect_of(uint64_t defect_key, double malformed_p, uint64_t id) {
    if (!(malformed_p > 0)) return SRC_DEFECT_NONE;
    uint64_t h = splitmix64(defect_key ^ splitmix64(id));
    /* 53 bits against p * 2^53: both exact in a double, so every build agrees */
    if ((double)(h >> 11) >= malformed_p * 9007199254740992.0) return SRC_DEFECT_NONE;
    return (enum src_defect)(SRC_DEFECT_MISSING + splitmix64(h) % 3);
}

const char *src_defect_name(enum src_defect d) {
    static const char *const names[SRC_DEFECTS] = {"none", "missing", "type", "range"};
    return (unsigned)d < SRC_DEFECTS ? names[d] : "?";
}

void src_gen_free(struct src_gen *g) {
    free(g->dev);
    free(g->scratch);
    for (int b = 0; b < 2; b++) {
        free(g->batch[b].key);
        free(g->batch[b].value);
    }
    free(g->dev_skew);
    free(g->dev_event);
    free(g->dev_last);
    free(g->dev_down_until);
    free(g->dev_dead_until);
    heap_free(&g->pending);
    csv_free(&g->csv);
    memset(g, 0, sizeof *g);
}

int src_gen_each(const struct pipe_source *cfg, uint64_t duration_ns, uint64_t seed,
                 bool any_order, int (*fn)(void *ctx, const struct src_record *r), void *ctx) {
    int rc = 0;
    if (!any_order || cfg->kind != SRC_IOT || iot_extras(cfg)) {
        struct src_gen g;
        if ((rc = src_gen_init(&g, cfg, duration_ns, seed))) return rc;
        struct src_record r;
        while (!rc && src_gen_next(&g, &r)) rc = fn(ctx, &r);
        src_gen_free(&g);
        return rc;
    }
    /* A device's readings stop at its first one at or past the end, as in the merge. */
    for (uint32_t id = 0; !rc && id < cfg->keys; id++) {
        struct src_device d;
        iot_device_init(&d, cfg, seed, id);
        uint64_t t;
        while (!rc && (t = iot_time(cfg, &d)) < duration_ns) {
            struct src_record r = {.id = UINT64_MAX, .event_ns = t, .arrival_ns = t, .key = id};
            r.value = (int32_t)iot_value(&d, id); /* as the merge's batches hold it */
            d.slot++;
            rc = fn(ctx, &r);
        }
    }
    return rc;
}

struct counts_ctx {
    const struct pipe_source *cfg;
    uint64_t *counts, *total;
};

static int count_one(void *ctx, const struct src_record *r) {
    struct counts_ctx *c = ctx;
    if (r->key < c->cfg->keys) c->counts[r->key]++;
    (*c->total)++;
    return 0;
}

int src_gen_counts(const struct pipe_source *cfg, uint64_t duration_ns, uint64_t seed,
                   uint64_t *counts, uint64_t *total) {
    *total = 0;
    struct counts_ctx c = {cfg, counts, total};
    return src_gen_each(cfg, duration_ns, seed, true, count_one, &c);
}

/* ---- names ---- */


static const char *const key_prefix[SRC_KINDS] = {[SRC_KEYED] = "key",
                                                  [SRC_IOT] = "device",
                                                  [SRC_LOGS] = "host",
                                                  [SRC_ADS] = "campaign",
                                                  [SRC_CLICKS] = "user",
                                                  [SRC_CLUSTERS] = "key",
                                                  [SRC_LINEAR] = "key"};
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
