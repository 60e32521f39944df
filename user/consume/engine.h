/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the consumer's one loop.  epoll over the ring buffer, a timerfd
 * (drain and flush: the BPF side does not wake us per event), a signalfd and
 * the pidfds of the targets.  Every record goes to the decoder, which hands
 * rows to the sinks; every tick goes to the sinks so they flush when due.
 */
#ifndef MLPROBE_ENGINE_H
#define MLPROBE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "decoder.h"
#include "rows.h"

struct engine_opts {
	size_t sz;		/* sizeof(struct engine_opts) */
	int ring_map_fd;
	struct decoder *dec;	/* borrowed */
	const struct sink *sinks;	/* borrowed; tick/finish go here */
	int nsinks;
	unsigned tick_ms;	/* drain + tick period; 0: 100 ms */
	/* Reads the kernel's counters once per tick, for the sinks' counters
	 * hook; 0 or -errno (the hook is skipped).  NULL: no counters. */
	int (*read_counters)(void *ctx, struct row_counters *out);
	void *counters_ctx;
	/* Asked after every tick: true ends run() with ENGINE_TARGETS_EXITED
	 * (the set of traced processes is empty).  NULL: pidfds only. */
	bool (*done)(void *ctx);
	void *done_ctx;
};

enum engine_event {
	ENGINE_SIGNAL,		/* *signo says which */
	ENGINE_TARGETS_EXITED,	/* every watched pidfd reported exit, or
				 * opts.done said so */
};

struct engine;

/* Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD now, before there is an
 * engine: a request to stop that comes while a command attaches (which can
 * take seconds) then waits for the engine instead of killing mlprobe
 * midway.  0 or -errno. */
int engine_block_signals(void);
/* Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD (they arrive via signalfd) and
 * sets up the loop.  -errno on failure. */
int engine__new(const struct engine_opts *opts, struct engine **out);
/* Watches a process; when all watched processes have exited, run returns
 * ENGINE_TARGETS_EXITED.  -errno (e.g. -ESRCH) on failure. */
int engine__watch_pid(struct engine *e, pid_t pid);
/* Runs until a signal or until the targets exit.  Returns an engine_event or
 * -errno; for ENGINE_SIGNAL, *signo says which.
 *
 * The first SIGINT, SIGTERM or SIGHUP is a request to stop.  Copies of that
 * same signal that arrive within 250 ms of it are the same request and are
 * dropped (run waits for them that long before it returns): coreutils
 * timeout signals the command and then its process group, and a
 * terminal's Ctrl-C under timeout reaches us from the tty and again from
 * timeout.  A copy after that, another signal, or one this process sent
 * itself (top's q) is a new one: a real second Ctrl-C still aborts. */
int engine__run(struct engine *e, int *signo);
/* Consumes everything in the ring now.  Returns records consumed or -errno. */
int engine__drain(struct engine *e);
/* A signal that arrived since run returned (SIGINT, SIGTERM or SIGHUP;
 * SIGCHLD and copies of the request are skipped, as in run), or 0.  Never
 * blocks: for checking while finishing. */
int engine__poll_signal(struct engine *e);
/* The PID that sent the last signal run or poll_signal returned. */
unsigned engine__signal_pid(const struct engine *e);
/* Total records consumed. */
uint64_t engine__records(const struct engine *e);
void engine__free(struct engine *e);

#endif
