/* `ftsim diagram` of a Byzantine scenario (docs/plots.md): the generals of one agreement
 * as lifelines (commander, lieutenants, a replicated stage's sink), each order or relay
 * an arrow labelled with the value it carries and its path (OM: who says the commander
 * said it) or chain of signers (SM, Dolev-Strong), read from the message's tag as it was
 * sent (byz_tag), a traitor's arrows dashed, a chain whose signature fails crossed out
 * and named, a message discarded unread crossed in grey, each round a band, and each
 * loyal lieutenant's decision at the end with IC1 and IC2 judged. Several algorithms of
 * the same configuration side by side. The messages of one round are sent at one
 * instant, so within a round each message gets a row of its own (the y axis is rounds,
 * not milliseconds). The run is the same one `ftsim run` makes: the hook only reads. */
#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "fileio.h"
#include "grow.h"
#include "plot_internal.h"

#define BZ_MSGS_MAX 4000000u /* messages one run may send before the diagram gives up */
#define BZ_ROW 1.0           /* the height of a message's row */

enum { BZ_OK = 0, BZ_REJECTED, BZ_DISCARDED };

struct bz_send {
    uint64_t t_ns, tag;
    uint32_t src, dst, kind;
    bool set;
};

struct bz_msg {
    uint64_t t0, t1, tag;
    uint32_t src, dst, kind;
    uint8_t verdict;
    uint32_t why; /* rejected: the link whose signature failed; discarded: BYZ_WHY_* */
};

struct bz_decide {
    uint64_t t_ns;
    uint32_t node, inst;
    uint8_t value;
};

struct bz_trace {
    struct bz_send *sends; /* by message id */
    size_t nsends;
    struct bz_msg *msgs;
    size_t nmsgs, mcap;
    struct bz_decide *dec;
    size_t ndec, dcap;
    size_t last[BYZ_NODES_MAX + 1]; /* per node: its last delivered message + 1 (0: none) */
    uint64_t last_t[BYZ_NODES_MAX + 1];
    int err;
};

static void bz_send_rec(struct bz_trace *t, const struct sim_trace_rec *r) {
    if (r->id >= BZ_MSGS_MAX) {
        t->err = FT_ELIMIT;
        return;
    }
    if (r->id >= t->nsends) {
        size_t cap = t->nsends, c = cap;
        if (ft_grow((void **)&t->sends, &c, (size_t)r->id + 1, sizeof *t->sends, 1024)) {
            t->err = FT_ENOMEM;
            return;
        }
        memset(t->sends + cap, 0, (c - cap) * sizeof *t->sends);
        t->nsends = c;
    }
    t->sends[r->id] = (struct bz_send){r->time_ns, r->tag, r->node, r->peer, r->kind, true};
}

static void bz_deliver(struct bz_trace *t, const struct sim_trace_rec *r) {
    if (r->id >= t->nsends || !t->sends[r->id].set) return;
    const struct bz_send *s = &t->sends[r->id];
    if (ft_grow((void **)&t->msgs, &t->mcap, t->nmsgs + 1, sizeof *t->msgs, 256)) {
        t->err = FT_ENOMEM;
        return;
    }
    t->msgs[t->nmsgs++] =
        (struct bz_msg){s->t_ns, r->time_ns, s->tag, s->src, s->dst, s->kind, BZ_OK, 0};
    if (r->node <= BYZ_NODES_MAX) {
        t->last[r->node] = t->nmsgs;
        t->last_t[r->node] = r->time_ns;
    }
}

/* A reject or discard follows at once the delivery it judges, at the same node. */
static void bz_verdict(struct bz_trace *t, const struct sim_trace_rec *r, uint8_t verdict) {
    if (r->node > BYZ_NODES_MAX || !t->last[r->node] || t->last_t[r->node] != r->time_ns) return;
    struct bz_msg *m = &t->msgs[t->last[r->node] - 1];
    m->verdict = verdict;
    m->why = (uint32_t)r->arg;
}

