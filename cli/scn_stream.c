/* Scenario loader, streaming part (docs/scenario-format.md): a windowed query's
 * `pipeline:` and `driver:`, and the window expectations (late_dropped, windows,
 * windows_match_reference, window_rows), plus the check of those expectations against
 * a run (the `source:` kinds are scn_source.c's). Every error is FT_EPARSE with a
 * position. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "scn_internal.h"
#include "source.h"

/* ---- small value parsers ---- */

static int get_i64(struct scn_ctx *c, const struct scn_node *n, const char *key, int64_t min,
                   int64_t max, int64_t *out) {
    if (n->type != SCN_Y_SCALAR || n->len > SCN_NUMBER_LEN_MAX)
        return scn_expected(c, n, key, "an integer");
    const char *s = n->text;
    bool neg = s[0] == '-', sign = neg || s[0] == '+';
    uint64_t v;
    int rc = scn_parse_u64(s + sign, strlen(s + sign), &v);
    if (rc == -1) return scn_expected(c, n, key, "an integer");
    bool ok = rc == 0 && (neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX);
    int64_t x = !ok   ? 0
                : neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
                      : (int64_t)v;
    if (!ok || x < min || x > max)
        return scn_fail(c, n, "'%s' must be an integer between %lld and %lld, found %s", key,
                        (long long)min, (long long)max, s);
    *out = x;
    return 0;
}

/* An integer, or a value name of the source ("error", "click", "page-3"). */
static int get_value(struct scn_ctx *c, const struct scn_node *n, const char *key, int64_t *out) {
    enum src_kind k = c->out->pipe.source.kind;
    if (n->type == SCN_Y_SCALAR && src_value_parse(k, n->text, out)) return 0;
    if (n->type == SCN_Y_SCALAR && src_values_named(k) && !strchr("+-0123456789", n->text[0])) {
        char t[SCN_QUOTE_BUF];
        return scn_fail(c, n, "'%s': '%s' is not a value of a %s source (%s)", key,
                        scn_text(n->text, t, sizeof t),
                        k == SRC_LOGS  ? "logs"
                        : k == SRC_ADS ? "ads"
                                       : "clickstream",
                        k == SRC_LOGS  ? "debug, info, warn, error, alert"
                        : k == SRC_ADS ? "bid, impression, click"
                                       : "page-0, page-1, ...");
    }
    return get_i64(c, n, key, INT64_MIN, INT64_MAX, out);
}

/* ---- pipeline ---- */

enum { O_MAP, O_FILTER, O_KEY_BY, O_JOIN, O_WINDOW, O_KMEANS, O_LINREG, O_N };
static const char *const op_keys[O_N] = {"map",    "filter", "key_by",           "join",
                                         "window", "kmeans", "linear_regression"};
static const struct scn_mapspec op_spec = {
    "for each operator in 'pipeline'", "in 'pipeline'", "operator", op_keys, O_N, 0};

enum { M_SET, M_MULTIPLY, M_DIVIDE, M_ADD, M_N };
static const char *const map_keys[M_N] = {"set", "multiply", "divide", "add"};
static const struct scn_mapspec map_spec = {"for 'map'", "in 'map'", "key", map_keys, M_N, 0};

static int op_map(struct scn_ctx *c, const struct scn_node *m, struct pipe_op *op) {
    const struct scn_node *v[M_N];
    int rc = scn_map_collect(c, m, &map_spec, v);
    if (rc) return rc;
    *op = (struct pipe_op){.kind = OP_MAP, .mul = 1, .div = 1};
    const int64_t big = 1000000000000ll;
    if (v[M_SET]) {
        const struct scn_node *other = v[M_MULTIPLY] ? v[M_MULTIPLY]
                                       : v[M_DIVIDE] ? v[M_DIVIDE]
                                                     : v[M_ADD];
        if (other)
            return scn_fail(c, scn_key_of(m, other),
                            "'map' takes either 'set' or multiply/divide/add, not both");
        op->has_set = true;
        return get_value(c, v[M_SET], "set", &op->set);
    }
    if (!v[M_MULTIPLY] && !v[M_DIVIDE] && !v[M_ADD])
        return scn_fail(c, m, "'map' needs 'set', or 'multiply', 'divide' and/or 'add'");
    if (v[M_MULTIPLY]) rc = get_i64(c, v[M_MULTIPLY], "multiply", -big, big, &op->mul);
    if (!rc && v[M_DIVIDE]) rc = get_i64(c, v[M_DIVIDE], "divide", 1, big, &op->div);
    if (!rc && v[M_ADD]) rc = get_i64(c, v[M_ADD], "add", -big, big, &op->add);
    return rc;
}

