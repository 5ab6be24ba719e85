/* Record generators (DESIGN.md §5): a pure function of (source config, duration,
 * seed) that yields records in arrival order (the order the source sends them; event
 * time may run behind, e.g. a skewed device clock or a queued reading). The source node
 * replays it inside the simulator; analysis/ replays it outside to compute the
 * reference, so the reference never depends on the simulator. */
#ifndef FTSIM_SOURCE_H
#define FTSIM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "heap.h"
#include "pipeline.h"
#include "rng.h"

struct src_record {
    uint64_t id;         /* 0, 1, 2, ... in emission order */
    uint64_t event_ns;   /* when the record was created, by its creator's clock */
    uint64_t arrival_ns; /* when the source sends it (processing time), >= previous */
    uint32_t key;
    uint8_t defect; /* enum src_defect: 0, or how the record is malformed */
    int64_t value;
};

/* Malformed records (`malformed: p` in a source): each record is malformed with
 * probability p, independently, decided by a hash of (seed, record id) so every stage
 * (the generator, the sink, the reference) finds the same answer from the id alone and
 * no other random stream moves. A malformed record's payload has its value missing,
 * of the wrong type ("n/a") or out of range (a glitch reading); key and times are
 * intact. Which of the three: a second hash of the same draw, uniform. */
enum src_defect { SRC_DEFECT_NONE = 0, SRC_DEFECT_MISSING, SRC_DEFECT_TYPE, SRC_DEFECT_RANGE };
#define SRC_DEFECTS 4
#define SRC_GLITCH_VALUE 999999999999ll /* the value a range defect reports */
/* The per-run key of the decision (from the stream "source:malformed"). */
uint64_t src_defect_key(uint64_t seed);
enum src_defect src_defect_of(uint64_t defect_key, double malformed_p, uint64_t id);
/* "none", "missing", "type", "range". */
const char *src_defect_name(enum src_defect d);

struct src_device {
    struct rng rng; /* "source:iot:D": phase, then per reading its jitter and value */
    uint64_t slot;  /* the next reading's slot index */
    uint64_t phase_ns;
};

/* One slot's readings of every device, sorted by (time, device): each key is
 * (time - base_ns) << id_bits | device. Since jitter < period / 2, every reading of
 * slot k + 2 comes after every reading of slot k, so merging slots k and k + 1 and
 * generating k + 2 once k is used up yields all readings in (time, device) order. */
struct src_batch {
    uint64_t *key;
    int32_t *value; /* per device: its reading's value */
    uint64_t base_ns;
    uint32_t n, pos;
};

struct src_gen {
    struct pipe_source cfg;
    uint64_t duration_ns;
    uint64_t next_id;
    struct rng rng;        /* keyed */
    uint64_t next_ns;      /* keyed: next arrival */
    struct src_device *dev;     /* iot: one per device, its stream and next slot together */
    struct src_batch batch[2];  /* iot: the readings of slots k and k + 1 */
    uint32_t cur;               /* iot: which batch holds slot k */
    uint64_t next_slot;         /* iot: the slot the next batch generates */
    unsigned id_bits;           /* iot: low key bits that hold the device */
    uint64_t *scratch;          /* iot: the radix sort's */
    /* iot extras (skew/delay/outage/battery on): readings by arrival in a heap of
     * (arrival, device, device), one pending reading per device */
    struct heap pending;         /* iot extras; logs/ads/clicks: pending events */
    int64_t *dev_skew;           /* clock offset per device */
    uint64_t *dev_event;         /* true time of the pending reading */
    uint64_t *dev_last;          /* last arrival: a device's link is FIFO */
    uint64_t *dev_down_until;    /* outage: readings before this arrive at it */
    uint64_t *dev_dead_until;    /* battery: no readings before this */
    /* logs, ads, clicks */
    struct rng rng2;             /* logs: the attack */
    uint64_t seq;                /* tie-breaker of pending events */
    uint64_t switch_ns;          /* logs: when the calm/burst state flips */
    bool burst;                  /* logs: in a burst */
    uint64_t next2_ns;           /* logs: next attack line */
    /* csv */
    struct csv_data csv;
    size_t csv_next;
    uint64_t defect_key; /* malformed records (cfg.malformed_p > 0) */
    /* records with features (cfg.feat.dim > 0): the last record's x, then its label */
    double feat[ML_DIM_MAX + 1];
    double share_total; /* clusters: the sum of the shares */
};

/* Returns 0, FT_ENOMEM, FT_EINVAL (iot with jitter >= period / 2), or for csv FT_EIO /
 * FT_EPARSE (the file changed since the scenario was loaded). src_gen_open fills err
 * (may be NULL). */
