#!/usr/bin/env python3
"""gen_replica_corpus.py — writes the seed scripts of the replica fuzzer.

tests/fuzz/fuzz_replica.c reads its input as a script: byte 0 configures the
replica under test (bits 0-1 its id, bit 2 tentative execution off, bit 3
digest replies off, bit 4 max_inflight 1, bit 5 max_batch 1, bit 6 L = K,
bit 7 an extension byte follows: bits 0-2 a service call kind that fails
from step 4 * (bits 3-5) on (7: the service has no state-transfer tree),
bits 6-7 K = 4, 3, 1 or 2), then each step is
an action byte (mod 16) followed by that action's parameter bytes. The seeds below are written in that format (the constants
and parameter layouts mirror fuzz_replica.c; keep them in sync) and take the
replica through the protocol's main paths, so the fuzzer mutates from deep
states instead of rediscovering them:

    normal case to execution (backup and primary, tentative or not),
    a stable checkpoint, garbage collection and the window moving on,
    a view change by timeout with a NEW-VIEW (the replica as backup and as
    the new primary), a view change that re-proposes prepared batches,
    STATUS-driven retransmission, replays, clock jumps and the rest.

Run:  python3 tests/fuzz/gen_replica_corpus.py [outdir]
(default: corpus/replica next to this script). Output is deterministic; it
writes only seed-* files and never touches others (inputs libFuzzer found,
named by their SHA-1, are kept). Never write a reproducer of an open bug
here: those go to tests/fuzz/crashes/, which the fuzz suite does not replay.
"""
import os
import sys

# Actions (fuzz_replica.c, enum action; 14 = NORMAL again, 15 = TRANSFER).
RAW, REQUEST, PRE_PREPARE, VOTES, CHECKPOINT, STATUS, VIEW_CHANGE, NEW_VIEW, \
    TIMER, CLOCK, REPLAY, NORMAL, OTHER, VOTE_ALL = range(14)
TRANSFER = 15
# Extension byte value (bits 0-2) that selects the service without a tree.
NO_TREE = 7

# Config byte bits.
TENTATIVE_OFF, DIGEST_OFF, INFLIGHT_1, BATCH_1, L_EQ_K, EXT = 4, 8, 16, 32, 64, 128
# Service calls (tests/unit/mock_io.h, enum mock_call_kind).
BEGIN, EXEC, END, EXEC_RO, CKPT, ABORT = range(1, 7)
K_OF = {4: 0, 3: 1, 1: 2, 2: 3}


def ext(fail=0, fail_step4=0, k=4):
    """The extension byte: call kind `fail` fails from step 4*fail_step4."""
    return fail | (fail_step4 & 7) << 3 | K_OF[k] << 6


def script(config, *steps, ext_byte=None):
    out = [config] + ([ext_byte] if ext_byte is not None else [])
    for s in steps:
        out += s
    return bytes(out)


def normal(b=0x00):
    """Normal-case macro. b bits: 0 two requests, 1 big ops, 2 deliver the
    requests too, 3 seq after the last forged one, 4 no prepares, 5 no
    commits, 6 big ops by digest, 7 commits from two others only."""
    return [NORMAL, b]


def request(client=0, ts_choice=0, op_choice=0, read_only=False, replier=0):
    """A REQUEST: b (bit 0 client, bits 1-2 == 3 read-only), replier byte,
    timestamp choice (0: next), op choice (0: "inc", 3: empty, 4: big)."""
    b = (client & 1) | (6 if read_only else 0)
    return [REQUEST, b, replier, ts_choice, op_choice]


def commit_last(mask_bits=0):
    """COMMITs for the last batch from the others (mask 0: all)."""
    return [VOTES, 0x01 | (mask_bits & 7) << 1]


def prepare_last(mask_bits=0):
    return [VOTES, 0x00 | (mask_bits & 7) << 1]


def vote_all(b=0):
    """Prepares and commits for every remembered batch of the current view
    (b bit 0: no prepares, bit 1: no commits)."""
    return [VOTE_ALL, b]


def checkpoint_latest():
    """CHECKPOINTs of the latest checkpoint the replica took, from all."""
    return [CHECKPOINT, 0x00, 0x00]


