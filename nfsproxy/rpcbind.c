/*
 * rpcbind.c — registering nfsproxy's programs with the local rpcbind
 * (portmapper version 2, RFC 1833 §3) so clients that ask it find the
 * ports: NFS 100003 v2 and v3, MOUNT 100005 v1 and v3, on TCP and UDP.
 *
 * With `rpcbind = auto` (the default) nfsproxy registers only if something
 * answers on 127.0.0.1:111 within 200 ms, so it starts at once where no
 * rpcbind runs; clients are then given the ports explicitly. Registration
 * blocks briefly at start-up and shutdown only, never while serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <rpc/pmap_clnt.h>

#include "nfsp.h"

static bool rpcbind_running(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(111),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t len = sizeof(err);
	bool up = false;

	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		up = true;
	} else if (errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		up = poll(&p, 1, 200) == 1 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
	}
	close(fd);
	return up;
}

static const struct {
	unsigned long prog, vers;
	bool mount;
} programs[] = {
	{ NFS_PROG, 3, false }, { NFS_PROG, 2, false },
	{ MOUNT_PROG, 3, true }, { MOUNT_PROG, 1, true },
};

void nfsp_rpcbind_register(struct nfsp *s)
{
	size_t i;
	unsigned failed = 0;

	if (s->conf.rpcbind == NFSP_RPCBIND_NO)
		return;
	if (!rpcbind_running()) {
		bft_logf(s->log, s->conf.rpcbind == NFSP_RPCBIND_YES ? BFT_LOG_WARN : BFT_LOG_INFO,
			 "nfsproxy: rpcbind is not running on 127.0.0.1:111; not registered "
			 "(clients must be given the ports: nfsport=%u, mountport=%u)",
			 s->conf.nfs_port, s->conf.mount_port);
		return;
	}
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		unsigned short port = programs[i].mount ? s->conf.mount_port : s->conf.nfs_port;

		pmap_unset(programs[i].prog, programs[i].vers);
		if (!pmap_set(programs[i].prog, programs[i].vers, IPPROTO_TCP, port) ||
		    !pmap_set(programs[i].prog, programs[i].vers, IPPROTO_UDP, port))
			failed++;
	}
	s->registered = true;
	if (failed)
		bft_logf(s->log, BFT_LOG_WARN, "nfsproxy: rpcbind refused %u of %zu "
			 "registrations", failed, sizeof(programs) / sizeof(programs[0]));
	else
		bft_logf(s->log, BFT_LOG_INFO, "nfsproxy: registered with rpcbind");
}

void nfsp_rpcbind_unregister(struct nfsp *s)
{
	size_t i;

	if (!s->registered)
		return;
	for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		pmap_unset(programs[i].prog, programs[i].vers);
	s->registered = false;
}
