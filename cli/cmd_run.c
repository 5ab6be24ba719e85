/* `ftsim run`: runs every protocol a scenario lists (or those given) on one seed and
 * prints the comparison as a table or one JSON object; optionally stores each run in
 * the results database, one transaction per run, with its statistics over time and,
 * with --trace, its full trace (buffered in memory, bulk-inserted with the run). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "experiment.h"
#include "grow.h"
#include "plot.h"
#include "progress.h"
#include "scenario.h"
#include "scn_meta.h"
#include "store.h"
#include "suggest.h"
#include "trace_filter.h"

static void usage(FILE *f) {
    fputs("usage: ftsim run FILE|NAME [--seed N] [--protocol P]... [--db FILE] [--out DIR]\n"
          "                [--json] [--trace] [--record R] [--from T --to T] [--node NAME]...\n"
          "                [--events group|checkpoint|faults] [--plot DIR]\n"
          "\n"
          "Runs the scenario FILE (or NAME: a scenario found by name, e.g. lost-ack, in\n"
          "./scenarios or the installed scenarios, as 'ftsim list' shows) under each\n"
          "protocol it lists (or each --protocol) with the same seed and prints, per\n"
          "protocol: records sent, delivered (distinct), lost, duplicated (extra copies),\n"
          "whether the warehouse matches the reference, and the trace hash. The same FILE\n"
          "and seed always print the same numbers. A long run shows its progress on a\n"
          "terminal; Ctrl-C stops it (exit status 3). Every run has an event budget (1000\n"
          "per source record, plus timers): a scenario whose faults keep the simulator busy\n"
          "without progress stops with exit status 2. A scenario with\n"
          "a windowed query (pipeline:) then prints, per protocol, its window table (window,\n"
          "key, value, emitted at, final) with the late contributions dropped and whether\n"
          "it matches the no-lateness reference; --json has it as \"windows\". A scenario\n"
          "with a model (a kmeans or linear_regression pipeline) prints under each protocol\n"
          "its model line: updates, the records the model consumed, lost and duplicated\n"
          "(against the generated records), its final and mean error against the true\n"
          "model, and how far it ends from the model the same seed learns without faults;\n"
          "--json has it, with every update's measurements, as \"model\". A Byzantine\n"
          "scenario prints, per algorithm, IC1, IC2, messages, signatures and decisions (or,\n"
          "with exhaustive: true, one row per placement of traitors, strategy and order).\n"
          "A protocol whose lost records were partly still in flight when the run ended\n"
          "(being retried, or in a partition's log above its committed offset) gets a\n"
          "warning line: a longer drain may deliver them (docs/scenario-format.md, \"How\n"
          "much drain\"); --json has \"in_flight_at_end\" and \"worker_crashes\". So does\n"
          "a window task left without a running host (\"tasks_idle_at_end\").\n"
          "\n",
          f);
    fputs("  --seed N        seed of the run (default: the file's `seed:`)\n"
          "  --protocol P    run only P (repeatable): at-most-once, at-least-once,\n"
          "                  exactly-once, exactly-once-txn, exactly-once-checkpoint; for a\n"
          "                  Byzantine scenario an algorithm: om, sm, dolev-strong\n"
          "  --db FILE       also store each run, its outcome and its time series (or, for a\n"
          "                  Byzantine scenario, its agreement row) in the SQLite FILE\n"
          "                  (docs/results-schema.md)\n"
          "  --out DIR       write what the sink committed under DIR/PROTOCOL/: the lake\n"
          "                  (lake/partition=P/part-N.jsonl) and/or the warehouse\n"
          "                  (warehouse.db, a SQLite file), as the scenario's sink says\n"
          "                  (default: the sink's path: in the file, else nothing)\n"
          "  --plot DIR      also draw the scenario's figures (ftsim plot) into DIR, from\n"
          "                  its runs, stored in DIR/SCENARIO.db (made afresh; not with --db)\n"
          "  --json          print one JSON object instead of the table (with \"moments\":\n"
          "                  the coverage moments the run reached, docs/swarm.md)\n"
          "  --trace         print every trace event (one line each) before the results;\n"
          "                  with --db also store them in the events table\n"
          "  --help          this text\n"
          "\n",
          f);
    fputs("Trace lines: protocol, simulated time, event, node, then for a message the peer\n"
          "(-> to, <- from), its kind, the source record it carries (r28; blank for\n"
          "heartbeats, assigns, inits and checkpoint messages; a commit names the last\n"
          "record of its transaction) and the simulator's message id, e.g.\n"
          "  0.170400 s  drop  worker-1 -> broker  ack  r28  msg 183 (rule)\n"
          "(docs/lecture-guide.md, \"Stepping through one run\").\n"
          "\n"
          "Filters choose which trace lines print; each implies --trace and a line prints\n"
          "only when every filter given keeps it. The runs, their numbers and trace hashes\n"
          "are those of the full trace, and --db still stores every event.\n"
          "  --record R      the events of source record R: its messages (send, deliver,\n"
          "                  drop, dup), the sink making it visible, a crash at a step of\n"
          "                  R; and, as context, every start, crash, restart, partition,\n"
          "                  heal, group event (joined, evicted, partition moves, fenced),\n"
          "                  checkpoint event and crash at a checkpoint step\n"
          "  --from T, --to T  events from T to T inclusive, e.g. 2.5s, 2500ms (both or\n"
          "                  neither)\n"
          "  --events K      only events of kind K (comma-separated): group (a worker joined\n"
          "                  or was evicted, a partition moved, a stale owner fenced),\n"
          "                  checkpoint (exactly-once-checkpoint's steps), faults (crashes,\n"
          "                  restarts, partitions, heals, messages a drop: rule removed);\n"
          "                  group and checkpoint keep crashes, restarts, partitions and heals\n"
          "  --node NAME     events at NAME or with NAME as peer (repeatable; as the trace\n"
          "                  names them: source, broker, worker-1, ..., sink; a Byzantine\n"
          "                  scenario's commander, lieutenant-1, ... or gateway, replica-1,\n"
          "                  ..., sink); a partition or heal concerns every node\n"
          "A Byzantine scenario takes --from/--to and --node; it has no records.\n"
          "\n"
          "Example: the record whose ack lost-ack.yaml drops, redelivered by the broker:\n"
          "  ftsim run scenarios/lost-ack.yaml --protocol at-least-once --record 28\n",
          f);
}

#define RUN_TRACE_EVENTS_MAX 20000000u /* events --trace --db keeps for one run */

