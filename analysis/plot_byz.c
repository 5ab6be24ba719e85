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

/* ---- agreement with traitors, against n ----
 * One panel per number of traitors t >= 1: per n, a bar per algorithm and m, the share
 * of runs in which IC1 and IC2 hold, with OM's bound n >= 3t + 1 marked. The runs
 * without traitors are summed up in the title (or drawn as a panel of their own when
 * one of them failed). Points are never nudged: bars side by side show every value. */

#define AGREE_PANELS_MAX 4u

struct agree_series {
    char algorithm[PLOT_TEXT_MAX];
    int64_t m;
};

static int algo_rank(const char *a) {
    return strcmp(a, "om") == 0             ? 0
           : strcmp(a, "sm") == 0           ? 1
           : strcmp(a, "dolev-strong") == 0 ? 2
                                            : 3;
}

/* The (algorithm, m) series of panel t: OM, SM, Dolev-Strong, each by m. */
static uint32_t agree_series_of(const struct byz_pt *p, uint32_t n, int64_t t,
                                struct agree_series *s) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < n && k < PLOT_SERIES_MAX; i++) {
        if (p[i].x != t) continue;
        bool seen = false;
        for (uint32_t j = 0; j < k && !seen; j++)
            seen = strcmp(s[j].algorithm, p[i].algorithm) == 0 && s[j].m == p[i].m;
        if (seen) continue;
        snprintf(s[k].algorithm, sizeof s[k].algorithm, "%s", p[i].algorithm);
        s[k++].m = p[i].m;
    }
    for (uint32_t i = 1; i < k; i++)
        for (uint32_t j = i; j > 0; j--) {
            int d = algo_rank(s[j].algorithm) - algo_rank(s[j - 1].algorithm);
            if (d > 0 || (d == 0 && s[j].m >= s[j - 1].m)) break;
            struct agree_series tmp = s[j];
            s[j] = s[j - 1];
            s[j - 1] = tmp;
        }
    return k;
}

static void agree_panel(struct plot_fig *f, const struct byz_pt *p, uint32_t n, int64_t t,
                        int64_t nlo, int64_t nhi) {
    struct agree_series s[PLOT_SERIES_MAX];
    uint32_t ns = agree_series_of(p, n, t, s);
    double bw = 0.8 / (ns ? ns : 1);
    fprintf(f->gp,
            "set title \"%lld traitor%s\"\nset xrange [%lld - 0.6:%lld + 0.6]\nset boxwidth %.4f\n",
            (long long)t, t == 1 ? "" : "s", (long long)nlo, (long long)nhi, bw);
    if (t > 0 && 3 * t + 1 > nlo && 3 * t + 1 <= nhi + 1)
        fprintf(f->gp,
                "set arrow 1 from %lld.5, graph 0 to %lld.5, graph 1 nohead dt 2 lw 1.5 lc rgb "
                "\"#555555\" front\nset label 1 \"OM needs n >= 3t+1 = %lld\" at %lld.5, graph "
                "0.96 left offset 0.5,0 front font f(10)\n",
                (long long)(3 * t), (long long)(3 * t), (long long)(3 * t + 1), (long long)(3 * t));
    else
        fputs("unset arrow 1\nunset label 1\n", f->gp);
    fputs("plot ", f->gp);
    for (uint32_t k = 0; k < ns; k++) {
        char label[PLOT_TEXT_MAX + 32], q[2 * PLOT_TEXT_MAX + 80];
        snprintf(label, sizeof label, "%s(%lld)", algo_label(s[k].algorithm), (long long)s[k].m);
        uint32_t b = plot_block(f, "%lld traitors, %s: 1 n  2 runs  3 agreement %%  4 ic1 %%",
                                (long long)t, label);
        for (uint32_t i = 0; i < n; i++)
            if (p[i].x == t && p[i].m == s[k].m && strcmp(p[i].algorithm, s[k].algorithm) == 0)
                fprintf(f->dat, "%lld %lld %.6g %.6g\n", (long long)p[i].n, (long long)p[i].runs,
                        p[i].y1, p[i].y2);
        double dx = ((double)k - (double)(ns - 1) / 2.0) * bw;
        fprintf(f->gp,
                "%s\"byzantine-agreement.dat\" index %u using ($1%+.4f):3 with boxes fs "
                "pattern %d border lc rgb \"%s\" lc rgb \"%s\" title %s, \\\n     \"\" index %u "
                "using ($1%+.4f):3:(sprintf(\"%%.0f%%%%\\n%%d runs\", $3, $2)) with labels "
                "offset 0,1.2 font f(9) notitle",
                k ? ", \\\n     " : "", b, dx, s[k].m > 1 ? 4 : 3,
                plot_protocol_color(s[k].algorithm), plot_protocol_color(s[k].algorithm),
                plot_q(q, sizeof q, label), b, dx);
    }
    fputc('\n', f->gp);
}

