/* Writing one panel of a message-sequence diagram: NAME.dat (lifelines, messages, marks,
 * the explained chain) and the panel's gnuplot commands in NAME.gp, on the layout of
 * diagram_layout.c. Every label goes through plot_dat_str / plot_q, so a node or key
 * name cannot break the files; the key names only what the panel draws. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "fileio.h"
#include "plot_internal.h"

/* ---- writing ---- */

/* A message and its acknowledgement share a colour (as 0xRRGGBB in decimal, which
 * gnuplot's `lc rgb variable` reads from a data column). */
static unsigned kind_color(uint32_t kind) {
    switch (kind) {
    case PIPE_MSG_PRODUCE:
    case PIPE_MSG_PRODUCE_ACK:
        return 0x3D9AD1;
    case PIPE_MSG_RECORD:
    case PIPE_MSG_ACK:
        return 0x0072B2;
    case PIPE_MSG_OUTPUT:
    case PIPE_MSG_OUTPUT_ACK:
        return 0x009E73;
    case PIPE_MSG_COMMIT:
    case PIPE_MSG_COMMIT_ACK:
        return 0xE69F00;
    case PIPE_MSG_BARRIER: /* exactly-once-checkpoint's control messages */
    case PIPE_MSG_SNAPSHOT_ACK:
    case PIPE_MSG_CKPT_COMMIT:
    case PIPE_MSG_CKPT_COMMIT_ACK:
        return 0xCC79A7;
    case PIPE_MSG_JOIN:
    case PIPE_MSG_RESTORE:
    case PIPE_MSG_RESTORE_ACK:
        return 0xD55E00;
    default:
        return 0x888888;
    }
}

static bool kind_is_ack(uint32_t kind) {
    return kind == PIPE_MSG_PRODUCE_ACK || kind == PIPE_MSG_ACK || kind == PIPE_MSG_OUTPUT_ACK ||
           kind == PIPE_MSG_COMMIT_ACK || kind == PIPE_MSG_INIT_ACK ||
           kind == PIPE_MSG_SNAPSHOT_ACK || kind == PIPE_MSG_CKPT_COMMIT_ACK ||
           kind == PIPE_MSG_RESTORE_ACK || kind == PIPE_MSG_ASSIGN_ACK;
}

static const char *fate_name(const struct dg_arrow *a) {
    if (a->fate == FATE_DELIVERED) return "delivered";
    switch (a->reason) {
    case SIM_DROP_RULE:
        return "lost:rule";
    case SIM_DROP_LOSS:
        return "lost:loss";
    case SIM_DROP_PARTITION:
        return a->t1 == a->t0 ? "lost:partition" : "dropped:partition";
    case SIM_DROP_DOWN:
        return "dropped:down";
    case SIM_DROP_DUP:
        return "dropped:dup";
    default:
        return "dropped";
    }
}

/* What happened to a message that did not arrive, for its label ("" when it did). */
static const char *drop_words(const struct pipe_config *cfg, const struct dg_arrow *a, char *buf,
                              size_t size) {
    if (a->fate == FATE_DELIVERED) return "";
    if (dg_dropped_at_send(a)) {
        char to[PIPE_NAME_MAX];
        snprintf(buf, size, " to %s LOST", pipe_node_name(cfg, a->dst, to, sizeof to));
        return buf;
    }
    switch (a->reason) {
    case SIM_DROP_DOWN:
        return " (receiver down)";
    case SIM_DROP_DUP:
        return " (duplicate copy)";
    case SIM_DROP_PARTITION:
        return " (cut by the partition)";
    default:
        return " (dropped)";
    }
}

