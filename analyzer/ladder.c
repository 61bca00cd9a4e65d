/*
 * ladder.c - the pure part of the ladder diagram (ladder.h): fates of the
 * packets, the match across two captures, the arrows chosen, their rows.
 */
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "packet.h"

#define LADDER_BEFORE 4                  /* packets drawn before the first trouble */
#define LADDER_AFTER 3                   /* and after the heal (or the last trouble) */
#define LADDER_HANDSHAKE 10              /* the handshake is drawn when this near the trouble */
#define LADDER_ECHO_WAIT_NS 1000000000ll /* an echo unanswered this long was lost */
#define LADDER_WINDOW 4                 /* a story spans at most this many times the arrows drawn */
#define LADDER_PAIR_SLACK_NS 50000000ll /* clock offset error tolerated when matching */
#define LADDER_OTHER_RAN_NS 1000000000ll /* the other capture ran this long after: a loss */

static bool seq_ge(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

static bool seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

uint32_t ladder_seq_len(const struct ladder_event *e)
{
    return e->payload_len + ((e->flags & TCPF_SYN) ? 1 : 0) + ((e->flags & TCPF_FIN) ? 1 : 0);
}

/* The handshake's three times in ev (-1 when not seen): side 0's first SYN,
 * the answer, side 0's next packet.  strict: the answer must be side 1's
 * SYN-ACK and the third packet no SYN, as the vantage reading needs (which
 * end waited); else any SYN after the first answers, and the third packet
 * is side 0's next, enough for the round trip either end measures. */
static void handshake_times(const struct ladder_event *ev, size_t n, bool strict, int64_t t[3])
{
    t[0] = t[1] = t[2] = -1;
    for (size_t i = 0; i < n; i++) {
        const struct ladder_event *e = &ev[i];
        if (e->kind != LADDER_TCP)
            continue;
        bool synack = (e->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK);
        if (t[0] < 0 && e->dir == 0 && (e->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
            t[0] = e->t_ns;
        else if (t[0] >= 0 && t[1] < 0 &&
                 (strict ? e->dir == 1 && synack : (e->flags & TCPF_SYN) != 0))
            t[1] = e->t_ns;
        else if (t[1] >= 0 && e->dir == 0 && !(strict && (e->flags & TCPF_SYN))) {
            t[2] = e->t_ns;
            return;
        }
    }
}

int ladder_vantage(const struct ladder_event *ev, size_t n, int fallback)
{
    int64_t t[3];
    handshake_times(ev, n, true, t);
    int64_t syn = t[0], synack = t[1], ack = t[2];
    if (syn < 0 || synack < 0 || ack < 0 || synack - syn == ack - synack)
        return fallback;
    /* the round trip is spent waiting where the capture is: for the
     * SYN-ACK at the client, for the ACK at the server */
    return synack - syn > ack - synack ? 0 : 1;
}

/* The round trip the handshake shows at either end; -1 when not in ev. */
static int64_t handshake_rtt(const struct ladder_event *ev, size_t n)
{
    int64_t t[3];
    handshake_times(ev, n, false, t);
    return t[2] >= 0 ? t[2] - t[0] : -1; /* SYN to the third packet: one round trip, either end */
}

/* A segment leaving the vantage point: acknowledged before it was re-sent
 * (delivered), re-sent first or left unacknowledged by a peer heard from
 * well after it (lost), or no word at all (unanswered). */
static uint8_t sender_fate(const struct ladder_event *ev, size_t n, size_t i, int64_t wait_ns)
{
    const struct ladder_event *e = &ev[i];
    uint32_t len = ladder_seq_len(e);
    if (!len)
        return LADDER_SENT;
    uint32_t end = e->seq + len;
    bool heard_late = false;
    for (size_t j = i + 1; j < n; j++) {
        const struct ladder_event *x = &ev[j];
        if (x->kind != LADDER_TCP)
            continue;
        if (x->dir == e->dir) {
            uint32_t xl = ladder_seq_len(x);
            /* the same bytes sent again before any ACK covered them: the
             * sender itself concluded they were lost (timeout, duplicate
             * ACKs or an ICMP message) */
            if (xl && seq_gt(x->seq + xl, e->seq) && seq_gt(end, x->seq))
                return LADDER_LOST;
            continue;
        }
        if ((x->flags & TCPF_ACK) && seq_ge(x->ack, end))
            return LADDER_DELIVERED;
        if (x->t_ns - e->t_ns >= wait_ns)
            heard_late = true;
    }
    /* the peer kept talking, past its delayed-ACK bound and a round trip,
     * and never acknowledged these bytes: they did not reach it */
    return heard_late ? LADDER_LOST : LADDER_UNANSWERED;
}

/* An echo request leaving the vantage point: answered (a reply with its id
 * and sequence number came), lost (no reply, and the capture went on at
 * least LADDER_ECHO_WAIT_NS: ping itself waits 1 s before the next probe,
 * and a round trip is far shorter), or unanswered (the capture ended).  A
 * reply leaving is not judged. */
static uint8_t echo_fate(const struct ladder_event *ev, size_t n, size_t i)
{
    const struct ladder_event *e = &ev[i];
    if (!e->flags)
        return LADDER_SENT;
    for (size_t j = i + 1; j < n; j++)
        if (ev[j].kind == LADDER_ECHO && !ev[j].flags && ev[j].dir != e->dir &&
            ev[j].seq == e->seq && ev[j].ack == e->ack)
            return LADDER_DELIVERED;
    return n && ev[n - 1].t_ns - e->t_ns >= LADDER_ECHO_WAIT_NS ? LADDER_LOST : LADDER_UNANSWERED;
}

size_t ladder_judge(struct ladder_event *ev, size_t n, size_t cap, int vantage)
{
    int64_t rtt = handshake_rtt(ev, n);
    int64_t wait = LADDER_ACK_WAIT_NS + 2 * (rtt > 0 ? rtt : LADDER_ACK_WAIT_NS);
    for (size_t i = 0; i < n; i++) {
        struct ladder_event *e = &ev[i];
        if (e->dir != vantage ||
            (e->kind != LADDER_TCP && e->kind != LADDER_ECHO && e->kind != LADDER_DGRAM))
            e->fate = LADDER_ARRIVED;
        else if (e->kind == LADDER_DGRAM) /* encrypted: one capture cannot tell */
            e->fate = LADDER_SENT;
        else if (e->kind == LADDER_ECHO)
            e->fate = echo_fate(ev, n, i);
        else
            e->fate = sender_fate(ev, n, i, wait);
    }
    /* holes in what arrived: the next byte expected from the peer, from its
     * SYN on; a segment starting beyond it proves the bytes between were
     * sent and never came (a receiver gets a stream in order or not at all) */
    bool have = false;
    uint32_t next = 0;
    size_t adv = 0; /* the arrival that last moved next: the missing bytes were sent after it */
    for (size_t i = 0; i < n; i++) {
        struct ladder_event *e = &ev[i];
        if (e->kind != LADDER_TCP || e->dir == vantage)
            continue;
        if (e->flags & TCPF_SYN) {
            next = e->seq + ladder_seq_len(e);
            have = true;
            adv = i;
            continue;
        }
        if (!have)
            continue;
        if (seq_gt(e->seq, next) && n < cap) {
            /* drawn where those bytes were due: right after the last
             * arrival before them (the sender sends in sequence order) */
            size_t at = adv + 1;
            uint32_t missing = e->seq - next;
            uint64_t frame = e->frame;
            uint8_t side = e->side, dir = e->dir;
            memmove(&ev[at + 1], &ev[at], (n - at) * sizeof *ev);
            n++;
            struct ladder_event *h = &ev[at];
            memset(h, 0, sizeof *h);
            h->kind = LADDER_HOLE;
            h->fate = LADDER_LOST;
            h->t_ns = ev[adv].t_ns;
            h->frame = frame; /* the frame that showed the hole */
            h->side = side;
            h->dir = dir;
            h->seq = next;
            h->payload_len = missing;
            i++; /* the segment moved one place on */
            e = &ev[i];
        }
        uint32_t end = e->seq + ladder_seq_len(e);
        if (seq_gt(end, next) || seq_gt(e->seq, next)) {
            next = end;
            adv = i;
        }
    }
    return n;
}

void ladder_mark_resent(struct ladder_event *ev, size_t n, int vantage, uint32_t size,
                        int64_t first_ns, int64_t last_ns)
{
    size_t first = n;
    for (size_t i = 0; size && i < n; i++) {
        struct ladder_event *e = &ev[i];
        if (e->kind == LADDER_DGRAM && e->dir == vantage && e->ip_len >= size &&
            e->t_ns >= first_ns && e->t_ns <= last_ns) {
            e->fate = LADDER_LOST;
            if (first == n)
                first = i;
        }
    }
    /* back through the burst the first copy ended */
    int64_t t = first < n ? ev[first].t_ns : 0;
    for (size_t i = first; i-- > 0 && first < n;) {
        struct ladder_event *e = &ev[i];
        if (e->kind != LADDER_DGRAM || e->dir != vantage)
            continue;
        if (t - e->t_ns >= LADDER_STRETCH_NS)
            break;
        t = e->t_ns;
        if (e->ip_len >= size)
            e->fate = LADDER_LOST;
    }
}

void ladder_mark_refused(struct ladder_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct ladder_event *m = &ev[i];
        if (m->kind != LADDER_ICMP || !m->mtu)
            continue;
        for (size_t j = 0; j < n; j++) {
            struct ladder_event *e = &ev[j];
            if (e->kind == LADDER_DGRAM && e->fate == LADDER_SENT && e->dir == m->dir &&
                !e->frag_max && !e->df_clear && e->ip_len > m->mtu)
                e->fate = LADDER_LOST;
        }
    }
}

/* ------------------------------------------------------- two captures */

/* What identifies a packet across captures, with its time and index: the
 * copies of one packet in a capture sort next to each other, earliest
 * first. */
struct keyed {
    uint8_t kind, dir, flags;
    uint32_t seq, ack, len, ip_id;
    int64_t t;
    size_t idx;
};

static int cmp_key(const struct keyed *x, const struct keyed *y)
{
#define LADDER_CMP(f)                                                                              \
    if (x->f != y->f)                                                                              \
        return x->f < y->f ? -1 : 1;
    LADDER_CMP(kind)
    LADDER_CMP(dir)
    LADDER_CMP(seq)
    LADDER_CMP(ack)
    LADDER_CMP(len)
    LADDER_CMP(flags)
    LADDER_CMP(ip_id)
#undef LADDER_CMP
    return 0;
}

static int cmp_keyed(const void *pa, const void *pb)
{
    const struct keyed *x = pa, *y = pb;
    int c = cmp_key(x, y);
    if (c)
        return c;
    return (x->t > y->t) - (x->t < y->t);
}

static struct keyed key_of(const struct ladder_event *e, size_t idx)
{
    struct keyed k = {e->kind,        e->dir,   e->flags, e->seq, e->ack,
                      e->payload_len, e->ip_id, e->t_ns,  idx};
    return k;
}

/* ev sorted by key then time, and where each event went (pos); false when
 * out of memory. */
static bool sort_keys(const struct ladder_event *ev, size_t n, struct keyed **out, size_t **pos)
{
    *out = malloc((n + 1) * sizeof **out);
    *pos = malloc((n + 1) * sizeof **pos);
    if (!*out || !*pos)
        return false;
    for (size_t i = 0; i < n; i++)
        (*out)[i] = key_of(&ev[i], i);
    qsort(*out, n, sizeof **out, cmp_keyed);
    for (size_t p = 0; p < n; p++)
        (*pos)[(*out)[p].idx] = p;
    return true;
}

/* The first position in k whose key is e's; n when none. */
static size_t find_key(const struct keyed *k, size_t n, const struct keyed *e)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(&k[mid], e) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && cmp_key(&k[lo], e) == 0 ? lo : n;
}

/* Packets matched across two captures: TCP segments and tunnel datagrams
 * (an ICMP message is drawn where it was captured). */
static bool matchable(const struct ladder_event *e)
{
    return e->kind == LADDER_TCP || e->kind == LADDER_DGRAM;
}

static int cmp_time(const void *pa, const void *pb)
{
    const struct ladder_event *a = pa, *b = pb;
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns ? -1 : 1;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    return (a->frame > b->frame) - (a->frame < b->frame);
}

size_t ladder_match(const struct ladder_event *a, size_t na, const struct ladder_event *b,
                    size_t nb, int64_t offset_ns, struct ladder_event *out, size_t cap,
                    int *client_side)
{
    const struct ladder_event *sd[2] = {a, b};
    size_t ns[2] = {na, nb};
    int64_t off[2] = {0, offset_ns};
    *client_side = -1;
    struct keyed *kx[2] = {NULL, NULL};
    size_t *pos[2] = {NULL, NULL};
    bool *used[2] = {calloc(na + 1, 1), calloc(nb + 1, 1)};
    size_t n = 0;
    if (!sort_keys(a, na, &kx[0], &pos[0]) || !sort_keys(b, nb, &kx[1], &pos[1]) || !used[0] ||
        !used[1])
        goto out;
    /* which side sends each direction: where its matched packets are seen
     * first (a packet is captured leaving before it is captured arriving);
     * with no match, the side that saw more of it (losses are seen only
     * where they left) */
    long vote[2] = {0, 0};
    size_t count[2][2] = {{0, 0}, {0, 0}};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < ns[s]; i++)
            if (matchable(&sd[s][i]))
                count[s][sd[s][i].dir & 1]++;
    for (size_t i = 0; i < na; i++) {
        if (!matchable(&a[i]))
            continue;
        struct keyed ka = key_of(&a[i], i);
        size_t p = find_key(kx[1], nb, &ka);
        if (p == nb)
            continue;
        int64_t ta = a[i].t_ns, tb = kx[1][p].t - offset_ns;
        vote[a[i].dir & 1] += tb > ta ? 1 : tb < ta ? -1 : 0;
    }
    int up[2];
    for (int d = 0; d < 2; d++)
        up[d] = vote[d] > 0 ? 0 : vote[d] < 0 ? 1 : count[1][d] > count[0][d] ? 1 : 0;
    *client_side = up[0] != up[1] ? up[0] : -1;

    int64_t last[2] = {na ? a[na - 1].t_ns : 0, nb ? b[nb - 1].t_ns - offset_ns : 0};
    int64_t first[2] = {na ? a[0].t_ns : 0, nb ? b[0].t_ns - offset_ns : 0};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < ns[s] && n < cap; i++) {
            const struct ladder_event *u = &sd[s][i];
            if (matchable(u) && up[u->dir & 1] != s)
                continue; /* arriving here: taken from the sending side */
            struct ladder_event e = *u;
            e.t_ns -= off[s];
            e.side = (uint8_t)s;
            if (!matchable(&e)) {
                e.fate = LADDER_ARRIVED;
                out[n++] = e;
                continue;
            }
            /* its copy at the other end: the first one not taken, no earlier
             * than the clocks allow, before this side sent the same again
             * (an IPv6 re-send carries the same key) */
            int o = 1 - s;
            struct keyed ku = key_of(u, i);
            int64_t until = INT64_MAX;
            size_t me = pos[s][i];
            if (me + 1 < ns[s] && cmp_key(&kx[s][me + 1], &ku) == 0)
                until = kx[s][me + 1].t - off[s];
            size_t hit = ns[o];
            for (size_t p = find_key(kx[o], ns[o], &ku); p < ns[o]; p++) {
                size_t k = kx[o][p].idx;
                if (cmp_key(&kx[o][p], &ku) != 0)
                    break;
                int64_t t = kx[o][p].t - off[o];
                if (used[o][k] || t < e.t_ns - LADDER_PAIR_SLACK_NS)
                    continue;
                if (until == INT64_MAX || t < until + LADDER_PAIR_SLACK_NS)
                    hit = k;
                break;
            }
            if (hit < ns[o]) {
                used[o][hit] = true;
                e.fate = LADDER_DELIVERED;
                e.t2_ns = sd[o][hit].t_ns - off[o];
                e.frame2 = sd[o][hit].frame;
                e.mss2 = sd[o][hit].mss;
            } else {
                /* never seen at the other end: lost between the two
                 * captures, when that one was running to see it */
                e.fate = e.t_ns >= first[o] && last[o] - e.t_ns >= LADDER_OTHER_RAN_NS
                             ? LADDER_LOST
                             : LADDER_UNANSWERED;
            }
            out[n++] = e;
        }
    /* arrivals whose departure the sending side did not capture */
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < ns[s] && n < cap; i++) {
            const struct ladder_event *u = &sd[s][i];
            if (!matchable(u) || up[u->dir & 1] == s || used[s][i])
                continue;
            struct ladder_event e = *u;
            e.t_ns -= off[s];
            e.side = (uint8_t)s;
            e.fate = LADDER_ARRIVED;
            out[n++] = e;
        }
    qsort(out, n, sizeof *out, cmp_time);
