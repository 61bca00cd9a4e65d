/* test_defrag.c - IPv4/IPv6 fragment reassembly: order, duplicates, overlaps,
 * timeouts, limits, and the re-decode of the reassembled datagram. */
#include "testutil.h"

#include "defrag.h"

#define BIT(a) (1ull << (a))
#define DGRAM_MAX 4000

static struct packet pkt;

/* A UDP datagram's IP payload (UDP header + data), checksum computed over the
 * whole datagram as the sender would have. */
struct dgram_bytes {
    uint8_t b[DGRAM_MAX];
    size_t len;
};

static void make_udp4(struct dgram_bytes *d, size_t datalen, uint8_t seed)
{
    struct pb p;
    pb_init(&p);
    for (size_t i = 0; i < datalen; i++) {
        uint8_t v = (uint8_t)(seed + i * 7);
        pb_append(&p, &v, 1);
    }
    pb_udp(&p, 5000, 6000);
    pb_ipv4(&p, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", 0);
    d->len = pb_len(&p) - IP_HDR_LEN;
    assert_true(d->len <= DGRAM_MAX);
    memcpy(d->b, pb_data(&p) + IP_HDR_LEN, d->len);
}

static void make_udp6(struct dgram_bytes *d, size_t datalen, uint8_t seed)
{
    struct pb p;
    pb_init(&p);
    for (size_t i = 0; i < datalen; i++) {
        uint8_t v = (uint8_t)(seed + i * 3);
        pb_append(&p, &v, 1);
    }
    pb_udp(&p, 5000, 6000);
    pb_ipv6(&p, IP_PROTO_UDP, "2001:db8::1", "2001:db8::2");
    d->len = pb_len(&p) - IP6_HDR_LEN;
    memcpy(d->b, pb_data(&p) + IP6_HDR_LEN, d->len);
}

struct frag {
    struct pb p;
};

/* Builds the IPv4 fragment carrying bytes [off, off + len) of d. */
static void frag4_src(struct frag *f, const struct dgram_bytes *d, size_t off, size_t len,
                      bool more, uint16_t id, const char *src)
{
    pb_init(&f->p);
    pb_append(&f->p, d->b + off, len);
    pb_ipv4_id(&f->p, IP_PROTO_UDP, src, "10.0.0.2", (uint16_t)((off / 8) | (more ? IP_MF : 0)),
               id);
}

static void frag4(struct frag *f, const struct dgram_bytes *d, size_t off, size_t len, bool more,
                  uint16_t id)
{
    frag4_src(f, d, off, len, more, id, "10.0.0.1");
}

static void frag6(struct frag *f, const struct dgram_bytes *d, size_t off, size_t len, bool more,
                  uint32_t id)
{
    pb_init(&f->p);
    pb_append(&f->p, d->b + off, len);
    uint8_t *h = pb_prepend(&f->p, 8);
    h[0] = IP_PROTO_UDP;
    pb_be16(h + 2, (uint16_t)(off | (more ? 1 : 0)));
    pb_be32(h + 4, id);
    pb_ipv6(&f->p, IP_PROTO_FRAGMENT, "2001:db8::1", "2001:db8::2");
}

/* Decodes a fragment (raw IP link) at capture time ms and hands it to defrag. */
static enum defrag_result feed_at(struct defrag *df, struct frag *f, int64_t ms)
{
    tu_decode(&pkt, DLT_RAW, &f->p);
    pkt.ts_sec = ms / 1000;
    pkt.ts_nsec = (uint32_t)(ms % 1000) * 1000000u;
    return defrag_packet(df, &pkt);
}

static enum defrag_result feed(struct defrag *df, struct frag *f)
{
    return feed_at(df, f, 0);
}

/* The packet record after completion: IP layer reassembled, UDP from the buffer. */
static void assert_reassembled(const struct dgram_bytes *d, const char *stack, uint32_t reasm_len)
{
    tu_assert_stack(&pkt, stack);
    const struct layer *ip = &pkt.layers[0];
    assert_int_equal(ip->u.ip.reasm_len, reasm_len);
    assert_false(ip->flags & LF_REASSEMBLED);
    const struct layer *udp = &pkt.layers[1];
    assert_int_equal(udp->flags, LF_REASSEMBLED);
    assert_int_equal(udp->offset, 0);
    assert_memory_equal(pkt.data, d->b, d->len);
}

/* the record's UDP fields, which need decode_transport */
static void assert_udp(uint16_t len)
{
    assert_int_equal(pkt.layers[1].u.udp.sport, 5000);
    assert_int_equal(pkt.layers[1].u.udp.dport, 6000);
    assert_int_equal(pkt.layers[1].u.udp.len, len);
}

static void test_not_fragment(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    assert_non_null(df);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 100, 1);
    frag4(&f, &d, 0, d.len, false, 1);
    assert_int_equal(feed(df, &f), DEFRAG_NOT_FRAGMENT);
    tu_assert_stack(&pkt, "ipv4/udp");
    assert_int_equal(defrag_get_stats(df)->fragments, 0);
    defrag_free(df);
}

