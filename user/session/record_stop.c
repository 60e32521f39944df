// SPDX-License-Identifier: MIT
/* record_stop.c - record's run, stop and drain sequence (record_stop.h). */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include "account.h"
#include "consume/decoder.h"
#include "consume/engine.h"
#include "attach/launch.h"
#include "record_stop.h"
#include "record_upload.h"
#include "sinks/top_ui.h"
#include "attach/tracer.h"

/* After tracer__stop: a program that passed the stop check may still be
 * running (a sleepable read can wait on a page fault), and its thread's
 * batch then waits for it, so drain (and send batches) until every record
 * the counters count has been delivered, for at most a second.
 * Returns a signal that arrived meanwhile (the caller aborts), or 0. */
static int drain_all(struct tracer *tr, struct engine *eng, struct decoder *dec)
{
	struct mp_counters c;
	struct account acct;
	int sig;

	for (int i = 0; i < 500; i++) {
		engine__drain(eng);
		if ((sig = engine__poll_signal(eng)))
			return sig;
		if (tracer__counters(tr, &c, NULL, NULL))
			return 0;
		account_compute(&acct, &c, decoder__stats(dec), NULL);
		bool balanced = acct.names_emitted == acct.names_delivered;

		for (int t = 0; t < ROW_TABLES; t++)
			balanced &= acct.t[t].delivered == acct.t[t].emitted;
		if (balanced)
			return 0;
		tracer__flush(tr);
		usleep(2000);
	}
	return 0;
}

/* Launch mode, after a request to stop: the command gets it (SIGTERM, or
 * the terminal's Ctrl-C already), and the recording goes on until it
 * exits. */
static int stop_command(const struct record_stop_opts *o, int *signo)
{
	unsigned keys = topui__quits(o->ui);
	char msg[160];
	int ret;

	launch__stop(o->child, *signo, keys > 0);
	if (o->ui) {
		snprintf(msg, sizeof(msg), "stopping PID %d (SIGTERM), recording "
			 "until it exits; q again: SIGKILL",
			 (int)launch__pid(o->child));
		topui__status(o->ui, msg);
		topui__rearm(o->ui);
	}
	ret = engine__run(o->eng, signo);
	if (ret == ENGINE_SIGNAL && topui__quits(o->ui) > keys) {
		/* q again: the command does not stop; its end is still
		 * recorded. */
		launch__kill(o->child);
		snprintf(msg, sizeof(msg), "stopping PID %d (SIGKILL)",
			 (int)launch__pid(o->child));
		topui__status(o->ui, msg);
		ret = engine__run(o->eng, signo);
	}
	return ret;
}

void record_run(const struct record_stop_opts *o, struct record_stop_result *r)
{
	int sig;

	r->signo = 0;
	r->event = engine__run(o->eng, &r->signo);
	if (r->event == ENGINE_SIGNAL && o->child && r->signo != SIGHUP)
		r->event = stop_command(o, &r->signo);
	/* Stop the probes first, so nothing new arrives; then drain what is
	 * left.  Detaching comes last: it takes a grace period per site. */
	tracer__stop(o->tr);
	r->stop_ns = record_now_ns();
	/* From here on a signal aborts: Ctrl-C twice never waits. */
	if ((sig = drain_all(o->tr, o->eng, o->dec))) {
		topui__free(o->ui);
		record_abort(o->dir, o->sp, o->lock, o->eng, sig);
	}
	/* It has exited, or is about to be reaped (its exit record can come
	 * before it is a zombie). */
	r->exit_status = launch__reap(o->child, r->event == ENGINE_TARGETS_EXITED ?
					     1000 : 0);
}

void record_view_start(const struct record_stop_opts *o)
{
	char msg[PATH_MAX + 160];

	/* What q does first: a long directory may be cut at 80 columns. */
	if (o->child)
		snprintf(msg, sizeof(msg), "q: stop PID %d (SIGTERM)  output: "
			 "%s/command.log", (int)o->target, o->dir);
	else
		snprintf(msg, sizeof(msg), "q: stop recording (%s keeps running)  "
			 "to %s", o->target > 0 && !o->many ? "the process" :
			 "every process", o->dir);
	topui__status(o->ui, msg);
}

static bool signalled(void *ctx)
{
	return engine__poll_signal(ctx) != 0;
}

void record_view_end(const struct record_stop_opts *o,
		     const struct record_stop_result *r)
{
	char msg[PATH_MAX + 160], how[64] = "exited";

	if (!o->ui)
		return;
	if (r->event == ENGINE_TARGETS_EXITED && !topui__quits(o->ui)) {
		if (o->child)
			launch_describe(r->exit_status, how, sizeof(how));
		if (o->many || o->target <= 0)
			snprintf(msg, sizeof(msg), "every process exited; the "
				 "recording is final. q: quit");
		else
			snprintf(msg, sizeof(msg), "PID %d %s; the recording is "
				 "final. q: quit", (int)o->target, how);
		topui__status(o->ui, msg);
		topui__wait_quit(o->ui, signalled, o->eng);
	}
	topui__free(o->ui);
}

bool record_detach(void)
{
	pid_t pid;

#if defined(__SANITIZE_ADDRESS__)
	return false;
#endif
	fflush(NULL);
	pid = fork();
	if (pid <= 0) {
		if (pid == 0)
			setsid();
		return false;
	}
	return true;
}
