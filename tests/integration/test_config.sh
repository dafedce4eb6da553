#!/bin/sh
# test_config.sh — bfsctl init / config check and bfsd's refusal of bad keys
# and configurations (doc/config.md). Usage: test_config.sh BFSCTL BFSD
# Never leaves files behind; starts bfsd only where it must refuse to run.
set -u
BFSCTL=$1 BFSD=$2
D=$(mktemp -d /tmp/bfs-cfg-XXXXXX)
trap 'rm -rf "$D"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

"$BFSCTL" init --dir "$D/c" --f 1 --base-port 21000 --clients 2 >/dev/null || bad "init failed"
"$BFSCTL" config check "$D/c/bfs.conf" >/dev/null || bad "fresh config does not check"
"$BFSCTL" init --dir "$D/c" >/dev/null 2>&1 && bad "init overwrote an existing cluster"
[ "$(stat -c %a "$D/c/keys/replica0.key")" = 600 ] || bad "private key is not mode 0600"

# Every problem is reported with its line number.
sed -e 's/^f = 1 /f = x /' -e 's/^durability = sync/durability = maybe/' \
    -e '0,/^address = 127.0.0.1:21001/s//address = nowhere/' "$D/c/bfs.conf" > "$D/c/bad.conf"
out=$("$BFSCTL" config check "$D/c/bad.conf" 2>&1) && bad "bad config accepted"
for want in "bad.conf:5: f must be" "durability must be" "address must be host:port"; do
	echo "$out" | grep -q "$want" || bad "config check did not say '$want': $out"
done

# A group/world-readable private key is refused, naming the fix.
chmod 644 "$D/c/keys/replica1.key"
out=$("$BFSD" --config "$D/c/bfs.conf" --id 1 2>&1) && bad "bfsd ran with a 0644 key"
echo "$out" | grep -q "chmod 600" || bad "no chmod hint: $out"
chmod 600 "$D/c/keys/replica1.key"

# A key that does not match the configuration is refused.
out=$("$BFSD" --config "$D/c/bfs.conf" --id 1 --key "$D/c/keys/replica2.key" 2>&1) &&
	bad "bfsd ran with another node's key"
echo "$out" | grep -q "does not match" || bad "no mismatch message: $out"

# [fs]: the replicated file system settings are checked with their lines.
sed -e 's/^atime = relaxed/atime = sometimes/' -e 's/^max_bytes = 16G/max_bytes = 12Q/' \
    -e 's/^anon_uid = 65534/anon_uid = 5000000000/' "$D/c/bfs.conf" > "$D/c/badfs.conf"
printf '[fs]\nfsid = 2\n' >> "$D/c/badfs.conf"
out=$("$BFSCTL" config check "$D/c/badfs.conf" 2>&1) && bad "bad [fs] accepted"
for want in "atime must be strict or relaxed" "max_bytes must be a byte count" \
	    "anon_uid must be a whole number" "\[fs\] appears twice"; do
	echo "$out" | grep -q "$want" || bad "config check did not say '$want': $out"
done

# A replica refuses to open a file system formatted with other [fs] settings.
timeout 2 "$BFSD" --config "$D/c/bfs.conf" --id 0 --service fs >/dev/null 2>&1
[ -d "$D/c/data/replica0" ] || bad "bfsd --service fs did not create its state"
sed -e 's/^fsid = 1/fsid = 7/' "$D/c/bfs.conf" > "$D/c/otherfs.conf"
out=$(timeout 10 "$BFSD" --config "$D/c/otherfs.conf" --id 0 --service fs 2>&1) &&
	bad "bfsd opened a file system formatted with another fsid"
echo "$out" | grep -q "\[fs\] settings differ" || bad "no [fs] mismatch message: $out"

# The bucket key: written 0600 by init; another key is another file system;
# a readable or malformed key file stops bfsd before it opens anything.
[ "$(stat -c %a "$D/c/keys/fs-bucket.key")" = 600 ] || bad "bucket key is not mode 0600"
cp "$D/c/keys/fs-bucket.key" "$D/c/keys/other.key"
sed -i 's/^bucket-key = \(.\)/bucket-key = f\1/; s/^bucket-key = \(.\{32\}\).*/bucket-key = \1/' \
    "$D/c/keys/other.key"
cmp -s "$D/c/keys/fs-bucket.key" "$D/c/keys/other.key" && bad "sed did not change the key"
sed -e 's|^bucket_key_file = .*|bucket_key_file = keys/other.key|' "$D/c/bfs.conf" \
    > "$D/c/otherkey.conf"
out=$(timeout 10 "$BFSD" --config "$D/c/otherkey.conf" --id 0 --service fs 2>&1) &&
	bad "bfsd opened a file system formatted with another bucket key"
echo "$out" | grep -q "\[fs\] settings differ" || bad "no bucket key mismatch message: $out"
chmod 644 "$D/c/keys/other.key"
out=$(timeout 10 "$BFSD" --config "$D/c/otherkey.conf" --id 0 --service fs 2>&1) &&
	bad "bfsd used a 0644 bucket key"
echo "$out" | grep -q "chmod 600" || bad "no chmod hint for the bucket key: $out"
printf 'bucket-key = 1234\n' > "$D/c/keys/short.key"
chmod 600 "$D/c/keys/short.key"
sed -e 's|^bucket_key_file = .*|bucket_key_file = keys/short.key|' "$D/c/bfs.conf" \
    > "$D/c/shortkey.conf"
out=$(timeout 10 "$BFSD" --config "$D/c/shortkey.conf" --id 0 --service fs 2>&1) &&
	bad "bfsd used a short bucket key"
echo "$out" | grep -q "32 hexadecimal digits" || bad "no message for a short key: $out"

# Garbage instead of a config file.
head -c 3000 /dev/urandom > "$D/junk.conf"
"$BFSCTL" config check "$D/junk.conf" >/dev/null 2>&1 && bad "junk accepted"
exit $fail
