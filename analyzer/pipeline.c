/*
 * pipeline.c - one input through the stages: capture -> decode -> defragment
 * -> statistics and flows.  main.c runs it once per input for the report;
 * the chart stage runs it again with a per-packet hook, since charts want
 * per-packet detail that the report stages summarise away.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capscan.h"
#include "capture.h"
#include "decode.h"
#include "box.h"
#include "dedup.h"
#include "defrag.h"
#include "escape.h"
#include "pipeline.h"
#include "progress.h"
#include "reader.h"

/* Diagnostics go to stderr, unless the run is a quiet replay.  They quote
 * file names and libpcap's words about them: escaped (escape.h). */
static void say(const struct pipeline_opts *o, const char *fmt, ...)
{
    if (o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    escape_vline(stderr, fmt, ap);
    va_end(ap);
}

/*
 * When the capture ended, as the pcapng statistics say (isb_endtime), if it
 * may stand for the end of every flow's silence: the file read to its end,
 * every packet seen (no filter, which may hide a flow's packets; no -c), the
 * end not before the last packet (a block written mid-capture, or a clock
 * that jumped), and every packet the capture received in the file (isb_ifrecv
 * not more than the file's frames and the drops).  0 otherwise, with the reason in
 * s->capture_end_why.
 */
static int64_t capture_end(struct input_stats *s, const struct pipeline_opts *o,
                           enum capture_status cs)
{
    const struct capscan *sc = &s->scan;
    s->capture_end_used = false;
    s->capture_end_us = false;
    s->capture_end_why = NULL;
    s->capture_end_ns = sc->end_ns;
    if (!sc->has_end)
        return 0;
    int64_t first = s->first_sec * 1000000000ll + s->first_nsec;
    int64_t last = s->last_sec * 1000000000ll + s->last_nsec;
    /* read as the interface's resolution says, the end falls before the
     * capture began, and read in microseconds it does not: dumpcap's
     * microseconds (capscan.h) */
    if (s->has_time && sc->end_ns < first && sc->has_end_us && sc->end_us_ns >= first) {
        s->capture_end_ns = sc->end_us_ns;
        s->capture_end_us = true;
    }
    if (cs != CAPTURE_EOF || s->interrupted)
        s->capture_end_why = "the file was not read to its end";
    else if (o->filter)
        s->capture_end_why = "a filter may hide packets after it";
    else if (o->count)
        s->capture_end_why = "-c stopped the reading before it";
    else if (!s->has_time || s->capture_end_ns < last)
        s->capture_end_why = "it is earlier than the last packet";
    else if (sc->has_ifrecv && s->frames + sc->ifdrop + sc->osdrop < sc->ifrecv)
        /* a file cut or filtered after the capture keeps the capture's
         * statistics: packets after this file's last one may be missing from
         * it (seen: corpus files of 4 packets of 591 received) */
        s->capture_end_why = "the file holds fewer packets than the capture received (cut or "
                             "filtered after the capture)";
    if (s->capture_end_why)
        return 0;
    s->capture_end_used = true;
    return s->capture_end_ns;
}

/* The pass before the analysis: of the file, or of every file of a rotated
 * capture, as one (inputs_group_scan). */
static void scan_input(const char *path, const struct input_group *g, struct input_stats *s)
{
    if (!g || g->nfiles < 2) {
        capscan_file(path, false, &s->scan); /* one file: its header is enough */
        return;
    }
    struct capscan *each = calloc((size_t)g->nfiles, sizeof *each);
    if (!each)
        return;
    for (int i = 0; i < g->nfiles; i++)
        capscan_file(g->files[i], true, &each[i]);
    inputs_group_scan(each, g->nfiles, &s->scan);
    free(each);
}

enum pipeline_status pipeline_run(const char *path, int idx, const struct pipeline_opts *o,
                                  struct input_stats *s, struct results *res,
                                  const struct pipeline_hooks *hooks)
{
    return pipeline_run_reading(path, idx, o, s, res, hooks, true);
}

/* The ICMP MTU messages the last packet added (from index first on): tied
 * to the flow of the packet they quote, and watched (pmtud.h). */
static void icmp_messages(struct input_stats *s, int first, struct results *res,
                          struct flow_table *ft, const struct packet *pkt, int idx)
{
    for (int k = first; k < s->nicmp; k++) {
        struct icmp_mtu_msg *m = &s->icmp[k];
        m->flow = results_flow_id(res, flow_lookup_quoted(ft, pkt, m->layer));
        uint32_t tun = flow_icmp_tunnel(ft, pkt, m->layer);
        m->tunnel = tun ? tun + res->tunnel_base : 0;
        /* the quote may understate the packet (cut to 576 bytes and its
         * length rewritten): the captured original says its size */
        m->original_len = flow_quoted_original(ft, pkt, m->layer, &m->original_frame);
        uint32_t mtu = m->mtu ? m->mtu : pmtud_plateau_below(icmp_msg_size(m));
        /* a quoted tunnel packet: its inner sender is watched, against the
         * MTU less the tunnel's overhead (what its packets must shrink to) */
        struct addr src = m->qsrc;
        uint32_t overhead;
        if (flow_quote_inner(pkt, m->layer, &src, &overhead) && mtu > overhead) {
            mtu -= overhead;
            m->quoted_overhead = (uint16_t)(overhead < UINT16_MAX ? overhead : UINT16_MAX);
        }
        pmtud_icmp(res->pmtud, idx, k, m->flow, &src, mtu,
                   pkt->ts_sec * 1000000000ll + pkt->ts_nsec);
    }
}

/* The outermost IP size of a packet as captured (what the host received),
 * 0 when it has none. */
static uint32_t box_ip_size(const struct packet *p)
{
    for (int i = 0; i < p->nlayers; i++) {
        const struct layer *l = &p->layers[i];
        if (l->flags & (LF_QUOTED | LF_REASSEMBLED))
            return 0;
        if (l->type == LAYER_IPV4 || l->type == LAYER_IPV6)
            return l->u.ip.ip_len;
    }
    return 0;
}

/* What the box saw, kept in the input's statistics: the flow directions it
 * forwarded (a direction it never forwarded as it came is no loss, box.h). */
static void box_keep(struct box *bx, struct input_stats *s)
{
    box_end(bx, s->last_sec * 1000000000ll + s->last_nsec);
    s->box_unjudged = bx->unjudged;
    uint32_t n = 0;
    for (uint32_t i = 0; i < bx->ndirs; i++)
        n += bx->dirs[i].forwarded > 0;
    if (n && (s->box = malloc(n * sizeof *s->box)) != NULL)
        for (uint32_t i = 0; i < bx->ndirs; i++)
            if (bx->dirs[i].forwarded)
                s->box[s->nbox++] = bx->dirs[i];
    box_free(bx);
}

/* The input read: its flows finished (at the capture's end when known),
 * its open datagrams given up at its last packet, the anomalies that belong
 * to no packet counted; frees the flow table and the reassembly. */
static void end_input(const struct pipeline_opts *o, struct input_stats *s, struct results *res,
                      struct flow_table *ft, struct defrag *df, enum capture_status cs)
{
    pmtud_end_input(res->pmtud);
    flow_finish_all_at(ft, capture_end(s, o, cs));
    results_end_input(res, ft);
    flow_free(ft);
    defrag_flush(df, s->last_sec * 1000000000ll + s->last_nsec);
    const struct defrag_stats *ds = defrag_get_stats(df);
    stats_add_anomaly(s, AN_FRAG_INCOMPLETE, ds->incomplete);
    stats_add_anomaly(s, AN_BAD_PCAPNG_STATS, s->scan.isb_malformed);
    stats_add_anomaly(s, AN_FRAG_LOST, ds->lost);
    stats_add_anomaly(s, AN_FRAG_SNAPCUT, ds->unreassemblable);
    stats_add_anomaly(s, AN_FRAG_OPEN_AT_END, ds->open_at_end);
    stats_add_anomaly(s, AN_FRAG_CRAFTED, ds->crafted);
    stats_frag_lost(s, ds);
    defrag_free(df);
}

/* How the reading ended: a read error is the input's (false), unless
 * Ctrl-C cut it; a filter that matched nothing is said. */
static bool read_end(const struct pipeline_opts *o, struct input_stats *s, const char *path,
                     enum capture_status cs, const char *err)
{
    bool ok = true;
    if (cs == CAPTURE_ERROR && o->stop && *o->stop) {
        s->interrupted = true; /* a read cut by Ctrl-C (EINTR) is not a broken file */
    } else if (cs == CAPTURE_ERROR) {
        say(o, "mtuscope: %s\n", err);
        snprintf(s->error, sizeof s->error, "%s", err);
        ok = false;
    }
    if (o->filter && s->packets == 0 && s->frames > 0 && !s->interrupted)
        say(o, "mtuscope: %s: the filter matched 0 of %" PRIu64 " packets\n", path, s->frames);
    return ok;
}

/* The input opened for the analysis, after the scan that comes first (once
 * per input: main.c makes it, a replay here), its filter set; NULL, said on
 * o's stream and in s, with *why, when it cannot be. */
static struct capture *open_input(const char *path, const struct pipeline_opts *o,
                                  struct input_stats *s, enum pipeline_status *why)
{
    char err[CAPTURE_ERRLEN];
    /* the scan first: its end of capture makes the same stalls every time */
    const struct input_group *g = inputs_group_of(o->groups, path);
    if (!s->scan.scanned && !s->scan.why[0])
        scan_input(path, g, s);
    s->group = g && g->nfiles > 1 ? g : NULL;
    struct capture *cap =
        s->group ? capture_open_files(g->files, g->nfiles, err) : capture_open(path, err);
    if (!cap) {
        say(o, "mtuscope: %s\n", err);
        snprintf(s->error, sizeof s->error, "%s", err);
        *why = PIPELINE_FAIL;
        return NULL;
    }
    snprintf(s->format, sizeof s->format, "%s", capture_format(cap));
    int linktype = capture_linktype(cap);
    stats_add_linktype(s, linktype);
    if (!decode_linktype_supported(linktype))
        say(o, "mtuscope: %s: link type %s (%d) is not decoded; packets are counted only\n", path,
            capture_linktype_name(linktype), linktype);
    if (!capture_set_filter(cap, o->filter, err)) {
        say(o, "mtuscope: %s\n", err);
        capture_close(cap);
        *why = PIPELINE_BAD_FILTER;
        return NULL;
    }
    return cap;
}

/* The frames ahead were written by the reader thread, on the other core,
 * and the duplicate cache's sets are spread over more memory than a core's
 * caches hold: each would be a wait when its packet is analysed.  Asked for
 * ahead, they arrive while the packets before are analysed:
 *   - the headers of the frame after next (two lines: Ethernet, IP, TCP
 *     with options, or a tunnel's outer headers), where decoding them found
 *     them missing (decode_ipv4 and decode_eth were 7% each of many
 *     connections' samples; asked one frame ahead, the VXLAN/WireGuard
 *     capture went 0.19 -> 0.17 s);
 *   - the duplicate cache's set of the next frame, whose headers the call
 *     before asked for (dedup_prefetch);
 *   - the next frame's packet, when the reader thread decoded it
 *     (reader_start_decoding): its first line and those of its first
 *     layers, written on the other core (interleaved, 7 rounds: b-short
 *     0.46 -> 0.43-0.44 s, a quarter of d-many 0.21 -> 0.20 s). */
void pipeline_prefetch(const struct reader *rd, const struct dedup *dd)
{
    const struct capture_frame *next = reader_peek(rd, 0), *after = reader_peek(rd, 1);
    if (after) {
        __builtin_prefetch(after->data);
        __builtin_prefetch(after->data + 64);
    }
    if (next)
        dedup_prefetch(dd, next->linktype, next->data, next->caplen);
    const struct packet *np = reader_peek_packet(rd, 0);
    if (np) {
        const char *b = (const char *)np;
        __builtin_prefetch(b);
        for (int i = 0; i < 5; i++)
            __builtin_prefetch(b + offsetof(struct packet, layers) + 64 * i);
    }
}

enum pipeline_status pipeline_run_reading(const char *path, int idx, const struct pipeline_opts *o,
                                          struct input_stats *s, struct results *res,
                                          const struct pipeline_hooks *hooks, bool read_ahead)
{
    char err[CAPTURE_ERRLEN];
    /* ~3 KiB, for the frames the reader thread did not decode */
    struct packet *own = calloc(1, sizeof *own);
    if (!own) {
        say(o, "mtuscope: out of memory\n");
        return PIPELINE_FAIL;
    }
    enum pipeline_status why = PIPELINE_OK;
    struct capture *cap = open_input(path, o, s, &why);
    if (!cap) {
        free(own);
        return why;
    }
    int linktype = capture_linktype(cap);

    struct defrag *df = defrag_new(NULL);
    struct dedup *dd = dedup_new();
    struct box bx;
    box_init(&bx);
    struct flow_limits fl = {0};
    fl.max_flows = o->max_flows;
    struct flow_table *ft = flow_new(&fl, results_flow_done, results_storm, res);
    /* a file is read ahead by a second thread (reader.h), a pipe in this one */
    struct stat st;
    bool file = strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    struct reader *rd = df && ft ? reader_start_decoding(cap, file && read_ahead) : NULL;
    if (!df || !ft || !rd || !dd) {
        say(o, "mtuscope: out of memory\n");
        dedup_free(dd);
        box_free(&bx);
        defrag_free(df);
        flow_free(ft);
        capture_close(cap);
        free(own);
        return PIPELINE_FAIL;
    }
    results_begin_input(res, (uint16_t)idx);
    pmtud_begin_input(res->pmtud, idx);

    struct progress pg;
    progress_start(&pg, o->progress, file ? (uint64_t)st.st_size : 0);

    enum pipeline_status rc = PIPELINE_OK;
    int last_linktype = linktype;
    struct capture_frame f;
    enum capture_status cs;
    while ((cs = reader_next(rd, &f, err)) == CAPTURE_OK) {
        pipeline_prefetch(rd, dd);
        struct packet *pkt = reader_packet(rd); /* decoded by the reader thread */
        if (!pkt) {
            pkt = own;
            pkt->frame = f.number;
            pkt->ts_sec = f.ts_sec;
            pkt->ts_nsec = f.ts_nsec;
            decode_frame(pkt, f.linktype, f.data, f.caplen, f.wirelen);
        }
        pkt->input = (uint16_t)idx;
        if (f.linktype != last_linktype) { /* a pcapng file mixing link types */
            last_linktype = f.linktype;
            stats_add_linktype(s, f.linktype);
        }
        uint64_t orig = 0;
        enum dedup_kind dk = dedup_packet(dd, pkt, &orig);
        int way = box_way(pkt);     /* -i any: into the capturing host, or out of it */
        if (dk != DEDUP_ORIGINAL) { /* the capture's own copy: counted, analysed once */
            stats_add_copy(s, dk == DEDUP_FORWARDED, pkt->frame, orig);
            if (way == 0)
                box_out(&bx, orig);
            if (o->stop && *o->stop) {
                s->interrupted = true;
                break;
            }
            continue;
        }
        defrag_packet(df, pkt);
        int nicmp = s->nicmp;
        if (o->flows_only) {
            stats_add_time(s, pkt);
        } else {
            udpx_packet(&s->udpx, pkt);
            stats_add_packet(s, pkt);
        }
        struct flow_pkt fp;
        flow_packet(ft, pkt, &fp);
        fp.flow = results_flow_id(res, fp.flow);
        if (!o->flows_only) {
            if (way == 1)
                box_in(&bx, pkt->frame, pkt->ts_sec * 1000000000ll + pkt->ts_nsec, fp.flow, fp.dir,
                       box_ip_size(pkt));
            if (s->nicmp > nicmp) /* rare: no call for the packets that add none */
                icmp_messages(s, nicmp, res, ft, pkt, idx);
            pmtud_packet(res->pmtud, pkt, &fp);
        }
        if (hooks && hooks->packet) {
            hooks->packet(hooks->ctx, pkt, &fp);
            if (hooks->enough && *hooks->enough)
                break;
        }
        if (pg.on && (s->packets & 0x3fff) == 0)
            progress_tick(&pg, capture_path(cap), s->packets, reader_bytes_read(rd));
        if (o->count && s->packets >= o->count)
            break;
        if (o->stop && *o->stop) {
            s->interrupted = true;
            break;
        }
    }
    progress_done(&pg);
    s->frames = reader_frames_read(rd);
    reader_stop(rd); /* before the flows are finished: it may be reading ahead */
    if (!read_end(o, s, path, cs, err))
        rc = PIPELINE_FAIL;

    end_input(o, s, res, ft, df, cs);
    box_keep(&bx, s);
    dedup_free(dd);

    capture_close(cap);
    free(own);
    return rc;
}
