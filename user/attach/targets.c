// SPDX-License-Identifier: MIT
/* targets.c - --func resolution and --all process discovery. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <limits.h>
#include <sys/stat.h>
#include "common/log.h"
#include "usdt_notes.h"
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

/* Checks -p PID before anything is attached: one clear line if it cannot
 * be traced. */
pid_t targets_parse_pid(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

int targets_check_pid(pid_t pid)
{
	char path[64], exe[PATH_MAX];

	if (kill(pid, 0) && errno == ESRCH) {
		pr_err("no process with PID %d", pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (readlink(path, exe, sizeof(exe)) < 0) {
		if (errno == ENOENT)
			pr_err("PID %d is a kernel thread (or exiting): it has no "
			       "user-space code to trace", pid);
		else
			pr_err("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Counts the probe sites of the file at path; -1 (reported) if it cannot be
 * read. */
int targets_count_sites(const char *path, const char *display)
{
	struct usdt_file f = { 0 };
	char err[512];
	int n;

	if (usdt_file__read(path, "mlprobe", &f, err, sizeof(err))) {
		pr_err("%s: %s", display, err);
		return -1;
	}
	n = f.nsites;
	usdt_file__free(&f);
	return n;
}

/* Sites of provider in pid's executable and libraries (of the probes
 * named in only, when given), or -errno (err). */
static int proc_sites(pid_t pid, const char *provider, const char *const *only,
		      char *err, size_t errlen)
{
	struct usdt_file *files = NULL;
	int n = usdt_proc__scan(pid, provider, &files, err, errlen), sites = 0;

	for (int i = 0; i < n; i++) {
		for (int s = 0; s < files[i].nsites; s++)
			for (int k = 0; !only || only[k]; k++)
				if (!only || !strcmp(files[i].sites[s].name, only[k])) {
					sites++;
					break;
				}
		usdt_file__free(&files[i]);
	}
	free(files);
	return n < 0 ? n : sites;
}

int targets_proc_sites(pid_t pid, bool gc, char *err, size_t errlen)
{
	static const char *const gc_probes[] = { "gc__start", "gc__done", NULL };
	int n = proc_sites(pid, "mlprobe", NULL, err, errlen), g;

	if (n < 0 || !gc)
		return n;
	g = proc_sites(pid, "python", gc_probes, err, errlen);
	return g < 0 ? g : n + g;
}

bool targets_is_python(const char *path)
{
	struct elfsym es;
	char err[512];

	return elfsym__resolve(path, "Py_BytesMain", &es, err, sizeof(err)) == 0;
}
