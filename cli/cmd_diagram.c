/* `ftsim diagram FILE --out seq.svg`: a message-sequence diagram of one run of a
 * scenario (analysis/diagram.h), drawn with gnuplot; seq.dat and seq.gp are written
 * beside the image. Prints what the diagram shows. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diagram.h"
#include "scenario.h"
#include "suggest.h"
#include "trace_filter.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ftsim diagram FILE --out SEQ.svg|SEQ.png|SEQ.pdf [--seed N] [--protocol P]\n"
            "                      [--from T --to T] [--record R]\n"
            "\n"
            "Runs the scenario FILE once and draws its messages as a sequence diagram: each\n"
            "node a vertical lifeline, each message an arrow from (sender, send time) to\n"
            "(receiver, delivery time), lost or dropped messages ending in a red cross,\n"
            "crashes and restarts on the lifelines, records made visible at the sink as\n"
            "diamonds. Time runs down in simulated milliseconds; stretches in which nothing\n"
            "happens are cut short (grey bands give their real length). SEQ.dat and SEQ.gp\n"
            "are written beside the image (`gnuplot SEQ.gp` redraws it).\n"
            "\n"
            "Which messages: with --from/--to those sent in that window; with --record R\n"
            "those of record R; by default the messages of the record the first fault hits\n"
            "(a step crash or a dropped message), else the messages around the first fault.\n"
            "At most %u messages fit one diagram.\n"
            "\n"
            "  --out FILE      the image; its extension picks svg, png or pdf\n"
            "  --seed N        seed of the run (default: the file's `seed:`)\n"
            "  --protocol P    at-most-once, at-least-once, exactly-once, exactly-once-txn,\n"
            "                  exactly-once-checkpoint\n"
            "                  (default: at-least-once when the file lists it, else its first)\n"
            "  --from T, --to T  window of send times, e.g. 2.5s, 2500ms (both or neither)\n"
            "  --record R      only the messages carrying source record R\n"
            "  --help          this text\n"
            "\n"
            "exit status: 0 drawn, 2 bad input (scenario, option, too many or no messages),\n"
            "3 gnuplot missing or failed, output not writable.\n",
            DIAG_ARROWS_MAX);
}

struct diag_args {
    const char *file, *out;
    unsigned long long seed;
    bool has_seed;
    struct cli_trace_filter focus; /* --record, --from/--to */
    int protocol;
};

static int bad(const char *what, const char *got) {
    fprintf(stderr, "ftsim diagram: %s, got '%s'\n", what, got);
    return CLI_USAGE;
}

static int parse(int argc, char **argv, struct diag_args *a) {
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"from", required_argument, NULL, CLI_OPT_FROM},
                                         {"to", required_argument, NULL, CLI_OPT_TO},
                                         {"record", required_argument, NULL, CLI_OPT_RECORD},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "s:p:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &a->seed) != 0)
                return bad("--seed expects a non-negative integer", optarg);
            a->has_seed = true;
            break;
        case 'p':
            a->protocol = dlv_parse(optarg);
            if (a->protocol < 0)
                return cli_unknown_protocol("diagram", optarg, CLI_NAMES_PROTOCOLS);
            break;
        case CLI_OPT_FROM:
        case CLI_OPT_TO:
        case CLI_OPT_RECORD:
            if (cli_filter_opt("diagram", c, optarg, &a->focus) != CLI_OK) return CLI_USAGE;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_bad_option("diagram", opts, argv);
        }
    }
    int rc = cli_one_operand("diagram", "scenario FILE", argc, argv, &a->file);
    static char found[CLI_DIR_MAX + 256];
    if (rc == CLI_OK) a->file = cli_scenario_path(a->file, found, sizeof found); /* or a NAME */
    if (rc) return rc;
    if (!a->out) {
        fprintf(stderr, "ftsim diagram: --out FILE.svg|FILE.png|FILE.pdf is required\n");
        return CLI_USAGE;
    }
    if (diag_format_of(a->out) < 0) return bad("--out must end in .svg, .png or .pdf", a->out);
    return cli_filter_check("diagram", &a->focus);
}

static enum dlv_protocol default_protocol(const struct scenario *scn) {
    for (uint32_t i = 0; i < scn->nprotocols; i++)
        if (scn->protocols[i] == DLV_AT_LEAST_ONCE) return DLV_AT_LEAST_ONCE;
    return scn->nprotocols ? scn->protocols[0] : DLV_AT_LEAST_ONCE;
}

int cli_diagram(int argc, char **argv) {
    struct diag_args a = {.protocol = -1};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    struct scenario *scn = malloc(sizeof *scn);
    if (!scn) return CLI_INTERNAL;
    struct ft_error err = {0};
    rc = scn_load(a.file, scn, &err);
    if (rc) {
        free(scn);
        return cli_print_load_error("diagram", rc, &err);
    }
    signal(SIGPIPE, SIG_IGN); /* a failing gnuplot gives a message, not a dead ftsim */
    struct diag_options o = {.cfg = &scn->pipe,
                             .protocol = a.protocol >= 0 ? (enum dlv_protocol)a.protocol
                                                         : default_protocol(scn),
                             .seed = a.has_seed ? a.seed : scn->seed,
                             .has_window = a.focus.has_from,
                             .from_ns = a.focus.from_ns,
                             .to_ns = a.focus.to_ns,
                             .has_record = a.focus.has_record,
                             .record = a.focus.record,
                             .out = a.out,
                             .title = scn->name};
    struct diag_report rep;
    rc = diag_draw(&o, &rep, &err);
    if (rc) {
        fprintf(stderr, "ftsim diagram: %s: %s\n", a.file, err.msg);
        free(scn);
        return rc == FT_ELIMIT || rc == FT_EINVAL ? CLI_USAGE : CLI_INTERNAL;
    }
    printf("%s: %s, %s, seed %llu: %u messages (%u lost or dropped), %u crashes, %u restarts, "
           "%.3f ms to %.3f ms",
           a.out, scn->name, dlv_name(o.protocol), (unsigned long long)o.seed, rep.arrows, rep.lost,
           rep.crashes, rep.restarts, (double)rep.from_ns / 1e6, (double)rep.to_ns / 1e6);
    if (rep.focused) printf(", record %llu", (unsigned long long)rep.record);
    printf("\n  first fault: %s\n", rep.fault[0] ? rep.fault : "none");
    if (rep.truncated)
        fprintf(stderr,
                "ftsim diagram: showing the first %u messages only; choose --from/--to "
                "or --record to see others\n",
                DIAG_ARROWS_MAX);
    free(scn);
    return CLI_OK;
}
