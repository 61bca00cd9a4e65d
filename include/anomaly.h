/*
 * anomaly.h - the named things that can be wrong with a captured packet.
 *
 * A decoder that meets something it cannot accept does not crash and does not
 * drop the packet silently: it records one of these on the packet record, and
 * the statistics module counts it per input file.  --stats and the JSON
 * report show the counts by name.
 */
#ifndef MTUSCOPE_ANOMALY_H
#define MTUSCOPE_ANOMALY_H

#include <stdint.h>

/* X-macro: identifier, short name (stable: used in JSON), description. */
#define ANOMALY_LIST(X)                                                                            \
    X(AN_TRUNCATED, "truncated", "packet cut short by the capture's snap length")                  \
    X(AN_SHORT_FRAME, "short-frame", "frame ends inside a header its wire length says is there")   \
    X(AN_UNKNOWN_LINKTYPE, "unknown-linktype", "link-layer type not decoded")                      \
    X(AN_BAD_LINK_HDR, "bad-link-header", "invalid link-layer header")                             \
    X(AN_BAD_VLAN, "bad-vlan", "invalid 802.1Q/802.1ad tag")                                       \
    X(AN_BAD_PPPOE, "bad-pppoe", "invalid PPPoE header or length")                                 \
    X(AN_BAD_MPLS, "bad-mpls", "MPLS label stack without bottom or too deep")                      \
    X(AN_BAD_IP_VERSION, "bad-ip-version", "IP version field does not match the protocol")         \
    X(AN_BAD_IP_HDR_LEN, "bad-ip-header-length",                                                   \
      "IPv4 header length below 20 bytes or past the packet")                                      \
    X(AN_BAD_IP_TOTAL_LEN, "bad-ip-total-length", "IP length field disagrees with the frame")      \
    X(AN_IP_LEN_BEYOND_FRAME, "ip-length-beyond-frame",                                            \
      "IP length larger than the whole frame on the wire (not a snap-length cut): clamped to the " \
      "frame, as Wireshark does")                                                                  \
    X(AN_BAD_IP_CHECKSUM, "bad-ip-checksum", "IPv4 header checksum is wrong")                      \
    X(AN_BAD_IP_OPTION, "bad-ip-option", "malformed IPv4 option")                                  \
    X(AN_BAD_IPV6_EXT, "bad-ipv6-extension", "malformed IPv6 extension header")                    \
    X(AN_BAD_AH, "bad-ah", "AH header shorter than its fixed fields")                              \
    X(AN_BAD_FRAGMENT, "bad-fragment", "fragment with impossible offset or length")                \
    X(AN_FRAG_OVERLAP, "fragment-overlap", "IP fragments overlap")                                 \
    X(AN_FRAG_INCOMPLETE, "fragment-incomplete", "fragmented datagram never completed")            \
    X(AN_FRAG_LOST, "fragment-lost",                                                               \
      "fragments never came while the capture went on (over 1 s after the last): lost")            \
    X(AN_FRAG_SNAPCUT, "fragment-snaplen-cut",                                                     \
      "fragment cut by the snap length: not reassembled, not lost")                                \
    X(AN_FRAG_OPEN_AT_END, "fragment-open-at-end",                                                 \
      "datagram still arriving when the capture ended: not lost")                                  \
    X(AN_FRAG_CRAFTED, "fragment-crafted",                                                         \
      "fragments overlapping or smaller than any link needs: made by a tool, not an MTU")          \
    X(AN_FRAG_LIMIT, "fragment-limit", "reassembly limit hit: datagram dropped")                   \
    X(AN_BAD_TCP_HDR_LEN, "bad-tcp-header-length", "TCP data offset below 20 or past the segment") \
    X(AN_BAD_TCP_OPTION, "bad-tcp-option", "malformed TCP option")                                 \
    X(AN_BAD_UDP_LEN, "bad-udp-length", "UDP length disagrees with the IP length")                 \
    X(AN_BAD_ICMP, "bad-icmp", "ICMP/ICMPv6 message too short or malformed")                       \
    X(AN_BAD_GRE, "bad-gre", "unsupported GRE version or malformed GRE header")                    \
    X(AN_BAD_VXLAN, "bad-vxlan", "malformed VXLAN header")                                         \
    X(AN_BAD_GENEVE, "bad-geneve", "malformed GENEVE header")                                      \
    X(AN_BAD_GTPU, "bad-gtpu", "malformed GTP-U header")                                           \
    X(AN_BAD_L2TP, "bad-l2tp", "malformed L2TPv2 header")                                          \
    X(AN_BAD_ESP, "bad-esp", "ESP packet too short")                                               \
    X(AN_BAD_LCP, "bad-lcp", "PPP LCP packet or option with an impossible length")                 \
    X(AN_BAD_OSPF, "bad-ospf", "OSPF header or Database Description shorter than its fields")      \
    X(AN_TUNNEL_TOO_DEEP, "tunnel-too-deep", "tunnels nested deeper than the decoder's cap")       \
    X(AN_TOO_MANY_LAYERS, "too-many-layers", "more layers than a packet record holds")             \
    X(AN_BAD_PCAPNG_STATS, "bad-pcapng-statistics",                                                \
      "malformed pcapng interface statistics block: its end time and drop counts are not used")

enum anomaly {
#define X(id, name, desc) id,
    ANOMALY_LIST(X)
#undef X
        AN__COUNT
};

_Static_assert(AN__COUNT <= 64, "anomalies are kept in a 64-bit mask per packet");

const char *anomaly_name(enum anomaly a);
const char *anomaly_description(enum anomaly a);

#endif
