/* The ftsim executable: global options and subcommand dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "progress.h"
#include "suggest.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *about;
};

static const struct command commands[] = {
    {"run", cli_run, "run a scenario under each of its protocols and compare"},
    {"explain", cli_explain, "explain why records were lost or duplicated, from the trace"},
    {"check", cli_check, "check scenarios' expectations (CI: exit 1 on a violation)"},
    {"list", cli_list, "list scenarios, protocols and fault kinds"},
    {"sweep", cli_sweep, "run seeds x protocols x --set values into a results database"},
    {"swarm", cli_swarm, "swarm testing: random fault mixes judged by each guarantee"},
    {"shrink", cli_shrink, "shrink a failing run to its smallest failing scenario"},
    {"merge", cli_merge, "merge sweep shard databases into one"},
    {"export", cli_export, "write a results table as CSV"},
    {"plot", cli_plot, "draw the figures of a results database with gnuplot"},
    {"diagram", cli_diagram, "draw a message-sequence diagram of one run (gnuplot)"},
    {"example", cli_example, "run the kernel example (lossy network, one crash)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fputs("usage: ftsim [--help] [--version] COMMAND [ARGS]\n"
          "\n"
          "ftsim simulates fault tolerance in streaming systems, deterministically:\n"
          "the same scenario and seed give the same trace hash on every build.\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].about);
    fputs("\n'ftsim COMMAND --help' describes a command.\n"
          "\n"
          "exit status:\n"
          "  0  success\n"
          "  1  a checked guarantee was violated\n"
          "  2  bad input or usage (the message names file:line:col where it can)\n"
          "  3  internal or environment error\n",
          f);
}

int main(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0; /* the commands print one line of their own (cli_bad_option) */
    cli_interrupt_install();
    exp_keep_memory(); /* sweep, swarm, check and shrink run one run after another */
    /* '+': stop at the first non-option, which is the command. */
    while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return CLI_OK;
        case 'V': printf("ftsim %s\n", FTSIM_VERSION); return CLI_OK;
        default:
            return cli_bad_option("", opts, argv);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].fn(argc - optind, argv + optind);
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    char hint[64];
    fprintf(stderr, "ftsim: unknown command '%s'%s; see 'ftsim --help'\n", name,
            cli_did_you_mean(name, names, NCOMMANDS, hint, sizeof hint));
    return CLI_USAGE;
}
