/*
 * main.c - the mtuscope command: runs each input through the pipeline
 * (pipeline.c), then writes the reports.  It owns the per-run state and turns
 * failures into messages and exit codes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "corr_feed.h"
#include "correlate.h"
#include "escape.h"
#include "html.h"
#include "inference.h"
#include "inputs.h"
#include "options.h"
#include "outdir.h"
#include "pipeline.h"
#include "plots.h"
#include "plots_spill.h"
#include "replay.h"
#include "report.h"
#include "results.h"
#include "stats.h"

/* The Ctrl-C flag: the one piece of global state, since a signal handler
 * can reach nothing else.  Stages read it through pipeline_opts.stop. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Ctrl-C stops the reading and the report covers what was read, as tshark
 * does; a second Ctrl-C ends mtuscope at once (SA_RESETHAND).  A closed
 * standard output is an error to report, not a silent death by SIGPIPE:
 * -o DIR is still written. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: a read blocked on a pipe returns */
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The names mtuscope writes into -o DIR (so a later run may replace or
 * remove them); anything else in DIR is left alone. */
static bool owns_name(const char *name)
{
    return strcmp(name, "report.txt") == 0 || strcmp(name, "report.json") == 0 ||
           strcmp(name, "report.html") == 0 || plots_owns_name(name);
}

static bool write_report(const char *dir, const char *name, const struct report_data *r,
                         const struct report_opts *ro)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        escape_line(stderr, "mtuscope: %s: %s", path, strerror(errno));
        return false;
    }
    if (ro)
        report_text(fp, r, ro);
    else
        report_json(fp, r);
    bool bad = ferror(fp) != 0;
    if (fclose(fp) != 0 || bad) {
        escape_line(stderr, "mtuscope: %s: write error", path);
        return false;
    }
    return true;
}

/* Lists what a run wrote into DIR, and what of an earlier run it removed. */
static void say_written(const char *dir, const struct outdir_result *res)
{
    size_t len = 1;
    for (size_t i = 0; i < res->nwritten; i++)
        len += strlen(res->written[i]) + 1;
    for (size_t i = 0; i < res->nremoved; i++)
        len += strlen(res->removed[i]) + 1;
    char *w = malloc(len), *x = malloc(len);
    if (!w || !x) {
        free(w);
        free(x);
        return;
    }
    w[0] = x[0] = '\0';
    for (size_t i = 0; i < res->nwritten; i++)
        strcat(strcat(w, i ? " " : ""), res->written[i]);
    for (size_t i = 0; i < res->nremoved; i++)
        strcat(strcat(x, i ? " " : ""), res->removed[i]);
    escape_line(stderr, "mtuscope: wrote %zu file%s into %s: %s", res->nwritten,
                res->nwritten == 1 ? "" : "s", dir, w);
    if (res->nremoved)
        escape_line(stderr, "mtuscope: removed %zu file%s of an earlier run from %s: %s",
                    res->nremoved, res->nremoved == 1 ? "" : "s", dir, x);
    free(w);
    free(x);
}

/* Writes the reports into DIR (outdir.h: checked or created 0700, written
 * through a private staging directory, published by rename): text, JSON,
 * the charts (unless --no-plots; they may read the inputs again) and the
 * HTML page that holds them all. */
