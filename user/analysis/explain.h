/* SPDX-License-Identifier: MIT */
/*
 * explain - why was a step slow: each thread's steps (its mlprobe.step
 * spans) split by cause, and the slowest of them measured against the
 * median step of the same thread.  Used by `mlprobe explain` and by the
 * report's step chart.
 *
 * A step's time is cut into five parts that add up to its duration:
 *   cpu   on CPU                      runq  runnable, waiting for a CPU
 *   io    blocked in I/O wait         wait  blocked otherwise (a lock, a
 *                                            queue, a sleep, a poll)
 *   gc    in the python.gc.* spans nested in the step (taken out of the
 *         other four, whose time they hold)
 * and the page faults it took.  The cause of a slow step is the part with
 * the largest excess over the median of that part across the thread's
 * steps.  When the step also took far more page faults than the median (at
 * least EXPLAIN_FAULTS_MIN more, and EXPLAIN_FAULTS_X times as many), the
 * excess on CPU (or in I/O, when most are major faults) is "fault"'s: the
 * time went to faulting memory in.  Other parts whose excess is at least a
 * tenth of the cause's are named after it.
 * The span named for a cause is the deepest span of the step's thread,
 * inside the step, whose excess of that part (over the median of the same
 * span name per step) holds more than half of the step's excess.
 *
 * With several ranks (a --partition recording, or rank columns), steps are
 * compared by number across ranks: a step is as slow as its slowest rank
 * (the straggler, whose step span is the longest), and that rank's cause
 * is given.
 */
#ifndef MLPROBE_EXPLAIN_H
#define MLPROBE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "runload.h"

/* The name of the step spans (wire.h: mp_own_span) and the prefix of
 * CPython's collections. */
#define EXPLAIN_STEP_SPAN "mlprobe.step"
#define EXPLAIN_GC_PREFIX "python.gc."
#define EXPLAIN_FAULTS_MIN 1000
#define EXPLAIN_FAULTS_X 4
#define EXPLAIN_MAX_CAUSES 3

/* The parts of a step's time (EX_CPU .. EX_GC, ns), and EX_FAULT, the
 * cause that stands for cpu or io when the faults are far above. */
enum explain_part { EX_CPU, EX_RUNQ, EX_IO, EX_WAIT, EX_GC, EX_NPARTS,
		    EX_FAULT = EX_NPARTS, EX_NCAUSES };

/* "cpu", "runq", "io", "wait", "gc", "fault"; "-" for -1. */
const char *explain__cause_str(int cause);

struct explain_opts {
	long step_lo, step_hi;	/* list steps in [lo, hi] only; -1: all */
	int top;		/* how many steps to list (default 10) */
};

void explain__defaults(struct explain_opts *o);

/* A step span and what its time went to. */
struct explain_step {
	int64_t step;		/* the step number (MLPROBE_STEP's argument) */
	uint32_t pid, tid;
	bool has_rank;
	int32_t rank;
	int64_t ts, dur;	/* UTC ns of its start; ns */
	bool has_time;		/* the recording has the time split */
	int64_t part[EX_NPARTS];	/* ns; they add up to dur */
	uint64_t minflt, majflt;
	size_t thread;		/* index into explain_result.threads */
};

/* A listed (slow) step: the step, its excess per cause over its thread's
 * median, its cause and where it sits. */
struct explain_slow {
	const struct explain_step *s;
	int64_t excess[EX_NCAUSES];	/* ns; EX_FAULT: the cpu or io
					 * excess it stands for, else 0 */
	int64_t faults_excess;		/* minflt + majflt over the median */
	int cause;			/* enum explain_part or EX_FAULT;
					 * -1: no split */
	int causes[EXPLAIN_MAX_CAUSES];	/* what its line names: the cause,
					 * then the others of note */
	int ncauses;			/* 0: nothing above the medians */
	uint32_t where[EX_NCAUSES];	/* span name id, UINT32_MAX: none */
	uint32_t gc_name;		/* the python.gc.genN holding most gc
					 * time, UINT32_MAX: none */
	int nranks;			/* ranks that ran this step (rank
					 * mode), else 1 */
};

/* A thread that called MLPROBE_STEP, and its median step. */
struct explain_thread {
	uint32_t pid, tid;
	bool has_rank;
	int32_t rank;
	size_t nsteps;
	int64_t median_dur;
	int64_t median[EX_NPARTS];
	uint64_t median_faults;
};

struct explain_result {
	const struct runload *run;	/* not owned */
	struct explain_step *steps;	/* every step span, by thread, then
					 * start */
	size_t nsteps;
	struct explain_thread *threads;
	size_t nthreads;
	bool by_rank;			/* several ranks: steps by number */
	int nranks;
	struct explain_slow *slow;	/* the slowest first */
	size_t nslow;
	size_t nlisted_from;		/* steps the list was chosen from */
};

/*
 * Splits every step span of r and picks the slowest (o may be NULL: the
 * defaults).  Returns NULL with a one-line reason in err when r holds no
 * step spans (or none in o's window) or memory runs out.  The result
 * points into r: free it first.
 */
struct explain_result *explain__run(const struct runload *r,
				    const struct explain_opts *o,
				    char *err, size_t errlen);
void explain__free(struct explain_result *x);

/* The slow steps as text lines of at most 80 columns (names escaped for
 * a terminal; o, which may be NULL, for the step window in the header),
 * and as JSON, one object per line. */
void explain__print_table(FILE *f, const struct explain_result *x,
			  const struct explain_opts *o);
void explain__print_json(FILE *f, const struct explain_result *x);

#endif
