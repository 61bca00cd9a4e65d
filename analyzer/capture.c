/*
 * capture.c - libpcap's offline reader, with frame numbers and file-naming errors.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture_int.h"

/* struct capture: capture_int.h */

/* Reads the magic number so the report can say pcap or pcapng.  libpcap knows
 * but does not tell; its version numbers do: pcapng files report 1.0. */
const char *capture_format(const struct capture *cap)
{
    return pcap_major_version(cap->pcap) == 1 ? "pcapng" : "pcap";
}

static bool open_pcap(struct capture *cap, char err[CAPTURE_ERRLEN]);

/* gzip-compressed captures (x.pcap.gz, as tshark reads them) go through
 * zlib behind a FILE made by fopencookie(), so libpcap and pcapng.c read
 * them as they read any file.  zlib's gzread() also passes data that is not
 * gzip through unchanged, which is how a pipe, whose first bytes cannot be
 * peeked and put back, is read. */
static ssize_t gz_cookie_read(void *c, char *buf, size_t n)
{
    int got = gzread(c, buf, n > INT_MAX ? INT_MAX : (unsigned)n);
    int zerr = Z_OK;
    gzerror(c, &zerr);
    /* a stream cut short reads as an end of file with Z_BUF_ERROR set:
     * make it an error, so the reader does not take it for a clean end */
    if (got < 0 || (got == 0 && zerr != Z_OK)) {
        errno = EIO;
        return -1;
    }
    return got;
}

static int gz_cookie_seek(void *c, off64_t *pos, int whence)
{
    if (whence == SEEK_END) { /* gzseek cannot: the length is unknown until read */
        errno = EINVAL;
        return -1;
    }
    z_off_t r = gzseek(c, (z_off_t)*pos, whence);
    if (r < 0) {
        errno = EINVAL;
        return -1;
    }
    *pos = r;
    return 0;
}

static int gz_cookie_close(void *c)
{
    return gzclose_r(c) == Z_OK ? 0 : EOF;
}

/* A FILE reading descriptor fd through zlib (which owns fd from here on,
 * also on failure); the gzFile behind it in *gz.  NULL when out of memory. */
static FILE *gz_fdopen(int fd, gzFile *gz)
{
    static const cookie_io_functions_t io = {gz_cookie_read, NULL, gz_cookie_seek, gz_cookie_close};
    *gz = gzdopen(fd, "rb");
    if (!*gz) {
        close(fd);
        return NULL;
    }
    gzbuffer(*gz, 1u << 17);
    FILE *fp = fopencookie(*gz, "rb", io);
    if (!fp) {
        gzclose_r(*gz);
        *gz = NULL;
        return NULL;
    }
    setvbuf(fp, NULL, _IOFBF, 1u << 16);
    return fp;
}

/* The first two bytes waiting in pipe fd, without taking them from it:
 * tee(2) copies them into a scratch pipe.  false when fd is not a pipe (a
 * socket, a terminal), or ends (or is cut by Ctrl-C) before two bytes. */
static bool pipe_peek2(int fd, unsigned char magic[2])
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return false;
    bool ok = false;
    for (;;) {
        ssize_t n = tee(fd, p[1], 2, 0); /* blocks until data or the writer's end */
        if (n <= 0)
            break;
        if (n == 2) {
            ok = read(p[0], magic, 2) == 2;
            break;
        }
        /* one byte so far: let it go and wait for the second (tee copies
         * from the start of the pipe again: nothing is consumed), unless
         * the writer is gone and no second byte can come */
        char drop;
        struct pollfd w = {.fd = fd, .events = POLLIN};
        if (read(p[0], &drop, 1) != 1 || poll(&w, 1, 0) < 0 || (w.revents & POLLHUP))
            break;
        usleep(1000);
    }
    close(p[0]);
    close(p[1]);
    return ok;
}

static bool is_gzip(const unsigned char magic[2])
{
    return magic[0] == 0x1f && magic[1] == 0x8b;
}

/* fd as it is when it is a regular file that does not start with gzip's
 * magic bytes 1f 8b at its current offset (*start: that offset), or a pipe
 * whose first bytes are not them; else through zlib (gz_fdopen; *start
 * -1).  A plain pipe goes through stdio, which hands libpcap whatever has
 * come: zlib fills its 128 KiB buffer before it gives a byte, so a capture
 * written slowly into a pipe was not read at all until then, and Ctrl-C
 * while it waited reported nothing of what had come.  Takes fd (closed on
 * failure); NULL when out of memory. */
