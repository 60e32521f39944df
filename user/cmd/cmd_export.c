// SPDX-License-Identifier: MIT
/*
 * cmd_export.c - `mlprobe export`: a recording as Chrome/Perfetto trace
 * JSON, or any of its tables as CSV or JSON lines, on stdout.
 */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "analysis/chrome_trace.h"
#include "cmds.h"
#include "common/log.h"
#include "analysis/runload.h"
#include "analysis/tabout.h"
#include "store/recfiles.h"

static const char doc[] =
	"Write a recording in another format, on stdout.\n"
	"\n"
	"chrome-trace (the default) writes the Trace Event Format JSON that\n"
	"ui.perfetto.dev and chrome://tracing open: spans as slices per thread,\n"
	"metrics as counters, logs as instant events.  csv and jsonl write every\n"
	"row of a table (csv: one table, so --table is needed for a directory;\n"
	"jsonl: every table, alerts included, each row tagged with it, unless\n"
	"--table says one).  A recording made with --partition is read whole.\n"
	"\n"
	"Exit status: 0; 1 when a file cannot be read or no recording is there;\n"
	"2 for bad arguments.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe export runs/exp1 > trace.json\n"
	"  mlprobe export --format csv --table spans runs/exp1 > spans.csv\n"
	"  mlprobe export --format jsonl runs/exp1 | grep '\"table\":\"logs\"'\n";

static const struct argp_option opts[] = {
	{ "format", 'f', "FMT", 0, "chrome-trace (default), csv or jsonl", 0 },
	{ "table", 't', "NAME", 0, "csv/jsonl: metrics, spans, logs or alerts",
	  0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

enum fmt { F_TRACE, F_CSV, F_JSONL };

struct args {
	enum fmt fmt;
	int table;		/* enum rec_table, or -1 for all */
	const char *path;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;

	switch (key) {
	case 'f':
		if (!strcmp(arg, "chrome-trace"))
			a->fmt = F_TRACE;
		else if (!strcmp(arg, "csv"))
			a->fmt = F_CSV;
		else if (!strcmp(arg, "jsonl"))
			a->fmt = F_JSONL;
		else
			argp_failure(st, 2, 0, "unknown format '%s' (chrome-trace, "
				     "csv, jsonl)", arg);
		break;
	case 't':
		a->table = recfiles__table(arg);
		if (a->table < 0)
			argp_failure(st, 2, 0, "unknown table '%s' (metrics, spans, "
				     "logs, alerts)", arg);
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARG:
		if (a->path)
			argp_failure(st, 2, 0, "give one recording");
		a->path = arg;
		break;
	case ARGP_KEY_END:
		if (!a->path)
			argp_failure(st, 2, 0, "give a recording directory or a "
				     "Parquet file");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int export_trace(const struct args *a)
{
	char err[512];
	struct runload *r = runload__open(a->path, RL_WANT_ALL, err, sizeof(err));
	long n;

	if (!r) {
		pr_err("%s", err);
		return -EINVAL;
	}
	n = chrome_trace__write(stdout, r);
	if (n < 0)
		pr_err("out of memory");
	else
		pr_verbose("%ld trace events", n);
	runload__free(r);
	return n < 0 ? (int)n : 0;
}

/* Every row of the chosen tables, through the same printer as `show`. */
static int export_rows(const struct args *a)
{
	enum tabout_fmt fmt = a->fmt == F_CSV ? TABOUT_CSV : TABOUT_JSONL;
	struct stat st;
	bool any = false;
	int ret = 0;

	if (stat(a->path, &st)) {
		pr_err("%s: %s", a->path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		struct tabout o = { .fmt = fmt };

		return tabout__file(&o, a->path);
	}
	if (fmt == TABOUT_CSV && a->table < 0) {
		pr_err("csv holds one table: add --table metrics, spans, logs or "
		       "alerts");
		return -E2BIG;	/* bad arguments: exit status 2 */
	}
	for (int t = 0; t < REC_NTABLES && !ret; t++) {
		struct tabout o = { .fmt = fmt, .table = recfiles__table_name(t),
				    .multi = a->table < 0 };
		glob_t g;
		size_t n;

		if ((a->table >= 0 && t != a->table) ||
		    !(n = recfiles__glob(a->path, t, &g)))
			continue;
		any = true;
		for (size_t i = 0; i < n && !ret; i++)
			ret = tabout__file(&o, g.gl_pathv[i]);
		globfree(&g);
	}
	/* A recording that flushed no row has no rows to write. */
	if (!ret && !any && !recfiles__has_run(a->path)) {
		pr_err("%s: no %s%sParquet files here (is it an mlprobe "
		       "recording?)", a->path,
		       a->table >= 0 ? recfiles__table_name(a->table) : "",
		       a->table >= 0 ? " " : "");
		return -ENOENT;
	}
	return ret;
}

int cmd_export(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "RUN_DIR|FILE.parquet", doc, 0, 0, 0 };
	struct args a = { .fmt = F_TRACE, .table = -1 };
	int ret;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	if (a.fmt == F_TRACE && a.table >= 0) {
		pr_err("--table is for csv and jsonl; a trace holds every table");
		return 2;
	}
	ret = a.fmt == F_TRACE ? export_trace(&a) : export_rows(&a);
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("cannot write the output: %s", strerror(errno));
		return 1;
	}
	return ret == -E2BIG ? 2 : ret ? 1 : 0;
}
