/* One verdict on one run, shared by `ftsim check` (a file's expect: keys), `ftsim swarm`
 * and `ftsim shrink` (the protocol's guarantee, analysis/verdict.h, plus the expect: keys
 * that apply). A verdict names which keys failed, so shrink can ask of a smaller
 * scenario whether it "fails the same way": the same key, for the same protocol. */
#ifndef FTSIM_SCN_VERDICT_H
#define FTSIM_SCN_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "experiment.h"
#include "scenario.h"
#include "verdict.h"

/* expect: keys, grouped as check reports them */
enum scn_ekey {
    SCN_EK_LOST = 0,
    SCN_EK_DUPLICATED,
    SCN_EK_DELIVERED,
    SCN_EK_REJECTED,
    SCN_EK_REFERENCE,
    SCN_EK_WINDOWS, /* late_dropped, windows, windows_match_reference, window_rows */
    SCN_EK_LAMBDA,  /* the lambda_* keys */
    SCN_EK_MODEL,   /* the model_* keys */
    SCN_EK_COUNT
};

#define SCN_JUDGE_EXPECT 1u    /* the expect: keys of e */
#define SCN_JUDGE_GUARANTEE 2u /* what the protocol promises */

struct scn_verdict {
    uint32_t guarantee; /* VRD_BIT(vrd_key) of every broken promise */
    uint32_t expect;    /* 1 << scn_ekey of every failed expect: key */
    char detail[640];   /* "lost 3 (promised 0), duplicated 0 (expect 0), ..." */
};

/* Judges o (w: the window table, needed when e names window_rows) under p. Returns
 * true when nothing judged failed. e may be NULL (no expect: keys). */
bool scn_judge(const struct scn_expect *e, enum dlv_protocol p, const struct exp_outcome *o,
               const struct exp_windows *w, unsigned what, struct scn_verdict *v);

/* The first failed key of v, in the order guarantee keys (lost, duplicated,
 * matches_reference, windows_match_reference, model_input_lost, model_input_duplicated),
 * then expect keys: k for guarantee key k,
 * SCN_KEY_EXPECT + k for expect key k, -1 when none failed. */
#define SCN_KEY_EXPECT 16
int scn_verdict_first(const struct scn_verdict *v);
/* Whether v fails key (scn_verdict_first's numbering). */
bool scn_verdict_has(const struct scn_verdict *v, int key);
/* "lost" (a broken guarantee) or "expect: duplicated". */
const char *scn_key_name(int key);

/* e checks nothing: every bound unset, every flag -1 (a file's expect: entry before its
 * keys are read). */
void scn_expect_unchecked(struct scn_expect *e);
/* The expect: entry that states p's promise in run o as bounds (lost: 0, duplicated: 0,
 * matches_reference: true, windows_match_reference: true, model_input_lost: 0,
 * model_input_duplicated: 0 where promised), plus base's
 * `rejected` bound under the exactly-once variants (each row visible once: the rejects
 * depend on the input alone). base may be NULL. */
void scn_expect_promised(enum dlv_protocol p, const struct exp_outcome *o,
                         const struct scn_expect *base, struct scn_expect *out);
/* The YAML flow mapping of e's lost, duplicated, delivered, rejected, model_input_lost,
 * model_input_duplicated, matches_reference and windows_match_reference ("{ lost: 0,
 * duplicated: 0 }"); other keys are left out. */
int scn_expect_yaml(const struct scn_expect *e, char *buf, size_t size);

#endif
