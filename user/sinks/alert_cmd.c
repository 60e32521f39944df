// SPDX-License-Identifier: MIT
/* alert_cmd.c - the --on-alert command (alert_cmd.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "alert_cmd.h"
#include "common/log.h"
#include "common/spawn.h"

extern char **environ;

#define CMD_MAX_RUNNING 4
#define VARS_BYTES 8192

struct alert_cmd {
	struct alert_cmd_opts o;
	pid_t running[CMD_MAX_RUNNING];
	uint64_t *last;		/* per rule: monotonic ns of the last start */
	bool *ever;		/* per rule: started once */
	struct alerts_stats *st;
};

struct alert_cmd *alert_cmd__new(const struct alert_cmd_opts *o,
				 struct alerts_stats *st)
{
	struct alert_cmd *c = calloc(1, sizeof(*c));
	int n = o->nrules ? o->nrules : 1;

	if (!c)
		return NULL;
	memcpy(&c->o, o, o->sz < sizeof(c->o) ? o->sz : sizeof(c->o));
	c->last = calloc(n, sizeof(*c->last));
	c->ever = calloc(n, sizeof(*c->ever));
	c->st = st;
	if (!c->last || !c->ever) {
		alert_cmd__free(c);
		return NULL;
	}
	return c;
}

void alert_cmd__reap(struct alert_cmd *c)
{
	for (int i = 0; i < CMD_MAX_RUNNING; i++) {
		int status;

		if (c->running[i] <= 0 ||
		    waitpid(c->running[i], &status, WNOHANG) != c->running[i])
			continue;
		c->running[i] = 0;
		if (WIFEXITED(status) && !WEXITSTATUS(status))
			continue;
		if (!c->st->cmd_failed++)
			pr_err("--on-alert %s: %s %d (reported once)",
			       c->o.argv[0],
			       WIFEXITED(status) ? "exit status" : "killed by signal",
			       WIFEXITED(status) ? WEXITSTATUS(status)
						 : WTERMSIG(status));
	}
}

/* Appends one NAME=value string to vars (a NUL-separated block of size
 * VARS_BYTES) and points env[*k] at it; too long: cut. */
static void add_var(char *vars, size_t *off, char **env, size_t *k,
		    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= VARS_BYTES - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(vars + *off, VARS_BYTES - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	env[(*k)++] = vars + *off;
	*off += (size_t)n + 1 < VARS_BYTES - *off ? (size_t)n + 1 : VARS_BYTES - *off;
}

/* The MLPROBE_ALERT_* variables of f into vars; env[] points at each.
 * Returns how many. */
static size_t alert_vars(const struct alert_cmd *c, const struct alert_fire *f,
			 char *vars, char **env)
{
	size_t k = 0, off = 0;

	add_var(vars, &off, env, &k, "MLPROBE_ALERT_RULE=%s", f->rule->text);
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_KIND=%s",
		rule_kind_name(f->rule->kind));
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_NAME=%.*s", (int)f->name_len,
		f->name ? f->name : "");
	if (f->has_step)
		add_var(vars, &off, env, &k, "MLPROBE_ALERT_STEP=%lld",
			(long long)f->step);
	else
		add_var(vars, &off, env, &k, "MLPROBE_ALERT_STEP=");
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_VALUE=%.17g", f->value);
	if (f->pid >= 0)
		add_var(vars, &off, env, &k, "MLPROBE_ALERT_PID=%d", (int)f->pid);
	else
		add_var(vars, &off, env, &k, "MLPROBE_ALERT_PID=");
	/* A process without a rank is rank -1, as in Prometheus's labels and
	 * --partition's rank=-1; a rule about no process (stall, drops) has
	 * neither pid nor rank. */
	if (f->pid >= 0)
		add_var(vars, &off, env, &k, "MLPROBE_ALERT_RANK=%d",
			f->rank >= 0 ? (int)f->rank : -1);
	else
		add_var(vars, &off, env, &k, "MLPROBE_ALERT_RANK=");
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_HOST=%s", c->o.host);
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_RUN=%s", c->o.run);
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_TIME_NS=%lld", (long long)f->ts);
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_MESSAGE=%s", f->msg);
	add_var(vars, &off, env, &k, "MLPROBE_ALERT_DIR=%s", c->o.dir);
	return k;
}

void alert_cmd__run(struct alert_cmd *c, const struct alert_fire *f,
		    uint64_t now)
{
	char vars[VARS_BYTES], *mine[16], **envp;
	size_t n = 0, k;
	int slot = -1, r = f->rule_idx;
	pid_t pid;

	alert_cmd__reap(c);
	for (int i = 0; i < CMD_MAX_RUNNING; i++)
		if (c->running[i] <= 0)
			slot = i;
	if (slot < 0 || (c->ever[r] && now - c->last[r] < c->o.interval_ns)) {
		c->st->cmd_skipped++;
		return;
	}
	/* Everything the child needs is built here: between fork and exec
	 * it only calls async-signal-safe functions. */
	k = alert_vars(c, f, vars, mine);
	while (environ && environ[n])
		n++;
	envp = calloc(n + k + 1, sizeof(*envp));
	if (!envp) {
		c->st->cmd_skipped++;
		return;
	}
	n = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "MLPROBE_ALERT_", 14))
			envp[n++] = *e;
	for (size_t i = 0; i < k; i++)
		envp[n++] = mine[i];
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Its own process group: the terminal's Ctrl-C is for the
		 * trainer and for us, not for a hook halfway through. */
		spawn_child_reset();
		execve(c->o.path, c->o.argv, envp);
		_exit(127);
	}
	free(envp);
	if (pid < 0) {
		c->st->cmd_skipped++;
		return;
	}
	c->running[slot] = pid;
	c->st->cmd_started++;
	c->last[r] = now;
	c->ever[r] = true;
}

void alert_cmd__free(struct alert_cmd *c)
{
	if (!c)
		return;
	free(c->last);
	free(c->ever);
	free(c);
}

int alert_cmd_resolve(const char *line, char ***argv, char **path, char *err,
		      size_t errlen)
{
	char buf[PATH_MAX];
	int ret;

	*path = NULL;
	if ((ret = spawn_split(line, "the --on-alert command", argv, err, errlen)))
		return ret;
	ret = spawn_resolve((*argv)[0], buf, sizeof(buf));
	if (!ret && !(*path = strdup(buf)))
		ret = -ENOMEM;
	if (ret) {
		snprintf(err, errlen, "--on-alert: %s: %s", (*argv)[0],
			 spawn_resolve_why((*argv)[0], ret));
		free(*argv);
		*argv = NULL;
	}
	return ret;
}
