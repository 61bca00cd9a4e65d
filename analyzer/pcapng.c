/*
 * pcapng.c - the pcapng fallback reader (see pcapng.h).
 *
 * Block layout (draft-ietf-opsawg-pcapng): type (4), total length (4), body,
 * total length again (4); all in the byte order announced by the section
 * header's byte-order magic.  The body is copied into a buffer and read
 * through the bounds-checked cursor like any packet.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "pcapng.h"

#define BT_SHB 0x0a0d0d0a
#define BT_IDB 0x00000001
#define BT_OPB 0x00000002 /* obsolete packet block */
#define BT_SPB 0x00000003
#define BT_ISB 0x00000005 /* interface statistics */
#define BT_EPB 0x00000006
#define BYTE_ORDER_MAGIC 0x1a2b3c4d
#define MAX_BLOCK (16u << 20) /* libpcap's limit too */
#define MAX_IFACES 256

#define OPT_END 0
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
/* Interface Statistics Block options (draft-ietf-opsawg-pcapng 4.6) */
#define OPT_ISB_STARTTIME 2
#define OPT_ISB_ENDTIME 3
#define OPT_ISB_IFRECV 4
#define OPT_ISB_IFDROP 5
#define OPT_ISB_OSDROP 7
#define ISB_FIXED 12 /* interface id, timestamp high and low */

struct iface {
    int linktype;
    uint32_t snaplen;
    uint64_t units_per_sec; /* from if_tsresol; 10^6 by default */
    int64_t tsoffset;       /* if_tsoffset, seconds */
};

struct pcapng {
    FILE *fp;
    bool swapped; /* section in little-endian order (the usual case) */
    uint8_t *buf;
    size_t bufsize;
    struct iface ifaces[MAX_IFACES];
    int nifaces;
};

static uint32_t rd32(struct cursor *c, bool le)
{
    return le ? cur_le32(c) : cur_be32(c);
}
static uint16_t rd16(struct cursor *c, bool le)
{
    return le ? cur_le16(c) : cur_be16(c);
}