static void mark_label(const struct dg_mark *m, char *buf, size_t size) {
    switch (m->type) {
    case MK_CRASH:
        snprintf(buf, size, "CRASH");
        break;
    case MK_RESTART:
        snprintf(buf, size, "restart");
        break;
    case MK_PARTITION:
        snprintf(buf, size, "partition");
        break;
    case MK_HEAL:
        snprintf(buf, size, "heal");
        break;
    case MK_VISIBLE:
        snprintf(buf, size, "r%llu visible%s", (unsigned long long)m->arg,
                 m->copy == 1   ? ""
                 : m->copy == 2 ? " again: duplicate"
                                : " again");
        break;
    case MK_CKPT: {
        static const char *const what[] = {"checkpoint %llu triggered",
                                           "snapshot %llu stored",
                                           "checkpoint %llu complete",
                                           "checkpoint %llu aborted",
                                           "output to checkpoint %llu committed",
                                           "rollback to checkpoint %llu"};
        uint32_t i = m->copy - PIPE_TR_CKPT_TRIGGER;
        snprintf(buf, size, i < 6 ? what[i] : "checkpoint %llu", (unsigned long long)m->arg);
        break;
    }
    default: /* a step fault */
        snprintf(buf, size, m->ckpt ? "at %s of checkpoint %llu" : "at %s of r%llu", m->step,
                 (unsigned long long)m->arg);
    }
}

/* A step fault followed at once by the crash it causes: drawn as one mark, "CRASH at
 * after-emit of r90". */
static bool merged_fault(const struct dg_trace *t, const size_t *mk, size_t nmk, size_t k) {
    const struct dg_mark *m = &t->marks[mk[k]];
    const struct dg_mark *nx = k + 1 < nmk ? &t->marks[mk[k + 1]] : NULL;
    return m->type == MK_FAULT && nx && nx->type == MK_CRASH && nx->node == m->node &&
           nx->t_ns == m->t_ns;
}

static const char *const mark_names[] = {"",      "crash",   "restart",   "partition", "heal",
                                         "fault", "visible", "rebalance", "checkpoint"};

/* A rebalance at the instant of the one before it: drawn in that one's label. */
static bool merged_rebalance(const struct dg_trace *t, const size_t *mk, size_t k) {
    const struct dg_mark *m = &t->marks[mk[k]], *pv = k ? &t->marks[mk[k - 1]] : NULL;
    return m->type == MK_REBALANCE && pv && pv->type == MK_REBALANCE && pv->t_ns == m->t_ns;
}

/* "rebalance: p2 -> worker-1 (gen 2), p3 -> ..." for the rebalances at mark k's instant. */
static void rebalance_text(const struct pipe_config *cfg, const struct dg_trace *t,
                           const size_t *mk, size_t nmk, size_t k, char *buf, size_t size) {
    size_t o = (size_t)snprintf(buf, size, "rebalance:");
    for (size_t j = k; j < nmk && o < size; j++) {
        const struct dg_mark *m = &t->marks[mk[j]];
        if (m->type != MK_REBALANCE || m->t_ns != t->marks[mk[k]].t_ns) break;
        uint32_t owner = (uint32_t)m->owner_gen;
        char name[PIPE_NAME_MAX];
        if (owner == PIPE_NO_OWNER)
            snprintf(name, sizeof name, "no owner");
        else
            dg_node_name(cfg, owner, name, sizeof name);
        o += (size_t)snprintf(buf + o, size - o, "%s p%llu -> %s (gen %llu)", j > k ? "," : "",
                              (unsigned long long)m->arg, name,
                              (unsigned long long)(m->owner_gen >> 32));
    }
}

/* The label of mark k of the view into buf; false when the mark is not drawn (a step
 * fault merged into the crash after it, a rebalance into the one before it). */
bool dg_mark_text(const struct pipe_config *cfg, const struct dg_trace *t, const size_t *mk,
                  size_t nmk, size_t k, char *buf, size_t size) {
    const struct dg_mark *m = &t->marks[mk[k]];
    if (merged_fault(t, mk, nmk, k) || merged_rebalance(t, mk, k)) return false;
    if (m->type == MK_REBALANCE) {
        rebalance_text(cfg, t, mk, nmk, k, buf, size);
        return true;
    }
    mark_label(m, buf, size);
    const struct dg_mark *pv = k ? &t->marks[mk[k - 1]] : NULL;
    if (m->type == MK_CRASH && pv && pv->type == MK_FAULT && pv->node == m->node &&
        pv->t_ns == m->t_ns) {
        char step[80];
        mark_label(pv, step, sizeof step);
        snprintf(buf, size, "CRASH %s", step);
    }
    return true;
}

