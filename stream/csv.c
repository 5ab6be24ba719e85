/* The CSV replay parser: one pass over the bytes, fields split on commas (double-quoted
 * fields may hold commas; "" is a quote), blank lines and lines starting with '#'
 * skipped, LF, CRLF or CR line ends; a quoted field ends on its line. Integer arithmetic
 * only (ISO days range-checked before they are scaled); every bound checked; the first
 * malformed field stops the parse with file:line:col and what was expected. */
#include "csv.h"
#include "fileio.h"
#include "grow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull
#define COLS_MAX (4 + CSV_DIM_MAX + 1)

enum { C_EVENT, C_KEY, C_VALUE, C_ARRIVAL, C_N };
enum { C_X1 = C_N, C_LABEL = C_X1 + CSV_DIM_MAX }; /* feature columns (features_of) */
static const char *const col_names[C_N] = {"event_time", "key", "value", "arrival_time"};

/* ---- times ---- */

static bool digits(const char *s, size_t n) {
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static uint64_t num(const char *s, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

/* ".fffffffff" (1 to 9 digits) at s, or nothing; ns into *ns. Returns bytes used or -1. */
static int fraction(const char *s, size_t n, uint64_t *ns) {
    *ns = 0;
    if (!n || s[0] != '.') return 0;
    size_t d = 1;
    while (d < n && s[d] >= '0' && s[d] <= '9')
        d++;
    if (d == 1 || d - 1 > 9) return -1;
    uint64_t v = num(s + 1, d - 1);
    for (size_t i = d - 1; i < 9; i++)
        v *= 10;
    *ns = v;
    return (int)d;
}

/* HH:MM[:SS[.f]] at s (n bytes): ns since midnight. Returns bytes used or -1. */
static int clock_time(const char *s, size_t n, uint64_t *out, const char **why) {
    size_t h = 0;
    while (h < n && h < 3 && s[h] >= '0' && s[h] <= '9')
        h++;
    if (h < 1 || h > 2 || h + 3 > n || s[h] != ':' || !digits(s + h + 1, 2)) return -1;
    uint64_t hh = num(s, h), mm = num(s + h + 1, 2), ss = 0, frac = 0;
    size_t used = h + 3;
    if (used < n && s[used] == ':') {
        if (used + 3 > n || !digits(s + used + 1, 2)) return -1;
        ss = num(s + used + 1, 2);
        used += 3;
        int f = fraction(s + used, n - used, &frac);
        if (f < 0) return -1;
        used += (size_t)f;
    }
    if (hh > 23) return *why = "the hour must be 0 to 23", -2;
    if (mm > 59) return *why = "the minute must be 0 to 59", -2;
    if (ss > 59) return *why = "the second must be 0 to 59", -2;
    *out = ((hh * 60 + mm) * 60 + ss) * NS_PER_S + frac;
    return (int)used;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool leap(uint64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DDTHH:MM[:SS[.f]][Z|+HH:MM|-HH:MM] */
static int iso_time(const char *s, size_t n, int64_t *iso_day, uint64_t *out, const char **why) {
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 16 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || s[10] != 'T')
        return -1;
    uint64_t y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2), tod;
    if (mo < 1 || mo > 12) return *why = "the month must be 1 to 12", -2;
    if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return *why = "the day does not exist in that month", -2;
    int used = clock_time(s + 11, n - 11, &tod, why);
    if (used < 0) return used == -1 ? -1 : -2;
    size_t i = 11 + (size_t)used;
    int64_t off_ns = 0;
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        if (i + 6 > n || !digits(s + i + 1, 2) || s[i + 3] != ':' || !digits(s + i + 4, 2))
            return -1;
        uint64_t oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
        if (oh > 23 || om > 59) return *why = "the UTC offset is out of range", -2;
        off_ns = (int64_t)((oh * 60 + om) * 60 * NS_PER_S) * (s[i] == '-' ? -1 : 1);
        i += 6;
    }
    if (i != n) return -1;
    if (!iso_day) return *why = "ISO timestamps are not accepted here", -2;
    int64_t day = days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d);
    if (*iso_day == INT64_MIN) *iso_day = day;
    /* the day range first, so the product below stays far inside int64 */
    if (day - *iso_day > (int64_t)CSV_DAYS_MAX)
        return *why = "times must be below 100 days after midnight (UTC) of the file's first "
                      "ISO date",
               -2;
    if (day - *iso_day < -1)
        return *why = "it is before midnight (UTC) of the file's first ISO date", -2;
    int64_t t = (day - *iso_day) * 86400 * (int64_t)NS_PER_S + (int64_t)tod - off_ns;
    if (t < 0) return *why = "it is before midnight (UTC) of the file's first ISO date", -2;
    *out = (uint64_t)t;
    return 0;
}

