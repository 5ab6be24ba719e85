/* An explanation in full (explain.h): the text `ftsim explain` prints (each group's
 * line, its records' stories with their chains as trace lines, the window rows) and
 * the same as one JSON object, every chain event with its time, nodes, message id and
 * role. The words come from explain_text.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"

/* ---- the full text ---- */

static void chain_user(FILE *f, const struct explain_result *r, const struct explain_event *e) {
    char a[PIPE_NAME_MAX];
    unsigned long long k = (unsigned long long)e->a;
    switch (e->kind) {
    case PIPE_TR_VISIBLE:
        fprintf(f, " visible r%llu (partition %llu)", k, (unsigned long long)e->b);
        return;
    case PIPE_TR_REBALANCE:
        fprintf(f, " partition %llu -> %s (generation %llu)", k,
                (uint32_t)e->b == PIPE_NO_OWNER ? "no owner"
                                                : ex_bare(r, (uint32_t)e->b, a, sizeof a),
                (unsigned long long)(e->b >> 32));
        return;
    case PIPE_TR_FENCED:
        fprintf(f, " fenced partition %llu", k);
        return;
    case PIPE_TR_CKPT_ROLLBACK:
        fprintf(f, " rollback to checkpoint %llu (epoch %llu)", k, (unsigned long long)e->b);
        return;
    default:
        fprintf(f, " checkpoint %llu (epoch %llu)", k, (unsigned long long)e->b);
        return;
    }
}

/* One chain event as a trace line, with its role when it is not the record's path. */
static void chain_line(FILE *f, const struct explain_result *r, const struct explain_event *e) {
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], t[40], rec[24] = "";
    fprintf(f, "    %12.6f s  %-14s %-9s", (double)e->t_ns / 1e9, explain_event_name(e),
            ex_bare(r, e->node, a, sizeof a));
    if (e->rec != UINT64_MAX) snprintf(rec, sizeof rec, "r%llu", (unsigned long long)e->rec);
    switch (e->type) {
    case SIM_TR_SEND:
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
    case SIM_TR_DUP:
        fprintf(f, " %s %-9s %-11s %-7s msg %llu", e->type == SIM_TR_DELIVER ? "<-" : "->",
                ex_bare(r, e->peer, b, sizeof b), pipe_msg_name((int)e->kind),
                pipe_msg_has_record((int)e->kind) ? rec : "", (unsigned long long)e->msg);
        if (e->type == SIM_TR_DROP) fprintf(f, " (%s)", sim_drop_reason_name(e->reason));
        break;
    case SIM_TR_USER:
        chain_user(f, r, e);
        break;
    case SIM_TR_TIMER:
        if (e->a) fprintf(f, " %s after the send it repeats", ex_when(e->a, t, sizeof t));
        break;
    case SIM_TR_FAULT:
        fprintf(f, " at step %s, %s %llu", pipe_step_name(e->kind) ? pipe_step_name(e->kind) : "?",
                e->rec != UINT64_MAX ? "record" : "checkpoint", (unsigned long long)e->b);
        break;
    default:
        break;
    }
    if (e->role != EXPLAIN_PATH) fprintf(f, "  [%s]", ex_role_name(e->role));
    fputc('\n', f);
}

static void write_record(FILE *f, const struct explain_result *r, const struct explain_record *x) {
    fputs("  ", f);
    explain_write_story(f, r, x);
    fputc('\n', f);
    for (uint32_t i = 0; i < x->n; i++)
        chain_line(f, r, &x->chain[i]);
    if (x->truncated)
        fprintf(f, "    (more events than %u: some of its own messages are left out)\n",
                EXPLAIN_CHAIN_MAX);
}

#define EXPLAIN_TEXT_IDS 30u
#define EXPLAIN_TEXT_ROWS 20u

static void write_group_records(FILE *f, const struct explain_result *r, size_t g, bool all) {
    const struct explain_group *G = &r->groups[g];
    uint64_t shown = 0;
    for (size_t i = 0; i < r->nrecs; i++) {
        if (r->recs[i].group != g || (!all && shown >= EXPLAIN_TEXT_CHAINS)) continue;
        write_record(f, r, &r->recs[i]);
        shown++;
    }
    if (G->nrec <= shown) return;
    fprintf(f, "  the other %llu:", (unsigned long long)(G->nrec - shown));
    for (uint64_t k = shown; k < G->nrec && k < shown + EXPLAIN_TEXT_IDS; k++)
        fprintf(f, " r%llu", (unsigned long long)G->recs[k]);
    fprintf(f, "%s\n", G->nrec > shown + EXPLAIN_TEXT_IDS ? " ..." : "");
}

