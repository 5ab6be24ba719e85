/* `ftsim shrink`: the smallest scenario that fails the same way (cli/shrink.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"
#include "scenario.h"
#include "shrink.h"

static void usage(FILE *f) {
    fputs("usage: ftsim shrink FILE --seed N --protocol P [--out MIN.yaml] [--seeds K]\n"
          "\n"
          "Takes a failing run — FILE under protocol P at seed N breaks P's guarantee\n"
          "(docs/swarm.md) or one of FILE's expect: keys — and searches, deterministically, for\n"
          "a smaller scenario that fails the same way: the same key for the same protocol.\n"
          "Passes, repeated until none helps: drop faults one at a time (network impairments,\n"
          "link overrides and the consumer group too), halve the duration, the source's rate\n"
          "and keys, the workers and partitions, move fault times, nth and count toward the\n"
          "start, simplify the query (drop operators, the slide, the watermark, the driver,\n"
          "the whole query). A step is kept when the candidate loads, fails the same way and\n"
          "is smaller (faults, then records, then events). Each kept step is printed with the\n"
          "size before and after; the minimal file names only P, its seed and an expect: entry\n"
          "that fails, so `ftsim run MIN.yaml` and `ftsim check MIN.yaml` reproduce it.\n"
          "\n"
          "  --seed N        the failing run's seed (default: the file's seed:)\n"
          "  --protocol P    the protocol that fails (default: the file's only protocol)\n"
          "  --out FILE      the minimal scenario (default: NAME-min.yaml beside FILE)\n"
          "  --seeds K       also try a candidate at the K seeds after N when it passes at N\n"
          "                  (the minimal file then names the seed it fails at; default 0)\n"
          "  --help          this text\n"
          "\n"
          "Exit status: 0 shrunk and written, 2 bad input or the run does not fail, 3 error.\n",
          f);
}

struct shrink_opts {
    unsigned long long seed, seeds;
    bool has_seed;
    int protocol;
    const char *out;
};

static int parse_opts(int argc, char **argv, struct shrink_opts *o, const char **file) {
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"protocol", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},  {"seeds", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "s:p:o:k:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &o->seed)) {
                fprintf(stderr, "ftsim shrink: --seed expects a non-negative integer, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            o->has_seed = true;
            break;
        case 'p':
            if ((o->protocol = dlv_parse(optarg)) < 0)
                return cli_unknown_protocol("shrink", optarg, CLI_NAMES_PROTOCOLS);
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'k':
            if (cli_parse_u64(optarg, &o->seeds) || o->seeds > 1000) {
                fprintf(stderr, "ftsim shrink: --seeds expects 0 to 1000, got '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_bad_option("shrink", opts, argv);
        }
    }
    return cli_one_scenario("shrink", argc, argv, file);
}

int cli_shrink(int argc, char **argv) {
    struct shrink_opts o = {.protocol = -1};
    const char *file = NULL;
    int rc = parse_opts(argc, argv, &o, &file);
    if (rc) return rc < 0 ? CLI_OK : rc;
    struct scenario *scn = malloc(sizeof *scn);
    char *text = NULL, out[FT_ERROR_FILE_MAX + 16];
    size_t len;
    struct ft_error err = {0};
    if (!scn) return CLI_INTERNAL;
    rc = scn_read_file(file, &text, &len, &err);
    if (!rc) rc = scn_parse(file, text, len, scn, &err);
    if (rc) {
        free(scn);
        free(text);
        return cli_print_load_error("shrink", rc, &err);
    }
    if (o.protocol < 0 && scn->kind == SCN_KIND_PIPELINE && scn->nprotocols == 1)
        o.protocol = (int)scn->protocols[0];
    uint64_t seed = o.has_seed ? o.seed : scn->seed;
    free(scn);
    if (o.protocol < 0) {
        fprintf(stderr,
                "ftsim shrink: %s lists several protocols: name the failing one with "
                "--protocol\n",
                file);
        free(text);
        return CLI_USAGE;
    }
    if (o.out)
        snprintf(out, sizeof out, "%s", o.out);
    else
        snprintf(out, sizeof out, "%.*s-min.yaml",
                 (int)(strlen(file) > 5 && !strcmp(file + strlen(file) - 5, ".yaml")
                           ? strlen(file) - 5
                           : strlen(file)),
                 file);
    printf("shrink %s under %s at seed %llu:\n", file, dlv_name((enum dlv_protocol)o.protocol),
           (unsigned long long)seed);
    rc = shrink_scenario(file, text, len, seed, (enum dlv_protocol)o.protocol, (uint32_t)o.seeds,
                         out, stdout, NULL);
    free(text);
    return rc;
}