static int agree_write(struct plot_ctx *c, const struct byz_pt *p, uint32_t n) {
    int64_t tmax = 0, nlo = INT64_MAX, nhi = 0, clean_runs = 0, clean_cfgs = 0;
    bool clean_fail = false;
    for (uint32_t i = 0; i < n; i++) {
        tmax = p[i].x > tmax ? p[i].x : tmax;
        if (p[i].x == 0) {
            clean_runs += p[i].runs;
            clean_cfgs++;
            clean_fail |= p[i].y1 < 100;
            continue;
        }
        nlo = p[i].n < nlo ? p[i].n : nlo;
        nhi = p[i].n > nhi ? p[i].n : nhi;
    }
    if (tmax == 0 || clean_fail) { /* draw the runs without traitors too */
        for (uint32_t i = 0; i < n; i++) {
            nlo = p[i].n < nlo ? p[i].n : nlo;
            nhi = p[i].n > nhi ? p[i].n : nhi;
        }
    }
    int64_t tfirst = tmax == 0 || clean_fail ? 0 : 1;
    uint32_t panels = (uint32_t)(tmax - tfirst + 1);
    if (panels > AGREE_PANELS_MAX) panels = AGREE_PANELS_MAX;
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, "byzantine-agreement",
                           "agreement with traitors against the number of generals",
                           (int)(220 + 520 * panels), 720);
    if (rc) return rc;
    fputs("# One block per (traitors, algorithm, m). columns: 1 n  2 runs\n"
          "#   3 agreement_percent (runs where IC1 and IC2 hold)  4 ic1_percent\n",
          f.dat);
    char title[512], q[1100], clean[200] = "";
    if (tfirst == 1)
        snprintf(
            clean, sizeof clean,
            "\nwithout traitors every run agreed (%lld runs of %lld configurations, not drawn)",
            (long long)clean_runs, (long long)clean_cfgs);
    snprintf(title, sizeof title,
             "Byzantine agreement: runs in which IC1 and IC2 hold, per number of traitors t and "
             "generals n%s",
             clean);
    fprintf(f.gp,
            "set multiplot layout 1,%u title %s\nset grid ytics lc rgb \"#dddddd\"\n"
            "set key below\nset xlabel \"generals n\"\nset ylabel \"runs with agreement (%%)\"\n"
            "set yrange [0:125]\nset ytics 0, 20, 100\nset xtics 1\nset style fill pattern\n",
            panels, plot_q(q, sizeof q, title));
    for (int64_t t = tfirst; t < tfirst + (int64_t)panels; t++)
        agree_panel(&f, p, n, t, nlo, nhi);
    fputs("unset multiplot\n", f.gp);
    if (tmax - tfirst + 1 > (int64_t)panels)
        plot_note(c, "byzantine-agreement", "runs with more than %lld traitors left out",
                  (long long)(tfirst + panels - 1));
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

/* Points that may coincide stay visible: a large open square (OM), a middle open
 * circle (SM), a small filled triangle (Dolev-Strong), one inside the other. */
