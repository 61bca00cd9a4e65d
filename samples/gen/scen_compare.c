/*
 * scen_compare.c - the stories of issue 16's comparison: flows that work
 * beside flows that stall on the same path, and one transfer at several MTU
 * settings.
 *
 * Every trace here is captured on a file server's WireGuard interface
 * (203.0.113.10 inside the tunnel): its MTU is 1420, the path under the
 * tunnel carries 1434 bytes, so the tunnel carries 1434 - 60 = 1374-byte
 * packets and drops anything larger, with no ICMP (the classic WireGuard
 * black hole).  A client's MSS decides the size of the server's packets: the
 * phone's WireGuard MTU 1280 (MSS 1240) gives 1280-byte packets that cross,
 * the PC's default 1420 (MSS 1380) gives 1420-byte ones that vanish.
 */
#include "gen.h"

#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#define SERVER "203.0.113.10"
#define PHONE "198.51.100.2"
#define PC "198.51.100.3"
#define TUNNEL_CARRIES 1374 /* 1434-byte path - 60 bytes of WireGuard over IPv4 */

/* A download the tunnel drops: the request and the response's first small
 * segment cross, the full-size segments after it never arrive, and the
 * server re-sends the first of them with a doubling timeout (RFC 6298, 1 s
 * floor) while nothing is acknowledged.  The server is side 0 (captured
 * here), the client side 1.  Returns the time of the last re-send. */
static uint64_t stalled_response(struct tcpflow *f, uint64_t t, size_t req, size_t seg)
{
    flow_data(f, 1, t, req);
    flow_delivered(f, 1);
    t += f->local;
    flow_data(f, 0, t, 240); /* the headers: small, delivered */
    flow_delivered(f, 0);
    flow_ack(f, 1, t + f->rtt);
    t += f->rtt + f->local;
    uint32_t lost = f->nxt[0];
    for (int i = 0; i < 4; i++) /* the initial window's full-size segments */
        flow_seg(f, 0, t + (uint64_t)i * f->gap, lost + (uint32_t)(i * seg), seg, TH_ACK);
    f->nxt[0] += (uint32_t)(4 * seg);
    uint64_t rto = NS_PER_SEC;
    for (int i = 0; i < 5; i++, rto *= 2) {
        t += rto;
        flow_seg(f, 0, t, lost, seg, TH_ACK);
    }
    return t;
}

/* An SSH session: keystrokes and their echoes, each acknowledged; the
 * packets stay far below any MTU.  Side 1 (the client) types. */
static uint64_t ssh_session(struct tcpflow *f, uint64_t t, int keys)
{
    for (int i = 0; i < keys; i++) {
        flow_data(f, 1, t, 36);
        flow_delivered(f, 1);
        t += f->local;
        flow_data(f, 0, t, i % 8 == 7 ? 612 : 36); /* now and then a screenful */
        flow_delivered(f, 0);
        t += f->rtt;
        flow_ack(f, 1, t);
        t += 180 * NS_PER_MS;
    }
    return t;
}

static void flow_at(struct tcpflow *f, struct trace *tr, const char *client, uint16_t cport,
                    uint16_t sport, struct prng *r)
{
    flow_init(f, tr, emit_eth, NULL, SERVER, sport, client, cport, r);
    f->rtt = 24 * NS_PER_MS;
    f->ttl[1] = 64; /* one hop inside the tunnel: the client's TTL as sent, less none */
}

/* The PC's HTTP download (client port cport) and SMB read (cport + 1), both
 * stalled at MSS 1380: the GET and a 120-byte SMB2 READ cross, the headers
 * come back, the 1420-byte segments never arrive.  ttl: the PC's as it
 * arrives here (one hop inside the tunnel: as sent). */
static void pc_http_smb(struct tcpflow *f, struct trace *tr, struct prng *r, uint16_t cport,
                        uint8_t ttl, const char *get, uint64_t t_http, uint64_t t_smb)
{
    flow_at(f, tr, PC, cport, 80, r);
    f->ttl[1] = ttl;
    f->head[1] = get;
    uint64_t t = flow_handshake(f, 1, t_http, 1380, 1380);
    stalled_response(f, t + 150 * NS_PER_US, strlen(get), 1380);

    flow_at(f, tr, PC, (uint16_t)(cport + 1), 445, r);
    f->ttl[1] = ttl;
    f->head[1] = NULL;
    t = flow_handshake(f, 1, t_smb, 1380, 1380);
    stalled_response(f, t + 150 * NS_PER_US, 120, 1380); /* an SMB2 READ, its data lost */
}

