/*
 * error.c — bft_strerror(): the messages of the library's error codes
 * (bft/error.h). Never fails, never allocates.
 */
#include "bft/error.h"

const char *bft_strerror(int err)
{
	switch (err) {
	case BFT_OK: return "success";
	case BFT_E_SHORT: return "message truncated: buffer shorter than its format requires";
	case BFT_E_LONG: return "message or field exceeds a protocol limit";
	case BFT_E_TYPE: return "unknown message type";
	case BFT_E_VERSION: return "unsupported message format version";
	case BFT_E_LENGTH: return "message length field does not match the received bytes";
	case BFT_E_FIELD: return "message field has an invalid value";
	case BFT_E_AUTH: return "authentication failed: bad MAC or signature";
	case BFT_E_CRYPTO: return "cryptographic library failure";
	case BFT_E_NOMEM: return "out of memory";
	case BFT_E_INVAL: return "invalid argument";
	case BFT_E_PEER: return "node id is not part of the configuration";
	case BFT_E_BUSY: return "queue full, try again later";
	case BFT_E_SPACE: return "output buffer too small";
	case BFT_E_SERVICE: return "the replicated service reported a failure";
	case BFT_E_NOENT: return "no such object";
	default: return "unknown bft error";
	}
}
