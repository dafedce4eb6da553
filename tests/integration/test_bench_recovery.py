#!/usr/bin/env python3
"""test_bench_recovery.py — smoke test of `bfs-bench recovery` (bench/recovery.c).

  test_bench_recovery.py BFS_BENCH

A tiny run of both variants (a frozen backup and one on a wiped disk, 2 MiB
written while it is down, checkpoints every 8 batches): each must catch up
by state transfer, and the JSON figures must agree with each other (bytes
received cover what the transfer installed, the changed partitions are
part of the state, a new disk changes all of it). No timing limits: the
benchmark prints figures (STYLE.md).
"""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bench = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="bfs-recovery-test-") as d:
        path = os.path.join(d, "out.json")
        p = subprocess.run([bench, "recovery", "--mb", "2", "--base-mb", "1",
                            "--checkpoint-interval", "8", "--durability", "async",
                            "--lanes", "2", "--timeout", "60", "--json", path],
                           capture_output=True, text=True, timeout=150)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        check(p.returncode == 0, "bfs-bench recovery exited with %d" % p.returncode)
        try:
            with open(path) as f:
                runs = json.load(f)
        except (OSError, ValueError) as e:
            check(False, "no valid JSON: %s" % e)
            runs = []
    check([r.get("variant") for r in runs] == ["lagging", "new-disk"],
          "variants %s" % [r.get("variant") for r in runs])
    for r in runs:
        v = r.get("variant")
        check(r["caught_up"] and r["catchup_s"] > 0, v + ": did not catch up")
        check(r["batches_missed"] > 16, v + ": missed only %d batches" % r["batches_missed"])
        check(r["transfers"] >= 1, v + ": caught up without a state transfer")
        check(r["received_bytes"] >= r["leaf_bytes_installed"] > 0,
              v + ": received fewer bytes than it installed")
        check(0 < r["changed_bytes"] <= r["state_bytes"],
              v + ": changed partitions not within the state")
        check(r["leaves_fetched"] <= r["changed_leaves"],
              v + ": fetched more leaves than changed")
        check(r["state_bytes"] >= 3 * 1024 * 1024, v + ": state smaller than what was written")
    if len(runs) == 2:
        lag, new = runs
        check(new["changed_bytes"] == new["state_bytes"], "a new disk did not change it all")
        check(lag["changed_bytes"] < lag["state_bytes"],
              "the frozen replica's state had nothing in common with the others'")
    # Invalid input is refused with a sentence, not run.
    p = subprocess.run([bench, "recovery", "--replica", "0"], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 2 and "--replica" in p.stderr, "--replica 0 accepted: %r" % p.stderr)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
