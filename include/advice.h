/*
 * advice.h - what to do, as data: a kind and its numbers.
 *
 * The inference decides what a user should do (set this tunnel's MTU to N,
 * clamp the MSS to N, let this ICMP message through between A and B, probe
 * with sizes from L to H); wording.c makes the sentence and the commands
 * from it, and the JSON report lists it as it is, so a script can act on
 * the numbers without parsing English.  Adding a kind: a row in
 * ADVICE_KINDS, its words in wording.c.
 */
#ifndef MTUSCOPE_ADVICE_H
#define MTUSCOPE_ADVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

/* X(kind, name): the name is the JSON report's verdict.advice[].kind */
#define ADVICE_KINDS(X)                                                                            \
    X(ADV_SET_TUNNEL_MTU, "set-tunnel-mtu")    /* layer: the tunnel; n1: the MTU to set */         \
    X(ADV_WG_MTU_BELOW, "wireguard-mtu-below") /* n1: outer size lost (0 unknown); proven */       \
    X(ADV_TUNNEL_BELOW, "tunnel-mtu-below")  /* layer: an opaque tunnel; n1: size that is lost */  \
    X(ADV_TUNNEL_HINT, "tunnel-default-mtu") /* layer: the tunnel whose default n2 MSS n1 means */ \
    X(ADV_UDP_BELOW, "udp-datagrams-below")  /* n1: UDP datagram size (IP) that is lost */         \
    X(ADV_ALLOW_ICMP, "allow-icmp")          /* src, dst, ip_version: frag-needed / PTB */         \
    X(ADV_ALLOW_ICMP_ANY, "allow-icmp-everywhere") /* the same, on every firewall on the path */   \
    X(ADV_CLAMP_MSS, "clamp-mss")                  /* n1: the MSS */                               \
    X(ADV_CLAMP_TO_PMTU, "clamp-mss-to-pmtu")      /* on the bottleneck router */                  \
    X(ADV_KEEP_BELOW, "keep-packets-below") /* src, dst: n1 the largest size that crosses */       \
    X(ADV_PROBE, "probe")                   /* src, dst: DF pings, IP sizes n1..n2 (0: rising) */  \
    X(ADV_STOP_FRAGMENT_DROPS, "stop-dropping-fragments")                                          \
    X(ADV_SENDER_FIREWALL, "sender-firewall") /* the sender must accept ICMP MTU messages */       \
    X(ADV_CAPTURE_PEER, "capture-the-other-end")                                                   \
    X(ADV_CAPTURE_FULL_SIZE, "capture-full-size-transfer")

enum advice_kind {
#define ADV_ENUM(k, name) k,
    ADVICE_KINDS(ADV_ENUM)
#undef ADV_ENUM
        ADV__COUNT
};

struct advice {
    enum advice_kind kind;
    uint8_t layer;      /* enum layer_type of the tunnel concerned, 0 = none */
    uint8_t ip_version; /* of the path concerned, 0 = unknown */
    bool proven;        /* the numbers are measured, not likely */
    uint32_t n1, n2;
    struct addr src, dst; /* the path concerned (type 0 = none) */
};

/* The JSON name of a kind. */
const char *advice_kind_name(enum advice_kind k);

#endif