struct trace_printer {
    const struct scenario *scn;
    const char *protocol;
    bool keep; /* --trace --db: keep the run's trace in events */
    const struct cli_trace_filter *filter;
    uint64_t of_record; /* events of --record R this run had */
    struct sim_trace_rec *events;
    size_t nevents, cap;
    bool overflow; /* out of memory or past RUN_TRACE_EVENTS_MAX */
};

static void keep_event(struct trace_printer *tp, const struct sim_trace_rec *r) {
    if (tp->overflow) return;
    if (tp->nevents >= RUN_TRACE_EVENTS_MAX ||
        ft_grow((void **)&tp->events, &tp->cap, tp->nevents + 1, sizeof *tp->events, 4096)) {
        tp->overflow = true;
        return;
    }
    tp->events[tp->nevents++] = *r;
}

/* The events table's label: a message's kind, or "visible" for a row the sink made
 * visible. */
static const char *event_label(const struct sim_trace_rec *r) {
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
    case SIM_TR_DUP:
        return pipe_msg_name((int)r->kind);
    case SIM_TR_USER:
        switch (r->kind) {
        case PIPE_TR_VISIBLE: return "visible";
        case PIPE_TR_MEMBER: return "member";
        case PIPE_TR_REBALANCE: return "rebalance";
        case PIPE_TR_FENCED: return "fenced";
        default: return NULL;
        }
    default:
        return NULL;
    }
}

