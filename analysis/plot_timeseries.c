/* Figures over simulated time (docs/plots.md): (c) timeseries-SCENARIO, for one seed
 * (the file's own when stored, table scenarios), every protocol: records made visible
 * per second, a lane per fault (a node down, the network partitioned, partitions moved,
 * messages a drop: rule removed) and the latency record -> sink row, the x axis over
 * the data's span (clock time for clock-time input), the drain after the source's end
 * left out (its partial bins would look like a failure) and said so. Only plain runs
 * (params '') of a scenario's newest file version are drawn. The latency CDF is in
 * plot_latency.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "plot_internal.h"

#define LANES_MAX 8u
#define TS_BUCKETS_MAX 100000u

struct ts_bucket {
    double t0, w, tput, p50, p99; /* s, s, records/s, ms, ms (p50 <= 0: nothing visible) */
    int64_t visible, in_flight, retries;
};

struct ts_run {
    sqlite3_int64 id;
    char protocol[PLOT_TEXT_MAX];
    struct ts_bucket *b;
    size_t n, drawn;         /* buckets; the first `drawn` end by the source's end */
    int64_t drained_visible; /* rows made visible in the buckets left out */
    int same_tput, same_lat; /* index of an earlier run with the same series, or -1 */
};

static int run_order(const void *a, const void *b) {
    const struct ts_run *x = a, *y = b;
    int d = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    return d ? d : strcmp(x->protocol, y->protocol);
}

/* The runs of (scenario, seed) with time series, in protocol order. */
static int runs_of(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed,
                   struct ts_run *runs, uint32_t *n) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.id, r.protocol FROM runs r WHERE r.scenario = ?1 AND"
                          " r.seed = ?2 AND" PLOT_PLAIN_LATEST
                          " AND EXISTS (SELECT 1 FROM timeseries t WHERE t.run_id = r.id)",
                          &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seed);
    *n = 0;
    while ((rc = plot_step(c, st)) == 1 && *n < PLOT_SERIES_MAX) {
        memset(&runs[*n], 0, sizeof runs[*n]);
        runs[*n].id = sqlite3_column_int64(st, 0);
        plot_text(runs[*n].protocol, sizeof runs[*n].protocol, st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    qsort(runs, *n, sizeof *runs, run_order);
    return rc < 0 ? rc : 0;
}

static int read_buckets(struct plot_ctx *c, struct ts_run *r) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT bucket_start_ns, bucket_ns, visible, throughput_per_s,"
                          " latency_p50_ns, latency_p99_ns, in_flight, retries"
                          " FROM timeseries WHERE run_id = ? ORDER BY bucket_start_ns",
                          &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, r->id);
    size_t cap = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (r->n >= TS_BUCKETS_MAX || ft_grow((void **)&r->b, &cap, r->n + 1, sizeof *r->b, 256)) {
            rc = ft_fail(c->err, FT_ELIMIT, "timeseries: more than %u buckets in run %lld",
                         TS_BUCKETS_MAX, (long long)r->id);
            break;
        }
        struct ts_bucket *k = &r->b[r->n++];
        k->t0 = (double)sqlite3_column_int64(st, 0) / 1e9;
        k->w = (double)sqlite3_column_int64(st, 1) / 1e9;
        k->visible = sqlite3_column_int64(st, 2);
        k->tput = sqlite3_column_double(st, 3);
        k->p50 = k->visible > 0 ? (double)sqlite3_column_int64(st, 4) / 1e6 : 0;
        k->p99 = k->visible > 0 ? (double)sqlite3_column_int64(st, 5) / 1e6 : 0;
        k->in_flight = sqlite3_column_int64(st, 6);
        k->retries = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static bool active(const struct ts_bucket *k) {
    return k->visible > 0 || k->in_flight > 0 || k->retries > 0;
}

/* ---- markers: the run's faults and what followed them ---- */

