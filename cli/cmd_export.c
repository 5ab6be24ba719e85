/* `ftsim export DB --table T [--where EXPR] [--out FILE]`: one table of the results
 * store as CSV (RFC 4180) for people who plot elsewhere. The --where expression is SQL
 * written by the user on their own machine; it runs on a read-only connection that
 * may only read (res_export_csv), so it can filter but never change or attach a file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fileio.h"
#include "store.h"
#include "suggest.h"

static void usage(FILE *f) {
    fputs("usage: ftsim export DB --table T [--where EXPR] [--out FILE]\n"
          "\n"
          "Writes table T of the results database DB as CSV with a header line, rows in\n"
          "primary-key order, to stdout or FILE. RFC 4180: CRLF line ends, fields holding a\n"
          "comma, quote or line break in double quotes (quotes doubled), NULL as an empty\n"
          "field. Tables: runs, outcomes, timeseries, latency_quantiles, markers,\n"
          "window_results, agreement, events, watermarks, lambda_views, model_metrics,\n"
          "scenarios, and the view run_results (runs joined with outcomes). See\n"
          "docs/results-schema.md.\n"
          "\n"
          "  --table T       the table to export\n"
          "  --where EXPR    an SQL expression over T's columns selecting rows, e.g.\n"
          "                  \"protocol = 'at-least-once' AND seed < 10\" or \"run_id IN\n"
          "                  (SELECT id FROM runs WHERE scenario = 'lost-ack')\"; it is run\n"
          "                  read-only and may only read (no writes, ATTACH or PRAGMA)\n"
          "  --out FILE      write to FILE instead of stdout (written under a temporary\n"
          "                  name and renamed when complete: never a partial FILE)\n"
          "  --help          this text\n"
          "\n"
          "DB is only read: never migrated or changed, not even its journal mode, and a\n"
          "writer holding it does not block the export.\n"
          "exit status: 0 written, 2 bad input (no such DB, not an ftsim results database,\n"
          "unknown table, bad --where), 3 cannot write the output (e.g. disk full).\n",
          f);
}

int cli_export(int argc, char **argv) {
    static const struct option opts[] = {{"table", required_argument, NULL, 't'},
                                         {"where", required_argument, NULL, 'w'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *table = NULL, *where = NULL, *out_path = NULL;
    int c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "t:w:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            table = optarg;
            break;
        case 'w':
            where = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            return cli_bad_option("export", opts, argv);
        }
    }
    if (optind != argc - 1 || !table) {
        fprintf(stderr, "ftsim export: expected DB and --table T (see 'ftsim export --help')\n");
        return CLI_USAGE;
    }
    struct ft_out o = {0};
    struct ft_error err = {0};
    int rc = out_path ? ft_out_open(&o, out_path, &err) : 0;
    uint64_t rows = 0;
    if (!rc) rc = res_export_csv(argv[optind], table, where, out_path ? o.f : stdout, &rows, &err);
    if (!rc && out_path) rc = ft_out_commit(&o, &err); /* complete and synced, or nothing */
    if (!out_path && fflush(stdout) != 0 && !rc)
        rc = ft_fail(&err, FT_EOUT, "cannot write the CSV to stdout");
    if (rc) {
        ft_out_abort(&o);
        if (rc == FT_EOUT && out_path && !strstr(err.msg, out_path)) /* name the file */
            fprintf(stderr, "ftsim export: %s: %s\n", out_path, err.msg);
        else
            fprintf(stderr, "ftsim export: %s\n", err.msg);
        return rc == FT_EINVAL || rc == FT_EPARSE || rc == FT_ELIMIT || rc == FT_EIO ? CLI_USAGE
                                                                                     : CLI_INTERNAL;
    }
    return CLI_OK;
}
