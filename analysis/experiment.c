/* One experiment run: simulator + pipeline + ledger, then the outcome. The reference
 * per-key table comes from replaying the generator on its own. Recovery time is
 * measured from the trace: a worker's crash to the first row it makes visible after.
 * A windowed query's final table is compared with a reference the pure window engine
 * computes from the generated input alone: every record in every one of its windows. */
#include "experiment.h"

#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "query.h"
#include "source.h"

struct exp_state {
    struct ledger ledger;
    const struct exp_options *opt;
    uint64_t crashes;
    uint64_t *crashed_at; /* per node: crash time + 1 waiting for a visible row; 0 = none */
    bool *restarted;      /* per node: restarted since that crash */
    uint64_t recovery_ns;
    uint32_t nnodes;
    uint32_t sink;
};

static void on_visible(void *ctx, const struct pipe_row *row, uint64_t now_ns) {
    struct exp_state *st = ctx;
    ledger_visible(&st->ledger, row->rec, now_ns - row->created_ns);
    if (row->worker < st->nnodes && st->crashed_at[row->worker] && st->restarted[row->worker]) {
        uint64_t t = now_ns - (st->crashed_at[row->worker] - 1);
        if (t > st->recovery_ns) st->recovery_ns = t;
        st->crashed_at[row->worker] = 0;
        st->restarted[row->worker] = false;
    }
}

static void on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct exp_state *st = ctx;
    if (r->type == SIM_TR_CRASH) {
        st->crashes++;
        if (r->node < st->nnodes && !st->crashed_at[r->node])
            st->crashed_at[r->node] = r->time_ns + 1;
    }
    if (r->type == SIM_TR_RESTART && r->node < st->nnodes) st->restarted[r->node] = true;
    if (st->opt && st->opt->trace) st->opt->trace(r, st->opt->trace_ctx);
}

/* Reference: visible rows per key if every record were delivered exactly once. */
static int reference_counts(const struct pipe_config *cfg, uint64_t seed, uint64_t **counts,
                            uint64_t *n) {
    uint64_t *c = calloc(cfg->source.keys, sizeof *c);
    if (!c || src_gen_counts(&cfg->source, cfg->duration_ns, seed, c, n) != 0) {
        free(c);
        return FT_ENOMEM;
    }
    *counts = c;
    return 0;
}

static void fill_outcome(struct sim *s, struct pipe *pipe, struct exp_state *st,
                         const uint64_t *ref, struct exp_outcome *out) {
    struct ledger_summary sum;
    if (ledger_summarise(&st->ledger, &sum) != 0) memset(&sum, 0, sizeof sum);
    out->sent = st->ledger.n;
    out->delivered = sum.delivered;
    out->lost = sum.lost;
    out->duplicated = sum.duplicated;
    out->latency_p50_ns = sum.latency_p50_ns;
    out->latency_p99_ns = sum.latency_p99_ns;
    out->retries = pipe_retries(pipe);
    struct net_stats ns;
    net_stats(s, &ns);
    out->messages = ns.sent;
    out->recovery_ns = st->recovery_ns;
    out->crashes = st->crashes;
    out->end_ns = sim_now(s);
    out->events = sim_events_run(s);
    uint32_t nkeys;
    const uint64_t *got = pipe_warehouse_counts(pipe, &nkeys);
    for (uint32_t k = 0; k < nkeys; k++)
        if (got[k] != ref[k]) out->keys_mismatched++;
    out->matches_reference = out->keys_mismatched == 0 && st->ledger.unknown == 0;
    sim_trace_hash_hex(s, out->trace_hash);
}

/* The no-lateness reference of the windowed query: the operators and the windows over
 * the generated input, every contribution counted. */
static int window_reference(const struct pipe_config *cfg, uint64_t seed, struct win_row **rows,
                            size_t *n, struct ft_error *err) {
    struct src_gen g;
    struct query q;
    struct win_ref *ref = NULL;
    int rc = src_gen_open(&g, &cfg->source, cfg->duration_ns, seed, err);
    if (rc) return rc;
    rc = query_compile(&cfg->query, &g, &q, err);
    if (!rc) rc = win_ref_new(&cfg->query.window, &ref, err);
    struct src_record r;
    while (!rc && src_gen_next(&g, &r)) {
        uint64_t k;
        int64_t v;
        if (query_apply(&q, r.key, r.value, &k, &v) != QUERY_KEEP) continue;
        struct win_input in = {k, r.event_ns, v, r.arrival_ns};
        rc = win_ref_add(ref, &in, err);
    }
    if (!rc) rc = win_ref_rows(ref, rows, n, err);
    win_ref_free(ref);
    query_free(&q);
    src_gen_free(&g);
    return rc;
}

static int export_rows(const struct pipe *pipe, const struct win_row *rows, size_t n,
                       struct exp_window_row **out) {
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out) return FT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct exp_window_row *x = &(*out)[i];
        x->window_start_ns = rows[i].start_ns;
        x->window_end_ns = rows[i].end_ns;
        pipe_window_key_name(pipe, rows[i].key, x->key, sizeof x->key);
        x->value = rows[i].value;
        x->emitted_at_ns = rows[i].emitted_at_ns;
        x->final = rows[i].final;
    }
    return 0;
}