out:
    for (int s = 0; s < 2; s++) {
        free(kx[s]);
        free(pos[s]);
        free(used[s]);
    }
    return n;
}

/* ----------------------------------------------------------- bursts */

static uint32_t seq_end_of(const struct ladder_event *e)
{
    return e->repeat > 1 ? e->seq_end : e->seq + ladder_seq_len(e);
}

static bool alike(const struct ladder_event *a, const struct ladder_event *b)
{
    if (a->kind != b->kind || a->dir != b->dir || a->side != b->side ||
        b->t_ns - a->t_ns >= LADDER_STRETCH_NS)
        return false;
    if (a->kind == LADDER_ICMP)
        return a->mtu == b->mtu && a->v6 == b->v6;
    if (a->kind == LADDER_DGRAM) /* a burst of one size through the tunnel */
        return a->ip_len == b->ip_len && a->fate == b->fate && a->flags == b->flags;
    if (a->kind != LADDER_TCP)
        return false;
    /* a run of the receiver's plain ACKs, one per segment or two */
    if (!a->payload_len && !b->payload_len)
        return a->flags == TCPF_ACK && b->flags == TCPF_ACK && a->fate == b->fate &&
               a->seq == b->seq && a->ip_len == b->ip_len;
    /* data: a handshake or a FIN is a step of its own; one run covers
     * contiguous bytes, so that "x 9" is a window sent in a row */
    return a->payload_len && b->payload_len && a->ip_len == b->ip_len && a->fate == b->fate &&
           a->retrans == b->retrans && (a->flags & ~TCPF_PSH) == (b->flags & ~TCPF_PSH) &&
           b->seq == seq_end_of(a);
}

