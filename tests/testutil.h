/*
 * testutil.h - building packets for the unit tests, with libdnet.
 *
 * A packet is built from the inside out: start with the payload, then
 * prepend each header (TCP, then IPv4, then Ethernet...).  Length fields are
 * filled from what is already in the buffer; the IP and transport checksums
 * are computed with libdnet's ip_checksum()/ip6_checksum() when the IP header
 * is prepended.
 *
 *     struct pb b; pb_init(&b);
 *     pb_fill(&b, 100, 'x');
 *     pb_tcp(&b, 1234, 80, 1000, 0, TH_ACK);
 *     pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
 *     pb_eth(&b, ETH_TYPE_IP);
 *     tu_decode(&pkt, DLT_EN10MB, &b);
 *     tu_assert_stack(&pkt, "eth/ipv4/tcp");
 */
#ifndef MTUSCOPE_TESTUTIL_H
#define MTUSCOPE_TESTUTIL_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>
#include <sys/resource.h>
#include <unistd.h>

#include "decode.h"
#include "packet.h"

#define PB_SIZE 70000
#define PB_HEAD 4096 /* room for headers prepended in front of the payload */

struct pb {
    uint8_t buf[PB_SIZE];
    size_t start, end; /* the packet is buf[start, end) */
};

static inline void pb_init(struct pb *b)
{
    b->start = b->end = PB_HEAD;
}
static inline size_t pb_len(const struct pb *b)
{
    return b->end - b->start;
}
static inline uint8_t *pb_data(struct pb *b)
{
    return b->buf + b->start;
}

static inline void pb_append(struct pb *b, const void *data, size_t n)
{
    assert_true(b->end + n <= PB_SIZE);
    memcpy(b->buf + b->end, data, n);
    b->end += n;
}

static inline void pb_fill(struct pb *b, size_t n, uint8_t byte)
{
    assert_true(b->end + n <= PB_SIZE);
    memset(b->buf + b->end, byte, n);
    b->end += n;
}

/* Makes room for n bytes in front and returns a pointer to them (zeroed). */
static inline uint8_t *pb_prepend(struct pb *b, size_t n)
{
    assert_true(b->start >= n);
    b->start -= n;
    memset(b->buf + b->start, 0, n);
    return b->buf + b->start;
}

static inline void pb_prepend_bytes(struct pb *b, const void *data, size_t n)
{
    memcpy(pb_prepend(b, n), data, n);
}

static inline void pb_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void pb_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline struct addr tu_addr(const char *s)
{
    struct addr a;
    assert_int_equal(addr_pton(s, &a), 0);
    return a;
}

/* TCP header (20 bytes + options).  opts may be NULL; optlen a multiple of 4. */
static inline void pb_tcp_opts(struct pb *b, uint16_t sport, uint16_t dport, uint32_t seq,
                               uint32_t ack, uint8_t flags, const uint8_t *opts, size_t optlen)
{
    uint8_t *h = pb_prepend(b, TCP_HDR_LEN + optlen);
    static _Alignas(8) uint8_t tmp[TCP_HDR_LEN]; /* see pb_ipv4_id() */
    tcp_pack_hdr(tmp, sport, dport, seq, ack, flags, 65535, 0);
    memcpy(h, tmp, TCP_HDR_LEN);
    h[12] = (uint8_t)(((TCP_HDR_LEN + optlen) / 4) << 4);
    if (optlen)
        memcpy(h + TCP_HDR_LEN, opts, optlen);
}

static inline void pb_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                          uint8_t flags)
{
    pb_tcp_opts(b, sport, dport, seq, ack, flags, NULL, 0);
}

static inline void pb_udp(struct pb *b, uint16_t sport, uint16_t dport)
{
    size_t len = pb_len(b) + UDP_HDR_LEN;
    uint8_t *h = pb_prepend(b, UDP_HDR_LEN);
    static _Alignas(8) uint8_t tmp[UDP_HDR_LEN]; /* see pb_ipv4_id() */
    udp_pack_hdr(tmp, sport, dport, len);
    memcpy(h, tmp, UDP_HDR_LEN);
}

/* IPv4 header (no options), total length from the buffer, checksums computed
 * for the IP header and the TCP/UDP/ICMP payload. */
static inline void pb_ipv4_id(struct pb *b, uint8_t proto, const char *src, const char *dst,
                              uint16_t off_flags, uint16_t id)
{
    size_t len = pb_len(b) + IP_HDR_LEN;
    struct addr s = tu_addr(src), d = tu_addr(dst);
    uint8_t *h = pb_prepend(b, IP_HDR_LEN);
    /* libdnet's pack macros and ip_checksum() access the header through
     * struct pointers, which UBSan rejects at unaligned addresses (an IPv4
     * header after a 14-byte Ethernet header inside VXLAN, say): build the
     * datagram in an aligned scratch buffer and copy it back */
    static _Alignas(8) uint8_t tmp[PB_SIZE];
    ip_pack_hdr(tmp, 0, len, id, off_flags, 64, proto, s.addr_ip, d.addr_ip);
    memcpy(tmp + IP_HDR_LEN, h + IP_HDR_LEN, len - IP_HDR_LEN);
    if (!(off_flags & (IP_MF | IP_OFFMASK)))
        ip_checksum(tmp, len); /* whole datagram: IP header and transport checksum */
    else
        ip_checksum(tmp, IP_HDR_LEN); /* a fragment: the IP header only */
    memcpy(h, tmp, len);
}

