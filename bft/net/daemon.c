/*
 * daemon.c — fork-and-wait detaching for the daemons (bft/daemon.h).
 * Never touches an event loop; exits the process on failure to fork.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bft/daemon.h"

int bft_daemon_detach(const char *prog)
{
	int fds[2], status;
	char ok;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "%s: cannot detach: ", prog);
		perror(NULL);
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &ok, 1) == 1)
			_exit(0);
		waitpid(pid, &status, 0);
		_exit(1);
	}
	close(fds[0]);
	setsid();
	return fds[1];
}

void bft_daemon_ready(int fd)
{
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (write(fd, "1", 1) != 1)
		_exit(1);
	close(fd);
}
