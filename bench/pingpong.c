/* Ping-pong through the network model, the classic simulator throughput test.
 *
 *   pingpong PAIRS MESSAGES
 *
 * PAIRS pairs of nodes; each pinger sends a 64-byte ping and waits for the pong before
 * sending the next; links have a fixed 1 ms latency, no jitter, no loss. The run ends
 * after MESSAGES messages in all (pings + pongs). Prints the wall-clock rate, the
 * simulated time and the trace hash (the same for every build and machine). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sim.h"

#define MSG_BYTES 64u
enum { KIND_PING = 1, KIND_PONG = 2 };

struct pp {
    uint64_t sent, limit;
};

/* Sends one message of `kind` to the partner (node ids 2i and 2i+1 form pair i),
 * unless the budget is spent. The payload carries the running message count. */
static void send_one(struct sim *s, uint32_t me, struct pp *p, uint32_t kind) {
    if (p->sent >= p->limit) return;
    uint8_t buf[MSG_BYTES] = {0};
    uint64_t n = p->sent++;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(n >> (8 * i));
    if (sim_send(s, me, me ^ 1u, kind, buf, sizeof buf) < 0) {
        fprintf(stderr, "pingpong: send failed: %s\n", sim_error(s)->msg);
        exit(1);
    }
}

static void pinger_start(struct sim *s, uint32_t me, void *ctx) {
    send_one(s, me, ctx, KIND_PING);
}

static void on_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    send_one(s, me, ctx, m->kind == KIND_PING ? KIND_PONG : KIND_PING);
}

static int parse_u64(const char *str, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(str, &end, 10);
    if (errno || end == str || *end || *str == '-') return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    uint64_t pairs, messages;
    if (argc != 3 || parse_u64(argv[1], &pairs) || parse_u64(argv[2], &messages) || pairs == 0 ||
        pairs > SIM_NODES_MAX / 2 || messages == 0) {
        fprintf(stderr, "usage: pingpong PAIRS MESSAGES   (1 <= PAIRS <= %u)\n", SIM_NODES_MAX / 2);
        return 2;
    }
    struct sim_config cfg = {.seed = 1};
    struct sim *s = sim_new(&cfg);
    if (!s) {
        fprintf(stderr, "pingpong: out of memory\n");
        return 1;
    }
    struct net_link_cfg link = {.latency_ns = SIM_NS_PER_MS};
    struct pp p = {.limit = messages};
    struct sim_node_ops pinger = {.on_start = pinger_start, .on_message = on_msg};
    struct sim_node_ops ponger = {.on_message = on_msg};
    int rc = net_set_default(s, &link);
    for (uint64_t i = 0; i < pairs && rc >= 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "ping-%llu", (unsigned long long)i);
        rc = sim_node_add(s, name, &pinger, &p, 0, 0);
        snprintf(name, sizeof name, "pong-%llu", (unsigned long long)i);
        if (rc >= 0) rc = sim_node_add(s, name, &ponger, &p, 0, 0);
    }
    double t0 = bench_seconds(CLOCK_MONOTONIC);
    if (rc >= 0) rc = sim_run_until(s, SIM_TIME_MAX);
    double dt = bench_seconds(CLOCK_MONOTONIC) - t0;
    if (rc < 0) {
        fprintf(stderr, "pingpong: %s\n", sim_error(s)->msg);
        sim_free(s);
        return 1;
    }
    char hex[SIM_HASH_HEX_BYTES];
    sim_trace_hash_hex(s, hex);
    printf("pingpong.messages_per_s %.0f msgs/s\n", (double)p.sent / dt);
    printf("pingpong.simulated_s %.3f s\n", (double)sim_now(s) / (double)SIM_NS_PER_S);
    printf("pingpong.trace_hash %s hash\n", hex);
    sim_free(s);
    return 0;
}
