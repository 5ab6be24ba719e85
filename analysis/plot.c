/* `ftsim plot` driver: opens the results database read-only, lets each figure family
 * write its NAME.dat + NAME.gp files, then draws every script with one gnuplot process
 * (plot_gnuplot.c) and checks each image (signature and size); an image gnuplot failed
 * to draw is removed, never left empty. Also the helpers the figure files and diagram.c
 * share: formats, gnuplot strings and terminals, figure files (SQL wrappers in
 * plot_sql.c; names, colours and times in plot_style.c). */
#include "plot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plot_internal.h"
#include "store.h"

const char *const plot_families[] = {"comparison",  "loss-sweep",   "timeseries",
                                     "latency-cdf", "windows",      "drivers",
                                     "byzantine",   "lambda",       "model-error",
                                     "kmeans-centres", "offline-vs-streaming"};
const uint32_t plot_nfamilies = sizeof plot_families / sizeof plot_families[0];

static int (*const family_fns[])(struct plot_ctx *) = {
    plot_fig_comparison, plot_fig_loss_sweep, plot_fig_timeseries, plot_fig_latency_cdf,
    plot_fig_windows,    plot_fig_drivers,    plot_fig_byzantine,  plot_fig_lambda,
    plot_fig_model_error, plot_fig_kmeans_centres, plot_fig_offline};
_Static_assert(sizeof family_fns / sizeof family_fns[0] ==
                   sizeof plot_families / sizeof plot_families[0],
               "one function per figure family");

static const char *const format_ext[] = {"png", "svg", "pdf"};

int plot_format_parse(const char *s) {
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, format_ext[i]) == 0) return i;
    return -1;
}

int plot_size_parse(const char *s, int *width, int *height) {
    if (!s) return -1;
    if (strcmp(s, "slide") == 0) {
        *width = 1280;
        *height = 720;
        return 0;
    }
    char *end = NULL;
    long w = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X')) return -1;
    const char *hs = end + 1;
    long h = strtol(hs, &end, 10);
    if (end == hs || *end || w < 200 || h < 200 || w > 10000 || h > 10000) return -1;
    *width = (int)w;
    *height = (int)h;
    return 0;
}

int plot_font_scale_parse(const char *s, double *out) {
    char *end = NULL;
    double v = s ? strtod(s, &end) : 0;
    if (!s || end == s || *end || !(v >= 0.5 && v <= 4)) return -1;
    *out = v;
    return 0;
}

const char *plot_format_ext(enum plot_format f) {
    FT_ASSERT((unsigned)f < 3);
    return format_ext[f];
}

/* ---- gnuplot text ---- */

void plot_gp_str(FILE *gp, const char *s) {
    fputc('"', gp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(gp, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", gp);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, gp);
    }
    fputc('"', gp);
}

const char *plot_q(char *buf, size_t size, const char *s) {
    FT_ASSERT(size >= 3);
    size_t k = 0;
    buf[k++] = '"';
    for (; *s && k + 4 < size; s++) {
        if (*s == '"' || *s == '\\') {
            buf[k++] = '\\';
            buf[k++] = *s;
        } else if (*s == '\n') {
            buf[k++] = '\\';
            buf[k++] = 'n';
        } else if ((unsigned char)*s >= 0x20) {
            buf[k++] = *s;
        }
    }
    buf[k++] = '"';
    buf[k] = '\0';
    return buf;
}

void plot_dat_str(FILE *dat, const char *s) {
    fputc('"', dat);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : (unsigned char)*s < 0x20 ? ' ' : *s, dat);
    fputc('"', dat);
}

void plot_gp_terminal(FILE *gp, enum plot_format f) {
    /* One look in every format. pngcairo draws 12 pt text 16 px high (96 dpi); the svg
     * terminal reads font sizes as CSS pixels (x 4/3 to match) and draws points 1.38
     * times as large (pscale); pdfcairo, 96 pixels to the inch, thins lines to 2/3
     * and enlarges points (its linewidth and pointscale put them back). */
    static const char *const unit[] = {"funit = 1.0\npscale = 1.0\n",
                                       "funit = 4.0/3\npscale = 0.72\n",
                                       "funit = 1.0\npscale = 1.0\n"};
    fputs(unit[f], gp);
    fputs("f(pt) = sprintf(\"DejaVu Sans,%g\", pt * fs * funit)\nfnt = f(12)\n", gp);
    switch (f) {
    case PLOT_PNG:
        fputs("set terminal pngcairo size width,height font fnt noenhanced "
              "background \"#ffffff\"\n",
              gp);
        break;
    case PLOT_SVG:
        fputs("set terminal svg size width,height font fnt noenhanced "
              "background \"#ffffff\"\n",
              gp);
        break;
    case PLOT_PDF:
        fputs("set terminal pdfcairo size width/96.0,height/96.0 font fnt linewidth 1.5 "
              "pointscale 0.8125 noenhanced\n",
              gp);
        break;
    }
}

