#!/usr/bin/env python3
"""test_bfs_mount.py — bfs-mount (fuse-client/) used as a file system.

A local 4-replica fs cluster with nfsproxy (bfsctl init / up, durability
async so the run stays short: durability is not what this test is about) is
mounted with `bfs-mount -f bft:CONFIG MNT` — the command line the Andrew
benchmark drives — and used through ordinary POSIX calls: directory trees,
files of several sizes up to 3 MiB with checksums, append, truncate, rename
(also over an existing file and of directories), hard links and link counts,
symlinks, files used after unlink, chmod, utimes (explicit and now), errors, permission checks for
another user, a directory of 1200 entries, rm -r, statfs, parallel writers,
and use with one replica killed (f = 1). Then the same cluster through nfsproxy with `bfs-mount nfs://...` (detached
mode): both mounts see each other's files; and, when nfs-ganesha and rpcbind
are installed, nfs:// against nfs-ganesha with ports from rpcbind. Unmounting with fusermount3 -u
and SIGTERM must end the processes cleanly; `bfsctl up --mount` mounts and
`bfsctl down` unmounts (what ./bfs up and down run).

  test_bfs_mount.py BFSCTL BFS_MOUNT

Exit 77 (skipped) only when /dev/fuse cannot be opened. Never leaves
processes or mounts behind (finally: unmount, bfsctl down).
"""
import errno
import hashlib
import os
import shutil
import signal
import stat
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