/* ---- phone vs PC, in two captures ----
 * The admin runs two filtered captures on the server at the same time,
 * `tcpdump -i wg0 host 198.51.100.2` and `... host 198.51.100.3`: the
 * phone's download completes, the PC's HTTP and SMB transfers stall. */
int gen_phone_vs_pc(const char *dir, struct trace *tr)
{
    struct tcpflow f;
    struct prng r;
    prng_seed(&r, 1240);
    uint64_t t0 = gen_time(13);

    flow_at(&f, tr, PHONE, 51000, 80, &r);
    f.ttl[1] = 64;
    flow_http(&f, 1, t0, 1240, 1380, "files.example.net", "/report.pdf", 200000);
    if (gen_write_pcap(dir, "gen-phone-vs-pc-phone.pcap", tr, DLT_EN10MB, false) != 0)
        return -1;

    trace_reset(tr);
    static const char get[] =
        "GET /report.pdf HTTP/1.1\r\nHost: files.example.net\r\nUser-Agent: Edge\r\n\r\n";
    pc_http_smb(&f, tr, &r, 52000, 128 /* Windows */, get, t0 + 50 * NS_PER_MS,
                t0 + 80 * NS_PER_MS);
    return gen_write_pcap(dir, "gen-phone-vs-pc-pc.pcap", tr, DLT_EN10MB, false);
}

/* ---- SSH works, HTTP and SMB stall, in one capture ---- */
int gen_ssh_http_smb(const char *dir, struct trace *tr)
{
    struct tcpflow f;
    struct prng r;
    prng_seed(&r, 22);
    uint64_t t0 = gen_time(14);

    flow_at(&f, tr, PC, 53000, 22, &r);
    uint64_t t = flow_handshake(&f, 1, t0, 1380, 1380);
    ssh_session(&f, t + 200 * NS_PER_MS, 24);

    static const char get[] =
        "GET /backup.tar HTTP/1.1\r\nHost: nas.example.net\r\nUser-Agent: curl/8.1.2\r\n\r\n";
    pc_http_smb(&f, tr, &r, 53001, 64, get, t0 + 1 * NS_PER_SEC, t0 + 2 * NS_PER_SEC);
    return gen_write_pcap(dir, "gen-ssh-http-smb.pcap", tr, DLT_EN10MB, false);
}

/* ---- one download at five tunnel MTUs ----
 * The same 300000-byte download with the tunnel's MTU set to 1280, 1340,
 * 1374, 1380 and 1420 at both ends (MSS = MTU - 40), one capture each: up
 * to 1374 it completes, faster with a larger MTU (fewer round trips in slow
 * start); above, its full-size segments vanish. */
int gen_mtu_series(const char *dir, struct trace *tr)
{
    static const uint16_t mtus[] = {1280, 1340, 1374, 1380, 1420};
    struct tcpflow f;
    struct prng r;
    prng_seed(&r, 1374);
    for (size_t i = 0; i < sizeof mtus / sizeof mtus[0]; i++) {
        trace_reset(tr);
        uint16_t mss = (uint16_t)(mtus[i] - 40);
        uint64_t t0 = gen_time(15) + i * 10 * NS_PER_SEC;
        flow_at(&f, tr, PC, (uint16_t)(54000 + i), 80, &r);
        if (mtus[i] <= TUNNEL_CARRIES) {
            flow_http(&f, 1, t0, mss, mss, "files.example.net", "/big.iso", 300000);
        } else {
            static const char get[] = "GET /big.iso HTTP/1.1\r\nHost: "
                                      "files.example.net\r\nUser-Agent: curl/8.1.2\r\n\r\n";
            f.head[1] = get;
            uint64_t t = flow_handshake(&f, 1, t0, mss, mss);
            stalled_response(&f, t + 150 * NS_PER_US, strlen(get), mss);
        }
        char name[64];
        snprintf(name, sizeof name, "gen-mtu-series-wg%u.pcap", mtus[i]);
        if (gen_write_pcap(dir, name, tr, DLT_EN10MB, false) != 0)
            return -1;
    }
    return 0;
}
