/* Fuzz harness: `ftsim sweep --set` values. Each input line is one --set argument
 * ("PATH=V1,V2,..."); the plan must accept or refuse it with a message, and every
 * combination is then applied to a small scenario exactly as `ftsim sweep` applies it,
 * where it loads or is refused with FT_EPARSE and a message. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scenario.h"
#include "sweep.h"

static const char base[] = "name: fuzz\n"
                           "about: a scenario for --set\n"
                           "duration: 2s\n"
                           "protocols: [at-least-once, exactly-once]\n"
                           "network: { loss: 0.01 }\n"
                           "source: { kind: keyed, keys: 4, rate: 100 }\n"
                           "faults:\n"
                           "  - { drop: ack, from: worker-1, nth: 3 }\n"
                           "expect:\n"
                           "  at-least-once: { lost: 0 }\n";

#define FUZZ_SET_ARGS_MAX 8u
#define FUZZ_COMBOS_MAX 16u

static void try_combos(const struct sweep_plan *p, struct scenario *scn) {
    for (uint64_t c = 0; c < p->ncombos && c < FUZZ_COMBOS_MAX; c++) {
        struct scn_override ov[SWEEP_KEYS_MAX];
        for (uint32_t k = 0; k < p->nkeys; k++)
            ov[k] = (struct scn_override){p->keys[k].path, sweep_value(p, c, k)};
        struct ft_error err = {0};
        int rc = scn_parse_with("fuzz.yaml", base, sizeof base - 1, ov, p->nkeys, scn, &err);
        FT_ASSERT(rc == 0 || (rc == FT_EPARSE && err.msg[0]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct scenario *scn = fuzz_scenario_buf(sizeof *scn);
    char *text = fuzz_text(data, size);
    struct sweep_plan p = {
        .protocols = {DLV_AT_LEAST_ONCE}, .nprotocols = 1, .seed_first = 1, .seed_last = 1};
    int rc = 0;
    char *line = text, *next;
    for (uint32_t n = 0; line && n < FUZZ_SET_ARGS_MAX && !rc; n++, line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        struct ft_error err = {0};
        rc = sweep_plan_add_set(&p, line, &err);
        FT_ASSERT(rc == 0 || (err.msg[0] && (rc == FT_EPARSE || rc == FT_ELIMIT)));
    }
    struct ft_error err = {0};
    if (!rc && sweep_plan_finish(&p, &err) == 0) try_combos(&p, scn);
    sweep_plan_free(&p);
    free(text);
    return 0;
}
