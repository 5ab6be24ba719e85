/* `ftsim list`: the scenarios in a directory, the protocols, and the fault kinds,
 * steps and message kinds a scenario may name. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scenario.h"

static void usage(FILE *f) {
    fputs("usage: ftsim list [DIR]\n"
          "\n"
          "Lists the scenarios in DIR (default: scenarios), the delivery protocols, and\n"
          "the fault kinds, crash steps and message kinds scenario files may use, and the\n"
          "Byzantine agreement algorithms and traitor strategies.\n",
          f);
}

static void list_scenarios(const char *dir) {
    char **paths;
    size_t n;
    printf("scenarios in %s/:\n", dir);
    if (cli_list_yaml(dir, &paths, &n) != 0) {
        printf("  (cannot open the directory)\n");
        return;
    }
    struct scenario *scn = malloc(sizeof *scn);
    for (size_t i = 0; i < n; i++) {
        const char *name = strrchr(paths[i], '/') + 1;
        struct ft_error err = {0};
        if (scn && scn_load(paths[i], scn, &err) == 0)
            printf("  %-32s %s\n", name, scn->about);
        else
            printf("  %-32s (does not load: %s)\n", name, err.msg);
        free(paths[i]);
    }
    free(paths);
    free(scn);
}

int cli_list(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        usage(stderr);
        return CLI_USAGE;
    }
    list_scenarios(argc == 2 ? argv[1] : "scenarios");
    printf("\nprotocols:\n");
    for (int p = 0; p < DLV_COUNT; p++)
        printf("  %-24s %s\n", dlv_name((enum dlv_protocol)p), dlv_about((enum dlv_protocol)p));
    printf("\nfault kinds:\n"
           "  crash      a node, at a time (at:) or at a named step of a worker (step:)\n"
           "  drop       messages of a kind on a link: the nth (and count after it), or a record's\n"
           "  partition  sides of nodes that cannot talk, from at: until heal:\n"
           "  network    random loss, duplicate, reorder, jitter (network:, links:)\n");
    printf("\ncrash steps (worker):\n  %-19s got the record, nothing emitted\n"
           "  %-19s output sent, input not yet acknowledged\n"
           "  %-19s exactly-once-txn: outputs sent, commit not yet sent\n"
           "  %-19s exactly-once-checkpoint: a checkpoint's first barrier arrived\n"
           "  %-19s exactly-once-checkpoint: snapshot stored and flushed, not acked\n",
           PIPE_STEP_AFTER_RECEIVE, PIPE_STEP_AFTER_EMIT, PIPE_STEP_BEFORE_COMMIT,
           PIPE_STEP_DURING_CHECKPOINT, PIPE_STEP_BEFORE_SNAPSHOT_ACK);
    printf("\nmessage kinds:\n ");
    for (int k = 1; k < PIPE_MSG_KINDS; k++) printf(" %s", pipe_msg_name(k));
    printf("\n\ncoverage moments (run --json, swarm; docs/swarm.md):\n");
    for (unsigned m = 0; m < PIPE_MOMENTS; m++) printf("  %s\n", pipe_moment_name(m));
    cli_byz_list();
    return CLI_OK;
}