int src_gen_init(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed);
int src_gen_open(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed, struct ft_error *err);
/* The next record, or false once the generator has passed duration_ns. */
bool src_gen_next(struct src_gen *g, struct src_record *r);
/* A generator good only for names (src_key_name, src_key_parse, ...): no records. */
int src_names_open(struct src_gen *g, const struct pipe_source *cfg, struct ft_error *err);
void src_gen_free(struct src_gen *g);
/* The number of records per key over the whole run (counts has cfg->keys entries,
 * zeroed by the caller) and in all: the records src_gen_next yields. For plain iot it
 * is computed device by device, without merging the per-device streams; other kinds
 * run the generator. Returns 0, FT_ENOMEM, or what src_gen_init returns. */
int src_gen_counts(const struct pipe_source *cfg, uint64_t duration_ns, uint64_t seed,
                   uint64_t *counts, uint64_t *total);
/* Calls fn(ctx, r) for every record src_gen_next yields, stopping at fn's first nonzero
 * return (returned). With any_order and a plain iot source the records come device by
 * device (no merge: each device's readings in time order, r->id unknown, set to
 * UINT64_MAX, and r->defect 0: ask for it only where neither matters); otherwise in the
 * generator's order with their ids. For results that do not depend on the order. */
int src_gen_each(const struct pipe_source *cfg, uint64_t duration_ns, uint64_t seed,
                 bool any_order, int (*fn)(void *ctx, const struct src_record *r), void *ctx);

/* Names for display and for joins: a source key ("device-3", "host-1", or the CSV's own
 * key) and, where the source's values are categories, a value ("error", "click",
 * "page-7"; otherwise the number). Return buf. */
const char *src_key_name(const struct src_gen *g, uint32_t key, char *buf, size_t size);
const char *src_value_name(const struct src_gen *g, int64_t value, char *buf, size_t size);
/* True when the source's values are categories with names. */
bool src_values_named(enum src_kind kind);
/* The value a category name stands for ("error" -> 3 for logs); false if none. */
bool src_value_parse(enum src_kind kind, const char *name, int64_t *v);
/* The source key called `name`, or -1. */
int64_t src_key_parse(const struct src_gen *g, const char *name);

/* The features of the record src_gen_next returned last (cfg.feat.dim doubles, then the
 * label), or NULL when the source has none. */
const double *src_gen_features(const struct src_gen *g);
/* The true model of a clusters or linear source at event time t_ns, shaped for spec (a
 * regression's intercept is b when spec has one). false for other sources. */
bool src_true_model(const struct pipe_source *cfg, uint64_t t_ns, const struct ml_spec *spec,
                    struct ml_model *out);

/* Log levels (SRC_LOGS values) and ad events (SRC_ADS values). */
enum { SRC_LOG_DEBUG = 0, SRC_LOG_INFO, SRC_LOG_WARN, SRC_LOG_ERROR, SRC_LOG_ALERT };
enum { SRC_AD_BID = 0, SRC_AD_IMPRESSION, SRC_AD_CLICK };

/* The kinds in sources.c (source.c dispatches to them). */
int src_logs_init(struct src_gen *g, uint64_t seed);
bool src_logs_next(struct src_gen *g, struct src_record *r);
int src_ads_init(struct src_gen *g, uint64_t seed);
bool src_ads_next(struct src_gen *g, struct src_record *r);
int src_clicks_init(struct src_gen *g, uint64_t seed);
bool src_clicks_next(struct src_gen *g, struct src_record *r);
int src_ml_init(struct src_gen *g, uint64_t seed); /* source_ml.c: clusters and linear */
bool src_ml_next(struct src_gen *g, struct src_record *r);

/* The mean gap in ns of Poisson arrivals at rate_per_s > 0: 1e9 / rate, converted to an
 * integer only inside [0, SRC_GAP_MEAN_MAX_NS] (the loader keeps rates >= 1e-6, whose gaps
 * all fit; a smaller or non-finite rate from elsewhere is clamped, never undefined). */
#define SRC_GAP_MEAN_MAX_NS 1000000000000000.0 /* 10^15 ns: a rate of 10^-6 per second */
static inline uint64_t src_gap_mean_ns(double rate_per_s) {
    double m = 1e9 / rate_per_s;
    return m >= 0 && m < SRC_GAP_MEAN_MAX_NS ? (uint64_t)m : (uint64_t)SRC_GAP_MEAN_MAX_NS;
}

#endif
