/*
 * report_compare.h - the comparison of flows (compare.h) in the three
 * reports: a section of the text report, the JSON report's "comparison"
 * object (docs/report.schema.json) and a table of the HTML page.
 */
#ifndef MTUSCOPE_REPORT_COMPARE_H
#define MTUSCOPE_REPORT_COMPARE_H

#include <stdio.h>

#include "compare.h"
#include "json.h"
#include "report.h"

/* The text section ("comparison:"), every row and the sentence. */
void report_compare_text(FILE *out, const struct comparison *c, const struct report_data *r,
                         const char *bold, const char *off);
/* "comparison": the rows and the sentence; null when there is none. */
void report_compare_json(struct json *j, const struct comparison *c);
/* The HTML section; esc writes text as HTML character data. */
void report_compare_html(FILE *out, const struct comparison *c,
                         void (*esc)(FILE *out, const char *s));
/* "1.2 Mbit/s" */
void report_goodput_text(double bps, char *buf, size_t size);

#endif
