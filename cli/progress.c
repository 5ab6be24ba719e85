/* Ctrl-C as a flag and a progress line on a TTY (progress.h). */
#include "progress.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
    signal(SIGINT, SIG_DFL); /* a second Ctrl-C ends the process at once */
}

void cli_interrupt_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void cli_interrupt_default(void) {
    signal(SIGINT, SIG_DFL);
}

bool cli_interrupted(void) {
    return interrupted != 0;
}

double cli_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 after Ctrl-C; 0 when a line is due on the TTY (at most four a second); else -1. */
static int due(struct cli_progress *p) {
    if (interrupted) {
        cli_progress_clear(p);
        return 1;
    }
    if (!p->tty) return -1;
    double t = cli_now_s();
    if (p->shown && t - p->last_s < 0.25) return -1;
    p->last_s = t;
    p->shown = true;
    return 0;
}

int cli_progress(void *ctx, uint64_t now_ns, uint64_t events) {
    struct cli_progress *p = ctx;
    int d = due(p);
    if (d) return d > 0;
    fprintf(stderr, "\r%s: simulated %.3f s of %.3f s, %.1fM events (Ctrl-C stops)\033[K",
            p->label ? p->label : "run", (double)now_ns / 1e9, (double)p->end_ns / 1e9,
            (double)events / 1e6);
    fflush(stderr);
    return 0;
}

int cli_progress_runs(struct cli_progress *p, uint64_t done, uint64_t total) {
    int d = due(p);
    if (d) return d > 0;
    fprintf(stderr, "\r%s: %llu of %llu runs (Ctrl-C stops)\033[K", p->label ? p->label : "run",
            (unsigned long long)done, (unsigned long long)total);
    fflush(stderr);
    return 0;
}

void cli_progress_clear(struct cli_progress *p) {
    if (!p->shown) return;
    fputs("\r\033[K", stderr);
    p->shown = false;
}

void cli_bar_draw(struct cli_bar *p, uint64_t done, uint64_t total) {
    double t = cli_now_s();
    if (!p->tty || (done < total && t - p->last_draw_s < 0.1)) return;
    p->last_draw_s = t;
    double rate = t > p->t0_s ? (double)done / (t - p->t0_s) : 0;
    char eta[32] = "--:--";
    if (rate > 0 && done) {
        unsigned long secs = (unsigned long)((double)(total - done) / rate + 0.5);
        snprintf(eta, sizeof eta, "%lu:%02lu", secs / 60, secs % 60);
    }
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, "\r[%.*s%*s] %llu/%llu  %.1f runs/s  ETA %s\033[K", fill,
            "==============================", width - fill, "", (unsigned long long)done,
            (unsigned long long)total, rate, eta);
    if (done == total) fputs("\r\033[K", stderr);
}
