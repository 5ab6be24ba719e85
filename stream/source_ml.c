/* Sources with feature vectors and a known true model (streaming ML): `clusters` draws
 * points around K centres, `linear` draws x uniform in a box and labels it with a line
 * plus Gaussian noise. Arrivals are Poisson at `rate`, keys uniform over `keys`, event
 * time = arrival. Each kind has its own stream ("source:clusters", "source:linear");
 * per record it draws the gap, the key, then (clusters) the centre and dim normals or
 * (linear) dim uniforms and one normal. Gaussians come from rng_gaussian (run-time libm
 * log and cos). The drift applies to records whose event time is at or after drift_ns. */
#include <math.h>
#include <string.h>

#include "source.h"

static bool drifted(const struct pipe_features *f, uint64_t t_ns) {
    return f->drift && t_ns >= f->drift_ns;
}

int src_ml_init(struct src_gen *g, uint64_t seed) {
    const struct pipe_source *c = &g->cfg;
    if (!c->feat.dim || c->feat.dim > ML_DIM_MAX || c->rate_per_s <= 0 || !c->keys)
        return FT_EINVAL;
    rng_init(&g->rng, seed, c->kind == SRC_CLUSTERS ? "source:clusters" : "source:linear");
    if (c->kind == SRC_CLUSTERS) {
        if (!c->feat.k || c->feat.k > ML_K_MAX) return FT_EINVAL;
        for (uint32_t j = 0; j < c->feat.k; j++)
            g->share_total += c->feat.share[j];
        if (!(g->share_total > 0)) return FT_EINVAL;
    }
    g->next_ns = rng_exponential(&g->rng, (uint64_t)(1e9 / c->rate_per_s));
    return 0;
}

/* The centre a uniform draw u in [0, 1) picks: the first whose cumulative share
 * exceeds u * total. */
static uint32_t pick_centre(const struct src_gen *g, double u) {
    const struct pipe_features *f = &g->cfg.feat;
    double t = u * g->share_total, acc = 0;
    for (uint32_t j = 0; j + 1 < f->k; j++) {
        acc += f->share[j];
        if (t < acc) return j;
    }
    return f->k - 1;
}

static void clusters_point(struct src_gen *g, uint64_t t_ns) {
    const struct pipe_features *f = &g->cfg.feat;
    uint32_t j = pick_centre(g, rng_uniform(&g->rng));
    bool moved = drifted(f, t_ns);
    for (uint32_t i = 0; i < f->dim; i++) {
        double c = f->centre[j][i] + (moved ? f->move[j][i] : 0.0);
        g->feat[i] = c + f->sd * rng_gaussian(&g->rng);
    }
    g->feat[f->dim] = (double)j;
}

static void linear_point(struct src_gen *g, uint64_t t_ns) {
    const struct pipe_features *f = &g->cfg.feat;
    bool moved = drifted(f, t_ns);
    const double *w = moved ? f->w2 : f->w;
    double y = 0;
    for (uint32_t i = 0; i < f->dim; i++) {
        double x = f->lo + (f->hi - f->lo) * rng_uniform(&g->rng);
        g->feat[i] = x;
        y += w[i] * x;
    }
    y += moved ? f->b2 : f->b;
    g->feat[f->dim] = y + f->noise * rng_gaussian(&g->rng);
}

bool src_ml_next(struct src_gen *g, struct src_record *r) {
    if (g->next_ns >= g->duration_ns) return false;
    r->id = g->next_id++;
    r->event_ns = r->arrival_ns = g->next_ns;
    r->key = (uint32_t)rng_below(&g->rng, g->cfg.keys);
    if (g->cfg.kind == SRC_CLUSTERS) {
        clusters_point(g, r->event_ns);
        r->value = (int64_t)g->feat[g->cfg.feat.dim]; /* the true centre's index */
    } else {
        linear_point(g, r->event_ns);
        double milli = round(g->feat[g->cfg.feat.dim] * 1000.0); /* y in milli-units */
        r->value = (int64_t)fmax(-1e12, fmin(1e12, milli));
    }
    g->next_ns += rng_exponential(&g->rng, (uint64_t)(1e9 / g->cfg.rate_per_s));
    return true;
}

const double *src_gen_features(const struct src_gen *g) {
    return g->cfg.feat.dim ? g->feat : NULL;
}

bool src_true_model(const struct pipe_source *cfg, uint64_t t_ns, const struct ml_spec *spec,
                    struct ml_model *out) {
    const struct pipe_features *f = &cfg->feat;
    memset(out, 0, sizeof *out);
    out->d = f->dim;
    bool moved = drifted(f, t_ns);
    if (cfg->kind == SRC_CLUSTERS) {
        out->kind = ML_KMEANS;
        out->k = f->k;
        for (uint32_t j = 0; j < f->k; j++) {
            out->w[j] = f->share[j];
            for (uint32_t i = 0; i < f->dim; i++)
                out->c[j][i] = f->centre[j][i] + (moved ? f->move[j][i] : 0.0);
        }
        return true;
    }
    if (cfg->kind != SRC_LINEAR) return false;
    out->kind = ML_LINREG;
    for (uint32_t i = 0; i < f->dim; i++)
        out->coef[i] = moved ? f->w2[i] : f->w[i];
    if (spec && spec->intercept) out->coef[f->dim] = moved ? f->b2 : f->b;
    return true;
}
