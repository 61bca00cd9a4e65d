#!/usr/bin/env python3
"""lessons.py - the lessons in samples/lessons/ say what mtuscope really prints.

    python3 tests/lessons.py BINARY [LESSON.md...]

Each lesson (samples/lessons/NN-*.md, README.md excepted) has the sections
"## Predict first", "## Run it", "## What mtuscope prints", "## The chart",
"## Confirm it in Wireshark" and, last, "## Answer key".  This script:
  - runs the first ```sh block of "Run it" (one line starting with
    `mtuscope `, from the repository's root) and checks that every ```text
    block of "What mtuscope prints" appears in its output: the block's lines
    consecutive and exact (trailing spaces aside), a line "..." between two
    parts of a block meaning "lines left out here", the parts in order;
  - runs the first ```sh block of "The chart" (`mtuscope -o DIR ...`, DIR
    replaced by a temporary directory) and checks that the ladder diagram was
    rendered (ladder.png, ladder.svg) and that every line of its ```ladder
    blocks is the label of one of the diagram's arrows (ladder.dat).
Exits 1 listing every excerpt that is not true any more.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTIONS = ("## Predict first", "## Run it", "## What mtuscope prints", "## The chart",
            "## Confirm it in Wireshark", "## Answer key")

failures = []


def fail(what):
    failures.append(what)
    print("FAIL:", what)


def sections(text):
    """{heading: body} for the level-2 headings."""
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            cur = line.strip()
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def blocks(body, lang):
    return re.findall(r"^```%s\n(.*?)^```" % re.escape(lang), body, re.S | re.M)


def command(block, binary, name):
    lines = [l for l in block.splitlines() if l.strip() and not l.startswith("#")]
    if len(lines) != 1 or not lines[0].startswith("mtuscope "):
        fail("%s: a command block must hold one line starting with 'mtuscope ': %r" % (name, block))
        return None
    argv = shlex.split(lines[0])
    argv[0] = binary
    return argv


def contains(output, excerpt):
    """Whether the excerpt's parts appear, in order, as consecutive lines."""
    out = [l.rstrip() for l in output.splitlines()]
    parts, cur = [], []
    for l in excerpt.splitlines():
        if l.strip() == "...":
            parts.append(cur)
            cur = []
        else:
            cur.append(l.rstrip())
    parts.append(cur)
    at = 0
    for part in (p for p in parts if p):
        for i in range(at, len(out) - len(part) + 1):
            if out[i:i + len(part)] == part:
                at = i + len(part)
                break
        else:
            return False, part
    return True, None


def ladder_labels(path):
    text = open(path).read()
    blocks_ = re.split(r"\n\s*\n\s*\n", text)
    return set(re.findall(r'^\S+ \S+ \d "([^"]+)"', blocks_[1], re.M)) if len(blocks_) > 1 else set()


def check(binary, path, tmp):
    name = os.path.relpath(path, ROOT)
    text = open(path).read()
    sec = sections(text)
    heads = [l.strip() for l in text.splitlines() if l.startswith("## ")]
    missing = [s for s in SECTIONS if s not in sec]
    if missing:
        fail("%s: sections missing: %s" % (name, missing))
        return
    if heads[-1] != "## Answer key":
        fail("%s: the answer key must be the last section, apart from the rest" % name)
    run = blocks(sec["## Run it"], "sh")
    argv = command(run[0], binary, name) if run else None
    if not argv:
        fail("%s: no command to run" % name)
        return
    r = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    output = r.stdout.decode(errors="replace")
    excerpts = blocks(sec["## What mtuscope prints"], "text")
    if not excerpts:
        fail("%s: no excerpt of what mtuscope prints" % name)
    for ex in excerpts:
        ok, part = contains(output, ex)
        if not ok:
            fail("%s: not in the output of %s:\n    %s" % (
                name, " ".join(argv[1:]), "\n    ".join(part)))
    chart = blocks(sec["## The chart"], "sh")
    argv = command(chart[0], binary, name) if chart else None
    if not argv or "-o" not in argv:
        fail("%s: the chart section needs a 'mtuscope -o DIR ...' command" % name)
        return
    out = os.path.join(tmp, os.path.splitext(os.path.basename(path))[0])
    argv[argv.index("-o") + 1] = out
    r = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    png, svg, dat = (os.path.join(out, "ladder." + e) for e in ("png", "svg", "dat"))
    if not all(os.path.exists(p) and os.path.getsize(p) for p in (png, svg, dat)):
        fail("%s: the ladder diagram was not rendered by %s" % (name, " ".join(argv[1:])))
        return
    labels = ladder_labels(dat)
    for blk in blocks(sec["## The chart"], "ladder"):
        for l in blk.splitlines():
            if l.strip() and l.strip() not in labels:
                fail("%s: no arrow labelled %r in the ladder (labels: %s)" % (
                    name, l.strip(), sorted(labels)))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    lessons = sys.argv[2:] or sorted(
        p for p in glob.glob(os.path.join(ROOT, "samples", "lessons", "*.md"))
        if os.path.basename(p) != "README.md")
    if not lessons:
        sys.exit("lessons.py: no lesson found")
    with tempfile.TemporaryDirectory(prefix="mtuscope-lessons-") as tmp:
        for p in lessons:
            check(binary, os.path.abspath(p), tmp)
    if failures:
        print("lessons: %d failures" % len(failures))
        sys.exit(1)
    print("lessons: %d lessons, every excerpt true" % len(lessons))


if __name__ == "__main__":
    main()
