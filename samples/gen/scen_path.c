/*
 * scen_path.c - path MTU stories on plain Ethernet and PPPoE: the
 * pre-RFC-1191 router, the ping sweep, the baby-jumbo PPPoE black hole and
 * Windows' black-hole fallback.
 */
#include "gen.h"

#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#define ETH_TYPE_PPPOE_SESS 0x8864
#define PPP_IPV4 0x0021

/* ---- 1. ICMP frag-needed with next-hop MTU 0 ---- */

/* Emits on Ethernet and remembers the IP packet, so that a router's ICMP
 * error can quote exactly the bytes the sender put on the wire. */
struct keep_ctx {
    uint8_t ip[PKT_SIZE];
    size_t len;
};

static void emit_eth_keep(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    struct keep_ctx *k = f->ctx;
    memcpy(k->ip, pkt_data(p), pkt_len(p));
    k->len = pkt_len(p);
    emit_eth(f, side, t, p);
}

#define RFC792_QUOTE (IP_HDR_LEN + 8) /* what an old router quotes */

int gen_fragneeded_mtu0(const char *dir, struct trace *tr)
{
    static const char req[] = "GET /pmtud/64k.bin HTTP/1.1\r\nHost: www.example.com\r\n"
                              "User-Agent: curl/8.1.2\r\nAccept: */*\r\n\r\n";
    enum { BODY = 64000, FLIGHT = 4 };
    const ip_addr_t router = ip4("198.51.100.1");
    struct keep_ctx keep;
    struct tcpflow f;
    struct prng r;
    struct pkt p;
    char resp[192];
    uint8_t quote[FLIGHT][RFC792_QUOTE];
    uint64_t tx[FLIGHT];

    prng_seed(&r, 1191);
    /* Captured on the server; the client sits behind a PPPoE line (1492)
     * whose router predates RFC 1191 and its next-hop MTU field. */
    flow_init(&f, tr, emit_eth_keep, &keep, "203.0.113.80", 80, "198.51.100.23", 50412, &r);
    f.rtt = 42 * NS_PER_MS;
    snprintf(resp, sizeof resp,
             "HTTP/1.1 200 OK\r\nServer: synthetic\r\nContent-Type: application/octet-stream\r\n"
             "Content-Length: %d\r\n\r\n",
             BODY);
    f.head[0] = resp;
    f.head[1] = req;

    uint64_t t = flow_handshake(&f, 1, gen_time(1), 1460, 1460);
    t += 180 * NS_PER_US;
    flow_data(&f, 1, t, strlen(req));
    flow_delivered(&f, 1);
    t += f.local;

    /* The first flight: full 1500-byte packets with DF, all dropped at the
     * 1492 link, each answered by the router with MTU 0. */
    uint32_t una = f.nxt[0];
    for (int i = 0; i < FLIGHT; i++) {
        tx[i] = t + (uint64_t)i * f.gap;
        flow_seg(&f, 0, tx[i], f.nxt[0], 1460, TH_ACK);
        f.nxt[0] += 1460;
        memcpy(quote[i], keep.ip, RFC792_QUOTE);
        /* The router quotes the header as it holds it: TTL spent by the 9
         * hops so far, header checksum updated to match. */
        quote[i][8] = 64 - 9;
        quote[i][10] = quote[i][11] = 0;
        int sum = ip_cksum_add(quote[i], IP_HDR_LEN, 0);
        uint16_t c = (uint16_t)ip_cksum_carry(sum);
        memcpy(quote[i] + 10, &c, 2);
    }
    uint16_t icmp_id = (uint16_t)prng_next(&r);
    const uint64_t router_rtt = 36 * NS_PER_MS;
    for (int i = 0; i < FLIGHT; i++) {
        pkt_init(&p);
        pkt_append(&p, quote[i], RFC792_QUOTE);
        pkt_icmp_needfrag(&p, 0);
        pkt_ipv4(&p, IP_PROTO_ICMP, router, f.ip[0], icmp_id++, false, 250);
        pkt_eth(&p, MAC_GW, MAC_HOST, ETH_TYPE_IP);
        trace_add_pkt(tr, tx[i] + router_rtt, 0, &p);
    }

    /* RFC 1191 section 7: with MTU 0 the sender takes the plateau below the
     * quoted total length (1500), 1492, so MSS 1452; it resends everything
     * unacknowledged and never tries 1500 again. */
    t = tx[0] + router_rtt + f.local;
    f.resend = true;
    f.resend_to = f.nxt[0];
    f.nxt[0] = una;
    t = flow_bulk(&f, 0, t, strlen(resp) + BODY, 1452, FLIGHT);
    flow_close(&f, 0, t + f.local);
    return gen_write_pcap(dir, "gen-fragneeded-mtu0.pcap", tr, DLT_EN10MB, false);
}

