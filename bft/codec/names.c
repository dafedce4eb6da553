/*
 * names.c — per-type facts of the PBFT messages: the name used in logs and
 * which trailer (authenticator, MAC or signature) each type carries.
 *
 * Castro & Liskov, OSDI '99 §4.1-4.4 and §5.1 (authenticators on the normal
 * path, MACs for replies, signatures for messages forwarded as proof);
 * TOCS '02 §4.2 and §5-6 for the recovery and state-transfer messages.
 *
 * Never: index a table with an unchecked type, return NULL, or allocate.
 */
#include "codec_internal.h"

static const char *const type_names[BFT_MSG_TYPE_MAX + 1] = {
	[BFT_MSG_REQUEST] = "REQUEST",
	[BFT_MSG_REPLY] = "REPLY",
	[BFT_MSG_PRE_PREPARE] = "PRE-PREPARE",
	[BFT_MSG_PREPARE] = "PREPARE",
	[BFT_MSG_COMMIT] = "COMMIT",
	[BFT_MSG_CHECKPOINT] = "CHECKPOINT",
	[BFT_MSG_STATUS] = "STATUS",
	[BFT_MSG_VIEW_CHANGE] = "VIEW-CHANGE",
	[BFT_MSG_VIEW_CHANGE_ACK] = "VIEW-CHANGE-ACK",
	[BFT_MSG_NEW_VIEW] = "NEW-VIEW",
	[BFT_MSG_FETCH] = "FETCH",
	[BFT_MSG_META_DATA] = "META-DATA",
	[BFT_MSG_DATA] = "DATA",
	[BFT_MSG_NEW_KEY] = "NEW-KEY",
	[BFT_MSG_QUERY_STABLE] = "QUERY-STABLE",
	[BFT_MSG_REPLY_STABLE] = "REPLY-STABLE",
};

static const enum bft_trailer type_trailers[BFT_MSG_TYPE_MAX + 1] = {
	[BFT_MSG_REQUEST] = BFT_TRAILER_AUTH,
	[BFT_MSG_REPLY] = BFT_TRAILER_MAC,
	[BFT_MSG_PRE_PREPARE] = BFT_TRAILER_AUTH,
	[BFT_MSG_PREPARE] = BFT_TRAILER_AUTH,
	[BFT_MSG_COMMIT] = BFT_TRAILER_AUTH,
	[BFT_MSG_CHECKPOINT] = BFT_TRAILER_SIG,
	[BFT_MSG_STATUS] = BFT_TRAILER_AUTH,
	[BFT_MSG_VIEW_CHANGE] = BFT_TRAILER_SIG,
	[BFT_MSG_VIEW_CHANGE_ACK] = BFT_TRAILER_AUTH,
	[BFT_MSG_NEW_VIEW] = BFT_TRAILER_SIG,
	[BFT_MSG_FETCH] = BFT_TRAILER_AUTH,
	[BFT_MSG_META_DATA] = BFT_TRAILER_MAC,
	[BFT_MSG_DATA] = BFT_TRAILER_MAC,
	[BFT_MSG_NEW_KEY] = BFT_TRAILER_SIG,
	[BFT_MSG_QUERY_STABLE] = BFT_TRAILER_AUTH,
	[BFT_MSG_REPLY_STABLE] = BFT_TRAILER_MAC,
};

static int known(uint8_t type)
{
	return type >= BFT_MSG_REQUEST && type <= BFT_MSG_TYPE_MAX;
}

const char *bft_msg_type_name(uint8_t type)
{
	return known(type) ? type_names[type] : "UNKNOWN";
}

/* Unknown types report BFT_TRAILER_AUTH; bft_msg_trailer_len() says 0 for them. */
enum bft_trailer bft_msg_trailer(uint8_t type)
{
	return known(type) ? type_trailers[type] : BFT_TRAILER_AUTH;
}

/* 0 for an unknown type, and for an authenticator when n is not 1..BFT_MAX_REPLICAS. */
uint32_t bft_msg_trailer_len(uint8_t type, uint32_t n)
{
	if (!known(type))
		return 0;
	switch (type_trailers[type]) {
	case BFT_TRAILER_AUTH:
		return n >= 1 && n <= BFT_MAX_REPLICAS ? n * BFT_MAC_LEN : 0;
	case BFT_TRAILER_MAC:
		return BFT_MAC_LEN;
	case BFT_TRAILER_SIG:
		return BFT_SIG_LEN;
	}
	return 0;
}
