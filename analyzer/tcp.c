/*
 * tcp.c - per-direction TCP analysis (see tcp.h for the rules and their
 * order).  O(1) per segment plus the O(DL_MAX_SEGS) delivery bookkeeping.
 * A direction allocates twice at most, never per segment: its delivery table
 * at its first data segment (from the pool) and its backoff records at its
 * first retransmission; both go back in tcp_release().
 */
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static bool seq_le(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}

void tcp_init(struct tcp_conn *c)
{
    memset(c, 0, sizeof *c);
}

void tcp_release(struct tcp_conn *c)
{
    for (int d = 0; d < 2; d++) {
        if (c->parked)
            free(c->h[d].dl_parked);
        else
            dl_pool_put(c->pool, c->h[d].dl);
        c->h[d].dl = NULL;
        free(c->h[d].retx);
        c->h[d].retx = NULL;
    }
}

bool tcp_park(struct tcp_conn *c)
{
    struct dl_parked *p[2] = {NULL, NULL};
    for (int d = 0; d < 2; d++) {
        if (c->h[d].dl && !(p[d] = delivery_park(c->h[d].dl))) {
            free(p[0]);
            return false;
        }
    }
    for (int d = 0; d < 2; d++) {
        dl_pool_put(c->pool, c->h[d].dl);
        c->h[d].dl_parked = p[d];
    }
    c->parked = true;
    return true;
}

bool tcp_unpark(struct tcp_conn *c)
{
    bool ok = true;
    for (int d = 0; d < 2; d++) {
        struct dl_parked *p = c->h[d].dl_parked;
        c->h[d].dl = NULL;
        if (!p)
            continue;
        struct delivery *dl = dl_pool_get(c->pool);
        if (dl)
            ok &= delivery_unpark(dl, p);
        else
            ok = false; /* the direction's delivery evidence is lost, as in half_dl() */
        c->h[d].dl = dl;
        free(p);
    }
    c->parked = false;
    return ok;
}

size_t tcp_parked_bytes(const struct tcp_conn *c)
{
    size_t n = 0;
    for (int d = 0; c->parked && d < 2; d++)
        if (c->h[d].dl_parked)
            n += delivery_parked_bytes(c->h[d].dl_parked);
    return n;
}

/* This direction's delivery table, taken at its first data segment.  Before
 * any data, delivery_ack() would only have recorded the peer's highest ACK,
 * which the peer's half keeps too (the same rule): starting from it makes
 * the late table identical to one kept from the start. */
static struct delivery *half_dl(struct tcp_conn *c, struct tcp_half *fwd,
                                const struct tcp_half *rev)
{
    if (!fwd->dl) {
        fwd->dl = dl_pool_get(c->pool);
        if (fwd->dl && (rev->seen & HS_ACKED)) {
            fwd->dl->st.ack = rev->highest_ack;
            fwd->dl->st.ack_set = true;
        }
    }
    return fwd->dl;
}

bool tcp_closed(const struct tcp_conn *c)
{
    if ((c->h[0].seen | c->h[1].seen) & HS_RST)
        return true;
    return (c->h[0].seen & HS_FIN) && (c->h[1].seen & HS_FIN);
}

bool tcp_may_retransmit(const struct tcp_conn *c)
{
    for (int d = 0; d < 2; d++) {
        const struct tcp_half *h = &c->h[d], *peer = &c->h[!d];
        if (h->lastta & TA_ANY_RETRANS)
            return true; /* a backoff under way: its next interval may be long */
        if (!(h->seen & HS_NEXTSEQ) || !(h->seen & (HS_SYN | HS_FIN | HS_DATA)))
            continue; /* nothing in sequence space to resend */
        if (!(peer->seen & HS_ACKED) || seq_lt(peer->highest_ack, h->nextseq))
            return true;
    }
    return false;
}

static void backoff_commit(struct tcp_retx *r)
{
    if (r && r->cur.count > r->worst.count)
        r->worst = r->cur;
}

