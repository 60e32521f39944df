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

/* A page ends when its raw values and levels pass page_bytes, or at this
 * many rows (bounds the scratch for levels and deltas). */
#define PQ_PAGE_ROWS_MAX	(64u << 10)

/* The dictionary of a string column chunk, built as values are set. */
struct pq_dict {
	uint32_t *slots;	/* open addressing: entry + 1, 0 = free */
	size_t cap;		/* slots, a power of two */
	uint32_t *off;		/* offset of entry k in ents */
	uint8_t *used;		/* entry k is in an encoded page (statistics) */
	uint32_t n, ncap;
	struct pq_buf ents;	/* PLAIN layout: the dictionary page body */
	uint32_t last;		/* entry + 1 of the last value set, 0 none */
};

/*
 * A column: the page being filled (raw values of the committed rows, plus
 * the current row's), and the chunk so far (encoded, compressed pages).
 * Rows are encoded a page at a time as they arrive, so memory holds
 * compressed bytes plus one raw page per column, never a raw row group.
 */
struct pq_col {
	char *name;
	enum pq_type type;
	bool nullable;
	enum pq_encoding enc;	/* resolved, never DEFAULT */
	bool plain;		/* dictionary full: PLAIN to the chunk's end */
	bool set;		/* set in the current row */
	size_t row_mark;	/* vals.len before this row's value */
	/* the page being filled */
	struct pq_buf defs;	/* nullable: one byte per row, 1 = present */
	struct pq_buf vals;	/* PLAIN layout of the non-null values; in a
				 * dictionary page, u32 entry numbers */
	size_t page_start;	/* the page's first row (w->nrows then) */
	size_t page_nvals;
	/* the chunk so far */
	struct pq_buf chunk;	/* page header + body, for each data page */
	uint64_t chunk_unc;	/* the same, uncompressed */
	size_t nvals;		/* non-null values in the encoded pages */
	uint32_t encs;		/* 1 << encoding, for each one used */
	/* statistics of the encoded pages */
	bool has_minmax;
	int64_t imin, imax;
	double dmin, dmax;
	struct pq_buf smin, smax;
	struct pq_dict dict;
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
	int nreq;		/* required columns */
	int nnullable, *nullable;	/* the optional columns */
	int row_req;		/* required columns set in the current row */
	struct pq_col *cols;
	size_t nrows;		/* buffered rows */
	uint64_t file_bytes;	/* length of the valid file on disk */
	uint64_t rows_written;
	int nrg;
	struct pq_buf rgs;	/* serialized RowGroup structs so far */
	/* Dead bytes (README.md): every flush leaves the previous
	 * footer behind.  [0, sealed.end) holds the magic and the first
	 * sealed.nrg row groups back to back, with no footer between them
	 * (what a compaction wrote), so a compaction copies it as it is and
	 * re-encodes only the row groups after it: the tail. */
	int max_dead_pct;	/* compact above this share of live bytes */
	uint64_t dead_bytes;	/* bytes no footer of the file's end uses */
	uint64_t footer_bytes;	/* the last footer, its length and magic */
	struct {
		uint64_t end;
		int nrg;
		size_t rgs_len;	/* their RowGroup structs in rgs */
		uint64_t rows;
	} sealed;
	uint64_t tail_max_rows;	/* longest row group of the tail */
	uint64_t compact_after;	/* after a failed compaction, dead bytes
				 * to wait for before the next try */
	int compactions;
	struct pq_buf out;	/* scratch: a flush's dictionary pages, footer */
	struct pq_buf page;	/* scratch: one uncompressed page */
	struct pq_buf zpage;	/* scratch: one compressed page */
	struct pq_buf u32;	/* scratch: the levels of a page */
	struct pq_buf wide;	/* scratch: a page's integers as int64 */
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
 * Adds string s to the dictionary of c and gives its entry in *idx.
 * Returns 0, 1 when the dictionary is full (the caller goes PLAIN), or
 * -ENOMEM.
 */
int pq_chunk__dict_add(struct pq_col *c, const void *s, uint32_t len,
		       uint32_t *idx);

/*
 * Encodes the page being filled (committed rows only: call it between
 * rows) into c->chunk and merges its statistics.  On error nothing
 * changes.  0 or -errno.
 */
int pq_chunk__page(struct pq_writer *w, struct pq_col *c);

/*
 * Ends the chunk of c for a flush: encodes its last page, appends its
 * dictionary page (if any) to w->out, and its ColumnChunk struct to rg, for
 * a chunk whose first byte lands at file offset base.  *dict_len: the
 * dictionary page's bytes, at the end of w->out; c->chunk follows it in the
 * file.  Adds the chunk's sizes to *unc and *comp.  0 or -errno; nothing
 * encoded is lost on error.
 */
int pq_chunk__finish(struct pq_writer *w, struct pq_col *c, uint64_t base,
		     struct thrift_enc *rg, uint64_t *unc, uint64_t *comp,
		     size_t *dict_len);

/*
 * Writes the buffered rows as one row group at w->file_bytes, followed by a
 * footer when footer is true (false: the caller writes a footer later, as a
 * compaction does for the row groups it seals).  0 or -errno; see
 * pq_writer__flush for what a failure leaves.
 */
int pq_writer__flush_rows(struct pq_writer *w, bool footer);

/* Row groups of the tail longer than this are not re-encoded by a
 * compaction (the decoded values of one are held at once); a merged row
 * group that reaches it is sealed. */
#define PQ_SEAL_ROWS		(64u << 10)

/*
 * Rewrites w's file without its dead bytes: copies the sealed prefix,
 * re-encodes the rows of the tail into as few row groups as PQ_SEAL_ROWS
 * allows, writes one footer, and renames the copy over the file (temp
 * file, fsync, rename, directory fsync).  The file on disk is valid at
 * every moment.  Call it between flushes with no rows buffered.  0 or
 * -errno; on failure the file and w are as they were.
 */
int pq_compact__run(struct pq_writer *w);

/* Forgets the chunk of c (written, or discarded); keeps its buffers. */
void pq_chunk__reset(struct pq_col *c);
/* Frees everything c holds but its name. */
void pq_chunk__free(struct pq_col *c);

#endif /* MLPROBE_PQ_WRITER_INT_H */
