/* The results store's description of a scenario file (scn_meta.h): the failures the
 * file injects (its faults: crash, drop, partition; network or link loss, duplication,
 * reordering; Byzantine traitors) and a window row's value in words: the aggregate, what
 * the source's records are and what the final key is. */
#include "scn_meta.h"

#include <stdio.h>
#include <string.h>

/* Appends word to the comma-separated list in buf unless it is there already. */
static void add_word(char *buf, size_t size, const char *word) {
    size_t n = strlen(word);
    for (const char *p = buf; (p = strstr(p, word)) != NULL; p += n)
        if ((p == buf || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return;
    size_t k = strlen(buf);
    snprintf(buf + k, size - k, "%s%s", k ? "," : "", word);
}

static void link_faults(const struct net_link_cfg *l, char *buf, size_t size) {
    if (l->loss_p > 0) add_word(buf, size, "loss");
    if (l->dup_p > 0) add_word(buf, size, "duplicate");
    if (l->reorder_p > 0) add_word(buf, size, "reorder");
}

static void pipe_faults(const struct pipe_config *c, char *buf, size_t size) {
    static const char *const kinds[] = {"", "crash", "drop", "partition"};
    for (uint32_t i = 0; i < c->nfaults; i++)
        if ((unsigned)c->faults[i].type < sizeof kinds / sizeof kinds[0])
            add_word(buf, size, kinds[c->faults[i].type]);
    link_faults(&c->network, buf, size);
    for (uint32_t i = 0; i < c->nlinks; i++)
        link_faults(&c->links[i].cfg, buf, size);
}

/* What one source record is, and what its key and value are (pipeline.h). */
static const struct {
    const char *records, *key, *value;
} nouns[SRC_KINDS] = {
    [SRC_KEYED] = {"records", "key", "value"},
    [SRC_IOT] = {"readings", "device", "reading (milli-degrees C)"},
    [SRC_CSV] = {"rows", "key", "value"},
    [SRC_LOGS] = {"log lines", "host", "level"},
    [SRC_ADS] = {"ad events", "campaign", "event type"},
    [SRC_CLICKS] = {"page views", "user", "page"},
};

static void window_words(const struct pipe_config *c, char *buf, size_t size) {
    unsigned k = (unsigned)c->source.kind < SRC_KINDS ? (unsigned)c->source.kind : SRC_KEYED;
    enum op_by by = OP_BY_KEY;
    bool filtered = false;
    for (uint32_t i = 0; i < c->query.nops; i++) {
        if (c->query.ops[i].kind == OP_KEY_BY) by = c->query.ops[i].by;
        filtered |= c->query.ops[i].kind == OP_FILTER;
    }
    const char *per = by == OP_BY_VALUE       ? nouns[k].value
                      : by == OP_BY_ATTRIBUTE ? "joined attribute"
                                              : nouns[k].key;
    enum win_agg agg = c->query.window.agg;
    if (agg == WIN_AGG_COUNT)
        snprintf(buf, size, "count of %s%s per %s", filtered ? "the filtered " : "",
                 nouns[k].records, per);
    else
        snprintf(buf, size, "%s %s per %s", win_agg_name(agg), nouns[k].value, per);
}

void scn_meta_fill(const struct scenario *s, struct scn_meta *m) {
    memset(m, 0, sizeof *m);
    m->file.seed = s->seed;
    m->file.about = s->about;
    m->file.faults = m->faults;
    if (s->kind == SCN_KIND_BYZANTINE) {
        bool traitor = s->byz.exhaustive || s->byz.draw_count > 0;
        for (uint32_t i = 0; i < s->byz.cfg.n && i < BYZ_NODES_MAX; i++)
            traitor |= s->byz.cfg.strategy[i] != BYZ_LOYAL;
        if (traitor) add_word(m->faults, sizeof m->faults, "traitor");
        return;
    }
    m->file.duration_ns = s->pipe.duration_ns;
    pipe_faults(&s->pipe, m->faults, sizeof m->faults);
    if (!s->pipe.query.enabled) return;
    m->file.window_aggregate = win_agg_name(s->pipe.query.window.agg);
    window_words(&s->pipe, m->window_value, sizeof m->window_value);
    m->file.window_value = m->window_value;
}
