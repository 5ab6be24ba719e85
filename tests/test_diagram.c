/* ftsim diagram (analysis/diagram.h) on the shipped scenarios, checked against what the
 * scenario files state: crash-during-processing crashes worker-1 at step after-emit and
 * restarts it 1 s later, so the diagram shows that crash, the restart exactly 1000 ms
 * after it, the record's output sent at the crash instant, the messages to worker-1
 * dropped while it is down and, under at-least-once, the record made visible twice;
 * lost-ack drops the 17th ack from worker-1 to the broker, so the diagram follows the
 * record of that ack (found here by counting acks in the raw trace), draws exactly one
 * lost ack from worker-1 to broker, and the broker's redelivery after it. Also: the
 * trace hook carries a message's tag without it entering the trace hash, a diagram's
 * .gp redraws it byte for byte, message labels do not cover each other, and bad
 * requests are refused with a clear error. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diagram.h"
#include "experiment.h"
#include "scenario.h"
#include "sim.h"
#include "testutil.h"

struct fx {
    char dir[PATH_MAX];
    struct scenario scn;
};

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/ftsim-diagram-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    struct fx *f = *state;
    static const char *const ext[] = {"png", "svg", "dat", "gp"};
    static const char *const names[] = {"crash", "lostack", "x"};
    for (int n = 0; n < 3; n++)
        for (int e = 0; e < 4; e++) {
            char p[PATH_MAX + 64];
            snprintf(p, sizeof p, "%s/%s.%s", f->dir, names[n], ext[e]);
            unlink(p);
        }
    int rc = rmdir(f->dir);
    free(f);
    return rc;
}

static void load(struct fx *f, const char *path) {
    struct ft_error err = {0};
    if (scn_load(path, &f->scn, &err) != 0) fail_msg("%s: %s", path, err.msg);
}

static int draw(struct fx *f, enum dlv_protocol p, uint64_t seed, const char *name, const char *ext,
                struct diag_report *rep, struct ft_error *err) {
    char out[PATH_MAX + 64];
    snprintf(out, sizeof out, "%s/%s.%s", f->dir, name, ext);
    struct diag_options o = {
        .cfg = &f->scn.pipe, .protocol = p, .seed = seed, .out = out, .title = f->scn.name};
    memset(err, 0, sizeof *err);
    return diag_draw(&o, rep, err);
}

/* Draws f's scenario (svg) under protocol p and returns the .dat's text (the caller
 * frees it); the report in *rep. */
static char *draw_dat(struct fx *f, enum dlv_protocol p, uint64_t seed, const char *name,
                      struct diag_report *rep) {
    struct ft_error err;
    if (draw(f, p, seed, name, "svg", rep, &err)) fail_msg("%s", err.msg);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.dat", f->dir, name);
    char *dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    return dat;
}

/* ---- reading the .dat: rows of one `# index N:` block, fields split (quotes kept whole) ---- */

#define FIELDS 16
struct row {
    char f[FIELDS][96];
    int n;
};

static int read_block(const char *dat, int index, struct row *rows, int max) {
    char tag[32];
    snprintf(tag, sizeof tag, "# index %d:", index);
    const char *p = strstr(dat, tag);
    assert_non_null(p);
    int n = 0;
    for (p = strchr(p, '\n'); p && p[1] && p[1] != '\n' && n < max; p = strchr(p + 1, '\n')) {
        const char *q = p + 1;
        if (*q == '#') continue;
        struct row *r = &rows[n];
        r->n = 0;
        while (*q && *q != '\n' && r->n < FIELDS) {
            while (*q == ' ')
                q++;
            size_t k = 0;
            if (*q == '"') {
                for (q++; *q && *q != '"' && k < 95; q++)
                    r->f[r->n][k++] = *q;
                if (*q == '"') q++;
            } else {
                for (; *q && *q != ' ' && *q != '\n' && k < 95; q++)
                    r->f[r->n][k++] = *q;
            }
            r->f[r->n++][k] = '\0';
        }
        n++;
    }
    return n;
}

