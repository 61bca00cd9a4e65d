/*
 * flow.c - TCP conversations with correct sequence and acknowledgment
 * arithmetic.  The scenario owns the story (what is lost, when the sender
 * gives up); this file owns the numbers, so that Wireshark's tcp.analysis
 * flags only what the story means to show.
 */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BULK_MAX_SEGS 1024
#define CWND_MAX 32    /* segments; stays below the 64256-byte receive window */
#define WIN_SCALED 502 /* x 128 (window scale 7) = 64256 bytes */
#define WIN_SYN 64240  /* 44 x 1460, Linux's SYN window */

void flow_init(struct tcpflow *f, struct trace *tr, emit_fn emit, void *ctx, const char *ip0,
               uint16_t port0, const char *ip1, uint16_t port1, struct prng *r)
{
    f->tr = tr;
    f->emit = emit;
    f->ctx = ctx;
    f->ip[0] = ip4(ip0);
    f->ip[1] = ip4(ip1);
    f->port[0] = port0;
    f->port[1] = port1;
    for (int s = 0; s < 2; s++) {
        f->isn[s] = (uint32_t)prng_next(r);
        f->nxt[s] = f->isn[s];
        f->rcv[s] = 0;
        f->ipid[s] = (uint16_t)prng_next(r);
        f->df[s] = true;
        f->win[s] = WIN_SYN;
        f->head[s] = NULL;
    }
    f->resend = false;
    f->resend_to = 0;
    f->ttl[0] = 64; /* sent here */
    f->ttl[1] = 51; /* 64 minus 13 hops */
    f->rtt = 30 * NS_PER_MS;
    f->local = 45 * NS_PER_US;
    f->gap = 12 * NS_PER_US; /* a 1514-byte frame at 1 Gbit/s */
}

uint64_t flow_reply_delay(const struct tcpflow *f, int side)
{
    return side == 0 ? f->rtt : f->local;
}

static size_t send_seg(struct tcpflow *f, int side, uint64_t t, uint32_t seq, size_t len,
                       uint8_t flags, uint16_t mss)
{
    struct pkt p;
    uint32_t ack = (flags & TH_ACK) ? f->rcv[side] : 0;

    pkt_init(&p);
    /* Stream offset 0 is the byte after the SYN. */
    pkt_stream(&p, f->head[side], seq - f->isn[side] - 1, len);
    pkt_tcp(&p, f->port[side], f->port[!side], seq, ack, flags, f->win[side], mss, 7);
    pkt_ipv4(&p, IP_PROTO_TCP, f->ip[side], f->ip[!side], f->ipid[side]++, f->df[side],
             f->ttl[side]);
    size_t iplen = pkt_len(&p);
    f->emit(f, side, t, &p);
    return iplen;
}

size_t flow_seg(struct tcpflow *f, int side, uint64_t t, uint32_t seq, size_t len, uint8_t flags)
{
    return send_seg(f, side, t, seq, len, flags, 0);
}

size_t flow_data(struct tcpflow *f, int side, uint64_t t, size_t len)
{
    size_t n = flow_seg(f, side, t, f->nxt[side], len, TH_ACK | TH_PUSH);
    f->nxt[side] += (uint32_t)len;
    return n;
}

void flow_ack(struct tcpflow *f, int side, uint64_t t)
{
    flow_seg(f, side, t, f->nxt[side], 0, TH_ACK);
}

void flow_delivered(struct tcpflow *f, int side)
{
    f->rcv[!side] = f->nxt[side];
}

uint64_t flow_handshake(struct tcpflow *f, int client, uint64_t t, uint16_t mss_client,
                        uint16_t mss_server)
{
    int server = !client;

    send_seg(f, client, t, f->isn[client], 0, TH_SYN, mss_client);
    f->nxt[client] = f->isn[client] + 1;
    f->rcv[server] = f->nxt[client];
    t += flow_reply_delay(f, client);
    send_seg(f, server, t, f->isn[server], 0, TH_SYN | TH_ACK, mss_server);
    f->nxt[server] = f->isn[server] + 1;
    f->rcv[client] = f->nxt[server];
    t += flow_reply_delay(f, server);
    f->win[0] = f->win[1] = WIN_SCALED;
    flow_ack(f, client, t);
    return t;
}

