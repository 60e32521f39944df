/* SPDX-License-Identifier: MIT */
/*
 * pq_reader: reads flat Parquet files: those pq_writer writes, and flat
 * files from other writers (DuckDB, Arrow) that use the UNCOMPRESSED or
 * GZIP codecs and the PLAIN, dictionary, RLE (booleans),
 * DELTA_BINARY_PACKED or BYTE_STREAM_SPLIT encodings, in v1 or v2 data
 * pages.  FLOAT reads as DOUBLE; TIMESTAMP in MILLIS/MICROS reads as
 * nanoseconds; other BYTE_ARRAY columns read as STRING.
 *
 * Input is untrusted: a malformed file gives a one-line reason, never a
 * crash, and allocations are bounded by the file size (plus a 256 MiB cap
 * per decompressed page).  Not thread-safe.
 */
#ifndef MLPROBE_PQ_READER_H
#define MLPROBE_PQ_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pq_writer.h"	/* enum pq_type */

struct pq_reader;

struct pq_reader_column {
	const char *name;
	enum pq_type type;
	bool nullable;
};

/*
 * Opens path and validates the footer and schema.  The file is read with
 * pread as needed, not mapped.  On failure returns NULL and writes a
 * one-line reason to err (e.g. "not a Parquet file (bad magic)",
 * "truncated footer", "corrupt metadata at byte N").
 */
struct pq_reader *pq_reader__open(const char *path, char *err, size_t errlen);
/* As pq_reader__open over a buffer that must outlive the reader. */
struct pq_reader *pq_reader__open_mem(const void *buf, size_t len, char *err,
				      size_t errlen);

int pq_reader__ncols(const struct pq_reader *r);
/* Column i (0-based) or NULL; strings are owned by the reader. */
const struct pq_reader_column *pq_reader__col(const struct pq_reader *r, int i);
/* Index of the column named name, or -1. */
int pq_reader__col_index(const struct pq_reader *r, const char *name);
int64_t pq_reader__nrows(const struct pq_reader *r);
int pq_reader__nrowgroups(const struct pq_reader *r);
/* The writer's created_by string, "" when absent. */
const char *pq_reader__created_by(const struct pq_reader *r);

/*
 * Decoded values of one column of one row group.  Owned by the reader;
 * valid until the next read of the same column or close.  Null rows have
 * 0 in i64/f64 and "" in str.
 */
struct pq_values {
	size_t n;
	const bool *isnull;	/* NULL when no value is null */
	const int64_t *i64;	/* INT32/INT64/TIMESTAMP_NS/BOOL (0/1) */
	const double *f64;	/* DOUBLE */
	const char *const *str;	/* STRING: NUL-terminated copies */
	const uint32_t *str_len;
};

/*
 * Decodes column col of row group rowgroup into *out.  Returns 0, or
 * -EINVAL (corrupt), -ENOTSUP (unsupported feature), -ENOMEM, -EFBIG (over
 * a size cap) or an I/O -errno, with a one-line reason in err.
 */
int pq_reader__read(struct pq_reader *r, int rowgroup, int col,
		    struct pq_values *out, char *err, size_t errlen);

/* Frees the reader and all values it handed out.  NULL is a no-op. */
void pq_reader__close(struct pq_reader *r);

#endif /* MLPROBE_PQ_READER_H */
