// SPDX-License-Identifier: MIT
/* Parquet value encodings and gzip page compression (writer side). */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pq_encode.h"
#include "pq_format.h"
#include "varint.h"

void pq_buf__free(struct pq_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int pq_buf__reserve(struct pq_buf *b, size_t n)
{
	size_t cap;
	uint8_t *np;

	if (b->err)
		return b->err;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 4 - b->len) {
		b->err = -ENOMEM;
		return b->err;
	}
	cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

void pq_buf__put(struct pq_buf *b, const void *p, size_t n)
{
	if (!n || pq_buf__reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void pq_buf__u32le(struct pq_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	pq_buf__put(b, x, 4);
}

void pq_buf__uleb(struct pq_buf *b, uint64_t v)
{
	uint8_t tmp[ULEB128_MAX];

	pq_buf__put(b, tmp, uleb128_encode(tmp, v));
}

int pq_enc__bit_width(uint64_t max_value)
{
	int bw = 1;

	while (bw < 64 && (max_value >> bw))
		bw++;
	return bw;
}

void pq_enc__bitpack(struct pq_buf *b, const uint64_t *v, size_t n, int bw)
{
	uint64_t mask = bw >= 64 ? ~0ULL : (1ULL << bw) - 1;
	uint64_t acc = 0, x;
	int nbits = 0;
	uint8_t *o;

	assert(bw >= 0 && bw <= 64);
	if (!bw || !n)
		return;
	if (pq_buf__reserve(b, (n * (size_t)bw + 7) / 8 + 8))
		return;
	o = b->p + b->len;
	for (size_t i = 0; i < n; i++) {
		x = v[i] & mask;
		acc |= x << nbits;
		if (nbits + bw >= 64) {
			memcpy(o, &acc, 8);	/* little-endian host */
			o += 8;
			acc = nbits ? x >> (64 - nbits) : 0;
			nbits = nbits + bw - 64;
		} else {
			nbits += bw;
		}
	}
	for (int k = 0; k < nbits; k += 8) {
		*o++ = (uint8_t)acc;
		acc >>= 8;
	}
	b->len = (size_t)(o - b->p);
}

void pq_enc__bools(struct pq_buf *b, const uint8_t *v, size_t n)
{
	uint8_t *o;

	if (!n || pq_buf__reserve(b, (n + 7) / 8))
		return;
	o = b->p + b->len;
	memset(o, 0, (n + 7) / 8);
	for (size_t i = 0; i < n; i++)
		o[i / 8] |= (uint8_t)((v[i] & 1) << (i % 8));
	b->len += (n + 7) / 8;
}

static size_t run_len(const uint32_t *v, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && v[j] == v[i])
		j++;
	return j - i;
}

void pq_enc__rle_hybrid(struct pq_buf *b, const uint32_t *v, size_t n,
			int bw)
{
	uint64_t grp[8];
	size_t i = 0, r, j, groups;

	assert(bw >= 1 && bw <= 32);
	while (i < n && !b->err) {
		r = run_len(v, i, n);
		if (r >= 8) {
			/* RLE run: header, then the value in ceil(bw/8) bytes */
			pq_buf__uleb(b, (uint64_t)r << 1);
			for (int k = 0; k < (bw + 7) / 8; k++) {
				uint8_t byte = (uint8_t)(v[i] >> (8 * k));

				pq_buf__put(b, &byte, 1);
			}
			i += r;
			continue;
		}
		/* Literal groups of 8 until a long run starts a group. */
		j = i;
		groups = 0;
		do {
			j += 8;
			groups++;
		} while (j < n && groups < 63 && run_len(v, j, n) < 8);
		pq_buf__uleb(b, (groups << 1) | 1);
		for (size_t g = 0; g < groups; g++) {
			for (int k = 0; k < 8; k++) {
				size_t idx = i + g * 8 + (size_t)k;

				grp[k] = idx < n ? v[idx] : 0;
			}
			pq_enc__bitpack(b, grp, 8, bw);
		}
		i = j < n ? j : n;
	}
}

/* DELTA_BINARY_PACKED: block of 128 values, 4 miniblocks of 32. */
void pq_enc__delta(struct pq_buf *b, const int64_t *v, size_t n)
{
	enum { MB = PQ_DELTA_BLOCK / PQ_DELTA_MINIBLOCKS };
	uint64_t d[PQ_DELTA_BLOCK];
	uint8_t widths[PQ_DELTA_MINIBLOCKS];
	int64_t min_delta;
	size_t i, k, cnt;

	pq_buf__uleb(b, PQ_DELTA_BLOCK);
	pq_buf__uleb(b, PQ_DELTA_MINIBLOCKS);
	pq_buf__uleb(b, n);
	/* first value, zigzag */
	pq_buf__uleb(b, n ? ((uint64_t)v[0] << 1) ^ (uint64_t)(v[0] >> 63)
			  : 0);
	for (i = 1; i < n && !b->err; i += cnt) {
		cnt = n - i < PQ_DELTA_BLOCK ? n - i : PQ_DELTA_BLOCK;
		/* deltas wrap modulo 2^64, as readers undo them */
		min_delta = INT64_MAX;
		for (k = 0; k < cnt; k++) {
			int64_t dk = (int64_t)((uint64_t)v[i + k] -
					       (uint64_t)v[i + k - 1]);

			d[k] = (uint64_t)dk;
			if (dk < min_delta)
				min_delta = dk;
		}
		for (k = 0; k < cnt; k++)
			d[k] -= (uint64_t)min_delta;
		for (k = cnt; k < PQ_DELTA_BLOCK; k++)
			d[k] = 0;
		pq_buf__uleb(b, ((uint64_t)min_delta << 1) ^
				(uint64_t)(min_delta >> 63));
		for (int m = 0; m < PQ_DELTA_MINIBLOCKS; m++) {
			uint64_t mx = 0;

			for (k = (size_t)m * MB; k < (size_t)(m + 1) * MB; k++)
				mx |= d[k];
			widths[m] = (size_t)m * MB < cnt ?
				(uint8_t)(mx ? pq_enc__bit_width(mx) : 0) : 0;
		}
		pq_buf__put(b, widths, sizeof(widths));
		for (int m = 0; m < PQ_DELTA_MINIBLOCKS; m++)
			if ((size_t)m * MB < cnt)
				pq_enc__bitpack(b, d + m * MB, MB, widths[m]);
	}
}

void pq_enc__bss(struct pq_buf *b, const void *v, size_t n, size_t width)
{
	const uint8_t *in = v;
	uint8_t *o;

	if (!n || pq_buf__reserve(b, n * width))
		return;
	o = b->p + b->len;
	for (size_t k = 0; k < width; k++)
		for (size_t i = 0; i < n; i++)
			o[k * n + i] = in[i * width + k];
	b->len += n * width;
}

int pq_enc__gzip(z_stream *zs, const void *in, size_t n, struct pq_buf *b)
{
	uLong bound;
	int zr;

	if (deflateReset(zs) != Z_OK)
		return -EIO;
	if (n > UINT32_MAX)
		return -E2BIG;
	bound = deflateBound(zs, (uLong)n);
	if (pq_buf__reserve(b, bound))
		return b->err;
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = (uInt)n;
	zs->next_out = b->p + b->len;
	zs->avail_out = (uInt)bound;
	zr = deflate(zs, Z_FINISH);
	if (zr != Z_STREAM_END)
		return -EIO;
	b->len += bound - zs->avail_out;
	return 0;
}
