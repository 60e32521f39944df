// SPDX-License-Identifier: MIT
/*
 * tabout.c - rows of a Parquet file as text.  Column widths are chosen by
 * column name and type for mlprobe's tables; any flat file prints.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/json.h"
#include "common/log.h"
#include "parquet/pq_reader.h"
#include "common/termtext.h"
#include "tabout.h"

void tabout__fmt_ts(char *buf, size_t len, int64_t ns, bool full)
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

static int col_width(const struct tabout *o, const struct pq_reader_column *c)
{
	switch (c->type) {
	case PQ_TIMESTAMP_NS: return 15;
	case PQ_STRING:
		if (!strcmp(c->name, "level"))
			return 5;
		if (!strcmp(c->name, "rule"))
			return 16;
		if (!strcmp(c->name, "message"))
			return o->alerts ? 40 : 30;
		return 12;
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

/* Prints a string in `room` display columns, padded: control bytes
 * escaped, a cut marked with "…" (termtext). */
static void table_str(const char *s, size_t len, int room)
{
	char buf[termtext__max(64, 64)];

	termtext__fmt(buf, sizeof(buf), s, len, room, true);
	fputs(buf, stdout);
}

static void print_cell(const struct tabout *o, const struct pq_reader_column *c,
		       const struct pq_values *v, size_t i)
{
	char buf[64];
	int w = col_width(o, c);

	if (v->isnull && v->isnull[i]) {
		if (o->fmt == TABOUT_JSONL)
			fputs("null", stdout);
		else if (o->fmt == TABOUT_TABLE)
			printf("%*s", w, "-");
		return;
	}
	switch (c->type) {
	case PQ_TIMESTAMP_NS:
		tabout__fmt_ts(buf, sizeof(buf), v->i64[i], o->fmt != TABOUT_TABLE);
		if (o->fmt == TABOUT_JSONL)
			printf("\"%s\"", buf);
		else if (o->fmt == TABOUT_TABLE)
			printf("%-*s", w, buf);
		else
			fputs(buf, stdout);
		break;
	case PQ_DOUBLE:
		if (o->fmt == TABOUT_JSONL)
			json_double(stdout, v->f64[i]);
		else if (o->fmt == TABOUT_CSV)
			printf("%.17g", v->f64[i]);
		else
			printf("%*.6g", w, v->f64[i]);
		break;
	case PQ_STRING:
		if (o->fmt == TABOUT_JSONL)
			json_str(stdout, v->str[i], v->str_len[i]);
		else if (o->fmt == TABOUT_CSV)
			csv_str(v->str[i], v->str_len[i]);
		else
			table_str(v->str[i], v->str_len[i], w);
		break;
	case PQ_BOOL:
		fputs(v->i64[i] ? "true" : "false", stdout);
		break;
	default:
		if (o->fmt == TABOUT_TABLE)
			printf("%*lld", w, (long long)v->i64[i]);
		else
			printf("%lld", (long long)v->i64[i]);
	}
}

/* The table view leaves out the context columns (the same on most rows,
 * and last in every table), a span's time split and faults (`explain`
 * shows them), and in an alerts file what its message says (kind, name,
 * value, pid), so that a row fits in 80 columns; csv and jsonl have every
 * column. */
static bool hidden(const struct tabout *o, const struct pq_reader_column *c)
{
	static const char *const ctx[] = { "ppid", "rank", "local_rank",
					   "world_size", "host", "run", "cpu_ns",
					   "runq_ns", "io_ns", "wait_ns",
					   "minflt", "majflt" };
	static const char *const said[] = { "kind", "name", "value", "pid" };

	if (o->fmt != TABOUT_TABLE)
		return false;
	for (size_t i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++)
		if (!strcmp(c->name, ctx[i]))
			return true;
	for (size_t i = 0; o->alerts && i < sizeof(said) / sizeof(said[0]); i++)
		if (!strcmp(c->name, said[i]))
			return true;
	return false;
}

static void print_header(struct tabout *o, const struct pq_reader *r)
{
	int n = pq_reader__ncols(r);

	if (o->header_done || o->fmt == TABOUT_JSONL)
		return;
	o->header_done = true;
	if (o->title && o->fmt == TABOUT_TABLE)
		printf("%s\n", o->title);
	for (int c = 0; c < n; c++) {
		const struct pq_reader_column *col = pq_reader__col(r, c);

		if (hidden(o, col))
			continue;
		if (o->fmt == TABOUT_CSV)
			printf("%s%s", c ? "," : "", col->name);
		else if (col->type == PQ_STRING || col->type == PQ_TIMESTAMP_NS)
			printf("%s%-*s", c ? " " : "", col_width(o, col), col->name);
		else
			printf("%s%*.*s", c ? " " : "", col_width(o, col),
			       col_width(o, col), col->name);
	}
	putchar('\n');
}

int tabout__file(struct tabout *o, const char *path)
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
	/* an alerts file of ours (alert.c) */
	o->alerts = pq_reader__col_index(r, "rule") >= 0 &&
		    pq_reader__col_index(r, "message") >= 0;
	vals = calloc(ncols, sizeof(*vals));
	if (!vals) {
		ret = -ENOMEM;
		goto out;
	}
	if (!pq_reader__nrowgroups(r))
		print_header(o, r);
	for (int g = 0; g < pq_reader__nrowgroups(r); g++) {
		size_t n = 0;

		if (o->limit && o->printed >= o->limit)
			break;
		for (int c = 0; c < ncols; c++) {
			ret = pq_reader__read(r, g, c, &vals[c], err, sizeof(err));
			if (ret) {
				pr_err("%s: %s", path, err);
				goto out;
			}
			n = vals[c].n;
		}
		print_header(o, r);
		for (size_t i = 0; i < n; i++) {
			if (o->limit && o->printed >= o->limit)
				break;
			if (o->fmt == TABOUT_JSONL) {
				putchar('{');
				if (o->multi)
					printf("\"table\":\"%s\",", o->table);
			}
			for (int c = 0; c < ncols; c++) {
				const struct pq_reader_column *col = pq_reader__col(r, c);

				if (hidden(o, col))
					continue;
				if (o->fmt == TABOUT_JSONL)
					printf("%s\"%s\":", c ? "," : "", col->name);
				else if (c)
					putchar(o->fmt == TABOUT_CSV ? ',' : ' ');
				print_cell(o, col, &vals[c], i);
			}
			puts(o->fmt == TABOUT_JSONL ? "}" : "");
			o->printed++;
		}
	}
out:
	free(vals);
	pq_reader__close(r);
	return ret;
}
