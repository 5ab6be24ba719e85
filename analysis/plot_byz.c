/* (f) Byzantine agreement (table agreement; docs/plots.md):
 *   byzantine-agreement: the share of runs in which IC1 and IC2 both hold against the
 *   number of traitors, per algorithm and n;
 *   byzantine-cost: messages and signature verifications against n (log scale) in runs
 *   without traitors, beside the closed forms:
 *     OM(m) messages       sum_{k=1}^{m+1} (n-1)(n-2)...(n-k)       (LSP 1982, DESIGN §4)
 *     SM(m) messages       (n-1)^2 for m >= 1: the commander sends n-1; each lieutenant
 *                          relays the one value it has not seen to the n-2 others once
 *     SM(m) verifications  (n-1)(2n-3) when every signature of every received chain is
 *                          checked (1 on the commander's message, 2 on each of n-2
 *                          relays); (n-1)^2 when each distinct signature is checked once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"

#define BYZ_POINTS_MAX 4096u
#define BYZ_N_MAX 1000 /* closed forms are tabulated up to this n */

/* traitors is a comma-separated id list; '' = none */
#define TRAITORS_SQL                                                                               \
    "CASE WHEN coalesce(a.traitors, '') = '' THEN 0"                                               \
    " ELSE length(a.traitors) - length(replace(a.traitors, ',', '')) + 1 END"

struct byz_pt {
    char algorithm[PLOT_TEXT_MAX];
    int64_t n, m, x, runs; /* x: traitors (agreement figure) or n (cost figure) */
    double y1, y2;         /* success %, or messages / verifications means */
};

static int byz_read(struct plot_ctx *c, const char *sql, struct byz_pt *pts, uint32_t *n) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n == BYZ_POINTS_MAX) {
            rc = ft_fail(c->err, FT_ELIMIT, "byzantine: more than %u points", BYZ_POINTS_MAX);
            break;
        }
        struct byz_pt *p = &pts[(*n)++];
        plot_text(p->algorithm, sizeof p->algorithm, st, 0);
        p->n = sqlite3_column_int64(st, 1);
        p->m = sqlite3_column_int64(st, 2);
        p->x = sqlite3_column_int64(st, 3);
        p->runs = sqlite3_column_int64(st, 4);
        p->y1 = sqlite3_column_double(st, 5);
        p->y2 = sqlite3_column_double(st, 6);
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static const char *algo_label(const char *a) {
    if (strcmp(a, "om") == 0) return "OM";
    if (strcmp(a, "sm") == 0) return "SM";
    if (strcmp(a, "dolev-strong") == 0) return "Dolev-Strong";
    return a;
}

static const int series_pts[] = {7, 5, 9, 11, 13, 4, 6, 8};

/* ---- agreement against traitors ---- */