size_t ladder_collapse(struct ladder_event *ev, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && alike(&ev[k - 1], &ev[i])) {
            struct ladder_event *run = &ev[k - 1];
            uint32_t end = seq_end_of(&ev[i]);
            run->repeat = (run->repeat ? run->repeat : 1) + 1;
            run->seq_end = end;
            continue;
        }
        ev[k++] = ev[i];
    }
    return k;
}

/* ---------------------------------------------------------- selection */

/* What the story is about: a loss, a re-send, an ICMP message, a hole, or
 * a SYN whose MSS a router rewrote on the way (a clamp, seen from two
 * captures). */
static bool trouble(const struct ladder_event *e)
{
    return e->kind == LADDER_ICMP || e->kind == LADDER_HOLE || e->retrans ||
           e->fate == LADDER_LOST || e->fate == LADDER_UNANSWERED || (e->mss2 && e->mss2 != e->mss);
}

/* A TCP segment that opens, closes or resets: a step of the story. */
static bool tcp_control(const struct ladder_event *e)
{
    return e->kind == LADDER_TCP && (e->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST));
}

static bool pure_ack(const struct ladder_event *e)
{
    return e->kind == LADDER_TCP && ladder_seq_len(e) == 0 && !(e->flags & TCPF_RST);
}

