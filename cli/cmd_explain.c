/* `ftsim explain FILE`: runs the scenario under each protocol asked for (or each it
 * lists) and prints, for every record lost or shown more than once, and every window
 * row that differs from the reference, the causal chain rebuilt from the trace, in
 * words and as trace lines, grouped by shared cause (analysis/explain.h); or one
 * record's path with --record; or all of it as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"
#include "explain.h"
#include "scenario.h"
#include "trace_filter.h"

static void usage(FILE *f) {
    fputs("usage: ftsim explain FILE [--seed N] [--protocol P]... [--record R] [--json] [--all]\n"
          "\n"
          "Runs the scenario FILE under each protocol it lists (or each --protocol) and explains\n"
          "every record that was lost or shown more than once: the chain of events that made\n"
          "it so, rebuilt from the run's trace alone (its messages and their fate, crashes,\n"
          "restarts, partitions, retry timers, commits, checkpoint steps, the sink making it\n"
          "visible), told as one sentence a student can read aloud and listed as trace lines\n"
          "(`ftsim run --trace` format) with each event's role: path (the record's own\n"
          "messages), cause (what made it lost or duplicated), retry (a timer that resent it),\n"
          "trigger (another message that moved it on: a commit, a join), context. Records that\n"
          "share a cause (the same crash, partition, drop rule, ...) are grouped, each group\n"
          "with one summary line. The closing \"because ...\" names the protocol's mechanism;\n"
          "every event and time comes from the trace. A windowed query's rows that differ\n"
          "from the reference are explained by their records: repeated, never delivered, or\n"
          "taken by a worker that crashed before the row was emitted.\n"
          "\n"
          "  --seed N        seed of the run (default: the file's `seed:`)\n"
          "  --protocol P    explain only P (repeatable): at-most-once, at-least-once,\n"
          "                  exactly-once, exactly-once-txn, exactly-once-checkpoint\n"
          "  --record R      explain source record R only, whatever its fate (its path when it\n"
          "                  was shown exactly once)\n"
          "  --json          one JSON object: per protocol the groups, every record's chain\n"
          "                  (events with t_ns, node, peer, kind, msg, record, reason, role)\n"
          "                  and story, the window rows\n"
          "  --all           print every record's chain (default: the first 3 of each group)\n"
          "  --help          this text\n"
          "\n"
          "Example: why does lost-ack.yaml show a record twice under at-least-once?\n"
          "  ftsim explain scenarios/lost-ack.yaml --protocol at-least-once\n"
          "(docs/explain.md; `ftsim diagram FILE --explain` draws the chain.)\n"
          "\n"
          "exit status: 0 explained, 2 bad input (scenario, option, a record the run never\n"
          "generated), 3 internal error\n",
          f);
}

struct explain_args {
    const char *file;
    unsigned long long seed;
    bool has_seed, json, all;
    struct cli_trace_filter focus; /* --record */
    uint32_t nprotocols;
    enum dlv_protocol protocols[DLV_COUNT];
};

static int parse(int argc, char **argv, struct explain_args *a) {
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"record", required_argument, NULL, CLI_OPT_RECORD},
                                         {"json", no_argument, NULL, 'j'},
                                         {"all", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "s:p:jah", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &a->seed) != 0) {
                fprintf(stderr, "ftsim explain: --seed expects a non-negative integer, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            a->has_seed = true;
            break;
        case 'p': {
            int p = dlv_parse(optarg);
            if (p < 0) return cli_unknown_protocol("explain", optarg, CLI_NAMES_PROTOCOLS);
            if (a->nprotocols < DLV_COUNT) a->protocols[a->nprotocols++] = (enum dlv_protocol)p;
            break;
        }
        case CLI_OPT_RECORD:
            if (cli_filter_opt("explain", c, optarg, &a->focus) != CLI_OK) return CLI_USAGE;
            break;
        case 'j':
            a->json = true;
            break;
        case 'a':
            a->all = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_bad_option("explain", opts, argv);
        }
    }
    return cli_one_scenario("explain", argc, argv, &a->file);
}

/* Explains one protocol's run and prints it; the exit code. */
static int explain_one(const struct explain_args *a, const struct scenario *scn, uint64_t seed,
                       enum dlv_protocol p, bool first) {
    struct explain_opts eo = {.has_record = a->focus.has_record, .record = a->focus.record};
    struct explain_result res;
    struct ft_error err = {0};
    int rc = explain_run(&scn->pipe, p, seed, &eo, &res, &err);
    if (rc) {
        fprintf(stderr, "ftsim explain: %s: %s: %s\n", a->file, dlv_name(p), err.msg);
        return rc == FT_ENOENT || rc == FT_ELIMIT ? CLI_USAGE : CLI_INTERNAL;
    }
    if (a->json) {
        if (!first) putchar(',');
        explain_write_json(stdout, &res);
    } else {
        if (!first) putchar('\n');
        explain_write_text(stdout, &res, a->all);
    }
    explain_free(&res);
    return CLI_OK;
}

int cli_explain(int argc, char **argv) {
    struct explain_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    struct scenario *scn = malloc(sizeof *scn);
    if (!scn) return CLI_INTERNAL;
    struct ft_error err = {0};
    rc = scn_load(a.file, scn, &err);
    if (rc) {
        free(scn);
        return cli_print_load_error("explain", rc, &err);
    }
    if (scn->kind == SCN_KIND_BYZANTINE) {
        fprintf(stderr,
                "ftsim explain: %s runs Byzantine agreement, which has no source records "
                "to explain (ftsim run --trace shows its messages)\n",
                a.file);
        free(scn);
        return CLI_USAGE;
    }
    if (!a.nprotocols) {
        a.nprotocols = scn->nprotocols;
        memcpy(a.protocols, scn->protocols, sizeof a.protocols);
    }
    uint64_t seed = a.has_seed ? a.seed : scn->seed;
    if (a.json) {
        fputs("{\"scenario\":", stdout);
        explain_json_str(stdout, scn->name);
        printf(",\"seed\":%llu,\"runs\":[", (unsigned long long)seed);
        fflush(stdout);
    } else {
        printf("scenario %s, seed %llu\n\n", scn->name, (unsigned long long)seed);
    }
    rc = CLI_OK;
    for (uint32_t i = 0; i < a.nprotocols && rc == CLI_OK; i++)
        rc = explain_one(&a, scn, seed, a.protocols[i], i == 0);
    if (a.json) printf("]}\n");
    free(scn);
    return rc;
}
