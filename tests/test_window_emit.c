/* The window engine's fast paths (stream/window.h) give the tables the plain path gives:
 * the same random records and triggers (late records included, every output mode and
 * aggregate) into an engine emitting sorted rows one by one into a win_table, and into
 * engines emitting unsorted (win_set_unordered), coalesced (win_set_coalesce, flushed at
 * random points between triggers) into win_table_apply_at slots (win_set_row_at): the
 * result tables, row for row, and the stats are equal. A trigger below win_idle_until
 * emits nothing. The reference (win_reference) and the engine's own window assignment
 * equal a brute-force count over every (window, key) computed here, also when records
 * arrive far out of order and when the length is no multiple of the slide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "window.h"

#define MS 1000000ull

struct tab {
    struct win_table t;
    uint64_t rows, lat;
};

static void tab_row(void *ctx, const struct win_row *r) {
    struct tab *tb = ctx;
    tb->rows++;
    assert_int_equal(win_table_apply(&tb->t, 0, r), 0);
}

static void tab_row_at(void *ctx, const struct win_row *r, uint32_t *slot) {
    struct tab *tb = ctx;
    tb->rows++;
    assert_int_equal(win_table_apply_at(&tb->t, 0, r, slot), 0);
}

static void tab_lat(void *ctx, uint64_t ns) {
    (void)ns;
    ((struct tab *)ctx)->lat++;
}

/* Field by field (a row's padding bytes are not part of it). */
static void expect_same_row(const struct win_row *a, const struct win_row *b) {
    assert_int_equal(a->start_ns, b->start_ns);
    assert_int_equal(a->end_ns, b->end_ns);
    assert_int_equal(a->key, b->key);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->sum, b->sum);
    assert_int_equal(a->min, b->min);
    assert_int_equal(a->max, b->max);
    assert_memory_equal(&a->value, &b->value, sizeof a->value);
    assert_int_equal(a->emitted_at_ns, b->emitted_at_ns);
    assert_int_equal(a->final, b->final);
    assert_int_equal(a->output, b->output);
}

enum { VARIANTS = 3 }; /* 0: plain; 1: unordered; 2: unordered, coalesced, slots */

/* Runs `n` random records (keys < nkeys, event times drifting forward with some late
 * ones) through the three variants with the same triggers and compares the results. */
static void run_variants(const struct win_spec *w, uint64_t seed, int n, uint64_t nkeys) {
    struct tab tb[VARIANTS];
    struct win_engine *e[VARIANTS];
    struct ft_error err = {0};
    for (int v = 0; v < VARIANTS; v++) {
        memset(&tb[v], 0, sizeof tb[v]);
        win_table_init(&tb[v].t);
        struct win_sink sink = {tab_row, tab_lat, &tb[v]};
        assert_int_equal(win_new(w, &sink, &e[v], &err), 0);
        win_set_unordered(e[v], v >= 1);
        if (v == 2) {
            win_set_coalesce(e[v], true);
            win_set_row_at(e[v], tab_row_at);
        }
    }
    uint64_t x = seed, now = 0, max_event = 0;
    for (int i = 0; i < n; i++) {
        now += tu_splitmix64(&x) % (20 * MS);
        uint64_t late = tu_splitmix64(&x) % 10 == 0 ? tu_splitmix64(&x) % (3000 * MS) : 0;
        struct win_input r = {tu_splitmix64(&x) % nkeys, now > late ? now - late : 0,
                              (int64_t)(tu_splitmix64(&x) % 2001) - 1000, now};
        if (r.event_ns > max_event) max_event = r.event_ns;
        for (int v = 0; v < VARIANTS; v++)
            assert_int_equal(win_apply(e[v], &r, &err), 0);
        if (tu_splitmix64(&x) % 4) continue; /* a trigger after every ~4 records */
        int64_t wm = (int64_t)max_event - (int64_t)w->delay_ns;
        for (int v = 0; v < VARIANTS; v++) {
            win_set_watermark(e[v], wm);
            int64_t idle = win_idle_until(e[v]);
            uint64_t rows = tb[v].rows, lat = tb[v].lat;
            assert_int_equal(win_emit(e[v], now, &err), 0);
            if (win_watermark(e[v]) < idle) { /* below the bound: nothing happened */
                assert_int_equal(tb[v].rows, rows);
                assert_int_equal(tb[v].lat, lat);
            }
        }
        if (tu_splitmix64(&x) % 7 == 0) win_flush(e[2]); /* as a crash would, mid-run */
    }
    for (int v = 0; v < VARIANTS; v++)
        assert_int_equal(win_finish(e[v], now, &err), 0);
    struct win_row *rows[VARIANTS];
    size_t nrows[VARIANTS];
    struct win_stats st[VARIANTS];
    for (int v = 0; v < VARIANTS; v++) {
        assert_int_equal(win_table_rows(&tb[v].t, w->agg, &rows[v], &nrows[v]), 0);
        win_get_stats(e[v], &st[v]);
    }
    assert_true(nrows[0] > 0);
    for (int v = 1; v < VARIANTS; v++) {
        assert_int_equal(nrows[v], nrows[0]);
        for (size_t i = 0; i < nrows[0]; i++)
            expect_same_row(&rows[v][i], &rows[0][i]);
        assert_int_equal(st[v].rows_emitted, st[0].rows_emitted);
        assert_int_equal(st[v].late_dropped, st[0].late_dropped);
        assert_int_equal(st[v].contributions, st[0].contributions);
        assert_int_equal(tb[v].lat, tb[0].lat);
    }
    assert_true(tb[2].rows <= tb[0].rows); /* coalescing never delivers more */
    for (int v = 0; v < VARIANTS; v++) {
        free(rows[v]);
        win_table_free(&tb[v].t);
        win_free(e[v]);
    }
}

