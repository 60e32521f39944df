/* SPDX-License-Identifier: MIT */
/*
 * record_stop.h - how `record` runs and ends: the engine runs until the
 * targets exit or a request to stop comes (Ctrl-C, SIGTERM, q in the live
 * view); in launch mode the request is passed on to the command and the
 * recording goes on until it exits; then the probes stop and every record
 * they counted is drained.  Also the detach in the background at the very
 * end.
 */
#ifndef MLPROBE_RECORD_STOP_H
#define MLPROBE_RECORD_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct decoder;
struct engine;
struct launch;
struct spool;
struct topui;
struct tracer;

struct record_stop_opts {
	size_t sz;			/* sizeof(struct record_stop_opts) */
	struct engine *eng;
	struct tracer *tr;
	struct decoder *dec;
	struct launch *child;		/* launch mode, else NULL */
	struct topui *ui;		/* --live, else NULL */
	pid_t target;			/* what the view names: the command,
					 * -p PID, or <= 0 (--all) */
	bool many;			/* --children or --all: the recording
					 * ends when every process exited */
	/* For an abort (a signal while draining): record_abort's arguments. */
	const char *dir;
	struct spool *sp;
	int lock;
};

struct record_stop_result {
	int event;		/* the engine's last answer (engine.h) or -errno */
	int signo;		/* the last signal, 0 if none */
	uint64_t stop_ns;	/* when the probes stopped (CLOCK_MONOTONIC) */
	int exit_status;	/* launch: the command's wait status, -1 while
				 * it runs */
};

/*
 * Records until the end, then stops the probes and drains.  In launch mode
 * a request to stop goes on to the command (launch__stop) and recording
 * goes on until it exits.  From a key in the view, q again sends SIGKILL;
 * any other second signal stops at once and leaves the command running.
 * A signal while draining aborts (record_abort: exit 130), the view ended
 * first.
 */
void record_run(const struct record_stop_opts *o, struct record_stop_result *r);

/* --live: what q does and where the recording goes, in the view's status
 * line. */
void record_view_start(const struct record_stop_opts *o);
/* --live, once the files are final: when the targets exited, the view says
 * so and keeps the final state until q (or a signal); then it ends, and
 * what stderr got meanwhile prints.  No-op without a view. */
void record_view_end(const struct record_stop_opts *o,
		     const struct record_stop_result *r);

/*
 * Forks so that the parent can exit now while a child in its own session
 * detaches the probes (a grace period per probe site) and frees.  Returns
 * true in the parent (which must _exit), false in the child, when fork
 * fails, and in sanitizer builds (which free everything in the process the
 * tests wait for).  Live sinks must be freed before: threads do not
 * survive fork.
 */
bool record_detach(void);

#endif
