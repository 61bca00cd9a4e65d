/*
 * gen.h - mtuscope-gen: deterministic synthetic captures for the MTU stories
 * a real lab cannot produce on demand (pre-RFC-1191 routers, baby-jumbo
 * PPPoE, Windows black-hole fallback, stalled tunnels...).
 *
 * A scenario builds IP packets with libdnet, wraps them in their link and
 * tunnel headers, and appends each frame with the time it is seen at the
 * capture point to a trace.  The trace is sorted by time and written as pcap
 * (libpcap) or pcapng (our writer).  Nothing depends on the clock, the
 * environment or rand(): the same bytes come out on every run.
 */
#ifndef MTUSCOPE_GEN_H
#define MTUSCOPE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dumbnet.h>

/* 2026-11-01 12:00:00 UTC: every trace starts here (plus a per-trace offset). */
#define GEN_T0_SEC 1793534400ULL
#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* ---- deterministic PRNG (splitmix64: tiny, good enough for filler) ---- */
struct prng {
    uint64_t s;
};
void prng_seed(struct prng *r, uint64_t seed);
uint64_t prng_next(struct prng *r);
uint32_t prng_range(struct prng *r, uint32_t lo, uint32_t hi); /* [lo, hi] */
void prng_fill(struct prng *r, uint8_t *dst, size_t n);

/* ---- packet builder: headers are prepended in front of the payload ---- */
#define PKT_HEAD 512 /* multiple of 8: keeps libdnet's IP/TCP structs aligned */
#define PKT_SIZE 4096

struct pkt {
    _Alignas(8) uint8_t buf[PKT_SIZE];
    size_t start, end; /* the packet is buf[start, end) */
};

void pkt_init(struct pkt *p);
static inline size_t pkt_len(const struct pkt *p)
{
    return p->end - p->start;
}
static inline uint8_t *pkt_data(struct pkt *p)
{
    return p->buf + p->start;
}
uint8_t *pkt_prepend(struct pkt *p, size_t n); /* zeroed room in front */
void pkt_append(struct pkt *p, const void *data, size_t n);
/* Stream bytes for TCP payload: `head` (an HTTP header, or NULL), then filler
 * text.  The byte at a stream offset is always the same, so a retransmission
 * carries exactly what the original did. */
void pkt_stream(struct pkt *p, const char *head, uint32_t off, size_t n);
void pkt_random(struct pkt *p, struct prng *r, size_t n);

void put_be16(uint8_t *p, uint16_t v);
void put_be32(uint8_t *p, uint32_t v);
void put_le32(uint8_t *p, uint32_t v);
void put_le64(uint8_t *p, uint64_t v);

ip_addr_t ip4(const char *s);
ip6_addr_t ip6(const char *s);
eth_addr_t mac(const char *s);

/* Transport headers (checksums are filled when the IP header is added). */
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
             uint8_t flags, uint16_t win, uint16_t mss, uint8_t wscale);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_icmp_echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq);
void pkt_icmp_needfrag(struct pkt *p, uint16_t mtu);
/* Network headers; they compute the IP and transport checksums. */
void pkt_ipv4(struct pkt *p, uint8_t proto, ip_addr_t src, ip_addr_t dst, uint16_t id, bool df,
              uint8_t ttl);
void pkt_ipv6(struct pkt *p, uint8_t nxt, ip6_addr_t src, ip6_addr_t dst, uint8_t hlim);
/* Link and tunnel headers. */
void pkt_eth(struct pkt *p, eth_addr_t src, eth_addr_t dst, uint16_t type);
void pkt_vlan(struct pkt *p, uint16_t vid, uint8_t pcp, uint16_t inner_type);
void pkt_mpls(struct pkt *p, uint32_t label, uint8_t tc, bool bos, uint8_t ttl);
void pkt_pppoe(struct pkt *p, uint16_t session, uint16_t ppp_proto);
void pkt_gre(struct pkt *p, uint16_t proto, bool csum, bool has_key, uint32_t key, bool has_seq,
             uint32_t seq);
void pkt_vxlan(struct pkt *p, uint32_t vni);
void pkt_geneve(struct pkt *p, uint32_t vni, uint16_t proto, const uint8_t *opts, size_t optlen);
void pkt_esp(struct pkt *p, struct prng *r, uint32_t spi, uint32_t seq);

/* ---- a trace: the frames of one capture file, in any order until sorted ---- */
#define TRACE_MAX_FRAMES 4096
#define TRACE_ARENA (1u << 20) /* every trace stays < 200 KB; this is plenty */

struct frame {
    uint64_t t_ns; /* absolute time, ns since the epoch */
    uint32_t seq;  /* insertion order: keeps the sort stable */
    uint32_t ifidx;
    uint32_t caplen, wirelen;
    size_t off; /* into the arena */
};

struct trace {
    struct frame f[TRACE_MAX_FRAMES];
    size_t nf;
    uint8_t arena[TRACE_ARENA];
    size_t used;
};

void trace_reset(struct trace *t);
void trace_add(struct trace *t, uint64_t t_ns, uint32_t ifidx, const uint8_t *data, size_t len);
void trace_add_pkt(struct trace *t, uint64_t t_ns, uint32_t ifidx, struct pkt *p);
void trace_sort(struct trace *t);

