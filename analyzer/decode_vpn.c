/*
 * decode_vpn.c - encrypted tunnels: WireGuard, IPsec ESP, OpenVPN.
 *
 * Their inner packets are encrypted, so nothing is decoded inside: the layer
 * records who talks (indexes, SPIs, session ids), and the sizes.  The sizes
 * are what matter for MTU work: a WireGuard data message is the inner packet
 * padded to 16 plus 32 bytes, so the outer length alone tells how big the
 * inner packet was, and which of them a path could not carry.
 */
#include "decode_vpn.h"

/* ---- WireGuard: whitepaper §5.4, all fields little-endian ---- */

#define WG_INITIATION_LEN 148
#define WG_RESPONSE_LEN 92
#define WG_COOKIE_LEN 64
#define WG_DATA_HDR_LEN 16 /* type, reserved, receiver, counter */
#define WG_DATA_MIN_LEN 32 /* header + the Poly1305 tag: a keepalive */
#define WG_PAD 16          /* the plaintext is padded to a multiple of 16 ... */
#define WG_MIN_MTU 576     /* ... or to the MTU, which no sane tunnel sets below RFC 791's 576 */

bool wireguard_looks_like(const struct cursor *c, uint32_t len)
{
    if (c->err || cur_left(c) < 4)
        return false;
    if (cur_peek_u8(c, 1) | cur_peek_u8(c, 2) | cur_peek_u8(c, 3))
        return false; /* the three reserved bytes are zero in every message */
    switch (cur_peek_u8(c, 0)) {
    case WG_INITIATION:
        return len == WG_INITIATION_LEN;
    case WG_RESPONSE:
        return len == WG_RESPONSE_LEN;
    case WG_COOKIE:
        return len == WG_COOKIE_LEN;
    case WG_DATA:
        /*
         * The whitepaper pads the plaintext to a multiple of 16, but both
         * implementations (Linux and wireguard-go) cap the padding at the
         * interface MTU: with the common MTU 1420 a full-size inner packet
         * travels as 1420 + 32 = 1452 bytes, not a multiple of 16.  Those are
         * exactly the packets a path-MTU diagnosis is about (the lab capture
         * samples/lab-wg1420-path1434-icmp-ok-client-outer.pcap holds 1644 of
         * them), so a length off the 16-grid is accepted when it is at least
         * a plausible MTU.  Small odd lengths stay rejected: they are the
         * likelier false positives.
         */
        if (len < WG_DATA_MIN_LEN)
            return false;
        return (len - WG_DATA_MIN_LEN) % WG_PAD == 0 || len - WG_DATA_MIN_LEN >= WG_MIN_MTU;
    default:
        return false;
    }
}

void decode_wireguard(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_WIREGUARD, &c);
    if (!l)
        return;
    struct wireguard_info *w = &l->u.wg;
    size_t captured = cur_left(&c);
    uint32_t len = dec_declared_len(d, l, &c);
    if (len == UINT32_MAX)
        len = (uint32_t)captured;
    w->msg_type = cur_u8(&c);
    cur_skip(&c, 3);
    switch (w->msg_type) {
    case WG_INITIATION:
        w->sender = cur_le32(&c);
        break;
    case WG_RESPONSE:
        w->sender = cur_le32(&c);
        w->receiver = cur_le32(&c);
        break;
    case WG_COOKIE:
        w->receiver = cur_le32(&c);
        break;
    case WG_DATA:
        w->receiver = cur_le32(&c);
        w->counter = cur_le64(&c);
        /* the inner packet's size, padding included: len - 32 */
        if (len >= WG_DATA_MIN_LEN)
            w->inner_len = (uint16_t)(len - WG_DATA_MIN_LEN);
        break;
    default:
        break; /* only reached when called without wireguard_looks_like() */
    }
    /* The rest is ciphertext; a capture that stops inside it still loses
     * part of this layer's declared size. */
    if (c.err || captured < len)
        dec_short(d, l);
}

/* ---- ESP: RFC 4303 ---- */

#define ESP_HDR_LEN 8     /* SPI, sequence number */
#define ESP_TRAILER_MIN 2 /* pad length and next header: never omitted (RFC 4303 §2) */

void decode_esp(struct dstate *d, struct cursor c, bool nat_t)
{
    struct layer *l = dec_push(d, LAYER_ESP, &c);
    if (!l)
        return;
    struct esp_info *e = &l->u.esp;
    uint32_t len = dec_declared_len(d, l, &c);
    e->nat_t = nat_t;
    e->spi = cur_be32(&c);
    e->seq = cur_be32(&c);
    if (len != UINT32_MAX && len < ESP_HDR_LEN + ESP_TRAILER_MIN) {
        dec_bad(d, l, AN_BAD_ESP); /* the IP or UDP length leaves no room for ESP */
        return;
    }
    if (c.err) {
        dec_short(d, l);
        return;
    }
    /* RFC 4303 §2.1: SPI 0 is reserved for local use and MUST NOT be sent. */
    if (e->spi == 0)
        dec_bad(d, l, AN_BAD_ESP);
}

/* ---- OpenVPN over UDP (OpenVPN's ssl_pkt.h opcodes) ---- */

#define OVPN_OP_MIN 1       /* P_CONTROL_HARD_RESET_CLIENT_V1 */
#define OVPN_OP_DATA_V1 6   /* P_DATA_V1 */
#define OVPN_OP_DATA_V2 9   /* P_DATA_V2: a 24-bit peer id follows the opcode */
#define OVPN_OP_MAX 11      /* P_CONTROL_WKC_V1 */
#define OVPN_DATA_MIN 2     /* opcode and at least one byte of ciphertext */
#define OVPN_CONTROL_MIN 10 /* opcode, 8-byte session id, at least one byte more */

static bool openvpn_is_data(uint8_t op)
{
    return op == OVPN_OP_DATA_V1 || op == OVPN_OP_DATA_V2;
}

bool openvpn_looks_like(const struct cursor *c, uint32_t len)
{
    if (c->err || cur_left(c) < 1)
        return false;
    uint8_t op = cur_peek_u8(c, 0) >> 3;
    if (op < OVPN_OP_MIN || op > OVPN_OP_MAX)
        return false;
    return len >= (openvpn_is_data(op) ? OVPN_DATA_MIN : OVPN_CONTROL_MIN);
}

void decode_openvpn(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_OPENVPN, &c);
    if (!l)
        return;
    struct openvpn_info *o = &l->u.ovpn;
    uint8_t b = cur_u8(&c);
    o->opcode = b >> 3;
    o->key_id = b & 0x07;
    if (o->opcode == OVPN_OP_DATA_V2) {
        o->peer_id = cur_be24(&c);
    } else if (!openvpn_is_data(o->opcode)) {
        uint64_t hi = cur_be32(&c);
        o->session_id = hi << 32 | cur_be32(&c);
    }
    if (c.err)
        dec_short(d, l);
}
