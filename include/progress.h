/*
 * progress.h - a progress line on stderr for long runs, only when stderr is
 * a terminal (never in pipes, logs or CI output), redrawn at most four times
 * a second: "\r<label>: N packets, P%".
 */
#ifndef MTUSCOPE_PROGRESS_H
#define MTUSCOPE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct progress {
    bool on;
    struct timespec last;
    uint64_t total; /* bytes to read; 0 when unknown (standard input) */
};

/* want: the caller asks for progress (it is still off unless stderr is a
 * terminal); total: the bytes the run will read, 0 if unknown. */
void progress_start(struct progress *pg, bool want, uint64_t total);
/* Cheap when off or called often: it redraws only every 0.25 s. */
void progress_tick(struct progress *pg, const char *label, uint64_t packets, uint64_t done);
/* Erases the line. */
void progress_done(struct progress *pg);

#endif
