// SPDX-License-Identifier: MIT
/*
 * cmd_show.c - `mlprobe show`: print a recording's tables with our own
 * Parquet reader, as an 80-column table, CSV or JSON lines.
 */
#include <argp.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "cmds.h"
#include "json.h"
#include "log.h"
#include "pq_reader.h"

static const char doc[] =
	"Print what a recording holds.\n"
	"\n"
	"USAGE: mlprobe show [OPTIONS] RUN_DIR|FILE.parquet...\n"
	"\n"
	"Prints the metrics, spans and logs tables of a recording (or the given\n"
	"Parquet files).  The table format shows the first rows of each table and\n"
	"times of day in UTC; csv and jsonl print every row with full UTC\n"
	"timestamps (ISO 8601, nanoseconds).\n"
	"\n"
	"EXAMPLES:\n"
	"  mlprobe show runs/exp1\n"
	"  mlprobe show runs/exp1 --table metrics --format csv > loss.csv\n"
	"  mlprobe show runs/exp1 --format jsonl | jq .\n";

static const struct argp_option opts[] = {
	{ "table", 't', "NAME", 0, "Only this table: metrics, spans or logs", 0 },
	{ "format", 'f', "FMT", 0, "table (default), csv or jsonl", 0 },
	{ "limit", 'n', "N", 0, "Rows per table (table format default 20; "
				"0 = all)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages", 0 },
	{},
};

enum fmt { F_TABLE, F_CSV, F_JSONL };

struct args {
	const char *table;
	enum fmt fmt;
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
		if (strcmp(arg, "metrics") && strcmp(arg, "spans") &&
		    strcmp(arg, "logs"))
			argp_failure(st, 2, 0, "unknown table '%s' (metrics, spans, logs)", arg);
		a->table = arg;
		break;
	case 'f':
		if (!strcmp(arg, "table"))
			a->fmt = F_TABLE;
		else if (!strcmp(arg, "csv"))
			a->fmt = F_CSV;
		else if (!strcmp(arg, "jsonl"))
			a->fmt = F_JSONL;
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

/* Output state for one table across its files. */
struct out {
	const struct args *a;
	const char *table;
	long printed;
	int64_t total;
	bool header_done;
	bool multi;		/* jsonl: tag rows with their table */
};

static void fmt_ts(char *buf, size_t len, int64_t ns, bool full)
{
	time_t s = (time_t)(ns / 1000000000);
	long sub = (long)(ns % 1000000000);
	struct tm tm;

	if (sub < 0) {
		sub += 1000000000;
		s--;
	}
	gmtime_r(&s, &tm);
	if (full)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, sub);
	else
		snprintf(buf, len, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min,
			 tm.tm_sec, sub / 1000);
}

static int col_width(const struct pq_reader_column *c)
{
	switch (c->type) {
	case PQ_TIMESTAMP_NS: return 15;
	case PQ_STRING:
		if (!strcmp(c->name, "level"))
			return 5;
		return strcmp(c->name, "message") ? 12 : 30;
	case PQ_DOUBLE: return 11;
	case PQ_INT64: return strcmp(c->name, "duration_ns") ? 6 : 11;
	default: return 7;
	}
}

