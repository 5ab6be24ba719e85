/* Running gnuplot for `ftsim plot` and `ftsim diagram`: every script of a call runs in
 * one gnuplot process that draws into a private staging directory; an image is copied
 * into place only when gnuplot finished it and it is complete (its format's signature
 * and trailer, a sane size), so a failed or cut-short draw never leaves a partial image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_internal.h"

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
