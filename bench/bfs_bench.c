/*
 * bfs_bench.c — `bfs-bench`, the benchmark programs of BFS (OSDI '99 §6):
 * one subcommand per benchmark: `micro`, the micro-benchmarks of §6.3
 * (micro.c), `andrew`, the modified Andrew benchmark of §6.3 (andrew.c),
 * and `recovery`, a replica catching up by state transfer (recovery.c).
 * Benchmarks print figures and JSON; they never assert a
 * timing (STYLE.md).
 */
#include <stdio.h>
#include <string.h>

#include "andrew.h"
#include "micro.h"
#include "recovery.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bfs-bench micro [options]      (bfs-bench micro --help)\n"
		   "       bfs-bench andrew [options]     (bfs-bench andrew --help)\n"
		   "       bfs-bench recovery [options]   (bfs-bench recovery --help)\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "micro"))
		return micro_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "andrew"))
		return andrew_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "recovery"))
		return recovery_main(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
