#!/usr/bin/env python3
"""End-to-end tests: run the mtuscope binary like a user would.

Covers the command line (options, exit codes, messages, --fail-on, tcpdump's
habits, colour and the environment), broken inputs (missing, directory,
empty, not a capture, truncated mid-record, stdin, gzip cut or corrupt),
gzip-compressed inputs against the plain ones, the JSON contract's top-level
fields and its times, -o DIR, filters, make install/uninstall, the man
page, and the shipped samples
with exact expected numbers (tests/expected.tsv), cross-checked against
tshark where it is installed.

Usage: e2e.py MTUSCOPE
"""
import csv
import glob
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

from harness import ETH, csum, expect, finish, ipv4, no_sanitizer, run_binary, tcp, tcp_exchange, test, udp, udp_frame
from harness import csum as harness_csum
from harness import ipv4 as harness_ipv4

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = None

CONTRACT_KEYS = ["tool", "inputs", "stats", "verdict", "flows", "icmp", "storms", "paths",
                 "tunnels", "findings"]
INPUT_KEYS = ["file", "format", "linktypes", "packets", "bytes", "truncated", "malformed", "error"]
STATS_KEYS = ["packets", "tcp_flows", "udp_flows", "ip_fragments", "tcp_retransmissions",
              "icmp_frag_needed", "icmp6_packet_too_big"]


def run(args, stdin=None):
    return run_binary(BIN, args, stdin)


def write_pcap(path, packets, nano=False, linktype=1, cut=0):
    """A classic pcap file; `packets` is a list of bytes; `cut` drops that many
    bytes from the end (a file cut off mid-record)."""
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    data = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, pkt in enumerate(packets):
        data += struct.pack("<IIII", 1700000000 + i, 1000 * i, len(pkt), len(pkt)) + pkt
    if cut:
        data = data[:-cut]
    with open(path, "wb") as f:
        f.write(data)


TMP = tempfile.mkdtemp(prefix="mtuscope-e2e-")
GOOD = os.path.join(TMP, "good.pcap")


@test("help and version exit 0")
def _():
    rc, out, _ = run(["--help"])
    expect(rc == 0 and "Usage: mtuscope" in out and "Exit status" in out, f"--help: {rc}")
    rc, out, _ = run(["-V"])
    expect(rc == 0 and out.startswith("mtuscope 0."), f"-V: {rc} {out!r}")


@test("usage errors exit 2")
def _():
    rc, out, err = run([])
    expect(rc == 2 and "no input" in err and out == "", f"no args: {rc} {err!r}")
    rc, _, err = run(["--bogus", "-r", GOOD])
    expect(rc == 2 and "bogus" in err, f"unknown option: {rc} {err!r}")
    rc, _, err = run(["-r"])
    expect(rc == 2 and "-r needs an argument" in err, f"-r without file: {rc} {err!r}")
    rc, _, err = run(["-c", "x", "-r", GOOD])
    expect(rc == 2 and "-c" in err, f"bad -c: {rc} {err!r}")
    rc, _, err = run(["-r", GOOD, "port", "and", "and"])
    expect(rc == 2 and "filter" in err and GOOD in err, f"bad filter: {rc} {err!r}")


STATUSES = ["blackhole", "pmtud-working", "fragmentation-loss", "mss-clamped",
            "retransmission-storm", "healthy", "inconclusive"]


@test("--fail-on: exit 3 when the verdict is listed, 0 when not, 1 still wins, 2 on a typo")
def _():
    bh = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-server-outer.pcap")
    ok = os.path.join(ROOT, "samples", "lab-fixed-wg1374-path1434-client-wg.pcap")
    cases = [(["--fail-on=problem", "-r", bh], 3), (["--fail-on=problem", "-r", ok], 0),
             (["--fail-on=healthy", "-r", ok], 3), (["--fail-on=healthy", "-r", bh], 0),
             (["--fail-on", "mss-clamped,blackhole", "-r", bh], 3),
             (["--fail-on=inconclusive", "-r", GOOD], 3), (["-r", bh], 0),
             (["--fail-on=inconclusive", "-r", GOOD, "-r", os.path.join(TMP, "nope.pcap")], 1)]
    for args, want in cases:
        rc, out, err = run(["-q"] + args)
        no_sanitizer(err)
        expect(rc == want, f"{args}: exit {rc}, want {want}: {err!r}")
        expect(out.count("\n") == 1, f"{args}: the report is still printed: {out!r}")
    rc, out, err = run(["--fail-on=blackhole,bogus", "-r", GOOD])
    expect(rc == 2 and out == "" and '"bogus"' in err and all(s in err for s in STATUSES)
           and "problem" in err, f"unknown status: {rc} {err!r}")
    for bad in (["--fail-on=", "-r", GOOD], ["--fail-on=healthy,", "-r", GOOD], ["--fail-on"]):
        rc, _, err = run(bad)
        expect(rc == 2 and "fail-on" in err, f"{bad}: {rc} {err!r}")
    # every status the verdict table (verdict.c) can give is one --fail-on
    # accepts, and the --help, the man page and the README name exit status 3
    with open(os.path.join(ROOT, "analyzer", "verdict.c")) as f:
        given = set(re.findall(r'\[VS_[A-Z_]+\] = \{"([a-z-]+)"', f.read()))
    expect(len(given) == 7 and given <= set(STATUSES), f"verdict.c gives {given}")
    for st in STATUSES:
        rc, _, err = run([f"--fail-on={st}", "-q", "-r", GOOD])
        expect(rc == (3 if st == "inconclusive" else 0), f"--fail-on={st}: {rc} {err!r}")
    rc, out, _ = run(["--help"])
    expect("--fail-on" in out and "3 the verdict" in out, "--help does not document --fail-on")
    with open(os.path.join(ROOT, "docs", "mtuscope.1")) as f:
        man = f.read()
    expect("fail\\-on" in man and "\n.B 3\n" in man, "the man page does not document exit 3")
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    expect("--fail-on" in readme and "| 3 |" in readme, "README: no --fail-on, no exit 3 row")


def run_tty(args, env_extra, drop=()):
    """Runs the binary with stdout on a pseudo-terminal; returns (exit code,
    what it printed there)."""
    import pty
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra)
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN] + args, stdout=slave, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return p.wait(timeout=120), seen.decode("utf-8", "replace")


@test("tcpdump habits: -n ignored; a file without -r, or where the filter goes: exit 2, -r suggested")
def _():
    rc, out, err = run(["-n", "-q", "-r", GOOD])
    expect(rc == 0 and out.startswith("inconclusive: "), f"-n: {rc} {err!r}")
    rc, out, err = run(["--help"])
    expect("  -n " in out and "never" in out and "resolves" in out, "--help: -n")
    # mtuscope x.pcap: an existing file, and a name that only looks like one
    gz = os.path.join(TMP, "missing.pcap.gz")
    for word in (GOOD, gz, os.path.join(TMP, "x.PCAPNG"), os.path.join(TMP, "y.cap")):
        rc, out, err = run([word])
        expect(rc == 2 and out == "" and f'"{word}" looks like a capture file' in err
               and f"mtuscope -r {word}'" in err, f"{word}: {rc} {err!r}")
    rc, _, err = run([GOOD, "udp"])
    expect(rc == 2 and f"mtuscope -r {GOOD} -- udp'" in err, f"with a filter: {rc} {err!r}")
    # -r a.pcap b.pcap: b.pcap exists, or is only named like a capture
    for second in (GOOD, gz):
        rc, out, err = run(["-r", GOOD, second])
        expect(rc == 2 and out == "" and f'"{second}" looks like a file, not a filter' in err
               and f"mtuscope -r {GOOD} -r {second}'" in err, f"{second}: {rc} {err!r}")
    rc, _, err = run(["-r", GOOD, "udp", "and", "port", "9", gz])
    expect(rc == 2 and f'"{gz}" looks like a file' in err
           and f"-r {GOOD} -r {gz} -- udp and port 9'" in err, f"filter then file: {rc} {err!r}")
    # a real filter is left alone, and a word after -- is always the filter
    rc, out, err = run(["--json", "-r", GOOD, "udp", "src", "port", "40003"])
    expect(rc == 0 and json.loads(out)["inputs"][0]["packets"] == 1, f"filter: {rc} {err!r}")
    rc, _, err = run(["-r", GOOD, "--", GOOD])
    expect(rc == 2 and "looks like" not in err and "filter" in err, f"after --: {rc} {err!r}")


@test("--color alone is auto; NO_COLOR and TERM=dumb turn auto off, not always; -q with --json is refused")
def _():
    plain = {"TERM": "xterm"}
    rc, out = run_tty(["--color", "-r", GOOD], plain, drop=("NO_COLOR",))
    expect(rc == 0 and "\x1b[" in out, f"bare --color on a terminal: {rc} {out[:80]!r}")
    rc, out = run_tty(["-r", GOOD], plain, drop=("NO_COLOR",))
    expect(rc == 0 and "\x1b[" in out, f"default on a terminal: {rc} {out[:80]!r}")
    rc, out, _ = run(["--color", "-r", GOOD])
    expect(rc == 0 and "\x1b[" not in out, "bare --color into a pipe")
    for env in ({"NO_COLOR": "1", "TERM": "xterm"}, {"TERM": "dumb"}):
        rc, out = run_tty(["--color=auto", "-r", GOOD], env, drop=("NO_COLOR",))
        expect(rc == 0 and "\x1b[" not in out and "verdict: " in out, f"{env}: {out[:80]!r}")
        rc, out = run_tty(["--color=always", "-r", GOOD], env, drop=("NO_COLOR",))
        expect(rc == 0 and "\x1b[" in out, f"{env} with --color=always: {out[:80]!r}")
    rc, out = run_tty(["-r", GOOD], {"NO_COLOR": "", "TERM": "xterm"})
    expect(rc == 0 and "\x1b[" in out, f"NO_COLOR empty: {out[:80]!r}")
    rc, out, err = run(["-q", "--json", "-r", GOOD])
    expect(rc == 2 and out == "" and "-q and --json" in err, f"-q --json: {rc} {err!r}")


@test("a good file: exit 0, counts, JSON contract fields")
def _():
    rc, out, err = run(["--json", "-r", GOOD])
    no_sanitizer(err)
    expect(rc == 0, f"exit {rc}: {err}")
    rep = json.loads(out)
    for k in CONTRACT_KEYS:
        expect(k in rep, f"missing top-level key {k}")
    inp = rep["inputs"][0]
    for k in INPUT_KEYS:
        expect(k in inp, f"missing inputs[].{k}")
    for k in STATS_KEYS:
        expect(k in rep["stats"], f"missing stats.{k}")
    expect(inp["packets"] == 5 and inp["format"] == "pcap" and inp["linktypes"] == ["EN10MB"],
           f"input: {inp}")
    expect(inp["bytes"] == 5 * len(udp_frame(0)), f"bytes {inp['bytes']}")
    expect(inp["error"] is None and inp["malformed"] == 0 and inp["truncated"] == 0, str(inp))
    expect(inp["stacks"] == [{"stack": "eth/ipv4/udp", "packets": 5}], str(inp["stacks"]))
    expect(rep["verdict"]["status"] == "inconclusive", str(rep["verdict"]))
    expect(rep["tool"]["name"] == "mtuscope", str(rep["tool"]))


@test("text report leads with the verdict; --stats adds per-layer counts")
def _():
    rc, out, _ = run(["--full", "-r", GOOD])
    expect(rc == 0 and out.startswith("verdict: "), out[:200])
    expect("eth/ipv4/udp" in out, out)
    rc, out2, _ = run(["--stats", "-r", GOOD])
    expect(rc == 0 and "per-layer counts" in out2 and "per-layer counts" not in out, out2)
    expect("\x1b[" not in out, "colour escape in a non-terminal report")


@test("-q prints only the verdict line; -v lists every flow")
def _():
    rc, out, _ = run(["-q", "-r", GOOD])
    expect(rc == 0 and out.count("\n") == 1 and out.startswith("inconclusive: "), repr(out))
    rc, out, _ = run(["-v", "-r", GOOD])
    expect(rc == 0 and "per-layer counts" in out and "#1 " in out, out)


@test("nanosecond pcap")
def _():
    p = os.path.join(TMP, "nano.pcap")
    write_pcap(p, [udp_frame(i) for i in range(3)], nano=True)
    rc, out, err = run(["--json", "-r", p])
    expect(rc == 0, err)
    inp = json.loads(out)["inputs"][0]
    expect(inp["packets"] == 3 and abs(inp["first_time"] - 1700000000.0) < 1e-9, str(inp))
    expect(abs(inp["last_time"] - (1700000002 + 2000e-9)) < 1e-9, str(inp["last_time"]))


@test("missing file: exit 1, message names it, an error entry and no verdict")
def _():
    p = os.path.join(TMP, "nope.pcap")
    rc, out, err = run(["--json", "-r", p])
    expect(rc == 1 and p in err and "No such file" in err, f"{rc} {err!r}")
    rep = json.loads(out)
    expect(rep["inputs"][0]["error"] and p in rep["inputs"][0]["error"], str(rep["inputs"]))
    expect(rep["verdict"] is None and rep["error"] == "no input could be read", str(rep)[:300])
    rc, out, err = run(["-v", "-r", p])
    expect(rc == 1 and out == "" and "no input could be read" in err, f"text: {out!r}")


@test("directory, empty file, text file: exit 1 with a clear message")
def _():
    rc, _, err = run(["-r", TMP])
    expect(rc == 1 and "is a directory" in err and TMP in err, err)
    empty = os.path.join(TMP, "empty.pcap")
    open(empty, "wb").close()
    rc, _, err = run(["-r", empty])
    expect(rc == 1 and empty in err and "not a pcap or pcapng capture" in err, err)
    txt = os.path.join(TMP, "notes.txt")
    with open(txt, "w") as f:
        f.write("this is not a capture\n" * 10)
    rc, _, err = run(["-r", txt])
    expect(rc == 1 and txt in err and "not a pcap or pcapng capture" in err, err)


@test("file cut off mid-record: exit 1, names the frame, earlier frames analysed")
def _():
    p = os.path.join(TMP, "cut.pcap")
    write_pcap(p, [udp_frame(i) for i in range(4)], cut=30)
    rc, out, err = run(["--json", "-r", p])
    no_sanitizer(err)
    expect(rc == 1 and p in err and "frame 4" in err, f"{rc} {err!r}")
    inp = json.loads(out)["inputs"][0]
    expect(inp["packets"] == 3 and "frame 4" in inp["error"], str(inp))


@test("a 200-character directory: no finding, summary or path evidence is cut (issue 12)")
def _():
    d = os.path.join(TMP, "l" * 200)
    os.makedirs(d, exist_ok=True)
    args = ["--json"]
    for v in ("client-outer", "client-wg", "server-outer", "server-wg"):
        f = f"lab-incident-wg1420-path1434-{v}.pcap"
        shutil.copy(os.path.join(ROOT, "samples", f), d)
        args += ["-r", os.path.join(d, f)]
    rc, out, err = run(args)
    expect(rc == 0, err)
    rep = json.loads(out)
    texts = [f["message"] for f in rep["findings"]] + [rep["verdict"]["summary"]] + \
        rep["verdict"]["recommendations"] + [e for p in rep["paths"] for e in p["evidence"]]
    quoting = [t for t in texts if d in t]
    expect(quoting, "no text quotes the directory: the test proves nothing")
    for t in quoting:
        # every quoted path is whole: the directory, then one of the four names
        for part in t.split(d)[1:]:
            expect(re.match(r"/lab-incident-wg1420-path1434-(client|server)-(outer|wg)\.pcap",
                            part), f"cut: ...{t[-120:]!r}")
    rc, txt, _ = run(args[1:])
    expect(rc == 0 and "lab-incide\n" not in txt, txt[:400])


@test("an IPv6 DF ping sweep gets IPv6 advice: MSS = MTU - 60, packet-too-big (issue 12)")
def _():
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")

    def icmp6(s, t, typ, seq, size):
        body = struct.pack("!HH", 7, seq) + b"\0" * (size - 40 - 8)
        pseudo = s + t + struct.pack("!I3xB", 8 + len(body) - 4 + 4, 58)
        msg = struct.pack("!BBH", typ, 0, 0) + body
        c = sum(struct.unpack(f"!{(len(pseudo + msg) + 1) // 2}H",
                              (pseudo + msg) + b"\0" * ((len(pseudo + msg)) % 2)))
        while c >> 16:
            c = (c & 0xffff) + (c >> 16)
        msg = struct.pack("!BBH", typ, 0, ~c & 0xffff) + body
        ip6 = struct.pack("!IHBB", 0x60000000, len(msg), 58, 64) + s + t
        return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd" + ip6 + msg

    pkts = []
    for i, size in enumerate(range(1300, 1501, 20)):
        pkts.append(icmp6(src, dst, 128, i, size))
        if size <= 1420:
            pkts.append(icmp6(dst, src, 129, i, size))
    p = os.path.join(TMP, "sweep6.pcap")
    write_pcap(p, pkts)
    rc, out, err = run(["--json", "-r", p])
    expect(rc == 0, err)
    v = json.loads(out)["verdict"]
    recs = " ".join(v["recommendations"])
    expect(v["status"] == "blackhole" and "at or below 1439 bytes" in recs, str(v))
    expect("MSS of 1379" in recs and "packet-too-big" in recs and "frag-needed" not in recs,
           recs)


@test("untested path: TCP data delivered but nothing near the MSS is inconclusive, never "
      "healthy; full-size deliveries are healthy (issue 13 item 4)")
def _():
    # (name, client sizes, server sizes, MSS, SYN seen, status, words in the summary)
    cases = [
        ("ssh-like", [48] * 20, [96] * 20, (1460, 1460), True, "inconclusive", "Not tested"),
        ("small web page", [300], [900, 700], (1460, 1460), True, "inconclusive", "Not tested"),
        ("download", [300], [1460] * 8, (1460, 1460), True, "healthy", "No sign"),
        # 1380 + 40 = 1420 is full size: a WireGuard interface's MSS
        ("download, MSS 1380", [300], [1380] * 8, (1380, 1380), True, "healthy", "No sign"),
        # the sender's own MSS (its interface) limits it too: 1420 is its full size,
        # so the path was tested (whether 1460 against 1380 is a clamp is another rule)
        ("sender's MSS 1380", [300], [1380] * 8, (1460, 1380), True, "tested", ""),
        # options take up to 40 bytes: 1488 of 1500 (timestamps) is still full size
        ("with options", [300], [1448] * 8, (1460, 1460), True, "healthy", "No sign"),
        ("one 1200-byte reply", [300], [1200], (1460, 1460), True, "inconclusive", "was 1240 bytes"),
        ("no SYN, 1000-byte packets", [300], [1000] * 8, (0, 0), False, "inconclusive",
         "its SYN"),
        ("no SYN, 1400-byte packets", [300], [1360] * 8, (0, 0), False, "healthy", "No sign"),
    ]
    for name, c2s, s2c, mss, syn, status, words in cases:
        p = os.path.join(TMP, "untested-" + name.replace(" ", "-").replace(",", "") + ".pcap")
        write_pcap(p, tcp_exchange(c2s, s2c, mss=mss, syn=syn))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        v = json.loads(out)["verdict"]
        if status == "tested":
            expect(v["status"] != "inconclusive", f"{name}: {v}")
        else:
            expect(v["status"] == status and words in v["summary"], f"{name}: {v}")


def write_pcap_timed(path, frames, linktype=1):
    """A classic pcap of (seconds, frame) pairs."""
    data = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)]
    for t, pkt in frames:  # a list joined once: adding to bytes is quadratic
        sec = int(t)
        data.append(struct.pack("<IIII", 1700000000 + sec, int(round((t - sec) * 1e6)),
                                len(pkt), len(pkt)) + pkt)
    with open(path, "wb") as f:
        f.write(b"".join(data))


def client_server(dport=80, sport=50000, c=(192, 0, 2, 1), s=(198, 51, 100, 2)):
    """The segment makers of a connection's client (c:sport) and server (s:dport): each
    takes tcp()'s seq, ack, flags, payload and options and returns an Ethernet frame."""
    return (lambda *a, **k: ETH + tcp(sport, dport, *a, src=c, dst=s, **k),
            lambda *a, **k: ETH + tcp(dport, sport, *a, src=s, dst=c, **k))


def report_of(name, frames, *more):
    """The JSON report of a capture of (seconds, frame) pairs, written as TMP/name.pcap, or
    of several read together (more: the other captures' frames, TMP/name-1.pcap...); a
    run that fails is the test's failure."""
    args = ["--json"]
    for i, fr in enumerate((frames,) + more):
        p = os.path.join(TMP, f"{name}.pcap" if i == 0 else f"{name}-{i}.pcap")
        write_pcap_timed(p, fr)
        args += ["-r", p]
    rc, out, err = run(args)
    expect(rc == 0, f"{name}: {err}")
    return json.loads(out) if rc == 0 else {"verdict": {"status": None, "summary": err},
                                             "findings": [], "paths": []}


def download_into_black_hole(head):
    """The start of a download (RTT 10 ms): handshake, request, a `head`-byte answer that
    arrives, then two 1500-byte segments lost on the path.  Returns the client's and the
    server's segment makers, the frames, the next sequence number and the time after."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH + tcp(80, 50000, *a, src=s, dst=c, **k)
    seq = 5001 + head
    fr = [(0.000, C(1000, 0, "S", mss=1460)), (0.010, S(5000, 1001, "SA", mss=1460)),
          (0.020, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"d" * head)), (0.041, C(1101, seq, "A"))]
    t = 0.042
    fr.append((t, S(seq, 1101, "PA", b"x" * 1460)))  # lost on the path
    fr.append((t + 0.0001, S(seq + 1460, 1101, "PA", b"x" * 1460)))  # and this one
    return C, S, fr, seq, t


def healed_in(C, S, fr, seq, t, payload, n, mark=lambda f: f):
    """The sender going on from seq at time t in n segments of `payload` bytes (each made
    by S, then mark()), every second one acknowledged 10 ms later; fr sorted, returned."""
    for k in range(n):  # the same bytes, then more, smaller
        fr.append((t, mark(S(seq, 1101, "PA", b"y" * payload))))
        seq += payload
        t += 0.0005
        if k % 2:
            fr.append((t + 0.010, C(1101, seq, "A")))
    fr.sort(key=lambda x: x[0])
    return fr


def resized_download(pause):
    """A download whose two 1500-byte segments are never acknowledged and are sent again
    as 750-byte halves `pause` seconds later; then the transfer goes on in halves.
    RTT 10 ms."""
    C, S, fr, seq, t = download_into_black_hole(1000)
    return healed_in(C, S, fr, seq, t + pause, 730, 8)


def macos_healed_download(rto=0.3):
    """A download from a macOS server through a black hole: XNU re-sends its 1500-byte
    segment with DF after one RTO, and at the second timeout (t_rxtshift == 2) clears DF and
    lowers the MSS to net.inet.tcp.pmtud_blackhole_mss, 1200: 1240-byte packets without DF
    from then on, which cross.  RTT 10 ms."""
    C, S, fr, seq, t = download_into_black_hole(300)
    fr.append((t + rto, S(seq, 1101, "PA", b"x" * 1460)))  # first timeout: the same, DF set
    # the second timeout: DF cleared, MSS 1200
    return healed_in(C, S, fr, seq, t + 3 * rto, 1200, 6, without_df)


def ipv6_pkt(payload, nh, src, dst, hlim=64):
    """An IPv6 header and payload (no extension headers)."""
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim, bytes(src),
                       bytes(dst)) + payload


ETH6 = ETH[:12] + b"\x86\xdd"


def sending_side(kind, rtt, rto, burst, copies, v6=False, peer_gap=None, after=None, tail=1.0,
                 df=True, others=(), chatty=None):
    """The sending side of a path that drops full-size datagrams, one bulk transfer and
    nothing else.  A small exchange (rtt apart), then `burst` full-size datagrams back to
    back; the last of them re-sent `copies - 1` times at rto, 2 rto, 4 rto...; the peer,
    receiving nothing, sends nothing.  peer_gap: the peer's last packet this long before
    the burst (default: one rtt).  after: "same" sends the full size again after the run
    and the peer answers at once (an outage that ended), "smaller" steps down.
    kind: wg (WireGuard, 51820), esp (IP protocol 50), quic (UDP 443), dtls (WebRTC's data
    channel: SCTP in DTLS over UDP, whose retransmission timer doubles from RTO.Min 1 s,
    RFC 4960 6.3.3).  others: times
    after the burst at which another inner flow sends a full-size datagram of its own;
    chatty: the peer sends a small packet at this period all along (its own clock)."""
    a, b = ((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,), (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,)) \
        if v6 else ((192, 0, 2, 1), (198, 51, 100, 2))
    full = 1500
    seq = {"c": 0, "s": 0}

    def pkt(frm, ip_size):
        src, dst = (a, b) if frm == "c" else (b, a)
        seq[frm] += 1
        hdr = 40 if v6 else 20
        if kind == "esp":
            body = struct.pack("!II", 0x1000 if frm == "c" else 0x2000, seq[frm])
            body += bytes(ip_size - hdr - len(body))
            proto = 50
        else:
            n = ip_size - hdr - 8
            if kind == "wg":
                inner = n - 32
                body = struct.pack("<BxxxIQ", 4, 7 if frm == "c" else 9, seq[frm] - 1) + \
                    bytes(inner + 16)
                ports = (51820, 51820)
            elif kind == "dtls":  # WebRTC: a DTLS 1.2 application-data record (RFC 6347)
                body = struct.pack("!BHH", 23, 0xfefd, 1) + seq[frm].to_bytes(6, "big") + \
                    struct.pack("!H", n - 13) + bytes(n - 13)
                ports = (52000, 61000) if frm == "c" else (61000, 52000)
            else:
                body = bytes([0x40]) + bytes(n - 1)  # a QUIC short header
                ports = (50123, 443) if frm == "c" else (443, 50123)
            body = udp(ports[0], ports[1], body)
            proto = 17
        if v6:
            return ETH6 + ipv6_pkt(body, proto, src, dst)
        return ETH + ipv4(body, proto=proto, src=src, dst=dst, ident=seq[frm],
                          frag=0x4000 if df else 0)

    small = 124 if not v6 else 144
    plan, t = [], 0.0  # (time, sender, IP size), made into frames in time order below
    for k in range(3):  # a request and its answer, a few times
        plan.append((t, "c", small))
        plan.append((t + rtt, "s", small + 32))
        t += rtt + 0.005
    gap = peer_gap if peer_gap is not None else rtt
    t = plan[-1][0] + gap
    for k in range(burst):
        plan.append((t, "c", full))
        t += 0.00012
    burst_end = last = plan[-1][0]
    iv = rto
    for k in range(copies - 1):
        last += iv
        plan.append((last, "c", full))
        iv *= 2
    if after == "same":
        last += iv * 1.5
        plan.append((last, "c", full))
        plan.append((last + rtt, "s", small))
    elif after == "smaller":
        last += 0.001
        plan.append((last, "c", 1280))
        plan.append((last + rtt, "s", small))
    end = last + tail
    plan += [(burst_end + o, "c", full) for o in others]
    tt = burst_end - gap / 2
    while chatty and tt < end:
        plan.append((tt, "s", small))
        tt += chatty
    plan.sort(key=lambda x: x[0])  # counters and IP ids rise with time
    fr = [(t0, pkt(frm, size)) for t0, frm, size in plan]
    fr.append((end, pkt("c", small)))  # the sender's last words, not answered
    return fr


def sending_side_verdicts(cases):
    """Each case (name, sending_side() arguments, blackhole expected, words the summary
    holds or None): the verdict and the blackhole finding; with words, the finding says the
    peer had answered just before."""
    for name, args, want, words in cases:
        p = os.path.join(TMP, f"sending-{name}.pcap")
        write_pcap_timed(p, sending_side(**args))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        v = rep["verdict"]
        bh = [f for f in rep["findings"] if f["kind"] == "blackhole"]
        if not want:
            expect(v["status"] != "blackhole" and not bh, f"{name}: {v} {bh}")
            continue
        expect(v["status"] == "blackhole" and bool(bh), f"{name}: {v} {rep['findings']}")
        if words:
            expect(words in v["summary"], f"{name}: {v['summary']}")
            expect("answered" in bh[0]["message"], f"{name}: {bh[0]['message']}")


@test("the sending side of a path that drops full-size datagrams, one transfer and nothing "
      "else: WireGuard, ESP, QUIC and WebRTC's DTLS, IPv4 and IPv6, other timings (issue 13 "
      "items 1, 2)")
def _():
    cases = [  # name, args, blackhole expected, words in the summary
        ("wg4-linux", dict(kind="wg", rtt=0.030, rto=0.210, burst=10, copies=5), True,
         "falls silent"),
        ("wg6-windows-cut", dict(kind="wg", rtt=0.080, rto=0.300, burst=4, copies=4, v6=True,
                                 tail=0.0), True, "falls silent"),
        ("esp4-slow", dict(kind="esp", rtt=0.005, rto=1.0, burst=2, copies=6), True,
         "falls silent"),
        ("quic4", dict(kind="quic", rtt=0.040, rto=0.120 * 2, burst=3, copies=5), True,
         "UDP datagrams"),
        ("dtls4-webrtc", dict(kind="dtls", rtt=0.050, rto=1.0, burst=3, copies=4), True,
         "UDP datagrams"),
        ("dtls6-webrtc", dict(kind="dtls", rtt=0.120, rto=1.0, burst=2, copies=5, v6=True),
         True, "UDP datagrams"),
        # the peer was last heard long before: nothing says the path was up then
        ("wg4-peer-gone", dict(kind="wg", rtt=0.030, rto=0.210, burst=10, copies=5,
                               peer_gap=5.0), False, None),
        # the same size crossed after the run: an outage, not a size
        ("wg4-outage", dict(kind="wg", rtt=0.030, rto=0.210, burst=10, copies=5,
                            after="same"), False, None),
    ]
    sending_side_verdicts(cases)


@test("the sending side of a black hole with other traffic in the tunnel: another flow's "
      "full-size datagrams between the re-sends (one burst per doubling interval) and a peer "
      "talking on its own clock all along (even after the size is sent again) leave the run a "
      "black hole; a steady full-size stream is no run (issue 13 items 1, 2; lab matrix A9)")
def _():
    cases = [  # name, args, blackhole expected
        ("wg4-linux-other-flow", dict(kind="wg", rtt=0.030, rto=0.210, burst=10, copies=5,
                                      others=(0.40, 0.4001, 1.2, 1.2001)), True),
        ("wg6-windows-other-flow", dict(kind="wg", rtt=0.080, rto=0.300, burst=4, copies=5,
                                        v6=True, others=(0.5, 1.6, 3.5)), True),
        ("esp4-other-flow", dict(kind="esp", rtt=0.005, rto=1.0, burst=2, copies=5,
                                 others=(1.6, 4.5)), True),
        ("wg4-chatty-peer-size-again", dict(kind="wg", rtt=0.030, rto=0.210, burst=10,
                                            copies=5, chatty=0.1, after="same"), True),
        ("wg4-chatty-peer", dict(kind="wg", rtt=0.030, rto=0.250, burst=3, copies=4,
                                 chatty=0.2), True),
        # a full-size datagram every 250 ms, answered all along: no timeout backing off
        ("wg4-steady-stream", dict(kind="wg", rtt=0.030, rto=0.250, burst=1, copies=1,
                                   chatty=0.25, others=tuple(0.25 * k for k in range(1, 30))),
         False),
    ]
    sending_side_verdicts([c + (None,) for c in cases])


def wg_exchange(msgs, v6=False):
    """WireGuard data messages (t, sender "c" or "s", inner length) between two hosts,
    counters consecutive per sender, captured at the client: the server's arrive past 7
    routers (TTL / hop limit 57), the client's as it sent them (64); returns (t, frame)
    pairs."""
    a, b = ((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,), (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,)) \
        if v6 else ((192, 0, 2, 1), (198, 51, 100, 2))
    ctr = {"c": 0, "s": 0}
    out = []
    for t, frm, inner in msgs:
        src, dst = (a, b) if frm == "c" else (b, a)
        body = struct.pack("<BxxxIQ", 4, 7 if frm == "c" else 9, ctr[frm]) + bytes(inner + 16)
        ctr[frm] += 1
        body = udp(51820, 51820, body)
        hops = 64 if frm == "c" else 57
        out.append((t, ETH6 + ipv6_pkt(body, 17, src, dst, hlim=hops) if v6 else
                    ETH + ipv4(body, proto=17, src=src, dst=dst, ident=len(out) + 1, ttl=hops)))
    return out


@test("a WireGuard tunnel is healthy only when full-size messages crossed and a later counter "
      "followed them; a quiet tail after a partial exchange is not (issue 13 item 3)")
def _():
    def chat(n, t0=0.0):  # small requests and answers, 50 ms apart
        return [(t0 + 0.05 * k, "c" if k % 2 == 0 else "s", 48 if k % 2 == 0 else 64)
                for k in range(n)]
    cases = [
        # the receiver's view of a download whose full-size messages vanish: 30 small
        # messages, then only the receiver's own requests; nothing large ever arrives
        ("tail-v4", chat(30) + [(2.0 + k * 0.4, "c", 48) for k in range(6)], False, False),
        ("tail-v6", chat(44) + [(3.0 + k * 1.0, "c", 48) for k in range(4)], True, False),
        # full-size messages arrived, but the last of them is the capture's last: loss after
        # it cannot show
        ("full-unfollowed", chat(24) + [(2.0, "s", 1420)], False, False),
        # full-size messages arrived and later counters followed them
        ("full-followed", chat(10) + [(1.0 + 0.001 * k, "s", 1420) for k in range(12)] +
         [(1.1, "c", 48), (1.2, "s", 64), (1.3, "c", 48)], False, True),
        ("full-followed-v6", chat(6) + [(1.0 + 0.002 * k, "s", 1400) for k in range(25)] +
         [(1.5, "s", 64)], True, True),
        # the same, captured at the server (lab matrix A8): the full-size messages carry the
        # TTL their sender gave them, so the later counters are the sender's own and prove
        # nothing about arrival; the client's small ones crossed
        ("full-followed-at-sender", [(t, {"c": "s", "s": "c"}[w], n) for t, w, n in
                                     chat(10) + [(1.0 + 0.001 * k, "s", 1420) for k in range(12)] +
                                     [(1.1, "c", 48), (1.2, "s", 64), (1.3, "c", 48)]],
         False, False),
        ("full-followed-at-sender-v6", [(t, {"c": "s", "s": "c"}[w], n) for t, w, n in
                                        chat(6) + [(1.0 + 0.002 * k, "s", 1400)
                                                   for k in range(25)] + [(1.5, "s", 64)]],
         True, False),
    ]
    for name, msgs, v6, healthy in cases:
        p = os.path.join(TMP, f"wgtail-{name}.pcap")
        write_pcap_timed(p, wg_exchange(msgs, v6))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        v = json.loads(out)["verdict"]
        if healthy:
            expect(v["status"] == "healthy", f"{name}: {v}")
        else:
            expect(v["status"] == "inconclusive", f"{name}: {v}")
            if "at-sender" in name:
                expect("captured where they left" in v["summary"], f"{name}: {v['summary']}")


def outage_download(intervals, rtt=0.010, after=10):
    """A download of 1460-byte segments; one of them is re-sent after each of `intervals`
    with nothing acknowledged, then acknowledged at the same size, and `after` more
    full-size segments follow."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH + tcp(80, 50000, *a, src=s, dst=c, **k)
    fr = [(0.0, C(1000, 0, "S", mss=1460)), (rtt, S(5000, 1001, "SA", mss=1460)),
          (2 * rtt, C(1001, 5001, "A")), (2 * rtt + 0.001, C(1001, 5001, "PA", b"g" * 100))]
    seq, t = 5001, 3 * rtt
    for k in range(10):
        fr.append((t, S(seq, 1101, "A", b"x" * 1460)))
        seq += 1460
        t += 0.001
        fr.append((t + rtt, C(1101, seq, "A")))
    t += 2 * rtt
    fr.append((t, S(seq, 1101, "A", b"x" * 1460)))
    for iv in intervals:
        t += iv
        fr.append((t, S(seq, 1101, "A", b"x" * 1460)))
    seq += 1460
    fr.append((t + rtt, C(1101, seq, "A")))
    t += 2 * rtt
    for k in range(after):
        fr.append((t, S(seq, 1101, "A", b"x" * 1460)))
        seq += 1460
        t += 0.001
        fr.append((t + rtt, C(1101, seq, "A")))
    fr.sort(key=lambda x: x[0])
    return fr


@test("seconds of RTO backoff, then the same size delivered again, is an outage named in the "
      "text; copies or fast re-sends are not (issue 13 item 12)")