/* messages block columns (0-based): 0 t_send_ms 1 t_end_ms ... 7 kind 8 from 9 to
 * 10 record 11 fate; marks block: 0 t_ms 1 x 2 y 3 type 4 node 5 label */
enum { M_T0 = 0, M_T1 = 1, M_KIND = 7, M_FROM = 8, M_TO = 9, M_REC = 10, M_FATE = 11 };
enum { K_T = 0, K_TYPE = 3, K_NODE = 4, K_LABEL = 5 };

/* ---- tests ---- */

static void test_crash_during_processing_shows_crash_restart_and_redelivery(void **state) {
    struct fx *f = *state;
    load(f, "scenarios/crash-during-processing.yaml");
    /* hand-read from the file: crash worker-1 at step after-emit, restart_after 1s */
    assert_int_equal(f->scn.pipe.nfaults, 1);
    assert_string_equal(f->scn.pipe.faults[0].step, "after-emit");
    assert_true(f->scn.pipe.faults[0].restart_after_ns == 1000000000ull);
    struct diag_report rep;
    struct ft_error err;
    if (draw(f, DLV_AT_LEAST_ONCE, f->scn.seed, "crash", "svg", &rep, &err))
        fail_msg("%s", err.msg);
    assert_true(rep.focused);
    assert_int_equal(rep.crashes, 1);
    assert_int_equal(rep.restarts, 1);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/crash.dat", f->dir);
    char *dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    static struct row marks[256], msgs[128];
    int nk = read_block(dat, 3, marks, 256), nm = read_block(dat, 2, msgs, 128);
    double crash_ms = -1, restart_ms = -1;
    int visible = 0;
    char rec[32];
    snprintf(rec, sizeof rec, "%llu", (unsigned long long)rep.record);
    for (int i = 0; i < nk; i++) {
        if (strcmp(marks[i].f[K_TYPE], "crash") == 0) {
            assert_string_equal(marks[i].f[K_NODE], "worker-1");
            char want[64];
            snprintf(want, sizeof want, "CRASH at after-emit of r%s", rec);
            assert_string_equal(marks[i].f[K_LABEL], want);
            crash_ms = strtod(marks[i].f[K_T], NULL);
        }
        if (strcmp(marks[i].f[K_TYPE], "restart") == 0) {
            assert_string_equal(marks[i].f[K_NODE], "worker-1");
            restart_ms = strtod(marks[i].f[K_T], NULL);
        }
        visible += strcmp(marks[i].f[K_TYPE], "visible") == 0;
    }
    assert_true(crash_ms > 0);
    assert_true(fabs(restart_ms - crash_ms - 1000.0) < 1e-6);
    /* at-least-once: emitted before the crash, redelivered after the restart -> twice */
    assert_int_equal(visible, 2);
    int outputs_before = 0, outputs_after = 0, dropped_down = 0;
    for (int i = 0; i < nm; i++) {
        double t0 = strtod(msgs[i].f[M_T0], NULL);
        assert_string_equal(msgs[i].f[M_REC], rec); /* the view follows one record */
        if (strcmp(msgs[i].f[M_KIND], "output") == 0) {
            assert_string_equal(msgs[i].f[M_FROM], "worker-1");
            assert_string_equal(msgs[i].f[M_TO], "sink");
            outputs_before += fabs(t0 - crash_ms) < 1e-9; /* sent at the crash instant */
            outputs_after += t0 > restart_ms;
        }
        if (strcmp(msgs[i].f[M_TO], "worker-1") == 0 && t0 > crash_ms &&
            strtod(msgs[i].f[M_T1], NULL) < restart_ms) {
            assert_string_equal(msgs[i].f[M_FATE], "dropped:down");
            dropped_down++;
        }
    }
    assert_int_equal(outputs_before, 1);
    assert_int_equal(outputs_after, 1);
    assert_true(dropped_down >= 1);
    free(dat);
}

