// SPDX-License-Identifier: MIT
/* targets.c - --func resolution and --all process discovery. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "elfsym.h"
#include "targets.h"

#define MAX_FUNCS 256

int targets_resolve_funcs(const char *list, pid_t pid, const char *main_path,
			  struct func_target **out, char *err, size_t errlen)
{
	struct func_target *fs = NULL;
	char *copy = strdup(list), *save = NULL, *item;
	int n = 0, ret = 0;

	*out = NULL;
	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char lib[4096], sym[256], e[512];
		struct func_target *ft;
		struct elfsym es;
		const char *file = main_path;

		while (isspace((unsigned char)*item))
			item++;
		ret = elfsym__parse_spec(item, lib, sizeof(lib), sym, sizeof(sym),
					 e, sizeof(e));
		if (ret) {
			snprintf(err, errlen, "--func '%s': %s", item, e);
			goto fail;
		}
		if (n == MAX_FUNCS) {
			snprintf(err, errlen, "--func: more than %d functions",
				 MAX_FUNCS);
			ret = -E2BIG;
			goto fail;
		}
		if (lib[0]) {
			static char found[4096];

			if (pid > 0) {
				ret = elfsym__find_lib(pid, lib, found, sizeof(found),
						       e, sizeof(e));
				if (ret) {
					snprintf(err, errlen, "--func '%s': %s", item, e);
					goto fail;
				}
				file = found;
			} else {
				file = lib;
			}
		}
		ret = elfsym__resolve(file, sym, &es, e, sizeof(e));
		if (ret) {
			snprintf(err, errlen, "--func '%s': %s", item, e);
			goto fail;
		}
		ft = realloc(fs, (n + 1) * sizeof(*fs));
		if (!ft) {
			ret = -ENOMEM;
			goto fail;
		}
		fs = ft;
		ft = &fs[n++];
		snprintf(ft->spec, sizeof(ft->spec), "%s", item);
		snprintf(ft->path, sizeof(ft->path), "%s", es.path);
		ft->off = es.offset;
	}
	free(copy);
	if (!n) {
		snprintf(err, errlen, "--func: no function given");
		return -EINVAL;
	}
	*out = fs;
	return n;
fail:
	free(copy);
	free(fs);
	return ret;
}

int targets_find_procs(dev_t dev, ino_t ino, pid_t **out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t *pids = NULL;
	int n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64], *end;
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
		if (stat(path, &st) || st.st_dev != dev || st.st_ino != ino)
			continue;
		if (n == cap) {
			pid_t *np = realloc(pids, (cap ? cap * 2 : 16) * sizeof(*np));

			if (!np) {
				free(pids);
				closedir(d);
				return -ENOMEM;
			}
			pids = np;
			cap = cap ? cap * 2 : 16;
		}
		pids[n++] = (pid_t)pid;
	}
	closedir(d);
	*out = pids;
	return n;
}
