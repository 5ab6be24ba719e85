/* Subcommands of the ftsim executable. Each takes argc/argv (argv[0] = its name) and
 * returns the process exit code: 0 ok, 1 a checked guarantee violated, 2 bad input or
 * usage, 3 internal or environment error. Only cli/ prints to the user. */
#ifndef FTSIM_CLI_H
#define FTSIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cli_exit { CLI_OK = 0, CLI_VIOLATED = 1, CLI_USAGE = 2, CLI_INTERNAL = 3 };

int cli_example(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_diagram(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_swarm(int argc, char **argv);
int cli_shrink(int argc, char **argv);

struct ft_error;
/* Lists DIR's *.yaml files as "DIR/NAME", sorted by name, at most CLI_YAML_FILES_MAX;
 * the caller frees each path and the array. Returns 0, or -1 when DIR cannot be read. */
#define CLI_YAML_FILES_MAX 4096
int cli_list_yaml(const char *dir, char ***paths, size_t *n);

/* Scenarios by name (`ftsim run lost-ack`): the directories searched, in order: ./scenarios,
 * $FTSIM_SCENARIOS, the source tree's scenarios/ (a binary in the build tree), the
 * installed PREFIX/share/ftsim/scenarios beside PREFIX/bin/ftsim, and the configured
 * DATADIR/ftsim/scenarios. cli_scenario_dirs fills dirs (at most max) and returns the
 * count; cli_find_scenario finds NAME or NAME.yaml (a plain name, no '/') in the first
 * directory that has it (0, or -1); cli_scenario_path returns arg itself when it exists
 * or is not found, else the found path in buf. */
#define CLI_DIR_MAX 4096
#define CLI_SCENARIO_DIRS_MAX 6
size_t cli_scenario_dirs(char dirs[][CLI_DIR_MAX], size_t max);
int cli_find_scenario(const char *name, char *out, size_t size);
const char *cli_scenario_path(const char *arg, char *buf, size_t size);

/* Prints a scenario load error (file:line:col: message) and returns the exit code. */
int cli_print_load_error(const char *cmd, int rc, const struct ft_error *err);

/* The one operand a command takes after its options (getopt's optind): *out gets it and
 * 0 is returned; otherwise a message "ftsim CMD: expected one WHAT (see 'ftsim CMD
 * --help')" and CLI_USAGE. */
int cli_one_operand(const char *cmd, const char *what, int argc, char **argv, const char **out);
/* The same for a command's one scenario (a FILE, or a NAME as cli_scenario_path finds
 * it; the found path lives in a static buffer, one per process). */
int cli_one_scenario(const char *cmd, int argc, char **argv, const char **file);

/* The exit code of a run that failed with FT_E* rc: a limit the scenario reached (its
 * event budget, a table too large) is bad input (2); Ctrl-C (FT_EINTR), memory and the
 * rest are environment errors (3). */
int cli_run_exit(int rc);
/* The exit code of a results database that res_open refused: not an ftsim database,
 * a newer schema (FT_EPARSE) or unreadable input (FT_EIO) is 2, the rest 3. */
int cli_db_exit(int rc);

/* "ftsim CMD: unknown protocol 'x' (did you mean 'y'?); see 'ftsim list'" over the
 * delivery protocols, the agreement algorithms or both (suggest.c); returns CLI_USAGE. */
enum { CLI_NAMES_PROTOCOLS, CLI_NAMES_ALGORITHMS, CLI_NAMES_BOTH };
int cli_unknown_protocol(const char *cmd, const char *word, int which);

/* Parses a decimal uint64 seed; returns 0 or -1. */
int cli_parse_u64(const char *s, unsigned long long *out);
/* Parses a seed range "A..B" or one seed "N" (--seeds); returns 0 or -1. A > B is left
 * for the caller to refuse (sweep_plan_finish names it). */
int cli_parse_seeds(const char *s, uint64_t *first, uint64_t *last);

/* Byzantine scenarios (cmd_byz.c). cli_byz_run prints the runs of algs (nalgs 0: the
 * file's) under seed and, with db, stores each run and its agreement row (an exhaustive
 * run's placement, strategy and order go in runs.params); cli_byz_check evaluates each algorithm's expectations over the
 * file's seeds (exhaustive forces exhaustive mode) and hands each result to report,
 * whose return value (an exit code) it passes on. cli_byz_list adds to `ftsim list`. */
struct scenario;
struct res_db;
struct cli_trace_filter;
/* seed: the seed that reproduces a failure (`ftsim run FILE --seed S --protocol P`). */
typedef int (*cli_report_fn)(void *ctx, const char *protocol, bool ok, uint64_t seed,
                             const char *detail);
/* With trace, filter (trace_filter.h: --from/--to, --node; never --record) chooses the
 * trace lines printed. */
int cli_byz_run(const struct scenario *scn, uint64_t seed, const int *algs, uint32_t nalgs,
                bool json, bool trace, struct cli_trace_filter *filter, struct res_db *db);
/* One (algorithm, seed) of `ftsim sweep` on a Byzantine scenario: stores the run (or,
 * exhaustive, each run of the enumeration) unless the database has it, params being
 * the sweep's --set values ("" for none); counts runs stored and already present. */
int cli_byz_sweep_one(const struct scenario *scn, int alg, uint64_t seed, const char *params,
                      struct res_db *db, uint64_t *stored, uint64_t *present);
int cli_byz_check(const struct scenario *scn, bool exhaustive, bool tty, cli_report_fn report,
                  void *ctx);
void cli_byz_list(void);

#endif
