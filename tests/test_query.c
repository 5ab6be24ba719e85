/* The stateless operators of a query (stream/query.h) on records written by hand: map
 * (set, and multiply/divide/add with saturation), filter bounds inclusive, key_by the
 * value or the joined attribute with their names, the inner join dropping unlisted keys,
 * and a join table naming a key the source does not have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "query.h"
#include "source.h"

static struct pipe_query q;

static void add_op(struct pipe_op op) {
    q.ops[q.nops++] = op;
}

static void join_row(const char *key, const char *attr) {
    snprintf(q.join[q.njoin].key, PIPE_ATTR_BYTES_MAX, "%s", key);
    snprintf(q.join[q.njoin].attr, PIPE_ATTR_BYTES_MAX, "%s", attr);
    q.njoin++;
}

static void test_map_and_filter(void **state) {
    (void)state;
    memset(&q, 0, sizeof q);
    struct src_gen g;
    struct pipe_source c = {.kind = SRC_IOT, .keys = 3, .period_ns = 1000};
    assert_int_equal(src_gen_init(&g, &c, 1, 1), 0);
    /* milli-degrees C -> F, then keep 50000..80000 */
    add_op((struct pipe_op){.kind = OP_MAP, .mul = 9, .div = 5, .add = 32000});
    add_op((struct pipe_op){.kind = OP_FILTER, .min = 50000, .max = 80000});
    struct query cq;
    struct ft_error err = {0};
    assert_int_equal(query_compile(&q, &g, &cq, &err), 0);
    uint64_t k;
    int64_t v;
    assert_int_equal(query_apply(&cq, 2, 20000, &k, &v), QUERY_KEEP); /* 20 C = 68 F */
    assert_int_equal(k, 2);
    assert_int_equal(v, 68000);
    assert_int_equal(query_apply(&cq, 2, 10000, &k, &v), QUERY_KEEP); /* 50 F: bound kept */
    assert_int_equal(v, 50000);
    assert_int_equal(query_apply(&cq, 2, 9999, &k, &v), QUERY_FILTERED);  /* 49.998 F */
    assert_int_equal(query_apply(&cq, 2, 26670, &k, &v), QUERY_FILTERED); /* 80.006 F */
    /* saturation instead of overflow */
    q.nops = 0;
    add_op((struct pipe_op){.kind = OP_MAP, .mul = 1000000, .div = 1, .add = 5});
    assert_int_equal(query_apply(&cq, 0, INT64_MAX / 10, &k, &v), QUERY_KEEP);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(query_apply(&cq, 0, -INT64_MAX / 10, &k, &v), QUERY_KEEP);
    assert_int_equal(v, INT64_MIN);
    q.nops = 0;
    add_op((struct pipe_op){.kind = OP_MAP, .has_set = true, .set = 1});
    assert_int_equal(query_apply(&cq, 1, -77, &k, &v), QUERY_KEEP);
    assert_int_equal(v, 1);
    char buf[64];
    assert_string_equal(query_key_name(&cq, 1, buf, sizeof buf), "device-1");
    query_free(&cq);
    src_gen_free(&g);
}

static void test_key_by_value_names_levels(void **state) {
    (void)state;
    memset(&q, 0, sizeof q);
    struct src_gen g;
    struct pipe_source c = {.kind = SRC_LOGS, .keys = 5, .rate_per_s = 1};
    assert_int_equal(src_gen_init(&g, &c, 1, 1), 0);
    add_op((struct pipe_op){.kind = OP_FILTER, .min = SRC_LOG_ERROR, .max = INT64_MAX});
    add_op((struct pipe_op){.kind = OP_KEY_BY, .by = OP_BY_VALUE});
    struct query cq;
    struct ft_error err = {0};
    assert_int_equal(query_compile(&q, &g, &cq, &err), 0);
    uint64_t k;
    int64_t v;
    assert_int_equal(query_apply(&cq, 4, SRC_LOG_WARN, &k, &v), QUERY_FILTERED);
    assert_int_equal(query_apply(&cq, 4, SRC_LOG_ALERT, &k, &v), QUERY_KEEP);
    assert_int_equal(k, SRC_LOG_ALERT);
    char buf[64];
    assert_string_equal(query_key_name(&cq, k, buf, sizeof buf), "alert");
    query_free(&cq);
    /* after a map the values are numbers, not levels */
    q.nops = 0;
    add_op((struct pipe_op){.kind = OP_MAP, .mul = 10, .div = 1, .add = 0});
    add_op((struct pipe_op){.kind = OP_KEY_BY, .by = OP_BY_VALUE});
    assert_int_equal(query_compile(&q, &g, &cq, &err), 0);
    assert_int_equal(query_apply(&cq, 4, SRC_LOG_ERROR, &k, &v), QUERY_KEEP);
    assert_string_equal(query_key_name(&cq, k, buf, sizeof buf), "30");
    query_free(&cq);
    src_gen_free(&g);
}

static void test_join_then_key_by_attribute(void **state) {
    (void)state;
    memset(&q, 0, sizeof q);
    struct src_gen g;
    struct pipe_source c = {.kind = SRC_IOT, .keys = 4, .period_ns = 1000};
    assert_int_equal(src_gen_init(&g, &c, 1, 1), 0);
    join_row("device-0", "kitchen");
    join_row("device-2", "hall");
    join_row("device-3", "kitchen");
    add_op((struct pipe_op){.kind = OP_JOIN});
    add_op((struct pipe_op){.kind = OP_KEY_BY, .by = OP_BY_ATTRIBUTE});
    struct query cq;
    struct ft_error err = {0};
    assert_int_equal(query_compile(&q, &g, &cq, &err), 0);
    uint64_t k0, k2, k3;
    int64_t v;
    assert_int_equal(query_apply(&cq, 0, 5, &k0, &v), QUERY_KEEP);
    assert_int_equal(query_apply(&cq, 2, 5, &k2, &v), QUERY_KEEP);
    assert_int_equal(query_apply(&cq, 3, 5, &k3, &v), QUERY_KEEP);
    assert_int_equal(query_apply(&cq, 1, 5, &k0, &v), QUERY_UNMATCHED); /* not in the table */
    assert_int_equal(k0, k3);                                           /* both kitchens */
    assert_true(k0 != k2);
    char buf[64];
    assert_string_equal(query_key_name(&cq, k3, buf, sizeof buf), "kitchen");
    assert_string_equal(query_key_name(&cq, k2, buf, sizeof buf), "hall");
    query_free(&cq);
    join_row("device-9", "attic"); /* only 4 devices */
    assert_int_equal(query_compile(&q, &g, &cq, &err), FT_EINVAL);
    assert_non_null(strstr(err.msg, "'device-9'"));
    src_gen_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_and_filter),
        cmocka_unit_test(test_key_by_value_names_levels),
        cmocka_unit_test(test_join_then_key_by_attribute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