static void bz_on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct bz_trace *t = ctx;
    if (t->err) return;
    if (r->type == SIM_TR_SEND) bz_send_rec(t, r);
    if (r->type == SIM_TR_DELIVER) bz_deliver(t, r);
    if (r->type == SIM_TR_USER && r->kind == BYZ_TR_REJECT) bz_verdict(t, r, BZ_REJECTED);
    if (r->type == SIM_TR_USER && r->kind == BYZ_TR_DISCARD) bz_verdict(t, r, BZ_DISCARDED);
    if (r->type == SIM_TR_USER && r->kind == BYZ_TR_DECIDE) {
        if (ft_grow((void **)&t->dec, &t->dcap, t->ndec + 1, sizeof *t->dec, 64)) {
            t->err = FT_ENOMEM;
            return;
        }
        t->dec[t->ndec++] =
            (struct bz_decide){r->time_ns, r->node, (uint32_t)r->id, (uint8_t)r->arg};
    }
}

static void bz_free(struct bz_trace *t) {
    free(t->sends);
    free(t->msgs);
    free(t->dec);
    memset(t, 0, sizeof *t);
}

/* ---- one decision of one run ---- */

static uint64_t decision_ns(const struct byz_config *c) {
    return (uint64_t)byz_rounds(c) * c->round_ns;
}

/* The decision a message belongs to: an output to the sink is sent when it ends. */
static uint32_t inst_of(const struct byz_config *c, const struct bz_msg *m) {
    uint64_t d = m->t0 / decision_ns(c);
    return (uint32_t)(m->kind == BYZ_MSG_OUTPUT && d > 0 ? d - 1 : d);
}

/* Whether decision k broke IC1 or IC2: the loyal lieutenants' decisions against each
 * other and, with a loyal commander, against its order (the value of its messages). */
static void judge(const struct byz_config *c, const struct bz_trace *t, uint32_t k, bool *ic1,
                  bool *ic2) {
    int order = -1, first = -1;
    *ic1 = *ic2 = true;
    for (size_t i = 0; i < t->nmsgs && order < 0; i++)
        if (t->msgs[i].src == 0 && inst_of(c, &t->msgs[i]) == k) {
            struct byz_tag_info ti;
            byz_tag_decode(t->msgs[i].tag, &ti);
            order = ti.value <= 1 ? ti.value : -1;
        }
    for (uint32_t node = 1; node < c->n; node++) {
        if (c->strategy[node] != BYZ_LOYAL) continue;
        int v = -1;
        for (size_t i = 0; i < t->ndec; i++)
            if (t->dec[i].node == node && t->dec[i].inst == k) v = t->dec[i].value;
        if (v < 0 || (first >= 0 && v != first)) *ic1 = false;
        if (first < 0) first = v;
        if (c->strategy[0] == BYZ_LOYAL && order >= 0 && v != order) *ic2 = false;
    }
}

/* The first decision that breaks agreement, else the first. */
static uint32_t pick_decision(const struct byz_config *c, const struct bz_trace *t) {
    for (uint32_t k = 0; k < c->decisions; k++) {
        bool a, b;
        judge(c, t, k, &a, &b);
        if (!a || !b) return k;
    }
    return 0;
}

/* ---- writing ---- */

static const char *value_word(uint8_t v) {
    return v == BYZ_ATTACK ? "attack" : v == BYZ_RETREAT ? "retreat" : "?";
}

static const char *why_word(uint32_t why) {
    static const char *const words[] = {"",          "another decision's",   "wrong round",
                                        "malformed", "relay not its sender", "second value"};
    return why < sizeof words / sizeof words[0] ? words[why] : "unread";
}

