#!/usr/bin/env python3
"""test_restart.py — replicas killed with SIGKILL and restarted from disk.

A local 4-replica fs cluster (bfsctl init / up, durability = sync) is
mounted with bfs-mount bft:, and a writer creates files one after another
(write, close: acknowledged when close returns), remembering each file's
SHA-256. Meanwhile:

  1. a backup is killed with SIGKILL and restarted (bfsctl up restarts
     what is not running), then the primary; afterwards another replica is
     killed, so every quorum needs the restarted ones: writes still
     complete only if they caught up (their protocol log and LMDB state
     were consistent, bft/core/persist.c);
  2. all four replicas are killed with SIGKILL at once in the middle of
     the stream and restarted: every file whose close returned before the
     kill must be there with its contents (sync mode: no acknowledged
     request is lost), and the cluster goes on accepting writes.

  test_restart.py BFSCTL BFS_MOUNT

Exit 77 (skipped) only when /dev/fuse cannot be opened. Never leaves
processes or mounts behind.
"""
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def pid_of(c, i):
    try:
        with open(os.path.join(c, "run", "bfsd-%d.pid" % i)) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def kill9(c, ids):
    for i in ids:
        pid = pid_of(c, i)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for i in ids:  # reaped by nobody (bfsctl detached them): wait until gone
        pid = pid_of(c, i)
        end = time.time() + 5
        while pid and time.time() < end and os.path.exists("/proc/%d" % pid):
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    break
            time.sleep(0.02)


def up(bfsctl, c):
    r = subprocess.run([bfsctl, "up", "--dir", c], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, "bfsctl up (restart): %s%s" % (r.stdout, r.stderr))


class Writer(threading.Thread):
    """Creates files w<N> until stopped; acked[name] = sha of what close
    acknowledged. Errors while replicas are down are expected; such a file
    is simply not acknowledged."""

    def __init__(self, m, prefix):
        super().__init__(daemon=True)
        self.m, self.prefix = m, prefix
        self.acked = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors = 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            name = "%s%05d" % (self.prefix, n)
            data = os.urandom(1000 + n % 5000)
            n += 1
            try:
                with open(os.path.join(self.m, name), "wb") as f:
                    f.write(data)
            except OSError:
                self.errors += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.acked[name] = sha(data)

    def snapshot(self):
        with self.lock:
            return dict(self.acked)


def verify(m, acked, what):
    bad = 0
    for name, want in acked.items():
        try:
            with open(os.path.join(m, name), "rb") as f:
                got = sha(f.read())
        except OSError as e:
            got = "error %s" % e
        if got != want:
            bad += 1
            if bad <= 5:
                check(False, "%s: acknowledged file %s: %s" % (what, name,
                      "missing or unreadable (%s)" % got if got.startswith("error") else
                      "contents differ"))
    check(bad == 0, "%s: %d of %d acknowledged files lost or wrong" % (what, bad, len(acked)))
    print("ok %s: %d acknowledged files intact" % (what, len(acked) - bad))


def wait_count(w, n, timeout=60):
    end = time.time() + timeout
    while len(w.snapshot()) < n and time.time() < end:
        time.sleep(0.05)
    return len(w.snapshot()) >= n


def fuse_unusable():
    """Why /dev/fuse cannot be used (the test then exits 77), or None."""
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as e:
        return "SKIP: /dev/fuse unavailable (%s)" % e
    return None


def mount(bfs_mount, conf, m, d):
    """bfs-mount -f bft:CONF at m (log in d/mount.log): the process, and
    whether it mounted within 20 s (a failure is recorded)."""
    log = open(os.path.join(d, "mount.log"), "w")
    p = subprocess.Popen([bfs_mount, "-f", "bft:" + conf, m], stdout=log, stderr=log)
    end = time.time() + 20
    while not os.path.ismount(m) and time.time() < end and p.poll() is None:
        time.sleep(0.05)
    check(os.path.ismount(m), "bfs-mount did not mount")
    return p, os.path.ismount(m)


def tear_down(bfsctl, c, m, p, d):
    """Unmount m, stop bfs-mount p and the cluster c; remove d unless a
    check failed (its logs are kept then)."""
    if os.path.ismount(m):
        subprocess.run(["fusermount3", "-u", m], capture_output=True)
    if p is not None:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    subprocess.run([bfsctl, "down", "--dir", c], capture_output=True, timeout=60)
    if failures:
        print("logs kept in", d, file=sys.stderr)
    else:
        subprocess.run(["rm", "-rf", d])


def new_cluster(bfsctl, prefix, port_base):
    """bfsctl init in a new temporary directory d: (d, cluster dir, empty
    mount point, config path), ports from port_base + a per-process offset."""
    d = tempfile.mkdtemp(prefix=prefix)
    c, m = os.path.join(d, "c"), os.path.join(d, "m")
    os.mkdir(m)
    base = port_base + os.getpid() % 400 * 10
    subprocess.run([bfsctl, "init", "--dir", c, "--base-port", str(base)], check=True,
                   stdout=subprocess.DEVNULL)
    return d, c, m, os.path.join(c, "bfs.conf")


def main():
    bfsctl, bfs_mount = sys.argv[1], sys.argv[2]
    why = fuse_unusable()
    if why:
        print(why)
        return 77
    d, c, m, conf = new_cluster(bfsctl, "bfs-restart-test-", 36000)
    p = None
    try:
        with open(conf) as f:
            text = f.read()
        check("durability = sync" in text, "bfsctl init no longer writes durability = sync")
        up(bfsctl, c)
        p, mounted = mount(bfs_mount, conf, m, d)
        if not mounted:
            return 1

        # 1. one replica at a time
        w = Writer(m, "a")
        w.start()
        check(wait_count(w, 30), "no writes before the first kill")
        for victim in (2, 0):  # a backup, then the primary of view 0
            kill9(c, [victim])
            n = len(w.snapshot())
            check(wait_count(w, n + 20), "writes stalled with replica %d killed" % victim)
            up(bfsctl, c)
            n = len(w.snapshot())
            check(wait_count(w, n + 20), "writes stalled after restarting replica %d" % victim)
        # the restarted ones are now needed for every quorum
        kill9(c, [3])
        n = len(w.snapshot())
        check(wait_count(w, n + 30, timeout=90),
              "writes stalled with replica 3 down: restarted replicas 0 and 2 did not "
              "catch up")
        up(bfsctl, c)
        w.stop.set()
        w.join(60)
        verify(m, w.snapshot(), "single restarts")

        # 2. all four at once, mid-stream
        w2 = Writer(m, "b")
        w2.start()
        check(wait_count(w2, 40), "no writes before killing all replicas")
        kill9(c, [0, 1, 2, 3])
        acked = w2.snapshot()
        time.sleep(0.5)
        up(bfsctl, c)
        check(wait_count(w2, len(acked) + 20, timeout=120),
              "no writes complete after restarting all replicas")
        w2.stop.set()
        w2.join(60)
        verify(m, acked, "kill all 4")
        verify(m, w2.snapshot(), "after the restart")
        print("writer errors while replicas were down: %d, %d" % (w.errors, w2.errors))
    finally:
        tear_down(bfsctl, c, m, p, d)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