static int agree_write(struct plot_ctx *c, const struct byz_pt *p, uint32_t n) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, "byzantine-agreement",
                           "agreement success against the number of traitors", 1200, 700);
    if (rc) return rc;
    fputs("# One block per (algorithm, n, m). columns: 1 traitors  2 runs\n"
          "#   3 success_percent (runs where IC1 and IC2 hold)  4 ic1_percent\n",
          f.dat);
    int64_t tmax = 0, ns[PLOT_SERIES_MAX];
    uint32_t nns = 0, nseries = 0;
    for (uint32_t i = 0; i < n; i++) {
        tmax = p[i].x > tmax ? p[i].x : tmax;
        bool seen = false;
        for (uint32_t k = 0; k < nns; k++)
            seen |= ns[k] == p[i].n;
        if (!seen && nns < PLOT_SERIES_MAX) ns[nns++] = p[i].n;
        nseries += i == 0 || strcmp(p[i].algorithm, p[i - 1].algorithm) != 0 ||
                   p[i].n != p[i - 1].n || p[i].m != p[i - 1].m;
    }
    fprintf(f.gp,
            "set title \"Byzantine agreement: runs in which IC1 and IC2 hold, against the "
            "number of traitors\\nOM(m) needs n >= 3m+1, SM(m) only n >= m+2 "
            "(points nudged apart so that none hides another)\"\n"
            "set grid lc rgb \"#dddddd\"\nset key outside right top\n"
            "set xlabel \"traitors (count of generals, commander or lieutenants)\"\n"
            "set ylabel \"runs with agreement (%%)\"\nset yrange [-5:105]\n"
            "set xrange [-0.5:%lld.5]\nset xtics 1\nplot ",
            (long long)tmax);
    /* colour by n, dash and point shape by algorithm */
    static const char *const by_n[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                       "#E69F00", "#56B4E9", "#000000", "#8C564B"};
    uint32_t s = 0;
    for (uint32_t first = 0, i = 1; i <= n; i++) {
        if (i < n && strcmp(p[i].algorithm, p[first].algorithm) == 0 && p[i].n == p[first].n &&
            p[i].m == p[first].m)
            continue;
        char label[PLOT_TEXT_MAX + 64], q[2 * PLOT_TEXT_MAX + 140];
        snprintf(label, sizeof label, "%s(%lld), n = %lld", algo_label(p[first].algorithm),
                 (long long)p[first].m, (long long)p[first].n);
        uint32_t b = plot_block(&f, "%s", label);
        for (uint32_t k = first; k < i; k++)
            fprintf(f.dat, "%lld %lld %.6g %.6g\n", (long long)p[k].x, (long long)p[k].runs,
                    p[k].y1, p[k].y2);
        uint32_t ni = 0;
        while (ni < nns && ns[ni] != p[first].n)
            ni++;
        bool om = strcmp(p[first].algorithm, "om") == 0, sm = strcmp(p[first].algorithm, "sm") == 0;
        double dx = nseries > 1 ? ((double)s - (double)(nseries - 1) / 2.0) * 0.5 / nseries : 0;
        fprintf(f.gp,
                "%s\"byzantine-agreement.dat\" index %u using ($1%+.4f):3 with linespoints "
                "lw 2 pt %d ps 1.6 lc rgb \"%s\" dt %d title %s",
                s ? ", \\\n     " : "", b, dx,
                om   ? 7
                : sm ? 6
                     : 9,
                by_n[ni % 8],
                om   ? 1
                : sm ? 2
                     : 4,
                plot_q(q, sizeof q, label));
        s++;
        first = i;
    }
    fputc('\n', f.gp);
    return plot_fig_close(c, &f);
}

/* ---- cost against n ---- */

/* (n-1)(n-2)...(n-k) summed over k = 1..m+1, in floating point (it grows fast). */
static double om_messages(int64_t n, int64_t m) {
    double sum = 0, prod = 1;
    for (int64_t k = 1; k <= m + 1 && k < n; k++) {
        prod *= (double)(n - k);
        sum += prod;
    }
    return sum;
}

