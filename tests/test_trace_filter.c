/* `ftsim run --trace` and its filters (cli/trace_filter.h), run in this process with
 * stdout and stderr captured, checked against the raw trace of the same run collected
 * here through exp_run's trace hook. lost-ack.yaml drops the 17th ack from worker-1 to
 * the broker (found here by counting acks in the raw trace): --record of that ack's
 * record prints its dropped ack and the broker's redelivery after it, no other
 * record's message, exactly the events the rule in --help names (counted here with the
 * test's own list of record-carrying kinds) and the same trace hash; every unfiltered
 * message line names the record the raw trace tags it with; --from/--to and --node
 * print exactly the raw events inside the window or at the node; --db stores the full
 * trace whatever the filter; bad filters exit 2 with a message. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cli.h"
#include "experiment.h"
#include "scenario.h"
#include "sim.h"
#include "testutil.h"
#include "trace_testutil.h"

/* node ids of a pipeline with two workers: source 0, broker 1, worker-1 2, worker-2 3,
 * sink 4 (stream/pipeline.h) */
enum { SOURCE = 0, BROKER = 1, WORKER1 = 2, SINK = 4 };

/* ---- the raw trace ---- */

struct raw {
    struct sim_trace_rec *r;
    size_t n, cap;
    char hash[SIM_HASH_HEX_BYTES];
};

static void collect(const struct sim_trace_rec *r, void *ctx) {
    struct raw *w = ctx;
    tu_trace_push(&w->r, &w->n, &w->cap, r);
}

static void raw_run(const char *file, enum dlv_protocol p, struct raw *w) {
    struct scenario *scn = calloc(1, sizeof *scn);
    assert_non_null(scn);
    struct ft_error err = {0};
    if (scn_load(file, scn, &err) != 0) fail_msg("%s", err.msg);
    struct exp_options eo = {.trace = collect, .trace_ctx = w};
    struct exp_outcome out;
    if (exp_run(&scn->pipe, p, scn->seed, &eo, &out, &err) != 0) fail_msg("%s", err.msg);
    memcpy(w->hash, out.trace_hash, sizeof w->hash);
    free(scn);
}

static bool is_message(const struct sim_trace_rec *r) {
    return r->type == SIM_TR_SEND || r->type == SIM_TR_DELIVER || r->type == SIM_TR_DROP ||
           r->type == SIM_TR_DUP;
}

/* Stated here from stream/pipeline.h's comments, not asked of the code under test: the
 * wire kinds produce (1) .. commit-ack (8) carry the record's id as their tag. */
static bool carries_record(const struct sim_trace_rec *r) {
    return is_message(r) && r->kind >= 1 && r->kind <= 8;
}

/* ---- running `ftsim run` in this process ---- */

struct out {
    int rc;
    char **line; /* stdout, line by line */
    size_t n;
    char err[4096]; /* stderr (its start) */
};

static void out_free(struct out *o) {
    for (size_t i = 0; i < o->n; i++)
        free(o->line[i]);
    free(o->line);
}

static void read_lines(const char *path, struct out *o) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[1024];
    size_t cap = 0;
    while (fgets(buf, sizeof buf, f)) {
        if (o->n == cap) {
            cap = cap ? 2 * cap : 1024;
            o->line = realloc(o->line, cap * sizeof *o->line);
            assert_non_null(o->line);
        }
        buf[strcspn(buf, "\n")] = '\0';
        o->line[o->n] = strdup(buf);
        assert_non_null(o->line[o->n++]);
    }
    fclose(f);
}