/* What starts and ends the story: a packet lost, a hole, an ICMP message.
 * A re-send that crossed while nothing was lost (a spurious one) is no MTU
 * story: such a connection is drawn from its start. */
static bool loss(const struct ladder_event *e)
{
    return e->kind == LADDER_ICMP || e->kind == LADDER_HOLE || e->fate == LADDER_LOST ||
           e->fate == LADDER_UNANSWERED;
}

size_t ladder_first_trouble(const struct ladder_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (loss(&ev[i]))
            return i;
    return n;
}

/* The first delivery, after the trouble at f, of the first byte lost then:
 * the sender got through at last. */
static size_t heal_of(const struct ladder_event *ev, size_t n, size_t f)
{
    const struct ladder_event *lost = NULL;
    for (size_t i = f; i < n && !lost; i++)
        if ((ev[i].fate == LADDER_LOST || ev[i].fate == LADDER_UNANSWERED) &&
            (ev[i].kind == LADDER_HOLE || ladder_seq_len(&ev[i])))
            lost = &ev[i];
    if (!lost)
        return n;
    for (size_t i = (size_t)(lost - ev) + 1; i < n; i++) {
        const struct ladder_event *e = &ev[i];
        uint32_t len = ladder_seq_len(e);
        if (e->kind == LADDER_TCP && e->dir == lost->dir && len &&
            (e->fate == LADDER_DELIVERED || e->fate == LADDER_ARRIVED) &&
            seq_ge(lost->seq, e->seq) && seq_gt(seq_end_of(e), lost->seq))
            return i;
    }
    return n;
}

