/* The layout of a pipeline diagram (diagram_internal.h): the lifelines in pipeline
 * order, the time axis with quiet gaps cut short, its tics in real milliseconds, and
 * where each message's label goes so that none covers another or a mark. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "grow.h"
#include "plot_internal.h"
#include "sort.h"

/* ---- layout: lifelines and the time axis ---- */

int dg_lifeline_of(const struct dg_layout *L, uint32_t node) {
    for (uint32_t i = 0; i < L->nlines; i++)
        if (L->node[i] == node) return (int)i;
    return -1;
}

static void add_lifeline(struct dg_layout *L, uint32_t node) {
    if (node == SIM_NODE_NONE || dg_lifeline_of(L, node) >= 0 || L->nlines == DIAG_LIFELINES_MAX)
        return;
    uint32_t i = L->nlines++;
    while (i > 0 && L->node[i - 1] > node) { /* pipeline order: source, broker, workers, sink */
        L->node[i] = L->node[i - 1];
        i--;
    }
    L->node[i] = node;
}

const uint64_t *dg_find_u64(const uint64_t *a, size_t n, uint64_t x) {
    return n ? bsearch(&x, a, n, sizeof *a, sort_cmp_u64) : NULL;
}

double dg_y_of(const struct dg_layout *L, uint64_t t) {
    const uint64_t *at = dg_find_u64(L->t, L->nt, t);
    FT_ASSERT(at);
    return L->y[at - L->t];
}

int dg_layout_build(const struct dg_trace *t, const struct dg_view *v, const size_t *mk, size_t nmk,
                    struct dg_layout *L, struct ft_error *err) {
    size_t cap = 3 * v->nsel + nmk + 2;
    L->t = malloc(cap * sizeof *L->t);
    L->y = malloc(cap * sizeof *L->y);
    uint64_t *transit = malloc((v->nsel + 1) * sizeof *transit);
    if (!L->t || !L->y || !transit) {
        free(transit);
        return ft_fail(err, FT_ENOMEM, "out of memory");
    }
    size_t n = 0, nd = 0;
    for (size_t k = 0; k < v->nsel; k++) {
        const struct dg_arrow *a = &t->arrows[v->sel[k]];
        L->t[n++] = a->t0;
        L->t[n++] = a->t1;
        add_lifeline(L, a->src);
        add_lifeline(L, a->dst);
        if (a->fate == FATE_DELIVERED) transit[nd++] = a->t1 - a->t0;
    }
    for (size_t k = 0; k < nmk; k++) {
        const struct dg_mark *m = &t->marks[mk[k]];
        L->t[n++] = m->t_ns;
        if (m->type != MK_PARTITION && m->type != MK_HEAL) add_lifeline(L, m->node);
    }
    qsort(transit, nd, sizeof *transit, sort_cmp_u64);
    uint64_t transit_ns = nd && transit[nd / 2] ? transit[nd / 2] : SIM_NS_PER_MS;
    L->transit_ns = transit_ns;
    L->transit_ms = (double)transit_ns / 1e6;
    free(transit);
    /* A message lost at its send never travels: it is drawn half a transit long, and
     * that end must lie before any cut. */
    for (size_t k = 0; k < v->nsel; k++)
        if (dg_dropped_at_send(&t->arrows[v->sel[k]]))
            L->t[n++] = t->arrows[v->sel[k]].t0 + transit_ns / 2;
    qsort(L->t, n, sizeof *L->t, sort_cmp_u64);
    L->gap_ms = fmax(DIAG_GAP_FACTOR * L->transit_ms, DIAG_GAP_MIN_MS);
    L->cut_ms = 2.0 * L->transit_ms;
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || L->t[i] != L->t[u - 1]) L->t[u++] = L->t[i];
    L->nt = u;
    for (size_t i = 0; i < u; i++) {
        double gap = i ? (double)(L->t[i] - L->t[i - 1]) / 1e6 : 0;
        L->y[i] = i ? L->y[i - 1] + (gap > L->gap_ms ? L->cut_ms : gap) : 0;
    }
    return 0;
}

/* ---- where the message labels go ----
 * A label sits at the middle of its arrow (a lost message's just above it). Where that
 * would cover a label placed before it or a mark's label or symbol, it moves along the
 * arrow, then off it by whole label heights, taking the first free place (or the
 * middle when none is). The boxes are in pixels of the terminal size the .gp sets,
 * with approximate DejaVu Sans metrics: close enough to keep labels apart, and the
 * same numbers on every machine (no font is measured). */
#define DG_MARGIN_PX 112.0 /* lmargin 12 + rmargin 2 characters of the 12 pt font */
#define DG_CHAR10_PX 6.7   /* mean advance of a 10 pt character */
#define DG_CHAR12_PX 8.0   /* ... of a 12 pt one, also gnuplot's offset unit across */
#define DG_LINE12_PX 19.0  /* gnuplot's offset unit up and down (12 pt) */
#define DG_LABEL_PX 18.0   /* height of a boxed 10 pt label */

/* The drawn y range (ms), shared by the .gp's yrange and the placer. */
void dg_yrange(const struct dg_layout *L, double *ylo, double *yhi) {
    *ylo = L->y[0] - L->transit_ms;
    *yhi = L->y[L->nt - 1] + L->transit_ms;
}

static void placer_add(struct dg_placer *pl, struct dg_box b) {
    if (ft_grow((void **)&pl->box, &pl->cap, pl->n + 1, sizeof *pl->box, 64)) {
        pl->oom = true;
        return;
    }
    pl->box[pl->n++] = b;
}

