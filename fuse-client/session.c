/*
 * session.c — the FUSE 3 low-level session (libfuse include/fuse_lowlevel.h)
 * on bfs-mount's event loop: the /dev/fuse descriptor is non-blocking and
 * watched by bft_loop; each readable event receives and dispatches a burst
 * of requests (fuse_session_receive_buf / fuse_session_process_buf), whose
 * handlers start NFS calls and return at once. The loop stops when the
 * kernel ends the session (umount, fusermount3 -u: ENODEV) or a drain
 * after SIGTERM/SIGINT completes.
 *
 * Never blocks on the network; the only blocking step is mounting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "fc.h"

#define RECEIVE_BURST 64

static void fc_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Requests run concurrently anyway: let the kernel send lookups and
	 * creates in one directory without serialising them. */
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
}

const struct fuse_lowlevel_ops fc_ops = {
	.init = fc_init,
	.lookup = fc_op_lookup,
	.forget = fc_op_forget,
	.forget_multi = fc_op_forget_multi,
	.getattr = fc_op_getattr,
	.setattr = fc_op_setattr,
	.readlink = fc_op_readlink,
	.mknod = fc_op_mknod,
	.mkdir = fc_op_mkdir,
	.unlink = fc_op_unlink,
	.rmdir = fc_op_rmdir,
	.symlink = fc_op_symlink,
	.rename = fc_op_rename,
	.link = fc_op_link,
	.open = fc_op_open,
	.read = fc_op_read,
	.write = fc_op_write,
	.flush = fc_op_flush,
	.release = fc_op_release,
	.fsync = fc_op_fsync,
	.opendir = fc_op_opendir,
	.readdir = fc_op_readdir,
	.releasedir = fc_op_releasedir,
	.statfs = fc_op_statfs,
	.access = fc_op_access,
	.create = fc_op_create,
	.readdirplus = fc_op_readdirplus,
};

static void on_fuse(void *data, uint32_t events)
{
	struct fc *fc = data;

	(void)events;
	for (int i = 0; i < RECEIVE_BURST && !fuse_session_exited(fc->se); i++) {
		int n = fuse_session_receive_buf(fc->se, &fc->buf);

		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			if (n < 0)
				bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: reading /dev/fuse: %s",
					 strerror(-n));
			fuse_session_exit(fc->se);
			break;
		}
		fuse_session_process_buf(fc->se, &fc->buf);
	}
	if (fuse_session_exited(fc->se)) {
		bft_logf(fc->log, BFT_LOG_INFO, "bfs-mount: the kernel ended the session "
			 "(unmounted)");
		bft_loop_del_fd(fc->loop, fc->fuse_fd);
		fc->fuse_fd = -1;
		fc->stopping = true;
		if (!fc->in_flight)
			bft_loop_stop(fc->loop);
	}
}

int fc_session_start(struct fc *fc, struct fuse_args *args, const char *mountpoint)
{
	int fd, fl;

	fc->fuse_fd = -1;
	if (!(fc->se = fuse_session_new(args, &fc_ops, sizeof(fc_ops), fc)))
		return -1;
	if (fuse_session_mount(fc->se, mountpoint) != 0)
		return -1;
	fd = fuse_session_fd(fc->se);
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    bft_loop_add_fd(fc->loop, fd, EPOLLIN, on_fuse, fc) != 0) {
		bft_logf(fc->log, BFT_LOG_ERROR, "bfs-mount: cannot watch /dev/fuse: %s",
			 strerror(errno));
		return -1;
	}
	fc->fuse_fd = fd;
	return 0;
}

void fc_session_drain(struct fc *fc)
{
	if (fc->fuse_fd >= 0) {
		bft_loop_del_fd(fc->loop, fc->fuse_fd);
		fc->fuse_fd = -1;
	}
	fc->stopping = true;
	if (!fc->in_flight)
		bft_loop_stop(fc->loop);
}

void fc_session_end(struct fc *fc)
{
	if (!fc->se)
		return;
	if (fc->fuse_fd >= 0)
		bft_loop_del_fd(fc->loop, fc->fuse_fd);
	fuse_session_unmount(fc->se);
	fuse_session_destroy(fc->se);
	fc->se = NULL;
	free(fc->buf.mem);
	fc->buf.mem = NULL;
}