enum { F_MIN, F_MAX, F_EQUALS, F_N };
static const char *const filter_keys[F_N] = {"min", "max", "equals"};
static const struct scn_mapspec filter_spec = {"for 'filter'", "in 'filter'", "key",
                                               filter_keys,    F_N,           0};

static int op_filter(struct scn_ctx *c, const struct scn_node *m, struct pipe_op *op) {
    const struct scn_node *v[F_N];
    int rc = scn_map_collect(c, m, &filter_spec, v);
    if (rc) return rc;
    *op = (struct pipe_op){.kind = OP_FILTER, .min = INT64_MIN, .max = INT64_MAX};
    if (v[F_EQUALS] && (v[F_MIN] || v[F_MAX]))
        return scn_fail(c, scn_key_of(m, v[F_MIN] ? v[F_MIN] : v[F_MAX]),
                        "'filter' takes either 'equals' or min/max, not both");
    if (v[F_EQUALS]) {
        rc = get_value(c, v[F_EQUALS], "equals", &op->min);
        op->max = op->min;
        return rc;
    }
    if (!v[F_MIN] && !v[F_MAX])
        return scn_fail(c, m, "'filter' needs 'min', 'max' or 'equals' (bounds on the value)");
    if (v[F_MIN]) rc = get_value(c, v[F_MIN], "min", &op->min);
    if (!rc && v[F_MAX]) rc = get_value(c, v[F_MAX], "max", &op->max);
    if (!rc && op->min > op->max)
        return scn_fail(c, v[F_MAX], "'max' (%lld) must be at least 'min' (%lld)",
                        (long long)op->max, (long long)op->min);
    return rc;
}

static int op_key_by(struct scn_ctx *c, const struct scn_node *n, bool joined, struct pipe_op *op) {
    static const char *const by[] = {"key", "value", "attribute"};
    *op = (struct pipe_op){.kind = OP_KEY_BY};
    for (int i = 0; n->type == SCN_Y_SCALAR && i < 3; i++)
        if (!strcmp(n->text, by[i])) {
            op->by = (enum op_by)i;
            if (op->by == OP_BY_ATTRIBUTE && !joined)
                return scn_fail(c, n, "'key_by: attribute' needs a 'join' before it");
            return 0;
        }
    return scn_expected(c, n, "key_by", "key, value or attribute");
}

enum { J_TABLE, J_N };
static const char *const join_keys[J_N] = {"table"};
static const struct scn_mapspec join_spec = {"for 'join'", "in 'join'", "key",
                                             join_keys,    J_N,         SCN_BIT(J_TABLE)};

static int op_join(struct scn_ctx *c, const struct scn_node *m, struct pipe_op *op) {
    struct pipe_query *q = &c->out->pipe.query;
    const struct scn_node *v[J_N];
    int rc = scn_map_collect(c, m, &join_spec, v);
    if (rc) return rc;
    const struct scn_node *t = v[J_TABLE];
    if (t->type != SCN_Y_MAP || !t->n)
        return scn_expected(c, t, "table", "a mapping of source keys to attributes");
    if (t->n / 2 > PIPE_JOIN_ROWS_MAX)
        return scn_fail(c, t, "a join table has at most %u rows, found %u", PIPE_JOIN_ROWS_MAX,
                        t->n / 2);
    struct src_gen names;
    struct ft_error e = {0};
    if ((rc = src_names_open(&names, &c->out->pipe.source, &e)))
        return scn_fail(c, t, "cannot read the source's keys: %s", e.msg);
    for (uint32_t i = 0; !rc && i + 1 < t->n; i += 2) {
        const struct scn_node *k = t->kids[i], *a = t->kids[i + 1];
        char q1[SCN_QUOTE_BUF];
        if (k->type != SCN_Y_SCALAR || k->len >= PIPE_ATTR_BYTES_MAX)
            rc = scn_expected(c, k, "table", "a source key name");
        else if (src_key_parse(&names, k->text) < 0)
            rc = scn_fail(c, k, "the join table names '%s', which is not a key of the source",
                          scn_text(k->text, q1, sizeof q1));
        else if (a->type != SCN_Y_SCALAR || scn_is_null(a) || a->len >= PIPE_ATTR_BYTES_MAX)
            rc = scn_expected(c, a, k->text, "an attribute of at most 63 bytes");
        for (uint32_t j = 0; !rc && j < q->njoin; j++)
            if (!strcmp(q->join[j].key, k->text))
                rc = scn_fail(c, k, "key '%s' appears twice in the join table", k->text);
        if (rc) break;
        snprintf(q->join[q->njoin].key, PIPE_ATTR_BYTES_MAX, "%s", k->text);
        snprintf(q->join[q->njoin].attr, PIPE_ATTR_BYTES_MAX, "%s", a->text);
        q->njoin++;
    }
    src_gen_free(&names);
    *op = (struct pipe_op){.kind = OP_JOIN};
    return rc;
}

