/*
 * inputs.h - which capture files are one capture.
 *
 * tcpdump -C/-G/-W, dumpcap -b and Wireshark's ring buffers write one
 * interface's capture as many consecutive files.  Given as consecutive -r
 * (or listed in a -V file), they are one vantage point: read as one stream,
 * so that a flow crossing a file boundary is one flow, and its frames are
 * numbered on across the files (as `mergecap -a` would number them; the
 * report also names each frame's file and its number there).  Decided before
 * the analysis, from the files' headers and first and last timestamps
 * (capscan.h): a file continues the one before it when both were scanned
 * whole, they share the link type, the snap length and (pcapng) the
 * interface name, and its first packet is not earlier than the other's last.
 * Two captures taken at the same time (two vantage points, or the outer and
 * the tunnel interface of one host) overlap in time and stay separate.
 */
#ifndef MTUSCOPE_INPUTS_H
#define MTUSCOPE_INPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "capscan.h"

#define INPUTS_MAX_FILES 64 /* OPT_MAX_INPUTS */
#define INPUTS_WHYLEN 512

struct input_group {
    int nfiles;
    const char *files[INPUTS_MAX_FILES];    /* in order; the pointers given */
    uint64_t first_frame[INPUTS_MAX_FILES]; /* of each file, numbered across the group */
    char why[INPUTS_WHYLEN]; /* why these files are one capture, or why this one is not part of
                                the input before it; "" for a lone input */
};

struct input_groups {
    struct input_group g[INPUTS_MAX_FILES];
    int n;
};

/* Each file's scan (capscan.h), the records of a classic pcap file walked
 * only when the grouping needs their times: when another of the files
 * could continue it, or it another (inputs_may_continue).  A walk reads the
 * whole file, as costly as the analysis's own read (1.3 GB: 0.22 s), and a
 * file that cannot be part of another's capture (the same file given twice,
 * another link type, snap length or interface: a host's outer and tunnel
 * interfaces) needs only its header.  pcapng files are scanned whole either
 * way (capscan_file).  The walks run side by side (INPUTS_SCAN_THREADS). */
void inputs_scan(const char *const *files, int nfiles, struct capscan *scans);
/* Files walked at once, each by its own thread, at most one a core: the
 * walks are reads of whole files, each the kernel's copy of the page cache. */
#define INPUTS_SCAN_THREADS 4

/* Whether file b could continue file a, their times aside: both scanned,
 * not the same file, the same link type, snap length and (pcapng)
 * interface name.  Symmetric.  `why` says why not. */
bool inputs_may_continue(const char *pa, const struct capscan *a, const char *pb,
                         const struct capscan *b, char *why, size_t size);

/* Rotated files given out of order (a shell glob past file9, a ring
 * buffer's names after it wrapped): each run of consecutive files of one
 * capture point (named by one pattern in one directory, digits aside;
 * scanned whole, with packets, same link type, snap length and interface)
 * whose first timestamps are not in order is sorted by them,
 * files and scans alike, when the sorted files follow each other without
 * overlap (two captures taken at once overlap, and stay as given).
 * moved[i] is set for the files of a run so sorted.  Returns the runs
 * sorted. */
int inputs_sort_rotated(const char **files, struct capscan *scans, int nfiles, bool *moved);

/* Groups nfiles files (scans[i] their scans) in the order given. */
void inputs_group(struct input_groups *gs, const char *const *files, const struct capscan *scans,
                  int nfiles);

/* The group whose first file is `path` (the same pointer), NULL when none. */
const struct input_group *inputs_group_of(const struct input_groups *gs, const char *path);

/* The scan of a group as one capture: the first file's first time, the last
 * one's last, records summed; the statistics of each interface are counted
 * from the capture's start (dumpcap writes them so in every file of a ring
 * buffer), so the largest of each counter and the latest end are kept. */
void inputs_group_scan(const struct capscan *scans, int nfiles, struct capscan *out);

/* Frame `frame` of the group: which file (index) and its number there. */
int inputs_frame_file(const struct input_group *g, uint64_t frame, uint64_t *in_file);

#endif
