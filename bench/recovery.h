/*
 * recovery.h — `bfs-bench recovery` (recovery.c): how long a replica that
 * missed part of the history takes to catch up by state transfer (TOCS '02
 * §5.3.2), and how many bytes it moves compared with the partitions that
 * changed and with the whole state.
 */
#ifndef BFS_BENCH_RECOVERY_H
#define BFS_BENCH_RECOVERY_H

/* argv[0] is "recovery". Exit status: 0, 1 on a failed run, 2 on bad usage. */
int recovery_main(int argc, char **argv);

#endif
