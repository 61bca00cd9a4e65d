/*
 * fuzz_reports.h - the last stages, as main.c runs them, for both fuzz
 * targets: the inference over what the pipeline kept, then the JSON and the
 * text report (into memory: they read every field the stages filled).
 */
#ifndef MTUSCOPE_FUZZ_REPORTS_H
#define MTUSCOPE_FUZZ_REPORTS_H

#include <stdio.h>
#include <stdlib.h>

#include "inference.h"
#include "report.h"

static inline void fuzz_reports_n(struct input_stats **inputs, int ninputs, struct results *res)
{
    struct inference *inf = calloc(1, sizeof *inf);
    if (!inf || !inference_run(inf, inputs, ninputs, res))
        abort();
    struct report_data rd = {.inputs = inputs, .ninputs = ninputs, .res = res, .inf = inf};
    struct report_opts ro = {.layer_stats = true, .all_flows = true};
    char *out = NULL;
    size_t outlen = 0;
    FILE *fp = open_memstream(&out, &outlen);
    if (!fp)
        abort();
    report_json(fp, &rd);
    report_text(fp, &rd, &ro);
    fclose(fp);
    free(out);
    inference_free(inf);
    free(inf);
}

static inline void fuzz_reports(struct input_stats *s, struct results *res)
{
    struct input_stats *inputs[1] = {s};
    fuzz_reports_n(inputs, 1, res);
}

#endif
