/* `ftsim check`: evaluates each scenario's `expect:` block for every protocol it
 * lists over every seed in its `seeds:` range. One line per (scenario, protocol),
 * a closing "N passed, N failed" line, optional TAP or JUnit output, and the exit
 * code CI reads: 0 all held, 1 a guarantee was violated, 2 bad input. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "experiment.h"
#include "explain.h"
#include "fileio.h"
#include "grow.h"
#include "progress.h"
#include "scenario.h"
#include "scn_verdict.h"
#include "suggest.h"

static void usage(FILE *f) {
    fputs("usage: ftsim check FILE|DIR... [--tap | --junit OUT.xml] [--exhaustive]\n"
          "\n"
          "For each scenario (a DIR means every *.yaml in it), runs every protocol that the\n"
          "file's expect: block names, over every seed of its seeds: range, and checks the\n"
          "expectations (lost, duplicated, delivered, matches_reference; for a windowed query\n"
          "late_dropped, windows, windows_match_reference, window_rows; for a model\n"
          "model_input_lost, model_input_duplicated, model_input_matches_reference,\n"
          "model_error_final, model_frozen_error_final, model_identical_to_fault_free; for\n"
          "Byzantine scenarios ic1, ic2, violations, divergent, messages, signatures_rejected\n"
          "per algorithm). Prints one line per scenario and protocol or algorithm, then\n"
          "'N passed, N failed'. A FAIL line (and TAP and JUnit) gives the command that\n"
          "reproduces it (ftsim run FILE --seed N --protocol P) and, under it, the `ftsim\n"
          "explain` summary of that scenario, seed and protocol (why: one line per cause of\n"
          "the lost or duplicated records and the differing window rows) and the command that\n"
          "shows the full chains (see: ftsim explain FILE --seed N --protocol P); TAP puts\n"
          "them in the failure's YAML block, JUnit inside the <failure> element. FILE may\n"
          "also be a scenario's name (lost-ack), looked up as 'ftsim list' says.\n"
          "\n"
          "  --tap           print TAP version 13 (Test Anything Protocol) instead: a\n"
          "                  failure's YAML block has its message and the command that\n"
          "                  reproduces it; the summary is a '#' comment\n"
          "  --junit FILE    also write a JUnit XML report to FILE\n"
          "  --exhaustive    Byzantine scenarios: every placement of up to m traitors, every\n"
          "                  strategy and both orders (n <= 10), as if the file said so\n"
          "  --help          this text\n"
          "\n"
          "exit status: 0 every expectation held, 1 one was violated, 2 bad input (a\n"
          "missing path, a directory without *.yaml files, a bad scenario), 3 an\n"
          "environment error (e.g. the JUnit file cannot be written, Ctrl-C)\n",
          f);
}

struct result {
    char scenario[SCN_NAME_MAX];
    char file[FT_ERROR_FILE_MAX];
    const char *protocol;
    bool ok;
    uint64_t seed; /* the failing seed (or the first): what the repro command runs */
    char detail[768];
    char *why; /* a failure's explanation: lines "why: ..." and "see: ftsim explain ..." */
};

struct checker {
    struct result *res;
    size_t n, cap;
    bool tap, tty, exhaustive;
};

static int report(struct checker *c, const struct result *r);

static int add_result(struct checker *c, const struct result *r) {
    if (ft_grow((void **)&c->res, &c->cap, c->n + 1, sizeof *c->res, 64)) return -1;
    c->res[c->n++] = *r;
    return 0;
}

#define CHECK_WHY_LINES 4u /* summary lines of the explanation under a failure */

/* The explanation of a failed (scenario, protocol, seed): the `ftsim explain` summary,
 * one "why: " line per cause, then "see: " the command for the full chains; NULL when
 * out of memory. The caller frees it. */
