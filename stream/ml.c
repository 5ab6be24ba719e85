/* Streaming k-means and streaming linear regression (stream/ml.h; docs/ml.md cites the
 * MLlib source each formula follows). Pure functions over plain arrays: sums run in
 * index order, each operation rounds once (no fused multiply-add: -ffp-contract=off),
 * and log/exp/pow/sqrt/cos are called at run time on run-time values. */
#include "ml.h"

#include <math.h>
#include <string.h>

double ml_half_life_decay(double h) {
    volatile double half = 0.5; /* a run-time log, never a constant the compiler folds */
    return exp(log(half) / h);
}

uint32_t ml_coefs(const struct ml_spec *s) {
    return s->d + (s->intercept ? 1u : 0u);
}

void ml_init(const struct ml_spec *s, struct rng *r, struct ml_model *m) {
    memset(m, 0, sizeof *m);
    m->kind = s->kind;
    m->d = s->d;
    m->k = s->kind == ML_KMEANS ? s->k : 0;
    if (s->kind == ML_LINREG) {
        memcpy(m->coef, s->init_coef, sizeof m->coef);
        return;
    }
    for (uint32_t j = 0; j < s->k; j++) {
        for (uint32_t i = 0; i < s->d; i++)
            m->c[j][i] = s->init_given ? s->init[j][i] : rng_gaussian(r);
        m->w[j] = s->init_weight;
    }
}

/* ---- statistics layout ---- */

static uint32_t tri(uint32_t n) {
    return n * (n + 1) / 2;
}

static uint32_t lin_sets(const struct ml_spec *s) {
    return s->fraction < 1.0 ? s->iterations : 1;
}

static size_t lin_block(const struct ml_spec *s) {
    uint32_t n = ml_coefs(s);
    return 1 + tri(n) + n;
}

size_t ml_stats_tail(const struct ml_spec *s) {
    if (s->kind == ML_KMEANS) return (size_t)s->k * (1 + s->d);
    return lin_sets(s) * lin_block(s);
}

size_t ml_stats_len(const struct ml_spec *s) {
    return ml_stats_tail(s) + ML_TAIL_N;
}

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

bool ml_sampled(uint64_t key, uint64_t rec, uint32_t i, double fraction) {
    if (fraction >= 1.0) return true;
    uint64_t h = mix64(key ^ mix64(rec ^ mix64(i)));
    /* 53 bits against fraction * 2^53: both exact in a double */
    return (double)(h >> 11) < fraction * 9007199254740992.0;
}

uint32_t ml_nearest(const struct ml_model *m, const double *x, double *dist2) {
    uint32_t best = 0;
    double bd = 0;
    for (uint32_t j = 0; j < m->k; j++) {
        double s = 0;
        for (uint32_t i = 0; i < m->d; i++) {
            double t = x[i] - m->c[j][i];
            s += t * t;
        }
        if (j == 0 || s < bd) {
            bd = s;
            best = j;
        }
    }
    if (dist2) *dist2 = bd;
    return best;
}

double ml_predict(const struct ml_spec *s, const struct ml_model *m, const double *x) {
    double y = 0;
    for (uint32_t i = 0; i < s->d; i++)
        y += m->coef[i] * x[i];
    return s->intercept ? y + m->coef[s->d] : y;
}

/* The score of one record: k-means its squared distance to the nearest centre,
 * regression the squared error of its prediction. */
static double score(const struct ml_spec *s, const struct ml_model *m, const double *x, double y) {
    if (s->kind == ML_KMEANS) {
        double d2;
        ml_nearest(m, x, &d2);
        return d2;
    }
    double e = ml_predict(s, m, x) - y;
    return e * e;
}

/* x̃: x, then 1 with an intercept. */
static uint32_t augment(const struct ml_spec *s, const double *x, double *xt) {
    memcpy(xt, x, s->d * sizeof *xt);
    if (s->intercept) xt[s->d] = 1.0;
    return ml_coefs(s);
}

static void lin_add(const struct ml_spec *s, const double *xt, double y, double *b) {
    uint32_t n = ml_coefs(s);
    double *xx = b + 1, *xy = b + 1 + tri(n);
    b[0] += 1.0;
    for (uint32_t r = 0, at = 0; r < n; r++)
        for (uint32_t c = r; c < n; c++)
            xx[at++] += xt[r] * xt[c];
    for (uint32_t r = 0; r < n; r++)
        xy[r] += y * xt[r];
}