static int write_outdir(const char *dir, const struct report_data *r, const struct report_opts *ro,
                        const struct options *o, const char *const *paths,
                        const struct pipeline_opts *po, bool replay, struct plots_spill *spill)
{
    char err[OUTDIR_ERRLEN];
    struct outdir *od = outdir_open(dir, err);
    if (!od) {
        escape_line(stderr, "mtuscope: %s", err);
        return EXIT_FAIL;
    }
    const char *stage = outdir_stage(od);
    int rc = EXIT_OK;
    if (!write_report(stage, "report.txt", r, ro) || !write_report(stage, "report.json", r, NULL))
        rc = EXIT_FAIL;
    struct plots *pl = NULL;
    if (rc == EXIT_OK && !o->no_plots) {
        pl = calloc(1, sizeof *pl);
        struct replay_src rs = {paths, replay ? r->ninputs : 0, po};
        struct plots_inputs in = {{replay_inputs, replay_rereadable, &rs},
                                  rs.n,
                                  o->plot_timeout,
                                  &interrupted,
                                  o->ladder_flow,
                                  replay ? spill : NULL};
        if (!pl || !plots_write(stage, r, &in, pl, stderr))
            rc = EXIT_FAIL;
    }
    if (rc == EXIT_OK && !html_write(stage, r, ro, pl, o->truth, stderr))
        rc = EXIT_FAIL;
    free(pl);
    if (rc == EXIT_OK) {
        /* the files are complete here: published even after a Ctrl-C during
         * the charts, since each one is whole */
        struct outdir_result res;
        if (!outdir_publish(od, owns_name, &res, err)) {
            escape_line(stderr, "mtuscope: %s: %s", dir, err);
            rc = EXIT_FAIL;
        }
        say_written(dir, &res);
        outdir_result_free(&res);
    } else {
        escape_line(stderr, "mtuscope: %s: nothing written (the reports could not be made)", dir);
    }
    outdir_close(od);
    return rc;
}

/* The inputs as the analysis takes them (inputs.h): each a file, or a
 * rotated capture's files read as one; paths[i] is input i's first file. */
struct run_inputs {
    struct input_groups groups;
    const char *paths[OPT_MAX_INPUTS];
    struct capscan scans[OPT_MAX_INPUTS]; /* of each input (a group's as one) */
    int n;
};

/* The pass before the analysis over every file, then the grouping. */
static struct run_inputs *group_inputs(const struct options *o)
{
    struct run_inputs *ri = calloc(1, sizeof *ri);
    struct capscan *each = calloc(OPT_MAX_INPUTS, sizeof *each);
    if (!ri || !each) {
        free(ri);
        free(each);
        return NULL;
    }
    /* the records' times only say which files are one rotated capture */
    inputs_scan(o->inputs, o->ninputs, each);
    /* rotated files given out of order are read in the order of their
     * first timestamps, and the report says so */
    const char *files[OPT_MAX_INPUTS];
    bool moved[OPT_MAX_INPUTS];
    for (int i = 0; i < o->ninputs; i++)
        files[i] = o->inputs[i];
    inputs_sort_rotated(files, each, o->ninputs, moved);
    inputs_group(&ri->groups, files, each, o->ninputs);
    int at = 0;
    for (int i = 0; i < ri->groups.n; i++) {
        struct input_group *g = &ri->groups.g[i];
        bool sorted = false;
        for (int k = 0; k < g->nfiles; k++)
            sorted |= moved[at + k];
        if (sorted && g->nfiles > 1) {
            size_t len = strlen(g->why);
            snprintf(g->why + len, sizeof g->why - len,
                     "%sgiven out of order: read sorted by their first timestamps",
                     len ? "; " : "");
        }
        ri->paths[i] = g->files[0];
        inputs_group_scan(each + at, g->nfiles, &ri->scans[i]);
        at += g->nfiles;
    }
    ri->n = ri->groups.n;
    free(each);
    return ri;
}

/* What the first pass records for the later stages: the charts' records
 * and the correlation's (either may be NULL). */
struct first_records {
    struct plots_spill *charts;
    struct corr_feed *match;
};

static void record_packet(void *ctx, const struct packet *pkt, const struct flow_pkt *fp)
{
    const struct first_records *fr = ctx;
    if (fr->charts)
        plots_spill_packet(fr->charts, pkt, fp);
    if (fr->match)
        corr_feed_packet(fr->match, pkt, fp);
}

/* Each input once through the pipeline.  Returns the exit status so far;
 * *ninputs: inputs started, *nread: inputs that could be opened. */