/* The fault lanes, top to bottom: the network partitioned, each node that crashed
 * (down until its restart), partitions moved to other workers, messages dropped by a
 * rule. Returns how many; names[i] is lane i's label. */
struct ts_lanes {
    char name[LANES_MAX][PLOT_TEXT_MAX + 16];
    char key[LANES_MAX][PLOT_TEXT_MAX + 16]; /* kind or node the lane collects */
    uint32_t n;
};

static int lane_of(struct ts_lanes *L, const char *key, const char *name) {
    for (uint32_t i = 0; i < L->n; i++)
        if (strcmp(L->key[i], key) == 0) return (int)i;
    if (L->n == LANES_MAX) return -1;
    snprintf(L->key[L->n], sizeof L->key[L->n], "%s", key);
    snprintf(L->name[L->n], sizeof L->name[L->n], "%s", name);
    return (int)L->n++;
}

static void lanes_of(const struct plot_marker *m, uint32_t nm, struct ts_lanes *L) {
    memset(L, 0, sizeof *L);
    for (uint32_t i = 0; i < nm; i++)
        if (strcmp(m[i].kind, "partition") == 0) lane_of(L, "partition", "network partitioned");
    for (uint32_t i = 0; i < nm; i++)
        if (strcmp(m[i].kind, "crash") == 0) {
            char name[PLOT_TEXT_MAX + 16];
            snprintf(name, sizeof name, "%s down", m[i].node);
            lane_of(L, m[i].node, name);
        }
    for (uint32_t i = 0; i < nm; i++)
        if (strcmp(m[i].kind, "rebalance") == 0) lane_of(L, "rebalance", "partitions moved");
    for (uint32_t i = 0; i < nm; i++)
        if (strcmp(m[i].kind, "drop") == 0) lane_of(L, "drop", "dropped by rule");
}

/* What the lanes hold: a plot clause is written only for data that has rows (gnuplot
 * 5.4 crashes on `with labels` whose every point is undefined). */
struct ts_lane_has {
    uint32_t bars, pts; /* their blocks */
    bool bar, bar_label, drop, move, pt_label;
};

/* Bars (a node down, the network partitioned) and points (moves, drops) per lane, in
 * two blocks; every marker also gets a thin vertical line across the panels. */
static void lanes_dat(struct plot_fig *f, const struct plot_marker *m, uint32_t nm,
                      struct ts_lanes *L, double x_end, struct ts_lane_has *h) {
    FILE *gp = f->gp, *dat = f->dat;
    memset(h, 0, sizeof *h);
    h->bars = plot_block(f, "fault bars: 1 from_s  2 to_s  3 lane (1 = bottom)  4 kind  5 label"
                            "  6 rgb");
    bool any = false;
    for (uint32_t i = 0; i < nm; i++) {
        bool crash = strcmp(m[i].kind, "crash") == 0, part = strcmp(m[i].kind, "partition") == 0;
        if (!crash && !part) continue;
        int lane = lane_of(L, crash ? m[i].node : "partition", "");
        double end = x_end;
        bool ended = false;
        for (uint32_t k = i + 1; k < nm && !ended; k++)
            if ((crash && strcmp(m[k].kind, "restart") == 0 && strcmp(m[k].node, m[i].node) == 0) ||
                (part && strcmp(m[k].kind, "heal") == 0)) {
                end = m[k].t_s;
                ended = true;
            }
        if (lane < 0) continue;
        fprintf(dat, "%.9g %.9g %u %s ", m[i].t_s, end, L->n - (uint32_t)lane, m[i].kind);
        plot_dat_str(dat, ended ? "" : crash ? "no restart" : "not healed");
        fprintf(dat, " %ld\n", strtol(plot_marker_color(m[i].kind) + 1, NULL, 16));
        any = true;
        h->bar_label |= !ended;
    }
    if (!any) fputs("NaN NaN NaN none \"\" 0\n", dat);
    h->bar = any;
    h->pts = plot_block(f, "fault points: 1 t_s  2 lane  3 kind  4 label");
    any = false;
    double last_label = -INFINITY;
    for (uint32_t i = 0; i < nm; i++) {
        bool drop = strcmp(m[i].kind, "drop") == 0, move = strcmp(m[i].kind, "rebalance") == 0;
        if (!drop && !move) continue;
        int lane = lane_of(L, m[i].kind, "");
        if (lane < 0) continue;
        fprintf(dat, "%.9g %u %s ", m[i].t_s, L->n - (uint32_t)lane, m[i].kind);
        /* a label only where it does not run into the previous one (~ 1/8 of the axis) */
        bool room = drop && m[i].t_s - last_label > x_end / 8;
        plot_dat_str(dat, room ? m[i].label : "");
        fputc('\n', dat);
        if (room) last_label = m[i].t_s;
        h->pt_label |= room;
        h->drop |= drop;
        h->move |= move;
        any = true;
    }
    if (!any) fputs("NaN NaN none \"\"\n", dat);
    for (uint32_t i = 0; i < nm; i++)
        fprintf(gp,
                "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead back lc rgb \"%s\" dt 3 "
                "lw 1.2\n",
                m[i].t_s, m[i].t_s, plot_marker_color(m[i].kind));
}

