/*
 * capture.c - libpcap's offline reader, with frame numbers and file-naming errors.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"

struct capture {
    pcap_t *pcap;
    FILE *fp; /* owned by pcap once pcap_fopen_offline succeeded */
    const char *path;
    struct bpf_program prog;
    bool filtered;
    uint64_t frames;
    uint64_t bytes;
};

/* Reads the magic number so the report can say pcap or pcapng.  libpcap knows
 * but does not tell; its version numbers do: pcapng files report 1.0. */
const char *capture_format(const struct capture *cap)
{
    return pcap_major_version(cap->pcap) == 1 ? "pcapng" : "pcap";
}

struct capture *capture_open(const char *path, char err[CAPTURE_ERRLEN])
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    struct capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        snprintf(err, CAPTURE_ERRLEN, "%s: out of memory", path);
        return NULL;
    }
    cap->path = path;

    if (strcmp(path, "-") == 0) {
        cap->fp = stdin;
    } else {
        /* Checked here because libpcap's message for a directory ("error
         * reading dump file: Is a directory") does not say what to do. */
        struct stat st;
        if (stat(path, &st) != 0) {
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path, strerror(errno));
            free(cap);
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, CAPTURE_ERRLEN, "%s: is a directory, not a capture file", path);
            free(cap);
            return NULL;
        }
        cap->fp = fopen(path, "rb");
        if (!cap->fp) {
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path, strerror(errno));
            free(cap);
            return NULL;
        }
    }

    /* Nanosecond precision for every file: libpcap scales microsecond files,
     * so later stages see one time unit whatever the input. */
    cap->pcap = pcap_fopen_offline_with_tstamp_precision(cap->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!cap->pcap) {
        if (cap->fp != stdin)
            fclose(cap->fp);
        /* libpcap says "unknown file format" for anything that is not a
         * capture, including an empty file; name the file and the formats. */
        if (strstr(perr, "unknown file format") || strstr(perr, "truncated dump file") ||
            perr[0] == '\0')
            snprintf(err, CAPTURE_ERRLEN, "%s: not a pcap or pcapng capture (%s)", path,
                     perr[0] ? perr : "empty file");
        else
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path, perr);
        free(cap);
        return NULL;
    }
    return cap;
}

void capture_close(struct capture *cap)
{
    if (!cap)
        return;
    if (cap->filtered)
        pcap_freecode(&cap->prog);
    pcap_close(cap->pcap); /* also closes the FILE, stdin included: it is read once */
    free(cap);
}

bool capture_set_filter(struct capture *cap, const char *expr, char err[CAPTURE_ERRLEN])
{
    if (!expr || !*expr)
        return true;
    if (pcap_compile(cap->pcap, &cap->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, CAPTURE_ERRLEN, "%s: filter \"%s\": %s", cap->path, expr,
                 pcap_geterr(cap->pcap));
        return false;
    }
    cap->filtered = true;
    return true;
}

enum capture_status capture_next(struct capture *cap, struct capture_frame *f,
                                 char err[CAPTURE_ERRLEN])
{
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(cap->pcap, &h, &data);
        if (rc == PCAP_ERROR_BREAK)
            return CAPTURE_EOF;
        if (rc != 1) {
            snprintf(err, CAPTURE_ERRLEN, "%s: frame %llu: %s", cap->path,
                     (unsigned long long)cap->frames + 1, pcap_geterr(cap->pcap));
            return CAPTURE_ERROR;
        }
        cap->frames++;
        cap->bytes += h->caplen + 16;
        if (cap->filtered && !pcap_offline_filter(&cap->prog, h, data))
            continue;
        f->data = data;
        f->number = cap->frames;
        f->ts_sec = (int64_t)h->ts.tv_sec;
        /* with nanosecond precision libpcap stores nanoseconds in tv_usec */
        f->ts_nsec = (uint32_t)h->ts.tv_usec;
        f->caplen = h->caplen;
        f->wirelen = h->len < h->caplen ? h->caplen : h->len;
        return CAPTURE_OK;
    }
}

int capture_linktype(const struct capture *cap)
{
    return pcap_datalink(cap->pcap);
}

const char *capture_linktype_name(int linktype)
{
    const char *n = pcap_datalink_val_to_name(linktype);
    return n ? n : "UNKNOWN";
}

const char *capture_path(const struct capture *cap)
{
    return cap->path;
}
uint32_t capture_snaplen(const struct capture *cap)
{
    return (uint32_t)pcap_snapshot(cap->pcap);
}
uint64_t capture_frames_read(const struct capture *cap)
{
    return cap->frames;
}
uint64_t capture_bytes_read(const struct capture *cap)
{
    return cap->bytes;
}
const char *capture_lib_version(void)
{
    return pcap_lib_version();
}
