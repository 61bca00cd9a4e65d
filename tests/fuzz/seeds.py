#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from samples/ and ../shared/corpus/.

  seeds.py OUTDIR [--smoke]

Writes OUTDIR/seeds-capture/ (capture files of at most 64 KiB: small ones as
they are, bigger ones cut after their last whole packet or block that fits)
and OUTDIR/seeds-frames/ (the first packets of each capture in fuzz_frames.c's
layout: link type index, knobs, then u16 length, u8 time step, u8 cut, data).
--smoke keeps every sample but only every 16th corpus file, so a 30 s run
spends its time fuzzing rather than loading seeds.  ../shared/ is optional:
without it the seeds come from samples/ alone (a SKIP line says so).
"""
import hashlib
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
MAX = 65536
# DLT values in fuzz_frames.c's LINKTYPES order (LINKTYPE_RAW 101 is DLT_RAW 12/14)
LINKTYPES = [1, 113, 276, 12, 228, 229, 0, 108, 9, 50, 104, 147]
LT_ALIAS = {101: 12, 14: 12}
PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
               b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}


def pcap_packets(data):
    """(linktype, [(ts_sec, ts_frac, data, wirelen)], header, [record bytes]) of a
    classic pcap, as far as it parses."""
    e = PCAP_MAGICS[data[:4]]
    lt = struct.unpack(e + "I", data[20:24])[0] & 0xffff
    off, pkts, recs = 24, [], []
    while off + 16 <= len(data):
        ts, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            break
        pkts.append((ts, frac, data[off + 16:off + 16 + incl], orig))
        recs.append(data[off:off + 16 + incl])
        off += 16 + incl
    return lt, pkts, data[:24], recs


def pcapng_blocks(data):
    """[(type, block bytes, endian)] of a pcapng file, as far as it parses."""
    out, off, e = [], 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        out.append((btype, data[off:off + blen], e))
        off += blen
    return out


def pcapng_packets(blocks):
    lts, lt0, pkts = [], None, []
    for btype, b, e in blocks:
        if btype == 0x0A0D0D0A:
            lts = []
        elif btype == 1:
            lts.append(struct.unpack(e + "H", b[8:10])[0])
        elif btype == 6 and len(b) >= 32:
            ifid, _, _, incl, orig = struct.unpack(e + "IIIII", b[8:28])
            if ifid < len(lts):
                lt0 = lts[ifid] if lt0 is None else lt0
                if lts[ifid] == lt0:
                    pkts.append((0, 0, b[28:28 + incl], orig))
    return lt0, pkts


def other_order(data):
    """A classic pcap file rewritten in the other byte order (header and record
    headers; the packets as they are): files written on big-endian machines
    are rare in samples/ and the corpus, and libpcap reads them otherwise
    (its SWAPLONG makes their time fields unsigned), so the direct reading
    (pcapdirect.h) must be fuzzed on them too.  None for anything else."""
    if data[:4] not in PCAP_MAGICS or len(data) < 24:
        return None
    e = PCAP_MAGICS[data[:4]]
    o = ">" if e == "<" else "<"
    _, _, hdr, recs = pcap_packets(data)
    out = struct.pack(o + "IHHiIII", *struct.unpack(e + "IHHiIII", hdr))
    for r in recs:
        out += struct.pack(o + "IIII", *struct.unpack(e + "IIII", r[:16])) + r[16:]
    return out


def capture_seed(data):
    if len(data) <= MAX:
        return data
    if data[:4] in PCAP_MAGICS:
        _, _, hdr, recs = pcap_packets(data)
        out = hdr
        for r in recs:
            if len(out) + len(r) > MAX:
                break
            out += r
        return out
    out = b""
    for _, b, _ in pcapng_blocks(data):
        if len(out) + len(b) > MAX:
            break
        out += b
    return out


def frames_seed(data):
    if data[:4] in PCAP_MAGICS:
        lt, pkts, _, _ = pcap_packets(data)
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        lt, pkts = pcapng_packets(pcapng_blocks(data))
    else:
        return None
    lt = LT_ALIAS.get(lt, lt)
    if lt not in LINKTYPES or not pkts:
        return None
    out = bytes([LINKTYPES.index(lt), 0])
    prev = None
    for ts, _, pkt, orig in pkts[:256]:
        pkt = pkt[:0xffff]
        step = 0
        if prev is not None and ts > prev:
            step = min(31, (ts - prev) * 1000).bit_length()
        prev = ts
        cut = max(0, min(255, orig - len(pkt)))
        rec = struct.pack(">HBB", len(pkt), step, cut) + pkt
        if len(out) + len(rec) > MAX:
            break
        out += rec
    return out


def main():
    outdir = sys.argv[1]
    smoke = "--smoke" in sys.argv[2:]
    suffix = "-smoke" if smoke else ""
    dirs = {k: os.path.join(outdir, f"seeds{suffix}-{k}") for k in ("capture", "frames")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    sources = [os.path.join(ROOT, "samples", f) for f in sorted(os.listdir(
        os.path.join(ROOT, "samples"))) if f.endswith((".pcap", ".pcapng"))]
    if os.path.isdir(CORPUS):
        found = []
        for dp, _, fs in os.walk(CORPUS):
            found += [os.path.join(dp, f) for f in fs if not f.endswith((".tsv", ".md"))]
        found.sort()
        sources += found[::16] if smoke else found
    else:
        print(f"SKIP: fuzz seeds from the corpus: {CORPUS} is absent")
    n = {"capture": 0, "frames": 0}
    for path in sources:
        try:
            with open(path, "rb") as f:
                data = f.read(64 << 20)
        except OSError:
            continue
        seeds = [("capture", capture_seed(data)), ("frames", frames_seed(data))]
        if path.startswith(os.path.join(ROOT, "samples")) and other_order(data):
            seeds.append(("capture", capture_seed(other_order(data))))
        for kind, seed in seeds:
            if not seed:
                continue
            name = hashlib.sha1(seed).hexdigest()
            with open(os.path.join(dirs[kind], name), "wb") as f:
                f.write(seed)
            n[kind] += 1
    print(f"seeds: {n['capture']} capture files, {n['frames']} frame sequences "
          f"from {len(sources)} captures")


if __name__ == "__main__":
    main()