enum { W_LENGTH, W_SLIDE, W_WATERMARK, W_AGGREGATE, W_OUTPUT, W_N };
static const char *const window_keys[W_N] = {"length", "slide", "watermark", "aggregate", "output"};
static const struct scn_mapspec window_spec = {"for 'window'", "in 'window'", "key",
                                               window_keys,    W_N,           SCN_BIT(W_LENGTH)};

static int op_window(struct scn_ctx *c, const struct scn_node *m) {
    struct win_spec *w = &c->out->pipe.query.window;
    const struct scn_node *v[W_N];
    char a[32], b[32];
    int rc = scn_map_collect(c, m, &window_spec, v);
    if (!rc) rc = scn_get_duration(c, v[W_LENGTH], "length", true, &w->length_ns);
    w->slide_ns = w->length_ns; /* tumbling unless a slide is given */
    if (!rc && v[W_SLIDE]) rc = scn_get_duration(c, v[W_SLIDE], "slide", true, &w->slide_ns);
    if (rc) return rc;
    if (w->slide_ns > w->length_ns)
        return scn_fail(c, v[W_SLIDE], "'slide' (%s) must not exceed 'length' (%s)",
                        scn_duration_str(w->slide_ns, a, sizeof a),
                        scn_duration_str(w->length_ns, b, sizeof b));
    if ((w->length_ns + w->slide_ns - 1) / w->slide_ns > WIN_PER_RECORD_MAX)
        return scn_fail(c, v[W_SLIDE],
                        "a record would fall in more than %u windows: "
                        "'length' / 'slide' must be at most %u",
                        WIN_PER_RECORD_MAX, WIN_PER_RECORD_MAX);
    w->delay_ns = WIN_TIME_MAX; /* no watermark: nothing closes before the run ends */
    if (v[W_WATERMARK] &&
        (rc = scn_get_duration(c, v[W_WATERMARK], "watermark", false, &w->delay_ns)))
        return rc;
    const struct scn_node *g = v[W_AGGREGATE], *o = v[W_OUTPUT];
    int agg = g ? (g->type == SCN_Y_SCALAR ? win_agg_parse(g->text) : -1) : WIN_AGG_COUNT;
    if (agg < 0) return scn_expected(c, g, "aggregate", "count, sum, mean, min or max");
    int mode = o ? (o->type == SCN_Y_SCALAR ? win_mode_parse(o->text) : -1) : WIN_MODE_UPDATE;
    if (mode < 0) return scn_expected(c, o, "output", "append, update or complete");
    w->agg = (enum win_agg)agg;
    w->mode = (enum win_mode)mode;
    return 0;
}

