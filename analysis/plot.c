/* `ftsim plot` driver: opens the results database read-only, lets each figure family
 * write its NAME.dat + NAME.gp files, then draws every script with one gnuplot process
 * and checks each image (signature and size); an image gnuplot failed to draw is
 * removed, never left empty. Also the helpers the figure files and diagram.c share:
 * gnuplot strings and terminals, SQL wrappers, names, colours, statistics. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dlv.h"
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

/* ---- running gnuplot ---- */

static bool in_path(const char *prog) {
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return false;
    char buf[PLOT_PATH_MAX];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n && n + strlen(prog) + 2 <= sizeof buf) {
            memcpy(buf, path, n);
            buf[n] = '/';
            strcpy(buf + n + 1, prog);
            if (access(buf, X_OK) == 0) return true;
        }
        path += n;
        if (*path == ':') path++;
    }
    return false;
}

/* The shell command that execs prog, quoted for sh. */
static int sh_command(const char *prog, char *out, size_t size) {
    size_t k = 0;
    const char *pre = "exec '";
    for (const char *p = pre; *p; p++)
        out[k++] = *p;
    for (const char *p = prog; *p; p++) {
        if (k + 5 >= size) return -1;
        if (*p == '\'') {
            memcpy(out + k, "'\\''", 4);
            k += 4;
        } else {
            out[k++] = *p;
        }
    }
    if (k + 2 >= size) return -1;
    out[k++] = '\'';
    out[k] = '\0';
    return 0;
}

/* ---- staging: gnuplot draws into a private directory; each image is checked complete
 * there and only then copied into the output directory through ft_out (fileio.h), so
 * a full disk gives the OS's reason and leaves no partial image, though gnuplot itself
 * reports no write error. ---- */

#define PLOT_OUTPUTS_MAX (2u * PLOT_FIGURES_MAX)
struct stage {
    char dir[PLOT_PATH_MAX];
    uint32_t n;
    char outs[PLOT_OUTPUTS_MAX][PLOT_NAME_MAX + 8]; /* the images the scripts set output to */
};

static int stage_open(struct stage *st, struct ft_error *err) {
    const char *tmp = getenv("TMPDIR");
    st->n = 0;
    if ((size_t)snprintf(st->dir, sizeof st->dir, "%s/ftsim-gnuplot.XXXXXX",
                         tmp && *tmp ? tmp : "/tmp") >= sizeof st->dir)
        return ft_fail(err, FT_ELIMIT, "TMPDIR is too long");
    if (!mkdtemp(st->dir))
        return ft_fail(err, FT_EOUT, "cannot create a directory in %s for gnuplot: %s",
                       tmp && *tmp ? tmp : "/tmp", strerror(errno));
    return 0;
}

static void stage_close(struct stage *st) {
    char p[PLOT_PATH_MAX + PLOT_NAME_MAX + 16];
    for (uint32_t i = 0; i < st->n; i++) {
        snprintf(p, sizeof p, "%s/%s", st->dir, st->outs[i]);
        remove(p);
    }
    rmdir(st->dir);
}

