#!/usr/bin/env python3
"""test_bench.py — smoke tests of `bfs-bench micro` (bench/, OSDI '99 §6.3).

  test_bench.py BFS_BENCH smoke   short runs on the bench's own cluster; the
                                  JSON must hold one sane object per
                                  configuration (no timing limits: STYLE.md)
  test_bench.py BFS_BENCH kill    a throughput run whose primary is killed:
                                  the per-second lines must show a view
                                  change and throughput coming back

Never leaves processes behind: bfs-bench owns and stops its cluster, and
its children die with it.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FIELDS = ("op", "mode", "clients", "mean_us", "p50_us", "p99_us", "ops_per_s",
          "p50_ratio_to_unrep")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(bench, args, timeout):
    with tempfile.TemporaryDirectory(prefix="bfs-bench-test-") as d:
        path = os.path.join(d, "out.json")
        p = subprocess.run([bench, "micro", *args, "--json", path], capture_output=True,
                           text=True, timeout=timeout)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        check(p.returncode == 0, "bfs-bench exited with %d" % p.returncode)
        try:
            with open(path) as f:
                return p.stdout, json.load(f)
        except (OSError, ValueError) as e:
            check(False, "no valid JSON written: %s" % e)
            return p.stdout, []


def sane(o):
    for k in FIELDS:
        check(k in o, "%s: field %s missing" % (o, k))
    if any(k not in o for k in FIELDS):
        return
    tag = "%s %s c=%s" % (o["op"], o["mode"], o["clients"])
    check(o["completed"] > 0 and o["ops_per_s"] > 0, tag + ": nothing completed")
    check(o["failed"] == 0 and o["valid"], tag + ": requests failed")
    check(0 < o["p50_us"] <= o["p99_us"], tag + ": p50 not in (0, p99]")
    check(o["mean_us"] > 0, tag + ": mean not positive")
    ratio = o["p50_ratio_to_unrep"]
    check(ratio is not None and ratio > 0, tag + ": no ratio to the baseline")
    if o["mode"] == "unrep" and ratio is not None:
        check(abs(ratio - 1) < 1e-9, tag + ": the baseline's ratio is not 1")


def smoke(bench):
    _, objs = run(bench, ["--op", "0/0,0/4", "--mode", "rw,ro", "--clients", "1,4",
                          "--seconds", "0.3", "--warmup", "0.1"], 120)
    want = {(op, m, c) for op in ("0/0", "0/4") for m in ("rw", "ro", "unrep")
            for c in (1, 4)}
    got = {(o.get("op"), o.get("mode"), o.get("clients")) for o in objs}
    check(got == want and len(objs) == len(want),
          "configurations %s, expected %s" % (sorted(got), sorted(want)))
    for o in objs:
        sane(o)
    # Invalid input is refused with a sentence, not run.
    p = subprocess.run([bench, "micro", "--op", "4/x"], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 2 and "--op" in p.stderr, "bad --op accepted: %r" % p.stderr)


def kill(bench):
    out, objs = run(bench, ["--op", "0/0", "--mode", "rw", "--clients", "16",
                            "--seconds", "8", "--warmup", "0.3", "--kill-primary-at", "2"],
                    180)
    check(re.search(r"killed replica 0, the primary of view 0", out) is not None,
          "no line saying the primary was killed")
    seconds = [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in
               re.finditer(r"t=\s*(\d+)s\s+(\d+) ops/s\s+view (\d+)", out)]
    check(len(seconds) >= 6, "expected a line per second, got %d" % len(seconds))
    before = [ops for t, ops, v in seconds if t <= 2]
    after = [(ops, v) for t, ops, v in seconds if t >= 6]
    check(all(ops > 0 for ops in before), "no throughput before the kill")
    check(after and all(v >= 1 for _, v in after), "no view change after the kill")
    check(after and all(ops > 0 for ops, _ in after), "throughput did not come back")
    rw = [o for o in objs if o.get("mode") == "rw"]
    check(rw and rw[0].get("view", 0) >= 1, "JSON does not report the new view")


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("smoke", "kill"):
        print(__doc__, file=sys.stderr)
        return 2
    {"smoke": smoke, "kill": kill}[sys.argv[2]](sys.argv[1])
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
