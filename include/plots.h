/*
 * plots.h - the charts of `-o DIR`: for each one a data file (NAME.dat) and a
 * gnuplot script (NAME.gp: a header of values mtuscope computed, then a
 * template from plots/), rendered by running gnuplot to NAME.png (pngcairo,
 * 1200x700; the ladder as tall as its arrows need) and NAME.svg.
 *
 *   size-delivery-DIR   TCP data sent / delivered / lost by IP packet size,
 *                       delivery ratio, path-MTU bounds (the headline), one
 *                       per direction of interest (c2s, s2c); an empty
 *                       size-delivery when no TCP data was seen
 *   tsg-flowN           time-sequence graph of a flagged TCP flow (a black
 *                       hole, stalled or retransmitting; the busiest flow
 *                       when none is); an empty tsg when there is no TCP flow
 *   retrans-timeline    retransmissions per interval, storms shaded
 *   goodput             per-flow goodput against the flow's largest packet
 *   ladder              the headline finding's TCP connection as a ladder
 *                       (sequence) diagram: sizes on the arrows, losses
 *                       ending on the path, ICMP messages, the heal
 *                       (plots_ladder.c; matched across two captures when
 *                       the connection is in both; a ping sweep when the
 *                       capture has no TCP; an encrypted tunnel's datagrams
 *                       matched across two captures when it has neither)
 *   mtu-goodput         several captures of one transfer at several MTU
 *                       settings: goodput against the setting (plots_mtu.c)
 *   ping-sweep          a DF ping sweep's requests answered and unanswered by
 *                       size, the path MTU marked (plots_mtu.c)
 *
 * The time-sequence graph, the timeline and the ladder need per-packet
 * detail that the report stages summarise away.  The first pass records
 * what the graphs and the timeline draw (plots_spill.h); the ladder reads
 * the inputs a second time through the pipeline with a hook (replay.h,
 * given by main; plots_tsg.c collects), until its connection has ended.
 * Standard input cannot be read twice: the ladder is then skipped with a
 * note (and the graphs and timeline too when there are no records).  The
 * charts of the first pass are rendered while the ladder's read runs.
 * When gnuplot is not installed the data and scripts are still written and
 * one line on stderr says how to render them.
 */
#ifndef MTUSCOPE_PLOTS_H
#define MTUSCOPE_PLOTS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

struct pipeline_hooks; /* pipeline.h: only plots_tsg.c, which records, needs it */
struct plots_spill;    /* plots_spill.h: main() makes it, the first pass fills it */

#define PLOTS_MAX_TSG 6 /* time-sequence graphs (flagged flows) per run */
#define PLOTS_MAX_CHARTS 14
/* plots_add_chart() drops a chart past the list: written, never rendered nor shown */
_Static_assert(PLOTS_MAX_CHARTS >= 2 + PLOTS_MAX_TSG + 1 + 1 + 1 + 1 + 1,
               "room for 2 size charts, the graphs, the timeline, goodput, mtu-goodput, "
               "the ping sweep and the ladder");
#define PLOTS_MAX_NOTES 4
#define PLOTS_TEXT 512

struct plot_chart {
    char name[64]; /* file stem in DIR */
    char title[PLOTS_TEXT];
    char what[PLOTS_TEXT]; /* what it shows, one sentence for the HTML report */
    bool rendered;         /* gnuplot wrote NAME.png and NAME.svg */
};

struct plots {
    int ncharts;
    struct plot_chart charts[PLOTS_MAX_CHARTS];
    int nnotes;
    char notes[PLOTS_MAX_NOTES][PLOTS_TEXT]; /* charts skipped or not rendered, and why */
};

/* How to read the inputs again for the per-packet charts (main() passes
 * replay.h's functions: plots open no capture), and how long gnuplot may
 * take. */
struct plots_reread {
    /* every input through the pipeline again, each packet to hooks */
    bool (*inputs)(void *src, const struct pipeline_hooks *hooks);
    bool (*rereadable)(void *src, int input); /* false for standard input */
    void *src;
};

struct plots_inputs {
    struct plots_reread reread;
    int npaths;                        /* inputs to read again; 0: none */
    double gnuplot_timeout_s;          /* per chart; 0: none */
    const volatile sig_atomic_t *stop; /* set on Ctrl-C: stop gnuplot (may be NULL) */
    uint64_t ladder_flow;              /* the flow the ladder draws; 0: the headline's */
    /* the first pass's records for the timeline and the time-sequence
     * graphs (plots_spill.h); NULL: they read the inputs again */
    struct plots_spill *spill;
};

/* Writes the charts into dir and renders them there.  dir must be private
 * to this run (outdir.h's staging directory): gnuplot runs in it.  Messages
 * go to err.  Returns false when a file could not be written. */
bool plots_write(const char *dir, const struct report_data *r, const struct plots_inputs *in,
                 struct plots *out, FILE *err);

/* Whether NAME is a file plots_write() writes (so a later run may replace
 * or remove it). */
bool plots_owns_name(const char *name);

#endif
