/*
 * report_text.h - what the text reports share: the full report
 * (report_text.c) and the short one (report_short.c), and nobody else.
 */
#ifndef MTUSCOPE_REPORT_TEXT_H
#define MTUSCOPE_REPORT_TEXT_H

#include <stdbool.h>
#include <stdio.h>

#include "inference.h"
#include "report.h"

/* The verdict line, its summary and the fix; false when there is no
 * inference (the line says so). */
bool report_text_verdict(FILE *out, const struct report_data *r, const struct report_opts *o);

/* The line counting the flows, their retransmissions and stalls, after
 * `lead` (the full report's blank line, the short report's bullet). */
void report_text_flow_counts(FILE *out, const char *lead, const struct results *res);
/* One finding: its words, its frames, its Wireshark filter. */
void report_text_finding(FILE *out, const struct report_data *r, const struct inf_finding *f);
/* The short report: the verdict, the fix, the strongest evidence, then
 * one line per further section (report_short.c). */
void report_text_short(FILE *out, const struct report_data *r, const struct report_opts *o);

#endif
