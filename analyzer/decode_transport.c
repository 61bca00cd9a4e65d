/*
 * decode_transport.c - TCP (RFC 9293, with its options) and UDP (RFC 768).
 *
 * The one rule that shapes this file: a segment's length comes from the IP
 * layer's length field, never from the captured bytes.  Snap lengths cut the
 * capture short, Ethernet pads short frames to 60 bytes, and offloads hand the
 * capture one 64 KB "segment" that never existed on the wire; the IP length is
 * the only number that says what the sender put on the wire.  The captured
 * bytes only tell us how much of it we can look at.
 *
 * A layer is marked truncated when its header or its declared payload was not
 * all captured (packet.h's definition, which the IP layer follows too); the
 * anomaly this counts is the same one the IP layer already counted, so a -s 96
 * capture reports one "truncated" per packet, not one per layer.
 */
#include "decode_transport.h"

#define TCP_HDR_MIN 20 /* RFC 9293 3.1: data offset 5 */
#define UDP_HDR_LEN_ 8 /* RFC 768 */

/* TCP option kinds and their lengths (RFC 9293 3.2, RFC 7323, RFC 2018) */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2      /* len 4 */
#define TCPOPT_WSCALE 3   /* len 3, RFC 7323 2.2 */
#define TCPOPT_SACKPERM 4 /* len 2, RFC 2018 2 */
#define TCPOPT_SACK 5     /* len 2 + 8n, RFC 2018 3 */
#define TCPOPT_TS 8       /* len 10, RFC 7323 3.2 */

/*
 * Options live between byte 20 and the data offset.  `declared` is how many
 * option bytes the header claims; `o` holds the part of them that was
 * captured.  An option that runs past the declared header is malformed (we
 * stop: its length cannot be trusted to find the next one); one that runs
 * past the captured bytes is merely cut, and the options before it are kept.
 */
/* The lengths RFC 9293, 2018 and 7323 fix for the options we read; any other
 * kind is framed by its own length alone. */
static bool tcp_opt_len_ok(uint8_t kind, uint8_t len)
{
    switch (kind) {
    case TCPOPT_MSS:
        return len == 4;
    case TCPOPT_WSCALE:
        return len == 3;
    case TCPOPT_SACKPERM:
        return len == 2;
    case TCPOPT_SACK:
        return len >= 2 + 8 && len <= 2 + 8 * 4 && (len - 2) % 8 == 0;
    case TCPOPT_TS:
        return len == 10;
    default:
        return true;
    }
}

static void tcp_options(struct dstate *d, struct layer *l, struct cursor o, size_t declared)
{
    struct tcp_info *t = &l->u.tcp;

    while (declared > 0) {
        uint8_t kind = cur_u8(&o);
        if (o.err)
            return; /* the capture ends here: the caller reports it */
        declared--;
        if (kind == TCPOPT_EOL)
            return;
        if (kind == TCPOPT_NOP)
            continue;
        if (declared == 0) { /* the length byte itself is past the header */
            dec_bad(d, l, AN_BAD_TCP_OPTION);
            return;
        }
        uint8_t len = cur_u8(&o);
        if (o.err)
            return; /* the capture ends here: the caller reports it */
        declared--;
        if (len < 2 || (size_t)(len - 2) > declared) {
            dec_bad(d, l, AN_BAD_TCP_OPTION);
            return;
        }
        size_t body = (size_t)len - 2;
        declared -= body;
        /* Checked once here, so an option cut by the capture is never
         * recorded half-read (present, with zeroed values). */
        if (!cur_has(&o, body))
            return; /* the capture ends here: the caller reports it */

        if (!tcp_opt_len_ok(kind, len)) {
            /* malformed, but its length still frames it: skip, keep reading */
            dec_bad(d, l, AN_BAD_TCP_OPTION);
            cur_skip(&o, body);
        } else {
            switch (kind) {
            case TCPOPT_MSS:
                t->mss = cur_be16(&o);
                t->opts |= TCPO_MSS;
                break;
            case TCPOPT_WSCALE:
                t->wscale = cur_u8(&o);
                t->opts |= TCPO_WSCALE;
                break;
            case TCPOPT_SACKPERM:
                t->opts |= TCPO_SACKPERM;
                break;
            case TCPOPT_SACK:
                /* A second SACK option (hostile) adds to the first, up to the cap. */
                for (size_t i = 0; i < body / 8; i++) {
                    uint32_t left = cur_be32(&o), right = cur_be32(&o);
                    if (t->nsack < PKT_MAX_SACK) {
                        t->sack[t->nsack].left = left;
                        t->sack[t->nsack].right = right;
                        t->nsack++;
                    }
                }
                t->opts |= TCPO_SACK;
                break;
            case TCPOPT_TS:
                t->ts_val = cur_be32(&o);
                t->ts_ecr = cur_be32(&o);
                t->opts |= TCPO_TS;
                break;
            default:
                cur_skip(&o, body);
                break;
            }
        }
    }
}

