/*
 * main.c - mtuscope's pipeline: capture -> decode -> defragment -> statistics
 * and flows -> report.  Each stage is a module; this file only wires them together,
 * owns the per-run state, and turns failures into messages and exit codes.
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
#include "decode.h"
#include "defrag.h"
#include "flow.h"
#include "options.h"
#include "report.h"
#include "results.h"
#include "stats.h"

/* Progress on stderr, only when it is a terminal (never in pipes or logs). */
struct progress {
    bool on;
    struct timespec last;
    uint64_t file_size; /* 0 when unknown (stdin) */
};

static void progress_tick(struct progress *pg, const struct capture *cap, uint64_t packets)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - pg->last.tv_sec) + (now.tv_nsec - pg->last.tv_nsec) / 1e9;
    if (dt < 0.25)
        return;
    pg->last = now;
    if (pg->file_size)
        fprintf(stderr, "\r%s: %" PRIu64 " packets, %.0f%%\033[K", capture_path(cap), packets,
                100.0 * (double)capture_bytes_read(cap) / (double)pg->file_size);
    else
        fprintf(stderr, "\r%s: %" PRIu64 " packets\033[K", capture_path(cap), packets);
}

static void progress_done(struct progress *pg)
{
    if (pg->on)
        fputs("\r\033[K", stderr);
}

/* Reads one input through the pipeline into *s.  Returns EXIT_OK, EXIT_FAIL
 * (the input is unreadable or broke mid-way; what was read is counted) or
 * EXIT_USAGE (the filter does not compile). */
static int run_input(const struct options *o, int idx, struct input_stats *s, struct results *res,
                     struct packet *pkt)
{
    const char *path = o->inputs[idx];
    char err[CAPTURE_ERRLEN];
    struct capture *cap = capture_open(path, err);
    if (!cap) {
        fprintf(stderr, "mtuscope: %s\n", err);
        snprintf(s->error, sizeof s->error, "%s", err);
        return EXIT_FAIL;
    }
    snprintf(s->format, sizeof s->format, "%s", capture_format(cap));
    int linktype = capture_linktype(cap);
    stats_add_linktype(s, linktype);
    if (!decode_linktype_supported(linktype))
        fprintf(stderr,
                "mtuscope: %s: link type %s (%d) is not decoded; packets are counted only\n", path,
                capture_linktype_name(linktype), linktype);
    if (!capture_set_filter(cap, o->filter, err)) {
        fprintf(stderr, "mtuscope: %s\n", err);
        capture_close(cap);
        return EXIT_USAGE;
    }

    struct defrag *df = defrag_new(NULL);
    struct flow_limits fl = {0};
    fl.max_flows = o->max_flows;
    struct flow_table *ft = flow_new(&fl, results_flow_done, results_storm, res);
    if (!df || !ft) {
        fprintf(stderr, "mtuscope: out of memory\n");
        defrag_free(df);
        flow_free(ft);
        capture_close(cap);
        return EXIT_FAIL;
    }
    results_begin_input(res, (uint16_t)idx);

    struct progress pg = {isatty(STDERR_FILENO) != 0, {0, 0}, 0};
    struct stat st;
    if (pg.on && strcmp(path, "-") != 0 && stat(path, &st) == 0)
        pg.file_size = (uint64_t)st.st_size;
    clock_gettime(CLOCK_MONOTONIC, &pg.last);

    int rc = EXIT_OK, last_linktype = linktype;
    struct capture_frame f;
    enum capture_status cs;
    while ((cs = capture_next(cap, &f, err)) == CAPTURE_OK) {
        pkt->frame = f.number;
        pkt->ts_sec = f.ts_sec;
        pkt->ts_nsec = f.ts_nsec;
        pkt->input = (uint16_t)idx;
        if (f.linktype != last_linktype) { /* a pcapng file mixing link types */
            last_linktype = f.linktype;
            stats_add_linktype(s, f.linktype);
        }
        decode_frame(pkt, f.linktype, f.data, f.caplen, f.wirelen);
        defrag_packet(df, pkt);
        int nicmp = s->nicmp;
        stats_add_packet(s, pkt);
        flow_packet(ft, pkt, NULL);
        for (int k = nicmp; k < s->nicmp; k++) /* tie frag-needed / PTB to a flow */
            s->icmp[k].flow = results_flow_id(res, flow_lookup_quoted(ft, pkt, s->icmp[k].layer));
        if (pg.on && (s->packets & 0x3fff) == 0)
            progress_tick(&pg, cap, s->packets);
        if (o->count && s->packets >= o->count)
            break;
    }
    progress_done(&pg);
    if (cs == CAPTURE_ERROR) {
        fprintf(stderr, "mtuscope: %s\n", err);
        snprintf(s->error, sizeof s->error, "%s", err);
        rc = EXIT_FAIL;
    }

    flow_finish_all(ft);
    results_end_input(res, ft);
    flow_free(ft);
    defrag_flush(df);
    const struct defrag_stats *ds = defrag_get_stats(df);
    stats_add_anomaly(s, AN_FRAG_INCOMPLETE, ds->incomplete);
    defrag_free(df);

    s->frames = capture_frames_read(cap);
    capture_close(cap);
    return rc;
}

/* Writes the reports into DIR (created if missing). */
static int write_outdir(const char *dir, const struct report_data *r, const struct report_opts *ro)
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
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = options_parse(&o, argc, argv, stderr);
    if (rc != EXIT_OK) {
        options_free(&o);
        return rc;
    }
    if (o.help) {
        options_usage(stdout);
        return EXIT_OK;
    }
    if (o.version) {
        printf("mtuscope %s (%s)\n", MTUSCOPE_VERSION, capture_lib_version());
        return EXIT_OK;
    }

    struct input_stats *inputs[OPT_MAX_INPUTS] = {0};
    struct packet *pkt = calloc(1, sizeof *pkt);
    struct results res;
    if (!pkt || !results_init(&res)) {
        fprintf(stderr, "mtuscope: out of memory\n");
        free(pkt);
        options_free(&o);
        return EXIT_FAIL;
    }
    for (int i = 0; i < o.ninputs; i++) {
        inputs[i] = stats_new(o.inputs[i]);
        if (!inputs[i]) {
            fprintf(stderr, "mtuscope: out of memory\n");
            rc = EXIT_FAIL;
            break;
        }
        int r = run_input(&o, i, inputs[i], &res, pkt);
        if (r == EXIT_USAGE) {
            rc = EXIT_USAGE;
            break;
        }
        if (r != EXIT_OK)
            rc = r;
    }

    if (rc != EXIT_USAGE) {
        struct report_data rd = {inputs, o.ninputs, &res};
        for (int i = 0; i < o.ninputs; i++)
            if (!inputs[i])
                rd.ninputs = i; /* out of memory: report what exists */
        struct report_opts ro = {o.stats, o.flows, false};
        ro.color = o.color == COLOR_ALWAYS || (o.color == COLOR_AUTO && isatty(STDOUT_FILENO));
        if (o.json)
            report_json(stdout, &rd);
        else
            report_text(stdout, &rd, &ro);
        if (o.outdir) {
            struct report_opts fo = ro;
            fo.color = false;
            int w = write_outdir(o.outdir, &rd, &fo);
            if (w != EXIT_OK)
                rc = w;
        }
        if (fflush(stdout) != 0)
            rc = EXIT_FAIL;
    }

    for (int i = 0; i < o.ninputs; i++)
        stats_free(inputs[i]);
    results_free(&res);
    free(pkt);
    options_free(&o);
    return rc;
}
