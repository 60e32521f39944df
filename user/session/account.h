/* SPDX-License-Identifier: MIT */
/*
 * account.h - where every event went.  For each table, from the kernel's
 * counters, the decoder and the sink: events the probes saw, records the
 * kernel emitted, rows delivered to the sinks, rows on disk, and every loss
 * with its reason.  The books balance when
 *     delivered == emitted  and  written + lost_io == delivered
 * (emitted = hits - lost in the kernel - unmatched spans).
 */
#ifndef MLPROBE_ACCOUNT_H
#define MLPROBE_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "consume/decoder.h"
#include "sinks/sink_parquet.h"
#include "wire.h"

struct account_table {
	const char *table;	/* "metrics" */
	const char *kind;	/* "metric" */
	uint64_t hits;		/* probe hits (span: span_end) */
	uint64_t emitted;	/* records the kernel submitted */
	uint64_t delivered;	/* rows the decoder handed to the sinks */
	uint64_t written;	/* rows on disk */
	uint64_t lost_kernel;	/* ring full, or name not interned */
	uint64_t lost_ring;	/* ... of which: the ring was full */
	uint64_t lost_name;	/* ... of which: the name could not be sent
				 * (intern table, or ring full for the name) */
	uint64_t truncated;	/* rows written with a string cut short */
	uint64_t lost_held;	/* ... of which: --batch, held by the trainer
				 * when its thread died or recording stopped */
	uint64_t lost_io;	/* rows the sink could not write */
	uint64_t unmatched;	/* spans: begin without end and the reverse,
				 * or nested too deep */
	bool ok;
};

struct account {
	struct account_table t[ROW_TABLES];
	uint64_t names_emitted, names_delivered;
	bool ok;
};

/* Fills *a.  sink may be NULL (no rows written). */
void account_compute(struct account *a, const struct mp_counters *c,
		     const struct decoder_stats *ds, const struct pqsink *sink);

/* The counters the sinks take on every tick (rows.h), from the kernel's. */
void account_row_counters(const struct mp_counters *c, struct row_counters *out);

#endif
