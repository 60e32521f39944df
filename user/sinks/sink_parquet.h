/* SPDX-License-Identifier: MIT */
/*
 * sink_parquet.h - the recording sink: rows to DIR/<table>-NNNN.parquet.
 *
 * One writer per table (metrics, spans, logs).  Rows are buffered and
 * flushed as a row group at least every flush interval; after each flush the
 * file on disk is valid Parquet.  A file is finished (fsynced, directory
 * fsynced) when it passes the size or row-group limit, and the next rows go
 * to the next number.  Files are created at the first flush that has rows, so
 * a table with no rows leaves no file.
 *
 * Every row also gets the context of its process (ppid, rank, local_rank,
 * world_size) and of the recording (host, run).  Partitioned, each rank has
 * its own directory of files, created at its first row.
 */
#ifndef MLPROBE_SINK_PARQUET_H
#define MLPROBE_SINK_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "consume/rows.h"

struct pqsink_opts {
	size_t sz;			/* sizeof(struct pqsink_opts) */
	const char *dir;		/* must exist */
	uint64_t flush_interval_ns;	/* 0: 1 s */
	uint64_t file_bytes;		/* rotate above; 0: 256 MiB */
	int max_row_groups;		/* rotate after this many flushes
					 * of a file (merged or not); 0: 256 */
	uint64_t pending_max;		/* memory per table for rows the disk
					 * has not taken; 0: 32 MiB */
	const char *created_by;
	int gzip_level;			/* 0: writer default */
	const char *host, *run;		/* context columns (copied) */
	bool partition;			/* Hive layout: files go to
					 * dir/run=R/host=H/rank=N/ (run and
					 * host made path-safe by the caller) */
	/* Called with the path of each file once it is finished (closed,
	 * fsynced, directory fsynced), e.g. to queue it for upload. */
	void (*file_done)(void *ctx, const char *path);
	void *file_done_ctx;
};

struct pqsink_file {
	char path[4096];
	uint64_t rows;
	uint64_t bytes;
};

struct pqsink;

int pqsink__new(const struct pqsink_opts *opts, struct pqsink **out);
/* The sink interface for the engine; ctx is the pqsink. */
struct sink pqsink__sink(struct pqsink *p);
/* Flushes every table now (also done by tick and finish). */
int pqsink__flush(struct pqsink *p);
/* Flushes and finishes every file (the sink's finish; once: a later call
 * returns 0).  0 or the first -errno; the files on disk stay valid. */
int pqsink__finish(struct pqsink *p);
/* Files written so far (finished or current), in creation order. */
int pqsink__nfiles(const struct pqsink *p);
const struct pqsink_file *pqsink__file(const struct pqsink *p, int i);
/* Rows written to disk per table (flushed), and rows lost to I/O errors
 * (dropped while the disk failed and memory was at its bound, or still
 * unwritten at finish).  After finish, rows + dropped = rows received. */
uint64_t pqsink__rows(const struct pqsink *p, enum row_table t);
uint64_t pqsink__dropped(const struct pqsink *p, enum row_table t);
void pqsink__free(struct pqsink *p);

#endif
