/* SPDX-License-Identifier: MIT */
/*
 * stats - the statistics behind `mlprobe compare`: quantiles, the
 * Mann-Whitney U test and the Hodges-Lehmann shift with its
 * distribution-free (Moses) confidence interval.  docs/compare.md says why
 * these.  Pure functions over arrays; no allocation unless stated.
 */
#ifndef MLPROBE_STATS_H
#define MLPROBE_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Sorts a[0..n) ascending (NaN must have been removed). */
void stats__sort(double *a, size_t n);

/* Quantile q in [0, 1] of sorted a[0..n), linear interpolation between
 * order statistics (R's type 7, numpy's default).  NaN when n == 0. */
double stats__quantile(const double *sorted, size_t n, double q);

/* Standard normal: P(Z <= z), and its inverse for p in (0, 1). */
double stats__norm_cdf(double z);
double stats__norm_quantile(double p);

struct mwu {
	double u;	/* U of b: pairs (a_i, b_j) with b_j > a_i, ties 1/2 */
	double z;	/* normal approximation, tie- and continuity-corrected */
	double p;	/* two-sided p-value */
};

/*
 * Mann-Whitney U test (Wilcoxon rank-sum) of sorted samples a and b, with
 * midranks for ties.  Uses the normal approximation, fine for the sample
 * sizes compare requires (>= 8 each).  Returns -1 if na or nb is 0.
 */
int stats__mann_whitney(const double *a, size_t na, const double *b,
			size_t nb, struct mwu *out);

/*
 * The k-th smallest (1-based, 1 <= k <= na*nb) of the na*nb differences
 * b_j - a_i of sorted samples, without forming them: O((na+nb) * 64).
 */
double stats__kth_diff(const double *a, size_t na, const double *b,
		       size_t nb, unsigned long long k);

struct shift {
	double est;	/* Hodges-Lehmann: median of all b_j - a_i */
	double lo, hi;	/* (1 - alpha) confidence interval (Moses) */
};

/* Hodges-Lehmann shift of b relative to a, both sorted, with its
 * confidence interval at level 1 - alpha.  Returns -1 if a sample is
 * empty or alpha is not in (0, 1). */
int stats__hl_shift(const double *a, size_t na, const double *b, size_t nb,
		    double alpha, struct shift *out);

/*
 * Parses a percentage: "5%", "5", "0.5%", "12.5 %".  It must be a finite
 * number in [0, 1000].  Returns 0 and sets *pct, or -1 for anything else
 * (empty, trailing text, "5%%", negative, NaN).
 */
int stats__parse_pct(const char *s, double *pct);

#endif
