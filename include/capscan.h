/*
 * capscan.h - a cheap pass over a capture file before it is analysed.
 *
 * Reads what the analysis itself cannot tell, or needs before it starts:
 * the file's link type, snap length and interface name, its first and last
 * timestamps (to decide whether several files are one rotated capture:
 * inputs.h), and, in pcapng, the Interface Statistics Blocks (ISB, block
 * type 5), which libpcap does not expose: when the capture ended and what it
 * dropped.  Only record and block headers are looked at (pcapng skips packet
 * bytes with a seek, pcap records are walked in large blocks); every length is checked, and a
 * malformed statistics block is counted and described, never trusted.  Regular files only: a pipe
 * or standard input cannot be read twice, so it is not scanned (`why` says so).
 */
#ifndef MTUSCOPE_CAPSCAN_H
#define MTUSCOPE_CAPSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CAPSCAN_IFNAME 64
#define CAPSCAN_WHYLEN 160

struct capscan {
    bool scanned;             /* false: nothing below is known; why says so */
    char why[CAPSCAN_WHYLEN]; /* not scanned, or where the scan stopped */
    bool pcapng;
    int linktype;                /* LINKTYPE_* of the first interface */
    uint32_t snaplen;            /* of the first interface */
    bool mixed;                  /* pcapng: interfaces with other link types or snap lengths */
    int ninterfaces;             /* pcapng: interface description blocks (1 for pcap) */
    char ifname[CAPSCAN_IFNAME]; /* pcapng if_name of the first interface; "" unknown */
    uint64_t records;            /* packet records */
    bool has_time;               /* first_ns and last_ns hold the earliest and latest */
    int64_t first_ns, last_ns;   /* packet timestamps, clamped as capture.h clamps them */
    bool broken;                 /* the scan stopped at a broken record: the rest is unknown */

    /* pcapng Interface Statistics Blocks: the last block of each interface
     * (their counters run from the capture's start), summed over interfaces */
    uint32_t isbs; /* statistics blocks read, malformed ones included */
    bool has_end;  /* isb_endtime: when the capture ended, the latest */
    int64_t end_ns;
    /* the same field read in microseconds, when the interface's resolution
     * is another: dumpcap (Wireshark 4.0) writes its statistics blocks' times
     * in microseconds whatever if_tsresol says (seen: if_tsresol 9) */
    bool has_end_us;
    int64_t end_us_ns;
    bool has_ifrecv, has_ifdrop, has_osdrop;
    uint64_t ifrecv;        /* isb_ifrecv: packets the interface received */
    uint64_t ifdrop;        /* isb_ifdrop: dropped by the interface (its buffers) */
    uint64_t osdrop;        /* isb_osdrop: dropped by the OS (the capture buffer was full) */
    uint32_t isb_malformed; /* statistics blocks that could not be read */
    char isb_error[CAPSCAN_WHYLEN]; /* what was wrong with the first of them */
};

/* Scans `path` into *out (zeroed first).  A file that is not regular, not a
 * capture, or unreadable leaves out->scanned false with out->why set; the
 * analysis reports such a file itself.  gzip-compressed files are scanned
 * through zlib (decompressed: as costly as a read).
 *
 * `records` false: a classic pcap file's records are not walked (records,
 * has_time, first_ns, last_ns and broken stay 0).  They say only whether
 * several files are one rotated capture (inputs.h); a single input needs
 * its header alone, and walking 1.5 GB of records costs as much as reading
 * it (the analysis learns the same times from its own pass).  A pcapng file
 * is scanned in full either way: its statistics blocks may be anywhere. */
void capscan_file(const char *path, bool records, struct capscan *out);

/* The same for an open, seekable stream at the start of the file (tests). */
void capscan_stream(FILE *fp, bool records, struct capscan *out);

/* Nanoseconds since the epoch from a capture's seconds and fraction,
 * clamped to [0, CAPTURE_MAX_TS_SEC] as capture.c clamps frame times. */
int64_t capscan_ns(int64_t sec, uint64_t nsec);

#endif
