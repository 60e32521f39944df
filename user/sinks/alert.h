/* SPDX-License-Identifier: MIT */
/*
 * alert.h - the alert sink: evaluates rules (rules.h) on the rows as they
 * are decoded and on every tick.
 *
 * Thresholds and nan() are edge-triggered per metric and process: a rule
 * fires once when its condition starts to hold (for N consecutive steps
 * with "for N steps") and re-arms when it stops holding.  A stall fires
 * once per stall and re-arms on step progress; drops fire when the count
 * of lost records grows, at most once per 10 s.
 *
 * Each firing goes to stderr (at most 5 lines per rule per 10 s, the rest
 * counted and summarized), to DIR/alerts-NNNN.parquet (flushed on the next
 * tick, so the file is valid Parquet within a tick), to an optional hook
 * and to the --on-alert command: fork + execve, no shell, the fields in
 * MLPROBE_ALERT_* variables, at most one start per rule per interval and
 * at most 4 running; children are reaped with WNOHANG on ticks, so a hung
 * command never blocks the consumer.
 */
#ifndef MLPROBE_ALERT_H
#define MLPROBE_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "consume/rows.h"
#include "rules.h"

struct alert_fire {
	const struct rule *rule;
	int rule_idx;
	int64_t ts;			/* UTC ns */
	const char *name;		/* the metric; NULL for stall, drops */
	size_t name_len;
	bool has_step;
	int64_t step;
	double value;			/* the metric's value; stall: seconds
					 * without progress; drops: records lost */
	int32_t pid, rank;		/* -1: none */
	char msg[256];			/* what happened, one line */
};

struct alerts_opts {
	size_t sz;			/* sizeof(struct alerts_opts) */
	const struct rule *rules;	/* copied */
	int nrules;
	const char *dir;		/* alerts-NNNN.parquet go here; NULL: none */
	const char *created_by;
	const char *host, *run;		/* copied */
	/* --on-alert: argv (NULL-terminated, borrowed until free) and the
	 * resolved path of argv[0]; NULL: no command. */
	char *const *cmd_argv;
	const char *cmd_path;
	uint64_t cmd_interval_ns;	/* per rule; 0: 5 s */
	bool quiet;			/* no stderr (a live view shows them) */
	void (*on_fire)(void *ctx, const struct alert_fire *f);
	void *on_fire_ctx;
};

struct alerts_stats {
	uint64_t fired;
	uint64_t printed, suppressed;	/* stderr lines, and firings not printed */
	uint64_t written, lost;		/* rows in the alerts files, rows lost */
	uint64_t cmd_started, cmd_skipped, cmd_failed;
};

struct alerts;

int alerts__new(const struct alerts_opts *opts, struct alerts **out);
/* The sink interface; ctx is the alerts. */
struct sink alerts__sink(struct alerts *a);
/* The kernel's counters, on every tick: records lost so far and step probe
 * hits (step progress for stall rules).  now: CLOCK_MONOTONIC ns. */
void alerts__counters(struct alerts *a, uint64_t dropped, uint64_t steps,
		      uint64_t now);
const struct alerts_stats *alerts__stats(const struct alerts *a);
struct alerts_file {
	char *path;
	uint64_t rows;			/* flushed to it */
};
/* Files written (0 when no alert fired, or a is NULL); file i (NULL out of
 * range). */
int alerts__nfiles(const struct alerts *a);
const struct alerts_file *alerts__file(const struct alerts *a, int i);
void alerts__free(struct alerts *a);

#endif
