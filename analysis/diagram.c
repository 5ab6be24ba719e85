/* Message-sequence diagrams (diagram.h). Three steps: collect every message's send and
 * fate (delivered or dropped, with the reason) and every crash, restart, partition,
 * heal, step fault and visible record from the trace hook of one exp_run; select the
 * messages to draw (diagram_select.c); lay them out on a time axis in which gaps with
 * nothing happening longer than DIAG_GAP_FACTOR median transit times are cut to a fixed
 * height (diagram_layout.c), then write NAME.dat + NAME.gp (diagram_write.c) and run
 * gnuplot. The trace hash is untouched: the hook only reads. */
#include "diagram.h"

#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "experiment.h"
#include "fileio.h"
#include "plot_internal.h"

int diag_format_of(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return -1;
    return plot_format_parse(dot + 1);
}

int dg_split_out(const char *out, char *dir, size_t dsize, char *name, size_t nsize,
                 struct ft_error *err) {
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return ft_fail(err, FT_EINVAL,
                       "--out %s: expected a file name ending in .svg, .png or "
                       ".pdf",
                       out);
    size_t dl = slash ? (size_t)(slash - out) : 1;
    size_t nl = (size_t)(dot - base);
    if (dl + 1 > dsize || nl + 1 > nsize) return ft_fail(err, FT_ELIMIT, "--out path too long");
    if (slash) {
        memcpy(dir, out, dl);
        dir[dl] = '\0';
        if (dl == 0) strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    memcpy(name, base, nl);
    name[nl] = '\0';
    return 0;
}

void dg_title(const struct diag_options *o, const struct dg_panel *P, char *buf, size_t size) {
    int tl = snprintf(buf, size, "%s: %s, seed %llu", o->title ? o->title : "",
                      dlv_name(P->protocol), (unsigned long long)o->seed);
    if (tl > 0 && (size_t)tl < size && P->v.focused)
        tl += snprintf(buf + tl, size - (size_t)tl, ", the messages of record %llu",
                       (unsigned long long)P->v.record);
    if (tl > 0 && (size_t)tl < size)
        snprintf(buf + tl, size - (size_t)tl, "\nfirst fault: %s",
                 P->rep.fault[0] ? P->rep.fault : "none");
}

int dg_render(const struct diag_options *o, const char *dir, const char *name,
              struct ft_error *err) {
    const char *names[1] = {name};
    int rc = plot_gnuplot_run(o->gnuplot, dir, names, 1, err);
    if (!rc && !plot_image_ok(o->out, (enum plot_format)diag_format_of(o->out))) {
        remove(o->out);
        rc = ft_fail(err, FT_EIO, "gnuplot drew no image %s", o->out);
    }
    return rc;
}

void dg_panel_free(struct dg_panel *P) {
    free(P->L.t);
    free(P->L.y);
    free(P->v.sel);
    free(P->mk);
    dg_trace_free(&P->t);
    memset(P, 0, sizeof *P);
}

int dg_prepare(const struct diag_options *o, enum dlv_protocol p, struct dg_panel *P,
               struct ft_error *err) {
    memset(P, 0, sizeof *P);
    P->protocol = p;
    struct exp_options eo = {.trace = dg_on_trace, .trace_ctx = &P->t};
    struct exp_outcome out;
    int rc = exp_run(o->cfg, p, o->seed, &eo, &out, err);
    if (!rc && P->t.err)
        rc = ft_fail(err, P->t.err,
                     P->t.err == FT_ELIMIT ? "the run sends more than %u messages "
                                             "(DIAG_TRACE_MAX)"
                                           : "out of memory for the trace (%u)",
                     DIAG_TRACE_MAX);
    if (!rc && P->t.narrows == 0) rc = ft_fail(err, FT_ELIMIT, "the run sends no messages");
    P->mk = malloc(DIAG_MARKS_MAX * sizeof *P->mk);
    if (!rc && !P->mk) rc = ft_fail(err, FT_ENOMEM, "out of memory");
    if (!rc) {
        qsort(P->t.arrows, P->t.narrows, sizeof *P->t.arrows, dg_by_send);
        rc = dg_select_view(o, &P->t, &P->rep, &P->v, err);
    }
    if (!rc) {
        P->nmk = dg_select_marks(&P->t, &P->v, P->mk);
        rc = dg_layout_build(&P->t, &P->v, P->mk, P->nmk, &P->L, err);
    }
    if (rc) return rc;
    P->width = 230 * (int)P->L.nlines + 260;
    P->height = 230 + 30 * (int)(P->v.nsel + P->nmk);
    P->height = P->height < 600 ? 600 : P->height > 1800 ? 1800 : P->height;
    P->rep.from_ns = P->v.from_ns;
    P->rep.to_ns = P->v.to_ns;
    P->rep.arrows = (uint32_t)P->v.nsel;
    P->rep.lifelines = P->L.nlines;
    P->rep.focused = P->v.focused;
    P->rep.record = P->v.record;
    return 0;
}

/* The checks every diagram makes before it runs anything. */
static int diag_check(const struct diag_options *o, char *dir, char *name, struct ft_error *err) {
    if (diag_format_of(o->out ? o->out : "") < 0)
        return ft_fail(err, FT_EINVAL,
                       "--out %s: expected a file name ending in .svg, .png or "
                       ".pdf",
                       o->out ? o->out : "(none)");
    if (o->has_window && o->from_ns > o->to_ns)
        return ft_fail(err, FT_EINVAL, "--from (%.3f ms) is after --to (%.3f ms)",
                       (double)o->from_ns / 1e6, (double)o->to_ns / 1e6);
    return dg_split_out(o->out, dir, PLOT_PATH_MAX, name, PLOT_NAME_MAX, err);
}

int diag_draw(const struct diag_options *o, struct diag_report *rep, struct ft_error *err) {
    memset(rep, 0, sizeof *rep);
    char dir[PLOT_PATH_MAX], name[PLOT_NAME_MAX];
    int rc = diag_check(o, dir, name, err);
    if (rc) return rc;
    if (o->byz) return diag_draw_byz(o, rep, err);
    if (o->nprotocols > 1) return diag_draw_side(o, rep, err);
    struct dg_panel P;
    rc = dg_prepare(o, o->nprotocols ? o->protocols[0] : o->protocol, &P, err);
    char gp_path[PLOT_PATH_MAX + PLOT_NAME_MAX + 8];
    snprintf(gp_path, sizeof gp_path, "%s/%s.gp", dir, name);
    struct ft_out gp_out = {0}; /* a temporary name, renamed when complete */
    if (!rc) rc = ft_out_open(&gp_out, gp_path, err);
    FILE *gp = rc ? NULL : gp_out.f;
    if (!rc) {
        int width = o->width > 0 ? o->width : P.width,
            height = o->height > 0 ? o->height : P.height;
        char title[2 * DIAG_TITLE_MAX + 200];
        dg_title(o, &P, title, sizeof title);
        dg_gp_header(gp, o, name, P.width, P.height);
        rc = dg_write_panel(o, &P, dir, name, gp, width, height, title, err);
        fputs("unset output\n", gp);
    }
    if (!rc) rc = ft_out_commit(&gp_out, err);
    ft_out_abort(&gp_out);
    if (!rc) rc = dg_render(o, dir, name, err);
    if (!rc) *rep = P.rep;
    dg_panel_free(&P);
    return rc;
}
