/* Reading input files sized from fstat (regular files only, never blocking on a FIFO)
 * and writing output files through a temporary name, fsync and rename (fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ft_read_file(const char *path, size_t max, const char *what, char **text, size_t *len,
                 struct ft_error *err) {
    *text = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ft_fail_at(err, FT_EIO, path, 0, 0, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0)
        rc = ft_fail_at(err, FT_EIO, path, 0, 0, "cannot read '%s': %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        rc = ft_fail_at(err, FT_EPARSE, path, 0, 0, "'%s' is %s: expected a regular %s", path,
                        S_ISDIR(sb.st_mode)    ? "a directory"
                        : S_ISFIFO(sb.st_mode) ? "a FIFO (named pipe)"
                                               : "a device or socket",
                        what);
    else if ((unsigned long long)sb.st_size > max)
        rc = ft_fail_at(err, FT_EPARSE, path, 0, 0,
                        "'%s' has %lld bytes: expected a %s of at most %zu bytes", path,
                        (long long)sb.st_size, what, max);
    char *buf = rc ? NULL : malloc((size_t)sb.st_size + 1);
    if (!rc && !buf)
        rc = ft_fail_at(err, FT_ENOMEM, path, 0, 0, "out of memory reading '%s' (%lld bytes)", path,
                        (long long)sb.st_size);
    size_t n = 0;
    while (!rc && n < (size_t)sb.st_size) {
        ssize_t k = read(fd, buf + n, (size_t)sb.st_size - n);
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (k < 0)
            rc = ft_fail_at(err, FT_EIO, path, 0, 0, "cannot read '%s': %s", path, strerror(errno));
        if (k <= 0) break; /* a file that shrank while read: take what is there */
        n += (size_t)k;
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static mode_t file_mode(void) {
    static mode_t mode = (mode_t)-1;
    if (mode == (mode_t)-1) {
        mode_t mask = umask(022);
        umask(mask);
        mode = 0666 & ~mask;
    }
    return mode;
}

static int out_fail(struct ft_out *o, int e, struct ft_error *err) {
    int rc = ft_fail_at(err, FT_EOUT, o->path, 0, 0, "cannot write '%s': %s", o->path, strerror(e));
    ft_out_abort(o);
    return rc;
}

int ft_out_open(struct ft_out *o, const char *path, struct ft_error *err) {
    memset(o, 0, sizeof *o);
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    if (strlen(path) >= sizeof o->path ||
        (size_t)snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.XXXXXX", (int)dir, path, path + dir) >=
            sizeof o->tmp)
        return ft_fail_at(err, FT_ELIMIT, path, 0, 0, "the output path '%s' is too long", path);
    strcpy(o->path, path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return ft_fail_at(err, FT_EOUT, path, 0, 0, "cannot create a file beside '%s': %s", path,
                          strerror(e));
    }
    if (fchmod(fd, file_mode()) != 0 || !(o->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        return out_fail(o, e, err);
    }
    return 0;
}

/* fsync of the directory holding path, so the rename survives a crash. */
static void sync_dir(const char *path) {
    char dir[FT_OUT_PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
             slash ? path : ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse fsync on a directory */
        close(fd);
    }
}

int ft_out_commit(struct ft_out *o, struct ft_error *err) {
    if (!o->f)
        return ft_fail_at(err, FT_EOUT, o->path, 0, 0, "cannot write '%s': not open", o->path);
    errno = 0;
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f)) e = errno ? errno : EIO;
    if (!e && fsync(fileno(o->f)) != 0) e = errno;
    int closed = fclose(o->f);
    o->f = NULL;
    if (!e && closed != 0) e = errno;
    if (!e && rename(o->tmp, o->path) != 0) e = errno;
    if (e) return out_fail(o, e, err);
    o->tmp[0] = '\0';
    sync_dir(o->path);
    return 0;
}

void ft_out_abort(struct ft_out *o) {
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) unlink(o->tmp);
    o->tmp[0] = '\0';
}

int ft_out_copy(const char *src, const char *path, struct ft_error *err) {
    FILE *in = fopen(src, "rb");
    if (!in)
        return ft_fail_at(err, FT_EIO, src, 0, 0, "cannot open '%s': %s", src, strerror(errno));
    struct ft_out o;
    int rc = ft_out_open(&o, path, err);
    char buf[65536];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, o.f) != n) rc = out_fail(&o, errno ? errno : EIO, err);
    if (!rc && ferror(in))
        rc = ft_fail_at(err, FT_EIO, src, 0, 0, "cannot read '%s': %s", src, strerror(errno));
    fclose(in);
    if (rc) {
        ft_out_abort(&o);
        return rc;
    }
    return ft_out_commit(&o, err);
}
