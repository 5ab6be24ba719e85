/* CSV replay input (DESIGN.md §5): a user's table of events, header
 * `event_time,key,value` (any column order) plus an optional `arrival_time` column.
 * Times are clock times HH:MM[:SS[.fff]] (ns since midnight), ISO 8601 timestamps
 * (ns since midnight UTC of the first ISO date in the file) or seconds (integer or
 * decimal). Rows come out sorted by (arrival, line); keys get ids in order of first
 * appearance. Every malformed row is an error naming file:line:col. Optional feature
 * columns x1..xd (d <= CSV_DIM_MAX, all of x1 to xd) and `label` hold decimal numbers:
 * a feature vector and its label per row (streaming ML). */
#ifndef FTSIM_CSV_H
#define FTSIM_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CSV_BYTES_MAX (64u << 20) /* file size */
#define CSV_ROWS_MAX 2000000u     /* data rows */
#define CSV_KEYS_MAX 100000u      /* distinct keys (PIPE_KEYS_MAX) */
#define CSV_KEY_BYTES_MAX 64u     /* a key, including the terminating NUL */
#define CSV_DAYS_MAX 100u         /* times are below CSV_DAYS_MAX days */
#define CSV_TIME_MAX ((uint64_t)CSV_DAYS_MAX * 86400ull * 1000000000ull)
#define CSV_VALUE_MAX 1000000000000000ll /* |value| <= 10^15 */
#define CSV_DIM_MAX 16u                  /* feature columns x1..x16 */

struct csv_row {
    uint64_t event_ns, arrival_ns;
    int64_t value;
    uint32_t key;
    uint32_t line; /* 1-based line in the file */
    uint32_t feat; /* with features: its row in csv_data.feat */
};

struct csv_data {
    struct csv_row *rows; /* sorted by (arrival_ns, line) */
    size_t n;
    char (*keys)[CSV_KEY_BYTES_MAX]; /* names by id */
    uint32_t nkeys;
    bool has_arrival;
    uint64_t last_arrival_ns;
    uint32_t last_arrival_line;
    /* feature columns: dim values x1..xd, then the label (0 without one) per row */
    uint32_t dim;
    bool has_label;
    double *feat; /* (dim + 1) doubles per row, rows in file order */
    size_t nfeat, cap_feat;
};

/* Parses text (len bytes); `name` is the file name in messages. 0, FT_EPARSE with
 * file:line:col, or FT_ENOMEM. */
int csv_parse(const char *name, const char *text, size_t len, struct csv_data *out,
              struct ft_error *err);
/* Reads and parses path. FT_EIO when it cannot be read. */
int csv_load(const char *path, struct csv_data *out, struct ft_error *err);
void csv_free(struct csv_data *d);
/* The id of key `name`, or -1. */
int64_t csv_key_id(const struct csv_data *d, const char *name);

/* One time value of n bytes. *iso_day is the day (since 1970-01-01) ISO timestamps count
 * from: INT64_MIN = not set yet (the first ISO value sets it); NULL rejects ISO. Returns
 * 0 or -1 with *why a short reason ("minute 61 is out of range", ...). */
int csv_parse_time(const char *s, size_t n, int64_t *iso_day, uint64_t *out_ns, const char **why);

#endif
