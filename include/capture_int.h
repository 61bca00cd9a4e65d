/*
 * capture_int.h - the capture's state, shared by capture.c (opening files,
 * libpcap, gzip, pcapng) and capture_direct.c (classic pcap read with
 * pread() and parsed in place, and the batches of the reader thread).
 * Not for other modules: capture.h is the interface.
 */
#ifndef MTUSCOPE_CAPTURE_INT_H
#define MTUSCOPE_CAPTURE_INT_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "capture.h"
#include "pcapdirect.h"
#include "pcapng.h"

#define MAX_FILTERS 8 /* link types one pcapng file may mix, each with its filter */

struct capture {
    pcap_t *pcap;
    FILE *fp;  /* owned by pcap once pcap_fopen_offline succeeded */
    gzFile gz; /* behind fp when it reads through zlib (closed with fp), else NULL */
    const char *path;
    bool stream; /* opened by capture_open_stream: no path to reopen */
    struct bpf_program prog;
    bool filtered;
    uint64_t frames;
    uint64_t bytes;
    /* the fallback for pcapng files that mix link types (see pcapng.h) */
    struct pcapng *ng;
    FILE *ngfp;
    gzFile nggz; /* behind ngfp, as gz is behind fp */
    char *filter_expr;
    struct {
        int linktype;
        struct bpf_program prog;
    } ngfilters[MAX_FILTERS];
    int nngfilters;
    /* a rotated capture read as one stream (inputs.h): the files after this
     * one, and the frames and bytes of the files before it */
    const char *const *next;
    int nnext;
    uint64_t frames_before, bytes_before;

    /* what libpcap says of cap->pcap, asked once when it is opened: neither
     * changes within a file (libpcap refuses a pcapng file whose interfaces
     * differ in link type; those are read by pcapng.c), and asking costs two
     * library calls on every frame */
    bool pcap_v1; /* pcap_major_version() == 1: a pcapng file */
    int linktype; /* pcap_datalink() */

    /* Classic pcap records read with pread() and parsed where they land
     * (pcapdirect.h), while `direct`; libpcap reads from pd.off on once a
     * record is handed back to it.  `start` is where the capture begins in
     * a plain regular file, else -1. */
    int64_t start;
    bool direct;
    struct pcap_direct pd;
    uint8_t *blk; /* capture_next()'s block: the records from blk + blkpos to blk + blklen */
    size_t blkcap, blkpos, blklen;
    /* capture_next_batch() read with capture_next(): a frame (or the end)
     * that did not fit the last batch */
    bool held;
    enum capture_status held_status;
    struct capture_frame held_frame;
    uint64_t held_bytes;
    char held_err[CAPTURE_ERRLEN];
};

/* capture.c */
/* The next frame of the current file (not the next file's). */
enum capture_status capture_file_next(struct capture *cap, struct capture_frame *f,
                                      char err[CAPTURE_ERRLEN]);
/* The current file ended: the next one of a rotated capture takes its place;
 * CAPTURE_EOF after the last one. */
enum capture_status capture_next_file(struct capture *cap, char err[CAPTURE_ERRLEN]);
/* A pcap record's time as libpcap gives it (tv_usec: nanoseconds). */
void capture_record_time(const struct capture *cap, struct capture_frame *f, int64_t tv_sec,
                         int64_t tv_usec);

/* capture_direct.c */
/* capture_next() of a file read directly (cap->direct): CAPTURE_OK with
 * f, CAPTURE_EOF, CAPTURE_ERROR; -1 when it handed the file over to
 * libpcap, which reads the next frame. */
int capture_direct_next(struct capture *cap, struct capture_frame *f, char err[CAPTURE_ERRLEN]);

#endif
