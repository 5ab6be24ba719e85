/* The end of a swarm (swarm.h): every run judged in index order, the violating runs
 * written (and shrunk), the summary printed. Nothing here depends on the order runs
 * finished in, so the output is the same for any --jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scn_verdict.h"
#include "shrink.h"
#include "swarm.h"

struct tally {
    uint64_t runs, executed, refused, skipped, late;
    uint64_t kind_runs[SW_KINDS], kind_faults[SW_KINDS];
    uint64_t violated[DLV_COUNT], judged[DLV_COUNT];
    uint64_t moment_runs[PIPE_MOMENTS];
};

/* The expect: keys of the base that still apply: `rejected` under the exactly-once
 * variants (each row visible once, so the rejects depend on the input alone). */
static void base_keys(const struct swarm_base *b, enum dlv_protocol p, struct scn_expect *e) {
    scn_expect_unchecked(e);
    if (p >= DLV_EXACTLY_ONCE && b->scn->expect[p].set) e->rejected = b->scn->expect[p].rejected;
}

static int write_file(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    size_t w = fwrite(text, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Writes run j's file with what was judged as its expect: block. */
static int write_run(const struct swarm_base *b, const struct swarm_run *r,
                     const struct exp_outcome *out) {
    struct scn_expect e[DLV_COUNT], extra;
    for (uint32_t i = 0; i < b->nprotocols; i++) {
        base_keys(b, b->protocols[i], &extra);
        scn_expect_promised(b->protocols[i], &out[i], &extra, &e[i]);
    }
    char *text, path[FT_ERROR_FILE_MAX];
    size_t len;
    if (swarm_file_with_expect(b, r->text, r->len, e, &text, &len)) return -1;
    swarm_run_path(b, r->name, path, sizeof path);
    int rc = write_file(path, text, len);
    free(text);
    if (rc) fprintf(stderr, "ftsim swarm: cannot write %s\n", path);
    return rc;
}

static int shrink_one(const struct swarm_base *b, const struct swarm_run *r, enum dlv_protocol p) {
    char path[FT_ERROR_FILE_MAX], min[FT_ERROR_FILE_MAX + 64];
    swarm_run_path(b, r->name, path, sizeof path);
    snprintf(min, sizeof min, "%s/%s-%s-min.yaml", b->out_dir, r->name, dlv_name(p));
    printf("  shrinking %s under %s:\n", path, dlv_name(p));
    struct shrink_result res;
    int rc = shrink_scenario(path, r->text, r->len, r->seed, p, 0, min, stdout, &res);
    if (rc == CLI_OK)
        printf("    ftsim run %s --seed %llu --protocol %s\n", min, (unsigned long long)res.seed,
               dlv_name(p));
    return rc == CLI_INTERNAL ? -1 : 0;
}

/* swarm_recheck of run r: loaded here from its text. */
static int recheck(const struct swarm_base *b, const struct swarm_run *r,
                   const struct scn_expect *extra, enum dlv_protocol p, int key) {
    struct scenario *scn = malloc(sizeof *scn);
    struct ft_error err = {0};
    char path[FT_ERROR_FILE_MAX];
    swarm_run_path(b, r->name, path, sizeof path); /* a CSV is named from there */
    int rc = scn ? scn_parse(path, r->text, r->len, scn, &err) : -1;
    if (!rc) rc = swarm_recheck(&scn->pipe, extra, p, r->seed, key);
    if (rc < 0)
        fprintf(stderr, "ftsim swarm: %s: cannot run it again with a longer drain%s%s\n", path,
                err.msg[0] ? ": " : "", err.msg);
    free(scn);
    return rc;
}

/* Judges run j under each protocol; prints and writes it when it violated. */
static int judge_run(const struct swarm_base *b, const struct swarm_run *r,
                     const struct exp_outcome *out, bool all, bool shrink, struct tally *t) {
    bool bad[DLV_COUNT] = {false}, any = false;
    char detail[DLV_COUNT][640];
    for (uint32_t i = 0; i < b->nprotocols; i++) {
        enum dlv_protocol p = b->protocols[i];
        struct scn_expect extra;
        struct scn_verdict v;
        base_keys(b, p, &extra);
        bad[i] = !scn_judge(&extra, p, &out[i], NULL, SCN_JUDGE_GUARANTEE | SCN_JUDGE_EXPECT, &v);
        snprintf(detail[i], sizeof detail[i], "%s", v.detail);
        if (bad[i]) {
            int still = recheck(b, r, &extra, p, scn_verdict_first(&v));
            if (still < 0) return -1;
            if (!still) {
                printf("late     %s under %s: %s; held with %llu s more drain (records were "
                       "still on their way)\n",
                       r->name, dlv_name(p), v.detail,
                       (unsigned long long)(swarm_recheck_drain_ns(&b->scn->pipe) / 1000000000ull));
                t->late++;
                bad[i] = false;
            }
        }
        t->judged[p]++;
        t->violated[p] += bad[i];
        any |= bad[i];
        for (unsigned m = 0; m < PIPE_MOMENTS; m++)
            t->moment_runs[m] += out[i].moments[m] > 0;
    }
    if ((any || all) && write_run(b, r, out)) return -1;
    for (uint32_t i = 0; i < b->nprotocols; i++) {
        if (!bad[i]) continue;
        char path[FT_ERROR_FILE_MAX];
        swarm_run_path(b, r->name, path, sizeof path);
        printf("VIOLATED %s under %s: %s\n  ftsim run %s --seed %llu --protocol %s\n", r->name,
               dlv_name(b->protocols[i]), detail[i], path, (unsigned long long)r->seed,
               dlv_name(b->protocols[i]));
        if (shrink && shrink_one(b, r, b->protocols[i])) return -1;
    }
    return 0;
}

static void summary(const struct swarm_base *b, const struct tally *t, double secs) {
    printf("\nswarm %s (seed %llu): %llu runs drawn x %u protocol%s = %llu runs, %llu drafts "
           "refused by the loader and drawn again, %llu runs skipped; %.1f s, %.1f runs/s\n",
           b->scn->name, (unsigned long long)b->seed, (unsigned long long)t->runs, b->nprotocols,
           b->nprotocols == 1 ? "" : "s", (unsigned long long)t->executed,
           (unsigned long long)t->refused, (unsigned long long)t->skipped, secs,
           secs > 0 ? (double)t->executed / secs : 0.0);
    printf("runs that held only with %llu s more drain (not violations): %llu\n",
           (unsigned long long)(swarm_recheck_drain_ns(&b->scn->pipe) / 1000000000ull),
           (unsigned long long)t->late);
    printf("faults tried per kind (runs drawn with it, faults):\n");
    for (int k = 0; k < SW_KINDS; k++)
        printf("  %-14s %8llu %8llu\n", swarm_kind_name((enum swarm_kind)k),
               (unsigned long long)t->kind_runs[k], (unsigned long long)t->kind_faults[k]);
    printf("violations per protocol (runs violated / judged):\n");
    for (uint32_t i = 0; i < b->nprotocols; i++)
        printf("  %-24s %8llu / %llu\n", dlv_name(b->protocols[i]),
               (unsigned long long)t->violated[b->protocols[i]],
               (unsigned long long)t->judged[b->protocols[i]]);
    printf("coverage moments (runs that reached each, of %llu):\n",
           (unsigned long long)t->executed);
    for (unsigned m = 0; m < PIPE_MOMENTS; m++)
        if (t->moment_runs[m])
            printf("  %-48s %8llu\n", pipe_moment_name(m), (unsigned long long)t->moment_runs[m]);
    printf("never reached:");
    unsigned never = 0;
    for (unsigned m = 0; m < PIPE_MOMENTS; m++)
        if (!t->moment_runs[m]) printf("%s %s", never++ ? "," : "", pipe_moment_name(m));
    printf("%s\n", never ? "" : " none");
}

int swarm_report(const struct swarm_base *b, const struct swarm_run *runs, uint64_t n,
                 const struct exp_outcome *out, bool all, bool shrink, double secs) {
    struct tally t = {.runs = n};
    uint64_t violated = 0;
    for (uint64_t j = 0; j < n; j++) {
        const struct swarm_run *r = &runs[j];
        t.refused += r->refused;
        if (!r->ok) {
            t.skipped++;
            continue;
        }
        t.executed += b->nprotocols;
        for (int k = 0; k < SW_KINDS; k++) {
            t.kind_runs[k] += r->kinds >> k & 1;
            t.kind_faults[k] += r->nfaults[k];
        }
        if (judge_run(b, r, out + j * b->nprotocols, all, shrink, &t)) return CLI_INTERNAL;
    }
    for (int p = 0; p < DLV_COUNT; p++)
        violated += t.violated[p];
    summary(b, &t, secs);
    fflush(stdout);
    return violated ? CLI_VIOLATED : CLI_OK;
}
