/*
 * packet.h - the record one decoded frame becomes.
 *
 * The decoder turns each captured frame into a struct packet: where it came
 * from (input, frame number, time, lengths) and the stack of layers it was
 * decoded into, outermost first.  Later stages (defragmentation, flows,
 * analyzers) read only this record and, where they need payload bytes, the
 * frame the offsets point into.  The record has a fixed size and is reused
 * from frame to frame: decoding allocates nothing.
 *
 * Sizes follow the report contract: an IP layer's `ip_len` is the IP packet
 * size from its length field (IPv4 total length, IPv6 payload length + 40),
 * never the captured length, because snap lengths and offloads lie.
 */
#ifndef MTUSCOPE_PACKET_H
#define MTUSCOPE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <dumbnet.h> /* struct addr; needs _DEFAULT_SOURCE (set by the Makefile) */

#include "anomaly.h"

#define PKT_MAX_LAYERS 32 /* layers one record holds */
#define PKT_MAX_TUNNELS 8 /* tunnel nesting the decoder follows */
#define PKT_MAX_SACK 4    /* SACK blocks kept per segment (TCP allows 4) */

enum layer_type {
    /* link layers */
    LAYER_ETH,
    LAYER_SLL,  /* Linux cooked v1 */
    LAYER_SLL2, /* Linux cooked v2 */
    LAYER_LOOP, /* BSD NULL / LOOP: 4-byte address family */
    LAYER_PPP,
    LAYER_VLAN,  /* 802.1Q or 802.1ad tag */
    LAYER_PPPOE, /* PPPoE session stage (discovery is recorded, not followed) */
    LAYER_MPLS,  /* one label stack entry */
    /* network */
    LAYER_IPV4,
    LAYER_IPV6,
    LAYER_AH,
    /* transport */
    LAYER_TCP,
    LAYER_UDP,
    LAYER_ICMP,
    LAYER_ICMP6,
    /* tunnels that carry a decoded inner packet */
    LAYER_GRE,
    LAYER_VXLAN,
    LAYER_GENEVE,
    LAYER_GTPU,
    LAYER_L2TP,
    LAYER_TEREDO,
    /* tunnels recognised but opaque (encrypted) */
    LAYER_WIREGUARD,
    LAYER_ESP,
    LAYER_OPENVPN,
    /* control protocols that state a link's MTU (decode_ppp.c, decode_routing.c) */
    LAYER_LCP,  /* PPP Link Control Protocol (RFC 1661): the MRU option */
    LAYER_OSPF, /* OSPFv2 / OSPFv3: Database Description carries the interface MTU */
    LAYER__COUNT
};

/* layer.flags */
#define LF_QUOTED 0x01      /* inside the quoted packet of an ICMP error */
#define LF_TRUNCATED 0x02   /* this layer's header or declared payload was cut short */
#define LF_REASSEMBLED 0x04 /* decoded from a reassembled IP datagram */
#define LF_MALFORMED 0x08   /* a field of this layer was invalid */

struct eth_info {
    uint8_t src[6], dst[6];
    uint16_t ethertype; /* after the MAC addresses (may be a VLAN TPID); <= 1500: 802.3 length */
    uint16_t snap_type; /* 802.3 LLC/SNAP: the protocol id after the OUI (an ethertype for OUI 0) */
    uint8_t llc_len;    /* 802.3: LLC header bytes (3, 4, or 8 with SNAP); 0 for Ethernet II */
};

struct sll_info {
    uint16_t pkttype; /* 0 to us, 4 outgoing, ... */
    uint16_t hatype;  /* ARPHRD_* */
    uint16_t proto;   /* ethertype of the payload */
    uint32_t ifindex; /* SLL2 only */
    uint8_t addr[8];  /* sender's link-layer address, addr_len bytes of it */
    uint8_t addr_len; /* at most 8: longer addresses (InfiniBand) are cut by Linux */
};

struct loop_info {
    uint32_t family; /* AF_INET 2; AF_INET6 24, 28 or 30 depending on the OS */
};

struct ppp_info {
    uint16_t proto; /* PPP protocol number: 0x0021 IPv4, 0x0057 IPv6 */
};

struct vlan_info {
    uint16_t tpid; /* 0x8100 802.1Q, 0x88a8 802.1ad, 0x9100 */
    uint16_t vid;
    uint8_t pcp, dei;
    uint16_t ethertype; /* of what follows */
};

struct pppoe_info {
    uint8_t code; /* 0 session data */
    uint16_t session;
    uint16_t length;
    uint16_t ppp_proto;
    uint16_t max_payload; /* discovery: the PPP-Max-Payload tag (RFC 4638), 0 = absent */
};

