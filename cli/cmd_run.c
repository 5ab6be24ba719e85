/* `ftsim run`: runs every protocol a scenario lists (or those given) on one seed and
 * prints the comparison as a table or one JSON object; optionally stores each run in
 * the results database, one transaction per run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "scenario.h"
#include "store.h"

static void usage(FILE *f) {
    fputs("usage: ftsim run FILE [--seed N] [--protocol P]... [--db FILE] [--json] [--trace]\n"
          "\n"
          "Runs the scenario FILE under each protocol it lists (or each --protocol) with the\n"
          "same seed and prints, per protocol: records sent, delivered (distinct), lost,\n"
          "duplicated (extra copies), whether the warehouse matches the reference, and the\n"
          "trace hash. The same FILE and seed always print the same numbers. A Byzantine\n"
          "scenario prints, per algorithm, IC1, IC2, messages, signatures and decisions (or,\n"
          "with exhaustive: true, one row per placement of traitors, strategy and order).\n"
          "\n"
          "  --seed N        seed of the run (default: the file's `seed:`)\n"
          "  --protocol P    run only P (repeatable): at-most-once, at-least-once,\n"
          "                  exactly-once, exactly-once-txn; for a Byzantine scenario an\n"
          "                  algorithm: om, sm, dolev-strong\n"
          "  --db FILE       also store each run and its outcome in the SQLite FILE\n"
          "  --json          print one JSON object instead of the table\n"
          "  --trace         print every trace event (one line each) before the results\n"
          "  --help          this text\n",
          f);
}

struct trace_printer {
    const struct scenario *scn;
    const char *protocol;
};

/* The pipeline's own events (pipeline.h, PIPE_TR_*). */
static void print_user(const struct trace_printer *tp, const struct sim_trace_rec *r) {
    char b[PIPE_NAME_MAX];
    unsigned long long id = r->id, gen = r->arg >> 32;
    uint32_t owner = (uint32_t)r->arg;
    switch (r->kind) {
    case PIPE_TR_MEMBER:
        printf(" %s %s the group", pipe_node_name(&tp->scn->pipe, (uint32_t)id, b, sizeof b),
               r->arg ? "joined" : "was evicted from");
        break;
    case PIPE_TR_REBALANCE:
        printf(" partition %llu -> %s (generation %llu)", id,
               owner == PIPE_NO_OWNER ? "no owner"
                                      : pipe_node_name(&tp->scn->pipe, owner, b, sizeof b),
               gen);
        break;
    case PIPE_TR_FENCED:
        if (r->node == 1) /* the broker: an ack of an earlier generation */
            printf(" fenced partition %llu: stale generation %llu", id,
                   (unsigned long long)r->arg);
        else /* the sink: epoch = generation << 32 | incarnation + 1 */
            printf(" fenced partition %llu: stale epoch (generation %llu, incarnation %u)", id,
                   gen, (uint32_t)r->arg - 1);
        break;
    default:
        printf(" visible record %llu (partition %llu)", id, (unsigned long long)r->arg);
        break;
    }
}

static void print_event(const struct sim_trace_rec *r, void *ctx) {
    const struct trace_printer *tp = ctx;
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX];
    printf("%-16s %12.6f s  %-8s %-9s", tp->protocol, (double)r->time_ns / 1e9,
           sim_trace_type_name(r->type), pipe_node_name(&tp->scn->pipe, r->node, a, sizeof a));
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DUP:
    case SIM_TR_DROP:
        printf(" -> %-9s %-11s msg %llu", pipe_node_name(&tp->scn->pipe, r->peer, b, sizeof b),
               pipe_msg_name((int)r->kind), (unsigned long long)r->id);
        if (r->type == SIM_TR_DROP) printf(" (%s)", sim_drop_reason_name(r->reason));
        break;
    case SIM_TR_DELIVER:
        printf(" <- %-9s %-11s msg %llu", pipe_node_name(&tp->scn->pipe, r->peer, b, sizeof b),
               pipe_msg_name((int)r->kind), (unsigned long long)r->id);
        break;
    case SIM_TR_USER: print_user(tp, r); break;
    case SIM_TR_FAULT: printf(" at step, record %llu", (unsigned long long)r->arg); break;
    default: break;
    }
    putchar('\n');
}

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void print_json_run(const char *proto, const struct exp_outcome *o, bool first) {
    printf("%s{\"protocol\":\"%s\",\"sent\":%llu,\"delivered\":%llu,\"lost\":%llu,"
           "\"duplicated\":%llu,\"retries\":%llu,\"messages\":%llu,\"latency_p50_ns\":%llu,"
           "\"latency_p99_ns\":%llu,\"recovery_ns\":%llu,\"crashes\":%llu,"
           "\"matches_reference\":%s,\"events\":%llu,\"trace_hash\":\"%s\"}",
           first ? "" : ",", proto, (unsigned long long)o->sent,
           (unsigned long long)o->delivered, (unsigned long long)o->lost,
           (unsigned long long)o->duplicated, (unsigned long long)o->retries,
           (unsigned long long)o->messages, (unsigned long long)o->latency_p50_ns,
           (unsigned long long)o->latency_p99_ns, (unsigned long long)o->recovery_ns,
           (unsigned long long)o->crashes, o->matches_reference ? "true" : "false",
           (unsigned long long)o->events, o->trace_hash);
}

static void print_table_row(const char *proto, const struct exp_outcome *o) {
    printf("%-17s %9llu %9llu %7llu %10llu %8llu %9.2f %9.2f  %-9s %.16s\n", proto,
           (unsigned long long)o->sent, (unsigned long long)o->delivered,
           (unsigned long long)o->lost, (unsigned long long)o->duplicated,
           (unsigned long long)o->retries, (double)o->latency_p50_ns / 1e6,
           (double)o->latency_p99_ns / 1e6, o->matches_reference ? "yes" : "NO",
           o->trace_hash);
}

