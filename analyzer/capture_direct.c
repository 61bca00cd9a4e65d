/*
 * capture_direct.c - classic pcap files read with pread() and parsed where
 * the records land (pcapdirect.h): capture_next()'s block, and the batches
 * of the reader thread (capture_next_batch()), read straight into them.
 */
#define _GNU_SOURCE /* fseeko */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"

/* Counts a record read directly and says whether it passes the filter;
 * fills f when it does. */
static bool direct_frame(struct capture *cap, const uint8_t *rec, const struct pcap_direct_rec *r,
                         struct capture_frame *f)
{
    cap->frames++;
    cap->bytes += r->size;
    cap->pd.off += r->size;
    const uint8_t *data = rec + PCAP_DIRECT_HDR;
    if (cap->filtered) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.caplen = r->caplen;
        h.len = r->len;
        if (!pcap_offline_filter(&cap->prog, &h, data))
            return false;
    }
    f->data = data;
    f->number = cap->frames_before + cap->frames;
    capture_record_time(cap, f, r->tv_sec, r->tv_nsec);
    f->caplen = r->caplen;
    f->wirelen = r->len < r->caplen ? r->caplen : r->len;
    f->linktype = cap->linktype;
    return true;
}

/* libpcap reads on from the record at pd.off (see pcapdirect.h): one this
 * file's direct reading cannot be sure of, the end of a file cut short, a
 * read error.  false with a message when the file cannot be put there. */
static bool hand_over(struct capture *cap, char err[CAPTURE_ERRLEN])
{
    cap->direct = false;
    FILE *fp = pcap_file(cap->pcap);
    if (fp && fseeko(fp, (off_t)cap->pd.off, SEEK_SET) == 0)
        return true;
    snprintf(err, CAPTURE_ERRLEN, "%s: frame %llu: cannot seek back to it: %s", cap->path,
             (unsigned long long)cap->frames_before + cap->frames + 1, strerror(errno));
    return false;
}

enum direct_end { DIRECT_FRAMES, DIRECT_END, DIRECT_HAND_OVER, DIRECT_NEED };

/* Reads records into buf with one pread() at pd.off and gives those that
 * pass the filter (up to max), until one passes: DIRECT_FRAMES with *n >= 1,
 * DIRECT_END at the end of the file (no byte after the last record),
 * DIRECT_NEED when the next record does not fit in size bytes (*need: its
 * size), DIRECT_HAND_OVER for a record libpcap must read.  *valid: the
 * bytes the last pread() put in buf. */
static enum direct_end direct_read(struct capture *cap, uint8_t *buf, size_t size,
                                   struct capture_frame *fr, uint64_t *bytes, int max, int *n,
                                   size_t *need, size_t *valid)
{
    *n = 0;
    for (;;) {
        ssize_t got = pcap_direct_read(&cap->pd, buf, size);
        *valid = got > 0 ? (size_t)got : 0;
        if (got <= 0)
            return got == 0 ? DIRECT_END : DIRECT_HAND_OVER;
        size_t pos = 0;
        for (;;) {
            struct pcap_direct_rec r;
            enum pcap_direct_parse k =
                pcap_direct_parse(&cap->pd, buf + pos, (size_t)got - pos, &r);
            if (k == PCAP_DIRECT_REC) {
                if (direct_frame(cap, buf + pos, &r, &fr[*n])) {
                    if (bytes)
                        bytes[*n] = cap->bytes_before + cap->bytes;
                    if (++*n == max)
                        return DIRECT_FRAMES;
                }
                pos += r.size;
                continue;
            }
            if (*n) /* the rest next time, from pd.off */
                return DIRECT_FRAMES;
            if (k == PCAP_DIRECT_ODD)
                return DIRECT_HAND_OVER;
            if (pos > 0)
                break; /* every record read was filtered out: read from the next one */
            if ((size_t)got < size)
                return DIRECT_HAND_OVER; /* the file ends inside this record */
            *need = r.size;
            return DIRECT_NEED;
        }
    }
}

