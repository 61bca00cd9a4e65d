#!/usr/bin/env python3
"""report_checks.py - the outputs of `mtuscope -o DIR`, for every sample.

    python3 tests/report_checks.py BINARY [SAMPLE...]

For each sample (default: every samples/*.pcap and *.pcapng):
  - report.json is valid JSON and valid against docs/report.schema.json
    (checked by the small validator below: the schema subset that file uses);
  - report.txt, report.html (its table of contents linking every section
    and chart) and the five kinds of charts exist: for each
    chart NAME.dat, NAME.gp, and NAME.png (a 1200x700 PNG; the ladder 1200
    wide, taller with more arrows) and NAME.svg written by gnuplot;
  - the charts agree with the JSON: the timeline counts every TCP
    retransmission, the goodput chart has one point per TCP flow that sent
    data, each time-sequence graph marks its flow's retransmissions.
Then exact values on known samples, the ladder diagram of the incident (one
capture and the matched client/server pair) and of PMTUD working, --no-plots, standard input (the
second-pass charts are skipped with a note), gnuplot missing (data and scripts
written, one line on stderr), and report.html rendered in headless Chromium
(screenshot non-empty, the verdict and every chart's SVG in the DOM, no
console message).  Exits 1 on the first failed sample's end, listing them.
"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "docs", "report.schema.json")
CHART_KINDS = ("size-delivery", "tsg", "retrans-timeline", "goodput", "ladder")  # tsg: tsg-flowN

failures = []


def fail(what):
    failures.append(what)
    print("FAIL:", what)


# ---- a JSON Schema validator for the subset docs/report.schema.json uses:
# type (string or list), enum, required, properties, items, minimum, maximum,
# minLength, $ref to "#/$defs/NAME".  Unknown keywords are an error, so the
# schema cannot silently use something this validator ignores.
KNOWN = {"$schema", "$id", "title", "description", "type", "enum", "required", "properties",
         "items", "minimum", "maximum", "minLength", "$ref", "$defs"}


def type_ok(value, t):
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    raise ValueError("schema uses unknown type %r" % t)


def validate(value, schema, root, path="$"):
    """Returns a list of error strings."""
    unknown = set(schema) - KNOWN
    if unknown:
        return ["%s: schema keywords not supported by the validator: %s" % (path, sorted(unknown))]
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            return ["%s: unsupported $ref %s" % (path, ref)]
        return validate(value, root["$defs"][ref[len("#/$defs/"):]], root, path)
    errs = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_ok(value, t) for t in types):
            return ["%s: %r is not of type %s" % (path, value, "/".join(types))]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not in %s" % (path, value, schema["enum"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: %r < minimum %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: %r > maximum %r" % (path, value, schema["maximum"]))
    if isinstance(value, str) and "minLength" in schema and len(value) < schema["minLength"]:
        errs.append("%s: %r shorter than %d" % (path, value, schema["minLength"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: missing required %r" % (path, k))
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                errs += validate(value[k], sub, root, "%s.%s" % (path, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(v, schema["items"], root, "%s[%d]" % (path, i))
    return errs


def validator_self_test(schema):
    """The validator must be able to fail: broken reports are rejected."""
    good = {"tool": {"name": "mtuscope", "version": "0.1.0"}}
    sub = schema["properties"]["tool"]
    assert validate(good["tool"], sub, schema) == []
    assert validate({"name": "other", "version": "0.1.0"}, sub, schema)
    assert validate({"name": "mtuscope"}, sub, schema)
    flow = schema["$defs"]["flow"]
    assert validate({"id": 0}, flow, schema)  # minimum, and every required field
    assert validate(True, schema["$defs"]["count"], schema)  # a bool is no integer
    assert validate(None, schema["$defs"]["size_or_null"], schema) == []
    assert validate(-1, schema["$defs"]["size_or_null"], schema)


# ---- files


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, **kw)


def chart_stems(out):
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(out, "*.gp")))


def data_rows(path, block=0):
    """Rows of one gnuplot data block (blocks are separated by two blank lines)."""
    blocks = re.split(r"\n\s*\n\s*\n", open(path).read())
    if block >= len(blocks):
        return []
    return [l.split() for l in blocks[block].splitlines() if l.strip() and not l.startswith("#")]


def check_sample(binary, schema, sample, outroot):
    name = os.path.splitext(os.path.basename(sample))[0]
    out = os.path.join(outroot, name)
    r = run([binary, "-o", out, "-r", sample])
    if r.returncode not in (0, 1):
        fail("%s: exit %d: %s" % (name, r.returncode, r.stderr.decode(errors="replace")[-300:]))
        return None
    # "mtuscope: wrote N files into DIR: ... gnuplot.log ..." lists the files, gnuplot.log
    # among them: any other line naming gnuplot is a complaint
    said = [l for l in r.stderr.decode(errors="replace").splitlines()
            if not l.startswith(("mtuscope: wrote ", "mtuscope: removed "))]
    if any("gnuplot" in l for l in said):
        fail("%s: gnuplot complained: %s" % (name, "\n".join(said)[-300:]))
    for f in ("report.txt", "report.json", "report.html"):
        if not os.path.getsize(os.path.join(out, f)):
            fail("%s: %s is empty" % (name, f))
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    errs = validate(rep, schema, schema)
    for e in errs[:5]:
        fail("%s: report.json: %s" % (name, e))

    stems = chart_stems(out)
    for kind in CHART_KINDS:
        if not any(s.startswith(kind) for s in stems):
            fail("%s: no %s chart (charts: %s)" % (name, kind, stems))
    for s in stems:
        for ext in ("dat", "gp", "svg"):
            p = os.path.join(out, "%s.%s" % (s, ext))
            if not os.path.exists(p) or os.path.getsize(p) == 0:
                fail("%s: %s.%s missing or empty" % (name, s, ext))
        size = png_size(os.path.join(out, s + ".png")) if os.path.exists(
            os.path.join(out, s + ".png")) else None
        # the ladder diagram grows with its rows (one per arrow), up to 1800 pixels
        if s == "ladder" and size and size[0] == 1200 and 700 <= size[1] <= 1800:
            pass
        elif size != (1200, 700):
            fail("%s: %s.png is %s, not a 1200x700 PNG" % (name, s, size))
        svg = os.path.join(out, s + ".svg")
        if os.path.exists(svg) and "<svg" not in open(svg).read():
            fail("%s: %s.svg holds no <svg>" % (name, s))

    # the page is a handout: a table of contents links every section and chart
    html = open(os.path.join(out, "report.html")).read()
    nav = re.search(r'<nav id="contents">(.*?)</nav>', html)
    for s in stems:
        if not nav or ('href="#chart-%s"' % s) not in nav.group(1) or \
                ('id="chart-%s"' % s) not in html:
            fail("%s: the table of contents does not link chart %s" % (name, s))
    for sec in ("verdict", "charts", "flows", "text"):
        if not nav or ('href="#%s"' % sec) not in nav.group(1) or ('id="%s"' % sec) not in html:
            fail("%s: the table of contents does not link section %s" % (name, sec))

    # the charts say what the JSON says
    tl = os.path.join(out, "retrans-timeline.dat")
    if os.path.exists(tl):
        total = sum(int(row[1]) for row in data_rows(tl))
        want = rep["stats"]["tcp_retransmissions"]
        if total != want:
            fail("%s: timeline counts %d retransmissions, the JSON %d" % (name, total, want))
    gpf = os.path.join(out, "goodput.dat")
    if os.path.exists(gpf):
        n = len(data_rows(gpf))
        want = sum(1 for fl in rep["flows"] if fl["proto"] == "tcp" and (
            fl["client_to_server"]["delivery"]["sent"] + fl["server_to_client"]["delivery"]["sent"]))
        if n != want:
            fail("%s: goodput chart has %d points, the JSON %d TCP flows with data" % (name, n, want))
        # a point's colour is its flow's diagnosis: a black hole that did not heal is red
        # even seen from the receiver, where nothing stalls (issue 16 item 7)
        byid = {fl["id"]: fl for fl in rep["flows"]}
        for row in data_rows(gpf):
            fl = byid.get(int(row[4]))
            bad = fl and (fl["stalled"] or (fl["blackhole"] and not fl["blackhole"]["healed"]))
            if fl and bool(bad) != (row[2] == "2"):
                fail("%s: goodput chart colours flow %s with status %s, the JSON says %s" % (
                    name, row[4], row[2], "stalled or a black hole" if bad else "not"))
    flows = {fl["id"]: fl for fl in rep["flows"]}
    for s in stems:
        m = re.match(r"tsg-flow(\d+)$", s)
        if not m:
            continue
        fl = flows.get(int(m.group(1)))
        if fl is None:
            fail("%s: %s draws a flow the JSON does not list" % (name, s))
            continue
        retx = sum(1 for row in data_rows(os.path.join(out, s + ".dat")) if row[1] == "1")
        d = max(("client_to_server", "server_to_client"),
                key=lambda k: (fl[k]["stalled"], fl[k]["retransmissions"], fl[k]["bytes"]))
        if retx != fl[d]["retransmissions"]:
            fail("%s: %s marks %d retransmissions, the JSON %d (%s)" % (
                name, s, retx, fl[d]["retransmissions"], d))
    return rep


def check_exact(outroot):
    """Known numbers of two lab traces (samples/README.md tells their story)."""
    bh = os.path.join(outroot, "lab-tcp4-blackhole-path1300-server-outer")
    rows = {int(r[0]): r[1:4] for r in data_rows(os.path.join(bh, "size-delivery-s2c.dat"))}
    # the server's 1500-byte segments: 18 sent, none delivered, 7 only ever retransmitted
    if rows.get(1500) != ["18", "0", "7"]:
        fail("blackhole: size-delivery-s2c 1500 bytes: %s, want sent 18 delivered 0 lost 7"
             % rows.get(1500))
    if os.path.exists(os.path.join(bh, "size-delivery-c2s.dat")):
        fail("blackhole: a client->server size chart although that direction lost nothing")
    tsg = data_rows(os.path.join(bh, "tsg-flow2.dat"))
    retx = [r for r in tsg if r[1] == "1"]
    if len(retx) != 6 or any(r[2:] != retx[0][2:] for r in retx):
        fail("blackhole: tsg-flow2 should show 6 retransmissions of one segment: %s" % retx)
    gp = open(os.path.join(bh, "tsg-flow2.gp")).read()
    if "set object 1 rect" not in gp or "stalled from frame 20" not in gp:
        fail("blackhole: tsg-flow2.gp does not shade the stall from frame 20")
    ok = os.path.join(outroot, "lab-tcp4-pmtud-ok-path1300-server-outer")
    rows = {int(r[0]): r[1:4] for r in data_rows(os.path.join(ok, "size-delivery-s2c.dat"))}
    if rows.get(1500, [None])[1] != "0" or rows.get(1300, [None, "0"])[1] == "0":
        fail("pmtud-ok: 1500-byte segments must be undelivered and 1300-byte ones delivered: %s"
             % {k: rows.get(k) for k in (1300, 1500)})


def ladder_arrows(out):
    """The ladder's arrows: (x1, y1, x2, y2, style) and their labels, by row."""
    arrows = [tuple(map(float, r[:4])) + (int(r[4]),)
              for r in data_rows(os.path.join(out, "ladder.dat"), 0) if r[4] != "0"]
    text = open(os.path.join(out, "ladder.dat")).read().split("\n\n\n")[1]
    labels = re.findall(r'^\S+ \S+ (\d) "([^"]*)"', text, re.M)
    return arrows, [(int(st), t) for st, t in labels if st != "0"]


