#!/usr/bin/env python3
"""test_andrew.py — smoke test of `bfs-bench andrew` (bench/andrew*.c, the
modified Andrew benchmark of OSDI '99 §6.3) on a local directory.

  test_andrew.py BFS_BENCH

Checks what a user relies on, never a timing (STYLE.md): the five phases
complete and are reported in the table and the JSON, --runs gives one entry
per run, --scale N makes N copies each with a working program, the same seed
gives the same tree (and another seed another), the benchmark removes what
it created unless --keep, and bad options are refused with a sentence.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PHASES = ("mkdir", "copy", "stat", "read", "make")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(bench, args, timeout=300):
    p = subprocess.run([bench, "andrew", *args], capture_output=True, text=True,
                       timeout=timeout)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    return p


def tree_digest(root):
    """SHA-256 over the sorted relative paths and contents of the sources
    (not what make built: objects, the library, the program)."""
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".o", ".a")) or f == "andrew":
                continue
            path = os.path.join(d, f)
            h.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def work_dir(stderr):
    m = re.search(r"in (/tmp/bfs-andrew-[^/\s]+)/src", stderr)
    return m.group(1) if m else None


def basic(bench, d):
    js = os.path.join(d, "out.json")
    target = os.path.join(d, "target")
    os.mkdir(target)
    p = run(bench, ["--dir", target, "--modules", "4", "--runs", "2", "--json", js])
    check(p.returncode == 0, "bfs-bench andrew exited with %d" % p.returncode)
    for i, name in enumerate(PHASES):
        check(re.search(r"^%d %s\s+\d+\.\d{3}$" % (i + 1, name), p.stdout, re.M),
              "table has no row for phase %d %s" % (i + 1, name))
    check(re.search(r"^total\s+\d+\.\d{3}$", p.stdout, re.M), "table has no total")
    try:
        with open(js) as f:
            o = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "no valid JSON written: %s" % e)
        return
    check(o.get("bench") == "andrew" and o.get("scale") == 1 and o.get("runs") == 2,
          "JSON header wrong: %r" % {k: o.get(k) for k in ("bench", "scale", "runs")})
    check(o.get("files_per_copy", 0) >= 10 and o.get("bytes_per_copy", 0) > 10000,
          "source tree too small: %r" % o)
    cs = o.get("configs", [])
    check(len(cs) == 1, "expected one configuration, got %d" % len(cs))
    if not cs:
        return
    c = cs[0]
    check(c.get("ok") is True and c.get("ran") is True, "run not ok: %r" % c)
    secs = c.get("seconds", {})
    check(all(secs.get(k, -1) >= 0 for k in PHASES) and secs.get("make", 0) > 0,
          "phase seconds missing or negative: %r" % secs)
    check(len(c.get("runs", [])) == 2, "--runs 2 gave %d runs" % len(c.get("runs", [])))
    check(os.listdir(target) == [], "benchmark left %r in --dir" % os.listdir(target))
    check(work_dir(p.stderr) and not os.path.exists(work_dir(p.stderr)),
          "temporary directory %s not removed" % work_dir(p.stderr))


def keep_scale_seed(bench, d):
    """--scale 2 --keep: two copies, each builds a program that runs; the
    same seed gives the same tree, another seed another."""
    digests = []
    for i, (seed, scale) in enumerate((("7", 2), ("7", 1), ("8", 1))):
        target = os.path.join(d, "keep%d" % i)
        os.mkdir(target)
        p = run(bench, ["--dir", target, "--modules", "2", "--scale", str(scale), "--seed",
                        seed, "--keep"])
        check(p.returncode == 0, "--keep run exited with %d" % p.returncode)
        w = work_dir(p.stderr)
        if w:
            shutil.rmtree(w, ignore_errors=True)
        kept = os.listdir(target)
        check(len(kept) == 1, "--keep left %r" % kept)
        if len(kept) != 1:
            return
        run0 = os.path.join(target, kept[0], "run-0")
        copies = sorted(os.listdir(run0))
        want = ["c%d" % k for k in range(scale)]
        check(copies == want, "--scale %d made %r" % (scale, copies))
        outs = []
        for c in copies:
            prog = os.path.join(run0, c, "andrew")
            r = subprocess.run([prog], capture_output=True, text=True, timeout=30)
            outs.append(r.stdout)
            check(r.returncode == 0 and re.fullmatch(r"andrew [0-9a-f]{8}\n", r.stdout),
                  "%s printed %r" % (prog, r.stdout))
        check(len(set(outs)) == 1, "the copies' programs differ: %r" % outs)
        digests.append(tree_digest(os.path.join(run0, "c0")))
        check(all(digests[-1] == tree_digest(os.path.join(run0, c)) for c in copies),
              "the copies of seed %s differ" % seed)
    check(digests[0] == digests[1], "seed 7 gave two different trees")
    check(digests[0] != digests[2], "seeds 7 and 8 gave the same tree")


def bad_options(bench, d):
    for args, word in ((["--dir", d, "--scale", "0"], "--scale"),
                       (["--compare", "--only", "nfs"], "--only"),
                       (["--dir", os.path.join(d, "missing")], "--dir"),
                       (["--dir", d, "--compare"], "--dir"),
                       (["--dir", d, "--frobnicate"], "--frobnicate")):
        p = run(bench, args, timeout=30)
        check(p.returncode == 2 and word in p.stderr,
              "%r: exit %d, stderr %r" % (args, p.returncode, p.stderr))


def main():
    bench = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="bfs-andrew-test-") as d:
        basic(bench, d)
        keep_scale_seed(bench, d)
        bad_options(bench, d)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("bench-andrew-smoke: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
