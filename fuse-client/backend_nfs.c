/* placeholder */
#include <errno.h>
#include "fc.h"
int fc_nfs_open(const char *url, struct bft_loop *loop, struct bft_log *log,
		struct fc_backend **out)
{
	(void)url; (void)loop; (void)out;
	bft_logf(log, BFT_LOG_ERROR, "bfs-mount: nfs:// not yet");
	return -ENOSYS;
}
