/* Fuzz harness: the scenario loader (YAML text -> struct scenario). Any input loads or
 * is refused with FT_EPARSE, a message and file:line:col; nothing else. */
#include <stdlib.h>

#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct scenario *scn = fuzz_scenario_buf(sizeof *scn);
    struct ft_error err = {0};
    int rc = scn_parse("fuzz.yaml", (const char *)data, size, scn, &err);
    FT_ASSERT(rc == 0 || rc == FT_EPARSE);
    FT_ASSERT(rc == 0 || (err.msg[0] && err.line >= 1 && err.col >= 1) ||
              (err.msg[0] && err.file[0])); /* a CSV it names: the CSV's own error */
    return 0;
}
