/* The lake and the warehouse (stream/lake.c, stream/warehouse.c) end to end: runs write
 * their files into a fresh directory, and the test reads them back on its own — the
 * warehouse with the sqlite3 library, the lake with a JSON-lines reader written here
 * (schema on read) — and compares them with the source generator replayed here, the
 * worker's map restated by hand (v * 9 / 5 + 32000) and the schema's rules restated by
 * hand (a value present, an integer, |value| <= 10^9). Visible rows are counted from
 * the trace (PIPE_TR_VISIBLE), never from the sink's own counters. */
#include <dirent.h>
#include <setjmp.h>
#include <sqlite3.h>
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

#define MAPPED(v) ((v)*9 / 5 + 32000)
#define GLITCH 999999999999ll

struct gen {
    struct src_record *r;
    uint64_t n;
};

static void gen_all(const struct pipe_config *cfg, uint64_t seed, struct gen *out) {
    struct src_gen g;
    assert_int_equal(src_gen_init(&g, &cfg->source, cfg->duration_ns, seed), 0);
    uint64_t cap = 1024;
    out->r = malloc(cap * sizeof *out->r);
    out->n = 0;
    struct src_record rec;
    while (src_gen_next(&g, &rec)) {
        if (out->n == cap) out->r = realloc(out->r, (cap *= 2) * sizeof *out->r);
        assert_non_null(out->r);
        out->r[out->n++] = rec;
    }
    src_gen_free(&g);
}

/* ---- the malformed fraction ---- */

/* About p of the records are malformed, the three kinds about equally often, the same
 * records for the same seed, others for another; and switching `malformed` on changes
 * nothing else about any record. */
static void test_malformed_records_are_seeded_and_leave_the_rest_alone(void **state) {
    (void)state;
    struct pipe_config cfg;
    pipe_config_defaults(&cfg);
    cfg.source = (struct pipe_source){.kind = SRC_KEYED, .keys = 7, .rate_per_s = 20000};
    cfg.duration_ns = 5 * SIM_NS_PER_S;
    struct gen plain, bad, again, other;
    gen_all(&cfg, 9, &plain);
    cfg.source.malformed_p = 0.05;
    gen_all(&cfg, 9, &bad);
    gen_all(&cfg, 9, &again);
    gen_all(&cfg, 10, &other);
    assert_int_equal(plain.n, bad.n);
    uint64_t kinds[4] = {0}, differ = 0;
    for (uint64_t i = 0; i < bad.n; i++) {
        assert_int_equal(plain.r[i].defect, 0);
        assert_int_equal(plain.r[i].key, bad.r[i].key);
        assert_int_equal(plain.r[i].value, bad.r[i].value);
        assert_int_equal(plain.r[i].event_ns, bad.r[i].event_ns);
        assert_int_equal(plain.r[i].arrival_ns, bad.r[i].arrival_ns);
        assert_int_equal(bad.r[i].defect, again.r[i].defect);
        assert_true(bad.r[i].defect < 4);
        kinds[bad.r[i].defect]++;
        differ += i < other.n && (bad.r[i].defect != 0) != (other.r[i].defect != 0);
    }
    uint64_t malformed = kinds[1] + kinds[2] + kinds[3];
    assert_true(tu_binomial_within("malformed", malformed, bad.n, 0.05, 5));
    for (int k = 1; k <= 3; k++)
        assert_true(tu_binomial_within("kind", kinds[k], malformed, 1.0 / 3, 5));
    assert_true(differ > malformed / 2); /* another seed picks other records */
    free(plain.r);
    free(bad.r);
    free(again.r);
    free(other.r);
}

/* ---- a run that writes its files ---- */

struct vis {
    uint32_t *count; /* per record id: visible rows from the trace */
    uint64_t n, total;
};

static void vis_hook(const struct sim_trace_rec *r, void *ctx) {
    struct vis *v = ctx;
    if (r->type != SIM_TR_USER || r->kind != PIPE_TR_VISIBLE) return;
    assert_true(r->id < v->n);
    v->count[r->id]++;
    v->total++;
}

