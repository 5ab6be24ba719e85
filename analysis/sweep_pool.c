/* The sweep's worker pool (sweep.h). Each worker is a fork()ed child with two pipes:
 * it reads run indices (uint64) from one and writes each result — a header with the
 * outcome and the row counts, then the time buckets, quantiles, markers, window rows,
 * watermarks and lambda points — to the other; the parent refuses counts over their
 * limits before reading any row. The parent
 * keeps two runs queued per worker, polls the result pipes and stores each result as
 * it arrives, so only the parent ever touches the database. A child exits when its
 * task pipe closes, and dies with the parent (SIGKILL on parent death, SIGPIPE on a
 * write to a parent that is gone), so `kill -9` of the sweep leaves nothing running. */
#define _DEFAULT_SOURCE /* prctl, kill */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "sweep.h"

#define POOL_QUEUE                                                                                 \
    8u /* runs queued per worker: work to go on with while the parent waits on the disk */
#define POOL_MARKERS_MAX 1000000u /* markers one result may carry */
#define POOL_MODEL_ROWS_MAX 50000000u /* model rows one result may carry */

struct pool_header {
    uint64_t index;
    int32_t rc;
    uint32_t nbuckets, nquantiles, nmarkers, nwindows, nwatermarks, nlambda, nmodel;
    uint64_t bucket_ns;
    struct exp_outcome out;
    char msg[FT_ERROR_MSG_MAX];
};

struct pool_worker {
    pid_t pid;
    int task_fd, result_fd; /* parent's ends; -1 once closed */
    uint64_t queued[POOL_QUEUE];
    uint32_t nqueued;
};

/* ---- whole reads and writes over pipes ---- */

static int write_full(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 = read n bytes, 0 = end of file before the first byte, -1 = error or short. */
static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got ? -1 : 0;
        got += (size_t)r;
    }
    return 1;
}

/* ---- the child ---- */

static int child_send(int fd, uint64_t index, int rc, const struct exp_outcome *out,
                      const struct exp_stats *st, const struct ft_error *err) {
    static struct pool_header h; /* static: FT_ERROR_MSG_MAX bytes stay off the stack */
    memset(&h, 0, sizeof h);
    h.index = index;
    h.rc = rc;
    if (rc) {
        snprintf(h.msg, sizeof h.msg, "%s", err->msg);
        return write_full(fd, &h, sizeof h);
    }
    h.out = *out;
    h.nbuckets = st->nbuckets;
    h.nquantiles = st->nquantiles;
    h.nmarkers = st->nmarkers;
    h.nwindows = st->nwindows;
    h.nwatermarks = st->nwatermarks;
    h.nlambda = st->nlambda;
    h.nmodel = st->nmodel;
    h.bucket_ns = st->bucket_ns;
    if (write_full(fd, &h, sizeof h) ||
        write_full(fd, st->buckets, st->nbuckets * sizeof *st->buckets) ||
        write_full(fd, st->quantiles, st->nquantiles * sizeof st->quantiles[0]) ||
        write_full(fd, st->markers, st->nmarkers * sizeof *st->markers) ||
        write_full(fd, st->windows, st->nwindows * sizeof *st->windows) ||
        write_full(fd, st->watermarks, st->nwatermarks * sizeof *st->watermarks) ||
        write_full(fd, st->lambda, st->nlambda * sizeof *st->lambda) ||
        write_full(fd, st->model, st->nmodel * sizeof *st->model))
        return -1;
    return 0;
}

static _Noreturn void child_main(int task_fd, int result_fd, const struct sweep_pool_ops *ops) {
    struct exp_stats st = {0};
    uint64_t index;
    int r;
    while ((r = read_full(task_fd, &index, sizeof index)) == 1) {
        struct exp_outcome out;
        struct ft_error err = {0};
        int rc = ops->compute(ops->ctx, index, &out, &st, &err);
        if (child_send(result_fd, index, rc, &out, &st, &err)) break;
    }
    exp_stats_free(&st);
    _exit(r == 0 ? 0 : 1);
}

/* ---- the parent ---- */

struct pool {
    struct pool_worker *w;
    uint32_t n;
    const uint64_t *todo;
    uint64_t ntodo, next, done, failed;
    const struct sweep_pool_ops *ops;
    struct exp_stats st; /* a result's child rows, reused */
    uint32_t buckets_cap, markers_cap, windows_cap, watermarks_cap, lambda_cap, model_cap;
};

