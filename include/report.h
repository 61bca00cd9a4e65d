/*
 * report.h - writing what was found: the text report (for people,
 * report_text.c) and the JSON report (for scripts, per
 * ../shared/REPORT-CONTRACT.md, report_json.c).
 *
 * The report reads the results of the earlier stages and writes; it computes
 * nothing that a script could not recompute from the JSON.
 */
#ifndef MTUSCOPE_REPORT_H
#define MTUSCOPE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "results.h"
#include "stats.h"

struct inference;

struct report_opts {
    bool layer_stats; /* --stats: per-layer and per-anomaly tables */
    bool all_flows;   /* --flows: every flow, not only those with problems */
    bool color;       /* ANSI colour (text report on a terminal) */
    bool quiet;       /* -q: the verdict line only */
    bool full;        /* --full, -v, -o DIR's report.txt: every section in full; else
                         the short report (report_short.c) */
};

/* The inputs, in command-line order. */
struct report_data {
    struct input_stats *const *inputs;
    int ninputs;
    const struct results *res; /* flows, storms, tunnels */
    /* the inference stage's conclusions; NULL when it did not run (out of
     * memory): every reader must treat NULL as "not inferred" */
    const struct inference *inf;
    /* set when no input could be read at all: the JSON report then carries
     * this error and a null verdict, never a status that looks like an
     * answer (NULL otherwise) */
    const char *error;
};

void report_text(FILE *out, const struct report_data *r, const struct report_opts *o);
void report_json(FILE *out, const struct report_data *r);

/* What both reports print (report.c). */

/* The verdict's summary without an inference: said, never guessed. */
#define REPORT_NO_VERDICT_SUMMARY "the inference did not run (out of memory)"

/* A finding's severity (enum inf_severity) by its name in the reports:
 * "error", "warning", "info". */
const char *report_severity_name(unsigned severity);

/* A tunnel's type as the reports name it (tunnels.h), or its layer's name
 * when the tunnel table has no row for it. */
const char *report_tunnel_name(const struct flow_tunnel *t);

/* Text word-wrapped to `width` columns, every line indented, escaped
 * (escape.h): the text report's paragraphs (report_text.c). */
void report_wrap(FILE *out, int indent, const char *raw, int width);

#endif
