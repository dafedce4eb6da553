#!/usr/bin/env python3
"""gen_corpus.py — writes the seed corpus of the decode fuzzer.

A second, independent implementation of the PBFT wire format documented in
bft/include/bft/messages.h (it shares no code with bft/codec), used to
generate valid messages of every type plus truncations and mutations:

    ok4-*   must decode with n = 4 (checked by the replay driver)
    ok7-*   must decode with n = 7
    bad-*   must be rejected with both n = 4 and n = 7

Run:  python3 tests/fuzz/gen_corpus.py [outdir]   (default: corpus/decode
next to this script). Output is deterministic; files it did not write are
left alone (inputs found by libFuzzer are kept under other prefixes).
"""
import hashlib
import os
import struct
import sys

VERSION = 1
MAC, SIG = 16, 64
(REQUEST, REPLY, PRE_PREPARE, PREPARE, COMMIT, CHECKPOINT, STATUS,
 VIEW_CHANGE, VC_ACK, NEW_VIEW, FETCH, META_DATA, DATA, NEW_KEY,
 QUERY_STABLE, REPLY_STABLE) = range(1, 17)
TRAILER = {REQUEST: 'auth', REPLY: 'mac', PRE_PREPARE: 'auth', PREPARE: 'auth',
           COMMIT: 'auth', CHECKPOINT: 'sig', STATUS: 'auth',
           VIEW_CHANGE: 'sig', VC_ACK: 'auth', NEW_VIEW: 'sig', FETCH: 'auth',
           META_DATA: 'mac', DATA: 'mac', NEW_KEY: 'sig',
           QUERY_STABLE: 'auth', REPLY_STABLE: 'mac'}


def trailer_len(t, n):
    return {'auth': n * MAC, 'mac': MAC, 'sig': SIG}[TRAILER[t]]


def dig(seed):
    return hashlib.sha256(bytes([seed & 0xff])).digest()


def msg(t, sender, body, n, flags=0, trailer_byte=0xA5):
    tl = trailer_len(t, n)
    length = 12 + len(body) + tl
    hdr = struct.pack('<BBHII', VERSION, t, flags, sender, length)
    return hdr + body + bytes([trailer_byte]) * tl


def request(n, client=9, ts=0x0102030405060708, replier=2, op=b'hello', flags=1):
    return msg(REQUEST, client, struct.pack('<QII', ts, replier, len(op)) + op, n, flags)


def reply(view=5, ts=7, client=9, result=b'result bytes', flags=0):
    return msg(REPLY, 3, struct.pack('<QQII', view, ts, client, len(result)) + result, 4, flags)


def pre_prepare(n, entries, view=2, seq=3, nondet=0x1122334455667788):
    body = struct.pack('<QQQH', view, seq, nondet, len(entries))
    for e in entries:
        if e[0] == 'inline':
            body += struct.pack('<BI', 0, len(e[1])) + e[1]
        else:  # ('digest', client, ts, flags, digest)
            body += struct.pack('<BIQB', 1, e[1], e[2], e[3]) + e[4]
    return msg(PRE_PREPARE, 1, body, n)


def prepare(n, t=PREPARE):
    return msg(t, 2, struct.pack('<QQ', 2, 3) + dig(0x50), n)


def view_change(n_cp=3, p=2, q=1):
    body = struct.pack('<QQ', 5, 128) + dig(0x70)
    body += struct.pack('<H', n_cp) + b''.join(
        struct.pack('<I', i) + bytes([0x80 + i]) * SIG for i in range(n_cp))
    body += struct.pack('<H', p) + b''.join(
        struct.pack('<QQ', 129 + i, 4) + dig(0x90 + i) for i in range(p))
    body += struct.pack('<H', q) + b''.join(
        struct.pack('<QQ', 140 + i, 3) + dig(0xA0 + i) for i in range(q))
    return msg(VIEW_CHANGE, 3, body, 4)


