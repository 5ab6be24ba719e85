/* The windowed query through the scenario loader and the simulated pipeline: every
 * streaming key read back; CSV errors reported at the CSV's own line:col; the word
 * count's window table through the whole pipeline equal to the table worked out by
 * hand; micro-batch and continuous drivers giving the same final table when nothing
 * is late (and continuous emitting sooner); the no-lateness reference checked against
 * a brute-force count over the generated records; a worker crash losing the window
 * state it held (volatile) even under exactly-once, and only the state of the
 * partitions it hosts (tasks: the other worker's keys still equal the count); and
 * replayed offsets skipped by exactly-once but counted twice by at-least-once; and the
 * continuous driver holding records back (when only the table reads the rows) giving
 * what it gives triggering each record at once (with the emission log kept), through
 * late records, a worker crash and a task handed over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "experiment.h"
#include "scenario.h"
#include "source.h"
#include "testutil.h"

#define S 1000000000ll
#define MIN (60 * S)
#define HM(h, m) (((int64_t)(h)*60 + (m)) * MIN)

static struct scenario *scn;

static int setup(void **state) {
    (void)state;
    scn = malloc(sizeof *scn);
    return scn ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    free(scn);
    return 0;
}

static void load(const char *path) {
    struct ft_error err = {0};
    int rc = scn_load(path, scn, &err);
    if (rc) fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
}

static void run(enum dlv_protocol p, struct exp_outcome *o, struct exp_windows *w) {
    struct ft_error err = {0};
    int rc = exp_run_windows(&scn->pipe, p, scn->seed, NULL, o, w, &err);
    if (rc) fail_msg("exp_run: %s", err.msg);
    assert_true(o->windows_enabled);
}

static void test_every_stream_key_is_read(void **state) {
    (void)state;
    load("tests/data/good/stream.yaml");
    const struct pipe_source *s = &scn->pipe.source;
    assert_int_equal(s->kind, SRC_LOGS);
    assert_int_equal(s->keys, 4);
    assert_true(s->rate_per_s == 150 && s->burst_rate_per_s == 900);
    assert_int_equal(s->burst_every_ns, 30 * S);
    assert_int_equal(s->burst_length_ns, 4 * S);
    assert_int_equal(s->attack_at_ns, 20 * S);
    assert_int_equal(s->attack_length_ns, 5 * S);
    assert_true(s->attack_rate_per_s == 250);
    assert_int_equal(s->attack_host, 3);
    const struct pipe_query *q = &scn->pipe.query;
    assert_true(q->enabled);
    assert_int_equal(q->nops, 4);
    assert_int_equal(q->ops[0].kind, OP_FILTER);
    assert_int_equal(q->ops[0].min, SRC_LOG_WARN);
    assert_int_equal(q->ops[0].max, SRC_LOG_ALERT);
    assert_int_equal(q->ops[1].kind, OP_JOIN);
    assert_int_equal(q->njoin, 3);
    assert_string_equal(q->join[2].key, "host-3");
    assert_string_equal(q->join[2].attr, "db");
    assert_int_equal(q->ops[2].kind, OP_MAP);
    assert_int_equal(q->ops[2].mul, 3);
    assert_int_equal(q->ops[2].div, 2);
    assert_int_equal(q->ops[2].add, -1);
    assert_int_equal(q->ops[3].kind, OP_KEY_BY);
    assert_int_equal(q->ops[3].by, OP_BY_ATTRIBUTE);
    assert_int_equal(q->window.length_ns, 30 * S);
    assert_int_equal(q->window.slide_ns, 10 * S);
    assert_int_equal(q->window.delay_ns, 4 * S);
    assert_int_equal(q->window.agg, WIN_AGG_MAX);
    assert_int_equal(q->window.mode, WIN_MODE_APPEND);
    assert_int_equal(q->driver, PIPE_DRIVER_MICRO_BATCH);
    assert_int_equal(q->trigger_ns, 2 * S);
    const struct scn_expect *e = &scn->expect[DLV_AT_LEAST_ONCE];
    assert_int_equal(e->late_dropped.op, SCN_LT);
    assert_int_equal(e->late_dropped.value, 5);
    assert_int_equal(e->windows.op, SCN_GE);
    assert_int_equal(e->windows_match_reference, 1);
    e = &scn->expect[DLV_EXACTLY_ONCE];
    assert_int_equal(e->windows_match_reference, -1);
    assert_int_equal(e->nrows, 2);
    assert_int_equal(e->rows[0].start_ns, 0);
    assert_int_equal(e->rows[0].end_ns, 30 * S); /* start + length */
    assert_string_equal(e->rows[1].key, "web");
    assert_int_equal(e->rows[1].start_ns, -20 * S);
    assert_int_equal(e->rows[1].end_ns, 10 * S);
    assert_true(e->rows[1].value == 5.5);
    /* defaults: no pipeline, no query */
    load("tests/data/good/minimal.yaml");
    assert_false(scn->pipe.query.enabled);
}

