#!/usr/bin/env python3
"""agreement.py - mtuscope's TCP retransmission counts against tcptrace and tshark.

Usage: agreement.py MTUSCOPE [--jobs N] [--max-size BYTES] [--full-tshark] [-v] [FILE...]

Issue 4's accuracy check, part of `make test`.  Last run (samples and
../shared/corpus, tshark 4.0.17, tcptrace 6.6.7): 3324 TCP flows, 3102 seen
by tcptrace; equal to tcptrace 3032, equal to tshark 2909 of 2925; 73
explained by the rules below, 0 unexplained.  Without ../shared it prints a
SKIP line and checks the samples alone (80 flows: equal to tcptrace 55 of
65, equal to tshark 78, 12 explained).  For every capture of samples/ and
every TCP-bearing capture of ../shared/corpus (INDEX.tsv "protocols" has
tcp), it runs

  mtuscope --json -r F    flows[].client_to_server / server_to_client .retransmissions
  tcptrace -l -n F        "rexmt data pkts", one column per direction
  tshark -r F             every TCP segment with its tcp.analysis flags

and compares, per flow and direction, mtuscope's count with tcptrace's.  A
flow is keyed by file and its two endpoints (address and port): connections
that reuse a 5-tuple, or the same 5-tuple in two tunnels, are summed in every
tool alike, because the three tools split them differently.

A difference must be explained by the named rules below (RULES: tcptrace
against tshark; TSHARK_RULES: mtuscope against tshark), computed segment by
segment from tshark's flags and a replay of tcptrace's own criterion (trace.c,
rexmit.c).  The counts must add up exactly: starting from tshark's count,
adding and removing the segments each rule names must give tcptrace's count
and mtuscope's.  A flow tcptrace does not see must match tshark the same way.
Anything else is unexplained and fails.

tshark, the slowest tool, is run on the samples, on any file where mtuscope
and tcptrace differ, and where tcptrace misses a flow unless INDEX.tsv says
tshark flags no retransmission in the file (has_tcp_retrans, computed with the
same tshark 4.0.17: checked at start) and mtuscope counts none either.  Files
of the corpus whose name says they are fuzzed (random sequence numbers) are
left out, as are files over --max-size (5 MB; none today); both are counted.
--full-tshark runs tshark everywhere.  About 30 s on 2 busy cores.

Exit status 0: no unexplained difference; 1: some; 2: usage or a tool missing.
"""
import argparse
import concurrent.futures
import csv
import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
TSHARK_VERSION = "4.0.17"  # the version INDEX.tsv's has_tcp_retrans was computed with
TIMEOUT = 120

