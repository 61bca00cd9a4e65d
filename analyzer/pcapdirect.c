/*
 * pcapdirect.c - classic pcap records parsed where pread() put them (pcapdirect.h).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>
#include <unistd.h>

#include "pcapdirect.h"

static uint32_t word(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/* Link types whose records libpcap hands on as they are in the file: it
 * rewrites Linux USB and NFLOG pseudo-headers (and, in a file of the other
 * byte order, Linux cooked headers), so those stay with it. */
static bool passed_unchanged(int dlt, bool swapped)
{
    switch (dlt) {
    case DLT_NULL:
    case DLT_EN10MB:
    case DLT_PPP:
    case DLT_RAW:
    case DLT_PPP_SERIAL:
    case DLT_C_HDLC:
    case DLT_LOOP:
    case DLT_IPV4:
    case DLT_IPV6:
        return true;
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
        return !swapped;
    default:
        return false;
    }
}

bool pcap_direct_setup(struct pcap_direct *d, int fd, uint64_t start, int dlt, int snapshot)
{
    uint8_t h[PCAP_FILE_HDR];
    if (fd < 0 || snapshot <= 0 || pread(fd, h, sizeof h, (off_t)start) != (ssize_t)sizeof h)
        return false;
    uint32_t magic;
    memcpy(&magic, h, 4);
    bool swapped =
        magic == __builtin_bswap32(PCAP_MAGIC_USEC) || magic == __builtin_bswap32(PCAP_MAGIC_NSEC);
    uint32_t m = swapped ? __builtin_bswap32(magic) : magic;
    if (m != PCAP_MAGIC_USEC && m != PCAP_MAGIC_NSEC)
        return false; /* pcapng, or a modified pcap format with longer record headers */
    uint16_t major, minor;
    memcpy(&major, h + 4, 2);
    memcpy(&minor, h + 6, 2);
    if (swapped) {
        major = __builtin_bswap16(major);
        minor = __builtin_bswap16(minor);
    }
    /* libpcap swaps the two lengths of version 2.2 files, and of 2.3 files
     * where caplen > len; anything but 2.4 and later stays with it */
    if (major != 2 || minor < 4 || !passed_unchanged(dlt, swapped))
        return false;
    d->fd = fd;
    d->off = start + sizeof h;
    d->swapped = swapped;
    d->usec = m == PCAP_MAGIC_USEC;
    d->maxcap = (uint32_t)snapshot < PCAP_DIRECT_MAXCAP ? (uint32_t)snapshot : PCAP_DIRECT_MAXCAP;
    return true;
}

enum pcap_direct_parse pcap_direct_parse(const struct pcap_direct *d, const uint8_t *p,
                                         size_t avail, struct pcap_direct_rec *r)
{
    if (avail < PCAP_DIRECT_HDR) {
        r->size = PCAP_DIRECT_HDR;
        return PCAP_DIRECT_SHORT;
    }
    r->caplen = word(p + 8, d->swapped);
    r->len = word(p + 12, d->swapped);
    /* libpcap cuts a record longer than the snap length to it, and refuses
     * one longer than the largest it accepts: its own reading does both */
    if (r->caplen > d->maxcap)
        return PCAP_DIRECT_ODD;
    r->size = PCAP_DIRECT_HDR + (size_t)r->caplen;
    if (avail < r->size)
        return PCAP_DIRECT_SHORT;
    /* the time fields are signed 32-bit words in libpcap's record header,
     * widened to time_t and suseconds_t, then microseconds times 1000; in a
     * file of the other byte order libpcap's SWAPLONG() makes them unsigned
     * first, so there they widen without their sign (a fraction of 2^31 or
     * more comes out positive, not negative: found by rewriting the samples
     * big-endian and comparing with libpcap's reading) */
    uint32_t sec = word(p, d->swapped), frac = word(p + 4, d->swapped);
    r->tv_sec = d->swapped ? (int64_t)sec : (int64_t)(int32_t)sec;
    r->tv_nsec = d->swapped ? (int64_t)frac : (int64_t)(int32_t)frac;
    if (d->usec)
        r->tv_nsec *= 1000;
    return PCAP_DIRECT_REC;
}

ssize_t pcap_direct_read(const struct pcap_direct *d, uint8_t *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(d->fd, buf + got, size - got, (off_t)(d->off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return got ? (ssize_t)got : -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}
