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
import shutil
import struct
import subprocess
import sys
import tempfile

from harness import ETH, expect, finish, no_sanitizer, run_binary, tcp, tcp_exchange, test, udp_frame

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
    rc, out, _ = run(["-r", GOOD])
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
    rc, out, err = run(["-r", p])
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
    expect("clamp of 1379" in recs and "packet-too-big" in recs and "frag-needed" not in recs,
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


def write_pcap_timed(path, frames):
    """A classic pcap of (seconds, frame) pairs."""
    data = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    for t, pkt in frames:  # a list joined once: adding to bytes is quadratic
        sec = int(t)
        data.append(struct.pack("<IIII", 1700000000 + sec, int(round((t - sec) * 1e6)),
                                len(pkt), len(pkt)) + pkt)
    with open(path, "wb") as f:
        f.write(b"".join(data))


def resized_download(pause):
    """A download whose two 1500-byte segments are never acknowledged and are sent again
    as 750-byte halves `pause` seconds later; then the transfer goes on in halves.
    RTT 10 ms."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    C = lambda *a, **k: ETH + tcp(50000, 80, *a, src=c, dst=s, **k)
    S = lambda *a, **k: ETH + tcp(80, 50000, *a, src=s, dst=c, **k)
    fr = [(0.000, C(1000, 0, "S", mss=1460)), (0.010, S(5000, 1001, "SA", mss=1460)),
          (0.020, C(1001, 5001, "A")), (0.021, C(1001, 5001, "PA", b"g" * 100)),
          (0.031, S(5001, 1101, "PA", b"d" * 1000)), (0.041, C(1101, 6001, "A"))]
    seq, t = 6001, 0.042
    fr.append((t, S(seq, 1101, "PA", b"x" * 1460)))  # lost on the path
    fr.append((t + 0.0001, S(seq + 1460, 1101, "PA", b"x" * 1460)))  # and this one
    t += pause
    for k in range(8):  # the same bytes, then more, in halves
        fr.append((t, S(seq, 1101, "PA", b"y" * 730)))
        seq += 730
        t += 0.0005
        if k % 2:
            fr.append((t + 0.010, C(1101, seq, "A")))
    fr.sort(key=lambda x: x[0])
    return fr


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


def df_sweep_with_frag_needed(mtu, sizes, step=0.02):
    """A DF ping sweep (Windows' ping -f -l, Linux's ping -M do) from 192.0.2.1 to
    198.51.100.2 whose requests above `mtu` draw a router's frag-needed (198.51.100.254)
    quoting the request, the others an echo reply."""
    from harness import csum, ipv4
    src, dst, rtr = (192, 0, 2, 1), (198, 51, 100, 2), (198, 51, 100, 254)
    frames, t = [], 0.0
    for seq, size in enumerate(sizes):
        body = struct.pack("!HH", 0x77, seq) + b"p" * (size - 28)
        icmp = struct.pack("!BBH", 8, 0, 0) + body
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        req = ipv4(icmp, proto=1, src=src, dst=dst, ident=100 + seq)
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
    rc, txt, _ = run(["-r", p1])
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
    rc, out, err = run(["-o", d, "-r", GOOD])
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
    """Every finding's Wireshark display filter, run by tshark on the input the
    finding names, shows every frame the finding cites: on each sample alone
    and on the demo's four traces together."""
    if not shutil.which("tshark"):
        print("SKIP: findings' Wireshark filters: tshark is missing")
        return
    demo = [os.path.join("samples", f"lab-incident-wg1420-path1434-{v}.pcap")
            for v in ("client-outer", "client-wg", "server-outer", "server-wg")]
    runs = [[os.path.relpath(f, ROOT)] for f in
            sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap*")))] + [demo]

    def t():
        bad, n = [], 0
        for files in runs:
            args = ["--json"]
            for f in files:
                args += ["-r", os.path.join(ROOT, f)]
            rc, out, err = run(args)
            no_sanitizer(err)
            for x in json.loads(out)["findings"]:
                expect(x["flow"] is not None and x["frames"] and x["wireshark_filter"],
                       f"{files}: a finding without its flow, frames or filter: {x}")
                n += 1
                p = subprocess.run(["tshark", "-n", "-r", os.path.join(ROOT, files[x["input"]]),
                                    "-Y", x["wireshark_filter"], "-T", "fields",
                                    "-e", "frame.number"], capture_output=True, timeout=120)
                shown = {int(v) for v in p.stdout.split()}
                missing = [fr for fr in x["frames"] if fr not in shown]
                if p.returncode or missing:
                    bad.append(f"{files[x['input']]}: {x['kind']}: frames {missing} not shown "
                               f"by '{x['wireshark_filter']}'")
        expect(n > 40, f"only {n} findings")
        expect(not bad, "; ".join(bad[:6]))
    test("every finding names its flow and frames, and its Wireshark filter shows them")(t)


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
        rc, out, err = run(["-r", pa, "-r", pb])
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
    syn_flood_tests()
    many_connection_tests()
    rc = finish("e2e")
    shutil.rmtree(TMP, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
