/* The feature store (ml_feat.c): every record's features as the source produced them,
 * by record id (the payload bytes of a record that carries features; immutable once
 * produced), and source records sent with them. Internal to stream/, below the nodes
 * and the model's stage (ml_stage.h), which read it. */
#ifndef FTSIM_ML_FEAT_H
#define FTSIM_ML_FEAT_H

#include "pipe_internal.h"

int mls_feat_new(struct pipe *p, struct ft_error *err); /* when the source has features */
void mls_feat_free(struct pipe *p);
/* The source produced record r with the features g holds. */
void mls_feat_note(struct sim *s, struct pipe *p, const struct src_gen *g,
                   const struct src_record *r);
/* Record rec's features (dim doubles, then the label), or NULL when unknown. */
const double *mls_feat_of(const struct pipe *p, uint64_t rec);

/* wire_send of a record that carries features: with them (WIRE_FEATURES_BIT). */
void pipe_send_featured(struct sim *s, struct pipe *p, uint32_t from, uint32_t to, uint32_t kind,
                        const struct wire *w);
/* wire_send for a source record: with its features when the source has any. */
static inline void pipe_send_record(struct sim *s, struct pipe *p, uint32_t from, uint32_t to,
                                    uint32_t kind, const struct wire *w) {
    if (p->feat)
        pipe_send_featured(s, p, from, to, kind, w);
    else
        wire_send(s, from, to, kind, w);
}

#endif
