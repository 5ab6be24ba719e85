/* `ftsim diagram FILE --out seq.svg`: a message-sequence diagram of one run of a
 * scenario (analysis/diagram.h), drawn with gnuplot; seq.dat and seq.gp are written
 * beside the image. Prints what the diagram shows. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_diagram.h"
#include "diagram.h"
#include "explain.h"
#include "scenario.h"
#include "sort.h"
#include "suggest.h"
#include "trace_filter.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ftsim diagram FILE --out SEQ.svg|SEQ.png|SEQ.pdf [--seed N] [--protocol P]\n"
            "                      [--protocols P1,P2,...] [--from T --to T] [--record R]\n"
            "                      [--size WxH|slide] [--font-scale F] [--explain]\n"
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
            "--protocols draws the same record under each protocol side by side (the first\n"
            "protocol's run picks it), e.g. --protocols at-most-once,at-least-once,exactly-once.\n"
            "\n"
            "A Byzantine scenario is drawn as one agreement, round by round: the commander's\n"
            "orders and the lieutenants' relays with the value and path (OM) or signers (SM,\n"
            "Dolev-Strong) each carries, a traitor's messages dashed, a chain whose signature\n"
            "fails crossed out, the decisions and whether IC1 and IC2 hold; each algorithm of\n"
            "the file side by side (or those of --protocol/--protocols). It draws the first\n"
            "decision that breaks agreement, else the first; in exhaustive mode, the first run\n"
            "of the table that breaks agreement (else one with a lying lieutenant).\n"
            "\n"
            "  --out FILE      the image; its extension picks svg, png or pdf\n"
            "  --seed N        seed of the run (default: the file's `seed:`)\n"
            "  --protocol P    at-most-once, at-least-once, exactly-once, exactly-once-txn,\n"
            "                  exactly-once-checkpoint; a Byzantine algorithm: om, sm,\n"
            "                  dolev-strong (default: at-least-once when the file lists it,\n"
            "                  else its first; a Byzantine file's every algorithm)\n"
            "  --protocols L   a comma-separated list of protocols (or algorithms), side by side\n"
            "  --from T, --to T  window of send times, e.g. 2.5s, 2500ms (both or neither)\n"
            "  --record R      only the messages carrying source record R\n"
            "  --explain       explain the run (`ftsim explain`) and draw the chain of its first\n"
            "                  lost or duplicated record (or of --record R): the record's\n"
            "                  messages and those that moved it on (a commit, a join), the\n"
            "                  chain highlighted, its cause ringed and labelled; prints the\n"
            "                  record's story (one protocol, not a Byzantine file)\n"
            "  --size WxH      the image W x H pixels (200..10000), or `slide`: 1280x720\n"
            "  --font-scale F  text F times its size, 0.5..4 (default 1)\n"
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
    const char *protocol;          /* --protocol; --protocols (names resolved with the file) */
    const char *protocols;
    int width, height;
    double font_scale;
    bool explain;
};

static int bad(const char *what, const char *got) {
    fprintf(stderr, "ftsim diagram: %s, got '%s'\n", what, got);
    return CLI_USAGE;
}

static int parse(int argc, char **argv, struct diag_args *a) {
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"protocols", required_argument, NULL, 'P'},
                                         {"size", required_argument, NULL, 'z'},
                                         {"font-scale", required_argument, NULL, 'F'},
                                         {"from", required_argument, NULL, CLI_OPT_FROM},
                                         {"to", required_argument, NULL, CLI_OPT_TO},
                                         {"record", required_argument, NULL, CLI_OPT_RECORD},
                                         {"out", required_argument, NULL, 'o'},
                                         {"explain", no_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "s:p:P:o:z:F:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &a->seed) != 0)
                return bad("--seed expects a non-negative integer", optarg);
            a->has_seed = true;
            break;
        case 'p':
            a->protocol = optarg;
            break;
        case 'P':
            a->protocols = optarg;
            break;
        case 'z':
            if (plot_size_parse(optarg, &a->width, &a->height) != 0)
                return bad("--size expects WxH (200..10000 pixels each) or slide", optarg);
            break;
        case 'F':
            if (plot_font_scale_parse(optarg, &a->font_scale) != 0)
                return bad("--font-scale expects a number from 0.5 to 4", optarg);
            break;
        case CLI_OPT_FROM:
        case CLI_OPT_TO:
        case CLI_OPT_RECORD:
            if (cli_filter_opt("diagram", c, optarg, &a->focus) != CLI_OK) return CLI_USAGE;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'e':
            a->explain = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_bad_option("diagram", opts, argv);
        }
    }
    int rc = cli_one_scenario("diagram", argc, argv, &a->file);
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

