/* SPDX-License-Identifier: MIT */
/*
 * follow.h - which processes and files a recording traces, as they change:
 * processes forked by a traced one (--children), processes that start the
 * traced binary (--all), libraries loaded with dlopen, and images replaced
 * by exec.  The BPF side tracks the processes themselves (so that nothing a
 * new process does is missed); this module attaches to the files they map,
 * keeps their context (procctx) and knows when none is left.
 *
 * It is fed MP_REC_PROC records by the decoder (follow__on_proc), which
 * rescan a process's mappings at once on exec and dlopen (they are rare and
 * force a wakeup), and checks on engine ticks, through a sink that has only
 * a tick, that the processes it counts as live still are.
 */
#ifndef MLPROBE_FOLLOW_H
#define MLPROBE_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "procctx.h"
#include "consume/rows.h"
#include "tracer.h"

struct mp_proc_rec;

struct follow_opts {
	size_t sz;
	struct tracer *tr;	/* borrowed */
	struct procctx *pc;	/* borrowed */
	bool global;		/* links for every process (pid -1), filtered
				 * by the tracked set; else per-process links */
	bool until_empty;	/* done() when no traced process is left */
	bool gc;		/* CPython's collections as spans, where the
				 * interpreter has its GC probes */
};

struct follow;

struct follow *follow__new(const struct follow_opts *o);
void follow__free(struct follow *f);

/* Starts tracing pid (in the BPF tracked set, counted as live). */
int follow__add(struct follow *f, pid_t pid);

/* Attaches the probes of the file at path (display: how the user knows it)
 * for pid (global mode: for every traced process), unless the same file
 * (device and inode) is attached already.  Returns the number of new probe
 * sites, 0, or -errno with a reason in err. */
int follow__attach_file(struct follow *f, pid_t pid, const char *path,
			const char *display, char *err, size_t errlen);

/* Attaches the probes of pid's executable and of every library it has
 * mapped that is not attached yet.  Returns new sites or -errno (err). */
int follow__scan(struct follow *f, pid_t pid, char *err, size_t errlen);

/* Decoder callback for MP_REC_PROC records (ctx: the follow). */
void follow__on_proc(void *ctx, const struct mp_proc_rec *r);

/* Engine callback: true when until_empty and no traced process is left. */
bool follow__done(void *ctx);

/* A sink with only a tick: the liveness check (exit records can be lost
 * to a full ring). */
struct sink follow__sink(struct follow *f);
/* Who a row's process is (ctx: the follow): its context (ppid, rank...)
 * for the decoder's proc hook; the decoder's on_proc hook is
 * follow__on_proc. */
const struct row_proc *follow__proc_of(void *ctx, uint32_t pid);

/* Every process traced so far, in order (for run.json). */
int follow__npids(const struct follow *f);
const pid_t *follow__pids(const struct follow *f);
int follow__nlive(const struct follow *f);

#endif
