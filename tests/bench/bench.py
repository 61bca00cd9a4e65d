#!/usr/bin/env python3
"""bench.py - the `make bench` driver (issue 7).

Generates the bench captures under build/bench/ (once; again when the
generator changes), then times on the same files, RUNS rounds in which every
tool runs once (interleaved, so that the machine's load falls on all alike;
the median is reported, with the load average seen):

  floor      build/bench/bench-floor F      pcap_next_ex and nothing else
  mtuscope   ./mtuscope -r F                the full analysis, release build
                                            (a file: read ahead by a thread)
  mtuscope 1 thread  ./mtuscope -r - < F    the same, read in the analysis
                                            thread (standard input is never
                                            read ahead)
  tcpdump    tcpdump -r F -w /dev/null
  tcptrace   tcptrace -n F
  tshark     tshark -r F -q -z conv,tcp     on a prefix of at most
                                            --tshark-cap MB, scaled to the
                                            whole file by packets (marked *)

Wall time is measured here (monotonic clock around the process); peak RSS
comes from /usr/bin/time -v.  The floor is also run with pcap_dispatch and
with a 1 MiB stdio buffer, the two reader knobs issue 7 asks about.  Then
mtuscope runs once on the 4x-length bulk, short and many-connection captures
to compare peak RSS at 1x and 4x, and once on two SYN floods (70,000 and
200,200 flows of one SYN each) for the memory of flows that never carry
data.  Prints the table and the targets, and for each goal missed what
limits it on this machine (issue 18: "or, where the machine's noise or core
count forbids a claim, the profile that limits it"): the CPU time against
the cores, since the wall time cannot go below CPU / cores; a comparison
whose target is below the bare libpcap read; and the busiest symbols of each
thread under `perf record`, when perf is installed and allowed.  Exit status
1 only when a tool failed.
"""
import argparse
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CAPTURES = [
    # name, generator kind, scale, what
    ("a-bulk", "bulk", 1.0, "(a) 4 bulk TCP flows, 1500-byte packets, 0.1% loss"),
    ("b-short", "short", 1.0, "(b) 100,500 short TCP connections"),
    ("c-tunnel", "tunnel", 1.0, "(c) inner TCP in VXLAN and WireGuard"),
    ("d-many", "many", 1.0, "(d) 153,600 short TCP connections, 7,000 new a second"),
]
SCALED = [("a-bulk-4x", "bulk", 4.0, "a-bulk"), ("b-short-4x", "short", 4.0, "b-short"),
          ("d-many-4x", "many", 4.0, "d-many")]


def run_timed(argv, stdout=subprocess.DEVNULL):
    """Runs argv under /usr/bin/time -v; returns (wall s, peak RSS KiB, stdout,
    CPU s = user + system).  A last element "<F" of argv is its standard input."""
    stdin = None
    if argv and argv[-1].startswith("<"):
        stdin = open(argv[-1][1:], "rb")
        argv = argv[:-1]
    t0 = time.monotonic()
    try:
        p = subprocess.run(["/usr/bin/time", "-v"] + argv, stdout=stdout, stderr=subprocess.PIPE,
                           stdin=stdin)
    finally:
        if stdin:
            stdin.close()
    wall = time.monotonic() - t0
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s" % (" ".join(argv), p.returncode, err[-2000:]))
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss = int(m.group(1)) if m else 0
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
    out = p.stdout.decode(errors="replace") if p.stdout else ""
    return wall, rss, out, cpu


