// SPDX-License-Identifier: MIT
/* sink_parquet.c - rows to rotating Parquet files, one series per table. */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/fsutil.h"
#include "common/log.h"
#include "parquet/pq_writer.h"
#include "sink_parquet.h"
#include "store/tables.h"

/* The row tables are the first tables of a recording, in the same order. */
_Static_assert(ROW_METRICS == (int)TABLE_METRICS && ROW_SPANS == (int)TABLE_SPANS &&
	       ROW_LOGS == (int)TABLE_LOGS, "rows.h and tables.h agree");

static const char *table_name(enum row_table ti)
{
	return tables_def((enum table_id)ti)->name;
}

struct table {
	struct pq_writer *w;
	int seq;		/* number of the current file */
	int file_idx;		/* index in files[], -1 until created */
	int flushes;		/* into the current file */
	uint64_t rows_flushed;
	uint64_t dropped;	/* rows lost to I/O errors */
	int err;		/* last flush error, 0 when healthy */
	int reported;		/* last error printed */
	bool resumed;		/* "writing again" printed */
	uint64_t retry_ns;	/* after an error: not before this tick */
	uint64_t backoff_ns;
};

/* One directory of files: the whole recording, or one rank of it. */
struct part {
	char dir[4096];
	int32_t rank;
	bool dead;		/* its directory could not be made */
	struct table t[ROW_TABLES];
};

struct pqsink {
	struct pqsink_opts o;
	char dir[4096], host[256], run[256];
	size_t host_len, run_len;
	struct pq_column cols[ROW_TABLES][TABLE_MAX_COLS];
	int ncols[ROW_TABLES];
	int ctx_idx[ROW_TABLES][X_MAX];	/* column of each context field; -1:
					 * none */
	struct part **parts;
	int nparts;
	struct part *last;
	uint64_t last_flush_ns;
	struct pqsink_file *files;
	int nfiles, capfiles;
	uint64_t lost_nopart[ROW_TABLES];
	bool finished;
};

/* Each flush leaves its footer behind as dead bytes.  The writer rewrites
 * a file whose dead bytes pass half its live bytes; one it cannot rewrite
 * (a row group too long to re-encode, a failed rewrite) is finished when
 * they pass its live bytes, so no file is more than twice what it holds
 * (user/parquet/README.md, "Dead bytes"). */
#define PQ_DEAD_PCT 50