/* --protocol and --protocols as protocols (pipeline) or algorithms (Byzantine), in
 * order, without repeats: ids[], *n. CLI_USAGE with a message for an unknown name. */
static int names_of(const struct diag_args *a, bool byz, int *ids, uint32_t max, uint32_t *n) {
    *n = 0;
    const char *lists[2] = {a->protocol, a->protocols};
    for (int l = 0; l < 2; l++)
        for (const char *p = lists[l]; p && *p;) {
            size_t len = strcspn(p, ",");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            int id = byz ? byz_alg_parse(name) : dlv_parse(name);
            if (id < 0)
                return cli_unknown_protocol("diagram", name,
                                            byz ? CLI_NAMES_ALGORITHMS : CLI_NAMES_PROTOCOLS);
            bool seen = false;
            for (uint32_t i = 0; i < *n; i++)
                seen |= ids[i] == id;
            if (!seen && *n < max) ids[(*n)++] = id;
            p += len + (p[len] == ',');
        }
    return CLI_OK;
}

static void print_report(const struct diag_args *a, const struct scenario *scn,
                         const struct diag_options *o, const struct diag_report *rep) {
    if (o->byz) {
        printf("%s: %s, seed %llu: decision %llu, %u messages (%u rejected or discarded), %u "
               "generals\n",
               a->out, scn->name, (unsigned long long)o->seed, (unsigned long long)rep->record + 1,
               rep->arrows, rep->lost, rep->lifelines);
        if (rep->fault[0]) printf("  %s\n", rep->fault);
        return;
    }
    printf("%s: %s, %s, seed %llu: %u messages (%u lost or dropped), %u crashes, %u restarts, "
           "%.3f ms to %.3f ms",
           a->out, scn->name, dlv_name(o->nprotocols ? o->protocols[0] : o->protocol),
           (unsigned long long)o->seed, rep->arrows, rep->lost, rep->crashes, rep->restarts,
           (double)rep->from_ns / 1e6, (double)rep->to_ns / 1e6);
    if (o->nprotocols > 1) printf(" (%u protocols side by side)", o->nprotocols);
    if (rep->focused) printf(", record %llu", (unsigned long long)rep->record);
    printf("\n  first fault: %s\n", rep->fault[0] ? rep->fault : "none");
    if (rep->truncated)
        fprintf(stderr,
                "ftsim diagram: showing the first %u messages only; choose --from/--to "
                "or --record to see others\n",
                DIAG_ARROWS_MAX);
}

/* The options for the file: protocols (or the Byzantine runs) and the focus. */
static int options_for(const struct diag_args *a, const struct scenario *scn,
                       struct diag_options *o, struct diag_byz *byz, char *about, size_t size) {
    bool is_byz = scn->kind == SCN_KIND_BYZANTINE;
    int ids[(int)DLV_COUNT > (int)BYZ_ALG_COUNT ? (int)DLV_COUNT : (int)BYZ_ALG_COUNT];
    uint32_t n = 0;
    int rc = names_of(a, is_byz, ids, DLV_COUNT, &n);
    if (rc) return rc;
    *o = (struct diag_options){.cfg = &scn->pipe,
                               .protocol = default_protocol(scn),
                               .seed = a->has_seed ? a->seed : scn->seed,
                               .has_window = a->focus.has_from,
                               .from_ns = a->focus.from_ns,
                               .to_ns = a->focus.to_ns,
                               .has_record = a->focus.has_record,
                               .record = a->focus.record,
                               .out = a->out,
                               .title = scn->name,
                               .width = a->width,
                               .height = a->height,
                               .font_scale = a->font_scale};
    if (is_byz) {
        struct ft_error err = {0};
        if (cli_diagram_byz(scn, ids, n, o->seed, byz, about, size, &err) != 0) {
            fprintf(stderr, "ftsim diagram: %s: %s\n", a->file, err.msg);
            return CLI_USAGE;
        }
        o->byz = byz;
        return CLI_OK;
    }
    for (uint32_t i = 0; i < n; i++)
        o->protocols[i] = (enum dlv_protocol)ids[i];
    o->nprotocols = n;
    if (n) o->protocol = o->protocols[0];
    return CLI_OK;
}

