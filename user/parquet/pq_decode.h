/* SPDX-License-Identifier: MIT */
/*
 * pq_decode: Parquet value decodings, reader side.  Internal to the Parquet
 * module.  Every function reads untrusted bytes: it never reads outside
 * [p, p + len) and returns -EINVAL (or -ENOMEM) on anything malformed.
 */
#ifndef MLPROBE_PQ_DECODE_H
#define MLPROBE_PQ_DECODE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes n values of an RLE/bit-packed hybrid stream (no length prefix)
 * of bit width bw (0..32) into out.  *used gets the bytes consumed.
 */
int pq_dec__rle_hybrid(const uint8_t *p, size_t len, int bw, uint32_t *out,
		       size_t n, size_t *used);

/*
 * Decodes a DELTA_BINARY_PACKED stream that must hold exactly n values
 * into out (INT32 streams give sign-correct values when narrowed).
 */
int pq_dec__delta(const uint8_t *p, size_t len, int64_t *out, size_t n);

/* Reverses BYTE_STREAM_SPLIT: n values of width bytes; needs len == n*w. */
int pq_dec__bss(const uint8_t *p, size_t len, size_t width, void *out,
		size_t n);

/* Reads a ULEB128 varint (at most 10 bytes); 0 or -EINVAL. */
int pq_dec__uleb(const uint8_t *p, size_t len, size_t *pos, uint64_t *v);

#endif /* MLPROBE_PQ_DECODE_H */