static void write_marks(FILE *dat, const struct diag_options *o, const struct dg_trace *t,
                        const size_t *mk, size_t nmk, const struct dg_layout *L,
                        struct diag_report *rep) {
    fputs("\n\n# index 3: marks. 1 t_ms  2 x (-1: every lifeline)  3 y  4 type (crash, restart,\n"
          "#   partition, heal, fault, visible, rebalance)  5 node  6 label\n",
          dat);
    for (size_t k = 0; k < nmk; k++) {
        const struct dg_mark *m = &t->marks[mk[k]];
        bool all = m->type == MK_PARTITION || m->type == MK_HEAL;
        char name[PIPE_NAME_MAX], label[200];
        if (!dg_mark_text(o->cfg, t, mk, nmk, k, label, sizeof label)) continue;
        fprintf(dat, "%.6f %d %.6f %s ", (double)m->t_ns / 1e6,
                all ? -1 : dg_lifeline_of(L, m->node), dg_y_of(L, m->t_ns), mark_names[m->type]);
        plot_dat_str(dat, all ? "-" : dg_node_name(o->cfg, m->node, name, sizeof name));
        fputc(' ', dat);
        plot_dat_str(dat, label);
        fputc('\n', dat);
        rep->crashes += m->type == MK_CRASH;
        rep->restarts += m->type == MK_RESTART;
    }
    if (nmk == 0) fputs("NaN NaN NaN none \"-\" \"-\"\n", dat);
}

/* Where an arrow starts (y0, at its sender's lifeline) and how far it goes. */
static void arrow_geometry(const struct dg_layout *L, const struct dg_arrow *a, double *y0,
                           double *dx, double *dy) {
    int xs = dg_lifeline_of(L, a->src), xd = dg_lifeline_of(L, a->dst);
    *y0 = dg_y_of(L, a->t0);
    *dx = xd - xs;
    *dy = dg_y_of(L, a->t1) - *y0;
    if (dg_dropped_at_send(a)) { /* it never travelled: a short stub, then the cross */
        *dx = *dx > 0 ? 0.42 : -0.42;
        *dy = dg_y_of(L, a->t0 + L->transit_ns / 2) - *y0;
    }
}

static void write_messages(FILE *dat, const struct diag_options *o, const struct dg_trace *t,
                           const struct dg_view *v, const struct dg_layout *L, struct dg_placer *pl,
                           struct diag_report *rep) {
    fputs("\n\n# index 2: messages. 1 t_send_ms  2 t_end_ms  3 x  4 y  5 dx  6 dy  7 rgb  8 kind\n"
          "#   9 from  10 to  11 record  12 fate (delivered, lost:rule|loss|partition at the\n"
          "#   send, dropped:down|dup|partition at the receiver)  13 ack (0/1)  14 label\n"
          "#   15 16 where the label goes (x, y): on the arrow, moved along or off it\n"
          "#   where it would cover another label or a mark\n",
          dat);
    for (size_t k = 0; k < v->nsel; k++) {
        const struct dg_arrow *a = &t->arrows[v->sel[k]];
        int xs = dg_lifeline_of(L, a->src);
        double y0, dx, dy;
        arrow_geometry(L, a, &y0, &dx, &dy);
        char from[PIPE_NAME_MAX], to[PIPE_NAME_MAX], label[96];
        const char *kn = pipe_msg_name((int)a->kind);
        if (a->kind == PIPE_MSG_INIT || a->kind == PIPE_MSG_INIT_ACK || a->kind >= PIPE_MSG_BARRIER)
            snprintf(label, sizeof label, "%s%s", kn, a->fate ? " x" : "");
        else
            snprintf(label, sizeof label, "%s r%llu%s", kn, (unsigned long long)a->tag,
                     drop_words(o->cfg, a, to, sizeof to));
        fprintf(dat, "%.6f %.6f %d %.6f %.6f %.6f %u %s ", (double)a->t0 / 1e6, (double)a->t1 / 1e6,
                xs, y0, dx, dy, kind_color(a->kind), kn);
        plot_dat_str(dat, dg_node_name(o->cfg, a->src, from, sizeof from));
        fputc(' ', dat);
        plot_dat_str(dat, dg_node_name(o->cfg, a->dst, to, sizeof to));
        fprintf(dat, " %llu %s %d ", (unsigned long long)a->tag, fate_name(a),
                kind_is_ack(a->kind));
        plot_dat_str(dat, label);
        double lx, ly;
        dg_place_label(pl, xs, y0, dx, dy, strlen(label), a->fate != FATE_DELIVERED, &lx, &ly);
        fprintf(dat, " %.6f %.6f\n", lx, ly);
        rep->lost += a->fate == FATE_DROPPED;
    }
}

