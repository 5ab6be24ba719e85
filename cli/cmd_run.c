/* `ftsim run`: runs every protocol a scenario lists (or those given) on one seed and
 * prints the comparison as a table or one JSON object (cmd_run_print.c); optionally
 * stores each run in the results database, one transaction per run, with its statistics
 * over time and, with --trace (cmd_run_trace.c), its full trace (buffered in memory,
 * bulk-inserted with the run). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_run.h"
#include "experiment.h"
#include "plot.h"
#include "progress.h"
#include "scenario.h"
#include "scn_meta.h"
#include "store.h"
#include "suggest.h"
#include "trace_filter.h"

static void usage(FILE *f) {
    fputs("usage: ftsim run FILE|NAME [--seed N] [--protocol P]... [--db FILE] [--out DIR]\n"
          "                [--json] [--trace] [--record R] [--from T --to T] [--node NAME]...\n"
          "                [--events group|checkpoint|faults] [--plot DIR]\n"
          "\n"
          "Runs the scenario FILE (or NAME: a scenario found by name, e.g. lost-ack, in\n"
          "./scenarios or the installed scenarios, as 'ftsim list' shows) under each\n"
          "protocol it lists (or each --protocol) with the same seed and prints, per\n"
          "protocol: records sent, delivered (distinct), lost, duplicated (extra copies),\n"
          "whether the warehouse matches the reference, and the trace hash. The same FILE\n"
          "and seed always print the same numbers. A long run shows its progress on a\n"
          "terminal; Ctrl-C stops it (exit status 3). Every run has an event budget (1000\n"
          "per source record, plus timers): a scenario whose faults keep the simulator busy\n"
          "without progress stops with exit status 2. A scenario with\n"
          "a windowed query (pipeline:) then prints, per protocol, its window table (window,\n"
          "key, value, emitted at, final) with the late contributions dropped and whether\n"
          "it matches the no-lateness reference; --json has it as \"windows\". A scenario\n"
          "with a model (a kmeans or linear_regression pipeline) prints under each protocol\n"
          "its model line: updates, the records the model consumed, lost and duplicated\n"
          "(against the generated records), its final and mean error against the true\n"
          "model, and how far it ends from the model the same seed learns without faults;\n"
          "--json has it, with every update's measurements, as \"model\". A Byzantine\n"
          "scenario prints, per algorithm, IC1, IC2, messages, signatures and decisions (or,\n"
          "with exhaustive: true, one row per placement of traitors, strategy and order).\n"
          "A protocol whose lost records were partly still in flight when the run ended\n"
          "(being retried, or in a partition's log above its committed offset) gets a\n"
          "warning line: a longer drain may deliver them (docs/scenario-format.md, \"How\n"
          "much drain\"); --json has \"in_flight_at_end\" and \"worker_crashes\". So does\n"
          "a window task left without a running host (\"tasks_idle_at_end\").\n"
          "\n",
          f);
    fputs("  --seed N        seed of the run (default: the file's `seed:`)\n"
          "  --protocol P    run only P (repeatable): at-most-once, at-least-once,\n"
          "                  exactly-once, exactly-once-txn, exactly-once-checkpoint; for a\n"
          "                  Byzantine scenario an algorithm: om, sm, dolev-strong\n"
          "  --db FILE       also store each run, its outcome and its time series (or, for a\n"
          "                  Byzantine scenario, its agreement row) in the SQLite FILE\n"
          "                  (docs/results-schema.md)\n"
          "  --out DIR       write what the sink committed under DIR/PROTOCOL/: the lake\n"
          "                  (lake/partition=P/part-N.jsonl) and/or the warehouse\n"
          "                  (warehouse.db, a SQLite file), as the scenario's sink says\n"
          "                  (default: the sink's path: in the file, else nothing)\n"
          "  --plot DIR      also draw the scenario's figures (ftsim plot) into DIR, from\n"
          "                  its runs, stored in DIR/SCENARIO.db (made afresh; not with --db)\n"
          "  --json          print one JSON object instead of the table (with \"moments\":\n"
          "                  the coverage moments the run reached, docs/swarm.md)\n"
          "  --trace         print every trace event (one line each) before the results;\n"
          "                  with --db also store them in the events table\n"
          "  --help          this text\n"
          "\n",
          f);
    fputs("Trace lines: protocol, simulated time, event, node, then for a message the peer\n"
          "(-> to, <- from), its kind, the source record it carries (r28; blank for\n"
          "heartbeats, assigns, inits and checkpoint messages; a commit names the last\n"
          "record of its transaction) and the simulator's message id, e.g.\n"
          "  0.170400 s  drop  worker-1 -> broker  ack  r28  msg 183 (rule)\n"
          "(docs/lecture-guide.md, \"Stepping through one run\").\n"
          "\n"
          "Filters choose which trace lines print; each implies --trace and a line prints\n"
          "only when every filter given keeps it. The runs, their numbers and trace hashes\n"
          "are those of the full trace, and --db still stores every event.\n"
          "  --record R      the events of source record R: its messages (send, deliver,\n"
          "                  drop, dup), the sink making it visible, a crash at a step of\n"
          "                  R; and, as context, every start, crash, restart, partition,\n"
          "                  heal, group event (joined, evicted, partition moves, fenced),\n"
          "                  checkpoint event and crash at a checkpoint step\n"
          "  --from T, --to T  events from T to T inclusive, e.g. 2.5s, 2500ms (both or\n"
          "                  neither)\n"
          "  --events K      only events of kind K (comma-separated): group (a worker joined\n"
          "                  or was evicted, a partition moved, a stale owner fenced),\n"
          "                  checkpoint (exactly-once-checkpoint's steps), faults (crashes,\n"
          "                  restarts, partitions, heals, messages a drop: rule removed);\n"
          "                  group and checkpoint keep crashes, restarts, partitions and heals\n"
          "  --node NAME     events at NAME or with NAME as peer (repeatable; as the trace\n"
          "                  names them: source, broker, worker-1, ..., sink; a Byzantine\n"
          "                  scenario's commander, lieutenant-1, ... or gateway, replica-1,\n"
          "                  ..., sink); a partition or heal concerns every node\n"
          "A Byzantine scenario takes --from/--to and --node; it has no records.\n"
          "\n"
          "Example: the record whose ack lost-ack.yaml drops, redelivered by the broker:\n"
          "  ftsim run scenarios/lost-ack.yaml --protocol at-least-once --record 28\n",
          f);
}

struct run_opts {
    unsigned long long seed;
    bool has_seed, json, trace;
    struct cli_trace_filter filter; /* --record, --from/--to, --node (imply trace) */
    const char *db, *out;
    const char *plot; /* --plot DIR */
    uint32_t nprotocols;
    enum dlv_protocol protocols[DLV_COUNT];
    uint32_t nalgs; /* Byzantine algorithms given with --protocol */
    int algs[BYZ_ALG_COUNT];
};

