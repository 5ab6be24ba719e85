/* Streaming machine learning, the pure math (no simulator): Spark MLlib's streaming
 * k-means (StreamingKMeansModel.update) and streaming linear regression with SGD
 * (GradientDescent.runMiniBatchSGD warm-started per batch), both fed by a batch's
 * sufficient statistics so partial statistics of several partitions add up; offline
 * fits for a frozen model (Lloyd's k-means, least squares). Every sum runs in a fixed
 * order and every transcendental is a run-time libm call, so one input gives the same
 * bits on every build (compiled with -ffp-contract=off). docs/ml.md states the formulas. */
#ifndef FTSIM_ML_H
#define FTSIM_ML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define ML_DIM_MAX 16u                 /* features per record */
#define ML_K_MAX 64u                   /* k-means clusters */
#define ML_ITERATIONS_MAX 1000u        /* SGD steps per batch */
#define ML_COEF_MAX (ML_DIM_MAX + 1u)  /* regression: weights, then the intercept */
#define ML_STATS_BYTES_MAX (32u << 10) /* one partition's batch statistics */

enum ml_kind { ML_NONE = 0, ML_KMEANS, ML_LINREG };

/* What a scenario's kmeans / linear_regression operator says (docs/scenario-format.md). */
struct ml_spec {
    enum ml_kind kind;
    uint32_t d; /* feature dimension */
    /* k-means: discount a per batch, or a^(points in the batch) with per_point */
    uint32_t k;
    double decay;
    bool per_point;
    bool init_given;                   /* else random (Gaussian, the query's stream) */
    double init[ML_K_MAX][ML_DIM_MAX]; /* given initial centres */
    double init_weight;                /* every initial cluster weight */
    /* linear regression */
    double step;         /* initial step size; step / sqrt(i) at iteration i */
    uint32_t iterations; /* per non-empty batch */
    double fraction;     /* mini-batch fraction in (0, 1] */
    bool intercept;      /* a constant 1 appended to x: its weight is the intercept */
    double tol;          /* convergence tolerance (0: always `iterations` steps) */
    double init_coef[ML_COEF_MAX];
};

/* A model: k-means centres and weights, or regression coefficients (coef[d] is the
 * intercept when spec.intercept). */
struct ml_model {
    enum ml_kind kind;
    uint32_t d, k;
    double c[ML_K_MAX][ML_DIM_MAX];
    double w[ML_K_MAX];
    double coef[ML_COEF_MAX];
};

/* exp(ln 0.5 / h): the decay whose half-life is h batches or points. */
double ml_half_life_decay(double h);
/* The initial model: given centres / coefficients, or for k-means without given
 * centres k * d standard normal draws from r (StreamingKMeans.setRandomCenters). */
void ml_init(const struct ml_spec *s, struct rng *r, struct ml_model *m);
/* Coefficients the regression has: d (+ 1 with an intercept). */
uint32_t ml_coefs(const struct ml_spec *s);

/* ---- a batch's sufficient statistics: a flat array of doubles ----
 * k-means: count[k], sum[k][d], then the tail. Regression: `sets` blocks of
 * {n, Σ x̃x̃ᵀ (upper triangle, row-major), Σ y x̃} with x̃ = x (1 appended with an
 * intercept), one block per SGD iteration when fraction < 1 (each iteration's own
 * sample) else one, then the tail. Tail: records scored, Σ score, Σ score under the
 * frozen model (k-means: squared distance to the nearest centre, MLlib's cost;
 * regression: squared error of the prediction). */
size_t ml_stats_len(const struct ml_spec *s);
enum { ML_TAIL_SCORED = 0, ML_TAIL_SCORE, ML_TAIL_SCORE_FROZEN, ML_TAIL_N };
/* The index of the tail's first element. */
size_t ml_stats_tail(const struct ml_spec *s);
/* Adds one record (features x, label y) scored by m (and frozen, may be NULL) to st.
 * sample_key and rec decide the record's mini-batch samples (ml_sampled). */
void ml_stats_add(const struct ml_spec *s, const struct ml_model *m, const struct ml_model *frozen,
                  uint64_t sample_key, uint64_t rec, const double *x, double y, double *st);
/* acc += st, element by element in index order. */
void ml_stats_merge(const struct ml_spec *s, double *acc, const double *st);
/* Whether record rec is in SGD iteration i's mini-batch (i >= 1): a Bernoulli(fraction)
 * draw from a hash of (key, rec, i), the same wherever and whenever it is decided. */
bool ml_sampled(uint64_t key, uint64_t rec, uint32_t i, double fraction);

/* One model update from a batch's statistics. k-means: StreamingKMeansModel.update
 * with the dying-cluster split; regression: runMiniBatchSGD's `iterations` steps from
 * the current coefficients (nothing for an empty batch). */
void ml_update(const struct ml_spec *s, struct ml_model *m, const double *st);

/* Nearest centre of x (squared Euclidean distance, the lowest index on ties); its
 * squared distance into *dist2 when not NULL. */
uint32_t ml_nearest(const struct ml_model *m, const double *x, double *dist2);
/* The regression's prediction w·x (+ intercept). */
double ml_predict(const struct ml_spec *s, const struct ml_model *m, const double *x);

/* ---- offline fits (a frozen model trained on a table) ---- */
/* Lloyd's k-means from m's centres over n points (n * d doubles, row-major), at most
 * iters iterations, stopping when no centre moves more than eps (MLlib KMeans:
 * 20 iterations, eps 1e-4); weights become the final counts. */
void ml_kmeans_lloyd(const struct ml_spec *s, struct ml_model *m, const double *pts, size_t n,
                     uint32_t iters, double eps);
/* Least squares from regression statistics (one block): solves (Σ x̃x̃ᵀ) c = Σ y x̃ by
 * Gaussian elimination with partial pivoting. false (m unchanged) when singular. */
bool ml_least_squares(const struct ml_spec *s, struct ml_model *m, const double *st);

/* A model as a flat array (messages, series): k-means k * d centres then k weights;
 * regression the coefficients. */
size_t ml_params_len(const struct ml_spec *s);
void ml_pack(const struct ml_spec *s, const struct ml_model *m, double *out);
void ml_unpack(const struct ml_spec *s, const double *in, struct ml_model *m);

/* ---- errors against a reference model ---- */
/* k-means: mean over ref's centres of the distance to the nearest centre of m. */
double ml_centre_error(const struct ml_model *m, const struct ml_model *ref);
/* Regression: RMSE over the coefficients (weights and intercept). */
double ml_coef_rmse(const struct ml_spec *s, const struct ml_model *m, const struct ml_model *ref);

#endif
