/* test_pcapng.c - the fallback pcapng reader, on files built in memory. */
#include <stdlib.h>

#include "testutil.h"

#include "capscan.h"
#include "pcapng.h"

struct ng {
    uint8_t b[4096];
    size_t n;
    bool be; /* write big-endian */
};

static void put32(struct ng *g, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        g->b[g->n++] = (uint8_t)(g->be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(struct ng *g, uint16_t v)
{
    for (int i = 0; i < 2; i++)
        g->b[g->n++] = (uint8_t)(g->be ? v >> (8 - 8 * i) : v >> (8 * i));
}

static void shb(struct ng *g)
{
    put32(g, 0x0a0d0d0a);
    put32(g, 28);
    put32(g, 0x1a2b3c4d);
    put16(g, 1);
    put16(g, 0);
    put32(g, 0xffffffff); /* section length: unknown */
    put32(g, 0xffffffff);
    put32(g, 28);
}

/* IDB; tsresol < 0: no option */
static void idb(struct ng *g, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    uint32_t len = 20 + (tsresol >= 0 ? 8 : 0) + (tsoffset ? 12 : 0) + 4;
    put32(g, 1);
    put32(g, len);
    put16(g, linktype);
    put16(g, 0);
    put32(g, snaplen);
    if (tsresol >= 0) {
        put16(g, 9);
        put16(g, 1);
        g->b[g->n++] = (uint8_t)tsresol;
        g->b[g->n++] = 0;
        g->b[g->n++] = 0;
        g->b[g->n++] = 0;
    }
    if (tsoffset) {
        put16(g, 14);
        put16(g, 8);
        put32(g, (uint32_t)((uint64_t)tsoffset >> 32)); /* high word first, in file order */
        put32(g, (uint32_t)tsoffset);
        if (!g->be) { /* little-endian 64-bit: low word first */
            g->n -= 8;
            put32(g, (uint32_t)tsoffset);
            put32(g, (uint32_t)((uint64_t)tsoffset >> 32));
        }
    }
    put16(g, 0); /* opt_endofopt */
    put16(g, 0);
    put32(g, len);
}

static void epb(struct ng *g, uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t wirelen)
{
    uint32_t pad = (4 - caplen % 4) % 4, len = 32 + caplen + pad;
    put32(g, 6);
    put32(g, len);
    put32(g, ifid);
    put32(g, (uint32_t)(ts >> 32));
    put32(g, (uint32_t)ts);
    put32(g, caplen);
    put32(g, wirelen);
    for (uint32_t i = 0; i < caplen + pad; i++)
        g->b[g->n++] = (uint8_t)(i < caplen ? 0x45 + i : 0);
    put32(g, len);
}

static FILE *open_mem(struct ng *g)
{
    return fmemopen(g->b, g->n, "rb");
}

/* Builds the file; ends[] gets the offset where each of the 5 blocks ends. */
static void two_interfaces_at(struct ng *g, bool be, size_t ends[5])
{
    memset(g, 0, sizeof *g);
    g->be = be;
    shb(g);
    ends[0] = g->n;
    idb(g, 1, 65535, -1, 0); /* Ethernet, microseconds */
    ends[1] = g->n;
    idb(g, 101, 262144, 9, 1000); /* raw IP, nanoseconds, offset 1000 s */
    ends[2] = g->n;
    epb(g, 0, 1700000000123456ull, 5, 60);
    ends[3] = g->n;
    epb(g, 1, 1700000000987654321ull, 3, 3);
    ends[4] = g->n;
}

static void two_interfaces(struct ng *g, bool be)
{
    size_t ends[5];
    two_interfaces_at(g, be, ends);
}

static void check_two_interfaces(bool be)
{
    struct ng g;
    two_interfaces(&g, be);
    FILE *fp = open_mem(&g);
    char err[PCAPNG_ERRLEN] = "";
    struct pcapng *r = pcapng_open(fp, err);
    assert_non_null(r);
    struct pcapng_packet p;
    assert_int_equal(pcapng_next(r, &p, err), 1);
    assert_int_equal(p.linktype, 1);
    assert_int_equal(p.ts_sec, 1700000000);
    assert_int_equal(p.ts_nsec, 123456000);
    assert_int_equal(p.caplen, 5);
    assert_int_equal(p.wirelen, 60);
    assert_int_equal(p.data[0], 0x45);
    assert_int_equal(pcapng_next(r, &p, err), 1);
    assert_int_equal(p.linktype, 101);
    assert_int_equal(p.ts_sec, 1700000000 + 1000);
    assert_int_equal(p.ts_nsec, 987654321);
    assert_int_equal(p.caplen, 3);
    assert_int_equal(pcapng_next(r, &p, err), 0);
    pcapng_close(r);
    fclose(fp);
}

static void test_little_endian(void **state)
{
    (void)state;
    check_two_interfaces(false);
}

static void test_big_endian(void **state)
{
    (void)state;
    check_two_interfaces(true);
}

static void test_not_pcapng(void **state)
{
    (void)state;
    struct ng g = {.n = 24};
    memcpy(g.b, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8); /* a pcap header */
    FILE *fp = open_mem(&g);
    char err[PCAPNG_ERRLEN] = "";
    assert_null(pcapng_open(fp, err));
    assert_string_equal(err, "not a pcapng file");
    fclose(fp);
}

static void test_bad_blocks(void **state)
{
    (void)state;
    char err[PCAPNG_ERRLEN];
    struct pcapng_packet p;

    /* trailer length differs from the header's */
    struct ng g;
    two_interfaces(&g, false);
    g.b[g.n - 1] ^= 1;
    FILE *fp = open_mem(&g);
    struct pcapng *r = pcapng_open(fp, err);
    assert_non_null(r);
    assert_int_equal(pcapng_next(r, &p, err), 1);
    assert_int_equal(pcapng_next(r, &p, err), -1);
    assert_non_null(strstr(err, "trailer"));
    pcapng_close(r);
    fclose(fp);

    /* a packet naming an interface that was never described */
    memset(&g, 0, sizeof g);
    shb(&g);
    idb(&g, 1, 65535, -1, 0);
    epb(&g, 7, 0, 4, 4);
    fp = open_mem(&g);
    r = pcapng_open(fp, err);
    assert_int_equal(pcapng_next(r, &p, err), -1);
    assert_non_null(strstr(err, "undeclared interface"));
    pcapng_close(r);
    fclose(fp);

    /* captured length larger than the block */
    memset(&g, 0, sizeof g);
    shb(&g);
    idb(&g, 1, 65535, -1, 0);
    epb(&g, 0, 0, 4, 4);
    g.b[g.n - 4 - 4 - 8] = 200; /* caplen field of the EPB */
    fp = open_mem(&g);
    r = pcapng_open(fp, err);
    assert_int_equal(pcapng_next(r, &p, err), -1);
    pcapng_close(r);
    fclose(fp);
}

/* Every prefix of a valid file: exactly the packets whose blocks are whole,
 * then a clean end (cut at a block boundary) or a clean error (cut inside a
 * block), never a crash (ASan watches the reads). */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    struct ng g;
    size_t ends[5];
    two_interfaces_at(&g, false, ends);
    for (size_t cut = 1; cut < g.n; cut++) {
        uint8_t *copy = malloc(cut);
        assert_non_null(copy);
        memcpy(copy, g.b, cut);
        FILE *fp = fmemopen(copy, cut, "rb");
        char err[PCAPNG_ERRLEN];
        struct pcapng *r = pcapng_open(fp, err);
        if (cut < ends[0]) {
            assert_null(r); /* not even the section header */
        } else {
            assert_non_null(r);
            struct pcapng_packet p;
            int packets = 0, rc;
            while ((rc = pcapng_next(r, &p, err)) == 1)
                packets++;
            assert_int_equal(packets, cut >= ends[3] ? 1 : 0);
            bool boundary = false;
            for (int i = 0; i < 5; i++)
                boundary |= cut == ends[i];
            assert_int_equal(rc, boundary ? 0 : -1);
            pcapng_close(r);
        }
        fclose(fp);
        free(copy);
    }
}

/* ---- Interface Statistics Blocks, through the scan (capscan.h) ---- */

/* A 64-bit value in the section's byte order (a counter: low word first in
 * little-endian) */
static void put64(struct ng *g, uint64_t v)
{
    put32(g, (uint32_t)(g->be ? v >> 32 : v));
    put32(g, (uint32_t)(g->be ? v : v >> 32));
}

struct isb_opt {
    uint16_t code, len; /* len 8: value below; other: that many zero bytes */
    uint64_t value;
    bool time; /* a timestamp: high word first in either order */
};

static void isb(struct ng *g, uint32_t ifid, const struct isb_opt *o, int n)
{
    uint32_t len = 12 + 12 + 4;
    for (int i = 0; i < n; i++)
        len += 4 + ((o[i].len + 3u) & ~3u);
    put32(g, 5);
    put32(g, len);
    put32(g, ifid);
    put32(g, 0);
    put32(g, 0);
    for (int i = 0; i < n; i++) {
        put16(g, o[i].code);
        put16(g, o[i].len);
        if (o[i].len == 8 && o[i].time) {
            put32(g, (uint32_t)(o[i].value >> 32));
            put32(g, (uint32_t)o[i].value);
        } else if (o[i].len == 8) {
            put64(g, o[i].value);
        } else {
            for (unsigned k = 0; k < ((o[i].len + 3u) & ~3u); k++)
                g->b[g->n++] = 0;
        }
    }
    put32(g, 0); /* opt_endofopt */
    put32(g, len);
}

static void scan_mem(struct ng *g, struct capscan *sc)
{
    FILE *fp = open_mem(g);
    assert_non_null(fp);
    capscan_stream(fp, true, sc);
    fclose(fp);
}

/* Each interface's counters run from the capture's start: the last block
 * of each counts, summed over the interfaces; the latest end time. */
static void check_isb(bool be)
{
    struct ng g;
    two_interfaces(&g, be);
    struct isb_opt first[] = {{4, 8, 10, false}, {5, 8, 1, false}, {7, 8, 2, false}};
    struct isb_opt last0[] = {{3, 8, 1700000005000000ull, true}, /* microseconds */
                              {4, 8, 100, false},
                              {5, 8, 3, false},
                              {7, 8, 40, false}};
    struct isb_opt last1[] = {{3, 8, 1700000001000000000ull, true}, /* ns, +1000 s */
                              {7, 8, 0x100000000ull, false}};
    isb(&g, 0, first, 3);
    isb(&g, 0, last0, 4);
    isb(&g, 1, last1, 2);
    struct capscan sc;
    scan_mem(&g, &sc);
    assert_true(sc.scanned && sc.pcapng && !sc.broken && sc.mixed);
    assert_int_equal(sc.records, 2);
    assert_int_equal(sc.isbs, 3);
    assert_int_equal(sc.isb_malformed, 0);
    assert_true(sc.has_ifrecv && sc.has_ifdrop && sc.has_osdrop && sc.has_end);
    assert_int_equal(sc.ifrecv, 100);
    assert_int_equal(sc.ifdrop, 3);
    assert_int_equal(sc.osdrop, 40 + 0x100000000ull);
    assert_int_equal(sc.end_ns, 1700001001000000000ll); /* interface 1's, its offset added */
    assert_int_equal(sc.first_ns, 1700000000123456000ll);
}

static void test_isb_little_endian(void **state)
{
    (void)state;
    check_isb(false);
}

static void test_isb_big_endian(void **state)
{
    (void)state;
    check_isb(true);
}

/* A block that cannot be read whole is not used at all (its writer got
 * something wrong, and nothing says what): counted, described, never a
 * crash; the good blocks still count. */
static void test_isb_malformed_named_not_used(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t ifid;
        struct isb_opt o[2];
        int n;
    } cases[] = {
        {"ifdrop of 4 bytes", 0, {{5, 4, 0, false}}, 1},
        {"endtime of 12 bytes", 0, {{3, 12, 0, false}, {5, 8, 7, false}}, 2},
        {"undeclared interface", 9, {{5, 8, 7, false}}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ng g;
        two_interfaces(&g, false);
        struct isb_opt good[] = {{5, 8, 2, false}};
        isb(&g, 1, good, 1);
        isb(&g, cases[i].ifid, cases[i].o, cases[i].n);
        struct capscan sc;
        scan_mem(&g, &sc);
        if (sc.isb_malformed != 1)
            print_error("%s: %u malformed\n", cases[i].name, sc.isb_malformed);
        assert_int_equal(sc.isb_malformed, 1);
        assert_true(sc.isb_error[0] != '\0');
        assert_int_equal(sc.ifdrop, 2); /* the good block only */
        assert_false(sc.has_end);
    }
}

/* An option length running past its block, and the block cut at every
 * byte: the scan stops or counts it, and reads nothing outside (ASan). */
static void test_isb_cut_at_every_byte(void **state)
{
    (void)state;
    struct ng g;
    two_interfaces(&g, false);
    size_t start = g.n;
    struct isb_opt o[] = {{4, 8, 5, false}, {5, 8, 1, false}};
    isb(&g, 0, o, 2);
    /* an option claiming 200 bytes in a block that has 8 */
    memcpy(g.b + start + 8 + 12 + 2, (uint8_t[]){200, 0}, 2); /* header, fixed, code */
    struct capscan sc;
    scan_mem(&g, &sc);
    assert_int_equal(sc.isb_malformed, 1);
    assert_false(sc.has_ifrecv);
    for (size_t cut = start; cut < g.n; cut++) {
        uint8_t *copy = malloc(cut);
        memcpy(copy, g.b, cut);
        FILE *fp = fmemopen(copy, cut, "rb");
        capscan_stream(fp, true, &sc);
        fclose(fp);
        free(copy);
        assert_int_equal(sc.records, 2);
        assert_true(cut == start || sc.broken);
        assert_false(sc.has_ifrecv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_little_endian),
        cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_isb_little_endian),
        cmocka_unit_test(test_isb_big_endian),
        cmocka_unit_test(test_isb_malformed_named_not_used),
        cmocka_unit_test(test_isb_cut_at_every_byte),
        cmocka_unit_test(test_not_pcapng),
        cmocka_unit_test(test_bad_blocks),
        cmocka_unit_test(test_truncated_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