static int parse_opts(int argc, char **argv, struct run_opts *o, const char **file) {
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"plot", required_argument, NULL, 'g'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"trace", no_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"record", required_argument, NULL, CLI_OPT_RECORD},
                                         {"from", required_argument, NULL, CLI_OPT_FROM},
                                         {"to", required_argument, NULL, CLI_OPT_TO},
                                         {"node", required_argument, NULL, CLI_OPT_NODE},
                                         {"events", required_argument, NULL, CLI_OPT_EVENTS},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "s:p:d:o:jth", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &o->seed) != 0) {
                fprintf(stderr, "ftsim run: --seed expects a non-negative integer, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            o->has_seed = true;
            break;
        case 'p': {
            int p = dlv_parse(optarg), a = p < 0 ? byz_alg_parse(optarg) : -1;
            if (p < 0 && a < 0) return cli_unknown_protocol("run", optarg, CLI_NAMES_BOTH);
            if (p >= 0 && o->nprotocols < DLV_COUNT)
                o->protocols[o->nprotocols++] = (enum dlv_protocol)p;
            if (a >= 0 && o->nalgs < BYZ_ALG_COUNT) o->algs[o->nalgs++] = a;
            break;
        }
        case 'd': o->db = optarg; break;
        case 'g':
            o->plot = optarg;
            break;
        case 'o': o->out = optarg; break;
        case 'j': o->json = true; break;
        case 't': o->trace = true; break;
        case CLI_OPT_RECORD:
        case CLI_OPT_FROM:
        case CLI_OPT_TO:
        case CLI_OPT_NODE:
        case CLI_OPT_EVENTS:
            if (cli_filter_opt("run", c, optarg, &o->filter) != CLI_OK) return CLI_USAGE;
            o->trace = true;
            break;
        case 'h': usage(stdout); return -1;
        default:
            return cli_bad_option("run", opts, argv);
        }
    }
    int rc = cli_one_operand("run", "scenario FILE", argc, argv, file);
    return rc ? rc : cli_filter_check("run", &o->filter);
}

