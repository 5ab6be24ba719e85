/* The CSV replay parser (stream/csv.h): every time format converted by hand, a file
 * with comments, quotes, CRLF and an arrival column read row by row, and one malformed
 * input per error with the exact line:col the message must name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

#define S 1000000000ull
#define HMS(h, m, s) ((((uint64_t)(h)*60 + (m)) * 60 + (s)) * S)

static uint64_t t_ok(const char *s, int64_t *day) {
    uint64_t t = 0;
    const char *why;
    if (csv_parse_time(s, strlen(s), day, &t, &why) != 0) fail_msg("'%s' rejected: %s", s, why);
    return t;
}

static void t_bad(const char *s, const char *why_part) {
    uint64_t t;
    const char *why;
    int64_t day = INT64_MIN;
    if (csv_parse_time(s, strlen(s), &day, &t, &why) == 0) fail_msg("'%s' accepted", s);
    if (!strstr(why, why_part)) fail_msg("'%s': reason '%s' lacks '%s'", s, why, why_part);
}

static void test_time_formats(void **state) {
    (void)state;
    int64_t day = INT64_MIN;
    assert_int_equal(t_ok("12:04", &day), HMS(12, 4, 0));
    assert_int_equal(t_ok("9:05", &day), HMS(9, 5, 0));
    assert_int_equal(t_ok("12:04:30", &day), HMS(12, 4, 30));
    assert_int_equal(t_ok("00:00:01.25", &day), S + S / 4);
    assert_int_equal(t_ok("23:59:59.000000001", &day), HMS(23, 59, 59) + 1);
    assert_int_equal(t_ok("724.5", &day), 724 * S + S / 2);
    assert_int_equal(t_ok("0", &day), 0);
    assert_int_equal(t_ok("86400", &day), 86400 * S);
    /* the first ISO date sets the day: 12:04 UTC of 2024-05-01 */
    assert_true(day == INT64_MIN);
    assert_int_equal(t_ok("2024-05-01T12:04:00Z", &day), HMS(12, 4, 0));
    assert_int_equal(day, 19844); /* 2024-05-01 is day 19844 since 1970-01-01 */
    /* next day, 01:00 at +01:00 is 00:00 UTC: 24 h after the base midnight */
    assert_int_equal(t_ok("2024-05-02T01:00+01:00", &day), HMS(24, 0, 0));
    assert_int_equal(t_ok("2024-05-01T12:04:00.5-02:30", &day), HMS(14, 34, 0) + S / 2);
    /* 2024 is a leap year: Feb 29 exists, in 2023 it does not */
    day = INT64_MIN;
    assert_int_equal(t_ok("2024-02-29T00:00:00Z", &day), 0);
    assert_int_equal(t_ok("2024-03-01T00:00:00Z", &day), HMS(24, 0, 0));
}

static void test_time_errors(void **state) {
    (void)state;
    t_bad("12:60", "minute");
    t_bad("24:00", "hour");
    t_bad("12:04:61", "second");
    t_bad("12:4", "expected a time");
    t_bad("12:04:05.", "expected a time");
    t_bad("1.0000000001", "expected a time"); /* 10 fraction digits */
    t_bad("-5", "expected a time");
    t_bad("noon", "expected a time");
    t_bad("", "expected a time");
    t_bad("2023-02-29T00:00:00Z", "day does not exist");
    t_bad("2024-13-01T00:00:00Z", "month");
    t_bad("2024-05-01 12:04:00", "expected a time");
    t_bad("2024-05-01T12:04:00+25:00", "offset");
    t_bad("9999999", "100 days");
    uint64_t t;
    const char *why;
    assert_int_equal(csv_parse_time("2024-05-01T00:00:00Z", 20, NULL, &t, &why), -1);
    assert_non_null(strstr(why, "ISO"));
    int64_t day = INT64_MIN;
    assert_int_equal(csv_parse_time("2024-05-02T00:00:00Z", 20, &day, &t, &why), 0);
    assert_int_equal(csv_parse_time("2024-05-01T23:00:00Z", 20, &day, &t, &why), -1);
    assert_non_null(strstr(why, "before midnight"));
}

static const char good[] = "\xef\xbb\xbf# the Spark guide's words\r\n"
                           "key, event_time ,value,arrival_time\r\n"
                           "dog,12:02,1,12:02\r\n"
                           "\r\n"
                           "\"owl, the\",12:13,1,12:13\r\n"
                           "cat,12:07,-3,12:07\r\n"
                           "dog,12:04,1,12:11\r\n"
                           "  # an indented comment\n"
                           "\"say \"\"hi\"\"\",12:08,+2,12:08";