static uint32_t raw32(const uint8_t *p, bool le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* Reads one whole block into r->buf.  Returns its type, and the body (after
 * type and length, before the trailing length) in *body. */
static int read_block(struct pcapng *r, uint32_t *type, struct cursor *body,
                      char err[PCAPNG_ERRLEN])
{
    uint8_t hdr[12];
    size_t n = fread(hdr, 1, 8, r->fp);
    if (n == 0)
        return 0;
    if (n < 8) {
        snprintf(err, PCAPNG_ERRLEN, "pcapng: file ends inside a block header");
        return -1;
    }
    uint32_t t = raw32(hdr, r->swapped);
    if (t == BT_SHB) {
        /* a new section may change the byte order: read its magic first */
        if (fread(hdr + 8, 1, 4, r->fp) != 4) {
            snprintf(err, PCAPNG_ERRLEN, "pcapng: file ends inside a section header");
            return -1;
        }
        uint32_t bom = raw32(hdr + 8, true);
        if (bom == BYTE_ORDER_MAGIC)
            r->swapped = true;
        else if (bom == 0x4d3c2b1a)
            r->swapped = false;
        else {
            snprintf(err, PCAPNG_ERRLEN, "pcapng: bad byte-order magic 0x%08x", bom);
            return -1;
        }
    }
    uint32_t len = raw32(hdr + 4, r->swapped);
    if (len < 12 || len % 4 != 0 || len > MAX_BLOCK || (t == BT_SHB && len < 28)) {
        snprintf(err, PCAPNG_ERRLEN, "pcapng: block of type 0x%08x has an invalid length %u", t,
                 len);
        return -1;
    }
    if (len > r->bufsize) {
        uint8_t *nb = realloc(r->buf, len);
        if (!nb) {
            snprintf(err, PCAPNG_ERRLEN, "pcapng: out of memory for a %u-byte block", len);
            return -1;
        }
        r->buf = nb;
        r->bufsize = len;
    }
    size_t have = t == BT_SHB ? 12 : 8;
    memcpy(r->buf, hdr, have);
    if (fread(r->buf + have, 1, len - have, r->fp) != len - have) {
        snprintf(err, PCAPNG_ERRLEN, "pcapng: file ends inside a block of %u bytes", len);
        return -1;
    }
    if (raw32(r->buf + len - 4, r->swapped) != len) {
        snprintf(err, PCAPNG_ERRLEN, "pcapng: block length in header and trailer differ");
        return -1;
    }
    *type = t;
    *body = cur_make(r->buf + 8, len - 12);
    return 1;
}

/* name: room for the interface's if_name (NULL: not wanted) */
static void parse_idb(struct pcapng *r, struct cursor c, struct iface *ifc, char *name,
                      size_t namesize)
{
    ifc->linktype = rd16(&c, r->swapped);
    cur_skip(&c, 2);
    ifc->snaplen = rd32(&c, r->swapped);
    ifc->units_per_sec = 1000000;
    ifc->tsoffset = 0;
    while (cur_left(&c) >= 4) {
        uint16_t code = rd16(&c, r->swapped), olen = rd16(&c, r->swapped);
        if (code == OPT_END)
            break;
        struct cursor v = cur_sub(&c, olen);
        cur_skip(&c, (4 - olen % 4) % 4);
        if (c.err)
            break;
        if (code == OPT_IF_TSRESOL && olen == 1) {
            uint8_t res = cur_u8(&v);
            uint64_t u = 1;
            /* MSB clear: 10^-n seconds; set: 2^-n.  Cap n so u fits. */
            if (res & 0x80) {
                unsigned e = res & 0x7f;
                u = e < 63 ? 1ull << e : 0;
            } else {
                for (unsigned i = 0; i < res && u; i++)
                    u = i < 19 ? u * 10 : 0;
            }
            if (u)
                ifc->units_per_sec = u;
        } else if (code == OPT_IF_TSOFFSET && olen == 8) {
            uint64_t lo = rd32(&v, r->swapped), hi = rd32(&v, r->swapped);
            ifc->tsoffset = (int64_t)(r->swapped ? (hi << 32 | lo) : (lo << 32 | hi));
        } else if (code == OPT_IF_NAME && name && namesize) {
            size_t n = olen < namesize - 1 ? olen : namesize - 1;
            cur_copy(&v, name, n);
            name[n] = '\0';
            name[strnlen(name, n)] = '\0'; /* a string option may end in NULs */
        }
    }
}

struct pcapng *pcapng_open(FILE *fp, char err[PCAPNG_ERRLEN])
{
    struct pcapng *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, PCAPNG_ERRLEN, "out of memory");
        return NULL;
    }
    r->fp = fp;
    /* the section header's type is a palindrome: readable in either order */
    uint8_t magic[4];
    if (fread(magic, 1, 4, fp) != 4 || raw32(magic, true) != BT_SHB ||
        fseek(fp, -4, SEEK_CUR) != 0) {
        snprintf(err, PCAPNG_ERRLEN, "not a pcapng file");
        pcapng_close(r);
        return NULL;
    }
    uint32_t type;
    struct cursor body;
    int rc = read_block(r, &type, &body, err);
    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, PCAPNG_ERRLEN, "not a pcapng file");
        pcapng_close(r);
        return NULL;
    }
    return r;
}

