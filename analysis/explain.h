/* Explaining a run record by record (`ftsim explain`, docs/explain.md). The run is
 * replayed with a trace hook and, for every source record that was lost or shown more
 * than once (or one record asked for), its causal chain is rebuilt from the trace
 * alone: the messages that carry it and their fate, the crashes, restarts, partitions,
 * retry timers, commits and checkpoint steps around it, the sink making it visible.
 * Records that share a cause (the same crash, partition, drop rule, ...) form one
 * group. Only the closing "because ..." comes from a per-protocol table of mechanisms;
 * every event, node, message id and time comes from the trace, never from the protocol
 * code's view of itself. A windowed query's rows that differ from the reference are
 * explained by the records of their window and key (explain_windows.c). */
#ifndef FTSIM_EXPLAIN_H
#define FTSIM_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "experiment.h"

#define EXPLAIN_TRACE_MAX (1u << 23) /* trace events an explained run may have (48 B each) */
#define EXPLAIN_CHAINS_MAX 10000u    /* records whose chains are kept; the rest are counted */
#define EXPLAIN_CHAIN_MAX 160u       /* events in one chain (the story's events always fit) */
#define EXPLAIN_ROWS_MAX 1000u       /* window rows explained */
#define EXPLAIN_NONE UINT32_MAX

enum explain_verdict { EXPLAIN_LOST = 0, EXPLAIN_DUPLICATED, EXPLAIN_ONCE };

/* Why an event is in a chain. */
enum explain_role {
    EXPLAIN_CONTEXT = 0, /* crashes, restarts, partitions, heals, checkpoint steps around it */
    EXPLAIN_PATH,        /* the record's own messages, the sink making it visible */
    EXPLAIN_TRIGGER,     /* another message that moved it on: a commit, a checkpoint commit,
                            a join that rolled the job back */
    EXPLAIN_RETRY,       /* a retry timer that fired and resent it */
    EXPLAIN_CAUSE        /* the event that made it lost or duplicated */
};

/* What a group of records has in common. */
enum explain_cause {
    EXPLAIN_BY_CRASH = 0, /* a node crashed holding them, or they were sent to it while down */
    EXPLAIN_BY_PARTITION, /* their messages were cut by a partition */
    EXPLAIN_BY_RULE,      /* a scenario's drop: rule dropped their messages */
    EXPLAIN_BY_LOSS,      /* the network lost their messages (network: loss) */
    EXPLAIN_BY_ROLLBACK,  /* a checkpoint rollback (exactly-once-checkpoint) */
    EXPLAIN_BY_ABORT,     /* checkpoints aborted: none committed their output */
    EXPLAIN_BY_FENCE,     /* a fenced write or a partition moving (consumer group) */
    EXPLAIN_BY_TIMEOUT,   /* a retry timer fired before the ack arrived, no fault */
    EXPLAIN_BY_END,       /* still in flight or uncommitted when the run ended */
    EXPLAIN_BY_NONE       /* nothing in the trace explains it */
};

/* One trace event of a chain. */
struct explain_event {
    uint64_t t_ns;
    uint64_t seq;        /* its position in the trace (0-based): orders the events of one instant */
    uint64_t msg;        /* a message's id; 0 for other events */
    uint64_t rec;        /* the record a message carries (pipe_msg_has_record), a visible row's
                            record, a step crash's record; UINT64_MAX for none */
    uint64_t a, b;       /* user events: their id and arg (checkpoint k and epoch, partition and
                            owner); a retry timer: a = ns since the send it repeats */
    uint32_t node, peer; /* node ids (pipe_node_name); peer SIM_NODE_NONE for none */
    uint32_t kind;       /* a message's kind, a user event's PIPE_TR_*, a step's id */
    uint8_t type;        /* enum sim_trace_type */
    uint8_t reason;      /* a drop's enum sim_drop_reason */
    uint8_t role;        /* enum explain_role */
    bool key;            /* told in the story */
};

struct explain_record {
    uint64_t rec;
    enum explain_verdict verdict;
    uint32_t copies;             /* times it became visible */
    uint32_t partition;          /* from the generated input: the partition of its key */
    uint32_t group;              /* index into explain_result.groups; EXPLAIN_NONE for ONCE */
    struct explain_event *chain; /* in trace order */
    uint32_t n;
    uint32_t cause; /* index into chain of the cause; EXPLAIN_NONE when none */
    bool truncated; /* more events than EXPLAIN_CHAIN_MAX: some context left out */
};

