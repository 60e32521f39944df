/* SPDX-License-Identifier: MIT */
/*
 * pq_reader_int: the reader's internals, shared by pq_meta.c (footer and
 * schema parsing) and pq_reader.c (pages and values).  Not an API.
 */
#ifndef MLPROBE_PQ_READER_INT_H
#define MLPROBE_PQ_READER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pq_reader.h"

/* Hard caps for hostile input. */
#define PQ_MAX_PAGE_BYTES	(256u << 20)	/* one decompressed page */
#define PQ_MAX_COLS		65536

struct rd_chunk {
	int ptype;
	int codec;
	int64_t num_values;
	int64_t data_off, dict_off, total_comp;
	bool has_meta, external;
};

struct rd_rg {
	int64_t nrows;
	uint32_t nchunks;
	struct rd_chunk *chunks;
};

struct rd_col {
	struct pq_reader_column pub;
	char *name;
	int ptype;
	int64_t ts_mul;		/* to nanoseconds; 0 when not a timestamp */
};

struct rd_out {			/* one column's decoded values */
	size_t cap;
	bool *isnull;
	int64_t *i64;
	double *f64;
	char **str;
	uint32_t *str_len;
	size_t *str_off;
	char *arena;
	size_t arena_len, arena_cap;
};

struct pq_reader {
	int fd;			/* -1 for open_mem */
	const uint8_t *mem;
	uint64_t size;
	uint64_t data_end;	/* first byte of the footer */
	char *created_by;
	int ncols;
	struct rd_col *cols;
	int nrg;
	struct rd_rg *rgs;
	int64_t nrows;
	struct rd_out *outs;
	uint8_t *chunkbuf;	/* fd mode: the chunk being read */
	size_t chunkbuf_cap;
	uint8_t *pagebuf;	/* a decompressed page */
	size_t pagebuf_cap;
	uint8_t *dictbuf;	/* the chunk's dictionary page */
	size_t dictbuf_cap;
	uint64_t max_values;	/* per read, scaled by the file size */
	uint64_t max_out_bytes;	/* string bytes per read */
};

/*
 * Parses and validates the FileMetaData in footer[0..len) (at file offset
 * foff) into r.  0, or -errno with a reason in err.
 */
int pq_meta__parse(struct pq_reader *r, const uint8_t *footer, size_t len,
		   uint64_t foff, char *err, size_t errlen);

struct pq_page_hdr {
	int type, unc, comp;
	int num_values, encoding, def_encoding;	/* data or dictionary */
	int def_len, rep_len;			/* v2 only */
	bool v2_compressed;
	size_t hdr_len;				/* bytes of the header */
};

/* Parses a PageHeader at p[0..len); 0 or -EINVAL / -ENOMEM. */
int pq_meta__page_header(const uint8_t *p, size_t len, struct pq_page_hdr *h);

/* snprintf into err when err is not NULL. */
void pq_rd__err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Names for messages. */
const char *pq_rd__encoding_name(int enc);
const char *pq_rd__codec_name(int codec);

#endif /* MLPROBE_PQ_READER_INT_H */