struct ack_count {
    uint32_t from, to;
    uint64_t seen, tag;
    bool found;
};

static void count_acks(const struct sim_trace_rec *r, void *ctx) {
    struct ack_count *a = ctx;
    if (r->type != SIM_TR_SEND || r->kind != PIPE_MSG_ACK || r->node != a->from ||
        r->peer != a->to || a->found)
        return;
    if (++a->seen == 17) {
        a->found = true;
        a->tag = r->tag;
    }
}

static void test_lost_ack_follows_the_17th_ack_and_shows_the_redelivery(void **state) {
    struct fx *f = *state;
    load(f, "scenarios/lost-ack.yaml");
    assert_int_equal(f->scn.pipe.faults[0].nth, 17);
    assert_int_equal(f->scn.pipe.faults[0].msg_kind, PIPE_MSG_ACK);
    /* node ids: source 0, broker 1, worker-1 2 (stream/pipeline.h) */
    struct ack_count ac = {.from = 2, .to = 1};
    struct exp_options eo = {.trace = count_acks, .trace_ctx = &ac};
    struct exp_outcome out;
    struct ft_error err = {0};
    if (exp_run(&f->scn.pipe, DLV_AT_LEAST_ONCE, f->scn.seed, &eo, &out, &err) != 0)
        fail_msg("%s", err.msg);
    assert_true(ac.found);
    struct diag_report rep;
    if (draw(f, DLV_AT_LEAST_ONCE, f->scn.seed, "lostack", "png", &rep, &err))
        fail_msg("%s", err.msg);
    assert_true(rep.focused);
    assert_true(rep.record == ac.tag);
    assert_int_equal(rep.lost, 1);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/lostack.dat", f->dir);
    char *dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    static struct row msgs[128];
    int nm = read_block(dat, 2, msgs, 128);
    int lost = 0, records_after = 0, outputs = 0;
    double lost_t = -1;
    for (int i = 0; i < nm; i++)
        if (strncmp(msgs[i].f[M_FATE], "lost", 4) == 0) {
            assert_string_equal(msgs[i].f[M_KIND], "ack");
            assert_string_equal(msgs[i].f[M_FROM], "worker-1");
            assert_string_equal(msgs[i].f[M_TO], "broker");
            assert_string_equal(msgs[i].f[M_FATE], "lost:rule");
            lost_t = strtod(msgs[i].f[M_T0], NULL);
            lost++;
        }
    assert_int_equal(lost, 1);
    for (int i = 0; i < nm; i++) {
        records_after += strcmp(msgs[i].f[M_KIND], "record") == 0 &&
                         strcmp(msgs[i].f[M_FROM], "broker") == 0 &&
                         strtod(msgs[i].f[M_T0], NULL) > lost_t;
        outputs += strcmp(msgs[i].f[M_KIND], "output") == 0;
    }
    assert_int_equal(records_after, 1); /* the broker's retry after its ack timeout */
    assert_int_equal(outputs, 2);       /* processed twice: the duplicate */
    free(dat);
    /* the script redraws the same image */
    char img[PATH_MAX + 64], cmd[2 * PATH_MAX + 128];
    snprintf(img, sizeof img, "%s/lostack.png", f->dir);
    long n0, n1;
    char *before = tu_slurp(img, &n0);
    assert_non_null(before);
    assert_memory_equal(before, "\x89PNG\r\n\x1a\n", 8);
    assert_true(n0 > 20000);
    unlink(img);
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot lostack.gp", f->dir);
    assert_int_equal(system(cmd), 0);
    char *after = tu_slurp(img, &n1);
    assert_non_null(after);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, (size_t)n0);
    free(before);
    free(after);
}

/* checkpoint-crash.yaml with only its first fault: worker-1 crashes at step
 * during-checkpoint of checkpoint 4 (the step's argument is the checkpoint, not a
 * record). The diagram says so, and follows the first record the crash cuts off: one
 * whose message reaches worker-1 while it is down. */
