/* The statistics collector of a run (exp_options.stats): the run cut into time buckets
 * of visible rows, first visibilities, records created, retries and the latency
 * percentiles of each bucket, plus the crash, restart, partition, heal and checkpoint
 * markers from the trace. It only reads what the run reports, so collecting never
 * changes the run or its trace hash. */
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"
#include "grow.h"
#include "ledger.h"

const char *exp_marker_name(enum exp_marker_kind k) {
    static const char *const names[] = {"crash", "restart",   "partition",
                                        "heal",  "rebalance", "drop"};
    return k <= EXP_MARK_DROP ? names[k] : "?";
}

void exp_stats_free(struct exp_stats *st) {
    if (!st) return;
    free(st->buckets);
    free(st->markers);
    free(st->windows);
    free(st->watermarks);
    free(st->lambda);
    free(st->model);
    memset(st, 0, sizeof *st);
}

uint64_t exp_bucket_ns(const struct pipe_config *cfg, uint64_t requested_ns) {
    uint64_t w = requested_ns, span = cfg->duration_ns;
    const struct pipe_source *src = &cfg->source;
    /* a replayed CSV spans its rows' arrivals, often minutes of a long clock-time run */
    if (src->kind == SRC_CSV && src->csv_last_arrival_ns > src->csv_first_arrival_ns)
        span = src->csv_last_arrival_ns - src->csv_first_arrival_ns;
    if (!w) w = (span / 50 + SIM_NS_PER_MS / 2) / SIM_NS_PER_MS * SIM_NS_PER_MS;
    if (!w) w = SIM_NS_PER_MS;
    uint64_t end = cfg->duration_ns + cfg->drain_ns;
    uint64_t min_w = end / EXP_BUCKETS_MAX + (end % EXP_BUCKETS_MAX != 0);
    if (w < min_w) w = (min_w + SIM_NS_PER_MS - 1) / SIM_NS_PER_MS * SIM_NS_PER_MS;
    return w;
}

uint32_t exp_col_bucket(const struct exp_collector *c, uint64_t t_ns) {
    uint64_t b = t_ns / c->w;
    return b < c->nmax ? (uint32_t)b : c->nmax - 1;
}

static void col_active(struct exp_collector *c, uint32_t b) {
    if (b > c->last_active) c->last_active = b;
}

int exp_col_init(struct exp_collector *c, const struct pipe_config *cfg, struct exp_stats *out,
                 uint64_t bucket_ns) {
    memset(c, 0, sizeof *c);
    exp_stats_free(out);
    c->out = out;
    c->cfg = cfg;
    c->w = exp_bucket_ns(cfg, bucket_ns);
    out->bucket_ns = c->w;
    c->end_ns = cfg->duration_ns + cfg->drain_ns;
    uint64_t n = c->end_ns / c->w + (c->end_ns % c->w != 0);
    c->nmax = n ? (uint32_t)n : 1;
    FT_ASSERT(c->nmax <= EXP_BUCKETS_MAX);
    c->retry_end_ns = c->nmax > 1 ? c->w : UINT64_MAX;
    c->created = calloc(6 * (size_t)c->nmax, sizeof *c->created);
    if (!c->created) return FT_ENOMEM;
    c->visible = c->created + c->nmax;
    c->first = c->visible + c->nmax;
    c->retries = c->first + c->nmax;
    c->p50 = c->retries + c->nmax;
    c->p99 = c->p50 + c->nmax;
    return 0;
}

void exp_col_free(struct exp_collector *c) {
    if (!c) return;
    free(c->created);
    free(c->lat);
}

static void col_flush_latency(struct exp_collector *c) {
    if (!c->nlat) return;
    if (ledger_sort(c->lat, c->nlat) != 0) {
        c->failed = FT_ENOMEM;
        return;
    }
    c->p50[c->lat_bucket] = ledger_nearest_rank(c->lat, c->nlat, 50);
    c->p99[c->lat_bucket] = ledger_nearest_rank(c->lat, c->nlat, 99);
    c->nlat = 0;
}

/* A row became visible at now_ns; first: the first visible copy of its record. */
void exp_col_visible(struct exp_collector *c, uint64_t latency_ns, uint64_t now_ns, bool first) {
    uint32_t b = exp_col_bucket(c, now_ns);
    if (b != c->lat_bucket) {
        col_flush_latency(c);
        c->lat_bucket = b;
    }
    if (ft_grow((void **)&c->lat, &c->lat_cap, c->nlat + 1, sizeof *c->lat, 256)) {
        c->failed = FT_ENOMEM;
        return;
    }
    c->lat[c->nlat++] = latency_ns;
    c->visible[b]++;
    c->first[b] += first;
    col_active(c, b);
}