static void iot_config(struct pipe_config *c, enum pipe_sink_kind kind) {
    pipe_config_defaults(c);
    c->duration_ns = 3 * SIM_NS_PER_S;
    c->drain_ns = 20 * SIM_NS_PER_S;
    c->workers = 2;
    c->partitions = 4;
    c->source = (struct pipe_source){.kind = SRC_IOT,
                                     .keys = 12,
                                     .period_ns = 100 * SIM_NS_PER_MS,
                                     .jitter_ns = 10 * SIM_NS_PER_MS,
                                     .malformed_p = 0.04};
    c->sink.kind = kind;
    c->sink.roll_ns = 500 * SIM_NS_PER_MS;
    /* worker-1 crashes after emitting its 20th record and restarts */
    c->nfaults = 1;
    c->faults[0] = (struct pipe_fault){.type = PIPE_FAULT_CRASH,
                                       .step = PIPE_STEP_AFTER_EMIT,
                                       .record = PIPE_ANY,
                                       .nth = 20,
                                       .restart_after_ns = 300 * SIM_NS_PER_MS};
    snprintf(c->faults[0].node, sizeof c->faults[0].node, "worker-1");
}

static void run_into(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                     const char *dir, uint64_t n, struct vis *v, struct exp_outcome *o) {
    v->count = calloc(n, sizeof *v->count);
    v->n = n;
    v->total = 0;
    struct exp_options opt = {.trace = vis_hook, .trace_ctx = v, .sink_dir = dir};
    struct ft_error err;
    memset(&err, 0, sizeof err);
    int rc = exp_run(cfg, p, seed, &opt, o, &err);
    if (rc) fprintf(stderr, "exp_run: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* ---- the lake, read back (schema on read) ---- */

struct lake_row {
    uint64_t rec, partition, offset, event_ns, committed_ns;
    char key[32], worker[32];
    int value_kind; /* 0 integer, 1 absent, 2 the string "n/a", 3 something else */
    long long value;
    uint64_t file_partition, file_part;
};

struct lake {
    struct lake_row *r;
    size_t n, cap;
};

/* The unsigned integer after "name": in line, or false. */
static bool field_u64(const char *line, const char *name, uint64_t *out) {
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = strstr(line, pat);
    if (!p) return false;
    char *end;
    *out = strtoull(p + strlen(pat), &end, 10);
    return end != p + strlen(pat);
}

static bool field_str(const char *line, const char *name, char *out, size_t size) {
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *p = strstr(line, pat);
    if (!p) return false;
    p += strlen(pat);
    const char *q = strchr(p, '"');
    if (!q || (size_t)(q - p) >= size) return false;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return true;
}

static void parse_line(const char *line, struct lake_row *r) {
    assert_true(line[0] == '{' && line[strlen(line) - 1] == '}');
    assert_true(field_u64(line, "rec", &r->rec));
    assert_true(field_u64(line, "partition", &r->partition));
    assert_true(field_u64(line, "offset", &r->offset));
    assert_true(field_u64(line, "event_ns", &r->event_ns));
    assert_true(field_u64(line, "committed_ns", &r->committed_ns));
    assert_true(field_str(line, "key", r->key, sizeof r->key));
    assert_true(field_str(line, "worker", r->worker, sizeof r->worker));
    const char *v = strstr(line, "\"value\":");
    if (!v) {
        r->value_kind = 1;
        return;
    }
    v += 8;
    if (strncmp(v, "\"n/a\"}", 6) == 0) {
        r->value_kind = 2;
        return;
    }
    char *end;
    r->value = strtoll(v, &end, 10);
    r->value_kind = end != v && strcmp(end, "}") == 0 ? 0 : 3;
}

/* Reads every DIR/lake/partition=P/part-N.jsonl, checking the names as it goes. */
static void read_lake(const char *dir, struct lake *lk) {
    char path[1024];
    snprintf(path, sizeof path, "%s/lake", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    memset(lk, 0, sizeof *lk);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        unsigned part;
        assert_int_equal(sscanf(e->d_name, "partition=%u", &part), 1);
        char sub[1600];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        DIR *pd = opendir(sub);
        assert_non_null(pd);
        for (struct dirent *f; (f = readdir(pd));) {
            if (f->d_name[0] == '.') continue;
            unsigned long long num;
            char tail[16];
            assert_int_equal(sscanf(f->d_name, "part-%5llu%15s", &num, tail), 2);
            assert_string_equal(tail, ".jsonl");
            char file[2000], line[1024];
            snprintf(file, sizeof file, "%s/%s", sub, f->d_name);
            FILE *fp = fopen(file, "r");
            assert_non_null(fp);
            uint64_t last = 0;
            while (fgets(line, sizeof line, fp)) {
                size_t len = strlen(line);
                assert_true(len > 0 && line[len - 1] == '\n');
                line[len - 1] = '\0';
                if (lk->n == lk->cap)
                    lk->r =
                        realloc(lk->r, (lk->cap = lk->cap ? 2 * lk->cap : 1024) * sizeof *lk->r);
                struct lake_row *r = &lk->r[lk->n++];
                memset(r, 0, sizeof *r);
                parse_line(line, r);
                r->file_partition = part;
                r->file_part = num;
                assert_true(r->committed_ns >= last); /* commit order within a file */
                last = r->committed_ns;
            }
            fclose(fp);
        }
        closedir(pd);
    }
    closedir(d);
}

/* Each lake row against the generated record it names: key, event time and value as
 * the record carries it (its defect kept: schema on read), and the file it sits in. */
static void check_lake_rows(const struct lake *lk, const struct gen *g, uint64_t roll_ns) {
    for (size_t i = 0; i < lk->n; i++) {
        const struct lake_row *r = &lk->r[i];
        assert_true(r->rec < g->n);
        const struct src_record *s = &g->r[r->rec];
        char key[32];
        snprintf(key, sizeof key, "device-%u", s->key);
        assert_string_equal(r->key, key);
        assert_int_equal(r->event_ns, s->event_ns);
        assert_int_equal(r->partition, r->file_partition);
        assert_int_equal(r->committed_ns / roll_ns, r->file_part);
        switch (s->defect) {
        case SRC_DEFECT_NONE:
            assert_int_equal(r->value_kind, 0);
            assert_int_equal(r->value, MAPPED(s->value));
            break;
        case SRC_DEFECT_MISSING:
            assert_int_equal(r->value_kind, 1);
            break;
        case SRC_DEFECT_TYPE:
            assert_int_equal(r->value_kind, 2);
            break;
        default:
            assert_int_equal(r->value_kind, 0);
            assert_int_equal(r->value, GLITCH);
        }
    }
}

/* ---- the warehouse, read back with the sqlite3 library ---- */

static sqlite3 *open_wh(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/warehouse.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

static long long query1(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* key_totals equals the generator's valid records per device (rows, sum of mapped
 * values); rejects holds the malformed ones by reason. `copies` gives how many times
 * each record became visible (1 everywhere for exactly-once). */
static void check_warehouse(const char *dir, const struct gen *g, const uint32_t *copies,
                            uint32_t keys) {
    long long rows[64] = {0}, sums[64] = {0}, rej[4] = {0}, accepted = 0;
    for (uint64_t i = 0; i < g->n; i++) {
        const struct src_record *s = &g->r[i];
        long long v = MAPPED(s->value);
        bool ok = s->defect == 0 && v >= -1000000000ll && v <= 1000000000ll;
        if (ok) {
            rows[s->key] += copies[i];
            sums[s->key] += copies[i] * v;
            accepted += copies[i];
        } else {
            rej[s->defect ? s->defect : 3] += copies[i];
        }
    }
    assert_true(rej[1] > 0 && rej[2] > 0 && rej[3] > 0);
    sqlite3 *db = open_wh(dir);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT key_id, key, rows, sum_value FROM key_totals "
                                        "ORDER BY key_id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    uint32_t k = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; k++) {
        char name[32];
        snprintf(name, sizeof name, "device-%u", k);
        assert_int_equal(sqlite3_column_int64(st, 0), k);
        assert_string_equal((const char *)sqlite3_column_text(st, 1), name);
        assert_int_equal(sqlite3_column_int64(st, 2), rows[k]);
        assert_int_equal(sqlite3_column_int64(st, 3), sums[k]);
    }
    sqlite3_finalize(st);
    assert_int_equal(k, keys);
    assert_int_equal(query1(db, "SELECT count(*) FROM readings"), accepted);
    assert_int_equal(query1(db, "SELECT count(*) FROM rejects WHERE reason = 'missing'"), rej[1]);
    assert_int_equal(query1(db, "SELECT count(*) FROM rejects WHERE reason = 'type'"), rej[2]);
    assert_int_equal(query1(db, "SELECT count(*) FROM rejects WHERE reason = 'range'"), rej[3]);
    assert_int_equal(query1(db, "SELECT rejected FROM load_stats"), rej[1] + rej[2] + rej[3]);
    assert_int_equal(query1(db, "SELECT accepted FROM load_stats"), accepted);
    /* the schema is declared, not just followed: SQLite itself refuses a bad row */
    sqlite3_close(db);
    char path[1024];
    snprintf(path, sizeof path, "%s/warehouse.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO readings VALUES (1, 'device-0', 0, 0, 0, 0, 0, 0, "
                                  "'worker-1', 'n/a')",
                                  NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    sqlite3_close(db);
}

static void rm_tree(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Exactly-once (idempotent and transactional) with a crash: the lake holds every
 * generated record exactly once, as generated; the warehouse's totals are the
 * reference and its rejects the malformed records. */
static void test_exactly_once_lake_and_warehouse_equal_the_generated_input(void **state) {
    (void)state;
    const enum dlv_protocol protos[] = {DLV_EXACTLY_ONCE, DLV_EXACTLY_ONCE_TXN};
    for (size_t pi = 0; pi < 2; pi++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct pipe_config cfg;
            iot_config(&cfg, PIPE_SINK_BOTH);
            struct gen g;
            gen_all(&cfg, seed, &g);
            char dir[256];
            assert_int_equal(tu_mkdtemp("sinks", dir, sizeof dir), 0);
            struct vis v;
            struct exp_outcome o;
            run_into(&cfg, protos[pi], seed, dir, g.n, &v, &o);
            assert_true(o.crashes >= 1);
            struct lake lk;
            read_lake(dir, &lk);
            assert_int_equal(lk.n, g.n);
            uint32_t *seen = calloc(g.n, sizeof *seen);
            for (size_t i = 0; i < lk.n; i++)
                seen[lk.r[i].rec]++;
            for (uint64_t i = 0; i < g.n; i++) {
                assert_int_equal(seen[i], 1);
                assert_int_equal(v.count[i], 1);
            }
            check_lake_rows(&lk, &g, cfg.sink.roll_ns);
            check_warehouse(dir, &g, v.count, cfg.source.keys);
            free(seen);
            free(lk.r);
            free(v.count);
            free(g.r);
            rm_tree(dir);
        }
}

/* At-least-once with a crash duplicates rows: the lake holds exactly the rows the sink
 * made visible (the trace's count per record, duplicates included), and so does the
 * warehouse (readings + rejects). */
static void test_at_least_once_files_hold_exactly_what_became_visible(void **state) {
    (void)state;
    uint64_t dups = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct pipe_config cfg;
        iot_config(&cfg, PIPE_SINK_BOTH);
        struct gen g;
        gen_all(&cfg, seed, &g);
        char dir[256];
        assert_int_equal(tu_mkdtemp("sinks", dir, sizeof dir), 0);
        struct vis v;
        struct exp_outcome o;
        run_into(&cfg, DLV_AT_LEAST_ONCE, seed, dir, g.n, &v, &o);
        dups += o.duplicated;
        struct lake lk;
        read_lake(dir, &lk);
        assert_int_equal(lk.n, v.total);
        uint32_t *seen = calloc(g.n, sizeof *seen);
        for (size_t i = 0; i < lk.n; i++)
            seen[lk.r[i].rec]++;
        assert_memory_equal(seen, v.count, g.n * sizeof *seen);
        check_lake_rows(&lk, &g, cfg.sink.roll_ns);
        check_warehouse(dir, &g, v.count, cfg.source.keys);
        free(seen);
        free(lk.r);
        free(v.count);
        free(g.r);
        rm_tree(dir);
    }
    assert_true(dups > 0); /* the crash did duplicate something */
}

/* A sink of one kind writes only its own files; a warehouse-only sink validates, a
 * lake-only sink rejects nothing (schema on read) and its counts include every row. */
static void test_each_kind_writes_only_its_files(void **state) {
    (void)state;
    const enum pipe_sink_kind kinds[] = {PIPE_SINK_LAKE, PIPE_SINK_WAREHOUSE};
    for (size_t i = 0; i < 2; i++) {
        struct pipe_config cfg;
        iot_config(&cfg, kinds[i]);
        cfg.nfaults = 0;
        char dir[256], path[512];
        assert_int_equal(tu_mkdtemp("sinks", dir, sizeof dir), 0);
        struct gen g;
        gen_all(&cfg, 4, &g);
        struct vis v;
        struct exp_outcome o;
        run_into(&cfg, DLV_EXACTLY_ONCE, 4, dir, g.n, &v, &o);
        uint64_t malformed = 0;
        for (uint64_t r = 0; r < g.n; r++)
            malformed += g.r[r].defect != 0;
        assert_true(malformed > 0);
        snprintf(path, sizeof path, "%s/warehouse.db", dir);
        assert_int_equal(access(path, F_OK) == 0, kinds[i] == PIPE_SINK_WAREHOUSE);
        snprintf(path, sizeof path, "%s/lake", dir);
        assert_int_equal(access(path, F_OK) == 0, kinds[i] == PIPE_SINK_LAKE);
        assert_int_equal(o.rejected, kinds[i] == PIPE_SINK_LAKE ? 0 : malformed);
        assert_true(o.matches_reference);
        free(v.count);
        free(g.r);
        rm_tree(dir);
    }
}

/* The same run writes the same bytes: two runs into two directories give identical
 * lake files; a rerun into the same directory leaves no file of the earlier run. */
static void test_files_are_a_pure_function_of_the_run(void **state) {
    (void)state;
    struct pipe_config cfg;
    iot_config(&cfg, PIPE_SINK_LAKE);
    char a[256], b[256], cmd[700];
    assert_int_equal(tu_mkdtemp("sinks", a, sizeof a), 0);
    assert_int_equal(tu_mkdtemp("sinks", b, sizeof b), 0);
    struct gen g;
    gen_all(&cfg, 5, &g);
    struct vis v;
    struct exp_outcome o;
    run_into(&cfg, DLV_AT_LEAST_ONCE, 5, a, g.n, &v, &o);
    free(v.count);
    run_into(&cfg, DLV_AT_LEAST_ONCE, 5, b, g.n, &v, &o);
    free(v.count);
    snprintf(cmd, sizeof cmd, "diff -r '%s/lake' '%s/lake' >/dev/null", a, b);
    assert_int_equal(system(cmd), 0);
    /* a stray file of a longer earlier run: the rerun removes it */
    snprintf(cmd, sizeof cmd, "touch '%s/lake/partition=0/part-99999.jsonl'", a);
    assert_int_equal(system(cmd), 0);
    run_into(&cfg, DLV_AT_LEAST_ONCE, 5, a, g.n, &v, &o);
    free(v.count);
    snprintf(cmd, sizeof cmd, "diff -r '%s/lake' '%s/lake' >/dev/null", a, b);
    assert_int_equal(system(cmd), 0);
    free(g.r);
    rm_tree(a);
    rm_tree(b);
}

/* With a window query the warehouse also holds its final table: Spark's windowed word
 * count (scenarios/spark-windowed-wordcount.yaml) gives the dog's counts stated in the
 * guide, 3, 4, 2, 1 in the windows starting 11:55, 12:00, 12:05, 12:10. */
static void test_warehouse_holds_the_window_table(void **state) {
    (void)state;
    struct scenario *scn = malloc(sizeof *scn);
    struct ft_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(scn_load("scenarios/spark-windowed-wordcount.yaml", scn, &err), 0);
    scn->pipe.sink.kind = PIPE_SINK_BOTH;
    char dir[256];
    assert_int_equal(tu_mkdtemp("sinks", dir, sizeof dir), 0);
    struct exp_options opt = {.sink_dir = dir};
    struct exp_outcome o;
    assert_int_equal(exp_run(&scn->pipe, DLV_EXACTLY_ONCE, 1, &opt, &o, &err), 0);
    sqlite3 *db = open_wh(dir);
    const long long min_ns = 60ll * 1000000000ll;
    static const long long starts[] = {11 * 60 + 55, 12 * 60, 12 * 60 + 5, 12 * 60 + 10};
    static const long long counts[] = {3, 4, 2, 1};
    for (int i = 0; i < 4; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT value * 1000 + final FROM window_results WHERE key = 'dog'"
                 " AND window_start_ns = %lld AND window_end_ns = %lld",
                 starts[i] * min_ns, (starts[i] + 10) * min_ns);
        assert_int_equal(query1(db, sql), counts[i] * 1000 + 1);
    }
    assert_int_equal(query1(db, "SELECT count(*) FROM window_results"), (long long)o.windows);
    assert_int_equal(query1(db, "SELECT count(*) FROM readings"), 11); /* every word once */
    sqlite3_close(db);
    rm_tree(dir);
    free(scn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_records_are_seeded_and_leave_the_rest_alone),
        cmocka_unit_test(test_exactly_once_lake_and_warehouse_equal_the_generated_input),
        cmocka_unit_test(test_at_least_once_files_hold_exactly_what_became_visible),
        cmocka_unit_test(test_each_kind_writes_only_its_files),
        cmocka_unit_test(test_files_are_a_pure_function_of_the_run),
        cmocka_unit_test(test_warehouse_holds_the_window_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
