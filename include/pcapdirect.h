/*
 * pcapdirect.h - classic pcap records read straight from the file.
 *
 * libpcap reads a savefile record by record through stdio: the kernel
 * copies the page cache into stdio's 4 KiB buffer, fread() copies each
 * record's header and data into libpcap's packet buffer, and mtuscope's
 * reader thread copied the data once more into its ring.  A classic pcap
 * file is a 24-byte header and then records of a 16-byte header and caplen
 * bytes, so the records can be parsed where one pread() put them: in the
 * ring's batch itself, one copy by the kernel and none after it.
 *
 * libpcap still opens the file (its header checks and messages, the link
 * type, the snap length it settles on) and still reads what only it knows:
 * a record this parser is not sure to read as libpcap would (a captured
 * length above the snap length, which libpcap cuts, or above the largest it
 * accepts; a record cut by the end of the file; a read error) is handed back
 * to libpcap at that record's offset (capture_direct.c), which then reads the rest
 * of the file, so every message and every odd case is libpcap's own.  Only
 * files whose records libpcap passes on unchanged are read here: version 2.4
 * (earlier ones may have the two lengths swapped), the two standard magic
 * numbers in either byte order, and link types libpcap does not rewrite
 * (it fixes up Linux USB and NFLOG headers, and Linux cooked headers of a
 * file in the other byte order).
 */
#ifndef MTUSCOPE_PCAPDIRECT_H
#define MTUSCOPE_PCAPDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* the classic pcap format (pcap-savefile(5)), for this reader and the scan
 * before the analysis (capscan.c) */
#define PCAP_MAGIC_USEC 0xa1b2c3d4u /* microsecond timestamps */
#define PCAP_MAGIC_NSEC 0xa1b23c4du /* nanosecond timestamps */
#define PCAP_FILE_HDR 24            /* the file's header */
#define PCAP_DIRECT_HDR 16          /* a record's header */
#define PCAP_DIRECT_MAXCAP 262144u  /* libpcap's MAXIMUM_SNAPLEN: no record is longer */

struct pcap_direct {
    int fd;
    uint64_t off; /* file offset of the next record */
    bool swapped; /* written in the other byte order */
    bool usec;    /* microsecond timestamps, scaled to nanoseconds as libpcap does */
    uint32_t maxcap;
};

/* One record, its fields as libpcap's struct pcap_pkthdr would hold them
 * when the file is opened with nanosecond precision: the time fields are
 * the file's signed 32-bit words widened, and microseconds times 1000. */
struct pcap_direct_rec {
    int64_t tv_sec;
    int64_t tv_nsec;
    uint32_t caplen, len;
    size_t size; /* header and data: where the next record starts */
};

enum pcap_direct_parse {
    PCAP_DIRECT_REC,   /* a whole record, read as libpcap reads it */
    PCAP_DIRECT_SHORT, /* more bytes needed: r->size says how many in all once the header is in */
    PCAP_DIRECT_ODD,   /* libpcap must read this one (see above) */
};

/* Can the file whose pcap header starts at `start` on fd be read here?
 * `dlt` and `snapshot` are what libpcap said of it (pcap_datalink(),
 * pcap_snapshot()).  Reads the header again with pread() (never moving
 * the descriptor's offset).  On true, d is set up at the first record. */
bool pcap_direct_setup(struct pcap_direct *d, int fd, uint64_t start, int dlt, int snapshot);

/* Parses the record at p (avail bytes there). */
enum pcap_direct_parse pcap_direct_parse(const struct pcap_direct *d, const uint8_t *p,
                                         size_t avail, struct pcap_direct_rec *r);

/* pread() of up to size bytes at d->off into buf (restarted when
 * interrupted): the bytes read, 0 at the end of the file, -1 on an error. */
ssize_t pcap_direct_read(const struct pcap_direct *d, uint8_t *buf, size_t size);

#endif
