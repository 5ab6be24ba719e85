/* What `ftsim run` prints per protocol: the table row (and its header), the model line,
 * the window table (at most RUN_WINDOW_ROWS_SHOWN rows; --json has them all), and the
 * --json object with its windows, lambda, model and coverage moments. Every number comes
 * from the run's exp_outcome; nothing here runs anything. */
#include <stdio.h>
#include <string.h>

#include "cmd_run.h"

void cli_run_json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

/* ,"windows":{...}: the window query's counts and its result table. */
static void print_json_windows(const struct exp_outcome *o, const struct exp_windows *w) {
    printf(",\"windows\":{\"late_dropped\":%llu,\"late_records\":%llu,\"rows_emitted\":%llu,"
           "\"triggers\":%llu,\"filtered\":%llu,\"match_reference\":%s,\"mismatched\":%llu,"
           "\"latency_p50_ns\":%llu,\"latency_p99_ns\":%llu,\"tasks_idle_at_end\":%llu,"
           "\"rows\":[",
           (unsigned long long)o->late_dropped, (unsigned long long)o->late_records,
           (unsigned long long)o->window_rows_emitted, (unsigned long long)o->window_triggers,
           (unsigned long long)o->filtered, o->windows_match_reference ? "true" : "false",
           (unsigned long long)o->windows_mismatched, (unsigned long long)o->window_latency_p50_ns,
           (unsigned long long)o->window_latency_p99_ns, (unsigned long long)o->window_tasks_idle);
    for (size_t i = 0; i < w->n; i++) {
        const struct exp_window_row *r = &w->rows[i];
        printf("%s{\"window_start_ns\":%lld,\"window_end_ns\":%lld,\"key\":", i ? "," : "",
               (long long)r->window_start_ns, (long long)r->window_end_ns);
        cli_run_json_str(r->key);
        printf(",\"value\":%.17g,\"emitted_at_ns\":%llu,\"final\":%s}", r->value,
               (unsigned long long)r->emitted_at_ns, r->final ? "true" : "false");
    }
    printf("]}");
}

/* ,"lambda":{...}: the lambda architecture's summary and its series. */
static void print_json_lambda(const struct exp_outcome *o, const struct exp_lambda *l) {
    printf(",\"lambda\":{\"batches\":%llu,\"final_match\":%s,\"max_diff\":%llu,"
           "\"overcount\":%llu,\"max_staleness_ns\":%llu,\"max_batch_age_ns\":%llu,"
           "\"series\":[",
           (unsigned long long)o->lambda_batches, o->lambda_final_match ? "true" : "false",
           (unsigned long long)o->lambda_max_diff, (unsigned long long)o->lambda_overcount,
           (unsigned long long)o->lambda_max_staleness_ns,
           (unsigned long long)o->lambda_max_batch_age_ns);
    for (size_t i = 0; l && i < l->n; i++) {
        const struct exp_lambda_point *p = &l->pts[i];
        printf("%s{\"t_ns\":%llu,\"key\":", i ? "," : "", (unsigned long long)p->t_ns);
        if (p->key[0]) cli_run_json_str(p->key);
        else fputs("null", stdout);
        printf(",\"served\":%llu,\"reference\":%llu,\"batch_ns\":",
               (unsigned long long)p->served, (unsigned long long)p->reference);
        if (p->has_batch) printf("%llu", (unsigned long long)p->batch_ns);
        else fputs("null", stdout);
        printf(",\"staleness_ns\":%llu}", (unsigned long long)p->staleness_ns);
    }
    printf("]}");
}

/* A double as JSON (null when not finite). */
static void json_num(double v) {
    if (v - v == 0)
        printf("%.17g", v);
    else
        fputs("null", stdout);
}

