/* The scenario's `sink:` and `lambda:` sections and the lambda expectations: a kind (`sink:
 * warehouse`, as before) or a mapping { kind: lake|warehouse|both, path: DIR, roll: DURATION }.
 * `path` is where `ftsim run` writes the files (relative to the current directory; `--out`
 * overrides it); `ftsim check` never writes them. Errors are file:line:col like every other
 * section. */
#include <stdio.h>
#include <string.h>

#include "experiment.h"
#include "scn_internal.h"

enum { K_KIND, K_PATH, K_ROLL, K_N };
static const char *const sink_keys[K_N] = {"kind", "path", "roll"};
static const struct scn_mapspec sink_spec = {"for 'sink'", "in 'sink'", "key",
                                             sink_keys,    K_N,         SCN_BIT(K_KIND)};
static const char *const kind_names[] = {
    [PIPE_SINK_WAREHOUSE] = "warehouse", [PIPE_SINK_LAKE] = "lake", [PIPE_SINK_BOTH] = "both"};

static int get_kind(struct scn_ctx *c, const struct scn_node *n, enum pipe_sink_kind *out) {
    for (int k = 0; n->type == SCN_Y_SCALAR && k < 3; k++)
        if (strcmp(n->text, kind_names[k]) == 0) {
            *out = (enum pipe_sink_kind)k;
            return 0;
        }
    return scn_expected(c, n, "sink", "a sink kind (warehouse, lake or both)");
}

/* A lake keeps every committed row in memory until the run writes it. */
static int lake_limit(struct scn_ctx *c, const struct scn_node *n) {
    const struct pipe_config *p = &c->out->pipe;
    uint64_t records = pipe_estimated_records(p);
    if (p->sink.kind == PIPE_SINK_WAREHOUSE || records <= PIPE_LAKE_RECORDS_MAX) return 0;
    return scn_fail(c, n,
                    "a lake keeps every committed row in memory (64 bytes each) until the run "
                    "ends: the source would generate about %llu records, more than the limit "
                    "of %llu for a lake (about 320 MB of rows)",
                    (unsigned long long)records, (unsigned long long)PIPE_LAKE_RECORDS_MAX);
}

int scn_sink(struct scn_ctx *c, const struct scn_node *n) {
    struct pipe_sink *s = &c->out->pipe.sink;
    if (!n) return 0;
    if (n->type == SCN_Y_SCALAR) {
        int rc = get_kind(c, n, &s->kind);
        return rc ? rc : lake_limit(c, n);
    }
    const struct scn_node *v[K_N];
    int rc = scn_map_collect(c, n, &sink_spec, v);
    if (!rc) rc = get_kind(c, v[K_KIND], &s->kind);
    if (!rc && v[K_PATH]) {
        const struct scn_node *p = v[K_PATH];
        if (p->type != SCN_Y_SCALAR || scn_is_null(p) || !p->text[0])
            return scn_expected(c, p, "path", "a directory for the sink's files");
        if (strlen(p->text) >= sizeof s->path - 64)
            return scn_fail(c, p, "'path' is longer than %zu bytes", sizeof s->path - 65);
        snprintf(s->path, sizeof s->path, "%s", p->text);
    }
    if (!rc && v[K_ROLL]) {
        rc = scn_get_duration(c, v[K_ROLL], "roll", true, &s->roll_ns);
        if (!rc && s->roll_ns < PIPE_ROLL_MIN_NS)
            return scn_fail(c, v[K_ROLL], "'roll' must be at least 1ms");
    }
    if (!rc && v[K_ROLL] && s->kind == PIPE_SINK_WAREHOUSE)
        return scn_fail(c, scn_key_of(n, v[K_ROLL]),
                        "'roll' applies to a lake: use 'kind: lake' or 'kind: both'");
    return rc ? rc : lake_limit(c, n);
}

/* ---- lambda: { batch_every, batch_latency, sample } ---- */

enum { L_BATCH_EVERY, L_BATCH_LATENCY, L_SAMPLE, L_N };
static const char *const lambda_keys[L_N] = {"batch_every", "batch_latency", "sample"};
static const struct scn_mapspec lambda_spec = {
    "for 'lambda'", "in 'lambda'", "key", lambda_keys, L_N, SCN_BIT(L_BATCH_EVERY)};