static int fill_windows(struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
                        struct exp_windows *table, struct exp_outcome *out,
                        struct ft_error *err) {
    struct win_row *rows = NULL, *ref = NULL;
    size_t n = 0, nref = 0, nlat;
    int rc = pipe_window_finish(pipe, err);
    if (!rc && (rc = pipe_window_rows(pipe, &rows, &n)))
        ft_fail(err, rc, "cannot hold the window table");
    if (!rc) rc = window_reference(cfg, seed, &ref, &nref, err);
    if (rc) goto done;
    struct pipe_window_stats ws;
    pipe_window_stats(pipe, &ws);
    out->windows_enabled = true;
    out->windows = n;
    for (size_t i = 0; i < n; i++) out->windows_final += rows[i].final;
    out->late_dropped = ws.late_dropped;
    out->late_records = ws.late_records;
    out->window_rows_emitted = ws.rows_emitted;
    out->window_triggers = ws.triggers;
    out->filtered = ws.filtered + ws.unmatched;
    out->windows_mismatched = win_rows_mismatched(rows, n, ref, nref);
    out->windows_match_reference = out->windows_mismatched == 0;
    const uint64_t *lat = pipe_window_latencies(pipe, &nlat);
    uint64_t q[2];
    static const unsigned pct[2] = {50, 99};
    if ((rc = ledger_quantiles(lat, nlat, pct, q, 2))) goto done;
    out->window_latency_p50_ns = q[0];
    out->window_latency_p99_ns = q[1];
    if (table && !(rc = export_rows(pipe, rows, n, &table->rows))) table->n = n;
    if (!rc && table && table->want_log) {
        size_t nlog, nwm;
        const struct win_row *log = pipe_window_log(pipe, &nlog, &table->log_truncated);
        const struct pipe_watermark *wm = pipe_window_watermarks(pipe, &nwm);
        if (!(rc = export_rows(pipe, log, nlog, &table->log))) table->nlog = nlog;
        table->watermarks = malloc((nwm ? nwm : 1) * sizeof *table->watermarks);
        if (!rc && !table->watermarks) rc = FT_ENOMEM;
        if (!rc && nwm) memcpy(table->watermarks, wm, nwm * sizeof *wm);
        if (!rc) table->nwatermarks = nwm;
    }
    if (rc) ft_fail(err, rc, "out of memory for the window table");
done:
    if (rc == FT_ENOMEM && !err->msg[0]) ft_fail(err, rc, "out of memory for the window table");
    free(rows);
    free(ref);
    return rc;
}

void exp_windows_free(struct exp_windows *w) {
    if (!w) return;
    bool want_log = w->want_log;
    free(w->rows);
    free(w->log);
    free(w->watermarks);
    memset(w, 0, sizeof *w);
    w->want_log = want_log;
}

int exp_run(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
            const struct exp_options *opt, struct exp_outcome *out, struct ft_error *err) {
    return exp_run_windows(cfg, p, seed, opt, out, NULL, err);
}

int exp_run_windows(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                    const struct exp_options *opt, struct exp_outcome *out,
                    struct exp_windows *windows, struct ft_error *err) {
    memset(out, 0, sizeof *out);
    struct exp_state st = {.opt = opt};
    uint64_t *ref = NULL, n = 0;
    struct sim *s = NULL;
    struct pipe *pipe = NULL;
    int rc = reference_counts(cfg, seed, &ref, &n);
    if (rc == 0) rc = ledger_init(&st.ledger, n);
    if (rc) {
        free(ref);
        return ft_fail(err, rc, "out of memory for %llu records", (unsigned long long)n);
    }
    s = sim_new(&(struct sim_config){.seed = seed});
    st.nnodes = PIPE_WORKERS_MAX + 3;
    st.crashed_at = calloc(st.nnodes, sizeof *st.crashed_at);
    st.restarted = calloc(st.nnodes, sizeof *st.restarted);
    if (!s || !st.crashed_at || !st.restarted) {
        rc = ft_fail(err, FT_ENOMEM, "out of memory");
        goto done;
    }
    sim_set_trace_hook(s, on_trace, &st);
    struct pipe_observer obs = {on_visible, &st};
    rc = pipe_build(s, cfg, p, seed, &obs, &pipe, err);
    if (rc) goto done;
    if (windows) pipe_window_keep_log(pipe, windows->want_log);
    rc = sim_run_until(s, cfg->duration_ns + cfg->drain_ns);
    if (rc) {
        ft_fail(err, rc, "%s", sim_error(s)->msg);
        goto done;
    }
    if (cfg->query.enabled && (rc = fill_windows(pipe, cfg, seed, windows, out, err))) goto done;
    fill_outcome(s, pipe, &st, ref, out);
done:
    pipe_free(pipe);
    sim_free(s);
    ledger_free(&st.ledger);
    free(st.crashed_at);
    free(st.restarted);
    free(ref);
    return rc;
}