static void test_csv_errors_name_the_csv_position(void **state) {
    (void)state;
    char dir[256], csv[300], yaml[300];
    assert_int_equal(tu_mkdtemp("window-pipeline", dir, sizeof dir), 0);
    snprintf(csv, sizeof csv, "%s/words.csv", dir);
    snprintf(yaml, sizeof yaml, "%s/t.yaml", dir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("event_time,key,value\n12:00,a,1\n12:01,b,x\n", f);
    fclose(f);
    f = fopen(yaml, "w");
    assert_non_null(f);
    fprintf(f,
            "name: t\nabout: x\nduration: 13h\nprotocols: [at-least-once]\n"
            "source: { kind: csv, file: %s }\n",
            csv);
    fclose(f);
    struct ft_error err = {0};
    assert_int_equal(scn_load(yaml, scn, &err), FT_EPARSE);
    assert_string_equal(err.file, csv);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 9);
    assert_non_null(strstr(err.msg, "expected an integer value"));
    tu_rmdir_all(dir);
}

/* ---- through the pipeline ---- */

struct row {
    int64_t start;
    const char *key;
    double value;
    int64_t emitted;
};

static void test_word_count_table_by_hand(void **state) {
    (void)state;
    load("scenarios/spark-windowed-wordcount.yaml");
    /* Triggers at 12:05, 12:10, 12:15, 12:20 (5m); update mode emits a row when its
     * count changes. Words: cat 12:02, dog 12:02, dog 12:03 | owl 12:07, cat 12:07,
     * dog 12:08, owl 12:09 | dog 12:04 (arrives 12:11), owl 12:13, dog 12:14 | cat 12:16.
     * The late dog changes [11:55) and [12:00) at 12:15; [12:05) gets dog 12:14 then. */
    const struct row want[] = {
        {HM(11, 55), "cat", 1, HM(12, 5)},  {HM(11, 55), "dog", 3, HM(12, 15)},
        {HM(12, 0), "cat", 2, HM(12, 10)},  {HM(12, 0), "dog", 4, HM(12, 15)},
        {HM(12, 0), "owl", 2, HM(12, 10)},  {HM(12, 5), "cat", 1, HM(12, 10)},
        {HM(12, 5), "dog", 2, HM(12, 15)},  {HM(12, 5), "owl", 3, HM(12, 15)},
        {HM(12, 10), "cat", 1, HM(12, 20)}, {HM(12, 10), "dog", 1, HM(12, 15)},
        {HM(12, 10), "owl", 1, HM(12, 15)}, {HM(12, 15), "cat", 1, HM(12, 20)},
    };
    for (int p = DLV_AT_MOST_ONCE; p < DLV_COUNT; p++) {
        struct exp_outcome o;
        struct exp_windows w = {0};
        run((enum dlv_protocol)p, &o, &w);
        assert_int_equal(w.n, 12);
        for (size_t i = 0; i < w.n; i++) {
            const struct exp_window_row *r = &w.rows[i];
            assert_int_equal(r->window_start_ns, want[i].start);
            assert_int_equal(r->window_end_ns, want[i].start + 10 * MIN);
            assert_string_equal(r->key, want[i].key);
            assert_true(r->value == want[i].value);
            assert_int_equal(r->emitted_at_ns, want[i].emitted);
            assert_true(r->final);
        }
        assert_int_equal(o.late_dropped, 0);
        assert_true(o.windows_match_reference);
        /* 3 rows at 12:05 ... : 4 + 6 + 6 + 2 changed rows over the four triggers */
        assert_int_equal(o.window_rows_emitted, 18);
        exp_windows_free(&w);
    }
}