/* Retries counted since retry_bucket began go to it; then bucket b begins. */
static void col_retries_to(struct exp_collector *c, uint32_t b) {
    uint64_t now = c->pipe ? pipe_retries(c->pipe) : 0;
    if (now != c->retry_mark) {
        c->retries[c->retry_bucket] += now - c->retry_mark;
        col_active(c, c->retry_bucket);
    }
    c->retry_mark = now;
    c->retry_bucket = b;
    c->retry_end_ns = b + 1 < c->nmax ? (uint64_t)(b + 1) * c->w : UINT64_MAX;
}

static void col_marker(struct exp_collector *c, const struct sim_trace_rec *r,
                       enum exp_marker_kind kind) {
    struct exp_stats *o = c->out;
    if (o->nmarkers == o->markers_cap) {
        uint32_t cap = o->markers_cap ? 2 * o->markers_cap : 16;
        struct exp_marker *m = realloc(o->markers, cap * sizeof *m);
        if (!m) {
            c->failed = FT_ENOMEM;
            return;
        }
        o->markers = m;
        o->markers_cap = cap;
    }
    struct exp_marker *m = &o->markers[o->nmarkers++];
    char buf[PIPE_NAME_MAX];
    m->t_ns = r->time_ns;
    m->kind = kind;
    m->node[0] = '\0';
    m->label[0] = '\0';
    if (kind == EXP_MARK_CRASH || kind == EXP_MARK_RESTART || kind == EXP_MARK_DROP)
        snprintf(m->node, sizeof m->node, "%s", pipe_node_name(c->cfg, r->node, buf, sizeof buf));
    if (kind == EXP_MARK_DROP) {
        int k = snprintf(m->label, sizeof m->label, "%s", pipe_msg_name((int)r->kind));
        if (k > 0 && (size_t)k < sizeof m->label && pipe_msg_has_record((int)r->kind))
            k += snprintf(m->label + k, sizeof m->label - (size_t)k, " r%llu",
                          (unsigned long long)r->tag);
        if (k > 0 && (size_t)k < sizeof m->label)
            snprintf(m->label + k, sizeof m->label - (size_t)k, " -> %s",
                     pipe_node_name(c->cfg, r->peer, buf, sizeof buf));
    }
    col_active(c, exp_col_bucket(c, r->time_ns));
}

/* Every trace event: retries are sampled when time enters a new bucket (an event's
 * trace records come before its handler's work, so the counter then holds exactly the
 * retries of earlier buckets), and faults become markers. */
void exp_col_trace(struct exp_collector *c, const struct sim_trace_rec *r) {
    if (r->time_ns >= c->retry_end_ns) col_retries_to(c, exp_col_bucket(c, r->time_ns));
    switch (r->type) {
    case SIM_TR_CRASH:
        col_marker(c, r, EXP_MARK_CRASH);
        break;
    case SIM_TR_RESTART:
        col_marker(c, r, EXP_MARK_RESTART);
        break;
    case SIM_TR_PARTITION:
        col_marker(c, r, EXP_MARK_PARTITION);
        break;
    case SIM_TR_HEAL:
        col_marker(c, r, EXP_MARK_HEAL);
        break;
    case SIM_TR_DROP: /* a scenario's drop: rule, the one message fault that is not random */
        if (r->reason == SIM_DROP_RULE) col_marker(c, r, EXP_MARK_DROP);
        break;
    case SIM_TR_USER: /* the moves of one rebalance happen at one instant: one marker */
        if (r->kind == PIPE_TR_REBALANCE &&
            !(c->out->nmarkers && c->out->markers[c->out->nmarkers - 1].kind == EXP_MARK_REBALANCE &&
              c->out->markers[c->out->nmarkers - 1].t_ns == r->time_ns))
            col_marker(c, r, EXP_MARK_REBALANCE);
        break;
    default:
        break;
    }
}

/* Turns the counters into out->buckets: 0 .. the last active bucket (at least the one
 * holding duration - 1), in-flight as created minus first visible, cumulatively. */
int exp_col_finish(struct exp_collector *c) {
    col_flush_latency(c);
    col_retries_to(c, c->retry_bucket);
    if (c->failed) return c->failed;
    col_active(c, exp_col_bucket(c, c->cfg->duration_ns - 1));
    uint32_t n = c->last_active + 1;
    struct exp_bucket *b = calloc(n, sizeof *b);
    if (!b) return FT_ENOMEM;
    uint64_t created = 0, first = 0;
    for (uint32_t i = 0; i < n; i++) {
        created += c->created[i];
        first += c->first[i];
        uint64_t start = (uint64_t)i * c->w;
        b[i] = (struct exp_bucket){.start_ns = start,
                                   .width_ns = i + 1 == c->nmax ? c->end_ns - start : c->w,
                                   .visible = c->visible[i],
                                   .latency_p50_ns = c->p50[i],
                                   .latency_p99_ns = c->p99[i],
                                   .in_flight = created - first,
                                   .retries = c->retries[i]};
    }
    c->out->buckets = b;
    c->out->nbuckets = n;
    return 0;
}
