// SPDX-License-Identifier: MIT
/*
 * cmd_top.c - `mlprobe top -p PID` or `top -- CMD`: attach to a running
 * trainer, or start one, and show its metrics and spans live, without
 * writing files.  The same live sinks
 * as `record` (sinks.h), so --alert, --on-alert and --prometheus work here
 * too; alerts show in the view instead of on stderr.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "attach/launch.h"
#include "attach/targets.h"
#include "attach/tracer.h"
#include "common/log.h"
#include "consume/engine.h"
#include "session/session.h"
#include "sinks/live.h"
#include "sinks/sinks.h"
#include "sinks/top_ui.h"

static const char doc[] =
	"Show the metrics and spans of a trainer live.\n"
	"\n"
	"With -p, attaches like `record -p` (all threads and libraries; the\n"
	"trainer is left running untouched when top quits).  With a command, top\n"
	"starts it with the probes attached and owns it: its output goes to a\n"
	"file (--cmd-log; its stdin is /dev/null), q stops it with SIGTERM (q\n"
	"again: SIGKILL) and top waits for it.  No recording is written.  Per\n"
	"metric: last value, min, max, step, updates per second and the recent\n"
	"values; per span: count, p50, p99 and its share of the wall time;\n"
	"events per second and drops.  When the target exits, its final state\n"
	"stays on screen until q.\n"
	"\n"
	"Exit status: 0 (with -- CMD: the command's own); 1 when it cannot\n"
	"attach; 2 for bad arguments.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe top -p 4242\n"
	"  mlprobe top -p 4242 --alert 'nan(loss)' --prometheus 127.0.0.1:9464\n"
	"  mlprobe top -- ./train --lr 3e-4\n";

enum { OPT_CMD_LOG = 0x100, OPT_NO_GC };

struct args {
	pid_t pid;
	char **cmd;
	int ncmd;
	const char *cmd_log;
	bool no_gc;
	struct livecfg live;
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "The process to watch", 0 },
	{ "cmd-log", OPT_CMD_LOG, "FILE", 0, "With -- CMD: its stdout and stderr "
		"go to FILE (default: a new $TMPDIR/mlprobe-top-*.log)", 0 },
	{ "no-gc", OPT_NO_GC, NULL, 0, "No python.gc.genN spans for CPython's "
		"garbage collections", 0 },
	{ "verbose", 'v', NULL, 0, "More messages at the end", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;

	switch (key) {
	case ARGP_KEY_INIT:
		st->child_inputs[0] = &a->live;
		break;
	case 'p':
		a->pid = targets_parse_pid(arg);
		if (!a->pid)
			argp_failure(st, 2, 0, "invalid PID '%s'", arg);
		break;
	case OPT_CMD_LOG:
		a->cmd_log = arg;
		break;
	case OPT_NO_GC:
		a->no_gc = true;
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARGS:
		a->cmd = st->argv + st->next;
		a->ncmd = st->argc - st->next;
		break;
	case ARGP_KEY_END:
		if (a->pid && a->ncmd)
			argp_failure(st, 2, 0, "give either -p PID or -- CMD [ARGS...]");
		if (!a->pid && !a->ncmd)
			argp_failure(st, 2, 0, "give the process to watch: -p PID, or "
				     "a command to start: -- CMD [ARGS...]");
		if (a->cmd_log && !a->ncmd)
			argp_failure(st, 2, 0, "--cmd-log goes with -- CMD");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &livecfg_argp, 0, "Alerts and Prometheus:", 0 },
	{},
};

static bool signalled(void *ctx)
{
	return engine__poll_signal(ctx) != 0;
}

/* The file for the command's output, checked before anything attaches
 * (the command opens it only when it is let go, too late for one clear
 * line): --cmd-log FILE, opened for writing (created if need be, not
 * truncated yet), or a new, empty $TMPDIR/mlprobe-top-XXXXXX.log.  0, or
 * -1 after one line.  *created: the file is new (removed if the command
 * never runs). */
