/* How figures name and draw things: file-name slugs, each protocol's rank, colour
 * (Okabe-Ito, distinguishable by colour-blind viewers and on a projector), dash and
 * point type, times as seconds or clock time, and label words. Pure functions: the same
 * input always gives the same text, so figures are byte-identical across runs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dlv.h"
#include "plot_internal.h"

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
