/*
 * plots_spill.c - the charts' records of the first pass (plots_spill.h),
 * kept in an unnamed temporary file (tmpspill.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots_spill.h"
#include "tcp.h"
#include "tmpspill.h"

struct plots_spill {
    struct tmpspill *t;
    bool reading; /* after plots_spill_rewind() */
    uint64_t count, max;
    char why[160];
    struct tmpspill_cursor cur;
};

void chart_rec_from(const struct packet *pkt, const struct flow_pkt *fp, struct chart_rec *out)
{
    memset(out, 0, sizeof *out);
    out->t_ns = pkt->ts_sec * 1000000000LL + (int64_t)pkt->ts_nsec;
    out->flow = fp->flow;
    out->dir = fp->dir;
    if (fp->ta & TA_ANY_RETRANS)
        out->bits |= CR_RETX;
    /* the segment itself: the last TCP layer outside an ICMP quote (the
     * inner one of a tunnel) */
    for (int i = pkt->nlayers - 1; i >= 0; i--) {
        const struct layer *l = &pkt->layers[i];
        if (l->type != LAYER_TCP || (l->flags & LF_QUOTED))
            continue;
        out->bits |= CR_TCP;
        out->seq = l->u.tcp.seq;
        out->ack = l->u.tcp.ack;
        out->payload_len = l->u.tcp.payload_len;
        out->tcp_flags = l->u.tcp.flags;
        break;
    }
}

struct plots_spill *plots_spill_new(uint64_t max_records)
{
    struct plots_spill *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max = max_records;
    s->t = tmpspill_new("charts", max_records * sizeof(struct chart_rec));
    if (!s->t) {
        free(s);
        return NULL;
    }
    return s;
}

void plots_spill_packet(void *spill, const struct packet *pkt, const struct flow_pkt *fp)
{
    struct plots_spill *s = spill;
    if (s->reading)
        return;
    struct chart_rec r;
    chart_rec_from(pkt, fp, &r);
    if (tmpspill_put(s->t, &r, sizeof r))
        s->count++;
}

bool plots_spill_rewind(struct plots_spill *s)
{
    bool whole = tmpspill_flush(s->t);
    s->reading = true;
    tmpspill_cursor_start(s->t, &s->cur);
    return whole;
}

bool plots_spill_next(struct plots_spill *s, struct chart_rec *out, bool *failed)
{
    if (tmpspill_get(&s->cur, out, sizeof *out))
        return true;
    if (s->cur.failed)
        *failed = true;
    return false;
}

uint64_t plots_spill_count(const struct plots_spill *s)
{
    return s->count;
}

const char *plots_spill_why(struct plots_spill *s)
{
    bool full = tmpspill_full(s->t), failed = tmpspill_failed(s->t);
    if (full)
        snprintf(s->why, sizeof s->why,
                 "the capture has more packets than the first pass records for the charts "
                 "(%llu)",
                 (unsigned long long)s->max);
    else if (failed)
        snprintf(s->why, sizeof s->why,
                 "the charts' temporary file could not be written (a full disk?)");
    return full || failed ? s->why : NULL;
}

void plots_spill_free(struct plots_spill *s)
{
    if (!s)
        return;
    tmpspill_free(s->t);
    free(s);
}
