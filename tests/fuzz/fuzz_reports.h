/*
 * fuzz_reports.h - the last stages, as main.c runs them, for both fuzz
 * targets: the inference over what the pipeline kept, then the JSON and the
 * text report (into memory: they read every field the stages filled).
 */
#ifndef MTUSCOPE_FUZZ_REPORTS_H
#define MTUSCOPE_FUZZ_REPORTS_H

#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>

#include "inference.h"
#include "report.h"

/* The inference (1 MB) is allocated once, not per input: a 1 MB allocation
 * and free per input was half of fuzz_capture's time under AddressSanitizer
 * (a fresh mapping each time, its shadow poisoned, unmapped on recycling).
 * inference_run() zeroes its counters and each table entry as it adds it
 * (inference.h), as it does after main.c's calloc(): nothing of the previous
 * input is read, and clearing the whole megabyte here would cost 3 MB of
 * memset per fuzz_capture input for nothing. */
static inline struct inference *fuzz_inference(void)
{
    static struct inference *inf;
    if (!inf && !(inf = malloc(sizeof *inf)))
        abort();
    return inf;
}

static inline void fuzz_reports_n(struct input_stats **inputs, int ninputs, struct results *res)
{
    struct inference *inf = fuzz_inference();
    if (!inference_run(inf, inputs, ninputs, res))
        abort();
    struct report_data rd = {.inputs = inputs, .ninputs = ninputs, .res = res, .inf = inf};
    struct report_opts ro = {.layer_stats = true, .all_flows = true};
    char *out = NULL;
    size_t outlen = 0;
    FILE *fp = open_memstream(&out, &outlen);
    if (!fp)
        abort();
    __fsetlocking(fp, FSETLOCKING_BYCALLER); /* one thread: no lock per fputc() */
    report_json(fp, &rd);
    report_text(fp, &rd, &ro);
    fclose(fp);
    free(out);
    inference_free(inf);
}

static inline void fuzz_reports(struct input_stats *s, struct results *res)
{
    struct input_stats *inputs[1] = {s};
    fuzz_reports_n(inputs, 1, res);
}

#endif
