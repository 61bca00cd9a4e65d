#!/usr/bin/env python3
"""The lab scenario matrix: draw scenarios, label captures, score mtuscope.

  matrix.py gen --seed S --n N > scenarios.tsv
      draws scenarios at random (from the seed alone) until their vantage
      points add up to at least N captures.  samples/lab/matrix-run.sh runs
      them in network namespaces and writes OUTDIR/manifest.tsv.

  matrix.py score --mtuscope ./mtuscope --dir OUTDIR --doc docs/ACCURACY.md
      labels every capture from its own scenario's configuration (never from
      what is in the capture), runs mtuscope --json on it (and on each
      client-outer + server-outer pair of one scenario), and writes the
      confusion matrix, bound containment and recommended-MTU exactness into
      the generated part of ACCURACY.md (between the markers; the rest of the
      file, the hand-written explanation of the misses, is kept).  Also writes
      OUTDIR/scores.tsv, one row per scored capture.

Only the standard library.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

# outer bytes a tunnel adds to each inner packet (IPv4 outer): WireGuard
# 20 IP + 8 UDP + 32 (type, receiver, counter, tag); VXLAN 20 + 8 + 8 + 14
OVERHEAD = {"none": 0, "wg": 60, "vxlan": 50}
DEFAULT_TUNNEL_MTU = {"wg": 1420, "vxlan": 1450}
HOST_MTU = 1500  # the end hosts' own links
VERDICTS = ["blackhole", "fragmentation-loss", "pmtud-working", "mss-clamped",
            "retransmission-storm", "healthy", "inconclusive"]
PROBLEMS = {"blackhole", "fragmentation-loss"}

COLS = ["id", "fam", "tunnel", "path", "tunmtu", "filter", "fragdrop", "df",
        "app", "bytes", "clamp", "snap", "vantages", "dns"]


# --------------------------------------------------------------- generator
def draw(rng, k):
    """One scenario, drawn from rng alone."""
    tun = rng.choices(["none", "wg", "vxlan"], [40, 35, 25])[0]
    path = 1500 if rng.random() < 0.08 else rng.randint(1200, 1500)
    ovh = OVERHEAD[tun]
    tunmtu = "-"
    if tun != "none":
        right = path - ovh
        kind = rng.choices(["right", "default", "toobig", "small"], [30, 30, 25, 15])[0]
        if kind == "right":
            tunmtu = right
        elif kind == "default":
            tunmtu = DEFAULT_TUNNEL_MTU[tun]
        elif kind == "toobig":
            tunmtu = rng.randint(min(right + 1, HOST_MTU - ovh), HOST_MTU - ovh)
        else:
            tunmtu = max(1200, right - rng.randint(1, 120))
    app = rng.choices(["download", "upload", "ssh", "dns", "mixed"], [30, 15, 15, 15, 25])[0]
    dns = "-"
    if app in ("dns", "mixed"):
        sizes = []
        for _ in range(rng.randint(3, 6)):
            sizes.append(rng.choice([rng.randint(60, 400), rng.randint(1000, 1472),
                                     rng.randint(1600, 4000)]))
        dns = ",".join(str(s) for s in sizes)
    clamp = "yes" if tun == "none" and app in ("download", "upload", "mixed") and rng.random() < 0.2 else "no"
    if tun == "none":
        pool = ["client-outer", "server-outer"]
        nv = rng.choice([1, 2, 2])
    else:
        pool = ["client-outer", "server-outer", "client-inner", "server-inner"]
        nv = rng.choice([2, 3, 4, 4])
    vs = sorted(rng.sample(pool, nv), key=pool.index)
    vants = []
    for v in vs:
        stop = "full" if rng.random() < 0.75 else "%.1f" % rng.uniform(1.0, 3.5)
        vants.append("%s@%s" % (v, stop))
    return {
        "id": "m%03d" % k, "fam": 4, "tunnel": tun, "path": path, "tunmtu": tunmtu,
        "filter": "yes" if rng.random() < 0.5 else "no",
        "fragdrop": "yes" if rng.random() < 0.3 else "no",
        "df": "on" if rng.random() < 0.75 else "off",
        "app": app, "bytes": 16384 * rng.randint(16, 32), "clamp": clamp,
        "snap": rng.choices([200, 128, 65535], [60, 20, 20])[0],
        "vantages": ",".join(vants), "dns": dns,
    }


def cmd_gen(a):
    rng = random.Random(a.seed)
    out = sys.stdout
    out.write("\t".join(COLS) + "\n")
    total, k = 0, 0
    while total < a.n:
        k += 1
        s = draw(rng, k)
        total += len(s["vantages"].split(","))
        out.write("\t".join(str(s[c]) for c in COLS) + "\n")
    sys.stderr.write("matrix: %d scenarios, %d captures (seed %s)\n" % (k, total, a.seed))


# ------------------------------------------------------------------ labels
def streams(sc):
    """The packet streams that test the path, from the configuration.

    Each is (what, outer IP size, outer DF set, non-first fragments cross the
    router, sender side).  Sizes follow from the hosts' 1500-byte links, the
    tunnel MTU and overhead, and the answer sizes the DNS client asks for."""
    tun, ovh = sc["tunnel"], OVERHEAD[sc["tunnel"]]
    dfon = sc["df"] == "on"
    out = []
    app = sc["app"]
    if app in ("download", "upload", "mixed"):
        side = "client" if app == "upload" else "server"
        if tun == "none":
            size = min(HOST_MTU, sc["path"]) if sc["clamp"] == "yes" else HOST_MTU
            out.append(("tcp", size, dfon, False, side))
        else:
            out.append(("tcp", sc["tunmtu"] + ovh, dfon, False, side))
    if app in ("dns", "mixed"):
        for n in sc["dns"]:
            ip = n + 28
            if tun == "none":
                if ip > HOST_MTU:  # fragmented by the answering kernel: DF clear
                    out.append(("udp-frag", HOST_MTU, False, True, "server"))
                elif ip > 576:
                    # one datagram; Linux UDP sockets default to
                    # IP_PMTUDISC_WANT: DF set while it fits the route MTU
                    out.append(("udp", ip, dfon, False, "server"))
            else:
                inner = min(ip, sc["tunmtu"])
                if inner > 576:
                    out.append(("udp", inner + ovh, dfon, False, "server"))
    return out


def stream_fate(sc, s):
    """What the path does to one stream, and why (physics of the lab)."""
    what, size, df, nonfirst, _ = s
    path, tun = sc["path"], sc["tunnel"]
    fragdrop = sc["fragdrop"] == "yes"
    filt = sc["filter"] == "yes"
    if size <= path:
        if nonfirst and fragdrop:
            return "fragmentation-loss"  # the sender's own fragments dropped
        return "ok"
    if not df:
        # the router fragments: non-first fragments meet the filter
        return "fragmentation-loss" if fragdrop else "ok-fragmented"
    if filt:
        return "blackhole"  # frag-needed dropped: nothing tells the sender
    if tun == "wg":
        # wireguard-go's UDP socket learns the PMTU; the kernel then
        # fragments the outer datagrams itself (DF clear)
        return "fragmentation-loss" if fragdrop else "pmtud-working"
    if tun == "none" and what == "udp":
        # the next answer of that size is fragmented by the sender (DF clear)
        return "fragmentation-loss" if fragdrop else "pmtud-working"
    return "pmtud-working"  # TCP lowers its MSS; VXLAN relays the ICMP inside


ORDER = ["blackhole", "fragmentation-loss", "pmtud-working", "mss-clamped", "healthy"]


def label(sc):
    """(verdict family, why) for the scenario."""
    st = streams(sc)
    if not st:
        return "inconclusive", "no packet near the MTU is ever sent (small packets only)"
    fates = [stream_fate(sc, s) for s in st]
    worst = "healthy"
    for f in fates:
        g = "healthy" if f in ("ok", "ok-fragmented") else f
        if ORDER.index(g) < ORDER.index(worst):
            worst = g
    if worst == "healthy" and sc["clamp"] == "yes" and sc["tunnel"] == "none" and sc["path"] < HOST_MTU:
        return "mss-clamped", "the router rewrites the MSS to the path"
    why = ", ".join(sorted(set("%s %d%s: %s" % (s[0], s[1], "" if s[2] else " DF-clear", f)
                               for s, f in zip(st, fates))))
    return worst, why


def true_bounds(sc):
    """(outer path MTU, inner path MTU or None, right setting)."""
    path, tun = sc["path"], sc["tunnel"]
    if tun == "none":
        return path, None, path
    right = path - OVERHEAD[tun]
    tunmtu = sc["tunmtu"]
    inner = min(tunmtu, right)
    oversize = tunmtu > right
    if oversize:
        filt, fragdrop = sc["filter"] == "yes", sc["fragdrop"] == "yes"
        if sc["df"] == "off" and not fragdrop:
            inner = tunmtu  # the outer is fragmented and reassembled
        elif sc["df"] == "on" and not filt and tun == "wg" and not fragdrop:
            inner = tunmtu  # after the ICMP, wireguard-go's kernel fragments
    return path, inner, right


def accepted(truth, vantage, sc):
    """Verdicts that are right for what this vantage point can see, with the
    physical reason.  The strict score counts only the truth itself."""
    ok = {truth}
    inner_view = vantage.endswith("inner")
    sender = streams(sc)[0][4] if streams(sc) else "server"
    if truth == "fragmentation-loss":
        # the fragments are made past a sender-side capture, and inside the
        # tunnel no outer header is visible: only the vanishing is seen
        if inner_view or vantage == "%s-outer" % sender:
            ok.add("blackhole")
    if truth == "pmtud-working":
        # the ICMP goes to the sender: the receiver, and the tunnel's inside,
        # only see packets that fit
        if inner_view or vantage != "%s-outer" % sender:
            ok.add("healthy")
    if truth in ("healthy", "pmtud-working") and sc["app"] == "dns" and vantage.startswith("server"):
        # UDP carries no acknowledgement: the answering side's capture cannot
        # show whether its large answers arrived
        ok.add("inconclusive")
    if truth in ("healthy", "pmtud-working") and sc["tunnel"] == "wg" and \
            vantage == "%s-outer" % sender:
        # WireGuard is opaque: at the sending end its full-size datagrams carry
        # the TTL their sender gave them and the later counters are its own;
        # whether they arrived is in the receiver's capture
        ok.add("inconclusive")
    if truth == "mss-clamped" and vantage != "pair":
        # one capture cannot tell a router's clamp from a host with a
        # smaller link: the SYN must be seen on both sides of the router
        ok.add("healthy")
    if truth in PROBLEMS:
        # two failures on one path at once (a DNS answer with DF set
        # black-holed, the fragments of a larger one dropped): each is real,
        # so naming either is right; the strict score keeps the label
        ok |= {stream_fate(sc, s) for s in streams(sc)} & PROBLEMS
    return ok


# ----------------------------------------------------------------- scoring
def read_manifest(d):
    rows = []
    with open(os.path.join(d, "manifest.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            rows.append(r)
    return rows


def scenario_of(r):
    sc = {
        "tunnel": r["tunnel"], "path": int(r["path_mtu"]),
        "tunmtu": int(r["tunnel_mtu"]) if r["tunnel_mtu"] != "-" else None,
        "filter": r["icmp_filtered"], "fragdrop": r["fragdrop"], "df": r["df"],
        "app": r["app"], "clamp": r["clamp"],
        "dns": [int(x) for x in r["dns_sizes"].split(",")] if r["dns_sizes"] != "-" else [],
    }
    return sc


def observed(r):
    """What the applications saw: a cross-check of the label."""
    bad = []
    if r["curl_exit"] not in ("-", "0"):
        bad.append("curl %s" % r["curl_exit"])
    for k in ("echo", "dns"):
        v = r[k]
        if v != "-":
            p = v.split()[-1]
            if "/" not in p or p.split("/")[0] != p.split("/")[1]:
                bad.append(v)
    return "ok" if not bad else "; ".join(bad)


def run_mtuscope(exe, files):
    cmd = [exe, "--json"]
    for f in files:
        cmd += ["-r", f]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"error": (p.stderr or "no output").strip()[:200]}


def bound_checks(rep, sc, r_layer_addrs):
    """[(kind, lower, upper, exact, truth, contained)] for every bound."""
    path, inner, right = true_bounds(sc)
    res = []
    zero = False
    outer_hosts, inner_hosts = r_layer_addrs
    for p in rep.get("paths", []):
        lo, up, ex = p.get("mtu_lower"), p.get("mtu_upper"), p.get("mtu")
        if 0 in (lo, up, ex):
            zero = True
        # by the addresses, not the layer: a capture on wg0 (raw IP) has the
        # tunnel's addresses as its outermost layer
        if {p.get("src"), p.get("dst")} <= outer_hosts:
            truth = path
        elif inner is not None and {p.get("src"), p.get("dst")} <= inner_hosts:
            truth = inner
        else:
            continue
        if lo is None and up is None and ex is None:
            continue
        c = (lo is None or lo <= truth) and (up is None or truth <= up) and (ex is None or ex == truth)
        res.append(("path-%s" % ("outer" if truth == path and {p.get("src"), p.get("dst")} <= outer_hosts
                                  else "inner"), lo, up, ex, truth, c))
    for t in rep.get("tunnels", []):
        lo, up = t.get("path_mtu_lower"), t.get("path_mtu_upper")
        if 0 in (lo, up):
            zero = True
        if lo is None and up is None:
            continue
        c = (lo is None or lo <= path) and (up is None or path <= up)
        res.append(("tunnel-path", lo, up, None, path, c))
    fix = (rep.get("verdict") or {}).get("fix") or {}
    lo, up = fix.get("path_lower"), fix.get("path_upper")
    if 0 in (lo, up):
        zero = True
    if lo is not None or up is not None:
        # the fix's bounds are of the path it names (path_src, path_dst):
        # by its addresses, as for paths above; a report without them, or a
        # path it does not name, is the outer path's
        ends = {fix.get("path_src"), fix.get("path_dst")}
        truth = path
        if inner is not None and ends <= inner_hosts and not ends <= outer_hosts:
            truth = inner
        c = (lo is None or lo <= truth) and (up is None or truth <= up)
        res.append(("fix", lo, up, None, truth, c))
    return res, zero


def recommended(rep, sc):
    """(given value or None, right value, where it came from)."""
    _, _, right = true_bounds(sc)
    fix = (rep.get("verdict") or {}).get("fix") or {}
    if fix.get("exact") and fix.get("mtu"):
        return fix["mtu"], right, "fix"
    for t in rep.get("tunnels", []):
        if t.get("recommended_mtu"):
            return t["recommended_mtu"], right, "tunnel"
    return None, right, None


def cmd_score(a):
    t0 = time.time()
    rows = read_manifest(a.dir)
    items = []  # (id, vantage, files, row)
    by_id = {}
    for r in rows:
        items.append((r["id"], r["vantage"], [os.path.join(a.dir, r["file"])], r))
        by_id.setdefault(r["id"], []).append(r)
    for sid, rs in by_id.items():
        full = {r["vantage"]: r for r in rs if r["stop"] == "full"}
        if "client-outer" in full and "server-outer" in full:
            items.append((sid, "pair", [os.path.join(a.dir, full[v]["file"]) for v in ("client-outer", "server-outer")],
                          full["client-outer"]))
    scores = []
    for sid, vantage, files, r in items:
        sc = scenario_of(r)
        truth, why = label(sc)
        rep = run_mtuscope(a.mtuscope, files)
        got = (rep.get("verdict") or {}).get("status", "error")
        inner_hosts = {"10.61.100.1", "10.61.100.2"} if sc["tunnel"] == "wg" else {"10.61.200.1", "10.61.200.2"}
        checks, zero = bound_checks(rep, sc, ({"10.61.1.2", "10.61.2.2"}, inner_hosts))
        rec, right, src = recommended(rep, sc)
        scores.append({
            "id": sid, "vantage": vantage, "stop": r["stop"] if vantage != "pair" else "full",
            "tunnel": sc["tunnel"], "path": sc["path"], "tunmtu": sc["tunmtu"] or "-",
            "filter": sc["filter"], "fragdrop": sc["fragdrop"], "df": sc["df"], "app": sc["app"],
            "clamp": sc["clamp"], "snap": r["snaplen"], "truth": truth, "why": why,
            "accepted": sorted(accepted(truth, vantage, sc)), "got": got,
            "observed": observed(r), "bounds": checks, "zero": zero,
            "rec": rec, "right": right, "rec_src": src,
            "summary": (rep.get("verdict") or {}).get("summary", rep.get("error", "")),
            "files": files,
        })
    with open(os.path.join(a.dir, "scores.tsv"), "w") as f:
        keys = ["id", "vantage", "stop", "tunnel", "path", "tunmtu", "filter", "fragdrop", "df", "app",
                "clamp", "snap", "truth", "got", "accepted", "observed", "rec", "right", "zero", "bounds", "why",
                "summary"]
        f.write("\t".join(keys) + "\n")
        for s in scores:
            f.write("\t".join(str(s[k]) for k in keys) + "\n")
    doc = write_doc(a, scores, time.time() - t0)
    print(doc)


def pct(n, d):
    return "%d/%d (%.0f%%)" % (n, d, 100.0 * n / d) if d else "0/0"


def write_doc(a, scores, secs):
    L = []
    n = len(scores)
    singles = [s for s in scores if s["vantage"] != "pair"]
    L.append("Generated by `make lab-matrix N=%s SEED=%s` (samples/lab/matrix.py score) from %d "
             "scenarios: %d captures and %d client+server pairs, %d scored in all. Scoring took %.0f s; "
             "recording took %s." % (a.n or "?", a.seed or "?", len({s["id"] for s in scores}),
                                     len(singles), n - len(singles), n, secs,
                                     a.record_time or "(not measured)"))
    L.append("")
    strict = sum(1 for s in scores if s["got"] == s["truth"])
    acc = sum(1 for s in scores if s["got"] in s["accepted"])
    wrong = [s for s in scores if s["got"] not in s["accepted"] and s["got"] != "inconclusive"]
    silent = [s for s in scores if s["got"] not in s["accepted"] and s["got"] == "inconclusive"]
    L.append("| measure | value |")
    L.append("|---|---|")
    L.append("| verdict = label (strict) | %s |" % pct(strict, n))
    L.append("| verdict right for what the vantage point can see | %s |" % pct(acc, n))
    L.append("| missed: another confident verdict | %s |" % pct(len(wrong), n))
    L.append("| missed: inconclusive | %s |" % pct(len(silent), n))
    # healthy claimed on a broken path: the worst kind of miss
    hb = [s for s in scores if s["got"] == "healthy" and s["truth"] in PROBLEMS]
    L.append("| \"healthy\" on a path that loses packets | %s |" % pct(len(hb), n))
    nb = sum(len(s["bounds"]) for s in scores)
    nc = sum(1 for s in scores for b in s["bounds"] if b[5])
    L.append("| bounds containing the true path MTU | %s |" % pct(nc, nb))
    caps_all = sum(1 for s in scores if s["bounds"] and all(b[5] for b in s["bounds"]))
    caps_b = sum(1 for s in scores if s["bounds"])
    L.append("| captures whose every bound contains it | %s |" % pct(caps_all, caps_b))
    L.append("| captures with a bound of 0 | %s |" % pct(sum(1 for s in scores if s["zero"]), n))
    given = [s for s in scores if s["rec"] is not None]
    exact = [s for s in given if s["rec"] == s["right"]]
    L.append("| exact MTU recommended, and right | %s |" % pct(len(exact), len(given)))
    need = [s for s in scores if s["truth"] in PROBLEMS | {"pmtud-working"}]
    L.append("| problem captures (blackhole, fragmentation-loss, pmtud-working) with an exact MTU | %s |"
             % pct(sum(1 for s in need if s["rec"] is not None), len(need)))
    L.append("")
    L.append("### Confusion matrix (rows: label from the configuration; columns: mtuscope)")
    L.append("")
    cols = [v for v in VERDICTS if any(s["got"] == v or s["truth"] == v for s in scores)]
    cols += sorted({s["got"] for s in scores} - set(cols))
    L.append("| label \\ mtuscope | " + " | ".join(cols) + " | total |")
    L.append("|---" * (len(cols) + 2) + "|")
    for t in cols:
        row = [s for s in scores if s["truth"] == t]
        if not row:
            continue
        L.append("| **%s** | " % t + " | ".join(str(sum(1 for s in row if s["got"] == c)) or "0" for c in cols)
                 + " | %d |" % len(row))
    L.append("")
    L.append("### Right for the vantage point, by vantage point and by tunnel")
    L.append("")
    L.append("| group | right | strict |")
    L.append("|---|---|---|")
    for key, vals in (("vantage", ["client-outer", "server-outer", "client-inner", "server-inner", "pair"]),
                      ("tunnel", ["none", "wg", "vxlan"]), ("app", ["download", "upload", "ssh", "dns", "mixed"]),
                      ("stop", None)):
        if vals is None:
            vals = ["full", "early"]
            grp = lambda s, v: (s["stop"] == "full") == (v == "full")
        else:
            grp = lambda s, v: s[key] == v
        for v in vals:
            g = [s for s in scores if grp(s, v)]
            if g:
                L.append("| %s %s | %s | %s |" % (key, v, pct(sum(1 for s in g if s["got"] in s["accepted"]), len(g)),
                                                  pct(sum(1 for s in g if s["got"] == s["truth"]), len(g))))
    L.append("")
    L.append("### Every miss")
    L.append("")
    L.append("Scenario: tunnel/tunnel MTU, path MTU, ICMP filtered, fragments dropped, DF, application, "
             "clamp, snap length, stop (seconds after the applications started, or full). Observed: what "
             "curl and the small apps saw.")
    L.append("")
    L.append("| capture | scenario | label | mtuscope | observed | mtuscope's summary |")
    L.append("|---|---|---|---|---|---|")
    for s in scores:
        if s["got"] in s["accepted"]:
            continue
        L.append("| %s %s | %s/%s path %s icmp-filt %s fragdrop %s df %s %s clamp %s snap %s stop %s | %s | %s | %s | %s |" % (
            s["id"], s["vantage"], s["tunnel"], s["tunmtu"], s["path"], s["filter"], s["fragdrop"], s["df"],
            s["app"], s["clamp"], s["snap"], s["stop"], s["truth"], s["got"], s["observed"],
            s["summary"].replace("|", "\\|")[:220]))
    L.append("")
    L.append("### Bounds that miss the true path MTU, and wrong recommendations")
    L.append("")
    L.append("| capture | kind | lower | upper | exact | true |")
    L.append("|---|---|---|---|---|---|")
    for s in scores:
        for b in s["bounds"]:
            if not b[5]:
                L.append("| %s %s | %s | %s | %s | %s | %s |" % (s["id"], s["vantage"], b[0], b[1], b[2], b[3], b[4]))
        if s["rec"] is not None and s["rec"] != s["right"]:
            L.append("| %s %s | recommended (%s) | | | %s | %s |" % (s["id"], s["vantage"], s["rec_src"], s["rec"], s["right"]))
    gen = "\n".join(L)
    if a.doc:
        begin, end = "<!-- matrix:generated:begin -->", "<!-- matrix:generated:end -->"
        old = open(a.doc).read() if os.path.exists(a.doc) else (
            "# Accuracy on the lab scenario matrix\n\n%s\n%s\n\n## The misses, explained\n\n(to be written)\n" % (begin, end))
        i, j = old.index(begin), old.index(end)
        open(a.doc, "w").write(old[:i + len(begin)] + "\n" + gen + "\n" + old[j:])
    return gen


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--seed", required=True)
    g.add_argument("--n", type=int, required=True)
    s = sub.add_parser("score")
    s.add_argument("--mtuscope", required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--doc")
    s.add_argument("--n")
    s.add_argument("--seed")
    s.add_argument("--record-time", dest="record_time")
    a = ap.parse_args()
    if a.cmd == "gen":
        a.seed = int(a.seed) if a.seed.isdigit() else a.seed
        cmd_gen(a)
    else:
        cmd_score(a)


if __name__ == "__main__":
    main()
