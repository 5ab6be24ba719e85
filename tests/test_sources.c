/* The source generators (stream/source.h), one property per parameter stated by hand:
 * record counts against rate x duration (Poisson / binomial bounds), level and event
 * shares, the click-through rate, clock skew and transmit delay bounds, outages that
 * queue and battery gaps that lose readings, bursts that raise the dispersion, session
 * think times; and for every kind: arrival order, ids 0.., the same sequence for the same
 * seed and a different one for another seed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "source.h"
#include "testutil.h"

#define MS 1000000ull
#define S 1000000000ull

struct list {
    struct src_record *r;
    size_t n, cap;
};

static void gen(const struct pipe_source *c, uint64_t duration_ns, uint64_t seed, struct list *l) {
    struct src_gen g;
    struct ft_error err = {0};
    assert_int_equal(src_gen_open(&g, c, duration_ns, seed, &err), 0);
    memset(l, 0, sizeof *l);
    struct src_record r;
    while (src_gen_next(&g, &r)) {
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 1024;
            l->r = realloc(l->r, l->cap * sizeof *l->r);
            assert_non_null(l->r);
        }
        l->r[l->n++] = r;
    }
    src_gen_free(&g);
}

/* Ids 0.., arrivals non-decreasing and inside the duration, keys in range. */
static void check_order(const struct list *l, const struct pipe_source *c, uint64_t dur) {
    for (size_t i = 0; i < l->n; i++) {
        assert_int_equal(l->r[i].id, i);
        assert_true(l->r[i].arrival_ns < dur);
        assert_true(l->r[i].key < c->keys);
        if (i) assert_true(l->r[i].arrival_ns >= l->r[i - 1].arrival_ns);
    }
}

static bool same(const struct list *a, const struct list *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->r[i].event_ns != b->r[i].event_ns || a->r[i].arrival_ns != b->r[i].arrival_ns ||
            a->r[i].key != b->r[i].key || a->r[i].value != b->r[i].value)
            return false;
    return true;
}

/* Same seed: identical; seed + 1: different. */
static void check_determinism(const struct pipe_source *c, uint64_t dur) {
    struct list a, b, x;
    gen(c, dur, 7, &a);
    gen(c, dur, 7, &b);
    gen(c, dur, 8, &x);
    assert_true(a.n > 0);
    assert_true(same(&a, &b));
    assert_false(same(&a, &x));
    check_order(&a, c, dur);
    check_order(&x, c, dur);
    free(a.r);
    free(b.r);
    free(x.r);
}

static struct pipe_source iot(uint32_t devices, uint64_t period_ns) {
    return (struct pipe_source){.kind = SRC_IOT, .keys = devices, .period_ns = period_ns};
}

static void test_iot_plain_readings_every_period(void **state) {
    (void)state;
    struct pipe_source c = iot(20, 100 * MS);
    c.jitter_ns = 10 * MS;
    struct list l;
    gen(&c, 10 * S, 3, &l);
    /* each device reads once per period: 100 readings, the first at its phase < period,
     * so 99 or 100 fall inside 10 s */
    uint32_t per[20] = {0};
    for (size_t i = 0; i < l.n; i++) {
        per[l.r[i].key]++;
        assert_int_equal(l.r[i].event_ns, l.r[i].arrival_ns); /* no skew, no delay */
        assert_true(l.r[i].value >= 19500 && l.r[i].value <= 21490);
    }
    for (int d = 0; d < 20; d++)
        assert_true(per[d] >= 99 && per[d] <= 101);
    check_determinism(&c, 10 * S);
    free(l.r);
}

