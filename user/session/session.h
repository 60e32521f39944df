/* SPDX-License-Identifier: MIT */
/*
 * session.h - the pipeline that `record` and `top` both run, wired once:
 *
 *   what to attach to (checked before anything is touched)
 *     -> tracer + followed processes (+ a launched command, held before exec)
 *     -> the sinks' fan-out -> decoder -> engine (ring, tick, signals, pidfds)
 *
 * A command parses its options, builds its own sinks (Parquet, live,
 * alerts, the view...), adds them here, and decides how the run stops and
 * what is printed at the end.  The order of the calls is the order of the
 * steps: new (checks), attach, add_sink..., start, go, then the engine runs.
 * Every step prints one line on failure and returns what the command
 * should exit with, or -errno.
 */
#ifndef MLPROBE_SESSION_H
#define MLPROBE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "consume/rows.h"

struct decoder;
struct engine;
struct follow;
struct launch;
struct tracer;

struct session_opts {
	size_t sz;		/* sizeof(struct session_opts) */
	pid_t pid;		/* -p PID */
	char **argv;		/* -- CMD [ARGS...], NULL-ended; borrowed */
	int argc;
	const char *all;	/* --all PATH: every process of the binary */
	const char *funcs;	/* --func SYM,LIB:SYM,... */
	bool children;		/* --children: the forks of the target too */
	bool func_hint;		/* "no probes" suggests --func */
	uint64_t ring_bytes;	/* 0: the tracer's default */
	bool bare;		/* benchmark floor: empty metric programs */
	bool batch;		/* the trainer batches (tracer_opts.batch) */
	bool no_gc;		/* no spans for CPython's garbage collections */
};

struct session;

/* Checks what to attach to, touching nothing: the process (-p), the
 * command (found on PATH), --all's binary and its running processes, the
 * probes of each, the --func symbols.  0, or the exit status to give after
 * one line (1; 127 or 126 for a command not found or not runnable). */
int session__new(const struct session_opts *o, struct session **out);
/* Loads the BPF programs and attaches: the tracer, the processes it
 * follows, a launched command (held before exec; its stdout and stderr go
 * to cmd_output, or are ours when NULL), --all's binary, --func.  0 or
 * -errno after one line. */
int session__attach(struct session *s, const char *cmd_output);
/* Adds a sink to the fan-out, after those added before (the follow sink,
 * which tracks forks, execs and libraries, comes first).  The sink's ctx
 * must outlive the session.  0 or -ENOMEM. */
int session__add_sink(struct session *s, struct sink k);
/* The decoder and the engine, which ticks every tick_ms (0: 100 ms) and
 * gives the sinks the kernel's counters on each tick.  The engine returns
 * ENGINE_TARGETS_EXITED when the target exits (with --children: when the
 * last followed process has).  0 or -errno after one line. */
int session__start(struct session *s, unsigned tick_ms);
/* Lets a launched command exec (no-op without one).  0, or the exit status
 * after one line: 127 when it never ran, else 1. */
int session__go(struct session *s);
/* Calls every sink's finish, in the order added, once; a failure is one
 * line naming the sink.  0, or the first error. */
int session__finish_sinks(struct session *s);
/* Kills and reaps a launched command that still runs: a run that failed
 * must not leave it waiting on us (and top never lets it outlive top). */
void session__kill_child(struct session *s);
/* Frees everything; a launched command that still runs is left alone (it
 * outlived a second Ctrl-C).  NULL is fine. */
void session__free(struct session *s);

/* The target: the launched command or -p PID; -1 for --all alone. */
pid_t session__target(const struct session *s);
/* The file whose probes are attached (the command, the binary of --all,
 * /proc/PID/exe). */
const char *session__path(const struct session *s);
/* A Python command without probes of its own: they come with the module
 * it imports (and nothing is recorded if it never does). */
bool session__python(const struct session *s);
/* The process whose environment names the run (MLPROBE_RUN_ID...): the
 * target, a running process of --all, or this one. */
pid_t session__run_pid(const struct session *s);
int session__nfuncs(const struct session *s);
/* "SPEC=PATH+0xOFF" of --func function i, for run.json (malloc'd), or
 * NULL. */
char *session__func_desc(const struct session *s, int i);

struct tracer *session__tracer(struct session *s);
struct follow *session__follow(struct session *s);
struct launch *session__child(struct session *s);
struct decoder *session__decoder(struct session *s);
struct engine *session__engine(struct session *s);

#endif