def cores():
    """The processors this process may run on (its affinity mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def profile(argv, top=6):
    """The busiest symbols of each thread of argv under `perf record`, as
    lines "thread T (S% of the samples): sym a%, sym b%, ..."; None when perf
    is not installed or not allowed (perf_event_paranoid, a container)."""
    perf = shutil.which("perf")
    if not perf:
        return None
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "perf.data")
        r = subprocess.run([perf, "record", "-q", "-F", "2000", "-o", data, "--"] + argv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0 or not os.path.exists(data):
            return None
        rep = subprocess.run([perf, "report", "-i", data, "--no-children", "--sort", "pid,sym",
                              "--stdio"], capture_output=True, text=True)
    if rep.returncode != 0:
        return None
    per = {}
    for line in rep.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+):\S+\s+\[[.k]\]\s+(\S+)", line)
        if m:
            per.setdefault(m.group(2), []).append((float(m.group(1)), m.group(3)))
    lines = []
    for i, (tid, syms) in enumerate(sorted(per.items(), key=lambda kv: -sum(x for x, _ in kv[1]))):
        total = sum(x for x, _ in syms)
        lines.append("thread %d (%.0f%% of the samples): %s" % (
            i + 1, total, ", ".join("%s %.1f%%" % (n, x) for x, n in syms[:top])))
    return lines


def warm(path):
    """Reads the file once so every tool starts from the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def prefix(src, dst, cap_bytes):
    """Copies the pcap header and the records of src up to cap_bytes into
    dst; returns the number of packets copied."""
    n = 0
    with open(src, "rb") as f, open(dst, "wb") as o:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        o.write(hdr)
        size = 24
        while size < cap_bytes:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(endian + "IIII", rec)[2]
            o.write(rec + f.read(incl))
            size += 16 + incl
            n += 1
    return n


def generate(args, name, kind, scale):
    path = os.path.join(args.dir, name + ".pcap")
    gen = os.path.join(args.dir, "bench-gen")
    if os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(gen):
        return path
    t0 = time.monotonic()
    subprocess.run([gen, kind, path + ".tmp", str(scale * args.scale)], check=True,
                   stdout=subprocess.DEVNULL)
    os.replace(path + ".tmp", path)
    print("generated %s: %.0f MB in %.1f s" % (path, os.path.getsize(path) / 1e6,
                                                time.monotonic() - t0), flush=True)
    return path


def ratio(a, b):
    """a / b, NaN when b is 0 (CPU times are in 10 ms steps)."""
    return a / b if b > 0 else float("nan")


def fmt_rate(v):
    return "%.2fM" % (v / 1e6) if v >= 1e6 else "%.0fk" % (v / 1e3)