static void test_iot_skew_and_delay_bounds(void **state) {
    (void)state;
    struct pipe_source c = iot(30, S);
    c.skew_ns = 20 * S;
    struct list l;
    gen(&c, 120 * S, 5, &l);
    /* skew only: event - arrival is the device's fixed offset, within +-20 s */
    int64_t off[30];
    bool seen[30] = {false};
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < l.n; i++) {
        uint32_t d = l.r[i].key;
        if (l.r[i].arrival_ns < 30 * S) continue; /* clamped at 0 near the start */
        int64_t o = (int64_t)l.r[i].event_ns - (int64_t)l.r[i].arrival_ns;
        if (!seen[d]) off[d] = o, seen[d] = true;
        assert_int_equal(o, off[d]);
        assert_true(o >= -20 * (int64_t)S && o <= 20 * (int64_t)S);
        lo = o < lo ? o : lo;
        hi = o > hi ? o : hi;
    }
    assert_true(hi - lo > 10 * (int64_t)S); /* 30 devices spread over the 40 s range */
    free(l.r);
    /* delay only: arrival - event in [0, 3 s]; each device's readings arrive in order */
    c.skew_ns = 0;
    c.delay_ns = 3 * S;
    gen(&c, 120 * S, 5, &l);
    uint64_t late = 0;
    for (size_t i = 0; i < l.n; i++) {
        assert_true(l.r[i].arrival_ns >= l.r[i].event_ns);
        assert_true(l.r[i].arrival_ns - l.r[i].event_ns <= 3 * S);
        late += l.r[i].arrival_ns - l.r[i].event_ns > S;
    }
    assert_true(late > l.n / 4); /* uniform on [0, 3 s]: about 2/3 exceed 1 s */
    check_determinism(&c, 60 * S);
    free(l.r);
}

static void test_iot_outages_queue_and_batteries_lose(void **state) {
    (void)state;
    struct pipe_source c = iot(50, S);
    c.outage_p = 0.02;
    c.outage_ns = 10 * S;
    struct list l;
    gen(&c, 300 * S, 9, &l);
    /* no jitter: events sit on the device's slots; none is lost except those whose queued
     * arrival falls after the end, so per device at least 300 - 1 - 10 readings */
    uint32_t per[50] = {0};
    uint64_t queued = 0;
    for (size_t i = 0; i < l.n; i++) {
        per[l.r[i].key]++;
        uint64_t lag = l.r[i].arrival_ns - l.r[i].event_ns;
        assert_true(lag <= 10 * S);
        queued += lag > 0;
    }
    for (int d = 0; d < 50; d++)
        assert_true(per[d] >= 289 && per[d] <= 300);
    /* 15000 readings, an outage after 2% of them, each queueing about 9.5 readings:
     * thousands queued */
    assert_true(queued > 1000);
    check_determinism(&c, 60 * S);
    free(l.r);
    c.outage_p = 0;
    c.battery_p = 0.02;
    c.battery_ns = 20 * S;
    gen(&c, 300 * S, 9, &l);
    /* batteries: consecutive readings of a device are 1 s apart, or up to 20 s + 1 s after
     * a gap; fewer readings than 300 per device in total */
    uint64_t last[50] = {0}, gaps = 0;
    bool any[50] = {false};
    for (size_t i = 0; i < l.n; i++) {
        uint32_t d = l.r[i].key;
        assert_int_equal(l.r[i].arrival_ns, l.r[i].event_ns);
        if (any[d]) {
            uint64_t g = l.r[i].event_ns - last[d];
            assert_true(g % S == 0 && g >= S && g <= 21 * S);
            gaps += g > S;
        }
        any[d] = true;
        last[d] = l.r[i].event_ns;
    }
    assert_true(gaps > 100);
    assert_true(l.n < 50 * 300 - 1000);
    free(l.r);
}

static void test_logs_rate_levels_and_attack(void **state) {
    (void)state;
    struct pipe_source c = {.kind = SRC_LOGS,
                            .keys = 8,
                            .rate_per_s = 1000,
                            .attack_at_ns = 40 * S,
                            .attack_length_ns = 10 * S,
                            .attack_rate_per_s = 500,
                            .attack_host = 3};
    struct list l;
    gen(&c, 100 * S, 11, &l);
    uint64_t level[5] = {0}, base = 0;
    for (size_t i = 0; i < l.n; i++) {
        int64_t v = l.r[i].value;
        assert_true(v >= 0 && v <= SRC_LOG_ALERT);
        level[v]++;
        if (v == SRC_LOG_ALERT) {
            assert_int_equal(l.r[i].key, 3);
            assert_true(l.r[i].event_ns >= 40 * S && l.r[i].event_ns < 50 * S);
        } else {
            base++;
        }
    }
    /* Poisson counts: 100000 base lines (sd 316), 5000 alerts (sd 71) */
    assert_true(fabs((double)base - 100000) < 5 * 316);
    assert_true(fabs((double)level[SRC_LOG_ALERT] - 5000) < 5 * 71);
    assert_true(tu_binomial_within("error lines", level[SRC_LOG_ERROR], base, 0.05, 5));
    assert_true(tu_binomial_within("info lines", level[SRC_LOG_INFO], base, 0.70, 5));
    assert_true(tu_binomial_within("warn lines", level[SRC_LOG_WARN], base, 0.15, 5));
    check_determinism(&c, 60 * S);
    free(l.r);
}