def new_view(n_v=3, n_o=2):
    body = struct.pack('<QH', 5, n_v) + b''.join(
        struct.pack('<I', i) + dig(0xB0 + i) for i in range(n_v))
    body += struct.pack('<Q', 128) + dig(0x70)
    body += struct.pack('<H', n_o) + b''.join(
        struct.pack('<Q', 129 + i) + (dig(0x90 + i) if i % 2 == 0 else bytes(32))
        for i in range(n_o))
    return msg(NEW_VIEW, 1, body, 4)


def meta_data(count=3):
    body = struct.pack('<QIQH', 128, 1, 2, count) + b''.join(
        struct.pack('<QQ', i, 100 + i) + dig(0xC0 + i) for i in range(count))
    return msg(META_DATA, 0, body, 4)


def valid(n):
    """(name, bytes) of one valid message of each shape for n replicas."""
    ra, rb = request(n), request(n, client=10, ts=1, replier=0xffffffff, op=b'', flags=0)
    return [
        ('request', ra),
        ('request-empty', rb),
        ('reply', reply()),
        ('reply-digest', reply(result=dig(0x33), flags=2 | 1)),
        ('pre-prepare-null', pre_prepare(n, [])),
        ('pre-prepare', pre_prepare(n, [('inline', ra), ('digest', 11, 77, 1, dig(0x40)),
                                        ('inline', rb)])),
        ('prepare', prepare(n)),
        ('commit', prepare(n, COMMIT)),
        ('checkpoint', msg(CHECKPOINT, 1, struct.pack('<Q', 128) + dig(0x60), n)),
        ('status', msg(STATUS, 2, struct.pack('<QQQQI', 4, 128, 130, 131, 0xffffffff), n)),
        ('view-change', view_change()),
        ('view-change-empty', view_change(0, 0, 0)),
        ('vc-ack', msg(VC_ACK, 1, struct.pack('<QI', 5, 3) + dig(0xA0), n)),
        ('new-view', new_view()),
        ('fetch', msg(FETCH, 2, struct.pack('<IQQQI', 1, 17, 64, 128, 0), n)),
        ('meta-data', meta_data()),
        ('data', msg(DATA, 0, struct.pack('<QQQI', 128, 5, 120, 11) + b'object data', n)),
        ('new-key', msg(NEW_KEY, 2, struct.pack('<Q', 3) + dig(0xD0), n)),
        ('query-stable', msg(QUERY_STABLE, 3, struct.pack('<Q', 0xdeadbeefcafebabe), n)),
        ('reply-stable', msg(REPLY_STABLE, 0, struct.pack('<QQQ', 1, 128, 133), n)),
    ]


def set_len(m, length):
    return m[:8] + struct.pack('<I', length) + m[12:]


