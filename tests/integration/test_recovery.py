#!/usr/bin/env python3
"""test_recovery.py — proactive recovery (TOCS '02 §4.3, OSDI '99 §4.6)
with real processes: bfsd --recover, bfsctl recover, bfs-corrupt.

A local 4-replica fs cluster (bfsctl init / up; K = 32 so that recoveries
take seconds, NEW-KEY every 5 s) is mounted with bfs-mount
bft:, and a writer creates files one after another, remembering what each
acknowledged close wrote (test_restart.py's Writer). Meanwhile:

  a. replica 2 is stopped and its state corrupted behind its digests'
     back (bfs-corrupt flips bytes of an acknowledged file's block in
     LMDB: the stored tree still claims the old data). While it is down,
     `bfsctl recover` of another replica is refused (at most one
     recovers). `bfsctl recover --dir C 2` restarts it with --recover: it
     discards its protocol log, rebuilds its digests from the data and
     rejoins with fresh keys, fetching the leaf its state lacks; its status
     file must then show the others' stable digest at the same stable
     checkpoint, and its own checkpoint digest the others' at the same
     checkpoint (its state is theirs again: the corruption is gone);
  b. `bfsctl recover --all` recovers every replica in turn, the primary
     included, while the writes go on;
  c. every acknowledged file is intact at the end, the writes never
     stalled for long (the longest pause is printed), and `bfsctl status`
     reports all four replicas up and agreeing.

  test_recovery.py BFSCTL BFS_MOUNT BFS_CORRUPT

Exit 77 (skipped) only when /dev/fuse cannot be opened. Never leaves
processes or mounts behind.
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_restart as tr  # noqa: E402  (Writer, verify, mount, tear_down, check, ...)

check = tr.check
STALL_LIMIT_S = 15  # a stalled cluster, not a slow one: a recovering primary costs a
                    # view change (measured 1.3-2.5 s here)


class Pauses(threading.Thread):
    """The longest time the writer's acknowledged count did not grow."""

    def __init__(self, w):
        super().__init__(daemon=True)
        self.w, self.longest, self.stop = w, 0.0, threading.Event()

    def run(self):
        last_n, last_t = len(self.w.snapshot()), time.time()
        while not self.stop.wait(0.05):
            n = len(self.w.snapshot())
            if n != last_n:
                last_n, last_t = n, time.time()
            self.longest = max(self.longest, time.time() - last_t)


def status(conf_dir, i):
    """Replica i's status file as a dict ({} if missing)."""
    st = {}
    try:
        with open(os.path.join(conf_dir, "data", "replica%d" % i, "status")) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                st[k] = v
    except OSError:
        pass
    return st


def stop(c, i):
    pid = tr.pid_of(c, i)
    os.kill(pid, signal.SIGTERM)
    end = time.time() + 10
    while os.path.exists("/proc/%d" % pid) and time.time() < end:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                break
        time.sleep(0.02)


def run(args, timeout=120):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    print("$ %s -> %d\n%s%s" % (" ".join(args[1:]), r.returncode, r.stdout, r.stderr),
          end="")
    return r


def agrees(c, victim, key, digest_key, after):
    """victim's (key, digest_key) equals another replica's at the same key
    value, that value > after. None while no replica is at its value."""
    v = status(c, victim)
    if not v.get(key) or int(v[key]) <= after:
        return None
    for i in range(4):
        o = status(c, i)
        if i != victim and o.get(key) == v[key]:
            return o.get(digest_key) == v.get(digest_key)
    return None