static void cost_forms(struct plot_fig *f, const struct byz_pt *p, uint32_t n, int64_t nlo,
                       int64_t nhi, char *plot_msg, size_t msz, char *plot_sig, size_t ssz) {
    size_t km = strlen(plot_msg), ks = strlen(plot_sig);
    int64_t ms[PLOT_SERIES_MAX];
    uint32_t nms = 0;
    bool sm = false;
    for (uint32_t i = 0; i < n; i++) {
        sm |= strcmp(p[i].algorithm, "sm") == 0;
        if (strcmp(p[i].algorithm, "om") != 0) continue;
        bool seen = false;
        for (uint32_t k = 0; k < nms; k++)
            seen |= ms[k] == p[i].m;
        if (!seen && nms < PLOT_SERIES_MAX) ms[nms++] = p[i].m;
    }
    for (uint32_t j = 0; j < nms; j++) {
        uint32_t b =
            plot_block(f, "closed form OM(%lld) messages: 1 n  2 messages", (long long)ms[j]);
        for (int64_t v = nlo; v <= nhi; v++)
            fprintf(f->dat, "%lld %.17g\n", (long long)v, om_messages(v, ms[j]));
        int w = snprintf(plot_msg + km, msz - km,
                         ", \\\n     \"byzantine-cost.dat\" index %u using 1:2 with lines dt %u "
                         "lw 1.5 lc rgb \"%s\" title \"OM(%lld) closed form%s\"",
                         b, 2 + j % 4, plot_protocol_color("om"), (long long)ms[j],
                         ms[j] == 1 ? " (n-1)^2, under SM's" : "");
        if (w > 0 && (size_t)w < msz - km) km += (size_t)w;
    }
    if (!sm) return;
    uint32_t b = plot_block(f, "closed forms SM: 1 n  2 messages (n-1)^2  3 verifications "
                               "(n-1)(2n-3)  4 verifications (n-1)^2");
    for (int64_t v = nlo; v <= nhi; v++)
        fprintf(f->dat, "%lld %lld %lld %lld\n", (long long)v, (long long)((v - 1) * (v - 1)),
                (long long)((v - 1) * (2 * v - 3)), (long long)((v - 1) * (v - 1)));
    const char *col = plot_protocol_color("sm");
    snprintf(plot_msg + km, msz - km,
             ", \\\n     \"byzantine-cost.dat\" index %u using 1:2 with lines dt 2 lw 1.5 lc rgb "
             "\"%s\" title \"SM closed form (n-1)^2\"",
             b, col);
    snprintf(plot_sig + ks, ssz - ks,
             ", \\\n     \"byzantine-cost.dat\" index %u using 1:3 with lines dt 2 lw 1.5 lc rgb "
             "\"%s\" title \"SM, every signature of every chain: (n-1)(2n-3)\", \\\n"
             "     \"\" index %u using 1:4 with lines dt 3 lw 1.5 lc rgb \"%s\" title \"SM, each "
             "signature once: (n-1)^2\"",
             b, col, b, col);
}