def bad():
    """(name, bytes) that both n = 4 and n = 7 must reject."""
    v = dict(valid(4))
    ra = v['request']
    out = []
    out.append(('empty', b''))
    out.append(('header-only', v['prepare'][:12]))
    out.append(('truncated-prepare', v['prepare'][:-1]))
    out.append(('truncated-pp-patched', set_len(v['pre-prepare'][:60], 60)))
    out.append(('version-0', b'\x00' + v['commit'][1:]))
    out.append(('version-2', b'\x02' + v['commit'][1:]))
    out.append(('type-0', v['fetch'][:1] + b'\x00' + v['fetch'][2:]))
    out.append(('type-17', v['fetch'][:1] + b'\x11' + v['fetch'][2:]))
    out.append(('length-plus-one', set_len(v['checkpoint'], len(v['checkpoint']) + 1)))
    out.append(('length-minus-one', set_len(v['new-key'], len(v['new-key']) - 1)))
    out.append(('trailing-byte', v['query-stable'] + b'\x00'))
    m = v['reply-stable']
    out.append(('garbage-before-trailer', set_len(m[:-16] + b'\x00' + m[-16:], len(m) + 1)))
    out.append(('request-flag-2', ra[:2] + b'\x03\x00' + ra[4:]))
    out.append(('reply-flag-8', reply(flags=8)))
    out.append(('reply-digest-short', reply(result=b'x' * 31, flags=2)))
    out.append(('prepare-flags', prepare(4)[:2] + b'\x01\x00' + prepare(4)[4:]))
    # Counts and lengths over their limits: the decoder must refuse the
    # count itself, so the elements need not be present (keeps seeds small).
    out.append(('request-oplen-over', msg(REQUEST, 9, struct.pack('<QII', 1, 0, 61441) + b'a' * 8, 4)))
    out.append(('request-oplen-past-end', msg(REQUEST, 9, struct.pack('<QII', 1, 0, 9) + b'abc', 4)))
    out.append(('reply-result-over', msg(REPLY, 1, struct.pack('<QQII', 1, 1, 9, 61441) + b'r' * 8, 4)))
    out.append(('data-len-over', msg(DATA, 0, struct.pack('<QQQI', 1, 1, 1, 61441) + b'd' * 8, 4)))
    digest_entry = ('digest', 11, 77, 0, dig(1))
    out.append(('pp-count-65', pre_prepare(4, [digest_entry] * 65)))
    pp = pre_prepare(4, [digest_entry])
    out.append(('pp-kind-2', pp[:38] + b'\x02' + pp[39:]))
    out.append(('pp-digest-flags', pp[:38 + 13] + b'\x80' + pp[38 + 14:]))
    out.append(('pp-count-too-big', pp[:36] + b'\x02\x00' + pp[38:]))
    out.append(('pp-nested-prepare', pre_prepare(4, [('inline', prepare(4))])))
    out.append(('pp-nested-reply', pre_prepare(4, [('inline', reply())])))
    out.append(('pp-nested-bad-version', pre_prepare(4, [('inline', b'\x02' + ra[1:])])))
    out.append(('pp-nested-bad-flags', pre_prepare(4, [('inline', ra[:2] + b'\x02\x00' + ra[4:])])))
    out.append(('pp-nested-len-mismatch', pre_prepare(4, [('inline', ra + b'\x00')])))
    out.append(('pp-nested-short', pre_prepare(4, [('inline', ra[:11])])))
    out.append(('pp-nested-n7', pre_prepare(4, [('inline', request(7))])))
    ppi = pre_prepare(4, [('inline', ra)])
    out.append(('pp-entry-len-past-end', ppi[:39] + struct.pack('<I', len(ra) + 1) + ppi[43:]))
    vc0 = struct.pack('<QQ', 5, 128) + dig(0x70)
    out.append(('vc-ncp-65', msg(VIEW_CHANGE, 3, vc0 + struct.pack('<H', 65) + bytes(68), 4)))
    out.append(('vc-np-1025', msg(VIEW_CHANGE, 3, vc0 + struct.pack('<HH', 0, 1025) + bytes(48), 4)))
    out.append(('vc-nq-1025', msg(VIEW_CHANGE, 3, vc0 + struct.pack('<HHH', 0, 0, 1025) + bytes(48), 4)))
    out.append(('nv-nv-65', msg(NEW_VIEW, 1, struct.pack('<QH', 5, 65) + bytes(36), 4)))
    out.append(('nv-no-1025', msg(NEW_VIEW, 1, struct.pack('<QHQ', 5, 0, 128) + dig(0x70) +
                                  struct.pack('<H', 1025) + bytes(40), 4)))
    out.append(('meta-1025', msg(META_DATA, 0, struct.pack('<QIQH', 128, 1, 2, 1025) + bytes(48), 4)))
    out.append(('vc-np-past-end', msg(VIEW_CHANGE, 3, vc0 + struct.pack('<HH', 0, 2) + bytes(48) +
                                      struct.pack('<H', 0), 4)))
    out.append(('too-long', set_len(b'\x01\x0d' + bytes(65506), 65508)))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus', 'decode')
    os.makedirs(outdir, exist_ok=True)
    files = {}
    for n in (4, 7):
        for name, m in valid(n):
            files['ok%d-%s' % (n, name)] = m
    for name, m in bad():
        files['bad-' + name] = m
    for name, m in sorted(files.items()):
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(m)
    print('wrote %d files to %s' % (len(files), outdir))


if __name__ == '__main__':
    main()