/* A box of w x h pixels whose left edge (left) or centre (!left) is at (x, y) in plot
 * units, moved by (ox, oy) pixels (oy > 0 is up). */
static struct dg_box placer_box(const struct dg_placer *pl, double x, double y, double w, double h,
                                bool left, double ox, double oy) {
    double cx = x * pl->sx + ox + (left ? w / 2 : 0), cy = y * pl->sy - oy;
    return (struct dg_box){cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

static bool placer_free(const struct dg_placer *pl, struct dg_box b) {
    for (size_t i = 0; i < pl->n; i++) {
        const struct dg_box *o = &pl->box[i];
        if (b.x0 < o->x1 && o->x0 < b.x1 && b.y0 < o->y1 && o->y0 < b.y1) return false;
    }
    return true;
}

struct dg_placer dg_placer_new(const struct dg_layout *L, int width, int height) {
    double ylo, yhi;
    dg_yrange(L, &ylo, &yhi);
    return (struct dg_placer){.sx = (width - DG_MARGIN_PX) / (L->nlines + 0.4),
                              .sy = (height - 230.0) / (yhi - ylo)};
}

/* The marks' symbols and labels, as the .gp draws them (write_gp), are obstacles. */
void dg_placer_add_marks(struct dg_placer *pl, const struct pipe_config *cfg,
                         const struct dg_trace *t, const size_t *mk, size_t nmk,
                         const struct dg_layout *L) {
    for (size_t k = 0; k < nmk; k++) {
        const struct dg_mark *m = &t->marks[mk[k]];
        char label[200];
        if (!dg_mark_text(cfg, t, mk, nmk, k, label, sizeof label)) continue;
        double y = dg_y_of(L, m->t_ns), n = (double)strlen(label);
        if (m->type == MK_PARTITION || m->type == MK_HEAL) {
            placer_add(pl, placer_box(pl, -0.43, y, n * DG_CHAR12_PX, DG_LINE12_PX, true, 0,
                                      0.7 * DG_LINE12_PX));
            continue;
        }
        double x = dg_lifeline_of(L, m->node);
        bool vis = m->type == MK_VISIBLE || m->type == MK_REBALANCE || m->type == MK_CKPT;
        placer_add(pl, placer_box(pl, x, y, 22, 22, false, 0, 0));
        placer_add(pl, placer_box(pl, x, y, n * (vis ? DG_CHAR10_PX : DG_CHAR12_PX) + 8,
                                  vis ? DG_LABEL_PX : DG_LINE12_PX + 4, true,
                                  (vis ? 1.3 : 1.2) * DG_CHAR12_PX, vis ? 0 : 0.9 * DG_LINE12_PX));
    }
}

/* Places the label of len characters of the arrow from (x, y) by (dx, dy); *lx, *ly
 * get its centre in plot units. */
void dg_place_label(struct dg_placer *pl, double x, double y, double dx, double dy, size_t len,
                    bool lost, double *lx, double *ly) {
    static const double along[] = {0.5, 0.35, 0.65, 0.25, 0.75};
    static const double off[] = {1, -1, 2, -2}; /* label heights, up first */
    double w = (double)len * DG_CHAR10_PX + 8, base = lost ? 0.9 * DG_LINE12_PX : 0;
    double f = 0.5, oy = base;
    bool found = pl->oom;
    for (size_t i = 0; !found && i < sizeof along / sizeof along[0]; i++)
        if (placer_free(pl, placer_box(pl, x + along[i] * dx, y + along[i] * dy, w, DG_LABEL_PX,
                                       false, 0, base)))
            f = along[i], found = true;
    for (size_t i = 0; !found && i < sizeof off / sizeof off[0]; i++) {
        double o2 = base + off[i] * DG_LABEL_PX;
        if (placer_free(pl, placer_box(pl, x + dx / 2, y + dy / 2, w, DG_LABEL_PX, false, 0, o2)))
            oy = o2, found = true;
    }
    *lx = x + f * dx;
    *ly = y + f * dy - oy / pl->sy;
    placer_add(pl, placer_box(pl, *lx, *ly, w, DG_LABEL_PX, false, 0, 0));
}

void dg_write_yticks(FILE *gp, const struct dg_layout *L, double px_per_ms) {
    const double px_min = 24;
    fputs("set ytics (", gp);
    bool first = true;
    for (size_t a = 0; a < L->nt;) {
        size_t b = a;
        while (b + 1 < L->nt && (double)(L->t[b + 1] - L->t[b]) / 1e6 <= L->gap_ms)
            b++;
        double ta = (double)L->t[a] / 1e6, tb = (double)L->t[b] / 1e6;
        static const double mult[] = {1, 2, 5};
        double step = 0.001;
        for (int k = 0; step * px_per_ms < px_min; k++)
            step = mult[k % 3] * pow(10, floor(k / 3.0) - 3);
        int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
        double t0 = ceil(ta / step - 1e-9) * step;
        if (t0 > tb + 1e-9) { /* no round value inside: label where the stretch starts */
            fprintf(gp, "%s\"%.1f\" %.6f", first ? "" : ", ", ta, L->y[a]);
            first = false;
        }
        for (double tk = t0; tk <= tb + 1e-9; tk += step) {
            fprintf(gp, "%s\"%.*f\" %.6f", first ? "" : ", ", decimals, tk, L->y[a] + (tk - ta));
            first = false;
        }
        a = b + 1;
    }
    fputs(")\n", gp);
}