/* ---- extents ---- */

struct ts_extent {
    double lo, hi; /* x range (s) */
    bool clock;    /* clock-time input: HH:MM tics */
    double tput_max, lat_min, lat_max;
};

/* Which buckets are drawn: those ending by the source's end (duration_s > 0), else all
 * up to the last active one; and the x range over the active buckets and markers. */
static void ts_extent(struct ts_run *runs, uint32_t n, double duration_s, const struct plot_marker *m,
                      uint32_t nm, struct ts_extent *x) {
    *x = (struct ts_extent){INFINITY, 0, false, 0, INFINITY, 0};
    for (uint32_t i = 0; i < n; i++) {
        struct ts_run *r = &runs[i];
        r->drawn = r->n;
        r->drained_visible = 0;
        if (duration_s > 0)
            for (size_t k = 0; k < r->n; k++)
                if (r->b[k].t0 + r->b[k].w > duration_s * (1 + 1e-9)) {
                    r->drawn = k;
                    break;
                }
        for (size_t k = r->drawn; k < r->n; k++)
            r->drained_visible += r->b[k].visible;
        for (size_t k = 0; k < r->drawn; k++) {
            const struct ts_bucket *b = &r->b[k];
            if (!active(b)) continue;
            x->lo = fmin(x->lo, b->t0);
            x->hi = fmax(x->hi, b->t0 + b->w);
            x->tput_max = fmax(x->tput_max, b->tput);
            if (b->p50 > 0) {
                x->lat_min = fmin(x->lat_min, b->p50);
                x->lat_max = fmax(x->lat_max, b->p99);
            }
        }
    }
    for (uint32_t i = 0; i < nm; i++) {
        x->lo = fmin(x->lo, m[i].t_s);
        x->hi = fmax(x->hi, m[i].t_s);
    }
    if (!(x->lo <= x->hi)) x->lo = x->hi = 0;
    x->clock = x->lo >= PLOT_CLOCK_FROM_S;
    double span = x->hi - x->lo, pad = 0.02 * span + (span == 0);
    x->lo = !x->clock && x->lo <= 0.25 * x->hi ? 0 : x->lo - pad;
    x->hi += pad;
}

/* Run j's series equals an earlier run's (throughput, or p50 and p99): -1 or its index. */
static int same_as(const struct ts_run *runs, uint32_t j, bool latency) {
    for (uint32_t i = 0; i < j; i++) {
        const struct ts_run *a = &runs[i], *b = &runs[j];
        bool eq = a->drawn == b->drawn;
        for (size_t k = 0; eq && k < a->drawn; k++)
            eq = latency ? a->b[k].p50 == b->b[k].p50 && a->b[k].p99 == b->b[k].p99
                         : a->b[k].tput == b->b[k].tput;
        if (eq) return (int)i;
    }
    return -1;
}

