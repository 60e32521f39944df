// SPDX-License-Identifier: MIT
/* tables.c - the tables of a recording and their columns (tables.h). */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <string.h>
#include "tables.h"

/* Encodings, measured on the example trainer (bytes per metric row on disk)
 * and 2M bench events (consumer CPU per million): PLAIN everywhere gave
 * 10.1 B and 0.68 s; DELTA for integers and timestamps plus
 * BYTE_STREAM_SPLIT for values gives 7.8 B and 0.21 s, because gzip then
 * has far less to chew.  Strings are dictionary-encoded. */

static const struct pq_column metric_cols[MC_N] = {
	[MC_TS] = { "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DELTA },
	[MC_PID] = { "pid", PQ_INT32, false, PQ_ENC_DELTA },
	[MC_TID] = { "tid", PQ_INT32, false, PQ_ENC_DELTA },
	[MC_STEP] = { "step", PQ_INT64, false, PQ_ENC_DELTA },
	[MC_NAME] = { "name", PQ_STRING, false, PQ_ENC_DEFAULT },
	[MC_VALUE] = { "value", PQ_DOUBLE, false, PQ_ENC_BYTE_STREAM_SPLIT },
};

static const struct pq_column span_cols[SC_N] = {
	[SC_TS] = { "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DELTA },
	[SC_PID] = { "pid", PQ_INT32, false, PQ_ENC_DELTA },
	[SC_TID] = { "tid", PQ_INT32, false, PQ_ENC_DELTA },
	[SC_DUR] = { "duration_ns", PQ_INT64, false, PQ_ENC_DELTA },
	[SC_NAME] = { "name", PQ_STRING, false, PQ_ENC_DEFAULT },
	[SC_STEP] = { "step", PQ_INT64, true, PQ_ENC_DELTA },
	[SC_DEPTH] = { "depth", PQ_INT32, false, PQ_ENC_DELTA },
	/* Where the time went: cpu + runq + io + wait = duration_ns. */
	[SC_CPU] = { "cpu_ns", PQ_INT64, false, PQ_ENC_DELTA },
	[SC_RUNQ] = { "runq_ns", PQ_INT64, false, PQ_ENC_DELTA },
	[SC_IO] = { "io_ns", PQ_INT64, false, PQ_ENC_DELTA },
	[SC_WAIT] = { "wait_ns", PQ_INT64, false, PQ_ENC_DELTA },
	[SC_MINFLT] = { "minflt", PQ_INT64, false, PQ_ENC_DELTA },
	[SC_MAJFLT] = { "majflt", PQ_INT64, false, PQ_ENC_DELTA },
};

static const struct pq_column log_cols[LC_N] = {
	[LC_TS] = { "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DELTA },
	[LC_PID] = { "pid", PQ_INT32, false, PQ_ENC_DELTA },
	[LC_TID] = { "tid", PQ_INT32, false, PQ_ENC_DELTA },
	[LC_LEVEL] = { "level", PQ_STRING, false, PQ_ENC_DEFAULT },
	[LC_MSG] = { "message", PQ_STRING, false, PQ_ENC_DEFAULT },
	[LC_STEP] = { "step", PQ_INT64, true, PQ_ENC_DELTA },
};

/* Few rows: the defaults serve. */
static const struct pq_column alert_cols[AC_N] = {
	[AC_TS] = { "ts", PQ_TIMESTAMP_NS, false, PQ_ENC_DEFAULT },
	[AC_RULE] = { "rule", PQ_STRING, false, PQ_ENC_DEFAULT },
	[AC_KIND] = { "kind", PQ_STRING, false, PQ_ENC_DEFAULT },
	[AC_NAME] = { "name", PQ_STRING, true, PQ_ENC_DEFAULT },
	[AC_STEP] = { "step", PQ_INT64, true, PQ_ENC_DEFAULT },
	[AC_VALUE] = { "value", PQ_DOUBLE, true, PQ_ENC_DEFAULT },
	[AC_PID] = { "pid", PQ_INT32, true, PQ_ENC_DEFAULT },
	[AC_RANK] = { "rank", PQ_INT32, true, PQ_ENC_DEFAULT },
	[AC_HOST] = { "host", PQ_STRING, false, PQ_ENC_DEFAULT },
	[AC_RUN] = { "run", PQ_STRING, false, PQ_ENC_DEFAULT },
	[AC_MESSAGE] = { "message", PQ_STRING, false, PQ_ENC_DEFAULT },
};

/* Constant or nearly so within a file, so they cost next to nothing on
 * disk (DELTA, dictionary). */
static const struct pq_column ctx_cols[X_MAX] = {
	[X_PPID] = { "ppid", PQ_INT32, true, PQ_ENC_DELTA },
	[X_RANK] = { "rank", PQ_INT32, true, PQ_ENC_DELTA },
	[X_LOCAL_RANK] = { "local_rank", PQ_INT32, true, PQ_ENC_DELTA },
	[X_WORLD_SIZE] = { "world_size", PQ_INT32, true, PQ_ENC_DELTA },
	[X_HOST] = { "host", PQ_STRING, false, PQ_ENC_DEFAULT },
	[X_RUN] = { "run", PQ_STRING, false, PQ_ENC_DEFAULT },
};

static const struct table_def defs[TABLE_COUNT] = {
	[TABLE_METRICS] = { "metrics", metric_cols, MC_N, true },
	[TABLE_SPANS] = { "spans", span_cols, SC_N, true },
	[TABLE_LOGS] = { "logs", log_cols, LC_N, true },
	[TABLE_ALERTS] = { "alerts", alert_cols, AC_N, false },
};

const struct table_def *tables_def(enum table_id t)
{
	return t < TABLE_COUNT ? &defs[t] : NULL;
}

int tables_by_name(const char *name)
{
	for (int t = 0; t < TABLE_COUNT; t++)
		if (!strcmp(name, defs[t].name))
			return t;
	return -1;
}

int tables_schema(enum table_id t, bool partition, struct pq_column *cols,
		  int *ctx_idx)
{
	int n = defs[t].ncols;

	memcpy(cols, defs[t].cols, n * sizeof(*cols));
	for (int x = 0; x < X_MAX; x++) {
		if (ctx_idx)
			ctx_idx[x] = -1;
		if (!defs[t].ctx ||
		    (partition && (x == X_RANK || x == X_HOST || x == X_RUN)))
			continue;
		if (ctx_idx)
			ctx_idx[x] = n;
		cols[n++] = ctx_cols[x];
	}
	return n;
}

int tables_of_file(const char *path, const struct pq_column **cols, int *ncols)
{
	static struct pq_column schemas[2][TABLE_COUNT][TABLE_MAX_COLS];
	static int nschema[2][TABLE_COUNT];
	const char *base = strrchr(path, '/');
	/* A file in a rank=N directory is of a partitioned recording. */
	bool part = base && base - path >= 6 &&
		    memmem(path, base - path, "rank=", 5) != NULL;

	base = base ? base + 1 : path;
	for (int t = 0; t < TABLE_COUNT; t++) {
		size_t n = strlen(defs[t].name);
		const char *d = base + n + 1;

		/* TABLE-NNNN.parquet, at least four digits */
		if (strncmp(base, defs[t].name, n) || base[n] != '-' ||
		    strspn(d, "0123456789") < 4 ||
		    strcmp(d + strspn(d, "0123456789"), ".parquet"))
			continue;
		if (!nschema[part][t])
			nschema[part][t] = tables_schema(t, part, schemas[part][t],
							 NULL);
		*cols = schemas[part][t];
		*ncols = nschema[part][t];
		return t;
	}
	return -ENOENT;
}