def _():
    cases = [("linux", [0.2, 0.4, 0.8, 1.6], True, "3.0 s"),
             ("windows", [0.3, 0.6, 1.2], True, "2.1 s"),
             ("long-rtt-none-after", [1.0, 2.0], True, "3.0 s"),
             ("fast-resends", [0.05, 0.1, 0.2], False, None),  # below any RTO
             ("constant", [0.5, 0.5, 0.5], False, None)]  # no backoff
    for name, iv, want, words in cases:
        p = os.path.join(TMP, f"outage-{name}.pcap")
        write_pcap_timed(p, outage_download(iv, after=0 if "none-after" in name else 10))
        rc, out, err = run(["-v", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        got = "outage, not an MTU problem" in out
        expect(got == want, f"{name}: {out[:600]}")
        if want:
            expect(words in out, f"{name}: {out[:800]}")
            rc, out, err = run(["--json", "-r", p])
            rep = json.loads(out)
            o = [f for f in rep["findings"] if f["kind"] == "outage"]
            expect(len(o) == 1 and rep["verdict"]["status"] == "healthy", f"{name}: {rep}")
            if shutil.which("tshark"):
                n = tshark_count(p, o[0]["wireshark_filter"])
                expect(n == len(iv), f"{name}: filter selects {n} frames, {len(iv)} re-sent")


def write_pcap_snap(path, frames, snap):
    """A classic pcap of (seconds, frame) pairs cut to `snap` bytes each."""
    data = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snap, 1)
    for t, pkt in frames:
        sec = int(t)
        cut = pkt[:snap]
        data += struct.pack("<IIII", 1700000000 + sec, int(round((t - sec) * 1e6)), len(cut),
                            len(pkt)) + cut
    with open(path, "wb") as f:
        f.write(data)


def fragments(payload, ident, mtu, v6=False, src=(198, 51, 100, 2), dst=(192, 0, 2, 1), ttl=64):
    """The frames of one UDP-carrying datagram (payload: the UDP header and data) cut into
    fragments of at most `mtu` bytes, DF clear, captured with TTL / hop limit `ttl` (64: at
    a Linux sender)."""
    out, off = [], 0
    hdr = 48 if v6 else 20
    step = (mtu - hdr) // 8 * 8
    while off < len(payload):
        piece = payload[off:off + step]
        more = off + step < len(payload)
        if v6:
            fh = struct.pack("!BBHI", 17, 0, off | (1 if more else 0), ident)
            out.append(ETH6 + ipv6_pkt(fh + piece, 44, src, dst, hlim=ttl))
        else:
            out.append(ETH + ipv4(piece, proto=17, src=src, dst=dst, ident=ident,
                                  frag=(0x2000 if more else 0) | off // 8,
                                  total=20 + len(piece), ttl=ttl))
        off += step
    return out


def dns_like(keep, n=3, v6=False, tail=5.0, answer=3000, mtu=1500, ttl=64, last_first=False):
    """A client asks n times, 1 s apart; each large answer comes fragmented and only the
    fragments whose index is in keep(query, index) arrive; small datagrams go on for
    `tail` seconds after the last answer.  ttl: the fragments' TTL / hop limit as captured
    (64: at the server, below it: past routers); last_first: each answer's fragments
    captured in reverse order."""
    c = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,) if v6 else (192, 0, 2, 1)
    sv = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,) if v6 else (198, 51, 100, 2)
    E = ETH6 if v6 else ETH

    def small(src, dst, sport, dport, n_, t):
        b = udp(sport, dport, bytes(n_))
        return (t, E + (ipv6_pkt(b, 17, src, dst) if v6 else ipv4(b, src=src, dst=dst, frag=0)))
    fr, t = [], 0.0
    for q in range(n):
        fr.append(small(c, sv, 40000, 53, 40, t))
        frags = list(enumerate(fragments(udp(53, 40000, bytes(answer)), 0x100 + q, mtu, v6, sv,
                                         c, ttl)))
        for pos, (i, f) in enumerate(frags[::-1] if last_first else frags):
            if keep(q, i):
                fr.append((t + 0.02 + 0.0001 * pos, f))
        t += 1.0
    for k in range(int(tail * 2)):
        fr.append(small(sv, c, 123, 123, 48, t + 0.5 * k))
    return fr


@test("fragments that never come while the capture goes on are lost; cut by the snap length "
      "or still arriving at the end they are not (issue 13 item 5, issue 15 item 5)")
def _():
    cases = [  # name, frames, snap, verdict expected ('=' exact, '!' not), fragment-loss finding
        ("dns4-rest-dropped", dns_like(lambda q, i: i == 0), 0, "=fragmentation-loss", True),
        ("syslog4-first-dropped", dns_like(lambda q, i: i > 0, n=4), 0, "=fragmentation-loss",
         True),
        ("game6-rest-dropped", dns_like(lambda q, i: i == 0, v6=True, answer=2400), 0,
         "=fragmentation-loss", True),
        # one of three lost, the others complete: loss, not a filter
        ("dns4-one-lost", dns_like(lambda q, i: q != 1 or i == 0), 0, "!fragmentation-loss",
         True),
        # every fragment came, each cut to 200 bytes by the snap length
        ("dns4-snap-cut", dns_like(lambda q, i: True), 200, "!fragmentation-loss", False),
        # the capture stopped 0.2 s after the first fragment of the last answer
        ("dns4-open-at-end", dns_like(lambda q, i: q < 2 or i == 0, tail=0.0), 0,
         "!fragmentation-loss", False),
    ]
    for name, fr, snap, want, finding in cases:
        p = os.path.join(TMP, f"frag-{name}.pcap")
        if snap:
            write_pcap_snap(p, fr, snap)
        else:
            write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        st = rep["verdict"]["status"]
        expect(st == want[1:] if want[0] == "=" else st != want[1:], f"{name}: {rep['verdict']}")
        fl = [f for f in rep["findings"] if f["kind"] == "fragment-loss"]
        expect(bool(fl) == finding, f"{name}: {rep['findings']}")
        if fl and shutil.which("tshark"):
            n = tshark_count(p, fl[0]["wireshark_filter"])
            expect(n == len(fl[0]["frames"]), f"{name}: filter selects {n}, cites "
                   f"{fl[0]['frames']}: {fl[0]['wireshark_filter']}")


@test("fragments lost between two vantage points: the receiver's capture lost the rest of "
      "every fragmented answer, the sender's has them all (cut by its snap length or whole): "
      "fragmentation-loss, since a datagram completes at its sender whatever the path does "
      "(lab matrix SEED=3 m041 pair)")
def _():
    for snap in (200, 0):
        for v6 in (False, True):
            rx = os.path.join(TMP, f"fragpair-rx-{snap}-{int(v6)}.pcap")
            tx = os.path.join(TMP, f"fragpair-tx-{snap}-{int(v6)}.pcap")
            write_pcap_timed(rx, dns_like(lambda q, i: i == 0, n=4, v6=v6))
            if snap:
                write_pcap_snap(tx, dns_like(lambda q, i: True, n=4, v6=v6), snap)
            else:
                write_pcap_timed(tx, dns_like(lambda q, i: True, n=4, v6=v6))
            rc, out, err = run(["--json", "-r", rx, "-r", tx])
            expect(rc == 0, err)
            v = json.loads(out)["verdict"]
            expect(v["status"] == "fragmentation-loss", f"snap {snap} v6 {v6}: {v}")


def without_df(frame):
    """An Ethernet/IPv4 frame with DF cleared and the header checksum redone."""
    ip = bytearray(frame[14:34])
    ip[6] &= ~0x40 & 0xff
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", csum(bytes(ip)))
    return frame[:14] + bytes(ip) + frame[34:]


def stalled_download(df=True):
    """A download whose first full-size segment is re-sent with backoff and never
    acknowledged, after a small segment that was; the server's packets with DF as given."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: (lambda f: f if df else without_df(f))(ETH + tcp(80, 50000, *a, src=s,
                                                                          dst=c, **k))
    fr = [(0.0, C(1000, 0, "S", mss=1460)), (0.01, S(5000, 1001, "SA", mss=1460)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"h" * 300)), (0.041, C(1101, 5301, "A"))]
    t, iv = 0.05, 0.2
    fr.append((t, S(5301, 1101, "A", b"x" * 1460)))
    fr.append((t + 0.0001, S(6761, 1101, "A", b"x" * 1460)))
    for k in range(5):
        t += iv
        iv *= 2
        fr.append((t, S(5301, 1101, "A", b"x" * 1460)))
    return fr


@test("DF clear on the lost packets: fragmentation-loss, fragments are dropped and the fix is "
      "not ICMP; DF set: a black hole, let ICMP through (issue 13 item 6)")
def _():
    cases = [
        ("wg4-df-clear", sending_side(kind="wg", rtt=0.030, rto=0.210, burst=10, copies=5,
                                      df=False), False),
        ("esp4-df-clear", sending_side(kind="esp", rtt=0.005, rto=1.0, burst=2, copies=6,
                                       df=False), False),
        ("tcp4-df-clear", stalled_download(df=False), False),
        ("wg4-df-set", sending_side(kind="wg", rtt=0.030, rto=0.210, burst=10, copies=5), True),
        ("tcp4-df-set", stalled_download(), True),
    ]
    for name, fr, df in cases:
        p = os.path.join(TMP, f"df-{name}.pcap")
        write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        v = json.loads(out)["verdict"]
        kinds = [a["kind"] for a in v["advice"]]
        # no router refuses a DF-clear packet, it fragments it: what is lost is fragments
        expect(v["status"] == ("blackhole" if df else "fragmentation-loss"), f"{name}: {v}")
        if df:
            expect("DF clear" not in v["summary"] and "stop-dropping-fragments" not in kinds and
                   any(k.startswith("allow-icmp") for k in kinds), f"{name}: {v}")
        else:
            expect("DF clear" in v["summary"] and "stop-dropping-fragments" in kinds and
                   not any(k.startswith("allow-icmp") for k in kinds), f"{name}: {v}")


def completed_download(df=True, n=12):
    """A download whose n full-size (1500-byte) segments are all acknowledged, as the
    server sees it; the server's packets with DF as given."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: (lambda f: f if df else without_df(f))(ETH + tcp(80, 50000, *a, src=s,
                                                                          dst=c, **k))
    fr = [(0.0, C(1000, 0, "S", mss=1460)), (0.01, S(5000, 1001, "SA", mss=1460)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"h" * 300)), (0.041, C(1101, 5301, "A"))]
    seq, t = 5301, 0.05
    for k in range(n):
        fr.append((t, S(seq, 1101, "A", b"x" * 1460)))
        seq += 1460
        fr.append((t + 0.010, C(1101, seq, "A")))
        t += 0.002
    fr.sort(key=lambda x: x[0])
    return fr


@test("an acknowledged packet with DF clear bounds no path: a router may have fragmented it "
      "(RFC 791); with DF set the same acknowledgement proves 1500 bytes cross")
def _():
    for df in (True, False):
        p = os.path.join(TMP, f"acked-df-{'set' if df else 'clear'}.pcap")
        write_pcap_timed(p, completed_download(df=df))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        path = [x for x in rep["paths"] if x["src"] == "198.51.100.2"]
        expect(len(path) == 1, f"df={df}: {rep['paths']}")
        lower = path[0]["mtu_lower"]
        if df:
            expect(lower == 1500, f"df set: {path}")
        else:
            expect(lower is None or lower < 1500, f"df clear: {path}")
            expect(any("DF clear" in e for e in path[0]["evidence"]), f"df clear: {path}")
        expect(rep["verdict"]["status"] == "healthy", f"df={df}: {rep['verdict']}")


def tunnel_with_icmp(proto, mtu=1476, quote=28):
    """stalled_download() inside a GRE (proto 47) or IP-in-IP (4) tunnel between
    203.0.113.1 and .2; after each outer packet above `mtu` a router sends the tunnel
    endpoint a frag-needed quoting `quote` bytes of it."""
    o1, o2 = (203, 0, 113, 1), (203, 0, 113, 2)
    out, ident = [], [100]

    def wrap(inner):
        ident[0] += 1
        down = inner[12:16] == bytes((198, 51, 100, 2))  # from the server's side
        head = struct.pack("!HH", 0, 0x0800) if proto == 47 else b""
        return ETH + ipv4(head + inner, proto=proto, src=o1 if down else o2,
                          dst=o2 if down else o1, ident=ident[0])
    for t, f in stalled_download():
        inner = bytearray(f[14:])
        inner[4:6] = struct.pack("!H", ident[0])  # distinct inner IDs, as a stack sends
        inner[10:12] = b"\0\0"
        inner[10:12] = struct.pack("!H", csum(bytes(inner[:20])))
        frame = wrap(bytes(inner))
        out.append((t, frame))
        if len(frame) - 14 > mtu:
            icmp = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + frame[14:14 + quote]
            icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
            out.append((t + 0.001, ETH + ipv4(icmp, proto=1, src=(198, 18, 0, 1), dst=o1)))
    return out


@test("ICMP about a tunnel's outer packets belongs to the inner flows: never 'no ICMP tells "
      "the sender' when the tunnel endpoint was told (issue 13 item 13)")
def _():
    for name, proto, mtu, quote in (("gre-28", 47, 1476, 28), ("ipip-28", 4, 1480, 28),
                                    ("gre-576", 47, 1400, 548)):
        p = os.path.join(TMP, f"tunicmp-{name}.pcap")
        write_pcap_timed(p, tunnel_with_icmp(proto, mtu, quote))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        v = rep["verdict"]
        bh = [f for f in rep["findings"] if f["kind"] == "blackhole"]
        expect(v["status"] == "blackhole" and "no ICMP" not in v["summary"] and
               f"MTU of {mtu} bytes for the tunnel's outer packets" in v["summary"], f"{name}: {v}")
        expect(bh and "no ICMP seen" not in bh[0]["message"] and "tunnel endpoint" in
               bh[0]["message"], f"{name}: {bh}")
        expect(not any(a["kind"].startswith("allow-icmp") for a in v["advice"]), f"{name}: {v}")


def tunnel_quote_download(kind, shrink, t_icmp=0.0505, nbig=1):
    """A download inside a VXLAN (UDP 4789, VNI 42) or GRE tunnel between 203.0.113.2 (the
    server's end) and .1: the first full-size inner segment (1500 bytes) makes an outer
    packet over the 1500-byte underlay, and a router (198.18.0.1) sends the server's end a
    frag-needed (MTU 1500) quoting 548 bytes of it: the outer headers, the tunnel header and
    the inner IP and TCP headers.  shrink: the inner sender's next packets fit (the endpoint
    passed the MTU on: 1500 - overhead) and are acknowledged; else it re-sends the big
    segment with backoff, never acknowledged.  nbig: full-size segments sent back to back
    before the message (the first quoted)."""
    o_srv, o_cli = (203, 0, 113, 2), (203, 0, 113, 1)
    ident = [200]

    def wrap(inner_ip, down):
        ident[0] += 1
        if kind == "vxlan":
            body = udp(54540 if down else 61000, 4789,
                       struct.pack("!II", 0x08000000, 42 << 8) + ETH + inner_ip)
            proto = 17
        else:
            body = struct.pack("!HH", 0, 0x0800) + inner_ip
            proto = 47
        return ETH + ipv4(body, proto=proto, src=o_srv if down else o_cli,
                          dst=o_cli if down else o_srv, ident=ident[0])
    c, sv = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: wrap(tcp(50000, 80, *a, src=c, dst=sv, **k), False)
    S = lambda *a, **k: wrap(tcp(80, 50000, *a, src=sv, dst=c, **k), True)
    fr = [(0.0, C(1000, 0, "S", mss=1460)), (0.01, S(5000, 1001, "SA", mss=1460)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"h" * 300)), (0.041, C(1101, 5301, "A"))]
    big = S(5301, 1101, "A", b"x" * 1460)
    fr.append((0.05, big))
    for k in range(1, nbig):
        fr.append((0.05 + 0.0001 * k, S(5301 + 1460 * k, 1101, "A", b"x" * 1460)))
    q = big[14:14 + 548]
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1500) + q
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    fr.append((t_icmp, ETH + ipv4(icmp, proto=1, src=(198, 18, 0, 1), dst=o_srv)))
    over = 50 if kind == "vxlan" else 24
    pay = 1500 - over - 40
    if shrink:
        t, seq = 0.06, 5301
        while seq < 5301 + 4 * 1460:
            fr.append((t, S(seq, 1101, "A", b"x" * pay)))
            fr.append((t + 0.01, C(1101, seq + pay, "A")))
            seq += pay
            t += 0.002
    else:
        t, iv = 0.05, 0.2
        for _ in range(5):
            t += iv
            iv *= 2
            fr.append((t, big))
    return sorted(fr, key=lambda x: x[0])


@test("a frag-needed about a tunnel's outer packet, obeyed through the endpoint, explains "
      "the inner packets lost between two captures: PMTUD's first step, not a black hole "
      "(lab matrix SEED=6 m008 pair: VXLAN, 5 inner packets lost before the endpoint shrank)")
def _():
    fr = [(t + 1.0, f) for t, f in tunnel_quote_download("vxlan", True, nbig=3)]
    fr.append((4.0, fr[-1][1]))  # the client's last ACK again: both captures run on 3 s
    rx_fr = []  # at the client's end: what crossed, 1 ms later (or earlier, its own)
    for t, f in fr:
        ip = f[14:]
        if ip[9] == 1 or len(ip) > 1500:  # the message (to the server's end), the big ones
            continue
        down = tuple(ip[12:16]) == (203, 0, 113, 2)
        rx_fr.append((t + 0.001 if down else t - 0.001, f))
    v = report_of("tq-pair", sorted(rx_fr, key=lambda x: x[0]), fr)["verdict"]  # fr: all of it
    expect(v["status"] == "pmtud-working", f"{v['status']}: {v['summary']}")


@test("a frag-needed quoting a tunnel packet belongs to the inner flow in the quote: PMTUD "
      "works when the inner sender then fits the MTU less the tunnel's overhead; when it does "
      "not, the tunnel endpoint was told and the inner sender never was (no 'sender ignores "
      "ICMP')")
def _():
    for kind in ("vxlan", "gre"):
        for shrink in (True, False):
            name = f"tunq-{kind}-{'shrinks' if shrink else 'stalls'}"
            p = os.path.join(TMP, name + ".pcap")
            write_pcap_timed(p, tunnel_quote_download(kind, shrink))
            rc, out, err = run(["--json", "-r", p])
            no_sanitizer(err)
            expect(rc == 0, f"{name}: {err}")
            rep = json.loads(out)
            v = rep["verdict"]
            inner = [f["id"] for f in rep["flows"] if f.get("proto") == "tcp"]
            expect(rep["icmp"] and rep["icmp"][0]["flow"] in inner, f"{name}: {rep['icmp']}")
            kinds = [a["kind"] for a in v["advice"]]
            if shrink:
                expect(v["status"] == "pmtud-working" and rep["icmp"][0]["honored"] is True,
                       f"{name}: {v['status']} {v['summary']} {rep['icmp'][0]}")
            else:
                expect(v["status"] == "blackhole" and "sender-firewall" not in kinds and
                       "ignor" not in v["summary"], f"{name}: {v['status']} {v['summary']}")


@test("fragments are MTU evidence: the largest non-last fragment F pins the link to F..F+7 "
      "bytes; not IPv6 at 1280, not crafted tiny fragments (issue 14 item 4)")
def _():
    # captured at the receiver, past routers (TTL / hop limit below 64): the fragments
    # crossed the path, so they bound it from below too
    cases = [  # name, frames, (lower, upper) of the answers' path or None
        ("v4-router-1400", dns_like(lambda q, i: True, mtu=1400, ttl=61), (1396, 1403)),
        ("v4-576", dns_like(lambda q, i: True, mtu=576, answer=1400, ttl=50), (572, 579)),
        ("v6-source-1456", dns_like(lambda q, i: True, v6=True, mtu=1456, ttl=58), (1456, 1463)),
        ("v6-min-mtu", dns_like(lambda q, i: True, v6=True, mtu=1280, ttl=58), None),
        ("v4-crafted-tiny", dns_like(lambda q, i: True, mtu=68, answer=400, ttl=61), None),
    ]
    for name, fr, want in cases:
        p = os.path.join(TMP, f"cut-{name}.pcap")
        write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        paths = [x for x in rep["paths"] if x["src"] in ("198.51.100.2", "2001:db8::2")]
        got = [(x["mtu_lower"], x["mtu_upper"]) for x in paths]
        if want:
            expect(got == [want], f"{name}: {got} {paths}")
            expect(rep["verdict"]["status"] != "fragmentation-loss", f"{name}: {rep['verdict']}")
        else:
            expect(all(u is None for _, u in got), f"{name}: {got}")
            expect(not any(lo and lo > 1280 for lo, _ in got), f"{name}: a bound from a "
                   f"reassembled datagram: {got}")


@test("a fragment captured at its sender (TTL / hop limit still its initial 64, 128, 255) "
      "has crossed no router: it bounds the path from above (at most F + 7), never from "
      "below; past a router (TTL decremented, RFC 791 / RFC 8200) it arrived and bounds it "
      "from below too (lab matrix A2: 1500-byte fragments on a 1206-byte path)")
def _():
    def raw(fr):  # a capture on the tunnel interface (wg0): raw IP, no Ethernet header
        return [(t, f[14:]) for t, f in fr]
    cases = [  # name, frames, linktype, (lower, upper) of the answers' path
        ("v4-linux-sender", dns_like(lambda q, i: True, ttl=64), 1, (None, 1507)),
        ("v4-windows-sender", dns_like(lambda q, i: True, mtu=1400, ttl=128), 1, (None, 1403)),
        ("v4-router-sender", dns_like(lambda q, i: True, ttl=255), 1, (None, 1507)),
        ("v6-sender", dns_like(lambda q, i: True, v6=True, mtu=1456, ttl=64), 1, (None, 1463)),
        ("v4-past-7-routers", dns_like(lambda q, i: True, ttl=57), 1, (1500, 1507)),
        ("v6-past-5-routers", dns_like(lambda q, i: True, v6=True, mtu=1456, ttl=250), 1,
         (1456, 1463)),
        ("v4-past-router-reordered", dns_like(lambda q, i: True, ttl=60, last_first=True), 1, (1500, 1507)),
        # the rest of each datagram lost after the capture point: what came still crossed
        ("v4-past-router-rest-lost", dns_like(lambda q, i: i == 0, ttl=62), 1, (1500, 1507)),
        # wg0 at either end: routers carry the tunnel's packets, never touch the inner TTL
        ("wg0-sender-1420", raw(dns_like(lambda q, i: True, mtu=1420, ttl=64)), 101,
         (None, 1427)),
    ]
    for name, fr, lt, want in cases:
        p = os.path.join(TMP, f"sender-cut-{name}.pcap")
        write_pcap_timed(p, fr, linktype=lt)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        paths = [x for x in rep["paths"] if x["src"] in ("198.51.100.2", "2001:db8::2")]
        got = [(x["mtu_lower"], x["mtu_upper"]) for x in paths]
        expect(got == [want], f"{name}: {got} {paths}")
        rc, out, err = run(["--full", "-r", p])
        text = " ".join(out.split())
        if want[0] is None:
            # no fragment said to have arrived (other findings may say what never arrived)
            expect(f"at most {want[1]} bytes" in text and "arrived past" not in text and
                   f"carries {want[1] - 7} to" not in text, f"{name}: {text}")
        else:
            expect(f"carries {want[0]} to {want[1]} bytes" in text, f"{name}: {text}")