static int read_inputs(const struct run_inputs *ri, const struct pipeline_opts *po,
                       const struct first_records *fr, struct input_stats **inputs,
                       struct results *res, int *ninputs, int *nread)
{
    struct pipeline_hooks hooks = {record_packet, (void *)fr, NULL};
    int rc = EXIT_OK;
    *ninputs = *nread = 0;
    for (int i = 0; i < ri->n && !interrupted; i++) {
        inputs[i] = stats_new(ri->paths[i]);
        if (!inputs[i]) {
            fprintf(stderr, "mtuscope: out of memory\n");
            return EXIT_FAIL;
        }
        *ninputs = i + 1;
        inputs[i]->scan = ri->scans[i];
        if (ri->groups.g[i].why[0] && ri->groups.g[i].nfiles == 1)
            inputs[i]->why_alone = ri->groups.g[i].why;
        if (fr->match)
            corr_feed_begin(fr->match, i);
        enum pipeline_status r = pipeline_run(ri->paths[i], i, po, inputs[i], res,
                                              fr->charts || fr->match ? &hooks : NULL);
        bool opened = inputs[i]->format[0] != '\0'; /* the rest may have broken */
        if (fr->match)
            corr_feed_end(fr->match, i, opened);
        if (r == PIPELINE_BAD_FILTER)
            return EXIT_USAGE;
        if (r == PIPELINE_FAIL)
            rc = EXIT_FAIL;
        *nread += opened;
    }
    return rc;
}

/* Several vantage points: their packets matched before the inference, which
 * takes measured delivery as its strongest evidence, from the first pass's
 * records (feed, may be NULL) or a second read.  Not after a Ctrl-C: the
 * second read would go further than the report did, and the user asked to
 * stop. */
static void correlate_inputs(const struct run_inputs *ri, const struct pipeline_opts *po,
                             struct corr_feed *feed, int ninputs, bool cut,
                             struct correlation *corr, struct results *res)
{
    if (cut)
        return;
    struct pipeline_opts cpo = *po;
    cpo.quiet = true;
    struct replay_src rs = {ri->paths, ninputs, &cpo};
    struct corr_feed_src fs = {feed, &rs};
    struct corr_source src = {corr_feed_pair, corr_feed_first_time, corr_feed_rereadable, &fs};
    if (correlate_run(corr, &src, ninputs, res) && !interrupted)
        res->correlation = corr;
    else if (!interrupted)
        fprintf(stderr, "mtuscope: out of memory for the correlation of the inputs\n");
    else
        fprintf(stderr, "mtuscope: interrupted while matching the inputs: the report has no "
                        "correlation\n");
}

/* The inference, then the reports: stdout first (a reader sees the answer
 * while the charts are drawn), then -o DIR.  Returns the exit status. */
static int infer_and_report(const struct options *o, const char *const *paths,
                            const struct pipeline_opts *po, struct input_stats *const *inputs,
                            int ninputs, const struct results *res, bool cut,
                            struct plots_spill *spill, int rc)
{
    struct inference *inf = calloc(1, sizeof *inf); /* large: the heap, not the stack */
    if (!inf || !inference_run(inf, inputs, ninputs, res)) {
        fprintf(stderr, "mtuscope: out of memory for the inference\n");
        free(inf);
        inf = NULL;
        rc = EXIT_FAIL;
    }
    struct report_data rd = {inputs, ninputs, res, inf, NULL};
    struct report_opts ro = {o->stats, o->flows, false, o->quiet, o->full};
    ro.color = o->color == COLOR_ALWAYS || (o->color == COLOR_AUTO && isatty(STDOUT_FILENO));
    if (o->json)
        report_json(stdout, &rd);
    else
        report_text(stdout, &rd, &ro);
    fflush(stdout);
    if (o->outdir) {
        struct report_opts fo = ro;
        fo.color = false;
        fo.quiet = false; /* report.txt is always the whole report */
        fo.full = true;
        int w = write_outdir(o->outdir, &rd, &fo, o, paths, po, !cut, spill);
        if (w != EXIT_OK)
            rc = w;
    }
    if (rc == EXIT_OK && inf && options_fail_on(o, inf->status))
        rc = EXIT_VERDICT; /* --fail-on; a failed input (1) wins */
    if (inf)
        inference_free(inf);
    free(inf);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = options_parse(&o, argc, argv, stderr);
    if (rc != EXIT_OK) {
        options_free(&o);
        return rc;
    }
    if (o.help || o.version) {
        if (o.help)
            options_usage(stdout);
        else
            printf("mtuscope %s (%s)\n", MTUSCOPE_VERSION, capture_lib_version());
        options_free(&o);
        return EXIT_OK;
    }
    catch_signals();

