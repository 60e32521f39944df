/* SPDX-License-Identifier: MIT */
/* fsutil.h - small file-system helpers shared by the sinks and commands. */
#ifndef MLPROBE_FSUTIL_H
#define MLPROBE_FSUTIL_H

/* mkdir -p with mode 0755.  0 or -1 with errno set. */
int mkdirs(const char *dir);
/* (Directory fsync is rundir__fsync, in rundir.h.) */

#endif
