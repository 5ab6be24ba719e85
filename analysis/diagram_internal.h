/* Internals of `ftsim diagram` shared by diagram.c (one pipeline run: collect, choose,
 * lay out, write; in diagram_trace.c, diagram_select.c, diagram_layout.c and
 * diagram_write.c), diagram_side.c (the same record under several protocols side by
 * side) and diagram_byz.c (a Byzantine agreement round by round). Not a public API. */
#ifndef FTSIM_DIAGRAM_INTERNAL_H
#define FTSIM_DIAGRAM_INTERNAL_H

#include <stdio.h>

#include "diagram.h"

#define DIAG_GAP_FACTOR 6.0     /* a quiet gap longer than this many median transits is cut */
#define DIAG_GAP_MIN_MS 2.0     /* ... and never one shorter than this */
#define DIAG_BEFORE_FAULT 10u   /* the unfocused default view: messages before the fault ... */
#define DIAG_DEFAULT_ARROWS 36u /* ... and in all */
#define DIAG_MARKS_MAX 256u
#define DIAG_LIFELINES_MAX 16u

enum { FATE_DELIVERED = 0, FATE_DROPPED = 1 };
enum {
    MK_CRASH = 1,
    MK_RESTART,
    MK_PARTITION,
    MK_HEAL,
    MK_FAULT,
    MK_VISIBLE,
    MK_REBALANCE,
    MK_CKPT /* exactly-once-checkpoint: copy = PIPE_TR_CKPT_*, arg = k, owner_gen = epoch */
};

struct dg_send {
    uint64_t t_ns, tag;
    uint32_t src, dst, kind;
};

struct dg_arrow {
    uint64_t t0, t1, id, tag;
    uint32_t src, dst, kind;
    uint8_t fate, reason;
};

struct dg_mark {
    uint64_t t_ns, arg;  /* arg: a fault's record, or its checkpoint (ckpt); a visible record;
                          * a rebalance's partition */
    uint64_t owner_gen;  /* a rebalance: generation << 32 | the new owner's node id */
    uint32_t node, copy; /* copy: visible: 1st, 2nd, ... time this record became visible */
    uint8_t type;
    bool ckpt;        /* a fault at a checkpoint step: arg is the checkpoint id */
    const char *step; /* a fault's step (pipe_step_name) */
};

struct dg_trace {
    struct dg_send *sends; /* by message id */
    uint64_t nsends;
    struct dg_arrow *arrows;
    size_t narrows, cap;
    struct dg_mark *marks;
    size_t nmarks, mcap;
    uint32_t *visible_count; /* per record, grown on demand */
    uint64_t nvisible;
    uint32_t sink;
    int err;
};

struct dg_view {
    size_t first, n; /* when not focused: arrows[first .. first + n) */
    bool focused;
    uint64_t record;
    uint64_t from_ns, to_ns;
    size_t *sel; /* indexes into arrows, in send order */
    size_t nsel;
};

struct dg_layout {
    uint32_t node[DIAG_LIFELINES_MAX]; /* lifeline i shows node[i] */
    uint32_t nlines;
    uint64_t *t; /* distinct times, ascending */
    double *y;   /* their position on the drawn axis (ms, gaps cut) */
    size_t nt;
    uint64_t transit_ns; /* median transit of the delivered messages drawn */
    double transit_ms, gap_ms, cut_ms;
};

/* What the view contains: the key names only what is drawn, and a plot clause is
 * written only when its data has rows (gnuplot 5.4 crashes on a `with labels` clause
 * whose every point is undefined). */
struct dg_has {
    bool message, ack, lost, down, cut, crash, fault, restart, visible, partition, rebalance;
    bool checkpoint;
    bool cause; /* --explain: the chain's cause is drawn */
};

struct dg_box {
    double x0, y0, x1, y1;
};

struct dg_placer {
    double sx, sy; /* pixels per x unit (one lifeline apart) and per drawn ms */
    struct dg_box *box;
    size_t n, cap;
    bool oom; /* out of memory: later labels are placed without avoiding */
};

/* ---- collecting (diagram_trace.c) ---- */
void dg_on_trace(const struct sim_trace_rec *r, void *ctx); /* ctx: struct dg_trace */
int dg_by_send(const void *a, const void *b);               /* qsort of arrows */
void dg_trace_free(struct dg_trace *t);

/* ---- layout (diagram_layout.c) ---- */
/* x in the ascending array a[0..n-1] (bsearch), or NULL: the layout's times, a chain's
 * message ids. */