static void test_in_order(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 2992, 1); /* 3000 bytes: 1480 + 1480 + 40 */
    frag4(&f, &d, 0, 1480, true, 42);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    tu_assert_stack(&pkt, "ipv4");
    assert_no_anomalies(&pkt);
    frag4(&f, &d, 1480, 1480, true, 42);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(defrag_get_stats(df)->held_datagrams, 1);
    frag4(&f, &d, 2960, 40, false, 42);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_no_anomalies(&pkt);
    assert_reassembled(&d, "ipv4/udp", 3020);
    assert_udp(3000);

    const struct defrag_stats *st = defrag_get_stats(df);
    assert_int_equal(st->fragments, 3);
    assert_int_equal(st->reassembled, 1);
    assert_int_equal(st->held_datagrams, 0);
    assert_int_equal(st->held_bytes, 0);
    assert_int_equal(st->held_datagrams_peak, 1);
    assert_int_equal(st->held_bytes_peak, 4096 + 512);
    assert_int_equal(st->incomplete, 0);
    assert_int_equal(st->overlaps, 0);
    defrag_free(df);
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 2992, 9);
    frag4(&f, &d, 2960, 40, false, 43);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 0, 1480, true, 43);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 1480, 1480, true, 43);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_no_anomalies(&pkt);
    assert_reassembled(&d, "ipv4/udp", 3020);
    assert_int_equal(defrag_get_stats(df)->reassembled, 1);
    defrag_free(df);
}

static void test_duplicate(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 2); /* 1600: 1480 + 120 */
    frag4(&f, &d, 0, 1480, true, 44);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_no_anomalies(&pkt);
    frag4(&f, &d, 1480, 120, false, 44);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_no_anomalies(&pkt);
    assert_reassembled(&d, "ipv4/udp", 1620);
    assert_int_equal(defrag_get_stats(df)->duplicates, 1);
    assert_int_equal(defrag_get_stats(df)->overlaps, 0);
    assert_int_equal(defrag_get_stats(df)->fragments, 3);
    defrag_free(df);
}

static void test_overlap_first_wins(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d, evil;
    static struct frag f;
    make_udp4(&d, 1592, 3);
    evil = d;
    memset(evil.b + 1464, 0xee, 136);
    frag4(&f, &d, 0, 1480, true, 45);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    /* the tail, starting 16 bytes early with different bytes there */
    frag4(&f, &evil, 1464, 136, false, 45);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_int_equal(pkt.anomalies, BIT(AN_FRAG_OVERLAP));
    tu_assert_stack(&pkt, "ipv4/udp");
    assert_memory_equal(pkt.data, d.b, 1480);                 /* the first data won */
    assert_memory_equal(pkt.data + 1480, evil.b + 1480, 120); /* the rest came later */
    assert_int_equal(pkt.layers[0].u.ip.reasm_len, 1620);
    assert_int_equal(defrag_get_stats(df)->overlaps, 1);

    /* a fragment wholly inside held data but with different bytes is an overlap too */
    frag4(&f, &d, 0, 1480, true, 46);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &evil, 1464, 16, true, 46);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(pkt.anomalies, BIT(AN_FRAG_OVERLAP));
    assert_int_equal(defrag_get_stats(df)->overlaps, 2);
    defrag_free(df);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp6(&d, 2492, 4); /* 2500: 1232 + 1232 + 36 */
    frag6(&f, &d, 1232, 1232, true, 0x01020304);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    tu_assert_stack(&pkt, "ipv6");
    frag6(&f, &d, 2464, 36, false, 0x01020304);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    /* same addresses, another id: a different datagram */
    frag6(&f, &d, 0, 1232, true, 0x01020305);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(defrag_get_stats(df)->held_datagrams, 2);
    frag6(&f, &d, 0, 1232, true, 0x01020304);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_no_anomalies(&pkt);
    /* the original packet: 40-byte header + 2500, the fragment header is not counted */
    assert_reassembled(&d, "ipv6/udp", 2540);
    assert_udp(2500);
    assert_int_equal(defrag_get_stats(df)->reassembled, 1);
    defrag_free(df); /* frees the other, still open: ASan checks */
}

