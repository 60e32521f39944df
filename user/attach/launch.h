/* SPDX-License-Identifier: MIT */
/*
 * launch.h - a command that mlprobe starts and owns (`record -- CMD`,
 * `top -- CMD`): found on PATH, forked and held before exec until the
 * probes are attached, then let go; stopped and reaped at the end.
 *
 * The command stays in mlprobe's process group, so Ctrl-C at the terminal
 * reaches both, as with time(1) and strace.
 */
#ifndef MLPROBE_LAUNCH_H
#define MLPROBE_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct launch_opts {
	size_t sz;		/* sizeof(struct launch_opts) */
	char **argv;		/* NULL-terminated; borrowed until free */
	/* The file to exec, as launch_resolve found it (the one whose probes
	 * are attached); NULL: argv[0], looked up on PATH by launch__new. */
	const char *path;
	/* A Python command learns its own PID in MLPROBE_ATTACH_WAIT: the
	 * mlprobe module then waits, when imported, until its probes are
	 * attached. */
	bool python;
	/* NULL: the command inherits stdin, stdout and stderr.  Else its
	 * stdout and stderr go to this file (created or truncated when the
	 * command is let go, so after the output directory was cleared) and
	 * its stdin is /dev/null: a live view owns the terminal. */
	const char *output;
};

struct launch;

/* Finds cmd on PATH (or as a path) and puts its path in path.  0, or the
 * exit status to give after one line: 127 not found, 126 not runnable. */
int launch_resolve(const char *cmd, char *path, size_t len);

/* Forks the command; it waits before exec until launch__go.  Its path
 * and environment are ready before the fork: the child makes only
 * async-signal-safe calls (mlprobe may have other threads).  -errno
 * (-ENOENT: not found on PATH). */
int launch__new(const struct launch_opts *o, struct launch **out);
pid_t launch__pid(const struct launch *l);
/* Lets the command exec.  0, or -errno after one line that says why it
 * did not run (the command is reaped then). */
int launch__go(struct launch *l);
/* Passes a request to stop on to the command: SIGTERM, unless signo is
 * SIGINT from the terminal, which reached the command's process group
 * already (it would interrupt the command twice, say in the middle of
 * saving a checkpoint).  by_key: the request came from a key in a live
 * view, not the terminal: SIGTERM always. */
void launch__stop(struct launch *l, int signo, bool by_key);
/* SIGKILL, for a command that does not stop. */
void launch__kill(struct launch *l);
/* Reaps the command if it has exited, waiting up to wait_ms for it (its
 * exit can be seen before it is a zombie; < 0: as long as it takes).  Its
 * wait status (also once reaped), or -1 while it runs. */
int launch__reap(struct launch *l, int wait_ms);
/* True while the command was started and has not been reaped. */
bool launch__running(const struct launch *l);
/* Frees; a command still running is left alone (the caller kills and
 * reaps it first when it must not outlive mlprobe).  NULL is fine. */
void launch__free(struct launch *l);

/* mlprobe's exit status from the command's wait status, like time(1): its
 * exit code, or 128+N for a signal other than SIGINT and SIGTERM (which
 * stop it on request); 0 for those. */
int launch_exit_code(int status);
/* "exited with status 3", "was killed by SIGKILL", into buf. */
void launch_describe(int status, char *buf, size_t len);

#endif
