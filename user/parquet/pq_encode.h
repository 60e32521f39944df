/* SPDX-License-Identifier: MIT */
/*
 * pq_encode: Parquet value encodings and page compression, writer side.
 * Internal to the Parquet module (used by pq_writer.c and the tests).
 *
 * All encoders append to a pq_buf, whose first error sticks: callers run a
 * sequence of appends and check b->err once.
 */
#ifndef MLPROBE_PQ_ENCODE_H
#define MLPROBE_PQ_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

struct pq_buf {
	uint8_t *p;
	size_t len, cap;
	int err;		/* first error, sticky (-ENOMEM) */
};

void pq_buf__free(struct pq_buf *b);
/* Makes room for n more bytes; 0 or b->err. */
int pq_buf__reserve(struct pq_buf *b, size_t n);
void pq_buf__put(struct pq_buf *b, const void *p, size_t n);
void pq_buf__u32le(struct pq_buf *b, uint32_t v);
void pq_buf__uleb(struct pq_buf *b, uint64_t v);

/*
 * Packs n values of bw bits (0..64) LSB-first, the Parquet bit order,
 * into exactly ceil(n * bw / 8) bytes.
 */
void pq_enc__bitpack(struct pq_buf *b, const uint64_t *v, size_t n, int bw);
/* PLAIN booleans: one bit per value, LSB first.  v[i] is 0 or 1. */
void pq_enc__bools(struct pq_buf *b, const uint8_t *v, size_t n);
/*
 * RLE/bit-packed hybrid (no length prefix) of n values of bw bits
 * (1..32).  Runs of 8 or more equal values become RLE runs.
 */
void pq_enc__rle_hybrid(struct pq_buf *b, const uint32_t *v, size_t n,
			int bw);
/* DELTA_BINARY_PACKED of n values (INT32 values passed widened). */
void pq_enc__delta(struct pq_buf *b, const int64_t *v, size_t n);
/* BYTE_STREAM_SPLIT of n values of width bytes each. */
void pq_enc__bss(struct pq_buf *b, const void *v, size_t n, size_t width);

/* Bits needed for values 0..max_value (at least 1). */
int pq_enc__bit_width(uint64_t max_value);

/*
 * Compresses [in, in + n) as one RFC 1952 gzip member appended to b.
 * zs must come from deflateInit2(.., 15 + 16, ..); it is reset here.
 * Returns 0 or -ENOMEM / -EIO.
 */
int pq_enc__gzip(z_stream *zs, const void *in, size_t n, struct pq_buf *b);

#endif /* MLPROBE_PQ_ENCODE_H */
