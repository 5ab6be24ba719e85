/* Trace filters (trace_filter.h): option parsing with the scenario's value parsers
 * (cli_parse_u64, scn_parse_duration), the --node names resolved against the run's
 * nodes, and the window and node test every printed event passes. */
#include "trace_filter.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scn_internal.h"
#include "sim.h"

static int bad(const char *cmd, const char *what, const char *got) {
    fprintf(stderr, "ftsim %s: %s, got '%s'\n", cmd, what, got);
    return CLI_USAGE;
}

int cli_filter_opt(const char *cmd, int opt, const char *arg, struct cli_trace_filter *f) {
    unsigned long long record;
    uint64_t ns;
    switch (opt) {
    case CLI_OPT_RECORD:
        if (cli_parse_u64(arg, &record) != 0)
            return bad(cmd, "--record expects a record id (a non-negative integer)", arg);
        f->record = record;
        f->has_record = true;
        return CLI_OK;
    case CLI_OPT_FROM:
    case CLI_OPT_TO:
        if (scn_parse_duration(arg, &ns) != 0)
            return bad(cmd,
                       opt == CLI_OPT_FROM ? "--from expects a duration such as 2.5s or 2500ms"
                                           : "--to expects a duration such as 2.5s or 2500ms",
                       arg);
        if (opt == CLI_OPT_FROM)
            f->from_ns = ns, f->has_from = true;
        else
            f->to_ns = ns, f->has_to = true;
        return CLI_OK;
    case CLI_OPT_EVENTS:
        for (const char *p = arg; *p;) {
            static const char *const kinds[] = {"group", "checkpoint", "faults"};
            size_t len = strcspn(p, ",");
            int k = 0;
            while (k < 3 && !(strlen(kinds[k]) == len && strncmp(p, kinds[k], len) == 0))
                k++;
            if (k == 3) return bad(cmd, "--events expects group, checkpoint or faults", arg);
            f->events |= 1u << k;
            p += len + (p[len] == ',');
        }
        return CLI_OK;
    case CLI_OPT_NODE:
        if (f->nnodes == CLI_FILTER_NODES_MAX) {
            fprintf(stderr, "ftsim %s: at most %u --node options\n", cmd, CLI_FILTER_NODES_MAX);
            return CLI_USAGE;
        }
        f->names[f->nnodes++] = arg;
        return CLI_OK;
    default:
        return CLI_INTERNAL;
    }
}

int cli_filter_check(const char *cmd, const struct cli_trace_filter *f) {
    if (f->has_from != f->has_to) {
        fprintf(stderr, "ftsim %s: give both --from and --to, or neither\n", cmd);
        return CLI_USAGE;
    }
    if (f->has_from && f->from_ns > f->to_ns) {
        fprintf(stderr, "ftsim %s: --from must not be after --to\n", cmd);
        return CLI_USAGE;
    }
    return CLI_OK;
}

bool cli_filter_any(const struct cli_trace_filter *f) {
    return f->has_record || f->has_from || f->has_to || f->nnodes || f->events;
}

int cli_filter_nodes(const char *cmd, const char *file, struct cli_trace_filter *f,
                     const char *const *names, uint32_t n) {
    for (uint32_t k = 0; k < f->nnodes; k++) {
        uint32_t i = 0;
        while (i < n && strcmp(names[i], f->names[k]) != 0)
            i++;
        if (i < n) {
            f->nodes[k] = i;
            continue;
        }
        fprintf(stderr, "ftsim %s: --node: %s has no node '%s'; its nodes are", cmd, file,
                f->names[k]);
        for (i = 0; i < n; i++)
            fprintf(stderr, "%s %s", i ? "," : "", names[i]);
        fputc('\n', stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

static bool one_of(const struct cli_trace_filter *f, uint32_t node) {
    for (uint32_t k = 0; k < f->nnodes; k++)
        if (f->nodes[k] == node) return true;
    return false;
}

bool cli_filter_keeps(const struct cli_trace_filter *f, uint64_t t_ns, uint32_t node,
                      uint32_t peer) {
    if (f->has_from && (t_ns < f->from_ns || t_ns > f->to_ns)) return false;
    if (!f->nnodes || (node == SIM_NODE_NONE && peer == SIM_NODE_NONE)) return true;
    return one_of(f, node) || (peer != SIM_NODE_NONE && one_of(f, peer));
}
