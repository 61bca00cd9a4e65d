/*
 * capscan.c - the pass over a capture file before its analysis (capscan.h).
 *
 * Classic pcap (the tcpdump format): a 24-byte file header, then records of a
 * 16-byte header (seconds, fraction, captured length, wire length) and the
 * captured bytes, which are skipped.  pcapng is scanned by pcapng.c, which
 * knows its blocks.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capscan.h"
#include "capture.h"
#include "pcapdirect.h"
#include "pcapng.h"

#define PCAPNG_SHB 0x0a0d0d0au
#define SCAN_BLOCK (1u << 20) /* holds the largest record several times */

int64_t capscan_ns(int64_t sec, uint64_t nsec)
{
    if (nsec >= 1000000000u) {
        if (sec <= CAPTURE_MAX_TS_SEC)
            sec += (int64_t)(nsec / 1000000000u);
        nsec %= 1000000000u;
    }
    if (sec < 0)
        return 0;
    if (sec > CAPTURE_MAX_TS_SEC)
        return CAPTURE_MAX_TS_SEC * 1000000000ll;
    return sec * 1000000000ll + (int64_t)nsec;
}

static uint32_t get32(const uint8_t *p, bool swap)
{
    return swap
               ? (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24
               : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void scan_pcap(FILE *fp, const uint8_t hdr[PCAP_FILE_HDR], bool records, struct capscan *out)
{
    uint32_t m = get32(hdr, false);
    bool swap = m != PCAP_MAGIC_USEC && m != PCAP_MAGIC_NSEC;
    bool nano = get32(hdr, swap) == PCAP_MAGIC_NSEC;
    out->scanned = true;
    out->snaplen = get32(hdr + 16, swap);
    out->linktype = (int)(get32(hdr + 20, swap) & 0xffff); /* the upper bits: FCS length */
    out->ninterfaces = 1;
    if (!records)
        return;
    /* Records are walked in a block read with one fread(): a request larger
     * than stdio's buffer goes straight into ours, so the kernel's copy is
     * the only one (reading each record through stdio's 4 KiB buffer copied
     * every byte twice; a seek per record costs a system call each: 220000
     * records, 35 MB, 0.24 s of system time).  The block always holds a
     * whole record when the file has one: it is refilled while less than
     * the largest record is left. */
    size_t size = SCAN_BLOCK, have = 0, pos = 0;
    uint8_t *b = malloc(size);
    if (!b) {
        out->scanned = false;
        snprintf(out->why, sizeof out->why, "out of memory");
        return;
    }
    bool eof = false;
    for (;;) {
        if (have - pos < PCAP_DIRECT_HDR + PCAP_DIRECT_MAXCAP && !eof) {
            memmove(b, b + pos, have - pos);
            have -= pos;
            pos = 0;
            size_t n = fread(b + have, 1, size - have, fp);
            eof = n < size - have;
            have += n;
        }
        size_t left = have - pos;
        if (left == 0)
            break;
        if (left < PCAP_DIRECT_HDR) {
            out->broken = true;
            snprintf(out->why, sizeof out->why, "the file ends inside a record header");
            break;
        }
        const uint8_t *rec = b + pos;
        uint32_t sec = get32(rec, swap), frac = get32(rec + 4, swap);
        uint32_t caplen = get32(rec + 8, swap);
        /* libpcap refuses records over 256 KiB (its MAXIMUM_SNAPLEN) for
         * most link types: a bigger one is a broken file, and the analysis
         * will say so */
        if (caplen > PCAP_DIRECT_MAXCAP) {
            out->broken = true;
            snprintf(out->why, sizeof out->why, "record %llu claims %u bytes",
                     (unsigned long long)out->records + 1, caplen);
            break;
        }
        if (left < PCAP_DIRECT_HDR + (size_t)caplen) { /* only at the end of the file: see above */
            out->broken = true;
            snprintf(out->why, sizeof out->why, "the file ends inside record %llu",
                     (unsigned long long)out->records + 1);
            break;
        }
        pos += PCAP_DIRECT_HDR + (size_t)caplen;
        out->records++;
        int64_t ns = capscan_ns(sec, nano ? frac : (uint64_t)frac * 1000u);
        if (!out->has_time || ns < out->first_ns)
            out->first_ns = ns;
        if (!out->has_time || ns > out->last_ns)
            out->last_ns = ns;
        out->has_time = true;
    }
    free(b);
}

void capscan_stream(FILE *fp, bool records, struct capscan *out)
{
    memset(out, 0, sizeof *out);
    uint8_t hdr[PCAP_FILE_HDR];
    if (fread(hdr, 1, sizeof hdr, fp) != sizeof hdr) {
        snprintf(out->why, sizeof out->why, "shorter than a capture file header");
        return;
    }
    uint32_t m = get32(hdr, false);
    if (m == PCAP_MAGIC_USEC || m == PCAP_MAGIC_NSEC || get32(hdr, true) == PCAP_MAGIC_USEC ||
        get32(hdr, true) == PCAP_MAGIC_NSEC) {
        scan_pcap(fp, hdr, records, out);
    } else if (m == PCAPNG_SHB && fseeko(fp, 0, SEEK_SET) == 0) {
        pcapng_scan(fp, out);
    } else {
        snprintf(out->why, sizeof out->why, "not a pcap or pcapng capture");
    }
}

/* zlib behind a FILE, for the compressed files (capture.c reads them so too) */
static ssize_t gz_read(void *c, char *buf, size_t n)
{
    int got = gzread(c, buf, n > (1u << 30) ? (1u << 30) : (unsigned)n);
    return got < 0 ? -1 : got;
}

static int gz_seek(void *c, off64_t *pos, int whence)
{
    if (whence == SEEK_END)
        return -1;
    z_off_t r = gzseek(c, (z_off_t)*pos, whence);
    if (r < 0)
        return -1;
    *pos = r;
    return 0;
}

static int gz_close(void *c)
{
    return gzclose_r(c) == Z_OK ? 0 : EOF;
}

void capscan_file(const char *path, bool records, struct capscan *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0) {
        snprintf(out->why, sizeof out->why, "standard input cannot be read twice");
        return;
    }
    /* stat() before open(): opening a FIFO would block, or take the data
     * its writer meant for the analysis */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(out->why, sizeof out->why, "not a regular file: it cannot be read twice");
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(out->why, sizeof out->why, "%s",
                 fd < 0 ? strerror(errno) : "not a regular file: it cannot be read twice");
        if (fd >= 0)
            close(fd);
        return;
    }
    unsigned char magic[2];
    FILE *fp;
    if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        static const cookie_io_functions_t io = {gz_read, NULL, gz_seek, gz_close};
        gzFile gz = gzdopen(fd, "rb");
        fp = gz ? fopencookie(gz, "rb", io) : NULL;
        if (gz && !fp)
            gzclose_r(gz);
        if (!gz)
            close(fd);
    } else {
        fp = fdopen(fd, "rb");
        if (!fp)
            close(fd);
    }
    if (!fp) {
        snprintf(out->why, sizeof out->why, "out of memory");
        return;
    }
    capscan_stream(fp, records, out);
    fclose(fp);
}