/* The message's label: value and path (OM) or signers (chains), and its fate. */
static void msg_label(const struct byz_config *c, const struct bz_msg *m, char *buf, size_t size) {
    struct byz_tag_info ti;
    byz_tag_decode(m->tag, &ti);
    size_t k = (size_t)snprintf(buf, size, "%s", value_word(ti.value));
    if (m->kind == BYZ_MSG_OUTPUT) {
        snprintf(buf + k, size - k, " (its decision)");
        return;
    }
    k += (size_t)snprintf(buf + k, size - k, m->kind == BYZ_MSG_OM ? " via " : " signed ");
    for (uint32_t i = 0; i < ti.len && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%u",
                              i ? (m->kind == BYZ_MSG_OM ? ">" : ":") : "", ti.ids[i]);
    char who[PIPE_NAME_MAX];
    if (m->verdict == BZ_REJECTED && k < size)
        snprintf(buf + k, size - k, ": REJECTED, %s's signature forged",
                 m->why < ti.len ? byz_node_name(c, ti.ids[m->why], who, sizeof who) : "a");
    else if (m->verdict == BZ_DISCARDED && k < size)
        snprintf(buf + k, size - k, ": discarded (%s)", why_word(m->why));
}

struct bz_panel {
    const struct byz_config *cfg;
    struct bz_trace t;
    uint32_t inst;     /* the decision drawn */
    size_t *sel, nsel; /* its messages, in send order */
    bool ic1, ic2;
};

static int by_send(const void *a, const void *b) {
    const struct bz_msg *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    return (x->dst > y->dst) - (x->dst < y->dst);
}

/* The lifeline's name on the axis: the general, and whether it lies. */
static void line_name(const struct byz_config *c, uint32_t i, char *buf, size_t size) {
    char nm[PIPE_NAME_MAX];
    const char *name = byz_node_name(c, i, nm, sizeof nm);
    if (i < c->n && c->strategy[i] != BYZ_LOYAL)
        snprintf(buf, size, "%s\n(traitor: %s)", name,
                 byz_strategy_name((enum byz_strategy)c->strategy[i]));
    else
        snprintf(buf, size, "%s%s", name, i < c->n ? "\n(loyal)" : "");
}

/* Rows: each message one, in send order; each round starts a new band. */
static void bz_write_dat(FILE *dat, const struct bz_panel *P, double *rows) {
    const struct byz_config *c = P->cfg;
    uint64_t t0 = (uint64_t)P->inst * decision_ns(c);
    fputs("# index 0: messages. 1 row (y)  2 x from  3 dx  4 round  5 value (0 retreat, 1 attack,\n"
          "#   3 none)  6 traitor sender (0/1)  7 verdict (0 read, 1 rejected, 2 discarded)\n"
          "#   8 label  9 rgb\n",
          dat);
    double y = 0, band[BYZ_M_MAX + 3];
    uint32_t round = 0, rnum[BYZ_M_MAX + 3], nb = 0;
    for (size_t k = 0; k < P->nsel; k++) {
        const struct bz_msg *m = &P->t.msgs[P->sel[k]];
        uint32_t r = m->kind == BYZ_MSG_OUTPUT ? byz_rounds(c) + 1
                                               : (uint32_t)((m->t0 - t0) / c->round_ns) + 1;
        if (r != round) { /* a gap between the bands of two rounds */
            y += round ? 0.6 : 0.3;
            if (nb < BYZ_M_MAX + 3) {
                band[nb] = y + 0.5;
                rnum[nb++] = r;
            }
        }
        round = r;
        y += BZ_ROW;
        struct byz_tag_info ti;
        byz_tag_decode(m->tag, &ti);
        char label[160];
        msg_label(c, m, label, sizeof label);
        bool traitor = m->src < c->n && c->strategy[m->src] != BYZ_LOYAL;
        fprintf(dat, "%.3f %u %d %u %u %d %u ", y, m->src, (int)m->dst - (int)m->src, r, ti.value,
                traitor, m->verdict);
        plot_dat_str(dat, label);
        fprintf(dat, " %u\n",
                ti.value == BYZ_ATTACK    ? 0xD55E00u
                : ti.value == BYZ_RETREAT ? 0x0072B2u
                                          : 0x555555u);
    }
    *rows = y;
    fputs("\n\n# index 1: decisions of the loyal lieutenants. 1 y  2 x  3 value  4 label\n", dat);
    bool any = false;
    for (size_t i = 0; i < P->t.ndec; i++) {
        const struct bz_decide *d = &P->t.dec[i];
        if (d->inst != P->inst) continue;
        fprintf(dat, "%.3f %u %u \"decides %s\"\n", y + 1.2, d->node, d->value,
                value_word(d->value));
        any = true;
    }
    if (!any) fputs("NaN NaN 0 \"\"\n", dat);
    fputs("\n\n# index 2: the rounds. 1 y_from  2 y_to  3 label\n", dat);
    for (uint32_t i = 0; i < nb; i++) {
        fprintf(dat, "%.3f %.3f \"", band[i], i + 1 < nb ? band[i + 1] - 0.3 : y + 0.5);
        if (rnum[i] <= byz_rounds(c))
            fprintf(dat, "round %u\"\n", rnum[i]);
        else
            fputs("to the sink\"\n", dat);
    }
    if (!nb) fputs("NaN NaN \"\"\n", dat);
}

