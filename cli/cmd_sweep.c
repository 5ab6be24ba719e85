/* `ftsim sweep`: runs the cross product of seeds, protocols and --set values of one
 * scenario into a results database (DESIGN.md §9, docs/scale-out.md). Every parameter
 * combination is parsed and checked before anything runs; runs the database already
 * holds (same scenario hash, params, seed, protocol) are skipped, so a killed sweep
 * continues where it stopped; --shard K/N keeps every run whose index is K-1 mod N.
 * Workers compute, this process alone writes, one transaction per run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "experiment.h"
#include "scenario.h"
#include "scn_meta.h"
#include "store.h"
#include "suggest.h"
#include "sweep.h"

static void usage(FILE *f) {
    fputs("usage: ftsim sweep FILE --db OUT.db [--seeds A..B] [--protocol P]...\n"
          "                  [--set PATH=V1,V2,...]... [--jobs J] [--shard K/N]\n"
          "\n"
          "Runs every combination of seeds, protocols and --set values of the scenario FILE\n"
          "and stores each run (outcome, time series, latency percentiles, markers) in the\n"
          "SQLite OUT.db, one transaction per run. Runs OUT.db already holds are skipped,\n"
          "so a sweep that was stopped, even with kill -9, continues where it stopped.\n"
          "\n"
          "  --db FILE       results database (created if missing; docs/results-schema.md)\n"
          "  --seeds A..B    seeds A to B, or one seed N (default: the file's seeds:)\n"
          "  --protocol P    run P (repeatable; default: the file's protocols); for a\n"
          "                  Byzantine scenario an algorithm (om, sm, dolev-strong), whose\n"
          "                  runs go in one process, each exhaustive placement a run of\n"
          "                  its own with its order, strategy and traitors in params\n"
          "  --set PATH=V,.. run each value for the scenario field at PATH, a YAML key path\n"
          "                  like network.loss or faults.0.nth (repeatable: the values of\n"
          "                  several --set multiply); stored as the run's params\n"
          "  --jobs J        J worker processes (default 1)\n"
          "  --shard K/N     run only shard K of N (1 <= K <= N): the runs whose index in\n"
          "                  the sweep's canonical order is K-1 modulo N; run every shard\n"
          "                  with the same arguments, then 'ftsim merge'\n"
          "  --help          this text\n"
          "\n"
          "Canonical order: parameter combinations (keys sorted by path, values in the\n"
          "order given), then protocols in the order given, then seeds.\n"
          "A progress bar is drawn on stderr when it is a terminal. Exit status: 0 every\n"
          "run was stored, 2 bad input, 3 a run failed or the database could not be written.\n",
          f);
}

struct sweep_cli {
    const char *file, *db_path;
    bool has_seeds;
    uint32_t jobs, shard_k, shard_n;
    struct sweep_plan plan;
    char *text; /* the scenario file's bytes, read once */
    size_t len;
    char hash[65];
    char (*names)[SCN_NAME_MAX]; /* scenario name per combination */
    struct scenario *scn;        /* the combination last parsed (workers keep their own) */
    struct scn_meta meta;        /* the file's, for plain runs (no --set: one combination) */
    uint64_t scn_combo;          /* UINT64_MAX: none */
    struct res_db *db;
    bool tty;
    struct cli_bar bar;
    uint64_t stored;
    const char *pnames[DLV_COUNT]; /* --protocol, resolved once the file's kind is known */
    uint32_t npnames;
    int algs[DLV_COUNT];           /* a Byzantine scenario's algorithms, in plan order */
};

/* ---- options ---- */

static int parse_seeds(const char *s, struct sweep_plan *p) {
    uint64_t a, b;
    if (cli_parse_seeds(s, &a, &b) != 0) return -1;
    p->seed_first = a;
    p->seed_last = b;
    return 0;
}

