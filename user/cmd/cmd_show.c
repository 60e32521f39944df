// SPDX-License-Identifier: MIT
/*
 * cmd_show.c - `mlprobe show`: print a recording's tables with our own
 * Parquet reader, as an 80-column table, CSV or JSON lines.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmds.h"
#include "common/log.h"
#include "analysis/tabout.h"
#include "store/recfiles.h"

static const char doc[] =
	"Print what a recording holds.\n"
	"\n"
	"Prints the metrics, spans, logs and alerts tables of a recording (flat\n"
	"or --partition), or the given Parquet files.  The table format shows the\n"
	"first rows of each table and times of day in UTC; csv and jsonl print\n"
	"every row with full UTC timestamps (ISO 8601, nanoseconds).\n"
	"\n"
	"Exit status: 0; 1 when a file cannot be read or no recording is there;\n"
	"2 for bad arguments.\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe show runs/exp1\n"
	"  mlprobe show runs/exp1 --table metrics --format csv > loss.csv\n"
	"  mlprobe show runs/exp1 --format jsonl | jq .\n";

static const struct argp_option opts[] = {
	{ "table", 't', "NAME", 0, "Only this table: metrics, spans, logs or "
				   "alerts", 0 },
	{ "format", 'f', "FMT", 0, "table (default), csv or jsonl", 0 },
	{ "limit", 'n', "N", 0, "Rows per table (table format default 20; "
				"0 = all)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

struct args {
	int table;		/* enum rec_table, -1: all */
	enum tabout_fmt fmt;
	long limit;
	bool limit_set;
	char **paths;
	int npaths;
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	char *end;

	switch (key) {
	case 't':
		a->table = recfiles__table(arg);
		if (a->table < 0)
			argp_failure(st, 2, 0, "unknown table '%s' (metrics, spans, "
				     "logs, alerts)", arg);
		break;
	case 'f':
		if (!strcmp(arg, "table"))
			a->fmt = TABOUT_TABLE;
		else if (!strcmp(arg, "csv"))
			a->fmt = TABOUT_CSV;
		else if (!strcmp(arg, "jsonl"))
			a->fmt = TABOUT_JSONL;
		else
			argp_failure(st, 2, 0, "unknown format '%s' (table, csv, jsonl)", arg);
		break;
	case 'n':
		errno = 0;
		a->limit = strtol(arg, &end, 10);
		if (errno || *end || a->limit < 0)
			argp_failure(st, 2, 0, "invalid row limit '%s'", arg);
		a->limit_set = true;
		break;
	case 'v':
		mp_verbosity++;
		break;
	case ARGP_KEY_ARGS:
		a->paths = st->argv + st->next;
		a->npaths = st->argc - st->next;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_failure(st, 2, 0, "give a recording directory or Parquet files");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int show_table(const struct args *a, const char *dir, int t,
		      bool multi, bool *any)
{
	char title[64];
	struct tabout o = { .fmt = a->fmt, .limit = a->limit,
			    .table = recfiles__table_name(t), .multi = multi,
			    .title = title };
	glob_t g;
	size_t n;
	int ret = 0;

	if (!(n = recfiles__glob(dir, t, &g)))
		return 0;
	snprintf(title, sizeof(title), "%s== %s ==", *any ? "\n" : "",
		 o.table);
	*any = true;
	for (size_t i = 0; i < n && !ret; i++)
		ret = tabout__file(&o, g.gl_pathv[i]);
	if (a->fmt == TABOUT_TABLE && !ret)
		printf("(%lld row%s in %zu file%s%s)\n", (long long)o.total,
		       o.total == 1 ? "" : "s",
		       n, n == 1 ? "" : "s",
		       o.printed < o.total ? "; --limit 0 shows all" : "");
	globfree(&g);
	return ret;
}

int cmd_show(int argc, char **argv)
{
	struct argp argp = { opts, parse_opt, "RUN_DIR|FILE.parquet...", doc, 0, 0,
			     0 };
	struct args a = { .table = -1 };
	int ret = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	if (!a.limit_set)
		a.limit = a.fmt == TABOUT_TABLE ? 20 : 0;

	for (int i = 0; i < a.npaths && !ret; i++) {
		const char *p = a.paths[i];
		struct stat st;
		bool any = false;

		if (stat(p, &st)) {
			pr_err("%s: %s", p, strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			struct tabout o = { .fmt = a.fmt, .limit = a.limit,
					    .table = "file" };

			ret = tabout__file(&o, p);
			continue;
		}
		if (a.fmt == TABOUT_CSV && a.table < 0) {
			pr_err("csv holds one table: add --table metrics, spans, "
			       "logs or alerts");
			return 2;
		}
		for (int t = 0; t < REC_NTABLES && !ret; t++)
			if (a.table < 0 || a.table == t)
				ret = show_table(&a, p, t, a.table < 0, &any);
		if (!ret && !any && recfiles__has_run(p)) {
			/* A recording that flushed no row: nothing to show. */
			if (a.fmt == TABOUT_TABLE)
				printf("(no %s%srows in %s: nothing was recorded)\n",
				       a.table < 0 ? "" : recfiles__table_name(a.table),
				       a.table < 0 ? "" : " ", p);
		} else if (!ret && !any) {
			pr_err("%s: no %s%sParquet files here (is it an mlprobe "
			       "recording?)", p,
			       a.table < 0 ? "" : recfiles__table_name(a.table),
			       a.table < 0 ? "" : " ");
			return 1;
		}
	}
	return ret ? 1 : 0;
}
