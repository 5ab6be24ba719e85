/* The base of a swarm (swarm.h): the file read and loaded once, the protocols judged,
 * the fault kinds it allows, when its source sends records, a CSV's path as seen from
 * the output directory; and the expect: block a written run file carries. */
#define _DEFAULT_SOURCE /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scn_doc.h"
#include "scn_verdict.h"
#include "source.h"
#include "swarm.h"

int swarm_rel_path(const char *from_dir, const char *target, char *buf, size_t size) {
    char a[PATH_MAX], b[PATH_MAX];
    if (!realpath(from_dir, a) || !realpath(target, b)) return -1;
    size_t i = 0, common = 0; /* the last '/' of the longest common directory */
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/') common = i;
    if (!a[i] && b[i] == '/') common = i;
    size_t len = 0;
    buf[0] = '\0';
    for (const char *p = a + common; *p; p++) /* one ".." per directory left in a */
        if (*p == '/') len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "../");
    int n = snprintf(buf + len, len < size ? size - len : 0, "%s", b + common + 1);
    return n < 0 || len + (size_t)n >= size ? -1 : 0;
}

/* When the source sends: [first arrival, last arrival] for a CSV replay (its rows may
 * start late in a long run), else [0, duration]. */
static int active_window(struct swarm_base *b) {
    const struct pipe_config *c = &b->scn->pipe;
    b->active_from_ns = 0;
    b->active_to_ns = c->duration_ns;
    if (c->source.kind != SRC_CSV) return 0;
    struct src_gen g;
    struct src_record r;
    struct ft_error err = {0};
    if (src_gen_open(&g, &c->source, c->duration_ns, b->seed, &err)) return -1;
    for (bool first = true; src_gen_next(&g, &r); first = false) {
        if (first) b->active_from_ns = r.arrival_ns;
        b->active_to_ns = r.arrival_ns;
    }
    src_gen_free(&g);
    return 0;
}

static bool listed(const struct swarm_base *b, enum dlv_protocol p) {
    for (uint32_t i = 0; i < b->nprotocols; i++)
        if (b->protocols[i] == p) return true;
    return false;
}

int swarm_base_open(struct swarm_base *b, const char *file, uint64_t seed,
                    const enum dlv_protocol *protocols, uint32_t nprotocols, const char *out_dir) {
    memset(b, 0, sizeof *b);
    b->file = file;
    b->seed = seed;
    b->out_dir = out_dir;
    struct ft_error err = {0};
    b->scn = malloc(sizeof *b->scn);
    if (!b->scn) return CLI_INTERNAL;
    int rc = scn_read_file(file, &b->text, &b->len, &err);
    if (!rc) rc = scn_parse(file, b->text, b->len, b->scn, &err);
    if (rc) return cli_print_load_error("swarm", rc, &err);
    if (b->scn->kind != SCN_KIND_PIPELINE) {
        fprintf(stderr, "ftsim: %s is a Byzantine scenario; swarm and shrink take a pipeline\n",
                file);
        return CLI_USAGE;
    }
    b->nprotocols = nprotocols ? nprotocols : b->scn->nprotocols;
    memcpy(b->protocols, nprotocols ? protocols : b->scn->protocols,
           b->nprotocols * sizeof *b->protocols);
    b->kinds = (1u << SW_KINDS) - 1;
    if (listed(b, DLV_EXACTLY_ONCE_CKPT) && !b->scn->pipe.group.rebalance)
        b->kinds &= ~(1u << SW_EVICT); /* the loader refuses checkpoints with a group */
    if (active_window(b)) {
        fprintf(stderr, "ftsim: %s: cannot read its source's records\n", file);
        return CLI_USAGE;
    }
    if (b->scn->pipe.source.kind == SRC_CSV &&
        swarm_rel_path(out_dir, b->scn->pipe.source.csv_path, b->csv_rel, sizeof b->csv_rel)) {
        fprintf(stderr, "ftsim: cannot name %s from %s\n", b->scn->pipe.source.csv_path, out_dir);
        return CLI_USAGE;
    }
    return CLI_OK;
}

void swarm_base_close(struct swarm_base *b) {
    free(b->text);
    free(b->scn);
    memset(b, 0, sizeof *b);
}

int swarm_doc_expect(struct scn_doc *d, const enum dlv_protocol *protocols, uint32_t n,
                     const struct scn_expect *expects) {
    char path[64], y[512];
    scn_doc_remove(d, "expect");
    for (uint32_t i = 0; i < n; i++) {
        if (scn_expect_yaml(&expects[i], y, sizeof y)) return FT_ELIMIT;
        snprintf(path, sizeof path, "expect.%s", dlv_name(protocols[i]));
        int rc = scn_doc_set(d, path, y);
        if (rc) return rc;
    }
    return 0;
}

int swarm_file_with_expect(const struct swarm_base *b, const char *text, size_t len,
                           const struct scn_expect *expects, char **out, size_t *out_len) {
    struct scn_doc *d;
    struct ft_error err = {0};
    int rc = scn_doc_parse(b->file, text, len, &d, &err);
    if (rc) return rc;
    rc = swarm_doc_expect(d, b->protocols, b->nprotocols, expects);
    if (!rc) rc = scn_doc_emit(d, out, out_len);
    scn_doc_free(d);
    return rc;
}

uint64_t swarm_recheck_drain_ns(const struct pipe_config *cfg) {
    uint64_t rounds = 300 * cfg->delivery.max_timeout_ns; /* <= 300 x a day: no overflow */
    return rounds > SWARM_RECHECK_DRAIN_NS ? rounds : SWARM_RECHECK_DRAIN_NS;
}

int swarm_recheck(const struct pipe_config *cfg, const struct scn_expect *e, enum dlv_protocol p,
                  uint64_t seed, int key) {
    if (key == VRD_DUPLICATED || key == VRD_MODEL_DUPLICATED ||
        key == SCN_KEY_EXPECT + SCN_EK_DUPLICATED)
        return 1;
    struct pipe_config *c = malloc(sizeof *c);
    if (!c) return -1;
    *c = *cfg;
    uint64_t room = PIPE_DURATION_MAX - c->drain_ns;
    uint64_t more = swarm_recheck_drain_ns(cfg);
    c->drain_ns += room < more ? room : more;
    struct exp_outcome o;
    struct exp_windows w = {0};
    struct ft_error err = {0};
    struct scn_verdict v;
    int rc = exp_run_windows(c, p, seed, NULL, &o, &w, &err);
    if (!rc) scn_judge(e, p, &o, &w, SCN_JUDGE_GUARANTEE | SCN_JUDGE_EXPECT, &v);
    exp_windows_free(&w);
    free(c);
    return rc ? -1 : scn_verdict_has(&v, key);
}