/* The pipeline's own events (pipeline.h, PIPE_TR_*). */
static void print_user(const struct trace_printer *tp, const struct sim_trace_rec *r) {
    static const char *const ckpt_what[] = {"triggered", "snapshot stored", "complete", "aborted",
                                            "committed"}; /* TRIGGER .. COMMIT */
    char b[PIPE_NAME_MAX];
    unsigned long long id = r->id, gen = r->arg >> 32, epoch = r->arg;
    uint32_t owner = (uint32_t)r->arg;
    switch (r->kind) {
    case PIPE_TR_MEMBER:
        printf(" %s %s the group", pipe_node_name(&tp->scn->pipe, (uint32_t)id, b, sizeof b),
               r->arg ? "joined" : "was evicted from");
        break;
    case PIPE_TR_REBALANCE:
        printf(" partition %llu -> %s (generation %llu)", id,
               owner == PIPE_NO_OWNER ? "no owner"
                                      : pipe_node_name(&tp->scn->pipe, owner, b, sizeof b),
               gen);
        break;
    case PIPE_TR_FENCED:
        if (r->node == 1) /* the broker: an ack of an earlier generation */
            printf(" fenced partition %llu: stale generation %llu", id,
                   (unsigned long long)r->arg);
        else /* the sink: epoch = generation << 32 | incarnation + 1 */
            printf(" fenced partition %llu: stale epoch (generation %llu, incarnation %u)", id,
                   gen, (uint32_t)r->arg - 1);
        break;
    case PIPE_TR_CKPT_TRIGGER:
    case PIPE_TR_CKPT_SNAPSHOT:
    case PIPE_TR_CKPT_COMPLETE:
    case PIPE_TR_CKPT_ABORT:
    case PIPE_TR_CKPT_COMMIT:
        printf(" checkpoint %llu %s (epoch %llu)", id, ckpt_what[r->kind - PIPE_TR_CKPT_TRIGGER],
               epoch);
        break;
    case PIPE_TR_CKPT_ROLLBACK:
        printf(" rollback to checkpoint %llu (epoch %llu)", id, epoch);
        break;
    default:
        printf(" visible record %llu (partition %llu)", id, (unsigned long long)r->arg);
        break;
    }
}

/* The node an event concerns besides its own: a message's peer, the worker that joined
 * or was evicted, a moved partition's new owner. */
static uint32_t event_peer(const struct sim_trace_rec *r) {
    if (r->type != SIM_TR_USER) return r->peer;
    if (r->kind == PIPE_TR_MEMBER) return (uint32_t)r->id;
    if (r->kind == PIPE_TR_REBALANCE && (uint32_t)r->arg != PIPE_NO_OWNER) return (uint32_t)r->arg;
    return SIM_NODE_NONE;
}

/* --record R: R's own events (pipe_trace_record), and the context every record shares:
 * starts, crashes, restarts, partitions, heals, crashes at a checkpoint step (a record
 * step's crash belongs to its record), group and checkpoint events. Not timers, nor
 * other records' messages, nor messages without a record. */
static bool keeps_record(struct trace_printer *tp, const struct sim_trace_rec *r) {
    uint64_t rec;
    if (pipe_trace_record(r, &rec)) {
        tp->of_record += rec == tp->filter->record;
        return rec == tp->filter->record;
    }
    switch (r->type) {
    case SIM_TR_START:
    case SIM_TR_CRASH:
    case SIM_TR_RESTART:
    case SIM_TR_PARTITION:
    case SIM_TR_HEAL:
    case SIM_TR_FAULT:
    case SIM_TR_USER:
        return true;
    default:
        return false;
    }
}

/* --events: the group's events (a worker joined or was evicted, a partition moved, a
 * stale owner fenced), exactly-once-checkpoint's steps, or the faults (a crash at a step
 * or a time, a restart, a partition and its heal, a message a drop: rule removed); the
 * group and checkpoint kinds keep crashes, restarts, partitions and heals as context. */
static bool keeps_events(const struct sim_trace_rec *r, uint32_t events) {
    bool ctx = r->type == SIM_TR_CRASH || r->type == SIM_TR_RESTART ||
               r->type == SIM_TR_PARTITION || r->type == SIM_TR_HEAL || r->type == SIM_TR_FAULT;
    bool user = r->type == SIM_TR_USER;
    if ((events & CLI_EVENTS_FAULTS) &&
        (ctx || (r->type == SIM_TR_DROP && r->reason == SIM_DROP_RULE)))
        return true;
    if ((events & CLI_EVENTS_GROUP) &&
        (ctx || (user && (r->kind == PIPE_TR_MEMBER || r->kind == PIPE_TR_REBALANCE ||
                          r->kind == PIPE_TR_FENCED))))
        return true;
    return (events & CLI_EVENTS_CHECKPOINT) &&
           (ctx || (user && r->kind >= PIPE_TR_CKPT_TRIGGER && r->kind <= PIPE_TR_CKPT_ROLLBACK));
}