def recut_fragment(frame, mtu, ttl=63):
    """The pieces a router makes of an Ethernet/IPv4 fragment for a link of `mtu` bytes,
    its TTL decremented: each keeps the datagram's ID, its offset moves on from the
    fragment's own, and every piece but the last of the fragment has MF (RFC 791)."""
    ip = frame[14:]
    ident = struct.unpack("!H", ip[4:6])[0]
    fo = struct.unpack("!H", ip[6:8])[0]
    base, mf = (fo & 0x1fff) * 8, fo & 0x2000
    total = struct.unpack("!H", ip[2:4])[0]
    payload, out, off = ip[20:total], [], 0
    step = (mtu - 20) // 8 * 8
    while off < len(payload):
        piece = payload[off:off + step]
        more = mf if off + step >= len(payload) else 0x2000
        out.append(ETH + ipv4(piece, proto=ip[9], src=tuple(ip[12:16]), dst=tuple(ip[16:20]),
                              ident=ident, frag=more | (base + off) // 8, ttl=ttl))
        off += step
    return out


@test("fragments lost between two vantage points bound no size: a fragment is sent DF clear "
      "and no router drops a DF-clear packet for its size (it cuts it, RFC 791), so a "
      "fragment dropped on the way was dropped for being one; and a crossing larger than "
      "an upper bound sets that bound aside instead of pinning the MTU to it (lab matrix "
      "SEED=4 m016 pair: 'exactly 1372' on a 1377-byte path)")
def _():
    for whole_lost in (False, True):
        # answers of 3553 bytes: fragments of 1500, 1500 and 621 bytes, the last larger
        # than every packet that crosses whole, as in m016
        tx_fr = dns_like(lambda q, i: True, n=4, answer=3553)
        if whole_lost:  # two 1414-byte answers with DF set, which the path drops
            for k in range(2):
                tx_fr.append((4.5 + k, ETH + ipv4(udp(53, 40000, bytes(1386)),
                                                  src=(198, 51, 100, 2), dst=(192, 0, 2, 1),
                                                  ident=0x200 + k)))
        # the server's capture (tx) and the client's (rx), a router between them: what
        # crossed it arrives 1 ms later with its TTL decremented
        rx_fr, sent = [], tx_fr
        tx_fr = []
        for t, f in sent:
            ip = f[14:]
            fo = struct.unpack("!H", ip[6:8])[0]
            if tuple(ip[12:16]) != (198, 51, 100, 2):  # the client's: it crossed to the server
                rx_fr.append((t, f))
                tx_fr.append((t + 0.001, with_ttl(f, 63)))
                continue
            tx_fr.append((t, f))
            if fo & 0x3fff:  # a fragment, to the client
                if fo & 0x1fff == 0:  # the first: re-cut for a 1377-byte link, its first piece kept
                    rx_fr.append((t + 0.001, recut_fragment(f, 1377)[0]))
                continue  # the rest: dropped for being fragments
            if len(ip) > 1377:
                continue  # a whole 1414-byte packet, DF set: dropped, no ICMP
            rx_fr.append((t + 0.001, with_ttl(f, 63)))
        rep = report_of(f"recut-{int(whole_lost)}", rx_fr, tx_fr)
        p = [x for x in rep["paths"] if x["src"] == "198.51.100.2" and x["dst"] == "192.0.2.1"]
        expect(len(p) == 1, f"whole_lost {whole_lost}: {rep['paths']}")
        p = p[0]
        expect((p["mtu_lower"], p["mtu_upper"], p["mtu"]) == (1372, 1379, None),
               f"whole_lost {whole_lost}: bounds {p}")
        expect(not any("never appeared" in e and "upper bound 6" in e for e in p["evidence"]),
               f"whole_lost {whole_lost}: lost fragments made a bound: {p['evidence']}")
        if whole_lost:  # the whole packet's loss still bounds the path (1413 > 1379)
            expect(any(e.startswith("upper bound 1413:") for e in p["evidence"]),
                   f"whole packet's loss: {p['evidence']}")
        fx = rep["verdict"]["fix"]  # nothing pinned: no MTU given as the one to set
        expect(not fx["exact"] and fx["mtu"] is None, f"whole_lost {whole_lost}: fix {fx}")
        expect(rep["verdict"]["status"] == "fragmentation-loss",
               f"whole_lost {whole_lost}: {rep['verdict']['status']}")


def cut_frame(frame, mtu, ttl=63):
    """The fragments a router makes of an Ethernet/IPv4 frame (DF clear) for a link of
    `mtu` bytes, its TTL decremented: each carries the original's ID, addresses and
    protocol (RFC 791)."""
    ip = frame[14:]
    hl = (ip[0] & 15) * 4
    ident = struct.unpack("!H", ip[4:6])[0]
    proto, src, dst = ip[9], tuple(ip[12:16]), tuple(ip[16:20])
    total = struct.unpack("!H", ip[2:4])[0]
    payload, out, off = ip[hl:total], [], 0
    step = (mtu - 20) // 8 * 8
    while off < len(payload):
        piece = payload[off:off + step]
        more = off + step < len(payload)
        out.append(ETH + ipv4(piece, proto=proto, src=src, dst=dst, ident=ident,
                              frag=(0x2000 if more else 0) | off // 8, ttl=ttl))
        off += step
    return out


def cut_upload(n=20, lost=False, proto="tcp", first_only=False):
    """An upload from 192.0.2.1 of n 1500-byte packets with DF clear (ip_no_pmtu_disc=1)
    over a 1240-byte link: the client's capture holds them whole, the server's (past the
    router, 1 ms later) holds the fragments the router made, or nothing when `lost` (a
    router dropping them instead).  Small packets both ways (DF set) match whole.
    proto: tcp (each acknowledged) or udp (a datagram stream answered now and then).
    first_only: a filter on the way drops the non-first fragments (nothing acknowledged)."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    cf, sf = [], []
    d = 0.001

    def both(t, frame, from_client):
        (cf if from_client else sf).append((t, frame))
        (sf if from_client else cf).append((t + d, frame))
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH + tcp(80, 50000, *a, src=s, dst=c, **k)
    both(0.0, C(1000, 0, "S", mss=1460, ident=1), True)
    both(0.01, S(5000, 1001, "SA", mss=1460, ident=100), False)
    both(0.02, C(1001, 5001, "A", ident=2), True)
    seq, t = 1001, 0.03
    for k in range(n):
        if proto == "tcp":
            big = without_df(C(seq, 5001, "A", b"u" * 1460, ident=1000 + k))
        else:
            big = ETH + ipv4(udp(40000, 9, bytes([k]) * 1472), src=c, dst=s, ident=1000 + k,
                             frag=0)
        cf.append((t, big))
        if not lost:
            for i, f in enumerate(cut_frame(big, 1240)[:1 if first_only else None]):
                sf.append((t + d + 0.00001 * i, f))
        seq += 1460
        if proto == "tcp" and not lost and not first_only:
            both(t + 0.005, S(5001, seq, "A", ident=200 + k), False)
        elif k % 4 == 3:
            both(t + 0.005, S(5001, 1001, "A", ident=200 + k), False)
        t += 0.01
    for k in range(40):  # both keep capturing 4 s more: the losses are covered
        both(t + 0.1 * k, S(5001, 1001, "A", ident=300 + k), False)
    return sorted(cf, key=lambda x: x[0]), sorted(sf, key=lambda x: x[0])


@test("a packet whose fragments (same IP ID, addresses, protocol: RFC 791) are in the far "
      "capture was cut by a router and crossed: not lost between the vantage points, and no "
      "lower bound at its size; really lost ones still are (lab matrix A4, m019 pair)")
def _():
    cases = [  # name, (client, server frames), server snap, server first, lost expected
        ("tcp-upload", cut_upload(), 0, False, False),
        # the second fragments dropped on the way: fragment loss, no size lost
        ("udp-first-fragments-only", cut_upload(proto="udp", first_only=True), 0, False,
         "incomplete"),
        ("tcp-upload-server-first", cut_upload(), 0, True, False),
        ("tcp-upload-server-snap-200", cut_upload(), 200, False, False),
        ("udp-stream", cut_upload(proto="udp"), 0, False, False),
        ("tcp-dropped-not-cut", cut_upload(lost=True), 0, False, True),
        ("udp-dropped-not-cut", cut_upload(lost=True, proto="udp"), 0, False, True),
    ]
    for name, (cf, sf), snap, server_first, lost in cases:
        pc = os.path.join(TMP, f"cut-pair-{name}-client.pcap")
        ps = os.path.join(TMP, f"cut-pair-{name}-server.pcap")
        write_pcap_timed(pc, cf)
        if snap:
            write_pcap_snap(ps, sf, snap)
        else:
            write_pcap_timed(ps, sf)
        args = ["-r", ps, "-r", pc] if server_first else ["-r", pc, "-r", ps]
        rc, out, err = run(["--json"] + args)
        no_sanitizer(err)
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        dirs = [d for c in rep["correlation"] for d in c["directions"]
                if d["src"] == "192.0.2.1"]
        expect(len(dirs) == 1, f"{name}: {dirs}")
        d = dirs[0]
        kinds = [f["kind"] for f in rep["findings"]]
        path = [(x["mtu_lower"], x["mtu_upper"]) for x in rep["paths"] if x["src"] == "192.0.2.1"]
        if lost == "incomplete":
            expect(d["lost"] == 0 and d.get("fragmented") == 20 and
                   d.get("fragmented_incomplete") == 20 and d["smallest_lost"] is None,
                   f"{name}: {d}")
            expect("measured" not in rep["verdict"]["summary"].lower(), f"{name}: {rep['verdict']}")
        elif lost:
            expect(d["lost"] == 20 and d.get("fragmented") == 0 and d["smallest_lost"] == 1500 and
                   (44, 1499) in path, f"{name}: {d} {path}")
        else:
            expect(d["lost"] == 0 and d.get("fragmented") == 20 and d.get("largest_fragmented") == 1500
                   and d.get("fragmented_downstream") == 40 and d["only_downstream"] == 0
                   and d.get("fragmented_incomplete") == 0,
                   f"{name}: {d}")
            expect(d["smallest_lost"] is None and rep["verdict"]["status"] != "blackhole",
                   f"{name}: {kinds} {rep['verdict']}")
            expect(all(lo is None or lo < 1500 for lo, _ in path), f"{name}: {path}")


def cut_frame6(frame, mtu, ident, hlim=60):
    """The fragments an IPv6 source makes of an Ethernet/IPv6 frame for a path of `mtu`
    bytes (RFC 8200 4.5: a fragment header after the 40-byte header), captured past
    routers (hop limit `hlim`)."""
    ip = frame[14:]
    nh, src, dst = ip[6], ip[8:24], ip[24:40]
    payload, out, off = ip[40:], [], 0
    step = (mtu - 48) // 8 * 8
    while off < len(payload):
        piece = payload[off:off + step]
        more = off + step < len(payload)
        fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
        out.append(ETH6 + ipv6_pkt(fh + piece, 44, src, dst, hlim=hlim))
        off += step
    return out


def fragmented_download(v6=False, last_first=False, n=12):
    """A completed download as its receiver (192.0.2.1 / 2001:db8::1) captures it: every
    1500-byte segment arrived as fragments (IPv4: a router cut it, DF clear; IPv6: its
    source did), all acknowledged."""
    if v6:
        c, s = bytes(range(16)), bytes(range(16, 32))
        C = lambda *a, **k: ETH6 + tcp6(50000, 80, *a, src=c, dst=s, **k)
        S = lambda *a, **k: ETH6 + tcp6(80, 50000, *a, src=s, dst=c, **k)
    else:
        c, s = (192, 0, 2, 1), (198, 51, 100, 2)
        C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
        S = lambda *a, **k: without_df(ETH + tcp(80, 50000, *a, src=s, dst=c,
                                                 ident=k.pop("ident", 1), **k))
    mss = 1440 if v6 else 1460
    fr = [(0.0, C(1000, 0, "S", mss=mss)), (0.01, S(5000, 1001, "SA", mss=mss)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"h" * 300)), (0.041, C(1101, 5301, "A"))]
    seq, t = 5301, 0.05
    for k in range(n):
        if v6:
            frags = cut_frame6(S(seq, 1101, "A", b"x" * mss), 1280, 0x500 + k)
        else:
            frags = cut_frame(S(seq, 1101, "A", b"x" * mss, ident=0x500 + k), 1240)
        for i, f in enumerate(frags[::-1] if last_first else frags):
            fr.append((t + 0.00001 * i, f))
        seq += mss
        fr.append((t + 0.010, C(1101, seq, "A")))
        t += 0.002
    fr.sort(key=lambda x: x[0])
    return fr


@test("whether a datagram arrived whole is decided by its IP offsets and lengths (RFC 791), "
      "not by the payload bytes the snap length kept: a TCP segment whose fragments all came "
      "is delivered data of its full size at the receiver (lab matrix A3: m001/m019)")
def _():
    cases = [  # name, frames, snap, largest delivered expected (None: not decodable)
        ("v4-snap-200", fragmented_download(), 200, 1500),
        ("v4-snap-128-last-first", fragmented_download(last_first=True), 128, 1500),
        ("v6-snap-200", fragmented_download(v6=True), 200, 1500),
        ("v6-snap-110-last-first", fragmented_download(v6=True, last_first=True), 110, 1500),
        ("v4-whole", fragmented_download(), 65535, 1500),
    ]
    for name, fr, snap, want in cases:
        p = os.path.join(TMP, f"snapfrag-{name}.pcap")
        write_pcap_snap(p, fr, snap)
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        flows = [f for f in rep["flows"] if f["proto"] == "tcp"]
        expect(len(flows) == 1, f"{name}: {flows}")
        dl = flows[0]["server_to_client"]["delivery"]
        expect(dl["largest_delivered"] == want and dl["lost"] == 0 and
               flows[0]["server_to_client"]["acked_unseen_segment"] == 0, f"{name}: {dl} "
               f"{flows[0]['server_to_client']}")
        expect(rep["verdict"]["status"] == "healthy", f"{name}: {rep['verdict']}")


@test("an ICMP MTU message that cannot be true is named in the summary, never 'no ICMP MTU "
      "message' (issue 14 item 6)")
def _():
    a6 = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,)
    b6 = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,)
    r6 = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (9,)

    def ptb(mtu):
        quoted = ipv6_pkt(udp(4000, 5000, bytes(1400)), 17, a6, b6)[:1232]
        body = struct.pack("!BBHI", 2, 0, 0, mtu) + quoted
        return ETH6 + ipv6_pkt(body, 58, r6, a6)

    def fneeded(mtu):
        quoted = ipv4(udp(4000, 5000, bytes(1472)))[:28]
        body = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quoted
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        return ETH + ipv4(body, proto=1, src=(198, 18, 0, 1), dst=(192, 0, 2, 1), frag=0)
    cases = [("ptb-1000", [ptb(1000)], "below IPv6's minimum of 1280"),
             ("ptb-1000-twice", [ptb(1000), ptb(1000)], "2 ICMP MTU messages"),
             ("fneeded-40", [fneeded(40)], "below IPv4's minimum of 68")]
    for name, frames, words in cases:
        p = os.path.join(TMP, f"badicmp-{name}.pcap")
        write_pcap_timed(p, [(0.1 * k, f) for k, f in enumerate(frames)])
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        v = json.loads(out)["verdict"]
        expect("no ICMP MTU message" not in v["summary"] and words in v["summary"],
               f"{name}: {v}")


# the two ends of a path that drops packets over 1300 bytes, captured at once
BLACKHOLE_PAIR = tuple(os.path.join(ROOT, "samples", f"lab-tcp4-blackhole-path1300-{end}-outer.pcap")
                       for end in ("client", "server"))


@test("an input that cannot be read twice (a process substitution, a FIFO) is correlated from "
      "the first pass's records, as the files are; without room for the records the report "
      "says why it is not, and nothing hangs (issue 15 item 7, issue 18)")
def _():
    a, b = BLACKHOLE_PAIR
    rc, out, err = run(["--json", "-r", a, "-r", b])
    expect(rc == 0, err[-800:])
    want = json.loads(out)["correlation"]
    expect(want and want[0]["matched"] > 0, str(want)[:500])
    out_dir = os.path.join(TMP, "fifo-out")
    cmd = (f"exec {shlex.quote(BIN)} -v -o {shlex.quote(out_dir)} -r <(cat {shlex.quote(a)}) "
           f"-r <(cat {shlex.quote(b)})")
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, p.stderr[-800:])
    no_sanitizer(p.stderr)
    expect("cannot be read a second time" not in p.stdout, p.stdout[:3000])
    html = open(os.path.join(out_dir, "report.html"), encoding="utf-8").read()
    expect("cannot be read twice" in html, "the ladder's note is missing from report.html")
    # the same correlation as from the files: every count of every direction
    cmd = (f"exec {shlex.quote(BIN)} --json -r <(cat {shlex.quote(a)}) "
           f"-r <(cat {shlex.quote(b)})")
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, p.stderr[-800:])
    got = json.loads(p.stdout)["correlation"]
    expect(got == want, f"{str(got)[:600]}\n!=\n{str(want)[:600]}")
    # a FIFO given by name, and no temporary file for the records: the note
    fifo = os.path.join(TMP, "capture.fifo")
    os.mkfifo(fifo)
    cmd = (f"cat {shlex.quote(a)} > {shlex.quote(fifo)} & TMPDIR=/nonexistent/dir exec "
           f"{shlex.quote(BIN)} --json -r {shlex.quote(fifo)} -r {shlex.quote(b)}")
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, p.stderr[-800:])
    rep = json.loads(p.stdout)
    notes = [x.get("note") or "" for x in rep.get("correlation") or []]
    expect(any("cannot be read a second time" in n for n in notes), str(notes)[:500])


@test("copies the capture made of packets (each frame twice, as a mirror port on a second "
      "link records it) are not packets on the path: two capture points measure the same loss "
      "with or without them (issue 18)")
def _():
    a, b = BLACKHOLE_PAIR
    with open(b, "rb") as f:
        raw = f.read()
    head, body, out = raw[:24], raw[24:], []
    at = 0
    while at + 16 <= len(body):  # a little-endian Ethernet pcap: each record twice
        caplen = struct.unpack("<I", body[at + 8:at + 12])[0]
        rec = body[at:at + 16 + caplen]
        # the copy as a mirror port on another link records it: other MAC addresses
        # (a byte-identical frame on one link may be a sender's own repeat: dedup.h)
        copy = rec[:16] + bytes.fromhex("02aa00000001 02aa00000002") + rec[28:]
        out += [rec, copy]
        at += 16 + caplen
    doubled = os.path.join(TMP, "server-outer-doubled.pcap")
    with open(doubled, "wb") as f:
        f.write(head + b"".join(out))

    def measured(second):
        rc, out, err = run(["--json", "-r", a, "-r", second])
        c = json.loads(out)["correlation"][0]
        return {(d["src"], d["dst"]): (d["matched"], d["lost"], d["smallest_lost"],
                                       d["lost_at_or_above"]) for d in c["directions"]}

    want, got = measured(b), measured(doubled)
    expect(any(v[1] > 0 for v in want.values()), f"nothing lost on the path: {want}")
    expect(got == want, f"with copies {got} != without {want}")
    i = json.loads(run(["--json", "-r", doubled])[1])["inputs"][0]
    # every IP packet's copy (ARP has no identity to match: dedup.h)
    expect(i["captured_twice"] == i["layers"]["outer"]["ipv4"] and
           i["frames"] == i["packets"] + i["captured_twice"],
           f"the copies are counted, not analysed: {i}")


@test("a full flow list does not switch the comparison of two capture points off: the pair is "
      "matched and the limit is named (issue 15 item 8)")
def _():
    tcpf = tcp_exchange([1000] * 20, [1448] * 20, sport=50100, dport=80)
    many = [udp_frame(i % 60000, 40) for i in range(6000)]  # 6000 flows: more than the list keeps
    a = [(0.001 * k, f) for k, f in enumerate(many)] + \
        [(7.0 + 0.01 * k, f) for k, f in enumerate(tcpf)]
    b = [(7.0005 + 0.01 * k, f) for k, f in enumerate(tcpf)]  # the same flow, downstream
    pa, pb = os.path.join(TMP, "full-a.pcap"), os.path.join(TMP, "full-b.pcap")
    write_pcap_timed(pa, a)
    write_pcap_timed(pb, b)
    rc, out, err = run(["--json", "-r", pa, "-r", pb])
    expect(rc == 0, err)
    rep = json.loads(out)
    expect(rep["stats"]["flows_unlisted"] > 0, str(rep["stats"]))
    pairs = rep["correlation"]
    expect(pairs and pairs[0]["matched"] > 0, json.dumps(pairs)[:800])
    expect("no flow in common" not in json.dumps(pairs), json.dumps(pairs)[:800])


@test("SSH works, HTTP stalls: the flows whose packets stay small on the same path are named "
      "beside the black hole (issue 13 item 10)")
def _():
    def small_flow(port, sport, t0, sizes=(48, 120, 64, 200, 96)):
        fr = tcp_exchange(list(sizes), list(sizes), sport=sport, dport=port)
        return [(t0 + 0.02 * k, f) for k, f in enumerate(fr)]
    cases = [("ssh-http", small_flow(22, 50001, 0.0), ["#2 (SSH)", "#1 (HTTP)"], True),
             ("ssh-smb-http", small_flow(22, 50001, 0.0) + small_flow(445, 50002, 0.5),
              ["(SSH)", "(SMB)", "(HTTP) stalls"], True),
             # the other flow sends full-size packets too: it is no small flow
             ("big-other", small_flow(22, 50001, 0.0, sizes=(1460, 1460, 1460)), [], False)]
    for name, extra, words, want in cases:
        p = os.path.join(TMP, f"smallflows-{name}.pcap")
        fr = sorted(stalled_download() + [(t + 5.0, f) for t, f in extra], key=lambda x: x[0])
        write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        v = json.loads(out)["verdict"]
        expect(v["status"] == "blackhole", f"{name}: {v}")
        got = "Flows whose packets stay small work" in v["summary"]
        expect(got == want and all(w in v["summary"] for w in words), f"{name}: {v['summary']}")


@test("a sender that re-sends an oversized segment as smaller ones at once is no black hole; "
      "after a timeout it is one it healed (issue 13 item 7)")
def _():
    for pause, want in ((0.002, False), (0.004, False), (1.2, True), (0.3, True)):
        p = os.path.join(TMP, f"resized-{pause}.pcap")
        write_pcap_timed(p, resized_download(pause))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        healed = [f for f in rep["findings"] if f["kind"] == "blackhole"]
        expect(bool(healed) == want, f"pause {pause} s: {rep['verdict']} {healed}")
        if want:
            expect("healed" in healed[0]["message"], healed[0]["message"])
        else:  # at once: PMTUD, its ICMP message not in the capture
            v = rep["verdict"]
            expect(v["status"] == "pmtud-working" and "1500-byte packets at once in smaller "
                   "ones" in v["summary"], f"pause {pause} s: {v}")


@test("packets of a size every path carries (576 bytes for IPv4, 1280 for IPv6), re-sent "
      "and never acknowledged, are no MTU black hole: their loss has another cause, a peer "
      "gone or a firewall's state (public corpus: suricata-verify smb2-delete, 164-byte "
      "packets called a black hole; zeek ipv6-http-atomic-frag, 83-byte ones called PMTUD)")
def _():
    C, S = client_server()
    for size, want_blackhole in ((300, False), (536, False), (1460, True)):
        # the request acknowledged, the first answer's segment never: nothing of the
        # server's data is ever delivered
        fr = [(0.000, C(1000, 0, "S", mss=1460)), (0.010, S(5000, 1001, "SA", mss=1460)),
              (0.020, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
              (0.031, S(5001, 1101, "A"))]
        for gap in (0.0, 0.2, 0.6, 1.4, 3.0):  # the timer backing off
            fr.append((0.042 + gap, S(5001, 1101, "PA", b"x" * size)))
        fr.append((8.0, C(1101, 5001, "A")))  # the client still there, nothing acknowledged
        rep = report_of(f"lost-small-{size}", fr)
        bh = [f for f in rep["findings"] if f["kind"] == "blackhole"]
        expect(bool(bh) == want_blackhole and
               (rep["verdict"]["status"] == "blackhole") == want_blackhole,
               f"{size}: {rep['verdict']['status']} {bh}")


@test("a SYN carrying data (TCP Fast Open) whose data the server ignored crossed whole: its "
      "SYN-ACK says so, and the data sent again after the handshake is no black hole healed "
      "(RFC 7413 4.2.2; public corpus: suricata-verify tcp-fastopen-10-syn-data-ignore)")
def _():
    C, S = client_server(443)
    data = b"h" * 1000  # the SYN 1044 bytes with its MSS option, the segment alone 1040
    for resend in (0.02, 0.3):  # the data again at once, or after an RTO-sized pause
        fr = [(0.000, C(1000, 0, "S", data, mss=1460)),   # SYN + 1000 bytes
              (0.010, S(5000, 1001, "SA", mss=1460)),      # the SYN acknowledged, not the data
              (0.011, C(1001, 5001, "A")),
              (resend, C(1001, 5001, "PA", data)),          # the data, as a segment of its own
              (resend + 0.010, S(5001, 2001, "PA", b"r" * 1460)),
              (resend + 0.011, C(2001, 6461, "A"))]
        rep = report_of(f"tfo-{resend}", fr)
        bh = [f for f in rep["findings"] if f["kind"] == "blackhole"]
        expect(not bh and rep["verdict"]["status"] != "blackhole",
               f"re-sent at {resend} s: {rep['verdict']['status']} {bh}")


@test("a sender's data re-sent smaller at once is PMTUD at work only when the MSS fell: not "
      "when what it first sent was larger than the MSS allows (offload super-segments, split "
      "whatever the path), nor for 40 bytes or less (TCP options) (lab matrix SEED=5 "
      "m027/m044 client-inner: a VXLAN sender's window re-sent at once, taken for a "
      "retransmission storm)")
def _():
    def first_sent(payload):  # a download whose two segments of `payload` bytes are lost
        C, S, fr, seq, t = download_into_black_hole(1000)
        fr = [x for x in fr if len(x[1]) - 14 < 1500]
        for k in range(2):
            fr.append((t + 0.0001 * k, S(seq + k * payload, 1101, "PA", b"x" * payload)))
        return C, S, fr, seq, t
    cases = [  # name, first payload, re-sent payload, PMTUD at once expected
        ("mss-fell", 1460, 1160, True),
        ("super-segment", 2920, 1460, False),
        ("options-only", 1460, 1430, False),
        ("small-mtu-reported", 1460, 500, True),  # a router may report down to 68 (RFC 791)
    ]
    for name, first, again, want in cases:
        C, S, fr, seq, t = first_sent(first)
        fr = healed_in(C, S, fr, seq, t + 0.003, again, 10)
        v = report_of(f"resent-{name}", fr)["verdict"]
        got = "at once in smaller ones, without waiting for a timeout" in v["summary"]
        expect(got == want, f"{name}: {v['status']}: {v['summary']}")
        if want:
            expect(v["status"] == "pmtud-working", f"{name}: {v}")


@test("MSS clamp: different MSS values in one capture are only noted; the same SYN with "
      "another MSS at a second capture point proves it (issue 13 item 9)")
def _():
    sizes = ([300], [1320] * 6)
    up = os.path.join(TMP, "clamp-up.pcap")      # the SYN as the client sent it
    down = os.path.join(TMP, "clamp-down.pcap")  # after a router clamped it to 1320
    write_pcap(up, tcp_exchange(*sizes, mss=(1460, 1320), dport=8080))
    write_pcap(down, tcp_exchange(*sizes, mss=(1320, 1320), dport=8080))
    for files, status, kind in (([up], "healthy", "mss-differs"), ([down], "healthy", None),
                                ([up, down], "mss-clamped", "mss-clamped"),
                                ([down, up], "mss-clamped", "mss-clamped")):
        args = ["--json"]
        for f in files:
            args += ["-r", f]
        rc, out, err = run(args)
        expect(rc == 0, err)
        rep = json.loads(out)
        kinds = [x["kind"] for x in rep["findings"]]
        expect(rep["verdict"]["status"] == status and (kind in kinds if kind else not kinds),
               f"{[os.path.basename(f) for f in files]}: {rep['verdict']['status']} {kinds}")
    # hosts of different links, captured at both ends: no rewrite, no clamp
    a = os.path.join(TMP, "phone-a.pcap")
    b = os.path.join(TMP, "phone-b.pcap")
    write_pcap(a, tcp_exchange(*sizes, mss=(1240, 1460), dport=443))
    write_pcap(b, tcp_exchange(*sizes, mss=(1240, 1460), dport=443))
    rc, out, err = run(["--json", "-r", a, "-r", b])
    rep = json.loads(out)
    expect(rep["verdict"]["status"] != "mss-clamped" and
           "mss-clamped" not in [x["kind"] for x in rep["findings"]], str(rep["verdict"]))


@test("a second vantage point never flips PMTUD working into a black hole (issue 13 item 11)")
def _():
    for scen, mtu in (("tcp4-pmtud-ok-path1300", 1300), ("tcp6-pmtud-ok-path1280", 1280)):
        c = os.path.join(ROOT, "samples", f"lab-{scen}-client-outer.pcap")
        s_ = os.path.join(ROOT, "samples", f"lab-{scen}-server-outer.pcap")
        for files in ((c, s_), (s_, c)):
            rc, out, err = run(["--json", "-r", files[0], "-r", files[1]])
            expect(rc == 0, err)
            rep = json.loads(out)
            expect(rep["verdict"]["status"] == "pmtud-working", f"{scen}: {rep['verdict']}")
            expect(any(p["mtu"] == mtu for p in rep["paths"]),
                   f"{scen}: {[(p['src'], p['mtu_lower'], p['mtu_upper']) for p in rep['paths']]}")


def df_sweep_with_frag_needed(mtu, sizes, step=0.02, src=(192, 0, 2, 1), dst=(198, 51, 100, 2),
                              rtr=(198, 51, 100, 254), t0=0.0, ident=100):
    """A DF ping sweep (Windows' ping -f -l, Linux's ping -M do) from `src` to `dst` whose
    requests above `mtu` draw a router's frag-needed (from `rtr`) quoting the request, the
    others an echo reply."""
    from harness import csum, ipv4
    frames, t = [], t0
    for seq, size in enumerate(sizes):
        body = struct.pack("!HH", 0x77, seq) + b"p" * (size - 28)
        icmp = struct.pack("!BBH", 8, 0, 0) + body
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        req = ipv4(icmp, proto=1, src=src, dst=dst, ident=ident + seq)
        frames.append((t, ETH + req))
        if size <= mtu:
            rep = struct.pack("!BBH", 0, 0, 0) + body
            rep = rep[:2] + struct.pack("!H", csum(rep)) + rep[4:]
            frames.append((t + 0.005, ETH + ipv4(rep, proto=1, src=dst, dst=src,
                                                 ident=900 + seq, frag=0)))
        else:
            quote = req[:28]
            fn = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote
            fn = fn[:2] + struct.pack("!H", csum(fn)) + fn[4:]
            frames.append((t + 0.003, ETH + ipv4(fn, proto=1, src=rtr, dst=src,
                                                 ident=500 + seq, frag=0)))
        t += step
    return frames


@test("a DF ping sweep that draws frag-needed is PMTUD working with the exact MTU, not "
      "'no ICMP comes back' nor a sender ignoring ICMP (issue 13 item 14)")
def _():
    cases = [("rising by 10", 1450, list(range(1400, 1501, 10))),
             ("Windows halving", 1400, [1500, 1250, 1375, 1437, 1406, 1390, 1398, 1402, 1400,
                                        1401]),
             ("falling", 1472, list(range(1500, 1460, -4)))]
    for name, mtu, sizes in cases:
        p = os.path.join(TMP, f"sweep-fn-{name.replace(' ', '-')}.pcap")
        write_pcap_timed(p, df_sweep_with_frag_needed(mtu, sizes))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        kinds = [f["kind"] for f in rep["findings"]]
        expect(rep["verdict"]["status"] == "pmtud-working" and "icmp-ignored" not in kinds,
               f"{name}: {rep['verdict']} {kinds}")
        paths = [x for x in rep["paths"] if x["src"] == "192.0.2.1"]
        expect(paths and paths[0]["mtu"] == mtu, f"{name}: {paths}")


def receiver_view(seg, hole, n=16):
    """The receiver's capture of a download in `seg`-byte segments (MSS 1460 both
    ways): after the fourth segment, `hole` bytes never arrive; the data goes on, and
    the hole is filled later by `seg`-byte retransmissions."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH + tcp(80, 50000, *a, src=s, dst=c, **k)
    fr = [(0.0, C(1000, 0, "S", mss=1460)), (0.01, S(5000, 1001, "SA", mss=1460)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100))]
    t, seq, acked = 0.04, 5001, 5001
    for k in range(n):
        if k == 4:
            lost_at, seq = seq, seq + hole  # never arrives
        fr.append((t, S(seq, 1101, "PA", b"d" * seg)))
        seq += seg
        if k < 4:
            acked = seq
        fr.append((t + 0.001, C(1101, acked, "A")))  # duplicate ACKs after the hole
        t += 0.002
    t += 0.2
    for off in range(0, hole, seg):  # the retransmissions fill the hole
        fr.append((t, S(lost_at + off, 1101, "PA", b"r" * min(seg, hole - off))))
        t += 0.001
    fr.append((t + 0.01, C(1101, seq, "A")))
    return fr


@test("small segments are no proof of a smaller path MTU: 'capped' needs a hole larger than "
      "any segment that arrived (issue 13 item 8)")
def _():
    for name, seg, hole, capped in (("app writes 700, one lost", 700, 700, False),
                                    ("app writes 700, hole 1460", 700, 1460, True),
                                    ("app writes 1000, one lost", 1000, 1000, False),
                                    ("re-cut to 1000 after 1460 lost", 1000, 1460, True)):
        p = os.path.join(TMP, f"recv-{seg}-{hole}.pcap")
        write_pcap_timed(p, receiver_view(seg, hole))
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        said = rep["verdict"]["status"] == "pmtud-working"
        expect(said == capped, f"{name}: {rep['verdict']}")


def receiver_hole(seg, hole, src=(198, 51, 100, 2), dst=(192, 0, 2, 1), v6=False,
                  missed=False):
    """The receiver's capture of a download (MSS 1460 both ways) whose data comes in
    `seg`-byte segments; after the fourth, `hole` bytes never arrive, the later segments
    do, answered by duplicate ACKs, and nothing fills the hole.  v6: the same over IPv6
    with src and dst as 16-byte addresses.  missed: the hole's bytes arrived and only the
    capture missed them: the receiver acknowledges them (ACKed unseen segment)."""
    def mk(sport, dport, a, b, *x, **k):
        if not v6:
            return ETH + tcp(sport, dport, *x, src=a, dst=b, **k)
        return ETH6 + ipv6_pkt(tcp(sport, dport, *x, **k)[20:], 6, a, b)
    C = lambda *x, **k: mk(50000, 80, dst, src, *x, **k)
    S = lambda *x, **k: mk(80, 50000, src, dst, *x, **k)
    fr = [(0.0, C(1000, 0, "S", mss=1460)), (0.01, S(5000, 1001, "SA", mss=1460)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100))]
    t, seq, acked = 0.04, 5001, 5001
    for k in range(12):
        if k == 4:
            seq += hole  # never arrives
        fr.append((t, S(seq, 1101, "PA", b"d" * seg)))
        seq += seg
        if k < 4 or missed:
            acked = seq
        fr.append((t + 0.001, C(1101, acked, "A")))
        t += 0.002
    fr.append((t + 3.0, C(1101, acked, "A")))  # the capture goes on; the hole stays
    return fr


@test("a hole at the receiver no larger than a packet that arrived, acknowledged by the "
      "receiver, or between loopback addresses, is no black hole: a black hole drops only "
      "what does not fit, acknowledged bytes arrived, and loopback traffic never leaves its "
      "host (public corpus: suricata-verify http-gap-*, mqtt-*, zeek content-range-gap, "
      "ocsp-request-only: gaps cut into test captures called black holes)")
def _():
    lo6 = (0,) * 15 + (1,)
    cases = [  # name, frames, blackhole expected
        ("one-500-byte-segment-missing", receiver_hole(500, 500), False),
        ("two-full-segments-missing", receiver_hole(500, 2920), True),
        ("missed-by-the-capture", receiver_hole(500, 2920, missed=True), False),
        ("loopback-v4", receiver_hole(500, 2920, (127, 0, 0, 1), (127, 0, 0, 1)), False),
        ("loopback-v4-other-net", receiver_hole(500, 2920, (127, 1, 2, 3), (127, 0, 0, 1)),
         False),
        ("loopback-v6", receiver_hole(500, 2920, lo6, lo6, v6=True), False),
        ("v6-not-loopback", receiver_hole(500, 2920, (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 +
                                          (2,), (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,),
                                          v6=True), True),
    ]
    for name, fr, want in cases:
        v = report_of(f"hole-{name}", fr)["verdict"]
        expect((v["status"] == "blackhole") == want, f"{name}: {v['status']}: {v['summary']}")
        if name.startswith("loopback"):
            expect(v["status"] == "inconclusive" and "loopback addresses never left" in
                   v["summary"], f"{name}: {v['summary']}")


def numbered(frames):
    """The frames of tcp_exchange() with IP IDs counting up per sender, as real stacks
    send them (the ID is bytes 18-19 of the Ethernet frame; the IP checksum is redone)."""
    from harness import csum
    out, ids = [], {}
    for f in frames:
        src = f[26:30]
        ids[src] = ids.get(src, 1000) + 1
        ip = bytearray(f[14:34])
        ip[4:6] = struct.pack("!H", ids[src])
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip)))
        out.append(f[:14] + bytes(ip) + f[34:])
    return out


def cooked(frame, pkttype, ttl_delta=0):
    """An Ethernet frame as tcpdump -i any records it (Linux cooked v1), the TTL lowered
    by ttl_delta (a forwarded packet on its way out)."""
    from harness import csum
    ip = bytearray(frame[14:34])
    ip[8] -= ttl_delta
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", csum(bytes(ip)))
    sll = struct.pack("!HHH8sH", pkttype, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x0800)
    return sll + bytes(ip) + frame[34:]


def inflate_ip_len(frame, extra):
    """The Ethernet/IPv4 frame with its IP total length `extra` bytes longer than what it
    carries (a sanitiser that cut the payload and left the header), checksum redone."""
    from harness import csum
    ip = bytearray(frame[14:34])
    ip[2:4] = struct.pack("!H", struct.unpack("!H", bytes(ip[2:4]))[0] + extra)
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", csum(bytes(ip)))
    return frame[:14] + bytes(ip) + frame[34:]


@test("an IP length beyond the whole frame is clamped to it, as in tshark: no phantom bytes, "
      "no false retransmission, anomaly ip-length-beyond-frame (issue 15 item 6)")
def _():
    base = numbered(tcp_exchange([300, 200], [1460] * 6, dport=80))
    # the client's SYN claims 12 bytes more (the MSS option and 8 bytes a sanitiser cut);
    # the server's SYN-ACK 4; a mid-flow data segment 20 (its next one starts where the
    # frame ended, not where the field said); a pure ACK 12
    cases = {"syn": {0: 12}, "synack": {1: 4}, "data": {5: 20}, "syn-and-ack": {0: 12, 2: 12}}
    for name, edits in cases.items():
        frames = [inflate_ip_len(f, edits[i]) if i in edits else f for i, f in enumerate(base)]
        p = os.path.join(TMP, f"iplen-{name}.pcap")
        write_pcap_timed(p, [(0.01 * i, f) for i, f in enumerate(frames)])
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        an = rep["inputs"][0]["anomalies"]
        expect(an.get("ip-length-beyond-frame") == len(edits) and "short-frame" not in an,
               f"{name}: anomalies {an}")
        expect(rep["stats"]["tcp_retransmissions"] == 0,
               f"{name}: {rep['stats']['tcp_retransmissions']} retransmissions (phantom bytes)")
        expect(tshark_count(p, "tcp.analysis.retransmission") in (None, 0),
               f"{name}: tshark sees a retransmission: the capture is not what it should be")
        expect(not any(f["kind"] in ("storm", "retransmission-storm") for f in rep["findings"]),
               f"{name}: {[f['kind'] for f in rep['findings']]}")
        rc, txt, _ = run(["--stats", "-r", p])
        expect("ip-length-beyond-frame" in txt, f"{name}: the text report does not name it")
    # cut by the snap length instead: the bytes were on the wire, a truncation, no clamp
    p = os.path.join(TMP, "iplen-snapped.pcap")
    data = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(base):
        cap = f[:54] if i == 5 else f  # headers only, the wire length says the rest
        data += struct.pack("<IIII", 1700000000, 10000 * i, len(cap), len(f)) + cap
    with open(p, "wb") as fh:
        fh.write(data)
    rep = json.loads(run(["--json", "-r", p])[1])
    an = rep["inputs"][0]["anomalies"]
    expect(an.get("truncated") == 1 and "ip-length-beyond-frame" not in an, str(an))
    expect(rep["stats"]["tcp_retransmissions"] == 0, str(rep["stats"]))


def ng_block(btype, body, be=False):
    pad = (-len(body)) % 4
    n = 12 + len(body) + pad
    e = ">" if be else "<"
    return struct.pack(e + "II", btype, n) + body + b"\0" * pad + struct.pack(e + "I", n)


def ng_opt(code, value, be=False):
    e = ">" if be else "<"
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * ((-len(value)) % 4)


def ng_ts(t, units, be=False):
    """A pcapng timestamp (high word, low word) of t seconds after 1700000000."""
    ts = int(round((1700000000 + t) * units))
    e = ">" if be else "<"
    return struct.pack(e + "II", ts >> 32, ts & 0xffffffff)


def write_pcapng(path, frames, isbs=(), be=False, nano=False, ifaces=((1, "eth0"),)):
    """A pcapng file: one section, the interfaces [(linktype, name)], the (seconds, frame)
    or (seconds, frame, ifid) packets, then the statistics blocks, each a list of
    (option code, bytes) for interface 0 (or (ifid, options) when a tuple starts with
    "if"); the byte order big-endian when `be`; nanosecond timestamps when `nano`."""
    e = ">" if be else "<"
    units = 10 ** 9 if nano else 10 ** 6
    d = ng_block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), be)
    for lt, name in ifaces:
        opts = ng_opt(2, name.encode(), be) + (ng_opt(9, bytes([9]), be) if nano else b"")
        d += ng_block(1, struct.pack(e + "HHI", lt, 0, 65535) + opts + ng_opt(0, b"", be), be)
    for fr in frames:
        t, f = fr[0], fr[1]
        ifid = fr[2] if len(fr) > 2 else 0
        d += ng_block(6, struct.pack(e + "I", ifid) + ng_ts(t, units, be) +
                      struct.pack(e + "II", len(f), len(f)) + f, be)
    for ifid, opts in isbs:
        body = struct.pack(e + "I", ifid) + ng_ts(frames[-1][0], units, be)
        for code, value in opts:
            body += ng_opt(code, value, be)
        d += ng_block(5, body + ng_opt(0, b"", be), be)
    with open(path, "wb") as fh:
        fh.write(d)


def isb_u64(n, be=False):
    return struct.pack(">Q" if be else "<Q", n)


def isb_end(t, be=False, nano=False):
    return ng_ts(t, 10 ** 9 if nano else 10 ** 6, be)


def unacked_upload(t0=0.0):
    """A client whose last data segment is never acknowledged nor re-sent: in flight when
    the capture's packets end (RTT 10 ms)."""
    fr = tcp_exchange([300, 1000], [200], dport=8080)
    # the handshake, the first exchange, then the last data segment alone
    keep = fr[:-1]
    return [(t0 + 0.01 * i, f) for i, f in enumerate(keep)]


@test("pcapng interface statistics: drops reported next to the counts and in the verdict, "
      "little- and big-endian, both readers (issue 15 item 4)")
def _():
    frames = [(0.01 * i, f) for i, f in enumerate(numbered(tcp_exchange([300], [1460] * 8)))]
    cases = [("le", False, [(0, [(4, isb_u64(1000)), (5, isb_u64(3)), (7, isb_u64(37))])], 40),
             ("be", True, [(0, [(4, isb_u64(1000, True)), (5, isb_u64(0, True)),
                               (7, isb_u64(5, True))])], 5),
             # two statistics blocks: the later one (cumulative) counts, not their sum
             ("two", False, [(0, [(5, isb_u64(1)), (7, isb_u64(1))]),
                             (0, [(5, isb_u64(2)), (7, isb_u64(9))])], 11)]
    for name, be, isbs, want in cases:
        p = os.path.join(TMP, f"isb-drops-{name}.pcapng")
        write_pcapng(p, frames, isbs, be=be)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        inp = rep["inputs"][0]
        expect(inp["capture_dropped"] == want and inp["statistics_blocks"] == len(isbs),
               f"{name}: {inp}")
        expect(any(f["kind"] == "capture-drops" for f in rep["findings"]),
               f"{name}: {[f['kind'] for f in rep['findings']]}")
        expect("dropped" in rep["verdict"]["summary"], f"{name}: {rep['verdict']['summary']}")
        rc, txt, _ = run(["-v", "-r", p])
        expect("CAPTURE DROPS" in txt and f"DROPPED: {want} dropped" in txt, txt[-2500:])
    # no statistics block, or one that says 0 dropped: no warning
    p = os.path.join(TMP, "isb-nodrops.pcapng")
    write_pcapng(p, frames, [(0, [(4, isb_u64(len(frames))), (5, isb_u64(0))])])
    rep = json.loads(run(["--json", "-r", p])[1])
    expect(rep["inputs"][0]["capture_dropped"] == 0 and rep["inputs"][0]["capture_received"]
           == len(frames) and "dropped" not in rep["verdict"]["summary"], str(rep["inputs"][0]))
    # two link types (libpcap refuses it: mtuscope's own pcapng reader): still read
    raw = [(t, f[14:], 1) for t, f in frames]
    p = os.path.join(TMP, "isb-mixed.pcapng")
    write_pcapng(p, frames[:3] + raw[3:], [(1, [(7, isb_u64(4))])],
                 ifaces=((1, "eth0"), (101, "wg0")))
    rep = json.loads(run(["--json", "-r", p])[1])
    expect(rep["inputs"][0]["capture_dropped"] == 4 and
           sorted(rep["inputs"][0]["linktypes"]) == ["EN10MB", "RAW"], str(rep["inputs"][0]))


@test("pcapng capture end well after the last packet: the silence is real, a segment in "
      "flight then is a stall; not with -c, a filter, or an end before the last packet "
      "(issue 15 item 4)")
def _():
    fr = unacked_upload()
    last = fr[-1][0]
    base = os.path.join(TMP, "isb-end-none.pcapng")
    write_pcapng(base, fr)
    r0 = json.loads(run(["--json", "-r", base])[1])
    expect(not any(f["stalled"] for f in r0["flows"]), "no end known: in flight, no stall")
    for name, be, nano, after in (("le", False, False, 5.0), ("be", True, False, 2.5),
                                  ("ns", False, True, 30.0)):
        p = os.path.join(TMP, f"isb-end-{name}.pcapng")
        write_pcapng(p, fr, [(0, [(3, isb_end(last + after, be, nano))])], be=be, nano=nano)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, err)
        rep = json.loads(out)
        inp = rep["inputs"][0]
        expect(inp["capture_end_used"] and
               abs(inp["capture_end_ns"] - inp["last_time_ns"] - after * 1e9) < 2000,
               f"{name}: {inp['capture_end']} {inp['last_time']}")
        stalled = [f for f in rep["flows"] if f["stalled"]]
        expect(len(stalled) == 1, f"{name}: {[f['stalled'] for f in rep['flows']]}")
        ends = [f for f in rep["findings"] if f["kind"] == "capture-end"]
        expect(len(ends) == 1 and "stall is real" in ends[0]["message"] and
               f"{after:.3f} s" in ends[0]["message"], f"{name}: {ends}")
        rc, txt, _ = run(["-v", "-r", p])
        expect("capture ended" in txt and "isb_endtime: no re-send" in txt, txt[-2000:])
    # dumpcap (Wireshark 4.0) writes if_tsresol 9 but its statistics times in microseconds
    p = os.path.join(TMP, "isb-end-dumpcap.pcapng")
    write_pcapng(p, fr, [(0, [(3, isb_end(last + 3.0))])], nano=True)
    rep = json.loads(run(["--json", "-r", p])[1])
    inp = rep["inputs"][0]
    expect(inp["capture_end_used"] and abs(inp["capture_end_ns"] - inp["last_time_ns"] - 3e9)
           < 2000 and sum(f["stalled"] for f in rep["flows"]) == 1, str(inp))
    expect("in microseconds as dumpcap writes it" in run(["-v", "-r", p])[1], "dumpcap's end unsaid")
    # an end less than one minimum RTO (1 s) after the data: nothing proved
    p = os.path.join(TMP, "isb-end-short.pcapng")
    write_pcapng(p, fr, [(0, [(3, isb_end(last + 0.5))])])
    rep = json.loads(run(["--json", "-r", p])[1])
    expect(not any(f["stalled"] for f in rep["flows"]) and
           not any(f["kind"] == "capture-end" for f in rep["findings"]), str(rep["findings"]))
    # the end is not used: the reading stopped early, a filter, or an end before the last packet
    p = os.path.join(TMP, "isb-end-le.pcapng")
    for args, why in ((["-c", "5"], "not read to its end"), (["tcp"], "filter")):
        rc, out, _ = run(["--json", "-r", p] + args if args[0] != "tcp" else
                         ["--json", "-r", p, "tcp"])
        rep = json.loads(out)
        expect(not rep["inputs"][0]["capture_end_used"] and
               not any(f["kind"] == "capture-end" for f in rep["findings"]), f"{args}")
        rc, txt, _ = run(["-v", "-r", p] + args)
        expect("not used" in txt and why in txt, f"{args}: {txt[-1500:]}")
    # a file cut or filtered after the capture keeps its statistics: 591 received, 8 here
    p = os.path.join(TMP, "isb-end-subset.pcapng")
    write_pcapng(p, fr, [(0, [(3, isb_end(last + 5.0)), (4, isb_u64(591))])])
    rep = json.loads(run(["--json", "-r", p])[1])
    expect(not rep["inputs"][0]["capture_end_used"] and
           not any(f["stalled"] for f in rep["flows"]), str(rep["inputs"][0]))
    expect("fewer packets than the capture received" in run(["-v", "-r", p])[1], "no reason given")
    p = os.path.join(TMP, "isb-end-early.pcapng")
    write_pcapng(p, fr, [(0, [(3, isb_end(last - 1.0))])])
    rep = json.loads(run(["--json", "-r", p])[1])
    expect(not rep["inputs"][0]["capture_end_used"] and
           not any(f["stalled"] for f in rep["flows"]), str(rep["inputs"][0]))


@test("a malformed pcapng statistics block is a named anomaly, never trusted, never a crash "
      "(issue 15 item 4)")
def _():
    frames = [(0.01 * i, f) for i, f in enumerate(tcp_exchange([300], [1460] * 4))]
    good = (5, isb_u64(9))
    bad = {"ifdrop of 4 bytes": [(0, [(4, isb_u64(10)), (5, b"\1\0\0\0")])],
           "undeclared interface": [(3, [good])],
           "endtime of 12 bytes": [(0, [(3, b"\0" * 12), good])]}
    for name, isbs in bad.items():
        p = os.path.join(TMP, f"isb-bad-{name.replace(' ', '-')}.pcapng")
        write_pcapng(p, frames, isbs)
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        expect(rc == 0, f"{name}: exit {rc} {err}")
        inp = json.loads(out)["inputs"][0]
        expect(inp["anomalies"].get("bad-pcapng-statistics") == 1 and
               inp["capture_dropped"] == 0 and inp["capture_received"] is None,
               f"{name}: {inp}")
        rc, txt, _ = run(["-v", "-r", p])
        expect("statistics block not used" in txt, f"{name}: {txt[-1200:]}")
    # an option whose length runs past its block: written by hand
    p = os.path.join(TMP, "isb-bad-overrun.pcapng")
    write_pcapng(p, frames)
    body = struct.pack("<III", 0, 0, 0) + struct.pack("<HH", 5, 200) + isb_u64(7)
    with open(p, "ab") as fh:
        fh.write(ng_block(5, body))
    rc, out, err = run(["--json", "-r", p])
    no_sanitizer(err)
    inp = json.loads(out)["inputs"][0]
    expect(rc == 0 and inp["anomalies"].get("bad-pcapng-statistics") == 1 and
           inp["capture_dropped"] == 0, f"{rc} {inp}")
    # a statistics block too short for its fixed fields
    p = os.path.join(TMP, "isb-bad-short.pcapng")
    write_pcapng(p, frames)
    with open(p, "ab") as fh:
        fh.write(ng_block(5, struct.pack("<I", 0)))
    rc, out, err = run(["--json", "-r", p])
    no_sanitizer(err)
    inp = json.loads(out)["inputs"][0]
    expect(rc == 0 and inp["anomalies"].get("bad-pcapng-statistics") == 1, f"{rc} {inp}")


def split_capture(src, outdir, how, arg):
    """Splits src with editcap into rotated files (`how` "-c": at most arg packets a file,
    "-i": arg seconds a file), in the source's format; returns them in order."""
    os.makedirs(outdir, exist_ok=True)
    fmt = "pcapng" if src.endswith(".pcapng") else "pcap"
    with open(src, "rb") as fh:  # nanosecond pcap stays nanosecond (editcap: nsecpcap)
        nano = fh.read(4) in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    base = os.path.join(outdir, "part." + fmt)
    subprocess.run(["editcap", "-F", "nsecpcap" if nano else fmt, how, str(arg), src, base],
                   check=True, capture_output=True)
    return sorted(os.path.join(outdir, f) for f in os.listdir(outdir) if f.startswith("part"))


def report_without_inputs(rep):
    """The JSON report but for the inputs' own identity (names, files, grouping) and each
    finding's frame_files (the frames' files), which a split changes by design."""
    r = json.loads(json.dumps(rep))
    for i in r["inputs"]:
        for k in ("file", "files", "grouping"):
            i.pop(k, None)
    for f in r["findings"]:
        f.pop("frame_files", None)
    return r


