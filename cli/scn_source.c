/* Scenario loader, the `source:` kinds and their seeded parameters
 * (docs/scenario-format.md): IoT sensors, keyed, server and security logs, ads,
 * clickstreams and a CSV replay. A CSV source is read here once so a malformed row is
 * reported at load (the CSV's own file:line:col); the run reads it again. Every error
 * is FT_EPARSE with a position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"
#include "source.h"

static int get_prob(struct scn_ctx *c, const struct scn_node *n, const char *key, double *out) {
    return scn_get_number(c, n, key, 0, 1, false, out);
}

/* Events per second: the generators convert 1e9 / rate to integer nanoseconds, so the
 * lower bound keeps the mean gap (at most 10^15 ns, about 11.6 days) inside uint64. */
#define SCN_RATE_MIN 1e-6
#define SCN_RATE_MAX 1e7
static int get_rate(struct scn_ctx *c, const struct scn_node *n, const char *key, double *out) {
    return scn_get_number(c, n, key, SCN_RATE_MIN, SCN_RATE_MAX, false, out);
}

/* ---- source ---- */

enum {
    S_KIND,
    S_DEVICES,
    S_PERIOD,
    S_JITTER,
    S_SKEW,
    S_DELAY,
    S_OUTAGE_P,
    S_OUTAGE,
    S_BATTERY_P,
    S_BATTERY,
    S_KEYS,
    S_RATE,
    S_FILE,
    S_HOSTS,
    S_BURST_RATE,
    S_BURST_EVERY,
    S_BURST_LENGTH,
    S_ATTACK_AT,
    S_ATTACK_LENGTH,
    S_ATTACK_RATE,
    S_ATTACK_HOST,
    S_CAMPAIGNS,
    S_WIN_RATE,
    S_CTR,
    S_CLICK_DELAY,
    S_USERS,
    S_PAGES,
    S_THINK,
    S_CLICKS,
    S_MALFORMED,
    S_N
};
static const char *const source_keys[S_N] = {
    "kind",          "devices",     "period",      "jitter",      "skew",         "delay",
    "outage_p",      "outage",      "battery_p",   "battery",     "keys",         "rate",
    "file",          "hosts",       "burst_rate",  "burst_every", "burst_length", "attack_at",
    "attack_length", "attack_rate", "attack_host", "campaigns",   "win_rate",     "ctr",
    "click_delay",   "users",       "pages",       "think",       "clicks",       "malformed"};
_Static_assert(S_N <= 32, "a mapspec holds at most 32 keys");
static const struct scn_mapspec source_spec = {"for 'source'", "in 'source'", "key",
                                               source_keys,    S_N,           SCN_BIT(S_KIND)};

#define B(k) SCN_BIT(S_##k)
static const struct {
    const char *name, *noun;
    enum src_kind kind;
    uint32_t allowed;
} kinds[] = {
    {"iot", "an iot source", SRC_IOT,
     B(KIND) | B(MALFORMED) | B(DEVICES) | B(PERIOD) | B(JITTER) | B(SKEW) | B(DELAY) | B(OUTAGE_P) | B(OUTAGE) |
         B(BATTERY_P) | B(BATTERY)},
    {"keyed", "a keyed source", SRC_KEYED, B(KIND) | B(MALFORMED) | B(KEYS) | B(RATE)},
    {"csv", "a csv source", SRC_CSV, B(KIND) | B(MALFORMED) | B(FILE)},
    {"logs", "a logs source", SRC_LOGS,
     B(KIND) | B(MALFORMED) | B(HOSTS) | B(RATE) | B(BURST_RATE) | B(BURST_EVERY) | B(BURST_LENGTH) |
         B(ATTACK_AT) | B(ATTACK_LENGTH) | B(ATTACK_RATE) | B(ATTACK_HOST)},
    {"ads", "an ads source", SRC_ADS,
     B(KIND) | B(MALFORMED) | B(CAMPAIGNS) | B(RATE) | B(WIN_RATE) | B(CTR) | B(CLICK_DELAY)},
    {"clickstream", "a clickstream source", SRC_CLICKS,
     B(KIND) | B(MALFORMED) | B(USERS) | B(RATE) | B(PAGES) | B(THINK) | B(CLICKS)},
};
#undef B
#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef const struct scn_node *const *vals;

