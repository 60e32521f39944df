// SPDX-License-Identifier: MIT
/* rundir.c - the recording directory's lock and fsync (see rundir.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include "rundir.h"

int rundir__lock(const char *dir, int wait_ms)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (int i = 0; i < wait_ms / 10 && flock(fd, LOCK_EX | LOCK_NB) &&
			errno == EWOULDBLOCK; i++)
		usleep(10000);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int ret = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return ret;
	}
	return fd;
}
