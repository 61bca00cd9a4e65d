/*
 * inf_syn.c - connection attempts that no listener answered (infer.h).
 *
 * The flow stage counts, per listener, the TCP connection attempts that got
 * no packet back at all within RFC 6298's initial retransmission timeout
 * (results.h).  Many of them to one listener is a SYN flood (spoofed
 * sources), or a listener gone, or a filter dropping SYNs or SYN-ACKs: in
 * every case a fact a person must be told, and one that says nothing about
 * the path MTU, since a SYN carries no data.  The verdict then says the
 * path was not tested (verdict.c, rule syn-flood).
 */
#include "infer.h"

void inf_syn_stage(struct inference *inf, const struct results *res, struct tally *t)
{
    for (uint32_t i = 0; i < res->nlisteners; i++) {
        const struct results_listener *l = &res->listeners[i];
        if (l->judged.attempts < INF_SYN_FLOOD_MIN)
            continue;
        t->syn_floods++;
        if (!t->syn_listener || l->judged.attempts > t->syn_listener->judged.attempts)
            t->syn_listener = l;
        struct ev_record r = {.kind = EV_SYN_FLOOD, .input = l->input, .listener = l};
        r.count = l->judged.attempts > UINT32_MAX ? UINT32_MAX : (uint32_t)l->judged.attempts;
        ev_frame(&r, l->judged.first_frame);
        if (l->judged.last_frame != l->judged.first_frame)
            ev_frame(&r, l->judged.last_frame);
        inf_record(inf, &r);
    }
}
