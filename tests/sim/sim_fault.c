/*
 * sim_fault.c — Byzantine behaviour of faulty replicas in the simulation.
 *
 * A faulty replica runs the real core; this layer corrupts what it sends:
 *   crash        nothing after its crash time (sim_cluster.c schedules it)
 *   silent       nothing, ever
 *   corrupt-mac  flips a byte of the trailer (MAC, authenticator or
 *                signature) of most messages it sends
 *   replay       also re-sends old messages it sent or received to random
 *                nodes
 *   primary-equivocate  sends the next replica a different batch for every
 *                sequence number (same requests, another time) and commits
 *                for it — re-authenticated with its own valid keys, as a
 *                real Byzantine primary could
 *   primary-slow       delays its pre-prepares by 90% of the view-change
 *                timeout
 *   primary-censor     ignores every request of the first client
 *   primary-bad-seq    assigns sequence numbers beyond the watermarks
 *   primary-bad-time   proposes batch times an hour ahead
 *   primary-silent, primary-crash   silent / crash, on the primary
 * The primary-* modes go to the primaries of views 0, 1, ... in turn, so
 * with f > 1 consecutive primaries are faulty (sim_cluster.c); as backups
 * they behave correctly but for censoring.
 * crash-restart, power-loss and corrupt-state act on the replica's process,
 * disk and state (sim_restart.c).
 * wrong-result and wrong-checkpoint corrupt the replica's service instead
 * (sim_service.c), and bad-state-transfer the snapshots it serves to a
 * fetching replica (sim_transfer.c).
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"


static const char *const names[FAULT_COUNT] = {
	[FAULT_NONE] = "none", [FAULT_CRASH] = "crash", [FAULT_SILENT] = "silent",
	[FAULT_CORRUPT_MAC] = "corrupt-mac", [FAULT_WRONG_RESULT] = "wrong-result",
	[FAULT_WRONG_CKPT] = "wrong-checkpoint", [FAULT_REPLAY] = "replay",
	[FAULT_BAD_ST] = "bad-state-transfer",
	[FAULT_EQUIVOCATE] = "primary-equivocate",
	[FAULT_PRIMARY_SILENT] = "primary-silent", [FAULT_PRIMARY_CRASH] = "primary-crash",
	[FAULT_SLOW] = "primary-slow", [FAULT_CENSOR] = "primary-censor",
	[FAULT_BAD_SEQ] = "primary-bad-seq", [FAULT_BAD_TIME] = "primary-bad-time",
	[FAULT_CRASH_RESTART] = "crash-restart", [FAULT_POWER_LOSS] = "power-loss",
	[FAULT_CORRUPT_STATE] = "corrupt-state",
};

bool sim_fault_is_primary_mode(enum sim_fault f)
{
	return f >= FAULT_EQUIVOCATE && f <= FAULT_BAD_TIME;
}

bool sim_fault_drops(struct sim *s, struct sim_node *nd, const uint8_t *buf, size_t len)
{
	uint32_t sender;

	if (nd->fault != FAULT_CENSOR || len < BFT_HDR_LEN || buf[1] != BFT_MSG_REQUEST)
		return false;
	sender = buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24;
	return sender == s->n; /* the first client */
}

const char *sim_fault_name(enum sim_fault f)
{
	return f < FAULT_COUNT ? names[f] : "?";
}

enum sim_fault sim_fault_parse(const char *name)
{
	for (int i = 1; i < FAULT_COUNT; i++)
		if (strcmp(name, names[i]) == 0)
			return (enum sim_fault)i;
	return FAULT_NONE;
}

void sim_fault_record(struct sim_node *nd, const uint8_t *buf, size_t len)
{
	uint32_t slot = nd->n_rec++ % 32;
	uint8_t *p = realloc(nd->rec[slot], len ? len : 1);

	if (!p)
		return;
	memcpy(p, buf, len);
	nd->rec[slot] = p;
	nd->rec_len[slot] = (uint32_t)len;
}