static int dur(struct scn_ctx *c, vals v, int k, bool positive, uint64_t *out) {
    return v[k] ? scn_get_duration(c, v[k], source_keys[k], positive, out) : 0;
}

static int src_iot(struct scn_ctx *c, vals v) {
    struct pipe_source *s = &c->out->pipe.source;
    char a[32], b[32];
    int rc = v[S_DEVICES] ? scn_get_u32(c, v[S_DEVICES], "devices", 1, PIPE_KEYS_MAX, &s->keys) : 0;
    if (!rc) rc = dur(c, v, S_PERIOD, true, &s->period_ns);
    if (!rc) rc = dur(c, v, S_JITTER, false, &s->jitter_ns);
    if (!rc && 2 * s->jitter_ns >= s->period_ns)
        return scn_fail(c, v[S_JITTER] ? v[S_JITTER] : v[S_PERIOD],
                        "'jitter' must be less than half of 'period' (%s), found %s",
                        scn_duration_str(s->period_ns, a, sizeof a),
                        scn_duration_str(s->jitter_ns, b, sizeof b));
    s->outage_ns = 30 * SIM_NS_PER_S;
    s->battery_ns = 60 * SIM_NS_PER_S;
    if (!rc) rc = dur(c, v, S_SKEW, false, &s->skew_ns);
    if (!rc) rc = dur(c, v, S_DELAY, false, &s->delay_ns);
    if (!rc && v[S_OUTAGE_P]) rc = get_prob(c, v[S_OUTAGE_P], "outage_p", &s->outage_p);
    if (!rc) rc = dur(c, v, S_OUTAGE, true, &s->outage_ns);
    if (!rc && v[S_BATTERY_P]) rc = get_prob(c, v[S_BATTERY_P], "battery_p", &s->battery_p);
    if (!rc) rc = dur(c, v, S_BATTERY, true, &s->battery_ns);
    return rc;
}

static int src_keyed(struct scn_ctx *c, vals v) {
    struct pipe_source *s = &c->out->pipe.source;
    int rc = v[S_KEYS] ? scn_get_u32(c, v[S_KEYS], "keys", 1, PIPE_KEYS_MAX, &s->keys) : 0;
    return !rc && v[S_RATE] ? get_rate(c, v[S_RATE], "rate", &s->rate_per_s) : rc;
}

static int src_logs(struct scn_ctx *c, const struct scn_node *m, vals v) {
    struct pipe_source *s = &c->out->pipe.source;
    s->burst_every_ns = 60 * SIM_NS_PER_S;
    s->burst_length_ns = 5 * SIM_NS_PER_S;
    int rc = v[S_HOSTS] ? scn_get_u32(c, v[S_HOSTS], "hosts", 1, PIPE_KEYS_MAX, &s->keys) : 0;
    if (!rc && v[S_RATE]) rc = get_rate(c, v[S_RATE], "rate", &s->rate_per_s);
    if (!rc && v[S_BURST_RATE])
        rc = get_rate(c, v[S_BURST_RATE], "burst_rate", &s->burst_rate_per_s);
    if (!rc) rc = dur(c, v, S_BURST_EVERY, true, &s->burst_every_ns);
    if (!rc) rc = dur(c, v, S_BURST_LENGTH, true, &s->burst_length_ns);
    bool attack = v[S_ATTACK_AT] || v[S_ATTACK_LENGTH] || v[S_ATTACK_RATE] || v[S_ATTACK_HOST];
    if (rc || !attack) return rc;
    if (!v[S_ATTACK_RATE] || !v[S_ATTACK_LENGTH])
        return scn_fail(c, m,
                        "an attack needs 'attack_rate' and 'attack_length' (and "
                        "optionally 'attack_at' and 'attack_host')");
    rc = get_rate(c, v[S_ATTACK_RATE], "attack_rate", &s->attack_rate_per_s);
    if (!rc) rc = dur(c, v, S_ATTACK_AT, false, &s->attack_at_ns);
    if (!rc) rc = dur(c, v, S_ATTACK_LENGTH, true, &s->attack_length_ns);
    if (!rc && v[S_ATTACK_HOST])
        rc = scn_get_u32(c, v[S_ATTACK_HOST], "attack_host", 0, s->keys - 1, &s->attack_host);
    if (!rc && s->attack_at_ns >= c->out->pipe.duration_ns)
        return scn_fail(c, v[S_ATTACK_AT], "'attack_at' must be before the end of 'duration'");
    return rc;
}

