/* `ftsim swarm`: swarm testing of the delivery guarantees (docs/swarm.md). Draws N runs
 * from a base scenario (cli/swarm_gen.c), runs each under every protocol on the sweep's
 * worker pool, judges every run by its protocol's guarantee (cli/scn_verdict.c), writes
 * each violating run as an ordinary scenario file with the line that reproduces it, and
 * sums up: faults tried per kind, violations per protocol, the coverage moments reached
 * and never reached, runs per second. Results, files and --db rows are the same for any
 * --jobs: runs are numbered, judged and stored in that order. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "suggest.h"
#include "progress.h"
#include "scn_verdict.h"
#include "shrink.h"
#include "store.h"
#include "swarm.h"
#include "sweep.h"

static void usage(FILE *f) {
    fputs("usage: ftsim swarm FILE --runs N [--seed S] [--jobs J] [--db OUT.db] [--out DIR]\n"
          "                  [--protocol P]... [--shrink] [--all]\n"
          "\n"
          "Swarm testing of the delivery guarantees. FILE is a base scenario: its nodes,\n"
          "source, query and protocols. Run j (0 <= j < N) draws, from a stream named by S and\n"
          "j, a random subset of fault kinds (crashes at steps and at times of workers, broker,\n"
          "sink and source; drops of each message kind; network loss, duplication, reordering,\n"
          "jitter; partitions that heal; consumer-group evictions), then their faults, each\n"
          "healed or restarted early enough for the run to converge, and a seed K. The draft\n"
          "is checked by the scenario loader (a refused one is counted and drawn again) and\n"
          "runs under every protocol. A run is judged by its protocol's guarantee:\n"
          "at-most-once never duplicates, at-least-once never loses, every exactly-once\n"
          "variant loses and duplicates nothing and matches the reference, and the window\n"
          "table matches its reference where the protocol promises it (docs/swarm.md); with\n"
          "a model (docs/ml.md) its input is promised as the output is (none lost where\n"
          "lost is promised, none consumed twice where duplicated is). The base's expect:\n"
          "keys that describe its own faults do not apply. A run that loses records is run\n"
          "again with 300 s more drain (or 300 x max_timeout when longer): if it then holds\n"
          "it is reported late, not violated.\n"
          "\n"
          "  --runs N        runs to draw (1 to 100000)\n"
          "  --seed S        the swarm's seed (default 1)\n"
          "  --jobs J        J worker processes (default 1); the results do not depend on J\n"
          "  --db FILE       also store every run as `ftsim sweep` does (params: swarm, run)\n"
          "  --out DIR       where violating runs are written as DIR/NAME.yaml, each a\n"
          "                  complete scenario (default: swarm-NAME)\n"
          "  --protocol P    judge only P (repeatable; default: the base's protocols)\n"
          "  --shrink        shrink every violation (as `ftsim shrink`) into DIR/NAME-P-min.yaml\n"
          "  --all           write every run's file, not only the violating ones\n"
          "  --help          this text\n"
          "\n"
          "Prints a progress bar on a terminal, then: runs, drafts refused, faults tried per\n"
          "kind, violations per protocol, the coverage moments reached (runs that reached\n"
          "each) and never reached, runs per second, and per violation its file and the line\n"
          "  ftsim run DIR/NAME.yaml --seed K --protocol P\n"
          "that reproduces it. Exit status: 0 no violation, 1 a guarantee was violated,\n"
          "2 bad input, 3 a run failed.\n",
          f);
}

struct swarm_cli {
    const char *file, *db_path;
    char out_dir[FT_ERROR_FILE_MAX];
    uint64_t runs, seed;
    uint32_t jobs;
    bool shrink, all, has_out;
    enum dlv_protocol protocols[DLV_COUNT];
    uint32_t nprotocols;
    struct swarm_base base;
    struct swarm_run *run;   /* per run j */
    struct scenario *scn;    /* the run a worker parsed last */
    uint64_t scn_run;        /* UINT64_MAX: none */
    struct exp_outcome *out; /* per index j * nprotocols + i */
    bool *done;
    struct res_db *db;
    /* --db: results kept until every earlier index is stored (the pool finishes them in
     * any order) */
    struct exp_stats *held;
    uint64_t next_store;
    struct cli_bar bar;
    uint64_t failed;
};