void explain_write_text(FILE *f, const struct explain_result *r, bool all) {
    const struct exp_outcome *o = &r->outcome;
    fprintf(f, "%s, seed %llu: %llu records sent, %llu delivered, %llu lost, %llu duplicated",
            dlv_name(r->protocol), (unsigned long long)r->seed, (unsigned long long)o->sent,
            (unsigned long long)o->delivered, (unsigned long long)o->lost,
            (unsigned long long)o->duplicated);
    if (o->windows_enabled)
        fprintf(f, ", window table %s",
                o->windows_match_reference ? "as the reference" : "DIFFERS");
    fputs("\n\n", f);
    if (r->has_record) {
        for (size_t i = 0; i < r->nrecs; i++)
            write_record(f, r, &r->recs[i]);
        return;
    }
    if (!r->ngroups && !r->rows_differ) explain_write_summary(f, r, "", 1);
    for (size_t g = 0; g < r->ngroups; g++) {
        if (r->groups[g].nrec > 1 || r->groups[g].example == EXPLAIN_NONE) {
            ex_write_group(f, r, &r->groups[g]);
            fputc('\n', f);
        }
        write_group_records(f, r, g, all);
        fputc('\n', f);
    }
    if (r->nrecs < r->nexplained)
        fprintf(f, "(chains kept for the first %u records; the groups count all %llu)\n\n",
                EXPLAIN_CHAINS_MAX, (unsigned long long)r->nexplained);
    if (!r->rows_differ) return;
    ex_say_rows(f, r);
    fputs(":\n", f);
    for (size_t i = 0; i < r->nrows && (all || i < EXPLAIN_TEXT_ROWS); i++) {
        fputs("  ", f);
        ex_say_row(f, r, &r->rows[i]);
        fputc('\n', f);
    }
    size_t shown = all || r->nrows < EXPLAIN_TEXT_ROWS ? r->nrows : EXPLAIN_TEXT_ROWS;
    if (shown < r->rows_differ)
        fprintf(f, "  ... %llu more rows (--all%s)\n", (unsigned long long)(r->rows_differ - shown),
                r->nrows < r->rows_differ ? " shows the first 1000; --json the same"
                                          : " shows them");
}

/* ---- JSON ---- */

void explain_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A story or a group's line as a JSON string (rendered in memory first). */
static void json_words(FILE *f, const struct explain_result *r, const struct explain_record *x,
                       const struct explain_group *g) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        fputs("null", f);
        return;
    }
    if (x)
        explain_write_story(m, r, x);
    else
        ex_write_group(m, r, g);
    fclose(m);
    explain_json_str(f, buf);
    free(buf);
}

static void json_event(FILE *f, const struct explain_result *r, const struct explain_event *e) {
    char a[PIPE_NAME_MAX];
    fprintf(f,
            "{\"t_ns\":%llu,\"seq\":%llu,\"event\":\"%s\",\"node\":", (unsigned long long)e->t_ns,
            (unsigned long long)e->seq, explain_event_name(e));
    if (e->node == SIM_NODE_NONE)
        fputs("null", f);
    else
        explain_json_str(f, ex_bare(r, e->node, a, sizeof a));
    bool msg = e->type >= SIM_TR_SEND && e->type <= SIM_TR_DUP;
    if (msg) {
        fputs(",\"peer\":", f);
        explain_json_str(f, ex_bare(r, e->peer, a, sizeof a));
        fprintf(f, ",\"kind\":\"%s\",\"msg\":%llu", pipe_msg_name((int)e->kind),
                (unsigned long long)e->msg);
    }
    if (e->rec != UINT64_MAX && (!msg || pipe_msg_has_record((int)e->kind)))
        fprintf(f, ",\"record\":%llu", (unsigned long long)e->rec);
    if (e->type == SIM_TR_DROP) fprintf(f, ",\"reason\":\"%s\"", sim_drop_reason_name(e->reason));
    if (e->type == SIM_TR_TIMER) fprintf(f, ",\"delay_ns\":%llu", (unsigned long long)e->a);
    if (e->type == SIM_TR_USER)
        fprintf(f, ",\"id\":%llu,\"arg\":%llu", (unsigned long long)e->a, (unsigned long long)e->b);
    if (e->type == SIM_TR_FAULT)
        fprintf(f, ",\"step\":\"%s\",\"arg\":%llu",
                pipe_step_name(e->kind) ? pipe_step_name(e->kind) : "?", (unsigned long long)e->b);
    fprintf(f, ",\"role\":\"%s\",\"key\":%s}", ex_role_name(e->role), e->key ? "true" : "false");
}

