/*
 * main.c - the mtuscope command: runs each input through the pipeline
 * (pipeline.c), then writes the reports.  It owns the per-run state and turns
 * failures into messages and exit codes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "correlate.h"
#include "html.h"
#include "inference.h"
#include "options.h"
#include "pipeline.h"
#include "plots.h"
#include "report.h"
#include "results.h"
#include "stats.h"

/* Writes the reports into DIR (created if missing): text, JSON, the charts
 * (unless --no-plots; they may read the inputs again) and the HTML page that
 * holds them all. */
static int write_outdir(const char *dir, const struct report_data *r, const struct report_opts *ro,
                        const struct options *o, const struct pipeline_opts *po)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "mtuscope: %s: %s\n", dir, strerror(errno));
        return EXIT_FAIL;
    }
    static const char *const names[] = {"report.txt", "report.json"};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *fp = fopen(path, "w");
        if (!fp) {
            fprintf(stderr, "mtuscope: %s: %s\n", path, strerror(errno));
            return EXIT_FAIL;
        }
        if (i == 0)
            report_text(fp, r, ro);
        else
            report_json(fp, r);
        if (fclose(fp) != 0) {
            fprintf(stderr, "mtuscope: %s: %s\n", path, strerror(errno));
            return EXIT_FAIL;
        }
    }
    int rc = EXIT_OK;
    struct plots *pl = NULL;
    if (!o->no_plots) {
        pl = calloc(1, sizeof *pl);
        struct plots_inputs in = {o->inputs, r->ninputs, po};
        if (!pl || !plots_write(dir, r, &in, pl, stderr))
            rc = EXIT_FAIL;
    }
    if (!html_write(dir, r, ro, pl, stderr))
        rc = EXIT_FAIL;
    free(pl);
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

    struct input_stats *inputs[OPT_MAX_INPUTS] = {0};
    struct results res;
    if (!results_init(&res)) {
        fprintf(stderr, "mtuscope: out of memory\n");
        options_free(&o);
        return EXIT_FAIL;
    }
    struct pipeline_opts po = {o.filter, o.count, o.max_flows, true, false};
    for (int i = 0; i < o.ninputs; i++) {
        inputs[i] = stats_new(o.inputs[i]);
        if (!inputs[i]) {
            fprintf(stderr, "mtuscope: out of memory\n");
            rc = EXIT_FAIL;
            break;
        }
        enum pipeline_status r = pipeline_run(o.inputs[i], i, &po, inputs[i], &res, NULL);
        if (r == PIPELINE_BAD_FILTER) {
            rc = EXIT_USAGE;
            break;
        }
        if (r == PIPELINE_FAIL)
            rc = EXIT_FAIL;
    }

    struct correlation corr = {0};
    if (rc != EXIT_USAGE) {
        int ninputs = 0; /* out of memory may have stopped early: report what exists */
        while (ninputs < o.ninputs && inputs[ninputs])
            ninputs++;
        /* several vantage points: match their packets before the inference,
         * which takes measured delivery as its strongest evidence */
        struct pipeline_opts cpo = po;
        cpo.quiet = true;
        if (correlate_run(&corr, o.inputs, ninputs, &cpo, &res))
            res.correlation = &corr;
        else
            fprintf(stderr, "mtuscope: out of memory for the correlation of the inputs\n");
        struct inference *inf = calloc(1, sizeof *inf); /* ~1 MB: the heap, not the stack */
        if (!inf || !inference_run(inf, inputs, ninputs, &res)) {
            fprintf(stderr, "mtuscope: out of memory for the inference\n");
            free(inf);
            inf = NULL;
            rc = EXIT_FAIL;
        }
        struct report_data rd = {inputs, ninputs, &res, inf};
        struct report_opts ro = {o.stats, o.flows, false, o.quiet};
        ro.color = o.color == COLOR_ALWAYS || (o.color == COLOR_AUTO && isatty(STDOUT_FILENO));
        if (o.json)
            report_json(stdout, &rd);
        else
            report_text(stdout, &rd, &ro);
        if (o.outdir) {
            struct report_opts fo = ro;
            fo.color = false;
            fo.quiet = false; /* report.txt is always the whole report */
            int w = write_outdir(o.outdir, &rd, &fo, &o, &po);
            if (w != EXIT_OK)
                rc = w;
        }
        if (fflush(stdout) != 0)
            rc = EXIT_FAIL;
        if (rc == EXIT_OK && inf && options_fail_on(&o, inf->status))
            rc = EXIT_VERDICT; /* --fail-on; a failed input (1) wins */
        if (inf)
            inference_free(inf);
        free(inf);
    }

    for (int i = 0; i < o.ninputs; i++)
        stats_free(inputs[i]);
    correlate_free(&corr);
    results_free(&res);
    options_free(&o);
    return rc;
}