static void test_incomplete_flush(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 2992, 5);
    frag4(&f, &d, 0, 1480, true, 47);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 2960, 40, false, 47);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(defrag_get_stats(df)->held_datagrams, 1);
    defrag_flush(df, INT64_MAX / 2);
    const struct defrag_stats *st = defrag_get_stats(df);
    assert_int_equal(st->incomplete, 1);
    assert_int_equal(st->timeouts, 0);
    assert_int_equal(st->held_datagrams, 0);
    assert_int_equal(st->held_bytes, 0);
    assert_int_equal(st->reassembled, 0);
    /* the missing middle arrives after the flush: a new, lone datagram */
    frag4(&f, &d, 1480, 1480, true, 47);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    defrag_free(df);
}

/* A datagram never completed is lost only when the capture went on for a
 * second after its latest fragment (a sender emits fragments back to back):
 * at the flush, 1.5 s after it: lost, with the example kept (addresses,
 * ports from the first fragment, the frames that came); 0.3 s: open at the
 * end, not lost. */
static void test_lost_or_open_at_end_by_capture_time(void **state)
{
    (void)state;
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 2992, 5);
    for (int late = 0; late < 2; late++) {
        struct defrag *df = defrag_new(NULL);
        frag4(&f, &d, 0, 1480, true, 47);
        pkt.frame = 0;
        assert_int_equal(feed_at(df, &f, 10000), DEFRAG_HELD);
        frag4(&f, &d, 2960, 40, false, 47);
        assert_int_equal(feed_at(df, &f, 10001), DEFRAG_HELD);
        defrag_flush(df, (late ? 11501 : 10301) * 1000000ll);
        const struct defrag_stats *st = defrag_get_stats(df);
        assert_int_equal(st->incomplete, 1);
        assert_int_equal(st->lost, late ? 1 : 0);
        assert_int_equal(st->open_at_end, late ? 0 : 1);
        assert_int_equal(st->nlost, late ? 1 : 0);
        if (late) {
            const struct defrag_lost *x = &st->lost_ex[0];
            assert_int_equal(x->version, 4);
            assert_int_equal(x->id, 47);
            assert_true(x->first_seen);
            assert_int_equal(x->bytes_seen, 1480 + 40);
            assert_int_equal(x->nfrags, 2);
            assert_int_equal(x->sport, 5000); /* make_udp4's ports */
            assert_int_equal(x->dport, 6000);
        }
        defrag_free(df);
    }
}

static void test_timeout(void **state)
{
    (void)state;
    struct defrag_limits lim = {0, 0, 1000};
    struct defrag *df = defrag_new(&lim);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 6);
    frag4(&f, &d, 0, 1480, true, 48);
    assert_int_equal(feed_at(df, &f, 10000), DEFRAG_HELD);
    /* the clock goes backwards: nothing expires */
    frag4(&f, &d, 0, 1480, true, 49);
    assert_int_equal(feed_at(df, &f, 2000), DEFRAG_HELD);
    assert_int_equal(defrag_get_stats(df)->timeouts, 0);
    /* exactly the timeout: still in time */
    frag4(&f, &d, 1480, 120, false, 48);
    assert_int_equal(feed_at(df, &f, 11000), DEFRAG_COMPLETE);
    /* id 49 opened at 2000: now 9000 ms old */
    frag4(&f, &d, 1480, 120, false, 49);
    assert_int_equal(feed_at(df, &f, 11001), DEFRAG_HELD);
    const struct defrag_stats *st = defrag_get_stats(df);
    assert_int_equal(st->timeouts, 1);
    assert_int_equal(st->incomplete, 1);
    assert_int_equal(st->held_datagrams, 1);
    defrag_free(df);
}

/* A packet that is no fragment moves the clock too: a datagram opened at 0
 * is given up at the first packet past its timeout, whatever that packet
 * is (defrag_packet() takes a shortcut for such packets only when no
 * datagram is open). */
