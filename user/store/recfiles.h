/* SPDX-License-Identifier: MIT */
/*
 * recfiles - where the files of a recording are: its tables in the flat
 * layout (DIR/metrics-0000.parquet) and in the partitioned one of record
 * --partition (DIR/run=ID/host=H/rank=R/metrics-0000.parquet, the alerts
 * and run.json in DIR/run=ID/host=H/).  For the commands that read
 * recordings (show, export, compare, report).
 */
#ifndef MLPROBE_RECFILES_H
#define MLPROBE_RECFILES_H

#include <glob.h>
#include <stdbool.h>
#include <stddef.h>

/* The first three are runload's tables, in the same order. */
enum rec_table { REC_METRICS, REC_SPANS, REC_LOGS, REC_ALERTS, REC_NTABLES };

/* "metrics", "spans", "logs", "alerts". */
const char *recfiles__table_name(int t);
/* The table of that name, or -1. */
int recfiles__table(const char *name);

/*
 * Lists the files of table t of the recording in dir into g: those in dir
 * itself, then those in its partition folders (dir may also be one of
 * them, e.g. DIR/run=ID/host=H), each folder in name order, files in name
 * order (which is write order).  Returns the number of files (0: none);
 * the caller globfree()s g when the result is > 0.
 */
size_t recfiles__glob(const char *dir, int t, glob_t *g);

/* True when dir (or a partition folder in it) holds a run.json: a
 * recording, even one that flushed no row. */
bool recfiles__has_run(const char *dir);

#endif