/* Seconds: digits[.digits] (at most 9 fraction digits). */
static int seconds(const char *s, size_t n, uint64_t *out, const char **why) {
    size_t d = 0;
    while (d < n && s[d] >= '0' && s[d] <= '9')
        d++;
    if (!d || d > 12) return d > 12 ? (*why = "the number of seconds is too large", -2) : -1;
    uint64_t frac = 0;
    int f = fraction(s + d, n - d, &frac);
    if (f < 0 || d + (size_t)f != n) return -1;
    *out = num(s, d) * NS_PER_S + frac;
    return 0;
}

int csv_parse_time(const char *s, size_t n, int64_t *iso_day, uint64_t *out_ns, const char **why) {
    *why = "expected a time like 12:04, 12:04:30, 2024-05-01T12:04:00Z or seconds like 724.5";
    uint64_t t = 0;
    int rc = -1;
    if (n >= 11 && s[4] == '-') {
        rc = iso_time(s, n, iso_day, &t, why);
    } else if (memchr(s, ':', n)) {
        int used = clock_time(s, n, &t, why);
        rc = used == (int)n ? 0 : used == -2 ? -2 : -1;
    } else {
        rc = seconds(s, n, &t, why);
    }
    if (rc == 0 && t >= CSV_TIME_MAX) {
        *why = "times must be below 100 days";
        rc = -2;
    }
    if (rc) return -1;
    *out_ns = t;
    return 0;
}

/* ---- rows and fields ---- */

struct parser {
    const char *name, *text;
    size_t len, pos;
    uint32_t line;
    size_t line_start;
    struct ft_error *err;
    struct csv_data *out;
    uint32_t *kidx; /* key hash index: id + 1, 0 = empty */
    size_t kcap;
    size_t cap;
    int64_t iso_day;
};

struct field {
    const char *s;
    size_t n;
    size_t at; /* byte offset of the field's first character */
    char buf[CSV_KEY_BYTES_MAX * 2];
};

static int col_of(const struct parser *p, size_t at) {
    int col = 1;
    for (size_t i = p->line_start; i < at && i < p->len; i++)
        if (((unsigned char)p->text[i] & 0xc0) != 0x80) col++;
    return col;
}

static int fail_at(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct parser *p, size_t at, const char *fmt, ...) {
    char msg[FT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ft_fail_at(p->err, FT_EPARSE, p->name, (int)p->line, col_of(p, at), "%s", msg);
}

static void quote(const char *s, size_t n, char *buf, size_t size) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < size && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    if (n > 40 && o + 4 < size) o += (size_t)snprintf(buf + o, size - o, "...");
    buf[o] = '\0';
}

/* Reads one field at p->pos up to ',' or the end of the line (eol = index of '\n' or
 * len, without a trailing '\r'). Quoted fields unescape into f->buf. */
