// SPDX-License-Identifier: MIT
/* record_upload.c - the end of `record` with an upload spool: files queued
 * as they are finished, a bounded wait for uploads at the end, and the
 * abort on a second signal. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "consume/engine.h"
#include "common/log.h"
#include "record_upload.h"
#include "store/spool.h"

/* A signal while stopping: leave at once.  Every file on disk is valid
 * (each flush leaves it so); only rows since the last flush are lost.  The
 * probes are already off (tracer__stop); removing the uprobes costs a grace
 * period per site in the exit of the last process holding the links, so a
 * child in its own session holds them until we are gone. */
_Noreturn void record_abort(const char *dir, struct spool *sp, int lock,
			    const struct engine *eng, int sig)
{
	int p[2];

	spool__stop(sp);
	pr_err("aborted by SIG%s from PID %u while stopping: the files in %s "
	       "hold every row up to the last flush; run.json was not finished",
	       sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
	       engine__signal_pid(eng), dir);
	if (lock >= 0)
		close(lock);
	fflush(NULL);
	if (!pipe(p) && fork() == 0) {
		char c;

		setsid();
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	_exit(130);
}

uint64_t record_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void record_file_done(void *ctx, const char *path)
{
	int ret = spool__add(ctx, path);

	if (ret)
		pr_err("cannot queue %s for upload: %s", path, strerror(-ret));
}

int record_spool_tick(void *ctx, uint64_t now)
{
	spool__tick(ctx, now);
	return 0;
}

/* How long the end of a recording waits for uploads: after a signal, until
 * 1 s from the stop (the user is waiting); after the target's own exit,
 * up to 30 s while uploads succeed.  What is left stays in the spool for
 * `mlprobe upload`. */
#define UPLOAD_GRACE_SIGNAL_NS 1000000000ull
#define UPLOAD_WAIT_NS 30000000000ull

/* Lets uploads run until the spool is empty or the deadline.  A signal
 * ends the wait; one while stopping after a signal aborts. */
void record_upload_final(struct spool *sp, struct engine *eng, const char *dir,
			 int lock, bool by_signal, uint64_t stop_ns)
{
	uint64_t deadline = by_signal ? stop_ns + UPLOAD_GRACE_SIGNAL_NS
				      : record_now_ns() + UPLOAD_WAIT_NS;
	struct spool_stats st;
	uint64_t failures0;

	/* One attempt now, whatever the backoff says; a failure ends the
	 * wait (the files stay in the spool for `mlprobe upload`). */
	spool__stats(sp, &st);
	failures0 = st.failures;
	spool__retry_now(sp);

	for (;;) {
		uint64_t now = record_now_ns();
		int sig;

		spool__tick(sp, now);
		if (spool__idle(sp) || now >= deadline)
			break;
		if (spool__stats(sp, &st), st.failures > failures0)
			break;	/* the remote fails: do not keep the user */
		if ((sig = engine__poll_signal(eng))) {
			if (by_signal)
				record_abort(dir, sp, lock, eng, sig);
			break;
		}
		usleep(20000);
	}
	spool__stop(sp);
}

void record_print_upload(const struct spool *sp, const char *dir)
{
	struct spool_stats st;

	spool__stats(sp, &st);
	fprintf(stderr, "  upload: %llu files sent, %llu failed attempts, "
		"%llu waiting\n", (unsigned long long)st.sent,
		(unsigned long long)st.failures, (unsigned long long)st.pending);
	if (st.pending)
		fprintf(stderr, "mlprobe: %llu files wait in %s/.spool (last "
			"error: %s): 'mlprobe upload %s' resumes\n",
			(unsigned long long)st.pending, dir,
			*spool__last_error(sp) ? spool__last_error(sp) : "none",
			dir);
}