static int src_ads(struct scn_ctx *c, vals v) {
    struct pipe_source *s = &c->out->pipe.source;
    *s = (struct pipe_source){.kind = SRC_ADS,
                              .keys = 10,
                              .rate_per_s = 1000,
                              .win_p = 0.2,
                              .ctr = 0.02,
                              .click_delay_ns = 5 * SIM_NS_PER_S};
    int rc = v[S_CAMPAIGNS]
                 ? scn_get_u32(c, v[S_CAMPAIGNS], "campaigns", 1, PIPE_KEYS_MAX, &s->keys)
                 : 0;
    if (!rc && v[S_RATE]) rc = get_rate(c, v[S_RATE], "rate", &s->rate_per_s);
    if (!rc && v[S_WIN_RATE]) rc = get_prob(c, v[S_WIN_RATE], "win_rate", &s->win_p);
    if (!rc && v[S_CTR]) rc = get_prob(c, v[S_CTR], "ctr", &s->ctr);
    return rc ? rc : dur(c, v, S_CLICK_DELAY, false, &s->click_delay_ns);
}

static int src_clicks(struct scn_ctx *c, vals v) {
    struct pipe_source *s = &c->out->pipe.source;
    *s = (struct pipe_source){.kind = SRC_CLICKS,
                              .keys = 1000,
                              .rate_per_s = 10,
                              .pages = 20,
                              .think_ns = 5 * SIM_NS_PER_S,
                              .clicks_per_session = 5};
    int rc = v[S_USERS] ? scn_get_u32(c, v[S_USERS], "users", 1, PIPE_KEYS_MAX, &s->keys) : 0;
    if (!rc && v[S_RATE]) rc = get_rate(c, v[S_RATE], "rate", &s->rate_per_s);
    if (!rc && v[S_PAGES]) rc = scn_get_u32(c, v[S_PAGES], "pages", 1, 1000000, &s->pages);
    if (!rc) rc = dur(c, v, S_THINK, false, &s->think_ns);
    if (!rc && v[S_CLICKS])
        rc = scn_get_number(c, v[S_CLICKS], "clicks", 1, 1000, false, &s->clicks_per_session);
    return rc;
}

/* The CSV's path: absolute, or relative to the scenario file's directory. */
static int csv_path(struct scn_ctx *c, const struct scn_node *n, char *out, size_t size) {
    if (n->type != SCN_Y_SCALAR || scn_is_null(n))
        return scn_expected(c, n, "file", "the path of a CSV file");
    const char *slash = strrchr(c->file, '/');
    int dir = n->text[0] == '/' || !slash ? 0 : (int)(slash - c->file + 1);
    int len = snprintf(out, size, "%.*s%s", dir, c->file, n->text);
    if (len < 0 || (size_t)len >= size)
        return scn_fail(c, n, "the CSV path is longer than %zu bytes", size - 1);
    return 0;
}