/* The emission log of the word count, trigger by trigger (update mode: the rows each
 * trigger changed), and the watermark after each trigger: max event time - 10m. */
static void test_word_count_emission_log_and_watermarks(void **state) {
    (void)state;
    load("scenarios/spark-windowed-wordcount.yaml");
    struct exp_outcome o;
    struct exp_windows w = {.want_log = true};
    run(DLV_EXACTLY_ONCE, &o, &w);
    const struct row log[] = {
        /* 12:05: cat 12:02, dog 12:02, dog 12:03 */
        {HM(11, 55), "cat", 1, HM(12, 5)},
        {HM(11, 55), "dog", 2, HM(12, 5)},
        {HM(12, 0), "cat", 1, HM(12, 5)},
        {HM(12, 0), "dog", 2, HM(12, 5)},
        /* 12:10: owl 12:07, cat 12:07, dog 12:08, owl 12:09 */
        {HM(12, 0), "cat", 2, HM(12, 10)},
        {HM(12, 0), "dog", 3, HM(12, 10)},
        {HM(12, 0), "owl", 2, HM(12, 10)},
        {HM(12, 5), "cat", 1, HM(12, 10)},
        {HM(12, 5), "dog", 1, HM(12, 10)},
        {HM(12, 5), "owl", 2, HM(12, 10)},
        /* 12:15: the late dog 12:04, owl 12:13, dog 12:14 */
        {HM(11, 55), "dog", 3, HM(12, 15)},
        {HM(12, 0), "dog", 4, HM(12, 15)},
        {HM(12, 5), "dog", 2, HM(12, 15)},
        {HM(12, 5), "owl", 3, HM(12, 15)},
        {HM(12, 10), "dog", 1, HM(12, 15)},
        {HM(12, 10), "owl", 1, HM(12, 15)},
        /* 12:20: cat 12:16 */
        {HM(12, 10), "cat", 1, HM(12, 20)},
        {HM(12, 15), "cat", 1, HM(12, 20)},
    };
    /* closings are in the log too: update mode emits nothing then, the row turns final.
     * The no-data trigger at 12:25 (watermark 12:06) closes [11:55, 12:05); the end of the
     * run (12:30 + 60 s drain) closes the other ten. Take them out, then compare. */
    size_t k = 0, closed_1225 = 0, closed_end = 0;
    for (size_t i = 0; i < w.nlog; i++) {
        if (!w.log[i].final) {
            w.log[k++] = w.log[i];
            continue;
        }
        closed_1225 += w.log[i].emitted_at_ns == (uint64_t)HM(12, 25) &&
                       w.log[i].window_start_ns == HM(11, 55);
        closed_end += w.log[i].emitted_at_ns == (uint64_t)HM(12, 31);
    }
    assert_int_equal(w.nlog - k, 12); /* every (window, key) closes once */
    assert_int_equal(closed_1225, 2);
    assert_int_equal(closed_end, 10);
    w.nlog = k;
    /* two workers emit in worker order within a trigger; sort each trigger's rows by
     * (start, key) here for the comparison */
    assert_int_equal(w.nlog, 18);
    assert_false(w.log_truncated);
    for (size_t i = 0; i < w.nlog; i++)
        for (size_t j = i + 1; j < w.nlog; j++) {
            struct exp_window_row *a = &w.log[i], *b = &w.log[j];
            if (a->emitted_at_ns == b->emitted_at_ns &&
                (b->window_start_ns < a->window_start_ns ||
                 (b->window_start_ns == a->window_start_ns && strcmp(b->key, a->key) < 0))) {
                struct exp_window_row t = *a;
                *a = *b;
                *b = t;
            }
        }
    for (size_t i = 0; i < w.nlog; i++) {
        assert_int_equal(w.log[i].window_start_ns, log[i].start);
        assert_string_equal(w.log[i].key, log[i].key);
        assert_true(w.log[i].value == log[i].value);
        assert_int_equal(w.log[i].emitted_at_ns, log[i].emitted);
        assert_false(w.log[i].final); /* update mode: rows emitted while open */
    }
    /* after 12:20 the watermark moved, so a no-data trigger runs at 12:25 */
    const int64_t at[] = {HM(12, 5), HM(12, 10), HM(12, 15), HM(12, 20), HM(12, 25)};
    const int64_t wm[] = {HM(11, 53), HM(11, 59), HM(12, 4), HM(12, 6), HM(12, 6)};
    assert_int_equal(w.nwatermarks, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(w.watermarks[i].t_ns, at[i]);
        assert_int_equal(w.watermarks[i].watermark_ns, wm[i]);
        assert_int_equal(w.watermarks[i].late_dropped, 0);
    }
    exp_windows_free(&w);
    assert_true(w.want_log && !w.log && !w.nlog);
}

