/* `ftsim plot DB --out DIR`: every figure the results database has data for, as
 * DIR/NAME.dat + DIR/NAME.gp + the image, drawn by one gnuplot process. Reads the
 * database only. Skipped figures get one line each on stderr; the names of the images
 * written go to stdout. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "suggest.h"

static void usage(FILE *f) {
    fputs("usage: ftsim plot DB --out DIR [--format png|svg|pdf] [--only NAME] [--size WxH|slide]\n"
          "                  [--font-scale F]\n"
          "\n"
          "Draws the figures of the results database DB (written by `ftsim run --db` and\n"
          "`ftsim sweep`) with gnuplot. Each figure NAME is written as DIR/NAME.dat (the\n"
          "data), DIR/NAME.gp (a script: `gnuplot NAME.gp` in DIR redraws the image, edit it\n"
          "to restyle) and DIR/NAME.png (or .svg, .pdf). A figure without data in DB is\n"
          "skipped with a note on stderr. DB is never written.\n"
          "\n"
          "figures (docs/plots.md):\n"
          "  comparison              lost and duplicated records per protocol, one panel per\n"
          "                          scenario with a failure (the others named)\n"
          "  loss-sweep-SCENARIO     lost / duplicated fraction vs network.loss of a sweep,\n"
          "                          with the analytic at-most-once expectation\n"
          "  timeseries-SCENARIO     throughput, a lane per fault and the latency record ->\n"
          "                          sink row over simulated time (the file's seed)\n"
          "  latency-cdf-SCENARIO    latency record -> sink row, CDF per protocol\n"
          "  windows-SCENARIO        window values per key and protocol, watermark, late drops\n"
          "  drivers-SCENARIO        micro-batch against continuous: latency record -> window\n"
          "                          row and late drops\n"
          "  byzantine-agreement     agreement with traitors against n, per algorithm\n"
          "  byzantine-cost          messages and signature checks vs n, with closed forms\n"
          "  lambda-SCENARIO         the lambda architecture: served view vs reference\n"
          "  model-error-SCENARIO    a streaming model's error against the true model and\n"
          "                          the records each update consumed, per protocol\n"
          "  kmeans-centres-SCENARIO streaming k-means: learned centres and their paths\n"
          "                          against the true centres, one centre zoomed\n"
          "  offline-vs-streaming-SCENARIO  a model trained offline and frozen against the\n"
          "                          streaming model, error over time\n"
          "\n"
          "  --out DIR       output directory (created when missing)\n"
          "  --format F      png (default), svg or pdf (the same proportions as the png)\n"
          "  --only NAME     only this figure, or this family (e.g. timeseries)\n"
          "  --size WxH      every figure W x H pixels (200..10000), or `slide`: 1280x720,\n"
          "                  16:9 (default: each figure's own size)\n"
          "  --font-scale F  text F times its size, 0.5..4 (default 1)\n"
          "  --help          this text\n"
          "\n"
          "DB is opened read-only (never migrated, its journal mode never changed; a writer\n"
          "holding it does not block the plot). Every file is written under a temporary name\n"
          "and renamed when complete: a full disk leaves no partial image.\n"
          "\n"
          "exit status: 0 figures written (or none with data), 2 bad input (no such DB, not\n"
          "a results database, bad option), 3 gnuplot missing or failed, output not writable\n"
          "(e.g. disk full: the message gives the reason).\n",
          f);
}

struct plot_args {
    const char *db, *out, *only;
    int format, width, height;
    double font_scale;
};

static int parse(int argc, char **argv, struct plot_args *a) {
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"only", required_argument, NULL, 'n'},
                                         {"size", required_argument, NULL, 'z'},
                                         {"font-scale", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:f:n:z:F:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            a->out = optarg;
            break;
        case 'n':
            a->only = optarg;
            break;
        case 'f':
            a->format = plot_format_parse(optarg);
            if (a->format < 0) {
                fprintf(stderr, "ftsim plot: --format expects png, svg or pdf, got '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case 'z':
            if (plot_size_parse(optarg, &a->width, &a->height) != 0) {
                fprintf(stderr,
                        "ftsim plot: --size expects WxH (200..10000 pixels each) or "
                        "slide, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'F':
            if (plot_font_scale_parse(optarg, &a->font_scale) != 0) {
                fprintf(stderr,
                        "ftsim plot: --font-scale expects a number from 0.5 to 4, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_bad_option("plot", opts, argv);
        }
    }
    if (a->only && !plot_only_known(a->only))
        return cli_unknown_name("plot", "figure", a->only, plot_families, plot_nfamilies,
                                "ftsim plot --help");
    int rc = cli_one_operand("plot", "results database DB", argc, argv, &a->db);
    if (rc == CLI_OK && !a->out) {
        fprintf(stderr, "ftsim plot: --out DIR is required (see 'ftsim plot --help')\n");
        return CLI_USAGE;
    }
    return rc;
}

int cli_plot(int argc, char **argv) {
    struct plot_args a = {.format = PLOT_PNG};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    /* A gnuplot that dies early must give an error message, not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    struct plot_options o = {.db = a.db,
                             .out_dir = a.out,
                             .format = (enum plot_format)a.format,
                             .only = a.only,
                             .notes = stderr,
                             .width = a.width,
                             .height = a.height,
                             .font_scale = a.font_scale};
    struct plot_report *rep = malloc(sizeof *rep);
    if (!rep) return CLI_INTERNAL;
    struct ft_error err = {0};
    rc = plot_all(&o, rep, &err);
    if (rc) {
        fprintf(stderr, "ftsim plot: %s\n", err.msg);
        free(rep);
        return rc == FT_EINVAL || rc == FT_EDB ? CLI_USAGE : CLI_INTERNAL;
    }
    for (uint32_t i = 0; i < rep->written; i++)
        printf("%s/%s.%s\n", a.out, rep->names[i], plot_format_ext(o.format));
    if (rep->written == 0) fprintf(stderr, "ftsim plot: no figure had data in %s\n", a.db);
    free(rep);
    return CLI_OK;
}