/* ---- writing ---- */

static void ts_block(struct plot_fig *f, const struct ts_run *r) {
    plot_block(f, "%s (run %lld)%s", r->protocol, (long long)r->id,
               r->drawn < r->n ? ", up to the source's end" : "");
    for (size_t k = 0; k < r->drawn; k++) {
        const struct ts_bucket *b = &r->b[k];
        fprintf(f->dat, "%.9g %.9g %.6g ", b->t0 + b->w / 2, b->w, b->tput);
        if (b->p50 > 0)
            fprintf(f->dat, "%.6g %.6g", b->p50, b->p99);
        else
            fputs("NaN NaN", f->dat); /* nothing became visible: no latency */
        fprintf(f->dat, " %lld %lld\n", (long long)b->in_flight, (long long)b->retries);
    }
    if (r->drawn == 0) fputs("NaN NaN NaN NaN NaN 0 0\n", f->dat);
}

/* Vertical layout in pixels (times fs), from the top: title, throughput key and panel,
 * the fault lanes, the latency key and panel, the x axis. */
static void ts_layout(FILE *gp, uint32_t nlanes, size_t lane_chars, uint32_t nruns,
                      size_t title_chars) {
    /* the keys take as many rows as their entries need at this width (~9 px a character
     * and 80 px of sample per entry): throughput one entry per protocol, latency a
     * column of two (p50, p99) per protocol */
    fprintf(gp,
            "nl = %u\nlm = (%.0f * fs) / width\nrm = 1 - 24.0 / width\n"
            "colw = (%zu * 9 + 80) * fs\ncols = floor((width - 40) / colw)\n"
            "cols = cols < 1 ? 1 : cols\nrows1 = ceil(%u.0 / cols)\nrows2 = 2 * rows1\n"
            "top = 64 * fs\nkey1 = (rows1 * 19 + 9) * fs\nlane = 22 * fs * nl\n"
            "gap = (nl > 0 ? 12 : 0) * fs\nkey2 = (rows2 * 19 + 10) * fs\nbot = 56 * fs\n"
            "ph = (height - top - key1 - lane - 2 * gap - key2 - bot) / 2.0\n"
            "y1t = 1 - (top + key1) / height\ny1b = y1t - ph / height\n"
            "y2t = y1b - gap / height\ny2b = y2t - lane / height\n"
            "y3t = y2b - (gap + key2) / height\ny3b = bot / height\n"
            "set lmargin at screen lm\nset rmargin at screen rm\n",
            nlanes, 36.0 + 8.5 * (double)(lane_chars > 9 ? lane_chars : 9), title_chars, nruns);
}

static void ts_plot_tput(FILE *gp, const char *name, const struct ts_run *runs, uint32_t n,
                         const struct ts_extent *x) {
    fprintf(gp,
            "set tmargin at screen y1t\nset bmargin at screen y1b\nset format x \"\"\n"
            "unset xlabel\nset key at screen 0.5, screen y1t + key1 / height center top "
            "horizontal\nset ylabel \"records made visible\\nat the sink per second\"\n"
            "set yrange [0:%.6g]\nplot ",
            x->tput_max > 0 ? x->tput_max * 1.15 : 1.0);
    for (uint32_t i = 0; i < n; i++) {
        char title[3 * PLOT_TEXT_MAX], q[6 * PLOT_TEXT_MAX];
        snprintf(title, sizeof title, "%s%s%s%s", runs[i].protocol,
                 runs[i].same_tput >= 0 ? " (same as " : "",
                 runs[i].same_tput >= 0 ? runs[runs[i].same_tput].protocol : "",
                 runs[i].same_tput >= 0 ? ")" : "");
        fprintf(gp,
                "%s\"%s.dat\" index %u using 1:3 with linespoints lw 2 dt %d pt %d ps 0.9*pscale "
                "pi -6 lc rgb \"%s\" title %s",
                i ? ", \\\n     " : "", name, i, plot_protocol_dash(runs[i].protocol),
                plot_protocol_point(runs[i].protocol), plot_protocol_color(runs[i].protocol),
                plot_q(q, sizeof q, title));
    }
    fputc('\n', gp);
}

