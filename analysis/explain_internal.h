/* Shared by explain.c (records) and explain_windows.c (window rows): one run's trace
 * kept in memory, indexed by message id, by record, and by node for crashes and
 * restarts. An index is a position in the trace (0-based), so comparing two indexes
 * orders their events, also within one instant. */
#ifndef FTSIM_EXPLAIN_INTERNAL_H
#define FTSIM_EXPLAIN_INTERNAL_H

#include "explain.h"
#include "ledger.h"

#define EX_NODES_MAX (PIPE_WORKERS_MAX + 3u)

struct ex_list {
    uint32_t *i; /* ascending trace indexes */
    size_t n, cap;
};

struct ex_trace {
    const struct pipe_config *cfg;
    enum dlv_protocol proto;
    struct sim_trace_rec *ev;
    size_t n, cap;
    int err;           /* FT_ELIMIT or FT_ENOMEM met while collecting */
    uint32_t *send_of; /* by message id: the index of its send + 1; 0 = none */
    uint64_t nmsg;
    uint32_t *roff, *rix; /* record r's events (pipe_trace_record): rix[roff[r] .. roff[r+1]) */
    uint64_t nrec;
    struct ledger ledger; /* copies per record, counted from the trace's visible events */
    uint32_t *key;        /* per record: its source key, from the generated input */
    struct ex_list crash[EX_NODES_MAX], restart[EX_NODES_MAX];
    struct ex_list partition, heal;
    struct ex_list ckpt;  /* PIPE_TR_CKPT_* events */
    struct ex_list group; /* PIPE_TR_REBALANCE and PIPE_TR_FENCED events */
    uint32_t sink, broker;
};

/* explain_trace.c: the trace hook (ctx: the struct ex_trace); the indexes, once the run
 * is over and nrec is set; the records' keys; freeing. 0 or FT_ENOMEM (read_keys: the
 * generator's error, err filled). */
void ex_collect(const struct sim_trace_rec *r, void *ctx);
int ex_index(struct ex_trace *t);
int ex_read_keys(struct ex_trace *t, uint64_t seed, struct ft_error *err);
void ex_trace_free(struct ex_trace *t);
/* The position in l of its first index > after. */
size_t ex_upper(const struct ex_list *l, uint32_t after);

/* The handler event (a delivery, a timer, a start or a restart at the same node and
 * instant) during which event i was traced; EXPLAIN_NONE when i is a kernel event or
 * the handler is not found. */
uint32_t ex_cause_of(const struct ex_trace *t, uint32_t i);
/* In l: the first index > after and < before, or the last index < before;
 * EXPLAIN_NONE when there is none. */
uint32_t ex_first_after(const struct ex_list *l, uint32_t after, uint32_t before);
uint32_t ex_last_before(const struct ex_list *l, uint32_t before);
/* Event i as a chain event. */
void ex_event(const struct ex_trace *t, uint32_t i, uint8_t role, bool key,
              struct explain_event *out);

/* explain.c: explains record rec of t into *out (chain, verdict, cause); *by gets the
 * kind of its cause. scratch (its capacity in *cap) is reused from record to record and
 * freed by the caller. 0 or FT_ENOMEM. */
struct ex_mark {
    uint32_t i;
    uint8_t role;
    bool key;
    uint64_t a; /* a retry timer's delay */
};
int ex_explain_record(const struct ex_trace *t, uint64_t rec, struct explain_record *out,
                      enum explain_cause *by, struct ex_mark **scratch, size_t *cap);

/* explain_text.c, shared with explain_report.c: a time to the microsecond (169.4 ms,
 * 1.436526 s); a node's name; a role's name; a group's line; a window row's words and
 * the rows' summary. The strings return buf. */
const char *ex_when(uint64_t t_ns, char *buf, size_t size);
const char *ex_bare(const struct explain_result *r, uint32_t node, char *buf, size_t size);
const char *ex_role_name(uint8_t role);
void ex_write_group(FILE *f, const struct explain_result *r, const struct explain_group *g);
void ex_say_row(FILE *f, const struct explain_result *r, const struct explain_row *w);
void ex_say_rows(FILE *f, const struct explain_result *r);

/* explain_windows.c: fills out->rows with the rows of w (the run's final table) that
 * differ from the reference computed from the generated input. */
int explain_rows(const struct ex_trace *t, uint64_t seed, const struct exp_windows *w,
                 struct explain_result *out, struct ft_error *err);

#endif