def expect_errno(code, fn, what):
    try:
        fn()
    except OSError as e:
        check(e.errno == code, "%s: errno %s, expected %s" % (what, errno.errorcode.get(
            e.errno, e.errno), errno.errorcode[code]))
        return
    check(False, "%s: succeeded, expected %s" % (what, errno.errorcode[code]))


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def wait_mounted(path, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.ismount(path):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def unmount(path):
    if os.path.ismount(path):
        if subprocess.run(["fusermount3", "-u", path], capture_output=True).returncode:
            subprocess.run(["umount", "-l", path], capture_output=True)


# ---- POSIX use of one mount ----

def files_and_sizes(m):
    os.makedirs(os.path.join(m, "a/b/c/d"))
    check(os.path.isdir(os.path.join(m, "a/b/c/d")), "mkdir -p tree missing")
    sizes = [0, 1, 4095, 32768, 32769, 100000, 1572865, 3 * 1024 * 1024 + 7]
    sums = {}
    for n in sizes:
        data = os.urandom(n)
        p = os.path.join(m, "a/b/c/d/f%d" % n)
        with open(p, "wb") as f:
            f.write(data)
        sums[p] = (hashlib.sha256(data).hexdigest(), n)
    for p, (want, n) in sums.items():
        check(os.stat(p).st_size == n, "%s: size %d, wrote %d" % (p, os.stat(p).st_size, n))
        check(sha(p) == want, "%s: SHA-256 differs after the round trip" % p)
    big = os.path.join(m, "a/b/c/d/f%d" % sizes[-1])
    with open(big, "rb") as f:  # a read across 32 KiB piece boundaries
        f.seek(32768 * 3 - 100)
        part = f.read(70000)
    with open(big, "rb") as f:
        whole = f.read()
    check(part == whole[32768 * 3 - 100:32768 * 3 - 100 + 70000], "pread across pieces")
    return big


def append_truncate(m):
    p = os.path.join(m, "log")
    with open(p, "w") as f:
        f.write("one\n")
    with open(p, "a") as f:
        f.write("two\n")
    with open(p) as f:
        check(f.read() == "one\ntwo\n", "append did not append")
    os.truncate(p, 3)
    with open(p) as f:
        check(f.read() == "one", "truncate to 3 bytes")
    os.truncate(p, 10000)
    with open(p, "rb") as f:
        d = f.read()
    check(d == b"one" + bytes(9997), "truncate up must read zeros")
    with open(p, "r+b") as f:  # overwrite in the middle
        f.seek(5000)
        f.write(b"XY")
    with open(p, "rb") as f:
        d = f.read()
    check(len(d) == 10000 and d[5000:5002] == b"XY" and d[4999] == 0, "overwrite in place")


def renames(m):
    os.makedirs(os.path.join(m, "r/x"))
    p, q = os.path.join(m, "r/src"), os.path.join(m, "r/x/dst")
    with open(p, "w") as f:
        f.write("source")
    with open(q, "w") as f:
        f.write("old target")
    os.rename(p, q)  # over an existing file
    check(not os.path.exists(p), "rename left the source")
    with open(q) as f:
        check(f.read() == "source", "rename over existing: wrong content")
    os.rename(os.path.join(m, "r/x"), os.path.join(m, "r/y"))  # a directory
    check(os.path.exists(os.path.join(m, "r/y/dst")), "directory rename lost its entry")
    subprocess.run(["mv", os.path.join(m, "r/y/dst"), os.path.join(m, "moved")], check=True)
    check(os.path.exists(os.path.join(m, "moved")), "mv(1) across directories")
    os.mkdir(os.path.join(m, "r/full"))
    open(os.path.join(m, "r/full/z"), "w").close()
    expect_errno(errno.ENOTEMPTY, lambda: os.rename(os.path.join(m, "r/y"),
                                                    os.path.join(m, "r/full")),
                 "rename onto a non-empty directory")


def links(m):
    p, q = os.path.join(m, "orig"), os.path.join(m, "hard")
    with open(p, "w") as f:
        f.write("linked")
    os.link(p, q)
    a, b = os.stat(p), os.stat(q)
    check(a.st_nlink == 2 and b.st_nlink == 2, "link count %d/%d, expected 2" % (
        a.st_nlink, b.st_nlink))
    check(a.st_ino == b.st_ino, "hard links with different inode numbers")
    os.unlink(p)
    check(os.stat(q).st_nlink == 1, "link count after unlink")
    with open(q) as f:
        check(f.read() == "linked", "content through the remaining link")
    os.symlink("hard", os.path.join(m, "soft"))
    os.symlink("/nonexistent/target", os.path.join(m, "dangling"))
    s = os.path.join(m, "soft")
    check(os.readlink(s) == "hard", "readlink")
    check(stat.S_ISLNK(os.lstat(s).st_mode), "lstat of a symlink")
    with open(s) as f:
        check(f.read() == "linked", "open through a symlink")
    check(os.readlink(os.path.join(m, "dangling")) == "/nonexistent/target", "dangling link")


def open_unlinked(m):
    """POSIX: an open file outlives its last name (silly rename)."""
    d = os.path.join(m, "ou")
    os.mkdir(d)
    p = os.path.join(d, "tmp")
    with open(p, "w+b") as f:
        f.write(b"still here")
        os.unlink(p)
        check(not os.path.exists(p), "unlinked name still visible")
        f.write(b", and writable")
        f.seek(0)
        check(f.read() == b"still here, and writable", "open unlinked file lost its data")
        q = os.path.join(d, "target")
        with open(q, "wb") as g:
            g.write(b"new")
        with open(q, "rb") as old:
            os.rename(p if os.path.exists(p) else q, q)  # same name: no-op
            with open(os.path.join(d, "src"), "wb") as g:
                g.write(b"replacement")
            os.rename(os.path.join(d, "src"), q)  # replaces the open target
            check(old.read() == b"new", "rename over an open file lost its data")
        with open(q, "rb") as g:
            check(g.read() == b"replacement", "rename over an open file: new content")
    end = time.time() + 5  # the hidden name goes after the (asynchronous) release
    while os.listdir(d) != ["target"] and time.time() < end:
        time.sleep(0.05)
    check(os.listdir(d) == ["target"], "hidden names left after close: %s" % os.listdir(d))


def attributes(m):
    p = os.path.join(m, "attrs")
    open(p, "w").close()
    os.chmod(p, 0o640)
    check(stat.S_IMODE(os.stat(p).st_mode) == 0o640, "chmod 640")
    os.chmod(p, 0o4755)
    check(stat.S_IMODE(os.stat(p).st_mode) == 0o4755, "chmod 4755")
    os.utime(p, ns=(1_000_000_123_456_000, 1_100_000_000_789_000))
    st = os.stat(p)
    check(st.st_atime_ns == 1_000_000_123_456_000, "explicit atime %d" % st.st_atime_ns)
    check(st.st_mtime_ns == 1_100_000_000_789_000, "explicit mtime %d" % st.st_mtime_ns)
    os.utime(p)  # UTIME_NOW: the cluster's agreed time
    st = os.stat(p)
    check(abs(st.st_mtime - time.time()) < 60, "utime(now) mtime %f" % st.st_mtime)
    os.chown(p, 1234, 5678)
    st = os.stat(p)
    check((st.st_uid, st.st_gid) == (1234, 5678), "chown by root")


def errors(m):
    expect_errno(errno.ENOENT, lambda: open(os.path.join(m, "no/such")), "open missing")
    expect_errno(errno.EEXIST, lambda: os.mkdir(os.path.join(m, "a")), "mkdir existing")
    expect_errno(errno.ENOTEMPTY, lambda: os.rmdir(os.path.join(m, "a")), "rmdir non-empty")
    expect_errno(errno.EEXIST, lambda: os.open(os.path.join(m, "log"),
                                               os.O_CREAT | os.O_EXCL | os.O_WRONLY),
                 "O_EXCL on an existing file")
    expect_errno(errno.ENOTDIR, lambda: os.listdir(os.path.join(m, "log")), "listdir a file")


def other_user(m):
    """Another uid gets its own AUTH_SYS credential: the cluster decides."""
    if os.geteuid() != 0:
        return
    pub = os.path.join(m, "pub")
    os.mkdir(pub)
    os.chmod(pub, 0o777)
    with open(os.path.join(m, "rootonly"), "w") as f:
        f.write("secret")
    os.chmod(os.path.join(m, "rootonly"), 0o600)
    script = ("echo nobody > {p}/mine && stat -c %u {p}/mine\n"
              "cat {m}/rootonly 2>/dev/null && echo read || echo EACCES\n"
              "(echo x >> {m}/log) 2>/dev/null && echo write || echo EACCES\n"
              "test -w {m}/log && echo True || echo False\n"
              "test -r {m}/log && echo True || echo False\n").format(p=pub, m=m)
    r = subprocess.run(["sh", "-c", script], user=65534, group=65534, cwd="/",
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "as nobody: %s" % r.stderr)
    check(r.stdout.split() == ["65534", "EACCES", "EACCES", "False", "True"],
          "as nobody: %r" % r.stdout)


def big_directory(m):
    d = os.path.join(m, "many")
    os.mkdir(d)
    names = {"entry-%04d-%s" % (i, "x" * (i % 40)) for i in range(1200)}
    for n in names:
        open(os.path.join(d, n), "w").close()
    got = os.listdir(d)
    check(len(got) == len(names) and set(got) == names,
          "readdir of 1200 entries returned %d (%d distinct)" % (len(got), len(set(got))))
    ls = subprocess.run(["ls", "-l", d], capture_output=True, text=True)
    check(ls.returncode == 0 and len(ls.stdout.splitlines()) == 1201, "ls -l of 1200 entries")
    for i, n in enumerate(sorted(names)):
        if i % 2:
            os.unlink(os.path.join(d, n))
    check(len(os.listdir(d)) == 600, "readdir after removing half")
    with os.scandir(d) as it:
        check(all(e.is_file() for e in it), "d_type of entries")
    shutil.rmtree(os.path.join(m, "a"))  # rm -r of the tree and big files
    shutil.rmtree(d)
    check(not os.path.exists(d) and not os.path.exists(os.path.join(m, "a")), "rm -r")


def parallel(m):
    def writer(i):
        with open(os.path.join(m, "par%d" % i), "wb") as f:
            f.write(bytes([i]) * 200000)
    ts = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i in range(8):
        with open(os.path.join(m, "par%d" % i), "rb") as f:
            check(f.read() == bytes([i]) * 200000, "parallel writer %d" % i)


def replica_crash(m, c):
    """f = 1: with one replica killed the mount keeps working."""
    with open(os.path.join(c, "run", "bfsd-3.pid")) as f:
        os.kill(int(f.read()), signal.SIGKILL)
    data = os.urandom(300000)
    with open(os.path.join(m, "after-crash"), "wb") as f:
        f.write(data)
    with open(os.path.join(m, "after-crash"), "rb") as f:
        check(f.read() == data, "write/read with replica 3 killed")
    os.mkdir(os.path.join(m, "after-crash-dir"))
    check(len(os.listdir(os.path.join(m, "after-crash-dir"))) == 0, "mkdir/readdir after crash")


def statfs(m, before):
    after = os.statvfs(m)
    check(after.f_blocks > 0 and after.f_files > 0, "statfs reports no capacity")
    check(after.f_bfree < before.f_bfree, "statfs free blocks did not drop after writing")
    check(after.f_ffree < before.f_ffree, "statfs free inodes did not drop after creating")


# ---- a third-party NFS server: nfs-ganesha (optional) ----

def port_open(port):
    import socket
    with socket.socket() as so:
        so.settimeout(0.2)
        return so.connect_ex(("127.0.0.1", port)) == 0


def stop(p):
    if p is not None and p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def ganesha(bfs_mount, d, base):
    """nfs:// against nfs-ganesha (FSAL VFS): ports found through rpcbind,
    1 MiB rtmax/wtmax, UNSTABLE writes and COMMIT. Skipped without the
    packages (nfs-ganesha nfs-ganesha-vfs rpcbind, as for bfs-bench-nfs)."""
    if not shutil.which("ganesha.nfsd") or not shutil.which("rpcbind"):
        print("skip nfs-ganesha part: nfs-ganesha or rpcbind not installed")
        return
    g, m = os.path.join(d, "ganesha"), os.path.join(d, "mg")
    exp = os.path.join(g, "export")
    os.makedirs(exp)
    os.mkdir(m)
    os.chmod(exp, 0o777)
    nfs, mnt = base + 5000, base + 5001
    with open(os.path.join(g, "g.conf"), "w") as f:
        f.write("NFS_CORE_PARAM { NFS_Port = %d; MNT_Port = %d; NLM_Port = %d;\n"
                "  Rquota_Port = %d; Protocols = 3; Bind_addr = 127.0.0.1;\n"
                "  Enable_NLM = false; Enable_RQUOTA = false; }\n"
                "NFSV4 { Graceless = true; }\n"
                "EXPORT { Export_Id = 1; Path = %s; Pseudo = %s; Access_Type = RW;\n"
                "  Squash = No_Root_Squash; Protocols = 3; Transports = TCP;\n"
                "  SecType = sys; FSAL { Name = VFS; } }\n"
                "LOG { Default_Log_Level = WARN; }\n" % (nfs, mnt, nfs + 2, nfs + 3, exp, exp))
    rpcbind = gan = mp = None
    try:
        if not port_open(111):
            rpcbind = subprocess.Popen(["rpcbind", "-f", "-w"])
        # its own pid file: another ganesha (bfs-bench-nfs) may hold the default
        gan = subprocess.Popen(["ganesha.nfsd", "-F", "-f", os.path.join(g, "g.conf"), "-L",
                                os.path.join(g, "g.log"), "-p", os.path.join(g, "g.pid")])
        end = time.time() + 10
        while time.time() < end and not (port_open(nfs) and port_open(mnt)):
            time.sleep(0.1)
        if not (port_open(nfs) and port_open(mnt)):
            print("skip nfs-ganesha part: ganesha.nfsd did not start (busy machine, or "
                  "another instance); its log:")
            with open(os.path.join(g, "g.log")) as f:
                print(f.read()[-1500:])
            return
        mp = subprocess.Popen([bfs_mount, "-f", "nfs://127.0.0.1" + exp, m],
                              stderr=subprocess.PIPE, text=True)
        if not wait_mounted(m, mp):
            check(False, "bfs-mount nfs:// of nfs-ganesha (ports from rpcbind) failed")
            return
        for step in (files_and_sizes, append_truncate, renames, links, open_unlinked, parallel):
            step(m)
        print("ok nfs-ganesha")
    finally:
        unmount(m)
        stop(mp)
        stop(gan)
        stop(rpcbind)


# ---- the run ----

def main():
    bfsctl, bfs_mount = sys.argv[1], sys.argv[2]
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as e:
        print("SKIP: /dev/fuse unavailable (%s): bfs-mount cannot be tested here" % e)
        return 77
    d = tempfile.mkdtemp(prefix="bfs-mount-test-")
    os.chmod(d, 0o755)  # other_user() reaches the mount point through it
    c, m, m2 = os.path.join(d, "c"), os.path.join(d, "m"), os.path.join(d, "m2")
    os.mkdir(m)
    os.mkdir(m2)
    base = 35000 + os.getpid() % 500 * 10
    procs = []
    try:
        subprocess.run([bfsctl, "init", "--dir", c, "--base-port", str(base)], check=True,
                       stdout=subprocess.DEVNULL)
        conf = os.path.join(c, "bfs.conf")
        with open(conf) as f:
            text = f.read().replace("durability = sync", "durability = async")
        with open(conf, "w") as f:
            f.write(text)
        up = subprocess.run([bfsctl, "up", "--dir", c], capture_output=True, text=True)
        check(up.returncode == 0, "bfsctl up: %s" % up.stderr)
        log = open(os.path.join(d, "mount.log"), "w")
        p = subprocess.Popen([bfs_mount, "-f", "bft:" + conf, m], stdout=log, stderr=log)
        procs.append(p)
        if not wait_mounted(m, p):
            check(False, "bfs-mount bft: did not mount")
            return 1
        before = os.statvfs(m)
        for step in (files_and_sizes, append_truncate, renames, links, open_unlinked,
                     attributes, errors, other_user, big_directory, parallel):
            t = time.time()
            step(m)
            print("ok %-16s %.2f s" % (step.__name__, time.time() - t))
        statfs(m, before)
        t = time.time()
        replica_crash(m, c)
        print("ok replica_crash   %.2f s" % (time.time() - t))

        url = "nfs://127.0.0.1/?nfsport=%d&mountport=%d" % (base + 7, base + 8)
        r = subprocess.run([bfs_mount, "-o", "log=" + os.path.join(d, "nfs.log"), url, m2],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and os.path.ismount(m2),
              "bfs-mount nfs:// (detached) failed: %s" % r.stderr)
        if os.path.ismount(m2):
            for i in range(8):
                check(sha(os.path.join(m2, "par%d" % i)) == sha(os.path.join(m, "par%d" % i)),
                      "par%d differs between the bft: and nfs:// mounts" % i)
            data = os.urandom(2 * 1024 * 1024 + 3)
            with open(os.path.join(m2, "via-nfs"), "wb") as f:
                f.write(data)
            check(sha(os.path.join(m, "via-nfs")) == hashlib.sha256(data).hexdigest(),
                  "a file written through nfs:// reads differently through bft:")
            check(os.readlink(os.path.join(m2, "soft")) == "hard", "readlink via nfs://")
            os.mkdir(os.path.join(m2, "nfsdir"))
            for i in range(300):
                open(os.path.join(m2, "nfsdir", "n%d" % i), "w").close()
            check(len(os.listdir(os.path.join(m2, "nfsdir"))) == 300, "nfs:// readdir")
            shutil.rmtree(os.path.join(m2, "nfsdir"))
            print("ok nfs://")

        ganesha(bfs_mount, d, base)

        # clean ends: fusermount3 -u for the bft: mount, SIGTERM for nfs://
        subprocess.run(["fusermount3", "-u", m], check=False)
        try:
            check(p.wait(timeout=10) == 0, "bfs-mount exited %s after fusermount3 -u" %
                  p.returncode)
        except subprocess.TimeoutExpired:
            check(False, "bfs-mount still runs 10 s after fusermount3 -u")
        out = subprocess.run(["pgrep", "-f", "bfs-mount .*" + m2], capture_output=True,
                             text=True).stdout.split()
        for pid in out:
            os.kill(int(pid), signal.SIGTERM)
        end = time.time() + 10
        while os.path.ismount(m2) and time.time() < end:
            time.sleep(0.05)
        check(not os.path.ismount(m2), "nfs:// mount still there 10 s after SIGTERM")

        # bfsctl up --mount (what ./bfs up runs) and bfsctl down's unmount
        m3 = os.path.join(d, "m3")
        up = subprocess.run([bfsctl, "up", "--dir", c, "--mount", m3], capture_output=True,
                            text=True, timeout=60)
        check(up.returncode == 0 and os.path.ismount(m3), "bfsctl up --mount: %s%s" % (
            up.stdout, up.stderr))
        check(os.path.exists(os.path.join(m3, "via-nfs")), "bfsctl up --mount: files missing")
        down = subprocess.run([bfsctl, "down", "--dir", c], capture_output=True, text=True,
                              timeout=60)
        check("unmounted" in down.stdout and not os.path.ismount(m3),
              "bfsctl down did not unmount: %s%s" % (down.stdout, down.stderr))
    finally:
        unmount(m)
        unmount(m2)
        unmount(os.path.join(d, "m3"))
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run([bfsctl, "down", "--dir", c], capture_output=True)
        if failures or os.environ.get("KEEP"):
            print("logs kept in", d, file=sys.stderr)
            for name in ("mount.log", "nfs.log"):
                path = os.path.join(d, name)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write(f.read()[-4000:])
        else:
            shutil.rmtree(d, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
