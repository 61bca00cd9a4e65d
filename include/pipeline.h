/*
 * pipeline.h - running one capture file through every analysis stage.
 *
 *   capture -> decode -> defragment -> statistics (stats.h) and flows
 *   (flow.h, kept in results.h) -> an optional per-packet hook.
 */
#ifndef MTUSCOPE_PIPELINE_H
#define MTUSCOPE_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "inputs.h"
#include "packet.h"
#include "results.h"
#include "stats.h"

enum pipeline_status {
    PIPELINE_OK,         /* read to the end */
    PIPELINE_FAIL,       /* unreadable, or broke mid-way: s->error says where */
    PIPELINE_BAD_FILTER, /* the filter does not compile for this input */
};

struct pipeline_opts {
    const char *filter; /* BPF expression, NULL for none */
    uint64_t count;     /* stop after this many packets, 0 = all */
    uint32_t max_flows; /* live flows, 0 = the default */
    bool progress;      /* progress on stderr when it is a terminal */
    bool quiet;         /* no diagnostics (a replay of an input already reported) */
    /* non-zero once the user pressed Ctrl-C: stop reading, mark the input
     * interrupted (may be NULL) */
    const volatile sig_atomic_t *stop;
    /* rotated captures (inputs.h): an input that is a group's first file is
     * read with the rest of the group as one stream (may be NULL) */
    const struct input_groups *groups;
    /* a replay for the charts (replay_inputs): the stages that give the
     * flows their ids, directions and TCP analysis (decode, duplicates,
     * reassembly, flows) and the hook; not those only the report reads
     * (statistics but the times, UDP exchanges, ICMP messages, PMTUD, the
     * -i any box): the flows see the same packets either way */
    bool flows_only;
};

/* Called for every packet after the flow stage; fp->flow is the report-wide
 * flow id (0: no flow). */
typedef void (*pipeline_packet_fn)(void *ctx, const struct packet *pkt, const struct flow_pkt *fp);

struct pipeline_hooks {
    pipeline_packet_fn packet;
    void *ctx;
    /* may be NULL; set by the hook once it needs no more packets: the read
     * stops (replay_inputs() reads no further input either) */
    const bool *enough;
};

/* Reads `path` (input number idx) into the statistics s and the results res.
 * hooks may be NULL. */
enum pipeline_status pipeline_run(const char *path, int idx, const struct pipeline_opts *o,
                                  struct input_stats *s, struct results *res,
                                  const struct pipeline_hooks *hooks);
/* The same; read_ahead false reads a file in this thread, as a pipe is read:
 * for a caller that reads small files again and again (the fuzz targets),
 * where starting a thread costs more than the read. */
enum pipeline_status pipeline_run_reading(const char *path, int idx, const struct pipeline_opts *o,
                                          struct input_stats *s, struct results *res,
                                          const struct pipeline_hooks *hooks, bool read_ahead);

/* Before analysing a frame read through rd: asks the memory for what the
 * next frames will need (pipeline.c says what and why); a second read of
 * the inputs (replay.c) does the same.  Changes nothing. */
struct reader;
struct dedup;
void pipeline_prefetch(const struct reader *rd, const struct dedup *dd);

#endif
