// SPDX-License-Identifier: MIT
/* Parquet value decodings for untrusted input (reader side). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pq_decode.h"

int pq_dec__uleb(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 70; shift += 7) {
		uint8_t b;

		if (*pos >= len)
			return -EINVAL;
		b = p[(*pos)++];
		if (shift == 63 && (b & 0x7e))
			return -EINVAL;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -EINVAL;
}

/* Reads bw bits (0..64) at bit offset bit; caller checked the bounds. */
static uint64_t get_bits(const uint8_t *p, uint64_t bit, int bw)
{
	uint64_t v = 0;
	int got = 0;

	while (got < bw) {
		int off = (int)(bit & 7);
		int take = 8 - off < bw - got ? 8 - off : bw - got;
		uint64_t byte = p[bit >> 3];

		v |= ((byte >> off) & ((1u << take) - 1)) << got;
		got += take;
		bit += (uint64_t)take;
	}
	return v;
}

int pq_dec__rle_hybrid(const uint8_t *p, size_t len, int bw, uint32_t *out,
		       size_t n, size_t *used)
{
	size_t pos = 0, got = 0, take, vbytes = ((size_t)bw + 7) / 8;
	uint64_t hdr, cnt, v;

	if (bw < 0 || bw > 32)
		return -EINVAL;
	while (got < n) {
		if (pq_dec__uleb(p, len, &pos, &hdr))
			return -EINVAL;
		if (hdr & 1) {
			/* bit-packed: (hdr >> 1) groups of 8 values */
			uint64_t groups = hdr >> 1, avail, need;

			if (!groups || groups > len)
				return -EINVAL;
			cnt = groups * 8;
			take = cnt < n - got ? (size_t)cnt : n - got;
			need = ((uint64_t)take * (uint64_t)bw + 7) / 8;
			avail = len - pos;
			if (need > avail)
				return -EINVAL;
			for (size_t i = 0; i < take; i++)
				out[got + i] = (uint32_t)get_bits(p + pos,
					(uint64_t)i * (uint64_t)bw, bw);
			/* a final group may be cut short by some writers */
			pos += groups * (uint64_t)bw < avail ?
				(size_t)(groups * (uint64_t)bw) : (size_t)avail;
			got += take;
		} else {
			cnt = hdr >> 1;
			if (!cnt || vbytes > len - pos)
				return -EINVAL;
			v = 0;
			for (size_t k = 0; k < vbytes; k++)
				v |= (uint64_t)p[pos + k] << (8 * k);
			pos += vbytes;
			if (bw < 32 && (v >> bw))
				return -EINVAL;
			take = cnt < n - got ? (size_t)cnt : n - got;
			for (size_t i = 0; i < take; i++)
				out[got + i] = (uint32_t)v;
			got += take;
		}
	}
	if (used)
		*used = pos;
	return 0;
}

int pq_dec__delta(const uint8_t *p, size_t len, int64_t *out, size_t n)
{
	uint64_t block, nmini, total, first, zz, per_mini;
	size_t pos = 0, got = 0;
	int64_t prev, min_delta;

	if (pq_dec__uleb(p, len, &pos, &block) ||
	    pq_dec__uleb(p, len, &pos, &nmini) ||
	    pq_dec__uleb(p, len, &pos, &total) ||
	    pq_dec__uleb(p, len, &pos, &first))
		return -EINVAL;
	if (!block || block % 128 || block > (1u << 20) || !nmini ||
	    block % nmini || (block / nmini) % 32 || total != n)
		return -EINVAL;
	per_mini = block / nmini;
	prev = (int64_t)(first >> 1) ^ -(int64_t)(first & 1);
	if (n)
		out[got++] = prev;
	while (got < n) {
		const uint8_t *widths;

		if (pq_dec__uleb(p, len, &pos, &zz))
			return -EINVAL;
		min_delta = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
		if (nmini > len - pos)
			return -EINVAL;
		widths = p + pos;
		pos += (size_t)nmini;
		for (uint64_t m = 0; m < nmini && got < n; m++) {
			int bw = widths[m];
			uint64_t bytes = per_mini * (uint64_t)bw / 8;
			size_t take = per_mini < n - got ? (size_t)per_mini
							 : n - got;

			if (bw > 64)
				return -EINVAL;
			/* the last miniblock may be cut to its values */
			if (bytes > len - pos) {
				uint64_t need = ((uint64_t)take * (uint64_t)bw
						 + 7) / 8;

				if (need > len - pos)
					return -EINVAL;
				bytes = len - pos;
			}
			for (size_t i = 0; i < take; i++) {
				uint64_t d = get_bits(p + pos,
						      (uint64_t)i * (uint64_t)bw,
						      bw);

				prev = (int64_t)((uint64_t)prev +
						 (uint64_t)min_delta + d);
				out[got++] = prev;
			}
			pos += (size_t)bytes;
		}
	}
	return 0;
}

int pq_dec__bss(const uint8_t *p, size_t len, size_t width, void *out,
		size_t n)
{
	uint8_t *o = out;

	if (!width || width > 8 || n > len / width || n * width != len)
		return -EINVAL;
	for (size_t k = 0; k < width; k++)
		for (size_t i = 0; i < n; i++)
			o[i * width + k] = p[k * n + i];
	return 0;
}
