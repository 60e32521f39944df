// SPDX-License-Identifier: MIT
/*
 * spool_dir.c - the spool of a directory no recorder is writing: what
 * `recover` queues (the files being written at a crash) and what `upload`
 * counts and removes once everything is sent (spool.h).
 */
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
#include "spool.h"
#include "spool_int.h"

static char *read_log(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf;
	int fd;

	spool_path(path, sizeof(path), dir, "log");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return strdup("");
	if (fstat(fd, &st) || !(buf = malloc((size_t)st.st_size + 2))) {
		close(fd);
		return NULL;
	}
	buf[0] = '\n';
	if (read(fd, buf + 1, (size_t)st.st_size) != st.st_size) {
		close(fd);
		free(buf);
		return NULL;
	}
	buf[st.st_size + 1] = 0;
	close(fd);
	return buf;
}

static bool logged(const char *log, const char *name)
{
	char pat[PATH_MAX + 2];

	snprintf(pat, sizeof(pat), " %s\n", name);
	return strstr(log, pat) != NULL;
}

/* Queues the files of one folder (sub below dir, "" for dir itself) and of
 * its rank= folders.  The number queued, or -errno. */
static int adopt_folder(const char *dir, const char *sdir, const char *sub,
			const char *log, bool (*want)(const char *name), int depth)
{
	char from[PATH_MAX], name[PATH_MAX], to[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int n = 0, ret = 0, r;
	DIR *d;

	if (snprintf(from, sizeof(from), "%s%s%s", dir, *sub ? "/" : "", sub) >=
	    (int)sizeof(from))
		return -ENAMETOOLONG;
	if (!(d = opendir(from)))
		return -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    snprintf(name, sizeof(name), "%s%s%s", sub, *sub ? "/" : "",
			     de->d_name) >= (int)sizeof(name))
			continue;
		/* The only folders a recording has: --partition's ranks. */
		if (S_ISDIR(st.st_mode) && depth < SPOOL_DEPTH &&
		    !strncmp(de->d_name, "rank=", 5)) {
			r = adopt_folder(dir, sdir, name, log, want, depth + 1);
			if (r < 0)
				ret = r;
			else
				n += r;
			continue;
		}
		if (!S_ISREG(st.st_mode) || !want(de->d_name) || logged(log, name))
			continue;
		if (snprintf(from, sizeof(from), "%s/%s", dir, name) >=
		    (int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s/%s", sdir, name) >= (int)sizeof(to))
			continue;
		if ((r = spool_make_parents(sdir, name))) {
			ret = r;
		} else if (!link(from, to)) {
			n++;
			ret = spool_fsync_parents(sdir, name);
		} else if (errno != EEXIST) {
			ret = -errno;
		}
	}
	closedir(d);
	return ret ? ret : n;
}

int spool__adopt(const char *dir, bool (*want)(const char *name))
{
	char sdir[PATH_MAX], *log;
	struct stat st;
	int ret;

	if ((ret = spool_path(sdir, sizeof(sdir), dir, NULL)))
		return ret;
	if (stat(sdir, &st))
		return errno == ENOENT ? 0 : -errno;
	log = read_log(dir);
	if (!log)
		return -ENOMEM;
	ret = adopt_folder(dir, sdir, "", log, want, 0);
	free(log);
	return ret;
}

/* Files pending below path (the spool, or one of its folders); with
 * remove, the folders emptied are removed too. */
static int count_folder(const char *path, int depth, bool remove)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int n = 0, r;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT && !depth ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (!depth && spool_is_meta(de->d_name)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!S_ISDIR(st.st_mode)) {
			n++;
			continue;
		}
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub) || depth >= SPOOL_DEPTH) {
			n++;	/* not ours to look into: not empty */
			continue;
		}
		if ((r = count_folder(sub, depth + 1, remove)) < 0) {
			n = r;
			break;
		}
		n += r;
		if (!r && remove && rmdir(sub) && errno != ENOENT) {
			n = -errno;
			break;
		}
	}
	closedir(d);
	return n;
}

int spool__pending(const char *dir)
{
	char sdir[PATH_MAX];

	if (spool_path(sdir, sizeof(sdir), dir, NULL))
		return -ENAMETOOLONG;
	return count_folder(sdir, 0, false);
}

int spool__remove(const char *dir)
{
	static const char *const meta[] = { "command", "command.tmp", "log",
					    "upload.log" };
	char path[PATH_MAX];
	int n = spool__pending(dir);

	if (n < 0)
		return n;
	if (n > 0)
		return -EBUSY;
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		spool_path(path, sizeof(path), dir, meta[i]);
		unlink(path);
	}
	spool_path(path, sizeof(path), dir, NULL);
	/* Empty rank= folders left by a crash before their last upload. */
	if ((n = count_folder(path, 0, true)) < 0)
		return n;
	if (rmdir(path) && errno != ENOENT)
		return -errno;
	return 0;
}
