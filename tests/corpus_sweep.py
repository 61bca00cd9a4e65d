#!/usr/bin/env python3
"""Runs mtuscope over every capture of the public corpus (../shared/corpus).

For each file listed in the corpus's INDEX.tsv:
  * mtuscope --json -r FILE exits 0, or 1 with a one-line message on stderr
    that names the file (a clean error), never anything else;
  * stderr holds no AddressSanitizer / UndefinedBehaviorSanitizer report;
  * the JSON on stdout parses, and the packet count (with the copies the
    capture made, counted apart) equals what libpcap reads
    (the corpus index's packets_libpcap column, made with tcpdump/libpcap), or
    tshark's count for the pcapng files libpcap refuses and mtuscope reads;
  * mtuscope --json -r FILE -r FILE (the file against itself: the correlation
    of correlate.c reads it twice, concurrently) passes the same checks, and
    loses nothing: no direction has a packet seen on one side only.

The corpus is not part of a user's clone: when it is absent the sweep prints
one SKIP line and succeeds.  Usage: corpus_sweep.py MTUSCOPE [CORPUS_DIR]
"""
import concurrent.futures
import csv
import json
import os
import subprocess
import sys

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")


def check(binary, corpus, row):
    path = os.path.join(corpus, row["path"])
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1:abort_on_error=0"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    try:
        p = subprocess.run([binary, "--json", "-r", path], capture_output=True,
                           timeout=120, env=env)
    except subprocess.TimeoutExpired:
        return row["path"], "timeout after 120 s"
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        if mark in err:
            return row["path"], "sanitizer report:\n" + err[-3000:]
    if p.returncode not in (0, 1):
        return row["path"], f"exit {p.returncode}: {err[-500:]}"
    if p.returncode == 1 and path not in err:
        return row["path"], f"exit 1 without a message naming the file: {err[-500:]}"
    try:
        rep = json.loads(p.stdout)
    except ValueError as e:
        return row["path"], f"invalid JSON on stdout: {e}"
    inp = rep["inputs"][0]
    # frames the filter passed: analysed, or counted as the capture's own
    # copies of another (dedup.h) and analysed once
    got = inp["packets"] + inp.get("captured_twice", 0) + inp.get("forwarded_copies", 0)
    # The reference count: libpcap's; where libpcap gives up on a pcapng that
    # mixes link types or snap lengths (mtuscope reads those itself), tshark's.
    if (row["libpcap_status"].startswith("ok") or not row["tshark_status"].startswith("ok")
            or p.returncode != 0):
        want, who = row.get("packets_libpcap", ""), "libpcap"
    else:
        want, who = row.get("packets_tshark", ""), "tshark"
    if want.isdigit() and got != int(want):
        return row["path"], f"{got} packets, {who} reads {want}"
    if p.returncode == 1 and rep["inputs"][0]["error"] is None:
        return row["path"], "exit 1 but inputs[0].error is null"
    return row["path"], self_pair(binary, path, env, p.returncode, inp["packets"])


def self_pair(binary, path, env, rc, packets):
    """The file against itself: the same exit, the same packets twice, and a
    correlation that matches every keyed packet with its twin."""
    try:
        p = subprocess.run([binary, "--json", "-r", path, "-r", path], capture_output=True,
                           timeout=240, env=env)
    except subprocess.TimeoutExpired:
        return "paired with itself: timeout after 240 s"
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        if mark in err:
            return "paired with itself: sanitizer report:\n" + err[-3000:]
    if p.returncode != rc:
        return f"paired with itself: exit {p.returncode}, alone {rc}: {err[-500:]}"
    try:
        rep = json.loads(p.stdout)
    except ValueError as e:
        return f"paired with itself: invalid JSON on stdout: {e}"
    if [i["packets"] for i in rep["inputs"]] != [packets, packets]:
        return f"paired with itself: packets {[i['packets'] for i in rep['inputs']]}"
    for c in rep["correlation"]:
        for d in c["directions"]:
            if d["lost"] or d["only_downstream"]:
                return (f"paired with itself: {d['src']} -> {d['dst']}: {d['lost']} lost, "
                        f"{d['only_downstream']} only downstream, {d['matched']} matched")
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: corpus_sweep.py MTUSCOPE [CORPUS_DIR]")
    binary = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "shared",
                                                                  "corpus")
    index = os.path.join(corpus, "INDEX.tsv")
    if not os.path.isfile(index):
        print(f"SKIP: corpus sweep: {index} not found (the public corpus is not part of a clone)")
        return 0
    with open(index, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    failures = []
    errors = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for path, problem in ex.map(lambda r: check(binary, corpus, r), rows):
            if problem:
                failures.append((path, problem))
    for path, problem in failures:
        print(f"FAIL {path}: {problem}")
    passed = len(rows) - len(failures)
    print(f"corpus: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
