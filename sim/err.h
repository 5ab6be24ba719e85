/* Error codes and the error struct shared by every ftsim module.
 * Library functions return 0 or a negative FT_E* code and, where a message helps,
 * fill a struct ft_error; only cli/ prints and chooses exit codes.
 * FT_ASSERT is always on, in every build type (TigerBeetle/Redis style). */
#ifndef FTSIM_ERR_H
#define FTSIM_ERR_H

#include <stdarg.h>

/* One list, three uses: the enum, ft_strerror() and ft_err_name(). */
#define FT_ERR_MAP(X)                                                                              \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(ELIMIT, -3, "limit exceeded")                                                                \
    X(ENOENT, -4, "not found")                                                                     \
    X(EDOWN, -5, "node is down")                                                                   \
    X(EPARSE, -6, "bad input")                                                                     \
    X(EIO, -7, "input/output error")                                                               \
    X(EDB, -8, "database error")                                                                   \
    X(ECRYPTO, -9, "cryptography error")                                                           \
    X(ESTATE, -10, "operation not valid in this state")                                            \
    X(EOUT, -11, "cannot write the output")                                                        \
    X(EINTR, -12, "interrupted")

enum ft_err {
    FT_OK = 0,
#define FT_ERR_ENUM(name, code, text) FT_##name = code,
    FT_ERR_MAP(FT_ERR_ENUM)
#undef FT_ERR_ENUM
};

const char *ft_strerror(int code);
const char *ft_err_name(int code);

#define FT_ERROR_MSG_MAX 512
#define FT_ERROR_FILE_MAX 256

/* A per-call error: the code, a human message and, for input errors, where. */
struct ft_error {
    int code;
    int line; /* 1-based; 0 when the error has no position */
    int col;  /* 1-based */
    char file[FT_ERROR_FILE_MAX];
    char msg[FT_ERROR_MSG_MAX];
};

/* Fills err (when not NULL) and returns code, so callers can `return ft_fail(...)`. */
int ft_fail(struct ft_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ft_vfail(struct ft_error *err, int code, const char *fmt, va_list ap);
/* Same with a file position (scenario loader). */
int ft_fail_at(struct ft_error *err, int code, const char *file, int line, int col,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void ft_error_clear(struct ft_error *err);

_Noreturn void ft_assert_fail(const char *expr, const char *file, int line);
#define FT_ASSERT(cond) ((cond) ? (void)0 : ft_assert_fail(#cond, __FILE__, __LINE__))

#endif