/* Whether node was down at time at (from every crash and restart of the run). */
static bool down_at(const struct dg_trace *t, uint32_t node, uint64_t at) {
    bool down = false;
    for (size_t i = 0; i < t->nmarks && t->marks[i].t_ns <= at; i++)
        if (t->marks[i].node == node && t->marks[i].type == MK_CRASH)
            down = true;
        else if (t->marks[i].node == node && t->marks[i].type == MK_RESTART)
            down = false;
    return down;
}

/* Lifelines: one vector per stretch up (solid) or down (dashed red), and the cuts. */
static void write_lines(FILE *dat, const struct diag_options *o, const struct dg_trace *t,
                        const struct dg_layout *L, double ytop, double ybot) {
    fputs("# index 0: lifelines. 1 x  2 y  3 dy  4 down (0/1)  5 node\n", dat);
    for (uint32_t i = 0; i < L->nlines; i++) {
        uint32_t node = L->node[i];
        char buf[PIPE_NAME_MAX];
        const char *name = dg_node_name(o->cfg, node, buf, sizeof buf);
        double y = ytop;
        bool down = down_at(t, node, L->t[0]);
        for (size_t k = 0; k < t->nmarks; k++) {
            const struct dg_mark *m = &t->marks[k];
            if (m->node != node || m->t_ns <= L->t[0] || m->t_ns > L->t[L->nt - 1]) continue;
            if ((m->type == MK_CRASH) == down) continue; /* no change of state */
            double ym = dg_y_of(L, m->t_ns);
            fprintf(dat, "%u %.6f %.6f %d ", i, y, ym - y, down);
            plot_dat_str(dat, name);
            fputc('\n', dat);
            y = ym;
            down = m->type == MK_CRASH;
        }
        fprintf(dat, "%u %.6f %.6f %d ", i, y, ybot - y, down);
        plot_dat_str(dat, name);
        fputc('\n', dat);
    }
    fputs("\n\n# index 1: time cuts. 1 y_from  2 y_to  3 real_ms (nothing happens meanwhile)\n",
          dat);
    bool any = false;
    for (size_t i = 1; i < L->nt; i++) {
        double gap = (double)(L->t[i] - L->t[i - 1]) / 1e6;
        if (gap <= L->gap_ms) continue;
        fprintf(dat, "%.6f %.6f %.6f\n", L->y[i - 1], L->y[i], gap);
        any = true;
    }
    if (!any) fputs("NaN NaN NaN\n", dat); /* keeps the block (and the index numbers) */
    (void)o;
}

/* Tick marks in real milliseconds: per stretch between two cuts, steps of 1, 2 or 5
 * times a power of ten, at least px_min pixels apart on the drawn axis. */
/* ---- the explained chain (`ftsim diagram --explain`) ----
 * index 4: the chain's messages again, drawn over their arrows as a wide translucent
 * band; index 5: the cause, a ring at the drop's cross or on the node's lifeline, with
 * its words. */

/* Returns whether the cause is drawn (a clause must not plot a block of NaN labels). */
static bool write_chain(FILE *dat, const struct diag_chain *c, const struct dg_trace *t,
                        const struct dg_view *v, const struct dg_layout *L) {
    fputs("\n\n# index 4: the explained chain's messages. 1 x  2 y  3 dx  4 dy  5 msg\n", dat);
    bool any = false, cause = false;
    double cx = 0, cy = 0;
    for (size_t k = 0; k < v->nsel; k++) {
        const struct dg_arrow *a = &t->arrows[v->sel[k]];
        if (!dg_chain_has(c, a->id)) continue;
        double y0, dx, dy;
        arrow_geometry(L, a, &y0, &dx, &dy);
        fprintf(dat, "%d %.6f %.6f %.6f %llu\n", dg_lifeline_of(L, a->src), y0, dx, dy,
                (unsigned long long)a->id);
        any = true;
        if (c->has_cause && c->cause_msg == a->id && a->fate == FATE_DROPPED)
            cause = true, cx = dg_lifeline_of(L, a->src) + dx, cy = y0 + dy;
    }
    if (!any) fputs("NaN NaN NaN NaN 0\n", dat);
    if (!cause && c->has_cause && !c->cause_msg && dg_lifeline_of(L, c->cause_node) >= 0 &&
        dg_find_u64(L->t, L->nt, c->cause_t_ns))
        cause = true, cx = dg_lifeline_of(L, c->cause_node), cy = dg_y_of(L, c->cause_t_ns);
    fputs("\n\n# index 5: the cause. 1 x  2 y  3 label\n", dat);
    if (!cause) {
        fputs("NaN NaN \"-\"\n", dat);
        return false;
    }
    char label[120];
    snprintf(label, sizeof label, "cause: %s", c->cause);
    fprintf(dat, "%.6f %.6f ", cx, cy);
    plot_dat_str(dat, label);
    fputc('\n', dat);
    return true;
}