static char *why_text(const struct scenario *scn, enum dlv_protocol p, uint64_t seed) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    struct explain_result res;
    struct ft_error err = {0};
    if (explain_run(&scn->pipe, p, seed, NULL, &res, &err) == 0) {
        explain_write_summary(f, &res, "why: ", CHECK_WHY_LINES);
        explain_free(&res);
    } else {
        fprintf(f, "why: (no explanation: %s)\n", err.msg);
    }
    fprintf(f, "see: ftsim explain %s --seed %llu --protocol %s\n", scn->file,
            (unsigned long long)seed, dlv_name(p));
    fclose(f);
    return buf;
}

/* Prints each line of text after prefix. */
static void print_lines(FILE *f, const char *prefix, const char *text) {
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        int n = nl ? (int)(nl - text) : (int)strlen(text);
        fprintf(f, "%s%.*s\n", prefix, n, text);
        text += n + (nl != NULL);
    }
}

static int check_protocol(struct checker *c, const struct scenario *scn, enum dlv_protocol p) {
    struct result r = {.protocol = dlv_name(p), .ok = true, .seed = scn->seed_first};
    snprintf(r.scenario, sizeof r.scenario, "%s", scn->name);
    snprintf(r.file, sizeof r.file, "%s", scn->file);
    uint64_t nseeds = scn->seed_last - scn->seed_first + 1;
    char detail[700];
    for (uint64_t seed = scn->seed_first; seed <= scn->seed_last; seed++) {
        if (c->tty)
            fprintf(stderr, "\r%s %s seed %llu (%llu/%llu)\033[K", scn->name, r.protocol,
                    (unsigned long long)seed, (unsigned long long)(seed - scn->seed_first + 1),
                    (unsigned long long)nseeds);
        struct exp_outcome o;
        struct ft_error err = {0};
        struct exp_windows w = {0};
        struct cli_progress prog = {.label = scn->name}; /* Ctrl-C stops the run */
        /* a model's fault-free run only when an expectation compares with it */
        struct exp_options opt = {.progress = cli_progress,
                                  .progress_ctx = &prog,
                                  .model_no_fault_free =
                                      scn->expect[p].model_identical_to_fault_free < 0};
        int rc =
            exp_run_windows(&scn->pipe, p, seed, &opt, &o, scn->expect[p].nrows ? &w : NULL, &err);
        if (rc != 0) {
            if (c->tty) fputs("\r\033[K", stderr);
            fprintf(stderr, "ftsim check: %s: %s seed %llu: %s\n", scn->file, r.protocol,
                    (unsigned long long)seed, err.msg);
            exp_windows_free(&w);
            return cli_run_exit(rc);
        }
        struct scn_verdict v;
        bool ok = scn_judge(&scn->expect[p], p, &o, &w, SCN_JUDGE_EXPECT, &v);
        snprintf(detail, sizeof detail, "%s", v.detail);
        exp_windows_free(&w);
        if (!ok || seed == scn->seed_first)
            snprintf(r.detail, sizeof r.detail, "seed %llu: %s", (unsigned long long)seed,
                     detail);
        if (!ok) {
            r.ok = false;
            r.seed = seed;
            break;
        }
    }
    if (c->tty) fputs("\r\033[K", stderr);
    if (!r.ok) r.why = why_text(scn, p, r.seed);
    if (r.ok && nseeds > 1) {
        size_t len = strlen(r.detail);
        snprintf(r.detail + len, sizeof r.detail - len, "; held for all %llu seeds %llu..%llu",
                 (unsigned long long)nseeds, (unsigned long long)scn->seed_first,
                 (unsigned long long)scn->seed_last);
    }
    return report(c, &r);
}

/* The command that reproduces r: `ftsim run FILE --seed S --protocol P`. */
static const char *repro(const struct result *r, char *buf, size_t size) {
    snprintf(buf, size, "ftsim run %s --seed %llu --protocol %s", r->file,
             (unsigned long long)r->seed, r->protocol);
    return buf;
}

