// SPDX-License-Identifier: MIT
/* alert_file.c - the alerts table on disk (alert_file.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alert_file.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "parquet/pq_writer.h"
#include "store/tables.h"

#define MAX_ROW_GROUPS 256	/* flushes, then the next alerts-NNNN file */
#define PENDING_MAX 10000	/* alerts kept while the disk fails */

struct alert_file {
	const char *dir, *created_by;
	char host[256], run[256];
	struct pq_writer *w;
	int seq, flushes;
	struct alerts_file *files;
	int nfiles;
	bool file_noted, write_err;
	struct alerts_stats *st;
};

struct alert_file *alert_file__new(const char *dir, const char *created_by,
				   const char *host, const char *run,
				   struct alerts_stats *st)
{
	struct alert_file *af = calloc(1, sizeof(*af));

	if (!af)
		return NULL;
	af->dir = dir;
	af->created_by = created_by;
	snprintf(af->host, sizeof(af->host), "%s", host ? host : "");
	snprintf(af->run, sizeof(af->run), "%s", run ? run : "");
	af->st = st;
	return af;
}

void alert_file__append(struct alert_file *af, const struct alert_fire *f)
{
	struct pq_writer_opts wo = { .sz = sizeof(wo),
				     .created_by = af->created_by,
				     .gzip_level = 1, .max_dead_pct = 50 };
	const char *kind = rule_kind_name(f->rule->kind);
	struct pq_writer *w;

	if (!af->w) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/alerts-%04d.parquet", af->dir,
			 af->seq);
		af->w = pq_writer__new(path, tables_def(TABLE_ALERTS)->cols,
				       AC_N, &wo);
		af->file_noted = false;
		af->flushes = 0;
		if (!af->w) {
			af->st->lost++;
			return;
		}
	}
	w = af->w;
	pq_writer__set_i64(w, AC_TS, f->ts);
	pq_writer__set_str(w, AC_RULE, f->rule->text, strlen(f->rule->text));
	pq_writer__set_str(w, AC_KIND, kind, strlen(kind));
	if (f->name)
		pq_writer__set_str(w, AC_NAME, f->name, f->name_len);
	if (f->has_step)
		pq_writer__set_i64(w, AC_STEP, f->step);
	pq_writer__set_double(w, AC_VALUE, f->value);
	if (f->pid >= 0)
		pq_writer__set_i32(w, AC_PID, f->pid);
	if (f->rank >= 0)
		pq_writer__set_i32(w, AC_RANK, f->rank);
	pq_writer__set_str(w, AC_HOST, af->host, strlen(af->host));
	pq_writer__set_str(w, AC_RUN, af->run, strlen(af->run));
	pq_writer__set_str(w, AC_MESSAGE, f->msg, strlen(f->msg));
	if (pq_writer__end_row(w))
		af->st->lost++;
}

/* The file as it gets its first row group: listed, its name durable. */
static void note_file(struct alert_file *af)
{
	struct alerts_file *f = realloc(af->files, (af->nfiles + 1) * sizeof(*f));

	if (f) {
		af->files = f;
		f[af->nfiles].rows = 0;
		if (asprintf(&f[af->nfiles].path, "%s/alerts-%04d.parquet",
			     af->dir, af->seq) >= 0)
			af->nfiles++;
	}
	af->file_noted = true;
	fsync_dir(af->dir);
}

static int finish_file(struct alert_file *af)
{
	int ret;

	if (!af->w)
		return 0;
	af->st->lost += pq_writer__pending_rows(af->w);
	pq_writer__discard(af->w);
	ret = pq_writer__close(af->w);
	af->w = NULL;
	if (af->file_noted) {
		fsync_dir(af->dir);
		af->seq++;
	}
	return ret;
}

int alert_file__flush(struct alert_file *af)
{
	size_t n;
	int ret;

	if (!af->w || !(n = pq_writer__pending_rows(af->w)))
		return 0;
	ret = pq_writer__flush(af->w);
	if (ret) {
		if (!af->write_err)
			pr_err("cannot write %s/alerts-%04d.parquet: %s (alerts "
			       "still go to stderr)", af->dir, af->seq,
			       strerror(-ret));
		af->write_err = true;
		/* Alerts are few: past a bound they are dropped, counted. */
		if (pq_writer__pending_rows(af->w) > PENDING_MAX) {
			af->st->lost += pq_writer__pending_rows(af->w);
			pq_writer__discard(af->w);
		}
		return ret;
	}
	af->write_err = false;
	af->st->written += n;
	if (!af->file_noted)
		note_file(af);
	if (af->nfiles)
		af->files[af->nfiles - 1].rows += n;
	/* The writer keeps dead footers under half the live bytes; past
	 * all of them (it could not rewrite the file) the file is done. */
	if (++af->flushes >= MAX_ROW_GROUPS ||
	    2 * pq_writer__dead_bytes(af->w) > pq_writer__file_bytes(af->w))
		return finish_file(af);
	return 0;
}

int alert_file__close(struct alert_file *af)
{
	int ret = alert_file__flush(af), r2 = finish_file(af);

	return ret ? ret : r2;
}

int alert_file__nfiles(const struct alert_file *af)
{
	return af ? af->nfiles : 0;
}

const struct alerts_file *alert_file__file(const struct alert_file *af, int i)
{
	return af && i >= 0 && i < af->nfiles ? &af->files[i] : NULL;
}

void alert_file__free(struct alert_file *af)
{
	if (!af)
		return;
	pq_writer__close(af->w);
	for (int i = 0; i < af->nfiles; i++)
		free(af->files[i].path);
	free(af->files);
	free(af);
}
