/*
 * nfsp/conf.h — the [nfsproxy] section of the cluster configuration
 * (doc/config.md): ports, listen address, BFT client id, limits, and the
 * exports with their access control (allowed client networks, read-only,
 * root squash, anonymous uid/gid) in the spirit of exports(5).
 *
 * The section itself is parsed by bft/config.h, which keeps its key/value
 * pairs verbatim; this module gives them meaning and validates them, for
 * nfsproxy and for `bfsctl config check`. Every problem is reported as
 * "FILE:LINE: sentence" through the caller's diagnostic callback.
 *
 * Never trusts a value: numbers are range-checked, paths normalised and
 * bounded, networks parsed numerically (no name resolution). Never
 * allocates. Errors follow bft/net.h (BFT_E_FIELD for a bad section).
 */
#ifndef NFSP_CONF_H
#define NFSP_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bft/config.h"
#include "bfs/op.h"

#define NFSP_MAX_EXPORTS 16u
#define NFSP_MAX_NETS 16u          /* client networks per export */
#define NFSP_PATH_MAX 1024u        /* MNTPATHLEN (RFC 1813 appendix I) */
#define NFSP_DEFAULT_NFS_PORT 2049u
#define NFSP_DEFAULT_MOUNT_PORT 20048u
#define NFSP_DEFAULT_ANON 65534u   /* nobody / nogroup */

/* A client network: family AF_INET or AF_INET6 (address in network byte
 * order, IPv4 in the first 4 bytes) and a prefix length; AF_UNSPEC = any. */
struct nfsp_net {
	int family;
	uint8_t addr[16];
	uint8_t prefix;
};

enum nfsp_squash {
	NFSP_SQUASH_ROOT = 0, /* uid/gid 0 become anon (the default) */
	NFSP_SQUASH_NONE,     /* no_root_squash */
	NFSP_SQUASH_ALL,      /* every uid/gid becomes anon */
};

struct nfsp_export {
	char path[NFSP_PATH_MAX + 1];  /* normalised, absolute, "/" = fs root */
	struct nfsp_net nets[NFSP_MAX_NETS];
	uint32_t n_nets;
	char clients[256];             /* the clients= text, for MOUNT EXPORT */
	bool read_only;
	enum nfsp_squash squash;
	uint32_t anon_uid, anon_gid;
	unsigned line;
};

enum nfsp_rpcbind { NFSP_RPCBIND_AUTO = 0, NFSP_RPCBIND_YES, NFSP_RPCBIND_NO };

struct nfsp_conf {
	bool have_client;
	uint32_t client_id;            /* BFT client id (any id of a [clients] group) */
	char listen[64];               /* numeric address to bind ("0.0.0.0", "::") */
	uint16_t nfs_port, mount_port;
	enum nfsp_rpcbind rpcbind;
	enum bfs_atime_mode atime;     /* must match the replicas' file system */
	uint32_t max_connections;      /* TCP connections at once */
	uint32_t max_record;           /* bytes of one RPC call record */
	uint32_t max_inflight;         /* calls in flight per connection */
	struct nfsp_export exports[NFSP_MAX_EXPORTS];
	uint32_t n_exports;
};

/* Interpret c's [nfsproxy] section into *out (defaults for what it does not
 * set; with no export_N key, "/" is exported read-write to loopback with
 * root squash). Problems go to diag; BFT_E_FIELD if there was any. */
int nfsp_conf_load(const struct bft_config *c, bft_diag_fn diag, void *diag_data,
		   struct nfsp_conf *out);

/* The first export whose networks include addr (IPv4-mapped IPv6 addresses
 * count as IPv4), or NULL. */
const struct nfsp_export *nfsp_conf_match(const struct nfsp_conf *c,
					  const struct sockaddr *addr);

/* Whether export e allows addr. */
bool nfsp_export_allows(const struct nfsp_export *e, const struct sockaddr *addr);

/* Normalise an absolute path into out[cap]: collapse repeated '/', drop a
 * trailing '/' and "." components. BFT_E_INVAL for a relative path, a ".."
 * component, a control character or a component longer than 255 bytes;
 * BFT_E_SPACE if it does not fit. */
int nfsp_path_normalize(const char *in, char *out, size_t cap);

/* Parse "*", "A.B.C.D[/N]" or "IPV6[/N]". BFT_E_INVAL if malformed. */
int nfsp_net_parse(const char *s, struct nfsp_net *out);

#endif