/* key_by value spreads a page over both workers: every logged row is the combined
 * count, so each (window, page)'s last logged value is its final value, and the final
 * table still matches the reference. */
/* The processing-time contrast table: the same query with windows assigned by
 * arrival. Dog arrivals 12:02, 12:03, 12:08, 12:11 (the late one), 12:14, worked out
 * by hand: the late dog counts in [12:05,12:15) and [12:10,12:20), not in the event-time
 * windows [11:55,12:05) and [12:00,12:10) it belongs to. */
static void test_processing_time_windows_by_hand(void **state) {
    (void)state;
    load("scenarios/spark-windowed-wordcount.yaml");
    struct exp_outcome o;
    struct exp_windows w = {.want_log = true};
    run(DLV_EXACTLY_ONCE, &o, &w);
    const struct {
        int64_t start;
        double dog;
    } want[] = {{HM(11, 55), 2}, {HM(12, 0), 3}, {HM(12, 5), 3}, {HM(12, 10), 2}};
    size_t seen = 0;
    for (size_t i = 0; i < w.nproc; i++) {
        const struct exp_window_row *r = &w.proc_rows[i];
        assert_true(r->final);
        assert_int_equal(r->emitted_at_ns, r->window_end_ns);
        if (strcmp(r->key, "dog") != 0) continue;
        assert_true(seen < sizeof want / sizeof want[0]);
        assert_int_equal(r->window_start_ns, want[seen].start);
        assert_int_equal(r->window_end_ns, want[seen].start + 10 * MIN);
        assert_true(r->value == want[seen].dog);
        seen++;
    }
    assert_int_equal(seen, sizeof want / sizeof want[0]);
    exp_windows_free(&w);
    /* without the log nothing extra is computed */
    struct exp_windows plain = {0};
    run(DLV_EXACTLY_ONCE, &o, &plain);
    assert_int_equal(plain.nproc, 0);
    exp_windows_free(&plain);
}

static void test_partials_combine_across_workers(void **state) {
    (void)state;
    load("scenarios/clickstream-sessions.yaml");
    assert_int_equal(scn->pipe.workers, 2);
    struct exp_outcome o;
    struct exp_windows w = {.want_log = true};
    run(DLV_AT_LEAST_ONCE, &o, &w);
    assert_true(o.windows_match_reference);
    assert_true(w.n > 20 && w.nlog > w.n);
    for (size_t i = 0; i < w.n; i++) {
        const struct exp_window_row *last = NULL;
        for (size_t j = 0; j < w.nlog; j++)
            if (w.log[j].window_start_ns == w.rows[i].window_start_ns &&
                !strcmp(w.log[j].key, w.rows[i].key))
                last = &w.log[j];
        assert_non_null(last);
        assert_true(last->value == w.rows[i].value);
    }
    exp_windows_free(&w);
}

static bool same_final(const struct exp_windows *a, const struct exp_windows *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->rows[i].window_start_ns != b->rows[i].window_start_ns ||
            strcmp(a->rows[i].key, b->rows[i].key) || a->rows[i].value != b->rows[i].value ||
            !a->rows[i].final || !b->rows[i].final)
            return false;
    return true;
}