static void test_logs_bursts_raise_rate_and_dispersion(void **state) {
    (void)state;
    struct pipe_source c = {.kind = SRC_LOGS,
                            .keys = 4,
                            .rate_per_s = 100,
                            .burst_rate_per_s = 1000,
                            .burst_every_ns = 10 * S,
                            .burst_length_ns = 2 * S};
    struct list l;
    gen(&c, 1000 * S, 13, &l);
    /* long-run rate (100 x 10 + 1000 x 2) / 12 = 250/s: 250000 lines; burst lengths vary,
     * so allow 20% */
    assert_true(fabs((double)l.n - 250000) < 50000);
    /* per-second counts: a Poisson process has variance / mean = 1; bursts make it far
     * larger */
    static uint64_t per_s[1000];
    memset(per_s, 0, sizeof per_s);
    for (size_t i = 0; i < l.n; i++)
        per_s[l.r[i].event_ns / S]++;
    double mean = (double)l.n / 1000, var = 0;
    for (int i = 0; i < 1000; i++)
        var += ((double)per_s[i] - mean) * ((double)per_s[i] - mean);
    var /= 999;
    printf("bursty logs: mean %.1f per s, variance %.1f\n", mean, var);
    assert_true(var / mean > 20);
    check_determinism(&c, 100 * S);
    free(l.r);
}

static void test_ads_win_rate_and_ctr(void **state) {
    (void)state;
    struct pipe_source c = {.kind = SRC_ADS,
                            .keys = 10,
                            .rate_per_s = 2000,
                            .win_p = 0.3,
                            .ctr = 0.05,
                            .click_delay_ns = 0};
    struct list l;
    gen(&c, 100 * S, 17, &l);
    uint64_t n[3] = {0};
    for (size_t i = 0; i < l.n; i++) {
        int64_t v = l.r[i].value;
        assert_true(v >= SRC_AD_BID && v <= SRC_AD_CLICK);
        n[v]++;
        /* with no delay a click follows its impression at once: same time, same campaign */
        if (v == SRC_AD_CLICK) {
            assert_true(i > 0);
            assert_int_equal(l.r[i - 1].value, SRC_AD_IMPRESSION);
            assert_int_equal(l.r[i - 1].key, l.r[i].key);
            assert_int_equal(l.r[i - 1].event_ns, l.r[i].event_ns);
        }
    }
    assert_true(fabs((double)n[SRC_AD_BID] - 200000) < 5 * 448); /* Poisson, sd sqrt(2e5) */
    assert_true(
        tu_binomial_within("impressions per bid", n[SRC_AD_IMPRESSION], n[SRC_AD_BID], 0.3, 5));
    assert_true(tu_binomial_within("clicks per impression (CTR)", n[SRC_AD_CLICK],
                                   n[SRC_AD_IMPRESSION], 0.05, 5));
    free(l.r);
    /* a mean click delay of 2 s: clicks come later but at the same rate; over 200 s only
     * the last seconds' clicks fall past the end */
    c.click_delay_ns = 2 * S;
    gen(&c, 200 * S, 17, &l);
    memset(n, 0, sizeof n);
    for (size_t i = 0; i < l.n; i++)
        n[l.r[i].value]++;
    assert_true(tu_binomial_within("delayed clicks per impression", n[SRC_AD_CLICK],
                                   n[SRC_AD_IMPRESSION], 0.05, 5));
    check_determinism(&c, 20 * S);
    free(l.r);
}

