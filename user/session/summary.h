/* SPDX-License-Identifier: MIT */
/* summary.h - what `record` prints when it ends: the table of events,
 * written rows and losses per kind and the files, or one loud line when the
 * books do not balance. */
#ifndef MLPROBE_SUMMARY_H
#define MLPROBE_SUMMARY_H

#include <stdint.h>
#include "account.h"
#include "sinks/alert.h"
#include "sinks/sink_parquet.h"
#include "wire.h"

/* The summary, to stderr.  dir: the run's directory (file names are shown
 * relative to it); al: the alerts sink, whose files are listed with the
 * tables' (NULL: none); cpu_s: the consumer's CPU time, shown per million
 * events (metric, span and log) for runs of 100000 events or more;
 * npids: processes recorded. */
void record_summary(const char *dir, const struct account *acct,
		    const struct mp_counters *c, struct pqsink *ps,
		    const struct alerts *al, double secs, double cpu_s,
		    int npids);

/* One line naming every table whose books do not balance. */
void record_mismatch(const struct account *acct, const char *dir);

#endif