struct explain_group {
    enum explain_verdict verdict;
    enum explain_cause by;
    struct explain_event event; /* the crash, the partition, the first drop, ... */
    bool has_end;
    struct explain_event end; /* the restart, the heal, the last drop of the rule */
    int fault;                /* the scenario's fault (cfg.faults index) it is, or -1 */
    uint64_t nrec;            /* records in it */
    uint64_t n_at, n_to;      /* crash: records at the node when it crashed / sent to it down */
    uint32_t copies_max;      /* the most copies one of its records had */
    uint64_t *recs;           /* their ids, ascending */
    size_t recs_cap;          /* (recs' capacity) */
    uint32_t example;         /* index into explain_result.recs of its first kept chain */
};

/* A window row (window, key) that differs from the no-lateness reference. */
struct explain_row {
    int64_t start_ns, end_ns;
    char key[EXP_KEY_BYTES];
    double value, reference; /* value: NaN when the run has no such row */
    uint64_t final_ns;       /* when the run emitted it final (UINT64_MAX: not final) */
    uint64_t records;        /* records of the row in the generated input */
    uint64_t twice;          /* ... delivered to a worker more than once */
    uint64_t never;          /* ... never delivered to a worker */
    uint64_t late;           /* ... first delivered after the row's final emission */
    uint64_t example_twice, example_never, example_late; /* one of each (UINT64_MAX: none) */
    struct explain_event crash; /* the crash of the row's worker that lost its state */
    bool has_crash;
    uint64_t before_crash; /* records of the row the worker had taken before that crash */
};

struct explain_result {
    const struct pipe_config *cfg; /* the caller's, kept alive by it */
    enum dlv_protocol protocol;
    uint64_t seed;
    struct exp_outcome outcome;
    struct explain_record *recs; /* the kept chains, ascending record id */
    size_t nrecs;
    uint64_t nexplained; /* records explained; nrecs < nexplained when chains were cut */
    struct explain_group *groups;
    size_t ngroups;
    struct explain_row *rows; /* window rows that differ (at most EXPLAIN_ROWS_MAX) */
    size_t nrows;
    uint64_t rows_differ; /* rows that differ in all */
    bool has_record;      /* explain_opts.record was asked for */
    uint64_t record;
};

struct explain_opts {
    bool has_record; /* explain this record only, whatever its fate */
    uint64_t record;
};

/* Runs cfg under p and seed with a trace hook and explains it into *out (free it with
 * explain_free). Returns 0; FT_ENOENT when opt asks for a record the run never
 * generated; FT_ELIMIT when the trace has more than EXPLAIN_TRACE_MAX events;
 * FT_ENOMEM; or the run's own error. err says which. */
int explain_run(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                const struct explain_opts *opt, struct explain_result *out, struct ft_error *err);
void explain_free(struct explain_result *r);

/* ---- words (explain_text.c, explain_report.c) ---- */

/* The summary: one line per group ("3 records shown twice: ..."), then the window rows
 * ("2 window rows differ from the reference: ..."), at most lines_max lines (the rest
 * counted on a last line), each after `indent`; "every record shown exactly once"
 * when nothing is to be explained. */
void explain_write_summary(FILE *f, const struct explain_result *r, const char *indent,
                           size_t lines_max);
/* One record's story, the sentence a student reads aloud, without a newline. */
void explain_write_story(FILE *f, const struct explain_result *r, const struct explain_record *x);
/* Everything: the header, each group with its summary and its records' stories and
 * chains (all of them with all, else the first EXPLAIN_TEXT_CHAINS of each group; the
 * others by id), then the window rows. */
#define EXPLAIN_TEXT_CHAINS 3u
void explain_write_text(FILE *f, const struct explain_result *r, bool all);
/* The same as one JSON object: groups, every kept record with its chain, rows. */
void explain_write_json(FILE *f, const struct explain_result *r);
/* x's cause in a few words ("ack r28 dropped by the scenario's rule", "worker-1
 * crashed"), for a label. */
void explain_cause_words(const struct explain_result *r, const struct explain_record *x, char *buf,
                         size_t size);
/* s as a JSON string, quoted and escaped. */
void explain_json_str(FILE *f, const char *s);
/* "drop", "crash", ...: an event's name as the trace prints it, "visible" and the
 * checkpoint steps' names for user events. */
const char *explain_event_name(const struct explain_event *e);
/* "crash", "partition", "rule", "loss", "rollback", "abort", "fence", "timeout", "end",
 * "none". */
const char *explain_cause_name(enum explain_cause c);

#endif
