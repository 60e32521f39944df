// SPDX-License-Identifier: MIT
/* spawn.c - command lines, PATH search, a child's state (spawn.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "spawn.h"

void spawn_child_reset(void)
{
	sigset_t none;
	int fd;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);	/* the command gets 0, 1 and 2, nothing else */
	}
}

int spawn_split(const char *line, const char *what, char ***argv, char *err,
		size_t errlen)
{
	size_t len = strlen(line), nw = 0;
	char *w, **av, q = 0;
	bool in = false;
	const char *p;

	*argv = NULL;
	/* Worst case: every other byte a word. */
	av = malloc((len / 2 + 2) * sizeof(*av) + len + 1);
	if (!av) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w = (char *)(av + len / 2 + 2);
	for (p = line; *p; p++) {
		if (!q && (*p == ' ' || *p == '\t' || *p == '\n')) {
			if (in)
				*w++ = 0;
			in = false;
			continue;
		}
		if (!in) {
			av[nw++] = w;
			in = true;
		}
		if (q && *p == q) {
			q = 0;
		} else if (!q && (*p == '\'' || *p == '"')) {
			q = *p;
		} else if (*p == '\\' && q != '\'' && p[1]) {
			*w++ = *++p;
		} else {
			*w++ = *p;
		}
	}
	if (in)
		*w++ = 0;
	av[nw] = NULL;
	if (q) {
		snprintf(err, errlen, "unterminated %c quote in %s", q, what);
		free(av);
		return -EINVAL;
	}
	if (!nw) {
		snprintf(err, errlen, "%s is empty", what);
		free(av);
		return -EINVAL;
	}
	*argv = av;
	return 0;
}

/* 0 if path is an executable regular file, else -ENOENT or -EACCES. */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return errno == EACCES ? -EACCES : -ENOENT;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

const char *spawn_resolve_why(const char *cmd, int ret)
{
	if (ret == -ENOENT && cmd && !strchr(cmd, '/'))
		return "command not found";
	return strerror(-ret);
}

int spawn_resolve(const char *cmd, char *out, size_t outlen)
{
	const char *path, *p;
	int ret = -ENOENT, r;

	if (!cmd || !*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		ret = check_exec(cmd);
		if (!ret && (size_t)snprintf(out, outlen, "%s", cmd) >= outlen)
			ret = -ENOENT;
		return ret;
	}
	path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int dirlen = (int)(colon - p);
		int len;

		/* An empty entry is the current directory. */
		if (dirlen)
			len = snprintf(out, outlen, "%.*s/%s", dirlen, p, cmd);
		else
			len = snprintf(out, outlen, "./%s", cmd);
		if (len >= 0 && (size_t)len < outlen) {
			r = check_exec(out);
			if (!r)
				return 0;
			/* Like execvp: report EACCES if any candidate was
			 * there but not executable. */
			if (r == -EACCES)
				ret = -EACCES;
		}
		p = colon;
		if (!*p)
			break;
	}
	if (outlen)
		out[0] = '\0';
	return ret;
}