uint64_t flow_bulk(struct tcpflow *f, int sender, uint64_t t, size_t bytes, size_t mss, unsigned iw)
{
    int rcvr = !sender;
    const uint32_t stop = f->nxt[sender] + (uint32_t)bytes;
    size_t sent = 0, acked = 0;
    uint64_t tx[BULK_MAX_SEGS], base = t, last = 0, ta = t;
    uint32_t end[BULK_MAX_SEGS];
    unsigned cwnd = iw;

    while (acked < sent || f->nxt[sender] != stop) {
        /* Send what the window allows, back to back at line rate. */
        while (f->nxt[sender] != stop && sent - acked < cwnd) {
            uint32_t seq = f->nxt[sender], len = stop - seq;
            if (len > mss)
                len = (uint32_t)mss;
            /* A resent range is cut where the first transmission ended, so
             * no segment is half old, half new data. */
            if (f->resend && (int32_t)(f->resend_to - seq) > 0 && f->resend_to - seq < len)
                len = f->resend_to - seq;
            uint64_t ts = sent && last + f->gap > base ? last + f->gap : base;
            uint8_t fl = TH_ACK | (seq + len == stop ? TH_PUSH : 0);
            if (sent == BULK_MAX_SEGS) {
                fputs("mtuscope-gen: bulk transfer too long\n", stderr);
                exit(2);
            }
            flow_seg(f, sender, ts, seq, len, fl);
            f->nxt[sender] += len;
            end[sent] = f->nxt[sender];
            tx[sent] = last = ts;
            sent++;
        }
        /* One ACK per two full segments (RFC 1122 4.2.3.2). */
        size_t k = (acked + 2 < sent ? acked + 2 : sent) - 1;
        ta = tx[k] + flow_reply_delay(f, sender);
        f->rcv[rcvr] = end[k];
        flow_ack(f, rcvr, ta);
        cwnd += (unsigned)(k + 1 - acked); /* slow start (RFC 5681 3.1) */
        if (cwnd > CWND_MAX)
            cwnd = CWND_MAX;
        acked = k + 1;
        base = ta + flow_reply_delay(f, rcvr);
    }
    f->resend = false;
    return ta;
}

uint64_t flow_close(struct tcpflow *f, int first, uint64_t t)
{
    int other = !first;

    flow_seg(f, first, t, f->nxt[first], 0, TH_FIN | TH_ACK);
    f->nxt[first]++;
    f->rcv[other] = f->nxt[first];
    t += flow_reply_delay(f, first);
    flow_seg(f, other, t, f->nxt[other], 0, TH_FIN | TH_ACK);
    f->nxt[other]++;
    f->rcv[first] = f->nxt[other];
    t += flow_reply_delay(f, other);
    flow_ack(f, first, t);
    return t;
}

void emit_eth(struct tcpflow *f, int side, uint64_t t_ns, struct pkt *p)
{
    pkt_eth(p, side == 0 ? MAC_HOST : MAC_GW, side == 0 ? MAC_GW : MAC_HOST, ETH_TYPE_IP);
    trace_add_pkt(f->tr, t_ns, 0, p);
}

uint64_t flow_http(struct tcpflow *f, int client, uint64_t t, uint16_t mss_client,
                   uint16_t mss_server, const char *host, const char *path, size_t body)
{
    int server = !client;
    char *req = f->headbuf[client], *resp = f->headbuf[server];

    snprintf(req, sizeof f->headbuf[0],
             "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/8.1.2\r\nAccept: */*\r\n\r\n", path,
             host);
    snprintf(resp, sizeof f->headbuf[0],
             "HTTP/1.1 200 OK\r\nServer: synthetic\r\nContent-Type: application/octet-stream\r\n"
             "Content-Length: %zu\r\n\r\n",
             body);
    f->head[client] = req;
    f->head[server] = resp;

    t = flow_handshake(f, client, t, mss_client, mss_server);
    t += 150 * NS_PER_US;
    flow_data(f, client, t, strlen(req));
    flow_delivered(f, client);
    t += flow_reply_delay(f, client);
    /* The server sends at most what the client asked for and its own MTU allows. */
    size_t mss = mss_client < mss_server ? mss_client : mss_server;
    t = flow_bulk(f, server, t, strlen(resp) + body, mss, 10);
    t += 2 * NS_PER_MS; /* the client reads the body, then closes */
    return flow_close(f, client, t);
}