static int cost_pt(const char *alg, int64_t m) {
    int open = strcmp(alg, "om") == 0 ? 4 : strcmp(alg, "sm") == 0 ? 6 : 9;
    return m > 1 ? (open == 9 ? 8 : open + 1) : open; /* m > 1: the other fill */
}
static double cost_ps(const char *alg) {
    return strcmp(alg, "om") == 0 ? 2.8 : strcmp(alg, "sm") == 0 ? 2.0 : 1.1;
}

/* The series (algorithm, m) whose message counts equal another's at every n both have:
 * named in the title, so points drawn on one another are not taken for missing. */
static void cost_same(const struct byz_pt *p, uint32_t n, char *buf, size_t size) {
    size_t k = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < n; i++) {
        if (i && strcmp(p[i].algorithm, p[i - 1].algorithm) == 0 && p[i].m == p[i - 1].m)
            continue; /* the first row of each series */
        bool same = false, any = false;
        for (uint32_t j = 0; j < n && !same; j++) {
            if (strcmp(p[j].algorithm, p[i].algorithm) == 0 && p[j].m == p[i].m) continue;
            bool eq = true, common = false;
            for (uint32_t a = 0; a < n; a++) {
                if (strcmp(p[a].algorithm, p[i].algorithm) != 0 || p[a].m != p[i].m) continue;
                for (uint32_t b = 0; b < n; b++)
                    if (strcmp(p[b].algorithm, p[j].algorithm) == 0 && p[b].m == p[j].m &&
                        p[b].x == p[a].x) {
                        common = true;
                        eq &= p[b].y1 == p[a].y1;
                    }
            }
            same = common && eq;
            any |= common;
        }
        if (same && k < size)
            k += (size_t)snprintf(buf + k, size - k, "%s%s(%lld)", k ? ", " : "",
                                  algo_label(p[i].algorithm), (long long)p[i].m);
        (void)any;
    }
}

static int cost_write(struct plot_ctx *c, const struct byz_pt *p, uint32_t n) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, "byzantine-cost",
                           "messages and signature verifications against n, beside the closed "
                           "forms",
                           1400, 760);
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
                         "%s\"byzantine-cost.dat\" index %u using 1:3 with points pt %d ps "
                         "%.1f*pscale lw 2 lc rgb \"%s\" title %s",
                         s ? ", \\\n     " : "", b, cost_pt(p[first].algorithm, p[first].m),
                         cost_ps(p[first].algorithm), col, q);
        if (w > 0 && (size_t)w < 16384 - km) km += (size_t)w;
        if (sigs) {
            w = snprintf(ps + ks, 16384 - ks,
                         "%s\"byzantine-cost.dat\" index %u using 1:4 with points pt %d ps "
                         "%.1f*pscale lw 2 lc rgb \"%s\" title %s",
                         ks ? ", \\\n     " : "", b, cost_pt(p[first].algorithm, p[first].m),
                         cost_ps(p[first].algorithm), col, q);
            if (w > 0 && (size_t)w < 16384 - ks) ks += (size_t)w;
        }
        s++;
        first = i;
    }
    bool any_sigs = ks > 0;
    cost_forms(&f, p, n, nlo, nhi, pm, 16384, ps, 16384);
    char same[256], title[512], qt[1100];
    cost_same(p, n, same, sizeof same);
    snprintf(title, sizeof title,
             "Byzantine agreement: cost against the number of generals n (runs without traitors; "
             "dashed: closed forms)%s%s%s",
             same[0] ? "\n" : "", same,
             same[0] ? " send the same messages: points on one another" : "");
    fprintf(f.gp,
            "set multiplot layout 1,%d title %s\n"
            "set grid lc rgb \"#dddddd\"\nset key below\nset logscale y\n"
            "set xlabel \"generals n\"\nset xrange [%lld:%lld]\nset xtics 1\n"
            "set title \"messages sent\"\nset ylabel \"messages (log scale)\"\nplot %s\n",
            any_sigs ? 2 : 1, plot_q(qt, sizeof qt, title), (long long)(nlo > 2 ? nlo - 1 : 1),
            (long long)(nhi + 1), pm);
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
