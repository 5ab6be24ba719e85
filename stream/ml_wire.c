/* The bytes of the streaming model: the ML messages' canonical encodings (little-endian
 * 64-bit words: integers, then IEEE-754 doubles bit for bit) and the partials they carry.
 * A short or malformed ML message decodes as false. The feature store and source records
 * sent with their features are ml_feat.c's. */
#include <stdlib.h>

#include "ml_internal.h"

/* ---- partials ---- */

void mls_partial_free(struct mls_partial *pt) {
    free(pt->st);
    free(pt->rec);
    free(pt->off);
    memset(pt, 0, sizeof *pt);
}

int mls_partial_copy(const struct mls_partial *from, struct mls_partial *to, size_t nst) {
    *to = *from;
    to->st = malloc(nst * sizeof *to->st);
    to->rec = malloc((from->n ? from->n : 1) * sizeof *to->rec);
    to->off = from->off ? malloc((from->n ? from->n : 1) * sizeof *to->off) : NULL;
    if (!to->st || !to->rec || (from->off && !to->off)) {
        mls_partial_free(to);
        return FT_ENOMEM;
    }
    memcpy(to->st, from->st, nst * sizeof *to->st);
    if (from->n) memcpy(to->rec, from->rec, from->n * sizeof *to->rec);
    if (from->off && from->n) memcpy(to->off, from->off, from->n * sizeof *to->off);
    return 0;
}

/* ---- messages ---- */

struct buf {
    unsigned char *b;
    size_t n, cap;
};

static void put(struct buf *b, const void *v, size_t bytes) {
    if (bytes && b->n + bytes <= b->cap) memcpy(b->b + b->n, v, bytes);
    b->n += bytes;
}

static void put_u64(struct buf *b, uint64_t v) {
    put(b, &v, 8);
}

static bool take(const unsigned char **p, const unsigned char *end, void *v, size_t bytes) {
    if ((size_t)(end - *p) < bytes) return false;
    memcpy(v, *p, bytes);
    *p += bytes;
    return true;
}

static void send(struct sim *s, uint32_t from, uint32_t to, uint32_t kind, const struct buf *b,
                 const char *what) {
    if (b->n > b->cap) {
        sim_fail(s, FT_ELIMIT,
                 "a model %s message needs %zu bytes, more than the %u a message may carry: "
                 "shorten the driver's trigger or add partitions",
                 what, b->n, SIM_MSG_BYTES_MAX);
        return;
    }
    sim_send(s, from, to, kind, b->b, (uint32_t)b->n);
}

void mls_send_job(struct sim *s, struct pipe *p, uint32_t to, const struct mls_job *j) {
    static _Thread_local unsigned char mem[SIM_MSG_BYTES_MAX];
    const struct ml_spec *spec = &p->cfg.ml.spec;
    double par[ML_K_MAX * (ML_DIM_MAX + 1)];
    struct buf b = {mem, 0, sizeof mem};
    put_u64(&b, j->epoch);
    put_u64(&b, j->b);
    put_u64(&b, j->has_frozen);
    ml_pack(spec, &j->model, par);
    put(&b, par, ml_params_len(spec) * sizeof *par);
    if (j->has_frozen) {
        ml_pack(spec, &j->frozen, par);
        put(&b, par, ml_params_len(spec) * sizeof *par);
    }
    send(s, p->driver, to, PIPE_MSG_ML_JOB, &b, "job");
}

bool mls_get_job(const struct pipe *p, const struct sim_msg *m, struct mls_job *j) {
    const struct ml_spec *spec = &p->cfg.ml.spec;
    const unsigned char *at = m->data, *end = m->data + m->len;
    double par[ML_K_MAX * (ML_DIM_MAX + 1)];
    size_t np = ml_params_len(spec) * sizeof *par;
    uint64_t frozen;
    if (!take(&at, end, &j->epoch, 8) || !take(&at, end, &j->b, 8) || !take(&at, end, &frozen, 8) ||
        !take(&at, end, par, np))
        return false;
    ml_unpack(spec, par, &j->model);
    j->has_frozen = frozen != 0;
    if (j->has_frozen) {
        if (!take(&at, end, par, np)) return false;
        ml_unpack(spec, par, &j->frozen);
    }
    return true;
}

void mls_send_stats(struct sim *s, struct pipe *p, uint32_t from, uint64_t epoch,
                    const struct mls_partial *pt) {
    static _Thread_local unsigned char mem[SIM_MSG_BYTES_MAX];
    struct buf b = {mem, 0, sizeof mem};
    put_u64(&b, epoch);
    put_u64(&b, pt->inc);
    put_u64(&b, pt->b);
    put_u64(&b, pt->part);
    put_u64(&b, pt->n);
    put(&b, pt->st, mls_stats_len(p) * sizeof *pt->st);
    put(&b, pt->rec, (size_t)pt->n * sizeof *pt->rec);
    send(s, from, p->driver, PIPE_MSG_ML_STATS, &b, "statistics");
}

/* Decodes a STATS message into pt (its arrays malloc'd; w from the sender). */
bool mls_get_stats(const struct pipe *p, const struct sim_msg *m, uint64_t *epoch,
                   struct mls_partial *pt) {
    const unsigned char *at = m->data, *end = m->data + m->len;
    uint64_t inc, part, n;
    size_t nst = mls_stats_len(p);
    memset(pt, 0, sizeof *pt);
    if (!take(&at, end, epoch, 8) || !take(&at, end, &inc, 8) || !take(&at, end, &pt->b, 8) ||
        !take(&at, end, &part, 8) || !take(&at, end, &n, 8) || part >= p->cfg.partitions ||
        (size_t)(end - at) != nst * 8 + n * 8)
        return false;
    pt->st = malloc(nst * sizeof *pt->st);
    pt->rec = malloc((n ? n : 1) * sizeof *pt->rec);
    if (!pt->st || !pt->rec) {
        mls_partial_free(pt);
        return false;
    }
    take(&at, end, pt->st, nst * 8);
    take(&at, end, pt->rec, n * 8);
    pt->inc = (uint32_t)inc;
    pt->part = (uint32_t)part;
    pt->n = (uint32_t)n;
    return true;
}

void mls_send_ack(struct sim *s, struct pipe *p, uint32_t to, const struct mls_ack *a) {
    static _Thread_local unsigned char mem[SIM_MSG_BYTES_MAX];
    struct buf b = {mem, 0, sizeof mem};
    put_u64(&b, a->epoch);
    put_u64(&b, a->inc);
    put_u64(&b, a->b);
    put_u64(&b, a->part);
    put_u64(&b, a->status);
    put_u64(&b, a->ndup);
    put(&b, a->dup, (size_t)a->ndup * sizeof *a->dup);
    send(s, p->driver, to, PIPE_MSG_ML_STATS_ACK, &b, "statistics ack");
}

bool mls_get_ack(const struct sim_msg *m, struct mls_ack *a) {
    const unsigned char *at = m->data, *end = m->data + m->len;
    uint64_t inc, part, ndup;
    if (!take(&at, end, &a->epoch, 8) || !take(&at, end, &inc, 8) || !take(&at, end, &a->b, 8) ||
        !take(&at, end, &part, 8) || !take(&at, end, &a->status, 8) || !take(&at, end, &ndup, 8) ||
        (size_t)(end - at) != ndup * 8)
        return false;
    a->inc = (uint32_t)inc;
    a->part = (uint32_t)part;
    a->ndup = (uint32_t)ndup;
    a->dup = (uint64_t *)(uintptr_t)at; /* read with memcpy: may be unaligned */
    return true;
}
