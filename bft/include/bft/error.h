/*
 * bft/error.h — the one error convention of the bft library.
 *
 * Every bft_* function that can fail returns an int: 0 (BFT_OK) on success or
 * one of the negative codes below. Codes live in a private range so they can
 * never be confused with -errno values from the runtime. bft_strerror() turns
 * any code into a sentence a person can act on.
 */
#ifndef BFT_ERROR_H
#define BFT_ERROR_H

#define BFT_OK 0
#define BFT_E_BASE (-30800)

enum bft_error {
	BFT_E_SHORT = BFT_E_BASE - 1,     /* buffer shorter than the format needs */
	BFT_E_LONG = BFT_E_BASE - 2,      /* message or field longer than a limit */
	BFT_E_TYPE = BFT_E_BASE - 3,      /* unknown message type */
	BFT_E_VERSION = BFT_E_BASE - 4,   /* unsupported format version */
	BFT_E_LENGTH = BFT_E_BASE - 5,    /* length field disagrees with the buffer */
	BFT_E_FIELD = BFT_E_BASE - 6,     /* a field has a value the format forbids */
	BFT_E_AUTH = BFT_E_BASE - 7,      /* MAC or signature did not verify */
	BFT_E_CRYPTO = BFT_E_BASE - 8,    /* the crypto library failed */
	BFT_E_NOMEM = BFT_E_BASE - 9,     /* allocation failed */
	BFT_E_INVAL = BFT_E_BASE - 10,    /* caller passed an invalid argument */
	BFT_E_PEER = BFT_E_BASE - 11,     /* node id outside the configuration */
	BFT_E_BUSY = BFT_E_BASE - 12,     /* a bounded queue is full; try later */
	BFT_E_SPACE = BFT_E_BASE - 13,    /* output buffer too small */
	BFT_E_SERVICE = BFT_E_BASE - 14,  /* the service reported a failure */
	BFT_E_NOENT = BFT_E_BASE - 15,    /* no such object (e.g. a snapshot) */
	BFT_E_LAST = BFT_E_BASE - 16,
};

/* A static, human-readable description of err (never NULL). */
const char *bft_strerror(int err);

#endif
