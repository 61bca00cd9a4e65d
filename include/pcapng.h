/*
 * pcapng.h - a minimal pcapng reader for the files libpcap refuses.
 *
 * libpcap (1.10) reads pcapng only when every interface has the same link
 * type and snap length: a capture from `dumpcap -i eth0 -i wg0`, or one where
 * Wireshark merged an outer and a tunnel view, stops at the second interface
 * with "an interface has a type N different from the type of the first".
 * Those are exactly the captures an MTU diagnosis wants, so capture.c falls
 * back to this reader for them.  It understands the section header,
 * interface description (link type, snap length, if_tsresol, if_tsoffset),
 * enhanced, simple and obsolete packet blocks, and skips every other block.
 * Every length is checked against the block and a 16 MiB block cap, as
 * libpcap does.
 */
#ifndef MTUSCOPE_PCAPNG_H
#define MTUSCOPE_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

#include "capscan.h"

#define PCAPNG_ERRLEN 256

struct pcapng;

struct pcapng_packet {
    const uint8_t *data; /* valid until the next pcapng_next() */
    int64_t ts_sec;
    uint32_t ts_nsec;
    uint32_t caplen, wirelen;
    int linktype; /* LINKTYPE_* value from the interface description */
};

/* Takes a seekable stream positioned at the start of the file (the reader
 * does not close it).  NULL with a message when it is not pcapng. */
struct pcapng *pcapng_open(FILE *fp, char err[PCAPNG_ERRLEN]);
void pcapng_close(struct pcapng *r);

/* 1: a packet; 0: end of file; -1: error (message in err). */
int pcapng_next(struct pcapng *r, struct pcapng_packet *pkt, char err[PCAPNG_ERRLEN]);

/* The scan of a pcapng stream positioned at its start (capscan.h): link
 * types, snap lengths, the first interface's name, packet times, and the
 * Interface Statistics Blocks. */
void pcapng_scan(FILE *fp, struct capscan *out);

#endif