def split_tests():
    have = shutil.which("editcap")
    samples = sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap*")))

    def one(sample):
        name = os.path.basename(sample)
        rc0, out0, _ = run(["--json", "-r", sample])
        whole = json.loads(out0)
        frames = whole["inputs"][0]["frames"]
        span = whole["inputs"][0]["last_time"] - whole["inputs"][0]["first_time"]
        # in two halves (cutting the flows mid-transfer), a ring buffer of at least five
        # files, and by time (editcap -i, as tcpdump -G)
        splits = [("-c", frames // 2 + 1), ("-c", max(1, frames // 6)),
                  ("-i", max(1, int(span / 3) + 1))]
        for how, arg in splits:
            d = os.path.join(TMP, "split", f"{name}{how}{arg}")
            parts = split_capture(sample, d, how, arg)
            if how == "-c" and arg == max(1, frames // 6):
                expect(len(parts) >= 5, f"{name}: a ring buffer of {len(parts)} files")
            args = ["--json"]
            for p in parts:
                args += ["-r", p]
            rc, out, err = run(args)
            no_sanitizer(err)
            rep = json.loads(out)
            if len(parts) == 1:
                continue
            expect(rc == rc0 and len(rep["inputs"]) == 1,
                   f"{name} {how} {arg}: {len(parts)} files, {len(rep['inputs'])} inputs: "
                   f"{[i.get('grouping') for i in rep['inputs']]}")
            inp = rep["inputs"][0]
            expect([f["file"] for f in inp["files"]] == parts and inp["grouping"] and
                   "follow each other" in inp["grouping"], f"{name}: {inp['files']}")
            expect(report_without_inputs(rep) == report_without_inputs(whole),
                   f"{name} {how} {arg}: the report differs from the whole file's")
            for f in rep["findings"]:  # each frame named with its file
                for fr, ff in zip(f["frames"], f.get("frame_files", [])):
                    k = parts.index(ff["file"])
                    expect(inp["files"][k]["first_frame"] + ff["frame"] - 1 == fr, f"{f}")

    for sample in samples:
        name = os.path.basename(sample)
        if name in ("gen-truncated.pcap", "gen-two-interfaces.pcapng"):
            continue  # a broken file and a file mixing link types: below

        def t(sample=sample):
            if not have:
                return
            one(sample)
        test(f"rotated: {name} split into files (halves, a ring buffer, by time) gives the "
             f"whole file's report (issue 15 item 3)")(t)


@test("rotated captures: -V FILE lists them; two vantage points at once, files of other "
      "link types, broken or mixed files, a file given twice stay separate, and say why "
      "(issue 15 item 3)")
def _():
    if not shutil.which("editcap"):
        return
    src = os.path.join(ROOT, "samples", "lab-tcp4-blackhole-path1300-server-outer.pcap")
    parts = split_capture(src, os.path.join(TMP, "vlist"), "-c", 30)
    lst = os.path.join(TMP, "vlist.txt")
    with open(lst, "w") as f:
        f.write("\n".join(parts) + "\r\n\n")
    r1 = json.loads(run(["--json", "-V", lst])[1])
    r0 = json.loads(run(["--json", "-r", src])[1])
    expect(len(r1["inputs"]) == 1 and report_without_inputs(r1) == report_without_inputs(r0),
           f"-V: {[i['file'] for i in r1['inputs']]}")
    rc, out, _ = run(["-V"])
    expect(rc == 0 and out.startswith("mtuscope "), "-V alone is still the version")
    rc, _, err = run(["-V", os.path.join(TMP, "no-such-list")])
    expect(rc == 2 and "no-such-list" in err, err)
    # two vantage points captured at once: overlapping times, never one capture
    c = os.path.join(ROOT, "samples", "lab-tcp4-blackhole-path1300-client-outer.pcap")
    rep = json.loads(run(["--json", "-r", c, "-r", src])[1])
    expect(len(rep["inputs"]) == 2 and "overlap" in rep["inputs"][1]["grouping"],
           str([i["grouping"] for i in rep["inputs"]]))
    # each side rotated: two groups, still compared as two vantage points
    cparts = split_capture(c, os.path.join(TMP, "vlist-c"), "-c", 40)
    args = ["--json"]
    for p in cparts + parts:
        args += ["-r", p]
    out2 = run(args)[1]
    rep0 = json.loads(run(["--json", "-r", c, "-r", src])[1])
    # named by their first files; frames numbered across each group: the same report
    rep2 = json.loads(out2.replace(cparts[0], c).replace(parts[0], src))
    expect(len(rep2["inputs"]) == 2 and rep2["correlation"] and
           report_without_inputs(rep2) == report_without_inputs(rep0),
           f"{[i['grouping'] for i in rep2['inputs']]}: {rep2['correlation']}")
    # another link type, a broken file, a file mixing link types, the same file twice
    good = os.path.join(TMP, "good.pcap")
    raw = os.path.join(TMP, "raw-later.pcap")
    write_pcap(raw, [udp_frame(i)[14:] for i in range(5)], linktype=101)
    broken = os.path.join(TMP, "broken-later.pcap")
    write_pcap(broken, [udp_frame(i) for i in range(5)], cut=7)
    for files, why in (([good, raw], "link type"), ([good, broken], "broken"),
                       ([os.path.join(ROOT, "samples", "gen-two-interfaces.pcapng"), good],
                        "link type"),
                       ([good, good], "twice")):
        args = ["--json"]
        for f in files:
            args += ["-r", f]
        rep = json.loads(run(args)[1])
        expect(len(rep["inputs"]) == 2 and why in (rep["inputs"][1]["grouping"] or ""),
               f"{files}: {[i['grouping'] for i in rep['inputs']]}")
    rc, txt, _ = run(["-v", "-r", good, "-r", raw])
    expect("a separate input: another link type" in txt, txt[-800:])


@test("the capture's own copies (a SPAN port, -i any on a router) are counted and analysed "
      "once: no retransmissions, the same verdict (issue 15 items 1-2)")
def _():
    base = numbered(tcp_exchange([300], [1460] * 20, dport=80))
    plain = [(0.01 * i, f) for i, f in enumerate(base)]
    span = [(t + d, f) for t, f in plain for d in (0.0, 0.000004)]
    p0, p1 = os.path.join(TMP, "copies-none.pcap"), os.path.join(TMP, "copies-span.pcap")
    write_pcap_timed(p0, plain)
    write_pcap_timed(p1, span)
    r0 = json.loads(run(["--json", "-r", p0])[1])
    r1 = json.loads(run(["--json", "-r", p1])[1])
    expect(r1["stats"]["tcp_retransmissions"] == r0["stats"]["tcp_retransmissions"] == 0,
           f"retransmissions {r1['stats']['tcp_retransmissions']}")
    expect(r1["verdict"] == r0["verdict"], f"{r1['verdict']} != {r0['verdict']}")
    inp = r1["inputs"][0]
    expect(inp["captured_twice"] == len(base) and inp["forwarded_copies"] == 0, str(inp))
    expect(any(f["kind"] == "capture-copies" for f in r1["findings"]), str(r1["findings"]))
    # -i any on the router between them: each packet in (TTL 64) and out (TTL 63)
    router = [(t + d, cooked(f, 0 if d == 0 else 4, 0 if d == 0 else 1))
              for t, f in plain for d in (0.0, 0.00003)]
    p2 = os.path.join(TMP, "copies-any.pcap")
    data = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 113)
    for t, f in router:
        data += struct.pack("<IIII", 1700000000 + int(t), int(round((t % 1) * 1e6)), len(f),
                            len(f)) + f
    with open(p2, "wb") as fh:
        fh.write(data)
    r2 = json.loads(run(["--json", "-r", p2])[1])
    inp = r2["inputs"][0]
    expect(inp["forwarded_copies"] == len(base) and inp["captured_twice"] == 0, str(inp))
    expect(r2["stats"]["tcp_retransmissions"] == 0, str(r2["stats"]))
    rc, txt, _ = run(["-v", "-r", p1])
    expect("recorded twice" in txt and "editcap -d" in txt, txt[:1500])


@test("no bound of 0, ever: an unknown bound is null in JSON and unsaid in text, on every "
      "sample and the demo (issue 14 item 3)")
def _():
    runs = [[f] for f in sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap*")))]
    runs.append([os.path.join(ROOT, "samples", f"lab-incident-wg1420-path1434-{v}.pcap")
                 for v in ("client-outer", "client-wg", "server-outer", "server-wg")])
    for files in runs:
        args = []
        for f in files:
            args += ["-r", f]
        rc, out, _ = run(["--json"] + args)
        rep = json.loads(out)
        for p in rep["paths"]:
            expect(p["mtu_lower"] != 0 and p["mtu_upper"] != 0 and p["mtu"] != 0,
                   f"{files}: {p}")
        for t in rep["tunnels"]:
            expect(t["path_mtu_lower"] != 0 and t["path_mtu_upper"] != 0, f"{files}: {t}")
        rc, txt, _ = run(args)
        for bad in ("at least 0 bytes", "between 0 and", "up to 0 bytes", " 0-byte"):
            expect(bad not in txt, f"{files}: '{bad}' in the text report")


@test("several inputs, one broken: all reported, exit 1")
def _():
    rc, out, err = run(["--json", "-r", GOOD, "-r", os.path.join(TMP, "nope.pcap"),
                        "-r", GOOD])
    expect(rc == 1, err)
    rep = json.loads(out)
    expect([i["packets"] for i in rep["inputs"]] == [5, 0, 5], str(rep["inputs"]))
    expect(rep["stats"]["packets"] == 10, str(rep["stats"]))


@test("standard input")
def _():
    with open(GOOD, "rb") as f:
        rc, out, err = run(["--json", "-r", "-"], stdin=f)
    expect(rc == 0, err)
    expect(json.loads(out)["inputs"][0]["packets"] == 5, out)
    rc, out, err = run(["--json", "-r", "-"])  # stdin is /dev/null: empty
    expect(rc == 1 and "-: not a pcap or pcapng capture" in err, err)


def same_report(a, b, name_a, name_b):
    """The two JSON reports are equal once b's input names are a's."""
    def strip(x, name):
        if isinstance(x, dict):
            return {k: strip(v, name) for k, v in x.items()}
        if isinstance(x, list):
            return [strip(v, name) for v in x]
        if isinstance(x, str):  # "-" only as a whole value or a message's prefix
            if len(name) > 1:
                return x.replace(name, "INPUT")
            return "INPUT" if x == name else "INPUT: " + x[3:] if x.startswith("-: ") else x
        return x
    return strip(a, name_a) == strip(b, name_b)


@test("gzip: .pcap.gz, .pcapng.gz, a gzip without the name, gzip on stdin: the same report")
def _():
    import gzip
    for sample in ("lab-incident-wg1420-path1434-server-outer.pcap",
                   "gen-two-interfaces.pcapng", "gen-truncated.pcap"):
        src = os.path.join(ROOT, "samples", sample)
        gz = os.path.join(TMP, sample + ".gz")
        noname = os.path.join(TMP, sample.replace(".", "-") + "-compressed")
        with open(src, "rb") as f:
            data = f.read()
        for path in (gz, noname):
            with open(path, "wb") as f:
                f.write(gzip.compress(data))
        rc0, plain, err0 = run(["--json", "-r", src])
        want_rc = 1 if "truncated" in sample else 0  # gen-truncated.pcap ends mid-record
        expect(rc0 == want_rc, f"{sample}: exit {rc0}: {err0}")
        j0 = json.loads(plain)
        for path in (gz, noname):
            rc, out, err = run(["--json", "-r", path])
            no_sanitizer(err)
            expect(rc == rc0 and err == err0.replace(src, path), f"{path}: {rc} {err!r}")
            j = json.loads(out)
            expect(j["verdict"] == j0["verdict"] and j["stats"] == j0["stats"],
                   f"{path}: {j['verdict']['status']} {j['stats']}")
            expect(same_report(j0, j, src, path), f"{path}: the JSON reports differ")
        rc, out, err = run(["-r", gz])
        rc0, text0, _ = run(["-r", src])
        expect(out == text0.replace(src, gz), f"{gz}: the text reports differ")
        with open(gz, "rb") as f:
            rc, out, err = run(["--json", "-r", "-"], stdin=f)
        if sample.endswith(".pcapng"):  # mixes link types: needs a second read, as plain
            expect(rc == 1 and "a pipe cannot be read twice" in err, f"{gz} on stdin: {err!r}")
        else:
            expect(rc == rc0 and same_report(j0, json.loads(out), src, "-"),
                   f"{gz} on stdin: {rc} {err!r}")
    # two gzip inputs are correlated like the plain ones
    # (paths of the same length, base names the same: the inference writes
    # them into fixed-size buffers); the compressed ones found by their magic
    names = [f"lab-incident-wg1420-path1434-{v}-outer.pcap" for v in ("client", "server")]
    a, b = (os.path.join(TMP, "pl", n) for n in names)
    ga, gb = (os.path.join(TMP, "gz", n) for n in names)
    os.makedirs(os.path.join(TMP, "pl"), exist_ok=True)
    os.makedirs(os.path.join(TMP, "gz"), exist_ok=True)
    for n, p, g in zip(names, (a, b), (ga, gb)):
        with open(os.path.join(ROOT, "samples", n), "rb") as f:
            data = f.read()
        with open(p, "wb") as f:
            f.write(data)
        with open(g, "wb") as f:
            f.write(gzip.compress(data))
    rc, out, _ = run(["--json", "-r", a, "-r", b])
    j0 = json.loads(out)
    rc, out, err = run(["--json", "-r", ga, "-r", gb])
    j = json.loads(out.replace(ga, a).replace(gb, b))
    expect(rc == 0 and j == j0, f"correlated gzip inputs: {rc} {err!r}")


@test("gzip cut short or corrupt: exit 1, the file named, frames before it reported")
def _():
    import gzip
    src = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-server-outer.pcap")
    with open(src, "rb") as f:
        z = gzip.compress(f.read())
    cut = os.path.join(TMP, "cut.pcap.gz")
    with open(cut, "wb") as f:
        f.write(z[:len(z) // 2])
    rc, out, err = run(["--json", "-r", cut])
    no_sanitizer(err)
    inp = json.loads(out)["inputs"][0]
    expect(rc == 1 and err.startswith(f"mtuscope: {cut}: frame ")
           and "gzip: unexpected end of file" in err, f"cut: {rc} {err!r}")
    expect(inp["packets"] > 0 and "gzip" in inp["error"], str(inp))
    head = os.path.join(TMP, "head.pcap.gz")
    with open(head, "wb") as f:
        f.write(z[:12])
    rc, out, err = run(["-r", head])
    expect(rc == 1 and err == f"mtuscope: {head}: gzip: unexpected end of file "
           "(the compressed file is cut short)\nmtuscope: no input could be read: no report\n",
           f"header only: {rc} {err!r}")
    bad = bytearray(z)
    for i in range(len(z) // 3, len(z) // 3 + 64):
        bad[i] ^= 0x5a
    corrupt = os.path.join(TMP, "corrupt.pcap.gz")
    with open(corrupt, "wb") as f:
        f.write(bad)
    rc, out, err = run(["-q", "-r", corrupt])
    no_sanitizer(err)
    expect(rc == 1 and err.startswith(f"mtuscope: {corrupt}: ") and "gzip" in err,
           f"corrupt: {rc} {err!r}")
    text = os.path.join(TMP, "notes.gz")
    with open(text, "wb") as f:
        f.write(gzip.compress(b"not a capture\n" * 100))
    rc, _, err = run(["-r", text])
    expect(rc == 1 and f"{text}: not a pcap or pcapng capture inside the gzip" in err,
           f"gzip of a text: {rc} {err!r}")


@test("BPF filter keeps frame numbers; -c stops early")
def _():
    rc, out, err = run(["--json", "-r", GOOD, "udp", "src", "port", "40003"])
    expect(rc == 0, err)
    inp = json.loads(out)["inputs"][0]
    expect(inp["packets"] == 1 and inp["frames"] == 5, str(inp))
    rc, out, err = run(["--json", "-c", "2", "-r", GOOD])
    expect(json.loads(out)["inputs"][0]["packets"] == 2, out)


@test("-o DIR writes report.txt and report.json")
def _():
    d = os.path.join(TMP, "out", "sub")
    os.makedirs(os.path.dirname(d), exist_ok=True)
    rc, out, err = run(["-v", "-o", d, "-r", GOOD])
    expect(rc == 0, err)
    with open(os.path.join(d, "report.json")) as f:
        expect(json.load(f)["inputs"][0]["packets"] == 5, "report.json")
    with open(os.path.join(d, "report.txt")) as f:
        expect(f.read() == out, "report.txt differs from stdout")


@test("make install and make uninstall into a DESTDIR: exactly the same files, both ways")
def _():
    dest = os.path.join(TMP, "destdir")
    os.makedirs(os.path.join(dest, "usr", "bin"))
    other = os.path.join(dest, "usr", "bin", "other-tool")  # not ours: must survive
    open(other, "w").close()
    def files():
        return sorted(os.path.relpath(os.path.join(d, f), dest)
                      for d, _, fs in os.walk(dest) for f in fs)
    def make(target):
        p = subprocess.run(["make", "-s", "-C", ROOT, target, f"DESTDIR={dest}", "PREFIX=/usr"],
                           capture_output=True, timeout=600)
        expect(p.returncode == 0, f"make {target}: {p.stderr.decode()[-500:]}")
    make("install")
    plots = sorted(f for f in os.listdir(os.path.join(ROOT, "plots")) if f.endswith(".gp"))
    want = sorted(["usr/bin/mtuscope", "usr/bin/other-tool", "usr/share/man/man1/mtuscope.1",
                   "usr/share/mtuscope/report.schema.json"]
                  + [f"usr/share/mtuscope/plots/{f}" for f in plots])
    expect(files() == want, f"installed: {files()}")
    with open(os.path.join(dest, "usr/share/mtuscope/report.schema.json"), "rb") as f, \
            open(os.path.join(ROOT, "docs/report.schema.json"), "rb") as g:
        expect(f.read() == g.read(), "the installed schema differs")
    rc, out, err = run_binary(os.path.join(dest, "usr/bin/mtuscope"), ["-q", "-r", GOOD])
    expect(rc == 0 and out.startswith("inconclusive: "), f"the installed binary: {rc} {err!r}")
    make("uninstall")
    expect(files() == ["usr/bin/other-tool"], f"left after uninstall: {files()}")
    expect(not os.path.exists(os.path.join(dest, "usr/share/mtuscope")), "share/mtuscope left")
    make("uninstall")  # twice: nothing to remove is no error


@test("man page: renders without warnings; capturing, verdicts, environment, files, jq")
def _():
    man = os.path.join(ROOT, "docs", "mtuscope.1")
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-man", "-ww", "-z", man], capture_output=True)
        expect(p.returncode == 0 and not p.stderr, p.stderr.decode()[:500])
    with open(man) as f:
        text = f.read()
    for section in ("CAPTURING", "VERDICTS", "ENVIRONMENT", "FILES", "SIGNALS", "EXIT STATUS"):
        expect(f"\n.SH {section}\n" in text, f"no section {section}")
    for word in ["tcpdump \\-i wg0 \\-s 200 \\-w wg0.pcap", "header's length field",
                 "suspected", "MTUSCOPE_PLOTS", "NO_COLOR", "TMPDIR", "PATH",
                 "jq \\-r .verdict.status", "On SIGINT mtuscope stops reading",
                 "report.schema.json"] + [s.replace("-", "\\-") for s in STATUSES]:
        expect(word in text, f"the man page lacks {word!r}")


@test("progress on stderr only when it is a terminal (reading and matching)")
def _():
    import pty
    import select
    import time
    big = os.path.join(TMP, "progress.pcap")
    # 300000 frames of one flow: long enough to tick, 0x3fff frames at a time
    frame = udp_frame(1, 18)
    data = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    rec = struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame
    with open(big, "wb") as f:
        f.write(data + rec * 300000)
    args = [BIN, "-q", "-r", big, "-r", big]
    rc, out, err = run(args[1:])
    expect(rc == 0 and err == "", f"exit {rc}, stderr to a pipe: {err[:200]!r}")
    master, slave = pty.openpty()
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        r, _, _ = select.select([master], [], [], 120)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    p.wait(timeout=120)
    os.close(master)
    elapsed = time.monotonic() - t0
    text = seen.decode("utf-8", "replace")
    expect(p.returncode == 0, f"exit {p.returncode}")
    if elapsed < 1.0:
        print(f"  (note: the run took {elapsed:.2f} s, too fast for a progress line to be due)")
    else:
        expect("progress.pcap: " in text and " packets" in text, f"no reading progress: {text[:200]!r}")
        expect("matching " in text, f"no matching progress: {text[:300]!r}")
    expect(text.endswith("\r\x1b[K") or not text, f"the line is not erased: {text[-40:]!r}")


def tshark_count(path, dfilter=None):
    if not shutil.which("tshark"):
        return None
    args = ["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.number"]
    if dfilter:
        args += ["-Y", dfilter]
    p = subprocess.run(args, capture_output=True, timeout=300)
    return len(p.stdout.split())


def sample_tests():
    """One test per row of tests/expected.tsv: exact numbers for a shipped sample."""
    path = os.path.join(HERE, "expected.tsv")
    if not os.path.exists(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.DictReader((line for line in f if not line.startswith("#")),
                                   delimiter="\t"))
    for row in rows:
        def t(row=row):
            sample = os.path.join(ROOT, row["file"])
            rc, out, err = run(["--json", "-r", sample])
            no_sanitizer(err)
            expect(rc == int(row["exit"]), f"exit {rc}: {err}")
            rep = json.loads(out)
            inp = rep["inputs"][0]
            expect(inp["packets"] == int(row["packets"]), f"packets {inp['packets']}")
            tc = tshark_count(sample)
            if tc is not None and row["exit"] == "0":
                expect(tc == inp["packets"], f"tshark counts {tc}, mtuscope {inp['packets']}")
            for check in filter(None, row["checks"].split(";")):
                key, want = check.split("=", 1)
                if key.startswith("stack:"):
                    got = next((s["packets"] for s in inp["stacks"]
                                if s["stack"] == key[6:]), 0)
                elif key.startswith("anomaly:"):
                    got = inp["anomalies"].get(key[8:], 0)
                elif key.startswith("stats."):
                    got = rep["stats"][key[6:]]
                elif key.startswith("input."):
                    got = inp[key[6:]]
                elif key.startswith("icmp_mtus"):
                    got = ",".join(str(m["reported_mtu"]) for m in rep["icmp"])
                    expect(got == want, f"icmp mtus {got}, want {want}")
                    continue
                else:
                    raise AssertionError(f"unknown check {key}")
                expect(str(got) == want, f"{key}: got {got}, want {want}")
            for tsf in filter(None, row.get("tshark_filter", "").split(";")):
                if tc is None:
                    break
                key, dfilter = tsf.split("=", 1)
                want_n = tshark_count(sample, dfilter)
                got = next((s["packets"] for s in inp["stacks"] if s["stack"] == key), 0) \
                    if "/" in key else inp["layers"]["outer"].get(key, 0) + \
                    inp["layers"]["tunnel"].get(key, 0)
                expect(got == want_n, f"{key}: mtuscope {got}, tshark -Y '{dfilter}' {want_n}")
        test("sample " + row["file"])(t)


# Where mtuscope's retransmission count differs from tshark's on purpose.
RETRANS_EXCEPTIONS = {
    # tshark decodes the inner TCP header of first fragments whose other
    # fragments never arrived, and flags those as retransmissions; mtuscope
    # follows only datagrams that were reassembled (the receiver never got
    # the others), so it counts none.
    "samples/lab-vxlan-fragloss-path1380-client-outer.pcap",
    # the same flow seen on two interfaces (inside GRE, and bare): tshark
    # merges the two views into one conversation and calls every second copy
    # a retransmission; mtuscope keys flows by their tunnel, so they stay two.
    "samples/gen-two-interfaces.pcapng",
    # tcpdump -i any on a router records every forwarded packet twice, coming in
    # and going out: tshark calls the second copy a retransmission (95); mtuscope
    # counts the copies as forwarded, not re-sent (issue 15 items 1-2), and the
    # server's re-sends once each (6: checked by the router -i any test)
    "samples/lab-router-blackhole-path1300-router-any.pcap",
    "samples/lab-router-blackhole-path1300-router-any2.pcap",
}


def retransmission_test():
    """stats.tcp_retransmissions equals tshark's tcp.analysis.retransmission on
    every shipped sample (but the documented exceptions)."""
    if not shutil.which("tshark"):
        print("SKIP: retransmissions vs tshark: tshark not installed")
        return
    samples = sorted(f for f in os.listdir(os.path.join(ROOT, "samples"))
                     if f.endswith((".pcap", ".pcapng")))

    def t():
        bad = []
        for name in samples:
            rel = "samples/" + name
            if rel in RETRANS_EXCEPTIONS:
                continue
            path = os.path.join(ROOT, rel)
            rc, out, err = run(["--json", "-r", path])
            no_sanitizer(err)
            got = json.loads(out)["stats"]["tcp_retransmissions"]
            want = tshark_count(path, "tcp.analysis.retransmission")
            if got != want:
                bad.append(f"{name}: mtuscope {got}, tshark {want}")
        expect(not bad, "; ".join(bad))
    n = len([f for f in samples if "samples/" + f not in RETRANS_EXCEPTIONS])
    test(f"retransmissions agree with tshark on {n} samples "
         f"({len(samples) - n} documented exceptions)")(t)


def manifest_test():
    """The lab manifest's ground truth matches what tshark counts in each trace
    (retransmissions, frag-needed, packet-too-big, MF fragments), and the
    combined samples/manifest.tsv is current."""
    path = os.path.join(ROOT, "samples", "lab", "manifest-lab.tsv")
    if not shutil.which("tshark") or not os.path.exists(path):
        print("SKIP: lab manifest vs tshark: tshark or the manifest is missing")
        return
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    def t():
        p = subprocess.run([sys.executable, os.path.join(ROOT, "samples", "manifest.py"),
                            "--check"], capture_output=True)
        expect(p.returncode == 0, p.stderr.decode())
        bad = []
        for r in rows:
            fields = ["tcp.analysis.retransmission", "icmp.type", "icmp.code", "icmpv6.type",
                      "ip.flags.mf"]
            args = ["tshark", "-n", "-r", os.path.join(ROOT, r["file"]), "-T", "fields",
                    "-E", "separator=|", "-E", "occurrence=f"]
            for fl in fields:
                args += ["-e", fl]
            out = subprocess.run(args, capture_output=True, timeout=300).stdout.decode()
            n = {"retx": 0, "fn": 0, "ptb": 0, "mf": 0}
            for line in out.splitlines():
                retx, it, ic, i6, mf = line.split("|")
                n["retx"] += retx != ""
                n["fn"] += it == "3" and ic == "4"
                n["ptb"] += i6 == "2"
                n["mf"] += mf in ("1", "True")
            want = {"retx": r["tcp_retransmissions"], "fn": r["icmp_frag_needed"],
                    "ptb": r["icmpv6_packet_too_big"], "mf": r["ip_mf_fragments"]}
            for k, v in want.items():
                if str(n[k]) != v:
                    bad.append(f"{r['file']}: {k} tshark {n[k]}, manifest {v}")
        expect(not bad, "; ".join(bad[:10]))
    test(f"lab manifest ground truth matches tshark on {len(rows)} traces")(t)


def stalled_mismatches(r, rep):
    """The manifest's stalled_flows ("tcp A:P>B:Q;udp ...", sender>receiver)
    against the report: each listed flow the capture shows (a tunnel's inner
    flow is invisible from outside it, its outer UDP flow from inside) must be
    stalled or carry a black hole in that direction; no other flow may."""
    ep = r"(\[[0-9a-f:]+\]|[0-9.]+):(\d+)"
    listed = []
    for part in r["stalled_flows"].split(";"):
        m = re.match(r"\s*(tcp|udp)\s+" + ep + ">" + ep, part)
        if m:
            listed.append(((m.group(2).strip("[]"), int(m.group(3))),
                           (m.group(4).strip("[]"), int(m.group(5)))))
        # an ESP SA has no ports: "esp A>B", its flow's ends carry port None
        m = re.match(r"\s*esp\s+([0-9a-f.:]+)>([0-9a-f.:]+)", part)
        if m:
            listed.append(((m.group(1), None), (m.group(2), None)))
    def ends(f):
        return (f["client"]["addr"], f["client"].get("port")), \
               (f["server"]["addr"], f["server"].get("port"))
    flagged = {f["id"] for f in rep["flows"] if f["stalled"] or f["blackhole"]}
    bad, matched = [], set()
    for snd, rcv in listed:
        for f in rep["flows"]:
            c, s = ends(f)
            if {c, s} != {snd, rcv}:
                continue
            if snd[1] is None and c != snd:
                continue  # an ESP SA is one direction: the reverse SA is another flow
            matched.add(f["id"])
            want_dir = "client->server" if c == snd else "server->client"
            if f["id"] not in flagged:
                bad.append(f"{r['file']}: flow {snd}>{rcv} should be stalled or a black hole")
            elif f["blackhole"] and f["blackhole"]["direction"] != want_dir:
                bad.append(f"{r['file']}: flow {snd}>{rcv}: black hole {f['blackhole']['direction']}")
    for i in sorted(flagged - matched):
        bad.append(f"{r['file']}: flow #{i} is flagged but the manifest lists no stall")
    return bad


def filter_tests():
    """Every finding's Wireshark display filters, run by tshark on the input
    the finding names, on each sample alone and on the demo's four traces
    together, and on the pairs of lab captures the goldens read (where the
    findings of two vantage points are: mss-clamped, a loss measured across
    them): filter_frames selects exactly the frames the finding cites (the
    same set), wireshark_filter selects at least them, and when it selects
    more, filter_note says what else it shows."""
    if not shutil.which("tshark"):
        print("SKIP: findings' Wireshark filters: tshark is missing")
        return
    import golden
    demo = [os.path.join("samples", f"lab-incident-wg1420-path1434-{v}.pcap")
            for v in ("client-outer", "client-wg", "server-outer", "server-wg")]
    runs = [[os.path.relpath(f, ROOT)] for f in
            sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap*")))] + [demo]
    runs += [files for name, files in golden.cases() if name.startswith("pair-")]

    seen = {}  # the same filter on the same file, from a sample and from a pair

    def shown(path, dfilter):
        if (path, dfilter) not in seen:
            p = subprocess.run(["tshark", "-n", "-r", path, "-Y", dfilter, "-T", "fields",
                                "-e", "frame.number"], capture_output=True, timeout=120)
            seen[path, dfilter] = None if p.returncode else {int(v) for v in p.stdout.split()}
        return seen[path, dfilter]

    def t():
        bad, n, wider = [], 0, 0
        for files in runs:
            args = ["--json"]
            for f in files:
                args += ["-r", os.path.join(ROOT, f)]
            rc, out, err = run(args)
            no_sanitizer(err)
            for x in json.loads(out)["findings"]:
                # a lost datagram whose flow was never seen whole (a tunnel's outer
                # UDP is no flow of its own) names its addresses and ports instead
                no_flow_ok = x["kind"] in ("capture-copies", "forwarded-copies") or (
                    x["kind"] == "fragment-loss" and re.search(r"from \S+ to \S+", x["message"]))
                expect((x["flow"] is not None or no_flow_ok) and x["frames"] and
                       x["wireshark_filter"] and x.get("filter_frames"),
                       f"{files}: a finding without its flow, frames or filters: {x}")
                n += 1
                path = os.path.join(ROOT, files[x["input"]])
                where = f"{files[x['input']]}: {x['kind']}"
                cited = set(x["frames"])
                exact = shown(path, x["filter_frames"])
                if exact != cited:
                    bad.append(f"{where}: '{x['filter_frames']}' selects "
                               f"{sorted(exact) if exact is not None else 'an error'}, "
                               f"not the cited frames {sorted(cited)}")
                wide = shown(path, x["wireshark_filter"])
                if wide is None or not cited <= wide:
                    bad.append(f"{where}: frames {sorted(cited - (wide or set()))} not shown "
                               f"by '{x['wireshark_filter']}'")
                elif wide != cited:
                    wider += 1
                    if not x.get("filter_note"):
                        bad.append(f"{where}: '{x['wireshark_filter']}' selects {len(wide)} "
                                   f"frames, {len(cited)} cited, and no filter_note says why")
        expect(n > 40, f"only {n} findings")
        expect(wider > 0, "no wireshark_filter wider than its frames: the note check never ran")
        expect(not bad, "; ".join(bad[:6]))
    test("every finding names its flow and frames; filter_frames selects exactly them, "
         "wireshark_filter at least them and a filter_note says what else")(t)


def verdict_tests():
    """Every sample's verdict as tests/verdicts.tsv says (known misses
    included, with the reason), its stalled flows as samples/manifest.tsv
    says (stalled_mismatches), the exact path MTU where the manifest says the
    capture pins it (pinned_mtu), and every path MTU bound the report gives
    contains the ground truth of samples/manifest.tsv: bottleneck_mtu for
    outer paths, right_tunnel_mtu for paths inside a tunnel."""
    vpath = os.path.join(HERE, "verdicts.tsv")
    with open(vpath, newline="") as f:
        verdicts = {r["file"]: r for r in csv.DictReader(
            (line for line in f if not line.startswith("#")), delimiter="\t")}
    with open(os.path.join(ROOT, "samples", "manifest.tsv"), newline="") as f:
        truth = list(csv.DictReader(f, delimiter="\t"))

    def t():
        bad = []
        for r in truth:
            rc, out, err = run(["--json", "-r", os.path.join(ROOT, r["file"])])
            no_sanitizer(err)
            rep = json.loads(out)
            bad += stalled_mismatches(r, rep)
            want = verdicts.get(r["file"])
            if not want:
                bad.append(f"{r['file']}: not in tests/verdicts.tsv")
            elif rep["verdict"]["status"] != want["status"]:
                bad.append(f"{r['file']}: verdict {rep['verdict']['status']}, "
                           f"expected {want['status']}")
            for p in rep["paths"]:
                inner = p["layer"] == "inner" or p["src"].startswith(("10.61.100.", "10.61.200."))
                tv = r["right_tunnel_mtu"] if inner else r["bottleneck_mtu"]
                if not tv.isdigit():
                    continue
                tv = int(tv)
                up = p["mtu_upper"] if p["mtu_upper"] is not None else 1 << 30
                # Inside a tunnel the right MTU is what fits without outer
                # fragmentation; bigger inner packets may still cross,
                # fragmented (icmp-ok): only the upper bound must hold.
                lo = 0 if inner else (p["mtu_lower"] or 0)
                if not (lo <= tv <= up) or (p["mtu"] is not None and p["mtu"] != tv):
                    bad.append(f"{r['file']}: path {p['src']}->{p['dst']} "
                               f"[{p['mtu_lower']}, {p['mtu_upper']}] mtu {p['mtu']} "
                               f"misses the truth {tv}")
            if r["pinned_mtu"].isdigit():
                pinned = int(r["pinned_mtu"])
                if not any(p["mtu"] == pinned and p["layer"] == "outer" for p in rep["paths"]):
                    bad.append(f"{r['file']}: the capture pins the path MTU at {pinned}, "
                               f"mtuscope gives {[(p['src'], p['mtu']) for p in rep['paths']]}")
            for tun in rep["tunnels"]:
                rec = tun["recommended_mtu"]
                if rec is not None and r["right_tunnel_mtu"].isdigit() and \
                        rec != int(r["right_tunnel_mtu"]):
                    bad.append(f"{r['file']}: recommended MTU {rec}, truth "
                               f"{r['right_tunnel_mtu']}")
        expect(not bad, "; ".join(bad[:12]))
    test(f"verdicts, path MTU bounds and recommendations on {len(truth)} samples")(t)


def corpus_icmp_test():
    """On the corpus captures with real frag-needed / packet-too-big messages,
    the MTUs mtuscope reports equal what tshark decodes, message by message."""
    corpus = os.path.join(ROOT, "..", "shared", "corpus")
    index = os.path.join(corpus, "INDEX.tsv")
    if not os.path.exists(index) or not shutil.which("tshark"):
        print("SKIP: corpus ICMP MTUs vs tshark: ../shared/corpus or tshark is missing")
        return
    with open(index, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")
                if r["has_icmp_fragneeded"] not in ("", "0") or r["has_icmp6_ptb"] not in ("", "0")]

    def t():
        bad = []
        for r in rows:
            path = os.path.join(corpus, r["path"])
            rc, out, err = run(["--json", "-r", path])
            no_sanitizer(err)
            got = [(m["frame"], m["reported_mtu"]) for m in json.loads(out)["icmp"]]
            # the outermost ICMP error of each frame, as mtuscope lists them
            p = subprocess.run(["tshark", "-n", "-r", path, "-Y",
                                "(icmp.type == 3 && icmp.code == 4) || icmpv6.type == 2",
                                "-T", "fields", "-e", "frame.number", "-e", "icmp.mtu",
                                "-e", "icmpv6.mtu", "-E", "occurrence=f"],
                               capture_output=True, timeout=300)
            want = []
            for line in p.stdout.decode().splitlines():
                fr, m4, m6 = (line.split("\t") + ["", ""])[:3]
                want.append((int(fr), int(m4 or m6 or 0)))
            if got != want:
                bad.append(f"{r['path']}: mtuscope {got[:5]}, tshark {want[:5]}")
        expect(not bad, "; ".join(bad))
    test(f"ICMP MTUs equal tshark's on {len(rows)} corpus captures")(t)


def sample_json(name):
    rc, out, err = run(["--json", "-r", os.path.join(ROOT, "samples", name)])
    no_sanitizer(err)
    expect(rc == 0, err)
    return json.loads(out)


TIME_KEYS = ("first_time", "last_time", "time", "start", "end")


@test("JSON times: nine decimals made from integer nanoseconds, each next to its KEY_ns")
def _():
    # samples with every kind of time: inputs, flows, re-sent datagrams,
    # ICMP messages, storms
    names = ["lab-incident-wg1420-path1434-server-outer.pcap",
             "lab-tcp6-pmtud-ok-path1280-server-outer.pcap"]
    seen = {k: 0 for k in TIME_KEYS}
    by_ns = {}
    for name in names:
        rc, out, err = run(["--json", "-r", os.path.join(ROOT, "samples", name)])
        expect(rc == 0, err)
        # in the text: every time key is a number with exactly nine decimals,
        # followed by KEY_ns whose digits are the same
        pairs = re.findall(r'"(' + "|".join(TIME_KEYS) + r')": ([^,\n]+),\s*"(\w+)": ([^,\n]+)',
                           out)
        total = len(re.findall(r'"(?:' + "|".join(TIME_KEYS) + r')": ', out))
        expect(total == len(pairs) and total > 0, f"{name}: {total} time keys, {len(pairs)} pairs")
        for key, val, key_ns, ns in pairs:
            seen[key] += 1
            expect(key_ns == key + "_ns", f"{name}: {key} followed by {key_ns}")
            if val == "null":
                expect(ns == "null", f"{name}: {key} null, {key_ns} {ns}")
                continue
            expect(re.fullmatch(r"\d+\.\d{9}", val) and re.fullmatch(r"\d+", ns), f"{val} {ns}")
            expect(int(val.replace(".", "")) == int(ns), f"{name}: {key} {val} != {key_ns} {ns}")
            by_ns.setdefault(ns, set()).add(val)
        # and the parsed report agrees with the contract: a number of seconds
        rep = json.loads(out)
        for inp in rep["inputs"]:
            expect(abs(inp["first_time"] - inp["first_time_ns"] / 1e9) < 1e-6, str(inp))
    expect(all(len(v) == 1 for v in by_ns.values()), "one instant, several spellings")
    # an instant seen by two sections (an input's first packet opens its first
    # flow) is spelled the same in both
    rep = sample_json("lab-tcp6-pmtud-ok-path1280-server-outer.pcap")
    first = [f for f in rep["flows"] if f["first_time_ns"] == rep["inputs"][0]["first_time_ns"]]
    expect(first, "no flow starts with the input")
    expect(first[0]["first_time"] == rep["inputs"][0]["first_time"], "first_time")
    expect(all(seen.values()), f"kinds of times seen: {seen}")


@test("tunnel, sending side: the incident's 1480-byte datagrams re-sent with backoff")
def _():
    j = sample_json("lab-incident-wg1420-path1434-server-outer.pcap")
    expect(j["verdict"]["status"] == "blackhole", j["verdict"])
    bh = j["flows"][0]["blackhole"]
    # the server (10.61.2.2) is the flow's server: its direction is server->client
    expect(bh == {"direction": "server->client", "largest_delivered": None,
                  "smallest_lost": 1480, "frames": [32, 36, 43, 53], "suspected": True,
                  "healed": False}, bh)
    f = [x for x in j["findings"] if x["kind"] == "blackhole"]
    expect(len(f) == 1 and f[0]["frames"] == [32, 36, 43, 53], f)
    expect("re-sent a 1480-byte WireGuard datagram 6 times" in f[0]["message"], f[0]["message"])
    if shutil.which("tshark"):
        # independently: those frames are 1480-byte datagrams from the server,
        # each interval about twice the one before
        p = subprocess.run(["tshark", "-n", "-r", os.path.join(
            ROOT, "samples", "lab-incident-wg1420-path1434-server-outer.pcap"),
            "-Y", f[0]["wireshark_filter"],
            "-T", "fields", "-e", "frame.number", "-e", "frame.time_relative"],
            capture_output=True, timeout=120)
        rows = [l.split("\t") for l in p.stdout.decode().split("\n") if l]
        times = {int(a): float(b) for a, b in rows}
        expect(all(fr in times for fr in (32, 36, 43, 53)), "tshark's filter misses a frame")
        t = [times[fr] for fr in (32, 36, 43, 53)]
        gaps = [b - a for a, b in zip(t, t[1:])]
        expect(gaps[0] > 0.15 and all(1.5 <= b / a <= 2.6 for a, b in zip(gaps, gaps[1:])),
               gaps)


@test("receiver of a stalled upload: the sender falls silent, a suspicion")
def _():
    j = sample_json("lab-upload-wg1420-path1434-server-wg.pcap")
    expect(j["verdict"]["status"] == "blackhole", j["verdict"])
    f = [x for x in j["flows"] if x["blackhole"]]
    expect(len(f) == 1 and f[0]["server"]["port"] == 8080, f)
    expect(f[0]["blackhole"] == {"direction": "client->server", "largest_delivered": 163,
                                 "smallest_lost": None, "frames": [15], "suspected": True,
                                 "healed": False}, f[0]["blackhole"])
    expect("1420-byte packets from 10.61.100.1 are probably not arriving"
           in j["verdict"]["summary"], j["verdict"]["summary"])


# ---- several vantage points (correlate.c) ----

def tshark_correlate(pa, pb, window=10.0, edge=1.0):
    """An independent count of what correlate.c measures, from tshark's
    fields: per direction (src, dst), packets found in both files, and found
    in one only while the other capture ran (up to `edge` s before its end).
    Keys as in correlate.h: WireGuard data by receiver and counter; TCP by
    ports, raw seq and ack, length, IP ID; IPv4 fragments by ID and offset;
    other IPv4 by protocol, ID, length.
    Both lab captures share one clock, so no offset is applied; `window` is
    not needed either, as no key repeats in these small files."""
    fields = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ip.proto", "ip.id",
              "ip.len", "wg.type", "wg.receiver", "wg.counter", "tcp.srcport", "tcp.dstport",
              "tcp.seq_raw", "tcp.ack_raw", "tcp.len", "ip.flags.mf", "ip.frag_offset"]

    def read(path):
        args = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=f"]
        for f in fields:
            args += ["-e", f]
        out = subprocess.run(args, capture_output=True, timeout=300).stdout.decode()
        keys, times = {}, []
        for line in out.splitlines():
            v = dict(zip(fields, line.split("\t")))
            times.append(float(v["frame.time_epoch"]))
            if not v["ip.src"]:
                continue
            mf = v["ip.flags.mf"] in ("1", "True")
            if mf or v["ip.frag_offset"] not in ("", "0"):
                k = ("frag", v["ip.proto"], v["ip.id"], v["ip.frag_offset"], mf)
            elif v["wg.type"] == "4":
                k = ("wg", v["wg.receiver"], v["wg.counter"])
            elif v["tcp.srcport"]:
                k = ("tcp", v["tcp.srcport"], v["tcp.dstport"], v["tcp.seq_raw"],
                     v["tcp.ack_raw"], v["tcp.len"], v["ip.id"])
            else:
                k = ("ip", v["ip.proto"], v["ip.id"], v["ip.len"])
            keys[(v["ip.src"], v["ip.dst"]) + k] = (float(v["frame.time_epoch"]),
                                                     int(v["ip.len"]))
        return keys, min(times), max(times)

    (ka, fa, la), (kb, fb, lb) = read(pa), read(pb)
    dirs = {}
    for mine, other, first, last, side in ((ka, kb, fb, lb, 0), (kb, ka, fa, la, 1)):
        for k, (t, size) in mine.items():
            d = dirs.setdefault(k[:2], {"matched": 0, "only": [0, 0], "uncovered": 0,
                                        "largest": 0, "only_sizes": [set(), set()]})
            if k in other:
                if side == 0:
                    d["matched"] += 1
                    d["largest"] = max(d["largest"], size)
            elif first <= t and t + edge <= last:
                d["only"][side] += 1
                d["only_sizes"][side].add(size)
            else:
                d["uncovered"] += 1
    return dirs


# The pairs of lab captures and what correlate.c must find, per direction:
# (src, dst, upstream input, matched, lost, only downstream, uncovered,
#  largest delivered, smallest lost or None, lost at or above it).
# Derived with tshark, independently of mtuscope (tshark_correlate() above
# recomputes matched/lost/uncovered when tshark is installed), e.g. for the
# incident's outer pair:
#   tshark -r X-server-outer.pcap -Y 'wg.type == 4 && ip.src == 10.61.2.2' -T fields
#     -e wg.receiver -e wg.counter -e ip.len   (and the same on X-client-outer.pcap)
# gives 64 data messages, 47 of them also at the client, the 17 others all
# 1480 bytes; + 1 handshake response (ip.id/len matched) = 48 delivered; the
# largest delivered is 316 bytes.  The upload's client capture runs 3.7 s past
# the server's: its last 1480-byte retransmission (frame 155, 267.53 s; the
# server's capture ends at 263.81 s) is not counted lost but "uncovered".
CORRELATION_CASES = [
    ("incident outer", "lab-incident-wg1420-path1434-client-outer.pcap",
     "lab-incident-wg1420-path1434-server-outer.pcap", [
         ("10.61.1.2", "10.61.2.2", 0, 90, 0, 0, 0, 316, None, 0),
         ("10.61.2.2", "10.61.1.2", 1, 48, 17, 0, 0, 316, 1480, 17)]),
    ("incident wg", "lab-incident-wg1420-path1434-client-wg.pcap",
     "lab-incident-wg1420-path1434-server-wg.pcap", [
         ("10.61.100.1", "10.61.100.2", 0, 89, 0, 0, 0, 245, None, 0),
         ("10.61.100.2", "10.61.100.1", 1, 47, 17, 0, 0, 245, 1420, 17)]),
    ("upload outer", "lab-upload-wg1420-path1434-client-outer.pcap",
     "lab-upload-wg1420-path1434-server-outer.pcap", [
         ("10.61.1.2", "10.61.2.2", 0, 88, 16, 0, 1, 316, 1480, 16),
         ("10.61.2.2", "10.61.1.2", 1, 46, 0, 0, 0, 316, None, 0)]),
    ("upload wg", "lab-upload-wg1420-path1434-client-wg.pcap",
     "lab-upload-wg1420-path1434-server-wg.pcap", [
         ("10.61.100.1", "10.61.100.2", 0, 87, 16, 0, 1, 245, 1420, 16),
         ("10.61.100.2", "10.61.100.1", 1, 45, 0, 0, 0, 245, None, 0)]),
    # frag-needed reached the server, which then fragmented its 1480-byte
    # datagrams: fragments (up to 1428 bytes) are matched one by one; only
    # the first 1480-byte datagram, before the ICMP, was lost (one: no bound)
    ("icmp-ok outer", "lab-wg1420-path1434-icmp-ok-client-outer.pcap",
     "lab-wg1420-path1434-icmp-ok-server-outer.pcap", [
         ("10.61.1.2", "10.61.2.2", 0, 504, 0, 0, 0, 316, None, 0),
         ("10.61.2.2", "10.61.1.2", 1, 3153, 1, 0, 0, 1428, 1480, 1)]),
]


def correlation_tests():
    from report_checks import validate
    schema = json.load(open(os.path.join(ROOT, "docs", "report.schema.json")))
    have_tshark = shutil.which("tshark") is not None
    for name, fa, fb, want in CORRELATION_CASES:
        def t(fa=fa, fb=fb, want=want):
            pa, pb = os.path.join(ROOT, "samples", fa), os.path.join(ROOT, "samples", fb)
            rc, out, err = run(["--json", "-r", pa, "-r", pb])
            no_sanitizer(err)
            expect(rc == 0, f"exit {rc}: {err}")
            rep = json.loads(out)
            errs = validate(rep, schema, schema)
            expect(not errs, "; ".join(errs[:5]))
            expect(len(rep["correlation"]) == 1, f"{len(rep['correlation'])} pairs")
            c = rep["correlation"][0]
            expect(c["inputs"] == [0, 1] and c["shared_flows"], str(c))
            expect(c["clock_offset_ns"] is not None and abs(c["clock_offset_ns"]) < 1000000,
                   f"clock offset {c['clock_offset_ns']} (one host's clock: under 1 ms)")
            got = {(d["src"], d["dst"]): d for d in c["directions"]}
            expect(len(got) == len(want), f"directions {sorted(got)}")
            tsh = tshark_correlate(pa, pb) if have_tshark else None
            for src, dst, up, matched, lost, only_down, unc, largest, smallest, above in want:
                d = got[(src, dst)]
                row = (d["upstream"], d["downstream"], d["matched"], d["lost"],
                       d["only_downstream"], d["uncovered"], d["largest_delivered"],
                       d["smallest_lost"], d["lost_at_or_above"])
                expect(row == (up, 1 - up, matched, lost, only_down, unc, largest, smallest,
                               above), f"{src} -> {dst}: got {row}")
                expect(sum(z["matched"] for z in d["by_size"]) == matched, "by_size matched")
                expect(sum(z["lost"] for z in d["by_size"]) == lost, "by_size lost")
                if smallest:
                    expect(d["all_lost_above"] and d["frames"]["first_lost"], str(d["frames"]))
                    n = tshark_count(pa if up == 0 else pb, d["wireshark_filter"])
                    # the filter also shows the uncovered copies (all of that size here)
                    expect(n is None or n == lost + unc,
                           f"tshark -Y '{d['wireshark_filter']}': {n} frames, lost {lost}")
                if tsh is not None:
                    x = tsh[(src, dst)]
                    mine = (x["matched"], x["only"][up], x["only"][1 - up], x["uncovered"],
                            x["largest"], min(x["only_sizes"][up], default=None))
                    expect(mine == (matched, lost, only_down, unc, largest, smallest),
                           f"{src} -> {dst}: tshark says {mine}")
        test(f"correlation: {name} pair, exact counts against tshark")(t)

    def shifted():
        if not shutil.which("editcap"):
            print("SKIP: correlation with a clock offset: editcap is missing")
            return
        pa = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-client-outer.pcap")
        pb = os.path.join(TMP, "server-outer-shifted.pcap")
        for shift, ns in (("2.5", 2500000000), ("-3600", -3600000000000)):
            subprocess.run(["editcap", "-t", shift, os.path.join(
                ROOT, "samples", "lab-incident-wg1420-path1434-server-outer.pcap"), pb],
                check=True, capture_output=True)
            rc, out, err = run(["--json", "-r", pa, "-r", pb])
            no_sanitizer(err)
            c = json.loads(out)["correlation"][0]
            # the two hosts share one clock: the offset found is the shift
            expect(c["clock_offset_ns"] is not None and
                   abs(c["clock_offset_ns"] - ns) < 1000000, f"offset {c['clock_offset_ns']}")
            got = sorted((d["src"], d["upstream"], d["matched"], d["lost"])
                         for d in c["directions"])
            expect(got == [("10.61.1.2", 0, 90, 0), ("10.61.2.2", 1, 48, 17)], str(got))
    test("correlation: server clock shifted by 2.5 s and -1 h: offset found, same counts")(
        shifted)

    def one_host():
        pa = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-client-outer.pcap")
        pb = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-client-wg.pcap")
        rc, out, err = run(["--json", "-r", pa, "-r", pb])
        expect(rc == 0, err)
        c = json.loads(out)["correlation"]
        expect(len(c) == 1 and not c[0]["shared_flows"] and c[0]["matched"] == 0 and
               not c[0]["directions"], str(c))
        expect("encrypting tunnel" in (c[0]["note"] or ""), str(c[0]["note"]))
        rc, out, err = run(["-v", "-r", pa, "-r", pb])
        expect("no two inputs share traffic: nothing was correlated" in out, out[-800:])
    test("correlation: outer and tunnel captures of one host share no packet, and say so")(
        one_host)

    def vxlan_one_host():
        # the server's outer interface sees its TCP inside VXLAN, its vxlan
        # interface outermost: every inner packet matches across the depths,
        # and the pair proves no path crossing (no lower bound of 1450)
        pa = os.path.join(ROOT, "samples", "lab-vxlan-blackhole-path1400-server-outer.pcap")
        pb = os.path.join(ROOT, "samples", "lab-vxlan-blackhole-path1400-server-vxlan.pcap")
        rc, out, err = run(["--json", "-r", pa, "-r", pb])
        no_sanitizer(err)
        rep = json.loads(out)
        c = rep["correlation"][0]
        tcp_b = tshark_count(pb, "tcp")
        tcp_a = tshark_count(pa, "vxlan && tcp")
        expect(tcp_a is None or tcp_a == tcp_b == c["matched"],
               f"matched {c['matched']}, tshark {tcp_a} / {tcp_b}")
        for d in c["directions"]:
            expect(d["layer"] == "inner" and d["cross_depth"] == d["matched"] and d["lost"] == 0,
                   str(d))
        for p in rep["paths"]:
            expect((p["mtu_lower"] or 0) <= 1350 and (p["mtu_upper"] or 1 << 30) >= 1350,
                   f"{p['src']} -> {p['dst']}: [{p['mtu_lower']}, {p['mtu_upper']}], truth 1350")
    test("correlation: a VXLAN host's outer and tunnel captures match across depths, no bound")(
        vxlan_one_host)

    def demo():
        files = [os.path.join(ROOT, "samples", f"lab-incident-wg1420-path1434-{v}.pcap")
                 for v in ("client-outer", "client-wg", "server-outer", "server-wg")]
        args = ["--json"]
        for f in files:
            args += ["-r", f]
        rc, out, err = run(args)
        no_sanitizer(err)
        rep = json.loads(out)
        expect(rep["verdict"]["status"] == "blackhole", rep["verdict"]["status"])
        pairs = [tuple(c["inputs"]) for c in rep["correlation"]]
        expect(pairs == [(0, 2), (1, 3)], f"pairs {pairs}")
        paths = {(p["src"], p["dst"], p["layer"]): p for p in rep["paths"]}
        p = paths[("10.61.2.2", "10.61.1.2", "outer")]
        # 1480-byte datagrams never crossed, 316-byte ones did: truth 1434 inside
        expect((p["mtu_lower"], p["mtu_upper"]) == (316, 1479), str(p))
        expect(any("never appeared in" in e for e in p["evidence"]), str(p["evidence"]))
        # a loss bound is no MTU to configure: no tunnel MTU is recommended from it
        expect(all(t["recommended_mtu"] is None for t in rep["tunnels"]),
               str([t["recommended_mtu"] for t in rep["tunnels"]]))
        expect(all(t["path_mtu_upper"] in (None, 1479) for t in rep["tunnels"]),
               str([t["path_mtu_upper"] for t in rep["tunnels"]]))
    test("correlation: the demo's four traces (make demo) bound the outer path at 316..1479")(
        demo)



# ---- links that state their MTU (issue 14 items 7 and 8) ----

MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
BCAST = b"\xff" * 6


def eth_frame(dst, src, ethertype, payload, vlan=None):
    """Ethernet II, with an 802.1Q tag of VID `vlan` when given."""
    if vlan is not None:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, ethertype) + payload
    return dst + src + struct.pack("!H", ethertype) + payload


def lcp(code, ident, opts=b""):
    """An LCP packet (RFC 1661 section 5); opts already encoded."""
    return struct.pack("!BBH", code, ident, 4 + len(opts)) + opts


def mru_opt(n):
    return struct.pack("!BBH", 1, 4, n)


def magic_opt(m):
    return struct.pack("!BBI", 5, 6, m)


def pppoe_session(session, proto, payload):
    return struct.pack("!BBHHH", 0x11, 0, session, len(payload) + 2, proto) + payload


def pppoe_discovery(code, session, tags=b""):
    return struct.pack("!BBHH", 0x11, code, session, len(tags)) + tags


def link_report(path, frames, linktype=1):
    """Writes (time, frame) pairs and returns mtuscope's JSON and text reports."""
    data = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
    for t, pkt in frames:
        sec = int(t)
        data += struct.pack("<IIII", 1700000000 + sec, int(round((t - sec) * 1e6)), len(pkt),
                            len(pkt)) + pkt
    with open(path, "wb") as f:
        f.write(data)
    rc, out, err = run(["--json", "-r", path])
    no_sanitizer(err)
    expect(rc == 0, err)
    rc, text, err = run(["-v", "-r", path])
    no_sanitizer(err)
    return json.loads(out), text


NO_ZERO_BOUND = re.compile(r"between 0 and|at least 0 bytes|up to 0 bytes|MTU 0\b|MSS 0\b")


def exact_filters(path, rep, kinds):
    """Each finding of these kinds: tshark's filter selects exactly its frames."""
    found = [x for x in rep["findings"] if x["kind"] in kinds]
    for x in found:
        if not shutil.which("tshark"):
            break
        p = subprocess.run(["tshark", "-n", "-r", path, "-Y", x["wireshark_filter"], "-T",
                            "fields", "-e", "frame.number"], capture_output=True, timeout=120)
        got = [int(v) for v in p.stdout.split()]
        expect(p.returncode == 0 and got == x["frames"],
               f"{os.path.basename(path)}: '{x['wireshark_filter']}' selects {got}, the "
               f"finding cites {x['frames']}")
    return found


def pppoe_tcp(session, vlan, n=4, t0=1.0):
    """A TCP download inside a PPPoE session, MSS 1452 both ways, full-size segments
    (1492-byte IP packets): (time, frame) pairs."""
    out = []
    for i, f in enumerate(tcp_exchange([], [1452] * n, mss=(1452, 1452), dport=80)):
        up = f[26:30] == bytes((192, 0, 2, 1))  # the client's frames (by IP source)
        ip = f[14:]
        out.append((t0 + 0.01 * i, eth_frame(MAC_S if up else MAC_C, MAC_C if up else MAC_S,
                                              0x8864, pppoe_session(session, 0x0021, ip), vlan)))
    return out


@test("PPPoE: LCP's MRU 1492 requested and acknowledged both ways is the link's MTU, with "
      "the MSS it implies (1452 / 1432) as advice; the session is listed with overhead 8 "
      "(issue 14 item 7)")
def _():
    fr = [(0.0, eth_frame(BCAST, MAC_C, 0x8863, pppoe_discovery(0x09, 0, b"\x01\x01\x00\x00"))),
          (0.01, eth_frame(MAC_C, MAC_S, 0x8863, pppoe_discovery(0x07, 0, b"\x01\x01\x00\x00"))),
          (0.02, eth_frame(MAC_S, MAC_C, 0x8863, pppoe_discovery(0x19, 0, b"\x01\x01\x00\x00"))),
          (0.03, eth_frame(MAC_C, MAC_S, 0x8863, pppoe_discovery(0x65, 0x11, b"\x01\x01\x00\x00"))),
          (0.04, eth_frame(MAC_S, MAC_C, 0x8864, pppoe_session(
              0x11, 0xc021, lcp(1, 1, mru_opt(1492) + magic_opt(0x1111))))),
          (0.05, eth_frame(MAC_C, MAC_S, 0x8864, pppoe_session(
              0x11, 0xc021, lcp(1, 1, mru_opt(1492) + magic_opt(0x2222))))),
          (0.06, eth_frame(MAC_C, MAC_S, 0x8864, pppoe_session(
              0x11, 0xc021, lcp(2, 1, mru_opt(1492) + magic_opt(0x1111))))),
          (0.07, eth_frame(MAC_S, MAC_C, 0x8864, pppoe_session(
              0x11, 0xc021, lcp(2, 1, mru_opt(1492) + magic_opt(0x2222)))))]
    fr += pppoe_tcp(0x11, None)
    path = os.path.join(TMP, "lcp-pppoe.pcap")
    rep, text = link_report(path, fr)
    found = exact_filters(path, rep, {"link-mtu"})
    expect(sorted(x["frames"] for x in found) == [[5, 7], [6, 8]], str(found))
    expect(all("1492" in x["message"] and "1452" in x["message"] and x["severity"] == "info"
               for x in found), str(found))
    adv = [a for a in rep["verdict"]["advice"] if a["kind"] == "link-mtu-mss"]
    expect(len(adv) == 1 and (adv[0]["link"], adv[0]["mtu"], adv[0]["mss"], adv[0]["mss_ipv6"])
           == ("pppoe", 1492, 1452, 1432), str(rep["verdict"]["advice"]))
    # each MRU bounds the IP paths the session carried to the end that stated it; the
    # download's 1492-byte packets crossed: exactly 1492, the textbook PPPoE MTU
    ps = {(p["src"], p["dst"]): p for p in rep["paths"]}
    expect(ps[("198.51.100.2", "192.0.2.1")]["mtu"] == 1492, str(rep["paths"]))
    for k, lo in ((("198.51.100.2", "192.0.2.1"), 1492), (("192.0.2.1", "198.51.100.2"), None)):
        expect(k in ps and ps[k]["mtu_upper"] == 1492 and ps[k]["mtu_lower"] == lo
               and any("negotiated that MRU" in e for e in ps[k]["evidence"]), str(rep["paths"]))
    expect(any("Configure-Request frame 5," in e for e in ps[("198.51.100.2", "192.0.2.1")]
               ["evidence"]), str(ps[("198.51.100.2", "192.0.2.1")]))
    sess = rep["inputs"][0]["pppoe_sessions"]
    expect(len(sess) == 1 and sess[0]["session"] == 0x11 and sess[0]["overhead"] == 8
           and sess[0]["packets"] == 4 + len(fr) - 8 and sess[0]["ip_packets"] == len(fr) - 8
           and sess[0]["largest_ip"] == 1492, str(sess))
    expect("PPPoE session 0x0011" in text and "take 8 bytes" in text
           and "--set-mss 1452" in " ".join(text.split()), text[:1500])
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("PPPoE in a VLAN: the server's Request first, the client's re-sent 3 s later with the "
      "same identifier, each Ack'd: every frame of each exchange, the smaller MRU advised")
def _():
    tag = lambda t, src, dst, body: (t, eth_frame(dst, src, 0x8864,
                                                  pppoe_session(0x2a1f, 0xc021, body), vlan=36))
    fr = [tag(0.0, MAC_S, MAC_C, lcp(1, 7, magic_opt(9) + mru_opt(1480))),
          tag(0.1, MAC_C, MAC_S, lcp(1, 3, mru_opt(1492))),
          tag(3.1, MAC_C, MAC_S, lcp(1, 3, mru_opt(1492))),  # re-sent: the Restart timer
          tag(3.2, MAC_S, MAC_C, lcp(2, 3, mru_opt(1492))),
          tag(3.3, MAC_C, MAC_S, lcp(2, 7, magic_opt(9) + mru_opt(1480)))]
    path = os.path.join(TMP, "lcp-vlan.pcap")
    rep, text = link_report(path, fr)
    found = exact_filters(path, rep, {"link-mtu"})
    got = sorted((x["frames"], "1480" in x["message"]) for x in found)
    expect(got == [([1, 5], True), ([2, 3, 4], False)], str(found))
    adv = [a for a in rep["verdict"]["advice"] if a["kind"] == "link-mtu-mss"]
    expect(len(adv) == 1 and (adv[0]["mtu"], adv[0]["mss"]) == (1480, 1440), str(adv))
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("PPP link (DLT_PPP): an MRU of 1400 acknowledged is the link's MTU (MSS 1360 / 1340); "
      "a Request without its Ack, a Nak, or an Ack'd 1500 advise nothing")
def _():
    ppp = lambda body: b"\xff\x03\xc0\x21" + body
    fr = [(0.0, ppp(lcp(1, 1, mru_opt(1400)))), (0.2, ppp(lcp(2, 1, mru_opt(1400))))]
    path = os.path.join(TMP, "lcp-ppp.pcap")
    rep, text = link_report(path, fr, linktype=9)
    found = exact_filters(path, rep, {"link-mtu"})
    expect([x["frames"] for x in found] == [[1, 2]] and "PPP link" in found[0]["message"],
           str(found))
    adv = [a for a in rep["verdict"]["advice"] if a["kind"] == "link-mtu-mss"]
    expect(len(adv) == 1 and (adv[0]["link"], adv[0]["mtu"], adv[0]["mss"], adv[0]["mss_ipv6"])
           == ("ppp", 1400, 1360, 1340), str(adv))
    # a wish is no fact: a Request alone, a Nak answering it, or a different identifier
    for name, fr in (("alone", [(0.0, ppp(lcp(1, 1, mru_opt(1400))))]),
                     ("nak", [(0.0, ppp(lcp(1, 1, mru_opt(1400)))),
                              (0.1, ppp(lcp(3, 1, mru_opt(1500))))]),
                     ("other id", [(0.0, ppp(lcp(1, 1, mru_opt(1400)))),
                                   (0.1, ppp(lcp(2, 2, mru_opt(1400))))])):
        path = os.path.join(TMP, f"lcp-ppp-{name.replace(' ', '-')}.pcap")
        rep, text = link_report(path, fr, linktype=9)
        expect(not rep["findings"] and not rep["verdict"]["advice"],
               f"{name}: {rep['findings']} {rep['verdict']['advice']}")
    fr = [(0.0, ppp(lcp(1, 4, mru_opt(1500)))), (0.1, ppp(lcp(2, 4, mru_opt(1500))))]
    rep, text = link_report(os.path.join(TMP, "lcp-ppp-1500.pcap"), fr, linktype=9)
    expect(len(rep["findings"]) == 1 and not rep["verdict"]["advice"],
           f"{rep['findings']} {rep['verdict']['advice']}")


def ospf_hdr(version, typ, router, body):
    if version == 2:
        h = struct.pack("!BBHI4sHH8s", 2, typ, 24 + len(body), router, b"\0" * 4, 0, 0,
                        b"\0" * 8)
    else:
        h = struct.pack("!BBHI4sHBB", 3, typ, 16 + len(body), router, b"\0" * 4, 0, 0, 0)
    return h + body


def ospf_dbd(version, router, mtu, seq, flags=7):
    if version == 2:
        body = struct.pack("!HBBI", mtu, 0x42, flags, seq)
    else:
        body = struct.pack("!I H B B I", 0x13, mtu, 0, flags, seq)
    return ospf_hdr(version, 2, router, body)


def ospf_v4(src, dst, payload):
    return harness_ipv4(payload, proto=89, src=src, dst=dst)


def ospf_v6(src, dst, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), 89, 1, src, dst) + payload


def rid(a):
    return struct.unpack("!I", bytes(a))[0]


@test("OSPFv2 ExStart: 1500 against 1496, the same DBD re-sent every 5 s: an "
      "ospf-mtu-mismatch error with both routers, both values, every DBD and the fix "
      "(issue 14 item 8)")
def _():
    a, b = (10, 0, 0, 1), (10, 0, 0, 2)
    fr = []
    for k in range(4):  # RxmtInterval 5 s
        t = 5.0 * k
        fr.append((t, eth_frame(MAC_S, MAC_C, 0x0800, ospf_v4(a, b, ospf_dbd(2, rid((1, 1, 1, 1)),
                                                                                1500, 4000)))))
        fr.append((t + 0.3, eth_frame(MAC_C, MAC_S, 0x0800, ospf_v4(b, a, ospf_dbd(
            2, rid((2, 2, 2, 2)), 1496, 9000)))))
        fr.append((t + 1.0, eth_frame(BCAST, MAC_C, 0x0800, ospf_v4(a, (224, 0, 0, 5), ospf_hdr(
            2, 1, rid((1, 1, 1, 1)), b"\0" * 20)))))
    path = os.path.join(TMP, "ospf-v2-mismatch.pcap")
    rep, text = link_report(path, fr)
    found = exact_filters(path, rep, {"ospf-mtu-mismatch"})
    expect(len(found) == 1, str(rep["findings"]))
    x = found[0]
    expect(x["severity"] == "error" and x["frames"] == [1, 2, 4, 5, 7, 8, 10, 11], str(x))
    for w in ("1.1.1.1", "2.2.2.2", "10.0.0.1", "10.0.0.2", "1500", "1496", "6 of them re-sent",
              "ExStart"):
        expect(w in x["message"], f"{w!r} not in {x['message']}")
    adv = [v for v in rep["verdict"]["advice"] if v["kind"] == "equal-interface-mtu"]
    expect(len(adv) == 1 and {adv[0]["mtu_src"], adv[0]["mtu_dst"]} == {1500, 1496}
           and "mtu-ignore" in adv[0]["text"] and "ip link set dev" in adv[0]["text"], str(adv))
    expect("OSPF routers 10.0.0.1 and 10.0.0.2" in rep["verdict"]["summary"],
           rep["verdict"]["summary"])
    paths = {(p["src"], p["dst"]): p for p in rep["paths"]}
    expect(paths[("10.0.0.1", "10.0.0.2")]["mtu_upper"] == 1496, str(rep["paths"]))
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("OSPFv3 in a VLAN, 9000 against 1500 re-sent every 10 s, 12 DBDs: the finding cites "
      "the first 8 and its filter selects exactly those")
def _():
    a, b = bytes.fromhex("fe800000000000000000000000000001"), \
        bytes.fromhex("fe800000000000000000000000000002")
    fr = []
    for k in range(6):
        t = 10.0 * k
        dbd_b = ospf_v6(b, a, ospf_dbd(3, rid((2, 2, 2, 2)), 1500, 700))
        dbd_a = ospf_v6(a, b, ospf_dbd(3, rid((1, 1, 1, 1)), 9000, 300))
        fr.append((t + 0.5, eth_frame(MAC_C, MAC_S, 0x86dd, dbd_b, vlan=12)))
        fr.append((t + 0.7, eth_frame(MAC_S, MAC_C, 0x86dd, dbd_a, vlan=12)))
    path = os.path.join(TMP, "ospf-v3-vlan.pcap")
    rep, text = link_report(path, fr)
    found = exact_filters(path, rep, {"ospf-mtu-mismatch"})
    expect(len(found) == 1 and found[0]["frames"] == list(range(1, 9)), str(rep["findings"]))
    expect("OSPFv3" in found[0]["message"] and "9000" in found[0]["message"]
           and "fe80::2" in found[0]["message"], found[0]["message"])
    expect("frame.number <= 8" in found[0]["wireshark_filter"], found[0]["wireshark_filter"])
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("OSPFv2 point-to-point (DBDs to 224.0.0.5), the smaller side first, 1476 against 1500: "
      "a mismatch; equal MTUs are no finding but an upper bound on the link's paths")
def _():
    a, b, mc = (192, 0, 2, 1), (192, 0, 2, 2), (224, 0, 0, 5)
    fr = []
    for k in range(3):
        fr.append((5.2 * k, eth_frame(BCAST, MAC_S, 0x0800, ospf_v4(b, mc, ospf_dbd(
            2, rid((9, 9, 9, 9)), 1476, 55)))))
        fr.append((5.2 * k + 2.9, eth_frame(BCAST, MAC_C, 0x0800, ospf_v4(a, mc, ospf_dbd(
            2, rid((8, 8, 8, 8)), 1500, 66)))))
    path = os.path.join(TMP, "ospf-v2-p2p.pcap")
    rep, text = link_report(path, fr)
    found = exact_filters(path, rep, {"ospf-mtu-mismatch"})
    expect(len(found) == 1 and found[0]["frames"] == list(range(1, 7)), str(rep["findings"]))
    expect("router 8.8.8.8 rejects" not in found[0]["message"]
           and "router 9.9.9.9 rejects" in found[0]["message"], found[0]["message"])
    # the same exchange with equal MTUs going on to Exchange (new sequence numbers)
    fr = [(0.0, eth_frame(MAC_S, MAC_C, 0x0800, ospf_v4(a, b, ospf_dbd(2, rid((8, 8, 8, 8)),
                                                                       1500, 66)))),
          (0.1, eth_frame(MAC_C, MAC_S, 0x0800, ospf_v4(b, a, ospf_dbd(2, rid((9, 9, 9, 9)),
                                                                       1500, 55)))),
          (0.2, eth_frame(MAC_S, MAC_C, 0x0800, ospf_v4(a, b, ospf_dbd(2, rid((8, 8, 8, 8)),
                                                                       1500, 55, flags=2))))]
    path = os.path.join(TMP, "ospf-v2-equal.pcap")
    rep, text = link_report(path, fr)
    expect(not rep["findings"] and not rep["verdict"]["advice"], str(rep["findings"]))
    expect("OSPF" not in rep["verdict"]["summary"], rep["verdict"]["summary"])
    ps = {(p["src"], p["dst"]): p for p in rep["paths"]}
    for k in (("192.0.2.1", "192.0.2.2"), ("192.0.2.2", "192.0.2.1")):
        expect(k in ps and ps[k]["mtu_upper"] == 1500 and ps[k]["mtu_lower"] is None
               and any("OSPF" in e for e in ps[k]["evidence"]), str(rep["paths"]))
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("corpus: the public OSPF captures (equal MTUs) raise no finding and bound each "
      "adjacency at 1500; the public PPPoE capture's MRU 1492 exchanges, with exact filters")
def _():
    corpus = os.path.join(ROOT, "..", "shared", "corpus")
    if not os.path.isdir(corpus):
        print("SKIP: corpus OSPF/PPPoE captures: ../shared/corpus is missing")
        return
    for name in ("tcpdump/OSPFv2_Capture_FINAL.pcapng", "tcpdump/OSPFv3_broadcast_adjacency.pcap",
                 "tcpdump/OSPFv3_with_AH.pcap"):
        path = os.path.join(corpus, name)
        rc, out, err = run(["--json", "-r", path])
        no_sanitizer(err)
        rep = json.loads(out)
        expect(not rep["findings"], f"{name}: {rep['findings']}")
        ospf = [p for p in rep["paths"] if any("OSPF" in e for e in p["evidence"])]
        expect(ospf and all(p["mtu_upper"] == 1500 for p in ospf), f"{name}: {rep['paths']}")
    path = os.path.join(corpus, "suricata-verify/tests/pppoe/input.pcap")
    rc, out, err = run(["--json", "-r", path])
    rep = json.loads(out)
    found = exact_filters(path, rep, {"link-mtu"})
    expect(sorted(x["frames"] for x in found) == [[16, 20, 21], [17, 18]], str(found))



# ---- an ICMP quote that understates its packet (issue 14 item 1) ----

def tcp6(sport, dport, seq, ack, flags, payload=b"", src=None, dst=None, mss=None):
    """IPv6/TCP with its checksum."""
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    opts = struct.pack("!BBH", 2, 4, mss) if mss else b""
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (20 + len(opts)) // 4 << 4,
                    sum(bits[c] for c in flags), 65535, 0, 0) + opts
    seg = h + payload
    pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    c = harness_csum(pseudo + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return struct.pack("!IHBB16s16s", 0x60000000, len(seg), 6, 64, src, dst) + seg


def cut_quote(orig, keep, v6):
    """The first `keep` bytes of IP packet `orig`, its length field rewritten to
    say `keep` (and the IPv4 header checksum redone), as a router quoting 576
    bytes or an anonymiser leaves it."""
    q = bytearray(orig[:keep])
    if v6:
        q[4:6] = struct.pack("!H", keep - 40)
    else:
        q[2:4] = struct.pack("!H", keep)
        q[10:12] = b"\0\0"
        q[10:12] = struct.pack("!H", harness_csum(bytes(q[:20])))
    return bytes(q)


def understated_quote(v6, keep, vlan, original=True, gap=0.005, mtu=1350):
    """An upload whose 1500-byte segment draws a frag-needed / packet-too-big
    (MTU `mtu`) quoting it cut to `keep` bytes with its length rewritten; the
    sender then re-sends in `mtu`-byte packets, acknowledged.  `original`:
    whether the 1500-byte packet is in the capture."""
    if v6:
        c, s = bytes.fromhex("20010db8000000000000000000000001"), \
            bytes.fromhex("20010db8000000000000000000000002")
        rtr = bytes.fromhex("20010db8000000000000000000000fe1")
        C = lambda *a, **k: tcp6(50000, 80, *a, src=c, dst=s, **k)
        S = lambda *a, **k: tcp6(80, 50000, *a, src=s, dst=c, **k)
        et, hdr = 0x86dd, 60
    else:
        c, s, rtr = (192, 0, 2, 1), (198, 51, 100, 2), (203, 0, 113, 1)
        C = lambda *a, ident=1, **k: tcp(50000, 80, *a, src=c, dst=s, ident=ident, **k)
        S = lambda *a, **k: tcp(80, 50000, *a, src=s, dst=c, **k)
        et, hdr = 0x0800, 40
    fr = lambda t, ip, up=True: (t, eth_frame(MAC_S if up else MAC_C, MAC_C if up else MAC_S,
                                              et, ip, vlan))
    out = [fr(0.0, C(1000, 0, "S", mss=1500 - hdr)), fr(0.01, S(5000, 1001, "SA", mss=1500 - hdr),
                                                        False), fr(0.02, C(1001, 5001, "A"))]
    big = C(1001, 5001, "PA", b"u" * (1500 - hdr), **({} if v6 else {"ident": 77}))
    if original:
        out.append(fr(0.03, big))
    q = cut_quote(big, keep, v6)
    if v6:
        body = struct.pack("!BBHI", 2, 0, 0, mtu) + q
        pseudo = rtr + c + struct.pack("!IxxxB", len(body), 58)
        body = body[:2] + struct.pack("!H", harness_csum(pseudo + body)) + body[4:]
        icmp = struct.pack("!IHBB16s16s", 0x60000000, len(body), 58, 64, rtr, c) + body
    else:
        body = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + q
        body = body[:2] + struct.pack("!H", harness_csum(body)) + body[4:]
        icmp = harness_ipv4(body, proto=1, src=rtr, dst=c)
    out.append(fr(0.03 + gap, icmp, False))
    seq, t = 1001, 0.04 + gap
    for k in range(4):  # the same data and more, in packets that fit
        out.append(fr(t, C(seq, 5001, "PA", b"v" * (mtu - hdr))))
        seq += mtu - hdr
        out.append(fr(t + 0.01, S(5001, seq, "A"), False))
        t += 0.02
    return out


@test("a frag-needed (MTU 1350) whose quote a 576-byte router cut to 548 and whose length "
      "says 548: the captured 1500-byte original is the packet, PMTUD works, the path is "
      "exactly 1350 (issue 14 item 1)")
def _():
    path = os.path.join(TMP, "quote-576.pcap")
    rep, text = link_report(path, understated_quote(False, 548, None))
    v = rep["verdict"]
    expect(v["status"] == "pmtud-working", str(v))
    expect(not [x for x in rep["findings"] if x["kind"] == "icmp-implausible"],
           str(rep["findings"]))
    p = [x for x in rep["paths"] if (x["src"], x["dst"]) == ("192.0.2.1", "198.51.100.2")]
    expect(p and (p[0]["mtu_lower"], p[0]["mtu_upper"], p[0]["mtu"]) == (1350, 1350, 1350),
           str(rep["paths"]))
    expect(any("the original, frame 4, was 1500" in e for e in p[0]["evidence"]),
           str(p[0]["evidence"]))
    expect([m["honored"] for m in rep["icmp"]] == [True], str(rep["icmp"]))
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("an anonymiser's 28-byte quote (IP header and the TCP ports and sequence, its length "
      "28), in a VLAN, the ICMP 0.3 s later: matched to the captured original, exact 1350")
def _():
    path = os.path.join(TMP, "quote-28.pcap")
    rep, text = link_report(path, understated_quote(False, 28, 5, gap=0.3))
    expect(rep["verdict"]["status"] == "pmtud-working", str(rep["verdict"]))
    expect(not [x for x in rep["findings"] if x["kind"] == "icmp-implausible"],
           str(rep["findings"]))
    p = [x for x in rep["paths"] if (x["src"], x["dst"]) == ("192.0.2.1", "198.51.100.2")]
    expect(p and p[0]["mtu"] == 1350, str(rep["paths"]))
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("a packet-too-big (MTU 1400) whose quote is cut to 1232 bytes with its payload length "
      "rewritten: the 1500-byte original counts, exact 1400; without the original the "
      "size is unknown, not implausible, and the MTU still bounds the path")
def _():
    path = os.path.join(TMP, "quote-v6.pcap")
    rep, text = link_report(path, understated_quote(True, 1232, None, mtu=1400))
    expect(rep["verdict"]["status"] == "pmtud-working", str(rep["verdict"]))
    expect(not [x for x in rep["findings"] if x["kind"] == "icmp-implausible"],
           str(rep["findings"]))
    p = [x for x in rep["paths"] if x["src"] == "2001:db8::1"]
    expect(p and p[0]["mtu"] == 1400, str(rep["paths"]))
    # the original not captured (the capture started after it): the size is unknown
    path = os.path.join(TMP, "quote-v4-no-original.pcap")
    rep, text = link_report(path, understated_quote(False, 548, None, original=False))
    expect(not [x for x in rep["findings"] if x["kind"] == "icmp-implausible"],
           str(rep["findings"]))
    p = [x for x in rep["paths"] if (x["src"], x["dst"]) == ("192.0.2.1", "198.51.100.2")]
    expect(p and p[0]["mtu_upper"] == 1350, str(rep["paths"]))
    expect(any("size is unknown" in e for e in p[0]["evidence"]), str(p[0]["evidence"]))
    expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


@test("a quote equal to its length is cut only when the message shows it: a UDP quote whose "
      "UDP length says more is unknown, a whole 100-byte UDP packet quoted with MTU 1350 "
      "stays implausible (as zeek's icmp6-toobig)")
def _():
    c, s, rtr = (192, 0, 2, 1), (198, 51, 100, 2), (203, 0, 113, 1)
    for name, payload, keep, want in (("udp-cut", 1472, 64, False), ("udp-whole", 72, 100, True)):
        orig = harness_ipv4(struct.pack("!HHHH", 40000, 53, 8 + payload, 0) + b"d" * payload,
                            src=c, dst=s)
        body = struct.pack("!BBHHH", 3, 4, 0, 0, 1350) + cut_quote(orig, keep, False)
        body = body[:2] + struct.pack("!H", harness_csum(body)) + body[4:]
        icmp = harness_ipv4(body, proto=1, src=rtr, dst=c)
        path = os.path.join(TMP, f"quote-{name}.pcap")
        rep, text = link_report(path, [(0.0, eth_frame(MAC_C, MAC_S, 0x0800, icmp))])
        bad = [x for x in rep["findings"] if x["kind"] == "icmp-implausible"]
        expect(bool(bad) == want, f"{name}: {rep['findings']}")
        expect([m["quoted"]["cut"] for m in rep["icmp"]] == [not want], f"{name}: {rep['icmp']}")
        p = [x for x in rep["paths"] if (x["src"], x["dst"]) == ("192.0.2.1", "198.51.100.2")]
        expect(bool(p) != want and all(x["mtu_upper"] == 1350 for x in p), str(rep["paths"]))
        expect(not NO_ZERO_BOUND.search(text), NO_ZERO_BOUND.search(text))


# ---- issue 16: the fix as blocks to paste, honest ranges ----

def fix_section(text):
    """The lines of the text report's fix: from 'fix:' to the next section."""
    lines = text.split("\n")
    try:
        start = lines.index("fix:")
    except ValueError:
        return []
    out = []
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    return out


def text_blocks(text):
    """The blocks to paste as the text report prints them: the run of lines
    indented by four spaces right after a title line ending in ':' (bullets
    start with '- ' and are no title), each line with its indentation taken off."""
    sec, blocks, cur = fix_section(text), [], None
    for i, line in enumerate(sec):
        if cur is not None and line.startswith("    "):
            cur.append(line[4:])
            continue
        if cur is not None:
            blocks.append("\n".join(cur))
            cur = None
        if line.startswith("  ") and not line.startswith("  - ") and line.endswith(":") \
                and i + 1 < len(sec) and sec[i + 1].startswith("    "):
            cur = []
    if cur is not None:
        blocks.append("\n".join(cur))
    return blocks


def check_fix_blocks(name, text, rep):
    """The text report prints every block of verdict.fix_blocks whole (no line folded at
    98 columns or anywhere), in order; every shell block passes bash -n."""
    expect("fix_blocks" in rep["verdict"] and "fix" in rep["verdict"],
           f"{name}: no verdict.fix_blocks in the JSON")
    want = [b["text"] for b in rep["verdict"]["fix_blocks"]]
    got = text_blocks(text)
    expect(got == want, f"{name}: text blocks {got!r} != JSON {want!r}")
    for b in rep["verdict"]["fix_blocks"]:
        for line in b["text"].split("\n"):
            expect("<" not in line or b["lang"] != "sh", f"{name}: a placeholder in {line!r}")
        if b["lang"] == "sh" and shutil.which("bash"):
            p = subprocess.run(["bash", "-n"], input=b["text"].encode(), capture_output=True)
            expect(p.returncode == 0, f"{name}: bash -n: {p.stderr!r} on {b['text']!r}")


def fix_mtu_expected(rep):
    """The MTU a report computes: a tunnel's recommended MTU, else an exact path MTU (for
    WireGuard between the path's ends, less its overhead); None when it only bounds."""
    recs = [t["recommended_mtu"] for t in rep["tunnels"] if t["recommended_mtu"]]
    if recs:
        return {recs[0]}
    exact = {p["mtu"] for p in rep["paths"] if p["mtu"]}
    return exact | {m - 60 for m in exact} | {m - 80 for m in exact} if exact else None


@test("the fix is printed as blocks to paste, the computed MTU in them, on every sample "
      "with a computable MTU; no block is folded and every shell block passes bash -n "
      "(issue 16 item 1)")
def _():
    samples = sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap")) +
                     glob.glob(os.path.join(ROOT, "samples", "*.pcapng")))
    computable = 0
    for path in samples:
        name = os.path.basename(path)
        rc, out, err = run(["--json", "-r", path])
        no_sanitizer(err)
        rep = json.loads(out)
        rc, text, err = run(["-v", "-r", path])
        check_fix_blocks(name, text, rep)
        want = fix_mtu_expected(rep)
        fx = rep["verdict"].get("fix", {"exact": False})
        if want is None:
            expect(not fx.get("exact"), f"{name}: exact fix {fx} with nothing computed")
            continue
        computable += 1
        expect(fx.get("exact") and fx.get("mtu") in want, f"{name}: fix {fx}, want one of {want}")
        code = [line for b in text_blocks(text) for line in b.split("\n")]
        expect(f"MTU = {fx['mtu']}" in code or f'ip link set dev "$IFACE" mtu {fx.get("mtu")}' in code,
               f"{name}: no block sets {fx['mtu']}: {code}")
    # the lab's icmp-ok captures (1374), the sweep (1452), PMTUD working (1300, 1280)
    expect(computable >= 4, f"only {computable} samples with a computable MTU")


@test("the HTML fix: each block in <pre><code>, escaped, with a copy button and its inline "
      "script (no network) (issue 16 item 1)")
def _():
    import html as htmlmod
    for sample, mtu in (("lab-wg1420-path1434-icmp-ok-server-outer.pcap", "MTU = 1374"),
                        ("gen-ping-sweep.pcap", "mtu 1452"),
                        ("lab-tcp4-pmtud-ok-path1300-server-outer.pcap", "mtu 1300")):
        d = os.path.join(TMP, "html-" + sample)
        rc, _, err = run(["--no-plots", "-o", d, "-r", os.path.join(ROOT, "samples", sample)])
        expect(rc == 0, err)
        page = open(os.path.join(d, "report.html")).read()
        rep = json.load(open(os.path.join(d, "report.json")))
        codes = [htmlmod.unescape(c) for c in
                 re.findall(r'<pre><code id="fix-\d+"[^>]*>(.*?)</code></pre>', page, re.S)]
        expect(codes and codes == [b["text"] for b in rep["verdict"].get("fix_blocks", [])],
               f"{sample}: {codes}")
        expect(any(mtu in c for c in codes), f"{sample}: no {mtu!r} in {codes}")
        expect('"$IFACE"' not in page and "&quot;$IFACE&quot;" in page, f"{sample}: not escaped")
        expect(page.count('class="copy"') == len(codes) and "<script>" in page and
               "navigator.clipboard" in page and not re.search(r"<script[^>]*src=", page),
               f"{sample}: copy buttons")


@test("the HTML report as a handout: --truth shows the sample's manifest row beside the "
      "claims (found by file name when the sample is copied elsewhere), escaped; without "
      "--truth no report carries it; the key number large, a bound never shown as the value "
      "to set (issue 19)")
def _():
    import html as htmlmod
    manifest = os.path.join(ROOT, "samples", "manifest.tsv")
    # the ESP black hole's truth (1492, 1438) is in no claim: only the table can show it
    sample = os.path.join(ROOT, "samples", "gen-esp-blackhole.pcap")
    copy = os.path.join(TMP, "truth-copy", "gen-esp-blackhole.pcap")
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copy(sample, copy)
    for src in (sample, copy):
        d = os.path.join(TMP, "truth-" + str(src == copy))
        rc, _, err = run(["--no-plots", "--truth", manifest, "-o", d, "-r", src])
        expect(rc == 0, err)
        page = open(os.path.join(d, "report.html")).read()
        sec = re.search(r'<section id="truth">(.*?)</section>', page, re.S)
        expect(sec and 'href="#truth"' in page, f"{src}: no ground truth section")
        cells = dict(re.findall(r'<tr><th class="l">([^<]*)</th><td>([^<]*)</td></tr>',
                                sec.group(1)))
        expect(cells.get("bottleneck_mtu") == "1492" and cells.get("right_tunnel_mtu") == "1438"
               and cells.get("verdict") == "blackhole", f"{src}: {cells}")
        expect("esp 203.0.113.2&gt;198.51.100.20" in sec.group(1), "a cell not escaped")
        key = re.search(r'<div id="key-number" class="key bounded"><span class="num">([^<]*)<',
                        page)
        expect(key and htmlmod.unescape(key.group(1)) == "\u2264 1499",
               f"{src}: the bound not drawn as a bound: {key and key.group(0)}")
        for name in ("report.txt", "report.json"):
            other = open(os.path.join(d, name)).read()
            expect("1438" not in other and "bottleneck_mtu" not in other, f"truth leaked into {name}")
    d = os.path.join(TMP, "truth-none")
    rc, _, err = run(["--no-plots", "-o", d, "-r", sample])
    page = open(os.path.join(d, "report.html")).read()
    expect(rc == 0 and 'id="truth"' not in page and "1438" not in page and "bottleneck_mtu"
           not in page, "ground truth shown without --truth")
    # an exact fix is the key number: the Windows sweep's 1400
    d = os.path.join(TMP, "truth-win")
    rc, _, err = run(["--no-plots", "-o", d, "-r",
                      os.path.join(ROOT, "samples", "gen-windows-ping-sweep.pcap")])
    expect(re.search(r'<div id="key-number" class="key"><span class="num">1400</span>',
                     open(os.path.join(d, "report.html")).read()), "no key number 1400")
    # a hostile table: markup and control bytes in a cell, a file name that matches
    hostile = os.path.join(TMP, "truth-hostile.tsv")
    with open(hostile, "w") as f:
        f.write("file\tstory\ngen-esp-blackhole.pcap\t<script>alert(1)</script>\x1b[31m\u202e\n")
    d = os.path.join(TMP, "truth-hostile")
    rc, _, err = run(["--no-plots", "--truth", hostile, "-o", d, "-r", sample])
    page = open(os.path.join(d, "report.html")).read()
    expect(rc == 0 and "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m\\xe2\\x80\\xae" in page
           and "<script>alert" not in page and "\x1b" not in page, "hostile cell not escaped")
    # --truth goes on the page only: without -o it is refused; a table without "file" too
    rc, _, err = run(["--truth", manifest, "-r", sample])
    expect(rc == 2 and "needs -o DIR" in err, err)
    rc, _, err = run(["--truth", sample, "-o", os.path.join(TMP, "truth-bad"), "-r", sample])
    expect(rc == 2 and "--truth" in err, err)


def wg_data(src, dst, counter, inner, v6=False, receiver=0x5eed, ttl=64):
    """A WireGuard data message from src to dst over UDP 51820 carrying `inner` bytes (a
    multiple of 16): outer IP size inner + 60 (IPv4) or + 80 (IPv6); TTL / hop limit ttl
    as captured (64: where it left)."""
    msg = struct.pack("<BxxxIQ", 4, receiver, counter) + b"\xa5" * (inner + 16)
    u = udp(51820, 51820, msg)
    if not v6:
        from harness import ipv4
        return ETH + ipv4(u, src=src, dst=dst, ident=counter & 0xffff, ttl=ttl)
    ip6 = struct.pack("!IHBB", 0x60000000, len(u), 17, ttl) + src + dst
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd" + ip6 + u


@test("WireGuard datagrams that arrived in fragments crossed as fragments: their counters "
      "prove delivery, not their size, so the path is bounded by the fragments, not by the "
      "datagrams (lab matrix SEED=6 m028 client-outer: 1480-byte datagrams cut to 1292 on a "
      "1295-byte path taken as a 1480-byte lower bound)")
def _():
    a, b = (10, 61, 1, 2), (10, 61, 2, 2)
    fr = []
    for k in range(12):
        t = 0.1 * k
        fr.append((t, wg_data(a, b, k, 64, receiver=0x1111, ttl=63)))
        big = wg_data(b, a, k, 1408 if k % 3 == 0 else 64, receiver=0x2222)  # 1468 or 124
        for j, piece in enumerate(cut_frame(big, 1295) if len(big) - 14 > 1295 else [big]):
            fr.append((t + 0.01 + 0.0001 * j, with_ttl(piece, 63)))
    rep = report_of("wg-fragmented", fr)
    p = [x for x in rep["paths"] if x["src"] == "10.61.2.2" and x["dst"] == "10.61.1.2"]
    expect(p and (p[0]["mtu_lower"], p[0]["mtu_upper"], p[0]["mtu"]) == (1292, 1299, None),
           f"{p}")


@test("WireGuard datagrams sent DF clear that a router cut crossed, as fragments carrying "
      "their IP ID (RFC 791): between two captures they are no loss and bound no size (lab "
      "matrix SEED=6 m022 pair: 'all 260 packets of 1384 bytes lost' on a healthy path)")
def _():
    a, b = (10, 61, 1, 2), (10, 61, 2, 2)  # the client's end, the server's end
    tx, rx = [], []  # captured at the server's end, at the client's end
    for k in range(16):
        t = 0.05 * k
        up = wg_data(a, b, k, 64, receiver=0x1111)
        rx.append((t, up))
        tx.append((t + 0.001, with_ttl(up, 63)))
        down = without_df(wg_data(b, a, k, 1312 if k % 2 else 64, receiver=0x2222))  # 1384 or 136
        tx.append((t + 0.01, down))
        pieces = cut_frame(down, 1239) if len(down) - 14 > 1239 else [with_ttl(down, 63)]
        for j, piece in enumerate(pieces):
            rx.append((t + 0.011 + 0.0001 * j, piece))
    tx.append((4.0, tx[-1][1]))  # both captures go on 3 s past the last datagram
    rx.append((4.0, rx[-1][1]))
    rep = report_of("wgcut", rx, tx)
    v = rep["verdict"]
    expect(v["status"] != "blackhole" and not any(
        f["kind"] == "blackhole" for f in rep["findings"]), f"{v['status']}: {v['summary']}")
    p = [x for x in rep["paths"] if x["src"] == "10.61.2.2" and x["dst"] == "10.61.1.2"]
    expect(p and p[0]["mtu_upper"] != 1383, f"{p}")


def bisection_sizes(lo, hi, mtu):
    """The IP sizes the fix's Linux probe sends (each twice), for a path carrying `mtu`."""
    out = []
    while hi - lo > 1:
        mid = (lo + hi) // 2
        out += [mid, mid]
        if mid <= mtu:
            lo = mid
        else:
            hi = mid
    return out


def df_sweep_silent(src, dst, mtu, sizes, t0=0.0, step=0.05):
    """DF echo requests of the given IP sizes from src to dst; those above `mtu` are
    dropped without a word (the black hole), the others answered."""
    from harness import csum, ipv4
    frames, t = [], t0
    for seq, size in enumerate(sizes):
        body = struct.pack("!HH", 0x99, seq) + b"q" * (size - 28)
        icmp = struct.pack("!BBH", 8, 0, 0) + body
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        frames.append((t, ETH + ipv4(icmp, proto=1, src=src, dst=dst, ident=3000 + seq)))
        if size <= mtu:
            rep = struct.pack("!BBH", 0, 0, 0) + body
            rep = rep[:2] + struct.pack("!H", csum(rep)) + rep[4:]
            frames.append((t + 0.004, ETH + ipv4(rep, proto=1, src=dst, dst=src,
                                                 ident=6000 + seq)))
        t += step
    return frames


@test("a DF ping sweep whose unanswered requests are of a size every path carries (576 bytes "
      "for IPv4) shows no MTU cliff: they were lost for another reason, and the summary names "
      "the sweep instead of denying it (public corpus: suricata-verify's IPv6 evasion captures, "
      "a 448-byte request unanswered called a black hole)")
def _():
    src, dst = (192, 0, 2, 1), (198, 51, 100, 2)
    for name, mtu, sizes, want in (("cliff-at-500", 500, [100, 300, 500, 550, 576], False),
                                   ("cliff-at-1400", 1400, [600, 1000, 1400, 1450, 1500], True)):
        v = report_of(f"sweep-{name}", df_sweep_silent(src, dst, mtu, sizes))["verdict"]
        expect((v["status"] == "blackhole") == want, f"{name}: {v['status']}: {v['summary']}")
        if not want:
            expect("a ping sweep from 192.0.2.1 to 198.51.100.2 whose requests from 550 bytes "
                   "went unanswered, a size every path carries" in v["summary"],
                   f"{name}: {v['summary']}")


def wg_chatter(a, b, n=24, inner=224, t0=0.0):
    """Small WireGuard data messages both ways, every counter present."""
    fr = []
    for k in range(n):
        fr.append((t0 + 0.01 * k, wg_data(a, b, k, inner, receiver=0x1111)))
        fr.append((t0 + 0.01 * k + 0.003, wg_data(b, a, k, inner, receiver=0x2222)))
    return fr


@test("the probe the bounded fix prints, captured with the tunnel's packets, gives the exact "
      "MTU = N block: bisection, rising and Windows-halving sweeps (issue 16 item 2)")
def _():
    A, B = (10, 61, 2, 2), (10, 61, 1, 2)
    cases = [("bisection 316..1479, path 1434", 1434, bisection_sizes(316, 1480, 1434)),
             ("bisection 576..1500, path 1400", 1400, bisection_sizes(576, 1501, 1400)),
             ("rising by 1, path 1452", 1452, list(range(1440, 1461))),
             ("Windows halving, path 1392", 1392, [1472, 736, 1104, 1288, 1380, 1426, 1403,
                                                   1391, 1397, 1394, 1392, 1393])]
    for name, mtu, sizes in cases:
        p = os.path.join(TMP, f"probe-{mtu}.pcap")
        fr = wg_chatter(A, B) + df_sweep_silent(A, B, mtu, sizes, t0=1.0)
        write_pcap_timed(p, sorted(fr, key=lambda x: x[0]))
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        rep = json.loads(out)
        fx = rep["verdict"].get("fix", {})
        expect(fx.get("exact") and fx.get("mtu") == mtu - 60, f"{name}: {fx}")
        rc, text, err = run(["-v", "-r", p])
        blocks = text_blocks(text)
        expect(f"[Interface]\nMTU = {mtu - 60}" in blocks, f"{name}: {blocks}")
        check_fix_blocks(name, text, rep)
    # a sweep whose steps skip sizes only bounds the path: no setting from its bound, the
    # value proven to cross (1452 - 60) as the safe one, and the probe of what is left
    p = os.path.join(TMP, "probe-by-4.pcap")
    write_pcap_timed(p, sorted(wg_chatter(A, B) + df_sweep_silent(A, B, 1452, range(1420, 1481, 4),
                                                                   t0=1.0), key=lambda x: x[0]))
    rc, out, err = run(["--json", "-r", p])
    rep = json.loads(out)
    fx = rep["verdict"].get("fix", {})
    expect(not fx.get("exact") and fx.get("mtu") == 1392 and fx.get("path_upper") == 1455 and
           all(t["recommended_mtu"] is None for t in rep["tunnels"]), f"by 4: {fx}")
    rc, text, err = run(["-v", "-r", p])
    blocks = text_blocks(text)
    expect("[Interface]\nMTU = 1392" in blocks and any("lo=1452 hi=1456" in b for b in blocks),
           f"by 4: {blocks}")
    check_fix_blocks("by 4", text, rep)


@test("a router's MTU for a WireGuard tunnel's packets gives the tunnel MTU as a block: "
      "frag-needed 1434 over IPv4 (1374), packet-too-big 1450 over IPv6 (1370), beside a "
      "DF sweep (issue 16 item 1)")
def _():
    from harness import csum, ipv4
    A, B, R = (10, 61, 2, 2), (10, 61, 1, 2), (10, 61, 2, 1)
    # IPv4: the 1480-byte datagram draws frag-needed 1434, then 1420-byte ones flow
    fr = wg_chatter(A, B)
    big = wg_data(A, B, 24, 1420, receiver=0x1111)[14:]  # counters go on from the chatter's: none skipped
    fn = struct.pack("!BBHHH", 3, 4, 0, 0, 1434) + big[:28]
    fn = fn[:2] + struct.pack("!H", csum(fn)) + fn[4:]
    fr += [(1.0, ETH + big), (1.001, ETH + ipv4(fn, proto=1, src=R, dst=A, ident=77, frag=0))]
    fr += [(1.1 + 0.01 * k, wg_data(A, B, 25 + k, 1360, receiver=0x1111)) for k in range(10)]
    # and a DF sweep drawing frag-needed 1434 from the same router, between the same hosts
    sweep = [(t + 2.0, f) for t, f in df_sweep_with_frag_needed(1434, list(range(1400, 1481, 8)))]
    cases = [("frag-needed", fr, 1374), ("frag-needed and sweep", fr + sweep, 1374)]
    # IPv6: the 1500-byte datagram draws packet-too-big 1450
    a6 = bytes.fromhex("20010db8000200000000000000000002")
    b6 = bytes.fromhex("20010db8000100000000000000000002")
    r6 = bytes.fromhex("20010db8000200000000000000000001")
    f6 = [(0.01 * k, wg_data(a6, b6, k, 224, v6=True, receiver=0x1111)) for k in range(24)]
    f6 += [(0.01 * k + 0.003, wg_data(b6, a6, k, 224, v6=True, receiver=0x2222))
           for k in range(24)]
    big6 = wg_data(a6, b6, 24, 1420, v6=True, receiver=0x1111)[14:]
    body = struct.pack("!I", 1450) + big6[:1232]
    pseudo = r6 + a6 + struct.pack("!I3xB", 4 + len(body), 58)
    msg = struct.pack("!BBH", 2, 0, 0) + body
    c = csum(pseudo + msg)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    ptb = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd" + \
        struct.pack("!IHBB", 0x60000000, len(msg), 58, 64) + r6 + a6 + msg
    f6 += [(1.0, b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd" + big6), (1.001, ptb)]
    f6 += [(1.1 + 0.01 * k, wg_data(a6, b6, 25 + k, 1360, v6=True, receiver=0x1111))
           for k in range(10)]
    cases.append(("packet-too-big over IPv6", f6, 1370))
    for name, frames, want in cases:
        p = os.path.join(TMP, f"router-{name.replace(' ', '-')}.pcap")
        write_pcap_timed(p, sorted(frames, key=lambda x: x[0]))
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        rep = json.loads(out)
        fx = rep["verdict"].get("fix", {})
        expect(fx.get("exact") and fx.get("mtu") == want, f"{name}: {fx} {rep['verdict']['status']}")
        rc, text, _ = run(["-v", "-r", p])
        expect(f"[Interface]\nMTU = {want}" in text_blocks(text), f"{name}: {text[:1500]}")
        check_fix_blocks(name, text, rep)


@test("honest ranges: the demo's bounded path is no setting (no 'MTU <= 1419', no MTU block "
      "of a bound); it gives the probe with its sizes and what is safe (issue 16 item 2)")
def _():
    demo = []
    for v in ("client-outer", "client-wg", "server-outer", "server-wg"):
        demo += ["-r", os.path.join(ROOT, "samples", f"lab-incident-wg1420-path1434-{v}.pcap")]
    rc, out, err = run(["--json"] + demo)
    rep = json.loads(out)
    fx = rep["verdict"].get("fix", {})
    expect(not fx.get("exact") and fx.get("path_lower") == 316 and fx.get("path_upper") == 1479, str(fx))
    rc, text, err = run(demo)
    expect("MTU <= 1419" not in text and "MTU = 1419" not in text, "a bound as a setting")
    blocks = text_blocks(text)
    expect(not any(re.search(r"MTU = \d|mtu \d", b) for b in blocks), f"a setting: {blocks}")
    probe = [b for b in blocks if "ping -M do" in b]
    expect(probe and "lo=316 hi=1480" in probe[0] and "$((mid - 28))" in probe[0] and
           "10.61.1.2" in probe[0], f"probe: {probe}")
    expect("ping -D -c 2 -s 1312 10.61.1.2\nping -D -c 2 -s 1451 10.61.1.2" in blocks and
           "ping -f -n 2 -l 1312 10.61.1.2\nping -f -n 2 -l 1451 10.61.1.2" in blocks,
           f"the Mac and Windows probes: {blocks}")
    expect("mtuscope -r mtu-probe.pcap" in blocks, str(blocks))
    check_fix_blocks("demo", text, rep)
    # the bisection loop finds the path MTU when run against a simulated path
    sh = probe[0].replace("ping -M do -c 2 -W 1 -s $((mid - 28)) 10.61.1.2 >/dev/null",
                          "[ $((mid - 28 + 28)) -le 1434 ]")
    p = subprocess.run(["bash", "-c", sh], capture_output=True, text=True)
    expect(p.stdout.strip() == "path MTU: 1434 bytes", p.stdout + p.stderr)


# ---- issue 16 item 8: each storm once, as evidence with its filter ----

def storm_flow(sport, t0, nseg=30, nretx=16, gap=0.02, rgap=0.02, pause=0.2):
    """One TCP download from 198.51.100.2:80 to 192.0.2.1:sport: nseg 500-byte segments,
    the first 4 acknowledged, then segments 4.. re-sent nretx times (no duplicate ACK:
    plain retransmissions after a timeout, as Wireshark flags them)."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(sport, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH + tcp(80, sport, *a, src=s, dst=c, **k)
    fr = [(t0, C(1000, 0, "S", mss=1460)), (t0 + 0.01, S(5000, 1001, "SA", mss=1460)),
          (t0 + 0.02, C(1001, 5001, "A"))]
    t = t0 + 0.03
    for k in range(nseg):
        fr.append((t, S(5001 + 500 * k, 1001, "PA", b"d" * 500)))
        if k < 4:
            fr.append((t + 0.001, C(1001, 5001 + 500 * (k + 1), "A")))
        t += gap
    t += pause
    for k in range(nretx):
        fr.append((t, S(5001 + 500 * (4 + k), 1001, "PA", b"d" * 500)))
        t += rgap
    return fr


def storm_report(name, frames):
    p = os.path.join(TMP, f"storm-{name}.pcap")
    write_pcap_timed(p, sorted(frames, key=lambda x: x[0]))
    rc, out, err = run(["--json", "-r", p])
    no_sanitizer(err)
    rc, text, err = run(["-v", "-r", p])
    return p, json.loads(out), text


@test("each retransmission storm once, as a finding with its frames, duration, count and a "
      "filter that selects exactly its retransmissions (issue 16 item 8)")
def _():
    cases = [("one flow", storm_flow(50000, 0.0), 1, 16),
             ("one flow, slower re-sends", storm_flow(50001, 0.0, nretx=12, rgap=0.06), 1, 12),
             ("one storming flow beside a quiet one",
              storm_flow(50002, 0.0) + storm_flow(50003, 0.0, nretx=0), 1, 16),
             # after a 1.5 s timeout, the window holds the re-sends alone: 16 of 16 packets
             ("four flows, none storming alone", sum((storm_flow(50010 + i, 0.001 * i, nretx=4,
                                                                  rgap=0.03, pause=1.5)
                                                       for i in range(4)), []), 1, 16)]
    for name, frames, nstorms, retx in cases:
        p, rep, text = storm_report(name.replace(" ", "-").replace(",", ""), frames)
        storms = rep["storms"]
        found = [f for f in rep["findings"] if f["kind"] == "retransmission-storm"]
        expect(len(storms) == nstorms and len(found) == nstorms,
               f"{name}: {len(storms)} storms, {len(found)} findings: {storms}")
        st, fi = storms[0], found[0]
        expect(st["retransmissions"] == retx, f"{name}: {st}")
        expect(fi["frames"] == [st["start_frame"], st["end_frame"]] and
               f"{retx} retransmissions" in fi["message"] and
               f"over {(st['end_ns'] - st['start_ns']) / 1e9:.3f} s" in fi["message"],
               f"{name}: {fi}")
        expect((st["flow"] is None) == ("across flows" in fi["message"]), f"{name}: {fi}")
        n = tshark_count(p, fi["wireshark_filter"])
        expect(n is None or n == retx, f"{name}: tshark selects {n} with "
                                       f"{fi['wireshark_filter']!r}, want {retx}")
        expect("all flows" not in text and "retransmission storms (" not in text and
               text.count("] retransmission storm, ") == nstorms, f"{name}: {text[-1500:]}")
        if rep["verdict"]["status"] == "retransmission-storm":
            expect(rep["verdict"]["summary"].startswith("1 retransmission storm,"),
                   rep["verdict"]["summary"])


# ---- issue 16 item 6: self-healing named ----

@test("a black hole the sender healed names how, by the DF bit of what it re-sent: DF cleared "
      "(the black hole detection of Windows, 576-byte packets, and of macOS, 1240 from the "
      "second timeout), DF kept (TCP MTU probing, Linux's tcp_mtu_probing), with its cost in "
      "seconds (issue 16 item 6)")
def _():
    fr = resized_download(1.2)
    win = os.path.join(TMP, "heal-df-cleared.pcap")
    # the halves re-sent without DF, as Windows does once it detects the black hole
    write_pcap_timed(win, [(t, without_df(f) if len(f) - 14 == 20 + 20 + 730 else f)
                           for t, f in fr])
    lin = os.path.join(TMP, "heal-df-kept.pcap")
    write_pcap_timed(lin, fr)
    mac = os.path.join(TMP, "heal-macos.pcap")
    write_pcap_timed(mac, macos_healed_download())
    lab = lambda v: os.path.join(ROOT, "samples", f"lab-tcp4-probing-heal-path1400-{v}.pcap")
    cases = [(os.path.join(ROOT, "samples", "gen-windows-fallback.pcap"), "df-cleared", 2.1),
             (win, "df-cleared", 1.2), (lin, "mtu-probing", 1.2), (mac, "df-cleared", 0.9),
             (lab("server-outer"), "mtu-probing", 6.4), (lab("client-outer"), "mtu-probing", 6.4)]
    for path, how, cost in cases:
        name = os.path.basename(path)
        rc, out, err = run(["--json", "-r", path])
        no_sanitizer(err)
        rep = json.loads(out)
        bhs = [f["blackhole"] for f in rep["flows"] if f["blackhole"] and f["blackhole"]["healed"]]
        expect(bhs and bhs[0].get("healed_by") == how and abs(bhs[0]["healed_cost_s"] - cost) < 0.15,
               f"{name}: {bhs}")
        words = "black hole detection of Windows" if how == "df-cleared" else "TCP MTU probing"
        healed = [f for f in rep["findings"] if f["kind"] == "blackhole" and "healed" in f["message"]]
        expect(healed and words in healed[0]["message"], f"{name}: {healed}")
        adv = [a for a in rep["verdict"]["advice"] if a["kind"] == "sender-heals-itself"]
        expect(adv and adv[0].get("healed_by") == how and abs(adv[0]["cost_s"] - cost) < 0.15,
               f"{name}: {rep['verdict']['advice']}")
        expect(f"{cost:.1f} s" in rep["verdict"]["summary"] or "receiver" in healed[0]["message"],
               f"{name}: {rep['verdict']['summary']}")
        # the lost packets had DF set: the DF-clear ones are the heal, no fragments were lost
        expect("Those packets have DF clear" not in rep["verdict"]["summary"],
               f"{name}: {rep['verdict']['summary']}")
        # no stopgap for a sender that heals already
        expect(not any(b["kind"] == "linux-tcp-mtu-probing"
                       for b in rep["verdict"].get("fix_blocks", [])), f"{name}: a stopgap")


@test("a black hole the sender does not heal gets the stopgap for the sender: "
      "sysctl -w net.ipv4.tcp_mtu_probing=1 (Linux) and EnablePMTUBHDetect (Windows), as "
      "blocks to paste (issue 16 item 6)")
def _():
    for name in ("lab-tcp4-blackhole-path1300-server-outer.pcap", "gen-pppoe-blackhole.pcap",
                 "lab-tcp6-blackhole-path1280-server-outer.pcap"):
        path = os.path.join(ROOT, "samples", name)
        rc, out, err = run(["--json", "-r", path])
        rep = json.loads(out)
        blocks = {b["kind"]: b for b in rep["verdict"].get("fix_blocks", [])}
        expect("sysctl -w net.ipv4.tcp_mtu_probing=1" in blocks.get("linux-tcp-mtu-probing",
                                                                   {}).get("text", "") and
               "EnablePMTUBHDetect" in blocks.get("windows-pmtu-bh-detect", {}).get("text", ""),
               f"{name}: {list(blocks)}")
        sender = [a["sender"] for a in rep["verdict"]["advice"] if a["kind"] == "let-sender-heal"]
        expect(sender and sender[0] in blocks["linux-tcp-mtu-probing"]["title"], f"{name}")
        rc, text, _ = run(["-v", "-r", path])
        expect("    reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters" in text,
               f"{name}: the Windows path is not printed as it is")
        check_fix_blocks(name, text, rep)


# ---- SYN floods (issue 18 item 8) ----

def tcp6_syn(src, dst, sport, dport, seq, flags="S"):
    """An IPv6 TCP SYN (or SYN-ACK) with an MSS option and its checksum."""
    bits = {"S": 2, "A": 16}
    fl = sum(bits[c] for c in flags)
    opts = struct.pack("!BBH", 2, 4, 1440)
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, seq - 1 if "A" in flags else 0,
                    (20 + len(opts)) // 4 << 4, fl, 65535, 0, 0) + opts
    pseudo = src + dst + struct.pack("!IxxxB", len(h), 6)
    c = 0
    b = pseudo + h
    for i in range(0, len(b), 2):
        c += (b[i] << 8) + b[i + 1]
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    h = h[:16] + struct.pack("!H", ~c & 0xffff) + h[18:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(h), 6, 64) + src + dst
    return ETH[:12] + b"\x86\xdd" + ip6 + h


def syn_flood(path, n, rate, v6=False, answer_every=0, tail=1.5, one_source=False):
    """n SYNs to one listener (port 80) at `rate` a second, each from its own spoofed
    address and port (or all from one address); every answer_every-th answered by a
    SYN-ACK 1 ms later; a UDP packet `tail` seconds after the last SYN (None: the
    capture ends with the flood).  one_source: one client re-sending one SYN (its
    address, port and ISN).  Returns the number of SYNs left unanswered."""
    fr, unanswered = [], 0
    dst4, dst6 = (198, 51, 100, 80), bytes.fromhex("20010db8000000000000000000000080")
    for i in range(n):
        t = i / rate
        sport = 40000 if one_source else 1024 + (i * 7919) % 60000
        a = 0 if one_source else i
        isn = 1000 if one_source else 1000 + i
        if v6:
            src = bytes.fromhex("20010db8ffff0000") + struct.pack("!Q", a + 1)
            fr.append((t, tcp6_syn(src, dst6, sport, 80, isn)))
        else:
            src = (10, (a >> 16) & 255, (a >> 8) & 255, a & 255)
            fr.append((t, ETH + tcp(sport, 80, isn, 0, "S", mss=1460, src=src, dst=dst4,
                                    ident=i + 1)))
        if answer_every and i % answer_every == 0:
            if v6:
                fr.append((t + 0.001, tcp6_syn(dst6, src, 80, sport, 9000 + i, "SA")))
            else:
                fr.append((t + 0.001, ETH + tcp(80, sport, 9000 + i, 1001 + i, "SA", mss=1460,
                                                src=dst4, dst=src, ident=i + 1)))
        else:
            unanswered += 1
    if tail is not None:
        fr.append(((n - 1) / rate + tail, udp_frame(0)))
    fr.sort(key=lambda x: x[0])
    write_pcap_timed(path, fr)
    return unanswered


def syn_findings(path, extra=()):
    rc, out, err = run(["--json"] + list(extra) + ["-r", path])
    no_sanitizer(err)
    expect(rc == 0, err)
    rep = json.loads(out)
    return rep, [f for f in rep["findings"] if f["kind"] == "syn-flood"]


def attempts_of(f):
    m = re.match(r"(\d+) connection attempts \((\d+) SYNs\)", f["message"])
    pend = re.search(r"; (\d+) more, sent in the capture's last second, are not judged",
                     f["message"])
    return int(m.group(1)), int(m.group(2)), int(pend.group(1)) if pend else 0


def syn_flood_tests():
    @test("a SYN flood is a finding, and the verdict says the MTU was not tested: SYNs carry "
          "no data, so unanswered ones within the 1 s initial RTO are no MTU effect")
    def _():
        for n, rate, v6 in ((300, 100, False), (1000, 1000, True), (5000, 20000, False)):
            p = os.path.join(TMP, f"synflood-{n}-{rate}-{v6}.pcap")
            want = syn_flood(p, n, rate, v6=v6)
            rep, fs = syn_findings(p)
            expect(len(fs) == 1, f"{p}: {rep['findings']}")
            if not fs:
                continue
            f = fs[0]
            expect(attempts_of(f) == (want, want, 0), f"{p}: {f['message']}")
            expect(f["frames"] == [1, n], f"{p}: frames {f['frames']}")
            ip = "ipv6" if v6 else "ip"
            dst = "2001:db8::80" if v6 else "198.51.100.80"
            expect(f["wireshark_filter"] == "tcp.flags.syn == 1 && tcp.flags.ack == 0 && "
                   f"{ip}.dst == {dst} && tcp.dstport == 80", f["wireshark_filter"])
            expect("many source addresses" in f["message"], f["message"])
            v = rep["verdict"]
            expect(v["status"] == "inconclusive" and v["summary"].startswith(
                f"Not tested: {want} connection attempts") and "says nothing about the path MTU"
                in v["summary"], f"{p}: {v}")
            if shutil.which("tshark"):  # the filter selects exactly the flood's SYNs
                expect(tshark_count(p, f["wireshark_filter"]) == n, f"{p}: tshark count")

    @test("SYNs answered by a SYN-ACK within the RTO are not counted; the rest still are")
    def _():
        for v6 in (False, True):
            p = os.path.join(TMP, f"synflood-answered-{v6}.pcap")
            want = syn_flood(p, 400, 200, v6=v6, answer_every=10)
            rep, fs = syn_findings(p)
            expect(len(fs) == 1 and attempts_of(fs[0])[0] == want == 360,
                   f"{p}: {want} {[f['message'] for f in fs]}")

    @test("SYNs in the capture's last second are not judged: their SYN-ACK may come after "
          "the capture's end (the 1 s initial RTO)")
    def _():
        p = os.path.join(TMP, "synflood-no-tail.pcap")
        syn_flood(p, 3000, 1000, tail=None)  # 3 s of SYNs, nothing after them
        rep, fs = syn_findings(p)
        expect(len(fs) == 1, str(rep["findings"]))
        if fs:
            judged, syns, pending = attempts_of(fs[0])
            # judged in 100 ms slots: at most 100 ms more than the last second waits
            expect(judged + pending == 3000 and 1900 <= judged <= 2000, fs[0]["message"])

    @test("the live-flow cap ends a flood's flows before their second is over: they are "
          "judged when it is, with the same counts as without the cap")
    def _():
        p = os.path.join(TMP, "synflood-capped.pcap")
        want = syn_flood(p, 6000, 20000)
        counts = []
        for extra in ([], ["--max-flows", "500"]):
            rep, fs = syn_findings(p, extra)
            counts.append([attempts_of(f) for f in fs])
        expect(counts[0] == counts[1] == [(want, want, 0)], str(counts))

    @test("fewer unanswered attempts than a default SYN backlog (128), or one client "
          "retrying, are no SYN flood")
    def _():
        for n, one, want in ((127, False, 0), (128, False, 1), (300, True, 0)):
            p = os.path.join(TMP, f"synflood-small-{n}-{one}.pcap")
            syn_flood(p, n, 50, one_source=one)
            rep, fs = syn_findings(p)
            expect(len(fs) == want, f"{n} SYNs, one source {one}: {rep['findings']}")
            if want:
                expect(attempts_of(fs[0])[0] == n, fs[0]["message"])


# ---- many connections: the live-flow cap trades memory only (issue 18 item 1) ----

def many_connections(path, n, rate):
    """n short TCP connections at `rate` new a second, each a handshake, a 1400-byte
    response, FIN both ways and the last ACK, 2 ms apart; one in 50 loses its response
    after the capture point and re-sends it 200 ms later."""
    fr = []
    s = (198, 51, 100, 7)
    for i in range(n):
        t0 = i / rate
        c = (10, 9, (i >> 8) & 255, i & 255)
        sp = 1024 + i % 60000
        C = lambda *a, **k: ETH + tcp(sp, 443, *a, src=c, dst=s, **k)
        S = lambda *a, **k: ETH + tcp(443, sp, *a, src=s, dst=c, **k)
        pk = [C(100, 0, "S", mss=1460), S(500, 101, "SA", mss=1460), C(101, 501, "A"),
              S(501, 101, "PA", b"r" * 1400)]
        if i % 50 == 3:
            pk.append(S(501, 101, "PA", b"r" * 1400))  # the re-send, 200 ms later
        pk += [C(101, 1901, "A"), S(1901, 101, "FA"), C(101, 1902, "FA"), S(1902, 102, "A")]
        for k, p in enumerate(pk):
            fr.append((t0 + k * 0.002 + (0.2 if i % 50 == 3 and k >= 4 else 0), p))
    fr.sort(key=lambda x: x[0])
    write_pcap_timed(path, fr)


def many_connection_tests():
    @test("a cleanly closed connection is retired 3 s after its close (two RTO backoffs of a "
          "FIN), so 500 connections a second stay under a 2,500-flow cap: the report is the "
          "same with the cap and without it")
    def _():
        p = os.path.join(TMP, "many-connections.pcap")
        many_connections(p, 4000, 500)  # 8 s: with a 10 s grace all 4,000 would be live
        reps = []
        for cap in ("2500", "16777216"):
            rc, out, err = run(["--json", "--max-flows", cap, "-r", p])
            no_sanitizer(err)
            expect(rc == 0, err)
            reps.append(json.loads(out))
        a, b = reps
        expect(a["stats"]["flows_evicted"] == 0, str(a["stats"]))
        expect(a["stats"]["flows"] == 4000 and a["stats"]["tcp_retransmissions"] == 80,
               str(a["stats"]))
        expect(a == b, "the cap changed the report")

    @test("a cap of 4 live flows, under the 7 connections open at once, parks connections "
          "and resumes them as themselves: the same flows, retransmissions, verdict and "
          "findings as without the cap (issue 18 item 2)")
    def _():
        p = os.path.join(TMP, "many-connections-capped.pcap")
        many_connections(p, 1000, 500)  # 2 s; each re-send comes ~100 connections later
        reps = []
        for cap in ([], ["--max-flows", "4"]):
            rc, out, err = run(["--json"] + cap + ["-r", p])
            no_sanitizer(err)
            expect(rc == 0, err)
            reps.append(json.loads(out))
        a, b = reps
        sa, sb = a["stats"], b["stats"]
        expect(sa["flows"] == 1000 and sa["tcp_retransmissions"] == 20 and
               sa["flows_evicted"] == 0, str(sa))
        # the cap's own work is all that may differ: how often it parked and
        # resumed flows, how many it forgot (none: far fewer than 65,536 are
        # open), and the live peak it held
        cap_work = {k: sb.pop(k, None) for k in ("flows_evicted", "flows_resumed",
                                                 "flows_forgotten", "live_flows_peak")}
        for k in cap_work:
            sa.pop(k, None)
        expect(sa == sb, f"the cap changed the stats: {sa} against {sb}")
        for k in ("flows", "verdict", "findings"):
            expect(a.get(k) == b.get(k), f"the cap changed {k}")
        expect(a == b, "the cap changed the report")
        expect(cap_work["live_flows_peak"] == 4 and cap_work["flows_evicted"] > 1000 and
               cap_work["flows_resumed"] > 1000 and cap_work["flows_forgotten"] == 0,
               str(cap_work))

def download(client, sport, dport, mss, t0, segments=4, stall=False, server=(10, 6, 0, 1),
             ttl=64, seg=None):
    """(time, frame) pairs of a download from server:dport to client:sport, captured at the
    server: the client announces `mss` (and its packets arrive with `ttl`), a small request,
    then `segments` data segments of seg (default: mss) bytes, each acknowledged; with
    `stall`, the first full-size segment is re-sent with a doubling timeout and never
    acknowledged (the path drops it), after a small one that was."""
    seg = seg or mss
    C = lambda *a, **k: with_ttl(ETH + tcp(sport, dport, *a, src=client, dst=server, **k), ttl)
    S = lambda *a, **k: ETH + tcp(dport, sport, *a, src=server, dst=client, **k)
    fr = [(t0, C(1000, 0, "S", mss=mss)), (t0 + 0.01, S(5000, 1001, "SA", mss=1460)),
          (t0 + 0.02, C(1001, 5001, "A")), (t0 + 0.021, C(1001, 5001, "PA", b"g" * 100)),
          (t0 + 0.031, S(5001, 1101, "PA", b"h" * 300)), (t0 + 0.041, C(1101, 5301, "A"))]
    t, seq = t0 + 0.05, 5301
    if stall:
        iv = 0.2
        fr.append((t, S(seq, 1101, "A", b"x" * seg)))
        for _ in range(5):
            t += iv
            iv *= 2
            fr.append((t, S(seq, 1101, "A", b"x" * seg)))
        return fr
    for _ in range(segments):
        fr.append((t, S(seq, 1101, "A", b"x" * seg)))
        seq += seg
        fr.append((t + 0.01, C(1101, seq, "A")))
        t += 0.02
    return fr


def comparison_of(files):
    args = ["--json"]
    for f in files:
        args += ["-r", f]
    rc, out, err = run(args)
    no_sanitizer(err)
    expect(rc == 0, err)
    rep = json.loads(out)
    return rep, (rep.get("comparison") or {}).get("sentence")


PHONE, PC = (10, 6, 0, 2), (10, 6, 0, 3)


@test("phone works, PC stalls (issue 16 item 3): the phone's MSS 1240 gives 1280-byte packets "
      "that cross, the PC's MSS 1380 gives 1420-byte ones a 1419-byte path drops; the "
      "comparison names both devices and bounds the path at 1280..1419, in one capture and "
      "across two")
def _():
    phone = download(PHONE, 40001, 80, 1240, 0.0, ttl=63)
    pc = download(PC, 40002, 80, 1380, 0.5, stall=True, ttl=127) + \
        download(PC, 40003, 445, 1380, 0.7, stall=True, ttl=127)
    one = os.path.join(TMP, "cmp-phone-pc.pcap")
    write_pcap_timed(one, sorted(phone + pc, key=lambda x: x[0]))
    a = os.path.join(TMP, "cmp-phone.pcap")
    b = os.path.join(TMP, "cmp-pc.pcap")
    write_pcap_timed(a, phone)
    write_pcap_timed(b, sorted(pc, key=lambda x: x[0]))
    for name, files in (("one capture", [one]), ("two captures", [a, b]),
                        ("two captures, PC first", [b, a])):
        rep, sent = comparison_of(files)
        expect(rep["verdict"]["status"] == "blackhole", f"{name}: {rep['verdict']}")
        expect(sent and sent.startswith("Flows whose packets stay at or below 1280 bytes work "
                                        "(10.6.0.2, MSS 1240: #") and
               "those sending 1420-byte packets stall (10.6.0.3, MSS 1380: #" in sent and
               "(HTTP)" in sent and "(SMB)" in sent and "carries 1280..1419 bytes" in sent,
               f"{name}: {sent}")
        # 1419 is a bound from loss: never presented as the value to set
        expect("MTU = 1419" not in sent and "set_mtu" in rep["comparison"] and
               rep["comparison"]["set_mtu"] is None, f"{name}: {sent}")
        rows = {r["client"]["addr"] + ":" + str(r["server"]["port"]): r
                for r in rep["comparison"]["flows"]}
        ph, http = rows["10.6.0.2:80"], rows["10.6.0.3:80"]
        expect(ph["client"]["mss"] == 1240 and ph["client"]["implied_mtu"] == 1280 and
               ph["client"]["ttl"] == 63 and ph["state"] == "works" and
               ph["largest_delivered"] == 1280 and ph["goodput_bps"] > 0, f"{name}: {ph}")
        expect(http["client"]["implied_mtu"] == 1420 and http["client"]["ttl"] == 127 and
               http["state"] == "stalls" and http["smallest_lost"] == 1420, f"{name}: {http}")
    rc, out, err = run(["-v", "-r", a, "-r", b])
    expect(rc == 0 and "comparison (the TCP flows" in out and
           "MSS 1240 (interface MTU 1280)" in out, out[-3000:])


@test("SSH works, HTTP and SMB stall (issue 16 item 3): one client, the same path; SSH's "
      "packets stay small and deliver, the downloads lose their 1500-byte segments")
def _():
    c = (192, 0, 2, 1)
    ssh = [(0.0 + 0.02 * k, f) for k, f in
           enumerate(tcp_exchange([48, 120, 64], [96, 200, 80], sport=50001, dport=22))]
    fr = ssh + download(c, 50002, 80, 1460, 1.0, stall=True, server=(198, 51, 100, 2)) + \
        download(c, 50003, 445, 1460, 1.5, stall=True, server=(198, 51, 100, 2))
    p = os.path.join(TMP, "cmp-ssh-http-smb.pcap")
    write_pcap_timed(p, sorted(fr, key=lambda x: x[0]))
    rep, sent = comparison_of([p])
    expect(rep["verdict"]["status"] == "blackhole", str(rep["verdict"]))
    expect(sent and "work (192.0.2.1, MSS 1460: #1 (SSH))" in sent and
           "those sending 1500-byte packets stall (192.0.2.1, MSS 1460: #2 (HTTP), #3 (SMB))"
           in sent and "carries 240..1499 bytes" in sent, sent)


@test("all flows work (issue 16 item 3): the comparison lists them and blames nothing")
def _():
    phone = download(PHONE, 40001, 80, 1240, 0.0)
    pc = download(PC, 40002, 80, 1380, 0.5) + download(PC, 40003, 445, 1380, 0.7)
    p = os.path.join(TMP, "cmp-all-work.pcap")
    write_pcap_timed(p, sorted(phone + pc, key=lambda x: x[0]))
    rep, sent = comparison_of([p])
    states = [r["state"] for r in rep["comparison"]["flows"]]
    expect(sent is None and states == ["works"] * 3, f"{sent} {states}")
    expect(rep["comparison"]["works_up_to"] is None, str(rep["comparison"]))


@test("a working flow that delivered packets as large as those a stalled flow lost: size "
      "does not separate them, and no path bound is drawn (issue 16 item 3)")
def _():
    big = download(PHONE, 40001, 80, 1380, 0.0)  # delivered 1420-byte packets
    pc = download(PC, 40002, 80, 1380, 0.5, stall=True)
    p = os.path.join(TMP, "cmp-size-not-it.pcap")
    write_pcap_timed(p, sorted(big + pc, key=lambda x: x[0]))
    rep, sent = comparison_of([p])
    expect(sent and sent.startswith("Packet size does not separate") and "carries" not in sent
           and rep["comparison"]["works_up_to"] is None, str(sent))


@test("the same connection at two vantage points is one row of the comparison with two "
      "views (issue 16 item 3)")
def _():
    pc = sorted(download(PC, 40002, 80, 1380, 0.5, stall=True) +
                download(PHONE, 40001, 80, 1240, 0.0), key=lambda x: x[0])
    a = os.path.join(TMP, "cmp-view-a.pcap")
    b = os.path.join(TMP, "cmp-view-b.pcap")
    write_pcap_timed(a, pc)
    write_pcap_timed(b, pc)
    rep, sent = comparison_of([a, b])
    rows = rep["comparison"]["flows"]
    expect(len(rows) == 2 and all(len(r["views"]) == 2 for r in rows), json.dumps(rows)[:1500])


@test("throughput against the MTU setting (issue 16 item 4): the same download captured at "
      "tunnel MTU 1280, 1340, 1374, 1380 and 1420 over a path whose tunnel carries 1374: the "
      "settings read from the MSS, 1380 and 1420 marked stalled, 1374 drawn as the largest "
      "setting that worked; one capture, or two views of one setting, draw no series")
def _():
    files = []
    for mtu in (1420, 1280, 1374, 1340, 1380):  # any order: drawn by setting
        p = os.path.join(TMP, f"series-mtu{mtu}.pcap")
        # the segment fills the MTU; a tunnel of 1374 bytes drops anything larger
        write_pcap_timed(p, download(PC, 40002, 80, mtu - 40, 0.0, segments=20,
                                     stall=mtu > 1374))
        files.append(p)
    d = os.path.join(TMP, "series-out")
    args = ["--json", "-o", d]
    for f in files:
        args += ["-r", f]
    rc, out, err = run(args)
    no_sanitizer(err)
    expect(rc == 0, err)
    dat = open(os.path.join(d, "mtu-goodput.dat")).read().splitlines()
    rows = [l.split() for l in dat if not l.startswith("#")]
    expect([(int(r[0]), int(r[2])) for r in rows] ==
           [(1280, 0), (1340, 0), (1374, 0), (1380, 1), (1420, 1)], "\n".join(dat))
    kbps = [float(r[1]) for r in rows]
    # more bytes per segment in the same time: goodput grows with the setting until it stalls
    expect(kbps[0] < kbps[1] < kbps[2] and kbps[3] < kbps[2] and kbps[4] < kbps[2], str(kbps))
    gp = open(os.path.join(d, "mtu-goodput.gp")).read()
    expect("largest setting that worked: 1374" in gp, gp[:2000])
    if shutil.which("gnuplot"):
        expect(os.path.getsize(os.path.join(d, "mtu-goodput.png")) > 0, "no PNG")
        html = open(os.path.join(d, "report.html"), encoding="utf-8").read()
        expect("Goodput against the MTU setting" in html, "chart not in the page")
    # not a series: one input, or the same setting at two vantage points
    for name, fs in (("one", files[:1]), ("views", [files[2], files[2]])):
        d2 = os.path.join(TMP, f"series-not-{name}")
        args = ["--json", "-o", d2]
        for f in fs:
            args += ["-r", f]
        rc, out, err = run(args)
        expect(rc == 0 and not os.path.exists(os.path.join(d2, "mtu-goodput.dat")),
               f"{name}: {rc} {err[-500:]}")
    # a stall below a setting that worked is not the MTU's doing: nothing recommended
    odd = os.path.join(TMP, "series-odd.pcap")
    write_pcap_timed(odd, download(PC, 40002, 80, 1300, 0.0, segments=20, stall=True))
    d3 = os.path.join(TMP, "series-odd-out")
    rc, out, err = run(["--json", "-o", d3, "-r", odd, "-r", files[2]])
    gp = open(os.path.join(d3, "mtu-goodput.gp")).read()
    expect(rc == 0 and "largest setting that worked:" not in gp, gp[:1500])


@test("the shipped comparison samples (issue 16): phone vs PC and SSH+HTTP+SMB give their "
      "sentence; the MTU series, captured one after the other (read as one rotated input), "
      "draws one point per file")
def _():
    smp = lambda n: os.path.join(ROOT, "samples", n)
    rep, sent = comparison_of([smp("gen-phone-vs-pc-phone.pcap"), smp("gen-phone-vs-pc-pc.pcap")])
    expect(sent and "at or below 1280 bytes work (198.51.100.2, MSS 1240: #1 (HTTP))" in sent and
           "stall (198.51.100.3, MSS 1380: #2 (HTTP), #3 (SMB))" in sent and
           "carries 1280..1419 bytes" in sent, str(sent))
    rep, sent = comparison_of([smp("gen-ssh-http-smb.pcap")])
    expect(sent and "(SSH)" in sent and "#2 (HTTP), #3 (SMB)" in sent and "652..1419" in sent,
           str(sent))
    d = os.path.join(TMP, "shipped-series")
    args = ["--json", "-o", d]
    for m in (1280, 1340, 1374, 1380, 1420):
        args += ["-r", smp(f"gen-mtu-series-wg{m}.pcap")]
    rc, out, err = run(args)
    expect(rc == 0, err)
    rows = [l.split() for l in open(os.path.join(d, "mtu-goodput.dat")) if not l.startswith("#")]
    expect([(int(r[0]), int(r[2])) for r in rows] ==
           [(1280, 0), (1340, 0), (1374, 0), (1380, 1), (1420, 1)], str(rows))
    expect("largest setting that worked: 1374" in open(os.path.join(d, "mtu-goodput.gp")).read(),
           "no line at 1374")


@test("a DF ping sweep gets its own chart (issue 16 item 7): answered and unanswered requests "
      "by size, the path MTU marked where they meet; no chart without a sweep")
def _():
    d = os.path.join(TMP, "sweep-chart")
    rc, out, err = run(["--json", "-o", d, "-r", os.path.join(ROOT, "samples", "gen-ping-sweep.pcap")])
    no_sanitizer(err)
    expect(rc == 0, err)
    rows = {int(r[0]): (int(r[1]), int(r[2])) for r in
            (l.split() for l in open(os.path.join(d, "ping-sweep.dat")) if not l.startswith("#"))}
    # the generator's sweep: 1200..1450 by 50, then 1475, 1462, 1456, 1453, 1451, 1452
    expect(rows[1452] == (1, 0) and rows[1453] == (0, 1) and rows[1200] == (1, 0) and
           rows[1500] == (0, 1) and len(rows) == 13, str(rows))
    expect("path MTU 1452" in open(os.path.join(d, "ping-sweep.gp")).read(), "no MTU line")
    d2 = os.path.join(TMP, "sweep-chart-none")
    rc, out, err = run(["--json", "-o", d2, "-r", os.path.join(ROOT, "samples", "gen-ssh-http-smb.pcap")])
    expect(rc == 0 and not os.path.exists(os.path.join(d2, "ping-sweep.dat")), err)


@test("a long healthy transfer's time-sequence graph is downsampled, never cut (issue 16 item "
      "7): six minutes and 130000 segments, drawn to the end")
def _():
    c, sv = (192, 0, 2, 1), (198, 51, 100, 2)
    n, seg, dur = 130000, 100, 360.0
    fr = [(0.0, ETH + tcp(50000, 80, 1000, 0, "S", mss=1460, src=c, dst=sv)),
          (0.01, ETH + tcp(80, 50000, 5000, 1001, "SA", mss=1460, src=sv, dst=c)),
          (0.02, ETH + tcp(50000, 80, 1001, 5001, "A", src=c, dst=sv))]
    seq, step = 5001, dur / n
    payload = b"d" * seg
    for k in range(n):
        t = 0.03 + k * step
        fr.append((t, ETH + tcp(80, 50000, seq, 1001, "A", payload, src=sv, dst=c)))
        seq += seg
        fr.append((t + step / 2, ETH + tcp(50000, 80, 1001, seq, "A", src=c, dst=sv)))
    p = os.path.join(TMP, "long-transfer.pcap")
    write_pcap_timed(p, fr)
    d = os.path.join(TMP, "long-transfer-out")
    rc, out, err = run(["--json", "-o", d, "-r", p])
    expect(rc == 0, err)
    rows = [l.split() for l in open(os.path.join(d, "tsg-flow1.dat"))
            if l.strip() and not l.startswith("#")]
    data = [r for r in rows if len(r) == 4]
    last_t, last_end = float(data[-1][0]), int(data[-1][3])
    expect(last_t > 0.99 * dur and last_end > 0.99 * n * seg,
           f"drawn to {last_t:.1f} s, {last_end} bytes of {n * seg}")
    expect(len(rows) <= 200000, f"{len(rows)} rows")
    os.remove(p)


@test("the goodput chart counts a connection seen in two captures once (issue 16 item 7)")
def _():
    smp = lambda v: os.path.join(ROOT, "samples", f"lab-incident-wg1420-path1434-{v}.pcap")
    d = os.path.join(TMP, "goodput-views")
    rc, out, err = run(["--json", "-o", d, "-r", smp("client-wg"), "-r", smp("server-wg")])
    expect(rc == 0, err)
    rep = json.loads(out)
    pts = [l.split() for l in open(os.path.join(d, "goodput.dat")) if not l.startswith("#")]
    conns = rep["comparison"]["flows"]
    # two connections (the chatty one and the download), each in both captures
    expect(len(conns) == 2 and all(len(c["views"]) == 2 for c in conns) and len(pts) == 2,
           f"{len(pts)} points for {len(conns)} connections")



@test("the real lab series (WireGuard 1280..1420 over a 1434-byte path, captured on the client's "
      "wg0): the stalled downloads are the transfers charted, 1380 and 1420 stalled, 1374 the "
      "largest setting that worked (issue 16 item 4)")
def _():
    if not shutil.which("gnuplot"):
        print("SKIP: gnuplot is not installed")
        return
    d = os.path.join(TMP, "lab-series")
    args = ["-o", d]
    for m in (1280, 1340, 1374, 1380, 1420):
        args += ["-r", os.path.join(ROOT, "samples",
                                    f"lab-wgseries-mtu{m}-path1434-client-wg.pcap")]
    rc, out, err = run(args)
    no_sanitizer(err)
    expect(rc == 0, err)
    rows = [l.split() for l in open(os.path.join(d, "mtu-goodput.dat")) if not l.startswith("#")]
    got = {int(r[0]): r[2] == "1" for r in rows}
    expect(got == {1280: False, 1340: False, 1374: False, 1380: True, 1420: True}, str(rows))
    gp = open(os.path.join(d, "mtu-goodput.gp")).read()
    expect("largest setting that worked: 1374" in gp, gp[-800:])
    # a flow whose receiver saw bytes never arrive (the 1420 download, from its receiver) is no
    # flow that "delivered everything", however small the packets that did arrive
    rc, out, err = run(["--json"] + args[2:])
    rep = json.loads(out)
    stalled = {f["flow"] for f in rep["comparison"]["flows"] if f["state"] == "stalls"}
    named = {int(m) for m in re.findall(r"#(\d+) \([^)]*\) delivered everything",
                                        rep["verdict"]["summary"])}
    expect(not (named & stalled), f"{named & stalled}: {rep['verdict']['summary']}")


@test("tcpdump -i any on a real router (lab, cooked v1 and v2): the 1500-byte segments that came "
      "in and never went out are loss located at the box, the forwarded sizes below them "
      "(issue 15 item 2)")
def _():
    for v in ("any", "any2"):
        p = os.path.join(ROOT, "samples", f"lab-router-blackhole-path1300-router-{v}.pcap")
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        expect(rc == 0, f"{v}: {err}")
        rep = json.loads(out)
        v_ = rep["verdict"]
        expect(v_["status"] == "blackhole" and "came in and never went out" in v_["summary"] and
               rep["stats"]["tcp_retransmissions"] == 6 and
               rep["inputs"][0]["forwarded_copies"] > 100,
               f"{v}: {v_['status']} {v_['summary']} {rep['stats']['tcp_retransmissions']}")


# ---- charts of long flows: downsampled, not cut (issue 18 item 5, issue 16 item 7) ----

def long_bulk(path, nseg, lost_at):
    """One bulk TCP transfer of nseg 1448-byte segments 1 ms apart, each ACKed 10 ms later;
    segment lost_at is lost after the capture point and re-sent 300 ms later (an RTO)."""
    c, sv = (192, 0, 2, 1), (198, 51, 100, 2)
    fr = [(0.0, ETH + tcp(40000, 80, 999, 0, "S", mss=1460, src=c, dst=sv)),
          (0.01, ETH + tcp(80, 40000, 4999, 1000, "SA", mss=1460, src=sv, dst=c)),
          (0.02, ETH + tcp(40000, 80, 1000, 5000, "A", src=c, dst=sv))]
    pay = b"d" * 1448
    acked = 1000
    for i in range(nseg):
        t = 0.03 + i * 0.001
        seq = 1000 + i * 1448
        fr.append((t, ETH + tcp(40000, 80, seq, 5000, "A", pay, src=c, dst=sv, ident=i & 0xffff)))
        if i == lost_at:
            fr.append((t + 0.3, ETH + tcp(40000, 80, seq, 5000, "A", pay, src=c, dst=sv,
                                          ident=(i + 40000) & 0xffff)))
        if i < lost_at or i > lost_at + 300:  # the hole is filled 300 ms later
            acked = seq + 1448
        fr.append((t + 0.01, ETH + tcp(80, 40000, 5000, acked, "A", src=sv, dst=c)))
    fr.sort(key=lambda x: x[0])
    write_pcap_timed(path, fr)


def chart_tests():
    @test("a long flow's time-sequence graph is downsampled, not cut: the picture reaches the "
          "last byte, the retransmission is drawn, at most a few rows per slice of time; a short "
          "flow keeps every segment")
    def _():
        if not shutil.which("gnuplot"):
            print("SKIP: gnuplot is not installed")
            return
        for nseg, lost in ((30000, 20000), (800, 500)):
            p = os.path.join(TMP, f"long-bulk-{nseg}.pcap")
            long_bulk(p, nseg, lost)
            d = os.path.join(TMP, f"long-bulk-{nseg}-out")
            rc, out, err = run(["-o", d, "-r", p])
            no_sanitizer(err)
            expect(rc == 0, err)
            rows = []
            with open(os.path.join(d, "tsg-flow1.dat")) as f:
                for line in f:
                    if not line.strip():
                        break  # index 0 ends at the blank lines
                    if not line.startswith("#"):
                        rows.append(line.split())
            ends = [int(r[3]) for r in rows]
            retx = [r for r in rows if r[1] == "1"]
            expect(max(ends) == nseg * 1448, f"{nseg}: drawn to {max(ends)} of {nseg * 1448}")
            expect(len(retx) == 1 and int(retx[0][2]) == lost * 1448, f"{nseg}: {retx}")
            html = open(os.path.join(d, "report.html")).read()
            # gnuplot does not wrap a title: none of its lines is wider than the chart holds
            # (about 90 characters at 16 points on 1200 pixels)
            gp = open(os.path.join(d, "tsg-flow1.gp")).read()
            tl = next(l for l in gp.splitlines() if l.startswith("chart_title = "))
            parts = re.findall(r"'((?:[^']|'')*)'", tl)
            expect(parts and all(len(x) <= 90 for x in parts), f"{nseg}: {tl}")
            if nseg > 20000:
                expect(len(rows) <= 2000 * 14 and len(rows) < nseg // 2, f"{len(rows)} rows")
                expect(f"of {nseg + 1} data segments drawn" in html, "no downsampling note")
            else:
                expect(len(rows) == nseg + 1 and "Downsampled" not in html, f"{len(rows)} rows")


# ---- issue 14 item 5: the tunnel MTU from a pinned underlay ----

TUN_A4, TUN_B4 = (203, 0, 113, 1), (203, 0, 113, 2)
TUN_A6 = bytes((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,))
TUN_B6 = bytes((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,))
TUN_R6 = bytes((0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (9,))


def tunnel_payload(kind, inner, ident):
    """(IP protocol, payload) of one tunnel packet carrying IP packet `inner`."""
    v = inner[0] >> 4
    if kind == "vxlan":
        return 17, udp(40000 + ident % 7, 4789, struct.pack("!II", 0x08000000, 42 << 8) + ETH[:12]
                       + (b"\x86\xdd" if v == 6 else b"\x08\x00") + inner)
    if kind == "geneve":  # one 8-byte option
        opt = struct.pack("!HBB", 0x0102, 0x80, 1) + bytes(4)
        return 17, udp(40000, 6081, struct.pack("!BBHI", len(opt) // 4, 0, 0x6558, 42 << 8) + opt
                       + ETH[:12] + b"\x08\x00" + inner)
    proto = 0x86dd if v == 6 else 0x0800
    if kind == "gre":
        return 47, struct.pack("!HH", 0, proto) + inner
    if kind == "gre-key":
        return 47, struct.pack("!HHI", 0x2000, proto, 7) + inner
    if kind == "gre-key-seq-csum":  # C, K, S: 4 + 4 + 4 + 4
        return 47, struct.pack("!HHHHII", 0xb000, proto, 0, 0, 7, ident) + inner
    return (41 if v == 6 else 4), inner  # ipip, sit, 4in6, ip6ip6


def tunnel_frames(kind, outer_v6=False, inner_v6=False, t0=0.0, sizes=(300, 400)):
    """A small TCP exchange (inner 192.0.2.1 <-> 198.51.100.2, or 2001:db8:1::1 <-> ::2)
    carried by a tunnel between 203.0.113.1 and .2 (or 2001:db8::1 and ::2)."""
    c6 = bytes((0x20, 0x01, 0x0d, 0xb8, 0, 1) + (0,) * 9 + (1,))
    s6 = bytes((0x20, 0x01, 0x0d, 0xb8, 0, 1) + (0,) * 9 + (2,))
    inners = []
    if inner_v6:
        inners = [tcp6(50000, 80, 1000, 0, "S", src=c6, dst=s6, mss=1440),
                  tcp6(80, 50000, 5000, 1001, "SA", src=s6, dst=c6, mss=1440)]
        for k, n in enumerate(sizes):
            inners.append(tcp6(50000, 80, 1001 + k * 500, 5001, "PA", b"c" * n, src=c6, dst=s6))
            inners.append(tcp6(80, 50000, 5001, 1001 + k * 500 + n, "A", src=s6, dst=c6))
    else:
        inners = [f[14:] for f in tcp_exchange(list(sizes), list(sizes), dport=80)]
    out = []
    for k, inner in enumerate(inners):
        down = inner[12:16] == bytes((198, 51, 100, 2)) or inner[8:24] == s6
        proto, pl = tunnel_payload(kind, inner, 100 + k)
        if outer_v6:
            s, d = (TUN_B6, TUN_A6) if down else (TUN_A6, TUN_B6)
            out.append((t0 + 0.01 * k, ETH6 + ipv6_pkt(pl, proto, s, d)))
        else:
            s, d = (TUN_B4, TUN_A4) if down else (TUN_A4, TUN_B4)
            out.append((t0 + 0.01 * k, ETH + ipv4(pl, proto=proto, src=s, dst=d, ident=100 + k)))
    return out


def esp_frames(natt=False, v6=False, t0=0.0, sizes=(200, 300, 1000, 200, 400)):
    """ESP both ways between the tunnel ends (SPI 0x1000 up, 0x2000 down), in UDP 4500
    when natt."""
    fr = []
    for k, n in enumerate(sizes):
        for down in (0, 1):
            pl = struct.pack("!II", 0x2000 if down else 0x1000, k + 1) + bytes(n)
            proto = 17 if natt else 50
            if natt:
                pl = udp(4500, 4500, pl)
            if v6:
                s, d = (TUN_B6, TUN_A6) if down else (TUN_A6, TUN_B6)
                f = ETH6 + ipv6_pkt(pl, proto, s, d)
            else:
                s, d = (TUN_B4, TUN_A4) if down else (TUN_A4, TUN_B4)
                f = ETH + ipv4(pl, proto=proto, src=s, dst=d, ident=300 + 2 * k + down)
            fr.append((t0 + 0.01 * k + 0.003 * down, f))
    return fr


def underlay_sweep(mtu, sizes, v6=False, t0=1.0):
    """DF pings between the tunnel ends; above `mtu` a router answers frag-needed (IPv4) or
    packet-too-big (IPv6), the others are answered: the path is pinned where they meet."""
    if not v6:
        return df_sweep_with_frag_needed(mtu, sizes, src=TUN_A4, dst=TUN_B4, rtr=(198, 18, 0, 1),
                                         t0=t0, ident=700)
    fr, t = [], t0
    for seq, size in enumerate(sizes):
        body = struct.pack("!HH", 0x77, seq) + b"p" * (size - 48)
        req = ipv6_pkt(struct.pack("!BBH", 128, 0, 0) + body, 58, TUN_A6, TUN_B6)
        fr.append((t, ETH6 + req))
        if size <= mtu:
            fr.append((t + 0.005, ETH6 + ipv6_pkt(struct.pack("!BBH", 129, 0, 0) + body, 58,
                                                  TUN_B6, TUN_A6)))
        else:
            ptb = struct.pack("!BBHI", 2, 0, 0, mtu) + req[:1232]
            fr.append((t + 0.003, ETH6 + ipv6_pkt(ptb, 58, TUN_R6, TUN_A6)))
        t += 0.02
    return fr


@test("a pinned underlay gives the tunnel MTU, its headers taken off: VXLAN, GENEVE, GRE "
      "(+4 per key, sequence, checksum), IPIP, 6in4, 4in6, ESP and ESP in UDP, over IPv4 and "
      "IPv6 pinned by frag-needed or packet-too-big (issue 14 item 5)")
def _():
    up = lambda m: [m - 10, m, m + 1, m + 50]           # rising, the pair meets at m
    down = lambda m: [m + 100, m + 20, m + 1, m, m - 1]  # falling
    halving = lambda m: [1500, 750, 1125, m + 1, m]      # Windows' halving, then the pair
    cases = [  # name, tunnel frames, pinned MTU, sweep, IPv6 underlay, (type, recommended)
        ("vxlan-1500", tunnel_frames("vxlan"), 1500, up, False, ("vxlan", 1450)),
        ("vxlan-1400-v6", tunnel_frames("vxlan", outer_v6=True), 1400, down, True, ("vxlan", 1330)),
        ("geneve-opt-1400", tunnel_frames("geneve"), 1400, halving, False, ("geneve", 1342)),
        ("gre-1476", tunnel_frames("gre"), 1500, up, False, ("gre", 1476)),
        ("gre-key", tunnel_frames("gre-key"), 1500, down, False, ("gre", 1472)),
        ("gre-key-seq-csum", tunnel_frames("gre-key-seq-csum"), 1400, up, False, ("gre", 1364)),
        ("gre-v6", tunnel_frames("gre", outer_v6=True), 1400, halving, True, ("gre", 1356)),
        ("ipip", tunnel_frames("ipip"), 1500, halving, False, ("ipip", 1480)),
        ("6in4", tunnel_frames("ipip", inner_v6=True), 1480, up, False, ("sit", 1460)),
        ("4in6", tunnel_frames("ipip", outer_v6=True), 1500, up, True, ("ipip6", 1460)),
        ("esp-1500", esp_frames(), 1500, up, False, ("esp", 1438)),
        ("esp-udp-1500", esp_frames(natt=True), 1500, down, False, ("esp", 1422)),
        ("esp-v6-1400", esp_frames(v6=True), 1400, up, True, ("esp", 1310)),
    ]
    for name, tun, mtu, sweep, v6, (typ, want) in cases:
        p = os.path.join(TMP, f"underlay-{name}.pcap")
        write_pcap_timed(p, sorted(tun + underlay_sweep(mtu, sweep(mtu), v6=v6),
                                   key=lambda x: x[0]))
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        tuns = [(t["type"], t["recommended_mtu"]) for t in rep["tunnels"]]
        expect((typ, want) in tuns, f"{name}: {tuns}")
        fx = rep["verdict"].get("fix", {})
        expect(fx.get("exact") and fx.get("mtu") == want and f"exactly {mtu} bytes" in
               fx.get("why", ""), f"{name}: {fx}")
        rc, text, err = run(["-r", p])
        expect(f"mtu {want}" in text, f"{name}: no block sets {want}")


@test("an underlay only bounded (a silent sweep stepping by 4) gives the tunnel no value: "
      "the safe one from what crossed and the probe, never the bound (issue 14 item 5)")
def _():
    for name, tun, over in (("vxlan", tunnel_frames("vxlan"), 50), ("gre", tunnel_frames("gre"), 24),
                            ("ipip", tunnel_frames("ipip"), 20)):
        p = os.path.join(TMP, f"underlay-range-{name}.pcap")
        sweep = df_sweep_silent(TUN_A4, TUN_B4, 1452, range(1420, 1481, 4), t0=1.0)
        write_pcap_timed(p, sorted(tun + sweep, key=lambda x: x[0]))
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        rep = json.loads(out)
        fx = rep["verdict"].get("fix", {})
        expect(all(t["recommended_mtu"] is None for t in rep["tunnels"]), f"{name}: "
               f"{rep['tunnels']}")
        expect(not fx.get("exact") and fx.get("mtu") == 1452 - over, f"{name}: {fx}")


@test("full-size WireGuard datagrams with contiguous counters prove the tunnel MTU in use works; "
      "the padding stopping short of 16 names it exactly (issue 14 item 5)")
def _():
    A, B = (10, 61, 2, 2), (10, 61, 1, 2)
    A6 = bytes((0x20, 0x01, 0x0d, 0xb8, 0, 2) + (0,) * 9 + (2,))
    B6 = bytes((0x20, 0x01, 0x0d, 0xb8, 0, 1) + (0,) * 9 + (2,))

    def transfer(inner, v6=False, n=40, gap_at=None):
        a, b = (A6, B6) if v6 else (A, B)
        fr, ctr = [], 0
        for k in range(n):
            ctr += 2 if k == gap_at else 1  # a counter skipped: a message lost
            fr.append((0.01 * k, wg_data(a, b, ctr, inner if k % 4 else 224, v6=v6,
                                         receiver=0x1111, ttl=58)))  # captured at b
            fr.append((0.01 * k + 0.004, wg_data(b, a, k, 32, v6=v6, receiver=0x2222)))
        return fr
    cases = [  # name, frames, words in the summary (None: no proof)
        ("v4-1374", transfer(1374), "The WireGuard MTU in use is 1374 bytes"),
        ("v6-1370", transfer(1370, v6=True), "The WireGuard MTU in use is 1370 bytes"),
        ("v4-1440-multiple-of-16", transfer(1440), "at least 1440 bytes, works"),
        ("v4-1374-gap", transfer(1374, n=40, gap_at=7), None),
    ]
    for name, fr, words in cases:
        p = os.path.join(TMP, f"wgproof-{name}.pcap")
        write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        rep = json.loads(out)
        v = rep["verdict"]
        ev = [e for x in rep["paths"] for e in x["evidence"] if "MTU in use" in e]
        if words:
            expect(v["status"] == "healthy" and words in v["summary"] and len(ev) == 1,
                   f"{name}: {v['summary']} {ev}")
            big = [x for x in rep["paths"] if x["evidence"] and any("MTU in use" in e for e in
                                                                       x["evidence"])]
            expect(big and big[0]["mtu_lower"] == int(re.search(r"(\d+)-byte datagrams",
                                                                 v["summary"]).group(1)),
                   f"{name}: {rep['paths']}")
        else:
            expect("MTU in use" not in v["summary"] and not ev, f"{name}: {v['summary']} {ev}")



# ---- issue 14 item 6: ICMP inside a tunnel is an inner fact ----

def wrap_in_tunnel(frames, kind, outer_v6):
    """Every frame's IP packet carried in a tunnel between 203.0.113.1/2001:db8::1 (the side of
    192.0.2.1 / 2001:db8::1... inner senders) and .2 / ::2; ICMP from routers included."""
    out = []
    for k, (t, f) in enumerate(frames):
        inner = f[14:]
        v = inner[0] >> 4
        src = inner[12:16] if v == 4 else inner[8:24]
        near = src in (bytes((192, 0, 2, 1)), TUN_A6, bytes((198, 18, 0, 1)))
        proto, pl = tunnel_payload(kind, inner, 200 + k)
        if outer_v6:
            s, d = (TUN_A6, TUN_B6) if near else (TUN_B6, TUN_A6)
            out.append((t, ETH6 + ipv6_pkt(pl, proto, s, d)))
        else:
            s, d = (TUN_A4, TUN_B4) if near else (TUN_B4, TUN_A4)
            out.append((t, ETH + ipv4(pl, proto=proto, src=s, dst=d, ident=200 + k)))
    return out


@test("a frag-needed or packet-too-big that came through a tunnel is about the inner path: "
      "icmp[] and the path say inner with the tunnel, the exact inner MTU (issue 14 item 6)")
def _():
    sweep4 = df_sweep_with_frag_needed(1400, [1300, 1400, 1401, 1450, 1500])
    sweep6 = [(t, f) for t, f in underlay_sweep(1400, [1500, 1450, 1401, 1400, 1300], v6=True,
                                                t0=0.0)]
    cases = [  # name, frames, inner source, MTU
        ("v4-in-4in6", wrap_in_tunnel(sweep4, "ipip", True), "192.0.2.1", 1400),
        ("v4-in-gre", wrap_in_tunnel(sweep4, "gre-key", False), "192.0.2.1", 1400),
        ("v4-in-vxlan", wrap_in_tunnel(sweep4, "vxlan", False), "192.0.2.1", 1400),
        ("v6-in-6in4", wrap_in_tunnel(sweep6, "ipip", False), "2001:db8::1", 1400),
    ]
    for name, frames, src, mtu in cases:
        p = os.path.join(TMP, f"inner-icmp-{name}.pcap")
        write_pcap_timed(p, frames)
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        tid = rep["tunnels"][0]["id"] if rep["tunnels"] else None
        msgs = [(m["layer"], m["tunnel"]) for m in rep["icmp"]]
        expect(tid and msgs and all(x == ("inner", tid) for x in msgs), f"{name}: {msgs}")
        paths = [(x["layer"], x["tunnel"], x["mtu"]) for x in rep["paths"] if x["src"] == src]
        expect(paths == [("inner", tid, mtu)], f"{name}: {rep['paths']}")
        ev = " ".join(e for x in rep["paths"] for e in x["evidence"])
        expect(f"carried inside tunnel #{tid}" in ev, f"{name}: {ev}")
    # outside any tunnel, the same sweep is outer
    p = os.path.join(TMP, "inner-icmp-none.pcap")
    write_pcap_timed(p, sweep4)
    rep = json.loads(run(["--json", "-r", p])[1])
    expect(all(m["layer"] == "outer" and m["tunnel"] is None for m in rep["icmp"]),
           str(rep["icmp"]))


@test("an ICMP MTU message quoting a tunnel's outer packet names the encapsulation "
      "(IPv4-in-IPv6, IPv4-in-IPv4, GRE), never 'ip' (issue 14 item 6)")
def _():
    def quoted(kind, outer_v6):
        fr = tunnel_frames(kind, outer_v6=outer_v6, sizes=(1400, 1400))
        big = [f for t, f in fr if len(f) > 1400][0]
        q = big[14:]
        if outer_v6:
            body = struct.pack("!BBHI", 2, 0, 0, 1280) + q[:1232]
            icmp = ETH6 + ipv6_pkt(body, 58, TUN_R6, TUN_A6)
        else:
            body = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + q[:28]
            body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
            icmp = ETH + ipv4(body, proto=1, src=(198, 18, 0, 1), dst=TUN_A4, frag=0)
        return fr + [(fr[-1][0] + 0.01, icmp)]
    for name, kind, v6, proto, words in (("4in6", "ipip", True, "ipv4-in-ipv6", "IPv4-in-IPv6"),
                                         ("gre", "gre", False, "gre", "GRE"),
                                         ("ipip", "ipip", False, "ipv4-in-ipv4", "IPv4-in-IPv4")):
        p = os.path.join(TMP, f"quoted-encap-{name}.pcap")
        write_pcap_timed(p, quoted(kind, v6))
        rep = json.loads(run(["--json", "-r", p])[1])
        got = [m["quoted"]["proto"] for m in rep["icmp"] if m.get("quoted")]
        expect(got == [proto], f"{name}: {got}")
        ev = " ".join(e for x in rep["paths"] for e in x["evidence"])
        expect(f"quoting {words} packets" in ev, f"{name}: {ev}")



@test("a finding about one direction filters that direction: every frame its Wireshark filter "
      "selects comes from the sender it names (issue 14 item 9)")
def _():
    if not shutil.which("tshark"):
        print("SKIP: per-direction filters: tshark is missing")
        return
    p = os.path.join(TMP, "dirfilter-stalled.pcap")
    write_pcap_timed(p, stalled_download())
    q = os.path.join(TMP, "dirfilter-receiver.pcap")
    write_pcap_timed(q, receiver_view(600, 1448))
    runs = [p, q] + [os.path.join(ROOT, "samples", f"lab-{s}.pcap") for s in
                     ("tcp4-blackhole-path1300-server-outer", "tcp6-blackhole-path1280-server-outer",
                      "tcp4-probing-heal-path1400-server-outer")]
    n = 0
    for path in runs:
        rep = json.loads(run(["--json", "-r", path])[1])
        for x in rep["findings"]:
            m = re.search(r"\b(ipv6|ip)\.src == (\S+)", x["wireshark_filter"])
            if x["kind"] != "blackhole" or not m:
                continue
            n += 1
            out = subprocess.run(["tshark", "-n", "-r", path, "-Y", x["wireshark_filter"], "-T",
                                  "fields", "-e", f"{m.group(1)}.src"], capture_output=True,
                                 text=True, timeout=120).stdout.split()
            expect(out and set(out) == {m.group(2)}, f"{os.path.basename(path)}: "
                   f"'{x['wireshark_filter']}' selects sources {set(out)}")
    expect(n >= 3, f"only {n} one-direction black hole findings")



# ---- issue 15 item 2: -i any on a router, in and out as two vantage points ----

def cooked_any(frame, way, v2, ifindex, ttl_delta=0):
    """An Ethernet/IP frame as `tcpdump -i any` records it: Linux cooked v1 (linktype 113)
    or v2 (276), packet type host (in, way 0) or outgoing (out, way 4), the TTL or hop
    limit lowered by ttl_delta."""
    et = frame[12:14]
    ip = bytearray(frame[14:])
    if ip[0] >> 4 == 4:
        ip[8] -= ttl_delta
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip[:20])))
    else:
        ip[7] -= ttl_delta
    if v2:
        hdr = struct.pack("!2sHIHBB8s", et, 0, ifindex, 1, way, 6, b"\x02\0\0\0\0\x01\0\0")
    else:
        hdr = struct.pack("!HHH8s2s", way, 1, 6, b"\x02\0\0\0\0\x01\0\0", et)
    return hdr + bytes(ip)


def write_cooked(path, frames, v2):
    data = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 276 if v2 else 113)]
    for t, f in frames:
        sec = int(t)
        data.append(struct.pack("<IIII", 1700000000 + sec, int(round((t - sec) * 1e6)), len(f),
                                len(f)) + f)
    with open(path, "wb") as fh:
        fh.write(b"".join(data))


def router_any(frames, drop_above, v2, delay=0.00004):
    """-i any on the router between client and server: every packet in on one interface and,
    unless larger than drop_above (IP bytes), out on the other a little later, TTL - 1."""
    out = []
    for t, f in frames:
        size = len(f) - 14
        down = f[26:30] == bytes((198, 51, 100, 2)) or f[22:38] == bytes.fromhex(
            "20010db8000000000000000000000002")
        out.append((t, cooked_any(f, 0, v2, 3 if down else 2)))
        if size <= drop_above:
            out.append((t + delay, cooked_any(f, 4, v2, 2 if down else 3, 1)))
    return sorted(out, key=lambda x: x[0])


def stalled_download6():
    """stalled_download() over IPv6 (2001:db8::1 the client, ::2 the server): 1440-byte
    segments (1500-byte packets) re-sent with backoff after a 340-byte one got through."""
    c, s = TUN_A6, TUN_B6
    C = lambda *a, **k: ETH6 + tcp6(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH6 + tcp6(80, 50000, *a, src=s, dst=c, **k)
    fr = [(0.0, C(1000, 0, "S", mss=1440)), (0.01, S(5000, 1001, "SA", mss=1440)),
          (0.02, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"h" * 340)), (0.041, C(1101, 5341, "A"))]
    t, iv = 0.05, 0.2
    fr.append((t, S(5341, 1101, "A", b"x" * 1440)))
    for k in range(5):
        t += iv
        iv *= 2
        fr.append((t, S(5341, 1101, "A", b"x" * 1440)))
    return fr


def router_drops_every(frames, n, v2=False):
    """-i any on a router that drops every n-th packet whatever its size (a policer)."""
    out = []
    for k, (t, f) in enumerate(frames):
        down = f[26:30] == bytes((198, 51, 100, 2))
        out.append((t, cooked_any(f, 0, v2, 3 if down else 2)))
        if k % n != n - 1:
            out.append((t + 0.00004, cooked_any(f, 4, v2, 2 if down else 3, 1)))
    return out


@test("-i any on a router: a packet that came in and never went out is loss measured at the "
      "box, with its size bounds; a router that forwards all is no loss; a tunnel endpoint "
      "is no loss (issue 15 item 2)")
def _():
    dl = stalled_download()
    def pings(mtu, sizes):  # a DF sweep whose requests above mtu the router drops, then a
        # small ping 1.5 s later: the capture goes on past the one second a way out may take
        c, s = (192, 0, 2, 1), (198, 51, 100, 2)
        fr = df_sweep_silent(c, s, mtu, sizes, step=0.3)
        return fr + [(t + fr[-1][0] + 1.5, f) for t, f in df_sweep_silent(c, s, mtu, [100])]
    cases = [  # name, frames, cooked v2, (lower, upper) or None for no loss
        ("download-1434-v1", router_any(dl, 1434, False), False, (340, 1499)),
        ("download-1434-v2", router_any(dl, 1434, True), True, (340, 1499)),
        ("pings-1434-v2", router_any(pings(1434, [600, 1000, 1434, 1435, 1500, 1472]), 1434, True,
                                     delay=0.0004), True, (1434, 1434)),
        ("pings-1400-v1", router_any(pings(1400, [1500, 750, 1125, 1312, 1406, 1359, 1382, 1394,
                                                  1400, 1403]), 1400, False), False, (1400, 1402)),
        ("forwards-all-v1", router_any([(0.01 * k, f) for k, f in enumerate(
            tcp_exchange([300], [1460] * 6, dport=80))], 1500, False), False, None),
        ("drops-not-by-size-v1", router_drops_every(
            [(0.3 * k, f) for k, f in enumerate(tcp_exchange([300] * 6, [1460] * 6, dport=80))],
            3), False, None),
        ("forwards-all-v2", router_any(pings(1500, [600, 1000, 1400, 1500]), 1500, True), True,
         None),
        ("download6-1400-v2", router_any(stalled_download6(), 1400, True), True, (400, 1499)),
    ]
    for name, frames, v2, want in cases:
        p = os.path.join(TMP, f"box-{name}.pcap")
        write_cooked(p, frames, v2)
        rc, out, err = run(["--json", "-r", p])
        no_sanitizer(err)
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        box = [f for f in rep["findings"] if "at the capturing host (-i any" in f["message"]]
        if want is None:
            expect(not box, f"{name}: {box}")
            continue
        expect(len(box) == 1 and "by size" in box[0]["message"], f"{name}: {box}")
        expect("Measured at the capturing host" in rep["verdict"]["summary"],
               f"{name}: {rep['verdict']['summary']}")
        paths = [(x["mtu_lower"], x["mtu_upper"]) for x in rep["paths"]
                 if x["src"] == ("2001:db8::2" if "download6" in name else "198.51.100.2"
                                 if "download" in name else "192.0.2.1")]
        expect(paths and paths[0][1] == want[1] and paths[0][0] >= want[0], f"{name}: {paths}")
        if shutil.which("tshark"):
            x = box[0]
            got = subprocess.run(["tshark", "-n", "-r", p, "-Y", x["wireshark_filter"], "-T",
                                  "fields", "-e", "frame.number"], capture_output=True,
                                 text=True, timeout=120).stdout.split()
            expect(got and all(int(fr) in map(int, got) for fr in x["frames"]),
                   f"{name}: '{x['wireshark_filter']}' selects {got}, cites {x['frames']}")
    # a tunnel endpoint: in on wg0 as inner packets, out on eth0 as WireGuard datagrams
    A, B = (10, 61, 2, 2), (10, 61, 1, 2)
    fr = []
    for k, f in enumerate(tcp_exchange([300], [1380] * 8, dport=80)):
        t = 0.01 * k
        fr.append((t, cooked_any(f, 0, True, 5)))  # in on wg0 (inner, plain)
        fr.append((t + 0.0001, cooked_any(wg_data(A, B, k, len(f) - 14 + 12), 4, True, 2)))
    p = os.path.join(TMP, "box-tunnel-endpoint.pcap")
    write_cooked(p, fr, True)
    rep = json.loads(run(["--json", "-r", p])[1])
    box = [f for f in rep["findings"] if "at the capturing host (-i any" in f["message"]]
    expect(not box and rep["verdict"]["status"] != "blackhole", f"tunnel endpoint: {box} "
           f"{rep['verdict']['status']}")



@test("a capture that dropped packets proves no loss by itself: unanswered pings, skipped "
      "WireGuard counters, lost fragments become inconclusive with the reason; a sender "
      "re-sending with backoff, or a router's ICMP, still prove it (issue 15 item 4)")
def _():
    # the rules whose proof is a packet missing from the capture (wording.c rests_on_missing)
    def wg_gap():
        msgs = [(0.05 * k, "c" if k % 2 == 0 else "s", 48 if k % 2 == 0 else 64)
                for k in range(20)]
        msgs += [(1.0 + 0.001 * k, "s", 1420) for k in range(8)]
        msgs += [(1.5 + 0.05 * k, "s", 64) for k in range(6)]
        fr = wg_exchange(msgs)
        return [x for x in fr if len(x[1]) < 1400]  # the full-size ones never arrive
    frag = dns_like(lambda q, i: i == 0)
    # fragments lost, and a router's frag-needed about the same path: corroborated
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + ipv4(udp(53, 5353, bytes(1472)),
                                                          src=(198, 51, 100, 2),
                                                          dst=(192, 0, 2, 1))[:28]
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    told = frag + [(frag[-1][0] + 0.001, ETH + ipv4(icmp, proto=1, src=(198, 18, 0, 1),
                                                    dst=(198, 51, 100, 2), frag=0))]
    cases = [  # name, frames, the status without drops, with drops
        ("unanswered-pings", df_sweep_silent((192, 0, 2, 1), (198, 51, 100, 2), 1400,
                                             [1000, 1200, 1400, 1401, 1450, 1500, 1472]),
         "blackhole", "inconclusive"),
        ("wireguard-gap", wg_gap(), "blackhole", "inconclusive"),
        ("fragments", frag, "fragmentation-loss", "inconclusive"),
        ("sender-backoff", stalled_download(), "blackhole", "blackhole"),
        ("fragments-and-icmp", told, "fragmentation-loss", "fragmentation-loss"),
    ]
    for name, frames, clean, dropped in cases:
        for drops, want in ((0, clean), (3, dropped)):
            p = os.path.join(TMP, f"drops-{name}-{drops}.pcapng")
            write_pcapng(p, sorted(frames, key=lambda x: x[0]),
                         [(0, [(4, isb_u64(len(frames))), (5, isb_u64(drops))])])
            rc, out, err = run(["--json", "-r", p])
            no_sanitizer(err)
            v = json.loads(out)["verdict"]
            expect(v["status"] == want, f"{name}, {drops} dropped: {v['status']}: {v['summary']}")
            if drops and want == "inconclusive":
                expect(v["summary"].startswith("Inconclusive: the capture itself dropped 3") and
                       "Suspected:" in v["summary"], f"{name}: {v['summary']}")



@test("rotated files given out of order (reversed, shuffled, a glob past file9) are read sorted "
      "by their first timestamps, the report says so, and it is the whole file's; two captures "
      "taken at once are never reordered (issue 15 item 3)")
def _():
    if not shutil.which("editcap"):
        return
    cases = [("lab-tcp4-blackhole-path1300-server-outer.pcap", "-c", 30, "reversed"),
             ("lab-tcp6-pmtud-ok-path1280-client-outer.pcap", "-c", 400, "shuffled"),
             ("gen-wireguard-ipv6-outer.pcap", "-c", 4, "glob"),
             ("lab-vxlan-fragloss-path1380-server-outer.pcap", "-c", 40, "reversed")]
    for name, how, arg, order in cases:
        src = os.path.join(ROOT, "samples", name)
        whole = json.loads(run(["--json", "-r", src])[1])
        parts = split_capture(src, os.path.join(TMP, "unsorted", name + order), how, arg)
        expect(len(parts) >= 3, f"{name}: {len(parts)} parts")
        if order == "reversed":
            given = parts[::-1]
        elif order == "shuffled":
            given = parts[1::2] + parts[0::2]
        else:  # as a shell glob orders part_00010 after part_00001 when unpadded
            given = sorted(parts, key=lambda p: re.sub(r"_0+(\d)", r"_\1", p))
            given = given[1:] + given[:1]
        args = ["--json"]
        for p in given:
            args += ["-r", p]
        rc, out, err = run(args)
        no_sanitizer(err)
        rep = json.loads(out)
        inp = rep["inputs"]
        expect(len(inp) == 1 and [f["file"] for f in inp[0]["files"]] == parts and
               "given out of order" in inp[0]["grouping"],
               f"{name} {order}: {[i.get('grouping') for i in inp]}")
        expect(report_without_inputs(rep) == report_without_inputs(whole),
               f"{name} {order}: the report differs from the whole file's")
    # two vantage points given in reverse time order: overlapping, never merged or reordered
    a = os.path.join(ROOT, "samples", "lab-tcp4-blackhole-path1300-client-outer.pcap")
    b = os.path.join(ROOT, "samples", "lab-tcp4-blackhole-path1300-server-outer.pcap")
    for pair in ((a, b), (b, a)):
        rep = json.loads(run(["--json", "-r", pair[0], "-r", pair[1]])[1])
        expect([i["file"] for i in rep["inputs"]] == list(pair) and
               all("out of order" not in (i.get("grouping") or "") for i in rep["inputs"]),
               f"{[i['file'] for i in rep['inputs']]}")


def with_ttl(frame, ttl):
    """An Ethernet/IPv4 or IPv6 frame with its outermost TTL / hop limit set to `ttl` (the
    IPv4 header checksum redone): as captured `64 - ttl` routers past a Linux sender."""
    b = bytearray(frame)
    if b[12:14] == b"\x86\xdd":
        b[21] = ttl
        return bytes(b)
    b[22] = ttl
    b[24:26] = b"\0\0"
    b[24:26] = struct.pack("!H", csum(bytes(b[14:34])))
    return bytes(b)


def vxlan_wrap(frame, src=(203, 0, 113, 2), dst=(203, 0, 113, 1), ident=1):
    """An Ethernet frame carried in VXLAN (UDP 4789, VNI 42) between two outer hosts, DF
    clear as the kernel's VXLAN sends it."""
    return ETH + ipv4(udp(50000, 4789, struct.pack("!II", 0x08000000, 42 << 8) + frame),
                      src=src, dst=dst, ident=ident, frag=0)


def arrived_past_router(fr, ttl, server=("198.51.100.2", "2001:db8::2"), vxlan=False):
    """dns_like() frames as a capture past routers sees them: the server's datagrams with
    TTL `ttl`, optionally each frame inside VXLAN whose outer header has that TTL."""
    out = []
    for i, (t, f) in enumerate(fr):
        from_server = f[26:30] == bytes((198, 51, 100, 2)) or f[22:38] == bytes(
            (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,))
        if vxlan:
            f = vxlan_wrap(f, ident=i + 1) if from_server else \
                vxlan_wrap(f, (203, 0, 113, 1), (203, 0, 113, 2), i + 1)
        out.append((t, with_ttl(f, ttl) if from_server else f))
    return out


@test("UDP delivery tests the path: fragmented datagrams that arrive complete past a router "
      "(TTL below the sender's) are full-size packets delivered, healthy with the lower bound "
      "they prove; seen with the sender's TTL (at the sender) or with one datagram lost, never "
      "healthy (lab matrix B1, issue 13 item 4)")
def _():
    all_ = lambda q, i: True
    cases = [  # name, frames, snap, status, (path src, lower bound) or None
        ("v4-dns-past-2-routers", arrived_past_router(dns_like(all_, mtu=1400), 62), 0,
         "healthy", ("198.51.100.2", 1396)),
        ("v6-dns-past-1-router", arrived_past_router(dns_like(all_, v6=True, mtu=1456,
                                                              tail=0.5), 63), 0,
         "healthy", ("2001:db8::2", 1456)),
        # inside VXLAN, the outer header crossed the router; fragments cut by the snap length
        ("vxlan-inner-snap-cut", arrived_past_router(dns_like(all_, mtu=1162, answer=1900,
                                                              n=5), 63, vxlan=True), 200,
         "healthy", ("198.51.100.2", 1156)),
        # the same datagrams at their sender: nothing crossed yet (one query: the repeated
        # identical queries of dns_like() are, at the sender, a suspicion of their own)
        ("v4-dns-at-sender", dns_like(all_, mtu=1400, n=1), 0, "inconclusive", None),
        ("vxlan-at-sender", arrived_past_router(dns_like(all_, mtu=1162, answer=1900, n=1), 64,
                                                vxlan=True), 200, "inconclusive", None),
        # past a router, but the second answer lost its last fragment
        ("v4-one-lost-past-router", arrived_past_router(
            dns_like(lambda q, i: q != 1 or i == 0, mtu=1400), 62), 0, "inconclusive", None),
    ]
    for name, fr, snap, want, bound in cases:
        p = os.path.join(TMP, f"arrived-{name}.pcap")
        if snap:
            write_pcap_snap(p, fr, snap)
        else:
            write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        v = rep["verdict"]
        expect(v["status"] == want, f"{name}: {v}")
        if want == "healthy":
            expect("arrived complete past a router" in v["summary"], f"{name}: {v}")
        if bound:
            got = [x["mtu_lower"] for x in rep["paths"] if x["src"] == bound[0]]
            expect(got == [bound[1]], f"{name}: lower bounds {got}, want {bound[1]}")
        if name.endswith("at-sender"):
            expect("may be at the sender" in v["summary"], f"{name}: {v}")


@test("only the small last fragments arriving is a size limit (blackhole), not a fragment "
      "filter: the full-size fragments are the ones lost, so 'let fragments through' would not "
      "help; a filter keeps the first fragment (lab matrix A7)")
def _():
    cases = [  # name, frames, status
        ("v4-last-only", dns_like(lambda q, i: i == 2), "blackhole"),
        ("v6-last-only", dns_like(lambda q, i: i == 1, v6=True, answer=2400), "blackhole"),
        # inside VXLAN, past the router: the tunnel's full-size packets never come
        ("vxlan-last-only", arrived_past_router(dns_like(lambda q, i: i == 2, n=4), 63,
                                                vxlan=True), "blackhole"),
        # a fragment filter: the first (largest) arrives, the rest never does
        ("v4-first-only", dns_like(lambda q, i: i == 0), "fragmentation-loss"),
    ]
    for name, fr, want in cases:
        p = os.path.join(TMP, f"sizelimit-{name}.pcap")
        write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        v = json.loads(out)["verdict"]
        kinds = [a["kind"] for a in v["advice"]]
        expect(v["status"] == want, f"{name}: {v}")
        if want == "blackhole":
            expect("size limit" in v["summary"] and "stop-dropping-fragments" not in kinds,
                   f"{name}: {v}")
            expect(not re.search(r"\b0 bytes", out), f"{name}: a bound of 0 in {v['fix']}")
        else:
            expect("stop-dropping-fragments" in kinds, f"{name}: {kinds}")


def request_resent(exchanges, timeout=1.0, v6=False, vxlan=False, mtu=1420):
    """The answering side of a request/response UDP exchange (client :40000, server :53):
    exchanges is a list of (answer size, tries); each try sends the same request (its own
    bytes per exchange), the server answers at once (fragmented above `mtu`, every fragment
    here: the capture is at its sender), and the client tries again `timeout` later; after
    the last try it goes on 0.3 s later.  A small exchange the other way ends the capture."""
    c = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (1,) if v6 else (192, 0, 2, 1)
    sv = (0x20, 0x01, 0x0d, 0xb8) + (0,) * 11 + (2,) if v6 else (198, 51, 100, 2)
    E = ETH6 if v6 else ETH
    fr, t, ident = [], 0.0, 0x300

    def dgram(src, dst, sport, dport, payload, ident_):
        b = udp(sport, dport, payload)
        return E + (ipv6_pkt(b, 17, src, dst) if v6 else
                    ipv4(b, src=src, dst=dst, ident=ident_, frag=0))
    for k, (size, tries) in enumerate(exchanges):
        q = b"%d %d" % (k, size)
        for n in range(tries):
            ident += 1
            fr.append((t, dgram(c, sv, 40000, 53, q, ident)))
            ans = udp(53, 40000, b"x" * size)
            if 28 + size > mtu:
                for i, f in enumerate(fragments(ans, ident, mtu, v6, sv, c)):
                    fr.append((t + 0.004 + 0.00001 * i, f))
            else:
                fr.append((t + 0.004, dgram(sv, c, 53, 40000, b"x" * size, ident + 0x1000)))
            t += timeout if n + 1 < tries else 0.3
    if vxlan:
        fr = [(t_, vxlan_wrap(f, ident=i + 1)) for i, (t_, f) in enumerate(fr)]
    return fr


@test("UDP requests re-sent a timeout after each fragmented reply, and never after a small "
      "one, are a strong suspicion of fragment loss at the answering side: a finding naming "
      "the flow and frames, verdict inconclusive with the reason; not after small replies, "
      "not a quick copy, not new requests (lab matrix B2, issue 13 item 5)")
def _():
    cases = [  # name, frames, suspected
        ("v4-dns-resent", request_resent([(2688, 3), (114, 1), (3756, 3)]), True),
        ("v6-resent-0.4s", request_resent([(3000, 2), (100, 1), (2500, 3)], timeout=0.4,
                                          v6=True), True),
        ("vxlan-inner-resent", request_resent([(3000, 4), (200, 1)], vxlan=True, mtu=1400),
         True),
        # repeats after small replies too: the requester loses answers of any size
        ("v4-resent-after-small-too", request_resent([(2688, 3), (114, 3), (3756, 3)]), False),
        # the same request again 50 ms later: no timeout is that short, a burst
        ("v4-quick-copy", request_resent([(2688, 3), (3756, 3)], timeout=0.05), False),
        # every request new: the fragmented answers arrived
        ("v4-all-new", request_resent([(2688, 1), (114, 1), (3756, 1), (3000, 1)]), False),
        # at the requester, the fragmented replies seen arriving past a router: its repeats
        # are its own doing, not loss (and the arrivals test the path)
        ("v4-requester-replies-arrived",
         arrived_past_router(request_resent([(2688, 3), (3756, 3)]), 62), False),
    ]
    for name, fr, suspected in cases:
        p = os.path.join(TMP, f"resent-{name}.pcap")
        write_pcap_timed(p, fr)
        rc, out, err = run(["--json", "-r", p])
        expect(rc == 0, f"{name}: {err}")
        rep = json.loads(out)
        v = rep["verdict"]
        fs = [f for f in rep["findings"] if f["kind"] == "udp-resent-after-fragments"]
        expect(bool(fs) == suspected, f"{name}: {fs}")
        expect(v["status"] == ("healthy" if "arrived" in name else "inconclusive"),
               f"{name}: {v}")
        expect(("Suspected fragment loss" in v["summary"]) == suspected, f"{name}: {v}")
        if fs:
            expect(fs[0].get("flow") and len(fs[0]["frames"]) >= 4, f"{name}: {fs[0]}")
            if shutil.which("tshark"):
                n = tshark_count(p, fs[0]["wireshark_filter"])
                expect(n == len(fs[0]["frames"]), f"{name}: filter selects {n}, cites "
                       f"{fs[0]['frames']}: {fs[0]['wireshark_filter']}")


def main():
    global BIN
    BIN = os.path.abspath(sys.argv[1])
    write_pcap(GOOD, [udp_frame(i) for i in range(5)])
    sample_tests()
    retransmission_test()
    manifest_test()
    verdict_tests()
    filter_tests()
    corpus_icmp_test()
    correlation_tests()
    split_tests()
    syn_flood_tests()
    many_connection_tests()
    chart_tests()
    rc = finish("e2e")
    if not os.environ.get("MTUSCOPE_KEEP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