static void pool_close(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Kills (when asked) and reaps every child, closing the parent's pipe ends. */
static void pool_stop(struct pool *p, bool kill_them) {
    for (uint32_t i = 0; i < p->n; i++) {
        pool_close(&p->w[i].task_fd);
        if (kill_them && p->w[i].pid > 0) kill(p->w[i].pid, SIGKILL);
    }
    for (uint32_t i = 0; i < p->n; i++) {
        if (p->w[i].pid > 0)
            while (waitpid(p->w[i].pid, NULL, 0) < 0 && errno == EINTR) {
            }
        p->w[i].pid = -1;
        pool_close(&p->w[i].result_fd);
    }
}

static int pool_spawn(struct pool *p, uint32_t i, struct ft_error *err) {
    int task[2], result[2];
    if (pipe(task) != 0) return ft_fail(err, FT_EIO, "sweep: pipe: %s", strerror(errno));
    if (pipe(result) != 0) {
        close(task[0]);
        close(task[1]);
        return ft_fail(err, FT_EIO, "sweep: pipe: %s", strerror(errno));
    }
    fflush(NULL); /* the child must not write the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0) {
        close(task[0]), close(task[1]), close(result[0]), close(result[1]);
        return ft_fail(err, FT_EIO, "sweep: fork: %s", strerror(errno));
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        signal(SIGPIPE, SIG_DFL);
        for (uint32_t j = 0; j < i; j++) { /* other workers' pipes are not this child's */
            close(p->w[j].task_fd);
            close(p->w[j].result_fd);
        }
        close(task[1]);
        close(result[0]);
        child_main(task[0], result[1], p->ops);
    }
    close(task[0]);
    close(result[1]);
    p->w[i] = (struct pool_worker){.pid = pid, .task_fd = task[1], .result_fd = result[0]};
    return 0;
}

/* Queues the next run on worker i, if any is left. */
static int pool_feed(struct pool *p, uint32_t i, struct ft_error *err) {
    struct pool_worker *w = &p->w[i];
    if (p->next >= p->ntodo || w->nqueued == POOL_QUEUE) return 0;
    uint64_t index = p->todo[p->next];
    if (write_full(w->task_fd, &index, sizeof index))
        return ft_fail(err, FT_EIO, "sweep: worker %u (pid %d) stopped taking runs: %s", i + 1,
                       (int)w->pid, strerror(errno));
    w->queued[w->nqueued++] = index;
    p->next++;
    return 0;
}

static int pool_grow(void **buf, uint32_t *cap, uint32_t need, size_t size) {
    if (need <= *cap) return 0;
    void *b = realloc(*buf, need * size);
    if (!b) return -1;
    *buf = b;
    *cap = need;
    return 0;
}

/* Reads one result's child rows into p->st. */
static int pool_read_rows(struct pool *p, int fd, const struct pool_header *h) {
    struct exp_stats *st = &p->st;
    if (h->nbuckets > EXP_BUCKETS_MAX || h->nquantiles > EXP_QUANTILES ||
        h->nmarkers > POOL_MARKERS_MAX || h->nwindows > 2 * PIPE_WINDOW_LOG_MAX ||
        h->nwatermarks > PIPE_WINDOW_LOG_MAX || h->nlambda > EXP_LAMBDA_POINTS_MAX ||
        h->nmodel > POOL_MODEL_ROWS_MAX)
        return -1;
    if (pool_grow((void **)&st->buckets, &p->buckets_cap, h->nbuckets, sizeof *st->buckets) ||
        pool_grow((void **)&st->markers, &p->markers_cap, h->nmarkers, sizeof *st->markers) ||
        pool_grow((void **)&st->windows, &p->windows_cap, h->nwindows, sizeof *st->windows) ||
        pool_grow((void **)&st->watermarks, &p->watermarks_cap, h->nwatermarks,
                  sizeof *st->watermarks) ||
        pool_grow((void **)&st->lambda, &p->lambda_cap, h->nlambda, sizeof *st->lambda) ||
        pool_grow((void **)&st->model, &p->model_cap, h->nmodel, sizeof *st->model))
        return -1;
    st->nbuckets = h->nbuckets;
    st->nquantiles = h->nquantiles;
    st->nmarkers = h->nmarkers;
    st->nwindows = h->nwindows;
    st->nwatermarks = h->nwatermarks;
    st->nlambda = h->nlambda;
    st->nmodel = h->nmodel;
    st->bucket_ns = h->bucket_ns;
    if ((h->nbuckets && read_full(fd, st->buckets, h->nbuckets * sizeof *st->buckets) != 1) ||
        (h->nquantiles &&
         read_full(fd, st->quantiles, h->nquantiles * sizeof st->quantiles[0]) != 1) ||
        (h->nmarkers && read_full(fd, st->markers, h->nmarkers * sizeof *st->markers) != 1) ||
        (h->nwindows && read_full(fd, st->windows, h->nwindows * sizeof *st->windows) != 1) ||
        (h->nwatermarks &&
         read_full(fd, st->watermarks, h->nwatermarks * sizeof *st->watermarks) != 1) ||
        (h->nlambda && read_full(fd, st->lambda, h->nlambda * sizeof *st->lambda) != 1) ||
        (h->nmodel && read_full(fd, st->model, h->nmodel * sizeof *st->model) != 1))
        return -1;
    return 0;
}

static void pool_report(struct pool *p) {
    if (p->ops->progress) p->ops->progress(p->ops->ctx, p->done, p->ntodo);
}