void ml_stats_add(const struct ml_spec *s, const struct ml_model *m, const struct ml_model *frozen,
                  uint64_t sample_key, uint64_t rec, const double *x, double y, double *st) {
    double *tail = st + ml_stats_tail(s);
    tail[ML_TAIL_SCORED] += 1.0;
    tail[ML_TAIL_SCORE] += score(s, m, x, y);
    if (frozen) tail[ML_TAIL_SCORE_FROZEN] += score(s, frozen, x, y);
    if (s->kind == ML_KMEANS) {
        uint32_t j = ml_nearest(m, x, NULL);
        double *sum = st + s->k + (size_t)j * s->d;
        st[j] += 1.0;
        for (uint32_t i = 0; i < s->d; i++)
            sum[i] += x[i];
        return;
    }
    double xt[ML_COEF_MAX];
    augment(s, x, xt);
    size_t blk = lin_block(s);
    uint32_t sets = lin_sets(s);
    for (uint32_t i = 0; i < sets; i++)
        if (sets == 1 || ml_sampled(sample_key, rec, i + 1, s->fraction))
            lin_add(s, xt, y, st + i * blk);
}

void ml_stats_merge(const struct ml_spec *s, double *acc, const double *st) {
    size_t n = ml_stats_len(s);
    for (size_t i = 0; i < n; i++)
        acc[i] += st[i];
}

/* ---- k-means: StreamingKMeansModel.update ---- */

static void kmeans_split_dying(struct ml_model *m) {
    uint32_t big = 0, small = 0;
    for (uint32_t j = 1; j < m->k; j++) { /* the first maximum and the first minimum */
        if (m->w[j] > m->w[big]) big = j;
        if (m->w[j] < m->w[small]) small = j;
    }
    if (!(m->w[small] < 1e-8 * m->w[big])) return;
    double weight = (m->w[big] + m->w[small]) / 2.0;
    m->w[big] = m->w[small] = weight;
    for (uint32_t i = 0; i < m->d; i++) {
        double x = m->c[big][i], p = 1e-14 * fmax(fabs(x), 1.0);
        m->c[big][i] = x + p;
        m->c[small][i] = x - p;
    }
}

static void kmeans_update(const struct ml_spec *s, struct ml_model *m, const double *st) {
    const double *count = st, *sum = st + s->k;
    double total = 0;
    for (uint32_t j = 0; j < s->k; j++)
        total += count[j];
    double discount = s->per_point ? pow(s->decay, total) : s->decay;
    for (uint32_t j = 0; j < s->k; j++)
        m->w[j] *= discount;
    for (uint32_t j = 0; j < s->k; j++) {
        double n = count[j];
        if (n == 0) continue; /* MLlib updates only the clusters that got points */
        double w = m->w[j] + n, lambda = n / fmax(w, 1e-16), a = lambda / n;
        m->w[j] = w;
        for (uint32_t i = 0; i < s->d; i++) {
            double c = (1.0 - lambda) * m->c[j][i];         /* BLAS.scal(1 - lambda, centroid) */
            m->c[j][i] = c + a * sum[(size_t)j * s->d + i]; /* BLAS.axpy(lambda / n, sum) */
        }
    }
    kmeans_split_dying(m);
}

/* ---- regression: runMiniBatchSGD with SimpleUpdater and LeastSquaresGradient ---- */

static double norm2(const double *v, uint32_t n) {
    double s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

/* The mean gradient of (c·x̃ - y)^2 / 2 over a block: (Σ x̃x̃ᵀ c - Σ y x̃) / n. */
static void gradient(uint32_t n, const double *b, const double *c, double *g) {
    const double *xx = b + 1, *xy = b + 1 + tri(n);
    for (uint32_t r = 0; r < n; r++) {
        double v = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t lo = r < k ? r : k, hi = r < k ? k : r;
            v += xx[lo * n - tri(lo) + lo + (hi - lo)] * c[k];
        }
        g[r] = (v - xy[r]) / b[0];
    }
}

static void sgd_update(const struct ml_spec *s, struct ml_model *m, const double *st) {
    uint32_t n = ml_coefs(s), sets = lin_sets(s);
    size_t blk = lin_block(s);
    double prev[ML_COEF_MAX], g[ML_COEF_MAX];
    bool have_prev = false;
    if (st[ml_stats_tail(s) + ML_TAIL_SCORED] == 0)
        return; /* StreamingLinearAlgorithm
                    skips an empty batch */
    for (uint32_t i = 1; i <= s->iterations; i++) {
        const double *b = st + (sets == 1 ? 0 : (size_t)(i - 1) * blk);
        if (b[0] == 0) continue; /* "the size of sampled batch is zero": no step */
        gradient(n, b, m->coef, g);
        double step = s->step / sqrt((double)i);
        memcpy(prev, m->coef, n * sizeof *prev);
        for (uint32_t r = 0; r < n; r++)
            m->coef[r] = m->coef[r] + -step * g[r]; /* brzAxpy(-step, gradient, weights) */
        if (have_prev && s->tol > 0) {
            double diff[ML_COEF_MAX];
            for (uint32_t r = 0; r < n; r++)
                diff[r] = prev[r] - m->coef[r];
            if (norm2(diff, n) < s->tol * fmax(norm2(m->coef, n), 1.0)) return;
        }
        have_prev = true;
    }
}