static void csv_str(const char *s, size_t n)
{
	bool q = strpbrk(s, ",\"\n\r") != NULL;

	if (!q) {
		fwrite(s, 1, n, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

/* Prints at most `room` display columns of a UTF-8 string, padded. */
static void table_str(const char *s, int room)
{
	int cols = 0;
	const char *p = s;

	while (*p && cols < room) {
		int k = 1;

		if ((unsigned char)*p >= 0xf0)
			k = 4;
		else if ((unsigned char)*p >= 0xe0)
			k = 3;
		else if ((unsigned char)*p >= 0xc0)
			k = 2;
		if (cols == room - 1 && p[k]) {
			fputs("\xe2\x80\xa6", stdout);	/* … */
			cols++;
			break;
		}
		fwrite(p, 1, k, stdout);
		p += k;
		cols++;
	}
	printf("%*s", room - cols, "");
}

static void print_cell(const struct out *o, const struct pq_reader_column *c,
		       const struct pq_values *v, size_t i)
{
	char buf[64];
	int w = col_width(c);

	if (v->isnull && v->isnull[i]) {
		if (o->a->fmt == F_JSONL)
			fputs("null", stdout);
		else if (o->a->fmt == F_TABLE)
			printf("%*s", w, "-");
		return;
	}
	switch (c->type) {
	case PQ_TIMESTAMP_NS:
		fmt_ts(buf, sizeof(buf), v->i64[i], o->a->fmt != F_TABLE);
		if (o->a->fmt == F_JSONL)
			printf("\"%s\"", buf);
		else if (o->a->fmt == F_TABLE)
			printf("%-*s", w, buf);
		else
			fputs(buf, stdout);
		break;
	case PQ_DOUBLE:
		if (o->a->fmt == F_JSONL)
			json_double(stdout, v->f64[i]);
		else if (o->a->fmt == F_CSV)
			printf("%.17g", v->f64[i]);
		else
			printf("%*.6g", w, v->f64[i]);
		break;
	case PQ_STRING:
		if (o->a->fmt == F_JSONL)
			json_str(stdout, v->str[i], v->str_len[i]);
		else if (o->a->fmt == F_CSV)
			csv_str(v->str[i], v->str_len[i]);
		else
			table_str(v->str[i], w);
		break;
	case PQ_BOOL:
		fputs(v->i64[i] ? "true" : "false", stdout);
		break;
	default:
		if (o->a->fmt == F_TABLE)
			printf("%*lld", w, (long long)v->i64[i]);
		else
			printf("%lld", (long long)v->i64[i]);
	}
}

/* The table view leaves out the context columns (the same on most rows);
 * csv and jsonl have every column. */
static bool hidden(const struct out *o, const struct pq_reader_column *c)
{
	static const char *const ctx[] = { "ppid", "rank", "local_rank",
					   "world_size", "host", "run" };

	if (o->a->fmt != F_TABLE)
		return false;
	for (size_t i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++)
		if (!strcmp(c->name, ctx[i]))
			return true;
	return false;
}

static void print_header(struct out *o, const struct pq_reader *r)
{
	int n = pq_reader__ncols(r);

	if (o->header_done || o->a->fmt == F_JSONL)
		return;
	o->header_done = true;
	for (int c = 0; c < n; c++) {
		const struct pq_reader_column *col = pq_reader__col(r, c);

		if (hidden(o, col))
			continue;
		if (o->a->fmt == F_CSV)
			printf("%s%s", c ? "," : "", col->name);
		else if (col->type == PQ_STRING || col->type == PQ_TIMESTAMP_NS)
			printf("%s%-*s", c ? " " : "", col_width(col), col->name);
		else
			printf("%s%*.*s", c ? " " : "", col_width(col),
			       col_width(col), col->name);
	}
	putchar('\n');
}

static int show_file(struct out *o, const char *path)
{
	struct pq_values *vals = NULL;
	char err[256];
	struct pq_reader *r = pq_reader__open(path, err, sizeof(err));
	int ret = 0, ncols;

	if (!r) {
		pr_err("%s: %s", path, err);
		return -EINVAL;
	}
	ncols = pq_reader__ncols(r);
	o->total += pq_reader__nrows(r);
	vals = calloc(ncols, sizeof(*vals));
	if (!vals) {
		ret = -ENOMEM;
		goto out;
	}
	print_header(o, r);
	for (int g = 0; g < pq_reader__nrowgroups(r); g++) {
		size_t n = 0;

		if (o->a->limit && o->printed >= o->a->limit)
			break;
		for (int c = 0; c < ncols; c++) {
			ret = pq_reader__read(r, g, c, &vals[c], err, sizeof(err));
			if (ret) {
				pr_err("%s: %s", path, err);
				goto out;
			}
			n = vals[c].n;
		}
		for (size_t i = 0; i < n; i++) {
			if (o->a->limit && o->printed >= o->a->limit)
				break;
			if (o->a->fmt == F_JSONL) {
				putchar('{');
				if (o->multi)
					printf("\"table\":\"%s\",", o->table);
			}
			for (int c = 0; c < ncols; c++) {
				const struct pq_reader_column *col = pq_reader__col(r, c);

				if (hidden(o, col))
					continue;
				if (o->a->fmt == F_JSONL)
					printf("%s\"%s\":", c ? "," : "", col->name);
				else if (c)
					putchar(o->a->fmt == F_CSV ? ',' : ' ');
				print_cell(o, col, &vals[c], i);
			}
			puts(o->a->fmt == F_JSONL ? "}" : "");
			o->printed++;
		}
	}
out:
	free(vals);
	pq_reader__close(r);
	return ret;
}

static int show_table(const struct args *a, const char *dir, const char *table,
		      bool multi, bool *any)
{
	struct out o = { .a = a, .table = table, .multi = multi };
	char pat[PATH_MAX];
	glob_t g;
	int ret = 0;

	snprintf(pat, sizeof(pat), "%s/%s-*.parquet", dir, table);
	if (glob(pat, 0, NULL, &g))
		return 0;
	*any = true;
	if (a->fmt == F_TABLE)
		printf("%s== %s ==\n", multi && strcmp(table, "metrics") ? "\n" : "",
		       table);
	for (size_t i = 0; i < g.gl_pathc && !ret; i++)
		ret = show_file(&o, g.gl_pathv[i]);
	if (a->fmt == F_TABLE && !ret)
		printf("(%lld rows in %zu file%s%s)\n", (long long)o.total,
		       g.gl_pathc, g.gl_pathc == 1 ? "" : "s",
		       o.printed < o.total ? "; --limit 0 shows all" : "");
	globfree(&g);
	return ret;
}

int cmd_show(int argc, char **argv)
{
	static const char *const all[] = { "metrics", "spans", "logs" };
	struct argp argp = { opts, parse_opt, "RUN_DIR|FILE...", doc, 0, 0, 0 };
	struct args a = { 0 };
	int ret = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	if (!a.limit_set)
		a.limit = a.fmt == F_TABLE ? 20 : 0;

	for (int i = 0; i < a.npaths && !ret; i++) {
		const char *p = a.paths[i];
		struct stat st;
		bool any = false;

		if (stat(p, &st)) {
			pr_err("%s: %s", p, strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			struct out o = { .a = &a, .table = "file" };

			ret = show_file(&o, p);
			continue;
		}
		if (a.fmt == F_CSV && !a.table) {
			pr_err("csv holds one table: add --table metrics, spans or logs");
			return 2;
		}
		for (int t = 0; t < 3 && !ret; t++)
			if (!a.table || !strcmp(a.table, all[t]))
				ret = show_table(&a, p, all[t], !a.table, &any);
		if (!ret && !any) {
			pr_err("%s: no %s%sParquet files here (is it an mlprobe "
			       "recording?)", p, a.table ? a.table : "",
			       a.table ? " " : "");
			return 1;
		}
	}
	return ret ? 1 : 0;
}
