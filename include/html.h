/*
 * html.h - DIR/report.html: one self-contained page (no scripts, no external
 * fonts or images: it works offline and from a mail attachment) with the
 * verdict first, the charts as inline SVG, a table of flows, and the full
 * text report.
 */
#ifndef MTUSCOPE_HTML_H
#define MTUSCOPE_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "plots.h"
#include "report.h"
#include "truth.h"

/* Writes dir/report.html.  p: the charts written by plots_write() (their
 * SVG files are read from dir), or NULL when there are none (--no-plots).
 * truth: --truth's table, shown beside the claims; NULL (the rule) shows no
 * ground truth at all.  Messages go to err; false when the page could not be
 * written. */
bool html_write(const char *dir, const struct report_data *r, const struct report_opts *ro,
                const struct plots *p, const struct truth_table *truth, FILE *err);

#endif
