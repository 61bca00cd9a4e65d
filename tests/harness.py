"""harness.py - the small test runner and packet builders the Python test
scripts share (tests/e2e.py, tests/robustness.py).

A test is a function registered with @test("name"); it fails by raising
AssertionError (expect()).  finish("e2e") runs them all and prints the
closing line CI reads: "e2e: N passed, M failed".
"""
import os
import re
import struct
import subprocess

TESTS, results = [], []

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def test(name):
    def wrap(fn):
        def runner():
            try:
                fn()
                results.append((name, None))
                print(f"ok   {name}", flush=True)
            except AssertionError as e:
                results.append((name, str(e)))
                print(f"FAIL {name}: {e}", flush=True)
        runner.__name__ = name
        TESTS.append(runner)
        return fn
    return wrap


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def no_sanitizer(err):
    for mark in SANITIZER_MARKS:
        expect(mark not in err, "sanitizer report:\n" + err[-3000:])


def run_binary(binary, args, stdin=None, timeout=300):
    """Runs the binary with sanitizers that stop at the first error; returns
    (exit code, stdout, stderr) as text."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    p = subprocess.run([binary] + args, capture_output=True, env=env, timeout=timeout,
                       stdin=stdin if stdin is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def finish(label):
    """Runs every registered test (or, while developing, those whose name
    matches the regular expression in $MTUSCOPE_TEST_ONLY); prints the
    closing line; returns the exit code."""
    only = os.environ.get("MTUSCOPE_TEST_ONLY")
    for t in TESTS:
        if only and not re.search(only, t.__name__):
            continue
        t()
    failed = [r for r in results if r[1]]
    print(f"{label}: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


# ---- building packets ----

ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(payload, proto=17, src=(192, 0, 2, 1), dst=(198, 51, 100, 2), ident=1, frag=0x4000,
         total=None, ttl=64):
    """An IPv4 header (DF set by default) with a correct checksum, then payload."""
    tot = total if total is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident, frag, ttl, proto, 0, bytes(src),
                    bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def udp_frame(i, size=100):
    """Ethernet/IPv4/UDP number i: 192.0.2.1:(40000+i) -> 198.51.100.2:9, IP id i."""
    return ETH + ipv4(udp(40000 + i, 9, bytes([i & 0xff]) * size), ident=i)


def tcp(sport, dport, seq, ack, flags, payload=b"", mss=None, src=(192, 0, 2, 1),
        dst=(198, 51, 100, 2), ident=1):
    """A TCP segment (flags: "S", "SA", "A", "PA", "FA") with its checksum, in IPv4 with DF
    and IP ID `ident`."""
    bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    fl = sum(bits[c] for c in flags)
    opts = struct.pack("!BBH", 2, 4, mss) if mss else b""
    off = (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, fl, 65535, 0, 0) + opts
    pseudo = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    h = h[:16] + struct.pack("!H", c) + h[18:]
    return ipv4(h + payload, proto=6, src=src, dst=dst, ident=ident)


def tcp_exchange(sizes_c2s, sizes_s2c, mss=(1460, 1460), syn=True, sport=50000, dport=22):
    """Ethernet frames of one TCP connection: the handshake (announcing mss, unless syn is
    False), then each side's data segments of the given payload sizes, each acknowledged,
    the two sides taking turns.  Returns a list of frames."""
    c, s = (192, 0, 2, 1), (198, 51, 100, 2)
    cseq, sseq = 1000, 5000
    out = []
    if syn:
        out.append(ETH + tcp(sport, dport, cseq, 0, "S", mss=mss[0], src=c, dst=s))
        out.append(ETH + tcp(dport, sport, sseq, cseq + 1, "SA", mss=mss[1], src=s, dst=c))
        out.append(ETH + tcp(sport, dport, cseq + 1, sseq + 1, "A", src=c, dst=s))
    cseq += 1
    sseq += 1
    for i in range(max(len(sizes_c2s), len(sizes_s2c))):
        if i < len(sizes_c2s):
            n = sizes_c2s[i]
            out.append(ETH + tcp(sport, dport, cseq, sseq, "PA", b"c" * n, src=c, dst=s))
            cseq += n
            out.append(ETH + tcp(dport, sport, sseq, cseq, "A", src=s, dst=c))
        if i < len(sizes_s2c):
            n = sizes_s2c[i]
            out.append(ETH + tcp(dport, sport, sseq, cseq, "PA", b"s" * n, src=s, dst=c))
            sseq += n
            out.append(ETH + tcp(sport, dport, cseq, sseq, "A", src=c, dst=s))
    return out
