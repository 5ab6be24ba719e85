/* `ftsim check`: evaluates each scenario's `expect:` block for every protocol it
 * lists over every seed in its `seeds:` range. One line per (scenario, protocol),
 * a closing "N passed, N failed" line, optional TAP or JUnit output, and the exit
 * code CI reads: 0 all held, 1 a guarantee was violated, 2 bad input. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "experiment.h"
#include "grow.h"
#include "scenario.h"

static void usage(FILE *f) {
    fputs("usage: ftsim check FILE|DIR... [--tap | --junit OUT.xml] [--exhaustive]\n"
          "\n"
          "For each scenario (a DIR means every *.yaml in it), runs every protocol that the\n"
          "file's expect: block names, over every seed of its seeds: range, and checks the\n"
          "expectations (lost, duplicated, delivered, matches_reference; for a windowed\n"
          "query late_dropped, windows, windows_match_reference, window_rows; for a model\n"
          "model_input_lost, model_input_duplicated, model_input_matches_reference,\n"
          "model_error_final, model_frozen_error_final, model_identical_to_fault_free;\n"
          "for Byzantine scenarios ic1, ic2, violations, divergent, messages,\n"
          "signatures_rejected per algorithm). Prints one line per scenario and protocol\n"
          "or algorithm, then 'N passed, N failed'.\n"
          "\n"
          "  --tap           print TAP (Test Anything Protocol) instead\n"
          "  --junit FILE    also write a JUnit XML report to FILE\n"
          "  --exhaustive    Byzantine scenarios: every placement of up to m traitors, every\n"
          "                  strategy and both orders (n <= 10), as if the file said so\n"
          "  --help          this text\n"
          "\n"
          "exit status: 0 every expectation held, 1 one was violated, 2 bad input\n",
          f);
}

struct result {
    char scenario[SCN_NAME_MAX];
    char file[FT_ERROR_FILE_MAX];
    const char *protocol;
    bool ok;
    char detail[768];
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

/* Appends "name v (expect B)" to buf and returns whether the bound holds. */
static bool check_bound(const char *name, const struct scn_bound *b, uint64_t v, char *buf,
                        size_t size) {
    if (b->op == SCN_CMP_NONE) return true;
    char want[32];
    bool ok = scn_bound_holds(b, v);
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s %llu (expect %s)", len ? ", " : "", name,
             (unsigned long long)v, scn_bound_str(b, want, sizeof want));
    return ok;
}

static bool check_outcome(const struct scn_expect *e, const struct exp_outcome *o, char *buf,
                          size_t size) {
    buf[0] = '\0';
    bool ok = check_bound("lost", &e->lost, o->lost, buf, size);
    ok &= check_bound("duplicated", &e->duplicated, o->duplicated, buf, size);
    ok &= check_bound("delivered", &e->delivered, o->delivered, buf, size);
    ok &= check_bound("rejected", &e->rejected, o->rejected, buf, size);
    if (e->matches_reference >= 0) {
        size_t len = strlen(buf);
        bool m = o->matches_reference == (e->matches_reference == 1);
        snprintf(buf + len, size - len, "%smatches_reference %s (expect %s)", len ? ", " : "",
                 o->matches_reference ? "true" : "false",
                 e->matches_reference ? "true" : "false");
        ok &= m;
    }
    return ok;
}

static int check_protocol(struct checker *c, const struct scenario *scn, enum dlv_protocol p) {
    struct result r = {.protocol = dlv_name(p), .ok = true};
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
        /* a model's fault-free run only when an expectation compares with it */
        struct exp_options eo = {.model_no_fault_free =
                                     scn->expect[p].model_identical_to_fault_free < 0};
        if (exp_run_windows(&scn->pipe, p, seed, &eo, &o, scn->expect[p].nrows ? &w : NULL,
                            &err) != 0) {
            if (c->tty) fputs("\r\033[K", stderr);
            fprintf(stderr, "ftsim check: %s: %s seed %llu: %s\n", scn->file, r.protocol,
                    (unsigned long long)seed, err.msg);
            exp_windows_free(&w);
            return CLI_INTERNAL;
        }
        bool ok = check_outcome(&scn->expect[p], &o, detail, sizeof detail);
        ok &= scn_check_windows(&scn->expect[p], &o, &w, detail, sizeof detail);
        ok &= scn_check_lambda(&scn->expect[p], &o, detail, sizeof detail);
        ok &= scn_check_model(&scn->expect[p], &o, detail, sizeof detail);
        exp_windows_free(&w);
        if (!ok || seed == scn->seed_first)
            snprintf(r.detail, sizeof r.detail, "seed %llu: %s", (unsigned long long)seed,
                     detail);
        if (!ok) {
            r.ok = false;
            break;
        }
    }
    if (c->tty) fputs("\r\033[K", stderr);
    if (r.ok && nseeds > 1) {
        size_t len = strlen(r.detail);
        snprintf(r.detail + len, sizeof r.detail - len, "; held for all %llu seeds %llu..%llu",
                 (unsigned long long)nseeds, (unsigned long long)scn->seed_first,
                 (unsigned long long)scn->seed_last);
    }
    return report(c, &r);
}

/* Prints one result (plain or TAP) and keeps it for the summary and JUnit. */
static int report(struct checker *c, const struct result *r) {
    if (!c->tap)
        printf("%-4s %s %s: %s\n", r->ok ? "ok" : "FAIL", r->scenario, r->protocol, r->detail);
    else
        printf("%s %zu - %s %s # %s\n", r->ok ? "ok" : "not ok", c->n + 1, r->scenario, r->protocol,
               r->detail);
    fflush(stdout);
    return add_result(c, r) == 0 ? CLI_OK : CLI_INTERNAL;
}

struct byz_reporter {
    struct checker *c;
    const struct scenario *scn;
};

static int report_byz(void *ctx, const char *protocol, bool ok, const char *detail) {
    const struct byz_reporter *br = ctx;
    struct result r = {.protocol = protocol, .ok = ok};
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
    if (stat(path, &st) != 0) {
        fprintf(stderr, "ftsim check: cannot open '%s'\n", path);
        return CLI_USAGE;
    }
    if (!S_ISDIR(st.st_mode)) return check_file(c, path);
    char **paths;
    size_t n;
    if (cli_list_yaml(path, &paths, &n) != 0) {
        fprintf(stderr, "ftsim check: cannot read directory '%s'\n", path);
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
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "ftsim check: cannot write '%s'\n", path);
        return CLI_INTERNAL;
    }
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
            fputs("\"/>", f);
        }
        fputs("</testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    return fclose(f) == 0 ? CLI_OK : CLI_INTERNAL;
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
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ftsim check: expected FILE or DIR (see 'ftsim check --help')\n");
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    for (int i = optind; i < argc; i++) {
        int r = check_path(&c, argv[i]);
        if (r > rc) rc = r;
    }
    size_t failed = 0;
    for (size_t i = 0; i < c.n; i++) failed += !c.res[i].ok;
    if (c.tap) printf("1..%zu\n", c.n);
    printf("%zu passed, %zu failed\n", c.n - failed, failed);
    if (junit) {
        int r = write_junit(&c, junit, failed);
        if (r > rc) rc = r;
    }
    free(c.res);
    if (rc != CLI_OK) return rc;
    return failed ? CLI_VIOLATED : CLI_OK;
}
