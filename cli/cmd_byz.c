/* `ftsim run` and `ftsim check` on Byzantine scenarios, and their part of `ftsim list`.
 * run prints one row per algorithm (or, in exhaustive mode, a table of every placement
 * of traitors, strategy and order: the lecturer's table) or one JSON object; check
 * evaluates the file's expectations per algorithm over every seed and reports one result
 * per algorithm through the caller's reporter, so TAP and JUnit work as for pipelines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "scenario.h"
#include "scn_meta.h"
#include "store.h"
#include "trace_filter.h"

#define EXHAUSTIVE_ROWS_ALL 120 /* print every row of an exhaustive table up to this size */

/* ---- formatting ---- */

static const char *traitor_list(const struct byz_outcome *o, char *buf, size_t size) {
    return *byz_traitors_csv(o, buf, size) ? buf : "-";
}

static const char *decision_list(const struct byz_outcome *o, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 1; i < o->n && len < size; i++)
        if (!(o->traitors & (1ull << i)))
            len += (size_t)snprintf(buf + len, size - len, "%s%u=%s", len ? " " : "", i,
                                    byz_value_name(o->decision[i]));
    return len ? buf : "-";
}

static void json_run(const struct byz_outcome *o, bool first) {
    char t[BYZ_TRAITORS_CSV_MAX], d[BYZ_DECISIONS_JSON_MAX];
    printf("%s{\"algorithm\":\"%s\",\"n\":%u,\"m\":%u,\"traitors\":[%s],\"strategies\":[",
           first ? "" : ",", byz_alg_name(o->alg), o->n, o->m, byz_traitors_csv(o, t, sizeof t));
    bool any = false;
    for (uint32_t i = 0; i < o->n; i++)
        if (o->traitors & (1ull << i)) {
            printf("%s\"%s\"", any ? "," : "", byz_strategy_name(o->strategy[i]));
            any = true;
        }
    printf("],\"strategy\":\"%s\",\"order\":\"%s\",\"ic1\":%s,\"ic2\":%s,\"rounds\":%u,"
           "\"agreements\":%u,\"divergent\":%u,\"messages\":%llu,\"bytes\":%llu,"
           "\"signatures_made\":%llu,\"signatures_verified\":%llu,\"signatures_rejected\":%llu,"
           "\"signature_cache_hits\":%llu,\"discarded\":%llu,\"decisions\":%s,\"events\":%llu,"
           "\"trace_hash\":\"%s\"}",
           byz_strategy_summary(o->strategy, o->n), byz_value_name(o->order),
           o->ic1 ? "true" : "false", o->ic2 ? "true" : "false", o->rounds, o->decisions,
           o->divergent, (unsigned long long)o->messages, (unsigned long long)o->bytes,
           (unsigned long long)o->signatures_made, (unsigned long long)o->signatures_verified,
           (unsigned long long)o->signatures_rejected, (unsigned long long)o->signature_cache_hits,
           (unsigned long long)o->discarded, byz_decisions_json(o, d, sizeof d),
           (unsigned long long)o->events, o->trace_hash);
}

static void table_header(void) {
    printf("%-12s %3s %3s %-9s %-13s %-7s %-4s %-4s %9s %8s %8s %6s %8s %8s  %-16s %s\n",
           "algorithm", "n", "m", "traitors", "strategy", "order", "IC1", "IC2", "divergent",
           "messages", "bytes", "signed", "verified", "rejected", "trace hash",
           "decisions (loyal lieutenants)");
}

static void table_row(const struct byz_outcome *o) {
    char t[128], d[512], dv[32];
    snprintf(dv, sizeof dv, "%u/%u", o->divergent, o->decisions);
    printf("%-12s %3u %3u %-9s %-13s %-7s %-4s %-4s %9s %8llu %8llu %6llu %8llu %8llu  %.16s  %s\n",
           byz_alg_name(o->alg), o->n, o->m, traitor_list(o, t, sizeof t),
           byz_strategy_summary(o->strategy, o->n), byz_value_name(o->order), o->ic1 ? "yes" : "NO",
           o->ic2 ? "yes" : "NO", dv, (unsigned long long)o->messages, (unsigned long long)o->bytes,
           (unsigned long long)o->signatures_made, (unsigned long long)o->signatures_verified,
           (unsigned long long)o->signatures_rejected, o->trace_hash,
           decision_list(o, d, sizeof d));
}

