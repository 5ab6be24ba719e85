/* `ftsim diagram --protocols a,b,c` (docs/plots.md): the same record under several
 * delivery protocols, side by side in one image: the lecture's at-most-once /
 * at-least-once / exactly-once contrast. The first protocol's run chooses the record
 * (the one given with --record, else the first fault's); every other protocol follows
 * that record (or the same --from/--to window). Each panel is a diagram of its own run
 * (diagram.c), with its data in SEQ-PROTOCOL.dat; one script SEQ.gp draws them all. */
#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "fileio.h"
#include "plot_internal.h"

/* How often the followed record became visible at the sink in panel P. */
static uint32_t visible_times(const struct dg_panel *P) {
    uint32_t n = 0;
    for (size_t k = 0; k < P->nmk; k++) {
        const struct dg_mark *m = &P->t.marks[P->mk[k]];
        n += m->type == MK_VISIBLE && m->arg == P->v.record;
    }
    return n;
}

static void panel_title(const struct dg_panel *P, char *buf, size_t size) {
    static const char *const times[] = {"never (lost)", "once", "twice: a duplicate"};
    uint32_t k = visible_times(P);
    if (!P->v.focused) {
        snprintf(buf, size, "%s\n%u messages", dlv_name(P->protocol), P->rep.arrows);
        return;
    }
    char many[48];
    snprintf(many, sizeof many, "%u times: duplicates", k);
    snprintf(buf, size, "%s\nrecord %llu visible at the sink %s", dlv_name(P->protocol),
             (unsigned long long)P->v.record, k < 3 ? times[k] : many);
}

/* Writes SEQ.gp (a multiplot of the panels, side by side) and SEQ-PROTOCOL.dat each. */
static int side_write(const struct diag_options *o, struct dg_panel *P, uint32_t n, const char *dir,
                      const char *name, struct ft_error *err) {
    int width = 0, height = 0;
    for (uint32_t i = 0; i < n; i++) {
        width += P[i].width;
        height = P[i].height > height ? P[i].height : height;
    }
    if (height < width * 3 / 10) height = width * 3 / 10; /* panels side by side: room to read */
    char gp_path[PLOT_PATH_MAX + PLOT_NAME_MAX + 8];
    snprintf(gp_path, sizeof gp_path, "%s/%s.gp", dir, name);
    struct ft_out gp_out; /* a temporary name, renamed when complete */
    int rc = ft_out_open(&gp_out, gp_path, err);
    if (rc) return rc;
    FILE *gp = gp_out.f;
    dg_gp_header(gp, o, name, width, height);
    int W = o->width > 0 ? o->width : width, H = o->height > 0 ? o->height : height;
    char title[2 * DIAG_TITLE_MAX + 200], q[3 * DIAG_TITLE_MAX + 400];
    int k = snprintf(title, sizeof title, "%s, seed %llu: the same ", o->title ? o->title : "",
                     (unsigned long long)o->seed);
    if (P[0].v.focused)
        snprintf(title + k, sizeof title - (size_t)k, "record %llu under %u protocols\n%s",
                 (unsigned long long)P[0].v.record, n, o->first_fault[0] ? o->first_fault : "");
    else
        snprintf(title + k, sizeof title - (size_t)k, "messages under %u protocols", n);
    fprintf(gp, "set multiplot title %s\n", plot_q(q, sizeof q, title));
    double x0 = 0;
    for (uint32_t i = 0; !rc && i < n; i++) {
        double share = (double)P[i].width / width;
        char pname[PLOT_NAME_MAX + 32], ptitle[256];
        snprintf(pname, sizeof pname, "%s-%s", name, dlv_name(P[i].protocol));
        panel_title(&P[i], ptitle, sizeof ptitle);
        fprintf(gp, "set origin %.6f, 0\nset size %.6f, 0.94\n", x0, share);
        rc = dg_write_panel(o, &P[i], dir, pname, gp, (int)(W * share), (int)(H * 0.94), ptitle,
                            err);
        fputs("unset label\nunset arrow\n", gp);
        x0 += share;
    }
    fputs("unset multiplot\nunset output\n", gp);
    if (!rc) rc = ft_out_commit(&gp_out, err);
    ft_out_abort(&gp_out);
    return rc;
}

int diag_draw_side(const struct diag_options *o, struct diag_report *rep, struct ft_error *err) {
    char dir[PLOT_PATH_MAX], name[PLOT_NAME_MAX];
    int rc = dg_split_out(o->out, dir, sizeof dir, name, sizeof name, err);
    if (rc) return rc;
    uint32_t n = o->nprotocols;
    struct dg_panel *P = calloc(n, sizeof *P);
    if (!P) return ft_fail(err, FT_ENOMEM, "out of memory");
    /* the record: the one given, else the first fault's under the first protocol whose
     * run has one (at-most-once never sends the ack lost-ack drops) */
    uint32_t k = 0;
    if (!o->has_record && !o->has_window)
        for (; !rc && k < n; k++) {
            rc = dg_prepare(o, o->protocols[k], &P[k], err);
            if (!rc && P[k].v.focused) break;
            dg_panel_free(&P[k]);
        }
    struct diag_options same = *o;
    if (!rc && k < n && !o->has_record && !o->has_window) {
        same.has_record = true;
        same.record = P[k].v.record;
        memcpy(same.first_fault, P[k].rep.fault, sizeof same.first_fault);
    } else {
        k = n; /* none focused: every panel the default view */
    }
    for (uint32_t i = 0; !rc && i < n; i++) {
        if (i == k) continue;
        rc = dg_prepare(&same, o->protocols[i], &P[i], err);
        if (rc) {
            char msg[FT_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            ft_fail(err, rc, "under %s: %s", dlv_name(o->protocols[i]), msg);
        }
    }
    if (!rc) rc = side_write(&same, P, n, dir, name, err);
    if (!rc) rc = dg_render(o, dir, name, err);
    if (!rc) {
        *rep = P[0].rep;
        for (uint32_t i = 1; i < n; i++) {
            rep->arrows += P[i].rep.arrows;
            rep->lost += P[i].rep.lost;
            rep->crashes += P[i].rep.crashes;
            rep->restarts += P[i].rep.restarts;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        dg_panel_free(&P[i]);
    free(P);
    return rc;
}
