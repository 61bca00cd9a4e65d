/*
 * inf_capture.c - the capture judged before the network (infer.h): copies of
 * packets that the capture itself made (dedup.h) become findings, so that a
 * reader knows the counts are of packets, not of their copies.
 */
#include <inttypes.h>

#include "infer.h"

void inf_capture_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs)
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
        if (s->forwarded) {
            struct ev_record r = {.kind = EV_FORWARDED_COPIES, .input = i};
            r.count = s->forwarded > UINT32_MAX ? UINT32_MAX : (uint32_t)s->forwarded;
            ev_frame(&r, s->forwarded_of);
            ev_frame(&r, s->forwarded_frame);
            inf_record(inf, &r);
        }
    }
}