int scn_lambda(struct scn_ctx *c, const struct scn_node *n, const struct scn_node *sink) {
    struct pipe_config *p = &c->out->pipe;
    struct pipe_lambda *l = &p->lambda;
    if (!n) return 0;
    const struct scn_node *v[L_N];
    char a[32], b[32];
    int rc = scn_map_collect(c, n, &lambda_spec, v);
    if (rc) return rc;
    if (p->sink.kind == PIPE_SINK_WAREHOUSE)
        return scn_fail(c, sink ? sink : n,
                        "'lambda' recomputes its batch views from the lake: the sink must be "
                        "'lake' or 'both'");
    uint64_t end = p->duration_ns + p->drain_ns;
    *l = (struct pipe_lambda){.enabled = true, .sample_ns = (end + 99) / 100};
    rc = scn_get_duration(c, v[L_BATCH_EVERY], "batch_every", true, &l->batch_every_ns);
    if (!rc && v[L_BATCH_LATENCY])
        rc = scn_get_duration(c, v[L_BATCH_LATENCY], "batch_latency", false, &l->batch_latency_ns);
    if (!rc && v[L_SAMPLE]) rc = scn_get_duration(c, v[L_SAMPLE], "sample", true, &l->sample_ns);
    if (rc) return rc;
    if (l->batch_latency_ns >= l->batch_every_ns)
        return scn_fail(c, v[L_BATCH_LATENCY],
                        "'batch_latency' (%s) must be shorter than 'batch_every' (%s)",
                        scn_duration_str(l->batch_latency_ns, a, sizeof a),
                        scn_duration_str(l->batch_every_ns, b, sizeof b));
    if (l->batch_every_ns < p->sink.roll_ns)
        return scn_fail(c, v[L_BATCH_EVERY],
                        "'batch_every' (%s) must be at least the lake's 'roll' (%s)",
                        scn_duration_str(l->batch_every_ns, a, sizeof a),
                        scn_duration_str(p->sink.roll_ns, b, sizeof b));
    if (end / l->sample_ns > PIPE_LAMBDA_SAMPLES_MAX)
        return scn_fail(c, v[L_SAMPLE] ? v[L_SAMPLE] : n,
                        "'sample' (%s) would take %llu samples in duration + drain, more than "
                        "%u: sample less often",
                        scn_duration_str(l->sample_ns, a, sizeof a),
                        (unsigned long long)(end / l->sample_ns), PIPE_LAMBDA_SAMPLES_MAX);
    if (end / l->batch_every_ns > PIPE_LAMBDA_SAMPLES_MAX)
        return scn_fail(c, v[L_BATCH_EVERY], "'batch_every' is too short: more than %u jobs",
                        PIPE_LAMBDA_SAMPLES_MAX);
    return 0;
}

enum { X_FINAL, X_DIFF, X_OVER, X_STALE, X_AGE, X_N };
static const char *const x_names[X_N] = {"lambda_final_match", "lambda_max_diff",
                                         "lambda_overcount", "lambda_max_staleness_ms",
                                         "lambda_max_batch_age_ms"};

int scn_lambda_expect(struct scn_ctx *c, const struct scn_node *m, const struct scn_node *const *v,
                      struct scn_expect *e) {
    int rc = 0;
    for (int i = 0; i < X_N && !rc; i++) {
        if (!v[i]) continue;
        if (!c->out->pipe.lambda.enabled)
            return scn_fail(c, scn_key_of(m, v[i]),
                            "'%s' checks the lambda architecture, and this file has no 'lambda'",
                            x_names[i]);
        bool b;
        struct scn_bound *bd = i == X_DIFF    ? &e->lambda_max_diff
                               : i == X_OVER  ? &e->lambda_overcount
                               : i == X_STALE ? &e->lambda_max_staleness_ms
                                              : &e->lambda_max_batch_age_ms;
        if (i == X_FINAL) {
            if (!(rc = scn_get_bool(c, v[i], x_names[i], &b))) e->lambda_final_match = b;
        } else {
            rc = scn_get_bound(c, v[i], x_names[i], bd);
        }
    }
    return rc;
}

static bool lbound(const char *name, const struct scn_bound *b, uint64_t v, char *buf,
                   size_t size) {
    if (b->op == SCN_CMP_NONE) return true;
    char want[32];
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s %llu (expect %s)", len ? ", " : "", name,
             (unsigned long long)v, scn_bound_str(b, want, sizeof want));
    return scn_bound_holds(b, v);
}

bool scn_check_lambda(const struct scn_expect *e, const struct exp_outcome *o, char *buf,
                      size_t size) {
    bool ok = lbound("lambda_max_diff", &e->lambda_max_diff, o->lambda_max_diff, buf, size);
    ok &= lbound("lambda_overcount", &e->lambda_overcount, o->lambda_overcount, buf, size);
    ok &= lbound("lambda_max_staleness_ms", &e->lambda_max_staleness_ms,
                 o->lambda_max_staleness_ns / SIM_NS_PER_MS, buf, size);
    ok &= lbound("lambda_max_batch_age_ms", &e->lambda_max_batch_age_ms,
                 o->lambda_max_batch_age_ns / SIM_NS_PER_MS, buf, size);
    if (e->lambda_final_match >= 0) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%slambda_final_match %s (expect %s)", len ? ", " : "",
                 o->lambda_final_match ? "true" : "false",
                 e->lambda_final_match ? "true" : "false");
        ok &= o->lambda_final_match == (e->lambda_final_match == 1);
    }
    return ok;
}