/* ---- 2. DF ping sweep through a 1452-byte path ---- */

int gen_ping_sweep(const char *dir, struct trace *tr)
{
    /* A linear climb to the first silence, then bisection between the
     * largest answered and the smallest unanswered size. */
    static const uint16_t sizes[] = {1200, 1250, 1300, 1350, 1400, 1450, 1500,
                                     1475, 1462, 1456, 1453, 1451, 1452};
    /* PPPoE (1492) carrying DS-Lite: 40 bytes of IPv6 leave 1452 for IPv4. */
    enum { PATH_MTU = 1452 };
    const ip_addr_t me = ip4("192.0.2.10"), target = ip4("203.0.113.7");
    struct prng r;
    struct pkt p;

    prng_seed(&r, PATH_MTU);
    uint16_t id = (uint16_t)prng_next(&r), ipid = (uint16_t)prng_next(&r);
    uint16_t ipid_far = (uint16_t)prng_next(&r);
    uint64_t t = gen_time(2);

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t dlen = sizes[i] - IP_HDR_LEN - 8;
        uint8_t data[1500];
        /* iputils ping: a struct timeval (16 bytes on LP64), then byte i = i. */
        put_le64(data, t / NS_PER_SEC);
        put_le64(data + 8, t % NS_PER_SEC / NS_PER_US);
        for (size_t j = 16; j < dlen; j++)
            data[j] = (uint8_t)j;

        pkt_init(&p);
        pkt_append(&p, data, dlen);
        pkt_icmp_echo(&p, ICMP_ECHO, id, (uint16_t)(i + 1));
        pkt_ipv4(&p, IP_PROTO_ICMP, me, target, ipid++, true, 64);
        pkt_eth(&p, MAC_HOST, MAC_GW, ETH_TYPE_IP);
        trace_add_pkt(tr, t, 0, &p);

        if (sizes[i] <= PATH_MTU) {
            uint64_t rtt = 24 * NS_PER_MS + prng_range(&r, 0, 3000) * NS_PER_US;
            pkt_init(&p);
            pkt_append(&p, data, dlen);
            pkt_icmp_echo(&p, ICMP_ECHOREPLY, id, (uint16_t)(i + 1));
            pkt_ipv4(&p, IP_PROTO_ICMP, target, me, ipid_far++, true, 54);
            pkt_eth(&p, MAC_GW, MAC_HOST, ETH_TYPE_IP);
            trace_add_pkt(tr, t + rtt, 0, &p);
        }
        /* One probe a second; a silent one has timed out by then. */
        t += NS_PER_SEC + prng_range(&r, 0, 900) * NS_PER_US;
    }
    return gen_write_pcap(dir, "gen-ping-sweep.pcap", tr, DLT_EN10MB, false);
}

/* ---- 2b. Windows `ping -f -l SIZE` sweep answered by a router's frag-needed ---- */

