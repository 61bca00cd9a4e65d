/*
 * fuzz_frames.c - libFuzzer target: arbitrary frames through every stage
 * after capture: decode -> defragment -> statistics, flows, path-MTU
 * watching -> inference -> JSON and text reports.
 *
 * The stage calls mirror pipeline_run(), which reads from a file and cannot
 * be given frames; fuzz_capture.c runs pipeline_run() itself.
 *
 * Input layout (tests/fuzz/seeds.py writes seeds in it):
 *   byte 0     link type, an index into LINKTYPES (modulo its size)
 *   byte 1     knobs: bit 0 tiny limits (4 live flows, 4 datagrams, 4 KiB of
 *              reassembly), so eviction paths run on small inputs
 *   records    u16 length (big endian), u8 time step, u8 bytes cut, data
 * The time step advances the clock by 2^(step & 31) ms, so idle timeouts
 * and the reassembly timeout fire within a few records.  "bytes cut" makes
 * the wire length exceed the captured length, as a snap length does.
 *
 * Every frame is copied into a buffer of exactly its length, so a read one
 * byte past the frame is an AddressSanitizer report, not a silent read of
 * the next record.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "defrag.h"
#include "flow.h"
#include "fuzz_reports.h"
#include "pmtud.h"
#include "results.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int LINKTYPES[] = {DLT_EN10MB, DLT_LINUX_SLL,  DLT_LINUX_SLL2, DLT_RAW,
                                DLT_IPV4,   DLT_IPV6,       DLT_NULL,       DLT_LOOP,
                                DLT_PPP,    DLT_PPP_SERIAL, DLT_C_HDLC,     147 /* USER0 */};
#define NLINKTYPES (sizeof LINKTYPES / sizeof LINKTYPES[0])
#define MAX_RECORDS 512 /* keeps one input fast; libFuzzer's -max_len bounds the rest */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int linktype = LINKTYPES[data[0] % NLINKTYPES];
    bool tiny = data[1] & 1;
    data += 2;
    size -= 2;

    struct results res;
    struct input_stats *s = stats_new("fuzz");
    struct packet *pkt = calloc(1, sizeof *pkt);
    if (!s || !pkt || !results_init(&res))
        abort();
    struct defrag_limits dl = {0};
    struct flow_limits fl = {0};
    if (tiny) {
        dl.max_datagrams = 4;
        dl.max_bytes = 4096;
        fl.max_flows = 4;
    }
    struct defrag *df = defrag_new(&dl);
    struct flow_table *ft = flow_new(&fl, results_flow_done, results_storm, &res);
    if (!df || !ft)
        abort();
    results_begin_input(&res, 0);
    pmtud_begin_input(res.pmtud, 0);
    stats_add_linktype(s, linktype);

    int64_t now_ms = 1700000000000;
    uint64_t frame = 0;
    while (size >= 4 && frame < MAX_RECORDS) {
        size_t len = (size_t)data[0] << 8 | data[1];
        uint8_t step = data[2], cut = data[3];
        data += 4;
        size -= 4;
        if (len > size)
            len = size;
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            abort();
        memcpy(buf, data, len);
        data += len;
        size -= len;
        if (step)
            now_ms += (int64_t)1 << (step & 31);

        pkt->frame = ++frame;
        pkt->ts_sec = now_ms / 1000;
        pkt->ts_nsec = (uint32_t)(now_ms % 1000) * 1000000u;
        pkt->input = 0;
        decode_frame(pkt, linktype, buf, (uint32_t)len, (uint32_t)len + cut);
        defrag_packet(df, pkt);
        int nicmp = s->nicmp;
        stats_add_packet(s, pkt);
        /* the same calls, in the same order, as pipeline_run() */
        struct flow_pkt fp;
        flow_packet(ft, pkt, &fp);
        fp.flow = results_flow_id(&res, fp.flow);
        for (int k = nicmp; k < s->nicmp; k++) {
            struct icmp_mtu_msg *m = &s->icmp[k];
            m->flow = results_flow_id(&res, flow_lookup_quoted(ft, pkt, m->layer));
            uint32_t mtu = m->mtu ? m->mtu : pmtud_plateau_below(m->quoted_len);
            pmtud_icmp(res.pmtud, 0, k, m->flow, &m->qsrc, mtu,
                       pkt->ts_sec * 1000000000ll + pkt->ts_nsec);
        }
        pmtud_packet(res.pmtud, pkt, &fp);
        free(buf);
    }
    s->frames = frame;

    pmtud_end_input(res.pmtud);
    flow_finish_all(ft);
    results_end_input(&res, ft);
    flow_free(ft);
    defrag_flush(df, INT64_MAX / 2);
    stats_add_anomaly(s, AN_FRAG_INCOMPLETE, defrag_get_stats(df)->incomplete);
    defrag_free(df);

    fuzz_reports(s, &res);
    results_free(&res);
    stats_free(s);
    free(pkt);
    return 0;
}
