/* Fuzz harness: seed ranges, as `ftsim sweep --seeds` parses them (then the plan counts
 * its runs) and as a scenario's `seeds:` key does. The first line is the --seeds text,
 * the second the value of seeds: (the first again when there is none). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz.h"
#include "scenario.h"
#include "sweep.h"

static const char base[] = "name: fuzz\n"
                           "about: a scenario for seeds\n"
                           "duration: 1s\n"
                           "protocols: [at-least-once]\n";

static void sweep_seeds(const char *s) {
    uint64_t a, b;
    if (cli_parse_seeds(s, &a, &b) != 0) return;
    struct sweep_plan p = {
        .protocols = {DLV_AT_LEAST_ONCE}, .nprotocols = 1, .seed_first = a, .seed_last = b};
    struct ft_error err = {0};
    int rc = sweep_plan_finish(&p, &err);
    FT_ASSERT(rc == 0 || err.msg[0]);
    FT_ASSERT(rc != 0 || (p.nseeds == b - a + 1 && p.nruns >= 1 && p.nruns <= SWEEP_RUNS_MAX));
    sweep_plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct scenario *scn = fuzz_scenario_buf(sizeof *scn);
    char *text = fuzz_text(data, size);
    char *second = strchr(text, '\n');
    if (second) *second++ = '\0';
    sweep_seeds(text);
    struct scn_override ov = {"seeds", second ? second : text};
    struct ft_error err = {0};
    int rc = scn_parse_with("fuzz.yaml", base, sizeof base - 1, &ov, 1, scn, &err);
    FT_ASSERT(rc == 0 || (rc == FT_EPARSE && err.msg[0]));
    FT_ASSERT(rc != 0 || (scn->seed_first <= scn->seed_last &&
                          scn->seed_last - scn->seed_first < SCN_SEEDS_MAX));
    free(text);
    return 0;
}