static int read_field(struct parser *p, size_t eol, struct field *f) {
    size_t i = p->pos;
    while (i < eol && (p->text[i] == ' ' || p->text[i] == '\t'))
        i++;
    f->at = i;
    if (i < eol && p->text[i] == '"') {
        size_t o = 0;
        for (i++;; i++) {
            if (i >= eol)
                return fail_at(p, f->at,
                               eol < p->len ? "a quoted field has no closing '\"' on its line "
                                              "(a quoted field may not hold a line break)"
                                            : "a quoted field has no closing '\"'");
            if (p->text[i] == '"') {
                if (i + 1 < eol && p->text[i + 1] == '"')
                    i++;
                else
                    break;
            }
            if (o + 1 >= sizeof f->buf) return fail_at(p, f->at, "a quoted field is too long");
            f->buf[o++] = p->text[i];
        }
        f->buf[o] = '\0';
        f->s = f->buf;
        f->n = o;
        for (i++; i < eol && (p->text[i] == ' ' || p->text[i] == '\t'); i++) {
        }
        if (i < eol && p->text[i] != ',')
            return fail_at(p, i, "expected ',' after a quoted field, found '%c'", p->text[i]);
    } else {
        size_t end = i;
        while (end < eol && p->text[end] != ',')
            end++;
        size_t j = end;
        while (j > i && (p->text[j - 1] == ' ' || p->text[j - 1] == '\t'))
            j--;
        f->s = p->text + i;
        f->n = j - i;
        i = end;
    }
    p->pos = i < eol ? i + 1 : eol;
    return i < eol ? 1 : 0; /* 1: another field follows */
}

static bool valid_utf8(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80                  ? 1
                     : (c >= 0xc2 && c < 0xe0) ? 2
                     : (c >= 0xe0 && c < 0xf0) ? 3
                     : (c >= 0xf0 && c < 0xf5) ? 4
                                               : 0;
        if (!len || i + len > n) return false;
        if (c < 0x20 || c == 0x7f) return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return false;
        i += len;
    }
    return true;
}

static uint64_t str_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int64_t csv_key_id(const struct csv_data *d, const char *name) {
    for (uint32_t i = 0; i < d->nkeys; i++)
        if (!strcmp(d->keys[i], name)) return i;
    return -1;
}

static int key_rehash(struct parser *p, size_t cap) {
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx) return ft_fail(p->err, FT_ENOMEM, "out of memory reading '%s'", p->name);
    for (uint32_t id = 0; id < p->out->nkeys; id++) {
        size_t i = str_hash(p->out->keys[id]) & (cap - 1);
        while (idx[i])
            i = (i + 1) & (cap - 1);
        idx[i] = id + 1;
    }
    free(p->kidx);
    p->kidx = idx;
    p->kcap = cap;
    return 0;
}

static int key_id(struct parser *p, const struct field *f, uint32_t *id) {
    char k[CSV_KEY_BYTES_MAX], q[200];
    if (!f->n) return fail_at(p, f->at, "expected a key, found an empty field");
    if (f->n >= CSV_KEY_BYTES_MAX)
        return fail_at(p, f->at, "a key has at most %u bytes, found %zu", CSV_KEY_BYTES_MAX - 1,
                       f->n);
    if (!valid_utf8((const unsigned char *)f->s, f->n)) {
        quote(f->s, f->n, q, sizeof q);
        return fail_at(p, f->at, "a key must be printable UTF-8 text, found '%s'", q);
    }
    memcpy(k, f->s, f->n);
    k[f->n] = '\0';
    size_t i = str_hash(k) & (p->kcap - 1);
    for (; p->kidx[i]; i = (i + 1) & (p->kcap - 1))
        if (!strcmp(p->out->keys[p->kidx[i] - 1], k)) {
            *id = p->kidx[i] - 1;
            return 0;
        }
    struct csv_data *d = p->out;
    if (d->nkeys >= CSV_KEYS_MAX)
        return fail_at(p, f->at, "more than %u distinct keys", CSV_KEYS_MAX);
    if ((d->nkeys & (d->nkeys - 1)) == 0) { /* 0, 1, 2, 4, ...: grow the name array */
        void *keys = realloc(d->keys, (d->nkeys ? 2 * (size_t)d->nkeys : 1) * sizeof *d->keys);
        if (!keys) return ft_fail(p->err, FT_ENOMEM, "out of memory reading '%s'", p->name);
        d->keys = keys;
    }
    memcpy(d->keys[d->nkeys], k, f->n + 1);
    p->kidx[i] = d->nkeys + 1;
    *id = d->nkeys++;
    return 2 * (size_t)d->nkeys > p->kcap ? key_rehash(p, p->kcap * 2) : 0;
}

