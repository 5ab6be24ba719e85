/* Files from and to the user, the one way every module reads and writes them.
 * ft_read_file reads a whole regular file whose size (from fstat) is at most a limit
 * into one buffer of that size; a FIFO, a directory or a device is refused without
 * blocking. ft_out writes a file atomically: bytes go to a temporary name beside the
 * target, which is flushed, fsync'ed and renamed over the target only when every write
 * succeeded; on any failure the temporary file is removed and the target is untouched,
 * and the error carries the OS's reason (strerror) and the target's name. */
#ifndef FTSIM_FILEIO_H
#define FTSIM_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Reads path (what: "scenario file", "CSV file", ... for messages) into *text,
 * NUL-terminated (the caller frees it), *len bytes. Errors, each naming path in
 * err->file and the message: FT_EIO cannot open or read it (missing, permission);
 * FT_EPARSE not a regular file, or larger than max bytes; FT_ENOMEM. */
int ft_read_file(const char *path, size_t max, const char *what, char **text, size_t *len,
                 struct ft_error *err);

/* An output file being written. f is an ordinary stdio stream. */
#define FT_OUT_PATH_MAX 4096u
struct ft_out {
    FILE *f;
    char path[FT_OUT_PATH_MAX]; /* the target */
    char tmp[FT_OUT_PATH_MAX];  /* DIR/.NAME.XXXXXX, removed unless committed */
};
/* Creates the temporary file beside path (mode 0666 less the umask, as fopen would).
 * FT_EOUT (cannot create it: err says why) or FT_ELIMIT (path too long). */
int ft_out_open(struct ft_out *o, const char *path, struct ft_error *err);
/* Flushes, checks every write, fsyncs, closes and renames onto the target (then fsyncs
 * the directory). FT_EOUT with "cannot write PATH: REASON" and nothing left behind. */
int ft_out_commit(struct ft_out *o, struct ft_error *err);
/* Discards the temporary file (no-op when o was never opened or is committed). */
void ft_out_abort(struct ft_out *o);
/* Copies the file src to path through ft_out (src is left as it is). */
int ft_out_copy(const char *src, const char *path, struct ft_error *err);

#endif