static void test_drivers_agree_without_late_records(void **state) {
    (void)state;
    load("scenarios/security-logs.yaml");
    for (int mode = WIN_MODE_APPEND; mode <= WIN_MODE_UPDATE; mode++) {
        struct exp_outcome mb, ct;
        struct exp_windows wmb = {0}, wct = {0};
        scn->pipe.query.window.mode = (enum win_mode)mode;
        scn->pipe.query.driver = PIPE_DRIVER_MICRO_BATCH;
        run(DLV_EXACTLY_ONCE, &mb, &wmb);
        scn->pipe.query.driver = PIPE_DRIVER_CONTINUOUS;
        run(DLV_EXACTLY_ONCE, &ct, &wct);
        assert_int_equal(mb.late_dropped, 0);
        assert_int_equal(ct.late_dropped, 0);
        assert_true(wmb.n > 50);
        assert_true(same_final(&wmb, &wct));
        assert_true(mb.windows_match_reference && ct.windows_match_reference);
        printf("%s: window latency p50 micro-batch %.3f s, continuous %.3f s\n",
               win_mode_name((enum win_mode)mode), (double)mb.window_latency_p50_ns / 1e9,
               (double)ct.window_latency_p50_ns / 1e9);
        if (mode == WIN_MODE_UPDATE) { /* continuous emits at arrival, micro-batch at the
                                          next 1 s trigger: ~0.5 s later on average */
            assert_true(ct.window_latency_p50_ns < 10000000);
            assert_true(mb.window_latency_p50_ns > 300000000);
        }
        exp_windows_free(&wmb);
        exp_windows_free(&wct);
    }
}

enum { W = 14, H = 6 }; /* security-logs: windows starting at -5 s .. 60 s, 6 hosts */

/* The loaded security-logs scenario's errors and alerts per host per 10 s window
 * sliding 5 s, by brute force over the generated records. */
static void security_counts(uint64_t (*count)[H]) {
    struct src_gen g;
    assert_int_equal(src_gen_init(&g, &scn->pipe.source, scn->pipe.duration_ns, scn->seed), 0);
    struct src_record r;
    while (src_gen_next(&g, &r)) {
        if (r.value < SRC_LOG_ERROR) continue;
        for (int k = 0; k < W; k++) {
            int64_t start = (k - 1) * 5 * S;
            if ((int64_t)r.event_ns >= start && (int64_t)r.event_ns < start + 10 * S)
                count[k][r.key]++;
        }
    }
    src_gen_free(&g);
}

/* The reference, recomputed here by brute force from the generated records. */
static void test_reference_matches_brute_force(void **state) {
    (void)state;
    load("scenarios/security-logs.yaml");
    uint64_t count[W][H] = {{0}};
    security_counts(count);
    struct exp_outcome o;
    struct exp_windows w = {0};
    run(DLV_AT_LEAST_ONCE, &o, &w);
    size_t rows = 0;
    for (int k = 0; k < W; k++)
        for (int h = 0; h < H; h++)
            rows += count[k][h] > 0;
    assert_int_equal(w.n, rows);
    for (size_t i = 0; i < w.n; i++) {
        int k = (int)(w.rows[i].window_start_ns / (5 * S)) + 1;
        int h = atoi(w.rows[i].key + 5); /* "host-N" */
        assert_true(k >= 0 && k < W);
        assert_true(w.rows[i].value == (double)count[k][h]);
    }
    assert_true(o.windows_match_reference);
    /* the attack: host-2's window [30 s, 40 s) holds ~3000 alerts, the others < 500 */
    for (size_t i = 0; i < w.n; i++)
        if (w.rows[i].window_start_ns == 30 * S)
            assert_true(strcmp(w.rows[i].key, "host-2") ? w.rows[i].value < 500
                                                        : w.rows[i].value > 2500);
    exp_windows_free(&w);
}

/* worker-1 crashes at 33 s and restarts at 34 s. */
static void add_crash_of_worker_1(void) {
    struct pipe_fault *f = &scn->pipe.faults[scn->pipe.nfaults++];
    *f = (struct pipe_fault){.type = PIPE_FAULT_CRASH,
                             .has_at = true,
                             .at_ns = 33 * S,
                             .restart_after_ns = S,
                             .record = PIPE_ANY,
                             .nth = 1};
    snprintf(f->node, sizeof f->node, "worker-1");
}

