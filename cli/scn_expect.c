/* Scenario loader: the `expect:` section, one entry per listed protocol, each a set of
 * bounds (`lost: 0`, `duplicated: ">0"`) and flags that `ftsim check` compares with a
 * run; the lambda, window and model keys are decoded by scn_sink.c, scn_stream.c and
 * scn_ml.c in the order of their E_* ranges below. */
#include <stdio.h>
#include <string.h>

#include "scn_internal.h"

enum {
    E_LOST,
    E_DUPLICATED,
    E_DELIVERED,
    E_MATCHES_REFERENCE,
    E_REJECTED,
    E_LAMBDA_FINAL_MATCH,
    E_LAMBDA_MAX_DIFF,
    E_LAMBDA_OVERCOUNT,
    E_LAMBDA_MAX_STALENESS_MS,
    E_LAMBDA_MAX_BATCH_AGE_MS,
    E_LATE_DROPPED, /* E_LATE_DROPPED.. : scn_stream_expect, in its order */
    E_WINDOWS,
    E_WINDOWS_MATCH_REFERENCE,
    E_WINDOW_ROWS,
    E_MODEL_INPUT_LOST, /* E_MODEL_INPUT_LOST.. : scn_ml_expect, in its order */
    E_MODEL_INPUT_DUPLICATED,
    E_MODEL_INPUT_MATCHES_REFERENCE,
    E_MODEL_ERROR_FINAL,
    E_MODEL_FROZEN_ERROR_FINAL,
    E_MODEL_IDENTICAL_TO_FAULT_FREE,
    E_N
};
static const char *const expect_keys[E_N] = {
    "lost",         "duplicated", "delivered",
    "matches_reference", "rejected", "lambda_final_match", "lambda_max_diff",
    "lambda_overcount", "lambda_max_staleness_ms", "lambda_max_batch_age_ms", "late_dropped", "windows", "windows_match_reference", "window_rows",
    "model_input_lost", "model_input_duplicated", "model_input_matches_reference",
    "model_error_final", "model_frozen_error_final", "model_identical_to_fault_free"};

static int get_expect(struct scn_ctx *c, const struct scn_node *m, const char *proto,
                      struct scn_expect *e) {
    char as[80], where[80];
    snprintf(as, sizeof as, "for 'expect: %s'", proto);
    snprintf(where, sizeof where, "in 'expect: %s'", proto);
    const struct scn_mapspec s = {as, where, "key", expect_keys, E_N, 0};
    const struct scn_node *v[E_N];
    bool b;
    int rc = scn_map_collect(c, m, &s, v);
    if (!rc && v[E_LOST]) rc = scn_get_bound(c, v[E_LOST], "lost", &e->lost);
    if (!rc && v[E_DUPLICATED])
        rc = scn_get_bound(c, v[E_DUPLICATED], "duplicated", &e->duplicated);
    if (!rc && v[E_DELIVERED]) rc = scn_get_bound(c, v[E_DELIVERED], "delivered", &e->delivered);
    if (!rc && v[E_MATCHES_REFERENCE] &&
        !(rc = scn_get_bool(c, v[E_MATCHES_REFERENCE], "matches_reference", &b)))
        e->matches_reference = b;
    if (!rc && v[E_REJECTED]) rc = scn_get_bound(c, v[E_REJECTED], "rejected", &e->rejected);
    if (!rc) rc = scn_lambda_expect(c, m, v + E_LAMBDA_FINAL_MATCH, e);
    if (!rc) rc = scn_stream_expect(c, m, v + E_LATE_DROPPED, e);
    if (!rc) rc = scn_ml_expect(c, m, v + E_MODEL_INPUT_LOST, e);
    e->set = true;
    e->line = m->line;
    e->col = m->col;
    return rc;
}

int scn_sec_expect(struct scn_ctx *c, const struct scn_node *m) {
    const char *names[DLV_COUNT];
    const struct scn_node *v[DLV_COUNT];
    const struct scn_mapspec s = {"for 'expect'",            "in 'expect'", "protocol",
                                  scn_protocol_names(names), DLV_COUNT,     0};
    int rc = m ? scn_map_collect(c, m, &s, v) : 0;
    for (uint32_t i = 0; !rc && m && i + 1 < m->n; i += 2) {
        const struct scn_node *k = m->kids[i];
        int p = dlv_parse(k->text);
        if (!scn_protocol_listed(c->out, p))
            return scn_fail(c, k, "'expect' has an entry for '%s', which is not in 'protocols'",
                            k->text);
        rc = get_expect(c, m->kids[i + 1], k->text, &c->out->expect[p]);
    }
    return rc;
}