/* capture_next() of a file read directly, through its own block (capture_int.h). */
int capture_direct_next(struct capture *cap, struct capture_frame *f, char err[CAPTURE_ERRLEN])
{
    for (;;) {
        while (cap->blkpos < cap->blklen) {
            struct pcap_direct_rec r;
            enum pcap_direct_parse k =
                pcap_direct_parse(&cap->pd, cap->blk + cap->blkpos, cap->blklen - cap->blkpos, &r);
            if (k != PCAP_DIRECT_REC)
                break;
            const uint8_t *rec = cap->blk + cap->blkpos;
            cap->blkpos += r.size;
            if (direct_frame(cap, rec, &r, f))
                return CAPTURE_OK;
        }
        if (!cap->blk) {
            cap->blkcap = CAPTURE_BLOCK_BYTES;
            if (!(cap->blk = malloc(cap->blkcap))) {
                snprintf(err, CAPTURE_ERRLEN, "%s: out of memory", cap->path);
                return CAPTURE_ERROR;
            }
        }
        int n;
        size_t need = 0, valid;
        enum direct_end e = direct_read(cap, cap->blk, cap->blkcap, f, NULL, 1, &n, &need, &valid);
        cap->blkpos = cap->blklen = 0;
        if (e == DIRECT_FRAMES) {
            /* one frame, f; the records after it are parsed from the block
             * (pd.off is the offset of the first of them) */
            cap->blkpos = (size_t)(f->data - cap->blk) + f->caplen;
            cap->blklen = valid;
            return CAPTURE_OK;
        }
        if (e == DIRECT_END)
            return CAPTURE_EOF;
        if (e == DIRECT_NEED) {
            uint8_t *b = realloc(cap->blk, need);
            if (!b) {
                snprintf(err, CAPTURE_ERRLEN, "%s: frame %llu: out of memory", cap->path,
                         (unsigned long long)cap->frames_before + cap->frames + 1);
                return CAPTURE_ERROR;
            }
            cap->blk = b;
            cap->blkcap = need;
            continue;
        }
        return hand_over(cap, err) ? -1 : CAPTURE_ERROR;
    }
}

/* capture_next_batch()'s frame-by-frame way (not a plain pcap file, or
 * handed over to libpcap): one frame through file_next(), copied into the
 * batch; a frame that does not fit waits in cap->held for the next batch,
 * as does the end after frames. */
static enum capture_status batch_by_frame(struct capture *cap, uint8_t *buf, size_t size,
                                          size_t *used, struct capture_frame *fr, uint64_t *bytes,
                                          int *n, size_t *need, char err[CAPTURE_ERRLEN])
{
    if (!cap->held) {
        cap->held_err[0] = '\0';
        cap->held_status = capture_file_next(cap, &cap->held_frame, cap->held_err);
        cap->held_bytes = capture_bytes_read(cap);
        cap->held = true;
    }
    if (cap->held_status != CAPTURE_OK) {
        if (*n) /* the end after the frames given: the next batch */
            return CAPTURE_OK;
        cap->held = false;
        memcpy(err, cap->held_err, CAPTURE_ERRLEN);
        return cap->held_status;
    }
    const struct capture_frame *h = &cap->held_frame;
    if (*used + h->caplen > size) {
        if (*n == 0)
            *need = h->caplen;
        return CAPTURE_OK;
    }
    fr[*n] = *h;
    memcpy(buf + *used, h->data, h->caplen);
    fr[*n].data = buf + *used;
    bytes[*n] = cap->held_bytes;
    *used += h->caplen;
    ++*n;
    cap->held = false;
    return CAPTURE_OK;
}

enum capture_status capture_next_batch(struct capture *cap, uint8_t *buf, size_t size,
                                       struct capture_frame *fr, uint64_t *bytes, int max, int *n,
                                       size_t *need, char err[CAPTURE_ERRLEN])
{
    *n = 0;
    *need = 0;
    size_t used = 0;
    for (;;) {
        if (cap->direct && !cap->held) {
            size_t valid;
            switch (direct_read(cap, buf, size, fr, bytes, max, n, need, &valid)) {
            case DIRECT_FRAMES:
            case DIRECT_NEED:
                return CAPTURE_OK;
            case DIRECT_END: {
                enum capture_status st = capture_next_file(cap, err);
                if (st != CAPTURE_OK)
                    return st;
                continue;
            }
            case DIRECT_HAND_OVER:
                if (!hand_over(cap, err))
                    return CAPTURE_ERROR;
                continue;
            }
        }
        enum capture_status st = batch_by_frame(cap, buf, size, &used, fr, bytes, n, need, err);
        if (st == CAPTURE_EOF) {
            if ((st = capture_next_file(cap, err)) != CAPTURE_OK)
                return st;
            continue;
        }
        if (st != CAPTURE_OK || *n == max || cap->held || *need)
            return st;
    }
}

bool capture_reads_direct(const struct capture *cap)
{
    return cap->direct;
}