static void test_clickstream_sessions_and_think_times(void **state) {
    (void)state;
    struct pipe_source c = {.kind = SRC_CLICKS,
                            .keys = 100000,
                            .rate_per_s = 20,
                            .pages = 10,
                            .think_ns = 5 * S,
                            .clicks_per_session = 8};
    struct list l;
    gen(&c, 2000 * S, 19, &l);
    /* 40000 sessions x 8 views: 320000; sessions that start near the end are cut, and
     * the geometric count varies: allow 5% */
    assert_true(fabs((double)l.n - 320000) < 16000);
    uint64_t page[10] = {0};
    for (size_t i = 0; i < l.n; i++) {
        assert_true(l.r[i].value >= 0 && l.r[i].value < 10);
        page[l.r[i].value]++;
    }
    for (int p = 0; p < 10; p++)
        assert_true(tu_binomial_within("page share", page[p], l.n, 0.1, 5));
    /* think time: the gap between a user's consecutive views; with 100000 users and 40000
     * sessions most users have one session, so gaps below 60 s are within-session
     * exponential(5 s) gaps, whose mean (conditioned on < 60 s) is ~5 s */
    uint64_t *last = calloc(100000, sizeof *last);
    assert_non_null(last);
    double sum = 0;
    uint64_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        uint32_t u = l.r[i].key;
        if (last[u] && l.r[i].event_ns - last[u] < 60 * S) {
            sum += (double)(l.r[i].event_ns - last[u]);
            k++;
        }
        last[u] = l.r[i].event_ns;
    }
    double mean_s = sum / (double)k / 1e9;
    printf("clickstream: %llu gaps, mean think time %.2f s\n", (unsigned long long)k, mean_s);
    assert_true(mean_s > 4.5 && mean_s < 5.5);
    free(last);
    check_determinism(&c, 200 * S);
    free(l.r);
}

static void test_keyed_and_csv_sources(void **state) {
    (void)state;
    struct pipe_source c = {.kind = SRC_KEYED, .keys = 10, .rate_per_s = 1000};
    struct list l;
    gen(&c, 50 * S, 23, &l);
    assert_true(fabs((double)l.n - 50000) < 5 * 224);
    check_determinism(&c, 10 * S);
    free(l.r);
    /* csv: rows by arrival, cut at the duration */
    char dir[256], path[300];
    assert_int_equal(tu_mkdtemp("sources", dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("event_time,key,value,arrival_time\n5,b,2,9\n1,a,1,1\n3,a,4,20\n", f);
    fclose(f);
    struct pipe_source csv = {.kind = SRC_CSV, .keys = 2};
    snprintf(csv.csv_path, sizeof csv.csv_path, "%s", path);
    gen(&csv, 15 * S, 1, &l);
    assert_int_equal(l.n, 2); /* the row arriving at 20 s is past the 15 s duration */
    assert_int_equal(l.r[0].event_ns, 1 * S);
    assert_int_equal(l.r[1].event_ns, 5 * S);
    assert_int_equal(l.r[1].arrival_ns, 9 * S);
    assert_int_equal(l.r[1].value, 2);
    struct src_gen g;
    struct ft_error err = {0};
    assert_int_equal(src_gen_open(&g, &csv, 15 * S, 1, &err), 0);
    char buf[64];
    assert_string_equal(src_key_name(&g, 1, buf, sizeof buf), "a");
    assert_int_equal(src_key_parse(&g, "b"), 0);
    src_gen_free(&g);
    free(l.r);
    tu_rmdir_all(dir);
    snprintf(csv.csv_path, sizeof csv.csv_path, "no-such-file.csv");
    assert_int_equal(src_gen_open(&g, &csv, 15 * S, 1, &err), FT_EIO);
}

static void test_names(void **state) {
    (void)state;
    struct src_gen g;
    struct pipe_source c = {.kind = SRC_LOGS, .keys = 4, .rate_per_s = 1};
    assert_int_equal(src_gen_init(&g, &c, S, 1), 0);
    char buf[64];
    assert_string_equal(src_key_name(&g, 2, buf, sizeof buf), "host-2");
    assert_string_equal(src_value_name(&g, SRC_LOG_ERROR, buf, sizeof buf), "error");
    assert_int_equal(src_key_parse(&g, "host-3"), 3);
    assert_int_equal(src_key_parse(&g, "host-4"), -1); /* only 4 hosts */
    assert_int_equal(src_key_parse(&g, "host-03"), -1);
    assert_int_equal(src_key_parse(&g, "device-1"), -1);
    src_gen_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iot_plain_readings_every_period),
        cmocka_unit_test(test_iot_skew_and_delay_bounds),
        cmocka_unit_test(test_iot_outages_queue_and_batteries_lose),
        cmocka_unit_test(test_logs_rate_levels_and_attack),
        cmocka_unit_test(test_logs_bursts_raise_rate_and_dispersion),
        cmocka_unit_test(test_ads_win_rate_and_ctr),
        cmocka_unit_test(test_clickstream_sessions_and_think_times),
        cmocka_unit_test(test_keyed_and_csv_sources),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
