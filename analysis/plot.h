/* Figures from the results store (DESIGN.md §8, docs/plots.md): every figure is read
 * from the database only (opened read-only), written as NAME.dat + NAME.gp beside the
 * image so `gnuplot NAME.gp` in that directory redraws it, and all images of one call
 * are drawn by a single gnuplot process. A figure whose data is absent is skipped with
 * a one-line note; an empty image is never left behind. */
#ifndef FTSIM_PLOT_H
#define FTSIM_PLOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define PLOT_FIGURES_MAX 256u /* figures one call may write */
#define PLOT_NAME_MAX 96u     /* bytes of a figure name, including the NUL */
#define PLOT_PATH_MAX 4096u

enum plot_format { PLOT_PNG = 0, PLOT_SVG, PLOT_PDF };

/* "png" / "svg" / "pdf" -> format, or -1. */
int plot_format_parse(const char *s);
const char *plot_format_ext(enum plot_format f);

struct plot_options {
    const char *db;      /* the results database; never written */
    const char *out_dir; /* created when missing */
    enum plot_format format;
    const char *only;    /* NULL: every figure; else a figure's name or its family */
    const char *gnuplot; /* NULL: "gnuplot" from PATH */
    FILE *notes;         /* one line per skipped figure (NULL: quiet) */
    int width, height;   /* > 0: every figure this size in pixels (else its own) */
    double font_scale;   /* text size factor (0: 1) */
};

struct plot_report {
    uint32_t written, skipped;
    char names[PLOT_FIGURES_MAX][PLOT_NAME_MAX]; /* the figures written, in order */
};

/* Writes every figure the database has data for. Returns 0; FT_EINVAL (bad options:
 * --only names no figure family, an out_dir gnuplot cannot be given), FT_EDB (the file
 * is missing or not an ftsim results database) — both bad input; FT_EIO (cannot write
 * DIR, or gnuplot is missing or failed), FT_ELIMIT, FT_ENOMEM. err says which. */
int plot_all(const struct plot_options *o, struct plot_report *rep, struct ft_error *err);

/* True when --only NAME names a family or one of its figures (FAMILY-...). */
bool plot_only_known(const char *only);

/* Creates dir and its parents when missing. 0, or FT_EIO / FT_ELIMIT with err filled. */
int plot_mkdir(const char *dir, struct ft_error *err);

/* The figure families, in the order they are drawn (for --help and docs). */
extern const char *const plot_families[];
extern const uint32_t plot_nfamilies;

/* ---- shared with diagram.c: one gnuplot session over scripts already on disk ---- */

/* The size variables of a script: width, height (pixels) and fs (font scale). */
void plot_gp_size(FILE *gp, int width, int height, double font_scale);
/* The `set terminal` line for a format at width x height pixels, after plot_gp_size,
 * with what makes SVG and PDF look as the PNG does (the same text, point and line sizes
 * relative to the figure): variables funit and pscale (multiply every `ps` by pscale),
 * the function f(pt) giving the font at pt points times fs, and fnt = f(12). */
void plot_gp_terminal(FILE *gp, enum plot_format f);
/* Parses --size: "WxH" (each 200..10000 pixels) or "slide" (1280x720, 16:9).
 * Returns 0 or -1. */
int plot_size_parse(const char *s, int *width, int *height);
/* Parses --font-scale: a number in [0.5, 4]. Returns 0 or -1. */
int plot_font_scale_parse(const char *s, double *out);
/* Writes s as a double-quoted gnuplot string literal. */
void plot_gp_str(FILE *gp, const char *s);
/* Runs one gnuplot in dir and loads each script names[i] + ".gp" in turn (reset in
 * between). Returns 0 or FT_EIO with err naming what failed. */
int plot_gnuplot_run(const char *gnuplot, const char *dir, const char *const *names, uint32_t n,
                     struct ft_error *err);
/* True when path holds a non-empty image of format f (signature checked). */
bool plot_image_ok(const char *path, enum plot_format f);

#endif