/* The panel's plot: lifelines, round bands, arrows (a traitor's dashed), crosses on
 * rejected and discarded ones, labels, decisions. */
static void bz_write_gp(FILE *gp, const struct bz_panel *P, const char *name, double rows,
                        const char *title) {
    const struct byz_config *c = P->cfg;
    uint32_t lines = c->n + (c->sink ? 1 : 0);
    char q[1200], nm[128];
    fprintf(gp,
            "set title %s offset 0,2\nunset key\nunset ytics\nunset xtics\nset border 0\n"
            "set xrange [-0.5:%u + 0.6]\nset x2range [-0.5:%u + 0.6]\nset yrange [%.3f:-0.5]\n"
            "fx2 = f(12)\nset x2tics scale 0 (",
            plot_q(q, sizeof q, title), lines - 1, lines - 1, rows + 2.2);
    for (uint32_t i = 0; i < lines; i++) {
        line_name(c, i, nm, sizeof nm);
        fprintf(gp, "%s%s %u", i ? ", " : "", plot_q(q, sizeof q, nm), i);
    }
    fputs(")\nset x2tics font fx2\nset lmargin 4\nset rmargin 2\nset tmargin 8\nset bmargin 2\n"
          "set style textbox opaque noborder\nunset arrow\n",
          gp);
    for (uint32_t i = 0; i < lines; i++)
        fprintf(gp, "set arrow from %u, -0.4 to %u, %.3f nohead lw 1.5 lc rgb \"#999999\" back\n",
                i, i, rows + 1.6);
    fprintf(gp,
            "plot \"%s.dat\" index 2 using (-0.5):1:(%u + 1.1):(0) with vectors nohead dt 3 "
            "lc rgb \"#bbbbbb\" notitle, \\\n"
            "     \"\" index 2 using (-0.45):(($1 + $2) / 2):3 with labels left rotate by 90 "
            "tc rgb \"#777777\" font f(10) notitle, \\\n"
            "     \"\" index 0 using 2:($6 == 0 ? $1 : NaN):3:(0):9 with vectors head filled size "
            "screen 14.0/width,20 lw 2 lc rgb variable notitle, \\\n"
            "     \"\" index 0 using 2:($6 == 1 ? $1 : NaN):3:(0):9 with vectors head filled size "
            "screen 14.0/width,20 lw 2 dt 2 lc rgb variable notitle, \\\n"
            "     \"\" index 0 using ($2 + $3 * 0.5):1:8:9 with labels boxed center offset 0,0.55 "
            "font f(10) tc rgb variable notitle",
            name, lines - 1);
    bool crossed = false;
    for (size_t k = 0; k < P->nsel; k++)
        crossed |= P->t.msgs[P->sel[k]].verdict != BZ_OK;
    if (crossed) /* gnuplot 5.4 fails on a clause with no point at all */
        fputs(", \\\n     \"\" index 0 using ($2 + $3):($7 > 0 ? $1 : NaN):($7 == 1 ? 0xC00000 : "
              "0x888888) with points pt 2 ps 2.4*pscale lw 3 lc rgb variable notitle",
              gp);
    bool decided = false;
    for (size_t i = 0; i < P->t.ndec; i++)
        decided |= P->t.dec[i].inst == P->inst;
    if (decided)
        fputs(
            ", \\\n     \"\" index 1 using 2:1 with points pt 13 ps 2.2*pscale lc rgb "
            "\"#000000\" notitle, \\\n     \"\" index 1 using 2:1:4 with labels left offset 1.4,0 "
            "boxed font f(11) notitle",
            gp);
    fputc('\n', gp);
}