static void exhaustive_row(const struct byz_outcome *o) {
    char t[128], d[512];
    printf("  %-9s %-13s %-7s %-4s %-4s %8llu %8llu  %s\n", traitor_list(o, t, sizeof t),
           byz_strategy_summary(o->strategy, o->n), byz_value_name(o->order), o->ic1 ? "yes" : "NO",
           o->ic2 ? "yes" : "NO", (unsigned long long)o->messages,
           (unsigned long long)o->signatures_rejected, decision_list(o, d, sizeof d));
}

/* ---- trace printing ---- */

struct tracer {
    const struct byz_config *cfg;
    const struct cli_trace_filter *filter; /* --from/--to, --node */
};

/* The other node an event concerns: a message's peer, a rejected or discarded
 * message's sender. */
static uint32_t event_peer(const struct sim_trace_rec *r) {
    if (r->type != SIM_TR_USER) return r->peer;
    return r->kind == BYZ_TR_REJECT || r->kind == BYZ_TR_DISCARD ? (uint32_t)r->id : SIM_NODE_NONE;
}

static void print_event(const struct sim_trace_rec *r, void *ctx) {
    const struct tracer *tp = ctx;
    static const char *const why[] = {"?",         "another decision", "wrong round",
                                      "malformed", "relay not sender", "duplicate"};
    if (!cli_filter_keeps(tp->filter, r->time_ns, r->node, event_peer(r))) return;
    char a[32], b[32];
    printf("%-12s %12.6f s  %-8s %-13s", byz_alg_name(tp->cfg->alg), (double)r->time_ns / 1e9,
           sim_trace_type_name(r->type), byz_node_name(tp->cfg, r->node, a, sizeof a));
    const char *peer =
        byz_node_name(tp->cfg, r->type == SIM_TR_USER ? (uint32_t)r->id : r->peer, b, sizeof b);
    if (r->type == SIM_TR_SEND || r->type == SIM_TR_DROP)
        printf(" -> %-13s %-6s msg %llu, %llu bytes", peer, byz_msg_name(r->kind),
               (unsigned long long)r->id, (unsigned long long)r->arg);
    else if (r->type == SIM_TR_DELIVER)
        printf(" <- %-13s %-6s msg %llu", peer, byz_msg_name(r->kind), (unsigned long long)r->id);
    else if (r->type == SIM_TR_USER && r->kind == BYZ_TR_DECIDE)
        printf(" decides %s (decision %llu)", byz_value_name((uint8_t)r->arg),
               (unsigned long long)r->id + 1);
    else if (r->type == SIM_TR_USER && r->kind == BYZ_TR_REJECT)
        printf(" rejects a chain from %s: signature %llu does not verify", peer,
               (unsigned long long)r->arg);
    else if (r->type == SIM_TR_USER && r->kind == BYZ_TR_DISCARD)
        printf(" discards a message from %s: %s", peer, r->arg < 6 ? why[r->arg] : "?");
    putchar('\n');
}

/* ---- run ---- */

/* Stores one run: runs (protocol = the algorithm) and its agreement row, in one
 * transaction. params names an exhaustive run's placement ("" for a plain run). */