static int parse_shard(const char *s, uint32_t *k, uint32_t *n) {
    const char *slash = strchr(s, '/');
    unsigned long long a, b;
    char first[32];
    size_t len = slash ? (size_t)(slash - s) : 0;
    if (!slash || len == 0 || len >= sizeof first) return -1;
    memcpy(first, s, len);
    first[len] = '\0';
    if (cli_parse_u64(first, &a) || cli_parse_u64(slash + 1, &b)) return -1;
    if (a < 1 || a > b || b > SWEEP_SHARDS_MAX) return -1;
    *k = (uint32_t)a;
    *n = (uint32_t)b;
    return 0;
}

static int add_protocol(struct sweep_cli *s, const char *name) {
    for (uint32_t i = 0; i < s->npnames; i++)
        if (strcmp(s->pnames[i], name) == 0) {
            fprintf(stderr, "ftsim sweep: --protocol %s is given twice\n", name);
            return CLI_USAGE;
        }
    if (s->npnames == DLV_COUNT) {
        fprintf(stderr, "ftsim sweep: more than %u --protocol options\n", (unsigned)DLV_COUNT);
        return CLI_USAGE;
    }
    s->pnames[s->npnames++] = name;
    return CLI_OK;
}

/* --protocol names a delivery protocol, or for a Byzantine scenario an algorithm. */
static int resolve_protocols(struct sweep_cli *s) {
    bool byz = s->scn->kind == SCN_KIND_BYZANTINE;
    for (uint32_t i = 0; i < s->npnames; i++) {
        int v = byz ? byz_alg_parse(s->pnames[i]) : dlv_parse(s->pnames[i]);
        if (v < 0)
            return cli_unknown_protocol("sweep", s->pnames[i],
                                        byz ? CLI_NAMES_ALGORITHMS : CLI_NAMES_PROTOCOLS);
        if (byz)
            s->algs[i] = v;
        else
            s->plan.protocols[i] = (enum dlv_protocol)v;
    }
    s->plan.nprotocols = s->npnames;
    if (s->npnames) return CLI_OK;
    if (byz) {
        for (uint32_t i = 0; i < s->scn->byz.nalgs; i++) s->algs[i] = (int)s->scn->byz.algs[i];
        s->plan.nprotocols = s->scn->byz.nalgs;
    } else {
        memcpy(s->plan.protocols, s->scn->protocols, sizeof s->plan.protocols);
        s->plan.nprotocols = s->scn->nprotocols;
    }
    return CLI_OK;
}

static int parse_one(struct sweep_cli *s, int c) {
    struct ft_error err = {0};
    unsigned long long j;
    switch (c) {
    case 'd':
        s->db_path = optarg;
        return CLI_OK;
    case 'S':
        s->has_seeds = true;
        if (parse_seeds(optarg, &s->plan) == 0) return CLI_OK;
        fprintf(stderr,
                "ftsim sweep: --seeds expects A..B or N (non-negative integers), got '%s'\n",
                optarg);
        return CLI_USAGE;
    case 'p':
        return add_protocol(s, optarg);
    case 's':
        if (sweep_plan_add_set(&s->plan, optarg, &err) == 0) return CLI_OK;
        fprintf(stderr, "ftsim sweep: %s\n", err.msg);
        return CLI_USAGE;
    case 'j':
        if (cli_parse_u64(optarg, &j) == 0 && j >= 1 && j <= SWEEP_JOBS_MAX) {
            s->jobs = (uint32_t)j;
            return CLI_OK;
        }
        fprintf(stderr, "ftsim sweep: --jobs expects 1 to %u, got '%s'\n", SWEEP_JOBS_MAX, optarg);
        return CLI_USAGE;
    case 'k':
        if (parse_shard(optarg, &s->shard_k, &s->shard_n) == 0) return CLI_OK;
        fprintf(stderr, "ftsim sweep: --shard expects K/N with 1 <= K <= N <= %u, got '%s'\n",
                SWEEP_SHARDS_MAX, optarg);
        return CLI_USAGE;
    case 'h':
        usage(stdout);
        return -1;
    default:
        return CLI_USAGE; /* parse_opts prints the message */
    }
}

