/*
 * inf_capture.c - the capture judged before the network (infer.h): copies of
 * packets that the capture itself made (dedup.h) become findings, so that a
 * reader knows the counts are of packets, not of their copies.
 */
#include <inttypes.h>

#include "infer.h"
#include "tcp.h"

void inf_capture_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                       const struct results *res)
{
    for (int i = 0; i < ninputs; i++) {
        const struct input_stats *s = inputs[i];
        if (s->copies) {
            struct ev_record r = {.kind = EV_CAPTURE_COPIES, .input = i};
            r.count = s->copies > UINT32_MAX ? UINT32_MAX : (uint32_t)s->copies;
            ev_frame(&r, s->copy_of);
            ev_frame(&r, s->copy_frame);
            inf_record(inf, &r);
        }
        /* pcapng interface statistics (capscan.h): packets the capture
         * itself missed look like loss to every counter after it */
        uint64_t dropped = s->scan.ifdrop + s->scan.osdrop;
        if (dropped) {
            struct ev_record r = {.kind = EV_CAPTURE_DROPS, .input = i};
            r.other = dropped;
            r.scan = &s->scan;
            inf_record(inf, &r);
        }
        /* it ran on after its last packet: a silence until then is real */
        if (s->capture_end_used && s->has_time) {
            int64_t last = s->last_sec * 1000000000ll + s->last_nsec;
            struct ev_record r = {.kind = EV_CAPTURE_END, .input = i};
            r.cost_ns = s->capture_end_ns - last;
            for (uint32_t k = 0; k < res->nflows; k++) {
                const struct flow_summary *f = &res->flows[k];
                for (int d = 0; d < 2; d++)
                    if (f->input == i && f->dir[d].stall_by_end) {
                        r.count++;
                        if (!r.flow_id) {
                            r.flow_id = f->id;
                            r.flow = f;
                            r.dir = d;
                        }
                    }
            }
            /* shorter than one minimum RTO (RFC 6298 2.4: 1 s), the silence
             * says nothing: a sender with data waiting need not have re-sent
             * yet */
            if (r.cost_ns >= TCP_STALL_MIN_NS || r.count) {
                ev_frame(&r, s->frames);
                inf_record(inf, &r);
            }
        }
        if (s->forwarded) {
            struct ev_record r = {.kind = EV_FORWARDED_COPIES, .input = i};
            r.count = s->forwarded > UINT32_MAX ? UINT32_MAX : (uint32_t)s->forwarded;
            ev_frame(&r, s->forwarded_of);
            ev_frame(&r, s->forwarded_frame);
            inf_record(inf, &r);
        }
    }
}
