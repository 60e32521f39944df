// SPDX-License-Identifier: MIT
/*
 * cmd_top.c - `mlprobe top -p PID`: attach to a running trainer and show
 * its metrics and spans live, without writing files.  The same live sinks
 * as `record` (sinks.h), so --alert, --on-alert and --prometheus work here
 * too; alerts show in the view instead of on stderr.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
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
#include "live.h"
#include "log.h"
#include "procctx.h"
#include "sinks.h"
#include "targets.h"
#include "top_ui.h"
#include "tracer.h"

static const char doc[] =
	"Show the metrics and spans of a running trainer live.\n"
	"\n"
	"USAGE: mlprobe top -p PID [OPTIONS]\n"
	"\n"
	"Attaches like `record -p` (all threads and libraries; the trainer is\n"
	"left running untouched when top quits) and writes no file.  Per metric:\n"
	"last value, min, max, step, updates per second and the recent values;\n"
	"per span: count, p50, p99 and its share of the wall time; events per\n"
	"second and drops.  q quits.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe top -p 4242\n"
	"  mlprobe top -p 4242 --alert 'nan(loss)' --prometheus 127.0.0.1:9464\n";

struct args {
	pid_t pid;
	struct livecfg live;
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "The process to watch", 0 },
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
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		argp_failure(st, 2, 0, "unexpected argument '%s' (top watches a "
			     "running process: -p PID)", arg);
		break;
	case ARGP_KEY_END:
		if (!a->pid)
			argp_failure(st, 2, 0, "give the process to watch: -p PID");
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

int cmd_top(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, NULL, doc, children, 0, 0 };
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
	struct sink sinks[8];
	struct mp_counters c;
	char err[512], host[256] = "", title[128], comm[64] = "", path[64];
	int nsinks = 0, ret, rc = 1, signo = 0;
	FILE *f;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0) {
		pr_err("top needs root to load BPF programs and attach uprobes: "
		       "run it with sudo");
		goto out;
	}
	if (targets_check_pid(a.pid))
		goto out;
	ret = targets_proc_sites(a.pid, err, sizeof(err));
	if (ret <= 0) {
		if (ret < 0 && kill(a.pid, 0) && errno == ESRCH)
			pr_err("PID %d exited while mlprobe was attaching", a.pid);
		else if (ret < 0)
			pr_err("cannot read the probes of PID %d: %s", a.pid, err);
		else
			pr_err("process %d has no mlprobe probes in its executable or "
			       "loaded libraries (build it with #include "
			       "\"mlprobe.h\")", a.pid);
		goto out;
	}
	if (!isatty(0) || !isatty(1)) {
		pr_err("top needs a terminal; to record without one, use "
		       "`mlprobe record -p %d -o DIR` (or --prometheus)", a.pid);
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
	if ((ret = follow__add(fl, a.pid)) ||
	    (ret = follow__scan(fl, a.pid, err, sizeof(err))) < 0) {
		if (ret == -ESRCH)
			pr_err("PID %d exited while mlprobe was attaching", a.pid);
		else
			pr_err("cannot attach to PID %d: %s", a.pid,
			       ret < 0 && err[0] ? err : strerror(-ret));
		goto out;
	}

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)a.pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(title, sizeof(title), "PID %d (%.30s)", (int)a.pid, comm);
	sinks[nsinks++] = follow__sink(fl);
	nsinks += livesinks__sinks(ls, tr, sinks + nsinks, 7 - nsinks);
	/* From here the terminal is the view's: errors print after it. */
	ui = topui__new(livesinks__live(ls), title);
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
	    (ret = engine__watch_pid(eng, a.pid))) {
		topui__free(ui);
		ui = NULL;
		pr_err("cannot start the event loop: %s", dec ? strerror(-ret) :
		       "out of memory");
		goto out;
	}
	rc = 0;
	ret = engine__run(eng, &signo);
	tracer__stop(tr);
	engine__drain(eng);
	if (ret == ENGINE_TARGETS_EXITED) {
		char msg[160];

		snprintf(msg, sizeof(msg), "PID %d exited: this is its final state. "
			 "q: quit", (int)a.pid);
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
	if (ret != ENGINE_TARGETS_EXITED)
		fprintf(stderr, "mlprobe: detached from PID %d; it keeps running\n",
			(int)a.pid);
out:
	topui__free(ui);
	engine__free(eng);
	decoder__free(dec);
	livesinks__free(ls);
	tracer__free(tr);
	follow__free(fl);
	procctx__free(pc);
	livecfg_free(&a.live);
	return rc;
}