static int parse_opts(int argc, char **argv, struct sweep_cli *s) {
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"seeds", required_argument, NULL, 'S'},
        {"protocol", required_argument, NULL, 'p'}, {"set", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},     {"shard", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "d:S:p:s:j:k:h", opts, NULL)) != -1) {
        int rc = c == '?' || c == ':' ? cli_bad_option("sweep", opts, argv) : parse_one(s, c);
        if (rc) return rc;
    }
    int rc = cli_one_scenario("sweep", argc, argv, &s->file);
    if (rc == CLI_OK && !s->db_path) {
        fprintf(stderr, "ftsim sweep: --db OUT.db is required (see 'ftsim sweep --help')\n");
        return CLI_USAGE;
    }
    return rc;
}

/* ---- the scenario of a combination ---- */

static int parse_combo(struct sweep_cli *s, uint64_t combo, struct scenario *out,
                       struct ft_error *err) {
    struct scn_override ov[SWEEP_KEYS_MAX];
    for (uint32_t k = 0; k < s->plan.nkeys; k++)
        ov[k] = (struct scn_override){s->plan.keys[k].path, sweep_value(&s->plan, combo, k)};
    return scn_parse_with(s->file, s->text, s->len, ov, s->plan.nkeys, out, err);
}

/* Reads the file, takes defaults from it and checks every combination before any run. */
static int load_scenarios(struct sweep_cli *s) {
    struct ft_error err = {0};
    int rc = scn_read_file(s->file, &s->text, &s->len, &err);
    if (!rc) rc = scn_parse(s->file, s->text, s->len, s->scn, &err);
    if (rc) return cli_print_load_error("sweep", rc, &err);
    snprintf(s->hash, sizeof s->hash, "%s", s->scn->hash);
    if (!s->has_seeds) {
        s->plan.seed_first = s->scn->seed_first;
        s->plan.seed_last = s->scn->seed_last;
    }
    if ((rc = resolve_protocols(s)) != CLI_OK) return rc;
    if ((rc = sweep_plan_finish(&s->plan, &err)) != 0) {
        fprintf(stderr, "ftsim sweep: %s\n", err.msg);
        return CLI_USAGE;
    }
    scn_meta_fill(s->scn, &s->meta);
    s->names = calloc(s->plan.ncombos, sizeof *s->names);
    if (!s->names) return CLI_INTERNAL;
    for (uint64_t c = 0; c < s->plan.ncombos; c++) {
        if ((rc = parse_combo(s, c, s->scn, &err)) != 0)
            return cli_print_load_error("sweep", rc, &err);
        snprintf(s->names[c], SCN_NAME_MAX, "%s", s->scn->name);
    }
    s->scn_combo = UINT64_MAX;
    return CLI_OK;
}

/* ---- the pool's callbacks ---- */

static int compute(void *ctx, uint64_t index, struct exp_outcome *out, struct exp_stats *stats,
                   struct ft_error *err) {
    struct sweep_cli *s = ctx;
    struct sweep_point pt;
    sweep_point_of(&s->plan, index, &pt);
    if (pt.combo != s->scn_combo) {
        s->scn_combo = UINT64_MAX;
        int rc = parse_combo(s, pt.combo, s->scn, err);
        if (rc) return rc;
        s->scn_combo = pt.combo;
    }
    struct exp_options opt = {.stats = stats};
    return exp_run(&s->scn->pipe, pt.protocol, pt.seed, &opt, out, err);
}

static int store(void *ctx, uint64_t index, const struct exp_outcome *out,
                 const struct exp_stats *stats, struct ft_error *err) {
    struct sweep_cli *s = ctx;
    struct sweep_point pt;
    char params[RES_PARAMS_MAX];
    sweep_point_of(&s->plan, index, &pt);
    if (sweep_params(&s->plan, pt.combo, params, sizeof params) < 0)
        return ft_fail(err, FT_ELIMIT, "the --set values make a params string over %u bytes",
                       RES_PARAMS_MAX - 1);
    struct res_run r = {.scenario = s->names[pt.combo],
                        .scenario_hash = s->hash,
                        .seed = pt.seed,
                        .protocol = dlv_name(pt.protocol),
                        .status = exp_guarantee_held(pt.protocol, out) ? "ok" : "violated",
                        .outcome = out,
                        .params = params,
                        .stats = stats,
                        .file = &s->meta.file};
    int rc = res_store_run(s->db, &r, NULL, err);
    if (!rc) s->stored++;
    return rc;
}

