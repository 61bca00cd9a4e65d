/*
 * options.h - the command line, in tcpdump's habits.
 *
 *   mtuscope [options] -r FILE [-r FILE ...] [BPF filter expression]
 */
#ifndef MTUSCOPE_OPTIONS_H
#define MTUSCOPE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "truth.h"

#define OPT_MAX_INPUTS 64

/* Exit codes (documented in --help and the man page). */
#define EXIT_OK 0
#define EXIT_FAIL 1    /* an input could not be read, or broke mid-way */
#define EXIT_USAGE 2   /* bad option, bad filter, no input */
#define EXIT_VERDICT 3 /* --fail-on: the verdict's status is one of those listed */
#define EXIT_INTERRUPTED                                                                           \
    130 /* Ctrl-C: the report covers what was read (128 + SIGINT, as shells say) */

#define OPT_PLOT_TIMEOUT                                                                           \
    60.0 /* s a chart may take in gnuplot: 3.6 s measured on a 2 M-packet flow */

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

#define OPT_MAX_LISTS 8 /* -V FILE lists per run */

struct options {
    const char *inputs[OPT_MAX_INPUTS];
    int ninputs;
    char *lists[OPT_MAX_LISTS]; /* -V FILE: each list's text (heap), split into inputs */
    int nlists;
    char *filter; /* the trailing arguments joined by spaces; NULL when none (heap) */
    const char *outdir;
    double plot_timeout;       /* --plot-timeout: seconds gnuplot may take per chart */
    uint64_t ladder_flow;      /* --ladder-flow: the flow the ladder diagram draws, 0 = chosen */
    const char *truth_path;    /* --truth FILE (needs -o) */
    struct truth_table *truth; /* its table, loaded by options_parse (heap) */
    uint64_t count;            /* -c: packets per input, 0 = all */
    uint32_t max_flows;        /* --max-flows: live flows per input, 0 = the default */
    bool flows;                /* --flows: the whole flow table in the text report */
    bool json;
    bool stats;
    bool no_plots; /* --no-plots: -o DIR writes no charts */
    bool quiet;    /* -q: only the verdict line */
    bool verbose;  /* -v: every flow, every layer count */
    bool full;     /* --full (and -v, --flows, --stats): every section of the text report,
                      not the short one */
    bool help, version;
    enum color_mode color; /* COLOR_AUTO is already off under NO_COLOR or TERM=dumb */
    uint32_t fail_on;      /* --fail-on: bit i set = exit EXIT_VERDICT on status i */
};

/* Parses argv.  Returns EXIT_OK, or EXIT_USAGE after printing the reason to
 * `err`.  --help and --version set their flags and return EXIT_OK. */
int options_parse(struct options *o, int argc, char **argv, FILE *err);
void options_free(struct options *o);
void options_usage(FILE *out);
/* Whether the verdict `status` (inference.h's inf->status) is one that
 * --fail-on listed: main() then exits with EXIT_VERDICT. */
bool options_fail_on(const struct options *o, const char *status);

#endif
