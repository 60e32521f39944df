/* SPDX-License-Identifier: MIT */
/*
 * spool_int.h - the spool's layout on disk, shared by the live spool
 * (spool.c) and the offline one of recover and upload (spool_dir.c).
 *   DIR/.spool/NAME   a hard link per file still to upload; NAME is the
 *                     file's path below DIR (rank=R/metrics-0000.parquet)
 *   DIR/.spool/{command,log,upload.log}   the spool's own files
 */
#ifndef MLPROBE_SPOOL_INT_H
#define MLPROBE_SPOOL_INT_H

#include <stdbool.h>
#include <stddef.h>

#define SPOOL_DIR	".spool"
#define SPOOL_DEPTH	4		/* folders below DIR: rank=R/ is one */

/* A name of the spool's own (command, log...), not a file to upload. */
bool spool_is_meta(const char *name);
/* DIR/.spool[/NAME] into buf.  0 or -ENAMETOOLONG. */
int spool_path(char *buf, size_t n, const char *dir, const char *name);
/* A file's name in the spool: its path below DIR.  NULL for a path outside
 * DIR, a folder that starts with '.', or a file of the spool's own. */
const char *spool_rel_name(const char *dir, const char *path);
/* Creates the folders of NAME below the spool.  0 or -errno. */
int spool_make_parents(const char *sdir, const char *name);
/* Makes NAME's link durable: its folder and each one up to the spool. */
int spool_fsync_parents(const char *sdir, const char *name);
/* Removes NAME's link, then its folders once empty. */
void spool_unlink_name(const char *sdir, const char *name);

#endif