static void test_timeout_on_a_packet_that_is_no_fragment(void **state)
{
    (void)state;
    struct defrag_limits lim = {0, 0, 1000};
    struct defrag *df = defrag_new(&lim);
    static struct dgram_bytes d, whole;
    static struct frag f;
    make_udp4(&d, 1592, 6);
    frag4(&f, &d, 0, 1480, true, 51);
    assert_int_equal(feed_at(df, &f, 0), DEFRAG_HELD);
    make_udp4(&whole, 100, 1);
    frag4(&f, &whole, 0, whole.len, false, 52);
    assert_int_equal(feed_at(df, &f, 1000), DEFRAG_NOT_FRAGMENT);
    assert_int_equal(defrag_get_stats(df)->timeouts, 0);
    assert_int_equal(feed_at(df, &f, 1001), DEFRAG_NOT_FRAGMENT);
    assert_int_equal(defrag_get_stats(df)->timeouts, 1);
    assert_int_equal(defrag_get_stats(df)->held_datagrams, 0);
    defrag_free(df);
}

static void test_default_timeout(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 6);
    frag4(&f, &d, 0, 1480, true, 50);
    assert_int_equal(feed_at(df, &f, 0), DEFRAG_HELD);
    frag4(&f, &d, 1480, 120, false, 50);
    assert_int_equal(feed_at(df, &f, 30001), DEFRAG_HELD); /* 30 s and a bit: gone */
    assert_int_equal(defrag_get_stats(df)->timeouts, 1);
    defrag_free(df);
}

static void test_limit_datagrams(void **state)
{
    (void)state;
    struct defrag_limits lim = {2, 0, 0};
    struct defrag *df = defrag_new(&lim);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 7);
    for (uint16_t id = 1; id <= 2; id++) {
        frag4(&f, &d, 0, 1480, true, id);
        assert_int_equal(feed(df, &f), DEFRAG_HELD);
        assert_no_anomalies(&pkt);
    }
    frag4(&f, &d, 0, 1480, true, 3);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(pkt.anomalies, BIT(AN_FRAG_LIMIT));
    const struct defrag_stats *st = defrag_get_stats(df);
    assert_int_equal(st->dropped_limit, 1);
    assert_int_equal(st->held_datagrams, 2);
    assert_int_equal(st->held_datagrams_peak, 2);
    /* id 1, the oldest, was evicted: its tail cannot complete it */
    frag4(&f, &d, 1480, 120, false, 1);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(pkt.anomalies, BIT(AN_FRAG_LIMIT)); /* and evicts id 2 */
    /* id 3 survived */
    frag4(&f, &d, 1480, 120, false, 3);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_reassembled(&d, "ipv4/udp", 1620);
    assert_int_equal(st->dropped_limit, 2);
    defrag_free(df);
}

static void test_limit_bytes(void **state)
{
    (void)state;
    /* room for two 2 KiB buffers (2048 + 256 bitmap each) */
    struct defrag_limits lim = {0, 5000, 0};
    struct defrag *df = defrag_new(&lim);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 2992, 8);
    frag4(&f, &d, 0, 1480, true, 1);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 0, 1480, true, 2);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_no_anomalies(&pkt);
    assert_int_equal(defrag_get_stats(df)->held_bytes, 2 * 2304);
    /* id 2 grows to 4 KiB: id 1 must go */
    frag4(&f, &d, 1480, 1480, true, 2);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    assert_int_equal(pkt.anomalies, BIT(AN_FRAG_LIMIT));
    assert_int_equal(defrag_get_stats(df)->dropped_limit, 1);
    assert_int_equal(defrag_get_stats(df)->held_bytes, 4608);
    frag4(&f, &d, 2960, 40, false, 2);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_reassembled(&d, "ipv4/udp", 3020);

    /* a datagram that alone is bigger than the limit is dropped */
    frag4(&f, &d, 2960, 40, false, 3); /* needs 4 KiB + 512 */
    struct defrag_limits tiny = {0, 3000, 0};
    struct defrag *df2 = defrag_new(&tiny);
    assert_int_equal(feed(df2, &f), DEFRAG_DROPPED);
    assert_int_equal(pkt.anomalies, BIT(AN_FRAG_LIMIT));
    assert_int_equal(defrag_get_stats(df2)->held_datagrams, 0);
    defrag_free(df2);
    defrag_free(df);
}