static void lane_clause(FILE *gp, bool *first, const char *name, uint32_t index, const char *rest) {
    fprintf(gp, "%s\"%s.dat\" index %u %s", *first ? "plot " : ", \\\n     ", name, index, rest);
    *first = false;
}

static void ts_plot_lanes(FILE *gp, const char *name, const struct ts_lanes *L,
                          const struct ts_lane_has *h) {
    if (L->n == 0) return;
    fputs("set tmargin at screen y2t\nset bmargin at screen y2b\nunset key\nunset ylabel\n"
          "set yrange [0.5:nl + 0.5]\nset grid noytics\nset ytics scale 0 (",
          gp);
    for (uint32_t i = 0; i < L->n; i++) {
        char q[2 * PLOT_TEXT_MAX + 40];
        fprintf(gp, "%s%s %u", i ? ", " : "", plot_q(q, sizeof q, L->name[i]), L->n - i);
    }
    fputs(")\nset style fill solid 0.55 noborder\n", gp);
    bool first = true;
    if (h->bar)
        lane_clause(gp, &first, name, h->bars,
                    "using (($1 + $2) / 2):3:(($2 - $1) / 2):(0.32):6 with boxxyerror "
                    "lc rgb variable notitle");
    if (h->bar_label)
        lane_clause(gp, &first, name, h->bars,
                    "using 2:3:5 with labels right offset -0.5,0 font f(10) notitle");
    if (h->drop)
        lane_clause(gp, &first, name, h->pts,
                    "using 1:(strcol(3) eq \"drop\" ? $2 : NaN) with points pt 2 ps 1.6*pscale "
                    "lw 2 lc rgb \"#C00000\" notitle");
    if (h->move)
        lane_clause(gp, &first, name, h->pts,
                    "using 1:(strcol(3) eq \"rebalance\" ? $2 : NaN) with points pt 9 "
                    "ps 1.4*pscale lc rgb \"#7B2FA0\" notitle");
    if (h->pt_label)
        lane_clause(gp, &first, name, h->pts,
                    "using 1:2:4 with labels left offset 1,0 font f(10) notitle");
    fputs("\nset grid ytics\nset ytics autofreq scale 1\n", gp);
}

/* A latency value with no neighbour to join: a line would not show it, a point must. */
static bool isolated(const struct ts_run *r) {
    for (size_t k = 0; k < r->drawn; k++)
        if (r->b[k].p50 > 0 && (k == 0 || r->b[k - 1].p50 <= 0) &&
            (k + 1 == r->drawn || r->b[k + 1].p50 <= 0))
            return true;
    return false;
}

