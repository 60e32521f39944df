/* SPDX-License-Identifier: MIT */
/* varint.h - ULEB128, the varint of both Thrift compact and Parquet. */
#ifndef MLPROBE_VARINT_H
#define MLPROBE_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define ULEB128_MAX 10	/* bytes of a 64-bit value */

/* Encodes v into out (ULEB128_MAX bytes); returns the bytes used. */
static inline size_t uleb128_encode(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

#endif