static int value_of(struct parser *p, const struct field *f, int64_t *v) {
    char q[200];
    bool neg = f->n && (f->s[0] == '-' || f->s[0] == '+');
    quote(f->s, f->n, q, sizeof q);
    if (!digits(f->s + neg, f->n - neg))
        return fail_at(p, f->at,
                       "expected an integer value (like 1 or -250; scale decimals, e.g. to "
                       "milli-units), found '%s'",
                       q);
    if (f->n - neg > 16 || num(f->s + neg, f->n - neg) > (uint64_t)CSV_VALUE_MAX)
        return fail_at(p, f->at, "a value must be between -10^15 and 10^15, found '%s'", q);
    int64_t x = (int64_t)num(f->s + neg, f->n - neg);
    *v = f->s[0] == '-' ? -x : x;
    return 0;
}

static int time_of(struct parser *p, const struct field *f, const char *col, uint64_t *t) {
    char q[200];
    const char *why;
    if (csv_parse_time(f->s, f->n, &p->iso_day, t, &why) == 0) return 0;
    quote(f->s, f->n, q, sizeof q);
    return fail_at(p, f->at, "bad %s '%s': %s", col, q, why);
}

/* ---- feature columns: x1..xd and label (streaming ML) ---- */

/* The code of a feature column name (x1..x16 without leading zeros, label), or -1. */
static int feature_column(const struct field *f) {
    if (f->n == 5 && !memcmp(f->s, "label", 5)) return C_LABEL;
    if (f->n < 2 || f->n > 3 || f->s[0] != 'x' || f->s[1] < '1' || f->s[1] > '9' ||
        !digits(f->s + 1, f->n - 1))
        return -1;
    uint64_t i = num(f->s + 1, f->n - 1);
    return i >= 1 && i <= CSV_DIM_MAX ? C_X1 + (int)(i - 1) : -1;
}

/* The feature columns must be x1 to xd without a gap; a label needs features. */
static int feature_header(struct parser *p, const bool *seen) {
    uint32_t d = 0;
    while (d < CSV_DIM_MAX && seen[d])
        d++;
    for (uint32_t i = d; i < CSV_DIM_MAX; i++)
        if (seen[i])
            return fail_at(p, p->line_start,
                           "the header has feature column x%u but not x%u (features are "
                           "x1, x2, ... without a gap)",
                           i + 1, d + 1);
    if (seen[CSV_DIM_MAX] && !d)
        return fail_at(p, p->line_start, "the header has 'label' but no feature columns x1..");
    p->out->dim = d;
    p->out->has_label = seen[CSV_DIM_MAX];
    return 0;
}

/* A finite decimal number (strtod in the C locale: correctly rounded) into fx[i]. */
static int feature_of(struct parser *p, const struct field *f, uint32_t i, double *fx) {
    char buf[64], q[200];
    quote(f->s, f->n, q, sizeof q);
    if (!f->n || f->n >= sizeof buf || !strchr("+-.0123456789", f->s[0]))
        return fail_at(p, f->at, "expected a decimal number (like 0.25 or -3e2), found '%s'", q);
    memcpy(buf, f->s, f->n);
    buf[f->n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || end == buf)
        return fail_at(p, f->at, "expected a decimal number (like 0.25 or -3e2), found '%s'", q);
    if (errno == ERANGE || !(v - v == 0))
        return fail_at(p, f->at, "a number must be finite and within double range, found '%s'", q);
    fx[i] = v;
    return 0;
}

