/* `ftsim list`: the scenarios in a directory, the protocols, and the fault kinds,
 * steps and message kinds a scenario may name. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "scenario.h"

static void usage(FILE *f) {
    fputs("usage: ftsim list [DIR]\n"
          "\n"
          "Lists the scenarios in DIR, the delivery protocols, and the fault kinds, crash\n"
          "steps and message kinds scenario files may use, and the Byzantine agreement\n"
          "algorithms and traitor strategies. Without DIR it lists the first of these\n"
          "directories that exists, and names it: ./scenarios, $FTSIM_SCENARIOS, the source\n"
          "tree's scenarios/ (a binary in the build tree), PREFIX/share/ftsim/scenarios of\n"
          "an installed ftsim. `ftsim run NAME` looks for NAME.yaml in the same order.\n"
          "\n"
          "exit status: 0 listed, 2 DIR cannot be read or has no scenarios directory\n",
          f);
}

static int list_scenarios(const char *dir) {
    char **paths;
    size_t n;
    if (cli_list_yaml(dir, &paths, &n) != 0) {
        fprintf(stderr, "ftsim list: cannot read the directory '%s': %s\n", dir, strerror(errno));
        return CLI_USAGE;
    }
    printf("scenarios in %s/ (%zu):\n", dir, n);
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
    return CLI_OK;
}

/* The first scenario directory that exists (cli_scenario_dirs), or NULL after saying
 * where it looked. */
static const char *default_dir(char dirs[][CLI_DIR_MAX], size_t *n) {
    *n = cli_scenario_dirs(dirs, CLI_SCENARIO_DIRS_MAX);
    for (size_t i = 0; i < *n; i++) {
        struct stat sb;
        if (stat(dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode)) return dirs[i];
    }
    fprintf(stderr, "ftsim list: no scenarios directory; looked in:");
    for (size_t i = 0; i < *n; i++)
        fprintf(stderr, " %s", dirs[i]);
    fprintf(stderr, " (give one: ftsim list DIR)\n");
    return NULL;
}

int cli_list(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc == 2 && argv[1][0] == '-') {
        fprintf(stderr, "ftsim list: unknown option '%s'; see 'ftsim list --help'\n", argv[1]);
        return CLI_USAGE;
    }
    if (argc > 2) {
        fprintf(stderr, "ftsim list: expected at most one DIR; see 'ftsim list --help'\n");
        return CLI_USAGE;
    }
    static char dirs[CLI_SCENARIO_DIRS_MAX][CLI_DIR_MAX];
    size_t ndirs;
    const char *dir = argc == 2 ? argv[1] : default_dir(dirs, &ndirs);
    if (!dir || list_scenarios(dir) != CLI_OK) return CLI_USAGE;
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
