// SPDX-License-Identifier: MIT
/* outdir.c - check and clear the output directory of a recording. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common/fsutil.h"
#include "common/log.h"
#include "outdir.h"
#include "spool.h"

static bool is_our_file(const char *n)
{
	static const char *const pre[] = { "metrics-", "spans-", "logs-",
					   "alerts-" };
	size_t len = strlen(n), end = len;

	if (!strcmp(n, "run.json") || !strcmp(n, ".run.json.tmp") ||
	    !strcmp(n, ".spool") || !strcmp(n, "command.log"))
		return true;
	/* .NAME.tmp: a rewrite of NAME that a kill interrupted */
	if (n[0] == '.' && len > 5 && !strcmp(n + len - 4, ".tmp")) {
		n++;
		end = len - 5;
	}
	for (int i = 0; i < 4; i++)
		if (!strncmp(n, pre[i], strlen(pre[i])) && end > 8 &&
		    !strncmp(n + end - 8, ".parquet", 8))
			return true;
	return false;
}

/* A folder of the partitioned layout (record --partition):
 * run=ID/host=H/rank=R. */
static bool is_part_dir(const char *n)
{
	return (!strncmp(n, "rank=", 5) && n[5]) ||
	       (!strncmp(n, "host=", 5) && n[5]) ||
	       (!strncmp(n, "run=", 4) && n[4]);
}

#define PART_DEPTH 3	/* run=, host=, rank= */

/* True if everything in the partition folder name of parent is ours:
 * files mlprobe writes, and partition folders of the same. */
static bool part_dir_ours(int parent, const char *name, int depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	struct dirent *de;
	bool ours = true;
	DIR *d;

	if (fd < 0 || depth > PART_DEPTH) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while (ours && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !is_our_file(de->d_name) &&
		    !(is_part_dir(de->d_name) &&
		      part_dir_ours(dirfd(d), de->d_name, depth + 1)))
			ours = false;
	closedir(d);
	return ours;
}

int outdir_check(const char *dir, bool force)
{
	char probe[PATH_MAX];
	struct dirent *de;
	bool empty = true, foreign = false;
	DIR *d;
	int fd;

	if (mkdirs(dir)) {
		pr_err("cannot create output directory %s: %s", dir, strerror(errno));
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		pr_err("cannot open output directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		empty = false;
		if (!is_our_file(de->d_name) &&
		    !(is_part_dir(de->d_name) &&
		      part_dir_ours(dirfd(d), de->d_name, 1)))
			foreign = true;
	}
	closedir(d);
	/* Foreign files first: --force would refuse them too. */
	if (foreign) {
		pr_err("output directory %s holds files mlprobe did not write; "
		       "refusing to mix a recording into it (choose another "
		       "directory)", dir);
		return -1;
	}
	if (!empty && !force) {
		pr_err("output directory %s is not empty: choose a new one, or "
		       "--force to replace the recording in it", dir);
		return -1;
	}
	if (spool__pending(dir) > 0) {
		pr_err("%s holds files not uploaded yet: run 'mlprobe upload "
		       "%s' first (or remove %s/.spool)", dir, dir, dir);
		return -1;
	}
	snprintf(probe, sizeof(probe), "%.4000s/.mlprobe-write-test", dir);
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		pr_err("output directory %s is not writable: %s", dir,
		       strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

/* Called once the probes are attached, so a failure before that loses
 * nothing.  Partition folders are emptied (our files only) and removed. */
int outdir_clear(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char sub[PATH_MAX];

		if (is_part_dir(de->d_name) &&
		    snprintf(sub, sizeof(sub), "%.3000s/%s", dir, de->d_name) <
			    (int)sizeof(sub)) {
			ret = outdir_clear(sub);
			if (!ret && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) &&
			    errno != ENOTEMPTY)
				ret = -errno;
			continue;
		}
		if (!strcmp(de->d_name, ".spool")) {
			if ((ret = spool__remove(dir)))
				pr_err("cannot remove %s/.spool: %s", dir,
				       strerror(-ret));
		} else if (is_our_file(de->d_name) &&
			   unlinkat(dirfd(d), de->d_name, 0)) {
			ret = -errno;
			pr_err("cannot remove %s/%s: %s", dir, de->d_name,
			       strerror(errno));
		}
	}
	closedir(d);
	return ret;
}