/* ---- writers (pcapw.c) ---- */
struct ng_if {
    uint16_t linktype;
    const char *name;
    uint8_t tsresol; /* if_tsresol: 6 = microseconds, 9 = nanoseconds */
};
int write_pcap(const char *path, const struct trace *t, int linktype, bool nano);
int write_pcapng(const char *path, const struct trace *t, const struct ng_if *ifs, size_t nifs);
int truncate_last_record(const char *path, const struct trace *t);

/* ---- TCP conversations (flow.c) ----
 *
 * Side 0 is the host at the capture point, side 1 the remote one.  Times
 * handed to the functions are capture-point times; the scenario decides when
 * the remote side's packets arrive.  `emit` wraps the finished IPv4 packet in
 * whatever carries it and adds it to the trace. */
struct tcpflow;
typedef void (*emit_fn)(struct tcpflow *f, int side, uint64_t t_ns, struct pkt *p);

struct tcpflow {
    struct trace *tr;
    emit_fn emit;
    void *ctx;            /* for emit */
    const char *head[2];  /* what each side's stream starts with (NULL: filler only) */
    char headbuf[2][256]; /* storage for head[] when flow_http writes them */
    ip_addr_t ip[2];
    uint16_t port[2];
    uint32_t nxt[2]; /* next sequence number each side sends */
    uint32_t rcv[2]; /* what each side acknowledges */
    uint32_t isn[2];
    uint16_t ipid[2];
    uint8_t ttl[2];
    bool df[2];
    uint16_t win[2];
    bool resend;        /* flow_bulk resends up to resend_to: cut a segment there */
    uint32_t resend_to; /* the highest sequence number sent before */
    uint64_t rtt;       /* between the capture point and the remote side */
    uint64_t local;     /* a host's turn-around time */
    uint64_t gap;       /* serialisation of a full-size frame */
};

void flow_init(struct tcpflow *f, struct trace *tr, emit_fn emit, void *ctx, const char *ip0,
               uint16_t port0, const char *ip1, uint16_t port1, struct prng *r);
/* Sends one segment of `len` stream bytes starting at `seq`; returns the IP length. */
size_t flow_seg(struct tcpflow *f, int side, uint64_t t, uint32_t seq, size_t len, uint8_t flags);
/* Sends the next `len` bytes of `side`'s stream and advances it. */
size_t flow_data(struct tcpflow *f, int side, uint64_t t, size_t len);
void flow_ack(struct tcpflow *f, int side, uint64_t t);
/* The handshake with MSS options; `client` is the side sending the SYN.
 * Returns the capture time of the final ACK. */
uint64_t flow_handshake(struct tcpflow *f, int client, uint64_t t, uint16_t mss_client,
                        uint16_t mss_server);
/* Marks everything `side` sent so far as received by the other side. */
void flow_delivered(struct tcpflow *f, int side);
/* A loss-free transfer in slow start, one ACK per two segments, with the ACK
 * clock placed by which side is local.  Returns the time of the last ACK. */
uint64_t flow_bulk(struct tcpflow *f, int sender, uint64_t t, size_t bytes, size_t mss,
                   unsigned iw);
/* FIN from `first`, FIN from the other, last ACK.  Returns the end time. */
uint64_t flow_close(struct tcpflow *f, int first, uint64_t t);
/* A whole healthy HTTP/1.1 GET: handshake, request, a response of `body`
 * bytes in slow start (IW10) at the smaller MSS, close by the client. */
uint64_t flow_http(struct tcpflow *f, int client, uint64_t t, uint16_t mss_client,
                   uint16_t mss_server, const char *host, const char *path, size_t body);
/* Delay until the packet `side` sends at t is answered, seen from the capture point. */
uint64_t flow_reply_delay(const struct tcpflow *f, int side);

void emit_eth(struct tcpflow *f, int side, uint64_t t_ns, struct pkt *p);

/* ---- scenarios ---- */
int gen_fragneeded_mtu0(const char *dir, struct trace *tr);
int gen_ping_sweep(const char *dir, struct trace *tr);
int gen_windows_ping_sweep(const char *dir, struct trace *tr);
int gen_wireguard_ipv6_ptb(const char *dir, struct trace *tr);
int gen_esp_blackhole(const char *dir, struct trace *tr);
int gen_pppoe_blackhole(const char *dir, struct trace *tr);
int gen_windows_fallback(const char *dir, struct trace *tr);
int gen_mpls_qinq(const char *dir, struct trace *tr);
int gen_geneve_options(const char *dir, struct trace *tr);
int gen_esp_gre_keys(const char *dir, struct trace *tr);
int gen_vxlan_toobig(const char *dir, struct trace *tr);
int gen_wireguard_ipv6_outer(const char *dir, struct trace *tr);
int gen_two_interfaces(const char *dir, struct trace *tr);
int gen_nanosecond(const char *dir, struct trace *tr);
int gen_truncated(const char *dir, struct trace *tr);
int gen_phone_vs_pc(const char *dir, struct trace *tr);
int gen_ssh_http_smb(const char *dir, struct trace *tr);
int gen_mtu_series(const char *dir, struct trace *tr);

/* Sorts the trace and writes it as OUTDIR/name (pcap); prints one line. */
int gen_write_pcap(const char *dir, const char *name, struct trace *tr, int linktype, bool nano);
/* "dir/name" into buf; aborts on overflow (a programming error here). */
const char *gen_path(char *buf, size_t size, const char *dir, const char *name);
/* Start of trace n: T0 plus n minutes, so the files never overlap in time. */
uint64_t gen_time(unsigned trace_no);

/* Well-known MAC addresses of the synthetic hosts. */
extern const eth_addr_t MAC_HOST, MAC_GW;

#endif
