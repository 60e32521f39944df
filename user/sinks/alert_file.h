/* SPDX-License-Identifier: MIT */
/*
 * alert_file.h - the alerts table on disk: each firing a row of
 * DIR/alerts-NNNN.parquet (columns: store/tables.h), flushed with the
 * engine's tick, a new file after 256 row groups.  Alerts are few, so a
 * failing disk keeps at most 10,000 of them in memory, then counts them
 * lost; a failure is one line, and alerts still go to stderr.
 */
#ifndef MLPROBE_ALERT_FILE_H
#define MLPROBE_ALERT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"

struct alert_file;

/* dir must exist and outlive the object; host and run are copied.  st's
 * written and lost are kept up to date.  NULL on out of memory. */
struct alert_file *alert_file__new(const char *dir, const char *created_by,
				   const char *host, const char *run,
				   struct alerts_stats *st);
/* One firing; the file is created at its first flush. */
void alert_file__append(struct alert_file *af, const struct alert_fire *f);
/* Writes what was appended: 0 or -errno (the rows wait for the next). */
int alert_file__flush(struct alert_file *af);
/* Flushes, then finishes the current file (rows that cannot be written
 * even now are counted lost).  0 or -errno. */
int alert_file__close(struct alert_file *af);
/* Files written so far; file i, or NULL out of range. */
int alert_file__nfiles(const struct alert_file *af);
const struct alerts_file *alert_file__file(const struct alert_file *af, int i);
void alert_file__free(struct alert_file *af);

#endif