def floor_limits(name, want, m, fl, results, args):
    """Why a goal of this capture is missed, from the measurements: the CPU
    time against the cores (the wall time cannot go below CPU / cores), a
    comparison that is below the bare read, and where mtuscope spends its
    time (a profile, when perf can run)."""
    out = []
    n = cores()
    path = os.path.join(args.dir, name + ".pcap")
    if ratio(fl[0], m[0]) < want:
        best = fl[0] / (m[2] / n)
        text = ("%s: %.2f s of CPU in %.2f s (%.1f cores busy); on %d cores the wall time cannot "
                "go below %.2f s, %.2f of the floor, with this CPU" % (
                    name, m[2], m[0], ratio(m[2], m[0]), n, m[2] / n, best))
        if best >= want:
            text += ("; %.2f needs the two threads' work evened out (the busier one sets the "
                     "pace: see their shares of the samples)" % want)
        else:
            text += "; %.2f needs the CPU below %.2f s (-%.0f%%) or more cores used" % (
                want, fl[0] * n / want, 100.0 * (1 - fl[0] * n / want / m[2]))
        prof = profile([args.mtuscope, "-r", path])
        if prof:
            text += "\nprofile (perf, one run): " + "\n                          ".join(prof)
        else:
            text += "\n(no profile: perf is not installed or not allowed here)"
        out.append(text)
    for other, factor in (("tshark", 50.0), ("tcptrace", 3.0)):
        o = results.get((name, other))
        if o and ratio(o[0], m[0]) < factor and o[0] / factor < fl[0]:
            out.append("%s: %.0fx %s would be %.3f s, less than the bare libpcap read (the floor, "
                       "%.3f s): no reader through libpcap can reach it" % (
                           name, factor, other, o[0] / factor, fl[0]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--mtuscope", default=os.path.join(ROOT, "mtuscope"))
    ap.add_argument("--scale", type=float, default=1.0, help="length of every capture")
    ap.add_argument("--quick", action="store_true", help="5%% captures, one run: a smoke test")
    ap.add_argument("--tshark-cap", type=float, default=150.0, help="MB of a file tshark reads")
    ap.add_argument("--no-4x", action="store_true", help="skip the 1x/4x RSS comparison")
    args = ap.parse_args()
    if args.quick:
        args.scale, args.runs = 0.05, 1
        args.dir = os.path.join(args.dir, "quick")
    os.makedirs(args.dir, exist_ok=True)
    for b in ("bench-gen", "bench-floor"):
        src = os.path.join(ROOT, "build", "bench", b)
        dst = os.path.join(args.dir, b)
        if src != dst and (not os.path.exists(dst) or os.path.getmtime(dst) < os.path.getmtime(src)):
            shutil.copy2(src, dst)
    floor = os.path.join(args.dir, "bench-floor")
    # a private copy: others may rebuild ./mtuscope while the bench runs
    snap = os.path.join(args.dir, "mtuscope-under-test")
    shutil.copy2(args.mtuscope, snap)
    args.mtuscope = snap

    tools = [("floor", lambda f: [floor, f])]
    tools.append(("mtuscope", lambda f: [args.mtuscope, "-r", f]))
    tools.append(("mtuscope 1 thread (-r - < F)", lambda f: [args.mtuscope, "-r", "-", "<" + f]))
    missing = []
    for name, argv in (("tcpdump", lambda f: ["tcpdump", "-r", f, "-w", "/dev/null"]),
                       ("tcptrace", lambda f: ["tcptrace", "-n", f]),
                       ("tshark", lambda f: ["tshark", "-r", f, "-q", "-z", "conv,tcp"])):
        if shutil.which(name):
            tools.append((name, argv))
        else:
            missing.append(name)

    rows, failed = [], False
    results, loads = {}, {}
    for name, kind, scale, what in CAPTURES:
        path = generate(args, name, kind, scale)
        warm(path)
        size = os.path.getsize(path)
        out = run_timed([floor, path], stdout=subprocess.PIPE)[2]
        packets = int(out.split()[0])
        variants = list(tools) + [("floor -d (pcap_dispatch)", lambda f: [floor, "-d", f]),
                                  ("floor -b 1MiB (stdio buffer)",
                                   lambda f: [floor, "-b", str(1 << 20), f])]
        targets = {}
        for tool, _ in variants:
            target, tpk = path, packets
            if tool == "tshark" and size > args.tshark_cap * 1e6:
                target = os.path.join(args.dir, name + "-tshark-prefix.pcap")
                if not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(path):
                    tpk = prefix(path, target, args.tshark_cap * 1e6)
                else:
                    tpk = prefix(path, os.devnull, args.tshark_cap * 1e6)
            targets[tool] = (target, packets / tpk)
        # interleaved: every tool once per round, so that a change in the
        # machine's load falls on all of them alike
        load0 = os.getloadavg()[0]
        got = {tool: ([], [], 0) for tool, _ in variants}
        broken = set()
        for _ in range(args.runs):
            for tool, argv in variants:
                if tool in broken:
                    continue
                try:
                    w, r, _, c = run_timed(argv(targets[tool][0]))
                except RuntimeError as e:
                    print("bench: %s" % e, file=sys.stderr)
                    failed = True
                    broken.add(tool)
                    continue
                walls, cpus, rss = got[tool]
                walls.append(w)
                cpus.append(c)
                got[tool] = (walls, cpus, max(rss, r))
        loads[name] = (load0, os.getloadavg()[0])
        for tool, _ in variants:
            walls, cpus, rss = got[tool]
            if tool in broken or not walls:
                continue
            scaled = targets[tool][1]
            wall = statistics.median(walls) * scaled
            cpu = statistics.median(cpus) * scaled
            results[(name, tool)] = (wall, rss, cpu)
            rows.append((name, tool + (" *" if scaled != 1.0 else ""), wall, packets / wall,
                         size / 1e6 / wall, rss / 1024.0, cpu))
        print("measured %s: %d packets, %.0f MB" % (name, packets, size / 1e6), flush=True)

    print()
    print("%-9s %-29s %8s %10s %7s %10s %8s %7s %7s" % (
        "capture", "tool", "wall s", "packets/s", "MB/s", "peak RSS", "x floor", "CPU s",
        "x floor"))
    print("%-9s %-29s %8s %10s %7s %10s %8s %7s %7s" % ("", "", "", "", "", "", "(wall)", "",
                                                       "(CPU)"))
    for name, tool, wall, pps, mbs, rss, cpu in rows:
        fl = results.get((name, "floor"))
        wr = "%.2f" % (fl[0] / wall) if fl else "-"
        cr = "%.2f" % (fl[2] / cpu) if fl and cpu > 0 else "-"
        print("%-9s %-29s %8.2f %10s %7.0f %7.1f MB %8s %7.2f %7s" % (
            name, tool, wall, fmt_rate(pps), mbs, rss, wr, cpu, cr))
    print("(median of %d interleaved runs; x floor = the floor's time / this one's, i.e.\n"
          " packets/s relative to the bare pcap_next_ex loop; CPU s = user + system, which other\n"
          " jobs on a shared machine do not inflate)" % args.runs)
    print("1-minute load average at the start and end of each capture's runs (%d cores): %s" % (
        os.cpu_count() or 0,
        ", ".join("%s %.2f-%.2f" % (n, a, b) for n, (a, b) in loads.items())))
    if any(t.endswith("*") for _, t, *_ in rows):
        print("* tshark read a %.0f MB prefix of the file; its time is scaled to the whole file "
              "by packets, its RSS is the prefix's (it grows with the file)" % args.tshark_cap)
    if missing:
        print("not installed, not timed: %s" % ", ".join(missing))

    print()
    print("targets:")
    limits = []
    for name, kind, _, _ in CAPTURES:
        m, fl = results.get((name, "mtuscope")), results.get((name, "floor"))
        if not m or not fl:
            continue
        # issue 18's goals: 0.8 of the floor on bulk TCP, 0.6 where connections are many
        want_floor = 0.8 if kind in ("bulk", "tunnel") else 0.6
        parts = ["%.2f of the floor (CPU %.2f; want >= %.1f)" % (
            ratio(fl[0], m[0]), ratio(fl[2], m[2]), want_floor)]
        m1 = results.get((name, "mtuscope 1 thread (-r - < F)"))
        if m1:
            parts[0] += "; in one thread %.2f (CPU %.2f)" % (ratio(fl[0], m1[0]), ratio(fl[2], m1[2]))
        for other, want in (("tshark", 50.0), ("tcptrace", 3.0)):
            o = results.get((name, other))
            if o:
                parts.append("%.1fx faster than %s (CPU %.1fx; want >= %.0fx)" % (
                    ratio(o[0], m[0]), other, ratio(o[2], m[2]), want))
        parts.append("peak RSS %.1f MB (want < 64)" % (m[1] / 1024.0))
        print("  %-9s %s" % (name, "\n            ".join(parts)))
        limits.extend(floor_limits(name, want_floor, m, fl, results, args))

    # issue 18's goals for the charts and for pairs: -o (the charts) within
    # 2x a plain run on bulk TCP, and a capture paired with itself within 2x
    # one input; interleaved rounds as above
    print()
    print("charts and pairs (median of %d interleaved rounds):" % args.runs)
    for name, pair_too in (("a-bulk", True), ("b-short", True)):
        path = os.path.join(args.dir, name + ".pcap")
        if not os.path.exists(path):
            continue
        warm(path)
        odir = os.path.join(args.dir, "o-" + name)
        kinds = [("plain", [args.mtuscope, "-r", path]),
                 ("-o", [args.mtuscope, "-o", odir, "-r", path])]
        if pair_too:
            kinds.append(("pair", [args.mtuscope, "-r", path, "-r", path]))
        walls = {k: [] for k, _ in kinds}
        cpus = {k: [] for k, _ in kinds}
        try:
            for _ in range(args.runs):
                for k, argv in kinds:
                    shutil.rmtree(odir, ignore_errors=True)
                    w, _, _, c = run_timed(argv)
                    walls[k].append(w)
                    cpus[k].append(c)
        except RuntimeError as e:
            print("bench: %s" % e, file=sys.stderr)
            failed = True
            continue
        shutil.rmtree(odir, ignore_errors=True)
        med = {k: statistics.median(v) for k, v in walls.items()}
        cmed = {k: statistics.median(v) for k, v in cpus.items()}
        line = "  %-9s plain %.2f s; -o %.2f s: %.2fx (CPU %.2fx; want <= 2x)" % (
            name, med["plain"], med["-o"], ratio(med["-o"], med["plain"]),
            ratio(cmed["-o"], cmed["plain"]))
        if pair_too:
            line += "; paired with itself %.2f s: %.2fx (CPU %.2fx; want <= 2x)" % (
                med["pair"], ratio(med["pair"], med["plain"]), ratio(cmed["pair"], cmed["plain"]))
            best = cmed["pair"] / cores() / med["plain"]
            if ratio(med["pair"], med["plain"]) > 2.0:
                limits.append(
                    "%s paired with itself: %.2f s of CPU, %.2fx the plain run's (%.2f s of CPU "
                    "in %.2f s: %.1f cores busy); on the %d cores here the pair cannot take less "
                    "than %.2f s, %.2fx a plain run, even with its two passes at once%s" % (
                        name, cmed["pair"], ratio(cmed["pair"], cmed["plain"]), cmed["plain"],
                        med["plain"], ratio(cmed["plain"], med["plain"]), cores(),
                        cmed["pair"] / cores(), best,
                        "; 2x needs more cores, or the pair under %.2f s of CPU (its passes "
                        "at once: not built)" % (2.0 * med["plain"] * cores())
                        if best > 2.0 else
                        "; 2x needs the two first passes run at once (not built)"))
        print(line, flush=True)

    if limits:
        print()
        print("what limits each goal missed here (%d cores):" % cores())
        for l in limits:
            print("  " + l.replace("\n", "\n    "))

    if not args.no_4x:
        print()
        print("peak RSS, same traffic at 1x and 4x length (mtuscope, one run):")
        for name, kind, scale, base in SCALED:
            path = generate(args, name, kind, scale)
            one = results.get((base, "mtuscope"))
            try:
                w, r, _, _ = run_timed([args.mtuscope, "-r", path])
            except RuntimeError as e:
                print("bench: %s" % e, file=sys.stderr)
                failed = True
                continue
            if one:
                print("  %-9s 1x %.1f MB, 4x %.1f MB (%+.1f%%; want within 10%%), 4x wall %.2f s" %
                      (base, one[1] / 1024.0, r / 1024.0, 100.0 * ratio(r - one[1], one[1]), w))
        # floods of connection attempts: 70,000 SYNs and the 200,200,
        # both far past the live-flow cap (8,192): every one is a flow that
        # never carries data, parked in compact form (flow.h), none forgotten
        for fname, fscale, what in (("syn-flood", 1.0, "70,000 SYNs"),
                                    ("syn-flood-200k", 2.86, "200,200 SYNs")):
            path = generate(args, fname, "synflood", fscale / args.scale)
            try:
                w, r, _, _ = run_timed([args.mtuscope, "-r", path])
                print("  SYN flood, %s from distinct addresses and ports: peak RSS %.1f MB "
                      "(want < 64), %.2f s" % (what, r / 1024.0, w))
            except RuntimeError as e:
                print("bench: %s" % e, file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