static void failed(void *ctx, uint64_t index, const char *msg) {
    struct sweep_cli *s = ctx;
    struct sweep_point pt;
    char params[RES_PARAMS_MAX];
    sweep_point_of(&s->plan, index, &pt);
    if (sweep_params(&s->plan, pt.combo, params, sizeof params) < 0) params[0] = '\0';
    if (s->tty) fputs("\r\033[K", stderr);
    fprintf(stderr, "ftsim sweep: %s: %s seed %llu%s%s: %s\n", s->file, dlv_name(pt.protocol),
            (unsigned long long)pt.seed, params[0] ? " params " : "", params, msg);
}

static void progress(void *ctx, uint64_t done, uint64_t total) {
    cli_bar_draw(&((struct sweep_cli *)ctx)->bar, done, total);
}

/* ---- the sweep ---- */

/* The runs of this shard that the database lacks, in canonical order. */
static int plan_todo(struct sweep_cli *s, uint64_t **todo, uint64_t *n, uint64_t *in_shard) {
    struct ft_error err = {0};
    uint64_t cap = 1024, k = 0, shard = 0;
    uint64_t *t = malloc(cap * sizeof *t);
    if (!t) return CLI_INTERNAL;
    for (uint64_t i = 0; i < s->plan.nruns; i++) {
        if (!sweep_in_shard(i, s->shard_k, s->shard_n)) continue;
        shard++;
        struct sweep_point pt;
        char params[RES_PARAMS_MAX];
        bool has = false;
        sweep_point_of(&s->plan, i, &pt);
        if (sweep_params(&s->plan, pt.combo, params, sizeof params) < 0) {
            fprintf(stderr, "ftsim sweep: the --set values make a params string over %u bytes\n",
                    RES_PARAMS_MAX - 1);
            free(t);
            return CLI_USAGE;
        }
        if (res_has_run(s->db, s->hash, params, pt.seed, dlv_name(pt.protocol), &has, &err)) {
            fprintf(stderr, "ftsim sweep: %s\n", err.msg);
            free(t);
            return CLI_INTERNAL;
        }
        if (has) continue;
        if (k == cap) {
            uint64_t *g = realloc(t, 2 * cap * sizeof *t);
            if (!g) {
                free(t);
                return CLI_INTERNAL;
            }
            t = g;
            cap *= 2;
        }
        t[k++] = i;
    }
    *todo = t;
    *n = k;
    *in_shard = shard;
    return CLI_OK;
}

/* A Byzantine scenario's runs take milliseconds: they run here, one after another, in
 * the canonical order, skipping what the database has (an exhaustive run's every
 * enumerated placement is a run of its own). */