static FILE *plain_or_gz_fdopen(int fd, gzFile *gz, int64_t *start)
{
    *gz = NULL;
    *start = -1;
    struct stat st;
    unsigned char magic[2];
    off_t at = lseek(fd, 0, SEEK_CUR);
    bool regular = at >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    bool plain = regular ? !(pread(fd, magic, 2, at) == 2 && is_gzip(magic))
                         : fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && pipe_peek2(fd, magic) &&
                               !is_gzip(magic);
    if (plain) {
        FILE *fp = fdopen(fd, "rb");
        if (!fp)
            close(fd);
        else if (regular)
            *start = (int64_t)at;
        return fp;
    }
    return gz_fdopen(fd, gz);
}

/* Opens a capture file: as it is, or through zlib when it starts with
 * gzip's magic bytes 1f 8b (whatever its name) or is not a regular file
 * (a named pipe: read as it comes, compressed or not).  *gz is NULL for a
 * plain file.  NULL with errno set on failure. */
static FILE *open_file(const char *path, gzFile *gz, int64_t *start)
{
    *gz = NULL;
    *start = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    FILE *fp = plain_or_gz_fdopen(fd, gz, start);
    if (!fp)
        errno = ENOMEM;
    return fp;
}

/* When zlib stopped on an error (a cut or corrupt gzip stream, a read
 * error), says so in `buf` and returns it; else NULL. */
static const char *gz_why(gzFile gz, char *buf, size_t size)
{
    int zerr = Z_OK;
    const char *m = gz ? gzerror(gz, &zerr) : "";
    if (zerr == Z_OK)
        return NULL;
    const char *p = strstr(m, ": "); /* zlib prefixes "<fd:N>: " */
    m = p ? p + 2 : m;
    if (zerr == Z_BUF_ERROR)
        snprintf(buf, size, "gzip: unexpected end of file (the compressed file is cut short)");
    else if (zerr == Z_DATA_ERROR)
        snprintf(buf, size, "gzip: corrupt compressed data (%s)", m);
    else
        snprintf(buf, size, "gzip: %s", m);
    return buf;
}

struct capture *capture_open(const char *path, char err[CAPTURE_ERRLEN])
{
    struct capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        snprintf(err, CAPTURE_ERRLEN, "%s: out of memory", path);
        return NULL;
    }
    cap->path = path;

    if (strcmp(path, "-") == 0) {
        /* A regular file redirected to standard input (`-r - < F`) is
         * peeked at where it stands, a pipe with tee(2) (plain_or_gz_fdopen):
         * a plain one is read as it is (zlib's pass through, the cookie's
         * buffer and the per-packet gzdirect() cost about 150 instructions
         * a packet); anything else goes through zlib, which passes plain
         * data through. */
        int fd = dup(STDIN_FILENO);
        cap->fp = fd < 0 ? NULL : plain_or_gz_fdopen(fd, &cap->gz, &cap->start);
        if (!cap->fp) {
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path,
                     fd < 0 ? strerror(errno) : "out of memory");
            free(cap);
            return NULL;
        }
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
        cap->fp = open_file(path, &cap->gz, &cap->start);
        if (!cap->fp) {
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path, strerror(errno));
            free(cap);
            return NULL;
        }
    }
    return open_pcap(cap, err) ? cap : NULL;
}

struct capture *capture_open_stream(FILE *fp, const char *name, char err[CAPTURE_ERRLEN])
{
    struct capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        snprintf(err, CAPTURE_ERRLEN, "%s: out of memory", name);
        fclose(fp);
        return NULL;
    }
    cap->path = name;
    cap->fp = fp;
    cap->stream = true;
    cap->start = -1;
    return open_pcap(cap, err) ? cap : NULL;
}

/* Hands cap->fp to libpcap; on failure frees cap (and closes the file,
 * unless it is stdin) with a message naming the file. */
