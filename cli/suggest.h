/* Did-you-mean and the one-line usage errors every command prints. cli_suggest picks
 * the candidate nearest to a misspelt word (edit distance at most 2, ties to the first);
 * cli_bad_option turns getopt_long's '?' into one line naming the option, a suggestion
 * from the command's own option table, and "see 'ftsim CMD --help'", instead of the
 * whole help text. Commands added later use the same two. */
#ifndef FTSIM_CLI_SUGGEST_H
#define FTSIM_CLI_SUGGEST_H

#include <getopt.h>
#include <stddef.h>

#define CLI_SUGGEST_LEN_MAX 64u /* longer words and candidates are never matched */

/* The candidate nearest to word, or NULL when none is within distance 2. */
const char *cli_suggest(const char *word, const char *const *cands, size_t n);
/* Writes " (did you mean 'X'?)" into buf (or "" when there is no suggestion); returns
 * buf, so it can be an argument of printf. */
const char *cli_did_you_mean(const char *word, const char *const *cands, size_t n, char *buf,
                             size_t size);
/* The message for getopt_long's '?' or ':' return (call it with the same argv after
 * the loop saw it; optind and optopt as getopt left them); returns CLI_USAGE.
 * Commands run with getopt's own messages off (opterr = 0, set by main). */
int cli_bad_option(const char *cmd, const struct option *opts, char **argv);
/* "ftsim CMD: unknown NOUN 'word' (did you mean 'X'?); see 'SEE'" for a name that is
 * none of cands (figure names, tables, ...); returns CLI_USAGE. */
int cli_unknown_name(const char *cmd, const char *noun, const char *word, const char *const *cands,
                     size_t n, const char *see);

#endif
