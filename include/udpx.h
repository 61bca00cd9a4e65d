/*
 * udpx.h - UDP requests re-sent after fragmented replies (issue 13 item 5).
 *
 * UDP carries no acknowledgement, but a request/response application (DNS,
 * SNMP, RADIUS, TFTP, syslog over DTLS...) has its own: the requester that
 * gets no answer sends the same request again after its timeout.  At the
 * answering side the capture cannot see whether a fragmented reply
 * arrived, but it sees the requester's behaviour: the identical request
 * again, a timeout later, after each fragmented reply and never after a
 * small one, is the requester saying that the fragmented replies never
 * came.  A suspicion, not a proof (the requester may have gone on for
 * another reason), and the report says so.
 *
 * Per input, the tracker follows up to UDPX_MAX_CONV conversations, each a
 * pair of UDP endpoints at one tunnel depth; the requester is the side
 * heard first.  For each request it remembers a hash of the payload and
 * what came back since: fragments from the other side (a fragmented reply,
 * complete or not), or an unfragmented datagram (a small reply).  A request
 * identical to the previous one (same length and payload hash) at least
 * UDPX_MIN_TIMEOUT_NS later is a repeat, counted by what preceded it.
 * Only at the answering side: a reply fragment captured with its outermost
 * TTL / hop limit below its sender's initial value (64, 128, 255) crossed a
 * router, so the capture is past the path, at the requester's side, where
 * lost fragments show as such (defrag.h) and a repeat after replies that
 * arrived is the requester's own doing: such repeats rule the signature
 * out.
 * Memory: a fixed array in the input's stats; O(UDPX_MAX_CONV) per UDP
 * packet.
 */
#ifndef MTUSCOPE_UDPX_H
#define MTUSCOPE_UDPX_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

#define UDPX_MAX_CONV 32
#define UDPX_MAX_FRAMES 8
/* 200 ms: below the first timeout of any request/response client (DNS
 * resolvers wait 0.4 to 5 s, RFC 8085 3.1.3 asks for 1 s without an RTT
 * estimate) and Linux's minimum TCP RTO: an identical datagram sooner is a
 * burst or a copy, not a re-send after a timeout. */
#define UDPX_MIN_TIMEOUT_NS 200000000ll

struct udpx_conv {
    uint8_t version, depth;
    uint8_t a[16], b[16]; /* a: the requester, heard first */
    uint16_t aport, bport;
    uint64_t req_hash;
    uint32_t req_len;
    int64_t req_ns;
    uint64_t req_frame;
    bool have_req;
    bool frag_since, small_since; /* what b sent since the latest request */
    bool crossed_since;           /* ... a fragment of it captured past a router */
    uint64_t frag_frame;          /* b's first fragment since the latest request */
    int64_t frag_ns;
    uint32_t requests;
    uint32_t frag_replies;            /* requests followed by a fragmented reply */
    uint32_t rep_after_frag;          /* repeats after a fragmented reply (and no small one) */
    uint32_t rep_after_small;         /* repeats after a small reply */
    uint32_t rep_no_reply;            /* repeats with nothing from b in between */
    uint32_t rep_after_crossed;       /* repeats after a fragmented reply seen past a router */
    int64_t gap_min_ns, gap_max_ns;   /* fragmented reply to the repeat after it */
    uint64_t frames[UDPX_MAX_FRAMES]; /* pairs: the reply's first fragment, the repeat */
    int nframes;
};

struct udpx {
    struct udpx_conv conv[UDPX_MAX_CONV];
    int nconv;
    uint64_t unlisted; /* UDP packets of conversations that did not fit */
};

/* One decoded, defragmented packet (after defrag_packet()). */
void udpx_packet(struct udpx *u, const struct packet *pkt);

/* The conversation's repeats are the signature: two at least, each after a
 * fragmented reply, none after a small reply or after no reply at all. */
bool udpx_suspect(const struct udpx_conv *c);

#endif