static bool open_pcap(struct capture *cap, char err[CAPTURE_ERRLEN])
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    const char *path = cap->path;

    /* Nanosecond precision for every file: libpcap scales microsecond files,
     * so later stages see one time unit whatever the input. */
    cap->pcap = pcap_fopen_offline_with_tstamp_precision(cap->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!cap->pcap) {
        char zwhy[PCAP_ERRBUF_SIZE];
        const char *why = gz_why(cap->gz, zwhy, sizeof zwhy);
        /* compressed, as opposed to plain data passed through */
        bool gzipped = cap->gz && !gzdirect(cap->gz);
        if (cap->fp != stdin)
            fclose(cap->fp);
        /* libpcap says "unknown file format" for anything that is not a
         * capture, including an empty file; name the file and the formats. */
        if (why)
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path, why);
        else if (strstr(perr, "unknown file format") || strstr(perr, "truncated dump file") ||
                 perr[0] == '\0')
            snprintf(err, CAPTURE_ERRLEN, "%s: not a pcap or pcapng capture%s (%s)", path,
                     gzipped ? " inside the gzip compression" : "", perr[0] ? perr : "empty file");
        else
            snprintf(err, CAPTURE_ERRLEN, "%s: %s", path, perr);
        free(cap);
        return false;
    }
    cap->pcap_v1 = pcap_major_version(cap->pcap) == 1;
    cap->linktype = pcap_datalink(cap->pcap);
    cap->direct = cap->start >= 0 && !cap->pcap_v1 &&
                  pcap_direct_setup(&cap->pd, fileno(cap->fp), (uint64_t)cap->start, cap->linktype,
                                    pcap_snapshot(cap->pcap));
    return true;
}

/* Frees what reading one file holds (not the list of files after it). */
static void close_file(struct capture *cap)
{
    if (cap->filtered)
        pcap_freecode(&cap->prog);
    for (int i = 0; i < cap->nngfilters; i++)
        pcap_freecode(&cap->ngfilters[i].prog);
    pcapng_close(cap->ng);
    if (cap->ngfp)
        fclose(cap->ngfp);
    free(cap->blk);
    pcap_close(cap->pcap); /* also closes the FILE, and zlib's reader behind it */
}

struct capture *capture_open_files(const char *const *files, int n, char err[CAPTURE_ERRLEN])
{
    struct capture *cap = capture_open(files[0], err);
    if (cap && n > 1) {
        cap->next = files + 1;
        cap->nnext = n - 1;
    }
    return cap;
}

/* The current file ended: the next one of a rotated capture takes its place,
 * with the filter compiled again for it.  CAPTURE_EOF after the last one. */
enum capture_status capture_next_file(struct capture *cap, char err[CAPTURE_ERRLEN])
{
    if (cap->nnext == 0)
        return CAPTURE_EOF;
    struct capture *n = capture_open(cap->next[0], err);
    if (!n)
        return CAPTURE_ERROR;
    if (cap->filter_expr && !capture_set_filter(n, cap->filter_expr, err)) {
        capture_close(n);
        return CAPTURE_ERROR;
    }
    uint64_t before = cap->frames_before + cap->frames, bytes = cap->bytes_before + cap->bytes;
    const char *const *rest = cap->next + 1;
    int nrest = cap->nnext - 1;
    char *expr = cap->filter_expr;
    cap->filter_expr = NULL;
    close_file(cap);
    free(expr);
    *cap = *n; /* n's filter expression is its own copy */
    free(n);
    cap->frames_before = before;
    cap->bytes_before = bytes;
    cap->next = rest;
    cap->nnext = nrest;
    return CAPTURE_OK;
}

void capture_close(struct capture *cap)
{
    if (!cap)
        return;
    close_file(cap);
    free(cap->filter_expr);
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
    cap->filter_expr = strdup(expr);
    if (!cap->filter_expr) {
        snprintf(err, CAPTURE_ERRLEN, "%s: out of memory", cap->path);
        return false;
    }
    return true;
}

/* pcapng stores LINKTYPE_* values; libpcap's filter compiler wants DLT_*.
 * They are equal except for a few historical ones. */
static int linktype_to_dlt(int lt)
{
    switch (lt) {
    case 101:
        return DLT_RAW;
    case 108:
        return DLT_LOOP;
    default:
        return lt;
    }
}

int capture_linktype_dlt(int linktype)
{
    return linktype_to_dlt(linktype);
}

/* Compiles the filter for one link type of the pcapng fallback.  false when
 * it does not compile there (e.g. "ether host" on raw IP): the expression
 * compiled for the first interface, and frames of this link type cannot
 * match it.  bf_insns is NULL then. */