void pcapng_close(struct pcapng *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

static void set_time(const struct iface *ifc, uint64_t ts, struct pcapng_packet *p)
{
    uint64_t sec = ts / ifc->units_per_sec, frac = ts % ifc->units_per_sec;
    /* both come from the file: saturate rather than overflow (sec is at
     * most 2^64 with a resolution of 1 s; capture.c clamps the result) */
    int64_t s = sec > INT64_MAX ? INT64_MAX : (int64_t)sec;
    if (ifc->tsoffset > 0 && s > INT64_MAX - ifc->tsoffset)
        p->ts_sec = INT64_MAX;
    else
        p->ts_sec = s + ifc->tsoffset; /* s >= 0: a negative offset cannot overflow */
    /* frac < units_per_sec, so frac * 1e9 / units fits when units <= 2^34;
     * beyond that, scale down first (sub-nanosecond resolutions) */
    if (ifc->units_per_sec <= (1ull << 34))
        p->ts_nsec = (uint32_t)(frac * 1000000000ull / ifc->units_per_sec);
    else
        p->ts_nsec = (uint32_t)(frac / (ifc->units_per_sec / 1000000000ull));
}

int pcapng_next(struct pcapng *r, struct pcapng_packet *p, char err[PCAPNG_ERRLEN])
{
    for (;;) {
        uint32_t type;
        struct cursor c;
        int rc = read_block(r, &type, &c, err);
        if (rc <= 0)
            return rc;
        bool le = r->swapped;
        switch (type) {
        case BT_SHB:
            r->nifaces = 0; /* interfaces are numbered per section */
            break;
        case BT_IDB:
            if (r->nifaces == MAX_IFACES) {
                snprintf(err, PCAPNG_ERRLEN, "pcapng: more than %d interfaces", MAX_IFACES);
                return -1;
            }
            parse_idb(r, c, &r->ifaces[r->nifaces++], NULL, 0);
            break;
        case BT_EPB:
        case BT_OPB: {
            uint32_t ifid = type == BT_EPB ? rd32(&c, le) : rd16(&c, le);
            if (type == BT_OPB)
                cur_skip(&c, 2); /* drops count */
            uint32_t hi = rd32(&c, le), lo = rd32(&c, le);
            uint32_t caplen = rd32(&c, le), wirelen = rd32(&c, le);
            if (c.err || ifid >= (uint32_t)r->nifaces || caplen > cur_left(&c)) {
                snprintf(err, PCAPNG_ERRLEN,
                         c.err || ifid < (uint32_t)r->nifaces
                             ? "pcapng: packet block shorter than its captured length"
                             : "pcapng: packet block names an undeclared interface");
                return -1;
            }
            const struct iface *ifc = &r->ifaces[ifid];
            set_time(ifc, (uint64_t)hi << 32 | lo, p);
            p->data = c.p;
            p->caplen = caplen;
            p->wirelen = wirelen < caplen ? caplen : wirelen;
            p->linktype = ifc->linktype;
            return 1;
        }
        case BT_SPB: {
            if (r->nifaces == 0) {
                snprintf(err, PCAPNG_ERRLEN, "pcapng: simple packet block before any interface");
                return -1;
            }
            const struct iface *ifc = &r->ifaces[0];
            uint32_t wirelen = rd32(&c, le);
            size_t caplen = cur_left(&c);
            if (wirelen < caplen)
                caplen = wirelen; /* the rest is padding */
            if (ifc->snaplen && caplen > ifc->snaplen)
                caplen = ifc->snaplen;
            p->ts_sec = 0; /* simple packet blocks carry no time */
            p->ts_nsec = 0;
            p->data = c.p;
            p->caplen = (uint32_t)caplen;
            p->wirelen = wirelen;
            p->linktype = ifc->linktype;
            return 1;
        }
        default:
            break; /* name resolution, statistics, custom blocks: not needed */
        }
    }
}

/* ---- the scan (capscan.h) ---- */

/* The last statistics of one interface: its counters run from the start of
 * the capture, so a later block replaces an earlier one. */
struct isb_last {
    bool has_end, has_end_us, has_ifrecv, has_ifdrop, has_osdrop;
    int64_t end_ns, end_us_ns;
    uint64_t ifrecv, ifdrop, osdrop;
};

struct scan_state {
    struct pcapng r;
    struct isb_last last[MAX_IFACES];
};

static int64_t iface_ns(const struct iface *ifc, uint64_t ts)
{
    struct pcapng_packet p;
    set_time(ifc, ts, &p);
    return capscan_ns(p.ts_sec, p.ts_nsec);
}

static void isb_bad(struct capscan *out, const char *fmt, unsigned a, unsigned b)
{
    if (out->isb_malformed++ == 0)
        snprintf(out->isb_error, sizeof out->isb_error, fmt, a, b);
}

/*
 * One Interface Statistics Block: interface id, timestamp, options.  Read
 * whole before anything is kept: a block with one bad option is not trusted
 * for the others (its writer got something wrong, and nothing says what).
 */
static void scan_isb(struct scan_state *st, struct cursor c, struct capscan *out)
{
    struct pcapng *r = &st->r;
    bool le = r->swapped;
    out->isbs++;
    unsigned body = (unsigned)cur_left(&c);
    uint32_t ifid = rd32(&c, le);
    cur_skip(&c, 8); /* when the statistics were taken: isb_endtime says when capture ended */
    if (c.err) {
        isb_bad(out, "a statistics block with %u bytes after its header, fewer than its %u fixed",
                body, ISB_FIXED);
        return;
    }
    if (ifid >= (uint32_t)r->nifaces) {
        isb_bad(out, "a statistics block names interface %u, but %u are declared", ifid,
                (unsigned)r->nifaces);
        return;
    }
    const struct iface *ifc = &r->ifaces[ifid];
    struct isb_last v = st->last[ifid];
    while (cur_left(&c) >= 4) {
        uint16_t code = rd16(&c, le), olen = rd16(&c, le);
        if (code == OPT_END)
            break;
        struct cursor o = cur_sub(&c, olen);
        cur_skip(&c, (4u - olen % 4u) % 4u);
        if (c.err) {
            isb_bad(out, "statistics option %u of %u bytes runs past its block", code, olen);
            return;
        }
        bool counter = code == OPT_ISB_IFRECV || code == OPT_ISB_IFDROP || code == OPT_ISB_OSDROP;
        bool time = code == OPT_ISB_STARTTIME || code == OPT_ISB_ENDTIME;
        if ((counter || time) && olen != 8) {
            isb_bad(out, "statistics option %u is %u bytes, not 8", code, olen);
            return;
        }
        uint32_t a = rd32(&o, le), b = rd32(&o, le);
        if (time && code == OPT_ISB_ENDTIME) {
            v.has_end = true;
            v.end_ns = iface_ns(ifc, (uint64_t)a << 32 | b); /* high word first, as in an EPB */
            if (ifc->units_per_sec != 1000000) {
                struct iface us = *ifc;
                us.units_per_sec = 1000000;
                v.has_end_us = true;
                v.end_us_ns = iface_ns(&us, (uint64_t)a << 32 | b);
            }
        } else if (counter) {
            uint64_t n = le ? (uint64_t)b << 32 | a : (uint64_t)a << 32 | b;
            if (code == OPT_ISB_IFRECV) {
                v.has_ifrecv = true;
                v.ifrecv = n;
            } else if (code == OPT_ISB_IFDROP) {
                v.has_ifdrop = true;
                v.ifdrop = n;
            } else {
                v.has_osdrop = true;
                v.osdrop = n;
            }
        }
    }
    st->last[ifid] = v;
}

/* Adds one section's interfaces' last statistics to the file's. */
static void fold_section(struct scan_state *st, struct capscan *out)
{
    for (int i = 0; i < st->r.nifaces; i++) {
        const struct isb_last *v = &st->last[i];
        if (v->has_end && (!out->has_end || v->end_ns > out->end_ns)) {
            out->has_end = true;
            out->end_ns = v->end_ns;
        }
        if (v->has_end_us && (!out->has_end_us || v->end_us_ns > out->end_us_ns)) {
            out->has_end_us = true;
            out->end_us_ns = v->end_us_ns;
        }
        out->has_ifrecv |= v->has_ifrecv;
        out->has_ifdrop |= v->has_ifdrop;
        out->has_osdrop |= v->has_osdrop;
        out->ifrecv += v->ifrecv;
        out->ifdrop += v->ifdrop;
        out->osdrop += v->osdrop;
    }
    memset(st->last, 0, sizeof st->last);
}

static void scan_time(struct capscan *out, int64_t ns)
{
    if (!out->has_time || ns < out->first_ns)
        out->first_ns = ns;
    if (!out->has_time || ns > out->last_ns)
        out->last_ns = ns;
    out->has_time = true;
}

void pcapng_scan(FILE *fp, struct capscan *out)
{
    struct scan_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(out->why, sizeof out->why, "out of memory");
        return;
    }
    struct pcapng *r = &st->r;
    r->fp = fp;
    out->pcapng = true;
    out->scanned = true;
    char err[PCAPNG_ERRLEN];
    for (;;) {
        uint32_t type;
        struct cursor c;
        int rc = read_block(r, &type, &c, err);
        if (rc < 0) {
            out->broken = true;
            snprintf(out->why, sizeof out->why, "%.*s", (int)sizeof out->why - 1, err);
        }
        if (rc <= 0)
            break;
        bool le = r->swapped;
        if (type == BT_SHB) {
            fold_section(st, out);
            r->nifaces = 0;
        } else if (type == BT_IDB) {
            if (r->nifaces == MAX_IFACES)
                break; /* the reader stops here too, with a message */
            struct iface *ifc = &r->ifaces[r->nifaces];
            bool first = out->ninterfaces == 0;
            parse_idb(r, c, ifc, first ? out->ifname : NULL, sizeof out->ifname);
            if (first) {
                out->linktype = ifc->linktype;
                out->snaplen = ifc->snaplen;
            } else if (ifc->linktype != out->linktype || ifc->snaplen != out->snaplen) {
                out->mixed = true;
            }
            r->nifaces++;
            out->ninterfaces++;
        } else if (type == BT_EPB || type == BT_OPB) {
            uint32_t ifid = type == BT_EPB ? rd32(&c, le) : rd16(&c, le);
            if (type == BT_OPB)
                cur_skip(&c, 2);
            uint32_t hi = rd32(&c, le), lo = rd32(&c, le);
            out->records++;
            if (!c.err && ifid < (uint32_t)r->nifaces)
                scan_time(out, iface_ns(&r->ifaces[ifid], (uint64_t)hi << 32 | lo));
        } else if (type == BT_SPB) {
            out->records++; /* no time */
        } else if (type == BT_ISB) {
            scan_isb(st, c, out);
        }
    }
    fold_section(st, out);
    free(r->buf);
    free(st);
}
