/*
 * bench_ganesha.c — nfs-ganesha as the NFS-std baseline (bench_ganesha.h):
 * a generated ganesha.conf (NFSv3 only, FSAL VFS, one export, Graceless),
 * rpcbind -f if none listens on port 111, both started through procs.h.
 *
 * Must never wait unboundedly for a child nor leave one running.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bench_ganesha.h"
#include "procs.h"

#define WAIT_STEP_MS 100
#define RPCBIND_WAIT_MS 5000
#define GANESHA_WAIT_MS 15000

bool bench_port_open(uint16_t port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = WAIT_STEP_MS * 1000000L }, NULL);
}

static bool write_conf(const struct bench_ganesha *g, const char *conf)
{
	FILE *f = fopen(conf, "w");

	if (!f)
		return false;
	fprintf(f, "NFS_CORE_PARAM { NFS_Port = %u; MNT_Port = %u; NLM_Port = %u;\n"
		"  Rquota_Port = %u; Protocols = 3; Bind_addr = 127.0.0.1;\n"
		"  Enable_NLM = false; Enable_RQUOTA = false; }\n"
		"NFSV4 { Graceless = true; }\n"
		"EXPORT { Export_Id = 1; Path = %s; Pseudo = %s; Access_Type = RW;\n"
		"  Squash = No_Root_Squash; Protocols = 3; Transports = TCP, UDP;\n"
		"  SecType = sys; FSAL { Name = VFS; } }\n"
		"LOG { Default_Log_Level = WARN; }\n",
		g->nfs_port, g->mount_port, g->nfs_port + 2, g->nfs_port + 3, g->export,
		g->export);
	return fclose(f) == 0;
}

static bool start_rpcbind(struct bench_ganesha *g)
{
	int waited;

	if (bench_port_open(111))
		return true;
	g->rpcbind_pid = procs_spawn((const char *const[]){ "rpcbind", "-f", "-w", NULL }, NULL);
	for (waited = 0; g->rpcbind_pid > 0 && waited < RPCBIND_WAIT_MS; waited += WAIT_STEP_MS) {
		if (bench_port_open(111))
			return true;
		nap();
	}
	fprintf(stderr, "rpcbind did not start (apt-get install rpcbind)\n");
	return false;
}

static bool start(struct bench_ganesha *g, uint16_t nfs_port, uint16_t mount_port)
{
	char conf[sizeof(g->dir) + 16], log[sizeof(g->dir) + 16];
	int waited, st;

	memset(g, 0, sizeof(*g));
	g->nfs_port = nfs_port;
	g->mount_port = mount_port;
	snprintf(g->dir, sizeof(g->dir), "/tmp/bfs-ganesha-XXXXXX");
	if (!mkdtemp(g->dir)) {
		g->dir[0] = '\0';
		fprintf(stderr, "cannot create a directory for nfs-ganesha\n");
		return false;
	}
	snprintf(g->export, sizeof(g->export), "%s/export", g->dir);
	snprintf(conf, sizeof(conf), "%s/ganesha.conf", g->dir);
	snprintf(log, sizeof(log), "%s/ganesha.log", g->dir);
	if (mkdir(g->export, 0777) < 0 || !write_conf(g, conf)) {
		fprintf(stderr, "cannot write %s\n", conf);
		return false;
	}
	if (!start_rpcbind(g))
		return false;
	g->pid = procs_spawn((const char *const[]){ "ganesha.nfsd", "-F", "-f", conf, "-L", log,
						    NULL }, log);
	for (waited = 0; g->pid > 0 && waited < GANESHA_WAIT_MS; waited += WAIT_STEP_MS) {
		if (bench_port_open(nfs_port) && bench_port_open(mount_port))
			return true;
		if ((st = procs_wait(g->pid, 0)) >= 0) {
			g->pid = 0;
			fprintf(stderr, "ganesha.nfsd exited with status %d%s (log in %s)\n", st,
				st == 127 ? ": not installed? apt-get install nfs-ganesha "
					    "nfs-ganesha-vfs" : "", log);
			return false;
		}
		nap();
	}
	fprintf(stderr, "nfs-ganesha does not serve on ports %u/%u (log in %s)\n", nfs_port,
		mount_port, log);
	return false;
}

bool bench_ganesha_start(struct bench_ganesha *g, uint16_t nfs_port, uint16_t mount_port)
{
	bool ok = start(g, nfs_port, mount_port);

	g->failed = !ok;
	return ok;
}

void bench_ganesha_stop(struct bench_ganesha *g, bool keep)
{
	procs_stop(g->pid, 3000);
	procs_stop(g->rpcbind_pid, 1000);
	g->pid = g->rpcbind_pid = 0;
	if (g->dir[0] && !keep && !g->failed)
		procs_rmtree(g->dir);
	g->dir[0] = '\0';
}