/* --explain: the run explained, the record drawn, its chain for the diagram. */
struct explained {
    struct explain_result res;
    const struct explain_record *x;
    struct diag_chain chain;
    uint64_t *msgs;
};

static void explained_free(struct explained *e) {
    if (!e->x) return;
    explain_free(&e->res);
    free(e->msgs);
}

static int explain_for_diagram(const struct diag_args *a, const struct scenario *scn,
                               struct diag_options *o, struct explained *e) {
    if (o->byz || o->nprotocols > 1) {
        fprintf(stderr, "ftsim diagram: %s: --explain draws one protocol's run of a pipeline "
                        "scenario (not %s)\n",
                a->file, o->byz ? "a Byzantine file" : "--protocols side by side");
        return CLI_USAGE;
    }
    struct explain_opts eo = {.has_record = a->focus.has_record, .record = a->focus.record};
    struct ft_error err = {0};
    int rc = explain_run(&scn->pipe, o->protocol, o->seed, &eo, &e->res, &err);
    if (rc) {
        fprintf(stderr, "ftsim diagram: %s: %s\n", a->file, err.msg);
        return rc == FT_ENOENT || rc == FT_ELIMIT ? CLI_USAGE : CLI_INTERNAL;
    }
    if (!e->res.nrecs) {
        fprintf(stderr, "ftsim diagram: %s: %s, seed %llu: no record is lost or duplicated, so "
                        "there is no chain to draw (--record R draws one record's path)\n",
                a->file, dlv_name(o->protocol), (unsigned long long)o->seed);
        explain_free(&e->res);
        return CLI_USAGE;
    }
    e->x = &e->res.recs[0];
    e->msgs = malloc((e->x->n ? e->x->n : 1) * sizeof *e->msgs);
    if (!e->msgs) return CLI_INTERNAL;
    size_t n = 0;
    for (uint32_t i = 0; i < e->x->n; i++)
        if (e->x->chain[i].msg) e->msgs[n++] = e->x->chain[i].msg;
    qsort(e->msgs, n, sizeof *e->msgs, sort_cmp_u64);
    struct diag_chain *c = &e->chain;
    *c = (struct diag_chain){.record = e->x->rec, .msgs = e->msgs, .nmsgs = n};
    if (e->x->cause != EXPLAIN_NONE) {
        const struct explain_event *ce = &e->x->chain[e->x->cause];
        c->has_cause = true;
        c->cause_msg = ce->type == SIM_TR_DROP ? ce->msg : 0;
        c->cause_t_ns = ce->t_ns;
        c->cause_node = ce->node;
        explain_cause_words(&e->res, e->x, c->cause, sizeof c->cause);
    }
    o->chain = c;
    o->has_record = true;
    o->record = e->x->rec;
    return CLI_OK;
}

int cli_diagram(int argc, char **argv) {
    struct diag_args a = {0};
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
    struct diag_options o;
    struct diag_byz byz;
    char about[256];
    rc = options_for(&a, scn, &o, &byz, about, sizeof about);
    if (rc) {
        free(scn);
        return rc;
    }
    struct explained ex = {0};
    if (a.explain && (rc = explain_for_diagram(&a, scn, &o, &ex)) != CLI_OK) {
        free(scn);
        return rc;
    }
    struct diag_report rep;
    rc = diag_draw(&o, &rep, &err);
    if (rc) {
        fprintf(stderr, "ftsim diagram: %s: %s\n", a.file, err.msg);
        explained_free(&ex);
        free(scn);
        return rc == FT_ELIMIT || rc == FT_EINVAL ? CLI_USAGE : CLI_INTERNAL;
    }
    print_report(&a, scn, &o, &rep);
    if (a.explain) {
        fputs("  explained: ", stdout);
        explain_write_story(stdout, &ex.res, ex.x);
        fputc('\n', stdout);
    }
    explained_free(&ex);
    free(scn);
    return CLI_OK;
}