static bool keeps(struct trace_printer *tp, const struct sim_trace_rec *r) {
    const struct cli_trace_filter *f = tp->filter;
    if (f->events && !keeps_events(r, f->events)) return false;
    if (f->has_record && !keeps_record(tp, r)) return false;
    return cli_filter_keeps(f, r->time_ns, r->node, event_peer(r));
}

static void print_event(const struct sim_trace_rec *r, void *ctx) {
    struct trace_printer *tp = ctx;
    if (tp->keep) keep_event(tp, r);
    if (!keeps(tp, r)) return;
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], rec[24] = "";
    if (r->type >= SIM_TR_SEND && r->type <= SIM_TR_DUP && pipe_msg_has_record((int)r->kind))
        snprintf(rec, sizeof rec, "r%llu", (unsigned long long)r->tag);
    printf("%-16s %12.6f s  %-8s %-9s", tp->protocol, (double)r->time_ns / 1e9,
           sim_trace_type_name(r->type), pipe_node_name(&tp->scn->pipe, r->node, a, sizeof a));
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DUP:
    case SIM_TR_DROP:
    case SIM_TR_DELIVER:
        printf(" %s %-9s %-11s %-7s msg %llu", r->type == SIM_TR_DELIVER ? "<-" : "->",
               pipe_node_name(&tp->scn->pipe, r->peer, b, sizeof b), pipe_msg_name((int)r->kind),
               rec, (unsigned long long)r->id);
        if (r->type == SIM_TR_DROP) printf(" (%s)", sim_drop_reason_name(r->reason));
        break;
    case SIM_TR_USER: print_user(tp, r); break;
    case SIM_TR_FAULT: { /* a checkpoint step's arg is the checkpoint */
        const char *step = pipe_step_name(r->kind);
        uint64_t id;
        printf(" at step %s, %s %llu", step ? step : "?",
               pipe_trace_record(r, &id) ? "record" : "checkpoint", (unsigned long long)r->arg);
        break;
    }
    default: break;
    }
    putchar('\n');
}