def wait_agree(c, victim, key, digest_key, after, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        a = agrees(c, victim, key, digest_key, after)
        if a is not None:
            return a
        time.sleep(0.05)
    return None


def part_a(bfsctl, bfs_corrupt, c, conf, w):
    victim = 2
    name = min(w.snapshot())  # an acknowledged file
    epoch = status(c, victim).get("key_epoch")
    stop(c, victim)
    r = run([bfsctl, "recover", "--dir", c, "1"])
    check(r.returncode != 0 and "replica 2" in r.stderr,
          "bfsctl recover of replica 1 was not refused while replica 2 is down")
    check(tr.pid_of(c, 1) and os.path.exists("/proc/%d" % tr.pid_of(c, 1)),
          "a refused bfsctl recover stopped replica 1")
    r = run([bfs_corrupt, "--config", conf, "--id", str(victim), "--path", "/" + name])
    check(r.returncode == 0 and "flipped" in r.stdout, "bfs-corrupt did not corrupt /" + name)
    r = run([bfsctl, "recover", "--dir", c, str(victim), "--timeout", "30"])
    check(r.returncode == 0 and "recovered in" in r.stdout, "bfsctl recover 2 failed")
    # Recovered: from now on its state is the others' at every checkpoint.
    before = int(status(c, victim).get("checkpoint", "0"))
    with open(os.path.join(c, "run", "bfsd-%d.log" % victim)) as f:
        log = f.read()
    check("discarded the protocol log" in log, "replica 2 kept its protocol log")
    check("rebuilt the file system digests" in log, "replica 2 did not rebuild its digests")
    since = log.split("rebuilt the file system digests")[-1]
    check("recovered" in since, "replica 2 never logged that it is recovered")
    check("state transfer: at checkpoint" in since,
          "replica 2 did not fetch what its corrupted state lacked")
    check(status(c, victim).get("key_epoch") not in (None, epoch),
          "replica 2 recovered with its old keys (key epoch %s)" % epoch)
    a = wait_agree(c, victim, "stable", "stable_digest", before)
    check(a is True, "replica 2's stable digest %s the others' at the same checkpoint" %
          ("differs from" if a is False else "never met"))
    a = wait_agree(c, victim, "checkpoint", "checkpoint_digest", before)
    check(a is True, "replica 2's own checkpoint digest %s the others' at the same "
          "checkpoint: the corruption of /%s is %s" %
          ("differs from" if a is False else "never met", name,
           "still there" if a is False else "not known to be gone"))
    print("ok a: replica 2 recovered from a hidden corruption of /%s" % name)


def part_b(bfsctl, c, w):
    n = len(w.snapshot())
    r = run([bfsctl, "recover", "--dir", c, "--all", "--timeout", "30"], timeout=200)
    check(r.returncode == 0 and r.stdout.count("recovered in") == 4,
          "bfsctl recover --all did not recover all four replicas")
    check(tr.wait_count(w, n + 20), "writes stalled during bfsctl recover --all")
    for i in range(4):
        with open(os.path.join(c, "run", "bfsd-%d.log" % i)) as f:
            check("rebuilt the file system digests" in f.read(),
                  "replica %d was not restarted with --recover" % i)
    print("ok b: every replica recovered in turn, %d files written meanwhile" %
          (len(w.snapshot()) - n))


def main():
    bfsctl, bfs_mount, bfs_corrupt = sys.argv[1], sys.argv[2], sys.argv[3]
    why = tr.fuse_unusable()
    if why:
        print(why)
        return 77
    d, c, m, conf = tr.new_cluster(bfsctl, "bfs-recovery-test-", 44000)
    p = None
    try:
        with open(conf) as f:  # short checkpoint intervals: recoveries take seconds
            text = f.read()
        for k, v in (("checkpoint_interval", 32), ("log_window", 64),
                     ("key_refresh_ms", 5000)):  # and NEW-KEYs meanwhile
            check(("\n%s = " % k) in text, "bfsctl init no longer writes %s" % k)
            text = "\n".join("%s = %d" % (k, v) if ln.startswith(k + " ") else ln
                              for ln in text.split("\n"))
        with open(conf, "w") as f:
            f.write(text)
        tr.up(bfsctl, c)
        p, mounted = tr.mount(bfs_mount, conf, m, d)
        if not mounted:
            return 1
        w = tr.Writer(m, "r")
        w.start()
        pauses = Pauses(w)
        pauses.start()
        check(tr.wait_count(w, 30), "no writes before the recoveries")
        part_a(bfsctl, bfs_corrupt, c, conf, w)
        part_b(bfsctl, c, w)
        w.stop.set()
        w.join(60)
        pauses.stop.set()
        pauses.join()
        tr.verify(m, w.snapshot(), "after the recoveries")
        print("longest pause of the writes: %.1f s (writer errors %d)" %
              (pauses.longest, w.errors))
        check(pauses.longest < STALL_LIMIT_S, "the writes stalled for %.1f s" % pauses.longest)
        time.sleep(1.5)  # every status file rewritten since the last write
        r = run([bfsctl, "status", "--dir", c])
        check(r.returncode == 0, "bfsctl status: not all replicas up and agreeing")
    finally:
        tr.tear_down(bfsctl, c, m, p, d)
    return 1 if tr.failures else 0


if __name__ == "__main__":
    sys.exit(main())
