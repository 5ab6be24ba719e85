/* Regression scenarios (the .yaml files in tests/data/regress): runs where a protocol once broke
 * its guarantee. Each file runs under every protocol it lists on every seed of its `seeds:` and is
 * judged by the guarantee the protocol documents (docs/scenario-format.md, "Which protocol
 * promises what for windows"), derived here from the outcome and the trace, not from the file's
 * own `expect:` nor from exp_guarantee_held: at-most-once never duplicates; at-least-once never
 * loses; every exactly-once variant loses and duplicates nothing and its warehouse equals the
 * reference; a window table equals its reference under exactly-once-checkpoint always, and under
 * exactly-once and exactly-once-txn when no worker crashed in the run (the trace's crash events
 * at worker nodes), in either case when no contribution was dropped as late. With a streaming
 * model its input is held to the same promise as the sink's (docs/ml.md): no record consumed
 * twice where duplicates are excluded, none missed where losses are. Every violation is
 * printed before the test fails, so one run names all of them. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "experiment.h"
#include "scenario.h"

#define REGRESS_DIR "tests/data/regress"
#define FILES_MAX 256

static struct scenario scn_store, *const scn = &scn_store;

struct crashes {
    uint32_t workers; /* node ids 2 .. workers + 1 are the workers (pipeline.h) */
    uint64_t worker_crashes;
};

static void on_trace(const struct sim_trace_rec *t, void *ctx) {
    struct crashes *c = ctx;
    if (t->type == SIM_TR_CRASH && t->node >= 2 && t->node < 2 + c->workers) c->worker_crashes++;
}

/* Appends to why what broke protocol p's guarantee in o; true when it held. */
static bool judge(enum dlv_protocol p, const struct exp_outcome *o, bool worker_crashed, char *why,
                  size_t size) {
    size_t n = 0;
    why[0] = 0;
#define WHY(...) (n += (size_t)snprintf(why + n, n < size ? size - n : 0, __VA_ARGS__))
    if (p == DLV_AT_MOST_ONCE && o->duplicated)
        WHY(" duplicated %llu", (unsigned long long)o->duplicated);
    if (p != DLV_AT_MOST_ONCE && o->lost) WHY(" lost %llu", (unsigned long long)o->lost);
    bool eo = p == DLV_EXACTLY_ONCE || p == DLV_EXACTLY_ONCE_TXN || p == DLV_EXACTLY_ONCE_CKPT;
    if (eo && o->duplicated) WHY(" duplicated %llu", (unsigned long long)o->duplicated);
    if (eo && !o->matches_reference) WHY(" warehouse differs from the reference");
    if (o->model_enabled && p != DLV_AT_MOST_ONCE && o->model_input_lost)
        WHY(" model missed %llu records", (unsigned long long)o->model_input_lost);
    if (o->model_enabled && p != DLV_AT_LEAST_ONCE && o->model_input_duplicated)
        WHY(" model consumed %llu records again", (unsigned long long)o->model_input_duplicated);
    bool windows_promised =
        !o->late_dropped && (p == DLV_EXACTLY_ONCE_CKPT || (eo && !worker_crashed));
    if (windows_promised && o->windows_enabled && !o->windows_match_reference)
        WHY(" %llu window rows differ from the reference",
            (unsigned long long)o->windows_mismatched);
#undef WHY
    return n == 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regression files, sorted; the caller frees each name and the array. */
static size_t list_files(char ***out) {
    DIR *d = opendir(REGRESS_DIR);
    assert_non_null(d);
    char **names = calloc(FILES_MAX, sizeof *names);
    assert_non_null(names);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
        assert_true(n < FILES_MAX);
        names[n] = malloc(sizeof REGRESS_DIR + len + 1);
        assert_non_null(names[n]);
        sprintf(names[n++], "%s/%s", REGRESS_DIR, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    return n;
}

/* Runs one file under each of its protocols and seeds; returns the violations. */
static uint32_t run_file(const char *path, uint64_t *runs) {
    struct ft_error err = {0};
    if (scn_load(path, scn, &err)) fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
    assert_int_equal(scn->kind, SCN_KIND_PIPELINE);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < scn->nprotocols; i++)
        for (uint64_t seed = scn->seed_first; seed <= scn->seed_last; seed++) {
            enum dlv_protocol p = scn->protocols[i];
            struct crashes c = {.workers = scn->pipe.workers};
            struct exp_options opt = {.trace = on_trace, .trace_ctx = &c};
            struct exp_outcome o;
            if (exp_run(&scn->pipe, p, seed, &opt, &o, &err))
                fail_msg("%s seed %llu %s: %s", path, (unsigned long long)seed, dlv_name(p),
                         err.msg);
            char why[256];
            ++*runs;
            if (judge(p, &o, c.worker_crashes > 0, why, sizeof why)) continue;
            bad++;
            fprintf(stderr, "VIOLATED %s --seed %llu --protocol %s:%s\n", path,
                    (unsigned long long)seed, dlv_name(p), why);
        }
    return bad;
}

static void test_every_regression_scenario_keeps_its_guarantees(void **state) {
    (void)state;
    char **files;
    size_t n = list_files(&files);
    assert_true(n >= 4); /* V1-V4 of issue 12 at least */
    uint32_t bad = 0;
    uint64_t runs = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b = run_file(files[i], &runs);
        printf("%s: %s\n", b ? "FAIL" : "ok  ", files[i]);
        bad += b;
        free(files[i]);
    }
    free(files);
    printf("%llu runs, %u violations\n", (unsigned long long)runs, bad);
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_regression_scenario_keeps_its_guarantees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
