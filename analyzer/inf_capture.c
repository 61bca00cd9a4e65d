/*
 * inf_capture.c - the capture judged before the network (infer.h): copies of
 * packets that the capture itself made (dedup.h) become findings, so that a
 * reader knows the counts are of packets, not of their copies.
 */
#include <inttypes.h>

#include <string.h>

#include "infer.h"

static bool frag_same_hosts(const struct defrag_lost *a, const struct defrag_lost *b)
{
    return a->version == b->version && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16);
}

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
        /* datagrams whose fragments never all came while the capture went
         * on (defrag.h): one finding per input, about the first one and the
         * others between the same hosts */
        if (s->nfrag_lost) {
            struct ev_record r = {.kind = EV_FRAG_LOST, .input = i};
            r.count = s->anomalies[AN_FRAG_LOST] > UINT32_MAX
                          ? UINT32_MAX
                          : (uint32_t)s->anomalies[AN_FRAG_LOST];
            r.frags[r.nfrags++] = &s->frag_lost[0];
            for (int k = 1; k < s->nfrag_lost && r.nfrags < EV_MAX_FRAMES; k++)
                if (frag_same_hosts(&s->frag_lost[k], &s->frag_lost[0]))
                    r.frags[r.nfrags++] = &s->frag_lost[k];
            /* the datagrams whose every fragment that came fits in frames[] */
            int keep = 0;
            for (int k = 0; k < r.nfrags; k++) {
                const struct defrag_lost *x = r.frags[k];
                if (x->nfrags > 4 || r.nframes + x->nfrags > EV_MAX_FRAMES)
                    break;
                for (int j = 0; j < x->nfrags; j++)
                    ev_frame(&r, x->frames[j]);
                keep++;
            }
            r.nfrags = keep ? keep : 1;
            inf_record(inf, &r);
        }
    }
}