static int open_table(struct pqsink *p, struct part *pt, enum row_table ti)
{
	struct pq_writer_opts wo = {
		.sz = sizeof(wo),
		.created_by = p->o.created_by,
		.gzip_level = p->o.gzip_level,
		.max_dead_pct = PQ_DEAD_PCT,
	};
	struct table *t = &pt->t[ti];
	char path[4096];

	if (snprintf(path, sizeof(path), "%.4000s/%s-%04d.parquet", pt->dir,
		     table_name(ti), t->seq) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	t->w = pq_writer__new(path, p->cols[ti], p->ncols[ti], &wo);
	if (!t->w)
		return -errno;
	t->file_idx = -1;
	t->flushes = 0;
	return 0;
}

static int note_file(struct pqsink *p, struct part *pt, struct table *t,
		     enum row_table ti)
{
	struct pqsink_file *f;

	if (t->file_idx < 0) {
		if (p->nfiles == p->capfiles) {
			int cap = p->capfiles ? p->capfiles * 2 : 16;

			f = realloc(p->files, cap * sizeof(*f));
			if (!f)
				return -ENOMEM;
			p->files = f;
			p->capfiles = cap;
		}
		t->file_idx = p->nfiles++;
		f = &p->files[t->file_idx];
		snprintf(f->path, sizeof(f->path), "%.4000s/%s-%04d.parquet", pt->dir,
			 table_name(ti), t->seq);
		/* The file was just created: make its name durable. */
		fsync_dir(pt->dir);
	}
	f = &p->files[t->file_idx];
	f->rows = pq_writer__rows_written(t->w);
	f->bytes = pq_writer__file_bytes(t->w);
	return 0;
}

/* Finishes the current file of a table; the next row opens the next one. */
static int finish_table(struct pqsink *p, struct part *pt, struct table *t)
{
	int ret;

	if (!t->w)
		return 0;
	ret = pq_writer__close(t->w);
	t->w = NULL;
	if (t->file_idx >= 0) {
		int r2 = fsync_dir(pt->dir);

		if (!ret)
			ret = r2;
		/* Even after an error the file on disk is valid (each flush
		 * leaves it so), just without the rows that failed. */
		if (p->o.file_done)
			p->o.file_done(p->o.file_done_ctx,
				       p->files[t->file_idx].path);
		t->seq++;
	}
	return ret;
}

/* Bounds memory: past pending_max (compressed pages, dictionaries and one
 * raw page per column), a healthy table flushes early, and a table whose
 * writes fail drops new rows (counted) until a retry works. */
#define PENDING_BYTES_MAX (32ull << 20)
#define BACKOFF_MIN_NS 100000000ull	/* 0.1 s, doubling to ... */
#define BACKOFF_MAX_NS 5000000000ull	/* ... 5 s */

static int flush_table(struct pqsink *p, struct part *pt, enum row_table ti,
		       uint64_t now)
{
	struct table *t = &pt->t[ti];
	uint64_t bytes, dead;
	size_t pending;
	int ret;

	if (!t->w || !(pending = pq_writer__pending_rows(t->w)))
		return 0;
	ret = pq_writer__flush(t->w);
	if (ret) {
		unsigned long long mib = p->o.pending_max >> 20,
				   kib = p->o.pending_max >> 10;

		/* One line per kind of error and table, not one per retry,
		 * even when writes flap between failing and working. */
		if (ret != t->reported)
			pr_err("cannot write %s/%s-%04d.parquet: %s; keeping up to "
			       "%llu %s of rows in memory and retrying (free space "
			       "or fix the error)", pt->dir, table_name(ti), t->seq,
			       strerror(-ret), mib ? mib : kib, mib ? "MiB" : "KiB");
		t->err = t->reported = ret;
		t->backoff_ns = t->backoff_ns ? t->backoff_ns * 2 : BACKOFF_MIN_NS;
		if (t->backoff_ns > BACKOFF_MAX_NS)
			t->backoff_ns = BACKOFF_MAX_NS;
		t->retry_ns = now + t->backoff_ns;
		return ret;
	}
	if (t->err && !t->resumed) {
		pr_err("writing %s again after the error", table_name(ti));
		t->resumed = true;
	}
	t->err = 0;
	t->backoff_ns = 0;
	t->rows_flushed += pending;
	t->flushes++;
	ret = note_file(p, pt, t, ti);
	if (ret)
		return ret;
	bytes = pq_writer__file_bytes(t->w);
	dead = pq_writer__dead_bytes(t->w);
	/* A file is finished after max_row_groups flushes even when they
	 * were merged into fewer row groups: a slow table's files still
	 * finish (and go to the upload spool) every few minutes. */
	if (bytes >= p->o.file_bytes || dead > bytes - dead ||
	    t->flushes >= p->o.max_row_groups)
		ret = finish_table(p, pt, t);
	return ret;
}

int pqsink__flush(struct pqsink *p)
{
	int ret = 0;

	for (int k = 0; k < p->nparts; k++)
		for (int i = 0; i < ROW_TABLES; i++) {
			int r = flush_table(p, p->parts[k], i, 0);

			if (r && !ret)
				ret = r;
		}
	return ret;
}

static struct part *add_part(struct pqsink *p, int32_t rank)
{
	struct part *pt, **np;

	np = realloc(p->parts, (p->nparts + 1) * sizeof(*np));
	if (!np)
		return NULL;
	p->parts = np;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return NULL;
	pt->rank = rank;
	if (!p->o.partition)
		snprintf(pt->dir, sizeof(pt->dir), "%s", p->dir);
	else if (snprintf(pt->dir, sizeof(pt->dir), "%.3000s/run=%.250s/host=%.250s/rank=%d",
			  p->dir, p->run, p->host, rank) >= (int)sizeof(pt->dir) ||
		 mkdirs(pt->dir)) {
		/* Once per rank: its rows are counted as lost. */
		pr_err("cannot create %s: %s", pt->dir, strerror(errno));
		pt->dead = true;
	}
	p->parts[p->nparts++] = pt;
	return pt;
}

/* The directory a row goes to: the one of its rank when partitioned. */
static struct part *part_of(struct pqsink *p, const struct row_proc *proc)
{
	int32_t rank = p->o.partition ? proc->rank : 0;

	if (p->last && p->last->rank == rank)
		return p->last;
	for (int i = 0; i < p->nparts; i++)
		if (p->parts[i]->rank == rank)
			return p->last = p->parts[i];
	return p->last = add_part(p, rank);
}

/* The writer for a new row, or NULL (errno set) when the row cannot be
 * kept: it is then counted as dropped. */
static struct pq_writer *writer(struct pqsink *p, struct part *pt,
				 enum row_table ti)
{
	struct table *t;

	if (!pt || pt->dead) {
		/* No directory for this rank: the row cannot be kept. */
		p->lost_nopart[ti]++;
		errno = pt ? EIO : ENOMEM;
		return NULL;
	}
	t = &pt->t[ti];
	if (!t->w && open_table(p, pt, ti)) {
		t->dropped++;
		return NULL;
	}
	if (t->err && pq_writer__pending_bytes(t->w) > p->o.pending_max) {
		t->dropped++;
		errno = -t->err;
		return NULL;
	}
	return t->w;
}

static int row_done(struct pqsink *p, struct part *pt, enum row_table ti,
		    struct pq_writer *w, const struct row_proc *proc)
{
	const int *x = p->ctx_idx[ti];
	int ret;

	if (proc->ppid >= 0)
		pq_writer__set_i32(w, x[X_PPID], proc->ppid);
	if (x[X_RANK] >= 0 && proc->rank >= 0)
		pq_writer__set_i32(w, x[X_RANK], proc->rank);
	if (proc->local_rank >= 0)
		pq_writer__set_i32(w, x[X_LOCAL_RANK], proc->local_rank);
	if (proc->world_size >= 0)
		pq_writer__set_i32(w, x[X_WORLD_SIZE], proc->world_size);
	if (x[X_HOST] >= 0)
		pq_writer__set_str(w, x[X_HOST], p->host, p->host_len);
	if (x[X_RUN] >= 0)
		pq_writer__set_str(w, x[X_RUN], p->run, p->run_len);
	ret = pq_writer__end_row(w);
	/* A failing table is retried on ticks only, never per row.  The
	 * bound is checked every 1024 rows: a row is far below 32 KiB. */
	if (!ret && !pt->t[ti].err && !(pq_writer__pending_rows(w) & 1023) &&
	    pq_writer__pending_bytes(w) > p->o.pending_max)
		ret = flush_table(p, pt, ti, 0);
	return ret;
}

static void set_common(struct pq_writer *w, int64_t ts, uint32_t pid,
		       uint32_t tid)
{
	/* ts, pid, tid lead every row table */
	pq_writer__set_i64(w, MC_TS, ts);
	pq_writer__set_i32(w, MC_PID, (int32_t)pid);
	pq_writer__set_i32(w, MC_TID, (int32_t)tid);
}

static int on_metric(void *ctx, const struct row_metric *r)
{
	struct pqsink *p = ctx;
	struct part *pt = part_of(p, r->proc);
	struct pq_writer *w = writer(p, pt, ROW_METRICS);

	if (!w)
		return -errno;
	set_common(w, r->ts, r->pid, r->tid);
	pq_writer__set_i64(w, MC_STEP, r->step);
	pq_writer__set_str(w, MC_NAME, r->name, r->name_len);
	pq_writer__set_double(w, MC_VALUE, r->value);
	return row_done(p, pt, ROW_METRICS, w, r->proc);
}

static int on_span(void *ctx, const struct row_span *r)
{
	struct pqsink *p = ctx;
	struct part *pt = part_of(p, r->proc);
	struct pq_writer *w = writer(p, pt, ROW_SPANS);

	if (!w)
		return -errno;
	set_common(w, r->ts, r->pid, r->tid);
	pq_writer__set_i64(w, SC_DUR, r->dur_ns);
	pq_writer__set_str(w, SC_NAME, r->name, r->name_len);
	if (r->has_step)
		pq_writer__set_i64(w, SC_STEP, r->step);
	pq_writer__set_i32(w, SC_DEPTH, (int32_t)r->depth);
	pq_writer__set_i64(w, SC_CPU, r->cpu_ns);
	pq_writer__set_i64(w, SC_RUNQ, r->runq_ns);
	pq_writer__set_i64(w, SC_IO, r->io_ns);
	pq_writer__set_i64(w, SC_WAIT, r->wait_ns);
	pq_writer__set_i64(w, SC_MINFLT, r->minflt);
	pq_writer__set_i64(w, SC_MAJFLT, r->majflt);
	return row_done(p, pt, ROW_SPANS, w, r->proc);
}

static int on_log(void *ctx, const struct row_log *r)
{
	struct pqsink *p = ctx;
	struct part *pt = part_of(p, r->proc);
	struct pq_writer *w = writer(p, pt, ROW_LOGS);
	const char *lv = row_level_name(r->level);

	if (!w)
		return -errno;
	set_common(w, r->ts, r->pid, r->tid);
	pq_writer__set_str(w, LC_LEVEL, lv, strlen(lv));
	pq_writer__set_str(w, LC_MSG, r->msg, r->msg_len);
	if (r->has_step)
		pq_writer__set_i64(w, LC_STEP, r->step);
	return row_done(p, pt, ROW_LOGS, w, r->proc);
}

static int on_tick(void *ctx, uint64_t now)
{
	struct pqsink *p = ctx;
	bool due;
	int ret = 0;

	if (!p->last_flush_ns)
		p->last_flush_ns = now;
	due = now - p->last_flush_ns >= p->o.flush_interval_ns;
	if (due)
		p->last_flush_ns = now;
	for (int k = 0; k < p->nparts; k++)
		for (int i = 0; i < ROW_TABLES; i++) {
			struct table *t = &p->parts[k]->t[i];
			int r;

			if (t->err ? now < t->retry_ns : !due)
				continue;
			r = flush_table(p, p->parts[k], i, now);
			if (r && !ret)
				ret = r;
		}
	return ret;
}

int pqsink__finish(struct pqsink *p)
{
	int ret;

	if (p->finished)
		return 0;
	p->finished = true;
	ret = pqsink__flush(p);

	for (int k = 0; k < p->nparts; k++)
		for (int i = 0; i < ROW_TABLES; i++) {
			struct table *t = &p->parts[k]->t[i];
			int r;

			/* Rows that could not be written even now are lost, and
			 * must stay lost: close must not write them if space
			 * came back meanwhile (on disk but counted lost). */
			if (t->w) {
				t->dropped += pq_writer__pending_rows(t->w);
				pq_writer__discard(t->w);
			}
			r = finish_table(p, p->parts[k], t);
			if (r && !ret)
				ret = r;
		}
	return ret;
}

static int on_finish(void *ctx)
{
	return pqsink__finish(ctx);
}


int pqsink__new(const struct pqsink_opts *opts, struct pqsink **out)
{
	struct pqsink *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->o = *opts;
	if (snprintf(p->dir, sizeof(p->dir), "%s", opts->dir) >= (int)sizeof(p->dir)) {
		free(p);
		return -ENAMETOOLONG;
	}
	p->o.dir = p->dir;
	if (!p->o.flush_interval_ns)
		p->o.flush_interval_ns = 1000000000ull;
	if (!p->o.file_bytes)
		p->o.file_bytes = 256ull << 20;
	if (!p->o.max_row_groups)
		p->o.max_row_groups = 256;
	if (!p->o.pending_max)
		p->o.pending_max = PENDING_BYTES_MAX;
	snprintf(p->host, sizeof(p->host), "%s", opts->host ? opts->host : "");
	snprintf(p->run, sizeof(p->run), "%s", opts->run ? opts->run : "");
	p->o.host = p->host;
	p->o.run = p->run;
	p->host_len = strlen(p->host);
	p->run_len = strlen(p->run);
	for (int i = 0; i < ROW_TABLES; i++)
		p->ncols[i] = tables_schema((enum table_id)i, p->o.partition,
					    p->cols[i], p->ctx_idx[i]);
	/* The flat layout has its one directory from the start. */
	if (!p->o.partition && !add_part(p, 0)) {
		pqsink__free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

struct sink pqsink__sink(struct pqsink *p)
{
	return (struct sink){
		.name = "parquet",
		.ctx = p,
		.metric = on_metric,
		.span = on_span,
		.log = on_log,
		.tick = on_tick,
		.finish = on_finish,
	};
}

int pqsink__nfiles(const struct pqsink *p)
{
	return p->nfiles;
}

const struct pqsink_file *pqsink__file(const struct pqsink *p, int i)
{
	return i >= 0 && i < p->nfiles ? &p->files[i] : NULL;
}

uint64_t pqsink__rows(const struct pqsink *p, enum row_table t)
{
	uint64_t n = 0;

	for (int k = 0; k < p->nparts; k++)
		n += p->parts[k]->t[t].rows_flushed;
	return n;
}

uint64_t pqsink__dropped(const struct pqsink *p, enum row_table t)
{
	uint64_t n = p->lost_nopart[t];

	for (int k = 0; k < p->nparts; k++)
		n += p->parts[k]->t[t].dropped;
	return n;
}

void pqsink__free(struct pqsink *p)
{
	if (!p)
		return;
	for (int k = 0; k < p->nparts; k++) {
		for (int i = 0; i < ROW_TABLES; i++)
			pq_writer__close(p->parts[k]->t[i].w);
		free(p->parts[k]);
	}
	free(p->parts);
	free(p->files);
	free(p);
}