void plot_gp_size(FILE *gp, int width, int height, double font_scale) {
    fprintf(gp, "width = %d\nheight = %d\nfs = %.2f   # font scale\n", width, height,
            font_scale > 0 ? font_scale : 1.0);
}

/* The rest of a comment line: newlines in s would end the comment, so they become
 * spaces. */
static void gp_comment(FILE *gp, const char *s) {
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, gp);
    fputc('\n', gp);
}

/* ---- figure files ---- */

bool plot_wanted(const struct plot_ctx *c, const char *family, const char *name) {
    const char *only = c->opt->only;
    return !only || strcmp(only, family) == 0 || (name && strcmp(only, name) == 0);
}

/* "ftsim plot: PREFIXSUBJECT: message" on the notes stream, when there is one. */
static void vnote(struct plot_ctx *c, const char *prefix, const char *subject, const char *fmt,
                  va_list ap) {
    if (!c->opt->notes) return;
    fprintf(c->opt->notes, "ftsim plot: %s%s: ", prefix, subject);
    vfprintf(c->opt->notes, fmt, ap);
    fputc('\n', c->opt->notes);
}

int plot_skip(struct plot_ctx *c, const char *family, const char *fmt, ...) {
    c->rep->skipped++;
    va_list ap;
    va_start(ap, fmt);
    vnote(c, "skipping ", family, fmt, ap);
    va_end(ap);
    return 0;
}

void plot_note(struct plot_ctx *c, const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vnote(c, "", name, fmt, ap);
    va_end(ap);
}

static int path_of(struct plot_ctx *c, const char *name, const char *ext, char *out, size_t size) {
    int k = snprintf(out, size, "%s/%s.%s", c->opt->out_dir, name, ext);
    if (k < 0 || (size_t)k >= size)
        return ft_fail(c->err, FT_ELIMIT, "output path %s/%s.%s too long", c->opt->out_dir, name,
                       ext);
    return 0;
}

int plot_fig_open(struct plot_ctx *c, struct plot_fig *f, const char *name, const char *what,
                  int width, int height) {
    memset(f, 0, sizeof *f);
    if (c->rep->written >= PLOT_FIGURES_MAX)
        return ft_fail(c->err, FT_ELIMIT, "more than %u figures (PLOT_FIGURES_MAX)",
                       PLOT_FIGURES_MAX);
    if (strlen(name) >= PLOT_NAME_MAX)
        return ft_fail(c->err, FT_ELIMIT, "figure name '%s' too long", name);
    strcpy(f->name, name);
    char dat[PLOT_PATH_MAX], gp[PLOT_PATH_MAX], img[PLOT_PATH_MAX];
    int rc = path_of(c, name, "dat", dat, sizeof dat);
    if (!rc) rc = path_of(c, name, "gp", gp, sizeof gp);
    if (!rc) rc = path_of(c, name, plot_format_ext(c->opt->format), img, sizeof img);
    if (rc) return rc;
    remove(img); /* a failed redraw must not leave the old image looking new */
    rc = ft_out_open(&f->dat_out, dat, c->err);
    if (!rc) rc = ft_out_open(&f->gp_out, gp, c->err);
    if (rc) {
        plot_fig_abort(c, f);
        return rc;
    }
    f->dat = f->dat_out.f;
    f->gp = f->gp_out.f;
    fprintf(f->gp, "# %s.gp: ", name);
    gp_comment(f->gp, what);
    fprintf(f->gp, "# Written by `ftsim plot` from the results database ");
    gp_comment(f->gp, c->opt->db);
    fprintf(f->gp,
            "# Redraw from this directory with `gnuplot %s.gp`; the data is %s.dat (its\n"
            "# header names the columns). Restyle here: size in pixels, font scale, colours\n"
            "# below; see docs/plots.md.\n",
            name, name);
    plot_gp_size(f->gp, c->opt->width > 0 ? c->opt->width : width,
                 c->opt->height > 0 ? c->opt->height : height, c->opt->font_scale);
    plot_gp_terminal(f->gp, c->opt->format);
    fprintf(f->gp, "set output \"%s.%s\"\n", name, plot_format_ext(c->opt->format));
    fprintf(f->dat, "# %s.dat: ", name);
    gp_comment(f->dat, what);
    return 0;
}

int plot_fig_close(struct plot_ctx *c, struct plot_fig *f) {
    fputs("unset output\n", f->gp);
    f->dat = f->gp = NULL;
    int rc = ft_out_commit(&f->dat_out, c->err); /* complete and synced, or removed */
    if (!rc) rc = ft_out_commit(&f->gp_out, c->err);
    if (rc) {
        plot_fig_abort(c, f);
        return rc;
    }
    strcpy(c->rep->names[c->rep->written++], f->name);
    return 0;
}

uint32_t plot_block(struct plot_fig *f, const char *fmt, ...) {
    if (f->blocks) fputs("\n\n", f->dat);
    fprintf(f->dat, "# index %u: ", f->blocks);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f->dat, fmt, ap);
    va_end(ap);
    fputc('\n', f->dat);
    return f->blocks++;
}

