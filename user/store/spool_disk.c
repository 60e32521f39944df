// SPDX-License-Identifier: MIT
/* spool_disk.c - the spool's layout on disk (spool_int.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "common/fsutil.h"
#include "spool_int.h"

bool spool_is_meta(const char *name)
{
	return name[0] == '.' || !strcmp(name, "command") ||
	       !strcmp(name, "command.tmp") || !strcmp(name, "log") ||
	       !strcmp(name, "upload.log");
}

int spool_path(char *buf, size_t n, const char *dir, const char *name)
{
	if (snprintf(buf, n, "%s/" SPOOL_DIR "%s%s", dir, name ? "/" : "",
		     name ? name : "") >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

/* A file's name in the spool: its path below DIR (rank=0/metrics-0000.parquet
 * with --partition, where every rank= folder has a metrics-0000.parquet).
 * NULL for a path outside DIR, a folder that starts with '.', or a file of
 * the spool's own. */
const char *spool_rel_name(const char *dir, const char *path)
{
	size_t len = strlen(dir);
	const char *rel, *c;

	if (strncmp(path, dir, len) || path[len] != '/')
		return NULL;
	for (rel = path + len; *rel == '/'; rel++)
		;
	for (c = rel; c; c = strchr(c, '/')) {
		c += *c == '/';
		if (*c == '.' || *c == '/' || !*c)
			return NULL;
	}
	if (!strchr(rel, '/') && spool_is_meta(rel))
		return NULL;
	return rel;
}

/* Creates the folders of NAME below the spool (rank=0/ of
 * rank=0/metrics-0000.parquet).  0 or -errno. */
int spool_make_parents(const char *sdir, const char *name)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", sdir, name);

	if (n >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + strlen(sdir) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Makes NAME's link durable: its folder and each one up to the spool. */
int spool_fsync_parents(const char *sdir, const char *name)
{
	char path[PATH_MAX];
	size_t base = strlen(sdir);
	char *p;
	int ret;

	if (snprintf(path, sizeof(path), "%s/%s", sdir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	while ((p = strrchr(path, '/')) && (size_t)(p - path) >= base) {
		*p = 0;
		if ((ret = fsync_dir(path)))
			return ret;
	}
	return 0;
}

/* Removes NAME's link, then its folders once empty. */
void spool_unlink_name(const char *sdir, const char *name)
{
	char path[PATH_MAX];
	size_t base = strlen(sdir);
	char *p;

	if (snprintf(path, sizeof(path), "%s/%s", sdir, name) >= (int)sizeof(path))
		return;
	unlink(path);
	while ((p = strrchr(path, '/')) && (size_t)(p - path) > base) {
		*p = 0;
		if (rmdir(path))
			break;
	}
}