/* ---- options ---- */

static int add_protocol(struct swarm_cli *s, const char *name) {
    int p = dlv_parse(name);
    if (p < 0) return cli_unknown_protocol("swarm", name, CLI_NAMES_PROTOCOLS);
    for (uint32_t i = 0; i < s->nprotocols; i++)
        if (s->protocols[i] == (enum dlv_protocol)p) {
            fprintf(stderr, "ftsim swarm: --protocol %s is given twice\n", name);
            return CLI_USAGE;
        }
    s->protocols[s->nprotocols++] = (enum dlv_protocol)p;
    return CLI_OK;
}

static int parse_one(struct swarm_cli *s, int c) {
    unsigned long long v;
    switch (c) {
    case 'n':
        if (cli_parse_u64(optarg, &v) == 0 && v >= 1 && v <= SWARM_RUNS_MAX) {
            s->runs = v;
            return CLI_OK;
        }
        fprintf(stderr, "ftsim swarm: --runs expects 1 to %u, got '%s'\n", SWARM_RUNS_MAX, optarg);
        return CLI_USAGE;
    case 's':
        if (cli_parse_u64(optarg, &v) == 0) {
            s->seed = v;
            return CLI_OK;
        }
        fprintf(stderr, "ftsim swarm: --seed expects a non-negative integer, got '%s'\n", optarg);
        return CLI_USAGE;
    case 'j':
        if (cli_parse_u64(optarg, &v) == 0 && v >= 1 && v <= SWEEP_JOBS_MAX) {
            s->jobs = (uint32_t)v;
            return CLI_OK;
        }
        fprintf(stderr, "ftsim swarm: --jobs expects 1 to %u, got '%s'\n", SWEEP_JOBS_MAX, optarg);
        return CLI_USAGE;
    case 'd':
        s->db_path = optarg;
        return CLI_OK;
    case 'o':
        snprintf(s->out_dir, sizeof s->out_dir, "%s", optarg);
        s->has_out = true;
        return CLI_OK;
    case 'p':
        return add_protocol(s, optarg);
    case 'S':
        s->shrink = true;
        return CLI_OK;
    case 'a':
        s->all = true;
        return CLI_OK;
    case 'h':
        usage(stdout);
        return -1;
    default:
        usage(stderr);
        return CLI_USAGE;
    }
}

static int parse_opts(int argc, char **argv, struct swarm_cli *s) {
    static const struct option opts[] = {
        {"runs", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'}, {"db", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},  {"protocol", required_argument, NULL, 'p'},
        {"shrink", no_argument, NULL, 'S'},     {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "n:s:j:d:o:p:Sah", opts, NULL)) != -1) {
        if (c == '?' || c == ':') return cli_bad_option("swarm", opts, argv);
        int rc = parse_one(s, c);
        if (rc) return rc;
    }
    int rc = cli_one_scenario("swarm", argc, argv, &s->file);
    if (rc == CLI_OK && !s->runs) {
        fprintf(stderr, "ftsim swarm: --runs N is required (see 'ftsim swarm --help')\n");
        return CLI_USAGE;
    }
    return rc;
}