/* LCP codes that carry configuration options (RFC 1661 section 5) */
#define LCP_CONF_REQ 1
#define LCP_CONF_ACK 2
#define LCP_CONF_NAK 3
#define LCP_CONF_REJ 4

struct lcp_info {
    uint8_t code, ident;
    uint16_t length;
    uint16_t mru; /* the Maximum-Receive-Unit option (type 1), 0 = absent */
};

/* OSPF packet types (RFC 2328 A.3.1, RFC 5340 A.3.1) */
#define OSPF_DBD 2

struct ospf_info {
    uint8_t version; /* 2 or 3 */
    uint8_t type;
    uint16_t length;
    uint32_t router_id, area;
    /* Database Description only */
    uint16_t iface_mtu; /* the sender's interface MTU; 0 = not given (virtual links) */
    uint8_t dbd_flags;  /* I (4), M (2), MS (1) */
    uint32_t dd_seq;
};

struct mpls_info {
    uint32_t label;
    uint8_t tc, bos, ttl;
};

/* ip_info.flags */
#define IPF_DF 0x0001
#define IPF_MF 0x0002
#define IPF_FRAGMENT 0x0004    /* MF set or offset non-zero: payload is a fragment */
#define IPF_OPTIONS 0x0008     /* IPv4 options present */
#define IPF_BAD_CSUM 0x0010    /* IPv4 header checksum wrong */
#define IPF_HBH 0x0020         /* IPv6 hop-by-hop options */
#define IPF_RTG 0x0040         /* IPv6 routing header */
#define IPF_DSTOPT 0x0080      /* IPv6 destination options */
#define IPF_FRAGHDR 0x0100     /* IPv6 fragment header (also atomic fragments) */
#define IPF_JUMBO 0x0200       /* jumbogram, or an offload packet over 64 KiB: ip_len unknown (0) */
#define IPF_LEN_CLAMPED 0x0400 /* the length field claimed more than the wire frame: clamped */

struct ip_info {
    struct addr src, dst; /* libdnet addresses (ADDR_TYPE_IP / ADDR_TYPE_IP6) */
    uint32_t id;          /* IPv4 identification, or IPv6 fragment identification */
    uint32_t payload_off; /* offset of the upper-layer (or fragment) data in the buffer */
    uint32_t flowlabel;   /* IPv6 */
    uint32_t ip_len;      /* IP packet size: v4 total length, v6 payload length + 40 */
    uint16_t hdr_len;     /* v4: IHL*4; v6: 40 + extension headers (incl. fragment header) */
    uint16_t payload_len; /* ip_len - hdr_len: upper-layer (or fragment) bytes */
    uint16_t frag_off;    /* fragment offset in bytes */
    uint32_t reasm_len;   /* set by defrag on the completing fragment: datagram size, 0 otherwise */
    uint16_t flags;       /* IPF_* */
    uint8_t version;      /* 4 or 6 */
    uint8_t proto;        /* upper-layer protocol after any extension headers */
    uint8_t ttl;          /* v4 TTL, v6 hop limit */
    uint8_t tos;          /* v4 TOS, v6 traffic class */
    uint16_t reasm_wire;  /* with reasm_len: the datagram's largest fragment, as on the wire */
};

struct ah_info {
    uint32_t spi, seq;
    uint16_t len; /* header length in bytes, (payload len + 2) * 4: up to 1028 */
    uint8_t next;
};

/* TCP flags as on the wire */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

/* tcp_info.opts: which options were present */
#define TCPO_MSS 0x01
#define TCPO_WSCALE 0x02
#define TCPO_SACKPERM 0x04
#define TCPO_SACK 0x08
#define TCPO_TS 0x10

struct tcp_info {
    uint32_t seq, ack;
    uint32_t ts_val, ts_ecr;
    struct {
        uint32_t left, right;
    } sack[PKT_MAX_SACK];
    uint16_t sport, dport;
    uint16_t window;      /* raw, unscaled */
    uint16_t payload_len; /* from the IP length, not the captured bytes */
    uint16_t mss;         /* when TCPO_MSS */
    uint8_t hdr_len;      /* data offset * 4 */
    uint8_t flags;        /* TCPF_* */
    uint8_t opts;         /* TCPO_* */
    uint8_t wscale;       /* when TCPO_WSCALE */
    uint8_t nsack;        /* SACK blocks stored */
};

struct udp_info {
    uint16_t sport, dport;
    uint16_t len;         /* UDP length field */
    uint16_t payload_len; /* len - 8 */
};

