/* SPDX-License-Identifier: MIT */
/*
 * pq_writer_int: the writer's internals, shared by pq_writer.c (rows,
 * flush, footer) and pq_chunk.c (column chunk encoding).  Not an API.
 */
#ifndef MLPROBE_PQ_WRITER_INT_H
#define MLPROBE_PQ_WRITER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

#include "pq_encode.h"
#include "pq_format.h"
#include "pq_writer.h"
#include "thrift.h"
/* Past these a string chunk falls back from dictionary to PLAIN. */
#define PQ_DICT_MAX_ENTRIES	65535
#define PQ_DICT_MAX_BYTES	(1u << 20)
/* Longer string min/max are left out of the statistics. */
#define PQ_STAT_STR_MAX		64

struct pq_col {
	char *name;
	enum pq_type type;
	bool nullable;
	enum pq_encoding enc;	/* resolved, never DEFAULT */
	bool set;		/* set in the current row */
	size_t row_mark;	/* vals.len before this row's value */
	struct pq_buf defs;	/* nullable: one byte per row, 1 = present */
	struct pq_buf vals;	/* PLAIN layout of the non-null values */
	size_t nvals;
};

struct pq_writer {
	char *path;
	char *created_by;
	int fd;			/* -1 until the first flush */
	int codec;
	int gzip_level;
	size_t page_bytes;
	bool zinit;
	z_stream zs;
	int ncols;
	struct pq_col *cols;
	size_t nrows;		/* buffered rows */
	uint64_t file_bytes;	/* length of the valid file on disk */
	uint64_t rows_written;
	int nrg;
	struct pq_buf rgs;	/* serialized RowGroup structs so far */
	struct pq_buf out;	/* scratch: what one flush writes */
	struct pq_buf page;	/* scratch: one uncompressed page */
	struct pq_buf zpage;	/* scratch: one compressed page */
	struct thrift_enc te;	/* scratch: page headers */
};

static inline size_t pq_type_width(enum pq_type t)
{
	switch (t) {
	case PQ_BOOL: return 1;
	case PQ_INT32: return 4;
	case PQ_INT64:
	case PQ_DOUBLE:
	case PQ_TIMESTAMP_NS: return 8;
	case PQ_STRING: return 0;
	}
	return 0;
}

static inline int pq_physical_type(enum pq_type t)
{
	switch (t) {
	case PQ_BOOL: return PT_BOOLEAN;
	case PQ_INT32: return PT_INT32;
	case PQ_INT64:
	case PQ_TIMESTAMP_NS: return PT_INT64;
	case PQ_DOUBLE: return PT_DOUBLE;
	case PQ_STRING: return PT_BYTE_ARRAY;
	}
	return PT_BYTE_ARRAY;
}

/*
 * Appends the pages of column c (the buffered rows) to w->out, whose first
 * byte lands at file offset base, and its ColumnChunk struct to rg; adds
 * the chunk's sizes to *unc and *comp.  Returns 0 or -errno.
 */
int pq_chunk__encode(struct pq_writer *w, struct pq_col *c, uint64_t base,
		     struct thrift_enc *rg, uint64_t *unc, uint64_t *comp);

#endif /* MLPROBE_PQ_WRITER_INT_H */