/* One YAML-quoted scalar of a TAP diagnostic block. */
static void yaml_str(const char *s) {
    putchar('"');
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s >= 0x20)
            putchar(*s);
    putchar('"');
}

/* The explanation's lines ("why: X", "see: Y") as YAML keys of a TAP diagnostic block:
 * why: a list of the causes, see: the command for the full chains. */
static void yaml_why(const char *why) {
    bool listed = false;
    while (why && *why) {
        const char *nl = strchr(why, '\n');
        size_t n = nl ? (size_t)(nl - why) : strlen(why);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)n, why);
        if (!strncmp(line, "why: ", 5)) {
            printf("%s\n    - ", listed ? "" : "\n  why:");
            listed = true;
            yaml_str(line + 5);
        } else if (!strncmp(line, "see: ", 5)) {
            printf("\n  see: ");
            yaml_str(line + 5);
        }
        why += n + (nl != NULL);
    }
}

/* Prints one result (plain or TAP 13) and keeps it for the summary and JUnit. */
static int report(struct checker *c, const struct result *r) {
    char cmd[FT_ERROR_FILE_MAX + 128];
    if (!c->tap && r->ok) {
        printf("ok   %s %s: %s\n", r->scenario, r->protocol, r->detail);
    } else if (!c->tap) {
        printf("FAIL %s %s: %s\n     reproduce: %s\n", r->scenario, r->protocol, r->detail,
               repro(r, cmd, sizeof cmd));
        print_lines(stdout, "     ", r->why);
    } else if (r->ok) {
        printf("ok %zu - %s %s\n# %s\n", c->n + 1, r->scenario, r->protocol, r->detail);
    } else {
        printf("not ok %zu - %s %s\n  ---\n  message: ", c->n + 1, r->scenario, r->protocol);
        yaml_str(r->detail);
        printf("\n  file: ");
        yaml_str(r->file);
        printf("\n  reproduce: ");
        yaml_str(repro(r, cmd, sizeof cmd));
        yaml_why(r->why);
        printf("\n  ...\n");
    }
    fflush(stdout);
    if (add_result(c, r) == 0) return CLI_OK;
    free(r->why);
    return CLI_INTERNAL;
}

struct byz_reporter {
    struct checker *c;
    const struct scenario *scn;
};

static int report_byz(void *ctx, const char *protocol, bool ok, uint64_t seed, const char *detail) {
    const struct byz_reporter *br = ctx;
    struct result r = {.protocol = protocol, .ok = ok, .seed = seed};
    snprintf(r.scenario, sizeof r.scenario, "%s", br->scn->name);
    snprintf(r.file, sizeof r.file, "%s", br->scn->file);
    snprintf(r.detail, sizeof r.detail, "%s", detail);
    return report(br->c, &r);
}

static int check_file(struct checker *c, const char *path) {
    struct scenario *scn = malloc(sizeof *scn);
    if (!scn) return CLI_INTERNAL;
    struct ft_error err = {0};
    int rc = scn_load(path, scn, &err);
    if (rc) {
        free(scn);
        return cli_print_load_error("check", rc, &err);
    }
    rc = CLI_OK;
    struct byz_reporter br = {c, scn};
    if (scn->kind == SCN_KIND_BYZANTINE)
        rc = cli_byz_check(scn, c->exhaustive, c->tty, report_byz, &br);
    for (uint32_t i = 0; i < scn->nprotocols && rc == CLI_OK; i++)
        if (scn->expect[scn->protocols[i]].set) rc = check_protocol(c, scn, scn->protocols[i]);
    free(scn);
    return rc;
}