/* ,"model":{...}: the model's input ledger, errors and per-update measurements. */
static void print_json_model(const struct exp_outcome *o, const struct exp_model_rows *m) {
    printf(",\"model\":{\"updates\":%llu,\"input_applied\":%llu,\"input_lost\":%llu,"
           "\"input_duplicated\":%llu,\"input_matches_reference\":%s,\"error_final\":",
           (unsigned long long)o->model_updates, (unsigned long long)o->model_input_applied,
           (unsigned long long)o->model_input_lost, (unsigned long long)o->model_input_duplicated,
           o->model_input_matches_reference ? "true" : "false");
    if (o->model_has_truth) json_num(o->model_error_final);
    else fputs("null", stdout);
    printf(",\"error_mean\":");
    if (o->model_has_truth) json_num(o->model_error_mean);
    else fputs("null", stdout);
    printf(",\"cost_final\":");
    json_num(o->model_cost_final);
    if (o->model_has_frozen) {
        printf(",\"frozen_rows\":%llu,\"frozen_error_final\":",
               (unsigned long long)o->model_frozen_rows);
        json_num(o->model_frozen_error_final);
    }
    if (o->model_fault_free_done) {
        printf(",\"identical_to_fault_free\":%s,\"fault_free_distance\":",
               o->model_identical_to_fault_free ? "true" : "false");
        json_num(o->model_fault_free_distance);
    }
    printf(",\"metrics\":[");
    for (size_t i = 0; m && i < m->n; i++) {
        const struct exp_model_row *r = &m->rows[i];
        printf("%s{\"batch\":", i ? "," : "");
        if (r->batch >= 0) printf("%lld", (long long)r->batch);
        else fputs("null", stdout);
        printf(",\"t_ns\":%llu,\"metric\":\"%s\",\"value\":", (unsigned long long)r->t_ns,
               r->metric);
        json_num(r->value);
        putchar('}');
    }
    printf("]}");
}

void cli_run_print_json(const char *proto, const struct exp_outcome *o, const struct exp_windows *w,
                        const struct exp_lambda *l, const struct exp_model_rows *m, bool first) {
    printf("%s{\"protocol\":\"%s\",\"sent\":%llu,\"delivered\":%llu,\"lost\":%llu,"
           "\"duplicated\":%llu,\"retries\":%llu,\"messages\":%llu,\"latency_p50_ns\":%llu,"
           "\"latency_p99_ns\":%llu,\"recovery_ns\":%llu,\"crashes\":%llu,"
           "\"worker_crashes\":%llu,\"in_flight_at_end\":%llu,"
           "\"matches_reference\":%s,\"rejected\":%llu,\"events\":%llu,"
           "\"trace_hash\":\"%s\"",
           first ? "" : ",", proto, (unsigned long long)o->sent,
           (unsigned long long)o->delivered, (unsigned long long)o->lost,
           (unsigned long long)o->duplicated, (unsigned long long)o->retries,
           (unsigned long long)o->messages, (unsigned long long)o->latency_p50_ns,
           (unsigned long long)o->latency_p99_ns, (unsigned long long)o->recovery_ns,
           (unsigned long long)o->crashes, (unsigned long long)o->worker_crashes,
           (unsigned long long)o->in_flight_at_end, o->matches_reference ? "true" : "false",
           (unsigned long long)o->rejected, (unsigned long long)o->events, o->trace_hash);
    if (o->windows_enabled) print_json_windows(o, w);
    if (o->lambda_enabled) print_json_lambda(o, l);
    if (o->model_enabled) print_json_model(o, m);
    printf(",\"moments\":{"); /* the coverage moments reached (docs/swarm.md) */
    for (unsigned k = 0, n = 0; k < PIPE_MOMENTS; k++)
        if (o->moments[k])
            printf("%s\"%s\":%llu", n++ ? "," : "", pipe_moment_name(k),
                   (unsigned long long)o->moments[k]);
    printf("}}");
}

/* A time for the window table: a clock time for CSV replays (ns since midnight), else
 * seconds of simulated time. */
