/*
 * scen_format.c - stories about the capture file itself: two interfaces of
 * different link types in one pcapng, nanosecond timestamps, and a file cut
 * off in the middle of a record.
 */
#include "gen.h"

#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

/* ---- 8. pcapng: eth0 (EN10MB) and gre1 (RAW) see the same flow ---- */

/* pcapng stores LINKTYPE_ values, not the platform's DLT_ ones: DLT_RAW is
 * 12 on Linux but 14 on OpenBSD, hence LINKTYPE_RAW 101 in files. */
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101

struct two_if {
    ip_addr_t outer[2];
    uint16_t ipid[2];
};

/* Outgoing packets pass the tunnel device first and leave eth0 a few
 * microseconds later; incoming ones go the other way. */
static void emit_two(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    struct two_if *u = f->ctx;
    const uint64_t stack = 4 * NS_PER_US;

    trace_add_pkt(f->tr, side == 0 ? t : t + stack, 1, p);
    pkt_gre(p, ETH_TYPE_IP, false, false, 0, false, 0);
    pkt_ipv4(p, IP_PROTO_GRE, u->outer[side], u->outer[!side], u->ipid[side]++, true,
             side == 0 ? 64 : 53);
    pkt_eth(p, side == 0 ? MAC_HOST : MAC_GW, side == 0 ? MAC_GW : MAC_HOST, ETH_TYPE_IP);
    trace_add_pkt(f->tr, side == 0 ? t + stack : t, 0, p);
}

int gen_two_interfaces(const char *dir, struct trace *tr)
{
    static const struct ng_if ifs[] = {
        {LINKTYPE_ETHERNET, "eth0", 6}, /* microseconds, the pcapng default */
        {LINKTYPE_RAW, "gre1", 9},      /* nanoseconds */
    };
    struct tcpflow f;
    struct two_if u;
    struct prng r;
    char path[4096];

    prng_seed(&r, 2784);
    /* A plain GRE tunnel (4 bytes + 20): gre1 has MTU 1476, the client
     * announces MSS 1436, and inner 1476 becomes outer 1500. */
    u.outer[0] = ip4("198.51.100.2");
    u.outer[1] = ip4("203.0.113.2");
    u.ipid[0] = (uint16_t)prng_next(&r);
    u.ipid[1] = (uint16_t)prng_next(&r);
    flow_init(&f, tr, emit_two, &u, "192.0.2.10", 50600, "203.0.113.80", 80, &r);
    f.rtt = 33 * NS_PER_MS;
    flow_http(&f, 0, gen_time(8), 1436, 1460, "www.example.com", "/gre/10k.bin", 10000);

    trace_sort(tr);
    gen_path(path, sizeof path, dir, "gen-two-interfaces.pcapng");
    if (write_pcapng(path, tr, ifs, sizeof ifs / sizeof ifs[0]) != 0) {
        fprintf(stderr, "mtuscope-gen: cannot write %s\n", path);
        return -1;
    }
    printf("%-34s %4zu frames\n", "gen-two-interfaces.pcapng", tr->nf);
    return 0;
}

/* ---- 9. nanosecond pcap: a 25 Gbit/s burst ---- */

int gen_nanosecond(const char *dir, struct trace *tr)
{
    struct tcpflow f;
    struct prng r;

    prng_seed(&r, 1000000000);
    /* Captured on a 25 Gbit/s server: a 1514-byte frame plus preamble and
     * gap is 1538 bytes, 492 ns on the wire, so a burst's frames are less
     * than a microsecond apart and a microsecond pcap would merge them. */
    flow_init(&f, tr, emit_eth, NULL, "203.0.113.80", 80, "198.51.100.77", 52000, &r);
    f.rtt = 10 * NS_PER_MS;
    f.gap = 492;
    f.local = 9 * NS_PER_US;
    flow_http(&f, 1, gen_time(9), 1460, 1460, "203.0.113.80", "/burst/24k.bin", 24000);
    return gen_write_pcap(dir, "gen-nanosecond.pcap", tr, DLT_EN10MB, true);
}

/* ---- 10. a pcap cut in the middle of its last record ---- */

int gen_truncated(const char *dir, struct trace *tr)
{
    static const char req[] = "GET /images/installer.iso HTTP/1.1\r\nHost: www.example.com\r\n"
                              "User-Agent: curl/8.1.2\r\nAccept: */*\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nServer: synthetic\r\n"
                               "Content-Type: application/octet-stream\r\n"
                               "Content-Length: 734003200\r\n\r\n";
    struct tcpflow f;
    struct prng r;
    char path[4096];

    prng_seed(&r, 65535);
    /* A large download on a healthy path, captured on the client; the
     * capture dies (disk full) while writing a full-size data frame. */
    flow_init(&f, tr, emit_eth, NULL, "192.0.2.10", 50700, "203.0.113.80", 80, &r);
    f.rtt = 20 * NS_PER_MS;
    f.head[0] = req;
    f.head[1] = resp;
    uint64_t t = flow_handshake(&f, 0, gen_time(10), 1460, 1460);
    t += 150 * NS_PER_US;
    flow_data(&f, 0, t, strlen(req));
    flow_delivered(&f, 0);
    t += f.rtt;
    t = flow_bulk(&f, 1, t, 12000, 1460, 10);
    flow_seg(&f, 1, t + f.rtt, f.nxt[1], 1460, TH_ACK); /* the frame that is cut */
    f.nxt[1] += 1460;

    if (gen_write_pcap(dir, "gen-truncated.pcap", tr, DLT_EN10MB, false) != 0)
        return -1;
    return truncate_last_record(gen_path(path, sizeof path, dir, "gen-truncated.pcap"), tr);
}
