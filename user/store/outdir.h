/* SPDX-License-Identifier: MIT */
/*
 * outdir.h - the directory a recording goes to: made usable without losing
 * anything (outdir_check), and emptied of an earlier recording only once
 * the new one has started (outdir_clear, for --force).  A recording is
 * run.json plus metrics-, spans- and logs-NNNN.parquet, directly or in
 * rank=N/ directories (--partition), and alerts-NNNN.parquet and
 * command.log (the output of a command launched with --live).
 */
#ifndef MLPROBE_OUTDIR_H
#define MLPROBE_OUTDIR_H

#include <stdbool.h>

/* Creates dir if missing.  Refuses (one line, -1) a directory that holds
 * anything unless force, and even then one that holds files mlprobe did not
 * write, or that is not writable.  Deletes nothing. */
int outdir_check(const char *dir, bool force);

/* Removes the recording in dir (our files only).  0 or -errno. */
int outdir_clear(const char *dir);

#endif