/* Handles the result waiting on worker i's pipe. */
static int pool_collect(struct pool *p, uint32_t i, struct ft_error *err) {
    static struct pool_header h;
    struct pool_worker *w = &p->w[i];
    int r = read_full(w->result_fd, &h, sizeof h);
    bool ok = r == 1 && w->nqueued && h.index == w->queued[0];
    if (ok && h.rc == 0) ok = pool_read_rows(p, w->result_fd, &h) == 0;
    if (!ok)
        return ft_fail(err, FT_EIO,
                       "sweep: worker %u (pid %d) %s while computing run %llu; the runs stored "
                       "so far are kept, and running the sweep again continues from there",
                       i + 1, (int)w->pid, r == 0 ? "exited" : "sent a broken result",
                       (unsigned long long)(w->nqueued ? w->queued[0] : 0));
    memmove(w->queued, w->queued + 1, (w->nqueued - 1) * sizeof w->queued[0]);
    w->nqueued--;
    int rc = 0;
    if (h.rc) {
        p->failed++;
        if (p->ops->failed) p->ops->failed(p->ops->ctx, h.index, h.msg);
    } else {
        rc = p->ops->store(p->ops->ctx, h.index, &h.out, &p->st, err);
    }
    if (rc) return rc;
    p->done++;
    pool_report(p);
    return pool_feed(p, i, err);
}

static int pool_loop(struct pool *p, struct ft_error *err) {
    struct pollfd *fds = calloc(p->n, sizeof *fds);
    if (!fds) return ft_fail(err, FT_ENOMEM, "out of memory");
    int rc = 0;
    while (!rc && p->done < p->ntodo) {
        for (uint32_t i = 0; i < p->n; i++)
            fds[i] =
                (struct pollfd){.fd = p->w[i].nqueued ? p->w[i].result_fd : -1, .events = POLLIN};
        if (poll(fds, p->n, -1) < 0) {
            if (errno == EINTR) continue;
            rc = ft_fail(err, FT_EIO, "sweep: poll: %s", strerror(errno));
            break;
        }
        for (uint32_t i = 0; !rc && i < p->n; i++)
            if (fds[i].revents) rc = pool_collect(p, i, err);
    }
    free(fds);
    return rc;
}

/* jobs = 1: no processes, the same compute and store in turn. */
static int pool_inline(struct pool *p, struct ft_error *err) {
    int rc = 0;
    for (; !rc && p->next < p->ntodo; p->next++) {
        uint64_t index = p->todo[p->next];
        struct exp_outcome out;
        struct ft_error run_err = {0};
        if (p->ops->compute(p->ops->ctx, index, &out, &p->st, &run_err) != 0) {
            p->failed++;
            if (p->ops->failed) p->ops->failed(p->ops->ctx, index, run_err.msg);
        } else {
            rc = p->ops->store(p->ops->ctx, index, &out, &p->st, err);
        }
        if (!rc) {
            p->done++;
            pool_report(p);
        }
    }
    return rc;
}

static int pool_forked(struct pool *p, struct ft_error *err) {
    p->w = calloc(p->n, sizeof *p->w);
    if (!p->w) return ft_fail(err, FT_ENOMEM, "out of memory");
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN); /* a dead worker is an EPIPE, not death */
    int rc = 0;
    uint32_t spawned = 0;
    for (; !rc && spawned < p->n; spawned++)
        rc = pool_spawn(p, spawned, err);
    if (rc) spawned--;
    p->n = spawned;
    for (uint32_t q = 0; !rc && q < POOL_QUEUE; q++)
        for (uint32_t i = 0; !rc && i < p->n; i++)
            rc = pool_feed(p, i, err);
    if (!rc) rc = pool_loop(p, err);
    pool_stop(p, rc != 0);
    signal(SIGPIPE, old_pipe);
    free(p->w);
    return rc;
}

int sweep_pool_run(const uint64_t *todo, uint64_t n, uint32_t jobs,
                   const struct sweep_pool_ops *ops, uint64_t *failed, struct ft_error *err) {
    if (!ops || !ops->compute || !ops->store || (n && !todo))
        return ft_fail(err, FT_EINVAL, "sweep_pool_run: compute, store and the runs are required");
    if (jobs < 1 || jobs > SWEEP_JOBS_MAX)
        return ft_fail(err, FT_EINVAL, "sweep: --jobs must be 1 to %u, found %u", SWEEP_JOBS_MAX,
                       jobs);
    struct pool p = {.todo = todo, .ntodo = n, .ops = ops, .n = jobs};
    if ((uint64_t)p.n > n) p.n = (uint32_t)(n ? n : 1);
    pool_report(&p);
    int rc = jobs == 1 || n <= 1 ? pool_inline(&p, err) : pool_forked(&p, err);
    free(p.st.buckets);
    free(p.st.markers);
    free(p.st.windows);
    free(p.st.watermarks);
    free(p.st.lambda);
    free(p.st.model);
    if (failed) *failed = p.failed;
    return rc;
}
