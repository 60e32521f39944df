// SPDX-License-Identifier: MIT
/* qhist.c - log-linear histogram quantiles (see qhist.h). */
#include <math.h>
#include "qhist.h"

#define SUB (1 << QHIST_SUB_BITS)

int qhist_bucket(uint64_t v)
{
	int e;

	if (v < SUB)
		return (int)v;
	e = 63 - __builtin_clzll(v);	/* >= QHIST_SUB_BITS */
	return SUB + (e - QHIST_SUB_BITS) * SUB +
	       (int)((v >> (e - QHIST_SUB_BITS)) & (SUB - 1));
}

void qhist_bounds(int b, uint64_t *lo, uint64_t *hi)
{
	int e, sub;

	if (b < SUB) {
		*lo = *hi = (uint64_t)b;
		return;
	}
	e = (b - SUB) / SUB + QHIST_SUB_BITS;
	sub = (b - SUB) % SUB;
	*lo = (uint64_t)(SUB + sub) << (e - QHIST_SUB_BITS);
	*hi = *lo + ((1ull << (e - QHIST_SUB_BITS)) - 1);
}

void qhist_add(struct qhist *h, uint64_t v)
{
	if (!h->n || v < h->min)
		h->min = v;
	if (!h->n || v > h->max)
		h->max = v;
	h->n++;
	h->c[qhist_bucket(v)]++;
}

uint64_t qhist_quantile(const struct qhist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi, mid;

	if (!h->n)
		return 0;
	if (!(q > 0))
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (int b = 0; b < QHIST_BUCKETS; b++) {
		seen += h->c[b];
		if (seen < rank)
			continue;
		qhist_bounds(b, &lo, &hi);
		mid = lo + (hi - lo) / 2;
		return mid < h->min ? h->min : mid > h->max ? h->max : mid;
	}
	return h->max;
}