const uint64_t *dg_find_u64(const uint64_t *a, size_t n, uint64_t x);
int dg_lifeline_of(const struct dg_layout *L, uint32_t node);
double dg_y_of(const struct dg_layout *L, uint64_t t);
int dg_layout_build(const struct dg_trace *t, const struct dg_view *v, const size_t *mk, size_t nmk,
                    struct dg_layout *L, struct ft_error *err);
void dg_yrange(const struct dg_layout *L, double *ylo, double *yhi);
struct dg_placer dg_placer_new(const struct dg_layout *L, int width, int height);
void dg_placer_add_marks(struct dg_placer *pl, const struct pipe_config *cfg,
                         const struct dg_trace *t, const size_t *mk, size_t nmk,
                         const struct dg_layout *L);
void dg_place_label(struct dg_placer *pl, double x, double y, double dx, double dy, size_t len,
                    bool lost, double *lx, double *ly);
void dg_write_yticks(FILE *gp, const struct dg_layout *L, double px_per_ms);
/* ---- choosing (diagram_select.c) ---- */
/* A message lost at its send (it never travelled). */
bool dg_dropped_at_send(const struct dg_arrow *a);
/* The name of node id in a pipeline built from cfg (pipe_node_name). */
const char *dg_node_name(const struct pipe_config *cfg, uint32_t id, char *buf, size_t n);
/* Message msg is one of the explained chain's (c->msgs is sorted). */
bool dg_chain_has(const struct diag_chain *c, uint64_t msg);
/* The messages to draw into v (the followed record's or chain's, or the default view
 * around the first fault), with what rep reports about them. 0 or FT_ENOMEM. */
int dg_select_view(const struct diag_options *o, const struct dg_trace *t, struct diag_report *rep,
                   struct dg_view *v, struct ft_error *err);
/* The marks inside v's window into idx (at most DIAG_MARKS_MAX; the followed record's
 * visibility extends v's end); their count. */
size_t dg_select_marks(const struct dg_trace *t, struct dg_view *v, size_t *idx);
/* ---- writing (diagram_write.c) ---- */
/* Mark k's label. */
bool dg_mark_text(const struct pipe_config *cfg, const struct dg_trace *t, const size_t *mk,
                  size_t nmk, size_t k, char *buf, size_t size);

/* One pipeline run under one protocol, chosen and laid out: a panel of a diagram. */
struct dg_panel {
    enum dlv_protocol protocol;
    struct dg_trace t;
    struct dg_view v;
    struct dg_layout L;
    size_t *mk, nmk; /* the marks drawn (indexes into t.marks) */
    struct diag_report rep;
    int width, height; /* the panel's own size in pixels */
};

/* Runs o's scenario under protocol p (o->has_record etc. choose the messages) and lays
 * out what is drawn. Errors as diag_draw. Free with dg_panel_free either way. */
int dg_prepare(const struct diag_options *o, enum dlv_protocol p, struct dg_panel *P,
               struct ft_error *err);
void dg_panel_free(struct dg_panel *P);
/* The panel's title: scenario, protocol, seed, the record followed, the first fault. */
void dg_title(const struct diag_options *o, const struct dg_panel *P, char *buf, size_t size);
/* Writes the panel's data as dir/name.dat and its plot commands (title, ranges, the plot)
 * into gp, for a panel width x height pixels. */
int dg_write_panel(const struct diag_options *o, struct dg_panel *P, const char *dir,
                   const char *name, FILE *gp, int width, int height, const char *title,
                   struct ft_error *err);
/* The script's header: what it is, the size variables, the terminal and the output. */
void dg_gp_header(FILE *gp, const struct diag_options *o, const char *name, int width, int height);
/* DIR and NAME of the image path DIR/NAME.EXT (--out). */
int dg_split_out(const char *out, char *dir, size_t dsize, char *name, size_t nsize,
                 struct ft_error *err);
/* Runs gnuplot on dir/name.gp and checks that o->out is an image. */
int dg_render(const struct diag_options *o, const char *dir, const char *name,
              struct ft_error *err);
/* One clause of a plot command: "plot " before the first, ", \" between. */
void dg_clause(FILE *gp, bool *first, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

int diag_draw_side(const struct diag_options *o, struct diag_report *rep, struct ft_error *err);
int diag_draw_byz(const struct diag_options *o, struct diag_report *rep, struct ft_error *err);

#endif