static int bz_prepare(const struct diag_options *o, uint32_t a, struct bz_panel *P, int inst,
                      struct ft_error *err) {
    memset(P, 0, sizeof *P);
    P->cfg = &o->byz->cfg[a];
    struct byz_options bo = {.trace = bz_on_trace, .trace_ctx = &P->t};
    struct byz_outcome out;
    int rc = byz_run(P->cfg, o->seed, &bo, &out, err);
    if (!rc && P->t.err)
        rc = ft_fail(err, P->t.err, "the run sends more than %u messages", BZ_MSGS_MAX);
    if (rc) return rc;
    qsort(P->t.msgs, P->t.nmsgs, sizeof *P->t.msgs, by_send);
    P->inst = inst >= 0 ? (uint32_t)inst : pick_decision(P->cfg, &P->t);
    judge(P->cfg, &P->t, P->inst, &P->ic1, &P->ic2);
    P->sel = malloc((P->t.nmsgs ? P->t.nmsgs : 1) * sizeof *P->sel);
    if (!P->sel) return ft_fail(err, FT_ENOMEM, "out of memory");
    for (size_t i = 0; i < P->t.nmsgs; i++)
        if (inst_of(P->cfg, &P->t.msgs[i]) == P->inst) P->sel[P->nsel++] = i;
    if (P->nsel > DIAG_ARROWS_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "%s with n = %u sends %zu messages in one decision; a diagram shows at "
                       "most %u (readable on a slide): draw a smaller n",
                       byz_alg_name(P->cfg->alg), P->cfg->n, P->nsel, DIAG_ARROWS_MAX);
    return 0;
}

static void bz_title(const struct bz_panel *P, char *buf, size_t size) {
    const struct byz_config *c = P->cfg;
    snprintf(buf, size, "%s(%u), n = %u%s: IC1 %s, IC2 %s",
             c->alg == BYZ_DS   ? "Dolev-Strong"
             : c->alg == BYZ_SM ? "SM"
                                : "OM",
             c->m, c->n, c->decisions > 1 ? ", one decision" : "", P->ic1 ? "holds" : "FAILS",
             c->strategy[0] != BYZ_LOYAL ? "(commander a traitor)"
             : P->ic2                    ? "holds"
                                         : "FAILS");
}