static int check_cmd_log(const char *given, char *path, size_t len,
			 bool *created)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	*created = true;
	if (!given) {
		snprintf(path, len, "%s/mlprobe-top-XXXXXX.log",
			 dir && *dir ? dir : "/tmp");
		fd = mkostemps(path, 4, O_CLOEXEC);
		if (fd < 0) {
			pr_err("cannot create %s for the command's output: %s "
			       "(give --cmd-log FILE)", path, strerror(errno));
			return -1;
		}
		close(fd);
		return 0;
	}
	snprintf(path, len, "%s", given);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		*created = false;
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (fd < 0) {
		pr_err("--cmd-log: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Launch mode, after a request to stop (q, Ctrl-C, SIGTERM): top owns the
 * command, so it is stopped (SIGTERM; q or a signal again: SIGKILL) and
 * watched until it exits.  Returns the engine's last answer. */
static int stop_command(struct engine *eng, struct topui *ui, struct launch *l,
			int signo)
{
	char msg[160];
	int ret;

	launch__stop(l, signo, topui__quits(ui) > 0);
	snprintf(msg, sizeof(msg), "stopping PID %d (SIGTERM); q again: SIGKILL",
		 (int)launch__pid(l));
	topui__status(ui, msg);
	topui__rearm(ui);
	while ((ret = engine__run(eng, &signo)) == ENGINE_SIGNAL) {
		launch__kill(l);
		snprintf(msg, sizeof(msg), "stopping PID %d (SIGKILL)",
			 (int)launch__pid(l));
		topui__status(ui, msg);
		topui__rearm(ui);
	}
	return ret;
}

/* Until the target exits or top is told to stop; then the final state
 * stays up until q.  Returns the exit status so far; *status: a launched
 * command's wait status (-1: none). */
static int run(struct session *s, struct livesinks *ls, struct topui *ui,
	       int *status)
{
	struct engine *eng = session__engine(s);
	struct launch *child = session__child(s);
	pid_t target = session__target(s);
	char msg[160], how[64];
	bool stopped = false;
	int ret, signo = 0;

	ret = engine__run(eng, &signo);
	if (child && ret == ENGINE_SIGNAL) {
		ret = stop_command(eng, ui, child, signo);
		stopped = true;
	}
	tracer__stop(session__tracer(s));
	engine__drain(eng);
	*status = launch__reap(child, ret == ENGINE_TARGETS_EXITED ? 1000 : 0);
	if (ret == ENGINE_TARGETS_EXITED && !stopped) {
		if (child)
			launch_describe(*status, how, sizeof(how));
		snprintf(msg, sizeof(msg), "PID %d %s: this is its final state. "
			 "q: quit", (int)target, child ? how : "exited");
		topui__status(ui, msg);
		topui__wait_quit(ui, signalled, eng);
	}
	session__finish_sinks(s);
	topui__free(ui);
	if (ret < 0)
		pr_err("event loop failed: %s", strerror(-ret));
	pr_verbose("top: %llu alerts fired", livesinks__fired(ls));
	if (!child && ret != ENGINE_TARGETS_EXITED)
		fprintf(stderr, "mlprobe: detached from PID %d; it keeps running\n",
			(int)target);
	return ret < 0 ? 1 : 0;
}

/* The view over the session: its live sinks and the terminal. */
static int watch(struct session *s, struct livesinks *ls, const char *cmd,
		 const char *log_path, bool *let_go, int *status)
{
	struct launch *child;
	struct topui *ui;
	struct sink live[8];
	char title[128], msg[PATH_MAX + 160];
	int n, ret;

	*status = -1;
	if (session__attach(s, log_path))
		return 1;
	child = session__child(s);
	topui_title(title, sizeof(title), session__target(s), cmd);
	n = livesinks__sinks(ls, live, 8);
	for (int i = 0; i < n; i++)
		if (session__add_sink(s, live[i]))
			return 1;
	/* From here the terminal is the view's: errors print after it. */
	ui = topui__new(livesinks__live(ls), "top", title);
	if (!ui) {
		pr_err("cannot use this terminal: %s", strerror(errno));
		return 1;
	}
	if (session__add_sink(s, topui__sink(ui)) || session__start(s, 0)) {
		topui__free(ui);
		return 1;
	}
	*let_go = true;
	if ((ret = session__go(s))) {
		topui__free(ui);
		return ret;
	}
	if (child) {
		snprintf(msg, sizeof(msg), "q: stop it (SIGTERM)  output: %s",
			 log_path);
		topui__status(ui, msg);
	}
	return run(s, ls, ui, status);
}

int cmd_top(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "-p PID\n-- CMD [ARGS...]", doc, children,
			     0, 0 };
	struct args a = { 0 };
	struct session_opts so = { .sz = sizeof(so) };
	struct livesinks_opts lo = { .sz = sizeof(lo) };
	struct livesinks *ls = NULL;
	struct session *s = NULL;
	char host[256] = "", log_path[PATH_MAX] = "", how[64];
	bool log_new = false, let_go = false;
	int rc = 1, status = -1;

	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	engine_block_signals();
	if (geteuid() != 0) {
		pr_err("top needs root to load BPF programs and attach uprobes: "
		       "run it with sudo");
		goto out;
	}
	so.pid = a.pid;
	so.argv = a.cmd;
	so.argc = a.ncmd;
	so.no_gc = a.no_gc;
	if ((rc = session__new(&so, &s)))
		goto out;
	rc = 1;
	if (a.ncmd && check_cmd_log(a.cmd_log, log_path, sizeof(log_path),
				    &log_new))
		goto out;
	if (!isatty(0) || !isatty(1)) {
		/* At most 78 columns with a 7-digit PID (pid_max 4194304). */
		if (a.ncmd)
			pr_err("top needs a terminal; without one: `mlprobe "
			       "record -o DIR -- CMD`");
		else
			pr_err("top needs a terminal; without one: `mlprobe "
			       "record -p %d -o DIR`", a.pid);
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	lo.cfg = &a.live;
	lo.host = host;
	lo.want_live = true;
	lo.quiet_alerts = true;
	if (livesinks__new(&lo, &ls))
		goto out;
	rc = watch(s, ls, a.ncmd ? a.cmd[0] : NULL, a.ncmd ? log_path : NULL,
		   &let_go, &status);
	if (session__child(s) && status >= 0) {
		launch_describe(status, how, sizeof(how));
		fprintf(stderr, "mlprobe: %s (PID %d) %s\n  its output: %s\n",
			a.cmd[0], (int)session__target(s), how, log_path);
		if (!rc)
			rc = launch_exit_code(status);
	}
out:
	/* top owns the command: it never outlives top. */
	session__kill_child(s);
	/* Refused before the command ran: no empty log file left behind. */
	if (log_new && !let_go)
		unlink(log_path);
	session__free(s);
	livesinks__free(ls);
	livecfg_free(&a.live);
	return rc;
}
