/*
 * plots_int.h - what the chart files share; only plots*.c include it (every
 * other file: plots.h).  plots.c writes the size-delivery and goodput charts
 * and runs gnuplot; plots_tsg.c reads the inputs a second time for the
 * time-sequence graphs and the retransmission timeline.
 *
 * A chart is NAME.dat (its data) and NAME.gp (plots_gp_begin()'s header of
 * values, the caller's own, then the template plots/TEMPLATE.gp appended by
 * plots_gp_finish()), added to the list with plots_add_chart().
 */
#ifndef MTUSCOPE_PLOTS_INT_H
#define MTUSCOPE_PLOTS_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "plots.h"

/* "client -> server", "server -> client": a flow direction in titles. */
extern const char *const plots_dir_long[2];

/* Opens dir/NAME.EXT for writing; NULL, said on err, when it cannot. */
FILE *plots_open_out(const char *dir, const char *name, const char *ext, FILE *err);

/* Closes what plots_open_out() opened; false, said on err, on a write error. */
bool plots_close_out(FILE *fp, const char *dir, const char *name, const char *ext, FILE *err);

/* Writes s as a gnuplot single-quoted string. */
void plots_gp_string(FILE *gp, const char *s);

/* Starts dir/NAME.gp with what the template needs to know; the caller adds
 * its own values, then plots_gp_finish() appends the template from tdir and
 * closes it. */
FILE *plots_gp_begin(const char *dir, const char *name, const char *tmpl, const char *title,
                     bool has_data, FILE *err);
bool plots_gp_finish(FILE *gp, const char *dir, const char *name, const char *tdir,
                     const char *tmpl, FILE *err);

/* Adds a written chart to the list (NULL when it is full), or a note on
 * what was not drawn. */
struct plot_chart *plots_add_chart(struct plots *p, const char *name, const char *title,
                                   const char *what);
void plots_add_note(struct plots *p, const char *text);

/* The time-sequence graphs and the retransmission timeline (plots_tsg.c),
 * from a second read of the inputs: written into dir, not rendered.  False
 * when a file could not be written or memory ran out. */
bool plots_replay(const char *dir, const char *tdir, const struct report_data *r,
                  const struct plots_inputs *in, struct plots *p, FILE *err);

/* Goodput against the MTU setting, one capture per setting (plots_mtu.c):
 * written into dir when the inputs are such a series, else nothing.  False
 * when a file could not be written. */
bool plots_mtu_series(const char *dir, const char *tdir, const struct report_data *r,
                      struct plots *p, FILE *err);

/* A DF ping sweep's requests answered and unanswered by size, the MTU
 * marked (plots_mtu.c): written when the inputs hold a sweep. */
bool plots_ping_sweep(const char *dir, const char *tdir, const struct report_data *r,
                      struct plots *p, FILE *err);

#endif