static void test_fast_paths_give_the_plain_tables(void **state) {
    (void)state;
    const enum win_mode modes[] = {WIN_MODE_UPDATE, WIN_MODE_APPEND, WIN_MODE_COMPLETE};
    for (int m = 0; m < 3; m++)
        for (int a = WIN_AGG_COUNT; a <= WIN_AGG_MAX; a++) {
            struct win_spec sliding = {2000 * MS, 500 * MS, 1000 * MS, (enum win_agg)a, modes[m]};
            struct win_spec tumbling = {1000 * MS, 1000 * MS, 200 * MS, (enum win_agg)a, modes[m]};
            run_variants(&sliding, 100 + (uint64_t)(m * 10 + a), 3000, 50);
            run_variants(&tumbling, 200 + (uint64_t)(m * 10 + a), 3000, 500);
        }
}

/* ---- the reference against a brute force over (window, key) ---- */

static int cmp_row(const void *a, const void *b) {
    const struct win_row *x = a, *y = b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Every (window, key) of the records by scanning them all for each candidate window:
 * windows [kS, kS + L) for k over the range the records span. */
static size_t brute_force(const struct win_spec *w, const struct win_input *in, size_t n,
                          uint64_t nkeys, struct win_row *out) {
    int64_t S = (int64_t)w->slide_ns, L = (int64_t)w->length_ns, kmin = INT64_MAX, kmax = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t t = (int64_t)in[i].event_ns;
        if (t / S - L / S - 1 < kmin) kmin = t / S - L / S - 1;
        if (t / S + 1 > kmax) kmax = t / S + 1;
    }
    size_t m = 0;
    for (int64_t k = kmin; k <= kmax; k++)
        for (uint64_t key = 0; key < nkeys; key++) {
            struct win_row r = {.start_ns = k * S,
                                .end_ns = k * S + L,
                                .key = key,
                                .min = INT64_MAX,
                                .max = INT64_MIN};
            for (size_t i = 0; i < n; i++) {
                int64_t t = (int64_t)in[i].event_ns;
                if (in[i].key != key || t < r.start_ns || t >= r.end_ns) continue;
                r.count++;
                r.sum += in[i].value;
                if (in[i].value < r.min) r.min = in[i].value;
                if (in[i].value > r.max) r.max = in[i].value;
            }
            if (r.count) out[m++] = r;
        }
    qsort(out, m, sizeof *out, cmp_row);
    return m;
}