static void json_str(const char *s) {
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
        json_str(r->key);
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
        if (p->key[0]) json_str(p->key);
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

static void print_json_run(const char *proto, const struct exp_outcome *o,
                           const struct exp_windows *w, const struct exp_lambda *l,
                           const struct exp_model_rows *m, bool first) {
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

static bool same_rows(const struct exp_windows *a, const struct exp_windows *b) {
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

static void print_window_table(const struct scenario *scn, const char *proto,
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

static void print_table_header(void) {
    printf("latency p50/p99: record created -> its row visible at the sink (ms)\n");
    printf("%-23s %9s %9s %7s %10s %8s %9s %9s  %-9s %s\n", "protocol", "sent", "delivered", "lost",
           "duplicated", "retries", "p50 ms", "p99 ms", "reference", "trace hash");
}

static void print_table_row(const char *proto, const struct exp_outcome *o) {
    printf("%-23s %9llu %9llu %7llu %10llu %8llu %9.2f %9.2f  %-9s %.16s\n", proto,
           (unsigned long long)o->sent, (unsigned long long)o->delivered,
           (unsigned long long)o->lost, (unsigned long long)o->duplicated,
           (unsigned long long)o->retries, (double)o->latency_p50_ns / 1e6,
           (double)o->latency_p99_ns / 1e6, o->matches_reference ? "yes" : "NO",
           o->trace_hash);
}

/* The model's summary under a protocol's row. */
static void print_model_line(const struct exp_outcome *o) {
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

struct run_opts {
    unsigned long long seed;
    bool has_seed, json, trace;
    struct cli_trace_filter filter; /* --record, --from/--to, --node (imply trace) */
    const char *db, *out;
    const char *plot; /* --plot DIR */
    uint32_t nprotocols;
    enum dlv_protocol protocols[DLV_COUNT];
    uint32_t nalgs; /* Byzantine algorithms given with --protocol */
    int algs[BYZ_ALG_COUNT];
};

static int parse_opts(int argc, char **argv, struct run_opts *o, const char **file) {
    static const struct option opts[] = {{"seed", required_argument, NULL, 's'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"plot", required_argument, NULL, 'g'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"trace", no_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"record", required_argument, NULL, CLI_OPT_RECORD},
                                         {"from", required_argument, NULL, CLI_OPT_FROM},
                                         {"to", required_argument, NULL, CLI_OPT_TO},
                                         {"node", required_argument, NULL, CLI_OPT_NODE},
                                         {"events", required_argument, NULL, CLI_OPT_EVENTS},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0: glibc re-initialises getopt (argument permutation included) */
    while ((c = getopt_long(argc, argv, "s:p:d:o:jth", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_parse_u64(optarg, &o->seed) != 0) {
                fprintf(stderr, "ftsim run: --seed expects a non-negative integer, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            o->has_seed = true;
            break;
        case 'p': {
            int p = dlv_parse(optarg), a = p < 0 ? byz_alg_parse(optarg) : -1;
            if (p < 0 && a < 0) return cli_unknown_protocol("run", optarg, CLI_NAMES_BOTH);
            if (p >= 0 && o->nprotocols < DLV_COUNT)
                o->protocols[o->nprotocols++] = (enum dlv_protocol)p;
            if (a >= 0 && o->nalgs < BYZ_ALG_COUNT) o->algs[o->nalgs++] = a;
            break;
        }
        case 'd': o->db = optarg; break;
        case 'g':
            o->plot = optarg;
            break;
        case 'o': o->out = optarg; break;
        case 'j': o->json = true; break;
        case 't': o->trace = true; break;
        case CLI_OPT_RECORD:
        case CLI_OPT_FROM:
        case CLI_OPT_TO:
        case CLI_OPT_NODE:
        case CLI_OPT_EVENTS:
            if (cli_filter_opt("run", c, optarg, &o->filter) != CLI_OK) return CLI_USAGE;
            o->trace = true;
            break;
        case 'h': usage(stdout); return -1;
        default:
            return cli_bad_option("run", opts, argv);
        }
    }
    int rc = cli_one_operand("run", "scenario FILE", argc, argv, file);
    return rc ? rc : cli_filter_check("run", &o->filter);
}

int cli_print_load_error(const char *cmd, int rc, const struct ft_error *err) {
    const char *msg = err->msg[0] ? err->msg : ft_strerror(rc);
    if (err->file[0] && err->line)
        fprintf(stderr, "%s:%d:%d: %s\n", err->file, err->line, err->col, msg);
    else if (err->file[0] && !strstr(msg, err->file)) /* every error names its file */
        fprintf(stderr, "ftsim %s: %s: %s\n", cmd, err->file, msg);
    else
        fprintf(stderr, "ftsim %s: %s\n", cmd, msg);
    return rc == FT_EPARSE || rc == FT_EIO ? CLI_USAGE : CLI_INTERNAL;
}

int cli_db_exit(int rc) {
    return rc == FT_EPARSE || rc == FT_EIO ? CLI_USAGE : CLI_INTERNAL;
}

int cli_run_exit(int rc) {
    return rc == FT_ELIMIT || rc == FT_EPARSE ? CLI_USAGE : CLI_INTERNAL;
}

/* --protocol and --record against the kind of scenario the file turned out to be. */
static int check_kind(const struct run_opts *o, const struct scenario *scn) {
    bool byz = scn->kind == SCN_KIND_BYZANTINE;
    if (byz ? o->nprotocols != 0 : o->nalgs != 0) {
        fprintf(stderr, "ftsim run: %s runs %s, so --protocol takes %s\n", scn->file,
                byz ? "Byzantine agreement" : "delivery protocols",
                byz ? "om, sm or dolev-strong" : "a delivery protocol (see 'ftsim list')");
        return CLI_USAGE;
    }
    if (byz && o->filter.events) {
        fprintf(stderr,
                "ftsim run: %s runs Byzantine agreement; --events chooses a pipeline's group, "
                "checkpoint and fault events; --from/--to and --node filter its trace\n",
                scn->file);
        return CLI_USAGE;
    }
    if (byz && o->filter.has_record) {
        fprintf(stderr,
                "ftsim run: %s runs Byzantine agreement, which has no source records to "
                "follow; --from/--to and --node filter its trace\n",
                scn->file);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --node against the pipeline's nodes: source, broker, worker-1..W, sink. */
static int resolve_nodes(struct run_opts *o, const struct scenario *scn) {
    char buf[PIPE_WORKERS_MAX + 4][PIPE_NAME_MAX];
    const char *names[PIPE_WORKERS_MAX + 4];
    uint32_t n = pipe_node_count(&scn->pipe);
    for (uint32_t i = 0; i < n; i++)
        names[i] = pipe_node_name(&scn->pipe, i, buf[i], sizeof buf[i]);
    return cli_filter_nodes("run", scn->file, &o->filter, names, n);
}

/* Runs one protocol, prints its row and stores it (with its statistics — time series,
 * quantiles, markers, a window query's log and watermark, the lambda series, as
 * `ftsim sweep` stores them — and with --trace its events) when --db is given. */
static int run_one(const struct run_opts *o, const struct scenario *scn, struct res_db *db,
                   const char *file, uint64_t seed, enum dlv_protocol p, bool first,
                   struct trace_printer *tp, struct exp_stats *stats, struct exp_outcome *outp,
                   struct exp_windows *win, struct exp_lambda *lam,
                   struct exp_model_rows *model) {
    const char *pname = dlv_name(p);
    struct ft_error err = {0};
    tp->protocol = pname;
    tp->nevents = 0;
    tp->overflow = false;
    tp->of_record = 0;
    char label[SCN_NAME_MAX + 32];
    snprintf(label, sizeof label, "%s %s", scn->name, pname);
    struct cli_progress prog = {.label = label,
                                .end_ns = scn->pipe.duration_ns + scn->pipe.drain_ns,
                                .tty = isatty(STDERR_FILENO) != 0};
    struct exp_options eo = {.trace = o->trace ? print_event : NULL,
                             .trace_ctx = tp,
                             .stats = db ? stats : NULL,
                             .progress = cli_progress,
                             .progress_ctx = &prog};
    if (scn->pipe.lambda.enabled) eo.lambda = lam;
    if (scn->pipe.ml.spec.kind != ML_NONE && o->json) eo.model = model;
    char dir[PIPE_PATH_MAX + 64];
    const char *base = o->out ? o->out : scn->pipe.sink.path[0] ? scn->pipe.sink.path : NULL;
    struct pipe_sink_meta meta = {.scenario = scn->name, .protocol = pname, .seed = seed};
    if (base) {
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", base, pname) >= sizeof dir) {
            fprintf(stderr, "ftsim run: --out: the directory name is too long\n");
            return CLI_USAGE;
        }
        eo.sink_dir = dir;
        eo.sink_meta = &meta;
    }
    struct exp_outcome out;
    int rc = exp_run_windows(&scn->pipe, p, seed, &eo, &out, win, &err);
    cli_progress_clear(&prog);
    if (rc != 0) {
        fprintf(stderr, "ftsim run: %s: %s: %s\n", file, pname, err.msg);
        return cli_run_exit(rc);
    }
    *outp = out;
    if (o->filter.has_record && !tp->of_record)
        fprintf(stderr, "ftsim run: %s: %s: no message carries record %llu (%llu records sent)\n",
                file, pname, (unsigned long long)o->filter.record, (unsigned long long)out.sent);
    if (o->json)
        print_json_run(pname, &out, win, lam, model, first);
    else if (o->trace) /* the trace lines above: the row needs its header again */
        print_table_header();
    if (!o->json) print_table_row(pname, &out);
    if (!o->json && !o->trace && out.in_flight_at_end)
        printf("  %-15s warning: %llu of the %llu lost records were still in flight when the "
               "run ended (drain %.3f s): a longer drain may deliver them\n",
               "", (unsigned long long)out.in_flight_at_end, (unsigned long long)out.lost,
               (double)scn->pipe.drain_ns / 1e9);
    if (!o->json && !o->trace && out.window_tasks_idle)
        printf("  %-15s warning: %llu window task%s had no running host when the run ended (a "
               "host down, or a rebalance or rollback in progress): %s windows stay open; a "
               "longer drain may close them\n",
               "", (unsigned long long)out.window_tasks_idle, out.window_tasks_idle > 1 ? "s" : "",
               out.window_tasks_idle > 1 ? "their" : "its");
    if (!o->json && !o->trace && (out.rejected || base))
        printf("  %-15s warehouse rejected %llu rows (missing %llu, type %llu, range %llu)%s%s\n",
               "", (unsigned long long)out.rejected, (unsigned long long)out.rejected_by[1],
               (unsigned long long)out.rejected_by[2], (unsigned long long)out.rejected_by[3],
               base ? "; files in " : "", base ? dir : "");
    if (!o->json && !o->trace && out.lambda_enabled)
        printf("  %-15s lambda: %llu batch views; served vs reference: max |diff| %llu, "
               "overcount %llu, %s at the end; max staleness %.3f s, batch view age %.3f s\n",
               "", (unsigned long long)out.lambda_batches, (unsigned long long)out.lambda_max_diff,
               (unsigned long long)out.lambda_overcount,
               out.lambda_final_match ? "equal" : "DIFFERENT",
               (double)out.lambda_max_staleness_ns / 1e9, (double)out.lambda_max_batch_age_ns / 1e9);
    if (!o->json && !o->trace && out.model_enabled) print_model_line(&out);
    if (!db) return CLI_OK;
    if (tp->overflow) {
        fprintf(stderr,
                "ftsim run: %s: %s: the trace has more events than --trace --db keeps "
                "(%u) or memory allows\n",
                file, pname, RUN_TRACE_EVENTS_MAX);
        return CLI_INTERNAL;
    }
    struct scn_meta file_meta;
    scn_meta_fill(scn, &file_meta);
    const struct res_run rr = {.scenario = scn->name,
                               .scenario_hash = scn->hash,
                               .seed = seed,
                               .protocol = pname,
                               .status = exp_guarantee_held(p, &out) ? "ok" : "violated",
                               .outcome = &out,
                               .stats = stats,
                               .events = tp->keep ? tp->events : NULL,
                               .nevents = tp->keep ? tp->nevents : 0,
                               .event_label = event_label,
                               .file = &file_meta.file};
    if (res_store_run(db, &rr, NULL, &err) != 0) {
        fprintf(stderr, "ftsim run: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    return CLI_OK;
}

/* --plot DIR: the runs go to DIR/SCENARIO.db, made afresh, which o->db then names. */
static int plot_db(struct run_opts *o, const struct scenario *scn, char *path, size_t size) {
    if (!o->plot) return CLI_OK;
    if (o->db) {
        fprintf(stderr, "ftsim run: --plot keeps its own database in DIR; give --db or --plot, "
                        "then `ftsim plot DB --out DIR`\n");
        return CLI_USAGE;
    }
    struct ft_error err = {0};
    char slug[SCN_NAME_MAX];
    snprintf(slug, sizeof slug, "%s", scn->name);
    for (char *p = slug; *p; p++)
        if (*p == '/') *p = '-';
    int k = snprintf(path, size, "%s/%s.db", o->plot, slug);
    if (k < 0 || (size_t)k >= size) {
        fprintf(stderr, "ftsim run: --plot %s: path too long\n", o->plot);
        return CLI_USAGE;
    }
    if (plot_mkdir(o->plot, &err) != 0) {
        fprintf(stderr, "ftsim run: --plot: %s\n", err.msg);
        return CLI_INTERNAL;
    }
    static const char *const ext[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[PLOT_PATH_MAX + 8];
        snprintf(p, sizeof p, "%s%s", path, ext[i]);
        remove(p);
    }
    o->db = path;
    return CLI_OK;
}

/* After the runs: every figure of DIR/SCENARIO.db into DIR, one line per image. */
static int draw_plots(const struct run_opts *o) {
    struct plot_options po = {.db = o->db, .out_dir = o->plot, .format = PLOT_PNG, .notes = NULL};
    struct plot_report *rep = malloc(sizeof *rep);
    struct ft_error err = {0};
    if (!rep) return CLI_INTERNAL;
    int rc = plot_all(&po, rep, &err);
    if (rc) fprintf(stderr, "ftsim run: --plot: %s\n", err.msg);
    for (uint32_t i = 0; !rc && i < rep->written; i++)
        fprintf(o->json ? stderr : stdout, "figure: %s/%s.png\n", o->plot, rep->names[i]);
    free(rep);
    return rc == 0 ? CLI_OK : rc == FT_EINVAL || rc == FT_EDB ? CLI_USAGE : CLI_INTERNAL;
}

int cli_run(int argc, char **argv) {
    struct run_opts o = {0};
    const char *file = NULL;
    int rc = parse_opts(argc, argv, &o, &file);
    if (rc) return rc < 0 ? CLI_OK : rc;
    char found[CLI_DIR_MAX + 256];
    file = cli_scenario_path(file, found, sizeof found); /* `ftsim run lost-ack` */
    struct scenario *scn = malloc(sizeof *scn);
    if (!scn) return CLI_INTERNAL;
    struct ft_error err = {0};
    rc = scn_load(file, scn, &err);
    if (rc) {
        free(scn);
        return cli_print_load_error("run", rc, &err);
    }
    char plot_path[PLOT_PATH_MAX];
    if ((rc = plot_db(&o, scn, plot_path, sizeof plot_path)) != CLI_OK) {
        free(scn);
        return rc;
    }
    uint64_t seed = o.has_seed ? o.seed : scn->seed;
    if ((rc = check_kind(&o, scn)) != CLI_OK || scn->kind == SCN_KIND_BYZANTINE) {
        struct res_db *bdb = NULL;
        int dr = rc == CLI_OK && o.db ? res_open(o.db, &bdb, &err) : 0;
        if (dr != 0) {
            fprintf(stderr, "ftsim run: %s\n", err.msg);
            rc = cli_db_exit(dr);
        }
        if (rc == CLI_OK)
            rc = cli_byz_run(scn, seed, o.algs, o.nalgs, o.json, o.trace, &o.filter, bdb);
        res_close(bdb);
        if (o.plot && (rc == CLI_OK || rc == CLI_VIOLATED)) {
            int prc = draw_plots(&o);
            rc = prc != CLI_OK ? prc : rc;
        }
        free(scn);
        return rc;
    }
    if ((rc = resolve_nodes(&o, scn)) != CLI_OK) {
        free(scn);
        return rc;
    }
    if (!o.nprotocols) {
        o.nprotocols = scn->nprotocols;
        memcpy(o.protocols, scn->protocols, sizeof o.protocols);
    }
    struct res_db *db = NULL;
    if (o.db && (rc = res_open(o.db, &db, &err)) != 0) {
        fprintf(stderr, "ftsim run: %s\n", err.msg);
        free(scn);
        return cli_db_exit(rc);
    }
    if (o.json) {
        printf("{\"scenario\":");
        json_str(scn->name);
        printf(",\"seed\":%llu,\"runs\":[", (unsigned long long)seed);
    } else if (!o.trace) {
        printf("scenario %s, seed %llu: %s\n\n", scn->name, (unsigned long long)seed, scn->about);
        print_table_header();
    }
    int exit_code = CLI_OK;
    struct exp_stats stats = {0};
    struct trace_printer tp = {.scn = scn, .keep = o.trace && db, .filter = &o.filter};
    struct exp_windows win[DLV_COUNT] = {{0}};
    struct exp_lambda lam[DLV_COUNT] = {{0}};
    struct exp_model_rows model[DLV_COUNT] = {{0}};
    struct exp_outcome outs[DLV_COUNT];
    uint32_t ran = 0;
    for (uint32_t i = 0; i < o.nprotocols && exit_code == CLI_OK; i++) {
        exit_code = run_one(&o, scn, db, file, seed, o.protocols[i], i == 0, &tp, &stats,
                            &outs[i], &win[i], &lam[i], &model[i]);
        if (exit_code == CLI_OK) ran = i + 1;
    }
    for (uint32_t i = 0; !o.json && scn->pipe.query.enabled && i < ran; i++) {
        const char *same =
            i && same_rows(&win[i - 1], &win[i]) ? dlv_name(o.protocols[i - 1]) : NULL;
        print_window_table(scn, dlv_name(o.protocols[i]), &outs[i], &win[i], same);
    }
    for (uint32_t i = 0; i < DLV_COUNT; i++) {
        exp_windows_free(&win[i]);
        exp_lambda_free(&lam[i]);
        exp_model_rows_free(&model[i]);
    }
    exp_stats_free(&stats);
    free(tp.events);
    if (o.json) printf("]}\n");
    res_close(db);
    if (o.plot && exit_code == CLI_OK) exit_code = draw_plots(&o);
    free(scn);
    return exit_code;
}