# ---------------------------------------------------------------------------
# The rules.  Each names one kind of segment that tshark (and mtuscope, which
# follows Wireshark's tcp.analysis, see include/tcp.h) and tcptrace count
# differently.  sign: +1 when tcptrace counts it and mtuscope does not, -1 the
# other way round.
RULES = {
    # Bytes below the highest sequence sent but never seen in the capture:
    # the first copy was lost before the capture point (or the capture
    # dropped it).  Wireshark and mtuscope call the segment a retransmission
    # (its sequence is below the next expected one); tcptrace has never seen
    # these bytes and counts it as "outoforder", not "rexmt".
    "lost-upstream": -1,
    # tcptrace checks nothing for retransmission while the peer's last
    # window was 0 (trace.c: "we are probably doing window probing"): a
    # segment sent again then is a "zwnd probe" for it, a retransmission for
    # Wireshark and mtuscope.
    "tcptrace-zero-window": -1,
    # tcptrace reads one 802.1Q tag (tcpdump.c): a frame with two (QinQ) is
    # not TCP to it, so it misses those copies of a segment and their
    # retransmissions, which Wireshark and mtuscope decode.
    "tcptrace-qinq": -1,
    # tcptrace starts a new connection on the same endpoints after 4 minutes
    # idle, or on a SYN after a FIN or RST outside the old window, or on a
    # SYN with another ISN (trace.c FindTTP), and forgets what was sent
    # before; a segment resent across that boundary is new to it.
    "tcptrace-new-connection": -1,
    # tcptrace keeps a direction's byte ranges per quadrant of the sequence
    # space (rexmit.c) and empties a quadrant whenever a sequence number lands
    # in the opposite one: a segment of that direction, or an ACK from the
    # peer (ack_in calls whichquad too).  An ACK far outside the window (a
    # server answering a SYN with a stale connection's ACK, before the client
    # resets it) thus erases the SYN, and the SYN sent again is new to
    # tcptrace, a retransmission for Wireshark and mtuscope.
    "tcptrace-quadrant-freed": -1,
    # Wireshark's out-of-order heuristic: a segment below the next expected
    # sequence, sent less than the handshake RTT (3 ms without a handshake)
    # after the highest one, is out-of-order, not a retransmission.  tcptrace
    # has no time rule: if it carries bytes already seen it is "rexmt".
    "out-of-order-heuristic": +1,
    # A keep-alive with one garbage byte at next expected - 1 (Windows,
    # BSD): Wireshark and mtuscope call it keep-alive; that byte was seen
    # before, so tcptrace counts a retransmission.
    "keep-alive-byte": +1,
    # tcptrace takes IPv6 extension headers (destination options, ...) for
    # TCP payload: a pure ACK after one "carries data" that repeats bytes.
    "tcptrace-ipv6-ext-header": +1,
    # A source-routed segment (see TSHARK_RULES): tshark puts it in another
    # conversation, tcptrace in the header's, where it repeats sequence
    # numbers.
    "source-route": +1,
    # A segment of more than one byte that starts at the next expected
    # sequence - 1: Wireshark (packet-tcp.c) and mtuscope (tcp.h) take it
    # for new data (data after a keep-alive); tcptrace sees that its first
    # sequence number was covered before (by the last data byte, or by the
    # SYN when data starts at the ISN instead of ISN + 1) and counts rexmt.
    "data-at-next-minus-one": +1,
    # The sequence space wrapped (more than 4 GiB sent) and a segment reuses
    # sequence numbers seen one lap earlier.  Wireshark and mtuscope compare
    # with the next expected sequence modulo 2^32: new data.  tcptrace keeps
    # the byte ranges of the four quadrants of the sequence space (rexmit.c)
    # and frees a quadrant only when a segment (or an ACK for this direction)
    # enters the opposite one, so when the capture skipped a quadrant the old
    # lap's ranges are still there and the segment is "rexmt".
    "tcptrace-seq-wrap": +1,
    # An IPv4 total length larger than the whole frame (not a snap-length
    # cut: a sanitiser that cut the payload, or a frame that ended early).
    # tcptrace takes the segment's length from the IP header (tcpdump.c), so
    # the segment "covers" phantom bytes: a segment that carries them for
    # real later, or the segment itself when they repeat bytes already sent
    # (a cut copy of a retransmission: suricata-verify telnet-01), is rexmt.  Wireshark and mtuscope take what the
    # frame carried (decode_ip.c: clamp_to_wire).
    "tcptrace-ip-length-beyond-frame": +1,
}


# The differences between mtuscope and tshark, with the same sign convention
# (+1: mtuscope counts it, tshark does not).
TSHARK_RULES = {
    # tshark keys a TCP conversation by addresses and ports only: the same
    # connection captured both inside a tunnel and outside it (or in two
    # tunnels) is one conversation, and each second copy is a
    # "retransmission".  mtuscope keys flows by tunnel context as well
    # (include/flow.h), so each copy is new data in its own flow.
    "tunnel-context": -1,
    # A datagram whose other fragments never arrived is never reassembled:
    # mtuscope sees no TCP segment in it, tshark dissects the TCP header in
    # the first fragment and may flag it a retransmission.
    "unreassembled-fragment": -1,
    # mtuscope ends a flow after an idle timeout (300 s open; once closed,
    # 130 s while something is unacknowledged, else 10 s: include/flow.h),
    # which tshark never does.  A segment resent after such a gap starts a
    # new flow and has no history there: new data for mtuscope, a
    # retransmission for tshark.  Late FINs and RSTs and SYN retries with the
    # same ISN stay in their closed flow; what is left today is a capture
    # whose clock jumps 24 days ahead and back (tcpdump kday*.pcap).  A SYN
    # with a new ISN (port reuse) is a new conversation in tshark too.
    "flow-restart": -1,
    # A loose or strict source route option: Wireshark takes the route's
    # final hop as ip.dst, so those segments form another conversation;
    # mtuscope (and tcptrace) use the header's destination and see them in
    # the flow, where they repeat sequence numbers already sent.
    "source-route": +1,
    # The capture's own copy of a segment (analyzer/dedup.c): the same IP ID,
    # addresses, length, sequence, ack, flags and window as a segment less
    # than a second earlier on another link (MACs, VLAN), or, with an IPv4
    # ID, a millisecond earlier on the same one: recorded again by a SPAN
    # port or a second interface.  mtuscope counts it apart and analyses it once;
    # tshark (and tcptrace) see the same segment twice: a retransmission.
    "capture-copy": -1,
}


