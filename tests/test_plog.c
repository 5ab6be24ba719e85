/* The broker's partition log (stream/plog.h): every offset still retained reads back
 * the entry appended there, through segment boundaries, retention at random points, and
 * the switch from 24-byte to 40-byte entries when a field stops fitting; its memory
 * follows the retained span (a log whose consumer keeps up holds a few segments however
 * long it runs). And the generator's replay (source.h): src_gen_each gives the same
 * records device by device as the merged generator gives in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline.h"
#include "plog.h"
#include "source.h"
#include "testutil.h"

static struct log_entry entry(uint64_t off, uint64_t *x, bool wide) {
    uint64_t created = 1000 + off * 37;
    struct log_entry e = {off * 3 + 1,
                          created + tu_splitmix64(x) % 2000000,
                          created,
                          (int64_t)(tu_splitmix64(x) % 100000) - 50000,
                          (uint32_t)(tu_splitmix64(x) % 1000),
                          0};
    if (wide) e.value = INT64_MIN + (int64_t)off; /* does not fit 32 bits */
    return e;
}

static void expect_entry(const struct plog *l, const struct log_entry *want, uint64_t off) {
    struct log_entry got = plog_at(l, off);
    assert_int_equal(got.rec, want->rec);
    assert_int_equal(got.event_ns, want->event_ns);
    assert_int_equal(got.created_ns, want->created_ns);
    assert_int_equal(got.value, want->value);
    assert_int_equal(got.key, want->key);
}

static void test_retained_offsets_read_back(void **state) {
    (void)state;
    enum { N = 20000 };
    struct log_entry *ref = malloc(N * sizeof *ref);
    assert_non_null(ref);
    struct plog l = {0};
    uint64_t x = 1, keep = 0;
    for (uint64_t off = 0; off < N; off++) {
        ref[off] = entry(off, &x, off == 15000); /* one entry turns the log wide */
        assert_int_equal(plog_append(&l, &ref[off]), 0);
        if (tu_splitmix64(&x) % 500 == 0) { /* retention somewhere behind the head */
            keep += tu_splitmix64(&x) % (off + 1 - keep + 1);
            plog_truncate(&l, keep);
            assert_int_equal(l.base, keep);
        }
        if (off % 97 == 0)
            for (uint64_t o = l.base; o <= off; o += 1 + o % 13)
                expect_entry(&l, &ref[o], o);
    }
    assert_true(l.wide);
    for (uint64_t o = l.base; o < N; o++)
        expect_entry(&l, &ref[o], o);
    plog_truncate(&l, N + 5); /* at most len */
    assert_int_equal(l.base, N);
    plog_free(&l);
    free(ref);
}

/* 10^6 entries, the consumer never more than 300 behind: a handful of segments. */
static void test_memory_follows_the_retained_span(void **state) {
    (void)state;
    struct plog l = {0};
    uint64_t x = 2, most = 0;
    for (uint64_t off = 0; off < 1000000; off++) {
        struct log_entry e = entry(off, &x, false);
        assert_int_equal(plog_append(&l, &e), 0);
        if (off >= 300) plog_truncate(&l, off - 300);
        if (plog_bytes(&l) > most) most = plog_bytes(&l);
    }
    assert_false(l.wide);
    /* the span touches at most 2 segments, plus the spares and the pointer ring */
    assert_true(most <= (2 + PLOG_SPARE) * PLOG_SEG * sizeof(struct plog_small) + 1024);
    plog_free(&l);
}

struct rec_list {
    struct src_record *r;
    size_t n, cap;
};

static int collect(void *ctx, const struct src_record *r) {
    struct rec_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->r = realloc(l->r, l->cap * sizeof *l->r);
        assert_non_null(l->r);
    }
    l->r[l->n++] = *r;
    return 0;
}

static int cmp_rec(const void *a, const void *b) {
    const struct src_record *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->event_ns != y->event_ns) return x->event_ns < y->event_ns ? -1 : 1;
    return x->value < y->value ? -1 : x->value > y->value;
}

static void test_each_device_by_device_equals_the_merge(void **state) {
    (void)state;
    struct pipe_config c;
    pipe_config_defaults(&c);
    c.source.kind = SRC_IOT;
    c.source.keys = 300;
    c.source.period_ns = 100 * SIM_NS_PER_MS;
    c.source.jitter_ns = 30 * SIM_NS_PER_MS;
    struct rec_list a = {0}, b = {0};
    assert_int_equal(src_gen_each(&c.source, 20 * SIM_NS_PER_S, 7, false, collect, &a), 0);
    assert_int_equal(src_gen_each(&c.source, 20 * SIM_NS_PER_S, 7, true, collect, &b), 0);
    assert_int_equal(a.n, b.n);
    assert_true(a.n > 50000);
    for (size_t i = 0; i < a.n; i++)
        assert_int_equal(a.r[i].id, i); /* merged: ids in order */
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(b.r[i].id, UINT64_MAX);
    qsort(a.r, a.n, sizeof *a.r, cmp_rec);
    qsort(b.r, b.n, sizeof *b.r, cmp_rec);
    for (size_t i = 0; i < a.n; i++)
        assert_int_equal(cmp_rec(&a.r[i], &b.r[i]), 0);
    free(a.r);
    free(b.r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retained_offsets_read_back),
        cmocka_unit_test(test_memory_follows_the_retained_span),
        cmocka_unit_test(test_each_device_by_device_equals_the_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