/* A retransmission of `seq`; prev_ns is the previous transmission's time
 * when known.  Intervals are kept as they are, never reordered: a negative
 * one (timestamps out of order) is stored as 0. */
static void backoff_note(struct tcp_half *h, uint32_t seq, int64_t prev_ns, int64_t now)
{
    if (!h->retx && !(h->retx = calloc(1, sizeof *h->retx)))
        return; /* out of memory: the backoff goes unrecorded, nothing else */
    struct tcp_retx *r = h->retx;
    if (r->cur.count == 0 || r->cur.seq != seq) {
        backoff_commit(r);
        memset(&r->cur, 0, sizeof r->cur);
        r->cur.seq = seq;
    } else {
        prev_ns = r->cur_last_ns;
    }
    if (prev_ns != INT64_MIN && r->cur.nintervals < TCP_BACKOFF_MAX) {
        int64_t d = now - prev_ns;
        if (d < 0)
            d = 0;
        d /= 1000;
        r->cur.interval_us[r->cur.nintervals++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    if (r->cur.count < UINT16_MAX)
        r->cur.count++;
    r->cur_last_ns = now;
}

static void rtt_sample(struct tcp_rtt *r, int64_t d)
{
    if (d < 0)
        return; /* timestamps out of order: no sample rather than a wrong one */
    if (r->samples == 0 || d < r->min_ns)
        r->min_ns = d;
    if (d > r->max_ns)
        r->max_ns = d;
    r->sum_ns += d;
    r->last_ns = d;
    r->samples++;
}

/* The fwd direction's segment carries an ACK for rev's data. */
static void take_ack(struct tcp_half *fwd, struct tcp_half *rev, const struct tcp_info *t,
                     int64_t now, uint64_t frame)
{
    uint32_t ack = t->ack;
    bool advanced = !(fwd->seen & HS_ACKED) || seq_lt(fwd->highest_ack, ack);
    if (advanced) {
        fwd->highest_ack = ack;
        fwd->seen |= HS_ACKED;
        /* progress: whatever is still outstanding waits from now on */
        rev->wait_ns = now;
        rev->wait_frame = frame;
        rev->seen &= (uint16_t)~HS_WAIT_RETX;
    }
    /* Karn's rule (RFC 6298 3): the timed segment is dropped when it is
     * retransmitted, so only a first transmission yields a sample. */
    if ((rev->seen & HS_RTT_PENDING) && seq_le(rev->rtt_end, ack)) {
        rtt_sample(&rev->rtt, now - rev->rtt_ns);
        rev->seen &= (uint16_t)~HS_RTT_PENDING;
    }
    uint32_t sack[PKT_MAX_SACK][2];
    int n = 0;
    for (int i = 0; i < t->nsack && i < PKT_MAX_SACK; i++, n++) {
        sack[n][0] = t->sack[i].left;
        sack[n][1] = t->sack[i].right;
    }
    if (rev->dl)
        delivery_ack(rev->dl, ack, (const uint32_t(*)[2])sack, n);
}

/* A SYN with a new ISN on the same ports is a new connection attempt, not a
 * retransmission of the old SYN: Wireshark starts a new tcp.stream for it and
 * tcptrace a new connection (a SYN flood from one port counts no
 * retransmission in either).  Both halves forget their sequence state; the
 * counts and the delivery records stay with the flow. */
static void restart_seq(struct tcp_conn *c)
{
    for (int d = 0; d < 2; d++)
        c->h[d].seen &= (uint16_t) ~(HS_ISN | HS_NEXTSEQ | HS_LASTACK | HS_ACKED | HS_DATA |
                                     HS_UNSEEN | HS_RTT_PENDING | HS_WAIT_RETX);
    c->irtt_ns = 0;
}

/* A data segment of fwd: the longest pause between two data segments while
 * the peer sent no data either.  Seen from the receiver, a black hole the
 * sender healed by itself is a silence of several RTOs before the data comes
 * again in smaller segments.  A pause the peer ends with a request is a
 * conversation, not a loss. */
static void data_pause(struct tcp_half *fwd, const struct tcp_half *rev, int64_t now,
                       uint64_t frame)
{
    bool peer_quiet = !rev->n.data_segments || rev->last_data_ns <= fwd->last_data_ns;
    if (fwd->n.data_segments && peer_quiet && now - fwd->last_data_ns > fwd->data_gap_ns) {
        fwd->data_gap_ns = now - fwd->last_data_ns;
        fwd->data_gap_frame = frame;
    }
    if (!fwd->n.data_segments || now > fwd->last_data_ns)
        fwd->last_data_ns = now;
    fwd->n.data_segments++;
}

/* The segment's flags and options: the announced values, and Wireshark's
 * iRTT.  True when a SYN with a new ISN restarted the sequence state. */
static bool announce(struct tcp_conn *c, int dir, const struct tcp_info *t, int64_t now)
{
    struct tcp_half *fwd = &c->h[dir];
    uint32_t seq = t->seq;
    uint8_t fl = t->flags;
    bool restarted = false;
    if (fl & TCPF_SYN) {
        if (!(fl & TCPF_ACK) && (fwd->seen & HS_ISN) && seq != fwd->isn) {
            restart_seq(c);
            restarted = true;
        }
        if (!(fwd->seen & HS_ISN)) {
            fwd->isn = seq;
            fwd->seen |= HS_ISN;
        }
        fwd->seen |= HS_SYN;
        if (t->opts & TCPO_MSS) {
            fwd->mss = t->mss;
            fwd->seen |= HS_MSS;
        }
        if (t->opts & TCPO_WSCALE) {
            fwd->wscale = t->wscale;
            fwd->seen |= HS_WSCALE;
        }
        if (t->opts & TCPO_SACKPERM)
            fwd->seen |= HS_SACKPERM;
        if (!(fl & TCPF_ACK) && !c->syn_seen) {
            c->syn_seen = true;
            c->syn_dir = (uint8_t)dir;
        } else if ((fl & TCPF_ACK) && c->syn_seen && dir != c->syn_dir) {
            c->synack_seen = true;
        }
        /* Wireshark times the handshake from the most recent SYN (ts_mru_syn),
         * not the first: after a SYN retransmitted 1 s later, an iRTT taken
         * from the first would make every gap-filling segment for a second
         * "out-of-order" instead of a retransmission. */
        if (!(fl & TCPF_ACK) && c->irtt_ns == 0)
            c->syn_ns = now;
    } else if ((fl & TCPF_ACK) && c->syn_seen && c->irtt_ns == 0 && now > c->syn_ns) {
        /* the first ACK without SYN after a SYN, whichever side sends it and
         * whether the SYN-ACK was captured or not, as Wireshark does */
        c->irtt_ns = now - c->syn_ns;
    }
    if (t->opts & TCPO_TS)
        fwd->seen |= HS_TS;
    if (fl & TCPF_FIN)
        fwd->seen |= HS_FIN;
    if (fl & TCPF_RST)
        fwd->seen |= HS_RST;
    return restarted;
}

/* What a segment carrying data, SYN or FIN is, in Wireshark's order: one of
 * TA_SPURIOUS, TA_FAST_RETRANS, TA_OUT_OF_ORDER, TA_RETRANS, TA_NEW_DATA. */
static unsigned retrans_kind(const struct tcp_conn *c, const struct tcp_half *fwd,
                             const struct tcp_half *rev, const struct tcp_info *t, bool have_next,
                             int64_t now)
{
    uint32_t seq = t->seq, seglen = t->payload_len;
    bool synfin = (t->flags & (TCPF_SYN | TCPF_FIN)) != 0;
    bool not_adv = have_next && seq_lt(seq, fwd->nextseq);
    if (seglen > 1 && have_next && fwd->nextseq - 1 == seq)
        not_adv = false;
    int64_t ooo = c->irtt_ns ? c->irtt_ns : TCP_OOO_DEFAULT_NS;
    int64_t since_ack = now - rev->lastack_ns, since_next = now - fwd->nextseq_ns;
    if (seglen > 0 && (rev->seen & HS_LASTACK) && rev->lastack &&
        seq_le(seq + seglen, rev->lastack))
        return TA_SPURIOUS;
    if (not_adv && rev->dupacks >= 2 && rev->lastack == seq && since_ack >= 0 &&
        since_ack < TCP_FASTRT_NS)
        return TA_FAST_RETRANS;
    if (not_adv && since_next >= 0 && since_next < ooo &&
        fwd->nextseq != seq + seglen + (synfin ? 1u : 0u))
        return TA_OUT_OF_ORDER;
    return not_adv ? TA_RETRANS : TA_NEW_DATA;
}

/* The sequence state after the segment.  A bare RST occupies no sequence
 * space, and its sequence number may be anything: the ACK number of a stray
 * segment it answers (a challenge ACK from an old connection on the same
 * ports).  Moving nextseq there would make the connection's next data look
 * like retransmissions; Wireshark does not move it either. */
static void advance_seq(struct tcp_half *fwd, const struct tcp_info *t, bool have_next, unsigned ta,
                        int64_t now)
{
    uint32_t seq = t->seq, seglen = t->payload_len;
    uint8_t fl = t->flags;
    bool synfin = (fl & (TCPF_SYN | TCPF_FIN)) != 0;
    uint32_t nextseq = seq + seglen + (synfin ? 1u : 0u);
    bool bare_rst = (fl & TCPF_RST) && !seglen && !synfin && have_next;
    if (!(ta & TA_WINDOW_PROBE) && !bare_rst) {
        if (!have_next || seq_lt(fwd->nextseq, nextseq)) {
            fwd->nextseq = nextseq;
            fwd->nextseq_ns = now;
            fwd->seen |= HS_NEXTSEQ;
        }
        if (!have_next || seq == fwd->maxseqtobeacked)
            fwd->maxseqtobeacked = fwd->nextseq;
    }
}

/* The segment's kinds counted in fwd. */
static void count_kinds(struct tcp_half *fwd, unsigned ta, uint64_t frame, uint32_t hole)
{
    /* the first of each kind is the frame a finding cites (past 2^32: none) */
    uint32_t frame32 = frame <= UINT32_MAX ? (uint32_t)frame : 0;
    if (ta & (TA_RETRANS | TA_FAST_RETRANS | TA_SPURIOUS)) {
        if (!fwd->n.retrans)
            fwd->first_retrans_frame = frame32;
        fwd->n.retrans++;
        if (ta & TA_FAST_RETRANS)
            fwd->n.fast_retrans++;
        if (ta & TA_SPURIOUS)
            fwd->n.spurious++;
    }
    if (ta & TA_OUT_OF_ORDER)
        fwd->n.out_of_order++;
    if (ta & TA_KEEP_ALIVE)
        fwd->n.keep_alive++;
    if (ta & TA_WINDOW_PROBE)
        fwd->n.window_probe++;
    if (ta & TA_DUP_ACK)
        fwd->n.dup_ack++;
    if (ta & TA_ZERO_WINDOW)
        fwd->n.zero_window++;
    if (ta & TA_LOST_SEGMENT) {
        if (!fwd->n.lost_segment)
            fwd->first_hole_frame = frame32;
        fwd->n.lost_segment++;
        if (hole > fwd->max_hole)
            fwd->max_hole = hole;
    }
    if (ta & TA_ACKED_UNSEEN)
        fwd->n.acked_unseen++;
}

/* What fwd sent: the delivery table, the RTT probe, the backoff records and
 * the stall clock. */
static void track_sent(struct tcp_conn *c, struct tcp_half *fwd, const struct tcp_half *rev,
                       const struct tcp_info *t, uint16_t size, unsigned ta, int64_t now,
                       uint64_t frame)
{
    uint32_t seq = t->seq, seglen = t->payload_len;
    bool synfin = (t->flags & (TCPF_SYN | TCPF_FIN)) != 0;
    bool retx = (ta & TA_ANY_RETRANS) != 0;
    if (seglen > 0 && !(ta & (TA_KEEP_ALIVE | TA_WINDOW_PROBE))) {
        /* nothing outstanding before this one: the wait starts with it */
        bool idle = !(fwd->seen & HS_DATA) ||
                    ((rev->seen & HS_ACKED) && seq_le(fwd->data_end, rev->highest_ack));
        if (idle) {
            fwd->wait_ns = now;
            fwd->wait_frame = frame;
            fwd->seen &= (uint16_t)~HS_WAIT_RETX;
        }
        if (retx)
            fwd->seen |= HS_WAIT_RETX;
        if (!(fwd->seen & HS_DATA) || seq_lt(fwd->data_end, seq + seglen)) {
            fwd->data_end = seq + seglen;
            fwd->seen |= HS_DATA;
        }
        /* A SYN's data (TCP Fast Open) is not tracked by size: a server may
         * accept the SYN and drop its data (RFC 7413 4.2.2), so the SYN-ACK
         * leaving it unacknowledged says nothing of the path, which the
         * SYN crossed whole; the data, re-sent after the handshake, is
         * tracked then. */
        struct delivery *dl = (t->flags & TCPF_SYN) ? NULL : half_dl(c, fwd, rev);
        int64_t prev = dl ? delivery_send(dl, seq, seglen, size, retx, frame, now) : INT64_MIN;
        if ((fwd->seen & HS_RTT_PENDING) && retx && seq_lt(seq, fwd->rtt_end))
            fwd->seen &= (uint16_t)~HS_RTT_PENDING; /* Karn */
        if ((ta & TA_NEW_DATA) && !(fwd->seen & HS_RTT_PENDING)) {
            fwd->rtt_end = seq + seglen;
            fwd->rtt_ns = now;
            fwd->seen |= HS_RTT_PENDING;
        }
        if (ta & (TA_RETRANS | TA_FAST_RETRANS))
            backoff_note(fwd, seq, prev, now);
    } else if (synfin && !(ta & TA_KEEP_ALIVE)) {
        if (ta & (TA_RETRANS | TA_FAST_RETRANS))
            backoff_note(fwd, seq, fwd->ctl_seq == seq ? fwd->ctl_ns : INT64_MIN, now);
        fwd->ctl_seq = seq;
        fwd->ctl_ns = now;
    }
}

unsigned tcp_segment(struct tcp_conn *c, int dir, const struct tcp_info *t, uint16_t size,
                     int64_t now, uint64_t frame)
{
    struct tcp_half *fwd = &c->h[dir], *rev = &c->h[!dir];
    uint32_t seq = t->seq, ack = t->ack, seglen = t->payload_len;
    uint32_t window = t->window;
    uint8_t fl = t->flags;
    bool synfin = (fl & (TCPF_SYN | TCPF_FIN)) != 0;
    bool ctl = (fl & (TCPF_SYN | TCPF_FIN | TCPF_RST)) != 0;
    bool have_next = (fwd->seen & HS_NEXTSEQ) != 0;
    unsigned ta = 0;
    uint32_t hole = 0; /* bytes skipped before this segment (TA_LOST_SEGMENT) */

    fwd->n.segments++;
    if (seglen)
        data_pause(fwd, rev, now, frame);

    /* options and handshake: the announced values, and Wireshark's iRTT */
    if (announce(c, dir, t, now))
        have_next = false;

    /* ZERO WINDOW PROBE: nothing else is asked of it */
    if (seglen == 1 && have_next && seq == fwd->nextseq && (rev->seen & HS_LASTACK) &&
        rev->window == 0) {
        ta |= TA_WINDOW_PROBE;
        goto finished_fwd;
    }
    if (window == 0 && !ctl)
        ta |= TA_ZERO_WINDOW;
    if (have_next && seq_lt(fwd->nextseq, seq) && !(fl & TCPF_RST)) {
        ta |= TA_LOST_SEGMENT;
        hole = seq - fwd->nextseq; /* before nextseq moves past this segment */
    }
    if ((seglen == 0 || seglen == 1) && have_next && seq == fwd->nextseq - 1 && !ctl)
        ta |= TA_KEEP_ALIVE;
    if ((fwd->seen & HS_LASTACK) && seglen == 0 && !ctl && seq == fwd->nextseq &&
        ack == fwd->lastack) {
        if (window && window != fwd->window) {
            ta |= TA_WINDOW_UPDATE;
        } else if (window && window == fwd->window && (rev->lastta & TA_KEEP_ALIVE)) {
            ta |= TA_KEEP_ALIVE_ACK;
            goto finished_fwd;
        } else if (window == 0 && fwd->window == 0 && (rev->lastta & TA_WINDOW_PROBE)) {
            ta |= TA_PROBE_ACK;
            goto finished_fwd;
        } else if (window && window == fwd->window) {
            fwd->dupacks++;
            ta |= TA_DUP_ACK;
        }
    }

finished_fwd:
    if (!(fwd->seen & HS_LASTACK) || ack != fwd->lastack) {
        fwd->dupacks = 0;
        fwd->seen &= (uint16_t)~HS_UNSEEN;
    }

    /* ACKED UNSEEN: the peer's bytes we ACK were never captured.  Noted
     * once per ACK value: the peer's stream may stall with pure ACKs that all
     * repeat it. */
    if ((fl & TCPF_ACK) && (rev->seen & HS_NEXTSEQ) && seq_lt(rev->maxseqtobeacked, ack)) {
        if (seq_lt(rev->nextseq, rev->maxseqtobeacked)) {
            rev->maxseqtobeacked = rev->nextseq;
            ta |= TA_ACKED_UNSEEN;
        } else {
            if (!(fwd->seen & HS_UNSEEN) && fwd->dupacks == 0)
                ta |= TA_ACKED_UNSEEN;
            fwd->seen |= HS_UNSEEN;
        }
    }

    /* RETRANSMISSION / FAST / SPURIOUS / OUT-OF-ORDER */
    if ((seglen > 0 || synfin) && !(ta & (TA_KEEP_ALIVE | TA_WINDOW_PROBE)))
        ta |= retrans_kind(c, fwd, rev, t, have_next, now);

    advance_seq(fwd, t, have_next, ta, now);

    /* delivery, RTT probe, backoff, stall clock */
    count_kinds(fwd, ta, frame, hole);
    track_sent(c, fwd, rev, t, size, ta, now, frame);

    if (fl & TCPF_ACK)
        take_ack(fwd, rev, t, now, frame);

    fwd->window = window;
    fwd->lastack = ack;
    fwd->lastack_ns = now;
    fwd->seen |= HS_LASTACK;
    fwd->lastta = (uint16_t)ta;
    return ta;
}

void tcp_finish(struct tcp_conn *c)
{
    /* SACK is in use when both SYNs permitted it (RFC 2018 2) */
    bool sack = (c->h[0].seen & c->h[1].seen & HS_SACKPERM) != 0;
    for (int d = 0; d < 2; d++) {
        if (c->h[d].dl)
            delivery_finish(c->h[d].dl, sack);
        backoff_commit(c->h[d].retx);
    }
}

bool tcp_stalled(const struct tcp_conn *c, int dir, int64_t end_ns, int64_t *ns, uint64_t *frame)
{
    const struct tcp_half *h = &c->h[dir], *peer = &c->h[!dir];
    if (!(h->seen & HS_DATA))
        return false;
    bool outstanding;
    if (peer->seen & HS_ACKED)
        outstanding = seq_lt(peer->highest_ack, h->data_end);
    else /* the peer was never heard: only retransmissions show it is not the capture */
        outstanding = h->n.retrans > 0;
    if (!outstanding)
        return false;
    if (!(h->seen & HS_WAIT_RETX) && end_ns - h->wait_ns < TCP_STALL_MIN_NS)
        return false; /* in flight when the capture stopped */
    *ns = h->wait_ns;
    *frame = h->wait_frame;
    return true;
}
