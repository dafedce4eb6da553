/*
 * fs_name.c — validation of file names from the client (RFC 1813 §2.5
 * filename3, §3.3.x NAMETOOLONG): at most BFS_NAME_MAX bytes, not empty, no
 * '/'. ("\0" cannot appear: the XDR string decoder ends names at the first
 * NUL.) "." and ".." are never stored: LOOKUP resolves them, the creating
 * procedures answer NFS3ERR_EXIST, the removing ones NFS3ERR_INVAL.
 */
#include <string.h>

#include "fs_internal.h"

bool bfs_name_is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

int bfs_name_check(const char *name)
{
	size_t n = strnlen(name, BFS_NAME_MAX + 1);
	if (n > BFS_NAME_MAX)
		return NFS3ERR_NAMETOOLONG;
	if (n == 0 || memchr(name, '/', n) != NULL)
		return NFS3ERR_INVAL;
	return 0;
}

int bfs_name_check_new(const char *name)
{
	int st = bfs_name_check(name);
	if (st == 0 && bfs_name_is_dot(name))
		return NFS3ERR_EXIST;
	return st;
}
