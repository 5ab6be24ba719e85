/* The kernel example: a client sends requests to three replicas over a lossy network,
 * retrying on timeout; one replica crashes mid-run and restarts. It exercises every
 * kernel feature a protocol uses, and its trace hash is pinned in a test. */
#ifndef FTSIM_EXAMPLE_H
#define FTSIM_EXAMPLE_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"

struct example_result {
    uint64_t requests, acked, retries, events;
    uint64_t replica_durable[3];  /* requests each replica applied, kept across the crash */
    uint64_t replica_volatile[3]; /* requests seen since the replica's last (re)start */
    struct net_stats net;
    uint64_t end_ns;
    char trace_hash[SIM_HASH_HEX_BYTES];
};

/* Runs the example under `seed`; when `log` is not NULL every trace event is printed
 * there, one line each. Returns 0 or a negative FT_E* with err filled. */
int example_run(uint64_t seed, FILE *log, struct example_result *out, struct ft_error *err);

#endif
