/* Message-sequence diagrams of one pipeline run (docs/plots.md): the run is replayed
 * with a trace hook, each node becomes a vertical lifeline, each message an arrow from
 * (sender, send time) to (receiver, delivery time), a lost message an arrow ending in a
 * cross, crashes and restarts marks on the lifelines, and records made visible at the
 * sink diamonds. Long quiet stretches of simulated time are compressed and labelled.
 * Drawn with gnuplot; NAME.dat and NAME.gp are written beside the image. */
#ifndef FTSIM_DIAGRAM_H
#define FTSIM_DIAGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "byzantine.h"
#include "dlv.h"
#include "err.h"
#include "pipeline.h"
#include "plot.h"

#define DIAG_ARROWS_MAX 60u       /* messages one diagram draws (readable on a slide) */
#define DIAG_TRACE_MAX (1u << 24) /* messages of one run the diagram may look through */
#define DIAG_TITLE_MAX 256u

/* `ftsim diagram --explain`: one explained record's chain (analysis/explain.h) put on
 * the chart: its messages (the record's own and those that moved it on, a commit, a
 * join) drawn and highlighted, its cause marked and labelled. */
struct diag_chain {
    uint64_t record;
    const uint64_t *msgs; /* the chain's message ids, ascending */
    size_t nmsgs;
    bool has_cause;
    uint64_t cause_msg; /* the cause is this message's drop; 0: an event at a node */
    uint64_t cause_t_ns;
    uint32_t cause_node;
    char cause[96]; /* the cause in a few words, its label */
};

struct diag_options {
    const struct pipe_config *cfg;
    enum dlv_protocol protocol;
    uint64_t seed;
    bool has_window; /* --from/--to given: messages sent in [from_ns, to_ns] */
    uint64_t from_ns, to_ns;
    bool has_record; /* --record given: only messages tagged with this record */
    uint64_t record;
    const char *out;     /* image path ending in .svg, .png or .pdf */
    const char *title;   /* what the diagram shows first (e.g. the scenario name) */
    const char *gnuplot; /* NULL: "gnuplot" from PATH */
    const struct diag_chain *chain; /* optional: record = chain->record, chain drawn */
    /* more than one: the same record under each protocol, side by side (the record
     * given, else the first fault's under the first protocol) */
    uint32_t nprotocols;
    enum dlv_protocol protocols[DLV_COUNT];
    int width, height;     /* > 0: the image's size in pixels (else the diagram's own) */
    double font_scale;     /* text size factor (0: 1) */
    char first_fault[160]; /* side by side: the fault that chose the record, in words */
    /* a Byzantine scenario (cfg unused): its algorithms' runs round by round */
    const struct diag_byz *byz;
};

/* A Byzantine scenario to draw: the configuration of each algorithm's run (the same
 * traitors, orders and seed for all), side by side when more than one. */
#define DIAG_BYZ_ALGS_MAX 3u
struct diag_byz {
    uint32_t nalgs;
    struct byz_config cfg[DIAG_BYZ_ALGS_MAX];
    const char *about_run; /* which run of the file this is, in words ("" for none) */
};

struct diag_report {
    uint64_t from_ns, to_ns; /* the simulated time the diagram spans */
    uint32_t arrows, lost, crashes, restarts, lifelines;
    bool focused; /* following one record (given or the first fault's) */
    uint64_t record;
    bool truncated;  /* the default view had more than DIAG_ARROWS_MAX messages */
    char fault[160]; /* the first fault, in words ("" without one) */
};

/* "x.svg" -> PLOT_SVG, ... ; -1 for another extension. */
int diag_format_of(const char *path);

/* Runs the pipeline, chooses the messages (an explicit window or record, else the
 * first fault's record, else the messages around the first fault) and draws them.
 * Returns 0; FT_ELIMIT when an explicit window or record has more than DIAG_ARROWS_MAX
 * messages or none (err says how to narrow it) — bad input; FT_EINVAL (bad options);
 * FT_EIO (cannot write, gnuplot failed); FT_ENOMEM; or the run's own error. */
int diag_draw(const struct diag_options *o, struct diag_report *rep, struct ft_error *err);

#endif