static int get_op(struct scn_ctx *c, const struct scn_node *item, bool last, bool *joined) {
    struct pipe_query *q = &c->out->pipe.query;
    const struct scn_node *v[O_N];
    int rc = scn_map_collect(c, item, &op_spec, v), which = -1;
    if (rc) return rc;
    if (item->n != 2)
        return scn_fail(c, item,
                        "each operator in 'pipeline' is one of map, filter, key_by, "
                        "join or window, found %u keys",
                        item->n / 2);
    for (int i = 0; i < O_N; i++)
        if (v[i]) which = i;
    if (which == O_KMEANS || which == O_LINREG)
        return scn_fail(c, item->kids[0],
                        "'%s' is a model operator: it must be the pipeline's only operator",
                        op_keys[which]);
    if ((which == O_WINDOW) != last)
        return scn_fail(c, item->kids[0],
                        last ? "the pipeline must end with a 'window'"
                             : "'window' must be the last operator");
    if (which == O_WINDOW) return op_window(c, v[O_WINDOW]);
    if (which == O_JOIN && *joined)
        return scn_fail(c, item->kids[0], "a pipeline has at most one 'join'");
    struct pipe_op *op = &q->ops[q->nops];
    if (which == O_MAP)
        rc = op_map(c, v[O_MAP], op);
    else if (which == O_FILTER)
        rc = op_filter(c, v[O_FILTER], op);
    else if (which == O_KEY_BY)
        rc = op_key_by(c, v[O_KEY_BY], *joined, op);
    else
        rc = op_join(c, v[O_JOIN], op);
    *joined |= which == O_JOIN;
    if (!rc) q->nops++;
    return rc;
}

enum { D_KIND, D_TRIGGER, D_N };
static const char *const driver_keys[D_N] = {"kind", "trigger"};
static const struct scn_mapspec driver_spec = {"for 'driver'", "in 'driver'", "key",
                                               driver_keys,    D_N,           0};

static int get_driver(struct scn_ctx *c, const struct scn_node *m) {
    struct pipe_query *q = &c->out->pipe.query;
    const struct scn_node *v[D_N];
    int rc = scn_map_collect(c, m, &driver_spec, v);
    if (rc) return rc;
    const struct scn_node *k = v[D_KIND];
    if (k && (k->type != SCN_Y_SCALAR ||
              (strcmp(k->text, "micro-batch") && strcmp(k->text, "continuous"))))
        return scn_expected(c, k, "kind", "a driver (micro-batch or continuous)");
    q->driver =
        k && !strcmp(k->text, "continuous") ? PIPE_DRIVER_CONTINUOUS : PIPE_DRIVER_MICRO_BATCH;
    /* A --set that turns the file's micro-batch driver continuous (a sweep comparing
     * drivers) makes the file's trigger moot: it is ignored, not an error. */
    if (q->driver == PIPE_DRIVER_CONTINUOUS && v[D_TRIGGER] && k->origin && !v[D_TRIGGER]->origin)
        return 0;
    if (q->driver == PIPE_DRIVER_CONTINUOUS && v[D_TRIGGER])
        return scn_fail(c, scn_key_of(m, v[D_TRIGGER]),
                        "the continuous driver has no 'trigger': every record is one");
    if (q->driver == PIPE_DRIVER_CONTINUOUS && q->window.mode == WIN_MODE_COMPLETE)
        return scn_fail(c, k,
                        "output 'complete' needs the micro-batch driver (it emits the "
                        "whole table at every trigger; as in Spark, continuous "
                        "processing does not support it)");
    return v[D_TRIGGER] ? scn_get_duration(c, v[D_TRIGGER], "trigger", true, &q->trigger_ns) : 0;
}

int scn_stream_query(struct scn_ctx *c, const struct scn_node *pipeline,
                     const struct scn_node *driver) {
    struct pipe_query *q = &c->out->pipe.query;
    q->trigger_ns = SIM_NS_PER_S;
    if (!pipeline) {
        if (driver)
            return scn_fail(c, driver, "'driver' runs a 'pipeline', and this file has none");
        return 0;
    }
    if (pipeline->type != SCN_Y_SEQ || !pipeline->n)
        return scn_expected(c, pipeline, "pipeline",
                            "a list of operators ending in a window, or one kmeans or "
                            "linear_regression");
    if (pipeline->n > PIPE_OPS_MAX + 1)
        return scn_fail(c, pipeline, "a pipeline has at most %u operators before its window",
                        PIPE_OPS_MAX);
    if (scn_ml_is_op(pipeline->kids[0])) { /* a model: scn_ml.c */
        int rc = scn_ml_pipeline(c, pipeline);
        return rc || !driver ? rc : get_driver(c, driver);
    }
    bool joined = false;
    for (uint32_t i = 0; i < pipeline->n; i++) {
        int rc = get_op(c, pipeline->kids[i], i + 1 == pipeline->n, &joined);
        if (rc) return rc;
    }
    q->enabled = true;
    return driver ? get_driver(c, driver) : 0;
}