static void chain_clauses(FILE *gp, bool *f, const char *name, const struct diag_chain *c,
                          bool cause) {
    dg_clause(gp, f, name,
              "index 4 using 1:2:3:4 with vectors nohead lw 9*pscale lc rgb \"#A0E69F00\" "
              "title \"the chain of r%llu\"",
              (unsigned long long)c->record);
    if (!cause) return;
    dg_clause(gp, f, name,
              "index 5 using 1:2 with points pt 6 ps 4.5*pscale lw 3 lc rgb \"#C00000\" "
              "title \"cause\"");
    dg_clause(gp, f, name,
              "index 5 using 1:2:3 with labels right offset -2.2,-1.2 boxed font f(11) "
              "tc rgb \"#C00000\" notitle");
}

void dg_clause(FILE *gp, bool *first, const char *name, const char *fmt, ...) {
    fprintf(gp, "%s\"%s.dat\" ", *first ? "plot " : ", \\\n     ", name);
    *first = false;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(gp, fmt, ap);
    va_end(ap);
}

static void write_gp(FILE *gp, const struct diag_options *o, const struct dg_layout *L,
                     const struct dg_has *h, int height, const char *name, const char *title) {
    char q[2 * DIAG_TITLE_MAX + 400], nm[PIPE_NAME_MAX];
    double ylo, yhi;
    dg_yrange(L, &ylo, &yhi);
    fprintf(gp, "set title %s\n", plot_q(q, sizeof q, title));
    /* room on the right of the last lifeline for the labels of the marks */
    fprintf(gp,
            "xlo = -0.45\nxhi = %u + 0.95\nset xrange [xlo:xhi]\nset x2range [xlo:xhi]\n"
            "set yrange [%.6f:%.6f]\nunset xtics\nfx2 = f(13)\nset x2tics scale 0 (",
            L->nlines - 1, yhi, ylo);
    for (uint32_t i = 0; i < L->nlines; i++)
        fprintf(gp, "%s%s %u", i ? ", " : "",
                plot_q(q, sizeof q, dg_node_name(o->cfg, L->node[i], nm, sizeof nm)), i);
    fputs(")\nset x2tics font fx2\nset border 2\nset ytics nomirror out\nset ylabel \"simulated "
          "time (ms)\"\n"
          "set key outside bottom center horizontal spacing 1.6 samplen 3\n"
          "set style textbox opaque noborder\n"
          "set lmargin 12\nset rmargin 2\nset bmargin 7\nset tmargin 6\n"
          "arrowhead = \"head filled size screen 14.0/width,22\"\n"
          "is(c, s) = strcol(c) eq s\n",
          gp);
    dg_write_yticks(gp, L, (height - 230.0) / (yhi - ylo));
    bool f = true;
    if (h->cut) {
        dg_clause(gp, &f, name,
                  "index 1 using ((xlo + xhi) / 2):(($1 + $2) / 2):((xhi - xlo) / 2):"
                  "(($2 - $1) / 2) with boxxyerror fs solid 0.35 noborder lc rgb "
                  "\"#cccccc\" title \"time cut (nothing happens)\"");
        dg_clause(gp, &f, name,
                  "index 1 using (xhi - 0.03):(($1 + $2) / 2):(sprintf(\"%%.0f ms "
                  "later\", $3)) with labels right font f(10) tc rgb \"#555555\" "
                  "notitle");
    }
    dg_clause(gp, &f, name,
              "index 0 using 1:($4 == 0 ? $2 : NaN):(0):3 with vectors nohead lw 1.5 "
              "lc rgb \"#888888\" notitle");
    if (h->down)
        dg_clause(gp, &f, name,
                  "index 0 using 1:($4 == 1 ? $2 : NaN):(0):3 with vectors nohead "
                  "lw 3 dt 3 lc rgb \"#C00000\" title \"node down\"");
    if (h->message)
        dg_clause(gp, &f, name,
                  "index 2 using 3:(is(12, \"delivered\") && $13 == 0 ? $4 : NaN):5:6:"
                  "7 with vectors @arrowhead lw 2 lc rgb variable title \"message\"");
    if (h->ack)
        dg_clause(gp, &f, name,
                  "index 2 using 3:(is(12, \"delivered\") && $13 == 1 ? $4 : NaN):5:6:"
                  "7 with vectors @arrowhead lw 2 dt 2 lc rgb variable title "
                  "\"acknowledgement\"");
    if (h->lost) {
        /* a lost acknowledgement is dashed, as the key says acknowledgements are */
        dg_clause(gp, &f, name,
                  "index 2 using 3:(is(12, \"delivered\") || $13 == 1 ? NaN : $4):5:6:7 with "
                  "vectors nohead lw 2 lc rgb variable notitle");
        dg_clause(gp, &f, name,
                  "index 2 using 3:(is(12, \"delivered\") || $13 == 0 ? NaN : $4):5:6:7 with "
                  "vectors nohead lw 2 dt 2 lc rgb variable notitle");
        dg_clause(gp, &f, name,
                  "index 2 using ($3 + $5):(is(12, \"delivered\") ? NaN : $4 + $6) "
                  "with points pt 2 ps 2.6*pscale lw 3 lc rgb \"#C00000\" title \"lost or "
                  "dropped\"");
        dg_clause(gp, &f, name,
                  "index 2 using 15:(is(12, \"delivered\") ? NaN : $16):14 with labels "
                  "boxed font f(10) tc rgb \"#C00000\" notitle");
    }
    if (h->message || h->ack)
        dg_clause(gp, &f, name,
                  "index 2 using 15:(is(12, \"delivered\") ? $16 : NaN):14 with labels "
                  "boxed font f(10) notitle");
    if (h->partition) {
        dg_clause(gp, &f, name,
                  "index 3 using (xlo):(is(4, \"partition\") || is(4, \"heal\") ? $3 "
                  ": NaN):(xhi - xlo):(0) with vectors nohead lw 2 dt 4 lc rgb "
                  "\"#B8860B\" notitle");
        dg_clause(gp, &f, name,
                  "index 3 using (xlo + 0.02):(is(4, \"partition\") || is(4, "
                  "\"heal\") ? $3 : NaN):6 with labels left offset 0,0.7 tc rgb "
                  "\"#B8860B\" notitle");
    }
    static const struct {
        const char *type, *color, *title, *offset, *text_color;
        int pt, font;
    } pts[] = {{"crash", "#C00000", "crash", "1.2,0.9", "#C00000", 5, 12},
               {"fault", "#C00000", "crash at a step", "1.2,0.9", "#C00000", 5, 12},
               {"restart", "#007A3D", "restart", "1.2,0.9", "#007A3D", 9, 12},
               {"visible", "#CC79A7", "record visible at the sink", "1.3,0", "#A0457A", 13, 10},
               {"rebalance", "#B8860B", "partitions reassigned", "1.3,0", "#8B6508", 11, 10},
               {"checkpoint", "#7B2FA0", "checkpoint step", "1.3,0", "#7B2FA0", 7, 10}};
    const bool on[] = {h->crash, h->fault, h->restart, h->visible, h->rebalance, h->checkpoint};
    for (int i = 0; i < 6; i++) {
        if (!on[i]) continue;
        dg_clause(gp, &f, name,
                  "index 3 using 2:(is(4, \"%s\") ? $3 : NaN) with points pt %d ps "
                  "2.2*pscale lc rgb \"%s\" title \"%s\"",
                  pts[i].type, pts[i].pt, pts[i].color, pts[i].title);
        dg_clause(gp, &f, name,
                  "index 3 using 2:(is(4, \"%s\") ? $3 : NaN):6 with labels left "
                  "offset %s boxed font f(%d) tc rgb \"%s\" notitle",
                  pts[i].type, pts[i].offset, pts[i].font, pts[i].text_color);
    }
    if (o->chain) chain_clauses(gp, &f, name, o->chain, h->cause);
    fputc('\n', gp);
}