static inline void pb_ipv4(struct pb *b, uint8_t proto, const char *src, const char *dst,
                           uint16_t off_flags)
{
    pb_ipv4_id(b, proto, src, dst, off_flags, 0x1234);
}

/* IPv6 header; nxt is the next header; the transport checksum is computed
 * when nxt is TCP, UDP or ICMPv6 directly. */
static inline void pb_ipv6(struct pb *b, uint8_t nxt, const char *src, const char *dst)
{
    size_t plen = pb_len(b);
    struct addr s = tu_addr(src), d = tu_addr(dst);
    uint8_t *h = pb_prepend(b, IP6_HDR_LEN);
    static _Alignas(8) uint8_t tmp[PB_SIZE]; /* see pb_ipv4_id() */
    ip6_pack_hdr(tmp, 0, 0, plen, nxt, 64, s.addr_ip6, d.addr_ip6);
    memcpy(tmp + IP6_HDR_LEN, h + IP6_HDR_LEN, plen);
    if (nxt == IP_PROTO_TCP || nxt == IP_PROTO_UDP || nxt == IP_PROTO_ICMPV6)
        ip6_checksum(tmp, IP6_HDR_LEN + plen);
    memcpy(h, tmp, IP6_HDR_LEN + plen);
}

static inline void pb_eth(struct pb *b, uint16_t ethertype)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
    /* byte by byte, not eth_pack_hdr(): libdnet's macro writes through a
     * struct pointer, which UBSan rejects when the frame is not 2-aligned */
    uint8_t *h = pb_prepend(b, ETH_HDR_LEN);
    memcpy(h, dst, 6);
    memcpy(h + 6, src, 6);
    pb_be16(h + 12, ethertype);
}

static inline void pb_vlan(struct pb *b, uint16_t tpid, uint16_t vid, uint16_t inner_type)
{
    uint8_t *h = pb_prepend(b, 4);
    (void)tpid; /* the TPID is the ethertype of the header in front */
    pb_be16(h, vid & 0x0fff);
    pb_be16(h + 2, inner_type);
}

/* VXLAN header with the I flag and a VNI (the UDP header goes in front). */
static inline void pb_vxlan(struct pb *b, uint32_t vni)
{
    uint8_t *h = pb_prepend(b, 8);
    h[0] = 0x08;
    pb_be32(h + 4, vni << 8);
}

static inline void tu_decode_buf(struct packet *p, int dlt, const uint8_t *data, size_t caplen,
                                 size_t wirelen)
{
    memset(p, 0, sizeof *p);
    p->frame = 1;
    decode_frame(p, dlt, data, (uint32_t)caplen, (uint32_t)wirelen);
}

/* The first n bytes of b, decoded from a heap copy of exactly n bytes (so
 * AddressSanitizer catches a read past the capture), as a frame of wirelen
 * bytes: snapped (wirelen the whole packet) or short (wirelen n).  Pointers
 * into the data are dangling after the call: check layers, not bytes. */
static inline void tu_decode_prefix(struct packet *p, int dlt, struct pb *b, size_t n,
                                    size_t wirelen)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, pb_data(b), n);
    tu_decode_buf(p, dlt, copy, n, wirelen);
    free(copy);
}

static inline void tu_decode(struct packet *p, int dlt, struct pb *b)
{
    tu_decode_buf(p, dlt, pb_data(b), pb_len(b), pb_len(b));
}

static inline void tu_assert_stack(const struct packet *p, const char *expect)
{
    char buf[512];
    pkt_describe(p, buf, sizeof buf);
    if (strcmp(buf, expect) != 0)
        print_error("layer stack: got \"%s\", expected \"%s\"\n", buf, expect);
    assert_string_equal(buf, expect);
}

/* A new file /tmp/mtuscope-test-NAME-XXXXXX opened for writing; its path
 * in path (size bytes). */
static inline FILE *tu_temp_file(char *path, size_t size, const char *name)
{
    snprintf(path, size, "/tmp/mtuscope-test-%s-XXXXXX", name);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    assert_non_null(fp);
    return fp;
}

/* Closes a capture file being written at `path` and cuts `cut` bytes off
 * its end (0: none), as a capture stopped mid-record leaves it. */
static inline void tu_close_cut(FILE *fp, const char *path, long cut)
{
    long end = ftell(fp);
    assert_int_equal(fclose(fp), 0);
    if (cut)
        assert_int_equal(truncate(path, end - cut), 0);
}

/* Writes past `bytes` fail from now on with EFBIG, as on a full disk (the
 * file-size limit, SIGXFSZ ignored), until tu_fsize_restore(). */
struct tu_fsize {
    struct rlimit old;
    void (*was)(int);
};
static inline void tu_fsize_limit(struct tu_fsize *x, rlim_t bytes)
{
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &x->old), 0);
    x->was = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = x->old;
    lim.rlim_cur = bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}
static inline void tu_fsize_restore(struct tu_fsize *x)
{
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &x->old), 0);
    signal(SIGXFSZ, x->was);
}

#define assert_anomaly(p, a) assert_true(pkt_has_anomaly((p), (a)))
#define assert_no_anomalies(p) assert_int_equal((p)->anomalies, 0)

#endif