int gen_windows_ping_sweep(const char *dir, struct trace *tr)
{
    /* `for /L %s in (1332,10,1472) do ping -n 1 -f -l %s 203.0.113.9`: the
     * ICMP data grows by 10 bytes a probe, IP size = SIZE + 28 (1360..1500).
     * A tunnel past the second hop carries 1400; its router (198.51.100.62)
     * answers every larger DF probe with type 3 code 4, next-hop MTU 1400. */
    enum { FIRST = 1332, LAST = 1472, STEP = 10, PATH_MTU = 1400 };
    static const char pat[] = "abcdefghijklmnopqrstuvw"; /* Windows' echo data */
    const ip_addr_t me = ip4("192.0.2.50"), target = ip4("203.0.113.9");
    const ip_addr_t router = ip4("198.51.100.62");
    struct prng r;
    struct pkt p;

    prng_seed(&r, 128);
    /* Windows: identifier 1, one sequence counter and one IP ID counter for
     * the whole system, so both only rise (by one here: nothing else runs). */
    uint16_t seq = (uint16_t)prng_next(&r), ipid = (uint16_t)prng_next(&r);
    uint16_t ipid_far = (uint16_t)prng_next(&r), ipid_router = (uint16_t)prng_next(&r);
    uint64_t t = gen_time(16);

    for (unsigned size = FIRST; size <= LAST; size += STEP, seq++, ipid++) {
        uint8_t data[1500];
        for (unsigned j = 0; j < size; j++)
            data[j] = (uint8_t)pat[j % (sizeof pat - 1)];

        pkt_init(&p);
        pkt_append(&p, data, size);
        pkt_icmp_echo(&p, ICMP_ECHO, 1, seq);
        pkt_ipv4(&p, IP_PROTO_ICMP, me, target, ipid, true, 128);
        uint8_t sent[1500];
        memcpy(sent, pkt_data(&p), pkt_len(&p));
        pkt_eth(&p, MAC_HOST, MAC_GW, ETH_TYPE_IP);
        trace_add_pkt(tr, t, 0, &p);

        if (size + IP_HDR_LEN + 8 <= PATH_MTU) {
            uint64_t rtt = 31 * NS_PER_MS + prng_range(&r, 0, 2500) * NS_PER_US;
            pkt_init(&p);
            pkt_append(&p, data, size);
            pkt_icmp_echo(&p, ICMP_ECHOREPLY, 1, seq);
            pkt_ipv4(&p, IP_PROTO_ICMP, target, me, ipid_far++, true, 52);
            pkt_eth(&p, MAC_GW, MAC_HOST, ETH_TYPE_IP);
            trace_add_pkt(tr, t + rtt, 0, &p);
        } else {
            /* RFC 1812 4.3.2.3: the router quotes as much as fits in 576
             * bytes, the header as it received it (TTL 127: the CPE is the
             * first hop), checksum updated to match. */
            enum { QUOTE = 576 - IP_HDR_LEN - 8 };
            sent[8] = 127;
            sent[10] = sent[11] = 0;
            int sum = ip_cksum_add(sent, IP_HDR_LEN, 0);
            uint16_t c = (uint16_t)ip_cksum_carry(sum);
            memcpy(sent + 10, &c, 2);
            uint64_t rtt = 9 * NS_PER_MS + prng_range(&r, 0, 800) * NS_PER_US;
            pkt_init(&p);
            pkt_append(&p, sent, QUOTE);
            pkt_icmp_needfrag(&p, PATH_MTU);
            pkt_ipv4(&p, IP_PROTO_ICMP, router, me, ipid_router++, false, 254);
            pkt_eth(&p, MAC_GW, MAC_HOST, ETH_TYPE_IP);
            trace_add_pkt(tr, t + rtt, 0, &p);
        }
        /* The next `ping -n 1` starts when this one has its answer: about
         * a second later with the loop's own start-up. */
        t += NS_PER_SEC + prng_range(&r, 0, 200) * NS_PER_MS;
    }
    return gen_write_pcap(dir, "gen-windows-ping-sweep.pcap", tr, DLT_EN10MB, false);
}

/* ---- 3. PPPoE with MRU 1500 negotiated over a 1500-byte access network ---- */

static const eth_addr_t MAC_CPE = {{0x02, 0x00, 0x5e, 0x20, 0x00, 0x01}};
static const eth_addr_t MAC_BRAS = {{0x02, 0x00, 0x5e, 0x20, 0x00, 0xbb}};

static void emit_pppoe(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    pkt_pppoe(p, 0x2a1f, PPP_IPV4);
    pkt_eth(p, side == 0 ? MAC_CPE : MAC_BRAS, side == 0 ? MAC_BRAS : MAC_CPE, ETH_TYPE_PPPOE_SESS);
    trace_add_pkt(f->tr, t, 0, p);
}

