/* The runs and fault markers a figure over simulated time draws (plot_internal.h):
 * plot_runs_of lists the plain runs of (scenario, seed) that have rows in a table, in
 * protocol order; plot_markers reads their crashes, restarts, partitions, heals, moves
 * and, when asked, the drop rule's dropped messages (the time series lanes them; the
 * model figures leave them out and draw what plot_markers_gp draws: lines with their
 * labels, a node's down time (crash to restart) and a partition (to its heal) shaded). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"

static int run_order(const void *a, const void *b) {
    const struct plot_run *x = a, *y = b;
    int d = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    return d ? d : strcmp(x->protocol, y->protocol);
}

int plot_runs_of(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed, const char *table,
                 struct plot_run *runs, uint32_t *n) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.protocol FROM runs r WHERE r.scenario = ?1 AND r.seed = ?2 "
             "AND" PLOT_PLAIN_LATEST " AND EXISTS (SELECT 1 FROM %s t WHERE t.run_id = r.id)",
             table);
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seed);
    *n = 0;
    while ((rc = plot_step(c, st)) == 1 && *n < PLOT_SERIES_MAX) {
        runs[*n].id = sqlite3_column_int64(st, 0);
        plot_text(runs[*n].protocol, sizeof runs[*n].protocol, st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    qsort(runs, *n, sizeof *runs, run_order);
    return rc < 0 ? rc : 0;
}

int plot_markers(struct plot_ctx *c, const sqlite3_int64 *ids, uint32_t n, double span_s,
                 bool drops, struct plot_marker *m, uint32_t *nm) {
    *nm = 0;
    if (!plot_table_exists(c, "markers")) return 0;
    bool label = plot_column_exists(c, "markers", "label");
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT t_ns, kind, coalesce(node, ''), %s FROM markers WHERE run_id IN (",
             label ? "coalesce(label, '')" : "''");
    for (uint32_t i = 0; i < n; i++) {
        size_t k = strlen(sql);
        snprintf(sql + k, sizeof sql - k, "%s%lld", i ? "," : "", (long long)ids[i]);
    }
    strncat(sql, drops ? ")" : ") AND kind <> 'drop'", sizeof sql - strlen(sql) - 1);
    strncat(sql, " ORDER BY t_ns, kind, node", sizeof sql - strlen(sql) - 1);
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    while ((rc = plot_step(c, st)) == 1 && *nm < PLOT_MARKERS_MAX) {
        struct plot_marker k = {(double)sqlite3_column_int64(st, 0) / 1e9, "", "", ""};
        plot_text(k.kind, sizeof k.kind, st, 1);
        plot_text(k.node, sizeof k.node, st, 2);
        plot_text(k.label, sizeof k.label, st, 3);
        bool near = false; /* the same event in another protocol's run, a moment apart */
        for (uint32_t i = 0; i < *nm && !near; i++)
            near = strcmp(m[i].kind, k.kind) == 0 && strcmp(m[i].node, k.node) == 0 &&
                   strcmp(m[i].label, k.label) == 0 && fabs(m[i].t_s - k.t_s) <= 0.01 * span_s;
        if (!near) m[(*nm)++] = k;
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

const char *plot_marker_color(const char *kind) {
    if (strcmp(kind, "crash") == 0 || strcmp(kind, "drop") == 0) return "#C00000";
    if (strcmp(kind, "restart") == 0) return "#007A3D";
    if (strcmp(kind, "partition") == 0) return "#B8860B";
    if (strcmp(kind, "rebalance") == 0) return "#7B2FA0";
    return "#1F5FA0"; /* heal */
}

void plot_markers_gp(struct plot_fig *f, const struct plot_marker *m, uint32_t n, double t_max) {
    FILE *gp = f->gp, *dat = f->dat;
    plot_block(f, "markers: 1 t_s  2 kind  3 node");
    for (uint32_t i = 0; i < n; i++) {
        fprintf(dat, "%.9g %s ", m[i].t_s, m[i].kind);
        plot_dat_str(dat, m[i].node);
        fputc('\n', dat);
        const char *col = plot_marker_color(m[i].kind);
        fprintf(gp,
                "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead lc rgb \"%s\" dt 2 "
                "lw 1.5 front\n",
                m[i].t_s, m[i].t_s, col);
        char text[PLOT_TEXT_MAX + 32], q[2 * PLOT_TEXT_MAX + 80];
        snprintf(text, sizeof text, "%s%s%s", m[i].kind, m[i].node[0] ? " " : "", m[i].node);
        /* a marker close after the previous one puts its label right of its line */
        bool close = i > 0 && m[i].t_s - m[i - 1].t_s <= 0.02 * t_max;
        fprintf(gp,
                "set label %s at %.9g, graph 0.97 rotate by 90 right offset %s,0 "
                "tc rgb \"%s\" boxed front\n",
                plot_q(q, sizeof q, text), m[i].t_s, close ? "1.5" : "-0.9", col);
        bool crash = strcmp(m[i].kind, "crash") == 0, part = strcmp(m[i].kind, "partition") == 0;
        if (!crash && !part) continue;
        double end = t_max;
        for (uint32_t k = i + 1; k < n; k++)
            if ((crash && strcmp(m[k].kind, "restart") == 0 && strcmp(m[k].node, m[i].node) == 0) ||
                (part && strcmp(m[k].kind, "heal") == 0)) {
                end = m[k].t_s;
                break;
            }
        fprintf(gp,
                "set object rect from %.9g, graph 0 to %.9g, graph 1 behind fc rgb \"%s\" "
                "fs solid 0.12 noborder\n",
                m[i].t_s, end, col);
    }
}
