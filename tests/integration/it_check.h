/*
 * it_check.h — the integration tests' soft assertion: report a failure
 * with its file and line and count it in the including file's `failures`,
 * then carry on, so one run shows every problem and still cleans up.
 */
#ifndef BFS_IT_CHECK_H
#define BFS_IT_CHECK_H

#include <stdio.h>

#define CHECK(cond, ...)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);       \
			fprintf(stderr, __VA_ARGS__);                              \
			fprintf(stderr, "\n");                                     \
			failures++;                                                \
		}                                                                  \
	} while (0)

#endif