static void json_group(FILE *f, const struct explain_result *r, const struct explain_group *g) {
    fprintf(f, "{\"verdict\":\"%s\",\"cause\":\"%s\",\"records\":%llu,\"at\":%llu,\"to\":%llu,",
            g->verdict == EXPLAIN_LOST ? "lost" : "duplicated", explain_cause_name(g->by),
            (unsigned long long)g->nrec, (unsigned long long)g->n_at, (unsigned long long)g->n_to);
    fputs("\"event\":", f);
    if (g->event.seq == UINT64_MAX)
        fputs("null", f);
    else
        json_event(f, r, &g->event);
    fputs(",\"end\":", f);
    if (g->has_end)
        json_event(f, r, &g->end);
    else
        fputs("null", f);
    if (g->fault >= 0)
        fprintf(f, ",\"fault\":%d", g->fault);
    else
        fputs(",\"fault\":null", f);
    fputs(",\"ids\":[", f);
    for (uint64_t k = 0; k < g->nrec; k++)
        fprintf(f, "%s%llu", k ? "," : "", (unsigned long long)g->recs[k]);
    fputs("],\"summary\":", f);
    json_words(f, r, NULL, g);
    fputc('}', f);
}

static void json_record(FILE *f, const struct explain_result *r, const struct explain_record *x) {
    static const char *const verdicts[] = {"lost", "duplicated", "once"};
    fprintf(f, "{\"record\":%llu,\"verdict\":\"%s\",\"copies\":%u,\"partition\":%u,\"group\":",
            (unsigned long long)x->rec, verdicts[x->verdict], x->copies, x->partition);
    if (x->group == EXPLAIN_NONE)
        fputs("null", f);
    else
        fprintf(f, "%u", x->group);
    fputs(",\"cause\":", f);
    if (x->cause == EXPLAIN_NONE)
        fputs("null", f);
    else
        fprintf(f, "%u", x->cause);
    fprintf(f, ",\"truncated\":%s,\"story\":", x->truncated ? "true" : "false");
    json_words(f, r, x, NULL);
    fputs(",\"chain\":[", f);
    for (uint32_t i = 0; i < x->n; i++) {
        if (i) fputc(',', f);
        json_event(f, r, &x->chain[i]);
    }
    fputs("]}", f);
}

static void json_rows(FILE *f, const struct explain_result *r) {
    fprintf(f, ",\"rows_differ\":%llu,\"rows\":[", (unsigned long long)r->rows_differ);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct explain_row *w = &r->rows[i];
        fprintf(f, "%s{\"window_start_ns\":%lld,\"window_end_ns\":%lld,\"key\":", i ? "," : "",
                (long long)w->start_ns, (long long)w->end_ns);
        explain_json_str(f, w->key);
        if (isnan(w->value))
            fputs(",\"value\":null", f);
        else
            fprintf(f, ",\"value\":%.17g", w->value);
        fprintf(f,
                ",\"reference\":%.17g,\"records\":%llu,\"twice\":%llu,\"never\":%llu,"
                "\"late\":%llu",
                w->reference, (unsigned long long)w->records, (unsigned long long)w->twice,
                (unsigned long long)w->never, (unsigned long long)w->late);
        fputs(",\"crash\":", f);
        if (w->has_crash)
            json_event(f, r, &w->crash);
        else
            fputs("null", f);
        fprintf(f, ",\"before_crash\":%llu}", (unsigned long long)w->before_crash);
    }
    fputc(']', f);
}

void explain_write_json(FILE *f, const struct explain_result *r) {
    const struct exp_outcome *o = &r->outcome;
    fprintf(f,
            "{\"protocol\":\"%s\",\"seed\":%llu,\"sent\":%llu,\"delivered\":%llu,\"lost\":%llu,"
            "\"duplicated\":%llu,\"matches_reference\":%s,\"end_ns\":%llu,\"explained\":%llu,",
            dlv_name(r->protocol), (unsigned long long)r->seed, (unsigned long long)o->sent,
            (unsigned long long)o->delivered, (unsigned long long)o->lost,
            (unsigned long long)o->duplicated, o->matches_reference ? "true" : "false",
            (unsigned long long)o->end_ns, (unsigned long long)r->nexplained);
    fputs("\"groups\":[", f);
    for (size_t g = 0; g < r->ngroups; g++) {
        if (g) fputc(',', f);
        json_group(f, r, &r->groups[g]);
    }
    fputs("],\"records\":[", f);
    for (size_t i = 0; i < r->nrecs; i++) {
        if (i) fputc(',', f);
        json_record(f, r, &r->recs[i]);
    }
    fputc(']', f);
    if (o->windows_enabled) json_rows(f, r);
    fputs("}\n", f);
}