static int check_path(struct checker *c, const char *path) {
    struct stat st;
    char found[FT_ERROR_FILE_MAX];
    if (stat(path, &st) != 0 && cli_find_scenario(path, found, sizeof found) == 0)
        return check_file(c, found); /* a scenario's name: lost-ack */
    if (stat(path, &st) != 0) {
        fprintf(stderr, "ftsim check: cannot open '%s': %s\n", path, strerror(errno));
        return CLI_USAGE;
    }
    if (!S_ISDIR(st.st_mode)) return check_file(c, path);
    char **paths;
    size_t n;
    if (cli_list_yaml(path, &paths, &n) != 0) {
        fprintf(stderr, "ftsim check: cannot read directory '%s': %s\n", path, strerror(errno));
        return CLI_USAGE;
    }
    if (n == 0) { /* a CI job pointed at the wrong directory must not pass */
        free(paths);
        fprintf(stderr, "ftsim check: '%s' has no *.yaml scenario files\n", path);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < n; i++) {
        int r = check_file(c, paths[i]);
        if (r > rc) rc = r;
        free(paths[i]);
    }
    free(paths);
    return rc;
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static int write_junit(const struct checker *c, const char *path, size_t failed) {
    struct ft_out o;
    struct ft_error err = {0};
    if (ft_out_open(&o, path, &err) != 0) {
        fprintf(stderr, "ftsim check: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    FILE *f = o.f;
    char cmd[FT_ERROR_FILE_MAX + 128];
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites tests=\"%zu\" failures=\"%zu\">\n"
               "<testsuite name=\"ftsim check\" tests=\"%zu\" failures=\"%zu\">\n",
            c->n, failed, c->n, failed);
    for (size_t i = 0; i < c->n; i++) {
        const struct result *r = &c->res[i];
        fputs("  <testcase classname=\"", f);
        xml_text(f, r->scenario);
        fprintf(f, "\" name=\"%s\" file=\"", r->protocol);
        xml_text(f, r->file);
        fputs("\">", f);
        if (!r->ok) {
            fputs("<failure message=\"", f);
            xml_text(f, r->detail);
            fputs("\">reproduce: ", f);
            xml_text(f, repro(r, cmd, sizeof cmd));
            if (r->why) {
                fputc('\n', f);
                xml_text(f, r->why);
            }
            fputs("</failure>", f);
        }
        fputs("</testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    if (ft_out_commit(&o, &err) == 0) return CLI_OK;
    fprintf(stderr, "ftsim check: %s\n", err.msg);
    return CLI_INTERNAL;
}

int cli_check(int argc, char **argv) {
    static const struct option opts[] = {{"tap", no_argument, NULL, 't'},
                                         {"junit", required_argument, NULL, 'j'},
                                         {"exhaustive", no_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct checker c = {.tty = isatty(STDERR_FILENO) != 0};
    const char *junit = NULL;
    int opt;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((opt = getopt_long(argc, argv, "tj:eh", opts, NULL)) != -1) {
        switch (opt) {
        case 'e': c.exhaustive = true; break;
        case 't': c.tap = true; break;
        case 'j': junit = optarg; break;
        case 'h': usage(stdout); return CLI_OK;
        default:
            return cli_bad_option("check", opts, argv);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ftsim check: expected FILE or DIR (see 'ftsim check --help')\n");
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (c.tap) printf("TAP version 13\n");
    for (int i = optind; i < argc; i++) {
        int r = check_path(&c, argv[i]);
        if (r > rc) rc = r;
    }
    size_t failed = 0;
    for (size_t i = 0; i < c.n; i++) failed += !c.res[i].ok;
    if (c.tap) printf("1..%zu\n", c.n);
    if (c.n || rc == CLI_OK) /* nothing checked after bad input: no "0 passed" line */
        printf("%s%zu passed, %zu failed\n", c.tap ? "# " : "", c.n - failed, failed);
    if (junit) {
        int r = write_junit(&c, junit, failed);
        if (r > rc) rc = r;
    }
    for (size_t i = 0; i < c.n; i++) free(c.res[i].why);
    free(c.res);
    if (rc != CLI_OK) return rc;
    return failed ? CLI_VIOLATED : CLI_OK;
}
