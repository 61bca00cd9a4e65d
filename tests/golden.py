#!/usr/bin/env python3
"""golden.py - the text and JSON reports of every sample and every pair of
vantage points, frozen, so that moving the inference and output code
(issue 12) is proven to change no word and no number it did not mean to.

Usage: golden.py MTUSCOPE [--update]

Cases (tests/golden/CASE.txt, CASE.short.txt and CASE.json, each the exact
stdout: the whole text report (--full: every section, what -v prints without
its flow list and layer counts), the short one (the default) and the JSON):
  - every samples/*.pcap and *.pcapng alone;
  - for every lab scenario, the two ends' outer captures together, the two
    ends' tunnel-interface captures together, and one host's outer and
    tunnel captures together (the pairs e2e.py checks, and their siblings);
  - the four captures of the incident (make demo).
Every run is from the repository root with relative paths, so the reports
hold no machine-specific text.  --update rewrites the files: do it only when
a change of the reports is meant, and say so in the commit.
A difference prints a unified diff of the first lines that differ.
"""
import difflib
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GOLDEN = os.path.join(HERE, "golden")


def cases():
    samples = sorted(os.path.relpath(p, ROOT) for p in
                     glob.glob(os.path.join(ROOT, "samples", "*.pcap")) +
                     glob.glob(os.path.join(ROOT, "samples", "*.pcapng")))
    out = [(os.path.basename(p).rsplit(".", 1)[0], [p]) for p in samples]
    lab = {}
    for p in samples:
        b = os.path.basename(p)
        if b.startswith("lab-"):
            stem, _, rest = b.rsplit(".", 1)[0].rpartition("-")
            scen, _, host = stem.rpartition("-")
            lab.setdefault(scen, {})[f"{host}-{rest}"] = p
    for scen, v in sorted(lab.items()):
        inner = next((k.split("-", 1)[1] for k in v if not k.endswith("outer")), None)
        combos = [("outer", "client-outer", "server-outer")]
        if inner:
            combos += [(inner, f"client-{inner}", f"server-{inner}"),
                       ("client-host", "client-outer", f"client-{inner}"),
                       ("server-host", "server-outer", f"server-{inner}")]
        for name, a, b in combos:
            if a in v and b in v:
                out.append((f"pair-{scen}-{name}", [v[a], v[b]]))
    demo = [f"samples/lab-incident-wg1420-path1434-{x}.pcap"
            for x in ("client-outer", "client-wg", "server-outer", "server-wg")]
    out.append(("demo-incident-four", demo))
    return out


def report(binary, files, mode):
    args = [binary] + {"json": ["--json"], "txt": ["--full"], "short.txt": []}[mode]
    for f in files:
        args += ["-r", f]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1")
    p = subprocess.run(args, cwd=ROOT, capture_output=True, env=env, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    binary = os.path.abspath(sys.argv[1])
    update = "--update" in sys.argv[2:]
    os.makedirs(GOLDEN, exist_ok=True)
    passed = failed = 0
    want_names = set()
    for name, files in cases():
        for ext in ("txt", "short.txt", "json"):
            path = os.path.join(GOLDEN, f"{name}.{ext}")
            want_names.add(os.path.basename(path))
            rc, got = report(binary, files, ext)
            got = f"# exit {rc}\n" + got
            if update:
                with open(path, "w") as f:
                    f.write(got)
                passed += 1
                continue
            try:
                with open(path) as f:
                    want = f.read()
            except FileNotFoundError:
                want = None
            if got == want:
                passed += 1
                continue
            failed += 1
            print(f"FAIL golden {name}.{ext} ({' '.join(files)})")
            if want is None:
                print("  no golden file: run tests/golden.py MTUSCOPE --update")
                continue
            diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                             "golden", "now", lineterm="", n=1))
            for line in diff[:40]:
                print("  " + line[:300])
    stale = sorted(set(os.listdir(GOLDEN)) - want_names)
    if stale and not update:
        failed += 1
        print(f"FAIL golden files of no case: {stale}")
    elif stale:
        for s in stale:
            os.remove(os.path.join(GOLDEN, s))
    print(f"golden: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