void plot_fig_abort(struct plot_ctx *c, struct plot_fig *f) {
    ft_out_abort(&f->dat_out);
    ft_out_abort(&f->gp_out);
    f->dat = f->gp = NULL;
    char p[PLOT_PATH_MAX];
    if (path_of(c, f->name, "dat", p, sizeof p) == 0) remove(p);
    if (path_of(c, f->name, "gp", p, sizeof p) == 0) remove(p);
}

/* ---- the driver ---- */

int plot_mkdir(const char *dir, struct ft_error *err) {
    char buf[PLOT_PATH_MAX];
    if (strlen(dir) >= sizeof buf) return ft_fail(err, FT_ELIMIT, "output directory path too long");
    strcpy(buf, dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return ft_fail(err, FT_EIO, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return ft_fail(err, FT_EIO, "cannot create %s: %s", buf, strerror(errno));
    struct stat sb;
    if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ft_fail(err, FT_EIO, "%s is not a directory", buf);
    return 0;
}

static int open_db(struct plot_ctx *c) {
    const char *path = c->opt->db;
    int rc = res_open_readonly(path, &c->db, c->err); /* never written, never migrated */
    if (rc) return rc == FT_EDB ? FT_EIO : FT_EDB;    /* FT_EDB: bad input (plot.h) */
    sqlite3_stmt *st;
    rc = plot_prepare(c, "SELECT count(*) FROM sqlite_master", &st);
    if (rc) return rc;
    rc = plot_step(c, st);
    sqlite3_finalize(st);
    if (rc < 0) return rc;
    if (!plot_table_exists(c, "runs"))
        return ft_fail(c->err, FT_EDB,
                       "%s is not an ftsim results database (it has no table "
                       "'runs')",
                       path);
    c->has_params = plot_column_exists(c, "runs", "params");
    c->has_agreement = plot_table_exists(c, "agreement");
    return 0;
}

/* --only is NULL, the family, or one of its figures (FAMILY-...). */
static bool family_wanted(const char *only, const char *family) {
    if (!only) return true;
    size_t n = strlen(family);
    return strncmp(only, family, n) == 0 && (only[n] == '\0' || only[n] == '-');
}

bool plot_only_known(const char *only) {
    for (uint32_t i = 0; i < plot_nfamilies; i++)
        if (family_wanted(only, plot_families[i])) return true;
    return false;
}

static bool is_family(const char *only) {
    for (uint32_t i = 0; i < plot_nfamilies; i++)
        if (strcmp(only, plot_families[i]) == 0) return true;
    return false;
}

static int draw(struct plot_ctx *c) {
    const struct plot_report *rep = c->rep;
    const char *names[PLOT_FIGURES_MAX];
    for (uint32_t i = 0; i < rep->written; i++)
        names[i] = rep->names[i];
    int rc = plot_gnuplot_run(c->opt->gnuplot, c->opt->out_dir, names, rep->written, c->err);
    char bad[FT_ERROR_MSG_MAX] = "";
    size_t k = 0;
    for (uint32_t i = 0; i < rep->written; i++) {
        char img[PLOT_PATH_MAX];
        if (path_of(c, names[i], plot_format_ext(c->opt->format), img, sizeof img) != 0) continue;
        if (plot_image_ok(img, c->opt->format)) continue;
        remove(img);
        if (k < sizeof bad - 1)
            k += (size_t)snprintf(bad + k, sizeof bad - k, "%s%s", k ? ", " : "", names[i]);
    }
    if (rc) return rc;
    if (k) return ft_fail(c->err, FT_EIO, "gnuplot drew no image for: %s", bad);
    return 0;
}

int plot_all(const struct plot_options *o, struct plot_report *rep, struct ft_error *err) {
    memset(rep, 0, sizeof *rep);
    if (!o->db || !o->out_dir) return ft_fail(err, FT_EINVAL, "plot needs a database and --out");
    if ((unsigned)o->format > PLOT_PDF) return ft_fail(err, FT_EINVAL, "unknown image format");
    if (!plot_only_known(o->only))
        return ft_fail(err, FT_EINVAL,
                       "--only '%s' names no figure (families: comparison, "
                       "loss-sweep, timeseries, latency-cdf, windows, drivers, byzantine, "
                       "lambda)",
                       o->only);
    struct plot_ctx c = {.opt = o, .rep = rep, .err = err};
    int rc = open_db(&c);
    if (!rc) rc = plot_mkdir(o->out_dir, err);
    for (uint32_t i = 0; !rc && i < plot_nfamilies; i++)
        if (family_wanted(o->only, plot_families[i])) rc = family_fns[i](&c);
    sqlite3_close(c.db);
    if (!rc && o->only && !is_family(o->only) && rep->written == 0)
        return ft_fail(err, FT_EINVAL,
                       "%s has no data for a figure named '%s' (names are "
                       "FAMILY-SCENARIO, e.g. timeseries-lost-ack)",
                       o->db, o->only);
    if (!rc && rep->written) rc = draw(&c);
    return rc;
}
