/*
 * pattern_probe.c — bft-pattern-probe: what PBFT's normal-case message
 * pattern alone costs on this host, with no protocol work at all.
 *
 * Five processes on loopback UDP — a client and four "replicas" (f = 1) —
 * pass empty 16-byte datagrams in the pattern of a one-client read-write
 * request with tentative execution (Castro & Liskov, OSDI '99 §4.2,
 * §5.1.2): REQUEST client→primary, PRE-PREPARE primary→3 backups, PREPARE
 * each backup→the 3 other replicas, a REPLY from each replica once it holds
 * the pre-prepare and 2f prepares (its own counted), the client done at 2f+1
 * replies. No MACs, no decoding, no log: only the datagrams, wake-ups and
 * system calls, done the way bft/net does them (epoll, recvmmsg, one
 * sendmmsg per burst, SCHED_BATCH "replicas").
 *
 *   no-rep         client ↔ one server: the NO-REP baseline's pattern
 *   pbft           the pattern above (COMMITs held back: bft/core
 *                  lazy_commit.c, where they ride in later bundles)
 *   pbft-commits   the same plus each replica multicasting a COMMIT to the
 *                  3 others when prepared, as a datagram of its own
 *
 * It prints p50/p90 of each pattern's round trip and its p50 ratio to the
 * no-rep run of the same round, so a ratio here is a floor for
 * `bfs-bench micro`'s 0/0 read-write ratio on the same host: the real
 * protocol adds crypto, decoding and logging on top.
 *
 * Usage: bft-pattern-probe [round trips per run, default 20000] [rounds,
 * default 3]. Never a test (timings are the host's). The forked processes
 * die with the client (PR_SET_PDEATHSIG), however it ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CLIENT = 0, PRIMARY = 1, NODES = 5, BURST = 16, OUT_MAX = 32 };
enum { REQ = 1, PRE_PREPARE, PREPARE, COMMIT, REPLY };
enum pattern { NO_REP, PBFT, PBFT_COMMITS };

static const char *const pattern_name[] = { "no-rep", "pbft", "pbft-commits" };

struct probe_msg {
	uint32_t type, from;
	uint64_t round;
};

struct node {
	int fd, ep;
	struct sockaddr_in addr[NODES];
	struct mmsghdr out[OUT_MAX];
	struct iovec out_iov[OUT_MAX];
	struct probe_msg out_msg[OUT_MAX];
	int n_out;
};

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void die(const char *what)
{
	fprintf(stderr, "bft-pattern-probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void flush(struct node *nd);

static void queue(struct node *nd, int to, uint32_t type, int from, uint64_t round)
{
	int i;

	if (nd->n_out == OUT_MAX)
		flush(nd);
	i = nd->n_out++;

	nd->out_msg[i] = (struct probe_msg){ type, (uint32_t)from, round };
	nd->out_iov[i] = (struct iovec){ &nd->out_msg[i], sizeof(nd->out_msg[i]) };
	nd->out[i].msg_hdr = (struct msghdr){ .msg_name = &nd->addr[to],
					      .msg_namelen = sizeof(nd->addr[to]),
					      .msg_iov = &nd->out_iov[i], .msg_iovlen = 1 };
}

static void flush(struct node *nd)
{
	if (nd->n_out && sendmmsg(nd->fd, nd->out, (unsigned)nd->n_out, 0) < 0)
		die("sendmmsg");
	nd->n_out = 0;
}

/* Sleep in epoll_wait, then take what arrived (one recvmmsg). */
static int receive(struct node *nd, struct probe_msg *m)
{
	struct mmsghdr in[BURST];
	struct iovec iov[BURST];
	struct epoll_event ev;
	int i, n;

	while (epoll_wait(nd->ep, &ev, 1, -1) < 0)
		if (errno != EINTR)
			die("epoll_wait");
	for (i = 0; i < BURST; i++) {
		iov[i] = (struct iovec){ &m[i], sizeof(m[i]) };
		in[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	n = recvmmsg(nd->fd, in, BURST, MSG_DONTWAIT, NULL);
	return n < 0 ? 0 : n;
}

/* One replica's (or the NO-REP server's) reaction to one datagram. */
struct replica_state {
	uint64_t round;
	int have_pp, prepares, replied;
};

static void replica_handle(struct node *nd, int id, enum pattern p, struct replica_state *s,
			   const struct probe_msg *m)
{
	int j;

	if (p == NO_REP) {
		queue(nd, CLIENT, REPLY, id, m->round);
		return;
	}
	if (m->round > s->round)
		*s = (struct replica_state){ .round = m->round };
	else if (m->round < s->round)
		return;
	if (m->type == REQ && id == PRIMARY) {
		for (j = PRIMARY + 1; j < NODES; j++)
			queue(nd, j, PRE_PREPARE, id, s->round);
		s->have_pp = 1;
	} else if (m->type == PRE_PREPARE) {
		s->have_pp = 1;
		s->prepares++; /* its own */
		for (j = PRIMARY; j < NODES; j++)
			if (j != id)
				queue(nd, j, PREPARE, id, s->round);
	} else if (m->type == PREPARE) {
		s->prepares++;
	}
	if (s->have_pp && s->prepares >= 2 && !s->replied) { /* prepared: 2f */
		s->replied = 1;
		if (p == PBFT_COMMITS)
			for (j = PRIMARY; j < NODES; j++)
				if (j != id)
					queue(nd, j, COMMIT, id, s->round);
		queue(nd, CLIENT, REPLY, id, s->round);
	}
}

static void replica_run(struct node *nd, int id, enum pattern p)
{
	struct sched_param sp = { 0 };
	struct replica_state s = { 0 };
	struct probe_msg m[BURST];

	sched_setscheduler(0, SCHED_BATCH, &sp); /* as bfsd --sched batch */
	for (;;) {
		int n = receive(nd, m);

		for (int i = 0; i < n; i++)
			replica_handle(nd, id, p, &s, &m[i]);
		flush(nd);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The client's closed loop; returns the p50 (µs), prints p50 and p90. */
static uint64_t client_run(struct node *nd, enum pattern p, int trips, uint64_t base_p50)
{
	uint64_t *lat = calloc((size_t)trips, sizeof(*lat)), p50;
	int need = p == NO_REP ? 1 : 3; /* 2f+1 tentative replies */
	struct probe_msg m[BURST];

	if (!lat)
		die("calloc");
	for (int r = 1; r <= trips; r++) {
		uint64_t t0 = now_us();
		int got = 0;

		queue(nd, PRIMARY, REQ, CLIENT, (uint64_t)r);
		flush(nd);
		while (got < need) {
			int n = receive(nd, m);

			for (int i = 0; i < n; i++)
				got += m[i].type == REPLY && m[i].round == (uint64_t)r;
		}
		lat[r - 1] = now_us() - t0;
	}
	qsort(lat, (size_t)trips, sizeof(*lat), cmp_u64);
	p50 = lat[trips / 2];
	printf("%-13s p50 %5llu us  p90 %5llu us", pattern_name[p], (unsigned long long)p50,
	       (unsigned long long)lat[trips * 9 / 10]);
	if (base_p50)
		printf("  %5.2fx no-rep", (double)p50 / (double)base_p50);
	printf("\n");
	fflush(stdout);
	free(lat);
	return p50;
}

/* Bind NODES sockets on loopback ports the kernel picks. */
static void open_sockets(int fds[NODES], struct sockaddr_in addr[NODES])
{
	for (int i = 0; i < NODES; i++) {
		socklen_t len = sizeof(addr[i]);

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			die("socket");
		addr[i] = (struct sockaddr_in){ .sin_family = AF_INET,
						.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (bind(fds[i], (struct sockaddr *)&addr[i], sizeof(addr[i])) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&addr[i], &len) < 0)
			die("bind");
	}
}

static uint64_t run(enum pattern p, int trips, uint64_t base_p50)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_in addr[NODES];
	int fds[NODES], last = p == NO_REP ? PRIMARY : NODES - 1;
	pid_t pids[NODES] = { 0 };
	struct node nd = { 0 };
	uint64_t p50;

	open_sockets(fds, addr);
	memcpy(nd.addr, addr, sizeof(addr));
	for (int id = 0; id <= last; id++) {
		if (id != CLIENT && (pids[id] = fork()) < 0)
			die("fork");
		if (id != CLIENT && pids[id] > 0)
			continue;
		nd.fd = fds[id];
		if ((nd.ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    epoll_ctl(nd.ep, EPOLL_CTL_ADD, nd.fd, &ev) < 0)
			die("epoll");
		if (id != CLIENT) {
			/* never outlive the client (killed, or its stdout closed) */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
				_exit(1);
			replica_run(&nd, id, p);
			_exit(0);
		}
	}
	p50 = client_run(&nd, p, trips, base_p50);
	for (int id = PRIMARY; id <= last; id++) {
		kill(pids[id], SIGKILL);
		waitpid(pids[id], NULL, 0);
	}
	close(nd.ep);
	for (int i = 0; i < NODES; i++)
		close(fds[i]);
	return p50;
}

int main(int argc, char **argv)
{
	int trips = argc > 1 ? atoi(argv[1]) : 20000, rounds = argc > 2 ? atoi(argv[2]) : 3;

	if (argc > 3 || trips < 10 || rounds < 1) {
		fprintf(stderr, "usage: bft-pattern-probe [round trips per run >= 10] [rounds]\n");
		return 2;
	}
	for (int k = 0; k < rounds; k++) {
		uint64_t base = run(NO_REP, trips, 0);

		run(PBFT, trips, base);
		run(PBFT_COMMITS, trips, base);
	}
	return 0;
}
