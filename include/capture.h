/*
 * capture.h - reading capture files: pcap and pcapng, from a file or stdin.
 *
 * A thin layer over libpcap's offline reader that adds what libpcap leaves to
 * its callers: Wireshark-style frame numbers (counted before any filter), the
 * file format, nanosecond timestamps for every file, a BPF filter applied per
 * frame (so filtered-out frames still count), and an error message that names
 * the file and the frame where reading broke.  pcapng files that mix link
 * types or snap lengths, which libpcap refuses, are read by pcapng.c.
 * gzip-compressed files (found by their magic bytes, whatever their name)
 * and standard input (compressed or not) are read through zlib, behind a
 * FILE made with fopencookie(), by both readers.
 */
#ifndef MTUSCOPE_CAPTURE_H
#define MTUSCOPE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* a message names its file: room for a path of PATH_MAX (4096) and a sentence */
#define CAPTURE_ERRLEN 4608
/* Timestamps are clamped to [0, 2^33 s) (year 2242): nanoseconds since the
 * epoch then fit an int64 with 20 years to spare for deadlines. */
#define CAPTURE_MAX_TS_SEC 8589934591ll

struct capture;

/* One frame as read.  `data` is valid until the next capture_next(). */
struct capture_frame {
    const uint8_t *data;
    uint64_t number;  /* 1-based, counting every record in the file */
    int64_t ts_sec;   /* 0 .. CAPTURE_MAX_TS_SEC */
    uint32_t ts_nsec; /* < 10^9 */
    uint32_t caplen, wirelen;
    int linktype; /* DLT_*: may change from frame to frame in a pcapng file */
};

enum capture_status { CAPTURE_OK, CAPTURE_EOF, CAPTURE_ERROR };

/* Opens `path` ("-" for standard input), plain or gzip-compressed.  On
 * failure returns NULL with a message naming the file in err. */
struct capture *capture_open(const char *path, char err[CAPTURE_ERRLEN]);
/* The same for an open stream (fmemopen, a pipe...), named `name` in
 * messages, read as it is (not through zlib).  The capture owns fp from
 * here on, also on failure.  A pcapng stream that mixes link types is read
 * to the end only when fp can seek. */
struct capture *capture_open_stream(FILE *fp, const char *name, char err[CAPTURE_ERRLEN]);
/* A rotated capture (inputs.h): the n files read one after the other as one
 * stream, frames numbered on across them, the filter compiled again for
 * each; messages name the file being read and its own frame number. */
struct capture *capture_open_files(const char *const *files, int n, char err[CAPTURE_ERRLEN]);
void capture_close(struct capture *cap);

/* Compiles a BPF filter expression for this file's link type.  false with a
 * message in err when it does not compile. */
bool capture_set_filter(struct capture *cap, const char *expr, char err[CAPTURE_ERRLEN]);

/* Reads the next frame that passes the filter.  CAPTURE_ERROR leaves a
 * message naming the file and the frame in err; frames before it were valid. */
enum capture_status capture_next(struct capture *cap, struct capture_frame *f,
                                 char err[CAPTURE_ERRLEN]);

/* Frames read ahead in bulk (reader.h): up to max frames that pass the
 * filter, their data laid out in buf (size bytes) and pointing there, the
 * file bytes read after each in bytes[] (capture_bytes_read() then).  A
 * plain pcap file is read with one pread() straight into buf and parsed
 * where it lands (pcapdirect.h); anything else frame by frame through
 * capture_next(), copied.  Returns CAPTURE_OK with *n >= 1 frames, or with
 * *n == 0 and *need > size when the next frame needs a buffer of *need
 * bytes; the end (CAPTURE_EOF, or CAPTURE_ERROR with its message) only
 * once every frame before it has been given.  Not to be mixed with
 * capture_next() on one capture. */
enum capture_status capture_next_batch(struct capture *cap, uint8_t *buf, size_t size,
                                       struct capture_frame *fr, uint64_t *bytes, int max, int *n,
                                       size_t *need, char err[CAPTURE_ERRLEN]);
/* capture_next()'s block for a plain pcap file (grows for a larger record) */
#define CAPTURE_BLOCK_BYTES (256 * 1024)

int capture_linktype(const struct capture *cap);
const char *capture_linktype_name(int linktype);       /* "EN10MB", "LINUX_SLL", ... */
int capture_linktype_dlt(int linktype);                /* a file's LINKTYPE_* as libpcap's DLT_* */
const char *capture_format(const struct capture *cap); /* "pcap" or "pcapng" */
const char *capture_path(const struct capture *cap);
uint32_t capture_snaplen(const struct capture *cap);
uint64_t capture_frames_read(const struct capture *cap); /* records, filtered or not */
/* true while the file is read with pread() and parsed in place
 * (pcapdirect.h), false once libpcap reads it */
bool capture_reads_direct(const struct capture *cap);
uint64_t capture_bytes_read(const struct capture *cap); /* file bytes consumed (compressed
                                                           ones for gzip), for progress */
const char *capture_lib_version(void);                  /* libpcap's version string */

#endif
