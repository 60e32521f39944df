/* SPDX-License-Identifier: MIT */
/*
 * rundir: what the commands that work on a recording directory share.
 *
 * A recording directory is locked (flock on the directory itself) while
 * `record`, `recover` or `upload` works in it, so two of them never touch
 * the same files.  The kernel drops the lock when the process dies, even by
 * kill -9, so a crash never leaves a stale lock behind.
 */
#ifndef MLPROBE_RUNDIR_H
#define MLPROBE_RUNDIR_H

/* Locks dir, waiting up to wait_ms for another holder to let go (a process
 * killed with -9 keeps its files open while the kernel tears down its
 * uprobes).  Returns the lock's fd (close it to unlock; it is close-on-exec),
 * -EBUSY when another process still holds the lock, or -errno. */
int rundir__lock(const char *dir, int wait_ms);

#endif