int gen_pppoe_blackhole(const char *dir, struct trace *tr)
{
    static const char req[] = "POST /upload HTTP/1.1\r\nHost: upload.example.com\r\n"
                              "Content-Type: application/octet-stream\r\n"
                              "Content-Length: 3200\r\n\r\n";
    struct tcpflow f;
    struct prng r;

    prng_seed(&r, 4638);
    /* Captured on the CPE's WAN Ethernet.  The CPE negotiated MRU 1500
     * (RFC 4638 "baby jumbo"), so it sends 1508-byte PPPoE payloads, but a
     * switch in the access network forwards only 1500: path MTU 1492, and a
     * switch sends no ICMP. */
    flow_init(&f, tr, emit_pppoe, NULL, "198.51.100.23", 50514, "203.0.113.80", 80, &r);
    f.rtt = 28 * NS_PER_MS;
    f.gap = 120 * NS_PER_US; /* a 100 Mbit/s uplink */
    f.head[0] = req;

    uint64_t t = flow_handshake(&f, 0, gen_time(3), 1460, 1460);
    /* The headers go alone and arrive (Nagle holds the body until the ACK). */
    t += 300 * NS_PER_US;
    flow_data(&f, 0, t, strlen(req));
    flow_delivered(&f, 0);
    t += f.rtt;
    flow_ack(&f, 1, t);

    /* The body: two 1500-byte packets vanish, the 320-byte tail arrives out
     * of order and the server can only repeat its ACK. */
    t += f.local;
    uint32_t lost = f.nxt[0];
    flow_seg(&f, 0, t, f.nxt[0], 1460, TH_ACK);
    flow_seg(&f, 0, t + f.gap, f.nxt[0] + 1460, 1460, TH_ACK);
    flow_seg(&f, 0, t + 2 * f.gap, f.nxt[0] + 2920, 280, TH_ACK | TH_PUSH);
    f.nxt[0] += 3200;
    flow_ack(&f, 1, t + 2 * f.gap + f.rtt);

    /* RFC 6298: RTO at its 1 s floor, doubled on each expiry. */
    uint64_t rto = NS_PER_SEC;
    for (int i = 0; i < 4; i++, rto *= 2) {
        t += rto;
        flow_seg(&f, 0, t, lost, 1460, TH_ACK);
    }
    return gen_write_pcap(dir, "gen-pppoe-blackhole.pcap", tr, DLT_EN10MB, false);
}

/* ---- 5. Windows PMTU black-hole detection ---- */

int gen_windows_fallback(const char *dir, struct trace *tr)
{
    static const char req[] = "POST /api/upload HTTP/1.1\r\nHost: files.example.net\r\n"
                              "Content-Type: application/octet-stream\r\n"
                              "Content-Length: 12000\r\n\r\n";
    static const char resp[] = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    enum { BODY = 12000 };
    struct tcpflow f;
    struct prng r;

    prng_seed(&r, 2923);
    /* Captured on the Windows client.  An IPsec tunnel on the way has MTU
     * 1400 and its firewall drops the ICMP errors: a black hole. */
    flow_init(&f, tr, emit_eth, NULL, "192.0.2.20", 49812, "203.0.113.50", 80, &r);
    f.ttl[0] = 128;
    f.ttl[1] = 52;
    f.rtt = 35 * NS_PER_MS;
    f.head[0] = req;
    f.head[1] = resp;

    uint64_t t = flow_handshake(&f, 0, gen_time(5), 1460, 1460);
    t += 2 * NS_PER_MS;
    uint32_t una = f.nxt[0];
    flow_seg(&f, 0, t, una, 1460, TH_ACK);
    flow_seg(&f, 0, t + f.gap, una + 1460, 1460, TH_ACK);
    f.nxt[0] += 2920;

    /* Windows' RTO floor is 300 ms, doubled per expiry.  After the second
     * fruitless retransmission EnablePMTUBHDetect drops the MSS to 536 and
     * clears DF (RFC 2923 section 2.1 describes the heuristic). */
    uint64_t rto = 300 * NS_PER_MS;
    for (int i = 0; i < 2; i++, rto *= 2) {
        t += rto;
        flow_seg(&f, 0, t, una, 1460, TH_ACK);
    }
    t += rto;
    f.resend = true;
    f.resend_to = f.nxt[0];
    f.nxt[0] = una;
    f.df[0] = false;
    t = flow_bulk(&f, 0, t, strlen(req) + BODY, 536, 1);

    t += f.local + 3 * NS_PER_MS; /* the server's application answers */
    flow_data(&f, 1, t, strlen(resp));
    flow_delivered(&f, 1);
    t += f.local;
    flow_close(&f, 0, t);
    return gen_write_pcap(dir, "gen-windows-fallback.pcap", tr, DLT_EN10MB, false);
}