/* ---- expectations ---- */

enum { X_LATE_DROPPED, X_WINDOWS, X_MATCH, X_ROWS, X_N };

enum { R_START, R_END, R_KEY, R_VALUE, R_N };
static const char *const row_keys[R_N] = {"start", "end", "key", "value"};
static const struct scn_mapspec row_spec = {"for each row in 'window_rows'",
                                            "in a window row",
                                            "key",
                                            row_keys,
                                            R_N,
                                            SCN_BIT(R_START) | SCN_BIT(R_KEY) | SCN_BIT(R_VALUE)};

/* A window bound: a clock time (12:05, ns since midnight) or a duration (10m, -5m). */
static int get_time(struct scn_ctx *c, const struct scn_node *n, const char *key, int64_t *out) {
    const char *why;
    uint64_t t;
    if (n->type == SCN_Y_SCALAR && n->len <= SCN_NUMBER_LEN_MAX) {
        bool neg = n->text[0] == '-';
        const char *s = n->text + neg;
        int rc = strchr(s, ':') ? csv_parse_time(s, strlen(s), NULL, &t, &why)
                                : scn_parse_duration(s, &t);
        if (rc == 0) {
            *out = neg ? -(int64_t)t : (int64_t)t;
            return 0;
        }
    }
    return scn_expected(c, n, key, "a time like 12:05 or a duration like 10m");
}

static int get_row(struct scn_ctx *c, const struct scn_node *m, struct scn_window_row *r) {
    const struct scn_node *v[R_N];
    int rc = scn_map_collect(c, m, &row_spec, v);
    if (!rc) rc = get_time(c, v[R_START], "start", &r->start_ns);
    r->end_ns = r->start_ns + (int64_t)c->out->pipe.query.window.length_ns;
    if (!rc && v[R_END]) rc = get_time(c, v[R_END], "end", &r->end_ns);
    if (rc) return rc;
    const struct scn_node *k = v[R_KEY];
    if (k->type != SCN_Y_SCALAR || !k->len || k->len >= sizeof r->key)
        return scn_expected(c, k, "key", "a key name");
    snprintf(r->key, sizeof r->key, "%s", k->text);
    r->line = m->line;
    r->col = m->col;
    return scn_get_number(c, v[R_VALUE], "value", -1e300, 1e300, false, &r->value);
}

int scn_stream_expect(struct scn_ctx *c, const struct scn_node *m, const struct scn_node *const *v,
                      struct scn_expect *e) {
    const struct scn_node *any = v[X_LATE_DROPPED] ? v[X_LATE_DROPPED]
                                 : v[X_WINDOWS]    ? v[X_WINDOWS]
                                 : v[X_MATCH]      ? v[X_MATCH]
                                                   : v[X_ROWS];
    if (!any) return 0;
    if (!c->out->pipe.query.enabled)
        return scn_fail(c, scn_key_of(m, any),
                        "'%s' checks a windowed query, and this file has no 'pipeline'",
                        scn_key_of(m, any)->text);
    int rc = 0;
    bool b;
    if (v[X_LATE_DROPPED])
        rc = scn_get_bound(c, v[X_LATE_DROPPED], "late_dropped", &e->late_dropped);
    if (!rc && v[X_WINDOWS]) rc = scn_get_bound(c, v[X_WINDOWS], "windows", &e->windows);
    if (!rc && v[X_MATCH] && !(rc = scn_get_bool(c, v[X_MATCH], "windows_match_reference", &b)))
        e->windows_match_reference = b;
    const struct scn_node *rows = v[X_ROWS];
    if (rc || !rows) return rc;
    if (rows->type != SCN_Y_SEQ || !rows->n)
        return scn_expected(c, rows, "window_rows", "a list of rows {start, key, value}");
    if (rows->n > SCN_WINDOW_ROWS_MAX)
        return scn_fail(c, rows, "'window_rows' lists at most %u rows, found %u",
                        SCN_WINDOW_ROWS_MAX, rows->n);
    for (uint32_t i = 0; !rc && i < rows->n; i++)
        rc = get_row(c, rows->kids[i], &e->rows[i]);
    e->nrows = rc ? 0 : rows->n;
    return rc;
}