static void test_bad_fragments(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 10);
    /* past 65535: offset 65520 + 24 */
    pb_init(&f.p);
    pb_fill(&f.p, 24, 1);
    pb_ipv4_id(&f.p, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", 65520 / 8, 60);
    assert_int_equal(feed(df, &f), DEFRAG_DROPPED);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_FRAGMENT));
    assert_true(pkt.layers[0].flags & LF_MALFORMED);
    /* not the last, and not a multiple of 8 */
    frag4(&f, &d, 0, 1481, true, 61);
    assert_int_equal(feed(df, &f), DEFRAG_DROPPED);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_FRAGMENT));
    /* two last fragments that disagree on the end */
    frag4(&f, &d, 1480, 120, false, 62);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 1480, 112, false, 62);
    assert_int_equal(feed(df, &f), DEFRAG_DROPPED);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_FRAGMENT));
    /* data past the known end */
    frag4(&f, &d, 1480, 112, true, 63);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 1472, 8, false, 63); /* ends at 1480, before held bytes */
    assert_int_equal(feed(df, &f), DEFRAG_DROPPED);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_FRAGMENT));
    assert_int_equal(defrag_get_stats(df)->bad, 4);
    assert_int_equal(defrag_get_stats(df)->fragments, 6);
    defrag_free(df);
}

static void test_snap_cut_fragment(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 11);
    frag4(&f, &d, 0, 1480, true, 70);
    tu_decode_buf(&pkt, DLT_RAW, pb_data(&f.p), 96, pb_len(&f.p));
    assert_int_equal(defrag_packet(df, &pkt), DEFRAG_DROPPED);
    assert_int_equal(pkt.anomalies, BIT(AN_TRUNCATED)); /* from the decoder */
    assert_int_equal(defrag_get_stats(df)->unreassemblable, 1);
    assert_int_equal(defrag_get_stats(df)->held_datagrams, 1); /* waits for its other fragments */
    frag4(&f, &d, 1480, 120, false, 70);
    /* every fragment has passed: handed on at once as a datagram cut by
     * the snap length (the UDP header was captured), not held to the
     * timeout */
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    const struct defrag_stats *st = defrag_get_stats(df);
    assert_int_equal(st->reassembled, 0);
    assert_int_equal(st->incomplete, 1);
    assert_int_equal(st->held_datagrams, 0);
    assert_int_equal(st->held_bytes, 0);

    /* cut fragment after a held one; the datagram is flushed unfinished */
    frag4(&f, &d, 1480, 120, false, 71);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 0, 1480, true, 72);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 0, 1480, true, 71);
    tu_decode_buf(&pkt, DLT_RAW, pb_data(&f.p), 200, pb_len(&f.p));
    assert_int_equal(defrag_packet(df, &pkt), DEFRAG_COMPLETE);
    assert_int_equal(st->unreassemblable, 2);
    assert_int_equal(st->incomplete, 2);
    defrag_flush(df, INT64_MAX / 2);
    assert_int_equal(st->incomplete, 3);
    defrag_free(df);
}

static void test_keys_separate(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 12);
    /* same id, another source: must not mix */
    frag4_src(&f, &d, 0, 1480, true, 80, "10.0.0.9");
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    frag4(&f, &d, 1480, 120, false, 80);
    assert_int_equal(feed(df, &f), DEFRAG_HELD);
    /* another input file */
    frag4(&f, &d, 0, 1480, true, 80);
    tu_decode(&pkt, DLT_RAW, &f.p);
    pkt.input = 1;
    assert_int_equal(defrag_packet(df, &pkt), DEFRAG_HELD);
    assert_int_equal(defrag_get_stats(df)->held_datagrams, 3);
    frag4(&f, &d, 0, 1480, true, 80);
    assert_int_equal(feed(df, &f), DEFRAG_COMPLETE);
    assert_reassembled(&d, "ipv4/udp", 1620);
    defrag_free(df);
}

static void test_final_through_ethernet(void **state)
{
    (void)state;
    struct defrag *df = defrag_new(NULL);
    static struct dgram_bytes d;
    static struct frag f;
    make_udp4(&d, 1592, 13);
    frag4(&f, &d, 1480, 120, false, 90);
    pb_eth(&f.p, ETH_TYPE_IP);
    tu_decode(&pkt, DLT_EN10MB, &f.p);
    assert_int_equal(defrag_packet(df, &pkt), DEFRAG_HELD);
    frag4(&f, &d, 0, 1480, true, 90);
    pb_eth(&f.p, ETH_TYPE_IP);
    tu_decode(&pkt, DLT_EN10MB, &f.p);
    assert_int_equal(defrag_packet(df, &pkt), DEFRAG_COMPLETE);
    tu_assert_stack(&pkt, "eth/ipv4/udp");
    assert_int_equal(pkt.layers[1].u.ip.reasm_len, 1620);
    assert_int_equal(pkt.layers[2].flags, LF_REASSEMBLED);
    assert_int_equal(pkt.layers[2].u.udp.len, 1600);
    defrag_free(df);
}