static void ts_plot_latency(FILE *gp, const char *name, const struct ts_run *runs, uint32_t n,
                            const struct ts_extent *x) {
    bool logy = x->lat_max > 0 && x->lat_min > 0 && x->lat_max / x->lat_min > 30;
    bool constant = x->lat_max > 0 && x->lat_max <= x->lat_min * 1.02;
    fputs("set tmargin at screen y3t\nset bmargin at screen y3b\nset format x\n"
          "set key at screen 0.5, screen y3t + key2 / height center top vertical maxrows rows2\n",
          gp);
    fprintf(gp, "set ylabel \"latency record -> sink row\\n(ms%s)\"\n", logy ? ", log scale" : "");
    if (logy)
        fputs("set logscale y\nset yrange [*:*]\n", gp);
    else
        fprintf(gp, "set yrange [0:%.6g]\n",
                x->lat_max > 0 ? x->lat_max * (constant ? 2.0 : 1.2) : 1.0);
    if (constant) /* drawn mid-panel, and said: a line on the border reads as nothing */
        fprintf(gp,
                "set label \"every record made visible after %.3g ms (constant)\" at graph "
                "0.02, graph 0.88 left front\n",
                x->lat_max);
    fputs("plot ", gp);
    for (uint32_t i = 0; i < n; i++) {
        const struct ts_run *r = &runs[i];
        const char *col = plot_protocol_color(r->protocol);
        char title[3 * PLOT_TEXT_MAX], q[6 * PLOT_TEXT_MAX];
        snprintf(title, sizeof title, "%s p50%s%s%s", r->protocol,
                 r->same_lat >= 0 ? " (same as " : "",
                 r->same_lat >= 0 ? runs[r->same_lat].protocol : "", r->same_lat >= 0 ? ")" : "");
        fprintf(gp,
                "%s\"%s.dat\" index %u using 1:4 with linespoints lw 2 dt %d pt %d ps 0.9*pscale "
                "pi %d lc rgb \"%s\" title %s, \\\n     \"\" index %u using 1:5 with lines lw 1.2 "
                "dt (4,4) lc rgb \"%s\" title \"p99\"",
                i ? ", \\\n     " : "", name, i, plot_protocol_dash(r->protocol),
                plot_protocol_point(r->protocol), isolated(r) ? 1 : -6, col,
                plot_q(q, sizeof q, title), i, col);
    }
    fputs("\nunset label\n", gp);
}

static void ts_title(char *buf, size_t size, const char *scenario, sqlite3_int64 seed,
                     bool file_seed, const struct ts_run *runs, uint32_t n, double duration_s,
                     bool clock) {
    int64_t drained = 0;
    for (uint32_t i = 0; i < n; i++)
        drained = runs[i].drained_visible > drained ? runs[i].drained_visible : drained;
    int k = snprintf(buf, size, "%s, seed %llu%s: records made visible and their latency", scenario,
                     plot_seed(seed), file_seed ? " (the file's)" : "");
    char t[32];
    if (k > 0 && (size_t)k < size && duration_s > 0 && drained > 0)
        snprintf(buf + k, size - (size_t)k,
                 "\nthe drain after the source's end at %s (up to %lld more rows made visible) "
                 "is not drawn: its bins are partial",
                 plot_time_text(duration_s, clock, t, sizeof t), (long long)drained);
}

