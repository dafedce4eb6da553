/*
 * send.c — authenticating what a replica sends and checking what it gets.
 *
 * Castro & Liskov, OSDI '99 §5.1 / TOCS '02 §4.2: normal-case messages carry
 * an authenticator (one MAC per replica, each replica checks its own entry);
 * replies carry one MAC; CHECKPOINTs are signed so they can serve as proof.
 *
 * Never sends to a node outside the configuration.
 */
#include <string.h>

#include "replica_internal.h"

void send_to_replicas(struct bft_replica *r, uint8_t *buf, int len, uint8_t *trailer)
{
	uint32_t j;

	if (len < 0)
		return;
	if (bft_keyring_auth(r->kr, buf, (size_t)(trailer - buf), trailer) != BFT_OK) {
		rlog(r, BFT_LOG_ERROR, "cannot compute authenticator");
		return;
	}
	for (j = 0; j < r->cfg.n; j++)
		if (j != r->cfg.id)
			r->io->send(r->io->data, j, buf, (size_t)len);
}

/* A MAC that fails, or passes only under a key in its grace, may be a key
 * one side has not heard of (new_key.c). */
static bool mac_result(struct bft_replica *r, const struct bft_msg *m, int err)
{
	if (err == BFT_E_AUTH || (err == BFT_OK && bft_keyring_last_was_old(r->kr)))
		new_key_mismatch(r, m->hdr.sender);
	return err == BFT_OK;
}

bool verify_auth(struct bft_replica *r, const struct bft_msg *m)
{
	return mac_result(r, m, bft_keyring_auth_verify(r->kr, m->hdr.sender, m->raw,
							m->signed_len, m->trailer));
}

bool verify_mac(struct bft_replica *r, const struct bft_msg *m)
{
	return mac_result(r, m, bft_keyring_mac_verify(r->kr, m->hdr.sender, m->raw,
						       m->signed_len, m->trailer));
}

bool verify_sig(struct bft_replica *r, const struct bft_msg *m)
{
	return bft_keyring_verify(r->kr, m->hdr.sender, m->raw, m->signed_len,
				  m->trailer) == BFT_OK;
}

void multicast_vote(struct bft_replica *r, uint8_t type, uint64_t view, uint64_t seq,
		    const uint8_t digest[BFT_DIGEST_LEN])
{
	struct bft_prepare p = { .view = view, .seq = seq };
	uint8_t *trailer;
	int len;

	memcpy(p.digest, digest, BFT_DIGEST_LEN);
	len = bft_encode_prepare(r->out, BFT_MAX_MSG, r->cfg.n, type, r->cfg.id, &p,
				 &trailer);
	send_to_replicas(r, r->out, len, trailer);
}

/* Multicast our PREPARE or COMMIT for entry e, after the COMMITs held back
 * (lazy_commit.c), so they travel in the same bundles. */
void send_prepare_msg(struct bft_replica *r, uint8_t type, struct log_entry *e)
{
	commits_flush(r);
	multicast_vote(r, type, e->view, e->seq, e->digest);
}

/* Our PREPARE or COMMIT for e to one replica (retransmission). */
void send_prepare_to(struct bft_replica *r, uint32_t to, uint8_t type, struct log_entry *e)
{
	struct bft_prepare p = { .view = e->view, .seq = e->seq };
	uint8_t *trailer;
	int len;

	memcpy(p.digest, e->digest, BFT_DIGEST_LEN);
	len = bft_encode_prepare(r->out, BFT_MAX_MSG, r->cfg.n, type, r->cfg.id, &p,
				 &trailer);
	if (len < 0 || bft_keyring_auth(r->kr, r->out, (size_t)(trailer - r->out),
					trailer) != BFT_OK)
		return;
	r->io->send(r->io->data, to, r->out, (size_t)len);
}
