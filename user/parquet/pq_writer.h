/* SPDX-License-Identifier: MIT */
/*
 * pq_writer: a small Parquet writer for flat tables.  Columns go in, a file
 * comes out; it knows nothing of where the values come from.
 *
 * Crash safety: nothing exists on disk until the first flush, which creates
 * the file (O_EXCL) with "PAR1", one row group and a footer.  Every later
 * flush appends one row group after the previous footer and then a new
 * footer that lists every row group so far.  Bytes of an earlier valid state
 * are never overwritten, so after each flush returns the file is a complete
 * Parquet file, and a file cut anywhere still holds every earlier state as a
 * prefix.  With max_dead_pct, a flush may also replace the file by a
 * compacted copy (rename): the name then holds either the old or the new
 * file, both complete.  See README.md.
 *
 * Not thread-safe: one writer, one thread.
 */
#ifndef MLPROBE_PQ_WRITER_H
#define MLPROBE_PQ_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pq_type { PQ_BOOL, PQ_INT32, PQ_INT64, PQ_DOUBLE, PQ_STRING,
	       PQ_TIMESTAMP_NS };

/*
 * Per-column encoding.  DEFAULT: dictionary for strings, PLAIN otherwise.
 * DICT: strings only.  DELTA (DELTA_BINARY_PACKED): INT32, INT64 and
 * TIMESTAMP_NS.  BYTE_STREAM_SPLIT: DOUBLE only.  PLAIN: any type.
 */
enum pq_encoding { PQ_ENC_DEFAULT = 0, PQ_ENC_PLAIN, PQ_ENC_DICT,
		   PQ_ENC_DELTA, PQ_ENC_BYTE_STREAM_SPLIT };

struct pq_column {
	const char *name;
	enum pq_type type;
	bool nullable;
	enum pq_encoding encoding;
};

struct pq_writer_opts {
	size_t sz;		/* sizeof(struct pq_writer_opts), for growth */
	const char *created_by;	/* required */
	int gzip_level;		/* 0 = default (6); -1 = UNCOMPRESSED codec */
	size_t page_bytes;	/* 0 = default 1 MiB (uncompressed, approx.) */
	/*
	 * Bound on dead bytes (the footers earlier flushes left behind),
	 * in percent of the live bytes; 0 = none (append only).  When a
	 * flush passes it, the writer rewrites the file without them: the
	 * rows of its small row groups re-encoded into few large ones, one
	 * footer, written to a temp file that is renamed over the file.
	 * See README.md, "Dead bytes".
	 */
	int max_dead_pct;
};

struct pq_writer;

/*
 * Prepares a writer for path; nothing is created on disk until the first
 * flush, which fails with -EEXIST if path exists.  Copies cols, names and
 * opts.  Returns NULL and sets errno (EINVAL for a bad schema or option,
 * ENOMEM) on failure.
 */
struct pq_writer *pq_writer__new(const char *path, const struct pq_column *cols,
				 int ncols, const struct pq_writer_opts *opts);

/*
 * Row-wise append: call one setter per column, in any order, then end_row.
 * A setter returns -EINVAL for a bad column index, a type mismatch, or a
 * column already set in this row; -ERANGE for an INT32 value out of range;
 * -ENOMEM.  set_i64 accepts INT64, TIMESTAMP_NS (UTC ns) and INT32.
 */
int pq_writer__set_i64(struct pq_writer *w, int col, int64_t v);
int pq_writer__set_i32(struct pq_writer *w, int col, int32_t v);
int pq_writer__set_double(struct pq_writer *w, int col, double v);
int pq_writer__set_bool(struct pq_writer *w, int col, bool v);
/* Copies len bytes; the caller guarantees valid UTF-8 (not checked). */
int pq_writer__set_str(struct pq_writer *w, int col, const char *s, size_t len);
/*
 * Ends the row.  A column not set is NULL if nullable; if a required
 * column was not set, the whole row is discarded and -EINVAL returned.
 */
int pq_writer__end_row(struct pq_writer *w);

/* Rows buffered since the last successful flush. */
size_t pq_writer__pending_rows(const struct pq_writer *w);
/* Approximate memory held by the buffered rows. */
size_t pq_writer__pending_bytes(const struct pq_writer *w);

/*
 * Appends the buffered rows as one row group plus a new footer, written in
 * file order after the previous footer.  No buffered rows: does nothing.  Returns 0 or -errno
 * (-EBUSY between a setter and end_row); on a failed write the file is
 * truncated back to its previous valid length and the rows stay buffered
 * so a later flush can retry.  Does not fsync.
 */
int pq_writer__flush(struct pq_writer *w);

/* Drops the buffered rows (and a row in progress): the caller has counted
 * them as lost, so a later flush or close must not write them. */
void pq_writer__discard(struct pq_writer *w);

/* Length of the valid file on disk (0 before the first flush). */
uint64_t pq_writer__file_bytes(const struct pq_writer *w);
/* Rows in the file on disk. */
uint64_t pq_writer__rows_written(const struct pq_writer *w);
/* Bytes of the file on disk that its footer does not use (earlier
 * footers); the live bytes are file_bytes - dead_bytes. */
uint64_t pq_writer__dead_bytes(const struct pq_writer *w);
/* Row groups in the file on disk. */
int pq_writer__row_groups(const struct pq_writer *w);
/* Times the file was rewritten without its dead bytes. */
int pq_writer__compactions(const struct pq_writer *w);

/*
 * The Thrift FileMetaData (without length and magic) that describes the
 * rows on disk now: with no flush yet, a valid empty table of this schema.
 * For tools that repair files (pq_recover).  *buf is malloc'd, the caller
 * frees it.  0 or -errno.
 */
int pq_writer__footer(struct pq_writer *w, void **buf, size_t *len);

/*
 * Flushes, fsyncs and closes the file, and frees w (even on error).
 * Returns the first error as -errno.  The directory fsync is the caller's.
 * NULL is a no-op.  A writer that never got a row creates no file.
 */
int pq_writer__close(struct pq_writer *w);

#endif /* MLPROBE_PQ_WRITER_H */
