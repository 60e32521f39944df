/* SPDX-License-Identifier: MIT */
/*
 * tabout - print the rows of an mlprobe Parquet file as an 80-column
 * table, CSV or JSON lines, with our own reader.  Used by `show` and by
 * `export --format csv|jsonl`.  Data goes to stdout, errors (one line) to
 * stderr.
 */
#ifndef MLPROBE_TABOUT_H
#define MLPROBE_TABOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tabout_fmt { TABOUT_TABLE, TABOUT_CSV, TABOUT_JSONL };

/* The output state of one table across its files.  Set the options and
 * zero the rest. */
struct tabout {
	enum tabout_fmt fmt;
	long limit;		/* rows per table; 0: all */
	const char *table;	/* the table's name, for multi */
	bool multi;		/* jsonl: tag each row with "table" */
	const char *title;	/* table format: a line before the header */
	/* state */
	long printed;
	int64_t total;
	bool header_done;
	bool alerts;		/* the file is an alerts file */
};

/* Prints the rows of one Parquet file (the title and header once per
 * struct for table and csv, once its first row group decoded, so a file
 * that cannot be read prints nothing).  Returns 0, or a negative errno
 * after one line on stderr. */
int tabout__file(struct tabout *o, const char *path);

/* UTC ns as "2026-11-24T17:33:05.121338016Z" (full) or "17:33:05.121338". */
void tabout__fmt_ts(char *buf, size_t len, int64_t ns, bool full);

#endif