static int add_features(struct parser *p, const double *fx, uint32_t *at) {
    struct csv_data *d = p->out;
    size_t w = (size_t)d->dim + 1;
    if (ft_grow((void **)&d->feat, &d->cap_feat, (d->nfeat + 1) * w, sizeof *d->feat, 256 * w))
        return ft_fail(p->err, FT_ENOMEM, "out of memory reading '%s'", p->name);
    memcpy(d->feat + d->nfeat * w, fx, w * sizeof *fx);
    *at = (uint32_t)d->nfeat++;
    return 0;
}

static int header(struct parser *p, size_t eol, int *cols, int *ncols) {
    bool seen[C_N] = {false}, feat_seen[CSV_DIM_MAX + 1] = {false};
    char q[200];
    struct field f;
    int more = 1;
    for (*ncols = 0; more;) {
        if ((more = read_field(p, eol, &f)) < 0) return more;
        int c = -1;
        for (int i = 0; i < C_N; i++)
            if (f.n == strlen(col_names[i]) && !memcmp(f.s, col_names[i], f.n)) c = i;
        if (c < 0) c = feature_column(&f);
        quote(f.s, f.n, q, sizeof q);
        if (c < 0)
            return fail_at(p, f.at,
                           "unknown column '%s' (the header names event_time, key, value and "
                           "optionally arrival_time, features x1..x%u and label)",
                           q, CSV_DIM_MAX);
        if (c >= C_N ? feat_seen[c - C_N] : seen[c])
            return fail_at(p, f.at, "column '%s' appears twice in the header", q);
        if (c >= C_N)
            feat_seen[c - C_N] = true;
        else
            seen[c] = true;
        cols[(*ncols)++] = c;
    }
    int rc = feature_header(p, feat_seen);
    if (rc) return rc;
    for (int i = 0; i < C_ARRIVAL; i++)
        if (!seen[i])
            return fail_at(p, p->line_start,
                           "the header lacks the column '%s' (expected "
                           "event_time,key,value[,arrival_time])",
                           col_names[i]);
    p->out->has_arrival = seen[C_ARRIVAL];
    return 0;
}

static int add_row(struct parser *p, const struct csv_row *r) {
    struct csv_data *d = p->out;
    if (d->n >= CSV_ROWS_MAX) return fail_at(p, p->line_start, "more than %u rows", CSV_ROWS_MAX);
    if (ft_grow((void **)&d->rows, &p->cap, d->n + 1, sizeof *d->rows, 256))
        return ft_fail(p->err, FT_ENOMEM, "out of memory reading '%s'", p->name);
    d->rows[d->n++] = *r;
    return 0;
}

static int data_row(struct parser *p, size_t eol, const int *cols, int ncols) {
    struct csv_row r = {.line = p->line};
    struct field f;
    int rc, i = 0;
    bool arrival = false;
    double fx[CSV_DIM_MAX + 1] = {0};
    do {
        if ((rc = read_field(p, eol, &f)) < 0) return rc;
        if (i >= ncols)
            return fail_at(p, f.at, "expected %d fields as in the header, found more", ncols);
        int c = cols[i++], e = 0;
        if (c == C_EVENT)
            e = time_of(p, &f, "event_time", &r.event_ns);
        else if (c == C_ARRIVAL)
            e = time_of(p, &f, "arrival_time", &r.arrival_ns), arrival = true;
        else if (c == C_KEY)
            e = key_id(p, &f, &r.key);
        else if (c >= C_N)
            e = feature_of(p, &f, c == C_LABEL ? p->out->dim : (uint32_t)(c - C_X1), fx);
        else
            e = value_of(p, &f, &r.value);
        if (e) return e;
    } while (rc == 1);
    if (i < ncols)
        return fail_at(p, eol, "expected %d fields as in the header, found %d", ncols, i);
    if (!arrival) r.arrival_ns = r.event_ns;
    if (p->out->dim && (rc = add_features(p, fx, &r.feat))) return rc;
    return add_row(p, &r);
}

