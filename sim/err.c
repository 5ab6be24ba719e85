/* Error names, messages and the always-on assertion handler. */
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ft_strerror(int code) {
    switch (code) {
    case FT_OK: return "ok";
#define FT_ERR_TEXT(name, c, text)                                                                 \
    case c: return text;
        FT_ERR_MAP(FT_ERR_TEXT)
#undef FT_ERR_TEXT
    }
    return "unknown error";
}

const char *ft_err_name(int code) {
    switch (code) {
    case FT_OK: return "FT_OK";
#define FT_ERR_NAME(name, c, text)                                                                 \
    case c: return "FT_" #name;
        FT_ERR_MAP(FT_ERR_NAME)
#undef FT_ERR_NAME
    }
    return "FT_UNKNOWN";
}

int ft_vfail(struct ft_error *err, int code, const char *fmt, va_list ap) {
    if (err) {
        err->code = code;
        err->line = 0;
        err->col = 0;
        err->file[0] = '\0';
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int ft_fail(struct ft_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ft_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int ft_fail_at(struct ft_error *err, int code, const char *file, int line, int col,
               const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ft_vfail(err, code, fmt, ap);
    va_end(ap);
    if (err) {
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
        err->line = line;
        err->col = col;
    }
    return code;
}

void ft_error_clear(struct ft_error *err) {
    if (err) memset(err, 0, sizeof *err);
}

void ft_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "ftsim: internal error: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
