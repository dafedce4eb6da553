/*
 * andrew.h — `bfs-bench andrew`: the modified Andrew benchmark (OSDI '99
 * §6.3, Andrew100/Andrew500 with --scale) on a directory, or compared
 * across local, NFS-std, BFS and BFS through nfsproxy (andrew_compare.h).
 */
#ifndef BFS_ANDREW_H
#define BFS_ANDREW_H

/* argv[0] is "andrew". Returns the process exit status: 0 when every
 * configuration run completed and passed its checks, 1 otherwise, 2 for
 * bad options. */
int andrew_main(int argc, char **argv);

#endif
