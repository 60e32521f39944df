/* SPDX-License-Identifier: MIT */
/*
 * tables.h - every table a recording holds, in one place: its name (the
 * prefix of its files, TABLE-NNNN.parquet), its columns in file order, and
 * the context columns the row tables end with.  The writers (the Parquet
 * and alert sinks), recover (a schema to stand in for a lost footer) and
 * the readers (runload, show) take them from here, so a column is named
 * and typed once.
 */
#ifndef MLPROBE_TABLES_H
#define MLPROBE_TABLES_H

#include <stdbool.h>
#include "parquet/pq_writer.h"

/* The first three are the row tables, in the order of rows.h's
 * row_table. */
enum table_id { TABLE_METRICS, TABLE_SPANS, TABLE_LOGS, TABLE_ALERTS,
		TABLE_COUNT };

/* Each table's own columns, in file order. */
enum metric_col { MC_TS, MC_PID, MC_TID, MC_STEP, MC_NAME, MC_VALUE, MC_N };
enum span_col { SC_TS, SC_PID, SC_TID, SC_DUR, SC_NAME, SC_STEP, SC_DEPTH,
		SC_CPU, SC_RUNQ, SC_IO, SC_WAIT, SC_MINFLT, SC_MAJFLT, SC_N };
enum log_col { LC_TS, LC_PID, LC_TID, LC_LEVEL, LC_MSG, LC_STEP, LC_N };
enum alert_col { AC_TS, AC_RULE, AC_KIND, AC_NAME, AC_STEP, AC_VALUE, AC_PID,
		 AC_RANK, AC_HOST, AC_RUN, AC_MESSAGE, AC_N };

/* The context columns after a row table's own: who emitted the row.  In a
 * partitioned recording rank, host and run are in the path instead (Hive
 * style: engines add them from the path, and Spark rejects a column that
 * is in both). */
enum ctx_col { X_PPID, X_RANK, X_LOCAL_RANK, X_WORLD_SIZE, X_HOST, X_RUN,
	       X_MAX };

/* The most columns a table's schema has. */
#define TABLE_MAX_COLS 24

struct table_def {
	const char *name;		/* "metrics": files metrics-NNNN.parquet */
	const struct pq_column *cols;	/* its own columns */
	int ncols;
	bool ctx;			/* followed by the context columns */
};

const struct table_def *tables_def(enum table_id t);
/* The table called name ("spans"), or -1. */
int tables_by_name(const char *name);
/* Table t's whole schema into cols[TABLE_MAX_COLS]: its own columns, then
 * (for a row table) the context columns; ctx_idx[X_MAX] (may be NULL)
 * gets the column of each context field, -1 where the layout leaves it
 * out.  Returns the number of columns. */
int tables_schema(enum table_id t, bool partition, struct pq_column *cols,
		  int *ctx_idx);
/* The table of a file of ours, from its path (TABLE-NNNN.parquet, at
 * least four digits; partitioned when it is in a rank= folder), and its
 * schema (static storage).  The table, or -ENOENT for another file. */
int tables_of_file(const char *path, const struct pq_column **cols, int *ncols);

#endif
