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
#include "decoder.h"
#include "engine.h"
#include "follow.h"
#include "launch.h"
#include "live.h"
#include "log.h"
#include "procctx.h"
#include "sinks.h"
#include "targets.h"
#include "top_ui.h"
#include "tracer.h"

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

enum { OPT_CMD_LOG = 0x100 };

struct args {
	pid_t pid;
	char **cmd;
	int ncmd;
	const char *cmd_log;
	struct livecfg live;
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "The process to watch", 0 },
	{ "cmd-log", OPT_CMD_LOG, "FILE", 0, "With -- CMD: its stdout and stderr "
		"go to FILE (default: a new $TMPDIR/mlprobe-top-*.log)", 0 },
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

/* What top watches: checks before anything is attached.  -p: the process
 * and its probes; -- CMD: the command (path) and its probes (*py: a Python
 * interpreter, whose probes come with the module it imports).  0, or the
 * exit status after one line. */
static int check_target(const struct args *a, char *path, size_t len, bool *py)
{
	char err[512];
	int ret;

	if (a->ncmd) {
		if ((ret = launch_resolve(a->cmd[0], path, len)))
			return ret;
		if ((ret = targets_count_sites(path, a->cmd[0])) < 0)
			return 1;
		*py = !ret && targets_is_python(path);
		if (!ret && !*py) {
			pr_err("%s has no mlprobe probes (build it with #include "
			       "\"mlprobe.h\" and the MLPROBE_* macros)", path);
			return 1;
		}
		return 0;
	}
	if (targets_check_pid(a->pid))
		return 1;
	ret = targets_proc_sites(a->pid, err, sizeof(err));
	if (ret > 0)
		return 0;
	if (ret < 0 && kill(a->pid, 0) && errno == ESRCH)
		pr_err("PID %d exited while mlprobe was attaching", a->pid);
	else if (ret < 0)
		pr_err("cannot read the probes of PID %d: %s", a->pid, err);
	else
		pr_err("process %d has no mlprobe probes in its executable or "
		       "loaded libraries (build it with #include \"mlprobe.h\")",
		       a->pid);
	return 1;
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

int cmd_top(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "-p PID\n-- CMD [ARGS...]", doc, children,
			     0, 0 };
	struct args a = { 0 };
	struct tracer_opts to = { .sz = sizeof(to) };
	struct follow_opts fo = { .sz = sizeof(fo) };
	struct decoder_opts dopt = { .sz = sizeof(dopt) };
	struct engine_opts eo = { .sz = sizeof(eo) };
	struct livesinks_opts lo = { .sz = sizeof(lo) };
	struct tracer *tr = NULL;
	struct procctx *pc = NULL;
	struct follow *fl = NULL;
	struct livesinks *ls = NULL;
	struct decoder *dec = NULL;
	struct engine *eng = NULL;
	struct topui *ui = NULL;
	struct launch *child = NULL;
	struct sink sinks[8];
	struct mp_counters c;
	char err[512], host[256] = "", title[128], path[PATH_MAX] = "";
	char log_path[PATH_MAX] = "", msg[PATH_MAX + 160], how[64];
	int nsinks = 0, ret, rc = 1, signo = 0, status = -1;
	bool py = false, stopped = false, log_new = false, let_go = false;
	pid_t target;

	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	target = a.pid;
	if (geteuid() != 0) {
		pr_err("top needs root to load BPF programs and attach uprobes: "
		       "run it with sudo");
		goto out;
	}
	if ((rc = check_target(&a, path, sizeof(path), &py)))
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

	if ((ret = tracer__open(&to, &tr, err, sizeof(err)))) {
		pr_err("%s", err);
		goto out;
	}
	pc = procctx__new();
	fo.tr = tr;
	fo.pc = pc;
	fl = pc ? follow__new(&fo) : NULL;
	if (!fl) {
		pr_err("out of memory");
		goto out;
	}
	if (a.ncmd) {
		struct launch_opts lopt = { .sz = sizeof(lopt), .argv = a.cmd,
					    .path = path, .python = py,
					    .output = log_path };

		if ((ret = launch__new(&lopt, &child))) {
			pr_err("cannot start %s: %s", a.cmd[0], strerror(-ret));
			goto out;
		}
		target = launch__pid(child);
	}
	/* Launch: tracked before it execs, so its libraries come as records. */
	if ((ret = follow__add(fl, target)) ||
	    (ret = child ? follow__attach_file(fl, target, path, a.cmd[0], err,
					       sizeof(err))
			 : follow__scan(fl, target, err, sizeof(err))) < 0) {
		if (ret == -ESRCH)
			pr_err("PID %d exited while mlprobe was attaching", target);
		else
			pr_err("cannot attach to PID %d: %s", target,
			       ret < 0 && err[0] ? err : strerror(-ret));
		goto out;
	}

	topui_title(title, sizeof(title), target, a.ncmd ? a.cmd[0] : NULL);
	sinks[nsinks++] = follow__sink(fl);
	nsinks += livesinks__sinks(ls, tr, sinks + nsinks, 7 - nsinks);
	/* From here the terminal is the view's: errors print after it. */
	ui = topui__new(livesinks__live(ls), "top", title);
	if (!ui) {
		pr_err("cannot use this terminal: %s", strerror(errno));
		goto out;
	}
	sinks[nsinks++] = topui__sink(ui);
	dopt.boot_to_utc_ns = decoder_boot_to_utc_ns();
	follow__decoder_hooks(fl, &dopt);
	dec = decoder__new(&dopt, sinks, nsinks);
	eo.ring_map_fd = tracer__ring_map_fd(tr);
	eo.dec = dec;
	eo.sinks = sinks;
	eo.nsinks = nsinks;
	if (!dec || (ret = engine__new(&eo, &eng)) ||
	    (ret = engine__watch_pid(eng, target))) {
		pr_err("cannot start the event loop: %s", dec ? strerror(-ret) :
		       "out of memory");
		goto out;
	}
	if (child) {
		let_go = true;
		if (launch__go(child)) {
			if (!launch__running(child))
				rc = 127;
			goto out;
		}
		snprintf(msg, sizeof(msg), "q: stop it (SIGTERM)  output: %s", log_path);
		topui__status(ui, msg);
	}
	rc = 0;
	ret = engine__run(eng, &signo);
	if (child && ret == ENGINE_SIGNAL) {
		ret = stop_command(eng, ui, child, signo);
		stopped = true;
	}
	tracer__stop(tr);
	engine__drain(eng);
	status = launch__reap(child, ret == ENGINE_TARGETS_EXITED ? 1000 : 0);
	if (ret == ENGINE_TARGETS_EXITED && !stopped) {
		if (child)
			launch_describe(status, how, sizeof(how));
		snprintf(msg, sizeof(msg), "PID %d %s: this is its final state. "
			 "q: quit", (int)target, child ? how : "exited");
		topui__status(ui, msg);
		topui__wait_quit(ui, signalled, eng);
	} else if (ret < 0) {
		rc = 1;
	}
	for (int i = 0; i < nsinks; i++)
		if (sinks[i].finish)
			sinks[i].finish(sinks[i].ctx);
	topui__free(ui);
	ui = NULL;
	if (ret < 0)
		pr_err("event loop failed: %s", strerror(-ret));
	if (!tracer__counters(tr, &c, NULL, NULL))
		pr_verbose("top: %llu alerts fired", livesinks__fired(ls));
	if (child && status >= 0) {
		launch_describe(status, how, sizeof(how));
		fprintf(stderr, "mlprobe: %s (PID %d) %s\n  its output: %s\n",
			a.cmd[0], (int)target, how, log_path);
		if (!rc)
			rc = launch_exit_code(status);
	} else if (!child && ret != ENGINE_TARGETS_EXITED) {
		fprintf(stderr, "mlprobe: detached from PID %d; it keeps running\n",
			(int)target);
	}
out:
	topui__free(ui);
	if (launch__running(child)) {
		/* top owns the command: it never outlives top. */
		launch__kill(child);
		launch__reap(child, -1);
	}
	launch__free(child);
	/* Refused before the command ran: no empty log file left behind. */
	if (log_new && !let_go)
		unlink(log_path);
	engine__free(eng);
	decoder__free(dec);
	livesinks__free(ls);
	tracer__free(tr);
	follow__free(fl);
	procctx__free(pc);
	livecfg_free(&a.live);
	return rc;
}
