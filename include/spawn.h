/*
 * spawn.h - running a helper program (gnuplot) safely: found on PATH without
 * ever taking it from the current or a relative directory, started in a
 * directory the caller chose, and stopped when it takes too long or the user
 * presses Ctrl-C.
 *
 * Why PATH is filtered: an empty entry ("PATH=/usr/bin:" or "::") and "."
 * mean the current directory, and execlp() would then run a `gnuplot` that
 * whoever can write there planted.  Only absolute entries are searched.
 *
 * Why a process group: gnuplot may start helpers of its own; on a timeout the
 * whole group is killed, and Ctrl-C on the terminal reaches mtuscope only,
 * which then stops the group itself.
 */
#ifndef MTUSCOPE_SPAWN_H
#define MTUSCOPE_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Finds NAME (no '/') in the absolute entries of PATH (or the system's
 * default path when PATH is unset) as a regular executable file.  Writes its
 * full path into out; false when there is none. */
bool spawn_find(const char *name, char *out, size_t size);

enum spawn_status {
    SPAWN_EXITED,      /* *code is its exit status */
    SPAWN_KILLED,      /* ended by a signal (*code: the signal) */
    SPAWN_TIMEOUT,     /* still running after the timeout: killed */
    SPAWN_INTERRUPTED, /* *stop became non-zero: killed */
    SPAWN_FAILED,      /* fork, the directory or the exec failed (*code: errno) */
    SPAWN_STARTED,     /* spawn_start: running, spawn_poll() it */
};

struct spawn_opts {
    const char *dir;                   /* working directory of the child */
    int in_fd, out_fd, err_fd;         /* its standard streams (-1: /dev/null) */
    double timeout_s;                  /* 0: none */
    const volatile sig_atomic_t *stop; /* may be NULL */
};

/* Runs prog (a full path) with argv and waits for it under opts. */
enum spawn_status spawn_run(const char *prog, char *const argv[], const struct spawn_opts *opts,
                            int *code);

/* The same, one step at a time, for several children at once (the charts
 * render in parallel): spawn_start() returns SPAWN_STARTED or SPAWN_FAILED;
 * spawn_poll() returns true once the child has ended, with what spawn_run()
 * would have returned, and meanwhile enforces the timeout and the stop flag
 * (killing the child's group); spawn_stop() kills it at once (poll it
 * until it ends, to reap it). */
struct spawn_child {
    long pid;
    int pidfd;      /* readable once the child ends (pidfd_open(2)); -1: none */
    int exec_errno; /* the exec failed: its errno */
    double deadline;
    const volatile sig_atomic_t *stop;
    enum spawn_status st; /* SPAWN_EXITED, or why it was killed */
};
enum spawn_status spawn_start(const char *prog, char *const argv[], const struct spawn_opts *opts,
                              struct spawn_child *c, int *code);
bool spawn_poll(struct spawn_child *c, enum spawn_status *st, int *code);
void spawn_stop(struct spawn_child *c);
/* Sleeps *nap_ns, then doubles it up to 50 ms (polling loops). */
void spawn_nap(long *nap_ns);
/* Waits until one of the n children may have ended, the nearest timeout
 * is due, a signal arrives (Ctrl-C) or max_ms passed; then spawn_poll()
 * them.  It sleeps on the children's pidfds, so that a chart that ends is
 * seen at once (a nap of up to 50 ms each time cost a run of charts
 * 40-55 ms); on a kernel without pidfd_open (before Linux 5.3) it naps
 * as spawn_nap() does, *nap_ns growing (reset it when a child ended). */
void spawn_wait(const struct spawn_child *cs, int n, long max_ms, long *nap_ns);

/* The processors this process may run on: its affinity mask (taskset, a
 * container's cpuset), not the machine's count, so that children are not
 * started for cores that are not ours; at least 1. */
int spawn_cores(void);

#endif
