/* Scenario overrides (scenario.h, `ftsim sweep --set`): a value put at a YAML key path
 * decodes exactly as if the file held it, passes the same checks with the same
 * messages (prefixed "FILE: --set PATH=VALUE:"), and bad paths are refused with a
 * message naming the key; the scenario hash stays the hash of the file bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static const char base_yaml[] = "name: over\n"
                                "about: a scenario to override\n"
                                "duration: 2s\n"
                                "nodes: { broker: 1, workers: 2, sink: 1 }\n"
                                "source: { kind: iot, devices: 4, period: 100ms }\n"
                                "network: { latency: 1ms }\n"
                                "protocols: [at-most-once, at-least-once]\n"
                                "faults:\n"
                                "  - { drop: ack, from: worker-1, nth: 3 }\n"
                                "expect:\n"
                                "  at-least-once: { lost: 0 }\n";

static const char bare_yaml[] = "name: bare\n"
                                "about: no network section, no faults\n"
                                "duration: 1s\n"
                                "drain:\n"
                                "protocols: [at-most-once]\n";

static struct scenario *parse(const char *text, const struct scn_override *ov, uint32_t n,
                              int want_rc, struct ft_error *err) {
    struct scenario *s = malloc(sizeof *s);
    assert_non_null(s);
    memset(err, 0, sizeof *err);
    int rc = scn_parse_with("over.yaml", text, strlen(text), ov, n, s, err);
    if (rc != want_rc) fail_msg("rc %d (want %d): %s", rc, want_rc, err->msg);
    return s;
}

/* Parses base_yaml with one override and expects the error message `msg`. */
static void expect_refused(const char *path, const char *value, const char *msg) {
    struct scn_override ov = {path, value};
    struct ft_error err;
    free(parse(base_yaml, &ov, 1, FT_EPARSE, &err));
    printf("refused: %s\n", err.msg);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.line, 0);
}

static void test_overrides_decode_as_if_written_in_the_file(void **state) {
    (void)state;
    struct ft_error err;
    struct scenario *plain = parse(base_yaml, NULL, 0, 0, &err);
    const struct scn_override ov[] = {{"network.loss", "0.05"},
                                      {"network.latency", "5ms"},
                                      {"faults.0.nth", "9"},
                                      {"faults.0.from", "worker-2"},
                                      {"expect.at-least-once.duplicated", ">0"},
                                      {"source.devices", "7"},
                                      {"seed", "123"}};
    struct scenario *s = parse(base_yaml, ov, sizeof ov / sizeof ov[0], 0, &err);
    assert_true(s->pipe.network.loss_p == 0.05);
    assert_int_equal(s->pipe.network.latency_ns, 5000000);
    assert_int_equal(s->pipe.faults[0].nth, 9);
    assert_string_equal(s->pipe.faults[0].from, "worker-2");
    assert_int_equal(s->expect[DLV_AT_LEAST_ONCE].duplicated.op, SCN_GT);
    assert_int_equal(s->expect[DLV_AT_LEAST_ONCE].lost.op, SCN_EQ);
    assert_int_equal(s->pipe.source.keys, 7);
    assert_int_equal(s->seed, 123);
    /* untouched fields and the file hash stay */
    assert_int_equal(s->pipe.duration_ns, plain->pipe.duration_ns);
    assert_true(plain->pipe.network.loss_p == 0.0);
    assert_string_equal(s->hash, plain->hash);
    free(s);
    free(plain);
}

static void test_missing_sections_and_empty_values_are_created(void **state) {
    (void)state;
    struct ft_error err;
    const struct scn_override ov[] = {
        {"network.loss", "0.2"}, {"drain", "3s"}, {"delivery.ack_timeout", "20ms"}};
    struct scenario *s = parse(bare_yaml, ov, 3, 0, &err);
    assert_true(s->pipe.network.loss_p == 0.2);
    assert_int_equal(s->pipe.drain_ns, 3000000000ull);
    assert_int_equal(s->pipe.delivery.ack_timeout_ns, 20000000ull);
    free(s);
}

static void test_value_checks_keep_the_schema_messages(void **state) {
    (void)state;
    expect_refused("network.loss", "2",
                   "over.yaml: --set network.loss=2: 'loss' must be between 0 and 1, found 2");
    expect_refused("duration", "abc",
                   "over.yaml: --set duration=abc: expected a duration like 250ms or 10s for "
                   "'duration', found 'abc'");
    expect_refused("faults.0.from", "worker-9",
                   "over.yaml: --set faults.0.from=worker-9: unknown node 'worker-9' for 'from' "
                   "(this scenario's nodes: source, broker, worker-1 to worker-2, sink)");
}

static void test_unknown_keys_get_did_you_mean(void **state) {
    (void)state;
    expect_refused("network.los", "0.1",
                   "over.yaml: --set network.los=0.1: unknown key 'los' in 'network' (did you "
                   "mean 'loss'?)");
    expect_refused("netwrk.loss", "0.1",
                   "over.yaml: --set netwrk.loss=0.1: unknown key 'netwrk' in the top level "
                   "(did you mean 'network'?)");
}

static void test_bad_paths_are_refused_naming_the_key(void **state) {
    (void)state;
    expect_refused("duration.x", "1",
                   "over.yaml: --set duration.x=1: 'duration' is a single "
                   "value, so it has no 'x'");
    expect_refused("faults.3.nth", "1",
                   "over.yaml: --set faults.3.nth=1: 'faults' is a list of "
                   "1, so expected an index 0 to 0 after it, found '3'");
    expect_refused("network", "5",
                   "over.yaml: --set network=5: 'network' is a mapping in the "
                   "file; --set replaces single values only");
    expect_refused("links.0.loss", "0.1",
                   "over.yaml: --set links.0.loss=0.1: 'links' is not in the file, so it has no "
                   "entry 0");
    expect_refused("network..loss", "0.1",
                   "over.yaml: --set network..loss=0.1: expected a key path like network.loss or "
                   "faults.0.nth (at most 256 bytes)");
    expect_refused("network.loss", "0.1\n",
                   "over.yaml: --set network.loss=0.1\\x0a: the value contains a control "
                   "character");
    struct scn_override twice[] = {{"network.loss", "0.1"}, {"network.loss", "0.2"}};
    struct ft_error err;
    free(parse(base_yaml, twice, 2, FT_EPARSE, &err));
    assert_string_equal(err.msg, "over.yaml: --set network.loss=0.2: 'network.loss' is set twice");
}

static void test_without_overrides_file_errors_keep_their_position(void **state) {
    (void)state;
    static const char bad[] = "name: x\nabout: y\nduration: 1s\nprotocols: [at-most-once]\n"
                              "network: { loss: 3 }\n";
    struct ft_error err;
    free(parse(bad, NULL, 0, FT_EPARSE, &err));
    assert_int_equal(err.line, 5);
    assert_int_equal(err.col, 18);
    assert_string_equal(err.msg, "'loss' must be between 0 and 1, found 3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overrides_decode_as_if_written_in_the_file),
        cmocka_unit_test(test_missing_sections_and_empty_values_are_created),
        cmocka_unit_test(test_value_checks_keep_the_schema_messages),
        cmocka_unit_test(test_unknown_keys_get_did_you_mean),
        cmocka_unit_test(test_bad_paths_are_refused_naming_the_key),
        cmocka_unit_test(test_without_overrides_file_errors_keep_their_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