static int run_byz_sweep(struct sweep_cli *s) {
    uint64_t in_shard = 0, present = 0, total = 0;
    int rc = CLI_OK;
    for (uint64_t i = 0; i < s->plan.nruns; i++) total += sweep_in_shard(i, s->shard_k, s->shard_n);
    s->bar.t0_s = cli_now_s();
    for (uint64_t i = 0; rc == CLI_OK && i < s->plan.nruns; i++) {
        if (!sweep_in_shard(i, s->shard_k, s->shard_n)) continue;
        in_shard++;
        struct sweep_point pt;
        struct ft_error err = {0};
        char params[RES_PARAMS_MAX];
        sweep_point_of(&s->plan, i, &pt);
        if (sweep_params(&s->plan, pt.combo, params, sizeof params) < 0) {
            fprintf(stderr, "ftsim sweep: the --set values make a params string over %u bytes\n",
                    RES_PARAMS_MAX - 1);
            return CLI_USAGE;
        }
        if (pt.combo != s->scn_combo) {
            s->scn_combo = UINT64_MAX;
            if ((rc = parse_combo(s, pt.combo, s->scn, &err)) != 0)
                return cli_print_load_error("sweep", rc, &err);
            s->scn_combo = pt.combo;
        }
        rc = cli_byz_sweep_one(s->scn, s->algs[pt.protocol_index], pt.seed, params, s->db,
                               &s->stored, &present);
        progress(s, in_shard, total);
    }
    double secs = cli_now_s() - s->bar.t0_s;
    printf("sweep %s: %llu points in shard %u/%u (%llu parameter set%s x %u algorithm%s x %llu "
           "seed%s in all): %llu runs already in %s, %llu run, %.1f s (one process: Byzantine "
           "runs take milliseconds)\n",
           s->names[0], (unsigned long long)in_shard, s->shard_k, s->shard_n,
           (unsigned long long)s->plan.ncombos, s->plan.ncombos == 1 ? "" : "s",
           s->plan.nprotocols, s->plan.nprotocols == 1 ? "" : "s",
           (unsigned long long)s->plan.nseeds, s->plan.nseeds == 1 ? "" : "s",
           (unsigned long long)present, s->db_path, (unsigned long long)s->stored, secs);
    return rc;
}

static int run_sweep(struct sweep_cli *s) {
    struct ft_error err = {0};
    int dr = res_open(s->db_path, &s->db, &err);
    if (dr != 0) {
        fprintf(stderr, "ftsim sweep: %s\n", err.msg);
        return cli_db_exit(dr);
    }
    if (s->scn->kind == SCN_KIND_BYZANTINE) return run_byz_sweep(s);
    uint64_t *todo = NULL, n = 0, in_shard = 0, nfailed = 0;
    int rc = plan_todo(s, &todo, &n, &in_shard);
    if (rc) return rc;
    struct sweep_pool_ops ops = {compute, store, failed, progress, s};
    s->bar.t0_s = cli_now_s();
    int prc = sweep_pool_run(todo, n, s->jobs, &ops, &nfailed, &err);
    double secs = cli_now_s() - s->bar.t0_s;
    free(todo);
    if (prc) {
        if (s->tty) fputs("\r\033[K", stderr);
        fprintf(stderr, "ftsim sweep: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    printf("sweep %s: %llu runs in shard %u/%u (%llu parameter set%s x %u protocol%s x %llu "
           "seed%s in all): %llu already in %s, %llu run, %llu failed, %.1f s (%.1f runs/s)\n",
           s->names[0], (unsigned long long)in_shard, s->shard_k, s->shard_n,
           (unsigned long long)s->plan.ncombos, s->plan.ncombos == 1 ? "" : "s",
           s->plan.nprotocols, s->plan.nprotocols == 1 ? "" : "s",
           (unsigned long long)s->plan.nseeds, s->plan.nseeds == 1 ? "" : "s",
           (unsigned long long)(in_shard - n), s->db_path, (unsigned long long)s->stored,
           (unsigned long long)nfailed, secs, secs > 0 ? (double)s->stored / secs : 0.0);
    return nfailed ? CLI_INTERNAL : CLI_OK;
}

int cli_sweep(int argc, char **argv) {
    struct sweep_cli s = {.jobs = 1, .shard_k = 1, .shard_n = 1, .tty = isatty(STDERR_FILENO) != 0};
    s.bar.tty = s.tty;
    cli_interrupt_default(); /* Ctrl-C ends a sweep at once; it resumes from its database */
    int rc = parse_opts(argc, argv, &s);
    if (!rc && !(s.scn = malloc(sizeof *s.scn))) rc = CLI_INTERNAL;
    if (!rc) rc = load_scenarios(&s);
    if (!rc) rc = run_sweep(&s);
    res_close(s.db);
    sweep_plan_free(&s.plan);
    free(s.names);
    free(s.scn);
    free(s.text);
    return rc < 0 ? CLI_OK : rc;
}
