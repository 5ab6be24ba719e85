/* Shared by the files of `ftsim run`: cmd_run.c (options, runs, storing), cmd_run_trace.c
 * (the --trace printer and its filters) and cmd_run_print.c (the table, the window table
 * and the JSON object). Internal to cli/. */
#ifndef FTSIM_CMD_RUN_H
#define FTSIM_CMD_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "experiment.h"
#include "scenario.h"
#include "trace_filter.h"

#define RUN_TRACE_EVENTS_MAX 20000000u /* events --trace --db keeps for one run */

struct trace_printer {
    const struct scenario *scn;
    const char *protocol;
    bool keep; /* --trace --db: keep the run's trace in events */
    const struct cli_trace_filter *filter;
    uint64_t of_record; /* events of --record R this run had */
    struct sim_trace_rec *events;
    size_t nevents, cap;
    bool overflow; /* out of memory or past RUN_TRACE_EVENTS_MAX */
};

/* ---- cmd_run_trace.c ---- */
/* The trace hook of a run (ctx: struct trace_printer): prints the events the filters
 * keep and, with tp->keep, keeps every event for the events table. */
void cli_run_print_event(const struct sim_trace_rec *r, void *ctx);
/* The events table's label of r: a message's kind, or "visible" for a row the sink made
 * visible (struct res_run's event_label). */
const char *cli_run_event_label(const struct sim_trace_rec *r);

/* ---- cmd_run_print.c ---- */
/* s as a JSON string, quotes included, on stdout. */
void cli_run_json_str(const char *s);
/* One run of the --json object's "runs" array (first: no comma before it). */
void cli_run_print_json(const char *proto, const struct exp_outcome *o, const struct exp_windows *w,
                        const struct exp_lambda *l, const struct exp_model_rows *m, bool first);
/* The table's header and one protocol's row; the model line under the row. */
void cli_run_print_header(void);
void cli_run_print_row(const char *proto, const struct exp_outcome *o);
void cli_run_print_model(const struct exp_outcome *o);
/* Two runs' window tables are equal (then the second prints as "the same rows as"). */
bool cli_run_same_rows(const struct exp_windows *a, const struct exp_windows *b);
/* The window table of a protocol's run, or only its summary when same_as names the
 * protocol whose rows it repeats. */
void cli_run_print_windows(const struct scenario *scn, const char *proto,
                           const struct exp_outcome *o, const struct exp_windows *w,
                           const char *same_as);

#endif
