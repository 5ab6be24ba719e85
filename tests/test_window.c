/* The window engine (stream/window.h) against expectations computed by hand: window
 * assignment at and between boundaries and before the first record, the late-data
 * example of the issue (event time 12:04 arriving 12:11), the watermark drop rule and
 * what each output mode emits per trigger on a five-record table written out below,
 * and micro-batch vs continuous on input without late records (checked against a brute
 * force aggregate computed here, not by the engine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "window.h"

#define NS 1000000000ll
#define MIN (60 * NS)
#define HM(h, m) (((int64_t)(h)*60 + (m)) * MIN)

enum { CAT = 1, DOG = 2, OWL = 3 };

static struct win_spec spec(int64_t len, int64_t slide, int64_t delay, enum win_agg a,
                            enum win_mode m) {
    return (struct win_spec){(uint64_t)len, (uint64_t)slide, (uint64_t)delay, a, m};
}

/* ---- assignment ---- */

static void expect_starts(const struct win_spec *w, int64_t t, uint32_t n, const int64_t *want) {
    int64_t got[WIN_PER_RECORD_MAX];
    uint32_t k = win_assign(w, (uint64_t)t, got, WIN_PER_RECORD_MAX);
    assert_int_equal(k, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void test_sliding_assignment_by_hand(void **state) {
    (void)state;
    struct win_spec w = spec(10 * MIN, 5 * MIN, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    expect_starts(&w, HM(12, 4), 2, (int64_t[]){HM(11, 55), HM(12, 0)});
    /* exactly on a slide boundary: [12:05, ...) starts there, [11:55, 12:05) excludes it */
    expect_starts(&w, HM(12, 5), 2, (int64_t[]){HM(12, 0), HM(12, 5)});
    /* one ns before the boundary */
    expect_starts(&w, HM(12, 5) - 1, 2, (int64_t[]){HM(11, 55), HM(12, 0)});
    /* time 0 belongs to [-5m, 5m) and [0, 10m): a window starting before 0 */
    expect_starts(&w, 0, 2, (int64_t[]){-5 * MIN, 0});
    expect_starts(&w, 3, 2, (int64_t[]){-5 * MIN, 0});
    /* slide that does not divide the length: L = 10, S = 4, t = 5 -> [-4,6) [0,10) [4,14) */
    struct win_spec odd = spec(10, 4, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    expect_starts(&odd, 5, 3, (int64_t[]){-4, 0, 4});
    expect_starts(&odd, 8, 3, (int64_t[]){0, 4, 8}); /* [-4,6) no longer contains 8 */
    expect_starts(&odd, 6, 2, (int64_t[]){0, 4});    /* nor 6: [-4,6) excludes its end */
    expect_starts(&odd, 0, 3, (int64_t[]){-8, -4, 0});
}

static void test_tumbling_assignment_by_hand(void **state) {
    (void)state;
    struct win_spec w = spec(10 * MIN, 10 * MIN, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    expect_starts(&w, HM(12, 4), 1, (int64_t[]){HM(12, 0)});
    expect_starts(&w, HM(12, 10), 1, (int64_t[]){HM(12, 10)});
    expect_starts(&w, HM(12, 10) - 1, 1, (int64_t[]){HM(12, 0)});
    expect_starts(&w, 0, 1, (int64_t[]){0});
}

static void test_spec_rules(void **state) {
    (void)state;
    struct ft_error err = {0};
    struct win_spec w = spec(5 * MIN, 10 * MIN, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    assert_int_equal(win_spec_check(&w, &err), FT_EINVAL); /* slide > length */
    w = spec(10 * MIN, 0, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    assert_int_equal(win_spec_check(&w, &err), FT_EINVAL);
    w = spec(2000, 1, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE); /* 2000 windows per record */
    assert_int_equal(win_spec_check(&w, &err), FT_EINVAL);
    w = spec(1024, 1, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    assert_int_equal(win_spec_check(&w, &err), 0);
}

/* ---- capturing what an engine emits ---- */

struct cap {
    struct win_row rows[256];
    size_t n;
    uint64_t lat[64];
    size_t nlat;
};

static void cap_row(void *ctx, const struct win_row *r) {
    struct cap *c = ctx;
    if (!r->output) return; /* only what the output mode emits */
    assert_true(c->n < 256);
    c->rows[c->n++] = *r;
}

static void cap_lat(void *ctx, uint64_t ns) {
    struct cap *c = ctx;
    assert_true(c->nlat < 64);
    c->lat[c->nlat++] = ns;
}

struct want {
    int64_t at, start;
    uint64_t key;
    double value;
    bool final;
};

static void expect_rows(const struct cap *c, const struct want *w, size_t n, const char *what) {
    for (size_t i = 0; i < c->n && i < n; i++) {
        const struct win_row *r = &c->rows[i];
        if (r->emitted_at_ns != (uint64_t)w[i].at || r->start_ns != w[i].start ||
            r->key != w[i].key || r->value != w[i].value || r->final != w[i].final)
            fail_msg("%s row %zu: got at %lld start %lld key %llu value %g final %d; want at "
                     "%lld start %lld key %llu value %g final %d",
                     what, i, (long long)r->emitted_at_ns, (long long)r->start_ns,
                     (unsigned long long)r->key, r->value, r->final, (long long)w[i].at,
                     (long long)w[i].start, (unsigned long long)w[i].key, w[i].value, w[i].final);
        assert_int_equal(r->end_ns, r->start_ns + 10 * MIN);
    }
    if (c->n != n) fail_msg("%s: %zu rows emitted, want %zu", what, c->n, n);
}

/* ---- the late-data example ---- */

static void test_late_record_updates_event_time_windows(void **state) {
    (void)state;
    /* By processing time, 12:11 would fall in [12:05,12:15) and [12:10,12:20). */
    struct win_spec w = spec(10 * MIN, 5 * MIN, 10 * MIN, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    expect_starts(&w, HM(12, 11), 2, (int64_t[]){HM(12, 5), HM(12, 10)});
    /* dog at 12:02, cat 12:07, dog 12:08, the late dog 12:04 arriving 12:11, owl 12:13;
     * triggers every 5 minutes, watermark delay 10 minutes. */
    struct win_input in[] = {{DOG, HM(12, 2), 1, HM(12, 2)},
                             {CAT, HM(12, 7), 1, HM(12, 7)},
                             {DOG, HM(12, 8), 1, HM(12, 8)},
                             {DOG, HM(12, 4), 1, HM(12, 11)},
                             {OWL, HM(12, 13), 1, HM(12, 13)}};
    struct cap c = {0};
    struct win_sink sink = {cap_row, NULL, &c};
    struct win_stats st;
    struct ft_error err = {0};
    assert_int_equal(win_run_micro_batch(&w, 5 * MIN, in, 5, &sink, &st, &err), 0);
    /* Trigger 12:15 (watermark 12:08 - 10m = 11:58, nothing final) processes the late dog
     * and owl: dog updates [11:55,12:05) to 2 and [12:00,12:10) to 3 -- the windows that
     * contain 12:04 -- and nothing of [12:05,12:15) or [12:10,12:20). */
    const struct want want[] = {
        {HM(12, 5), HM(11, 55), DOG, 1, false},  {HM(12, 5), HM(12, 0), DOG, 1, false},
        {HM(12, 10), HM(12, 0), CAT, 1, false},  {HM(12, 10), HM(12, 0), DOG, 2, false},
        {HM(12, 10), HM(12, 5), CAT, 1, false},  {HM(12, 10), HM(12, 5), DOG, 1, false},
        {HM(12, 15), HM(11, 55), DOG, 2, false}, {HM(12, 15), HM(12, 0), DOG, 3, false},
        {HM(12, 15), HM(12, 5), OWL, 1, false},  {HM(12, 15), HM(12, 10), OWL, 1, false},
    };
    /* After 12:15 the watermark is 12:13 - 10m = 12:03: no window ends by then, so the
     * no-data trigger at 12:20 closes nothing; the end of input closes the rest (notices
     * only in update mode, no output rows). */
    expect_rows(&c, want, sizeof want / sizeof want[0], "late example");
    assert_int_equal(st.late_dropped, 0);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.contributions, 10);
}

/* ---- watermark drop rule and the three output modes ---- */

/* a dog 12:01 @12:01, b dog 12:12 @12:12, c cat 12:04 @12:16, e owl 12:17 @12:22,
 * d cat 12:02 @12:26; windows 10m sliding 5m, watermark delay 5m, trigger 5m.
 * Triggers: 12:05 {a} wm none -> 11:56; 12:10 no-data (wm moved); 12:15 {b} wm 11:56 ->
 * 12:07; 12:20 {c} wm 12:07: c's [11:55,12:05) is final (12:05 <= 12:07) and dropped,
 * its [12:00,12:10) is updated; [11:55,12:05) closes. 12:25 {e} wm 12:07 -> 12:12;
 * 12:30 {d} wm 12:12: both of d's windows end by 12:12: dropped; [12:00,12:10) closes.
 * End of input at 12:30 closes the rest. */
static const struct win_input drop_in[] = {{DOG, HM(12, 1), 1, HM(12, 1)},
                                           {DOG, HM(12, 12), 1, HM(12, 12)},
                                           {CAT, HM(12, 4), 1, HM(12, 16)},
                                           {OWL, HM(12, 17), 1, HM(12, 22)},
                                           {CAT, HM(12, 2), 1, HM(12, 26)}};

static void run_modes(enum win_mode m, struct cap *c, struct win_stats *st) {
    struct win_spec w = spec(10 * MIN, 5 * MIN, 5 * MIN, WIN_AGG_COUNT, m);
    struct win_sink sink = {cap_row, NULL, c};
    struct ft_error err = {0};
    assert_int_equal(win_run_micro_batch(&w, 5 * MIN, drop_in, 5, &sink, st, &err), 0);
}

static void test_append_emits_each_window_once_when_final(void **state) {
    (void)state;
    struct cap c = {0};
    struct win_stats st;
    run_modes(WIN_MODE_APPEND, &c, &st);
    const struct want want[] = {
        {HM(12, 20), HM(11, 55), DOG, 1, true}, /* closed by the watermark 12:07 */
        {HM(12, 30), HM(12, 0), CAT, 1, true},  /* closed by 12:12; c counted, d dropped */
        {HM(12, 30), HM(12, 0), DOG, 1, true},
        {HM(12, 30), HM(12, 5), DOG, 1, true}, /* closed by the end of input */
        {HM(12, 30), HM(12, 10), DOG, 1, true},
        {HM(12, 30), HM(12, 10), OWL, 1, true},
        {HM(12, 30), HM(12, 15), OWL, 1, true},
    };
    expect_rows(&c, want, sizeof want / sizeof want[0], "append");
    assert_int_equal(st.late_dropped, 3); /* c once, d twice */
    assert_int_equal(st.late_records, 2);
}

static void test_update_emits_changed_rows_per_trigger(void **state) {
    (void)state;
    struct cap c = {0};
    struct win_stats st;
    run_modes(WIN_MODE_UPDATE, &c, &st);
    const struct want want[] = {
        {HM(12, 5), HM(11, 55), DOG, 1, false},
        {HM(12, 5), HM(12, 0), DOG, 1, false},
        /* 12:10: a no-data trigger, nothing changed */
        {HM(12, 15), HM(12, 5), DOG, 1, false},
        {HM(12, 15), HM(12, 10), DOG, 1, false},
        {HM(12, 20), HM(12, 0), CAT, 1, false}, /* only the window c could update */
        {HM(12, 25), HM(12, 10), OWL, 1, false},
        {HM(12, 25), HM(12, 15), OWL, 1, false},
        /* 12:30: d changed nothing; closing emits no rows in update mode */
    };
    expect_rows(&c, want, sizeof want / sizeof want[0], "update");
    assert_int_equal(st.late_dropped, 3);
    assert_int_equal(st.late_records, 2);
}

static void test_complete_emits_whole_table_and_drops_nothing(void **state) {
    (void)state;
    struct cap c = {0};
    struct win_stats st;
    run_modes(WIN_MODE_COMPLETE, &c, &st);
    const struct want want[] = {
        /* 12:05 */ {HM(12, 5), HM(11, 55), DOG, 1, false},
        {HM(12, 5), HM(12, 0), DOG, 1, false},
        /* 12:10 */ {HM(12, 10), HM(11, 55), DOG, 1, false},
        {HM(12, 10), HM(12, 0), DOG, 1, false},
        /* 12:15 */ {HM(12, 15), HM(11, 55), DOG, 1, false},
        {HM(12, 15), HM(12, 0), DOG, 1, false},
        {HM(12, 15), HM(12, 5), DOG, 1, false},
        {HM(12, 15), HM(12, 10), DOG, 1, false},
        /* 12:20: c is not dropped in complete mode: both its windows */
        {HM(12, 20), HM(11, 55), CAT, 1, false},
        {HM(12, 20), HM(11, 55), DOG, 1, false},
        {HM(12, 20), HM(12, 0), CAT, 1, false},
        {HM(12, 20), HM(12, 0), DOG, 1, false},
        {HM(12, 20), HM(12, 5), DOG, 1, false},
        {HM(12, 20), HM(12, 10), DOG, 1, false},
        /* 12:25 */ {HM(12, 25), HM(11, 55), CAT, 1, false},
        {HM(12, 25), HM(11, 55), DOG, 1, false},
        {HM(12, 25), HM(12, 0), CAT, 1, false},
        {HM(12, 25), HM(12, 0), DOG, 1, false},
        {HM(12, 25), HM(12, 5), DOG, 1, false},
        {HM(12, 25), HM(12, 10), DOG, 1, false},
        {HM(12, 25), HM(12, 10), OWL, 1, false},
        {HM(12, 25), HM(12, 15), OWL, 1, false},
        /* 12:30: d counted in both its windows */
        {HM(12, 30), HM(11, 55), CAT, 2, false},
        {HM(12, 30), HM(11, 55), DOG, 1, false},
        {HM(12, 30), HM(12, 0), CAT, 2, false},
        {HM(12, 30), HM(12, 0), DOG, 1, false},
        {HM(12, 30), HM(12, 5), DOG, 1, false},
        {HM(12, 30), HM(12, 10), DOG, 1, false},
        {HM(12, 30), HM(12, 10), OWL, 1, false},
        {HM(12, 30), HM(12, 15), OWL, 1, false},
        /* end of input: the final table */
        {HM(12, 30), HM(11, 55), CAT, 2, true},
        {HM(12, 30), HM(11, 55), DOG, 1, true},
        {HM(12, 30), HM(12, 0), CAT, 2, true},
        {HM(12, 30), HM(12, 0), DOG, 1, true},
        {HM(12, 30), HM(12, 5), DOG, 1, true},
        {HM(12, 30), HM(12, 10), DOG, 1, true},
        {HM(12, 30), HM(12, 10), OWL, 1, true},
        {HM(12, 30), HM(12, 15), OWL, 1, true},
    };
    expect_rows(&c, want, sizeof want / sizeof want[0], "complete");
    assert_int_equal(st.late_dropped, 0);
}

/* One late record can update one window and be dropped from another: a single-engine
 * check of the rule at the exact boundary end == watermark. */
static void test_window_final_exactly_at_watermark(void **state) {
    (void)state;
    struct win_spec w = spec(10 * MIN, 5 * MIN, 0, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    struct win_engine *e;
    struct ft_error err = {0};
    struct cap c = {0};
    struct win_sink sink = {cap_row, NULL, &c};
    assert_int_equal(win_new(&w, &sink, &e, &err), 0);
    win_set_watermark(e, HM(12, 5)); /* [11:55,12:05) is final, [12:00,12:10) is not */
    struct win_input r = {DOG, HM(12, 4), 7, HM(12, 30)};
    assert_int_equal(win_apply(e, &r, &err), 0);
    struct win_stats st;
    win_get_stats(e, &st);
    assert_int_equal(st.late_dropped, 1);
    assert_int_equal(st.contributions, 1);
    assert_int_equal(st.late_records, 1);
    win_set_watermark(e, HM(12, 5) - 1); /* never lowers */
    assert_int_equal(win_watermark(e), HM(12, 5));
    win_set_watermark(e, HM(12, 10)); /* [12:00,12:10) final exactly at its end */
    r.event_ns = (uint64_t)HM(12, 9);
    assert_int_equal(win_apply(e, &r, &err), 0);
    win_get_stats(e, &st);
    assert_int_equal(st.late_dropped, 2);  /* [12:00,12:10) dropped ... */
    assert_int_equal(st.contributions, 2); /* ... [12:05,12:15) took it */
    assert_int_equal(st.late_records, 2);
    win_free(e);
}

/* ---- micro-batch vs continuous, no late record ---- */

#define NREC 400
#define NKEYS 5

/* Brute force: per (window index, key) over a grid of window starts. */
struct brute {
    int64_t k0;
    uint64_t count[64][NKEYS];
    int64_t sum[64][NKEYS], min[64][NKEYS], max[64][NKEYS];
};

static void gen_in_order(struct win_input *in, uint64_t seed) {
    uint64_t x = seed;
    int64_t t = HM(9, 0);
    for (int i = 0; i < NREC; i++) {
        t += (int64_t)(tu_splitmix64(&x) % (10 * NS));
        /* event time up to 1 minute before the arrival: disorder < the 2-minute delay */
        int64_t back = (int64_t)(tu_splitmix64(&x) % MIN);
        in[i] = (struct win_input){tu_splitmix64(&x) % NKEYS, (uint64_t)(t - back),
                                   (int64_t)(tu_splitmix64(&x) % 2001) - 1000, (uint64_t)t};
    }
}

static void brute_force(const struct win_input *in, int64_t len, int64_t slide, struct brute *b) {
    memset(b, 0, sizeof *b);
    b->k0 = HM(8, 50) / slide;
    for (int k = 0; k < 64; k++)
        for (int j = 0; j < NKEYS; j++)
            b->min[k][j] = INT64_MAX, b->max[k][j] = INT64_MIN;
    for (int i = 0; i < NREC; i++)
        for (int k = 0; k < 64; k++) {
            int64_t s = (b->k0 + k) * slide;
            if ((int64_t)in[i].event_ns < s || (int64_t)in[i].event_ns >= s + len) continue;
            uint64_t key = in[i].key;
            int64_t v = in[i].value;
            b->count[k][key]++;
            b->sum[k][key] += v;
            if (v < b->min[k][key]) b->min[k][key] = v;
            if (v > b->max[k][key]) b->max[k][key] = v;
        }
}

struct tab {
    struct win_table t;
};

static void tab_row(void *ctx, const struct win_row *r) {
    assert_int_equal(win_table_apply(&((struct tab *)ctx)->t, 0, r), 0);
}

static void check_against_brute(const struct win_row *rows, size_t n, const struct brute *b,
                                enum win_agg agg, int64_t slide) {
    size_t expected = 0;
    for (int k = 0; k < 64; k++)
        for (int j = 0; j < NKEYS; j++)
            expected += b->count[k][j] > 0;
    assert_int_equal(n, expected);
    for (size_t i = 0; i < n; i++) {
        int64_t k = rows[i].start_ns / slide - b->k0;
        assert_true(k >= 0 && k < 64 && rows[i].start_ns % slide == 0);
        uint64_t key = rows[i].key;
        assert_true(rows[i].final);
        uint64_t cnt = b->count[k][key];
        double want = agg == WIN_AGG_COUNT  ? (double)cnt
                      : agg == WIN_AGG_SUM  ? (double)b->sum[k][key]
                      : agg == WIN_AGG_MEAN ? (double)b->sum[k][key] / (double)cnt
                      : agg == WIN_AGG_MIN  ? (double)b->min[k][key]
                                            : (double)b->max[k][key];
        assert_true(rows[i].value == want);
    }
}

static void final_table(const struct win_spec *w, const struct win_input *in, bool continuous,
                        struct win_row **rows, size_t *n) {
    struct tab tb;
    win_table_init(&tb.t);
    struct win_sink sink = {tab_row, NULL, &tb};
    struct win_stats st;
    struct ft_error err = {0};
    int rc = continuous ? win_run_continuous(w, in, NREC, &sink, &st, &err)
                        : win_run_micro_batch(w, 30 * NS, in, NREC, &sink, &st, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(st.late_dropped, 0);
    assert_int_equal(win_table_rows(&tb.t, w->agg, rows, n), 0);
    win_table_free(&tb.t);
}

static void test_micro_batch_and_continuous_agree_without_late_records(void **state) {
    (void)state;
    static struct win_input in[NREC];
    static struct brute b;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        gen_in_order(in, seed);
        for (int agg = WIN_AGG_COUNT; agg <= WIN_AGG_MAX; agg++)
            for (int mode = WIN_MODE_APPEND; mode <= WIN_MODE_UPDATE; mode++) {
                int64_t len = 5 * MIN, slide = seed == 2 ? 5 * MIN : 2 * MIN;
                struct win_spec w =
                    spec(len, slide, 2 * MIN, (enum win_agg)agg, (enum win_mode)mode);
                brute_force(in, len, slide, &b);
                struct win_row *mb, *ct;
                size_t nmb, nct;
                final_table(&w, in, false, &mb, &nmb);
                final_table(&w, in, true, &ct, &nct);
                check_against_brute(mb, nmb, &b, (enum win_agg)agg, slide);
                check_against_brute(ct, nct, &b, (enum win_agg)agg, slide);
                assert_int_equal(win_rows_mismatched(mb, nmb, ct, nct), 0);
                free(mb);
                free(ct);
            }
    }
}

/* ---- latency, reference, table ---- */

static void test_latency_arrival_to_emission(void **state) {
    (void)state;
    struct win_input in[] = {{DOG, HM(12, 4), 1, HM(12, 11)}};
    struct win_spec w = spec(10 * MIN, 5 * MIN, 10 * MIN, WIN_AGG_COUNT, WIN_MODE_UPDATE);
    struct cap c = {0};
    struct win_sink sink = {cap_row, cap_lat, &c};
    struct ft_error err = {0};
    /* update: emitted by the trigger at 12:15, 4 minutes after arrival */
    assert_int_equal(win_run_micro_batch(&w, 5 * MIN, in, 1, &sink, NULL, &err), 0);
    assert_int_equal(c.nlat, 1);
    assert_int_equal(c.lat[0], 4 * MIN);
    /* continuous: emitted at its own arrival */
    memset(&c, 0, sizeof c);
    assert_int_equal(win_run_continuous(&w, in, 1, &sink, NULL, &err), 0);
    assert_int_equal(c.nlat, 1);
    assert_int_equal(c.lat[0], 0);
    /* append: waits for its first window [11:55,12:05) to close; with one record the
     * watermark 12:04 - 10m = 11:54 never passes 12:05; it moved, so a no-data trigger
     * runs at 12:20 and the end of input there emits the window: 9 minutes */
    memset(&c, 0, sizeof c);
    w.mode = WIN_MODE_APPEND;
    assert_int_equal(win_run_micro_batch(&w, 5 * MIN, in, 1, &sink, NULL, &err), 0);
    assert_int_equal(c.nlat, 1);
    assert_int_equal(c.lat[0], 9 * MIN);
}

static void test_reference_counts_every_contribution(void **state) {
    (void)state;
    struct win_spec w = spec(10 * MIN, 5 * MIN, 5 * MIN, WIN_AGG_SUM, WIN_MODE_APPEND);
    struct win_row *rows;
    size_t n;
    struct ft_error err = {0};
    assert_int_equal(win_reference(&w, drop_in, 5, &rows, &n, &err), 0);
    /* sums of value 1: cat has 12:04 and 12:02 in [11:55,12:05) and [12:00,12:10) */
    struct {
        int64_t start;
        uint64_t key;
        double v;
    } want[] = {{HM(11, 55), CAT, 2}, {HM(11, 55), DOG, 1}, {HM(12, 0), CAT, 2},
                {HM(12, 0), DOG, 1},  {HM(12, 5), DOG, 1},  {HM(12, 10), DOG, 1},
                {HM(12, 10), OWL, 1}, {HM(12, 15), OWL, 1}};
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].start_ns, want[i].start);
        assert_int_equal(rows[i].key, want[i].key);
        assert_true(rows[i].value == want[i].v);
        assert_true(rows[i].final);
    }
    /* the append run drops 3 contributions: 2 rows differ ([11:55] cat missing, [12:00]
     * cat 1 instead of 2) */
    struct tab tb;
    win_table_init(&tb.t);
    struct win_sink sink = {tab_row, NULL, &tb};
    assert_int_equal(win_run_micro_batch(&w, 5 * MIN, drop_in, 5, &sink, NULL, &err), 0);
    struct win_row *got;
    size_t ngot;
    assert_int_equal(win_table_rows(&tb.t, w.agg, &got, &ngot), 0);
    assert_int_equal(win_rows_mismatched(got, ngot, rows, n), 2);
    assert_int_equal(win_rows_mismatched(rows, n, rows, n), 0);
    free(got);
    free(rows);
    win_table_free(&tb.t);
}

static void test_table_combines_partials_and_keeps_latest(void **state) {
    (void)state;
    struct win_table t;
    win_table_init(&t);
    struct win_row a = {.start_ns = 0,
                        .end_ns = 10,
                        .key = 4,
                        .count = 2,
                        .sum = 10,
                        .min = 3,
                        .max = 7,
                        .value = 2,
                        .emitted_at_ns = 5,
                        .final = false,
                        .output = true};
    struct win_row b = a;
    b.count = 3, b.sum = 2, b.min = -1, b.max = 2, b.emitted_at_ns = 9, b.final = true;
    assert_int_equal(win_table_apply(&t, 0, &a), 0);
    a.count = 4, a.sum = 20, a.max = 9, a.emitted_at_ns = 7; /* replaces part 0's row */
    assert_int_equal(win_table_apply(&t, 0, &a), 0);
    assert_int_equal(win_table_apply(&t, 1, &b), 0);
    struct win_row notice = a;
    notice.output = false, notice.final = true, notice.emitted_at_ns = 100;
    assert_int_equal(win_table_apply(&t, 0, &notice), 0);
    struct win_row *rows;
    size_t n;
    assert_int_equal(win_table_rows(&t, WIN_AGG_MEAN, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].count, 7);
    assert_int_equal(rows[0].sum, 22);
    assert_int_equal(rows[0].min, -1);
    assert_int_equal(rows[0].max, 9);
    assert_true(rows[0].value == 22.0 / 7.0);
    assert_int_equal(rows[0].emitted_at_ns, 9); /* a close notice is no emission */
    assert_true(rows[0].final);
    free(rows);
    win_table_free(&t);
}

static void test_many_keys_grow_and_evict(void **state) {
    (void)state;
    /* 20000 keys in tumbling 1s windows over 10s, append mode: every window closes as
     * the watermark passes; state stays bounded to two windows' keys. */
    struct win_spec w = spec(NS, NS, 0, WIN_AGG_COUNT, WIN_MODE_APPEND);
    struct tab tb;
    win_table_init(&tb.t);
    struct win_sink sink = {tab_row, NULL, &tb};
    struct win_engine *e;
    struct ft_error err = {0};
    assert_int_equal(win_new(&w, &sink, &e, &err), 0);
    uint64_t open_max = 0;
    for (int64_t s = 0; s < 10; s++) {
        for (uint64_t k = 0; k < 20000; k++) {
            struct win_input r = {k, (uint64_t)(s * NS + (int64_t)k), 1, (uint64_t)(s * NS)};
            assert_int_equal(win_apply(e, &r, &err), 0);
        }
        struct win_stats st;
        win_get_stats(e, &st);
        if (st.open > open_max) open_max = st.open;
        win_set_watermark(e, win_own_watermark(e));
        assert_int_equal(win_emit(e, (uint64_t)(s * NS), &err), 0);
    }
    assert_int_equal(win_finish(e, 10 * NS, &err), 0);
    assert_true(open_max <= 40000); /* window s and s-1 */
    struct win_row *rows;
    size_t n;
    assert_int_equal(win_table_rows(&tb.t, w.agg, &rows, &n), 0);
    assert_int_equal(n, 200000);
    for (size_t i = 0; i < n; i++)
        assert_true(rows[i].value == 1 && rows[i].final);
    free(rows);
    win_free(e);
    win_table_free(&tb.t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sliding_assignment_by_hand),
        cmocka_unit_test(test_tumbling_assignment_by_hand),
        cmocka_unit_test(test_spec_rules),
        cmocka_unit_test(test_late_record_updates_event_time_windows),
        cmocka_unit_test(test_append_emits_each_window_once_when_final),
        cmocka_unit_test(test_update_emits_changed_rows_per_trigger),
        cmocka_unit_test(test_complete_emits_whole_table_and_drops_nothing),
        cmocka_unit_test(test_window_final_exactly_at_watermark),
        cmocka_unit_test(test_micro_batch_and_continuous_agree_without_late_records),
        cmocka_unit_test(test_latency_arrival_to_emission),
        cmocka_unit_test(test_reference_counts_every_contribution),
        cmocka_unit_test(test_table_combines_partials_and_keeps_latest),
        cmocka_unit_test(test_many_keys_grow_and_evict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
