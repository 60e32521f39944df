/* SPDX-License-Identifier: MIT */
/*
 * live.h - the live state: what the terminal view and the Prometheus
 * endpoint show, kept from the rows as they are decoded.
 *
 * Per metric and rank: last value and step, min, max (NaN left out), count
 * and the last LIVE_RING values (the sparkline).  Per span name and rank:
 * count, total time and where it went (cpu, runq, io, wait), p50/p99
 * (qhist.h) and cumulative counts for the Prometheus buckets
 * (LIVE_BUCKETS, in seconds).  Events and drops per
 * table from the kernel's counters, alert firings per rule, the last log.
 *
 * Memory is bounded: past LIVE_MAX_METRICS metrics or LIVE_MAX_SPANS span
 * names, new names are counted as untracked and not kept.
 *
 * Thread safety: the consumer thread feeds rows; another thread (the HTTP
 * server) may take snapshots.  A mutex guards the state; a snapshot holds
 * it only to copy, so the drain never waits on a slow reader.
 */
#ifndef MLPROBE_LIVE_H
#define MLPROBE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "consume/rows.h"

#define LIVE_RING 64
#define LIVE_MAX_METRICS 1024
#define LIVE_MAX_SPANS 256
#define LIVE_MAX_RULES 128
/* A name as the decoder gives it: up to 127 bytes, and "…" (3 bytes) when
 * the probe cut it, with the NUL; kept whole, so the live view and the
 * Prometheus label say the same as the Parquet file. */
#define LIVE_NAME_MAX 136
#define LIVE_BUCKETS 22
/* A span's time: cpu, runq, io, wait (enum live_part). */
#define LIVE_PARTS 4
enum live_part { LIVE_CPU, LIVE_RUNQ, LIVE_IO, LIVE_WAIT };

/* Upper bounds of the span histogram buckets, seconds (+Inf is implied). */
extern const double live_bucket_le[LIVE_BUCKETS];

struct live_metric {
	char name[LIVE_NAME_MAX];
	int32_t rank;			/* -1: none */
	uint64_t count;
	int64_t step;
	double last, min, max;		/* min/max: NaN until a number came */
	double ring[LIVE_RING];		/* the last values, oldest first in
					 * a snapshot */
	unsigned nring;
};

struct live_span {
	char name[LIVE_NAME_MAX];
	int32_t rank;
	uint64_t count;
	uint64_t total_ns;
	uint64_t p50_ns, p99_ns;	/* filled by the snapshot */
	uint64_t le[LIVE_BUCKETS];	/* cumulative: count <= live_bucket_le */
	/* Where the time went, summed over the spans (rows.h): on CPU,
	 * runnable, in I/O wait, blocked otherwise. */
	uint64_t part_ns[LIVE_PARTS];
};

struct live_rule {
	char rule[256];
	uint64_t fired;
};

struct live_snap {
	struct live_metric *metrics;	/* in order of first appearance */
	int nmetrics;
	struct live_span *spans;
	int nspans;
	struct live_rule rules[LIVE_MAX_RULES];
	int nrules;
	uint64_t events[ROW_TABLES];	/* probe hits */
	uint64_t dropped[ROW_TABLES];	/* records lost (ring full, name) */
	uint64_t steps;			/* MLPROBE_STEP hits */
	uint64_t rows[ROW_TABLES];	/* rows seen by this sink */
	uint64_t untracked_metrics, untracked_spans;
	char last_alert[300];
	char last_log[300];
	uint64_t mono_ns;		/* when it was taken */
	char host[256];
};

struct live;

struct live *live__new(const char *host);
struct sink live__sink(struct live *l);
/* The kernel's counters (the sink's counters hook calls it). */
void live__counters(struct live *l, const uint64_t events[ROW_TABLES],
		    const uint64_t dropped[ROW_TABLES], uint64_t steps);
/* An alert fired: counted per rule text, and shown as the last alert. */
void live__alert(struct live *l, const char *rule, const char *msg);
/* Copies the state into *s (allocating its arrays; reuse the same *s to
 * avoid reallocating).  0 or -ENOMEM. */
int live__snapshot(struct live *l, struct live_snap *s);
void live_snap_free(struct live_snap *s);
void live__free(struct live *l);

#endif