static int store_one(struct res_db *db, const struct scenario *scn, uint64_t seed,
                     const struct byz_outcome *o, const char *params) {
    char traitors[BYZ_TRAITORS_CSV_MAX], decisions[BYZ_DECISIONS_JSON_MAX];
    struct res_agreement ag = {
        .algorithm = byz_alg_name(o->alg),
        .n = o->n,
        .m = o->m,
        .traitors = byz_traitors_csv(o, traitors, sizeof traitors),
        .strategy = o->traitors ? byz_strategy_summary(o->strategy, o->n) : NULL,
        .ic1 = o->ic1,
        .ic2 = o->ic2,
        .rounds = o->rounds,
        .messages = o->messages,
        .bytes = o->bytes,
        .signatures_made = o->signatures_made,
        .signatures_verified = o->signatures_verified,
        .signatures_rejected = o->signatures_rejected,
        .decisions = byz_decisions_json(o, decisions, sizeof decisions)};
    struct exp_outcome eo = {.messages = o->messages, .end_ns = o->end_ns, .events = o->events};
    memcpy(eo.trace_hash, o->trace_hash, sizeof eo.trace_hash);
    struct scn_meta meta;
    scn_meta_fill(scn, &meta);
    struct res_run r = {.scenario = scn->name,
                        .scenario_hash = scn->hash,
                        .seed = seed,
                        .file = &meta.file,
                        .protocol = byz_alg_name(o->alg),
                        .status = o->ic1 && o->ic2 ? "ok" : "violated",
                        .outcome = &eo,
                        .params = params,
                        .agreement = &ag};
    struct ft_error err = {0};
    if (res_store_run(db, &r, NULL, &err) != 0) {
        fprintf(stderr, "ftsim run: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    return CLI_OK;
}

/* An exhaustive run's key in runs.params: base (a sweep's --set values, or "") then
 * its order, the traitors' strategy and their ids. */
static const char *exhaustive_params(const struct byz_outcome *o, const char *base, char *buf,
                                     size_t size) {
    char traitors[BYZ_TRAITORS_CSV_MAX];
    snprintf(buf, size, "%s%sorder=%s,strategy=%s,traitors=%s", base, *base ? "," : "",
             byz_value_name(o->order), o->traitors ? byz_strategy_summary(o->strategy, o->n) : "none",
             byz_traitors_csv(o, traitors, sizeof traitors));
    return buf;
}

static int run_one(const struct scenario *scn, enum byz_alg a, uint64_t seed, bool json,
                   const struct cli_trace_filter *trace, bool *first, struct res_db *db) {
    struct byz_config cfg;
    struct byz_outcome o;
    struct ft_error err = {0};
    struct tracer tp = {&cfg, trace};
    struct byz_options opt = {trace ? print_event : NULL, &tp};
    if (scn_byz_config(&scn->byz, a, seed, &cfg, &err) || byz_run(&cfg, seed, &opt, &o, &err)) {
        fprintf(stderr, "ftsim run: %s: %s: %s\n", scn->file, byz_alg_name(a), err.msg);
        return CLI_INTERNAL;
    }
    if (json)
        json_run(&o, *first);
    else
        table_row(&o);
    *first = false;
    return db ? store_one(db, scn, seed, &o, "") : CLI_OK;
}

static int run_exhaustive(const struct scenario *scn, enum byz_alg a, uint64_t seed, bool json,
                          bool *first, struct res_db *db) {
    struct byz_config base, cfg;
    struct byz_enum it;
    struct ft_error err = {0};
    uint64_t runs, bad = 0;
    if (scn_byz_config(&scn->byz, a, seed, &base, &err) ||
        byz_enum_start(&it, &base, &runs, &err)) {
        fprintf(stderr, "ftsim run: %s: %s\n", scn->file, err.msg);
        return CLI_USAGE;
    }
    struct byz_outcome *all = calloc(runs, sizeof *all);
    if (!all) return CLI_INTERNAL;
    struct cli_progress prog = {.label = byz_alg_name(a), .tty = isatty(STDERR_FILENO) != 0};
    for (uint64_t i = 0; byz_enum_next(&it, &cfg); i++) {
        if (cli_progress_runs(&prog, i, runs)) {
            fprintf(stderr, "ftsim run: %s: %s: interrupted after %llu of %llu runs\n", scn->file,
                    byz_alg_name(a), (unsigned long long)i, (unsigned long long)runs);
            free(all);
            return CLI_INTERNAL;
        }
        if (byz_run(&cfg, seed, NULL, &all[i], &err)) {
            fprintf(stderr, "ftsim run: %s: %s: %s\n", scn->file, byz_alg_name(a), err.msg);
            free(all);
            return CLI_INTERNAL;
        }
        bad += !(all[i].ic1 && all[i].ic2);
    }
    cli_progress_clear(&prog);
    if (!json) {
        printf("%s, n %u, m %u, exhaustive: %llu runs (0..%u traitors x %d strategies x 2 "
               "orders), %llu violate IC1 or IC2\n",
               byz_alg_name(a), base.n, base.m, (unsigned long long)runs,
               base.m < base.n ? base.m : base.n, BYZ_STRATEGY_COUNT - 1, (unsigned long long)bad);
        printf("  %-9s %-13s %-7s %-4s %-4s %8s %8s  %s\n", "traitors", "strategy", "order", "IC1",
               "IC2", "messages", "rejected", "decisions (loyal lieutenants)");
    }
    int rc = CLI_OK;
    for (uint64_t i = 0; db && rc == CLI_OK && i < runs; i++) {
        char params[RES_PARAMS_MAX];
        rc = store_one(db, scn, seed, &all[i], exhaustive_params(&all[i], "", params, sizeof params));
    }
    if (rc != CLI_OK) {
        free(all);
        return rc;
    }
    for (uint64_t i = 0; i < runs; i++) {
        bool show = runs <= EXHAUSTIVE_ROWS_ALL || !(all[i].ic1 && all[i].ic2);
        if (json)
            json_run(&all[i], *first);
        else if (show)
            exhaustive_row(&all[i]);
        *first = false;
    }
    if (!json && runs > EXHAUSTIVE_ROWS_ALL)
        printf("  (%llu runs where IC1 and IC2 held are not shown; --json lists every run)\n",
               (unsigned long long)(runs - bad));
    if (!json) putchar('\n');
    free(all);
    return CLI_OK;
}

/* --node against the generals (and the sink), as the trace names them. */
static int resolve_nodes(const struct scenario *scn, enum byz_alg a, uint64_t seed,
                         struct cli_trace_filter *f) {
    struct byz_config cfg;
    struct ft_error err = {0};
    if (!f->nnodes) return CLI_OK;
    if (scn_byz_config(&scn->byz, a, seed, &cfg, &err)) {
        fprintf(stderr, "ftsim run: %s: %s\n", scn->file, err.msg);
        return CLI_USAGE;
    }
    char buf[BYZ_NODES_MAX + 1][32];
    const char *names[BYZ_NODES_MAX + 1];
    uint32_t n = cfg.n + cfg.sink;
    for (uint32_t i = 0; i < n; i++)
        names[i] = byz_node_name(&cfg, i, buf[i], sizeof buf[i]);
    return cli_filter_nodes("run", scn->file, f, names, n);
}

int cli_byz_run(const struct scenario *scn, uint64_t seed, const int *algs, uint32_t nalgs,
                bool json, bool trace, struct cli_trace_filter *filter, struct res_db *db) {
    const struct scn_byz *b = &scn->byz;
    if (trace && b->exhaustive) {
        fprintf(stderr, "ftsim run: --trace shows one run; %s is exhaustive (many runs)\n",
                scn->file);
        return CLI_USAGE;
    }
    int rc = resolve_nodes(scn, nalgs ? (enum byz_alg)algs[0] : b->algs[0], seed, filter);
    if (rc != CLI_OK) return rc;
    if (json)
        printf("{\"scenario\":\"%s\",\"seed\":%llu,\"runs\":[", scn->name,
               (unsigned long long)seed);
    else if (!trace)
        printf("scenario %s, seed %llu: %s\n\n", scn->name, (unsigned long long)seed, scn->about);
    if (!json && !trace && !b->exhaustive) table_header();
    bool first = true;
    for (uint32_t i = 0; rc == CLI_OK && i < (nalgs ? nalgs : b->nalgs); i++) {
        enum byz_alg a = nalgs ? (enum byz_alg)algs[i] : b->algs[i];
        rc = b->exhaustive ? run_exhaustive(scn, a, seed, json, &first, db)
                           : run_one(scn, a, seed, json, trace ? filter : NULL, &first, db);
    }
    if (json) printf("]}\n");
    return rc;
}

/* ---- sweep ---- */

/* Stores the outcome unless the database has its key; counts what it did. */
static int sweep_store(struct res_db *db, const struct scenario *scn, uint64_t seed,
                       const struct byz_outcome *o, const char *params, uint64_t *stored) {
    int rc = store_one(db, scn, seed, o, params);
    if (rc == CLI_OK) (*stored)++;
    return rc;
}

static int sweep_has(struct res_db *db, const struct scenario *scn, const char *params,
                     uint64_t seed, enum byz_alg a, bool *has) {
    struct ft_error err = {0};
    if (res_has_run(db, scn->hash, params, seed, byz_alg_name(a), has, &err) == 0) return CLI_OK;
    fprintf(stderr, "ftsim sweep: %s\n", err.msg);
    return CLI_INTERNAL;
}

int cli_byz_sweep_one(const struct scenario *scn, int alg, uint64_t seed, const char *params,
                      struct res_db *db, uint64_t *stored, uint64_t *present) {
    enum byz_alg a = (enum byz_alg)alg;
    struct byz_config cfg;
    struct byz_outcome o;
    struct ft_error err = {0};
    bool has = false;
    int rc;
    if (!scn->byz.exhaustive) {
        if ((rc = sweep_has(db, scn, params, seed, a, &has)) != CLI_OK) return rc;
        if (has) {
            (*present)++;
            return CLI_OK;
        }
        if (scn_byz_config(&scn->byz, a, seed, &cfg, &err) || byz_run(&cfg, seed, NULL, &o, &err)) {
            fprintf(stderr, "ftsim sweep: %s: %s seed %llu: %s\n", scn->file, byz_alg_name(a),
                    (unsigned long long)seed, err.msg);
            return CLI_INTERNAL;
        }
        return sweep_store(db, scn, seed, &o, params, stored);
    }
    struct byz_config base;
    struct byz_enum it;
    uint64_t runs;
    if (scn_byz_config(&scn->byz, a, seed, &base, &err) || byz_enum_start(&it, &base, &runs, &err)) {
        fprintf(stderr, "ftsim sweep: %s: %s\n", scn->file, err.msg);
        return CLI_USAGE;
    }
    rc = CLI_OK;
    while (rc == CLI_OK && byz_enum_next(&it, &cfg)) {
        if (cli_interrupted()) {
            fprintf(stderr, "ftsim sweep: %s: interrupted\n", scn->file);
            return CLI_INTERNAL;
        }
        if (byz_run(&cfg, seed, NULL, &o, &err)) {
            fprintf(stderr, "ftsim sweep: %s: %s seed %llu: %s\n", scn->file, byz_alg_name(a),
                    (unsigned long long)seed, err.msg);
            return CLI_INTERNAL;
        }
        char key[RES_PARAMS_MAX];
        exhaustive_params(&o, params, key, sizeof key);
        if ((rc = sweep_has(db, scn, key, seed, a, &has)) != CLI_OK) break;
        if (has)
            (*present)++;
        else
            rc = sweep_store(db, scn, seed, &o, key, stored);
    }
    return rc;
}

/* ---- check ---- */

struct tally {
    uint64_t runs, violations, ic1_failed, ic2_failed;
    uint64_t lo[3], hi[3]; /* messages, signatures_rejected, divergent over the runs */
    bool bound_failed;
    char first_bad[256];
    bool has_repro;
    uint64_t repro_seed; /* the first seed with a failed bound or agreement */
};

static bool bound_ok(const char *name, const struct scn_bound *b, uint64_t v, char *buf,
                     size_t size) {
    char want[32];
    if (scn_bound_holds(b, v)) return true;
    snprintf(buf, size, "%s %llu (expect %s)", name, (unsigned long long)v,
             scn_bound_str(b, want, sizeof want));
    return false;
}

static void tally_add(struct tally *t, const struct scn_byz_expect *e, const struct byz_outcome *o,
                      uint64_t seed) {
    char why[160] = "", tr[128];
    const uint64_t v[3] = {o->messages, o->signatures_rejected, o->divergent};
    for (int i = 0; i < 3; i++) {
        t->lo[i] = t->runs == 0 || v[i] < t->lo[i] ? v[i] : t->lo[i];
        t->hi[i] = t->runs == 0 || v[i] > t->hi[i] ? v[i] : t->hi[i];
    }
    t->runs++;
    t->violations += !(o->ic1 && o->ic2);
    t->ic1_failed += !o->ic1;
    t->ic2_failed += !o->ic2;
    if (!t->has_repro && !(o->ic1 && o->ic2)) t->has_repro = true, t->repro_seed = seed;
    bool ok = bound_ok("messages", &e->messages, o->messages, why, sizeof why) &&
              bound_ok("signatures_rejected", &e->signatures_rejected, o->signatures_rejected, why,
                       sizeof why) &&
              bound_ok("divergent", &e->divergent, o->divergent, why, sizeof why);
    if (ok || t->bound_failed) return;
    t->bound_failed = true;
    t->has_repro = true;
    t->repro_seed = seed;
    snprintf(t->first_bad, sizeof t->first_bad, "seed %llu, traitors %s %s, order %s: %s",
             (unsigned long long)seed, traitor_list(o, tr, sizeof tr),
             byz_strategy_summary(o->strategy, o->n), byz_value_name(o->order), why);
}

static int tally_seed(const struct scenario *scn, enum byz_alg a, uint64_t seed, bool exhaustive,
                      struct tally *t) {
    const struct scn_byz_expect *e = &scn->byz.expect[a];
    struct byz_config base, cfg;
    struct byz_outcome o;
    struct byz_enum it;
    uint64_t runs;
    struct ft_error err = {0};
    if (scn_byz_config(&scn->byz, a, seed, &base, &err)) goto fail;
    if (!exhaustive) {
        if (byz_run(&base, seed, NULL, &o, &err)) goto fail;
        tally_add(t, e, &o, seed);
        return CLI_OK;
    }
    if (byz_enum_start(&it, &base, &runs, &err)) {
        fprintf(stderr, "ftsim check: %s: %s\n", scn->file, err.msg);
        return CLI_USAGE;
    }
    while (byz_enum_next(&it, &cfg)) {
        if (cli_interrupted()) {
            ft_fail(&err, FT_EINTR, "interrupted (Ctrl-C)");
            goto fail;
        }
        if (byz_run(&cfg, seed, NULL, &o, &err)) goto fail;
        tally_add(t, e, &o, seed);
    }
    return CLI_OK;
fail:
    fprintf(stderr, "ftsim check: %s: %s seed %llu: %s\n", scn->file, byz_alg_name(a),
            (unsigned long long)seed, err.msg);
    return CLI_INTERNAL;
}

/* "ic1 failed in 3 (expect false)"; returns whether the expectation holds. */
static bool ic_ok(const char *name, int want, uint64_t failed, char *buf, size_t size) {
    size_t len = strlen(buf);
    if (failed)
        snprintf(buf + len, size - len, "; %s failed in %llu", name, (unsigned long long)failed);
    else
        snprintf(buf + len, size - len, "; %s held in all", name);
    if (want < 0) return true;
    len = strlen(buf);
    snprintf(buf + len, size - len, " (expect %s)", want ? "true" : "false");
    return want ? failed == 0 : failed > 0;
}

static int check_alg(const struct scenario *scn, enum byz_alg a, bool exhaustive, bool tty,
                     cli_report_fn report, void *ctx) {
    const struct scn_byz_expect *e = &scn->byz.expect[a];
    struct tally t = {0};
    char detail[768], want[32];
    for (uint64_t seed = scn->seed_first; seed <= scn->seed_last; seed++) {
        if (tty)
            fprintf(stderr, "\r%s %s seed %llu\033[K", scn->name, byz_alg_name(a),
                    (unsigned long long)seed);
        int rc = tally_seed(scn, a, seed, exhaustive, &t);
        if (rc) return rc;
        if (seed == UINT64_MAX) break;
    }
    if (tty) fputs("\r\033[K", stderr);
    if (scn->seed_first == scn->seed_last)
        snprintf(detail, sizeof detail, "seed %llu", (unsigned long long)scn->seed_first);
    else
        snprintf(detail, sizeof detail, "seeds %llu..%llu", (unsigned long long)scn->seed_first,
                 (unsigned long long)scn->seed_last);
    size_t len = strlen(detail);
    snprintf(detail + len, sizeof detail - len, "%s: %llu run%s", exhaustive ? ", exhaustive" : "",
             (unsigned long long)t.runs, t.runs == 1 ? "" : "s");
    bool ok = ic_ok("ic1", e->ic1, t.ic1_failed, detail, sizeof detail);
    ok &= ic_ok("ic2", e->ic2, t.ic2_failed, detail, sizeof detail);
    len = strlen(detail);
    snprintf(detail + len, sizeof detail - len, "; violations %llu",
             (unsigned long long)t.violations);
    if (e->violations.op != SCN_CMP_NONE) {
        len = strlen(detail);
        snprintf(detail + len, sizeof detail - len, " (expect %s)",
                 scn_bound_str(&e->violations, want, sizeof want));
        ok &= scn_bound_holds(&e->violations, t.violations);
    }
    const struct scn_bound *per_run[3] = {&e->messages, &e->signatures_rejected, &e->divergent};
    static const char *const names[3] = {"messages", "signatures_rejected", "divergent"};
    for (int i = 0; i < 3; i++) {
        if (per_run[i]->op == SCN_CMP_NONE) continue;
        len = strlen(detail);
        snprintf(detail + len, sizeof detail - len, "; %s %llu..%llu per run (expect %s)", names[i],
                 (unsigned long long)t.lo[i], (unsigned long long)t.hi[i],
                 scn_bound_str(per_run[i], want, sizeof want));
    }
    if (t.bound_failed) {
        len = strlen(detail);
        snprintf(detail + len, sizeof detail - len, "; %s", t.first_bad);
        ok = false;
    }
    return report(ctx, byz_alg_name(a), ok, t.has_repro ? t.repro_seed : scn->seed_first, detail);
}

int cli_byz_check(const struct scenario *scn, bool exhaustive, bool tty, cli_report_fn report,
                  void *ctx) {
    const struct scn_byz *b = &scn->byz;
    exhaustive |= b->exhaustive;
    int rc = CLI_OK;
    for (uint32_t i = 0; rc == CLI_OK && i < b->nalgs; i++)
        if (b->expect[b->algs[i]].set)
            rc = check_alg(scn, b->algs[i], exhaustive, tty, report, ctx);
    return rc;
}

/* ---- list ---- */

void cli_byz_list(void) {
    printf("\nByzantine algorithms:\n");
    for (int a = 0; a < BYZ_ALG_COUNT; a++)
        printf("  %-18s %s\n", byz_alg_name((enum byz_alg)a), byz_alg_about((enum byz_alg)a));
    printf("\ntraitor strategies:\n");
    for (int s = BYZ_SILENT; s < BYZ_STRATEGY_COUNT; s++)
        printf("  %-18s %s\n", byz_strategy_name((enum byz_strategy)s),
               byz_strategy_about((enum byz_strategy)s));
}
