/* The feature store (ml_feat.h): each record's features as its source produced them, by
 * record id (the payload bytes of a record that carries features; immutable once
 * produced), and source records sent with their features after the wire fields. Below
 * the nodes and the model's stage: the source notes, the broker sends, the lake and the
 * model read. */
#include <stdlib.h>

#include "ml_feat.h"

struct mls_feat {
    uint32_t w;    /* doubles per record: dim, then the label */
    double *v;     /* by record id */
    uint8_t *have; /* by record id */
    size_t cap;
};

int mls_feat_new(struct pipe *p, struct ft_error *err) {
    p->feat = calloc(1, sizeof *p->feat);
    if (!p->feat) return ft_fail(err, FT_ENOMEM, "out of memory for the feature store");
    p->feat->w = p->cfg.source.feat.dim + 1;
    return 0;
}

void mls_feat_free(struct pipe *p) {
    if (!p->feat) return;
    free(p->feat->v);
    free(p->feat->have);
    free(p->feat);
    p->feat = NULL;
}

void mls_feat_note(struct sim *s, struct pipe *p, const struct src_gen *g,
                   const struct src_record *r) {
    struct mls_feat *f = p->feat;
    const double *x = src_gen_features(g);
    if (!f || !x) return;
    if (r->id >= PIPE_ML_RECORDS_MAX) {
        sim_fail(s, FT_ELIMIT, "more than %llu records with features",
                 (unsigned long long)PIPE_ML_RECORDS_MAX);
        return;
    }
    if (r->id >= f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap <= r->id)
            cap *= 2;
        double *v = realloc(f->v, cap * f->w * sizeof *v);
        if (v) f->v = v;
        uint8_t *h = v ? realloc(f->have, cap) : NULL;
        if (!h) {
            sim_fail(s, FT_ENOMEM, "out of memory in the feature store");
            return;
        }
        memset(h + f->cap, 0, cap - f->cap);
        f->have = h;
        f->cap = cap;
    }
    memcpy(f->v + r->id * f->w, x, f->w * sizeof *x);
    f->have[r->id] = 1;
}

const double *mls_feat_of(const struct pipe *p, uint64_t rec) {
    const struct mls_feat *f = p->feat;
    return f && rec < f->cap && f->have[rec] ? f->v + rec * f->w : NULL;
}

void pipe_send_featured(struct sim *s, struct pipe *p, uint32_t from, uint32_t to, uint32_t kind,
                        const struct wire *w) {
    const double *x = mls_feat_of(p, w->rec);
    if (!x) {
        wire_send(s, from, to, kind, w);
        return;
    }
    unsigned char buf[WIRE_BYTES_MAX + 8 * (ML_DIM_MAX + 1)];
    size_t n = wire_encode(w, buf);
    buf[1] |= (unsigned char)(WIRE_FEATURES_BIT >> 8);
    memcpy(buf + n, x, p->feat->w * sizeof *x);
    n += p->feat->w * sizeof *x;
    sim_send_tagged(s, from, to, kind, w->rec, buf, (uint32_t)n);
}