static void test_parse_good_file(void **state) {
    (void)state;
    struct csv_data d;
    struct ft_error err = {0};
    int rc = csv_parse("good.csv", good, sizeof good - 1, &d, &err);
    if (rc) fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
    assert_true(d.has_arrival);
    assert_int_equal(d.n, 5);
    assert_int_equal(d.nkeys, 4);
    assert_string_equal(d.keys[0], "dog");
    assert_string_equal(d.keys[1], "owl, the");
    assert_string_equal(d.keys[2], "cat");
    assert_string_equal(d.keys[3], "say \"hi\"");
    /* sorted by arrival: 12:02 dog, 12:07 cat, 12:08 say, 12:11 dog (event 12:04), 12:13 owl */
    const struct {
        uint64_t ev, arr;
        uint32_t key;
        int64_t v;
        uint32_t line;
    } want[] = {{HMS(12, 2, 0), HMS(12, 2, 0), 0, 1, 3},
                {HMS(12, 7, 0), HMS(12, 7, 0), 2, -3, 6},
                {HMS(12, 8, 0), HMS(12, 8, 0), 3, 2, 9},
                {HMS(12, 4, 0), HMS(12, 11, 0), 0, 1, 7},
                {HMS(12, 13, 0), HMS(12, 13, 0), 1, 1, 5}};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(d.rows[i].event_ns, want[i].ev);
        assert_int_equal(d.rows[i].arrival_ns, want[i].arr);
        assert_int_equal(d.rows[i].key, want[i].key);
        assert_int_equal(d.rows[i].value, want[i].v);
        assert_int_equal(d.rows[i].line, want[i].line);
    }
    assert_int_equal(d.last_arrival_ns, HMS(12, 13, 0));
    assert_int_equal(d.last_arrival_line, 5);
    assert_int_equal(csv_key_id(&d, "cat"), 2);
    assert_int_equal(csv_key_id(&d, "emu"), -1);
    csv_free(&d);
}

static void test_no_arrival_column_means_arrival_is_event_time(void **state) {
    (void)state;
    const char text[] = "event_time,key,value\n10,b,1\n5,a,2\n5,c,3\n";
    struct csv_data d;
    struct ft_error err = {0};
    assert_int_equal(csv_parse("x.csv", text, sizeof text - 1, &d, &err), 0);
    assert_false(d.has_arrival);
    assert_int_equal(d.n, 3);
    /* ties in arrival keep file order: a (line 3) before c (line 4) */
    assert_int_equal(d.rows[0].arrival_ns, 5 * S);
    assert_int_equal(d.rows[0].line, 3);
    assert_int_equal(d.rows[1].line, 4);
    assert_int_equal(d.rows[2].event_ns, 10 * S);
    csv_free(&d);
}

static void bad(const char *text, int line, int col, const char *msg_part) {
    struct csv_data d;
    struct ft_error err = {0};
    int rc = csv_parse("bad.csv", text, strlen(text), &d, &err);
    if (rc != FT_EPARSE) fail_msg("accepted (rc %d): %s", rc, text);
    if (err.line != line || err.col != col || !strstr(err.msg, msg_part) ||
        strcmp(err.file, "bad.csv"))
        fail_msg("got %s:%d:%d: %s; want %d:%d '%s'", err.file, err.line, err.col, err.msg, line,
                 col, msg_part);
    assert_null(d.rows);
}

static void test_malformed_rows(void **state) {
    (void)state;
    bad("", 1, 1, "empty file");
    bad("# only a comment\n", 1, 1, "empty file");
    bad("event_time,key\n", 1, 1, "lacks the column 'value'");
    bad("event_time,key,value,colour\n", 1, 22, "unknown column 'colour'");
    bad("event_time,key,value,key\n", 1, 22, "appears twice");
    bad("event_time,key,value\n12:61,dog,1\n", 2, 1, "minute must be 0 to 59");
    bad("event_time,key,value\n12:01,dog,one\n", 2, 11, "expected an integer value");
    bad("event_time,key,value\n12:01,dog,1.5\n", 2, 11, "expected an integer value");
    bad("event_time,key,value\n12:01,dog,99999999999999999\n", 2, 11, "between -10^15");
    bad("event_time,key,value\n12:01,dog,1,2\n", 2, 13, "found more");
    bad("event_time,key,value\n12:01,dog\n", 2, 10, "found 2");
    bad("event_time,key,value\n12:01,,1\n", 2, 7, "empty field");
    bad("event_time,key,value\n12:01,\"dog,1\n", 2, 7, "no closing");
    bad("event_time,key,value\n12:01,\"dog\"x,1\n", 2, 12, "expected ','");
    bad("event_time,key,value\n12:01,d\x01g,1\n", 2, 7, "printable");
    bad("event_time,key,value\n12:01,\xff,1\n", 2, 7, "printable");
    bad("event_time,key,value,arrival_time\n12:01,dog,1,soon\n", 2, 13, "bad arrival_time");
    bad("event_time,key,value\n\xc3\xa9t\xc3\xa9,dog,1\n", 2, 1, "bad event_time");
    /* the column counts characters, not bytes: after 'é,' the key is column 3 */
    bad("key,event_time,value\n\xc3\xa9,x,1\n", 2, 3, "bad event_time");
    bad("event_time,key,value\n1,a,1\n2,b,1\n\n3,c,2,9\n", 5, 7, "found more");
    char nul[] = "event_time,key,value\n1,a\0,1\n";
    struct csv_data d;
    struct ft_error err = {0};
    assert_int_equal(csv_parse("nul.csv", nul, sizeof nul - 1, &d, &err), FT_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 4);
    assert_non_null(strstr(err.msg, "NUL"));
}

static void test_load_missing_file_is_io_error(void **state) {
    (void)state;
    struct csv_data d;
    struct ft_error err = {0};
    assert_int_equal(csv_load("tests/data/no-such.csv", &d, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "no-such.csv"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_formats),
        cmocka_unit_test(test_time_errors),
        cmocka_unit_test(test_parse_good_file),
        cmocka_unit_test(test_no_arrival_column_means_arrival_is_event_time),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_load_missing_file_is_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