def ladder_rendered(name, out):
    png = os.path.join(out, "ladder.png")
    size = png_size(png) if os.path.exists(png) else None
    if not size or size[0] != 1200 or not 700 <= size[1] <= 1800 or \
            not os.path.getsize(os.path.join(out, "ladder.svg")):
        fail("%s: the ladder diagram was not rendered (png %s)" % (name, size))
        return False
    return True


def check_ladder(binary, outroot, tmp):
    """The ladder diagram tells the stories of samples/README.md (issue 19)."""
    # the incident from the sending end: 1420-byte segments end on the path, the
    # first re-sent six times at doubling gaps, the 209-byte reply crossed
    name = "lab-incident-wg1420-path1434-server-wg"
    out = os.path.join(outroot, name)
    if ladder_rendered(name, out):
        arrows, labels = ladder_arrows(out)
        lost = [a for a in arrows if a[4] == 2]
        if not lost or any(a[2] != 0.5 for a in lost):
            fail("%s: the lost arrows must end on the path: %s" % (name, lost))
        resent = [t for st, t in labels if t == "1420 B re-sent, lost"]
        if len(resent) != 6 or ("209 B" not in [t for st, t in labels if st == 1]):
            fail("%s: want 6 re-sends lost and the 209-byte reply crossed: %s" % (name, labels))
        gaps = [float(r[3].strip('"+')) for r in data_rows(os.path.join(out, "ladder.dat"), 3)
                if r[2] == "1"][:6]
        if len(gaps) < 6 or any(not 1.7 < b / a < 2.3 for a, b in zip(gaps, gaps[1:])):
            fail("%s: the re-send gaps should double: %s" % (name, gaps))
    # the same connection from both ends: the loss is measured between the captures
    out = os.path.join(tmp, "ladder-pair")
    pre = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-")
    r = run([binary, "-q", "-o", out, "-r", pre + "client-wg.pcap", "-r", pre + "server-wg.pcap"])
    if r.returncode != 0 or not os.path.isdir(out):
        fail("ladder pair: exit %d" % r.returncode)
    elif ladder_rendered("ladder pair", out):
        gp = open(os.path.join(out, "ladder.gp")).read()
        arrows, labels = ladder_arrows(out)
        if "two captures matched" not in gp or "(between the captures)" not in gp or \
                gp.count("captured here") != 2:
            fail("ladder pair: not drawn as two matched captures")
        if not any(st == 2 and t.startswith("1420 B, lost") for st, t in labels) or \
                not any(st == 1 and t == "209 B" for st, t in labels):
            fail("ladder pair: the 1420-byte loss and the 209-byte delivery: %s" % labels)
    # a chosen flow: the SSH-like echo next to the stalled download crosses whole
    out = os.path.join(tmp, "ladder-flow1")
    r = run([binary, "-q", "--ladder-flow=1", "-o", out, "-r", pre + "server-wg.pcap"])
    if r.returncode != 0 or not ladder_rendered("ladder --ladder-flow=1", out):
        fail("ladder --ladder-flow=1: exit %d" % r.returncode)
    else:
        gp = open(os.path.join(out, "ladder.gp")).read()
        arrows, labels = ladder_arrows(out)
        if "flow #1: 10.61.100.1:52032 <-> 10.61.100.2:2222" not in gp or \
                any(a[4] == 2 for a in arrows) or not arrows:
            fail("ladder --ladder-flow=1: not the echo flow crossing whole: %s" % labels)
    # PMTUD working: 1500-byte segments lost, frag-needed MTU 1300 back to the
    # server, the bytes re-sent at 1300 bytes cross (the heal)
    name = "lab-tcp4-pmtud-ok-path1300-server-outer"
    out = os.path.join(outroot, name)
    if ladder_rendered(name, out):
        arrows, labels = ladder_arrows(out)
        icmp = [a for a in arrows if a[4] == 4]
        if not icmp or any(a[0] != 0.5 or a[2] != 1.0 for a in icmp) or \
                not any(t.startswith("frag-needed: MTU 1300") for st, t in labels if st == 4):
            fail("%s: frag-needed must come back from the path to the server: %s" % (name, icmp))
        if not any(st == 7 and t.startswith("1300 B re-sent") for st, t in labels) or \
                not any(st == 2 and t.startswith("1500 B, lost") for st, t in labels):
            fail("%s: want 1500 B lost and 1300 B re-sent crossing: %s" % (name, labels))


