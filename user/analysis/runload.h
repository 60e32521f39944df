/* SPDX-License-Identifier: MIT */
/*
 * runload - a recording loaded into memory for analysis (compare, report,
 * export).  It reads a run directory (every metrics-*, spans-* and
 * logs-*.parquet in it, and in its partition folders) or single Parquet
 * files, with pq_reader, and keeps
 * the rows as compact arrays with interned strings.
 *
 * Input is untrusted: a missing column, a corrupt file or a directory with
 * no recording gives a one-line reason in err, never a crash.
 */
#ifndef MLPROBE_RUNLOAD_H
#define MLPROBE_RUNLOAD_H

#include <glob.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum runload_table { RL_METRICS, RL_SPANS, RL_LOGS, RL_NTABLES };

#define RL_WANT(t) (1u << (t))
#define RL_WANT_ALL (RL_WANT(RL_METRICS) | RL_WANT(RL_SPANS) | RL_WANT(RL_LOGS))

/* Names are ids into runload__str(); steps are -1 when NULL. */
struct rl_span {
	int64_t ts;		/* UTC ns of the start */
	int64_t dur;		/* ns */
	int64_t step;		/* -1: before the first MLPROBE_STEP */
	uint32_t pid, tid, depth, name;
	/* Where the time went (has_time: the file says; on CPU is the rest
	 * of dur), and page faults. */
	bool has_time;
	int64_t runq, io, wait;
	uint32_t minflt, majflt;
	/* The process's rank (its rank column, or the rank=R folder of a
	 * --partition recording); has_rank false: none. */
	bool has_rank;
	int32_t rank;
};

struct rl_metric {
	int64_t ts;
	int64_t step;
	double value;
	uint32_t pid, tid, name;
};

struct rl_log {
	int64_t ts;
	int64_t step;
	uint32_t pid, tid, level, msg;
};

struct runload {
	const char *path;		/* as given; not owned */
	struct rl_span *spans;
	struct rl_metric *metrics;
	struct rl_log *logs;
	size_t nspans, nmetrics, nlogs;
	int nfiles[RL_NTABLES];		/* files read per table */
	/* private: capacities and interned strings */
	size_t cap_spans, cap_metrics, cap_logs;
	char **strs;
	size_t nstrs, cap_strs;
	uint32_t *hash;			/* open addressing, ids + 1 */
	size_t hash_cap;
};

/* The table's file prefix: "metrics", "spans", "logs". */
const char *runload__table_name(enum runload_table t);

/*
 * Lists the files of a table of the recording DIR, flat or partitioned
 * (recfiles__glob), in write order, into g.  Returns the number of files
 * (0 when none); the caller globfree()s g when the result is > 0.
 */
size_t runload__glob(const char *dir, enum runload_table t, glob_t *g);

/*
 * Loads path: a run directory, or one Parquet file whose table is told by
 * its columns (duration_ns: spans; value: metrics; message: logs).  Only the
 * tables in the want mask are read from a directory.  Returns NULL with a
 * one-line reason in err when path is missing, holds no recording, or a
 * file is corrupt or lacks a needed column.  A run whose tables hold no
 * rows loads fine: the caller decides whether that is an error.
 */
struct runload *runload__open(const char *path, unsigned want, char *err,
			      size_t errlen);

/*
 * An empty run, to fill in memory (tests, converters): path is only a
 * label.  The adders copy the row and intern the strings; they return 0
 * or -ENOMEM.
 */
struct runload *runload__new(const char *path);
int runload__add_span(struct runload *r, const struct rl_span *s,
		      const char *name);
int runload__add_metric(struct runload *r, const struct rl_metric *m,
			const char *name);
int runload__add_log(struct runload *r, const struct rl_log *l,
		     const char *level, const char *msg);

/* Span durations (ns) grouped by name id, each group sorted ascending:
 * group id is vals[start[id] .. start[id + 1]).  nids = the run's nstrs. */
struct rl_groups {
	double *vals;
	size_t *start;
	size_t nids;
};

/* Which time of a span: its wall time, or its own (wall time less the
 * time it was runnable, waiting for a CPU: what a busy neighbour adds).
 * A span without a time split has only its wall time. */
enum rl_time { RL_TIME_WALL, RL_TIME_OWN };
double runload__span_time(const struct rl_span *s, enum rl_time t);

/*
 * Groups the spans' times t of r by name, leaving out spans with step <
 * skip (and spans with no step) when skip > 0.  Returns 0 or -ENOMEM; free
 * with runload__groups_free (also after a failure).
 */
int runload__group_spans(const struct runload *r, long skip, enum rl_time t,
			 struct rl_groups *g);
void runload__groups_free(struct rl_groups *g);

/* The interned string with this id (owned by the run). */
const char *runload__str(const struct runload *r, uint32_t id);

/* Id of s, or UINT32_MAX when the run has no such string. */
uint32_t runload__find(const struct runload *r, const char *s);

void runload__free(struct runload *r);

#endif