def timer(view_change):
    return [TIMER, 1 if view_change else 0]


def clock(kind, amount):
    """kind 0: +amount+1 ms, 1: +(amount%16+1) s, 2: wall jump, 3: 2^a ms."""
    return [CLOCK, kind, amount]


def view_change(new_view_choice=2, stable_choice=0, proof=0, p_mode=1, q_mode=1,
                mask_bits=0):
    """VIEW-CHANGEs from the others in mask (0: all). new_view_choice:
    0/1 view+1, 2 current view. stable_choice 0: none, 1: the replica's h.
    proof 0: valid. P/Q modes 1: mirror the replica's own VIEW-CHANGE,
    2: the batches seen, 3: empty (0 would read more bytes)."""
    b = (mask_bits & 7) | (new_view_choice & 3) << 3
    return [VIEW_CHANGE, b, stable_choice, proof, (p_mode & 3) | (q_mode & 3) << 2]


def new_view(view_choice=0, wrong_sender=False, select=0, mode=0):
    """NEW-VIEW for the current view (choice 0) naming the pool's latest
    VIEW-CHANGE of each sender (select bits 0-3: which senders, 0: all;
    bit 4: the earliest instead); mode 0: as decided."""
    b = (view_choice & 3) | (4 if wrong_sender else 0)
    return [NEW_VIEW, b, select, mode]


def status(from_j=0, view_choice=0, stable=1, le=4, lp=4, flags=0):
    """STATUS from the j-th other replica. stable/le/lp are choices of
    pick_small_seq (1: h, 4: last executed, 0: zero)."""
    return [STATUS, (from_j & 3) | (flags & 3) << 2, view_choice, stable, le, lp]


def replay(idx, mutate=0, arg=0):
    """Replay pooled datagram idx; mutate % 8: 5 flip a bit at u16 arg,
    6 truncate to u16 arg, 7 overwrite the first body u64 with arg."""
    extra = {5: 2, 6: 2, 7: 8}.get(mutate % 8, 0)
    return [REPLAY, idx, mutate] + list(arg.to_bytes(8, 'little')[:extra])


def other(kind):
    """A message the replica ignores; kind % 4 == 2 (QUERY-STABLE) reads a
    u64 nonce."""
    return [OTHER, kind] + ([7] * 8 if kind % 4 == 2 else [])


def raw(data, header=False):
    b = 0x01 | (PREPARE_TYPE << 1) if header else 0x00
    n = len(data)
    return [RAW, b, n & 0xff, n >> 8] + list(data)


PREPARE_TYPE = 3  # (b >> 1) % 16 + 1 == 4: PREPARE


def certify(base=3, signers=0, seq_kind=0, bad=False, vary=0, sb=0, extra=()):
    """TRANSFER/certify_state: 2f+1 CHECKPOINTs of a made-up state. base: 0
    current state, 1 last made-up, 2 a known one, 3 empty; seq_kind: 0 far, 1
    ahead in the window, 2 the replica's latest checkpoint (corrupt), 3 last
    executed's; vary: bits 0 counter, 1 time, 2 a client (bit 3 which), 5
    blob (6: full size), 7 no blob; extra: the bytes vary reads."""
    b = base | (signers & 7) << 2 | (seq_kind & 3) << 5 | (0x80 if bad else 0)
    return [TRANSFER, 0, b, vary, sb] + list(extra)


def answer(which=0, mode=0, other_replica=None, extra=()):
    """TRANSFER/answer_one: mode 0-2 right, 3 flipped, 4 count/offset, 5
    numbering/total, 6 another state, 7 another checkpoint."""
    b = which & 15
    if other_replica is not None:
        b |= 0x80 | (other_replica & 7) << 4
    return [TRANSFER, 1, b, mode] + list(extra)


def serve():
    """TRANSFER/serve_all: every FETCH answered right."""
    return [TRANSFER, 2]


def fetch(level=0, index=0, offset_kind=0, seq_kind=0, bad_auth=False, replier_other=False):
    """TRANSFER/forge_fetch: a FETCH to the replica from another replica."""
    b = (3 if replier_other else 0) | (0x80 if bad_auth else 0)
    return [TRANSFER, 3, b, (level & 3) | (index % 7) << 2, offset_kind, seq_kind]