/* mkdir -p */
static int make_dir(const char *path) {
    char buf[FT_ERROR_FILE_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

/* ---- the pool's callbacks ---- */

static int compute(void *ctx, uint64_t index, struct exp_outcome *out, struct exp_stats *stats,
                   struct ft_error *err) {
    struct swarm_cli *s = ctx;
    uint64_t j = index / s->base.nprotocols;
    const struct swarm_run *r = &s->run[j];
    if (s->scn_run != j) {
        char path[FT_ERROR_FILE_MAX];
        s->scn_run = UINT64_MAX;
        swarm_run_path(&s->base, r->name, path, sizeof path);
        int rc = scn_parse(path, r->text, r->len, s->scn, err);
        if (rc) return rc;
        s->scn_run = j;
    }
    struct exp_options opt = {.stats = s->db ? stats : NULL};
    return exp_run(&s->scn->pipe, s->base.protocols[index % s->base.nprotocols], r->seed, &opt, out,
                   err);
}

static void params_of(const struct swarm_cli *s, uint64_t j, char *buf, size_t size) {
    int n = snprintf(buf, size, "swarm=%llu,run=%llu,kinds=", (unsigned long long)s->seed,
                     (unsigned long long)j);
    for (int k = 0; k < SW_KINDS && n > 0 && (size_t)n < size; k++)
        if (s->run[j].kinds >> k & 1)
            n += snprintf(buf + n, size - (size_t)n, "%s%s", buf[n - 1] == '=' ? "" : "+",
                          swarm_kind_name((enum swarm_kind)k));
}

/* Stores index (its outcome and held statistics) in the database. */
static int store_index(struct swarm_cli *s, uint64_t index, struct ft_error *err) {
    uint64_t j = index / s->base.nprotocols;
    enum dlv_protocol p = s->base.protocols[index % s->base.nprotocols];
    char params[RES_PARAMS_MAX];
    params_of(s, j, params, sizeof params);
    struct res_run rr = {.scenario = s->run[j].name,
                         .scenario_hash = s->run[j].hash,
                         .seed = s->run[j].seed,
                         .protocol = dlv_name(p),
                         .status = exp_guarantee_held(p, &s->out[index]) ? "ok" : "violated",
                         .outcome = &s->out[index],
                         .params = params,
                         .stats = &s->held[index]};
    int rc = res_store_run(s->db, &rr, NULL, err);
    exp_stats_free(&s->held[index]);
    return rc;
}

static int copy_array(void **dst, const void *src, size_t n, size_t size) {
    *dst = malloc(n ? n * size : 1);
    if (!*dst) return FT_ENOMEM;
    if (n) memcpy(*dst, src, n * size);
    return 0;
}

static int hold_stats(struct exp_stats *d, const struct exp_stats *st) {
    *d = *st;
    d->buckets = NULL, d->markers = NULL, d->windows = NULL, d->watermarks = NULL, d->lambda = NULL;
    d->markers_cap = st->nmarkers;
    int rc = copy_array((void **)&d->buckets, st->buckets, st->nbuckets, sizeof *st->buckets);
    if (!rc) rc = copy_array((void **)&d->markers, st->markers, st->nmarkers, sizeof *st->markers);
    if (!rc) rc = copy_array((void **)&d->windows, st->windows, st->nwindows, sizeof *st->windows);
    if (!rc)
        rc = copy_array((void **)&d->watermarks, st->watermarks, st->nwatermarks,
                        sizeof *st->watermarks);
    if (!rc) rc = copy_array((void **)&d->lambda, st->lambda, st->nlambda, sizeof *st->lambda);
    return rc;
}

static int store(void *ctx, uint64_t index, const struct exp_outcome *out,
                 const struct exp_stats *stats, struct ft_error *err) {
    struct swarm_cli *s = ctx;
    s->out[index] = *out;
    s->done[index] = true;
    if (!s->db) return 0;
    if (hold_stats(&s->held[index], stats)) return ft_fail(err, FT_ENOMEM, "out of memory");
    uint64_t total = s->runs * s->base.nprotocols;
    int rc = 0;
    while (!rc && s->next_store < total &&
           (s->done[s->next_store] || !s->run[s->next_store / s->base.nprotocols].ok)) {
        if (s->done[s->next_store]) rc = store_index(s, s->next_store, err);
        s->next_store++;
    }
    return rc;
}

static void failed(void *ctx, uint64_t index, const char *msg) {
    struct swarm_cli *s = ctx;
    uint64_t j = index / s->base.nprotocols;
    s->failed++;
    if (s->bar.tty) fputs("\r\033[K", stderr);
    fprintf(stderr, "ftsim swarm: run %llu (%s) %s seed %llu: %s\n", (unsigned long long)j,
            s->run[j].name, dlv_name(s->base.protocols[index % s->base.nprotocols]),
            (unsigned long long)s->run[j].seed, msg);
}

static void progress(void *ctx, uint64_t done, uint64_t total) {
    cli_bar_draw(&((struct swarm_cli *)ctx)->bar, done, total);
}

/* ---- the swarm ---- */

static int generate(struct swarm_cli *s) {
    s->run = calloc(s->runs, sizeof *s->run);
    if (!s->run) return CLI_INTERNAL;
    for (uint64_t j = 0; j < s->runs; j++)
        if (swarm_generate(&s->base, j, &s->run[j])) return CLI_INTERNAL;
    return CLI_OK;
}

static int run_pool(struct swarm_cli *s) {
    uint64_t total = s->runs * s->base.nprotocols, n = 0, nfailed = 0;
    uint64_t *todo = malloc(total * sizeof *todo);
    s->out = calloc(total, sizeof *s->out);
    s->done = calloc(total, sizeof *s->done);
    s->held = s->db_path ? calloc(total, sizeof *s->held) : NULL;
    if (!todo || !s->out || !s->done || (s->db_path && !s->held)) {
        free(todo);
        return CLI_INTERNAL;
    }
    for (uint64_t i = 0; i < total; i++)
        if (s->run[i / s->base.nprotocols].ok) todo[n++] = i;
    struct ft_error err = {0};
    struct sweep_pool_ops ops = {compute, store, failed, progress, s};
    s->bar.t0_s = cli_now_s();
    int rc = sweep_pool_run(todo, n, s->jobs, &ops, &nfailed, &err);
    free(todo);
    if (rc) {
        if (s->bar.tty) fputs("\r\033[K", stderr);
        fprintf(stderr, "ftsim swarm: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    return nfailed ? CLI_INTERNAL : CLI_OK;
}

int cli_swarm(int argc, char **argv) {
    struct swarm_cli s = {.seed = 1, .jobs = 1, .scn_run = UINT64_MAX};
    s.bar.tty = isatty(STDERR_FILENO) != 0;
    cli_interrupt_default(); /* Ctrl-C ends a swarm at once, as it would a sweep */
    int rc = parse_opts(argc, argv, &s);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (!s.has_out) {
        const char *slash = strrchr(s.file, '/'), *base = slash ? slash + 1 : s.file;
        size_t len = strlen(base);
        if (len > 5 && !strcmp(base + len - 5, ".yaml")) len -= 5;
        snprintf(s.out_dir, sizeof s.out_dir, "swarm-%.*s", (int)len, base);
    }
    if (make_dir(s.out_dir)) {
        fprintf(stderr, "ftsim swarm: cannot create the directory %s\n", s.out_dir);
        return CLI_INTERNAL;
    }
    rc = swarm_base_open(&s.base, s.file, s.seed, s.protocols, s.nprotocols, s.out_dir);
    if (!rc && !(s.scn = malloc(sizeof *s.scn))) rc = CLI_INTERNAL;
    struct ft_error err = {0};
    if (!rc && s.db_path && res_open(s.db_path, &s.db, &err)) {
        fprintf(stderr, "ftsim swarm: %s\n", err.msg);
        rc = CLI_INTERNAL;
    }
    if (!rc) rc = generate(&s);
    if (!rc) rc = run_pool(&s);
    double secs = cli_now_s() - s.bar.t0_s;
    if (!rc) rc = swarm_report(&s.base, s.run, s.runs, s.out, s.all, s.shrink, secs);
    for (uint64_t j = 0; s.run && j < s.runs; j++)
        swarm_run_free(&s.run[j]);
    for (uint64_t i = 0; s.held && i < s.runs * s.base.nprotocols; i++)
        exp_stats_free(&s.held[i]);
    free(s.held);
    free(s.run);
    free(s.out);
    free(s.done);
    free(s.scn);
    res_close(s.db);
    swarm_base_close(&s.base);
    return rc;
}
