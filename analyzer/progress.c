/* progress.c - the progress line on stderr (progress.h). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

void progress_start(struct progress *pg, bool want, uint64_t total)
{
    pg->on = want && isatty(STDERR_FILENO) != 0;
    pg->total = total;
    clock_gettime(CLOCK_MONOTONIC, &pg->last);
}

void progress_tick(struct progress *pg, const char *label, uint64_t packets, uint64_t done)
{
    if (!pg->on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - pg->last.tv_sec) + (now.tv_nsec - pg->last.tv_nsec) / 1e9;
    if (dt < 0.25)
        return;
    pg->last = now;
    if (pg->total)
        fprintf(stderr, "\r%s: %" PRIu64 " packets, %.0f%%\033[K", label, packets,
                100.0 * (double)done / (double)pg->total);
    else
        fprintf(stderr, "\r%s: %" PRIu64 " packets\033[K", label, packets);
}

void progress_done(struct progress *pg)
{
    if (pg->on)
        fputs("\r\033[K", stderr);
}
