/* SPDX-License-Identifier: MIT */
/* fsutil.h - small file-system helpers shared by every stage. */
#ifndef MLPROBE_FSUTIL_H
#define MLPROBE_FSUTIL_H

/* mkdir -p with mode 0755.  0 or -1 with errno set. */
int mkdirs(const char *dir);
/* fsyncs a directory, so the names in it are durable.  0 or -errno. */
int fsync_dir(const char *dir);

#endif