/* ---- checking a run ---- */

void scn_append(char *buf, size_t size, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

bool scn_append_bound(const char *name, const struct scn_bound *b, uint64_t v, char *buf,
                      size_t size) {
    if (b->op == SCN_CMP_NONE) return true;
    char want[32];
    scn_append(buf, size, "%s%s %llu (expect %s)", buf[0] ? ", " : "", name, (unsigned long long)v,
               scn_bound_str(b, want, sizeof want));
    return scn_bound_holds(b, v);
}

static bool row_holds(const struct scn_window_row *r, const struct exp_windows *w, char *buf,
                      size_t size) {
    for (size_t i = 0; w && i < w->n; i++) {
        const struct exp_window_row *x = &w->rows[i];
        if (x->window_start_ns != r->start_ns || x->window_end_ns != r->end_ns ||
            strcmp(x->key, r->key))
            continue;
        bool ok = x->final && fabs(x->value - r->value) <= 1e-9 * fmax(1.0, fabs(r->value));
        if (!ok)
            scn_append(buf, size, "%swindow row (line %d) %s = %.10g%s (expect %.10g)",
                       buf[0] ? ", " : "", r->line, r->key, x->value, x->final ? "" : " not final",
                       r->value);
        return ok;
    }
    scn_append(buf, size, "%swindow row (line %d) for key %s missing", buf[0] ? ", " : "", r->line,
               r->key);
    return false;
}

bool scn_check_windows(const struct scn_expect *e, const struct exp_outcome *o,
                       const struct exp_windows *w, char *buf, size_t size) {
    bool ok = scn_append_bound("late_dropped", &e->late_dropped, o->late_dropped, buf, size);
    ok &= scn_append_bound("windows", &e->windows, o->windows, buf, size);
    if (e->windows_match_reference >= 0) {
        scn_append(buf, size, "%swindows_match_reference %s (expect %s)", buf[0] ? ", " : "",
                   o->windows_match_reference ? "true" : "false",
                   e->windows_match_reference ? "true" : "false");
        ok &= o->windows_match_reference == (e->windows_match_reference == 1);
    }
    for (uint32_t i = 0; i < e->nrows; i++)
        ok &= row_holds(&e->rows[i], w, buf, size);
    if (e->nrows && ok)
        scn_append(buf, size, "%s%u window rows hold", buf[0] ? ", " : "", e->nrows);
    return ok;
}

/* ---- the window's sum must fit int64 ---- */

#define SCN_GENERATED_VALUE_ABS_MAX 1000000000000ull /* >= SRC_GLITCH_VALUE, iot readings */

static uint64_t abs64(int64_t v) {
    return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/* The largest |value| after the query's operators (a double: it only bounds). */
static double value_bound(const struct scn_ctx *c) {
    const struct pipe_config *p = &c->out->pipe;
    double v = p->source.kind == SRC_CSV ? (double)c->csv_value_abs_max
                                         : (double)SCN_GENERATED_VALUE_ABS_MAX;
    for (uint32_t i = 0; i < p->query.nops; i++) {
        const struct pipe_op *op = &p->query.ops[i];
        if (op->kind == OP_FILTER) {
            double f = fmax((double)abs64(op->min), (double)abs64(op->max));
            v = fmin(v, f);
        }
        if (op->kind != OP_MAP) continue;
        v = op->has_set ? (double)abs64(op->set)
                        : v * (double)abs64(op->mul) / (double)op->div + (double)abs64(op->add);
    }
    return v;
}

int scn_check_window_sum(struct scn_ctx *c, const struct scn_node *at, uint64_t records) {
    const struct pipe_query *q = &c->out->pipe.query;
    if (!q->enabled || (q->window.agg != WIN_AGG_SUM && q->window.agg != WIN_AGG_MEAN)) return 0;
    double v = value_bound(c);
    if (v * (double)records < 0x1p63) return 0;
    return scn_fail(c, at,
                    "a window's %s could overflow 64 bits: values reach %.3g after the "
                    "pipeline's map and filter, and a window may hold up to %llu records "
                    "(%.3g in all, above 9.2e18); scale the values down ('map: { divide: ... "
                    "}') or filter them",
                    q->window.agg == WIN_AGG_SUM ? "sum" : "mean", v, (unsigned long long)records,
                    v * (double)records);
}