/* Runs `ftsim run ARGS...` (NULL-terminated) with fd 1 and 2 sent to files. */
static void run_cli(struct out *o, ...) {
    char *argv[32] = {"run"};
    int argc = 1;
    va_list ap;
    va_start(ap, o);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    char dir[PATH_MAX], out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
    assert_int_equal(tu_mkdtemp("trace-filter", dir, sizeof dir), 0);
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved_out >= 0 && saved_err >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    close(fo);
    close(fe);
    memset(o, 0, sizeof *o);
    o->rc = cli_run(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    read_lines(out_path, o);
    FILE *f = fopen(err_path, "r");
    assert_non_null(f);
    o->err[fread(o->err, 1, sizeof o->err - 1, f)] = '\0';
    fclose(f);
    fputs(o->err, stderr); /* so a failure shows what ftsim said */
    unlink(out_path);
    unlink(err_path);
    rmdir(dir);
}

/* ---- reading trace lines ---- */

/* A trace line split at blanks: protocol, time, "s", event, node, then for a message
 * "->"/"<-", peer, kind, [rN], "msg", id, [(reason)]. */
struct tline {
    char *tok[16];
    int ntok;
    uint64_t t_us; /* the printed time in microseconds */
    char copy[1024];
};

/* False for a line that is not a trace line (the results row after the trace). */
static bool parse_line(const char *s, struct tline *l) {
    snprintf(l->copy, sizeof l->copy, "%s", s);
    l->ntok = 0;
    for (char *save = NULL, *t = strtok_r(l->copy, " ", &save); t && l->ntok < 16;
         t = strtok_r(NULL, " ", &save))
        l->tok[l->ntok++] = t;
    if (l->ntok < 5 || strcmp(l->tok[2], "s") != 0) return false;
    unsigned long long sec, us;
    char dot;
    if (sscanf(l->tok[1], "%llu%c%6llu", &sec, &dot, &us) != 3 || dot != '.') return false;
    l->t_us = sec * 1000000 + us;
    return true;
}

static bool line_is_message(const struct tline *l) {
    return l->ntok >= 10 && (!strcmp(l->tok[3], "send") || !strcmp(l->tok[3], "deliver") ||
                             !strcmp(l->tok[3], "drop") || !strcmp(l->tok[3], "dup"));
}

/* The trace hash (16 hex digits) at the end of the results row; "" without one. */
static const char *row_hash(const struct out *o, const char *protocol) {
    for (size_t i = 0; i < o->n; i++) {
        struct tline l;
        if (strncmp(o->line[i], protocol, strlen(protocol)) || parse_line(o->line[i], &l)) continue;
        const char *sp = strrchr(o->line[i], ' ');
        return sp ? sp + 1 : "";
    }
    return "";
}

static size_t trace_lines(const struct out *o) {
    size_t n = 0;
    struct tline l;
    for (size_t i = 0; i < o->n; i++)
        n += parse_line(o->line[i], &l);
    return n;
}

/* ---- tests ---- */

/* The record of the 17th ack worker-1 sends the broker, which lost-ack.yaml drops. */
static uint64_t lost_ack_record(const struct raw *w, uint64_t *msg_id) {
    uint64_t seen = 0;
    for (size_t i = 0; i < w->n; i++) {
        const struct sim_trace_rec *r = &w->r[i];
        if (r->type != SIM_TR_SEND || r->kind != PIPE_MSG_ACK || r->node != WORKER1 ||
            r->peer != BROKER || ++seen < 17)
            continue;
        assert_true(i + 1 < w->n && w->r[i + 1].type == SIM_TR_DROP && w->r[i + 1].id == r->id);
        *msg_id = r->id;
        return r->tag;
    }
    fail_msg("fewer than 17 acks from worker-1 to the broker");
    return 0;
}

static void test_record_follows_the_lost_ack(void **state) {
    (void)state;
    struct raw w = {0};
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    uint64_t lost_msg, rec = lost_ack_record(&w, &lost_msg);
    /* what --help promises, counted on the raw trace */
    size_t expect = 0;
    for (size_t i = 0; i < w.n; i++) {
        const struct sim_trace_rec *r = &w.r[i];
        bool mine = (carries_record(r) && r->tag == rec) ||
                    (r->type == SIM_TR_USER && r->kind == PIPE_TR_VISIBLE && r->id == rec);
        bool context = r->type == SIM_TR_START || r->type == SIM_TR_CRASH ||
                       r->type == SIM_TR_RESTART || r->type == SIM_TR_PARTITION ||
                       r->type == SIM_TR_HEAL ||
                       (r->type == SIM_TR_USER && r->kind != PIPE_TR_VISIBLE);
        expect += mine || context;
    }
    char arg[32];
    snprintf(arg, sizeof arg, "%llu", (unsigned long long)rec);
    struct out o;
    run_cli(&o, "scenarios/lost-ack.yaml", "--protocol", "at-least-once", "--record", arg, NULL);
    assert_int_equal(o.rc, 0);
    char want[32];
    snprintf(want, sizeof want, "r%llu", (unsigned long long)rec);
    uint64_t drop_us = 0;
    size_t redelivered = 0, messages = 0;
    for (size_t i = 0; i < o.n; i++) {
        struct tline l;
        if (!parse_line(o.line[i], &l) || !line_is_message(&l)) continue;
        messages++;
        assert_string_equal(l.tok[8], want); /* no other record's message, none without */
        if (!strcmp(l.tok[3], "drop")) {
            assert_string_equal(l.tok[4], "worker-1");
            assert_string_equal(l.tok[6], "broker");
            assert_string_equal(l.tok[7], "ack");
            assert_int_equal(strtoull(l.tok[10], NULL, 10), lost_msg);
            assert_string_equal(l.tok[11], "(rule)");
            drop_us = l.t_us;
        } else if (drop_us && !strcmp(l.tok[3], "send") && !strcmp(l.tok[4], "broker") &&
                   !strcmp(l.tok[7], "record")) {
            redelivered++;
        }
    }
    assert_true(drop_us > 0);
    assert_int_equal(redelivered, 1); /* the broker's one retry after its ack timeout */
    assert_true(messages >= 16);      /* two passes through the pipeline */
    assert_int_equal(trace_lines(&o), expect);
    assert_true(trace_lines(&o) * 100 < w.n); /* far fewer lines than the full trace */
    assert_int_equal(strlen(row_hash(&o, "at-least-once")), 16);
    assert_memory_equal(row_hash(&o, "at-least-once"), w.hash, 16);
    out_free(&o);
    free(w.r);
}

/* The unfiltered trace: one line per raw event, each message line naming the record
 * its tag carries (or none, for a heartbeat or an assign), the msg column aligned. */
static void test_every_message_line_names_its_record(void **state) {
    (void)state;
    struct raw w = {0};
    raw_run("scenarios/consumer-group-rebalance.yaml", DLV_AT_LEAST_ONCE, &w);
    struct out o;
    run_cli(&o, "scenarios/consumer-group-rebalance.yaml", "--protocol", "at-least-once", "--trace",
            NULL);
    assert_int_equal(o.rc, 0);
    /* and the results row under its header (issue 15): the latency line, the column
     * names, the row */
    assert_int_equal(o.n, w.n + 3);
    size_t without = 0, msg_col = 0;
    for (size_t i = 0; i < w.n; i++) {
        struct tline l;
        assert_true(parse_line(o.line[i], &l));
        uint64_t t_us = (w.r[i].time_ns + 500) / 1000; /* printed with %.6f: +-1 us */
        assert_true(l.t_us + 1 >= t_us && l.t_us <= t_us + 1);
        if (!is_message(&w.r[i])) continue;
        assert_true(line_is_message(&l));
        char want[32] = "msg";
        if (carries_record(&w.r[i]))
            snprintf(want, sizeof want, "r%llu", (unsigned long long)w.r[i].tag);
        else
            without++;
        assert_string_equal(l.tok[8], want);
        size_t col = (size_t)(strstr(o.line[i], " msg ") - o.line[i]);
        if (!msg_col) msg_col = col;
        assert_int_equal(col, msg_col);
    }
    assert_true(without > 0); /* heartbeats and assigns were there to check */
    assert_memory_equal(row_hash(&o, "at-least-once"), w.hash, 16);
    out_free(&o);
    free(w.r);
}

/* Raw events with from_ns <= t <= to_ns, and those of them at `node` or with it as a
 * message's peer. */
static size_t count_window(const struct raw *w, uint64_t from_ns, uint64_t to_ns, uint32_t node,
                           size_t *at_node) {
    size_t n = 0;
    *at_node = 0;
    for (size_t i = 0; i < w->n; i++) {
        const struct sim_trace_rec *r = &w->r[i];
        bool in = r->time_ns >= from_ns && r->time_ns <= to_ns;
        n += in;
        *at_node += in && (r->node == node || (is_message(r) && r->peer == node));
    }
    return n;
}

/* --from/--to print every raw event inside the window, both ends included, and nothing
 * else: the window runs from the lost ack's drop to the broker's redelivery, to the
 * nanosecond, so an event at either end is there to be kept. */
static void test_window_includes_both_ends(void **state) {
    (void)state;
    struct raw w = {0};
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    uint64_t lost_msg, rec = lost_ack_record(&w, &lost_msg), from_ns = 0, to_ns = 0;
    for (size_t i = 0; i < w.n; i++) {
        const struct sim_trace_rec *r = &w.r[i];
        if (r->type == SIM_TR_DROP && r->id == lost_msg) from_ns = r->time_ns;
        if (from_ns && !to_ns && r->type == SIM_TR_SEND && r->kind == PIPE_MSG_RECORD &&
            r->tag == rec)
            to_ns = r->time_ns;
    }
    assert_true(from_ns && to_ns > from_ns);
    size_t at_node, in_window = count_window(&w, from_ns, to_ns, SINK, &at_node);
    char from[32], to[32];
    snprintf(from, sizeof from, "%lluns", (unsigned long long)from_ns);
    snprintf(to, sizeof to, "%lluns", (unsigned long long)to_ns);
    struct out o;
    run_cli(&o, "scenarios/lost-ack.yaml", "--protocol", "at-least-once", "--from", from, "--to",
            to, NULL);
    assert_int_equal(o.rc, 0);
    size_t first_i = SIZE_MAX, last_i = 0;
    for (size_t i = 0; i < o.n; i++) {
        struct tline l;
        if (!parse_line(o.line[i], &l)) continue;
        assert_true(l.t_us * 1000 + 500 >= from_ns && l.t_us * 1000 <= to_ns + 500);
        if (first_i == SIZE_MAX) first_i = i;
        last_i = i;
    }
    struct tline first, last; /* tok points into each */
    assert_true(first_i != SIZE_MAX && parse_line(o.line[first_i], &first) &&
                parse_line(o.line[last_i], &last));
    assert_string_equal(first.tok[3], "deliver"); /* the output-ack that leads to the ack */
    assert_string_equal(last.tok[3], "send");     /* the redelivery */
    assert_string_equal(last.tok[7], "record");
    assert_int_equal(trace_lines(&o), in_window);
    assert_memory_equal(row_hash(&o, "at-least-once"), w.hash, 16);
    out_free(&o);
    free(w.r);
}

/* --node adds that the event is at the node or has it as peer (durations written as a
 * student would: 170ms, 0.18s). */
static void test_node_within_window(void **state) {
    (void)state;
    struct raw w = {0};
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    const uint64_t from_us = 170000, to_us = 180000;
    size_t at_sink, in_window = count_window(&w, from_us * 1000, to_us * 1000, SINK, &at_sink);
    assert_true(in_window > 20 && at_sink > 5 && at_sink < in_window);
    struct out o;
    run_cli(&o, "scenarios/lost-ack.yaml", "--protocol", "at-least-once", "--from", "170ms", "--to",
            "0.18s", "--node", "sink", NULL);
    assert_int_equal(o.rc, 0);
    for (size_t i = 0; i < o.n; i++) {
        struct tline l;
        if (!parse_line(o.line[i], &l)) continue;
        assert_true(l.t_us >= from_us && l.t_us <= to_us);
        assert_true(!strcmp(l.tok[4], "sink") ||
                    (line_is_message(&l) && !strcmp(l.tok[6], "sink")));
    }
    assert_int_equal(trace_lines(&o), at_sink);
    out_free(&o);
    free(w.r);
}

/* --db keeps every event of the run, not only those printed. */
static void test_db_stores_the_full_trace(void **state) {
    (void)state;
    struct raw w = {0};
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    char dir[PATH_MAX], db[PATH_MAX + 8];
    assert_int_equal(tu_mkdtemp("trace-filter-db", dir, sizeof dir), 0);
    snprintf(db, sizeof db, "%s/r.db", dir);
    struct out o;
    run_cli(&o, "scenarios/lost-ack.yaml", "--protocol", "at-least-once", "--node", "worker-1",
            "--from", "1s", "--to", "1.1s", "--db", db, NULL);
    assert_int_equal(o.rc, 0);
    assert_true(trace_lines(&o) * 10 < w.n);
    out_free(&o);
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*), max(seq) FROM events", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), w.n);
    assert_int_equal(sqlite3_column_int64(st, 1), w.n - 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(tu_rmdir_all(dir), 0);
    free(w.r);
}

static void test_bad_filters_exit_2(void **state) {
    (void)state;
    struct out o;
    run_cli(&o, "scenarios/lost-ack.yaml", "--node", "worker-9", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "'worker-9'"));
    assert_non_null(strstr(o.err, "source, broker, worker-1, worker-2, sink"));
    assert_int_equal(o.n, 0);
    out_free(&o);
    run_cli(&o, "scenarios/lost-ack.yaml", "--from", "1s", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "both --from and --to"));
    out_free(&o);
    run_cli(&o, "scenarios/lost-ack.yaml", "--from", "2s", "--to", "1s", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "--from must not be after --to"));
    out_free(&o);
    run_cli(&o, "scenarios/lost-ack.yaml", "--to", "soon", "--from", "1s", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "--to expects a duration"));
    out_free(&o);
    run_cli(&o, "scenarios/lost-ack.yaml", "--record", "x28", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "--record expects a record id"));
    out_free(&o);
    run_cli(&o, "scenarios/byzantine-sm-n3.yaml", "--record", "1", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "no source records"));
    out_free(&o);
    run_cli(&o, "scenarios/byzantine-sm-n3.yaml", "--node", "worker-1", NULL);
    assert_int_equal(o.rc, CLI_USAGE);
    assert_non_null(strstr(o.err, "commander, lieutenant-1, lieutenant-2"));
    out_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_follows_the_lost_ack),
        cmocka_unit_test(test_every_message_line_names_its_record),
        cmocka_unit_test(test_window_includes_both_ends),
        cmocka_unit_test(test_node_within_window),
        cmocka_unit_test(test_db_stores_the_full_trace),
        cmocka_unit_test(test_bad_filters_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