def check_modes(binary, tmp):
    sample = os.path.join(ROOT, "samples", "lab-tcp4-blackhole-path1300-server-outer.pcap")
    # --no-plots: the reports, no chart
    out = os.path.join(tmp, "noplots")
    r = run([binary, "--no-plots", "-o", out, "-r", sample])
    if r.returncode != 0 or glob.glob(os.path.join(out, "*.gp")) or not os.path.exists(
            os.path.join(out, "report.html")):
        fail("--no-plots: exit %d, files %s" % (r.returncode, sorted(os.listdir(out))))
    # standard input: no second read, so no ladder, and a note says so; the
    # time-sequence graph and the timeline come from the first pass's
    # records (plots_spill.h), the same data as from the file
    out = os.path.join(tmp, "stdin")
    with open(sample, "rb") as f:
        r = subprocess.run([binary, "-o", out, "-r", "-"], stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
    stems = chart_stems(out) if os.path.isdir(out) else []
    html = open(os.path.join(out, "report.html")).read() if stems else ""
    if r.returncode != 0 or any(s.startswith("ladder") for s in stems) or \
            not any(s.startswith("tsg-flow") for s in stems) or "retrans-timeline" not in stems or \
            "ladder diagram is not drawn" not in html or "cannot be read twice" not in html or \
            "goodput" not in stems:
        fail("stdin: exit %d, charts %s" % (r.returncode, stems))
    from_file = os.path.join(tmp, "stdin-file")
    run([binary, "-o", from_file, "-r", sample])
    for st in stems:
        if st.startswith(("tsg-flow", "retrans-timeline")):
            a = open(os.path.join(out, st + ".dat"), "rb").read()
            b = open(os.path.join(from_file, st + ".dat"), "rb").read()
            if a != b:
                fail("stdin: %s.dat differs from the file's" % st)
    # gnuplot missing: data and scripts, one line saying how to render
    out = os.path.join(tmp, "nognuplot")
    env = dict(os.environ, PATH=os.path.join(tmp, "empty-path"))
    os.makedirs(env["PATH"], exist_ok=True)
    r = run([binary, "-o", out, "-r", sample], env=env)
    lines = [l for l in r.stderr.decode(errors="replace").splitlines()
             if not l.startswith(("mtuscope: wrote ", "mtuscope: removed "))]
    stems = chart_stems(out)
    if r.returncode != 0 or len(lines) != 1 or "gnuplot not found" not in lines[0] or \
            len(stems) < 4 or glob.glob(os.path.join(out, "*.png")):
        fail("no gnuplot: exit %d, stderr %s, charts %s" % (r.returncode, lines, stems))


def check_browser(outroot, rep_name, rep):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        fail("chromium is not installed (make deps-test installs it)")
        return
    out = os.path.join(outroot, rep_name)
    html = os.path.join(out, "report.html")
    page = open(html).read()
    # the one script is inline (the fix's copy buttons): nothing is loaded
    if re.search(r"<script[^>]*\bsrc=|<link|src=\"http|url\(http|fetch\(|XMLHttpRequest", page):
        fail("report.html loads something external")
    # every copy button copies a block that is on the page, whole
    for ref in re.findall(r'data-copy="([^"]+)"', page):
        if f'<code id="{ref}"' not in page:
            fail(f"report.html: a copy button for {ref}, which is not on the page")
    if 'class="copy"' in page and "<script>" not in page:
        fail("report.html: copy buttons without their script")
    profile = tempfile.mkdtemp(prefix="mtuscope-chromium-")
    shot = os.path.join(out, "report-screenshot.png")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--disable-default-apps", "--user-data-dir=" + profile, "--window-size=1200,900",
             "--enable-logging=stderr", "--v=0"]
    try:
        r = run([browser] + flags + ["--screenshot=" + shot, "file://" + html])
        size = png_size(shot) if os.path.exists(shot) else None
        if not size or os.path.getsize(shot) < 20000:
            fail("chromium screenshot missing or blank: %s, %s bytes" % (
                size, os.path.getsize(shot) if os.path.exists(shot) else 0))
        console = [l for l in r.stderr.decode(errors="replace").splitlines() if "CONSOLE" in l]
        r = run([browser] + flags + ["--dump-dom", "file://" + html])
        dom = r.stdout.decode(errors="replace")
        console += [l for l in r.stderr.decode(errors="replace").splitlines() if "CONSOLE" in l]
        if console:
            fail("chromium console: %s" % console[:3])
        status = rep["verdict"]["status"]
        if not re.search(r'<section id="verdict"[^>]*>\s*<h2>Verdict: %s</h2>' % re.escape(status),
                         dom):
            fail("chromium DOM: no verdict %r" % status)
        nsvg = len(re.findall(r"<svg[\s>]", dom))
        ncharts = len(chart_stems(out))
        if nsvg != ncharts or ncharts < 4:
            fail("chromium DOM: %d inline SVG charts, %d charts written" % (nsvg, ncharts))
        # the flow table's rows (the comparison's table has rows of its own)
        m = re.search(r'<section id="flows">.*?</section>', dom, re.S)
        rows = (m.group(0) if m else "").count("<tr class=")
        if rows != len(rep["flows"]):
            fail("chromium DOM: flow table rows %d, JSON flows %d" % (rows, len(rep["flows"])))
        print("  chromium: screenshot %s (%d bytes), %d SVG charts, verdict %s" % (
            size, os.path.getsize(shot), nsvg, status))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    samples = sys.argv[2:] or sorted(glob.glob(os.path.join(ROOT, "samples", "*.pcap")) +
                                     glob.glob(os.path.join(ROOT, "samples", "*.pcapng")))
    schema = json.load(open(SCHEMA))
    validator_self_test(schema)
    tmp = tempfile.mkdtemp(prefix="mtuscope-report-checks-")
    try:
        reports = {}
        for s in samples:
            rep = check_sample(binary, schema, s, tmp)
            if rep is not None:
                reports[os.path.splitext(os.path.basename(s))[0]] = rep
        print("report_checks: %d samples: JSON schema-valid, reports and charts written" %
              len(reports))
        if len(sys.argv) == 2:
            check_exact(tmp)
            check_ladder(binary, tmp, tmp)
            check_modes(binary, tmp)
            name = "lab-incident-wg1420-path1434-server-wg"
            check_browser(tmp, name, reports[name])
    finally:
        if failures:
            print("outputs kept in", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("report_checks: %d failures" % len(failures))
        sys.exit(1)
    print("report_checks: OK")


if __name__ == "__main__":
    main()
