/* The streaming model's measurements for experiment.c (analysis/exp_model.c): the
 * model's input ledger fed by the driver's applications, and the summary and rows
 * computed after the run. Internal to analysis/. */
#ifndef FTSIM_EXP_MODEL_H
#define FTSIM_EXP_MODEL_H

#include "experiment.h"

struct exp_model_ctx {
    uint64_t n;       /* records generated */
    uint32_t *count;  /* times the final model consumed each */
    uint64_t unknown; /* applications naming no generated record (must stay 0) */
};
int exp_model_begin(struct exp_model_ctx *m, uint64_t n); /* 0 or FT_ENOMEM */
void exp_model_end(struct exp_model_ctx *m);
void exp_model_input(void *ctx, uint64_t rec, int delta); /* pipe_observer.model_input */
/* The summary into out (model_*) and, when r is not NULL, the rows; fault_free is the
 * fault-free run's final model (ml_pack) or NULL. 0 or FT_ENOMEM. */
int exp_model_finish(const struct exp_model_ctx *m, const struct pipe *pipe,
                     const struct pipe_config *cfg, uint64_t seed, const double *fault_free,
                     struct exp_outcome *out, struct exp_model_rows *r);
/* cfg without faults: no fault entries, no loss, duplication or reordering. */
void exp_model_fault_free_cfg(const struct pipe_config *cfg, struct pipe_config *out);

#endif