def seeds():
    s = {}
    for cfg, tag in ((0x01, 'b1'), (0x02 | TENTATIVE_OFF, 'b2-nt'),
                     (0x03 | DIGEST_OFF | INFLIGHT_1, 'b3-nd')):
        s['normal-' + tag] = script(cfg, normal(), normal(1), normal(2), normal())
        s['checkpoint-' + tag] = script(cfg, *[normal() for _ in range(4)],
                                        checkpoint_latest(), normal(), normal(),
                                        *[normal() for _ in range(2)],
                                        checkpoint_latest(), normal())
        s['tentative-' + tag] = script(cfg, normal(0x20), commit_last(), normal(0x20),
                                       status(), commit_last(), normal())
        # Big requests by digest: bodies delivered first, then a batch
        # waiting for its body until the client's request arrives.
        s['big-' + tag] = script(cfg, normal(0x46), normal(0x47), normal(0x06),
                                 normal(0x42), request(0, 7, 4), normal())
    for cfg, tag in ((0x00, 'p0'), (0x00 | BATCH_1 | INFLIGHT_1, 'p0-b1'),
                     (0x00 | TENTATIVE_OFF | L_EQ_K, 'p0-nt')):
        s['normal-' + tag] = script(cfg, normal(), normal(1), normal(3), normal())
        s['checkpoint-' + tag] = script(cfg, *[normal() for _ in range(5)],
                                        checkpoint_latest(), *[normal() for _ in range(4)],
                                        checkpoint_latest(), normal())
    # View change by timeout: a backup times out a request; view 1's
    # primary (replica 1, forged) sends the NEW-VIEW; the re-proposed
    # batches prepare and commit again in view 1.
    for cfg, tag in ((0x02, 'b2'), (0x03 | TENTATIVE_OFF, 'b3-nt')):
        s['viewchange-' + tag] = script(
            cfg, normal(), normal(0x20), request(1), timer(True),
            view_change(2), new_view(), vote_all(), normal(), normal(1), status())
        s['viewchange-ckpt-' + tag] = script(
            cfg, *[normal() for _ in range(4)], checkpoint_latest(), normal(0x20),
            request(1), timer(True), view_change(2, stable_choice=1), new_view(),
            vote_all(), normal(), normal())
        s['viewchange-join-' + tag] = script(
            cfg, normal(), normal(0x30), view_change(0, p_mode=2, q_mode=2, mask_bits=3),
            new_view(),
            vote_all(), normal(), replay(0), replay(3, 5, 40))
        s['viewchange-twice-' + tag] = script(
            cfg, normal(), request(0), timer(True), view_change(2), timer(True),
            view_change(2), new_view(), vote_all(), normal())
    # The replica under test is the new primary (replica 1 leads view 1).
    for cfg, tag in ((0x01, 'b1'), (0x01 | TENTATIVE_OFF, 'b1-nt')):
        s['viewchange-primary-' + tag] = script(
            cfg, normal(), normal(0x20), request(0), timer(True),
            view_change(2), vote_all(), normal(), normal(1), status(1))
        s['viewchange-repropose-' + tag] = script(
            cfg, normal(), normal(0x20), normal(0x30 | 0x08), request(1), timer(True),
            view_change(2, p_mode=2, q_mode=2), vote_all(), normal(), normal())
    # Timers, clocks, retransmission, ignored messages, raw bytes.
    s['status-retransmit-b1'] = script(
        0x01, normal(), normal(0x20), status(0, 0, 0, 0, 0), status(1, 0, 1, 1, 1),
        timer(False), clock(0, 200), timer(False), status(2, 4, 1, 4, 4, flags=1))
    s['clock-skew-b2'] = script(
        0x02, clock(2, 30), normal(), clock(2, 31), normal(), clock(3, 20), normal())
    s['readonly-b1'] = script(
        0x01, normal(0x20), request(0, 0, 0, read_only=True), commit_last(),
        request(1, 0, 0, read_only=True), request(0, 7, 0))
    s['other-msgs-b3'] = script(0x03, other(0), other(1), other(2), other(3),
                                other(0x18), normal())
    s['raw-b1'] = script(0x01, raw(b'\x01\x04\x00\x00\x02\x00\x00\x00' + bytes(40)),
                         raw(bytes(range(64)), header=True), normal())
    s['replay-p0'] = script(0x00, normal(), replay(0), replay(1), replay(2, 5, 30),
                            replay(3, 6, 50), replay(4, 7, 1 << 40), normal())
    s['primary-requests-p0'] = script(0x00, request(0), request(1), request(0, 7),
                                      request(1, 8), vote_all(), request(0, 0, 3), normal())
    # Other checkpoint intervals (K = 3, 1, 2) and failing service calls.
    for k in (3, 1, 2):
        s['checkpoint-k%d-b1' % k] = script(
            0x01 | EXT, *[normal() for _ in range(2 * k)], checkpoint_latest(),
            *[normal() for _ in range(k)], checkpoint_latest(), request(1), timer(True),
            view_change(2, stable_choice=1), new_view(), vote_all(), normal(),
            ext_byte=ext(k=k))
    for kind, name in ((BEGIN, 'begin'), (EXEC, 'exec'), (END, 'end'), (EXEC_RO, 'ro'),
                       (CKPT, 'ckpt')):
        s['fail-%s-b2' % name] = script(
            0x02 | EXT, normal(), normal(0x20), request(0, 0, 0, read_only=True),
            normal(), normal(0x20), request(1), timer(True), view_change(2), new_view(),
            vote_all(), normal(), checkpoint_latest(), status(), timer(False),
            ext_byte=ext(kind, 1))
    # A NEW-VIEW that does not choose the tentative batch: it is rolled back.
    for cfg, tag, e in ((0x02, 'b2', None), (0x02 | EXT, 'fail-abort-b2', ext(ABORT, 0))):
        s['rollback-' + tag] = script(
            cfg, normal(), normal(0x20), request(1), timer(True),
            view_change(2, p_mode=3, q_mode=3), new_view(), vote_all(), normal(),
            ext_byte=e)
    # State transfer (TOCS '02 5.3.2): far, in-window and corrupt-state
    # transfers, bad answers, silence, retargeting, serving, no tree.
    full = certify(vary=0x01 | 0x04 | 0x20 | 0x40, extra=(5, 1, 3))
    s['st-far-b1'] = script(0x01, normal(), normal(1), full, serve(), serve(), serve(),
                            normal(), normal(), status())
    s['st-bad-b2'] = script(0x02, normal(), normal(), full, answer(0, 3, extra=(1,)),
                            answer(0, 4), answer(0, 5, extra=(2, 3)), answer(0, 7),
                            answer(0, 0, other_replica=1), serve(), serve(), normal())
    s['st-corrupt-b1'] = script(0x01, *[normal() for _ in range(4)],
                                certify(base=0, seq_kind=2, vary=0x02, extra=(9,)),
                                serve(), serve(), normal(), normal())
    s['st-silence-b3'] = script(0x03, normal(), normal(), full, timer(False), timer(False),
                                timer(False), serve(), serve(), normal())
    s['st-retarget-b1'] = script(0x01, normal(), full, answer(0, 0),
                                 certify(base=1, vary=0x01, sb=2, extra=(3,)), serve(),
                                 serve(), normal())
    s['st-window-b2'] = script(0x02, normal(), certify(seq_kind=1, vary=0x05, sb=1,
                                                       extra=(2, 1)), serve(), normal())
    s['st-serve-b1'] = script(0x01, *[normal() for _ in range(4)], fetch(), fetch(2, 0),
                              fetch(2, 4, 1), fetch(1, 1), fetch(3), fetch(bad_auth=True),
                              fetch(replier_other=True), fetch(0, 0, 0, 3), normal())
    s['st-notree-b1'] = script(0x01 | EXT, normal(), normal(), full, normal(),
                               ext_byte=ext(NO_TREE))
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus', 'replica')
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(outdir, 'seed-' + name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to %s' % (len(seeds()), outdir))


if __name__ == '__main__':
    main()