size_t ladder_select(const struct ladder_event *ev, size_t n, size_t max, size_t *keep,
                     uint32_t *skipped)
{
    if (!n || !max)
        return 0;
    size_t f = ladder_first_trouble(ev, n);
    size_t lo, hi;
    if (f == n) { /* nothing went wrong: the start, handshake and first full packets */
        lo = 0;
        hi = n > max ? max - 1 : n - 1;
    } else {
        lo = f > LADDER_BEFORE ? f - LADDER_BEFORE : 0;
        for (size_t i = f; i-- > 0 && f - i <= LADDER_HANDSHAKE;)
            if (ev[i].kind == LADDER_TCP && (ev[i].flags & TCPF_SYN) && ev[i].dir == 0) {
                lo = i < lo ? i : lo;
                break;
            }
        size_t h = heal_of(ev, n, f);
        size_t last = f;
        for (size_t i = f; i < n && (h == n || i < h); i++)
            if (loss(&ev[i]))
                last = i;
        size_t end = h < n ? h : last;
        hi = end + LADDER_AFTER < n ? end + LADDER_AFTER : n - 1;
        if (h == n && hi - lo >= LADDER_WINDOW * max) /* no heal, long: its beginning */
            hi = lo + LADDER_WINDOW * max - 1;
        if (n - 1 - hi <= LADDER_AFTER && n - lo <= max) /* the few left: to the end */
            hi = n - 1;
    }
    size_t span = hi - lo + 1;
    uint8_t *drop = calloc(span, 1);
    if (!drop)
        return 0;
    size_t count = span;
    size_t h = f < n ? heal_of(ev, n, f) : n;
    /* 1: pure ACKs, but those of the handshake and those answering a
     * trouble (the duplicate ACK a loss draws) */
    for (size_t i = lo; i <= hi && count > max; i++) {
        const struct ladder_event *e = &ev[i];
        bool handshake =
            i > lo && ev[i - 1].kind == LADDER_TCP && (ev[i - 1].flags & TCPF_SYN) && e->dir == 0;
        bool answers = i > lo && trouble(&ev[i - 1]) && e->dir != ev[i - 1].dir;
        if (pure_ack(e) && !(e->flags & TCPF_FIN) && !handshake && !answers) {
            drop[i - lo] = 1;
            count--;
        }
    }
    /* 2: uneventful data away from any trouble and not the heal, when that
     * is enough (else the cut below, in one place rather than everywhere) */
    size_t uneventful = 0;
    for (size_t i = lo; i <= hi; i++) {
        const struct ladder_event *e = &ev[i];
        if (drop[i - lo] || trouble(e) || i == h || tcp_control(e))
            continue;
        uneventful += !((i > lo && trouble(&ev[i - 1])) || (i < hi && trouble(&ev[i + 1])));
    }
    /* all of them, so that every loss is drawn alike, with its neighbours */
    bool enough = count > max && count - uneventful <= max;
    for (size_t i = lo; i <= hi && enough; i++) {
        const struct ladder_event *e = &ev[i];
        if (drop[i - lo] || trouble(e) || i == h || tcp_control(e))
            continue;
        bool near = (i > lo && trouble(&ev[i - 1])) || (i < hi && trouble(&ev[i + 1]));
        if (!near) {
            drop[i - lo] = 1;
            count--;
        }
    }
    /* 3: still too many: the beginning and the end (the heal) are kept,
     * the middle goes */
    if (count > max) {
        size_t tail = max / 4, headroom = max - tail, seen = 0;
        size_t tail_from = count - tail; /* kept index from which the tail starts */
        for (size_t i = lo; i <= hi; i++) {
            if (drop[i - lo])
                continue;
            if (seen >= headroom && seen < tail_from)
                drop[i - lo] = 2;
            seen++;
        }
        count = max;
    }
    size_t k = 0;
    uint32_t gap = 0;
    for (size_t i = lo; i <= hi; i++) {
        if (drop[i - lo]) {
            gap++;
            continue;
        }
        keep[k] = i;
        skipped[k] = gap;
        gap = 0;
        k++;
    }
    free(drop);
    return k;
}

void ladder_rows(const int64_t *t, const uint32_t *skipped, size_t n, double *y)
{
    double row = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            double step = 1;
            int64_t gap = t[i] - t[i - 1];
            if (gap >= LADDER_STRETCH_NS) {
                /* 0.2 s: 1.5 rows, each doubling half a row more (the
                 * logarithm's integer part, then linear within an octave) */
                double r = (double)gap / (double)(LADDER_STRETCH_NS / 2);
                int octaves = 0;
                while (r >= 2 && octaves < 16) {
                    r /= 2;
                    octaves++;
                }
                step += 0.5 * (octaves + (r - 1));
                if (step > 5)
                    step = 5;
            }
            if (skipped[i])
                step += 1.5;
            row += step;
        }
        y[i] = row;
    }
}
