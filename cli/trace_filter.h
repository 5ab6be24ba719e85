/* Which trace events a command shows: `ftsim run --trace` with --record R, --from T
 * --to T and --node NAME, and `ftsim diagram` with --record and --from/--to, parsed and
 * checked here so both commands take and refuse the same values. A filter only chooses
 * what is printed: the run, its trace hash and the events --db stores stay the full
 * trace's. The record-of-an-event rule is the pipeline's (pipe_trace_record). */
#ifndef FTSIM_TRACE_FILTER_H
#define FTSIM_TRACE_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_FILTER_NODES_MAX 16u /* --node options one command takes */

/* getopt_long values of the options (beyond every short option letter). */
enum { CLI_OPT_RECORD = 0x100, CLI_OPT_FROM, CLI_OPT_TO, CLI_OPT_NODE, CLI_OPT_EVENTS };

/* --events KIND[,KIND...]: kinds of events (a pipeline's; cmd_run.c decides which). */
enum { CLI_EVENTS_GROUP = 1u, CLI_EVENTS_CHECKPOINT = 2u, CLI_EVENTS_FAULTS = 4u };

struct cli_trace_filter {
    bool has_record, has_from, has_to;
    uint64_t record, from_ns, to_ns;
    uint32_t nnodes;
    const char *names[CLI_FILTER_NODES_MAX]; /* --node NAME, as given */
    uint32_t nodes[CLI_FILTER_NODES_MAX];    /* their node ids, once resolved */
    uint32_t events;                         /* --events: CLI_EVENTS_* bits, 0 = all */
};

/* One option, opt = CLI_OPT_*: --record R (a non-negative integer), --from/--to T (a
 * duration: 2.5s, 2500ms), --node NAME, --events group,checkpoint,faults. 0, or a message "ftsim CMD: ..." on stderr and
 * CLI_USAGE. */
int cli_filter_opt(const char *cmd, int opt, const char *arg, struct cli_trace_filter *f);
/* After the options: --from and --to both or neither, --from not after --to. */
int cli_filter_check(const char *cmd, const struct cli_trace_filter *f);
/* Any of --record, --from/--to, --node given. */
bool cli_filter_any(const struct cli_trace_filter *f);
/* Resolves the --node names: names[i] is node i's name as the trace prints it. An
 * unknown name: a message naming the valid ones, CLI_USAGE. */
int cli_filter_nodes(const char *cmd, const char *file, struct cli_trace_filter *f,
                     const char *const *names, uint32_t n);
/* The window and node conditions for an event at t_ns at `node` with `peer`
 * (SIM_NODE_NONE: none): from <= t_ns <= to; node or peer one of the --node ones. An
 * event at no node and with no peer (a partition, a heal: the whole network) passes
 * --node. --record is the caller's (what belongs to a record depends on the run). */
bool cli_filter_keeps(const struct cli_trace_filter *f, uint64_t t_ns, uint32_t node,
                      uint32_t peer);

#endif