static int src_csv(struct scn_ctx *c, const struct scn_node *m, vals v) {
    struct pipe_source *s = &c->out->pipe.source;
    char t[48];
    if (!v[S_FILE]) return scn_fail(c, m, "a csv source needs 'file' (the CSV to replay)");
    int rc = csv_path(c, v[S_FILE], s->csv_path, sizeof s->csv_path);
    if (rc) return rc;
    struct csv_data d;
    struct ft_error e = {0};
    rc = csv_load(s->csv_path, &d, &e);
    if ((rc == FT_EPARSE && e.line) || rc == FT_ENOMEM) { /* the CSV's own position */
        *c->err = e;
        return rc;
    }
    if (rc) return scn_fail(c, v[S_FILE], "%s", e.msg); /* e.msg names the CSV */
    if (!d.n)
        rc = scn_fail(c, v[S_FILE], "the CSV '%s' has no rows", s->csv_path);
    else if (d.last_arrival_ns >= c->out->pipe.duration_ns)
        rc = scn_fail(c, v[S_FILE],
                      "the CSV's last row (line %u) arrives at %s, not before 'duration' "
                      "ends: make 'duration' longer",
                      d.last_arrival_line, scn_duration_str(d.last_arrival_ns, t, sizeof t));
    s->keys = d.nkeys;
    s->csv_rows = d.n;
    for (size_t i = 0; i < d.n; i++) {
        uint64_t a =
            d.rows[i].value < 0 ? 0 - (uint64_t)d.rows[i].value : (uint64_t)d.rows[i].value;
        if (a > c->csv_value_abs_max) c->csv_value_abs_max = a;
    }
    s->csv_first_arrival_ns = d.n ? d.rows[0].arrival_ns : 0;
    s->csv_last_arrival_ns = d.last_arrival_ns;
    s->feat.dim = d.dim; /* x1..xd columns: records with features */
    s->feat.label = d.has_label;
    csv_free(&d);
    return rc;
}

/* The value of `kind` in mapping m, or NULL. */
static const struct scn_node *kind_of(const struct scn_node *m) {
    for (uint32_t i = 0; m->type == SCN_Y_MAP && i + 1 < m->n; i += 2)
        if (m->kids[i]->type == SCN_Y_SCALAR && !strcmp(m->kids[i]->text, "kind"))
            return m->kids[i + 1];
    return NULL;
}

int scn_stream_source(struct scn_ctx *c, const struct scn_node *m) {
    const struct scn_node *kind = kind_of(m);
    if (kind && kind->type == SCN_Y_SCALAR && scn_ml_source_kind(kind->text))
        return scn_ml_source(c, m); /* feature vectors with a true model: scn_ml.c */
    const struct scn_node *v[S_N];
    int rc = scn_map_collect(c, m, &source_spec, v);
    if (rc) return rc;
    const struct scn_node *k = v[S_KIND];
    size_t i = 0;
    while (i < NKINDS && (k->type != SCN_Y_SCALAR || strcmp(k->text, kinds[i].name)))
        i++;
    if (i == NKINDS)
        return scn_expected(c, k, "kind",
                            "a source kind (iot, keyed, csv, logs, ads, clickstream, clusters "
                            "or linear)");
    if ((rc = scn_check_allowed(c, m, &source_spec, kinds[i].allowed, kinds[i].noun))) return rc;
    c->out->pipe.source.kind = kinds[i].kind;
    if (v[S_MALFORMED] &&
        (rc = get_prob(c, v[S_MALFORMED], "malformed", &c->out->pipe.source.malformed_p)))
        return rc;
    switch (kinds[i].kind) {
    case SRC_IOT:
        return src_iot(c, v);
    case SRC_KEYED:
        return src_keyed(c, v);
    case SRC_CSV:
        return src_csv(c, m, v);
    case SRC_LOGS:
        return src_logs(c, m, v);
    case SRC_ADS:
        return src_ads(c, v);
    case SRC_CLICKS:
        return src_clicks(c, v);
    case SRC_CLUSTERS:
    case SRC_LINEAR:
        break; /* scn_ml_source */
    }
    return 0;
}