static const char ckpt_yaml[] =
    "name: ckpt-step\n"
    "about: worker-1 crashes during checkpoint 4\n"
    "seed: 1\n"
    "duration: 20s\n"
    "drain: 10s\n"
    "nodes: { broker: 1, workers: 2, partitions: 4, sink: 1 }\n"
    "source: { kind: iot, devices: 20, period: 100ms, jitter: 10ms }\n"
    "network: { latency: 1ms, jitter: 500us }\n"
    "delivery: { ack_timeout: 50ms, max_timeout: 1s, backoff: 2, window: 64, checkpoint: 1s }\n"
    "pipeline:\n"
    "  - window: { length: 4s, slide: 2s, watermark: 3s, aggregate: count, output: update }\n"
    "driver: { kind: micro-batch, trigger: 500ms }\n"
    "protocols: [exactly-once-checkpoint]\n"
    "faults:\n"
    "  - { crash: worker-1, step: during-checkpoint, nth: 4, restart_after: 500ms }\n";

static void test_a_checkpoint_step_crash_names_its_checkpoint(void **state) {
    struct fx *f = *state;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/x.yaml", f->dir);
    FILE *w = fopen(path, "w");
    assert_non_null(w);
    assert_int_equal(fputs(ckpt_yaml, w) >= 0, 1);
    assert_int_equal(fclose(w), 0);
    load(f, path);
    unlink(path);
    struct diag_report rep;
    char *dat = draw_dat(f, DLV_EXACTLY_ONCE_CKPT, 1, "x", &rep);
    assert_non_null(
        strstr(rep.fault, "worker-1 crashes at step during-checkpoint of checkpoint 4"));
    assert_null(strstr(rep.fault, "of record 4"));
    assert_true(rep.focused);
    assert_int_equal(rep.crashes, 1);
    static struct row marks[256], msgs[128];
    int nk = read_block(dat, 3, marks, 256), nm = read_block(dat, 2, msgs, 128);
    double crash_ms = -1;
    for (int i = 0; i < nk; i++)
        if (strcmp(marks[i].f[K_TYPE], "crash") == 0) {
            assert_string_equal(marks[i].f[K_LABEL], "CRASH at during-checkpoint of checkpoint 4");
            crash_ms = strtod(marks[i].f[K_T], NULL);
        }
    /* checkpoint 4 is triggered at 4 s: its first barrier reaches worker-1 just after */
    assert_true(crash_ms > 4000.0 && crash_ms < 4100.0);
    char rec[32];
    snprintf(rec, sizeof rec, "%llu", (unsigned long long)rep.record);
    int cut = 0;
    for (int i = 0; i < nm; i++) {
        assert_string_equal(msgs[i].f[M_REC], rec);
        cut += strcmp(msgs[i].f[M_TO], "worker-1") == 0 &&
               strcmp(msgs[i].f[M_FATE], "dropped:down") == 0 &&
               strtod(msgs[i].f[M_T1], NULL) >= crash_ms;
    }
    assert_true(cut >= 1);
    free(dat);
}

/* consumer-group-rebalance.yaml, read by hand: worker-3 crashes at 2 s for good; one
 * session timeout (1 s, heartbeats every 100 ms) after its last heartbeat the broker
 * evicts it and gives its partition (p mod 3 workers = 2: partition 2) to worker-1,
 * in generation 2. The diagram follows the first record the crash cuts off, shows the
 * crash itself although it comes before that record's first message, and marks the
 * move on the broker's lifeline. */