static void test_reference_equals_a_brute_force(void **state) {
    (void)state;
    enum { N = 4000, KEYS = 7 };
    struct win_input *in = malloc(N * sizeof *in);
    struct win_row *want = malloc(200000 * sizeof *want);
    assert_non_null(in);
    assert_non_null(want);
    uint64_t x = 5;
    for (int shape = 0; shape < 3; shape++) {
        struct win_spec w = {(uint64_t)(shape == 2 ? 300 : 1000) * MS, 250 * MS, 0, WIN_AGG_MEAN,
                             WIN_MODE_UPDATE};
        uint64_t now = 0;
        for (int i = 0; i < N; i++) { /* shape 1: some records minutes late */
            now += tu_splitmix64(&x) % (50 * MS);
            uint64_t late = shape == 1 && tu_splitmix64(&x) % 20 == 0
                                ? tu_splitmix64(&x) % (120000 * MS)
                                : tu_splitmix64(&x) % (30 * MS);
            in[i] = (struct win_input){tu_splitmix64(&x) % KEYS, now > late ? now - late : 0,
                                       (int64_t)(tu_splitmix64(&x) % 1000), now};
        }
        size_t nwant = brute_force(&w, in, N, KEYS, want), ngot;
        struct win_row *got;
        struct ft_error err = {0};
        assert_int_equal(win_reference(&w, in, N, &got, &ngot, &err), 0);
        assert_int_equal(ngot, nwant);
        for (size_t i = 0; i < ngot; i++) {
            assert_int_equal(got[i].start_ns, want[i].start_ns);
            assert_int_equal(got[i].end_ns, want[i].end_ns);
            assert_int_equal(got[i].key, want[i].key);
            assert_int_equal(got[i].count, want[i].count);
            assert_int_equal(got[i].sum, want[i].sum);
            assert_int_equal(got[i].min, want[i].min);
            assert_int_equal(got[i].max, want[i].max);
            assert_true(got[i].final);
        }
        free(got);
    }
    free(in);
    free(want);
}

static void keep_row(void *ctx, const struct win_row *r) {
    assert_int_equal(win_table_apply(ctx, 0, r), 0);
}

/* The engine's assignment (one division per record) against the brute force, for
 * lengths that are and are not multiples of the slide: complete mode, nothing late. */
static void test_engine_windows_equal_a_brute_force(void **state) {
    (void)state;
    enum { N = 1500, KEYS = 3 };
    const uint64_t shapes[][2] = {{1000, 250}, {1000, 300}, {700, 700}, {999, 1}, {5, 3}};
    struct win_input *in = malloc(N * sizeof *in);
    struct win_row *want = malloc(2000000 * sizeof *want);
    assert_non_null(in);
    assert_non_null(want);
    uint64_t x = 21;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        struct win_spec w = {shapes[s][0], shapes[s][1], 0, WIN_AGG_SUM, WIN_MODE_COMPLETE};
        for (int i = 0; i < N; i++)
            in[i] = (struct win_input){tu_splitmix64(&x) % KEYS, tu_splitmix64(&x) % 5000,
                                       (int64_t)(tu_splitmix64(&x) % 100), (uint64_t)i};
        struct win_table t;
        win_table_init(&t);
        struct win_sink sink = {keep_row, NULL, &t};
        struct win_engine *e;
        struct ft_error err = {0};
        assert_int_equal(win_new(&w, &sink, &e, &err), 0);
        for (int i = 0; i < N; i++)
            assert_int_equal(win_apply(e, &in[i], &err), 0);
        assert_int_equal(win_finish(e, N, &err), 0);
        struct win_row *got;
        size_t ngot, nwant = brute_force(&w, in, N, KEYS, want);
        assert_int_equal(win_table_rows(&t, w.agg, &got, &ngot), 0);
        assert_int_equal(ngot, nwant);
        for (size_t i = 0; i < ngot; i++) {
            assert_int_equal(got[i].start_ns, want[i].start_ns);
            assert_int_equal(got[i].key, want[i].key);
            assert_int_equal(got[i].count, want[i].count);
            assert_int_equal(got[i].sum, want[i].sum);
        }
        free(got);
        win_table_free(&t);
        win_free(e);
    }
    free(in);
    free(want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_paths_give_the_plain_tables),
        cmocka_unit_test(test_reference_equals_a_brute_force),
        cmocka_unit_test(test_engine_windows_equal_a_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