struct run_opts {
    unsigned long long seed;
    bool has_seed, json, trace;
    const char *db;
    uint32_t nprotocols;
    enum dlv_protocol protocols[DLV_COUNT];
    uint32_t nalgs; /* Byzantine algorithms given with --protocol */
    int algs[BYZ_ALG_COUNT];
};

static int parse_opts(int argc, char **argv, struct run_opts *o, const char **file) {
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"protocol", required_argument, NULL, 'p'},
        {"db", required_argument, NULL, 'd'},   {"json", no_argument, NULL, 'j'},
        {"trace", no_argument, NULL, 't'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "s:p:d:jth", opts, NULL)) != -1) {
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
            if (p < 0 && a < 0) {
                fprintf(stderr, "ftsim run: unknown protocol '%s' (see 'ftsim list')\n", optarg);
                return CLI_USAGE;
            }
            if (p >= 0 && o->nprotocols < DLV_COUNT)
                o->protocols[o->nprotocols++] = (enum dlv_protocol)p;
            if (a >= 0 && o->nalgs < BYZ_ALG_COUNT) o->algs[o->nalgs++] = a;
            break;
        }
        case 'd': o->db = optarg; break;
        case 'j': o->json = true; break;
        case 't': o->trace = true; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ftsim run: expected one scenario FILE (see 'ftsim run --help')\n");
        return CLI_USAGE;
    }
    *file = argv[optind];
    return CLI_OK;
}

int cli_print_load_error(const char *cmd, int rc, const struct ft_error *err) {
    if (err->line)
        fprintf(stderr, "%s:%d:%d: %s\n", err->file, err->line, err->col, err->msg);
    else
        fprintf(stderr, "ftsim %s: %s\n", cmd, err->msg);
    return rc == FT_EPARSE || rc == FT_EIO ? CLI_USAGE : CLI_INTERNAL;
}

/* --protocol and --db against the kind of scenario the file turned out to be. */
static int check_kind(const struct run_opts *o, const struct scenario *scn) {
    bool byz = scn->kind == SCN_KIND_BYZANTINE;
    if (byz ? o->nprotocols != 0 : o->nalgs != 0) {
        fprintf(stderr, "ftsim run: %s runs %s, so --protocol takes %s\n", scn->file,
                byz ? "Byzantine agreement" : "delivery protocols",
                byz ? "om, sm or dolev-strong" : "a delivery protocol (see 'ftsim list')");
        return CLI_USAGE;
    }
    if (byz && o->db) {
        fprintf(stderr, "ftsim run: --db does not store Byzantine runs yet (their 'agreement' "
                        "table comes with results schema v2); use --json\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_run(int argc, char **argv) {
    struct run_opts o = {0};
    const char *file = NULL;
    int rc = parse_opts(argc, argv, &o, &file);
    if (rc) return rc < 0 ? CLI_OK : rc;
    struct scenario *scn = malloc(sizeof *scn);
    if (!scn) return CLI_INTERNAL;
    struct ft_error err = {0};
    rc = scn_load(file, scn, &err);
    if (rc) {
        free(scn);
        return cli_print_load_error("run", rc, &err);
    }
    uint64_t seed = o.has_seed ? o.seed : scn->seed;
    if ((rc = check_kind(&o, scn)) != CLI_OK || scn->kind == SCN_KIND_BYZANTINE) {
        if (rc == CLI_OK) rc = cli_byz_run(scn, seed, o.algs, o.nalgs, o.json, o.trace);
        free(scn);
        return rc;
    }
    if (!o.nprotocols) {
        o.nprotocols = scn->nprotocols;
        memcpy(o.protocols, scn->protocols, sizeof o.protocols);
    }
    struct res_db *db = NULL;
    if (o.db && res_open(o.db, &db, &err) != 0) {
        fprintf(stderr, "ftsim run: %s\n", err.msg);
        free(scn);
        return CLI_INTERNAL;
    }
    if (o.json) {
        printf("{\"scenario\":");
        json_str(scn->name);
        printf(",\"seed\":%llu,\"runs\":[", (unsigned long long)seed);
    } else if (!o.trace) {
        printf("scenario %s, seed %llu: %s\n\n", scn->name, (unsigned long long)seed, scn->about);
        printf("%-17s %9s %9s %7s %10s %8s %9s %9s  %-9s %s\n", "protocol", "sent", "delivered",
               "lost", "duplicated", "retries", "p50 ms", "p99 ms", "reference", "trace hash");
    }
    int exit_code = CLI_OK;
    for (uint32_t i = 0; i < o.nprotocols; i++) {
        const char *pname = dlv_name(o.protocols[i]);
        struct trace_printer tp = {scn, pname};
        struct exp_options eo = {o.trace ? print_event : NULL, &tp};
        struct exp_outcome out;
        if (exp_run(&scn->pipe, o.protocols[i], seed, &eo, &out, &err) != 0) {
            fprintf(stderr, "ftsim run: %s: %s: %s\n", file, pname, err.msg);
            exit_code = CLI_INTERNAL;
            break;
        }
        if (o.json) print_json_run(pname, &out, i == 0);
        else print_table_row(pname, &out);
        struct res_run rr = {scn->name, scn->hash, seed, pname, "ok", &out};
        int64_t id;
        if (db && res_store_run(db, &rr, &id, &err) != 0) {
            fprintf(stderr, "ftsim run: %s\n", err.msg);
            exit_code = CLI_INTERNAL;
            break;
        }
    }
    if (o.json) printf("]}\n");
    res_close(db);
    free(scn);
    return exit_code;
}