void decode_tcp(struct dstate *d, struct cursor c)
{
    size_t seglen;
    enum dec_len_src src = dec_ip_payload_len(d, &c, &seglen);
    struct layer *l = dec_push(d, LAYER_TCP, &c);
    if (!l)
        return;
    struct tcp_info *t = &l->u.tcp;

    /* Bytes past the segment (Ethernet padding) are not TCP's. */
    cur_limit(&c, seglen);

    /* Field by field, so that a quoted header cut after 8 bytes (RFC 792
     * quotes only ports and sequence number) still yields what it has: a
     * failed read returns 0 and the fields after it stay 0. */
    t->sport = cur_be16(&c);
    t->dport = cur_be16(&c);
    t->seq = cur_be32(&c);
    t->ack = cur_be32(&c);
    uint8_t off = cur_u8(&c);
    t->flags = cur_u8(&c);
    t->window = cur_be16(&c);
    cur_skip(&c, 4); /* checksum, urgent pointer */
    if (c.err) {
        if (dec_len_declared(src) && seglen < TCP_HDR_MIN)
            dec_bad(d, l, AN_BAD_TCP_HDR_LEN); /* the IP length leaves no room */
        else
            dec_short(d, l);
        return;
    }

    size_t hdr_len = (size_t)(off >> 4) * 4;
    t->hdr_len = (uint8_t)hdr_len;
    if (hdr_len > seglen && src == DEC_LEN_FRAME) {
        dec_short(d, l); /* the frame ended inside the options */
        return;
    }
    if (hdr_len < TCP_HDR_MIN || hdr_len > seglen) {
        dec_bad(d, l, AN_BAD_TCP_HDR_LEN);
        return;
    }
    /* A first fragment carries only part of the segment: its payload length is
     * unknown until reassembly, so we leave it 0 rather than guess. */
    if (src != DEC_LEN_FRAGMENT)
        t->payload_len = dec_clamp16(seglen - hdr_len);

    size_t optlen = hdr_len - TCP_HDR_MIN;
    if (optlen) {
        struct cursor o = cur_sub(&c, optlen); /* partial when the capture ends first */
        tcp_options(d, l, o, optlen);
    }
    /* c.err: the options were cut, even if only after EOL, in bytes nobody
     * reads; the header the sender wrote did not all reach the capture. */
    if (c.err || cur_left(&c) < t->payload_len)
        dec_short(d, l);
    /* Nothing is decoded after TCP: a segment is a slice of a byte stream, and
     * what it carries has boundaries only the stream knows. */
}

void decode_udp(struct dstate *d, struct cursor c)
{
    size_t seglen;
    enum dec_len_src src = dec_ip_payload_len(d, &c, &seglen);
    struct layer *l = dec_push(d, LAYER_UDP, &c);
    if (!l)
        return;
    struct udp_info *u = &l->u.udp;

    cur_limit(&c, seglen);
    u->sport = cur_be16(&c);
    u->dport = cur_be16(&c);
    u->len = cur_be16(&c);
    cur_skip(&c, 2); /* checksum */
    if (c.err) {
        if (dec_len_declared(src) && seglen < UDP_HDR_LEN_)
            dec_bad(d, l, AN_BAD_UDP_LEN);
        else
            dec_short(d, l);
        return;
    }

    /*
     * The payload length: the UDP length field when it is sane, otherwise
     * what the IP length leaves after the header ("decode what fits").  In a
     * first fragment the UDP length legitimately exceeds the fragment.  A
     * jumbogram's UDP length is 0 (RFC 2675 4).
     */
    size_t plen = seglen - UDP_HDR_LEN_;
    bool jumbo_zero = u->len == 0 && src == DEC_LEN_CURSOR;
    if (u->len < UDP_HDR_LEN_) {
        if (!jumbo_zero)
            dec_bad(d, l, AN_BAD_UDP_LEN);
    } else if (src == DEC_LEN_IP && u->len > seglen) {
        dec_bad(d, l, AN_BAD_UDP_LEN);
    } else {
        plen = (size_t)u->len - UDP_HDR_LEN_;
    }
    u->payload_len = dec_clamp16(plen);
    /* DEC_LEN_FRAME: the IP length, too, claimed more than the whole frame;
     * the length the sender wrote is kept (a datagram's size is what a
     * path-MTU diagnosis is about, and a tunnel inside is recognised by it),
     * and the missing bytes are the IP layer's anomaly (decode_ip.c). */
    if (cur_left(&c) < plen && src != DEC_LEN_FRAME) {
        if (src == DEC_LEN_FRAGMENT)
            l->flags |= LF_TRUNCATED; /* the rest is in later fragments, not lost */
        else
            dec_short(d, l);
    }

    /*
     * A first fragment outside a quote is not followed: the reassembled
     * datagram is decoded whole later (decode_reassembled), and decoding a
     * piece of it would raise truncation anomalies for bytes that are merely
     * in the next fragment.  Inside a quote, cut packets are the norm and
     * anomalies are not counted, so we follow as far as the bytes go.
     */
    if (src == DEC_LEN_FRAGMENT && !(d->lflags & LF_QUOTED))
        return;
    cur_limit(&c, plen);
    decode_udp_payload(d, u->sport, u->dport, (uint32_t)plen, c);
}
