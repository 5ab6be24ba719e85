/* The coverage moments a run's trace shows (stream/moments.h lists every moment; the
 * pipeline's nodes count the rest). Fed each trace event in order by the experiment's
 * trace hook, with the ledger of visible copies as it stands; it never changes the run.
 * Per record it keeps the highest message id delivered of the record and output kinds
 * (uint32 each, only while the run has at most MOM_RECORDS_MAX records), so that an
 * older copy arriving after a newer one is seen: a retry overtaking its original. */
#ifndef FTSIM_ANALYSIS_MOMENTS_H
#define FTSIM_ANALYSIS_MOMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "pipeline.h"

#define MOM_RECORDS_MAX 4000000u /* above it retry-overtook-original is not tracked */

struct mom_tracker {
    const struct pipe_config *cfg;
    const struct ledger *ledger;
    uint32_t *max_id; /* 2 per record: the highest record / output message id delivered */
    uint8_t up[PIPE_WORKERS_MAX + 3];
    uint64_t count[PIPE_MOMENTS];
};

/* 0 or FT_ENOMEM. The ledger must outlive the tracker. */
int mom_init(struct mom_tracker *t, const struct pipe_config *cfg, const struct ledger *ledger);
void mom_trace(struct mom_tracker *t, const struct sim_trace_rec *r);
/* mom_trace for the events that can count: sends, timers and the deliveries of kinds
 * other than record and output never do, and they are most of a run's events. */
static inline void mom_see(struct mom_tracker *t, const struct sim_trace_rec *r) {
    if (r->type == SIM_TR_DELIVER) { /* an id below the highest delivered: an overtaking */
        if ((r->kind != PIPE_MSG_RECORD && r->kind != PIPE_MSG_OUTPUT) || !t->max_id ||
            r->tag >= t->ledger->n)
            return;
        uint32_t *m = &t->max_id[2 * r->tag + (r->kind == PIPE_MSG_OUTPUT)];
        uint32_t id = r->id < UINT32_MAX ? (uint32_t)r->id : UINT32_MAX;
        if (id < *m)
            t->count[PIPE_M_RETRY_OVERTOOK]++;
        else
            *m = id;
        return;
    }
    if (r->type != SIM_TR_SEND && r->type != SIM_TR_TIMER) mom_trace(t, r);
}
void mom_free(struct mom_tracker *t);

#endif