struct icmp_info {
    uint8_t type, code;
    uint16_t id, seq;     /* echo request/reply */
    uint32_t mtu;         /* frag-needed next-hop MTU (v4) or packet-too-big MTU (v6) */
    uint16_t payload_len; /* bytes after the 8-byte ICMP header (by the IP length) */
    uint8_t quote_layer;  /* index of the quoted packet's first layer, 0 when none */
};

/* gre_info.flags */
#define GREF_CSUM 0x01
#define GREF_KEY 0x02
#define GREF_SEQ 0x04
#define GREF_ACK 0x08 /* PPTP (version 1) acknowledgment number present */

struct gre_info {
    uint32_t key, seq;
    uint32_t ack;   /* PPTP: acknowledgment number, when GREF_ACK */
    uint16_t proto; /* ethertype of the payload; 0x6558 transparent Ethernet bridging */
    uint8_t version;
    uint8_t flags;   /* GREF_* */
    uint8_t hdr_len; /* 4 + 4 per optional field (an ERSPAN header is not counted) */
    uint8_t erspan;  /* ERSPAN type 1, 2 or 3 carried (protocol 0x88be / 0x22eb), else 0 */
};

struct vxlan_info {
    uint32_t vni;
    uint8_t flags;
};

struct geneve_info {
    uint32_t vni;
    uint16_t proto;  /* ethertype of the payload */
    uint8_t opt_len; /* bytes of options */
    uint8_t flags;   /* O and C bits */
};

struct gtpu_info {
    uint32_t teid;
    uint16_t length;
    uint8_t msg_type; /* 255 = G-PDU */
    uint16_t hdr_len; /* 8 + optional fields + extension headers */
    uint16_t seq;     /* when the S flag is set */
    uint8_t flags;    /* first byte: version, PT, E, S, PN */
    uint8_t n_ext;    /* extension headers walked */
};

struct l2tp_info {
    uint16_t tunnel, session;
    uint16_t flags;   /* first 16 bits of the header */
    uint16_t length;  /* when L is set: the whole message, header included */
    uint16_t ns, nr;  /* when S is set */
    uint16_t hdr_len; /* header up to the PPP frame, offset padding included */
    uint8_t version;  /* 2; 3 is recognised (L2TPv3 over UDP) but not decoded */
};

/* teredo_info.indicators */
#define TEREDO_AUTH 0x01   /* authentication indicator present */
#define TEREDO_ORIGIN 0x02 /* origin indicator present */

struct teredo_info {
    struct addr origin;   /* origin indicator: the client's mapped address (de-obfuscated) */
    uint16_t origin_port; /* and port (de-obfuscated) */
    uint16_t hdr_len;     /* authentication and origin indicators skipped */
    uint8_t indicators;   /* TEREDO_* */
};

/* WireGuard message types */
#define WG_INITIATION 1
#define WG_RESPONSE 2
#define WG_COOKIE 3
#define WG_DATA 4

struct wireguard_info {
    uint64_t counter;   /* data: nonce counter */
    uint32_t sender;    /* initiation, response */
    uint32_t receiver;  /* response, cookie, data */
    uint16_t inner_len; /* data: encrypted inner length (padded to 16), payload - 32 */
    uint8_t msg_type;
};

struct esp_info {
    uint32_t spi, seq;
    uint8_t nat_t; /* carried in UDP (port 4500) */
};

struct openvpn_info {
    uint64_t session_id; /* control messages: the sender's session id */
    uint32_t peer_id;    /* P_DATA_V2: 24-bit peer id */
    uint8_t opcode, key_id;
    uint8_t tcp; /* carried over TCP with the 2-byte length prefix */
};

struct layer {
    uint8_t type;    /* enum layer_type */
    uint8_t flags;   /* LF_* */
    uint8_t tunnel;  /* tunnel depth: 0 outermost, +1 inside each tunnel */
    uint32_t offset; /* where this layer's header starts in the buffer: pkt->data for the
                        frame's layers; after reassembly, layers flagged LF_REASSEMBLED
                        point into the reassembly buffer and the earlier ones into a
                        frame that is no longer at hand */
    union {
        struct eth_info eth;
        struct sll_info sll;
        struct loop_info loop;
        struct ppp_info ppp;
        struct vlan_info vlan;
        struct pppoe_info pppoe;
        struct mpls_info mpls;
        struct ip_info ip;
        struct ah_info ah;
        struct tcp_info tcp;
        struct udp_info udp;
        struct icmp_info icmp;
        struct gre_info gre;
        struct vxlan_info vxlan;
        struct geneve_info geneve;
        struct gtpu_info gtpu;
        struct l2tp_info l2tp;
        struct teredo_info teredo;
        struct wireguard_info wg;
        struct esp_info esp;
        struct openvpn_info ovpn;
        struct lcp_info lcp;
        struct ospf_info ospf;
    } u;
};