static int ts_write(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed, bool file_seed,
                    struct ts_run *runs, uint32_t n, const char *name) {
    struct plot_meta meta;
    plot_scenario_meta(c, scenario, &meta);
    struct plot_marker *m = malloc(PLOT_MARKERS_MAX * sizeof *m);
    if (!m) return ft_fail(c->err, FT_ENOMEM, "out of memory");
    uint32_t nm = 0;
    struct ts_extent x;
    ts_extent(runs, n, meta.duration_s, m, 0, &x);
    sqlite3_int64 ids[PLOT_SERIES_MAX];
    for (uint32_t i = 0; i < n; i++)
        ids[i] = runs[i].id;
    int rc = plot_markers(c, ids, n, x.hi - x.lo, true, m, &nm);
    struct ts_lanes L;
    lanes_of(m, nm, &L);
    size_t lane_chars = 0;
    for (uint32_t i = 0; i < L.n; i++)
        lane_chars = strlen(L.name[i]) > lane_chars ? strlen(L.name[i]) : lane_chars;
    ts_extent(runs, n, meta.duration_s, m, nm, &x);
    for (uint32_t i = 0; i < n; i++) {
        runs[i].same_tput = same_as(runs, i, false);
        runs[i].same_lat = same_as(runs, i, true);
    }
    struct plot_fig f;
    if (!rc)
        rc = plot_fig_open(c, &f, name, "throughput, faults and latency over simulated time", 1300,
                           (int)(860 + 22 * L.n));
    if (rc) {
        free(m);
        return rc;
    }
    fputs("# One block per protocol (gnuplot index 0, 1, ...), then the fault lanes.\n"
          "# columns: 1 t_s (bucket middle)  2 bucket_s  3 throughput_per_s (records made\n"
          "#          visible per second)  4 latency_p50_ms  5 latency_p99_ms (record created\n"
          "#          -> its row visible at the sink; NaN: no record became visible in the\n"
          "#          bucket)  6 in_flight  7 retries\n",
          f.dat);
    for (uint32_t i = 0; i < n; i++)
        ts_block(&f, &runs[i]);
    char title[512], q[1100];
    ts_title(title, sizeof title, scenario, seed, file_seed, runs, n, meta.duration_s, x.clock);
    fprintf(f.gp, "set multiplot title %s\nset grid lc rgb \"#dddddd\"\nset xrange [%.9g:%.9g]\n",
            plot_q(q, sizeof q, title), x.lo, x.hi);
    if (x.clock) plot_clock_tics(f.gp, 'x', x.lo, x.hi, false);
    size_t title_chars = 0;
    for (uint32_t i = 0; i < n; i++) {
        int same = runs[i].same_tput >= 0 ? runs[i].same_tput : runs[i].same_lat;
        size_t k =
            strlen(runs[i].protocol) + 4 + (same >= 0 ? 11 + strlen(runs[same].protocol) : 0);
        title_chars = k > title_chars ? k : title_chars;
    }
    ts_layout(f.gp, L.n, lane_chars, n, title_chars);
    struct ts_lane_has h;
    lanes_dat(&f, m, nm, &L, x.hi, &h);
    free(m);
    ts_plot_tput(f.gp, name, runs, n, &x);
    ts_plot_lanes(f.gp, name, &L, &h);
    fprintf(f.gp, "set xlabel \"simulated time%s\"\n",
            x.clock ? " (clock time of the replayed input)" : " (s)");
    if (x.clock) plot_clock_tics(f.gp, 'x', x.lo, x.hi, true);
    ts_plot_latency(f.gp, name, runs, n, &x);
    fputs("unset multiplot\n", f.gp);
    return plot_fig_close(c, &f);
}

/* The seed to draw: the file's own (table scenarios) when it has time series, else the
 * least seed of those with the most protocols. */
static int ts_seed(struct plot_ctx *c, const char *scenario, sqlite3_int64 *seed, bool *file_seed) {
    struct plot_meta meta;
    bool known = plot_scenario_meta(c, scenario, &meta);
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.seed, count(DISTINCT r.protocol) AS np FROM runs r WHERE"
                          " r.scenario = ?1 AND" PLOT_PLAIN_LATEST
                          " AND EXISTS (SELECT 1 FROM timeseries t WHERE t.run_id = r.id)"
                          " GROUP BY r.seed ORDER BY r.seed = ?2 DESC, np DESC, r.seed < 0, r.seed"
                          " LIMIT 1",
                          &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, known ? meta.seed : 0);
    rc = plot_step(c, st);
    if (rc == 1) {
        *seed = sqlite3_column_int64(st, 0);
        *file_seed = known && *seed == meta.seed;
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : rc == 1 ? 0 : FT_ENOENT;
}

static int ts_scenario(struct plot_ctx *c, const char *scn, const char *name, void *ctx) {
    (void)ctx;
    sqlite3_int64 seed = 0;
    bool file_seed = false;
    int rc = ts_seed(c, scn, &seed, &file_seed);
    if (rc == FT_ENOENT) return 0;
    struct ts_run runs[PLOT_SERIES_MAX];
    uint32_t n = 0;
    if (!rc) rc = runs_of(c, scn, seed, runs, &n);
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = read_buckets(c, &runs[i]);
    if (!rc && n) rc = ts_write(c, scn, seed, file_seed, runs, n, name);
    for (uint32_t i = 0; i < n; i++)
        free(runs[i].b);
    return rc;
}

int plot_fig_timeseries(struct plot_ctx *c) {
    return plot_each_scenario_in(c, "timeseries", "timeseries", ts_scenario, NULL,
                                 "no plain runs (params '') with timeseries rows");
}