/* Every router decrements the TTL / hop limit (RFC 791, RFC 8200 3) and
 * senders start at 64, 128 or 255: a packet at its initial value was
 * captured before any router, a fragment seen so has crossed nothing. */
static void test_hops_from_ttl_sender_initial_values_cross_no_router(void **state)
{
    (void)state;
    static const struct {
        uint8_t ttl;
        unsigned hops;
    } cases[] = {{64, 0},  {128, 0},  {255, 0}, {63, 1},  {57, 7},
                 {127, 1}, {100, 28}, {250, 5}, {65, 63}, {1, 63}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(ttl_routers_crossed(cases[i].ttl), cases[i].hops);
}

/* Whether a datagram arrived whole is decided by its IP offsets and
 * lengths (RFC 791), not by the bytes the snap length kept: a TCP segment
 * whose fragments all passed, its header in the first one's captured bytes,
 * is handed on as the datagram it was (reasm_len, TCP seq and length), in
 * any order; with its TCP header cut it is given up, as a UDP one is. */
static void test_snap_cut_tcp_segment_whole_by_ip_lengths_is_delivered(void **state)
{
    (void)state;
    struct pb p;
    pb_init(&p);
    pb_fill(&p, 1460, 'q');
    pb_tcp(&p, 80, 50000, 7777, 1, TH_ACK);
    pb_ipv4(&p, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", 0);
    static struct dgram_bytes d;
    d.len = pb_len(&p) - IP_HDR_LEN; /* 1480: TCP header and data */
    memcpy(d.b, pb_data(&p) + IP_HDR_LEN, d.len);
    static const struct {
        bool last_first;
        uint32_t snap; /* of each frame (raw IP) */
        enum defrag_result want;
    } cases[] = {{false, 96, DEFRAG_COMPLETE},
                 {true, 96, DEFRAG_COMPLETE},
                 {false, 60, DEFRAG_COMPLETE}, /* 20 + 20 + 20: the header and no more */
                 {true, 30, DEFRAG_DROPPED}};  /* the TCP header cut: no segment */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct defrag *df = defrag_new(NULL);
        static struct frag f[2];
        frag4(&f[0], &d, 0, 1216, true, 90);
        frag4(&f[1], &d, 1216, 264, false, 90);
        enum defrag_result r = DEFRAG_HELD;
        for (int k = 0; k < 2; k++) {
            struct frag *x = &f[cases[i].last_first ? 1 - k : k];
            uint8_t *ip = pb_data(&x->p);
            ip[9] = IP_PROTO_TCP;
            ip[10] = ip[11] = 0;
            uint32_t sum = 0;
            for (int b = 0; b < 20; b += 2)
                sum += (uint32_t)(ip[b] << 8 | ip[b + 1]);
            while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
            ip[10] = (uint8_t)(~sum >> 8);
            ip[11] = (uint8_t)~sum;
            size_t cap = pb_len(&x->p) < cases[i].snap ? pb_len(&x->p) : cases[i].snap;
            tu_decode_buf(&pkt, DLT_RAW, pb_data(&x->p), cap, pb_len(&x->p));
            r = defrag_packet(df, &pkt);
        }
        assert_int_equal(r, cases[i].want);
        const struct defrag_stats *st = defrag_get_stats(df);
        assert_int_equal(st->unreassemblable, 1);
        assert_int_equal(st->reassembled, 0); /* its bytes are not all here */
        assert_int_equal(st->lost, 0);
        assert_int_equal(st->held_datagrams, 0);
        if (r == DEFRAG_COMPLETE) {
            assert_int_equal(pkt.layers[0].u.ip.reasm_len, 1500);
            assert_int_equal(pkt.layers[1].type, LAYER_TCP);
            assert_int_equal(pkt.layers[1].u.tcp.seq, 7777);
            assert_int_equal(pkt.layers[1].u.tcp.payload_len, 1460);
        }
        defrag_free(df);
    }
}

/* A UDP datagram whose fragments all passed (IP offsets and lengths, RFC
 * 791 / RFC 8200) but were cut by the snap length arrived whole: it is
 * handed on as a datagram cut by the snap length, its UDP header from the
 * first fragment's captured bytes and its sizes as sent (reasm_len, UDP
 * length), marked truncated, never malformed; so a tunnel's flow counts
 * it at its full size.  With its UDP header cut, or a fragment missing, it
 * is not. */
static void test_snap_cut_udp_datagram_whole_by_ip_lengths_is_delivered(void **state)
{
    (void)state;
    static struct dgram_bytes d4, d6;
    make_udp4(&d4, 1472, 5); /* 1480 bytes of UDP: 1500 as one packet */
    make_udp6(&d6, 1452, 5); /* 1460: 1500 in IPv6 */
    static const struct {
        bool v6;
        uint32_t snap; /* of the first fragment (raw IP) */
        bool send_last;
        enum defrag_result want;
    } cases[] = {
        {false, 96, true, DEFRAG_COMPLETE}, /* UDP header and 68 bytes */
        {false, 28, true, DEFRAG_COMPLETE}, /* 20 + 8: the UDP header and no more */
        {false, 27, true, DEFRAG_DROPPED},  /* the UDP header cut */
        {false, 96, false, DEFRAG_DROPPED}, /* the last never came: tracked, never complete */
        {true, 104, true, DEFRAG_COMPLETE}, /* 40 + 8 + 56 */
        {true, 55, true, DEFRAG_DROPPED},   /* 40 + 8 + 7: the UDP header cut */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct defrag *df = defrag_new(NULL);
        static struct frag f[2];
        const struct dgram_bytes *d = cases[i].v6 ? &d6 : &d4;
        if (cases[i].v6) {
            frag6(&f[0], d, 0, 1232, true, 9);
            frag6(&f[1], d, 1232, d->len - 1232, false, 9);
        } else {
            frag4(&f[0], d, 0, 1232, true, 90);
            frag4(&f[1], d, 1232, d->len - 1232, false, 90);
        }
        tu_decode_buf(&pkt, DLT_RAW, pb_data(&f[0].p), cases[i].snap, pb_len(&f[0].p));
        enum defrag_result r = defrag_packet(df, &pkt);
        if (cases[i].send_last)
            r = feed(df, &f[1]);
        if (r != cases[i].want)
            fail_msg("case %zu: result %d, want %d", i, r, cases[i].want);
        const struct defrag_stats *st = defrag_get_stats(df);
        assert_int_equal(st->reassembled, 0); /* its bytes are not all here */
        assert_int_equal(st->lost, 0);
        if (r == DEFRAG_COMPLETE) {
            tu_assert_stack(&pkt, cases[i].v6 ? "ipv6/udp!" : "ipv4/udp!"); /* ! cut */
            assert_int_equal(pkt.layers[0].u.ip.reasm_len, 1500);
            assert_udp((uint16_t)d->len);
            assert_true(pkt.layers[1].flags & LF_TRUNCATED);
            assert_int_equal(pkt.layers[1].u.udp.payload_len, d->len - 8);
            assert_false(pkt.anomalies & BIT(AN_SHORT_FRAME));
            assert_false(pkt.anomalies & BIT(AN_BAD_UDP_LEN));
            assert_true(pkt.anomalies & BIT(AN_TRUNCATED));
            assert_int_equal(st->held_datagrams, 0);
        }
        defrag_free(df);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_fragment),
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_overlap_first_wins),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_incomplete_flush),
        cmocka_unit_test(test_lost_or_open_at_end_by_capture_time),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_timeout_on_a_packet_that_is_no_fragment),
        cmocka_unit_test(test_default_timeout),
        cmocka_unit_test(test_limit_datagrams),
        cmocka_unit_test(test_limit_bytes),
        cmocka_unit_test(test_bad_fragments),
        cmocka_unit_test(test_snap_cut_fragment),
        cmocka_unit_test(test_keys_separate),
        cmocka_unit_test(test_final_through_ethernet),
        cmocka_unit_test(test_hops_from_ttl_sender_initial_values_cross_no_router),
        cmocka_unit_test(test_snap_cut_tcp_segment_whole_by_ip_lengths_is_delivered),
        cmocka_unit_test(test_snap_cut_udp_datagram_whole_by_ip_lengths_is_delivered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