static int cmp_arrival(const void *a, const void *b) {
    const struct csv_row *x = a, *y = b;
    if (x->arrival_ns != y->arrival_ns) return x->arrival_ns < y->arrival_ns ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* The end of the line starting at pos: the index of its '\n' or '\r' (LF, CRLF and CR
 * alone all end a line), or len. */
static size_t line_end(const char *text, size_t pos, size_t len) {
    while (pos < len && text[pos] != '\n' && text[pos] != '\r')
        pos++;
    return pos;
}

static int parse_lines(struct parser *p) {
    int cols[COLS_MAX], ncols = 0;
    bool have_header = false;
    if (p->len >= 3 && !memcmp(p->text, "\xef\xbb\xbf", 3)) p->pos = 3; /* UTF-8 BOM */
    for (p->line = 1; p->pos < p->len; p->line++) {
        p->line_start = p->pos;
        size_t eol = line_end(p->text, p->pos, p->len), next = p->len;
        if (eol < p->len) /* past the line break: one byte, two for CRLF */
            next = eol + 1 + (p->text[eol] == '\r' && eol + 1 < p->len && p->text[eol + 1] == '\n');
        const char *nul = memchr(p->text + p->pos, '\0', eol - p->pos);
        if (nul) return fail_at(p, (size_t)(nul - p->text), "a NUL byte (is this a binary file?)");
        size_t first = p->pos;
        while (first < eol && (p->text[first] == ' ' || p->text[first] == '\t'))
            first++;
        int rc = 0;
        if (first == eol || p->text[first] == '#') {
            /* blank line or comment */
        } else if (!have_header) {
            rc = header(p, eol, cols, &ncols);
            have_header = true;
        } else {
            rc = data_row(p, eol, cols, ncols);
        }
        if (rc) return rc;
        p->pos = next;
    }
    if (!have_header)
        return ft_fail_at(p->err, FT_EPARSE, p->name, 1, 1,
                          "empty file: expected a header event_time,key,value[,arrival_time]");
    return 0;
}

int csv_parse(const char *name, const char *text, size_t len, struct csv_data *out,
              struct ft_error *err) {
    memset(out, 0, sizeof *out);
    struct parser p = {
        .name = name, .text = text, .len = len, .err = err, .out = out, .iso_day = INT64_MIN};
    if (len > CSV_BYTES_MAX)
        return ft_fail_at(err, FT_EPARSE, name, 0, 0,
                          "expected a CSV file of at most %u bytes, found %zu bytes", CSV_BYTES_MAX,
                          len);
    int rc = key_rehash(&p, 256);
    if (!rc) rc = parse_lines(&p);
    free(p.kidx);
    if (rc) {
        csv_free(out);
        return rc;
    }
    if (out->n > 1) qsort(out->rows, out->n, sizeof *out->rows, cmp_arrival);
    if (out->n) {
        out->last_arrival_ns = out->rows[out->n - 1].arrival_ns;
        out->last_arrival_line = out->rows[out->n - 1].line;
    }
    return 0;
}

int csv_load(const char *path, struct csv_data *out, struct ft_error *err) {
    memset(out, 0, sizeof *out);
    char *buf;
    size_t n;
    int rc = ft_read_file(path, CSV_BYTES_MAX, "CSV file", &buf, &n, err);
    if (rc) return rc;
    rc = csv_parse(path, buf, n, out, err);
    free(buf);
    return rc;
}

void csv_free(struct csv_data *d) {
    free(d->rows);
    free(d->keys);
    free(d->feat);
    memset(d, 0, sizeof *d);
}