void ml_update(const struct ml_spec *s, struct ml_model *m, const double *st) {
    if (s->kind == ML_KMEANS)
        kmeans_update(s, m, st);
    else if (s->kind == ML_LINREG)
        sgd_update(s, m, st);
}

/* ---- offline fits ---- */

void ml_kmeans_lloyd(const struct ml_spec *s, struct ml_model *m, const double *pts, size_t n,
                     uint32_t iters, double eps) {
    double sum[ML_K_MAX][ML_DIM_MAX], cnt[ML_K_MAX];
    for (uint32_t it = 0; it < iters; it++) {
        memset(sum, 0, sizeof sum);
        memset(cnt, 0, sizeof cnt);
        for (size_t p = 0; p < n; p++) {
            const double *x = pts + p * s->d;
            uint32_t j = ml_nearest(m, x, NULL);
            cnt[j] += 1.0;
            for (uint32_t i = 0; i < s->d; i++)
                sum[j][i] += x[i];
        }
        bool converged = true;
        for (uint32_t j = 0; j < s->k; j++) {
            m->w[j] = cnt[j];
            if (cnt[j] == 0) continue; /* an empty cluster keeps its centre */
            double moved = 0;
            for (uint32_t i = 0; i < s->d; i++) {
                double c = sum[j][i] / cnt[j], t = c - m->c[j][i];
                moved += t * t;
                m->c[j][i] = c;
            }
            converged &= moved <= eps * eps;
        }
        if (converged) return;
    }
}

bool ml_least_squares(const struct ml_spec *s, struct ml_model *m, const double *st) {
    uint32_t n = ml_coefs(s);
    double a[ML_COEF_MAX][ML_COEF_MAX + 1];
    const double *xx = st + 1, *xy = st + 1 + tri(n);
    for (uint32_t r = 0, at = 0; r < n; r++)
        for (uint32_t c = r; c < n; c++, at++)
            a[r][c] = a[c][r] = xx[at];
    for (uint32_t r = 0; r < n; r++)
        a[r][n] = xy[r];
    for (uint32_t col = 0; col < n; col++) {
        uint32_t piv = col;
        for (uint32_t r = col + 1; r < n; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col])) piv = r;
        if (a[piv][col] == 0) return false;
        for (uint32_t c = 0; c <= n && piv != col; c++) {
            double t = a[col][c];
            a[col][c] = a[piv][c];
            a[piv][c] = t;
        }
        for (uint32_t r = col + 1; r < n; r++) {
            double f = a[r][col] / a[col][col];
            for (uint32_t c = col; c <= n; c++)
                a[r][c] -= f * a[col][c];
        }
    }
    double c[ML_COEF_MAX];
    for (uint32_t r = n; r-- > 0;) {
        double v = a[r][n];
        for (uint32_t k = r + 1; k < n; k++)
            v -= a[r][k] * c[k];
        c[r] = v / a[r][r];
    }
    memcpy(m->coef, c, n * sizeof *c);
    return true;
}

/* ---- flat form ---- */

size_t ml_params_len(const struct ml_spec *s) {
    return s->kind == ML_KMEANS ? (size_t)s->k * (s->d + 1) : ml_coefs(s);
}

void ml_pack(const struct ml_spec *s, const struct ml_model *m, double *out) {
    if (s->kind != ML_KMEANS) {
        memcpy(out, m->coef, ml_coefs(s) * sizeof *out);
        return;
    }
    for (uint32_t j = 0; j < s->k; j++)
        memcpy(out + (size_t)j * s->d, m->c[j], s->d * sizeof *out);
    memcpy(out + (size_t)s->k * s->d, m->w, s->k * sizeof *out);
}

void ml_unpack(const struct ml_spec *s, const double *in, struct ml_model *m) {
    memset(m, 0, sizeof *m);
    m->kind = s->kind;
    m->d = s->d;
    if (s->kind != ML_KMEANS) {
        memcpy(m->coef, in, ml_coefs(s) * sizeof *in);
        return;
    }
    m->k = s->k;
    for (uint32_t j = 0; j < s->k; j++)
        memcpy(m->c[j], in + (size_t)j * s->d, s->d * sizeof *in);
    memcpy(m->w, in + (size_t)s->k * s->d, s->k * sizeof *in);
}

/* ---- errors ---- */

double ml_centre_error(const struct ml_model *m, const struct ml_model *ref) {
    double s = 0;
    for (uint32_t j = 0; j < ref->k; j++) {
        double d2;
        ml_nearest(m, ref->c[j], &d2);
        s += sqrt(d2);
    }
    return ref->k ? s / ref->k : 0;
}

double ml_coef_rmse(const struct ml_spec *s, const struct ml_model *m, const struct ml_model *ref) {
    uint32_t n = ml_coefs(s);
    double e = 0;
    for (uint32_t i = 0; i < n; i++) {
        double t = m->coef[i] - ref->coef[i];
        e += t * t;
    }
    return sqrt(e / n);
}
