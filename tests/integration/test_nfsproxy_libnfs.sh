#!/bin/sh
# test_nfsproxy_libnfs.sh — nfsproxy with a real NFS client: the libnfs
# command-line tools (Debian libnfs-utils) over NFSv3/TCP on loopback,
# against a 4-replica fs cluster started with `bfsctl up` and stopped with
# `bfsctl down` (which are tested here too).
#
# Lists the empty root, copies a small file, 1 MB and 100 MB of random data
# in and out, compares SHA-256 sums, reads with nfs-cat, lists the copies
# with their sizes. libnfs 4.0's tools speak NFSv3 and v4 only; NFSv2 is
# covered by test_nfsproxy_rpc.
#
#   test_nfsproxy_libnfs.sh BFSCTL
#
# Exit 77 (skipped) without nfs-cp. Never leaves processes behind: the trap
# runs bfsctl down.
set -u
BFSCTL=$1
command -v nfs-cp >/dev/null && command -v nfs-ls >/dev/null && command -v nfs-cat >/dev/null || {
	echo "SKIP: libnfs-utils (nfs-ls, nfs-cp, nfs-cat) not installed"
	exit 77
}
D=$(mktemp -d /tmp/bfs-libnfs-XXXXXX)
BASE=$((30000 + $$ % 500 * 10))
trap '"$BFSCTL" down --dir "$D/c" >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$D"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

"$BFSCTL" init --dir "$D/c" --base-port "$BASE" >/dev/null || { echo "FAIL: init"; exit 1; }
"$BFSCTL" up --dir "$D/c" >"$D/up.out" 2>&1 || { cat "$D/up.out"; tail -20 "$D"/c/run/*.log; exit 1; }
"$BFSCTL" up --dir "$D/c" >"$D/up2.out" 2>&1 || bad "second bfsctl up failed"
[ "$(grep -c 'already running' "$D/up2.out")" = 5 ] || bad "second up did not refuse 5 running processes: $(cat "$D/up2.out")"

P="nfsport=$((BASE + 7))&mountport=$((BASE + 8))"
URL="nfs://127.0.0.1/"
# libnfs mounts "" for nfs://host/FILE and then fails its auto-traverse of
# the "/" export; nfs://host//FILE mounts "/" (see doc/design.md).
FURL="nfs://127.0.0.1/"

out=$(timeout 20 nfs-ls "$URL?$P" 2>&1) || bad "nfs-ls of the empty root failed: $out"
[ -z "$out" ] || bad "the new file system is not empty: $out"

printf 'hello from BFS through nfsproxy\n' >"$D/small"
head -c 1000000 /dev/urandom >"$D/one"
head -c 100000000 /dev/urandom >"$D/big"
for f in small one big; do
	timeout 120 nfs-cp "$D/$f" "$FURL/$f?$P" >/dev/null 2>"$D/cp.err" ||
		bad "nfs-cp $f in failed: $(cat "$D/cp.err")"
done
timeout 20 nfs-cp "$D/small" "nfs://127.0.0.1/small2?$P&auto-traverse-mounts=0" >/dev/null 2>&1 ||
	bad "nfs-cp to nfs://host/FILE with auto-traverse-mounts=0 failed"

ls_out=$(timeout 20 nfs-ls "$URL?$P" 2>&1) || bad "nfs-ls failed: $ls_out"
for want in "1000000 one" "100000000 big" "32 small" "32 small2"; do
	echo "$ls_out" | grep -q " $want\$" || bad "nfs-ls does not show '$want': $ls_out"
done

[ "$(timeout 20 nfs-cat "$FURL/small?$P" 2>/dev/null)" = "hello from BFS through nfsproxy" ] ||
	bad "nfs-cat small differs"
for f in small one big; do
	timeout 120 nfs-cp "$FURL/$f?$P" "$D/$f.back" >/dev/null 2>"$D/cp.err" ||
		bad "nfs-cp $f out failed: $(cat "$D/cp.err")"
	a=$(sha256sum <"$D/$f" | cut -d' ' -f1)
	b=$(sha256sum <"$D/$f.back" 2>/dev/null | cut -d' ' -f1)
	[ "$a" = "$b" ] || bad "$f: SHA-256 $b after the round trip, $a before"
done

"$BFSCTL" down --dir "$D/c" >"$D/down.out" 2>&1
grep -q 'stopped 5 process' "$D/down.out" || bad "bfsctl down: $(cat "$D/down.out")"
ls "$D"/c/run/*.pid >/dev/null 2>&1 && bad "pid files left after down"
grep -q 'stopped after' "$D/c/run/nfsproxy.log" || bad "nfsproxy did not log a clean stop"
[ $fail = 0 ] && echo "ok: nfs-ls, nfs-cp (32 B, 1 MB, 100 MB) in and out, nfs-cat through nfsproxy"
exit $fail