struct packet {
    uint64_t frame;   /* 1-based, per input file, as Wireshark numbers them */
    int64_t ts_sec;   /* capture time */
    uint32_t ts_nsec; /* nanoseconds (microsecond captures are scaled) */
    uint32_t caplen;  /* bytes captured */
    uint32_t wirelen; /* bytes on the wire */
    int linktype;     /* DLT_* of the frame */
    uint16_t input;   /* index of the input file */
    uint8_t nlayers;
    uint8_t ntunnels;    /* tunnels entered (outside ICMP quotes) */
    uint64_t anomalies;  /* bit (1 << enum anomaly) for each anomaly met */
    const uint8_t *data; /* the buffer offsets point into (frame or reassembly buffer) */
    struct layer layers[PKT_MAX_LAYERS];
};

const char *layer_name(enum layer_type t);

/* Index of the first / last layer of a type at or after `from`, or -1. */
int pkt_find(const struct packet *p, enum layer_type t, int from);
/* The libdnet address of IP version `version` (4: the first 4 bytes) from
 * the 16 raw bytes a record keeps (defrag, correlate). */
void addr_from_bytes(struct addr *a, int version, const uint8_t bytes[16]);
int pkt_find_last(const struct packet *p, enum layer_type t);

/* Writes the layer stack as "eth/ipv4/udp/vxlan/eth/ipv6/tcp": a layer cut short
 * is followed by '!', the first layer of an ICMP-quoted packet is preceded by '['.
 * Returns the length written (always NUL-terminated when size > 0). */
size_t pkt_describe(const struct packet *p, char *buf, size_t size);

/* An address as text ("?" when it is not an IP address); buf of 64 bytes suffices. */
const char *addr_text(const struct addr *a, char *buf, size_t size);
/* "tcp", "udp", "icmp", "icmpv6", "gre", "esp", or "ip" for the rest. */
const char *ip_proto_name(uint8_t proto);
/* Routers a packet captured with this TTL / hop limit has crossed, if its
 * sender started from the usual initial value at or above it: 64 (Linux,
 * the BSDs, macOS; RFC 1700's default), 128 (Windows) or 255 (routers,
 * some stacks).  Every router lowers it by one (RFC 791, RFC 8200 3); 0 is
 * a packet as its sender (or a host on its link) put it on the wire.  A
 * sender with an unusual initial value (32, 60) is misjudged as hops away:
 * the price of a single vantage point. */
static inline unsigned ttl_routers_crossed(uint8_t ttl)
{
    unsigned initial = ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
    return initial - ttl;
}

/* Whether such a packet crossed a router on its way to the capture. */
static inline bool ttl_crossed_router(uint8_t ttl)
{
    return ttl_routers_crossed(ttl) > 0;
}

/* A loopback address: 127.0.0.0/8 (RFC 1122 3.2.1.3) or ::1 (RFC 4291
 * 2.5.3).  A packet between two never leaves its host. */
static inline bool addr_is_loopback(const struct addr *a)
{
    static const uint8_t one6[16] = {[15] = 1};
    if (a->addr_type == ADDR_TYPE_IP)
        return ((const uint8_t *)&a->addr_ip)[0] == 127;
    return a->addr_type == ADDR_TYPE_IP6 && !memcmp(&a->addr_ip6, one6, 16);
}

/* An address as 16 key bytes (IPv4 in the first 4, the rest zero). */
static inline void addr_bytes(const struct addr *a, uint8_t out[16])
{
    memset(out, 0, 16);
    if (a->addr_type == ADDR_TYPE_IP)
        memcpy(out, &a->addr_ip, 4);
    else if (a->addr_type == ADDR_TYPE_IP6)
        memcpy(out, &a->addr_ip6, 16);
}

/* The same, naming IP in IP by the two versions ("ipv4-in-ipv6" for
 * protocol 4 in an IPv6 packet, "ipv6-in-ipv4" for 41 in IPv4): an ICMP
 * quote of such a packet is about a tunnel's outer packets.  words: the
 * form for sentences ("IPv4-in-IPv6", "GRE", "TCP"). */
const char *ip_proto_name_in(uint8_t proto, int ip_version, bool words);

static inline bool pkt_has_anomaly(const struct packet *p, enum anomaly a)
{
    return (p->anomalies >> a) & 1u;
}

#endif
