#!/usr/bin/env python3
"""test_new_key.py — NEW-KEY session key refresh on real replicas (TOCS '02
§4.3.1; bft/core/new_key.c).

Four `bfsd --service null` replicas of a `bfsctl init` cluster whose
key_refresh_ms is 1000, so every replica takes a fresh key every second.
`bfs-bench micro --config` drives read-write and read-only requests through
several refreshes; then a replica is killed with SIGKILL and restarted (it
comes back with a fresh key and asks the others for theirs) while requests
go on. Checked:

  - every request completes, none fails, in both runs;
  - each replica's log shows it refreshed its keys several times and took
    on every other replica's fresh keys;
  - the restarted replica refreshed at start and took part again: its log
    shows the others' keys after its restart, and it executed requests.

  test_new_key.py BFSCTL BFSD BFS_BENCH

Never leaves processes behind.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def start(bfsd, conf, i, logdir, extra=()):
    log = os.path.join(logdir, "r%d.log" % i if not extra else "unrep.log")
    return subprocess.Popen([bfsd, "--config", conf, "--id", str(i), "--service", "null",
                             "--log", log, "--log-level", "info", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench(bfs_bench, conf, seconds, out):
    p = subprocess.run([bfs_bench, "micro", "--config", conf, "--mode", "rw,ro",
                        "--clients", "4", "--seconds", str(seconds), "--warmup", "0.5",
                        "--json", out], capture_output=True, text=True, timeout=120)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr[-2000:])
    check(p.returncode == 0, "bfs-bench exited with %d" % p.returncode)
    try:
        with open(out) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "no JSON from bfs-bench: %s" % e)
        return
    for o in res:
        if o.get("mode") == "unrep":
            continue
        tag = "%s %s" % (o.get("op"), o.get("mode"))
        check(o.get("completed", 0) > 0, tag + ": nothing completed across refreshes")
        check(o.get("failed", 1) == 0, tag + ": requests failed across refreshes")


def log_text(d, i):
    try:
        with open(os.path.join(d, "r%d.log" % i)) as f:
            return f.read()
    except OSError:
        return ""


def main():
    bfsctl, bfsd, bfs_bench = sys.argv[1:4]
    d = tempfile.mkdtemp(prefix="bfs-newkey-test-")
    c = os.path.join(d, "c")
    base = 38000 + os.getpid() % 300 * 10
    procs = {}
    try:
        subprocess.run([bfsctl, "init", "--dir", c, "--base-port", str(base)], check=True,
                       stdout=subprocess.DEVNULL)
        conf = os.path.join(c, "bfs.conf")
        with open(conf) as f:
            text = f.read()
        check("key_refresh_ms = 60000" in text, "bfsctl init does not write key_refresh_ms")
        with open(conf, "w") as f:
            f.write(re.sub(r"key_refresh_ms = \d+", "key_refresh_ms = 1000", text))
        for i in range(4):
            procs[i] = start(bfsd, conf, i, d)
        procs["u"] = start(bfsd, conf, 0, d, ("--unreplicated",))
        time.sleep(0.5)
        bench(bfs_bench, conf, 4, os.path.join(d, "a.json"))
        for i in range(4):
            t = log_text(d, i)
            n = t.count("NEW-KEY: keys refreshed")
            check(n >= 4, "replica %d refreshed its keys %d times in ~5 s, not >= 4" % (i, n))
            for j in range(4):
                if j != i:
                    check("replica %d refreshed its keys" % j in t,
                          "replica %d never took on replica %d's fresh key" % (i, j))
        # A replica killed and restarted comes back with a fresh key.
        procs[1].send_signal(signal.SIGKILL)
        procs[1].wait()
        mark = len(log_text(d, 1))
        procs[1] = start(bfsd, conf, 1, d)
        bench(bfs_bench, conf, 2, os.path.join(d, "b.json"))
        after = log_text(d, 1)[mark:]
        check("NEW-KEY: keys refreshed" in after, "the restarted replica kept its old key")
        check(all(("replica %d refreshed its keys" % j) in after for j in (0, 2, 3)),
              "the restarted replica did not learn every other replica's key")
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
    if failures:
        print("logs kept in", d, file=sys.stderr)
        return 1
    subprocess.run(["rm", "-rf", d])
    print("ok: requests completed across NEW-KEY refreshes and a restart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
