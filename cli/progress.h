/* Long work under the user's control: Ctrl-C (SIGINT) sets a flag that runs poll
 * through the kernel's progress callback (sim.h), so a run stops cleanly with FT_EINTR,
 * removes its temporary files and exits 3; a second Ctrl-C kills at once. On a TTY the
 * same callback shows, at most four times a second, how far the run has got. Only the
 * CLI reads the wall clock here; the simulation never sees it. */
#ifndef FTSIM_CLI_PROGRESS_H
#define FTSIM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* Installs the SIGINT handler (main does, once). */
void cli_interrupt_install(void);
/* For commands whose work may be cut anywhere (a sweep resumes from its database, a
 * swarm is rerun): Ctrl-C ends the process at once, as without the handler. */
void cli_interrupt_default(void);
/* True once Ctrl-C was pressed. */
bool cli_interrupted(void);

struct cli_progress {
    const char *label; /* e.g. "lost-ack at-least-once" */
    uint64_t end_ns;   /* the run's simulated end (duration + drain) */
    bool tty;          /* print progress lines on stderr */
    bool shown;        /* a line is on the screen (cli_progress_clear erases it) */
    double last_s;     /* wall time of the last line */
};
/* A sim_progress_fn: ctx is a struct cli_progress. Returns 1 after Ctrl-C. */
int cli_progress(void *ctx, uint64_t now_ns, uint64_t events);
/* For loops over many runs (exhaustive Byzantine enumerations): shows "LABEL: done of
 * total runs" on a TTY as cli_progress does; returns 1 after Ctrl-C. */
int cli_progress_runs(struct cli_progress *p, uint64_t done, uint64_t total);
/* Erases the progress line, if one is shown. */
void cli_progress_clear(struct cli_progress *p);

/* A progress bar over many runs (sweep, swarm) on stderr when it is a terminal (tty):
 * "[====   ] done/total  R runs/s ETA m:ss", redrawn at most ten times a second and
 * erased when done = total. Set t0_s (cli_now_s) when the work starts. */
struct cli_bar {
    bool tty;
    double t0_s, last_draw_s;
};
double cli_now_s(void); /* monotonic wall-clock seconds (never used inside a run) */
void cli_bar_draw(struct cli_bar *p, uint64_t done, uint64_t total);

#endif
