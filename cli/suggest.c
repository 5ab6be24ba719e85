/* Did-you-mean by edit distance and the one-line option errors (suggest.h). */
#include "suggest.h"

#include <stdio.h>
#include <string.h>

#include "byzantine.h"
#include "cli.h"
#include "dlv.h"

/* Edit distance of a and b, both shorter than CLI_SUGGEST_LEN_MAX: insertions,
 * deletions, substitutions and transpositions of neighbours ("wrokers" is one edit from
 * "workers"), each costing 1 (optimal string alignment). */
static size_t distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][CLI_SUGGEST_LEN_MAX + 1], *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *cli_suggest(const char *word, const char *const *cands, size_t n) {
    const char *best = NULL;
    size_t bd = 3;
    if (!word || strlen(word) >= CLI_SUGGEST_LEN_MAX) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i] || strlen(cands[i]) >= CLI_SUGGEST_LEN_MAX) continue;
        size_t d = distance(word, cands[i]);
        if (d < bd) bd = d, best = cands[i];
    }
    return best;
}

const char *cli_did_you_mean(const char *word, const char *const *cands, size_t n, char *buf,
                             size_t size) {
    const char *s = cli_suggest(word, cands, n);
    if (s)
        snprintf(buf, size, " (did you mean '%s'?)", s);
    else if (size)
        buf[0] = '\0';
    return buf;
}

/* The long options' names as "--name", for suggestions. */
#define OPTS_MAX 48u
static size_t option_names(const struct option *opts, char names[OPTS_MAX][40],
                           const char *ptrs[OPTS_MAX]) {
    size_t n = 0;
    for (; opts && opts[n].name && n < OPTS_MAX; n++) {
        snprintf(names[n], sizeof names[n], "--%s", opts[n].name);
        ptrs[n] = names[n];
    }
    return n;
}

int cli_bad_option(const char *cmd, const struct option *opts, char **argv) {
    /* getopt_long has moved optind past the offending word (and its value, if any) */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char names[OPTS_MAX][40], hint[80], word[96], who[48];
    const char *ptrs[OPTS_MAX];
    size_t n = option_names(opts, names, ptrs);
    snprintf(who, sizeof who, "ftsim%s%s", *cmd ? " " : "", cmd); /* "ftsim run" */
    snprintf(word, sizeof word, "%.*s", (int)strcspn(arg, "="), arg);
    for (size_t i = 0; optopt && i < n; i++)
        if (opts[i].val == optopt && opts[i].has_arg == required_argument) {
            fprintf(stderr, "%s: option '--%s' needs a value; see '%s --help'\n", who, opts[i].name,
                    who);
            return CLI_USAGE;
        }
    if (optopt && optopt < 128 && word[0] == '-' && word[1] != '-')
        snprintf(word, sizeof word, "-%c", optopt);
    fprintf(stderr, "%s: unknown option '%s'%s; see '%s --help'\n", who, word,
            cli_did_you_mean(word, ptrs, n, hint, sizeof hint), who);
    return CLI_USAGE;
}

int cli_unknown_name(const char *cmd, const char *noun, const char *word, const char *const *cands,
                     size_t n, const char *see) {
    char hint[96];
    fprintf(stderr, "ftsim %s: unknown %s '%s'%s; see '%s'\n", cmd, noun, word,
            cli_did_you_mean(word, cands, n, hint, sizeof hint), see);
    return CLI_USAGE;
}

int cli_unknown_protocol(const char *cmd, const char *word, int which) {
    const char *names[DLV_COUNT + BYZ_ALG_COUNT];
    size_t n = 0;
    for (int p = 0; which != CLI_NAMES_ALGORITHMS && p < DLV_COUNT; p++)
        names[n++] = dlv_name((enum dlv_protocol)p);
    for (int a = 0; which != CLI_NAMES_PROTOCOLS && a < BYZ_ALG_COUNT; a++)
        names[n++] = byz_alg_name((enum byz_alg)a);
    return cli_unknown_name(cmd, which == CLI_NAMES_ALGORITHMS ? "algorithm" : "protocol", word,
                            names, n, "ftsim list");
}