static const char *fmt_time(int64_t ns, bool clock, char *buf, size_t size) {
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (!clock) {
        snprintf(buf, size, "%s%llu.%03llus", sign, (unsigned long long)(a / 1000000000),
                 (unsigned long long)(a / 1000000 % 1000));
        return buf;
    }
    uint64_t s = a / 1000000000, ms = a / 1000000 % 1000;
    int n = snprintf(buf, size, "%s%02llu:%02llu:%02llu", sign, (unsigned long long)(s / 3600),
                     (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
    if (ms && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ".%03llu", (unsigned long long)ms);
    return buf;
}

bool cli_run_same_rows(const struct exp_windows *a, const struct exp_windows *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->rows[i].window_start_ns != b->rows[i].window_start_ns ||
            a->rows[i].value != b->rows[i].value || a->rows[i].final != b->rows[i].final ||
            a->rows[i].emitted_at_ns != b->rows[i].emitted_at_ns ||
            strcmp(a->rows[i].key, b->rows[i].key))
            return false;
    return true;
}

#define RUN_WINDOW_ROWS_SHOWN 40

void cli_run_print_windows(const struct scenario *scn, const char *proto,
                           const struct exp_outcome *o, const struct exp_windows *w,
                           const char *same_as) {
    const struct pipe_query *q = &scn->pipe.query;
    bool clock = scn->pipe.source.kind == SRC_CSV;
    char a[40], b[40], c[40];
    printf("\nwindows under %s: %llu rows (%llu final), %llu late contributions dropped "
           "(%llu records), %llu rows emitted %s %llu %s, reference %s, latency record -> window "
           "row p50 %s p99 %s\n",
           proto, (unsigned long long)o->windows, (unsigned long long)o->windows_final,
           (unsigned long long)o->late_dropped, (unsigned long long)o->late_records,
           (unsigned long long)o->window_rows_emitted,
           q->driver == PIPE_DRIVER_CONTINUOUS ? "over" : "in",
           (unsigned long long)o->window_triggers,
           q->driver == PIPE_DRIVER_CONTINUOUS ? "records (continuous)" : "triggers",
           o->windows_match_reference ? "matches" : "DIFFERS",
           fmt_time((int64_t)o->window_latency_p50_ns, false, a, sizeof a),
           fmt_time((int64_t)o->window_latency_p99_ns, false, b, sizeof b));
    if (same_as) {
        printf("  (the same rows as under %s)\n", same_as);
        return;
    }
    printf("  %-25s %-20s %14s %-14s %s\n", "window", "key", "value", "emitted at", "final");
    for (size_t i = 0; i < w->n && i < RUN_WINDOW_ROWS_SHOWN; i++) {
        const struct exp_window_row *r = &w->rows[i];
        char win[84];
        snprintf(win, sizeof win, "[%s, %s)", fmt_time(r->window_start_ns, clock, a, sizeof a),
                 fmt_time(r->window_end_ns, clock, b, sizeof b));
        printf("  %-25s %-20s %14.6g %-14s %s\n", win, r->key, r->value,
               fmt_time((int64_t)r->emitted_at_ns, clock, c, sizeof c), r->final ? "yes" : "no");
    }
    if (w->n > RUN_WINDOW_ROWS_SHOWN)
        printf("  ... %zu more rows (--json prints them all)\n", w->n - RUN_WINDOW_ROWS_SHOWN);
}

void cli_run_print_header(void) {
    printf("latency p50/p99: record created -> its row visible at the sink (ms)\n");
    printf("%-23s %9s %9s %7s %10s %8s %9s %9s  %-9s %s\n", "protocol", "sent", "delivered", "lost",
           "duplicated", "retries", "p50 ms", "p99 ms", "reference", "trace hash");
}

void cli_run_print_row(const char *proto, const struct exp_outcome *o) {
    printf("%-23s %9llu %9llu %7llu %10llu %8llu %9.2f %9.2f  %-9s %.16s\n", proto,
           (unsigned long long)o->sent, (unsigned long long)o->delivered,
           (unsigned long long)o->lost, (unsigned long long)o->duplicated,
           (unsigned long long)o->retries, (double)o->latency_p50_ns / 1e6,
           (double)o->latency_p99_ns / 1e6, o->matches_reference ? "yes" : "NO",
           o->trace_hash);
}

/* The model's summary under a protocol's row. */
void cli_run_print_model(const struct exp_outcome *o) {
    char err[48] = "", frozen[64] = "", ff[80] = "";
    if (o->model_has_truth)
        snprintf(err, sizeof err, ", error %.4g (mean %.4g)", o->model_error_final,
                 o->model_error_mean);
    if (o->model_has_frozen)
        snprintf(frozen, sizeof frozen, ", frozen model's error %.4g", o->model_frozen_error_final);
    if (o->model_fault_free_done)
        snprintf(ff, sizeof ff, "; %s the fault-free run's (distance %.3g)",
                 o->model_identical_to_fault_free ? "identical to" : "differs from",
                 o->model_fault_free_distance);
    printf("  %-15s model: %llu updates; input %llu records, %llu lost, %llu duplicated%s%s%s\n",
           "", (unsigned long long)o->model_updates, (unsigned long long)o->model_input_applied,
           (unsigned long long)o->model_input_lost, (unsigned long long)o->model_input_duplicated,
           err, frozen, ff);
}
