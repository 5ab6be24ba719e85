/* (d) latency-cdf-SCENARIO (docs/plots.md): the CDF of the latency record created ->
 * its row visible at the sink, per protocol, each percentile averaged over the seeds
 * (table latency_quantiles) of the plain runs of the scenario's newest file version.
 * Curves that coincide are said so in the legend; a latency that is the same for every
 * record is drawn in the middle of the axis and said in words, never as a line on the
 * border. (The window query's latency, record -> window row, is the drivers figure's.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "plot_internal.h"

struct cdf_pt {
    char protocol[PLOT_TEXT_MAX];
    double percent, ms;
    int64_t seeds;
};

static int cdf_order(const void *a, const void *b) {
    const struct cdf_pt *x = a, *y = b;
    int d = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    if (!d) d = strcmp(x->protocol, y->protocol);
    return d ? d : (x->percent > y->percent) - (x->percent < y->percent);
}

static int cdf_read(struct plot_ctx *c, const char *scenario, struct cdf_pt **out, size_t *n) {
    sqlite3_stmt *st;
    int rc =
        plot_prepare(c,
                     "SELECT r.protocol, q.percent, avg(q.latency_ns),"
                     " count(DISTINCT r.id) FROM latency_quantiles q"
                     " JOIN runs r ON r.id = q.run_id WHERE r.scenario = ?1 AND" PLOT_PLAIN_LATEST
                     " GROUP BY r.protocol, q.percent",
                     &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    struct cdf_pt *pts = NULL;
    size_t cap = 0;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n >= 128u * PLOT_SERIES_MAX ||
            ft_grow((void **)&pts, &cap, *n + 1, sizeof *pts, 256)) {
            rc = ft_fail(c->err, FT_ELIMIT, "latency-cdf: more than %u protocols", PLOT_SERIES_MAX);
            break;
        }
        struct cdf_pt *q = &pts[(*n)++];
        plot_text(q->protocol, sizeof q->protocol, st, 0);
        q->percent = sqlite3_column_double(st, 1);
        q->ms = sqlite3_column_double(st, 2) / 1e6;
        q->seeds = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(pts);
        return rc;
    }
    qsort(pts, *n, sizeof *pts, cdf_order);
    *out = pts;
    return 0;
}

/* The first index of each protocol's points in pts (sorted), and where the list ends. */
static uint32_t cdf_series(const struct cdf_pt *pts, size_t n, size_t *start) {
    uint32_t k = 0;
    for (size_t i = 0; i < n && k < PLOT_SERIES_MAX; i++)
        if (i == 0 || strcmp(pts[i].protocol, pts[i - 1].protocol) != 0) start[k++] = i;
    start[k] = n;
    return k;
}

/* Series j coincides with an earlier one: its index, or -1. */
static int cdf_same(const struct cdf_pt *pts, const size_t *start, uint32_t j) {
    for (uint32_t i = 0; i < j; i++) {
        size_t a = start[i], b = start[j], na = start[i + 1] - a, nb = start[j + 1] - b;
        bool eq = na == nb;
        for (size_t k = 0; eq && k < na; k++)
            eq = pts[a + k].percent == pts[b + k].percent && pts[a + k].ms == pts[b + k].ms;
        if (eq) return (int)i;
    }
    return -1;
}

static void cdf_axis(FILE *gp, const struct cdf_pt *pts, size_t n) {
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i].ms > 0) {
            lo = fmin(lo, pts[i].ms);
            hi = fmax(hi, pts[i].ms);
        }
    bool logx = lo > 0 && hi / lo > 20, constant = hi > 0 && hi <= lo * 1.02;
    fprintf(gp, "set xlabel \"latency record -> sink row (ms%s)\"\n", logx ? ", log scale" : "");
    if (logx) fputs("set logscale x\n", gp);
    if (constant) {
        fprintf(gp,
                "set xrange [0:%.6g]\nset label \"every record made visible after %.3g ms "
                "(constant): the CDF is one step\" at graph 0.03, graph 0.55 left front\n",
                2 * hi, hi);
    }
}

static int cdf_write(struct plot_ctx *c, const char *scenario, const struct cdf_pt *pts, size_t n,
                     const char *name) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "latency record -> sink row, CDF per protocol", 1100, 700);
    if (rc) return rc;
    fputs("# One block per protocol; the latency (record created -> its row visible at the\n"
          "# sink) of each percentile, averaged over the seeds.\n"
          "# columns: 1 latency_ms  2 percent  3 seeds\n",
          f.dat);
    char title[320], q[800];
    snprintf(title, sizeof title,
             "%s: latency record -> sink row, CDF per protocol\nrecord created -> its row "
             "visible at the sink; each percentile averaged over the seeds",
             scenario);
    fprintf(f.gp,
            "set title %s\nset grid lc rgb \"#dddddd\"\nset key bottom right opaque box\n"
            "set ylabel \"records with latency <= x (%%)\"\nset yrange [0:105]\n",
            plot_q(q, sizeof q, title));
    cdf_axis(f.gp, pts, n);
    size_t start[PLOT_SERIES_MAX + 1];
    uint32_t ns = cdf_series(pts, n, start);
    fputs("plot ", f.gp);
    for (uint32_t s = 0; s < ns; s++) {
        const char *proto = pts[start[s]].protocol;
        uint32_t b = plot_block(&f, "%s", proto);
        for (size_t k = start[s]; k < start[s + 1]; k++)
            fprintf(f.dat, "%.6g %.6g %lld\n", pts[k].ms > 0 ? pts[k].ms : NAN, pts[k].percent,
                    (long long)pts[k].seeds);
        int same = cdf_same(pts, start, s);
        char label[3 * PLOT_TEXT_MAX + 48];
        snprintf(label, sizeof label, "%s (%lld seed%s)%s%s%s", proto,
                 (long long)pts[start[s]].seeds, pts[start[s]].seeds == 1 ? "" : "s",
                 same >= 0 ? ", same as " : "", same >= 0 ? pts[start[same]].protocol : "", "");
        fprintf(f.gp,
                "%s\"%s.dat\" index %u using 1:2 with linespoints lw 2.5 dt %d pt %d "
                "ps 1.0*pscale pi -4 lc rgb \"%s\" title %s",
                s ? ", \\\n     " : "", name, b, plot_protocol_dash(proto),
                plot_protocol_point(proto), plot_protocol_color(proto), plot_q(q, sizeof q, label));
    }
    fputc('\n', f.gp);
    return plot_fig_close(c, &f);
}

static int cdf_scenario(struct plot_ctx *c, const char *scn, const char *name, void *ctx) {
    (void)ctx;
    struct cdf_pt *pts = NULL;
    size_t n = 0;
    int rc = cdf_read(c, scn, &pts, &n);
    if (!rc && n) rc = cdf_write(c, scn, pts, n, name);
    free(pts);
    return rc;
}

int plot_fig_latency_cdf(struct plot_ctx *c) {
    return plot_each_scenario_in(c, "latency-cdf", "latency_quantiles", cdf_scenario, NULL,
                                 "no plain runs (params '') with latency quantiles");
}