static void test_rebalance_is_marked_and_the_first_fault_is_in_view(void **state) {
    struct fx *f = *state;
    load(f, "scenarios/consumer-group-rebalance.yaml");
    struct diag_report rep;
    char *dat = draw_dat(f, DLV_AT_LEAST_ONCE, f->scn.seed, "x", &rep);
    assert_true(rep.focused);
    assert_int_equal(rep.crashes, 1);
    static struct row marks[256];
    int nk = read_block(dat, 3, marks, 256), crashes = 0, moves = 0;
    for (int i = 0; i < nk; i++) {
        double t = strtod(marks[i].f[K_T], NULL);
        if (strcmp(marks[i].f[K_TYPE], "crash") == 0) {
            assert_string_equal(marks[i].f[K_NODE], "worker-3");
            assert_true(fabs(t - 2000.0) < 1e-6);
            crashes++;
        }
        if (strcmp(marks[i].f[K_TYPE], "rebalance") == 0) {
            assert_string_equal(marks[i].f[K_NODE], "broker");
            assert_string_equal(marks[i].f[K_LABEL], "rebalance: p2 -> worker-1 (gen 2)");
            assert_true(t >= 2900.0 && t <= 3000.0);
            moves++;
        }
    }
    assert_int_equal(crashes, 1);
    assert_int_equal(moves, 1);
    free(dat);
}

static void test_bad_requests_are_refused(void **state) {
    struct fx *f = *state;
    load(f, "scenarios/lost-ack.yaml");
    struct diag_report rep;
    struct ft_error err = {0};
    char out[PATH_MAX + 64];
    snprintf(out, sizeof out, "%s/x.png", f->dir);
    struct diag_options o = {.cfg = &f->scn.pipe,
                             .protocol = DLV_AT_LEAST_ONCE,
                             .seed = f->scn.seed,
                             .out = out,
                             .title = "t"};
    o.has_window = true; /* 1 s of traffic: about 1200 messages */
    o.from_ns = 1000000000ull;
    o.to_ns = 2000000000ull;
    assert_int_equal(diag_draw(&o, &rep, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "at most 60"));
    o.has_window = false;
    o.has_record = true;
    o.record = 1000000000ull;
    assert_int_equal(diag_draw(&o, &rep, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "no messages"));
    o.has_record = false;
    snprintf(out, sizeof out, "%s/x.jpeg", f->dir);
    assert_int_equal(diag_draw(&o, &rep, &err), FT_EINVAL);
    assert_int_equal(diag_format_of("a/b.svg"), PLOT_SVG);
    assert_int_equal(diag_format_of("a.b/c"), -1);
    /* a short explicit window works and draws only messages sent inside it */
    snprintf(out, sizeof out, "%s/x.png", f->dir);
    o.has_window = true;
    o.from_ns = 1000000000ull;
    o.to_ns = 1010000000ull;
    if (diag_draw(&o, &rep, &err)) fail_msg("%s", err.msg);
    assert_false(rep.focused);
    assert_true(rep.arrows > 0 && rep.arrows <= DIAG_ARROWS_MAX);
}

/* The hook sees the sender's tag; the hash does not cover it. */
struct tag_seen {
    uint64_t send_tag, deliver_tag;
};

static void see_tags(const struct sim_trace_rec *r, void *ctx) {
    struct tag_seen *t = ctx;
    if (r->type == SIM_TR_SEND) t->send_tag = r->tag;
    if (r->type == SIM_TR_DELIVER) t->deliver_tag = r->tag;
}