static bool ng_compile(const struct capture *cap, int dlt, struct bpf_program *prog)
{
    memset(prog, 0, sizeof *prog);
    pcap_t *dead = pcap_open_dead(dlt, 262144);
    if (!dead)
        return false;
    bool ok = pcap_compile(dead, prog, cap->filter_expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
    pcap_close(dead);
    if (!ok)
        memset(prog, 0, sizeof *prog);
    return ok;
}

static bool ng_run_filter(const struct bpf_program *prog, const struct pcapng_packet *np)
{
    if (!prog->bf_insns)
        return false;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.caplen = np->caplen;
    h.len = np->wirelen;
    return pcap_offline_filter(prog, &h, np->data) != 0;
}

/* Does the frame pass the filter?  For the pcapng fallback each link type
 * gets its own compiled program, made when first needed. */
static bool ng_filter_pass(struct capture *cap, const struct pcapng_packet *np)
{
    if (!cap->filter_expr)
        return true;
    int dlt = linktype_to_dlt(np->linktype);
    int i = 0;
    while (i < cap->nngfilters && cap->ngfilters[i].linktype != dlt)
        i++;
    if (i == MAX_FILTERS) {
        /* more link types than the table holds (a hostile file can name
         * thousands): compile for this frame alone, slow but exact */
        struct bpf_program tmp;
        if (!ng_compile(cap, dlt, &tmp))
            return false;
        bool pass = ng_run_filter(&tmp, np);
        pcap_freecode(&tmp);
        return pass;
    }
    if (i == cap->nngfilters) {
        ng_compile(cap, dlt, &cap->ngfilters[i].prog);
        cap->ngfilters[i].linktype = dlt;
        cap->nngfilters++;
    }
    return ng_run_filter(&cap->ngfilters[i].prog, np);
}

/* libpcap stopped at an interface whose link type or snap length differs
 * from the first one's, or at a pcapng packet longer than its interface's
 * snap length (which libpcap refuses while Wireshark reads it, and which its
 * pcap reader cuts instead): reopen the file with our reader and skip the
 * frames libpcap already delivered.  Only for files and seekable streams:
 * standard input cannot rewind. */
static bool switch_to_pcapng(struct capture *cap, const char *why, char err[CAPTURE_ERRLEN])
{
    char nerr[PCAPNG_ERRLEN];
    if (!strstr(why, "different from the") &&
        !(pcap_major_version(cap->pcap) == 1 && strstr(why, "bigger than snaplen")))
        return false;
    if (cap->stream) {
        /* no path to reopen, but a stream from memory or a seekable file
         * can be rewound: libpcap is done with it, and still owns it */
        FILE *fp = pcap_file(cap->pcap);
        if (!fp || fseek(fp, 0, SEEK_SET) != 0)
            return false;
        cap->ng = pcapng_open(fp, nerr);
        if (!cap->ng)
            return false;
    } else {
        if (strcmp(cap->path, "-") == 0)
            return false;
        int64_t start;
        cap->ngfp = open_file(cap->path, &cap->nggz, &start); /* through zlib again if gzip */
        if (!cap->ngfp)
            return false;
        cap->ng = pcapng_open(cap->ngfp, nerr);
        if (!cap->ng) {
            fclose(cap->ngfp);
            cap->ngfp = NULL;
            cap->nggz = NULL;
            return false;
        }
    }
    struct pcapng_packet np;
    for (uint64_t i = 0; i < cap->frames; i++) {
        if (pcapng_next(cap->ng, &np, nerr) != 1) {
            char zwhy[PCAPNG_ERRLEN];
            const char *zw = gz_why(cap->nggz, zwhy, sizeof zwhy);
            snprintf(err, CAPTURE_ERRLEN, "%s: frame %llu: %s", cap->path,
                     (unsigned long long)i + 1, zw ? zw : nerr);
            return false;
        }
    }
    return true;
}

/* Later stages compute in int64 nanoseconds and add timeouts to times.  A
 * file's timestamp can be anything (a pcapng if_tsoffset of 2^62, a
 * nanosecond field above 10^9), so it is normalised and clamped to
 * [0, CAPTURE_MAX_TS_SEC]. */
static void set_frame_time(struct capture_frame *f, int64_t sec, uint64_t nsec)
{
    if (nsec >= 1000000000u) {
        uint64_t carry = nsec / 1000000000u;
        nsec %= 1000000000u;
        sec = sec > CAPTURE_MAX_TS_SEC ? sec : sec + (int64_t)carry; /* carry < 2^35 */
    }
    if (sec < 0) {
        sec = 0;
        nsec = 0;
    } else if (sec > CAPTURE_MAX_TS_SEC) {
        sec = CAPTURE_MAX_TS_SEC;
        nsec = 0;
    }
    f->ts_sec = sec;
    f->ts_nsec = (uint32_t)nsec;
}

static enum capture_status ng_next(struct capture *cap, struct capture_frame *f,
                                   char err[CAPTURE_ERRLEN])
{
    for (;;) {
        struct pcapng_packet np;
        char nerr[PCAPNG_ERRLEN];
        int rc = pcapng_next(cap->ng, &np, nerr);
        if (rc == 0)
            return CAPTURE_EOF;
        if (rc < 0) {
            char zwhy[PCAPNG_ERRLEN];
            const char *zw = gz_why(cap->nggz ? cap->nggz : cap->gz, zwhy, sizeof zwhy);
            snprintf(err, CAPTURE_ERRLEN, "%s: frame %llu: %s", cap->path,
                     (unsigned long long)cap->frames + 1, zw ? zw : nerr);
            return CAPTURE_ERROR;
        }
        cap->frames++;
        cap->bytes += np.caplen + 32;
        if (!ng_filter_pass(cap, &np))
            continue;
        f->data = np.data;
        f->number = cap->frames_before + cap->frames;
        set_frame_time(f, np.ts_sec, np.ts_nsec);
        f->caplen = np.caplen;
        f->wirelen = np.wirelen;
        f->linktype = linktype_to_dlt(np.linktype);
        return CAPTURE_OK;
    }
}

/* A pcap record's time as libpcap gives it (tv_sec and tv_usec, nanoseconds
 * in tv_usec at the precision asked for): a pcap file's time fields are
 * unsigned 32-bit, which libpcap reads as signed, so times after 2038 and
 * fractions above 2^31 come out negative and are read back as unsigned
 * here.  pcapng times are 64-bit: kept. */
void capture_record_time(const struct capture *cap, struct capture_frame *f, int64_t tv_sec,
                         int64_t tv_usec)
{
    int64_t sec = tv_sec;
    uint64_t nsec = (uint64_t)tv_usec;
    if (!cap->pcap_v1) {
        sec = (uint32_t)tv_sec;
        if (tv_usec < 0)
            nsec = (uint32_t)tv_usec;
    }
    set_frame_time(f, sec, nsec);
}

enum capture_status capture_next(struct capture *cap, struct capture_frame *f,
                                 char err[CAPTURE_ERRLEN])
{
    for (;;) {
        enum capture_status st = capture_file_next(cap, f, err);
        if (st != CAPTURE_EOF)
            return st;
        st = capture_next_file(cap, err);
        if (st != CAPTURE_OK)
            return st;
    }
}

enum capture_status capture_file_next(struct capture *cap, struct capture_frame *f,
                                      char err[CAPTURE_ERRLEN])
{
    if (cap->ng)
        return ng_next(cap, f, err);
    if (cap->direct) {
        int st = capture_direct_next(cap, f, err);
        if (st >= 0)
            return (enum capture_status)st;
    }
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(cap->pcap, &h, &data);
        if (rc == PCAP_ERROR_BREAK)
            return CAPTURE_EOF;
        if (rc != 1) {
            err[0] = '\0';
            if (switch_to_pcapng(cap, pcap_geterr(cap->pcap), err))
                return ng_next(cap, f, err);
            if (err[0])
                return CAPTURE_ERROR;
            char zwhy[PCAP_ERRBUF_SIZE];
            const char *why = gz_why(cap->gz, zwhy, sizeof zwhy);
            if (!why)
                why = pcap_geterr(cap->pcap);
            snprintf(err, CAPTURE_ERRLEN, "%s: frame %llu: %s%s", cap->path,
                     (unsigned long long)cap->frames + 1, why,
                     strstr(why, "different from the") && strcmp(cap->path, "-") == 0
                         ? "; a pipe cannot be read twice: give the file itself with -r FILE"
                         : "");
            return CAPTURE_ERROR;
        }
        cap->frames++;
        cap->bytes += h->caplen + 16;
        if (cap->filtered && !pcap_offline_filter(&cap->prog, h, data))
            continue;
        f->data = data;
        f->number = cap->frames_before + cap->frames;
        /* with nanosecond precision libpcap stores nanoseconds in tv_usec, unchecked */
        capture_record_time(cap, f, (int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec);
        f->caplen = h->caplen;
        f->wirelen = h->len < h->caplen ? h->caplen : h->len;
        f->linktype = cap->linktype;
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
    return cap->frames_before + cap->frames;
}
uint64_t capture_bytes_read(const struct capture *cap)
{
    /* compressed: the file's bytes consumed, so progress is against its size */
    gzFile gz = cap->ng ? cap->nggz : cap->gz;
    if (gz && !gzdirect(gz)) {
        z_off_t off = gzoffset(gz);
        return cap->bytes_before + (off > 0 ? (uint64_t)off : 0);
    }
    return cap->bytes_before + cap->bytes;
}
const char *capture_lib_version(void)
{
    return pcap_lib_version();
}