static struct dg_has view_has(const struct dg_trace *t, const struct dg_view *v, const size_t *mk,
                              size_t nmk, const struct dg_layout *L) {
    struct dg_has h = {0};
    for (size_t k = 0; k < v->nsel; k++) {
        const struct dg_arrow *a = &t->arrows[v->sel[k]];
        h.ack |= a->fate == FATE_DELIVERED && kind_is_ack(a->kind);
        h.message |= a->fate == FATE_DELIVERED && !kind_is_ack(a->kind);
        h.lost |= a->fate == FATE_DROPPED;
    }
    for (size_t k = 0; k < nmk; k++) {
        uint8_t type = t->marks[mk[k]].type;
        h.crash |= type == MK_CRASH;
        h.restart |= type == MK_RESTART;
        h.visible |= type == MK_VISIBLE;
        h.rebalance |= type == MK_REBALANCE;
        h.checkpoint |= type == MK_CKPT;
        h.partition |= type == MK_PARTITION || type == MK_HEAL;
        h.fault |= type == MK_FAULT && !merged_fault(t, mk, nmk, k);
    }
    h.down = h.crash;
    for (size_t i = 1; i < L->nt; i++)
        h.cut |= (double)(L->t[i] - L->t[i - 1]) / 1e6 > L->gap_ms;
    for (uint32_t i = 0; i < L->nlines; i++)
        h.down |= down_at(t, L->node[i], L->t[0]);
    return h;
}

