/* test_pcapng.c - the fallback pcapng reader, on files built in memory. */
#include <stdlib.h>

#include "testutil.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_little_endian),        cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_not_pcapng),           cmocka_unit_test(test_bad_blocks),
        cmocka_unit_test(test_truncated_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
