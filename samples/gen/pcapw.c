/*
 * pcapw.c - writing a trace to disk.
 *
 * pcap goes through libpcap (pcap_open_dead + pcap_dump), so the file header
 * is exactly what tcpdump would write.  libpcap cannot write pcapng, so that
 * format has its own small writer: one Section Header Block, one Interface
 * Description Block per interface (with if_tsresol), one Enhanced Packet
 * Block per frame.  It writes little-endian whatever the host, so the output
 * is byte-identical everywhere.
 */
#include "gen.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SNAPLEN 262144 /* tcpdump's default */

int write_pcap(const char *path, const struct trace *t, int linktype, bool nano)
{
    pcap_t *p = pcap_open_dead_with_tstamp_precision(
        linktype, SNAPLEN, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!p)
        return -1;
    pcap_dumper_t *d = pcap_dump_open(p, path);
    if (!d) {
        fprintf(stderr, "mtuscope-gen: %s: %s\n", path, pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    for (size_t i = 0; i < t->nf; i++) {
        const struct frame *f = &t->f[i];
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(f->t_ns / NS_PER_SEC);
        /* With nanosecond precision libpcap stores tv_usec as nanoseconds. */
        h.ts.tv_usec =
            (suseconds_t)(nano ? f->t_ns % NS_PER_SEC : f->t_ns % NS_PER_SEC / NS_PER_US);
        h.caplen = f->caplen;
        h.len = f->wirelen;
        pcap_dump((u_char *)d, &h, t->arena + f->off);
    }
    int err = pcap_dump_flush(d);
    pcap_dump_close(d);
    pcap_close(p);
    return err;
}

/* Cuts the file in the middle of its last record's packet bytes, like a
 * capture whose writer was killed or a disk that filled up.  libpcap reports
 * "truncated dump file" there; every earlier record stays readable. */
int truncate_last_record(const char *path, const struct trace *t)
{
    FILE *fp = fopen(path, "rb");
    if (!fp || fseek(fp, 0, SEEK_END) != 0) {
        if (fp)
            fclose(fp);
        return -1;
    }
    long size = ftell(fp);
    fclose(fp);
    if (size < 0 || t->nf == 0)
        return -1;
    long cut = (long)t->f[t->nf - 1].caplen / 2;
    return truncate(path, size - cut);
}

/* ---- pcapng (draft-ietf-opsawg-pcapng) ---- */

#define BT_SHB 0x0A0D0D0AU
#define BT_IDB 0x00000001U
#define BT_EPB 0x00000006U
#define BYTE_ORDER_MAGIC 0x1A2B3C4DU
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9

struct blk {
    uint8_t b[PKT_SIZE + 256];
    size_t n;
};

static void b_u16(struct blk *k, uint16_t v)
{
    k->b[k->n++] = (uint8_t)v;
    k->b[k->n++] = (uint8_t)(v >> 8);
}

static void b_u32(struct blk *k, uint32_t v)
{
    put_le32(k->b + k->n, v);
    k->n += 4;
}

/* Every block and option value is padded to 32 bits. */
static void b_bytes(struct blk *k, const void *d, size_t n)
{
    if (n) {
        memcpy(k->b + k->n, d, n);
        k->n += n;
    }
    while (k->n % 4)
        k->b[k->n++] = 0;
}

static void b_opt(struct blk *k, uint16_t code, const void *d, size_t n)
{
    b_u16(k, code);
    b_u16(k, (uint16_t)n);
    b_bytes(k, d, n);
}

/* Starts a block: type and a length patched by b_end. */
static void b_begin(struct blk *k, uint32_t type)
{
    k->n = 0;
    b_u32(k, type);
    b_u32(k, 0);
}

static int b_end(struct blk *k, FILE *fp)
{
    uint32_t total = (uint32_t)k->n + 4;
    put_le32(k->b + 4, total);
    b_u32(k, total);
    return fwrite(k->b, 1, k->n, fp) == k->n ? 0 : -1;
}

int write_pcapng(const char *path, const struct trace *t, const struct ng_if *ifs, size_t nifs)
{
    static const char appl[] = "mtuscope-gen "
                               "0.1.0";
    static struct blk k; /* one block at a time; keeps 4 KB off the stack */
    FILE *fp = fopen(path, "wb");
    int err = 0;

    if (!fp)
        return -1;
    b_begin(&k, BT_SHB);
    b_u32(&k, BYTE_ORDER_MAGIC);
    b_u16(&k, 1);           /* major */
    b_u16(&k, 0);           /* minor */
    b_u32(&k, 0xFFFFFFFFU); /* section length: not given (-1) */
    b_u32(&k, 0xFFFFFFFFU);
    b_opt(&k, OPT_SHB_USERAPPL, appl, sizeof appl - 1);
    b_opt(&k, OPT_ENDOFOPT, NULL, 0);
    err |= b_end(&k, fp);

    for (size_t i = 0; i < nifs; i++) {
        b_begin(&k, BT_IDB);
        b_u16(&k, ifs[i].linktype);
        b_u16(&k, 0);
        b_u32(&k, SNAPLEN);
        b_opt(&k, OPT_IF_NAME, ifs[i].name, strlen(ifs[i].name));
        b_opt(&k, OPT_IF_TSRESOL, &ifs[i].tsresol, 1);
        b_opt(&k, OPT_ENDOFOPT, NULL, 0);
        err |= b_end(&k, fp);
    }

    for (size_t i = 0; i < t->nf; i++) {
        const struct frame *f = &t->f[i];
        /* if_tsresol 6 or 9: a power of ten below the nanosecond. */
        uint64_t units = f->t_ns;
        for (unsigned r = ifs[f->ifidx].tsresol; r < 9; r++)
            units /= 10;
        b_begin(&k, BT_EPB);
        b_u32(&k, f->ifidx);
        b_u32(&k, (uint32_t)(units >> 32));
        b_u32(&k, (uint32_t)units);
        b_u32(&k, f->caplen);
        b_u32(&k, f->wirelen);
        b_bytes(&k, t->arena + f->off, f->caplen);
        err |= b_end(&k, fp);
    }
    if (fclose(fp) != 0)
        err = -1;
    return err;
}
