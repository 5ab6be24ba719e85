/* `ftsim example`: runs the kernel example and prints what happened and its trace hash. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "example.h"
#include "suggest.h"

static void usage(FILE *f) {
    fputs("usage: ftsim example [--seed N] [--trace]\n"
          "\n"
          "Runs the kernel example: a client sends 60 requests to three replicas over a\n"
          "network with 10% loss and 2% duplication, retrying after 50 ms without an ack;\n"
          "replica-2 crashes at 300 ms and restarts at 600 ms.\n"
          "\n"
          "  --seed N   root seed of the run (default 1)\n"
          "  --trace    print every trace event, one per line, before the summary\n"
          "  --help     this text\n",
          f);
}

int cli_example(int argc, char **argv) {
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"trace", no_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    unsigned long long seed = 1;
    int trace = 0, c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "s:th", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &seed) != 0) {
                fprintf(stderr, "ftsim example: --seed expects a non-negative integer, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 't': trace = 1; break;
        case 'h': usage(stdout); return CLI_OK;
        default:
            return cli_bad_option("example", opts, argv);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ftsim example: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    struct example_result r;
    struct ft_error err = {0};
    if (example_run(seed, trace ? stdout : NULL, &r, &err) != 0) {
        fprintf(stderr, "ftsim example: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    printf("kernel example, seed %llu: %llu events, simulated end %.3f s\n", seed,
           (unsigned long long)r.events, (double)r.end_ns / 1e9);
    printf("  client:   %llu requests, %llu acknowledged, %llu retries\n",
           (unsigned long long)r.requests, (unsigned long long)r.acked,
           (unsigned long long)r.retries);
    for (int i = 0; i < 3; i++)
        printf("  replica-%d: applied %llu requests (durable), saw %llu since its last start "
               "(volatile)%s\n",
               i, (unsigned long long)r.replica_durable[i],
               (unsigned long long)r.replica_volatile[i],
               i == 2 ? "; crashed at 300 ms, restarted at 600 ms" : "");
    printf("  network:  %llu sent, %llu delivered, %llu lost, %llu duplicated, %llu to a down "
           "node\n",
           (unsigned long long)r.net.sent, (unsigned long long)r.net.delivered,
           (unsigned long long)r.net.lost, (unsigned long long)r.net.duplicated,
           (unsigned long long)r.net.dropped_down);
    printf("  trace hash: %s\n", r.trace_hash);
    return CLI_OK;
}
