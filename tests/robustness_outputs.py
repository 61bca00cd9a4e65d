"""robustness_outputs.py - the outputs as hostile-proof as the inputs (issue 17).

Registered by tests/robustness.py (register()).  What is checked, each by
running the sanitizer build on real pcap files:

  - `-o DIR` that another user made (the /tmp/report case): an unprivileged
    user owns DIR, plants links to files it wants overwritten and keeps
    swapping any chart script it sees for one that runs a command; mtuscope,
    run as root and as a third user, refuses DIR: no write outside it, no
    command run.
  - our own DIR with links planted in it: replaced, never followed.
  - DIR writable by its group or by others, or a link another user owns:
    refused with a message; a link of our own is followed.
  - gnuplot is never taken from the current directory or DIR, whatever PATH
    says; a gnuplot that hangs is stopped (--plot-timeout, per chart, so
    a gnuplot given n charts has n times it), the page is written without
    the rest and says why; an SVG over 16 MiB is not cut inside the page.
  - charts drawn several to a gnuplot are those drawn one gnuplot each; a
    chart gnuplot fails on is drawn again alone and costs only itself.
  - names with control characters are escaped on stdout and stderr.
  - an input that cannot be read: exit 1, no verdict, -o DIR not written.
  - a filter that matches nothing says so.
  - a closed stdout: -o DIR written all the same, exit 1, one line says so.
  - Ctrl-C: the report covers what was read, exit 130, no partial files.
  - two runs into one DIR leave the second run's files, and only they.
  - a DIR path of 4080 characters works; one past PATH_MAX fails cleanly.

The tests that need two users need root (CI runs as root); elsewhere they
print SKIP.
"""
import json
import os
import signal
import shutil
import stat
import subprocess
import tempfile
import time

from harness import expect, no_sanitizer, run_binary, test

ATTACKER, VICTIM = 12345, 12346  # uids with no account: setpriv needs none
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "samples", "lab-incident-wg1420-path1434-client-outer.pcap")
# several flagged flows: several tsg-flowN charts, a different set from SAMPLE's
SAMPLE2 = os.path.join(ROOT, "samples", "lab-tcp4-blackhole-path1300-server-outer.pcap")

ctx = {}


def env_with(**kw):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    env.update(kw)
    return env


def run(args, **kw):
    rc, out, err = run_binary(ctx["bin"], args, kw.get("stdin"), kw.get("timeout", 300))
    no_sanitizer(err)
    return rc, out, err