    struct input_stats *inputs[OPT_MAX_INPUTS] = {0};
    struct results res;
    if (!results_init(&res)) {
        fprintf(stderr, "mtuscope: out of memory\n");
        options_free(&o);
        return EXIT_FAIL;
    }
    struct run_inputs *ri = group_inputs(&o);
    if (!ri) {
        fprintf(stderr, "mtuscope: out of memory\n");
        results_free(&res);
        options_free(&o);
        return EXIT_FAIL;
    }
    struct pipeline_opts po = {o.filter, o.count,      o.max_flows, true,
                               false,    &interrupted, &ri->groups, false};
    /* the charts' records, made in the first pass (plots_spill.h); none
     * when no temporary file can be made: the charts read the inputs again */
    struct plots_spill *spill = o.outdir && !o.no_plots ? plots_spill_new(PLOTS_SPILL_MAX) : NULL;
    /* the correlation's records (corr_feed.h), with two inputs or more */
    struct first_records fr = {spill, ri->n > 1 ? corr_feed_new(ri->n, CORR_FEED_MAX) : NULL};
    int ninputs, nread;
    rc = read_inputs(ri, &po, &fr, inputs, &res, &ninputs, &nread);
    bool cut = interrupted != 0; /* Ctrl-C while reading: what was read is reported */
    if (cut)
        escape_line(stderr, "mtuscope: interrupted: the report covers the %d input%s read so far%s",
                    ninputs, ninputs == 1 ? "" : "s",
                    ninputs ? " (the last one only in part)" : "");

    struct correlation corr = {0};
    if (rc != EXIT_USAGE && nread == 0) {
        /* no input could be read: an error, never a verdict about it */
        escape_line(stderr, "mtuscope: no input could be read: no report");
        if (o.json) {
            struct report_data rd = {inputs, ninputs, &res, NULL, "no input could be read"};
            report_json(stdout, &rd);
        }
        if (o.outdir)
            escape_line(stderr, "mtuscope: %s: nothing written", o.outdir);
        rc = EXIT_FAIL;
    } else if (rc != EXIT_USAGE) {
        correlate_inputs(ri, &po, fr.match, ninputs, cut, &corr, &res);
        rc = infer_and_report(&o, ri->paths, &po, inputs, ninputs, &res, cut, spill, rc);
    }
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        escape_line(stderr, "mtuscope: standard output: %s%s",
                    e ? strerror(e) : "write error (a closed pipe or a full disk)",
                    o.outdir ? "; the files of -o DIR were written all the same" : "");
        rc = EXIT_FAIL;
    }
    if (cut && (rc == EXIT_OK || rc == EXIT_VERDICT))
        rc = EXIT_INTERRUPTED; /* a verdict on part of the capture is not one to act on */

    for (int i = 0; i < ninputs; i++)
        stats_free(inputs[i]);
    plots_spill_free(spill);
    corr_feed_free(fr.match);
    free(ri);
    correlate_free(&corr);
    results_free(&res);
    options_free(&o);
    return rc;
}
