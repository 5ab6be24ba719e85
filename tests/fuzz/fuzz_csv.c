/* Fuzz harness: the CSV replay parser. Any input parses (rows sorted by arrival, times
 * below CSV_TIME_MAX, values within +-CSV_VALUE_MAX, keys valid) or is refused with
 * FT_EPARSE and file:line:col. */
#include "csv.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct csv_data d;
    struct ft_error err = {0};
    int rc = csv_parse("fuzz.csv", (const char *)data, size, &d, &err);
    FT_ASSERT(rc == 0 || rc == FT_EPARSE);
    if (rc) {
        FT_ASSERT(err.msg[0] && err.line >= 1 && err.col >= 1);
        return 0;
    }
    for (size_t i = 0; i < d.n; i++) {
        const struct csv_row *r = &d.rows[i];
        FT_ASSERT(r->event_ns < CSV_TIME_MAX && r->arrival_ns < CSV_TIME_MAX);
        FT_ASSERT(r->value <= CSV_VALUE_MAX && r->value >= -CSV_VALUE_MAX);
        FT_ASSERT(r->key < d.nkeys);
        FT_ASSERT(i == 0 || d.rows[i - 1].arrival_ns <= r->arrival_ns);
    }
    csv_free(&d);
    return 0;
}