static int bz_write(const struct diag_options *o, struct bz_panel *P, uint32_t n, const char *dir,
                    const char *name, struct ft_error *err) {
    int width = 0, height = 0;
    for (uint32_t i = 0; i < n; i++) {
        int lines = (int)(P[i].cfg->n + (P[i].cfg->sink ? 1 : 0));
        width += 170 * lines + 340;
        int h = 330 + 40 * (int)P[i].nsel;
        height = h > height ? h : height;
    }
    if (height < width * 35 / 100) height = width * 35 / 100;
    char gp_path[PLOT_PATH_MAX + PLOT_NAME_MAX + 8];
    snprintf(gp_path, sizeof gp_path, "%s/%s.gp", dir, name);
    struct ft_out gp_out, dat_out; /* temporary names, renamed when complete */
    int rc = ft_out_open(&gp_out, gp_path, err);
    if (rc) return rc;
    FILE *gp = gp_out.f;
    dg_gp_header(gp, o, name, width, height);
    char title[600], q[1400];
    snprintf(title, sizeof title, "%s, seed %llu%s%s: decision %u, round by round",
             o->title ? o->title : "", (unsigned long long)o->seed,
             o->byz->about_run && o->byz->about_run[0] ? "\n" : "",
             o->byz->about_run ? o->byz->about_run : "", P[0].inst + 1);
    fprintf(gp,
            "set label 90 \"orange: attack, blue: retreat; dashed: a traitor's message; a red "
            "cross: a chain whose signature is forged, rejected; grey: discarded unread\" at "
            "screen 0.5, screen 12.0 * fs / height center font f(10)\n"
            "set multiplot title %s\n",
            plot_q(q, sizeof q, title));
    double x0 = 0;
    for (uint32_t i = 0; !rc && i < n; i++) {
        int lines = (int)(P[i].cfg->n + (P[i].cfg->sink ? 1 : 0));
        double share = (170.0 * lines + 340) / width;
        char pname[PLOT_NAME_MAX + 32], dat_path[PLOT_PATH_MAX + PLOT_NAME_MAX + 40], ptitle[256];
        snprintf(pname, sizeof pname, n > 1 ? "%s-%s" : "%s", name, byz_alg_name(P[i].cfg->alg));
        snprintf(dat_path, sizeof dat_path, "%s/%s.dat", dir, pname);
        if ((rc = ft_out_open(&dat_out, dat_path, err)) != 0) break;
        FILE *dat = dat_out.f;
        fprintf(dat, "# %s.dat: one Byzantine agreement, written by `ftsim diagram`.\n", pname);
        double rows;
        bz_write_dat(dat, &P[i], &rows);
        rc = ft_out_commit(&dat_out, err);
        bz_title(&P[i], ptitle, sizeof ptitle);
        fprintf(gp, "set origin %.6f, 0\nset size %.6f, 0.93\n", x0, share);
        bz_write_gp(gp, &P[i], pname, rows, ptitle);
        x0 += share;
    }
    fputs("unset multiplot\nunset output\n", gp);
    if (!rc) rc = ft_out_commit(&gp_out, err);
    ft_out_abort(&gp_out);
    return rc;
}

int diag_draw_byz(const struct diag_options *o, struct diag_report *rep, struct ft_error *err) {
    char dir[PLOT_PATH_MAX], name[PLOT_NAME_MAX];
    int rc = dg_split_out(o->out, dir, sizeof dir, name, sizeof name, err);
    if (rc) return rc;
    uint32_t n = o->byz->nalgs;
    if (n == 0 || n > DIAG_BYZ_ALGS_MAX) return ft_fail(err, FT_EINVAL, "no algorithm to draw");
    if (o->has_window || o->has_record)
        return ft_fail(err, FT_EINVAL,
                       "a Byzantine diagram draws one decision; --from/--to and --record "
                       "are for pipeline scenarios");
    struct bz_panel P[DIAG_BYZ_ALGS_MAX];
    memset(P, 0, sizeof P);
    for (uint32_t i = 0; !rc && i < n; i++) /* every algorithm draws the first one's decision */
        rc = bz_prepare(o, i, &P[i], i ? (int)P[0].inst : -1, err);
    if (!rc) rc = bz_write(o, P, n, dir, name, err);
    if (!rc) rc = dg_render(o, dir, name, err);
    if (!rc) {
        memset(rep, 0, sizeof *rep);
        for (uint32_t i = 0; i < n; i++) {
            rep->arrows += (uint32_t)P[i].nsel;
            for (size_t k = 0; k < P[i].nsel; k++)
                rep->lost += P[i].t.msgs[P[i].sel[k]].verdict != BZ_OK;
        }
        rep->lifelines = P[0].cfg->n + (P[0].cfg->sink ? 1 : 0);
        rep->record = P[0].inst;
        rep->from_ns = (uint64_t)P[0].inst * decision_ns(P[0].cfg);
        rep->to_ns = rep->from_ns + decision_ns(P[0].cfg);
        snprintf(rep->fault, sizeof rep->fault, "%s", o->byz->about_run ? o->byz->about_run : "");
    }
    for (uint32_t i = 0; i < n; i++) {
        bz_free(&P[i].t);
        free(P[i].sel);
    }
    return rc;
}