/* pipeline.c's key -> partition hash, restated so expectations do not call it. */
static uint32_t partition_of(uint32_t key, uint32_t partitions) {
    return (uint32_t)((((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 32) % partitions);
}

/* Rows of w whose value is not count[window][host] or that are missing, by the worker
 * hosting the host's partition (static: partition mod workers). */
static void count_wrong(const struct exp_windows *w, uint64_t (*count)[H], uint32_t parts,
                        uint32_t workers, size_t *wrong_of) {
    wrong_of[0] = wrong_of[1] = 0;
    for (int k = 0; k < W; k++)
        for (int h = 0; h < H; h++)
            wrong_of[partition_of((uint32_t)h, parts) % workers] += count[k][h] > 0;
    for (size_t i = 0; i < w->n; i++) { /* a row that is right is not missing */
        int k = (int)(w->rows[i].window_start_ns / (5 * S)) + 1;
        int h = atoi(w->rows[i].key + 5); /* "host-N" */
        assert_true(k >= 0 && k < W && h >= 0 && h < H);
        size_t *n = &wrong_of[partition_of((uint32_t)h, parts) % workers];
        if (w->rows[i].value == (double)count[k][h])
            --*n;
        else if (!count[k][h])
            ++*n; /* a row the count does not have */
    }
}

static void test_crash_loses_only_the_hosted_partitions(void **state) {
    (void)state;
    load("scenarios/security-logs.yaml");
    const uint32_t parts = scn->pipe.partitions, workers = scn->pipe.workers;
    assert_int_equal(parts, 4);
    assert_int_equal(workers, 2);
    uint64_t count[W][H] = {{0}};
    security_counts(count);
    uint32_t hosts_of[2] = {0, 0};
    for (int h = 0; h < H; h++)
        hosts_of[partition_of((uint32_t)h, parts) % workers]++;
    assert_true(hosts_of[0] > 0 && hosts_of[1] > 0); /* both workers host some host's key */
    struct exp_outcome o;
    struct exp_windows w = {0};
    size_t wrong_of[2] = {0, 0};
    /* without the crash: per-partition partials combine to the count of every key */
    run(DLV_EXACTLY_ONCE, &o, &w);
    assert_true(o.windows_match_reference);
    count_wrong(&w, count, parts, workers, wrong_of);
    assert_true(w.n > 50 && wrong_of[0] == 0 && wrong_of[1] == 0);
    exp_windows_free(&w);
    /* worker-1 (index 0) hosts the partitions p with p mod 2 == 0; it crashes at 33 s
     * and restarts at 34 s */
    add_crash_of_worker_1();
    run(DLV_EXACTLY_ONCE, &o, &w);
    assert_int_equal(o.lost, 0);
    assert_int_equal(o.duplicated, 0);
    assert_false(o.windows_match_reference);
    count_wrong(&w, count, parts, workers, wrong_of);
    assert_int_equal(wrong_of[1], 0);                    /* worker-2's tasks kept their state */
    assert_true(wrong_of[0] > 0);                        /* worker-1's started empty at 34 s */
    assert_int_equal(wrong_of[0], o.windows_mismatched); /* the reference agrees */
    exp_windows_free(&w);
}

static void test_worker_crash_loses_window_state(void **state) {
    (void)state;
    load("scenarios/security-logs.yaml");
    struct exp_outcome o;
    run(DLV_EXACTLY_ONCE, &o, NULL);
    assert_true(o.windows_match_reference);
    /* worker-1 crashes at 33 s and restarts at 34 s: records are redelivered and
     * exactly-once still holds for the warehouse, but the open windows' counts the
     * worker held are gone */
    add_crash_of_worker_1();
    run(DLV_EXACTLY_ONCE, &o, NULL);
    assert_int_equal(o.lost, 0);
    assert_int_equal(o.duplicated, 0);
    assert_true(o.matches_reference);
    assert_false(o.windows_match_reference);
    assert_true(o.windows_mismatched > 0);
}

static void test_replays_counted_by_at_least_once_only(void **state) {
    (void)state;
    load("scenarios/ad-clicks.yaml");
    struct exp_outcome alo, eo;
    run(DLV_AT_LEAST_ONCE, &alo, NULL);
    run(DLV_EXACTLY_ONCE, &eo, NULL);
    assert_true(alo.duplicated > 0);
    assert_false(alo.windows_match_reference);
    assert_int_equal(eo.duplicated, 0);
    assert_true(eo.windows_match_reference);
}

/* The continuous driver, p, seed: held back (no log: the table is the only reader) and
 * at once (the log kept) give the same table, statistics, latencies and trace. */
static void expect_held_back_as_at_once(enum dlv_protocol p, uint64_t seed) {
    struct ft_error err = {0};
    struct exp_outcome held, once;
    struct exp_windows wh = {0}, wo = {.want_log = true};
    scn->pipe.query.driver = PIPE_DRIVER_CONTINUOUS;
    if (exp_run_windows(&scn->pipe, p, seed, NULL, &held, &wh, &err) ||
        exp_run_windows(&scn->pipe, p, seed, NULL, &once, &wo, &err))
        fail_msg("exp_run: %s", err.msg);
    assert_true(wo.nlog > 0 && wh.nlog == 0);
    assert_string_equal(held.trace_hash, once.trace_hash);
    assert_int_equal(held.window_rows_emitted, once.window_rows_emitted);
    assert_int_equal(held.window_triggers, once.window_triggers);
    assert_int_equal(held.late_dropped, once.late_dropped);
    assert_int_equal(held.late_records, once.late_records);
    assert_int_equal(held.windows_mismatched, once.windows_mismatched);
    assert_int_equal(held.window_latency_p50_ns, once.window_latency_p50_ns);
    assert_int_equal(held.window_latency_p99_ns, once.window_latency_p99_ns);
    assert_int_equal(wh.n, wo.n);
    for (size_t i = 0; i < wh.n; i++) {
        const struct exp_window_row *a = &wh.rows[i], *b = &wo.rows[i];
        assert_int_equal(a->window_start_ns, b->window_start_ns);
        assert_int_equal(a->window_end_ns, b->window_end_ns);
        assert_string_equal(a->key, b->key);
        assert_true(a->value == b->value);
        assert_int_equal(a->emitted_at_ns, b->emitted_at_ns);
        assert_int_equal(a->final, b->final);
    }
    exp_windows_free(&wh);
    exp_windows_free(&wo);
}

static void test_continuous_held_back_as_at_once(void **state) {
    (void)state;
    uint64_t late = 0, emitted = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        load("tests/data/good/stream.yaml"); /* append: a row leaves when it closes */
        expect_held_back_as_at_once(DLV_EXACTLY_ONCE, seed);
        load("scenarios/late-data-watermark.yaml"); /* late records dropped */
        expect_held_back_as_at_once(DLV_AT_LEAST_ONCE, seed);
        struct exp_outcome o;
        run(DLV_AT_LEAST_ONCE, &o, NULL);
        late += o.late_dropped;
        load("scenarios/security-logs.yaml"); /* a crash: the held records replay first */
        add_crash_of_worker_1();
        expect_held_back_as_at_once(DLV_EXACTLY_ONCE, seed);
        expect_held_back_as_at_once(DLV_AT_LEAST_ONCE, seed);
        load("scenarios/consumer-group-windows.yaml"); /* a task handed over, and back */
        expect_held_back_as_at_once(DLV_EXACTLY_ONCE, seed);
        run(DLV_EXACTLY_ONCE, &o, NULL);
        emitted += o.window_rows_emitted;
    }
    assert_true(late > 0 && emitted > 0); /* the cases hold what they are for */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_stream_key_is_read),
        cmocka_unit_test(test_csv_errors_name_the_csv_position),
        cmocka_unit_test(test_word_count_table_by_hand),
        cmocka_unit_test(test_word_count_emission_log_and_watermarks),
        cmocka_unit_test(test_processing_time_windows_by_hand),
        cmocka_unit_test(test_partials_combine_across_workers),
        cmocka_unit_test(test_drivers_agree_without_late_records),
        cmocka_unit_test(test_reference_matches_brute_force),
        cmocka_unit_test(test_worker_crash_loses_window_state),
        cmocka_unit_test(test_crash_loses_only_the_hosted_partitions),
        cmocka_unit_test(test_replays_counted_by_at_least_once_only),
        cmocka_unit_test(test_continuous_held_back_as_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