static int cost_write(struct plot_ctx *c, const struct byz_pt *p, uint32_t n) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, "byzantine-cost",
                           "messages and signature verifications against n, beside the closed "
                           "forms",
                           1400, 650);
    if (rc) return rc;
    fputs("# Measured: one block per (algorithm, m) over runs without traitors.\n"
          "# columns: 1 n  2 runs  3 messages (mean)  4 signatures_verified (mean)\n",
          f.dat);
    int64_t nlo = p[0].x, nhi = p[0].x;
    for (uint32_t i = 0; i < n; i++) {
        nlo = p[i].x < nlo ? p[i].x : nlo;
        nhi = p[i].x > nhi ? p[i].x : nhi;
    }
    if (nlo < 2) nlo = 2;
    if (nhi > BYZ_N_MAX) nhi = BYZ_N_MAX;
    char *pm = calloc(1, 16384), *ps = calloc(1, 16384);
    if (!pm || !ps) {
        free(pm);
        free(ps);
        plot_fig_abort(c, &f);
        return ft_fail(c->err, FT_ENOMEM, "out of memory");
    }
    uint32_t s = 0;
    size_t km = 0, ks = 0;
    for (uint32_t first = 0, i = 1; i <= n; i++) {
        if (i < n && strcmp(p[i].algorithm, p[first].algorithm) == 0 && p[i].m == p[first].m)
            continue;
        char label[PLOT_TEXT_MAX + 32], q[2 * PLOT_TEXT_MAX + 80];
        snprintf(label, sizeof label, "%s(%lld) measured", algo_label(p[first].algorithm),
                 (long long)p[first].m);
        uint32_t b = plot_block(&f, "%s", label);
        bool sigs = false;
        for (uint32_t k = first; k < i; k++) {
            fprintf(f.dat, "%lld %lld %.6g %.6g\n", (long long)p[k].x, (long long)p[k].runs,
                    p[k].y1, p[k].y2);
            sigs |= p[k].y2 > 0;
        }
        const char *col = plot_protocol_color(p[first].algorithm);
        plot_q(q, sizeof q, label);
        int w = snprintf(pm + km, 16384 - km,
                         "%s\"byzantine-cost.dat\" index %u using 1:3 with points pt %d ps 1.8 "
                         "lw 2 lc rgb \"%s\" title %s",
                         s ? ", \\\n     " : "", b, series_pts[s % 8], col, q);
        if (w > 0 && (size_t)w < 16384 - km) km += (size_t)w;
        if (sigs) {
            w = snprintf(ps + ks, 16384 - ks,
                         "%s\"byzantine-cost.dat\" index %u using 1:4 with points pt %d ps 1.8 "
                         "lw 2 lc rgb \"%s\" title %s",
                         ks ? ", \\\n     " : "", b, series_pts[s % 8], col, q);
            if (w > 0 && (size_t)w < 16384 - ks) ks += (size_t)w;
        }
        s++;
        first = i;
    }
    bool any_sigs = ks > 0;
    cost_forms(&f, p, n, nlo, nhi, pm, 16384, ps, 16384);
    fprintf(f.gp,
            "set multiplot layout 1,%d title \"Byzantine agreement: cost against the number "
            "of generals n (runs without traitors; dashed: closed forms)\"\n"
            "set grid lc rgb \"#dddddd\"\nset key bottom right opaque box\nset logscale y\n"
            "set xlabel \"generals n\"\nset xrange [%lld:%lld]\nset xtics 1\n"
            "set title \"messages sent\"\nset ylabel \"messages (log scale)\"\nplot %s\n",
            any_sigs ? 2 : 1, (long long)(nlo > 2 ? nlo - 1 : 1), (long long)(nhi + 1), pm);
    if (any_sigs)
        fprintf(f.gp,
                "set title \"signature verifications\"\n"
                "set ylabel \"verifications (log scale)\"\nplot %s\n",
                ps);
    fputs("unset multiplot\n", f.gp);
    free(pm);
    free(ps);
    return plot_fig_close(c, &f);
}

int plot_fig_byzantine(struct plot_ctx *c) {
    static const char fam[] = "byzantine";
    if (!plot_table_has_rows(c, "agreement"))
        return plot_skip(c, fam, "no rows in table agreement of %s", c->opt->db);
    struct byz_pt *pts = malloc(BYZ_POINTS_MAX * sizeof *pts);
    if (!pts) return ft_fail(c->err, FT_ENOMEM, "out of memory");
    uint32_t n = 0;
    int rc = 0;
    if (plot_wanted(c, fam, "byzantine-agreement")) {
        rc = byz_read(c,
                      "SELECT a.algorithm, a.n, a.m, " TRAITORS_SQL " AS t, count(*),"
                      " 100.0 * avg(a.ic1 AND a.ic2), 100.0 * avg(a.ic1)"
                      " FROM agreement a GROUP BY a.algorithm, a.n, a.m, t"
                      " ORDER BY a.algorithm, a.n, a.m, t",
                      pts, &n);
        if (!rc && n) rc = agree_write(c, pts, n);
    }
    if (!rc && plot_wanted(c, fam, "byzantine-cost")) {
        rc = byz_read(c,
                      "SELECT a.algorithm, a.n, a.m, a.n, count(*), avg(a.messages),"
                      " avg(a.signatures_verified) FROM agreement a WHERE " TRAITORS_SQL
                      " = 0 GROUP BY a.algorithm, a.m, a.n ORDER BY a.algorithm, a.m, a.n",
                      pts, &n);
        if (!rc && n == 0)
            plot_skip(c, "byzantine-cost",
                      "no Byzantine runs without traitors to compare with "
                      "the closed forms");
        else if (!rc)
            rc = cost_write(c, pts, n);
    }
    free(pts);
    return rc;
}