static void tagged_run(uint64_t tag, struct tag_seen *seen, char hash[SIM_HASH_HEX_BYTES]) {
    struct sim *s = sim_new(&(struct sim_config){.seed = 3});
    assert_non_null(s);
    static const struct sim_node_ops ops = {0};
    assert_true(sim_node_add(s, "a", &ops, NULL, 0, 0) == 0);
    assert_true(sim_node_add(s, "b", &ops, NULL, 0, 0) == 1);
    sim_set_trace_hook(s, see_tags, seen);
    assert_true(sim_send_tagged(s, 0, 1, 5, tag, "hi", 2) > 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    sim_trace_hash_hex(s, hash);
    sim_free(s);
}

/* No two message labels cover each other. Boxes in pixels from the .gp's own size and
 * ranges, with a 6 px character and a 12 px line: smaller than any DejaVu Sans 10 pt
 * label, so an overlap found here is one on the image. Before the labels were placed,
 * crash-during-processing's "output r90" and "output-ack r90 (receiver down)" sat on
 * one spot at the crash instant. */
static int label_overlaps(struct fx *f, const char *name) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.gp", f->dir, name);
    char *gp = tu_slurp(path, NULL);
    snprintf(path, sizeof path, "%s/%s.dat", f->dir, name);
    char *dat = tu_slurp(path, NULL);
    assert_non_null(gp);
    assert_non_null(dat);
    int width = 0, height = 0, xhi = 0;
    double ya = 0, yb = 0;
    const char *w = strstr(gp, "\nwidth = "), *h = strstr(gp, "\nheight = ");
    const char *x = strstr(gp, "\nxhi = "), *y = strstr(gp, "\nset yrange [");
    assert_true(w && h && x && y);
    assert_int_equal(sscanf(w, "\nwidth = %d", &width), 1);
    assert_int_equal(sscanf(h, "\nheight = %d", &height), 1);
    assert_int_equal(sscanf(x, "\nxhi = %d + 0.95", &xhi), 1);
    assert_int_equal(sscanf(y, "\nset yrange [%lf:%lf]", &ya, &yb), 2);
    /* the plot area: width less 14 characters of margin; height less the title, the
     * lifeline names and the key (230 px) */
    double sx = (width - 14 * 8.0) / (xhi + 0.95 + 0.45), sy = (height - 230.0) / fabs(ya - yb);
    static struct row msgs[128];
    int nm = read_block(dat, 2, msgs, 128), overlaps = 0;
    assert_true(nm > 2);
    for (int i = 0; i < nm; i++)
        for (int j = i + 1; j < nm; j++) {
            double xi = strtod(msgs[i].f[14], NULL) * sx, yi = strtod(msgs[i].f[15], NULL) * sy;
            double xj = strtod(msgs[j].f[14], NULL) * sx, yj = strtod(msgs[j].f[15], NULL) * sy;
            double half_w = 3.0 * (double)(strlen(msgs[i].f[13]) + strlen(msgs[j].f[13]));
            if (fabs(xi - xj) < half_w && fabs(yi - yj) < 12.0) {
                print_message("%s: \"%s\" covers \"%s\"\n", name, msgs[i].f[13], msgs[j].f[13]);
                overlaps++;
            }
        }
    free(gp);
    free(dat);
    return overlaps;
}

static void test_message_labels_do_not_cover_each_other(void **state) {
    struct fx *f = *state;
    struct diag_report rep;
    struct ft_error err;
    load(f, "scenarios/crash-during-processing.yaml");
    if (draw(f, DLV_AT_LEAST_ONCE, f->scn.seed, "crash", "png", &rep, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(label_overlaps(f, "crash"), 0);
    load(f, "scenarios/lost-ack.yaml");
    if (draw(f, DLV_AT_LEAST_ONCE, f->scn.seed, "lostack", "png", &rep, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(label_overlaps(f, "lostack"), 0);
}

static void test_trace_hook_carries_the_tag_outside_the_hash(void **state) {
    (void)state;
    struct tag_seen a = {0}, b = {0};
    char ha[SIM_HASH_HEX_BYTES], hb[SIM_HASH_HEX_BYTES];
    tagged_run(77, &a, ha);
    tagged_run(78, &b, hb);
    assert_true(a.send_tag == 77 && a.deliver_tag == 77);
    assert_true(b.send_tag == 78 && b.deliver_tag == 78);
    assert_string_equal(ha, hb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_crash_during_processing_shows_crash_restart_and_redelivery, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_lost_ack_follows_the_17th_ack_and_shows_the_redelivery,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_are_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rebalance_is_marked_and_the_first_fault_is_in_view,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_a_checkpoint_step_crash_names_its_checkpoint, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_message_labels_do_not_cover_each_other, fx_setup,
                                        fx_teardown),
        cmocka_unit_test(test_trace_hook_carries_the_tag_outside_the_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