int cli_print_load_error(const char *cmd, int rc, const struct ft_error *err) {
    const char *msg = err->msg[0] ? err->msg : ft_strerror(rc);
    if (err->file[0] && err->line)
        fprintf(stderr, "%s:%d:%d: %s\n", err->file, err->line, err->col, msg);
    else if (err->file[0] && !strstr(msg, err->file)) /* every error names its file */
        fprintf(stderr, "ftsim %s: %s: %s\n", cmd, err->file, msg);
    else
        fprintf(stderr, "ftsim %s: %s\n", cmd, msg);
    return rc == FT_EPARSE || rc == FT_EIO ? CLI_USAGE : CLI_INTERNAL;
}

int cli_db_exit(int rc) {
    return rc == FT_EPARSE || rc == FT_EIO ? CLI_USAGE : CLI_INTERNAL;
}

int cli_run_exit(int rc) {
    return rc == FT_ELIMIT || rc == FT_EPARSE ? CLI_USAGE : CLI_INTERNAL;
}

/* --protocol and --record against the kind of scenario the file turned out to be. */
static int check_kind(const struct run_opts *o, const struct scenario *scn) {
    bool byz = scn->kind == SCN_KIND_BYZANTINE;
    if (byz ? o->nprotocols != 0 : o->nalgs != 0) {
        fprintf(stderr, "ftsim run: %s runs %s, so --protocol takes %s\n", scn->file,
                byz ? "Byzantine agreement" : "delivery protocols",
                byz ? "om, sm or dolev-strong" : "a delivery protocol (see 'ftsim list')");
        return CLI_USAGE;
    }
    if (byz && o->filter.events) {
        fprintf(stderr,
                "ftsim run: %s runs Byzantine agreement; --events chooses a pipeline's group, "
                "checkpoint and fault events; --from/--to and --node filter its trace\n",
                scn->file);
        return CLI_USAGE;
    }
    if (byz && o->filter.has_record) {
        fprintf(stderr,
                "ftsim run: %s runs Byzantine agreement, which has no source records to "
                "follow; --from/--to and --node filter its trace\n",
                scn->file);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --node against the pipeline's nodes: source, broker, worker-1..W, sink. */
static int resolve_nodes(struct run_opts *o, const struct scenario *scn) {
    char buf[PIPE_WORKERS_MAX + 4][PIPE_NAME_MAX];
    const char *names[PIPE_WORKERS_MAX + 4];
    uint32_t n = pipe_node_count(&scn->pipe);
    for (uint32_t i = 0; i < n; i++)
        names[i] = pipe_node_name(&scn->pipe, i, buf[i], sizeof buf[i]);
    return cli_filter_nodes("run", scn->file, &o->filter, names, n);
}

/* Runs one protocol, prints its row and stores it (with its statistics — time series,
 * quantiles, markers, a window query's log and watermark, the lambda series, as
 * `ftsim sweep` stores them — and with --trace its events) when --db is given. */
static int run_one(const struct run_opts *o, const struct scenario *scn, struct res_db *db,
                   const char *file, uint64_t seed, enum dlv_protocol p, bool first,
                   struct trace_printer *tp, struct exp_stats *stats, struct exp_outcome *outp,
                   struct exp_windows *win, struct exp_lambda *lam,
                   struct exp_model_rows *model) {
    const char *pname = dlv_name(p);
    struct ft_error err = {0};
    tp->protocol = pname;
    tp->nevents = 0;
    tp->overflow = false;
    tp->of_record = 0;
    char label[SCN_NAME_MAX + 32];
    snprintf(label, sizeof label, "%s %s", scn->name, pname);
    struct cli_progress prog = {.label = label,
                                .end_ns = scn->pipe.duration_ns + scn->pipe.drain_ns,
                                .tty = isatty(STDERR_FILENO) != 0};
    struct exp_options eo = {.trace = o->trace ? cli_run_print_event : NULL,
                             .trace_ctx = tp,
                             .stats = db ? stats : NULL,
                             .progress = cli_progress,
                             .progress_ctx = &prog};
    if (scn->pipe.lambda.enabled) eo.lambda = lam;
    if (scn->pipe.ml.spec.kind != ML_NONE && o->json) eo.model = model;
    char dir[PIPE_PATH_MAX + 64];
    const char *base = o->out ? o->out : scn->pipe.sink.path[0] ? scn->pipe.sink.path : NULL;
    struct pipe_sink_meta meta = {.scenario = scn->name, .protocol = pname, .seed = seed};
    if (base) {
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", base, pname) >= sizeof dir) {
            fprintf(stderr, "ftsim run: --out: the directory name is too long\n");
            return CLI_USAGE;
        }
        eo.sink_dir = dir;
        eo.sink_meta = &meta;
    }
    struct exp_outcome out;
    int rc = exp_run_windows(&scn->pipe, p, seed, &eo, &out, win, &err);
    cli_progress_clear(&prog);
    if (rc != 0) {
        fprintf(stderr, "ftsim run: %s: %s: %s\n", file, pname, err.msg);
        return cli_run_exit(rc);
    }
    *outp = out;
    if (o->filter.has_record && !tp->of_record)
        fprintf(stderr, "ftsim run: %s: %s: no message carries record %llu (%llu records sent)\n",
                file, pname, (unsigned long long)o->filter.record, (unsigned long long)out.sent);
    if (o->json)
        cli_run_print_json(pname, &out, win, lam, model, first);
    else if (o->trace) /* the trace lines above: the row needs its header again */
        cli_run_print_header();
    if (!o->json) cli_run_print_row(pname, &out);
    if (!o->json && !o->trace && out.in_flight_at_end)
        printf("  %-15s warning: %llu of the %llu lost records were still in flight when the "
               "run ended (drain %.3f s): a longer drain may deliver them\n",
               "", (unsigned long long)out.in_flight_at_end, (unsigned long long)out.lost,
               (double)scn->pipe.drain_ns / 1e9);
    if (!o->json && !o->trace && out.window_tasks_idle)
        printf("  %-15s warning: %llu window task%s had no running host when the run ended (a "
               "host down, or a rebalance or rollback in progress): %s windows stay open; a "
               "longer drain may close them\n",
               "", (unsigned long long)out.window_tasks_idle, out.window_tasks_idle > 1 ? "s" : "",
               out.window_tasks_idle > 1 ? "their" : "its");
    if (!o->json && !o->trace && (out.rejected || base))
        printf("  %-15s warehouse rejected %llu rows (missing %llu, type %llu, range %llu)%s%s\n",
               "", (unsigned long long)out.rejected, (unsigned long long)out.rejected_by[1],
               (unsigned long long)out.rejected_by[2], (unsigned long long)out.rejected_by[3],
               base ? "; files in " : "", base ? dir : "");
    if (!o->json && !o->trace && out.lambda_enabled)
        printf("  %-15s lambda: %llu batch views; served vs reference: max |diff| %llu, "
               "overcount %llu, %s at the end; max staleness %.3f s, batch view age %.3f s\n",
               "", (unsigned long long)out.lambda_batches, (unsigned long long)out.lambda_max_diff,
               (unsigned long long)out.lambda_overcount,
               out.lambda_final_match ? "equal" : "DIFFERENT",
               (double)out.lambda_max_staleness_ns / 1e9, (double)out.lambda_max_batch_age_ns / 1e9);
    if (!o->json && !o->trace && out.model_enabled) cli_run_print_model(&out);
    if (!db) return CLI_OK;
    if (tp->overflow) {
        fprintf(stderr,
                "ftsim run: %s: %s: the trace has more events than --trace --db keeps "
                "(%u) or memory allows\n",
                file, pname, RUN_TRACE_EVENTS_MAX);
        return CLI_INTERNAL;
    }
    struct scn_meta file_meta;
    scn_meta_fill(scn, &file_meta);
    const struct res_run rr = {.scenario = scn->name,
                               .scenario_hash = scn->hash,
                               .seed = seed,
                               .protocol = pname,
                               .status = exp_guarantee_held(p, &out) ? "ok" : "violated",
                               .outcome = &out,
                               .stats = stats,
                               .events = tp->keep ? tp->events : NULL,
                               .nevents = tp->keep ? tp->nevents : 0,
                               .event_label = cli_run_event_label,
                               .file = &file_meta.file};
    if (res_store_run(db, &rr, NULL, &err) != 0) {
        fprintf(stderr, "ftsim run: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    return CLI_OK;
}

/* --plot DIR: the runs go to DIR/SCENARIO.db, made afresh, which o->db then names. */
static int plot_db(struct run_opts *o, const struct scenario *scn, char *path, size_t size) {
    if (!o->plot) return CLI_OK;
    if (o->db) {
        fprintf(stderr, "ftsim run: --plot keeps its own database in DIR; give --db or --plot, "
                        "then `ftsim plot DB --out DIR`\n");
        return CLI_USAGE;
    }
    struct ft_error err = {0};
    char slug[SCN_NAME_MAX];
    snprintf(slug, sizeof slug, "%s", scn->name);
    for (char *p = slug; *p; p++)
        if (*p == '/') *p = '-';
    int k = snprintf(path, size, "%s/%s.db", o->plot, slug);
    if (k < 0 || (size_t)k >= size) {
        fprintf(stderr, "ftsim run: --plot %s: path too long\n", o->plot);
        return CLI_USAGE;
    }
    if (plot_mkdir(o->plot, &err) != 0) {
        fprintf(stderr, "ftsim run: --plot: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    static const char *const ext[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[PLOT_PATH_MAX + 8];
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        remove(p);
    }
    o->db = path;
    return CLI_OK;
}

/* After the runs: every figure of DIR/SCENARIO.db into DIR, one line per image. */
static int draw_plots(const struct run_opts *o) {
    struct plot_options po = {.db = o->db, .out_dir = o->plot, .format = PLOT_PNG, .notes = NULL};
    struct plot_report *rep = malloc(sizeof *rep);
    struct ft_error err = {0};
    if (!rep) return CLI_INTERNAL;
    int rc = plot_all(&po, rep, &err);
    if (rc) fprintf(stderr, "ftsim run: --plot: %s\n", err.msg);
    for (uint32_t i = 0; !rc && i < rep->written; i++)
        fprintf(o->json ? stderr : stdout, "figure: %s/%s.png\n", o->plot, rep->names[i]);
    free(rep);
    return rc == 0 ? CLI_OK : rc == FT_EINVAL || rc == FT_EDB ? CLI_USAGE : CLI_INTERNAL;
}

int cli_run(int argc, char **argv) {
    struct run_opts o = {0};
    const char *file = NULL;
    int rc = parse_opts(argc, argv, &o, &file);
    if (rc) return rc < 0 ? CLI_OK : rc;
    char found[CLI_DIR_MAX + 256];
    file = cli_scenario_path(file, found, sizeof found); /* `ftsim run lost-ack` */
    struct scenario *scn = malloc(sizeof *scn);
    if (!scn) return CLI_INTERNAL;
    struct ft_error err = {0};
    rc = scn_load(file, scn, &err);
    if (rc) {
        free(scn);
        return cli_print_load_error("run", rc, &err);
    }
    char plot_path[PLOT_PATH_MAX];
    if ((rc = plot_db(&o, scn, plot_path, sizeof plot_path)) != CLI_OK) {
        free(scn);
        return rc;
    }
    uint64_t seed = o.has_seed ? o.seed : scn->seed;
    if ((rc = check_kind(&o, scn)) != CLI_OK || scn->kind == SCN_KIND_BYZANTINE) {
        struct res_db *bdb = NULL;
        int dr = rc == CLI_OK && o.db ? res_open(o.db, &bdb, &err) : 0;
        if (dr != 0) {
            fprintf(stderr, "ftsim run: %s\n", err.msg);
            rc = cli_db_exit(dr);
        }
        if (rc == CLI_OK)
            rc = cli_byz_run(scn, seed, o.algs, o.nalgs, o.json, o.trace, &o.filter, bdb);
        res_close(bdb);
        if (o.plot && (rc == CLI_OK || rc == CLI_VIOLATED)) {
            int prc = draw_plots(&o);
            rc = prc != CLI_OK ? prc : rc;
        }
        free(scn);
        return rc;
    }
    if ((rc = resolve_nodes(&o, scn)) != CLI_OK) {
        free(scn);
        return rc;
    }
    if (!o.nprotocols) {
        o.nprotocols = scn->nprotocols;
        memcpy(o.protocols, scn->protocols, sizeof o.protocols);
    }
    struct res_db *db = NULL;
    if (o.db && (rc = res_open(o.db, &db, &err)) != 0) {
        fprintf(stderr, "ftsim run: %s\n", err.msg);
        free(scn);
        return cli_db_exit(rc);
    }
    if (o.json) {
        printf("{\"scenario\":");
        cli_run_json_str(scn->name);
        printf(",\"seed\":%llu,\"runs\":[", (unsigned long long)seed);
    } else if (!o.trace) {
        printf("scenario %s, seed %llu: %s\n\n", scn->name, (unsigned long long)seed, scn->about);
        cli_run_print_header();
    }
    int exit_code = CLI_OK;
    struct exp_stats stats = {0};
    struct trace_printer tp = {.scn = scn, .keep = o.trace && db, .filter = &o.filter};
    struct exp_windows win[DLV_COUNT] = {{0}};
    struct exp_lambda lam[DLV_COUNT] = {{0}};
    struct exp_model_rows model[DLV_COUNT] = {{0}};
    struct exp_outcome outs[DLV_COUNT];
    uint32_t ran = 0;
    for (uint32_t i = 0; i < o.nprotocols && exit_code == CLI_OK; i++) {
        exit_code = run_one(&o, scn, db, file, seed, o.protocols[i], i == 0, &tp, &stats,
                            &outs[i], &win[i], &lam[i], &model[i]);
        if (exit_code == CLI_OK) ran = i + 1;
    }
    for (uint32_t i = 0; !o.json && scn->pipe.query.enabled && i < ran; i++) {
        const char *same =
            i && cli_run_same_rows(&win[i - 1], &win[i]) ? dlv_name(o.protocols[i - 1]) : NULL;
        cli_run_print_windows(scn, dlv_name(o.protocols[i]), &outs[i], &win[i], same);
    }
    for (uint32_t i = 0; i < DLV_COUNT; i++) {
        exp_windows_free(&win[i]);
        exp_lambda_free(&lam[i]);
        exp_model_rows_free(&model[i]);
    }
    exp_stats_free(&stats);
    free(tp.events);
    if (o.json) printf("]}\n");
    res_close(db);
    if (o.plot && exit_code == CLI_OK) exit_code = draw_plots(&o);
    free(scn);
    return exit_code;
}
