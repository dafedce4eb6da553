/*
 * micro.h — `bfs-bench micro`: the paper's micro-benchmarks (OSDI '99
 * §6.3) on a real cluster, given or owned (bench_cluster.h).
 */
#ifndef BFS_MICRO_H
#define BFS_MICRO_H

/* argv[0] is "micro". Returns the process exit status. */
int micro_main(int argc, char **argv);

#endif
