// SPDX-License-Identifier: MIT
/* launch.c - start, hold, let go, stop and reap a command (launch.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "launch.h"
#include "common/log.h"
#include "common/spawn.h"

/* What the child reports over the error pipe when it cannot exec. */
struct launch_fail {
	int stage;		/* FAIL_OUTPUT or FAIL_EXEC */
	int err;
};
enum { FAIL_OUTPUT = 1, FAIL_EXEC };

struct launch {
	struct launch_opts o;
	char path[PATH_MAX];	/* what the child execs */
	char **envp;		/* its environment, built before the fork */
	char *wait_var;		/* MLPROBE_ATTACH_WAIT=, PID to fill in */
	pid_t pid;
	int go, err;		/* pipe ends: release, exec failure */
	int status;		/* once reaped; -1 before */
};

int launch_resolve(const char *cmd, char *path, size_t len)
{
	int ret = spawn_resolve(cmd, path, len);

	if (!ret)
		return 0;
	pr_err("%s: %s", cmd, spawn_resolve_why(cmd, ret));
	return ret == -ENOENT ? 127 : 126;
}

/* In the child: stdout and stderr to the output file, stdin from
 * /dev/null.  0 or -errno. */
static int redirect(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	int nul = open("/dev/null", O_RDONLY);

	if (fd < 0 || nul < 0)
		return -errno;
	if (dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return -errno;
	close(fd);
	close(nul);
	return 0;
}

#define WAIT_VAR "MLPROBE_ATTACH_WAIT="
#define WAIT_DIGITS 12		/* room for a PID, 0-ended */

/* mlprobe's environment for the command, plus MLPROBE_ATTACH_WAIT in
 * Python mode (its value, the child's PID, is written in the child). */
static int build_env(struct launch *l)
{
	size_t n = 0, k = 0;

	while (environ && environ[n])
		n++;
	l->envp = calloc(n + 2, sizeof(*l->envp));
	if (!l->envp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!l->o.python || strncmp(environ[i], WAIT_VAR, strlen(WAIT_VAR)))
			l->envp[k++] = environ[i];
	if (l->o.python) {
		l->wait_var = calloc(1, strlen(WAIT_VAR) + WAIT_DIGITS);
		if (!l->wait_var)
			return -ENOMEM;
		l->envp[k++] = strcpy(l->wait_var, WAIT_VAR);
	}
	return 0;
}

/* In the child: v in decimal at buf (async-signal-safe, unlike snprintf). */
static void put_uint(char *buf, unsigned long v)
{
	char tmp[WAIT_DIGITS];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < WAIT_DIGITS - 1);
	while (n)
		*buf++ = tmp[--n];
	*buf = 0;
}

/* Between fork and exec, while another thread of mlprobe (libmicrohttpd's)
 * may hold a lock: async-signal-safe calls only.  No allocation, no stdio,
 * no PATH search; launch__new prepared the path and the environment. */
static _Noreturn void child(struct launch *l, int go, int err)
{
	struct launch_fail f = { 0 };
	sigset_t none;
	char b;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);	/* mlprobe ignores it; the command must not */
	if (read(go, &b, 1) != 1)
		_exit(127);	/* mlprobe gave up before attaching */
	if (l->o.output && (f.err = -redirect(l->o.output))) {
		f.stage = FAIL_OUTPUT;
	} else {
		if (l->wait_var)
			put_uint(l->wait_var + strlen(WAIT_VAR),
				 (unsigned long)getpid());
		execve(l->path, l->o.argv, l->envp);
		f.stage = FAIL_EXEC;
		f.err = errno;
	}
	if (write(err, &f, sizeof(f)) < 0)
		_exit(127);
	_exit(127);
}

int launch__new(const struct launch_opts *o, struct launch **out)
{
	struct launch *l = calloc(1, sizeof(*l));
	int go[2] = { -1, -1 }, err[2] = { -1, -1 }, ret;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->o = *o;
	l->status = -1;
	l->go = l->err = -1;
	/* The PATH search, like posix_spawnp's, happens here: execvp in the
	 * child may allocate. */
	if (o->path)
		ret = snprintf(l->path, sizeof(l->path), "%s", o->path) >=
		      (int)sizeof(l->path) ? -ENAMETOOLONG : 0;
	else
		ret = spawn_resolve(o->argv[0], l->path, sizeof(l->path));
	if (ret || (ret = build_env(l)))
		goto fail_ret;
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		goto fail;
	l->pid = fork();
	if (l->pid < 0)
		goto fail;
	if (l->pid == 0) {
		close(go[1]);
		close(err[0]);
		child(l, go[0], err[1]);
	}
	close(go[0]);
	close(err[1]);
	l->go = go[1];
	l->err = err[0];
	*out = l;
	return 0;
fail:
	ret = -errno;
fail_ret:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	launch__free(l);
	return ret;
}

pid_t launch__pid(const struct launch *l)
{
	return l ? l->pid : -1;
}

int launch__go(struct launch *l)
{
	struct launch_fail f;
	ssize_t n;

	if (write(l->go, "g", 1) != 1) {
		int e = errno;

		pr_err("cannot start %s: %s", l->o.argv[0], strerror(e));
		return -e;
	}
	close(l->go);
	l->go = -1;
	/* The pipe closes on exec: EOF is success. */
	while ((n = read(l->err, &f, sizeof(f))) < 0 && errno == EINTR)
		;
	if (n != sizeof(f))
		return 0;
	if (f.stage == FAIL_OUTPUT)
		pr_err("cannot write the output of %s to %s: %s", l->o.argv[0],
		       l->o.output, strerror(f.err));
	else
		pr_err("cannot run %s: %s", l->o.argv[0], strerror(f.err));
	launch__reap(l, -1);
	return -f.err;
}

void launch__stop(struct launch *l, int signo, bool by_key)
{
	if (launch__running(l) && (by_key || signo != SIGINT))
		kill(l->pid, SIGTERM);
}

void launch__kill(struct launch *l)
{
	if (launch__running(l))
		kill(l->pid, SIGKILL);
}

int launch__reap(struct launch *l, int wait_ms)
{
	int st;

	if (!l || l->pid <= 0 || l->status >= 0)
		return l ? l->status : -1;
	if (wait_ms < 0) {
		while (waitpid(l->pid, &st, 0) < 0 && errno == EINTR)
			;
		l->status = st;
		return st;
	}
	for (int i = 0; i <= wait_ms / 10; i++) {
		if (waitpid(l->pid, &st, WNOHANG) > 0) {
			l->status = st;
			break;
		}
		if (i < wait_ms / 10)
			usleep(10000);
	}
	return l->status;
}

bool launch__running(const struct launch *l)
{
	return l && l->pid > 0 && l->status < 0;
}

void launch__free(struct launch *l)
{
	if (!l)
		return;
	if (l->go >= 0)
		close(l->go);
	if (l->err >= 0)
		close(l->err);
	free(l->envp);
	free(l->wait_var);
	free(l);
}

int launch_exit_code(int status)
{
	if (status < 0)
		return 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGINT &&
	    WTERMSIG(status) != SIGTERM)
		return 128 + WTERMSIG(status);
	return 0;
}

void launch_describe(int status, char *buf, size_t len)
{
	if (status >= 0 && WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (status >= 0 && WIFSIGNALED(status))
		snprintf(buf, len, "was killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, len, "exited");
}
