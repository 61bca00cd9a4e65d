#!/usr/bin/env python3
"""Robustness tests: broken files, enforced limits, floods, valgrind, regressions.

Usage: robustness.py MTUSCOPE_TEST [MTUSCOPE_RELEASE]

MTUSCOPE_TEST is the sanitizer build (build/test/mtuscope): every run must be
free of sanitizer reports.  MTUSCOPE_RELEASE (./mtuscope) is used where
sanitizers would distort the numbers: the memory and time bounds of floods,
and the valgrind run.  Without it those tests print SKIP.

tests/e2e.py already covers: a missing file, a directory, an empty file, a
text file, a pcap cut inside a record's data, several inputs with one broken,
an empty standard input, a bad filter.  This file adds what e2e does not:
cut inside a record header, pcapng cut inside a block, records longer than
the snap length, pcapng mixing link types and snap lengths (from a file and
from a pipe; gzip-compressed, through the fallback reader), a gzip cut at
every few bytes, standard input closed mid-record, a filter that does not
compile for one input's link type, every named limit, floods, valgrind, and
the fuzzer-found captures in tests/regress/, and (robustness_outputs.py)
the outputs: -o DIR against another user, gnuplot, escaping, closed stdout,
Ctrl-C.  Expected values are exact.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from harness import ETH, expect, finish, ipv4, no_sanitizer, run_binary, test, udp, udp_frame
import robustness_outputs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BIN = REL = None
TMP = tempfile.mkdtemp(prefix="mtuscope-robust-")


def run(args, stdin=None, binary=None, timeout=300):
    rc, out, err = run_binary(binary or BIN, args, stdin, timeout)
    no_sanitizer(err)
    return rc, out, err


def run_json(args, **kw):
    rc, out, err = run(["--json"] + args, **kw)
    try:
        return rc, json.loads(out), err
    except ValueError:
        raise AssertionError(f"exit {rc}: no JSON report on stdout: {out[:200]!r} {err!r}")


# ---- building captures ----------------------------------------------------

def pcap_bytes(packets, linktype=1, snaplen=65535, caplens=None, t0=1700000000):
    """Classic pcap; `packets` are bytes, or (bytes, wirelen); caplens overrides
    the caplen field of some records (None keeps the real length)."""
    d = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype)]
    for i, p in enumerate(packets):
        p, wire = p if isinstance(p, tuple) else (p, len(p))
        cl = caplens[i] if caplens and caplens[i] is not None else len(p)
        d.append(struct.pack("<IIII", t0 + i // 1000, (i % 1000) * 1000, cl, wire) + p)
    return b"".join(d)


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def ng_block(btype, body):
    pad = (-len(body)) % 4
    n = 12 + len(body) + pad
    return struct.pack("<II", btype, n) + body + b"\0" * pad + struct.pack("<I", n)


def pcapng_bytes(ifaces, packets):
    """ifaces: [(linktype, snaplen)]; packets: [(ifid, bytes)]."""
    d = ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for lt, snap in ifaces:
        d += ng_block(1, struct.pack("<HHI", lt, 0, snap))
    for i, (ifid, p) in enumerate(packets):
        ts = (1700000000 + i) * 1000000
        d += ng_block(6, struct.pack("<IIIII", ifid, ts >> 32, ts & 0xffffffff, len(p), len(p)) + p)
    return d


GOOD = None


# ---- broken files ---------------------------------------------------------

@test("pcap cut inside a record header: exit 1, file and frame named, 3 frames reported")
def _():
    d = pcap_bytes([udp_frame(i) for i in range(4)])
    p = write("cut-header.pcap", d[:24 + 3 * (16 + len(udp_frame(0))) + 7])
    rc, rep, err = run_json(["-r", p])
    want = f"{p}: frame 4: truncated dump file; tried to read 16 header bytes, only got 7"
    expect(rc == 1 and err == f"mtuscope: {want}\n", f"exit {rc}: {err!r}")
    inp = rep["inputs"][0]
    expect(inp["packets"] == 3 and inp["error"] == want, str(inp))


@test("pcapng cut inside a block: exit 1, file and frame named, earlier frames reported")
def _():
    d = pcapng_bytes([(1, 65535)], [(0, udp_frame(i)) for i in range(4)])
    p = write("cut-block.pcapng", d[:-20])
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 1 and err.startswith(f"mtuscope: {p}: frame 4: "), f"exit {rc}: {err!r}")
    expect(inp["packets"] == 3 and inp["format"] == "pcapng", str(inp))
    expect(inp["error"] and inp["error"].startswith(f"{p}: frame 4: "), str(inp))


@test("records longer than the file's snap length: cut to it, counted truncated, exit 0")
def _():
    # libpcap keeps the first `snaplen` bytes of a longer record and skips the rest
    p = write("over-snap.pcap", pcap_bytes([udp_frame(i) for i in range(4)], snaplen=64))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and err == "", f"exit {rc}: {err!r}")
    expect(inp["packets"] == 4 and inp["truncated"] == 4 and inp["error"] is None, str(inp))
    expect(inp["bytes"] == 4 * len(udp_frame(0)), f"wire bytes {inp['bytes']}")


@test("a record longer than any snap length (300000 bytes): exit 1 at that frame")
def _():
    d = pcap_bytes([udp_frame(0), udp_frame(1)])
    d += struct.pack("<IIII", 1700000005, 0, 300000, 300000) + b"\0" * 300000
    p = write("huge-record.pcap", d)
    rc, rep, err = run_json(["-r", p])
    want = f"{p}: frame 3: invalid packet capture length 300000, bigger than snaplen of 65535"
    expect(rc == 1 and err == f"mtuscope: {want}\n", f"exit {rc}: {err!r}")
    expect(rep["inputs"][0]["packets"] == 2 and rep["inputs"][0]["error"] == want,
           str(rep["inputs"]))


@test("pcapng packets longer than their interface's snap length: read whole, as tshark does")
def _():
    # libpcap's pcapng reader refuses them (its pcap reader cuts them): the
    # fallback reader takes over, also after frames libpcap delivered
    p = write("ng-over-snap.pcapng", pcapng_bytes([(1, 64)], [(0, udp_frame(i)) for i in range(3)]))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and err == "", f"exit {rc}: {err!r}")
    expect(inp["packets"] == 3 and inp["truncated"] == 0 and inp["error"] is None, str(inp))
    expect(inp["bytes"] == 3 * len(udp_frame(0)), str(inp))
    short = udp_frame(0)[:60]
    p = write("ng-over-snap2.pcapng", pcapng_bytes([(1, 64)], [(0, short), (0, udp_frame(1))]))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["packets"] == 2 and inp["error"] is None, f"{rc} {err!r} {inp}")
    with open(p, "rb") as f:  # a pipe: no second reader, the input ends at frame 2
        rc, rep, err = run_json(["-r", "-"], stdin=f)
    want = "-: frame 2: invalid packet capture length 142, bigger than snaplen of 64"
    expect(rc == 1 and err == f"mtuscope: {want}\n", f"exit {rc}: {err!r}")
    expect(rep["inputs"][0]["packets"] == 1, str(rep["inputs"][0]))


@test("a record whose captured length exceeds its wire length: read, exit 0")
def _():
    p = write("cap-over-wire.pcap", pcap_bytes([(udp_frame(0), 60), udp_frame(1)]))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["packets"] == 2 and inp["error"] is None, f"{rc} {err!r} {inp}")


def mixed_pcapng():
    """Ethernet (snap 65535) and raw IP (snap 128) interfaces, alternating."""
    pk = []
    for i in range(6):
        f = udp_frame(i)
        pk.append((0, f) if i % 2 == 0 else (1, f[14:]))
    return pcapng_bytes([(1, 65535), (101, 128)], pk)


@test("pcapng mixing link types and snap lengths: every frame read, both link types")
def _():
    p = write("mixed.pcapng", mixed_pcapng())
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and err == "", f"exit {rc}: {err!r}")
    expect(inp["packets"] == 6 and inp["format"] == "pcapng", str(inp))
    expect(inp["linktypes"] == ["EN10MB", "RAW"], str(inp["linktypes"]))
    stacks = {s["stack"]: s["packets"] for s in inp["stacks"]}
    expect(stacks == {"eth/ipv4/udp": 3, "ipv4/udp": 3}, str(stacks))


@test("gzip: a pcapng mixing link types, reopened through zlib by the fallback reader")
def _():
    import gzip
    p = write("mixed.pcapng.gz", gzip.compress(mixed_pcapng()))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and err == "", f"exit {rc}: {err!r}")
    expect(inp["packets"] == 6 and inp["linktypes"] == ["EN10MB", "RAW"], str(inp))
    # cut inside the fourth packet block: the fallback reader meets the end
    # of the gzip stream (libpcap stopped at frame 2, the second interface)
    full = mixed_pcapng()
    z = gzip.compress(full[:len(full) - 150])
    # the gzip stream cut (its trailer lost): zlib's message; a whole gzip
    # stream of a cut pcapng: the pcapng reader's
    for name, data, why in (("mixed-cut.pcapng.gz", z[:-8], "gzip: unexpected end of file"),
                            ("mixed-short.pcapng.gz", z, "pcapng: file ends inside a block")):
        p = write(name, data)
        rc, rep, err = run_json(["-r", p])
        inp = rep["inputs"][0]
        expect(rc == 1 and err.startswith(f"mtuscope: {p}: frame ") and why in err
               and 0 < inp["packets"] < 6, f"{name}: exit {rc}: {err!r} {inp['packets']}")


@test("gzip cut at every 7th byte: exit 0 or 1, never a crash, the file named")
def _():
    import gzip
    z = gzip.compress(pcap_bytes([udp_frame(i) for i in range(20)]))
    for cut in list(range(0, len(z), 7)) + [len(z) - 1]:
        p = write("every.pcap.gz", z[:cut])
        rc, out, err = run(["-q", "-r", p])
        expect(rc == 1 and err.startswith(f"mtuscope: {p}: "), f"cut at {cut}: {rc} {err!r}")
        expect("gzip" in err or cut == 0, f"cut at {cut}: {err!r}")


@test("pcapng with one link type and two snap lengths: every frame read")
def _():
    d = pcapng_bytes([(1, 65535), (1, 96)], [(i % 2, udp_frame(i)) for i in range(6)])
    p = write("two-snaplens.pcapng", d)
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and err == "" and inp["packets"] == 6, f"exit {rc}: {err!r} {inp}")
    expect(inp["linktypes"] == ["EN10MB"], str(inp["linktypes"]))


@test("pcapng mixing link types on standard input: exit 1, says to give the file")
def _():
    # a pipe cannot be read twice, so the fallback reader cannot take over;
    # libpcap meets the second interface before the first packet
    p = write("mixed-stdin.pcapng", mixed_pcapng())
    want = ("-: frame 1: an interface has a type 101 different from the type of the first "
            "interface; a pipe cannot be read twice: give the file itself with -r FILE")
    with open(p, "rb") as f:
        rc, rep, err = run_json(["-r", "-"], stdin=f)
    inp = rep["inputs"][0]
    expect(rc == 1 and err == f"mtuscope: {want}\n", f"exit {rc}: {err!r}")
    expect(inp["packets"] == 0 and inp["error"] == want, str(inp))


@test("standard input closed mid-record (writer stops): exit 1, frames before it reported")
def _():
    d = pcap_bytes([udp_frame(i) for i in range(5)])
    cut = 24 + 2 * (16 + len(udp_frame(0))) + 16 + 40  # inside frame 3's data
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1")
    proc = subprocess.Popen([BIN, "--json", "-r", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # writes the bytes, then closes the pipe: the writer goes away mid-record
    out, err = proc.communicate(input=d[:cut], timeout=60)
    err = err.decode()
    want = f"-: frame 3: truncated dump file; tried to read {len(udp_frame(0))} captured " \
           f"bytes, only got 40"
    expect(proc.returncode == 1 and err == f"mtuscope: {want}\n",
           f"exit {proc.returncode}: {err!r}")
    inp = json.loads(out)["inputs"][0]
    expect(inp["packets"] == 2 and inp["error"] == want, str(inp))


@test("file with half a pcap header, file with a bad pcap version: exit 1, clear message")
def _():
    p = write("half-header.pcap", pcap_bytes([])[:10])
    rc, _, err = run(["-r", p])
    expect(rc == 1 and err.startswith(f"mtuscope: {p}: not a pcap or pcapng capture ("),
           f"exit {rc}: {err!r}")
    bad = bytearray(pcap_bytes([udp_frame(0)]))
    bad[4:6] = struct.pack("<H", 9)
    p = write("bad-version.pcap", bytes(bad))
    rc, rep, err = run_json(["-r", p])
    expect(rc == 1 and p in err and "version" in err, f"exit {rc}: {err!r}")
    expect(rep["inputs"][0]["packets"] == 0 and p in rep["inputs"][0]["error"], str(rep))


@test("a pcapng with a section header and no interface: exit 1, clear message")
def _():
    p = write("shb-only.pcapng", pcapng_bytes([], []))
    rc, rep, err = run_json(["-r", p])
    want = f"{p}: the capture file has no Interface Description Blocks"
    expect(rc == 1 and err == f"mtuscope: {want}\nmtuscope: no input could be read: no report\n",
           f"exit {rc}: {err!r}")
    expect(rep["inputs"][0]["packets"] == 0 and rep["inputs"][0]["error"] == want, str(rep))
    expect(rep["verdict"] is None, str(rep["verdict"]))


@test("a filter that does not compile for the second input's link type: exit 2, named")
def _():
    eth = write("f-eth.pcap", pcap_bytes([udp_frame(i) for i in range(3)]))
    raw = write("f-raw.pcap", pcap_bytes([udp_frame(i)[14:] for i in range(3)], linktype=101))
    rc, out, err = run(["-r", eth, "-r", raw, "ether", "src", "02:00:00:00:00:01"])
    expect(rc == 2, f"exit {rc}: {err!r}")
    expect(err.startswith(f'mtuscope: {raw}: filter "ether src 02:00:00:00:00:01": ') and
           "ethernet addresses supported only on" in err and eth not in err, err)
    # the same filter on the Ethernet input alone: it compiles and matches all 3
    rc, rep, err = run_json(["-r", eth, "ether", "src", "02:00:00:00:00:01"])
    expect(rc == 0 and rep["inputs"][0]["packets"] == 3, f"{rc} {err!r}")


@test("a filter that does not compile for one pcapng interface: its frames do not match")
def _():
    p = write("mixed-filter.pcapng", mixed_pcapng())
    rc, rep, err = run_json(["-r", p, "ether", "src", "02:00:00:00:00:01"])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["packets"] == 3 and inp["frames"] == 6, f"{rc} {err!r} {inp}")
    expect(inp["stacks"] == [{"stack": "eth/ipv4/udp", "packets": 3}], str(inp["stacks"]))


def tcp_seg(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x02, 65535, 0, 0)


def ipv6_udp(payload):
    u = udp(5000, 53, payload)
    return struct.pack("!IHBB16s16s", 0x60000000, len(u), 17, 64, b"\x20\x01\x0d\xb8" + bytes(11) +
                       b"\x01", b"\x20\x01\x0d\xb8" + bytes(11) + b"\x02") + u


# link types of the same IPv4 packet, as pcapng LINKTYPE_* values
LINK_HEADERS = [
    (1, ETH),                                              # EN10MB
    (101, b""),                                            # RAW
    (0, struct.pack("<I", 2)),                             # NULL (AF_INET, host order)
    (108, struct.pack("!I", 2)),                           # LOOP
    (113, struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800)),   # LINUX_SLL
    (276, struct.pack("!HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, bytes(8))),  # LINUX_SLL2
    (9, b"\xff\x03\x00\x21"),                              # PPP
    (50, b"\xff\x03\x00\x21"),                             # PPP_SERIAL (PPP in HDLC framing)
    (104, b"\x0f\x00\x08\x00"),                              # C_HDLC
    (228, b""),                                            # IPV4
]


@test("a filter on a pcapng of 11 link types (more than capture.c caches): exact matches")
def _():
    # one UDP and one TCP packet per interface; "udp" must keep the UDP ones
    # on every link type, also past the 8 compiled programs capture.c keeps
    ifaces, pk = [], []
    for n, (lt, hdr) in enumerate(LINK_HEADERS):
        ifaces.append((lt, 65535))
        pk.append((n, hdr + ipv4(udp(1000 + n, 53, b"u" * 8))))
        pk.append((n, hdr + ipv4(tcp_seg(2000 + n, 80), proto=6)))
    ifaces.append((229, 65535))  # IPV6
    pk.append((len(ifaces) - 1, ipv6_udp(b"six")))
    p = write("many-linktypes.pcapng", pcapng_bytes(ifaces, pk))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["packets"] == 21 and len(inp["linktypes"]) == 8, f"{rc} {err} {inp}")
    rc, rep, err = run_json(["-r", p, "udp"])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["packets"] == 11 and inp["frames"] == 21, f"{rc} {err!r} {inp}")
    expect(rep["stats"]["tcp_flows"] == 0, str(rep["stats"]))


@test("timestamps out of range: nanoseconds >= 10^9 carried, far future clamped (year 2242)")
def _():
    d = bytearray(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
    for sec, frac in ((1700000000, 2500000000), (4294967295, 4294967295)):
        f = udp_frame(0)
        d += struct.pack("<IIII", sec, frac, len(f), len(f)) + f
    p = write("odd-times.pcap", bytes(d))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["packets"] == 2, f"{rc} {err!r}")
    expect(abs(inp["first_time"] - 1700000002.5) < 1e-6, str(inp["first_time"]))
    expect(abs(inp["last_time"] - (4294967295 + 4.294967295)) < 1e-6, str(inp["last_time"]))
    # pcapng: a timestamp of 2^63 microseconds is past what int64 nanoseconds hold
    blk = pcapng_bytes([(1, 65535)], [(0, udp_frame(0))])
    i = 28 + 20  # the EPB, after the section header and interface blocks
    expect(blk[i:i + 4] == struct.pack("<I", 6), "pcapng layout")
    blk = blk[:i + 12] + struct.pack("<II", 0x7fffffff, 0xffffffff) + blk[i + 20:]
    p = write("far-future.pcapng", blk)
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["last_time"] == 8589934591, f"{rc} {err!r} {inp['last_time']}")


# ---- limits ---------------------------------------------------------------

def ipip_nest(depth, inner):
    """`depth` IPv4-in-IPv4 headers around an IPv4 packet."""
    p = inner
    for i in range(depth):
        p = ipv4(p, proto=4, src=(10, 0, i, 1), dst=(10, 0, i, 2), ident=100 + i)
    return p


@test("PKT_MAX_TUNNELS (8): the 9th nested tunnel is a counted anomaly and a report line")
def _():
    inner = ipv4(udp(1, 2, b"x" * 20))
    p = write("deep.pcap", pcap_bytes([ETH + ipip_nest(8, inner), ETH + ipip_nest(9, inner)]))
    rc, rep, err = run_json(["-r", p])
    inp = rep["inputs"][0]
    expect(rc == 0 and inp["anomalies"] == {"tunnel-too-deep": 1}, f"{rc} {inp['anomalies']}")
    rc, out, _ = run(["-v", "-r", p])
    expect(re.search(r"^ +1  tunnel-too-deep ", out, re.M), out)


@test("PKT_MAX_LAYERS (32): 40 VLAN tags are a counted anomaly")
def _():
    tags = b"".join(struct.pack("!HH", 100 + i, 0x8100) for i in range(39))
    frame = ETH[:12] + b"\x81\x00" + tags + struct.pack("!HH", 139, 0x0800) + \
        ipv4(udp(1, 2, b"y" * 10))
    p = write("vlans.pcap", pcap_bytes([frame]))
    rc, rep, err = run_json(["-r", p])
    an = rep["inputs"][0]["anomalies"]
    expect(rc == 0 and an.get("too-many-layers") == 1, f"{rc} {an}")


def first_fragments(n, size=64, big=False):
    """n first fragments (MF set) of n different datagrams, never completed."""
    out = []
    for i in range(n):
        payload = bytes(size)
        out.append(ETH + ipv4(payload, proto=17, ident=i & 0xffff, frag=0x2000,
                              src=(10, 1, (i >> 16) & 0xff, 1)))
    return out


@test("defrag max datagrams (1024): 3000 open datagrams, 1976 dropped, counted")
def _():
    p = write("frag-count.pcap", pcap_bytes(first_fragments(3000)))
    rc, rep, err = run_json(["-r", p])
    an = rep["inputs"][0]["anomalies"]
    expect(rc == 0 and an.get("fragment-limit") == 1976, f"{rc} {an}")
    # the 1024 still held at the end are given up there, the rest when evicted
    expect(an.get("fragment-incomplete") == 1024, str(an))
    rc, out, _ = run(["-v", "-r", p])
    expect(re.search(r"^ +1976  fragment-limit ", out, re.M), out)


@test("defrag max bytes (8 MiB): 200 datagrams of 60000-byte fragments, counted")
def _():
    # each datagram holds a 64 KiB buffer and an 8 KiB bitmap: 113 fit in 8 MiB
    pk = []
    for i in range(200):
        pk.append(ETH + ipv4(bytes(60000), proto=17, ident=i, frag=0x2000))
    p = write("frag-bytes.pcap", pcap_bytes(pk))
    rc, rep, err = run_json(["-r", p])
    an = rep["inputs"][0]["anomalies"]
    expect(rc == 0 and an.get("fragment-limit") == 87, f"{rc} {an}")
    expect(an.get("fragment-incomplete") == 113, str(an))


@test("--max-flows: 1000 UDP flows with --max-flows=100 evict 900, all counted")
def _():
    pk = [ETH + ipv4(udp(10000 + i, 53, b"q" * 30), ident=i) for i in range(1000)]
    p = write("flows.pcap", pcap_bytes(pk))
    rc, rep, err = run_json(["--max-flows=100", "-r", p])
    expect(rc == 0 and rep["stats"]["udp_flows"] == 1000, f"{rc} {rep['stats']}")
    expect(rep["stats"].get("flows_evicted") == 900 and
           rep["stats"].get("live_flows_peak") == 100, str(rep["stats"]))
    rc, _, err = run(["--max-flows=0", "-r", p])
    expect(rc == 2 and "--max-flows wants a count from 1 to 16777216" in err, err)


def time_v(args):
    """Runs the release build under /usr/bin/time -v: (exit, max RSS KiB, seconds)."""
    p = subprocess.run(["/usr/bin/time", "-v", REL] + args, capture_output=True, timeout=600)
    err = p.stderr.decode()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)",
                  err)
    secs = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return p.returncode, rss, secs, p.stdout


def flood_test():
    path = os.path.join(CORPUS, "suricata-verify", "tests", "ipv6-evasion",
                        "ipv6-dos-with-ext-headers-5", "denial6-5.pcap")
    if not os.path.exists(path) or not REL or not os.path.exists("/usr/bin/time"):
        print("SKIP: flood denial6-5.pcap: ../shared/corpus, the release build or "
              "/usr/bin/time is missing")
        return

    @test("flood denial6-5.pcap (35720 packets): bounded memory and time")
    def _():
        rc, rss, secs, out = time_v(["--json", "-r", path])
        print(f"     denial6-5.pcap: {secs:.2f} s, max RSS {rss} KiB")
        expect(rc == 0 and json.loads(out)["inputs"][0]["packets"] == 35720, f"exit {rc}")
        expect(rss < 256 * 1024 and secs < 60, f"{rss} KiB, {secs} s")


def synthetic_flood_test():
    if not REL or not os.path.exists("/usr/bin/time"):
        print("SKIP: synthetic floods: the release build or /usr/bin/time is missing")
        return

    @test("fragment and flow floods (200000 each): memory stays under the limits' bound")
    def _():
        p = write("frag-flood.pcap", pcap_bytes(first_fragments(200000, size=200)))
        rc, rss, secs, out = time_v(["--json", "-r", p])
        an = json.loads(out)["inputs"][0]["anomalies"]
        print(f"     200000 open fragments: {secs:.2f} s, max RSS {rss} KiB")
        expect(rc == 0 and an.get("fragment-limit") == 200000 - 1024, str(an))
        expect(rss < 128 * 1024 and secs < 60, f"{rss} KiB, {secs} s")
        os.unlink(p)
        pk = [ETH + ipv4(udp(33333, 53, b"f"), ident=i & 0xffff,
                         src=(10, i >> 16, (i >> 8) & 0xff, i & 0xff)) for i in range(200000)]
        p = write("flow-flood.pcap", pcap_bytes(pk))
        rc, rss2, secs2, out = time_v(["--json", "--max-flows=10000", "-r", p])
        rep = json.loads(out)
        print(f"     200000 UDP flows, --max-flows=10000: {secs2:.2f} s, max RSS {rss2} KiB")
        expect(rc == 0 and rep["stats"]["udp_flows"] == 200000, str(rep["stats"]))
        expect(rep["stats"].get("flows_evicted") == 190000, str(rep["stats"]))
        expect(rss2 < 256 * 1024 and secs2 < 60, f"{rss2} KiB, {secs2} s")
        os.unlink(p)

    @test("one packet repeated 300000 times, paired with itself: every copy matched")
    def _():
        # one key, one timestamp: the correlation's worst case (a chain of
        # equal keys, a merge of equal times); quadratic would take hours.
        # IP ID 0: byte-identical repeats on one link are then the sender's
        # own (dedup.h), all analysed, all matched; with an ID they would be
        # the capture's copies of one packet, and the correlation matches
        # what the analysis took
        frame = ETH + ipv4(udp(40001, 9, b"\x01" * 18), ident=0)
        rec = struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame
        p = write("same-packet.pcap", pcap_bytes([]) + rec * 300000)
        rc, rss, secs, out = time_v(["--json", "-r", p, "-r", p])
        c = json.loads(out)["correlation"][0]
        print(f"     300000 equal packets, paired: {secs:.2f} s, max RSS {rss} KiB")
        expect(rc == 0 and c["matched"] == 300000 and c["cap_hits"] == 0, str(c)[:300])
        expect(all(d["lost"] == 0 and d["only_downstream"] == 0 for d in c["directions"]),
               str(c["directions"])[:300])
        expect(rss < 128 * 1024 and secs < 60, f"{rss} KiB, {secs} s")
        os.unlink(p)


def valgrind_test():
    sample = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-client-outer.pcap")
    if not REL or not shutil.which("valgrind") or not os.path.exists(sample):
        print("SKIP: valgrind: the release build, valgrind or the sample is missing")
        return

    @test("valgrind --leak-check=full on a sample (release build): clean")
    def _():
        d = os.path.join(TMP, "vg-out")
        p = subprocess.run(["valgrind", "--error-exitcode=99", "--leak-check=full",
                            "--errors-for-leak-kinds=definite,indirect,possible", "-q",
                            REL, "--stats", "-o", d, "-r", sample, "-r", GOOD],
                           capture_output=True, timeout=600)
        err = p.stderr.decode()
        expect(p.returncode == 0 and "==" not in err, f"exit {p.returncode}:\n{err[-3000:]}")
        expect(os.path.exists(os.path.join(d, "report.json")), "no report.json")


# ---- regressions found by fuzzing ----------------------------------------

# tests/regress/capture-*: capture files, with what a run must give: exit
# status, packets, the start of the error after the file name (None: clean),
# and the exit status with the filter "len >= 0".  tests/regress/README.md
# says where each came from.
REGRESS = {
    # timestamps clamped to CAPTURE_MAX_TS_SEC instead of overflowing flow.c
    "capture-pcapng-timestamp-overflow.pcapng": (0, 2, None, 0),
    # a link type libpcap does not know: counted only, a filter cannot compile
    "capture-unknown-linktype-filter.pcap": (0, 0, None, 2),
}


@test("tests/regress/: every fuzzer-found capture runs clean (sanitizers, exit status)")
def _():
    d = os.path.join(HERE, "regress")
    files = sorted(f for f in os.listdir(d) if f.startswith("capture-"))
    missing = set(REGRESS) - set(files)
    extra = set(files) - set(REGRESS)
    expect(not missing and not extra, f"REGRESS table and tests/regress/ differ: "
           f"missing {sorted(missing)}, not listed {sorted(extra)}")
    for f in files:
        path = os.path.join(d, f)
        want_rc, want_packets, want_err, want_filter_rc = REGRESS[f]
        rc, rep, err = run_json(["-r", path])
        expect(rc == want_rc, f"{f}: exit {rc}, want {want_rc}: {err!r}")
        expect(rep["inputs"][0]["packets"] == want_packets, f"{f}: {rep['inputs'][0]}")
        got = rep["inputs"][0]["error"]
        if want_err is None:
            expect(got is None, f"{f}: error {got!r}")
        else:
            expect(got and got.startswith(path + want_err), f"{f}: error {got!r}")
        rc, _, err = run(["-r", path, "len", ">=", "0"])  # the filter path too
        expect(rc == want_filter_rc, f"{f} with a filter: exit {rc}: {err!r}")


def main():
    global BIN, REL, GOOD
    BIN = os.path.abspath(sys.argv[1])
    REL = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    GOOD = write("good.pcap", pcap_bytes([udp_frame(i) for i in range(5)]))
    robustness_outputs.register(BIN, TMP)  # -o DIR and the other outputs (issue 17)
    flood_test()
    synthetic_flood_test()
    valgrind_test()
    rc = finish("robustness")
    shutil.rmtree(TMP, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
