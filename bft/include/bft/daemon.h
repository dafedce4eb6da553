/*
 * bft/daemon.h — detach a daemon from its terminal the way its caller
 * wants to hear about it: the command returns only once the daemon serves
 * (exit 0) or has failed during start-up (exit 1), so scripts can chain on
 * it. Used by nfsproxy and bfs-mount.
 *
 * Call bft_daemon_detach() before creating any event loop (an
 * epoll-watched signalfd does not follow a fork). Never returns in the
 * parent.
 */
#ifndef BFT_DAEMON_H
#define BFT_DAEMON_H

/* Fork. The parent waits for the child to call bft_daemon_ready() and
 * exits 0, or exits 1 once the child exits without having called it (its
 * messages went to the terminal's stderr). In the child (its own session)
 * returns the descriptor to pass to bft_daemon_ready(). `prog` names the
 * program in the message printed if fork fails. */
int bft_daemon_detach(const char *prog);

/* In the child: stdin/stdout/stderr to /dev/null, then tell the parent it
 * may exit 0. Exits if the parent cannot be told. */
void bft_daemon_ready(int fd);

#endif
