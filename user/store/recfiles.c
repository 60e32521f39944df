// SPDX-License-Identifier: MIT
/* recfiles.c - the files of a recording, flat or partitioned. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "recfiles.h"

static const char *const names[REC_NTABLES] = {
	[REC_METRICS] = "metrics", [REC_SPANS] = "spans", [REC_LOGS] = "logs",
	[REC_ALERTS] = "alerts",
};

/* Where files lie below the directory given, for each depth it may be at
 * in a partitioned recording: the tables in rank=R folders, the alerts
 * and run.json in host=H folders. */
static const char *const rank_dirs[] = { "", "rank=*/", "host=*/rank=*/",
					 "run=*/host=*/rank=*/" };
static const char *const host_dirs[] = { "", "host=*/", "run=*/host=*/" };

const char *recfiles__table_name(int t)
{
	return t >= 0 && t < REC_NTABLES ? names[t] : "?";
}

int recfiles__table(const char *name)
{
	for (int t = 0; t < REC_NTABLES; t++)
		if (!strcmp(name, names[t]))
			return t;
	return -1;
}

/* Globs dir/<each of dirs><file> into g; the number of paths. */
static size_t glob_dirs(const char *dir, const char *const *dirs, size_t n,
			const char *file, glob_t *g)
{
	int flags = 0;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		char pat[PATH_MAX];
		int r;

		if (snprintf(pat, sizeof(pat), "%s/%s%s", dir, dirs[i], file) >=
		    (int)sizeof(pat))
			continue;
		r = glob(pat, flags, NULL, g);
		if (!r)
			flags = GLOB_APPEND;
		else if (r != GLOB_NOMATCH)
			break;
	}
	if (!flags)
		return 0;
	return g->gl_pathc;
}

size_t recfiles__glob(const char *dir, int t, glob_t *g)
{
	char file[64];

	if (t < 0 || t >= REC_NTABLES)
		return 0;
	snprintf(file, sizeof(file), "%s-*.parquet", names[t]);
	if (t == REC_ALERTS)
		return glob_dirs(dir, host_dirs, 3, file, g);
	return glob_dirs(dir, rank_dirs, 4, file, g);
}

bool recfiles__has_run(const char *dir)
{
	glob_t g;
	size_t n = glob_dirs(dir, host_dirs, 3, "run.json", &g);

	if (n)
		globfree(&g);
	return n > 0;
}
