/* SPDX-License-Identifier: MIT */
/*
 * rows.h - decoded rows and the sink interface.
 *
 * The decoder turns ring records into these rows, with names resolved, text
 * made valid UTF-8 and timestamps in UTC ns, and hands every row to every
 * sink; the engine gives every sink the tick and the kernel's counters.
 * Sinks (Parquet, live view, ...) never know about each other.
 * Pointers in a row are valid only during the call.
 */
#ifndef MLPROBE_ROWS_H
#define MLPROBE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who emitted a row (see procctx.h); -1 where unknown. */
struct row_proc {
	int32_t ppid;
	int32_t rank, local_rank, world_size;
};

struct row_metric {
	int64_t ts;		/* UTC ns */
	uint32_t pid, tid, cpu;
	int64_t step;
	const char *name;
	size_t name_len;
	double value;
	const struct row_proc *proc;	/* never NULL */
};

struct row_span {
	int64_t ts;		/* UTC ns of the start */
	int64_t dur_ns;
	/* Where the thread's time went between begin and end: the four add up
	 * to dur_ns (docs/bpf.md, "Where the time went"). */
	int64_t cpu_ns;		/* on CPU */
	int64_t runq_ns;	/* runnable, waiting for a CPU */
	int64_t io_ns;		/* blocked in I/O wait */
	int64_t wait_ns;	/* blocked otherwise */
	uint32_t minflt, majflt;	/* page faults */
	uint32_t pid, tid, cpu;
	uint32_t depth;
	bool has_step;
	int64_t step;
	const char *name;
	size_t name_len;
	const struct row_proc *proc;	/* never NULL */
};

struct row_log {
	int64_t ts;
	uint32_t pid, tid, cpu;
	int level;		/* MLPROBE_DEBUG .. MLPROBE_ERROR */
	bool has_step;
	int64_t step;
	const char *msg;
	size_t msg_len;
	const struct row_proc *proc;	/* never NULL */
};

enum row_table { ROW_METRICS, ROW_SPANS, ROW_LOGS, ROW_TABLES };

/* The kernel's books so far, read once per tick (engine_opts): what the
 * stall and drops rules and the live view need, without a sink asking the
 * tracer. */
struct row_counters {
	uint64_t events[ROW_TABLES];	/* probe hits; a span at its end */
	uint64_t lost[ROW_TABLES];	/* records the kernel could not send */
	uint64_t steps;			/* step probe hits */
};

/* A consumer of rows.  Callbacks return 0 or -errno; an error is reported by
 * the engine once and the sink keeps receiving rows (it decides what to keep).
 * Any callback may be NULL. */
struct sink {
	const char *name;
	void *ctx;
	int (*metric)(void *ctx, const struct row_metric *r);
	int (*span)(void *ctx, const struct row_span *r);
	int (*log)(void *ctx, const struct row_log *r);
	/* Called on every engine tick, before tick, with the kernel's
	 * counters (when the engine has them) and CLOCK_MONOTONIC ns. */
	int (*counters)(void *ctx, const struct row_counters *c, uint64_t now_ns);
	/* Called on every engine tick with CLOCK_MONOTONIC ns: flush if due. */
	int (*tick)(void *ctx, uint64_t now_ns);
	/* Called once at the end: write out everything and release. */
	int (*finish)(void *ctx);
};

const char *row_level_name(int level);

#endif
