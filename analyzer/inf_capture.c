/*
 * inf_capture.c - the capture judged before the network (infer.h): copies of
 * packets that the capture itself made (dedup.h) become findings, so that a
 * reader knows the counts are of packets, not of their copies.
 */
#include <inttypes.h>

#include <string.h>

#include "infer.h"
#include "tcp.h"

static bool frag_same_hosts(const struct defrag_lost *a, const struct defrag_lost *b)
{
    return a->version == b->version && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16);
}

/* The flow of a lost datagram: same input, protocol, addresses and, when
 * its first fragment came, ports (either way round); NULL when none. */
static const struct flow_summary *frag_flow(const struct results *res, int input,
                                            const struct defrag_lost *x)
{
    struct addr src, dst;
    addr_from_bytes(&src, x->version, x->src);
    addr_from_bytes(&dst, x->version, x->dst);
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->input != input || f->proto != x->proto || !x->first_seen)
            continue;
        if (!addr_cmp(&f->client, &src) && !addr_cmp(&f->server, &dst) &&
            f->client_port == x->sport && f->server_port == x->dport)
            return f;
        if (!addr_cmp(&f->client, &dst) && !addr_cmp(&f->server, &src) &&
            f->client_port == x->dport && f->server_port == x->sport)
            return f;
    }
    return NULL;
}

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
            r.flow = frag_flow(res, i, r.frags[0]);
            r.flow_id = r.flow ? r.flow->id : 0;
            inf_record(inf, &r);
        }
    }
}
