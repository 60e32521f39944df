/* SPDX-License-Identifier: MIT */
/*
 * qhist.h - a bounded histogram for quantiles of durations (ns): 16
 * log-linear sub-buckets per power of two, so any quantile it returns is
 * within 1/32 (3.2%) of a value of the right rank, in fixed memory (976
 * buckets), with O(1) inserts.  Values below 16 are exact.
 */
#ifndef MLPROBE_QHIST_H
#define MLPROBE_QHIST_H

#include <stdint.h>

#define QHIST_SUB_BITS 4
#define QHIST_BUCKETS ((1 << QHIST_SUB_BITS) * (65 - QHIST_SUB_BITS))

struct qhist {
	uint64_t n, min, max;
	uint64_t c[QHIST_BUCKETS];
};

void qhist_add(struct qhist *h, uint64_t v);
/* The q-quantile (0 <= q <= 1) by the nearest-rank definition (rank
 * ceil(q n), at least 1), as the middle of its bucket clamped to
 * [min, max]; 0 when empty. */
uint64_t qhist_quantile(const struct qhist *h, double q);
/* Bucket of v and the bucket's bounds [lo, hi]; for tests. */
int qhist_bucket(uint64_t v);
void qhist_bounds(int b, uint64_t *lo, uint64_t *hi);

#endif
