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
#define BT_EPB 0x00000006
#define BYTE_ORDER_MAGIC 0x1a2b3c4d
#define MAX_BLOCK (16u << 20) /* libpcap's limit too */
#define MAX_IFACES 256

#define OPT_END 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

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

static void parse_idb(struct pcapng *r, struct cursor c, struct iface *ifc)
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
            parse_idb(r, c, &r->ifaces[r->nifaces++]);
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