def norm_addr(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


# ---------------------------------------------------------------------------
# mtuscope


def run_mtuscope(binary, path):
    """{(src, sport, dst, dport): retransmissions}, error or None."""
    try:
        p = subprocess.run([binary, "--json", "-r", path], capture_output=True, timeout=TIMEOUT)
        d = json.loads(p.stdout.decode("utf-8", "replace"))
    except (subprocess.TimeoutExpired, ValueError) as e:
        return None, "mtuscope: %s" % e
    out = {"first_frames": set()}
    for f in d.get("flows", []):
        if f.get("proto") != "tcp":
            continue
        out["first_frames"].add(f["first_frame"])
        c, s = f["client"], f["server"]
        ca, sa = norm_addr(c["addr"]), norm_addr(s["addr"])
        for key, k in (((ca, c["port"], sa, s["port"]), "client_to_server"),
                       ((sa, s["port"], ca, c["port"]), "server_to_client")):
            out[key] = out.get(key, 0) + f[k]["retransmissions"]
    unlisted = d.get("stats", {}).get("flows_unlisted", 0)
    return out, ("mtuscope left %d flows unlisted" % unlisted if unlisted else None)


# ---------------------------------------------------------------------------
# tcptrace

HOST_RE = re.compile(r"^\s*host \w+:\s+(\S+):(\d+)\s*$")
REXMT_RE = re.compile(r"^\s*rexmt data pkts:\s+(\d+)\s+rexmt data pkts:\s+(\d+)")


def run_tcptrace(path):
    """{(src, sport, dst, dport): rexmt data pkts}, error or None."""
    try:
        p = subprocess.run(["tcptrace", "-l", "-n", path], capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "tcptrace: timeout"
    text = p.stdout.decode("utf-8", "replace")
    out, hosts = {}, []
    for line in text.splitlines():
        m = HOST_RE.match(line)
        if m:
            hosts.append((norm_addr(m.group(1)), int(m.group(2))))
            continue
        m = REXMT_RE.match(line)
        if m and len(hosts) >= 2:
            (a, ap), (b, bp) = hosts[-2], hosts[-1]
            out[(a, ap, b, bp)] = out.get((a, ap, b, bp), 0) + int(m.group(1))
            out[(b, bp, a, ap)] = out.get((b, bp, a, ap), 0) + int(m.group(2))
            hosts = []
    if p.returncode != 0 or "PCAP error" in p.stderr.decode("utf-8", "replace"):
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return out, "tcptrace: " + (err[0] if err else "exit %d" % p.returncode)
    return out, None


# ---------------------------------------------------------------------------
# tshark: every TCP segment outside ICMP quotes, with its analysis flags

TSHARK_FIELDS = [
    "frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.len", "tcp.flags.syn", "tcp.flags.fin",
    "tcp.flags.reset", "tcp.window_size_value", "tcp.analysis.retransmission", "tcp.analysis.out_of_order",
    "tcp.analysis.keep_alive", "tcp.analysis.zero_window_probe", "ip.flags.mf",
    "ip.frag_offset", "ipv6.fraghdr.more", "ipv6.fraghdr.offset", "ip.cur_rt", "frame.time_epoch",
    "tcp.flags.ack", "tcp.ack_raw", "tcp.window_size", "ip.id", "eth.src", "eth.dst",
    "vlan.id", "ip.len", "ip.hdr_len", "tcp.hdr_len", "frame.len", "frame.cap_len",
    "sll.pkttype",
]


def innermost(protocols, v4, v6):
    """The addresses of the IP layer that carries TCP (the last one)."""
    layers = [p for p in protocols.split(":") if p in ("ip", "ipv6")]
    if not layers:
        return None
    vals = (v4 if layers[-1] == "ip" else v6).split(",")
    return norm_addr(vals[-1]) if vals and vals[-1] else None


def tunnel_context(protocols):
    """The layers between the outermost and the innermost IP: the tunnel."""
    p = protocols.split(":")
    ips = [i for i, x in enumerate(p) if x in ("ip", "ipv6")]
    return ":".join(p[ips[0]:ips[-1]]) if len(ips) > 1 else ""


def ipv6_ext_headers(protocols):
    """How many IPv6 extension headers precede TCP (ipv6.dstopts, ...)."""
    p = protocols.split(":")
    if "tcp" not in p or "ipv6" not in p:
        return 0
    last6 = len(p) - 1 - p[::-1].index("ipv6")
    return sum(1 for x in p[last6 + 1:p.index("tcp", last6)] if x.startswith("ipv6."))


def phantom_bytes(r):
    """Bytes an IPv4 total length claims beyond the whole frame (caplen == len): what
    tcptrace adds to the segment (tcptrace-ip-length-beyond-frame), else 0."""
    try:
        ip_len = int(r["ip.len"].split(",")[-1])
        hdr = int(r["ip.hdr_len"].split(",")[-1]) + int(r["tcp.hdr_len"].split(",")[-1])
        tcp_len = int(r["tcp.len"].split(",")[-1] or 0)
    except ValueError:
        return 0
    if r["frame.len"] != r["frame.cap_len"] or "," in r["ip.len"]:
        return 0
    return max(0, ip_len - hdr - tcp_len)


def run_tshark(path):
    """[segment dict] in frame order, error or None."""
    cmd = ["tshark", "-n", "-r", path, "-o", "tcp.desegment_tcp_streams:FALSE",
           "-Y", "tcp && !icmp && !icmpv6", "-T", "fields", "-E", "separator=\t"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "tshark: timeout"
    segs = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        v = line.split("\t")
        if len(v) != len(TSHARK_FIELDS):
            continue
        r = dict(zip(TSHARK_FIELDS, v))
        src = innermost(r["frame.protocols"], r["ip.src"], r["ipv6.src"])
        dst = innermost(r["frame.protocols"], r["ip.dst"], r["ipv6.dst"])
        try:
            seg = {
                "frame": int(r["frame.number"]),
                "key": (src, int(r["tcp.srcport"].split(",")[-1]), dst,
                        int(r["tcp.dstport"].split(",")[-1])),
                "seq": int(r["tcp.seq_raw"].split(",")[-1]),
                "len": int(r["tcp.len"].split(",")[-1] or 0),
                "syn": r["tcp.flags.syn"].split(",")[-1] in ("1", "True"),
                "fin": r["tcp.flags.fin"].split(",")[-1] in ("1", "True"),
                "rst": r["tcp.flags.reset"].split(",")[-1] in ("1", "True"),
                "win": int(r["tcp.window_size_value"].split(",")[-1] or 0),
                "retrans": r["tcp.analysis.retransmission"] != "",
                "ooo": r["tcp.analysis.out_of_order"] != "",
                "keepalive": r["tcp.analysis.keep_alive"] != "",
                "probe": r["tcp.analysis.zero_window_probe"] != "",
                "frag": any(x not in ("", "0", "False") for f in (
                    "ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.more",
                    "ipv6.fraghdr.offset") for x in r[f].split(",")),
                "ctx": tunnel_context(r["frame.protocols"]),
                "time": float(r["frame.time_epoch"] or 0),
                "ack": r["tcp.flags.ack"].split(",")[-1] in ("1", "True"),
                "ack_seq": int(r["tcp.ack_raw"].split(",")[-1] or 0),
                "cwin": int(r["tcp.window_size"].split(",")[-1] or 0),
                "qinq": r["frame.protocols"].split(":").count("vlan") >= 2,
                "v6ext": ipv6_ext_headers(r["frame.protocols"]),
                "cur_rt": norm_addr(r["ip.cur_rt"].split(",")[-1]) if r["ip.cur_rt"] else None,
                "ipid": int(r["ip.id"].split(",")[0], 16) if r["ip.id"] else 0,
                # -i any (Linux cooked): a packet going out (packet type 4) is
                # on another link than the same packet coming in (dedup.h's
                # in/out rule: a forwarded copy, whatever the time between)
                "link": (r["eth.src"], r["eth.dst"], r["vlan.id"],
                         r.get("sll.pkttype", "") == "4"),
                "phantom": phantom_bytes(r),
            }
        except ValueError:
            continue
        segs.append(seg)
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return segs, "tshark: " + (err[-1] if err else "exit %d" % p.returncode)
    return segs, None


def seq_le(a, b):
    """a <= b modulo 2^32 (RFC 9293 3.4)."""
    return (a - b) % (1 << 32) == 0 or (a - b) % (1 << 32) >= (1 << 31)


class Seen:
    """The byte ranges of one direction seen so far, as tcptrace keeps them
    (rexmit.c), in offsets from the direction's first sequence number so
    that wrap-around needs no care."""

    def __init__(self, base):
        self.base = base
        self.ranges = []  # sorted, disjoint [start, end)

    def covers(self, seq, n):
        """Whether any of [seq, seq + n) was added."""
        s = (seq - self.base) % (1 << 32)
        if s >= (1 << 31):
            s -= 1 << 32
        return any(a < s + n and s < b for a, b in self.ranges)

    def add(self, seq, n):
        """Adds [seq, seq + n); returns how many of those bytes were seen."""
        s = (seq - self.base) % (1 << 32)
        if s >= (1 << 31):  # before the base: a wrap behind the first segment
            s -= 1 << 32
        return self.add_abs(s, n)

    def add_abs(self, s, n):
        """Adds [s, s + n) given as an offset; returns the bytes seen before."""
        e = s + n
        overlap = 0
        merged = []
        for a, b in self.ranges:
            if b < s or a > e:
                merged.append((a, b))
                continue
            overlap += max(0, min(b, e) - max(a, s))
            s, e = min(a, s), max(b, e)
        merged.append((s, e))
        merged.sort()
        self.ranges = merged
        return overlap


class Unwrapped:
    """The byte ranges of one direction in 64-bit sequence numbers, each
    segment placed nearest the highest sequence seen so far (as Wireshark
    and mtuscope read them): overlaps one lap (2^32) apart are not overlaps."""

    def __init__(self):
        self.hi = None
        self.ranges = Seen(0)

    def add(self, seq, n):
        if self.hi is None:
            s = seq
        else:
            d = (seq - self.hi) % (1 << 32)
            s = self.hi + (d - (1 << 32) if d >= (1 << 31) else d)
        self.hi = s + n if self.hi is None else max(self.hi, s + n)
        return self.ranges.add_abs(s, n)


class Quadrants:
    """The byte ranges of one direction as tcptrace's rexmit.c keeps them: in
    four quadrants of the sequence space (its top two bits).  Whenever a
    sequence number lands in a quadrant (a segment with data, SYN or FIN of
    this direction, or an ACK of the peer for it: ack_in), the opposite
    quadrant is emptied (whichquad).  A segment that crosses into the next
    quadrant puts its second part there without emptying anything."""

    def __init__(self):
        self.quads = [None] * 4  # each a Seen over absolute sequence numbers

    def touch(self, seq):
        """A sequence number lands in its quadrant: empties the opposite one."""
        q = seq >> 30
        self.quads[(q + 2) % 4] = None
        if self.quads[q] is None:
            self.quads[q] = Seen(0)
        return q

    def add(self, seq, n):
        """Adds [seq, seq + n); returns how many of those bytes were there."""
        q = self.touch(seq)
        first = min(n, ((q + 1) << 30) - seq)
        overlap = self.quads[q].add_abs(seq, first)
        if first < n:
            nq = (q + 1) % 4
            if self.quads[nq] is None:
                self.quads[nq] = Seen(0)
            overlap += self.quads[nq].add_abs(nq << 30, n - first)
        return overlap


class TcptraceConn:
    """What tcptrace keeps of one connection that its retransmission count
    depends on (trace.c FindTTP and dotrace)."""

    def __init__(self, t):
        self.last_time = t
        self.seen = {}      # direction key -> Quadrants, what tcptrace remembers
        self.sent = {}      # direction key -> Seen, everything sent in this connection
        self.win_last = {}  # direction key -> window of its last non-RST segment
        self.syn_count, self.fin_count, self.rst_count = {}, {}, {}
        self.syn, self.windowend = {}, {}


def tcptrace_new_conn(c, g, k, rk):
    """tcptrace's test for a new connection on the same endpoints (FindTTP):
    4 minutes idle; or a SYN after a FIN or RST with a sequence number
    outside the peer's last window (or below the old SYN); or a SYN whose
    sequence differs from the previous SYNs'."""
    if g["time"] - c.last_time > 240:
        return True
    if not g["syn"]:
        return False
    closing = any(x.get(y, 0) for x in (c.fin_count, c.rst_count) for y in (k, rk))
    # SEQ_GREATERTHAN and SEQ_LESSTHAN subtract as 64-bit longs there: a
    # plain comparison on amd64, without wrap-around, and windowend (ACK +
    # scaled window) is not reduced modulo 2^32 either
    if closing and (g["seq"] > c.windowend.get(rk, 0) or g["seq"] < c.syn.get(k, 0)):
        return True
    return c.syn_count.get(k, 0) > 1 and c.syn.get(k, 0) != g["seq"]


def classify(segs, first_frames):
    """Per direction key: tshark's count, and the segments each rule says
    tcptrace (diff) and mtuscope (sdiff) count differently from tshark.

    tcptrace is replayed segment by segment from tshark's fields (trace.c
    dotrace, rexmit.c): a segment with data, SYN or FIN covers [seq, seq +
    len + SYN + FIN); it is "rexmt" when any of those sequence numbers was
    covered before in that direction of that connection and tcptrace still
    remembers it (Quadrants: an ACK or segment in the opposite quadrant of
    the sequence space makes it forget).  It is not checked
    at all when the peer's last segment advertised a zero window, and a
    segment without ACK or SYN counts as 0 ("zwnd probe").  tcptrace sees only TCP directly inside the outer
    IP layer, and no frame with two VLAN tags."""
    tshark, diff, sdiff, ctx, route_next, conns, ever = {}, {}, {}, {}, {}, {}, {}
    copies = {}
    qinq_seen, nextseq, laps = {}, {}, {}
    phantoms = {}  # per direction: sequence ranges only the IP length claimed

    def bump(table, k, rule):
        t = table.setdefault(k, {})
        t[rule] = t.get(rule, 0) + 1

    for g in segs:
        k = g["key"]
        tshark[k] = tshark.get(k, 0) + (1 if g["retrans"] else 0)
        n = g["len"] + (1 if g["syn"] else 0) + (1 if g["fin"] else 0)
        end = (g["seq"] + n) % (1 << 32)
        if g["frag"]:
            if g["retrans"]:
                bump(sdiff, k, "unreassembled-fragment")
            continue  # mtuscope does not see it
        # mtuscope against tshark
        if not g["ctx"]:
            ck = (k, g["ipid"], g["seq"], g["ack_seq"], g["len"], g["win"], g["syn"], g["fin"],
                  g["rst"], g["ack"])
            t0, link0 = copies.get(ck, (None, None))
            dt = g["time"] - t0 if t0 is not None else None
            # as dedup.h: within 1 s on another link (MACs, VLAN); on the same
            # link within 1 ms and only with an IPv4 ID
            limit = 1.0 if link0 != g["link"] else 0.001 if g["ipid"] else -1
            if dt is not None and 0 <= dt <= limit:
                if g["retrans"]:
                    bump(sdiff, k, "capture-copy")
            else:
                copies[ck] = (g["time"], g["link"])
        tk = k  # the key mtuscope and tcptrace give it
        if g["cur_rt"]:
            # the header's destination, not the source route's last hop
            tk = (k[0], k[1], g["cur_rt"], k[3])
            if n and tk in route_next and seq_le(end, route_next[tk]):
                bump(sdiff, tk, "source-route")
        elif n and (k not in route_next or seq_le(route_next[k], end)):
            route_next[k] = end
        seen_in = ctx.setdefault((k, g["seq"], g["len"], g["syn"], g["fin"]), set())
        other_ctx = bool(seen_in - {g["ctx"]}) and g["ctx"] not in seen_in
        seen_in.add(g["ctx"])
        if g["retrans"] and other_ctx:
            bump(sdiff, k, "tunnel-context")
        elif g["retrans"] and g["frame"] in first_frames:
            bump(sdiff, k, "flow-restart")
        if g["ctx"]:
            continue  # inside a tunnel: tcptrace does not decode it

        # tcptrace against tshark
        next_before = nextseq.get(k)  # Wireshark's next expected sequence
        if n and (next_before is None or seq_le(next_before, end)):
            nextseq[k] = end
        lap_overlap = laps.setdefault(k, Unwrapped()).add(g["seq"], n) if n else 0
        rk = (tk[2], tk[3], tk[0], tk[1])
        pair = tuple(sorted([tk[:2], tk[2:]]))
        c = conns.get(pair)
        if c is None or tcptrace_new_conn(c, g, tk, rk):
            c = conns[pair] = TcptraceConn(g["time"])
        c.last_time = g["time"]
        for flag, cnt in (("syn", c.syn_count), ("fin", c.fin_count), ("rst", c.rst_count)):
            if g[flag]:
                cnt[tk] = cnt.get(tk, 0) + 1
        if g["syn"]:
            c.syn[tk] = g["seq"]
        if g["ack"]:
            c.windowend[tk] = g["ack_seq"] + g["cwin"]
        rexmt = zero = False
        overlap_ever = overlap_conn = overlap = 0
        if g["qinq"]:
            # tcptrace reads one 802.1Q tag; it never sees this frame
            if n:
                qinq_seen.setdefault(tk, Seen(g["seq"])).add(g["seq"], n)
            if g["retrans"] and tk == k and not other_ctx:
                bump(diff, tk, "tcptrace-qinq")
            continue
        if g["ack"]:
            # ack_in() looks up the quadrant of the peer's bytes it acks
            c.seen.setdefault(rk, Quadrants()).touch(g["ack_seq"])
        # tcptrace counts IPv6 extension headers (8 bytes at least) as payload,
        # and the bytes an IPv4 length claims beyond the frame
        nt = n + 8 * g["v6ext"] + g["phantom"]
        in_phantom = any(seq_le(a, g["seq"]) and not seq_le(b, g["seq"])
                         for a, b in phantoms.get(tk, ()))
        if g["phantom"]:
            phantoms.setdefault(tk, []).append((end, (end + g["phantom"]) % (1 << 32)))
        if nt > 0:
            if c.win_last.get(rk, 1) == 0 and rk in c.win_last and not g["syn"]:
                zero = True
            else:
                overlap = c.seen.setdefault(tk, Quadrants()).add(g["seq"], nt)
                rexmt = overlap > 0
                overlap_conn = c.sent.setdefault(tk, Seen(g["seq"])).add(g["seq"], nt)
                ev = ever.setdefault(tk, Seen(g["seq"]))
                overlap_ever = ev.add(g["seq"], nt)
        c.win_last[tk] = g["cwin"] if (g["ack"] or g["syn"]) else 0
        flagged = g["retrans"] and tk == k and not other_ctx
        if flagged and not rexmt:
            if zero:
                rule = "tcptrace-zero-window"
            elif n and tk in qinq_seen and qinq_seen[tk].covers(g["seq"], n):
                rule = "tcptrace-qinq"
            elif overlap_conn:
                rule = "tcptrace-quadrant-freed"
            elif overlap_ever:
                rule = "tcptrace-new-connection"
            else:
                rule = "lost-upstream"
        elif rexmt and not flagged:
            if tk != k:
                rule = "source-route"
            elif g["v6ext"]:
                rule = "tcptrace-ipv6-ext-header"
            elif in_phantom or g["phantom"]:
                # the bytes only its IP length claims (this segment's, or an
                # earlier one's that this one repeats) are what tcptrace saw twice
                rule = "tcptrace-ip-length-beyond-frame"
            elif g["ooo"]:
                rule = "out-of-order-heuristic"
            elif g["keepalive"]:
                rule = "keep-alive-byte"
            elif (overlap == 1 and g["len"] > 1 and next_before is not None and
                  g["seq"] == (next_before - 1) % (1 << 32)):
                rule = "data-at-next-minus-one"
            elif n and not lap_overlap:
                rule = "tcptrace-seq-wrap"
            else:
                rule = "other"
        else:
            continue
        bump(diff, tk, rule)
    return tshark, diff, sdiff


# ---------------------------------------------------------------------------


def analyse(args, path, always, index_zero):
    """Runs the tools on one file.  tshark, the slowest, runs only when
    needed: always (samples, named files, --full-tshark), or when mtuscope
    and tcptrace differ on a flow, or for flows tcptrace does not see unless
    INDEX.tsv says tshark flags nothing in the file and mtuscope agrees."""
    m, merr = run_mtuscope(args.mtuscope, path)
    t, terr = run_tcptrace(path)
    res = {"path": path, "m": m, "t": t, "merr": merr, "terr": terr, "diff": None,
           "sdiff": None, "serr": None, "s": {} if index_zero else "unknown"}
    if m is None:
        return res
    counts = {k: v for k, v in m.items() if k != "first_frames"}
    t = t or {}
    unseen = [k for k in counts if (k[2], k[3], k[0], k[1]) not in t and k not in t]
    differs = any(counts.get(k, 0) != t.get(k, 0) for k in set(counts) | set(t) if k not in unseen)
    unseen_need = any(counts[k] for k in unseen) or (unseen and not index_zero)
    if always or args.full_tshark or differs or unseen_need:
        segs, serr = run_tshark(path)
        res["serr"] = serr
        if segs:  # a file cut short still gives the segments before the cut
            res["s"], res["diff"], res["sdiff"] = classify(segs, m["first_frames"])
        elif segs is not None and not serr:
            res["s"] = {}
        else:
            res["s"] = None  # unknown: every difference in this file stays unexplained
    return res


def explain(k, mv, tv, sv, d, sd, used):
    """None when direction k's counts agree or the rules account for every
    difference (adding the segments they explain to used); else why not.
    mv, tv, sv: mtuscope, tcptrace (None: not seen), tshark; d, sd: the
    segments each rule names where tcptrace and mtuscope differ from tshark.
    Both predictions start from tshark's count, segment by segment."""
    if tv is not None and mv == tv:
        return None
    m_pred = sv + sum(TSHARK_RULES[x] * n for x, n in sd.items())
    t_pred = sv + sum(RULES[x] * n for x, n in d.items() if x in RULES)
    if mv == m_pred and (tv is None or (tv == t_pred and not d.get("other"))):
        for x, n in list(sd.items()) + (list(d.items()) if tv is not None else []):
            used[x] = used.get(x, 0) + n
        return None
    return "%s:%d > %s:%d mtuscope %d tcptrace %s tshark %d; vs tcptrace %s, vs tshark %s" % (
        k + (mv, "-" if tv is None else tv, sv, d, sd))


def corpus_files(max_size):
    index = os.path.join(SHARED, "INDEX.tsv")
    files, skipped, fuzzed = [], [], []
    with open(index, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if "tcp" not in row["protocols"].split(","):
                continue
            path = os.path.join(SHARED, row["path"])
            if "fuzz" in row["path"]:
                # fuzzed: random sequence numbers, no tool's count means anything
                fuzzed.append(path)
                continue
            if int(row["size"]) > max_size:
                skipped.append(path)
                continue
            files.append((path, row["has_tcp_retrans"] == "1"))
    return files, skipped, fuzzed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mtuscope")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-size", type=int, default=5 * 1000 * 1000)
    ap.add_argument("--full-tshark", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    for tool in ("tcptrace", "tshark"):
        if not shutil.which(tool):
            print("agreement: %s not installed (apt-get install -y tcptrace tshark)" % tool)
            return 2
    ver = subprocess.run(["tshark", "--version"], capture_output=True).stdout.decode()
    same_tshark = TSHARK_VERSION in ver.splitlines()[0] if ver else False

    if args.files:
        work = [(f, True, False) for f in args.files]
        skipped, fuzzed = [], []
    else:
        work = [(f, True, False)
                for f in sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap*")))]
        if os.path.exists(os.path.join(SHARED, "INDEX.tsv")):
            cf, skipped, fuzzed = corpus_files(args.max_size)
            work += [(f, False, not has and same_tshark) for f, has in cf]
        else:
            skipped, fuzzed = [], []
            print("SKIP: %s absent: corpus part of the agreement check not run" % SHARED)
    print("agreement: %d files (%d over %d bytes and %d fuzzed captures skipped), %d workers" %
          (len(work), len(skipped), args.max_size, len(fuzzed), args.jobs))

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        results = list(ex.map(lambda w: analyse(args, *w), work))

    flows = eq_t = eq_s = s_flows = explained = unexplained = 0
    no_tcptrace = 0
    rule_flows = {r: 0 for r in list(RULES) + list(TSHARK_RULES)}
    rule_segs = dict(rule_flows)
    failures = []
    tool_errors = {"mtuscope": 0, "tcptrace": 0, "tshark": 0}
    for r in results:
        if r["m"] is None:
            tool_errors["mtuscope"] += 1
            failures.append("%s: %s" % (r["path"], r["merr"]))
            continue
        if r["terr"]:
            tool_errors["tcptrace"] += 1
        if r["serr"]:
            tool_errors["tshark"] += 1
        m, t = {k: v for k, v in r["m"].items() if k != "first_frames"}, r["t"] or {}
        # no tshark run: INDEX.tsv says it flags no retransmission in the file
        s, diff, sdiff = r["s"], r["diff"] or {}, r["sdiff"] or {}
        s_known = s != "unknown"  # tshark not run: mtuscope and tcptrace agree
        if s is None or not s_known:
            s = {k: -1 for k in m}  # tshark failed: matches nothing
        pairs = {}
        for k in set(m) | set(t) | set(s):
            if None in k:
                continue
            a, b = (k[0], k[1]), (k[2], k[3])
            pairs.setdefault(tuple(sorted([a, b])), None)
        for (a, b) in sorted(pairs):
            keys = [(a[0], a[1], b[0], b[1]), (b[0], b[1], a[0], a[1])]
            if not any(k in m for k in keys):
                continue  # a flow mtuscope does not see as TCP: none here so far
            flows += 1
            seen_t = any(k in t for k in keys)
            if not seen_t:
                no_tcptrace += 1  # tcptrace cannot decode this link or tunnel
            if s_known:
                s_flows += 1
                if all(m.get(k, 0) == s.get(k, 0) for k in keys):
                    eq_s += 1
            if seen_t and all(m.get(k, 0) == t.get(k, 0) for k in keys):
                eq_t += 1
                continue
            used, why = {}, []
            for k in keys:
                w = explain(k, m.get(k, 0), t.get(k, 0) if seen_t else None, s.get(k, 0),
                            diff.get(k, {}), sdiff.get(k, {}), used)
                if w:
                    why.append(w)
            if not used and not why:
                continue  # not seen by tcptrace, equal to tshark
            if not why:
                explained += 1
                for x, n in used.items():
                    rule_flows[x] += 1
                    rule_segs[x] += n
            else:
                unexplained += 1
                failures.append("%s: %s" % (os.path.relpath(r["path"], ROOT), "; ".join(why)))

    print("agreement: %d TCP flows compared (%d not seen by tcptrace: a link or tunnel it "
          "cannot decode)" % (flows, no_tcptrace))
    print("agreement: equal to tcptrace %d of %d, equal to tshark %d of %d (tshark's count known), "
          "explained %d, unexplained %d" %
          (eq_t, flows - no_tcptrace, eq_s, s_flows, explained, unexplained))
    for x in rule_flows:
        print("  rule %-24s %4d flows, %5d segments" % (x, rule_flows[x], rule_segs[x]))
    print("  tool errors (files): %s" % ", ".join("%s %d" % kv for kv in tool_errors.items()))
    for f in failures[:50 if not args.verbose else None]:
        print("UNEXPLAINED " + f)
    if len(failures) > 50 and not args.verbose:
        print("... %d more (-v)" % (len(failures) - 50))
    return 1 if unexplained or tool_errors["mtuscope"] else 0


if __name__ == "__main__":
    sys.exit(main())
