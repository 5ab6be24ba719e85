/* What each delivery protocol promises, judged on one run's outcome (DESIGN.md §3,
 * docs/swarm.md): at-most-once never duplicates; at-least-once never loses; every
 * exactly-once variant loses nothing, duplicates nothing and its warehouse matches the
 * reference; and the window table equals the no-lateness reference where the protocol
 * promises it: exactly-once-checkpoint always, exactly-once and exactly-once-txn when no
 * worker crashed during the run (their window state is volatile), at-least-once and
 * at-most-once never — and no protocol when the watermark dropped a contribution as late
 * (the reference counts every record). With a streaming model (docs/ml.md) the model's
 * input is promised as the sink's output is: a protocol that promises lost = 0 promises
 * model_input_lost = 0, one that promises duplicated = 0 promises model_input_duplicated
 * = 0. `ftsim check`, `swarm` and `shrink` judge runs through here (cli/scn_verdict.c
 * adds a file's expect: keys). */
#ifndef FTSIM_VERDICT_H
#define FTSIM_VERDICT_H

#include <stdint.h>

#include "dlv.h"
#include "experiment.h"

enum vrd_key {
    VRD_LOST = 0,
    VRD_DUPLICATED,
    VRD_REFERENCE,
    VRD_WINDOWS,
    VRD_MODEL_LOST,       /* records the model never consumed */
    VRD_MODEL_DUPLICATED, /* consumptions beyond a record's first */
    VRD_KEYS
};
#define VRD_BIT(k) (1u << (k))

/* The keys p's guarantee covers in the run o: VRD_BIT(VRD_LOST) | ... */
uint32_t vrd_promised(enum dlv_protocol p, const struct exp_outcome *o);
/* The promised keys o violates; 0 when the guarantee held. */
uint32_t vrd_violated(enum dlv_protocol p, const struct exp_outcome *o);
/* "lost", "duplicated", "matches_reference", "windows_match_reference",
 * "model_input_lost", "model_input_duplicated". */
const char *vrd_key_name(enum vrd_key k);

#endif