def run_env(args, env, cwd=None, as_uid=None, timeout=120):
    cmd = [ctx["bin"]] + args
    if as_uid is not None:
        cmd = ["setpriv", f"--reuid={as_uid}", f"--regid={as_uid}", "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    no_sanitizer(err)
    return p.returncode, out, err


def real_gnuplot():
    """gnuplot's path, or None after a SKIP line when it is not installed."""
    real = shutil.which("gnuplot")
    if not real:
        print("SKIP: gnuplot is not installed")
    return real


def fresh(name):
    d = os.path.join(ctx["tmp"], name)
    shutil.rmtree(d, ignore_errors=True)
    return d


def is_root():
    return os.geteuid() == 0 and shutil.which("setpriv")


def register(binary, tmp):
    ctx["bin"], ctx["tmp"] = binary, tmp

    @test("-o DIR owned by another user who plants links and swaps scripts: refused, "
          "nothing written outside, nothing run (run as root and as a third user)")
    def _():
        if not is_root():
            print("SKIP: the two-user -o DIR attack needs root and setpriv")
            return
        base = tempfile.mkdtemp(prefix="attack-", dir=ctx["tmp"])
        os.chmod(base, 0o1777)  # a /tmp of its own: anyone may create, sticky
        os.chmod(ctx["tmp"], 0o755)
        victim = os.path.join(base, "victim.txt")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.chmod(victim, 0o666)  # writable by mtuscope's users, as their own files are
        pwned = os.path.join(base, "pwned")
        dird = os.path.join(base, "report")
        att = ["setpriv", f"--reuid={ATTACKER}", f"--regid={ATTACKER}", "--clear-groups"]
        subprocess.run(att + ["mkdir", "-m", "0755", dird], check=True)
        for n in ("report.txt", "report.json", "report.html", "goodput.gp", "goodput.dat",
                  "goodput.png", "tsg.svg", "gnuplot.log"):
            subprocess.run(att + ["ln", "-s", victim, os.path.join(dird, n)], check=True)
        # the swapper: any chart script that appears becomes one that runs a command
        swap = subprocess.Popen(att + ["sh", "-c", (
            f"while :; do for f in '{dird}'/*.gp; do "
            f"printf 'system \"touch {pwned}\"\\n' > \"$f.x\" 2>/dev/null && "
            f"mv -f \"$f.x\" \"$f\" 2>/dev/null; done; done")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for uid in (None, VICTIM):
                rc, out, err = run_env(["-o", dird, "-r", SAMPLE], env_with(), as_uid=uid)
                who = "root" if uid is None else f"uid {uid}"
                expect(rc == 1 and "belongs to another user" in err and dird in err,
                       f"{who}: exit {rc}: {err!r}")
                expect(out == "" or out.startswith("verdict:"), f"{who}: stdout {out[:100]!r}")
        finally:
            swap.kill()
            swap.wait()
        with open(victim) as f:
            expect(f.read() == "precious\n", "the victim file was overwritten")
        expect(not os.path.exists(pwned), "a swapped chart script was run")
        mine = [n for n in os.listdir(dird) if os.lstat(os.path.join(dird, n)).st_uid != ATTACKER]
        expect(not mine, f"mtuscope wrote into the attacker's DIR: {mine}")

    @test("our own -o DIR with links planted in it: the links are replaced, never followed")
    def _():
        d = fresh("own-links")
        os.mkdir(d, 0o700)
        victim = os.path.join(ctx["tmp"], "own-victim.txt")
        with open(victim, "w") as f:
            f.write("precious\n")
        for n in ("report.txt", "report.html", "goodput.png", "size-delivery-s2c.gp"):
            os.symlink(victim, os.path.join(d, n))
        rc, out, err = run(["-o", d, "-r", SAMPLE])
        expect(rc == 0, f"exit {rc}: {err!r}")
        with open(victim) as f:
            expect(f.read() == "precious\n", "a planted link was followed")
        for n in ("report.txt", "report.html", "goodput.png"):
            st = os.lstat(os.path.join(d, n))
            expect(stat.S_ISREG(st.st_mode) and st.st_size > 0, f"{n} is not a regular file")
        expect(not [n for n in os.listdir(d) if "mtuscope-tmp" in n], os.listdir(d))

    @test("-o DIR: created 0700; refused when its group or others can write it, or when it "
          "is a link another user owns; a link of our own is followed")
    def _():
        d = fresh("created")
        rc, _, err = run(["--no-plots", "-o", d, "-r", SAMPLE])
        expect(rc == 0 and stat.S_IMODE(os.stat(d).st_mode) & 0o077 == 0,
               f"exit {rc}, mode {oct(os.stat(d).st_mode)}: {err!r}")
        for mode, word in ((0o777, "other users"), (0o775, "its group")):
            d = fresh(f"mode{mode:o}")
            os.mkdir(d)
            os.chmod(d, mode)
            rc, _, err = run(["--no-plots", "-o", d, "-r", SAMPLE])
            expect(rc == 1 and word in err and d in err and os.listdir(d) == [],
                   f"mode {mode:o}: exit {rc}: {err!r} {os.listdir(d)}")
        target = fresh("link-target")
        os.mkdir(target, 0o700)
        link = fresh("own-link")
        os.symlink(target, link)
        rc, _, err = run(["--no-plots", "-o", link, "-r", SAMPLE])
        expect(rc == 0 and "report.json" in os.listdir(target), f"own link: exit {rc}: {err!r}")
        if is_root():
            os.lchown(link, ATTACKER, ATTACKER)
            rc, _, err = run(["--no-plots", "-o", link, "-r", SAMPLE])
            expect(rc == 1 and "symbolic link that another user owns" in err,
                   f"another user's link: exit {rc}: {err!r}")
        else:
            print("SKIP: a link another user owns needs root")
        f = fresh("a-file")
        open(f, "w").close()
        rc, _, err = run(["--no-plots", "-o", f, "-r", SAMPLE])
        expect(rc == 1 and "not a directory" in err, f"a file as DIR: exit {rc}: {err!r}")

    @test("gnuplot is never taken from the current directory or DIR: PATH with '', '.' "
          "and 'bin' entries runs the real one")
    def _():
        d = fresh("path-dir")
        os.mkdir(d, 0o700)
        marker = os.path.join(ctx["tmp"], "planted-ran")
        for where in (d, os.path.join(d, "bin")):
            os.makedirs(where, exist_ok=True)
            fake = os.path.join(where, "gnuplot")
            with open(fake, "w") as f:
                f.write(f"#!/bin/sh\ntouch {marker}\n")
            os.chmod(fake, 0o755)
        real = real_gnuplot()
        if not real:
            return
        path = "::.:bin:" + os.path.dirname(real) + ":/usr/bin:/bin"
        rc, _, err = run_env(["-o", ".", "-r", os.path.abspath(SAMPLE)],
                             env_with(PATH=path), cwd=d)
        expect(rc == 0, f"exit {rc}: {err!r}")
        expect(not os.path.exists(marker), "a gnuplot planted in the current directory ran")
        expect(os.path.getsize(os.path.join(d, "goodput.png")) > 0, "no chart from real gnuplot")

    def fake_gnuplot(name, body):
        b = os.path.join(ctx["tmp"], name)
        os.makedirs(b, exist_ok=True)
        with open(os.path.join(b, "gnuplot"), "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(os.path.join(b, "gnuplot"), 0o755)
        return b

    @test("a gnuplot that hangs is stopped after --plot-timeout; report.html is written "
          "without the charts and says why; nothing of it keeps running")
    def _():
        b = fake_gnuplot("hang-bin", "echo $$ > \"$TMPDIR/../hang.pid\"\nexec sleep 600\n")
        d = fresh("hang")
        stage_parent = fresh("hang-tmp")
        os.mkdir(stage_parent)
        t0 = time.monotonic()
        rc, _, err = run_env(["--plot-timeout=1", "-o", d, "-r", SAMPLE],
                             env_with(PATH=b + ":/usr/bin:/bin", TMPDIR=stage_parent))
        took = time.monotonic() - t0
        expect(rc == 0 and took < 60, f"exit {rc} after {took:.1f} s: {err!r}")
        expect("did not finish" in err and "--plot-timeout" in err, err)
        with open(os.path.join(d, "report.html")) as f:
            page = f.read()
        expect("did not finish" in page and page.endswith("</html>\n"), page[-300:])
        with open(os.path.join(ctx["tmp"], "hang.pid")) as f:
            pid = int(f.read())
        alive = True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            alive = False
        expect(not alive, f"the hung gnuplot (pid {pid}) is still running")
        expect(os.listdir(stage_parent) == [], f"staging left: {os.listdir(stage_parent)}")

    @test("a gnuplot given several charts that hangs is stopped after --plot-timeout times "
          "its charts; the page says which chart and how the time was given")
    def _():
        taskset = shutil.which("taskset")
        if not taskset:
            print("SKIP: taskset is not installed")
            return
        runs = os.path.join(ctx["tmp"], "hang-batch-runs")
        if os.path.exists(runs):
            os.unlink(runs)
        b = fake_gnuplot("hang-batch-bin", f"echo \"$*\" >> {runs}\nexec sleep 600\n")
        d = fresh("hang-batch")
        t0 = time.monotonic()
        # one processor: one gnuplot, given every chart of the first pass
        p = subprocess.run([taskset, "-c", "0", ctx["bin"], "--plot-timeout=1", "-o", d, "-r",
                            SAMPLE2], capture_output=True,
                           env=env_with(PATH=b + ":/usr/bin:/bin"), timeout=300,
                           stdin=subprocess.DEVNULL)
        took = time.monotonic() - t0
        err = p.stderr.decode("utf-8", "replace")
        no_sanitizer(err)
        with open(runs) as f:
            first = [a for a in f.readline().split() if a.endswith(".gp")]
        n = len(first)
        expect(p.returncode == 0 and n >= 2, f"exit {p.returncode}, first run {first}: {err!r}")
        want = (f"did not finish the chart {first[0][:-3]} within {n} s (--plot-timeout: 1 s "
                f"for each of the {n} charts it was drawing)")
        expect(want in err, f"want {want!r} in {err!r}")
        expect(n - 0.5 <= took < 60, f"stopped after {took:.1f} s for {n} charts")
        with open(os.path.join(d, "report.html")) as f:
            expect("for each of the" in f.read(), "the page does not say it")

    def charts_of(d):
        out = {}
        for name in sorted(os.listdir(d)):
            if name.endswith((".png", ".svg")):
                with open(os.path.join(d, name), "rb") as f:
                    out[name] = f.read()
        return out

    @test("charts drawn several to a gnuplot are byte for byte those drawn one gnuplot each: "
          "no script's settings or variables reach the next")
    def _():
        real = real_gnuplot()
        if not real:
            return
        # one gnuplot per script, whatever mtuscope asks ("-e 'reset session'" dropped)
        b = fake_gnuplot("one-each-bin", (
            "for a in \"$@\"; do case \"$a\" in *.gp) "
            f"{real} \"$a\" || exit 1;; esac; done\n"))
        for sample in (SAMPLE, SAMPLE2):
            d1, d2 = fresh("batched"), fresh("one-each")
            rc1, _, err1 = run(["-o", d1, "-r", sample])
            rc2, _, err2 = run_env(["-o", d2, "-r", sample], env_with(PATH=b + ":/usr/bin:/bin"))
            expect(rc1 == 0 and rc2 == 0, f"exit {rc1}, {rc2}: {err1!r} {err2!r}")
            c1, c2 = charts_of(d1), charts_of(d2)
            expect(len(c1) >= 8 and sorted(c1) == sorted(c2), f"{sorted(c1)} / {sorted(c2)}")
            differ = [n for n in c1 if c1[n] != c2.get(n)]
            expect(not differ, f"{os.path.basename(sample)}: drawn otherwise in a batch: {differ}")

    @test("a chart gnuplot fails on costs only itself: its batch is drawn again one chart a "
          "gnuplot, the others are drawn, the page and stderr name the failure")
    def _():
        real, taskset = shutil.which("gnuplot"), shutil.which("taskset")
        if not real or not taskset:
            print("SKIP: gnuplot or taskset is not installed")
            return
        # refuses any run that includes retrans-timeline.gp, as an error in
        # that script would, and logs each run's scripts
        runs = os.path.join(ctx["tmp"], "fail-one-runs")
        if os.path.exists(runs):
            os.unlink(runs)
        b = fake_gnuplot("fail-one-bin", (
            f"echo \"$*\" >> {runs}\n"
            "for a in \"$@\"; do case \"$a\" in retrans-timeline.gp) "
            "echo 'retrans-timeline.gp: refused' >&2; exit 1;; esac; done\n"
            f"exec {real} \"$@\"\n"))
        d = fresh("fail-one")
        # one processor: one gnuplot at a time, each given every chart waiting
        p = subprocess.run([taskset, "-c", "0", ctx["bin"], "-o", d, "-r", SAMPLE2],
                           capture_output=True, env=env_with(PATH=b + ":/usr/bin:/bin"),
                           timeout=300, stdin=subprocess.DEVNULL)
        err = p.stderr.decode("utf-8", "replace")
        no_sanitizer(err)
        expect(p.returncode == 0, f"exit {p.returncode}: {err!r}")
        with open(runs) as f:
            lines = [l.split() for l in f.read().splitlines()]
        scripts = [[a for a in l if a.endswith(".gp")] for l in lines]
        expect(any("retrans-timeline.gp" in s and len(s) > 1 for s in scripts) and
               ["retrans-timeline.gp"] in scripts, f"the runs: {lines}")
        expect("gnuplot failed on 1 chart:" in err, err)
        charts = charts_of(d)
        expect("retrans-timeline.png" not in charts, "retrans-timeline.png was drawn")
        drawn = [n for n in charts if n.endswith(".png")]
        expect(len(drawn) >= 4 and all(n.replace(".png", ".svg") in charts for n in drawn) and
               "tsg-flow2.png" in drawn and "ladder.png" in drawn, f"drawn: {sorted(charts)}")
        with open(os.path.join(d, "report.html")) as f:
            page = f.read()
        expect("gnuplot failed on some charts" in page, "the page does not say it")
        with open(os.path.join(d, "gnuplot.log")) as f:
            expect("retrans-timeline.gp: refused" in f.read(), "gnuplot.log lacks the message")

    @test("an SVG over 16 MiB is not cut inside report.html: the PNG is shown, the page whole")
    def _():
        real = real_gnuplot()
        if not real:
            return
        # the real gnuplot, then the goodput chart's SVG padded past 16 MiB
        # (a gnuplot draws several charts: NAME.gp among its arguments)
        b = fake_gnuplot("big-svg-bin", (
            f"{real} \"$@\" || exit 1\n"
            "for a in \"$@\"; do case \"$a\" in goodput.gp) head -c 17000000 /dev/zero | "
            "tr '\\0' ' ' >> goodput.svg;; esac; done\n"))
        d = fresh("big-svg")
        rc, _, err = run_env(["-o", d, "-r", SAMPLE], env_with(PATH=b + ":/usr/bin:/bin"))
        expect(rc == 0, f"exit {rc}: {err!r}")
        with open(os.path.join(d, "report.html")) as f:
            page = f.read()
        expect(page.endswith("</html>\n") and len(page) < 8 << 20, f"{len(page)} bytes")
        expect("data:image/png;base64," in page and "too large to inline" in page, "no PNG")
        expect(page.count("<svg") == page.count("</svg>"), "an SVG element is cut")

    @test("file names with control characters are escaped on stdout and stderr")
    def _():
        name = os.path.join(ctx["tmp"], "x\nverdict: healthy\x1b]0;owned\x07.pcap")
        shutil.copy(SAMPLE, name)
        rc, out, err = run(["-r", name, "-r", name + ".missing"])
        expect(rc == 1, f"exit {rc}")
        for text, what in ((out, "stdout"), (err, "stderr")):
            expect("\x1b" not in text and "\x07" not in text, f"raw control bytes on {what}")
            expect(not any(l.startswith("verdict: healthy") for l in text.splitlines()),
                   f"a forged verdict line on {what}")
        expect("\\x0averdict: healthy\\x1b]0;owned\\x07.pcap" in out, out[-800:])
        expect("\\x0averdict" in err, err)

    @test("inputs that cannot be read: exit 1, no verdict, no report, -o DIR not written")
    def _():
        d = fresh("unreadable")
        for bad in (os.path.join(ctx["tmp"], "nope.pcap"), ctx["tmp"]):
            rc, out, err = run(["-o", d, "-r", bad])
            expect(rc == 1 and out == "" and "no input could be read" in err,
                   f"{bad}: exit {rc}: {out[:200]!r} {err!r}")
            expect(not os.path.exists(d), f"{bad}: -o DIR was written")
            rc, out, err = run(["--json", "-r", bad])
            rep = json.loads(out)
            expect(rc == 1 and rep["verdict"] is None and rep["error"], str(rep)[:300])
            expect(rep["inputs"][0]["error"], str(rep["inputs"]))

    @test("a filter that matches nothing says so")
    def _():
        rc, out, err = run(["-r", SAMPLE, "icmp6"])
        expect(rc == 0 and "the filter matched 0 of 142 packets" in err, f"exit {rc}: {err!r}")

    @test("a closed standard output: -o DIR is written, exit 1, one line says stdout failed")
    def _():
        d = fresh("epipe")
        r, w = os.pipe()
        os.close(r)  # nobody will ever read: the first write fails with EPIPE
        p = subprocess.run([ctx["bin"], "-o", d, "-r", SAMPLE], stdout=w,
                           stderr=subprocess.PIPE, env=env_with(), timeout=120)
        os.close(w)
        err = p.stderr.decode("utf-8", "replace")
        no_sanitizer(err)
        expect(p.returncode == 1 and "standard output" in err, f"exit {p.returncode}: {err!r}")
        expect(os.path.getsize(os.path.join(d, "report.html")) > 0, "report.html not written")

    @test("Ctrl-C while reading a pipe: the report covers what was read, exit 130, "
          "no partial files in -o DIR")
    def _():
        d = fresh("sigint")
        with open(SAMPLE, "rb") as f:
            data = f.read()
        p = subprocess.Popen([ctx["bin"], "-o", d, "-r", "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_with())
        p.stdin.write(data[:6000])  # the header and some packets; the writer stays open
        p.stdin.flush()
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError("Ctrl-C did not stop the reading")
        finally:
            try:
                p.stdin.close()
            except (BrokenPipeError, ValueError):
                pass
        out, err = out.decode(), err.decode()
        no_sanitizer(err)
        expect(p.returncode == 130 and out.startswith("verdict:"), f"exit {p.returncode}")
        expect("INTERRUPTED (Ctrl-C)" in out and "interrupted" in err, out[-600:] + err)
        names = os.listdir(d)
        expect("report.html" in names and not [n for n in names if "tmp" in n], names)

    @test("two runs into one DIR leave the second run's files and only them; other files "
          "stay")
    def _():
        a, b = fresh("two-runs"), fresh("two-runs-ref")
        rc1, _, _ = run(["-o", a, "-r", SAMPLE2])
        with open(os.path.join(a, "notes.md"), "w") as f:
            f.write("mine\n")
        first = set(os.listdir(a))
        rc2, _, err = run(["-o", a, "-r", SAMPLE])
        rc3, _, _ = run(["-o", b, "-r", SAMPLE])
        expect(rc1 == rc2 == rc3 == 0, err)
        want = set(os.listdir(b)) | {"notes.md"}
        got = set(os.listdir(a))
        expect(got == want, f"extra {sorted(got - want)}, missing {sorted(want - got)}")
        expect(first - got and "removed" in err, f"nothing of the first run was removed: {err!r}")
        # a run without TCP data writes the placeholder chart size-delivery.*: replaced too
        sweep = os.path.join(ROOT, "samples", "gen-ping-sweep.pcap")
        c = fresh("two-runs-sweep")
        rc4, _, _ = run(["-o", c, "-r", sweep])
        rc5, _, err = run(["-o", c, "-r", SAMPLE])
        got = set(os.listdir(c))
        want = set(os.listdir(b))
        expect(rc4 == rc5 == 0 and got == want,
               f"after a sweep: extra {sorted(got - want)}, missing {sorted(want - got)}")

    @test("a -o DIR path of 4080 characters works; one past PATH_MAX fails with a message")
    def _():
        # DIR of 4080 characters: DIR/retrans-timeline.svg would pass PATH_MAX
        # (4096 with its NUL), so nothing may build paths from DIR
        parts, length = [], len(ctx["tmp"])
        while length < 4080 - 4 - 191:
            parts.append("d" * 190)
            length += 191
        parts.append("e" * (4080 - 4 - length - 1))
        deep = os.path.join(ctx["tmp"], *parts)
        os.makedirs(deep, exist_ok=True)
        d = os.path.join(deep, "out")
        rc, _, err = run(["-o", d, "-r", SAMPLE])
        expect(rc == 0 and len(d) == 4080, f"exit {rc}, {len(d)} chars: {err[-300:]!r}")
        expect("retrans-timeline.svg" in os.listdir(d), sorted(os.listdir(d)))
        expect(os.path.getsize(os.path.join(d, "report.html")) > 0 and
               os.path.getsize(os.path.join(d, "report.json")) > 0, "reports missing")
        rc, _, err = run(["-o", os.path.join(deep, "x" * 250, "y"), "-r", SAMPLE])
        expect(rc == 1 and "too long" in err.lower(), f"exit {rc}: {err[-300:]!r}")