/* Writes STAGE/NAME.gp: dir/NAME.gp with each `set output "X"` pointing into the stage. */
static int stage_script(struct stage *st, const char *dir, const char *name, struct ft_error *err) {
    char src[PLOT_PATH_MAX + PLOT_NAME_MAX + 8], dst[PLOT_PATH_MAX + PLOT_NAME_MAX + 8], *text;
    size_t len;
    snprintf(src, sizeof src, "%s/%s.gp", dir, name);
    snprintf(dst, sizeof dst, "%s/%s.gp", st->dir, name);
    int rc = ft_read_file(src, 64u << 20, "gnuplot script", &text, &len, err);
    if (rc) return rc;
    FILE *out = fopen(dst, "w");
    if (!out) rc = ft_fail(err, FT_EOUT, "cannot write %s: %s", dst, strerror(errno));
    for (char *line = text; !rc && line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        static const char set[] = "set output \"";
        char *end = strncmp(line, set, sizeof set - 1) ? NULL : strchr(line + sizeof set - 1, '"');
        if (end && st->n < PLOT_OUTPUTS_MAX && (size_t)(end - line) < sizeof st->outs[0] + 12) {
            snprintf(st->outs[st->n], sizeof st->outs[0], "%.*s", (int)(end - line) - 12,
                     line + 12);
            char staged[PLOT_PATH_MAX + PLOT_NAME_MAX + 16];
            snprintf(staged, sizeof staged, "%s/%s", st->dir, st->outs[st->n++]);
            fputs("set output ", out);
            plot_gp_str(out, staged);
            fputs(end + 1, out);
        } else {
            fputs(line, out);
        }
        fputc('\n', out);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (out && (ferror(out) | fclose(out)) && !rc)
        rc = ft_fail(err, FT_EOUT, "cannot write %s: %s", dst, strerror(errno));
    return rc;
}

/* Copies each complete staged image into dir; an incomplete one is left out (the
 * caller reports the missing image). FT_EOUT when dir cannot take it. */
static int stage_publish(const struct stage *st, const char *dir, struct ft_error *err) {
    for (uint32_t i = 0; i < st->n; i++) {
        char from[PLOT_PATH_MAX + PLOT_NAME_MAX + 16], to[PLOT_PATH_MAX + PLOT_NAME_MAX + 16];
        snprintf(from, sizeof from, "%s/%s", st->dir, st->outs[i]);
        snprintf(to, sizeof to, "%s/%s", dir, st->outs[i]);
        const char *ext = strrchr(st->outs[i], '.');
        int f = ext ? plot_format_parse(ext + 1) : -1;
        if (f < 0 || !plot_image_ok(from, (enum plot_format)f)) continue;
        int rc = ft_out_copy(from, to, err);
        if (rc) return rc;
    }
    return 0;
}

static int gnuplot_session(const char *prog, const char *dir, const struct stage *st,
                           const char *const *names, uint32_t n, struct ft_error *err) {
    char cmd[PLOT_PATH_MAX + 16];
    if (sh_command(prog, cmd, sizeof cmd) != 0)
        return ft_fail(err, FT_EINVAL, "gnuplot path too long");
    fflush(NULL);
    FILE *gp = popen(cmd, "w");
    if (!gp) return ft_fail(err, FT_EIO, "cannot start '%s': %s", prog, strerror(errno));
    fputs("cd ", gp);
    plot_gp_str(gp, dir);
    fputc('\n', gp);
    for (uint32_t i = 0; i < n; i++) {
        fputs("load ", gp);
        char script[PLOT_PATH_MAX + PLOT_NAME_MAX + 8];
        snprintf(script, sizeof script, "%s/%s.gp", st->dir, names[i]);
        plot_gp_str(gp, script);
        /* a script that failed inside a multiplot must not take the next one with it */
        fputs("\nunset multiplot\nunset output\nreset session\n", gp);
    }
    bool write_failed = ferror(gp) != 0;
    int status = pclose(gp);
    if (write_failed) return ft_fail(err, FT_EIO, "writing to gnuplot failed");
    if (status == -1) return ft_fail(err, FT_EIO, "waiting for gnuplot: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ft_fail(err, FT_EIO,
                       "gnuplot reported an error (exit status %d; its message is "
                       "above)",
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

int plot_gnuplot_run(const char *gnuplot, const char *dir, const char *const *names, uint32_t n,
                     struct ft_error *err) {
    const char *prog = gnuplot ? gnuplot : "gnuplot";
    if (!in_path(prog))
        return ft_fail(err, FT_EIO,
                       "cannot find '%s' (install gnuplot-nox, e.g. with scripts/deps.sh)", prog);
    struct stage *st = malloc(sizeof *st);
    if (!st) return ft_fail(err, FT_ENOMEM, "out of memory");
    int rc = stage_open(st, err);
    if (rc) {
        free(st);
        return rc;
    }
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = stage_script(st, dir, names[i], err);
    if (!rc) rc = gnuplot_session(prog, dir, st, names, n, err);
    int pub = stage_publish(st, dir, err); /* what gnuplot drew, even after an error */
    if (!rc) rc = pub;
    for (uint32_t i = 0; i < n; i++) {
        char script[PLOT_PATH_MAX + PLOT_NAME_MAX + 8];
        snprintf(script, sizeof script, "%s/%s.gp", st->dir, names[i]);
        remove(script);
    }
    stage_close(st);
    free(st);
    return rc;
}

/* The last bytes of a complete image: PNG's IEND chunk, SVG's closing tag, PDF's %%EOF
 * (a truncated file lacks them though its signature is right). */
static bool image_complete(FILE *in, long size, enum plot_format f) {
    char tail[1025] = "";
    long from = size > 1024 ? size - 1024 : 0;
    if (fseek(in, from, SEEK_SET) != 0) return false;
    size_t got = fread(tail, 1, sizeof tail - 1, in);
    tail[got] = '\0';
    switch (f) {
    case PLOT_PNG:
        return got >= 12 && memcmp(tail + got - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0;
    case PLOT_SVG:
        while (got && strchr(" \t\r\n", tail[got - 1]))
            tail[--got] = '\0';
        return got >= 6 && strcmp(tail + got - 6, "</svg>") == 0;
    case PLOT_PDF:
        for (size_t i = 0; i + 5 <= got; i++)
            if (memcmp(tail + i, "%%EOF", 5) == 0) return true;
        return false;
    }
    return false;
}

bool plot_image_ok(const char *path, enum plot_format f) {
    FILE *in = fopen(path, "rb");
    if (!in) return false;
    unsigned char head[64] = {0};
    size_t got = fread(head, 1, sizeof head, in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    bool ok = size >= 200 && got >= 8;
    switch (f) {
    case PLOT_PNG:
        ok = ok && memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0;
        break;
    case PLOT_SVG:
        ok = ok && (memcmp(head, "<?xml", 5) == 0 || memcmp(head, "<svg", 4) == 0);
        break;
    case PLOT_PDF:
        ok = ok && memcmp(head, "%PDF-", 5) == 0;
        break;
    }
    ok = ok && image_complete(in, size, f);
    fclose(in);
    return ok;
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

/* ---- SQL ---- */

int plot_prepare(struct plot_ctx *c, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
        return ft_fail(c->err, FT_EDB, "results database %s: %s", c->opt->db,
                       sqlite3_errmsg(c->db));
    return 0;
}

void plot_text(char *dst, size_t size, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

int plot_each_scenario(struct plot_ctx *c, const char *family, const char *sql, plot_scenario_fn fn,
                       void *ctx, const char *none) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    bool any = false;
    int step = 0;
    while (!rc && (step = plot_step(c, st)) == 1) {
        char scn[PLOT_TEXT_MAX], slug[PLOT_TEXT_MAX], name[PLOT_NAME_MAX];
        plot_text(scn, sizeof scn, st, 0);
        plot_slug(scn, slug, sizeof slug);
        snprintf(name, sizeof name, "%s-%s", family, slug);
        any = true;
        if (plot_wanted(c, family, name)) rc = fn(c, scn, name, ctx);
    }
    sqlite3_finalize(st);
    if (!rc && step < 0) rc = step;
    if (rc || any || !none) return rc;
    return plot_skip(c, family, "%s", none);
}

int plot_each_scenario_in(struct plot_ctx *c, const char *family, const char *table,
                          plot_scenario_fn fn, void *ctx, const char *none) {
    if (!plot_table_has_rows(c, table) || !c->has_params)
        return plot_skip(c, family, "no rows in table %s of %s", table, c->opt->db);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT DISTINCT r.scenario FROM runs r WHERE" PLOT_PLAIN_LATEST
             " AND EXISTS (SELECT 1 FROM \"%s\" t WHERE t.run_id = r.id) ORDER BY r.scenario",
             table);
    return plot_each_scenario(c, family, sql, fn, ctx, none);
}

int plot_step(struct plot_ctx *c, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return ft_fail(c->err, FT_EDB, "results database %s: %s", c->opt->db, sqlite3_errmsg(c->db));
}

bool plot_table_exists(struct plot_ctx *c, const char *table) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            c->db, "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", -1,
            &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

bool plot_column_exists(struct plot_ctx *c, const char *table, const char *column) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

bool plot_table_has_rows(struct plot_ctx *c, const char *table) {
    if (!plot_table_exists(c, table)) return false;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\")", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return false;
    bool yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return yes;
}

/* ---- names, colours, numbers ---- */

void plot_slug(const char *in, char *out, size_t size) {
    size_t k = 0;
    for (; *in && k + 1 < size; in++) {
        char ch = *in;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[k++] = ok ? ch : '-';
    }
    out[k] = '\0';
}

int plot_protocol_rank(const char *protocol) {
    int p = dlv_parse(protocol);
    return p >= 0 ? p : DLV_COUNT;
}

/* One style per delivery protocol (by rank) and per Byzantine algorithm: Okabe-Ito
 * colours (distinguishable with the common colour-vision deficiencies, and no two of
 * them the same hue: at-most-once vermillion, at-least-once reddish purple), each with
 * its own point shape and dash, so a series stays told apart in grey or where it lies
 * over another. */
struct proto_style {
    const char *name, *color;
    int pt, dash;
};
static const struct proto_style proto_styles[] = {{"at-most-once", "#D55E00", 7, 1},
                                                  {"at-least-once", "#CC79A7", 5, 2},
                                                  {"exactly-once", "#0072B2", 9, 4},
                                                  {"exactly-once-txn", "#009E73", 11, 5},
                                                  {"exactly-once-checkpoint", "#000000", 13, 3},
                                                  {"om", "#D55E00", 7, 1},
                                                  {"sm", "#0072B2", 5, 2},
                                                  {"dolev-strong", "#009E73", 9, 4}};

static const struct proto_style *proto_style(const char *protocol) {
    for (size_t i = 0; i < sizeof proto_styles / sizeof proto_styles[0]; i++)
        if (strcmp(protocol, proto_styles[i].name) == 0) return &proto_styles[i];
    return NULL;
}

const char *plot_protocol_color(const char *protocol) {
    static const char *const others[] = {"#56B4E9", "#E69F00", "#8C564B", "#666666"};
    const struct proto_style *st = proto_style(protocol);
    if (st) return st->color;
    unsigned h = 0;
    for (const char *p = protocol; *p; p++)
        h = h * 31u + (unsigned char)*p;
    return others[h % (sizeof others / sizeof others[0])];
}

int plot_protocol_dash(const char *protocol) {
    const struct proto_style *st = proto_style(protocol);
    return st ? st->dash : 6;
}

int plot_protocol_point(const char *protocol) {
    const struct proto_style *st = proto_style(protocol);
    return st ? st->pt : 15;
}

/* ---- times: seconds, or clock time for replayed clock-time input ---- */

const char *plot_time_text(double t_s, bool clock, char *buf, size_t size) {
    if (clock) {
        long m = (long)floor(t_s / 60.0 + 0.5);
        snprintf(buf, size, "%02ld:%02ld", (m / 60) % 24, m % 60);
    } else {
        snprintf(buf, size, "%g s", t_s);
    }
    return buf;
}

void plot_clock_tics(FILE *gp, char axis, double lo, double hi, bool labels) {
    static const double steps_min[] = {1, 2, 5, 10, 15, 30, 60, 120, 240};
    double step = 240 * 60.0;
    for (size_t i = 0; i < sizeof steps_min / sizeof steps_min[0]; i++)
        if ((hi - lo) / (steps_min[i] * 60.0) <= 8) {
            step = steps_min[i] * 60.0;
            break;
        }
    fprintf(gp, "set %ctics (", axis);
    char b[32];
    int k = 0;
    for (double t = ceil(lo / step) * step; t <= hi && k < 64; t += step, k++)
        fprintf(gp, "%s\"%s\" %.9g", k ? ", " : "",
                labels ? plot_time_text(t, true, b, sizeof b) : "", t);
    fputs(")\n", gp);
}

void plot_summed_words(const char *words, char *buf, size_t size) {
    const char *per = strstr(words, " per ");
    if (per)
        snprintf(buf, size, "%.*s,\nsummed over every %s", (int)(per - words), words, per + 5);
    else
        snprintf(buf, size, "%s,\nsummed over the keys", words);
}

void plot_per_line(const char *words, char *buf, size_t size) {
    const char *per = strstr(words, " per ");
    if (per)
        snprintf(buf, size, "%.*s\n%s", (int)(per - words), words, per + 1);
    else
        snprintf(buf, size, "%s", words);
}

/* ---- the scenario file (table scenarios, schema 6) ---- */

bool plot_scenario_meta(struct plot_ctx *c, const char *scenario, struct plot_meta *m) {
    memset(m, 0, sizeof *m);
    if (!plot_table_exists(c, "scenarios")) return false;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT seed, duration_ns, faults, coalesce(window_aggregate, ''),"
                           " coalesce(window_value, '') FROM scenarios WHERE scenario_hash ="
                           " (SELECT r.scenario_hash FROM runs r WHERE r.scenario = ?1"
                           " ORDER BY r.id DESC LIMIT 1)",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        m->known = true;
        m->seed = sqlite3_column_int64(st, 0);
        m->duration_s = (double)sqlite3_column_int64(st, 1) / 1e9;
        plot_text(m->faults, sizeof m->faults, st, 2);
        plot_text(m->aggregate, sizeof m->aggregate, st, 3);
        plot_text(m->window_value, sizeof m->window_value, st, 4);
    }
    sqlite3_finalize(st);
    return m->known;
}

double plot_sd(int64_t n, double mean, double mean_sq) {
    if (n < 2) return 0.0;
    double var = (mean_sq - mean * mean) * (double)n / (double)(n - 1);
    return var > 0 ? sqrt(var) : 0.0;
}

unsigned long long plot_seed(sqlite3_int64 v) {
    return (unsigned long long)(uint64_t)v;
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