static void corrupt_and_send(struct sim *s, struct sim_node *nd, uint32_t to,
			     const uint8_t *buf, size_t len)
{
	uint8_t copy[BFT_MAX_MSG];
	uint32_t tl = len >= BFT_HDR_LEN ? bft_msg_trailer_len(buf[1], s->n) : 0;

	if (len == 0 || len > BFT_MAX_MSG)
		return;
	memcpy(copy, buf, len);
	if (sim_chance(s, 0.8)) {
		if (tl == 0 || tl > len)
			tl = (uint32_t)len;
		copy[len - 1 - sim_between(s, 0, tl - 1)] ^= (uint8_t)sim_between(s, 1, 255);
	}
	sim_net_send(s, nd->id, to, copy, len);
}

/* Rewrite a faulty primary's PRE-PREPAREs (and, equivocating, the COMMITs
 * that go with them) and send them re-authenticated with its own keys. */
static void rewrite(struct sim *s, struct sim_node *nd, uint32_t to,
		    const uint8_t *buf, size_t len)
{
	struct bft_msg *m = &s->scratch;
	uint8_t *out = s->scratch_out;
	uint32_t victim = (nd->id + 1) % s->n;
	uint8_t *trailer;
	int n = -1;

	if (bft_msg_decode(buf, len, s->n, m) != BFT_OK)
		goto plain;
	if (m->hdr.type == BFT_MSG_PRE_PREPARE) {
		struct bft_pre_prepare *pp = &m->u.pre_prepare;

		if (nd->fault == FAULT_EQUIVOCATE) {
			if (to != victim)
				goto plain;
			check_seq_room(s, pp->seq);
			bft_batch_digest(pp, s->eq_real[pp->seq]);
			pp->nondet += 1;
			bft_batch_digest(pp, s->eq_fake[pp->seq]);
		} else if (nd->fault == FAULT_BAD_SEQ) {
			pp->seq += 1000;
		} else {
			pp->nondet += 3600ull * 1000000;
		}
		n = bft_encode_pre_prepare(out, BFT_MAX_MSG, s->n, nd->id, pp, &trailer);
	} else if (m->hdr.type == BFT_MSG_COMMIT && nd->fault == FAULT_EQUIVOCATE &&
		   to == victim) {
		struct bft_prepare p = m->u.prepare;

		check_seq_room(s, p.seq);
		if (memcmp(p.digest, s->eq_real[p.seq], BFT_DIGEST_LEN) == 0)
			memcpy(p.digest, s->eq_fake[p.seq], BFT_DIGEST_LEN);
		n = bft_encode_prepare(out, BFT_MAX_MSG, s->n, BFT_MSG_COMMIT, nd->id, &p,
				       &trailer);
	}
	if (n < 0 || bft_keyring_auth(nd->kr, out, (size_t)(trailer - out), trailer))
		goto plain;
	sim_net_send(s, nd->id, to, out, (size_t)n);
	return;
plain:
	sim_net_send(s, nd->id, to, buf, len);
}

void sim_fault_send(struct sim *s, struct sim_node *nd, uint32_t to, const uint8_t *buf,
		    size_t len)
{
	if (nd->crashed)
		return;
	switch (nd->fault) {
	case FAULT_SILENT:
	case FAULT_PRIMARY_SILENT:
		return;
	case FAULT_SLOW:
		sim_net_send_late(s, nd->id, to, buf, len,
				  len > 1 && buf[1] == BFT_MSG_PRE_PREPARE
					  ? SIM_VIEW_CHANGE_MS * 900 : 0);
		return;
	case FAULT_BAD_SEQ:
	case FAULT_BAD_TIME:
		rewrite(s, nd, to, buf, len);
		return;
	case FAULT_CORRUPT_MAC:
		corrupt_and_send(s, nd, to, buf, len);
		return;
	case FAULT_REPLAY:
		sim_fault_record(nd, buf, len);
		sim_net_send(s, nd->id, to, buf, len);
		if (nd->n_rec && sim_chance(s, 0.3)) {
			uint32_t k = (uint32_t)sim_between(s, 0, (nd->n_rec < 32 ? nd->n_rec : 32) - 1);

			sim_net_send(s, nd->id, (uint32_t)sim_between(s, 0, s->n_nodes - 1),
				     nd->rec[k], nd->rec_len[k]);
		}
		return;
	case FAULT_EQUIVOCATE:
		rewrite(s, nd, to, buf, len);
		return;
	default:
		sim_net_send(s, nd->id, to, buf, len);
	}
}
