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

/* explain_windows.c: fills out->rows with the rows of w (the run's final table) that
 * differ from the reference computed from the generated input. */
int explain_rows(const struct ex_trace *t, uint64_t seed, const struct exp_windows *w,
                 struct explain_result *out, struct ft_error *err);

#endif