int dg_write_panel(const struct diag_options *o, struct dg_panel *P, const char *dir,
                   const char *name, FILE *gp, int width, int height, const char *title,
                   struct ft_error *err) {
    char dat_path[PLOT_PATH_MAX];
    snprintf(dat_path, sizeof dat_path, "%s/%s.dat", dir, name);
    struct ft_out dat_out; /* a temporary name, renamed when complete */
    int rc = ft_out_open(&dat_out, dat_path, err);
    if (rc) return rc;
    FILE *dat = dat_out.f;
    const struct dg_layout *L = &P->L;
    double ytop = L->y[0] - L->transit_ms / 2, ybot = L->y[L->nt - 1] + L->transit_ms / 2;
    fprintf(dat,
            "# %s.dat: message-sequence diagram, written by `ftsim diagram`.\n"
            "# y is the drawn time axis in ms: real simulated time, except that gaps\n"
            "# longer than %.3f ms with nothing happening are cut to %.3f ms (index 1).\n",
            name, L->gap_ms, L->cut_ms);
    struct dg_placer pl = dg_placer_new(L, width, height);
    dg_placer_add_marks(&pl, o->cfg, &P->t, P->mk, P->nmk, L);
    write_lines(dat, o, &P->t, L, ytop, ybot);
    write_messages(dat, o, &P->t, &P->v, L, &pl, &P->rep);
    free(pl.box);
    write_marks(dat, o, &P->t, P->mk, P->nmk, L, &P->rep);
    bool cause = o->chain && write_chain(dat, o->chain, &P->t, &P->v, L);
    struct dg_has h = view_has(&P->t, &P->v, P->mk, P->nmk, L);
    h.cause = cause;
    write_gp(gp, o, L, &h, height, name, title);
    return ft_out_commit(&dat_out, err);
}

void dg_gp_header(FILE *gp, const struct diag_options *o, const char *name, int width, int height) {
    enum plot_format fmt = (enum plot_format)diag_format_of(o->out);
    fprintf(gp,
            "# %s.gp: message-sequence diagram, written by `ftsim diagram`.\n"
            "# Redraw from this directory with `gnuplot %s.gp`; the data is in %s*.dat.\n"
            "# Restyle here: size in pixels, font scale; colours are in the plot commands.\n",
            name, name, name);
    plot_gp_size(gp, o->width > 0 ? o->width : width, o->height > 0 ? o->height : height,
                 o->font_scale);
    plot_gp_terminal(gp, fmt);
    fprintf(gp, "set output \"%s.%s\"\n", name, plot_format_ext(fmt));
}
